"""Load stage: walking the corpus, sources.toml, decoding and refusing unusable files."""

import pytest

from indexer.load import Skipped, SourceFile, UnreadableFile, decode, read_metadata, walk_corpus


def _walk(root):
    found = list(walk_corpus(root))
    return ({f.source: f for f in found if isinstance(f, SourceFile)},
            {s.source: s.reason for s in found if isinstance(s, Skipped)})


def test_walks_documents_recursively_and_ignores_other_files(tmp_path):
    (tmp_path / "sub" / "deeper").mkdir(parents=True)
    (tmp_path / "a.html").write_text("<p>a</p>")
    (tmp_path / "b.HTM").write_text("<p>b</p>")
    (tmp_path / "sub" / "c.md").write_text("# c")
    (tmp_path / "sub" / "deeper" / "d e é.txt").write_text("d")
    (tmp_path / "logo.png").write_bytes(b"\x89PNG")
    (tmp_path / "sources.toml").write_text("")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "x.txt").write_text("hidden")
    files, skipped = _walk(tmp_path)
    assert sorted(files) == ["a.html", "b.HTM", "sub/c.md", "sub/deeper/d e é.txt"]
    assert {f.kind for f in files.values()} == {"html", "markdown", "text"}
    assert not skipped


def test_symlink_out_of_the_corpus_is_skipped_and_named(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (tmp_path / "secret.txt").write_text("outside")
    (corpus / "inside.txt").write_text("inside")
    (corpus / "leak.txt").symlink_to(tmp_path / "secret.txt")
    (corpus / "alias.txt").symlink_to(corpus / "inside.txt")
    (corpus / "linked-dir").symlink_to(tmp_path)
    files, skipped = _walk(corpus)
    assert sorted(files) == ["alias.txt", "inside.txt"]
    assert skipped == {"leak.txt": "symbolic link leads outside the corpus"}


def test_metadata_from_sources_toml(tmp_path):
    (tmp_path / "sources.toml").write_text(
        '["a.txt"]\nschool = "ESME"\ntitle = "T"\nunknown = "x"\n["sub/b.html"]\nlang = "fr"\n')
    assert read_metadata(tmp_path) == {"a.txt": {"school": "ESME", "title": "T"}, "sub/b.html": {"lang": "fr"}}


def test_malformed_sources_toml_is_a_clear_error(tmp_path):
    (tmp_path / "sources.toml").write_text("[broken")
    with pytest.raises(ValueError, match="sources.toml: not valid TOML"):
        read_metadata(tmp_path)


def test_decodes_utf8_and_latin1():
    assert decode("Étudiants à l'étranger".encode(), "text") == "Étudiants à l'étranger"
    assert decode("Les étudiants doivent partir à l'étranger.".encode("latin-1"), "text") == \
        "Les étudiants doivent partir à l'étranger."
    assert decode('<meta charset="iso-8859-1"><p>été</p>'.encode("latin-1"), "html").endswith("<p>été</p>")


@pytest.mark.parametrize("data, reason", [
    (b"", "empty file"),
    (b"  \n\t ", "empty file"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary file"),
    (bytes(range(1, 32)) * 40, "binary file"),
])
def test_unusable_bytes_are_refused_with_a_reason(data, reason):
    with pytest.raises(UnreadableFile, match=reason):
        decode(data, "html")
