"""Hostile documents: `kb index` on a corpus of broken, huge, deep, linked, duplicated and scripted pages.

The corpus is generated at test time (big, binary and linked files are not committed). One real
`kb index` run, under an audit hook that reports any file opened outside the corpus, serves every test.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from indexer.load import Skipped
from indexer.pipeline import run_index
from indexer.prepare import content_hash
from kb.search import search
from kb.store import IndexStore
from webapp import create_app

ROOT = Path(__file__).resolve().parent.parent
MB = 1_000_000
LATIN1_TEXT = ("Les étudiants de l'école d'ingénieurs partent à l'étranger pour un séjour d'études : "
               "Erasmus, double diplôme ou stage à Montréal. Où qu'ils aillent, leur cursus reste reconnu.")
DUPLICATE = ("<html lang='en'><body><h1>Exchange semester</h1><p>Every student spends a duplicated exchange "
             "semester at a partner university in Montréal or Valparaíso before the final year.</p></body></html>")
#: The file names expected in the index, and those expected on stderr with their reason.
INDEXED = {"latin1.txt", "big.html", "deep.html", "name with spaces é.html", unicodedata.normalize("NFD", "café décomposé.md"),
           "sub/deeper/nested.md", "orig.html", "sub/copy.html", "hostile.html", "hostile.txt", "inside-link.html"}
SKIPPED = {
    "empty.html": "empty file",
    "blank.txt": "empty file",
    "binary.html": "binary file",
    "passwd.txt": "symbolic link leads outside the corpus",
    "secret-link.html": "symbolic link leads outside the corpus",
    "loop.html": "symbolic link loop",
    "fifo.html": "not a regular file",
    "bad\\xffname.txt": "file name is not valid UTF-8",
}
#: Runs kb's CLI with an audit hook that reports every open() of a file whose real path is a target.
AUDITED_KB = textwrap.dedent("""
    import os, sys
    targets = set(sys.argv[1].split(os.pathsep))
    def hook(event, args):
        if event == "open" and args and isinstance(args[0], (str, bytes)):
            if os.path.realpath(os.fsdecode(args[0])) in targets:
                sys.stderr.write("OPENED OUTSIDE THE CORPUS: " + os.fsdecode(args[0]) + "\\n")
    sys.addaudithook(hook)
    from kb.cli import main
    main(sys.argv[2:], prog_name="kb")
""")


def _five_megabyte_page(last_words: str) -> str:
    """A 5 MB page shaped like a real one: a big inline style, markup-heavy rows, a big inline script."""
    style = "".join(f".c{n} {{ color: #{n % 4096:03x}; margin: {n % 7}px; }}\n" for n in range(40_000))
    rows: list[str] = []
    size = n = 0
    while size < 2 * MB:
        rows.append(f'<div class="row r{n}"><span class="cell" data-ref="{n:06d}" style="padding:0 2px">'
                    f"Agreement {n} links the school with partner university {n}.</span></div>\n")
        size += len(rows[-1])
        n += 1
    head = f"<!doctype html><html lang='en'><head><title>Agreements</title><style>{style}</style></head>"
    body = f"<body><main><h1>Agreements</h1>{''.join(rows)}"
    tail = f"<p>The last words of the large page: {last_words}.</p></main></body></html>"
    script: list[str] = []
    size = len(head) + len(body) + len(tail)
    while size < 5 * MB:
        script.append(f"var v{len(script)} = [{len(script)}, 'k{len(script)}'];\n")
        size += len(script[-1])
    return f"{head}{body}<script>{''.join(script)}</script>{tail}"


def build_hostile_corpus(root: Path) -> tuple[Path, list[str]]:
    """The hostile corpus under root/corpus, and the real paths of the files outside it that must stay unread."""
    corpus = root / "corpus"
    outside = root / "outside"
    (corpus / "sub" / "deeper").mkdir(parents=True)
    outside.mkdir()
    secret = outside / "secret.html"
    secret.write_text("<p>outsidesecret text that must never be indexed</p>", encoding="utf-8")

    (corpus / "empty.html").write_bytes(b"")
    (corpus / "blank.txt").write_bytes(b" \n\t\n")
    (corpus / "binary.html").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 40)
    (corpus / "latin1.txt").write_bytes(LATIN1_TEXT.encode("latin-1"))
    big = _five_megabyte_page("zygomorphicend")
    assert len(big.encode()) >= 5 * MB
    (corpus / "big.html").write_text(big, encoding="utf-8")
    (corpus / "deep.html").write_text("<html><body>" + "<div>" * 5000 + "<p>Deeply nested text about quasardeep "
                                      "exchanges.</p>" + "</div>" * 5000 + "</body></html>", encoding="utf-8")
    os.symlink("/etc/passwd", corpus / "passwd.txt")
    os.symlink(secret, corpus / "secret-link.html")
    os.symlink(outside, corpus / "linked-folder")  # a folder link: never walked
    os.symlink("loop.html", corpus / "loop.html")
    os.symlink("orig.html", corpus / "inside-link.html")  # inside the corpus: indexed under its own name
    os.mkfifo(corpus / "fifo.html")  # reading it would block forever
    (corpus / "name with spaces é.html").write_text("<p>A page whose name has spaces and accents: spacename.</p>",
                                                    encoding="utf-8")
    (corpus / unicodedata.normalize("NFD", "café décomposé.md")).write_text(
        "# Décomposé\n\nA page named in decomposed Unicode: nfdname.\n", encoding="utf-8")
    (corpus / "sub" / "deeper" / "nested.md").write_text("# Nested\n\nA page in a sub-folder about subfoldertopic.\n",
                                                         encoding="utf-8")
    (corpus / "orig.html").write_text(DUPLICATE, encoding="utf-8")
    (corpus / "sub" / "copy.html").write_text(DUPLICATE, encoding="utf-8")
    (corpus / "hostile.html").write_text(
        "<html><head><title>&lt;img src=x onerror=alert(9)&gt; page</title></head><body>"
        "<h1>Scripted &lt;script&gt;alert(7)&lt;/script&gt; heading</h1>"
        "<p>Hostile text: &lt;script&gt;alert(1)&lt;/script&gt; and &lt;img src=x onerror=alert(2)&gt; xssword.</p>"
        "<script>alert('real script')</script><img src=x onerror=alert(8)></body></html>", encoding="utf-8")
    (corpus / "hostile.txt").write_text("Plain text <script>alert(3)</script> and <img src=x onerror=alert(4)> "
                                        "xssword.\n", encoding="utf-8")
    (corpus / os.fsdecode(b"bad\xffname.txt")).write_text("a name that is not UTF-8", encoding="utf-8")
    return corpus, [os.path.realpath(path) for path in ("/etc/passwd", secret)]


@dataclass
class Indexed:
    """The hostile corpus, its index and what the `kb index` run printed."""

    corpus: Path
    index: Path
    forbidden: list[str]
    returncode: int
    stdout: str
    stderr: str


def run_kb_index(corpus: Path, index: Path, forbidden: list[str]) -> subprocess.CompletedProcess[str]:
    """`kb index` in a child process with the audit hook watching the forbidden paths."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("KB_")}
    return subprocess.run([sys.executable, "-c", AUDITED_KB, os.pathsep.join(forbidden), "index",
                           "--corpus", str(corpus), "--index", str(index)],
                          check=False, capture_output=True, text=True, timeout=300, env=env, cwd=ROOT)


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory) -> Indexed:
    """The hostile corpus indexed once by a real `kb index`."""
    root = tmp_path_factory.mktemp("hostile")
    corpus, forbidden = build_hostile_corpus(root)
    done = run_kb_index(corpus, root / "index", forbidden)
    return Indexed(corpus, root / "index", forbidden, done.returncode, done.stdout, done.stderr)


@pytest.fixture(scope="module")
def store(indexed: Indexed):
    opened = IndexStore(indexed.index)
    yield opened
    opened.close()


@pytest.fixture(scope="module")
def client(indexed: Indexed):
    app = create_app({"INDEX_DIR": indexed.index, "CORPUS_DIR": indexed.corpus, "TESTING": True})
    yield app.test_client()
    app.extensions["kb.stores"].close()


def _hits(store: IndexStore, text: str) -> list:
    return search(store, text, per_page=20).results


def test_index_exits_0_and_names_each_skipped_file_with_its_reason(indexed):
    assert indexed.returncode == 0, indexed.stderr
    assert "Traceback" not in indexed.stderr
    warnings = dict(re.findall(r"^kb: skipped (.+?): (.+)$", indexed.stderr, re.MULTILINE))
    assert set(warnings) == set(SKIPPED), indexed.stderr
    for source, reason in SKIPPED.items():
        assert warnings[source].startswith(reason), (source, warnings[source])
    assert re.fullmatch(rf"indexed {len(INDEXED)} documents: {len(INDEXED)} added, 0 updated, 0 removed, "
                        rf"0 unchanged, {len(SKIPPED)} skipped; \d+ passages in [\d.]+ s\n", indexed.stdout)


def test_nothing_outside_the_corpus_is_opened_or_indexed(indexed, store):
    assert "OPENED OUTSIDE THE CORPUS" not in indexed.stderr
    sources = set(store.documents())
    assert not {s for s in sources if "passwd" in s or "secret" in s or s.startswith("linked-folder")}
    for word in ("root", "outsidesecret", "nologin"):
        assert not _hits(store, word), word


def test_every_good_page_is_indexed_under_its_own_source(store):
    assert set(store.documents()) == INDEXED
    assert [hit.source for hit in _hits(store, "subfoldertopic")] == ["sub/deeper/nested.md"]
    assert [hit.source for hit in _hits(store, "spacename")] == ["name with spaces é.html"]
    assert [hit.source for hit in _hits(store, "nfdname")] == [unicodedata.normalize("NFD", "café décomposé.md")]


def test_the_end_of_the_five_megabyte_page_is_searchable(indexed, store):
    assert (indexed.corpus / "big.html").stat().st_size >= 5 * MB
    hits = _hits(store, "zygomorphicend")
    assert [hit.source for hit in hits] == ["big.html"]
    assert "The last words of the large page: zygomorphicend." in hits[0].text
    assert [hit.source for hit in _hits(store, '"Agreement 0 links"')] == ["big.html"]  # and its start
    assert not _hits(store, "k1000")  # the inline script is not text


def test_latin1_accents_read_right(store):
    document = store.documents()["latin1.txt"][0]
    passages = store.document(document.doc_id)[1]
    assert " ".join(p.text for p in passages) == LATIN1_TEXT
    assert document.lang == "fr"
    assert [hit.source for hit in _hits(store, "séjour diplôme")] == ["latin1.txt"]


def test_a_page_nested_5000_divs_deep_keeps_its_text(store):
    hits = _hits(store, "quasardeep")
    assert [hit.source for hit in hits] == ["deep.html"]
    assert hits[0].text == "Deeply nested text about quasardeep exchanges."


def test_identical_passages_show_once_and_say_where_else_they_appear(store, client):
    copies = {"orig.html", "sub/copy.html", "inside-link.html"}
    assert copies <= set(store.documents())  # each copy is indexed under its own source
    body = client.get("/api/search", query_string={"q": "duplicated exchange semester"}).get_json()
    assert body["total"] == 1 and len(body["results"]) == 1
    shown = body["results"][0]
    assert shown["source"] in copies and sorted(shown["also_in"]) == sorted(copies - {shown["source"]})

    page = BeautifulSoup(client.get("/search", query_string={"q": "duplicated exchange semester"}).data, "html.parser")
    results = page.select("li.result")
    assert len(results) == 1
    also_in = results[0].select_one(".also-in").get_text(" ", strip=True)
    for source in copies - {shown["source"]}:
        assert source in also_in


def _assert_inert(html: bytes) -> BeautifulSoup:
    """The page holds no script but the app's own file, no image and no event handler attribute."""
    page = BeautifulSoup(html, "html.parser")
    assert [tag.get("src") for tag in page.find_all("script")] in ([], ["/static/app.js"])
    assert all(tag.string is None for tag in page.find_all("script"))
    assert not page.find_all("img")
    assert not [tag.name for tag in page.find_all(True) if any(attr.lower().startswith("on") for attr in tag.attrs)]
    return page


def test_markup_in_pages_is_shown_as_text_on_every_page(client, store):
    for path in ("/search?q=xssword", "/ask?q=What+does+xssword+say%3F", "/search?q=scripted+heading"):
        response = client.get(path)
        assert response.status_code == 200, path
        text = _assert_inert(response.data).get_text()
        assert "alert(" in text, path
    text = _assert_inert(client.get("/search?q=xssword").data).get_text()
    assert "<script>alert(1)</script>" in text and "<img src=x onerror=alert(2)>" in text
    assert "<script>alert(3)</script>" in text and "<img src=x onerror=alert(4)>" in text
    for source in ("hostile.html", "hostile.txt"):
        doc_id = store.documents()[source][0].doc_id
        response = client.get(f"/documents/{doc_id}")
        assert response.status_code == 200
        text = _assert_inert(response.data).get_text()
        assert "alert(" in text
        if source == "hostile.html":
            assert "<img src=x onerror=alert(9)> page" in text  # the <title>, as text
            assert "Scripted <script>alert(7)</script> heading" in text
            assert "real script" not in text  # a real <script> of the page is dropped, not shown
        assert client.get(f"/api/documents/{doc_id}").status_code == 200


def test_a_second_run_changes_nothing_and_names_the_skipped_files_again(indexed):
    done = run_kb_index(indexed.corpus, indexed.index, indexed.forbidden)
    assert done.returncode == 0, done.stderr
    assert f"0 added, 0 updated, 0 removed, {len(INDEXED)} unchanged, {len(SKIPPED)} skipped" in done.stdout
    assert len(re.findall(r"^kb: skipped ", done.stderr, re.MULTILINE)) == len(SKIPPED)
    assert "OPENED OUTSIDE THE CORPUS" not in done.stderr


def test_a_page_that_becomes_unusable_leaves_the_index(corpus, tmp_path):
    (corpus / "page.html").write_text("<p>A page about the semester abroad.</p>", encoding="utf-8")
    (corpus / "other.html").write_text("<p>Another page about fees.</p>", encoding="utf-8")
    store = IndexStore(tmp_path / "index")
    try:
        assert run_index(corpus, store).added == 2
        (corpus / "page.html").write_bytes(b"\x00\x01binary now" * 100)
        skipped: list[Skipped] = []
        summary = run_index(corpus, store, on_skip=skipped.append)
        assert (summary.removed, summary.skipped, summary.documents) == (1, 1, 1)
        assert [(s.source, s.reason) for s in skipped] == [("page.html", "binary file (contains NUL bytes)")]
        store.refresh()
        assert set(store.documents()) == {"other.html"}
        data = (corpus / "other.html").read_bytes()
        assert store.documents()["other.html"][0].content_hash == content_hash(data)
    finally:
        store.close()


def test_a_sources_toml_linked_outside_the_corpus_is_refused_unread(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "page.html").write_text("<p>A page about the semester abroad.</p>", encoding="utf-8")
    os.symlink("/etc/passwd", corpus / "sources.toml")
    done = run_kb_index(corpus, tmp_path / "index", [os.path.realpath("/etc/passwd")])
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "sources.toml: symbolic link leads outside the corpus" in done.stderr
    assert "OPENED OUTSIDE THE CORPUS" not in done.stderr
