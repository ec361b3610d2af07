"""The `kb` command line: thin wiring of the core, the indexer and the web app."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import Any

import click

from kb.config import load_settings
from kb.store import IndexLocked, IndexMissing, IndexStore

#: Errors whose message is enough for the user: printed without a traceback, exit status 1.
USER_ERRORS = (IndexMissing, IndexLocked, FileNotFoundError, ValueError)


def _fail_cleanly(command: Callable[..., Any]) -> Callable[..., Any]:
    """Turn the core's expected errors into one line on stderr and exit status 1."""

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except USER_ERRORS as error:
            raise click.ClickException(str(error)) from error

    return wrapper


@contextmanager
def _open_store(index_dir: str | None) -> Iterator[IndexStore]:
    store = IndexStore(load_settings(index_dir=index_dir).index_dir)
    try:
        yield store
    finally:
        store.close()


def _print_json(body: dict[str, Any]) -> None:
    click.echo(json.dumps(body, ensure_ascii=False, indent=2))


index_option = click.option("--index", "index_dir", metavar="DIR", help="Index folder [env KB_INDEX_DIR; ./var/index].")
corpus_option = click.option("--corpus", "corpus_dir", metavar="DIR", help="Corpus folder [env KB_CORPUS_DIR; ./corpus].")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="kb")
def main() -> None:
    """kb: search a folder of web pages and answer questions with cited passages."""


@main.command("index")
@corpus_option
@index_option
@click.option("--full", is_flag=True, help="Rebuild from scratch into a new index and switch to it atomically.")
@click.option("--workers", type=click.IntRange(1, 64), help="Worker processes cleaning and writing pages [CPU count].")
@_fail_cleanly
def index_command(corpus_dir: str | None, index_dir: str | None, full: bool, workers: int | None) -> None:
    """Bring the index in line with the corpus (adds, updates, removes)."""
    from indexer.pipeline import run_index

    settings = load_settings(corpus_dir, index_dir)

    def warn(skipped: Any) -> None:
        click.echo(f"kb: skipped {skipped.source}: {skipped.reason}", err=True)

    with _open_store(str(settings.index_dir)) as store:
        summary = run_index(settings.corpus_dir, store, full=full, workers=workers,
                            progress=sys.stderr.isatty(), on_skip=warn)
    click.echo(summary.line())


@main.command("search")
@click.argument("query")
@click.option("--json", "as_json", is_flag=True, help="Print the /api/search body.")
@click.option("--limit", type=click.IntRange(1, 100), default=10, show_default=True, help="Results per page.")
@click.option("--page", type=click.IntRange(1, 10_000), default=1, show_default=True, help="Result page.")
@click.option("--school", help="Only passages of this school.")
@click.option("--lang", help="Only passages in this language (en, fr, ...).")
@index_option
@_fail_cleanly
def search_command(query: str, as_json: bool, limit: int, page: int, school: str | None, lang: str | None,
                   index_dir: str | None) -> None:
    """Ranked passages for QUERY."""
    from kb.search import search

    with _open_store(index_dir) as store:
        result = search(store, query, school=school, lang=lang, page=page, per_page=limit)
    if as_json:
        _print_json(result.to_dict())
        return
    click.echo(f"{result.total} passages for {query!r} ({result.took_ms:.1f} ms)")
    if result.suggestion:
        click.echo(f"did you mean: {result.suggestion}")
    for rank, hit in enumerate(result.results, (page - 1) * limit + 1):
        school_part = f" [{hit.school}]" if hit.school else ""
        click.echo(f"\n{rank}. {hit.title}{school_part} ({hit.lang}, {hit.source}) score {hit.score:.2f}")
        click.echo("   " + " ".join(hit.text.split())[:300])


@main.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(1, 65535), default=5000, show_default=True, help="Port to listen on.")
@index_option
@corpus_option
@click.option("--workers", type=click.IntRange(1, 64), default=2, show_default=True,
              help="gunicorn worker processes (each answers several requests at once in threads).")
@click.option("--watch", is_flag=True, help="Reindex a few seconds after the corpus changes.")
@_fail_cleanly
def serve_command(host: str, port: int, index_dir: str | None, corpus_dir: str | None, workers: int,
                  watch: bool) -> None:
    """Serve the web app and JSON API with gunicorn; builds the index first when there is none."""
    from webapp.server import serve

    settings = load_settings(corpus_dir, index_dir)
    with _open_store(str(settings.index_dir)) as store:
        if not store.exists():
            from indexer.pipeline import run_index

            click.echo(f"kb: no index in {settings.index_dir}; indexing {settings.corpus_dir} first", err=True)
            summary = run_index(settings.corpus_dir, store, progress=sys.stderr.isatty(),
                                on_skip=lambda skipped: click.echo(
                                    f"kb: skipped {skipped.source}: {skipped.reason}", err=True))
            click.echo(summary.line(), err=True)
    app_config = {"INDEX_DIR": str(settings.index_dir), "CORPUS_DIR": str(settings.corpus_dir),
                  "ADMIN_TOKEN": settings.admin_token}
    serve(app_config, host=host, port=port, workers=workers, watch=watch)


@main.command("ask")
@click.argument("question")
@click.option("--json", "as_json", is_flag=True, help="Print the /api/ask body.")
@index_option
@_fail_cleanly
def ask_command(question: str, as_json: bool, index_dir: str | None) -> None:
    """Answer QUESTION from the index, with numbered citations."""
    from kb.answer import ask

    with _open_store(index_dir) as store:
        answer = ask(store, question)
    if as_json:
        _print_json(answer.to_dict())
        return
    if answer.kind == "none":
        click.echo("Not found: the indexed pages do not answer this question.")
    else:
        click.echo(answer.answer)
    for item in answer.items:
        click.echo(f"  - {item.label} " + " ".join(f"[{n}]" for n in item.citations))
    if answer.citations:
        click.echo("\nClosest passages:" if answer.kind == "none" else "\nSources:")
    for number, hit in enumerate(answer.citations, 1):
        school_part = f" [{hit.school}]" if hit.school else ""
        click.echo(f"[{number}] {hit.title}{school_part} ({hit.source})")
        click.echo("    " + " ".join(hit.text.split())[:300])
    click.echo(f"\n({answer.kind}, {answer.took_ms:.1f} ms)")


@main.command("eval")
@click.argument("question_file", metavar="FILE.jsonl", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print only the figures as JSON.")
@index_option
@_fail_cleanly
def eval_command(question_file: str, as_json: bool, index_dir: str | None) -> None:
    """Score a question file (shared/eval/README.md) and print the figures."""
    from kb.answer import ask
    from kb.evaluate import evaluate, load_questions

    questions = load_questions(question_file)
    with _open_store(index_dir) as store:
        report = evaluate(questions, lambda text: ask(store, text).to_dict())
    figures = report.figures()
    if as_json:
        _print_json(figures)
        return
    for result in report.results:
        body = result.body
        shown = ", ".join(item["label"] for item in body["items"]) if body["items"] else (body["answer"] or "-")
        click.echo(f"{result.score:4.2f}  {result.question.id:<10} {result.question.kind:<4} -> {body['kind']:<4} "
                   f"{result.ms:6.1f} ms  {result.question.question}")
        click.echo(f"      {' '.join(shown.split())[:160]}")

    def shown_score(value: float | None) -> str:
        return "-" if value is None else f"{value:.3f}"

    click.echo(f"\noverall {shown_score(figures['overall'])}  list {shown_score(figures['list'])}  "
               f"fact {shown_score(figures['fact'])}  none {shown_score(figures['none'])}  "
               f"wrong_abstain {shown_score(figures['wrong_abstain'])}  n {figures['n']}  p50 {figures['p50_ms']} ms")


if __name__ == "__main__":
    main()
