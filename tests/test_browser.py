"""End to end in real headless Chromium: ask a question on /, see the cited answer, follow a citation."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from kbserver import KbServe

pytestmark = pytest.mark.slow

CHROMIUM = Path(os.environ.get("KB_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
SEED_CORPUS = Path(__file__).resolve().parent.parent / "corpus"
QUESTION = "Which schools require a semester abroad?"

if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium (`make browser` runs apt-get install chromium) "
                "to run the browser test", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install -e '.[test]')")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("browser")
    corpus = shutil.copytree(SEED_CORPUS, root / "corpus")
    with KbServe(corpus, root / "index", "--workers", "1") as running:
        yield running


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def test_ask_on_the_home_page_and_follow_a_citation(server, browser, tmp_path):
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    try:
        page.goto(server.base + "/")
        box = page.get_by_label("Search the pages or ask a question")
        assert box.evaluate("el => el === document.activeElement")  # the box has the focus
        box.fill(QUESTION)
        box.press("Enter")
        page.wait_for_url("**/ask?q=*")

        answer = page.locator("section.answer")
        answer.wait_for()
        assert answer.get_by_role("heading", name="Answer").is_visible()
        assert page.locator("h1").inner_text() == QUESTION
        citation = answer.locator("a.cite").first
        citation.wait_for()
        assert citation.inner_text().startswith("[1]")
        page.screenshot(path=str(tmp_path / "answer.png"))
        assert page.locator("section.ranked li.result").count() > 0

        href = citation.get_attribute("href")
        passage_id = href.rsplit("#p-", 1)[1]
        citation.click()
        page.wait_for_url("**/documents/**")
        marked = page.locator("p.is-cited")
        assert marked.count() == 1
        assert marked.get_attribute("id") == f"p-{passage_id}"
        assert marked.is_visible() and marked.locator(".cited-label").inner_text().lower() == "cited passage"
        sync_api.expect(marked).to_be_in_viewport()
        assert page.evaluate("location.hash") == f"#p-{passage_id}"
    finally:
        page.close()


def test_keywords_show_results_with_facets_and_no_console_errors(server, browser):
    page = browser.new_page(viewport={"width": 390, "height": 844})  # a phone
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        page.goto(server.base + "/")
        page.get_by_label("Search the pages or ask a question").fill("semester abroad")
        page.keyboard.press("Enter")
        page.wait_for_url("**/search?q=*")
        assert page.locator("li.result").count() > 0
        assert page.locator("li.result mark").count() > 0
        language = page.locator('aside.facets a.facet[href*="lang="]').first
        count = int(language.locator(".count").inner_text())
        language.click()
        page.wait_for_url("**lang=**")
        assert page.locator("li.result").count() == min(count, 10)
        assert page.locator("a.facet.is-active").count() == 1
        # nothing wider than the phone's screen
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        assert errors == []  # no CSP violation, no script error
    finally:
        page.close()
