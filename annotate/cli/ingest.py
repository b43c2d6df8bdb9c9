"""`annotate ingest`: bring documents into the store."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from annotate.ingest import ingest_paths

from .common import DbOption, console, errors, fail, open_store, styled


def ingest(
    paths: Annotated[
        list[Path], typer.Argument(help=".txt/.md files, folders, or .jsonl with a 'text' field.")
    ],
    invalid_utf8: Annotated[
        str,
        typer.Option(
            "--invalid-utf8",
            help="reject: a file with bytes that are not UTF-8 is rejected (convert it); "
            "replace: they become U+FFFD and the file is kept (for stray binary noise).",
        ),
    ] = "reject",
    db: DbOption = None,
) -> None:
    """Add documents to the store, de-duplicated by content hash.

    Empty, binary or non-UTF-8 inputs are rejected by name with the reason; the
    valid ones are still ingested, and the exit status is 1 if any was rejected or
    a path given held no document. Files of other types in a folder are skipped
    and counted by type.
    A folder may hold a manifest.json (a list of {"file": NAME, ...}) whose
    fields become the documents' metadata.
    """
    if invalid_utf8 not in ("reject", "replace"):
        raise fail(f"--invalid-utf8 must be reject or replace, not {invalid_utf8!r}")
    with open_store(db, create=True) as store:
        report = ingest_paths(store, paths, replace_invalid=invalid_utf8 == "replace")
        total = store.documents.count()
    for rejection in report.rejected:
        errors.print(styled("[red]rejected[/] {}: {}", rejection.source, rejection.reason),
                     highlight=False, soft_wrap=True)  # fmt: skip
    for source, count in report.replaced:
        errors.print(styled("[yellow]kept[/] {}: {} invalid UTF-8 sequences replaced by U+FFFD",
                            source, count), highlight=False, soft_wrap=True)  # fmt: skip
    if report.skipped:
        kinds = ", ".join(f"{n} {suffix}" for suffix, n in sorted(report.skipped.items()))
        errors.print(styled("[yellow]skipped[/] {} file(s): ingest reads .txt, .md and .jsonl "
                            "(convert pages and PDFs to text first)", kinds),
                     highlight=False, soft_wrap=True)  # fmt: skip
    for path in report.empty:
        errors.print(styled("[red]no document[/] in {}: nothing there ingest reads", path),
                     highlight=False, soft_wrap=True)  # fmt: skip
    console.print(
        f"ingested {report.added} new, {report.duplicates} already known, "
        f"{len(report.rejected)} rejected; {total} documents in the store"
    )
    if report.rejected or report.empty:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command()(ingest)
