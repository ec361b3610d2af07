"""One file through load, clean and chunk: metadata precedence, ids, languages."""

from pathlib import Path

import pytest

from indexer.load import SourceFile, UnreadableFile
from indexer.prepare import doc_id_for, lang_from_path, prepare, resolve_lang, resolve_title
from kb.models import Block, PageMeta

HTML = """<html lang="fr-FR"><head><title>Partir à l'étranger | École Nordique</title>
<meta property="og:site_name" content="École Nordique"></head>
<body><main><h1>Partir à l'étranger</h1><p>Tous les élèves passent un semestre à l'étranger.</p></main></body></html>"""


def _file(tmp_path: Path, name: str, text: str, kind: str) -> SourceFile:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    stat = path.stat()
    return SourceFile(path, name, kind, stat.st_mtime_ns, stat.st_size)


def test_page_metadata_is_used_when_sources_toml_says_nothing(tmp_path):
    prepared = prepare(_file(tmp_path, "a.html", HTML, "html"), {})
    document = prepared.document
    assert (document.title, document.school, document.lang) == ("Partir à l'étranger", "École Nordique", "fr")
    assert document.doc_id == doc_id_for("a.html")
    assert [p.lang for p in prepared.passages] == ["fr"]
    assert set(prepared.analysed) == {p.passage_id for p in prepared.passages}


def test_sources_toml_wins_over_the_page(tmp_path):
    overrides = {"title": "Mobility", "school": "Southgate", "lang": "en", "url": "https://example.org/m"}
    document = prepare(_file(tmp_path, "a.html", HTML, "html"), overrides).document
    assert (document.title, document.school, document.lang, document.url) == \
        ("Mobility", "Southgate", "en", "https://example.org/m")


def test_a_page_naming_no_school_gets_none(tmp_path):
    text = "---\ntitle: FAQ\n---\n\n## Pour qui ?\n\nLa sélection se fait sur les notes et la motivation.\n"
    document = prepare(_file(tmp_path, "faq.txt", text, "text"), {}).document
    assert (document.title, document.school, document.lang) == ("FAQ", None, "fr")


def test_title_falls_back_to_first_heading_then_file_name():
    blocks = [Block("paragraph", "Intro."), Block("heading", "Exchange programmes", 2)]
    assert resolve_title({}, PageMeta(), blocks, "x/y.txt") == "Exchange programmes"
    assert resolve_title({}, PageMeta(), [Block("paragraph", "Intro.")], "sub/study_abroad-2024.txt") == \
        "study abroad 2024"
    assert resolve_title({}, PageMeta(), [Block("paragraph", "x")], "web/array/index.md") == "array"


def test_language_from_declaration_then_folder_then_detection():
    french = [Block("paragraph", "Les étudiants doivent effectuer un semestre à l'étranger.")]
    assert resolve_lang({"lang": "en-GB"}, PageMeta(lang="fr"), french) == "en"
    assert resolve_lang({}, PageMeta(lang="de-DE"), french) == "de"
    assert resolve_lang({}, PageMeta(), [Block("code", "const a = 1;")], "fr/web/api/index.md") == "fr"
    assert resolve_lang({}, PageMeta(), french, "pages/page.md") == "fr"
    assert lang_from_path("web/css/index.md") is None and lang_from_path("en-us/a.md") == "en"


def test_a_page_with_no_text_left_is_unusable(tmp_path):
    page = "<html><body><nav><a href='/'>Home</a></nav><script>x()</script></body></html>"
    with pytest.raises(UnreadableFile, match="no text left after cleaning"):
        prepare(_file(tmp_path, "chrome.html", page, "html"), {})
