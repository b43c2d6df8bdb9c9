"""`annotate ingest`: bring documents into the store."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from annotate.ingest import ingest_paths

from .common import DbOption, console, errors, open_store


def ingest(
    paths: Annotated[
        list[Path], typer.Argument(help=".txt/.md files, folders, or .jsonl with a 'text' field.")
    ],
    db: DbOption = None,
) -> None:
    """Add documents to the store, de-duplicated by content hash.

    Empty, binary or non-UTF-8 inputs are rejected by name with the reason; the
    valid ones are still ingested, and the exit status is 1 if any was rejected.
    A folder may hold a manifest.json (a list of {"file": NAME, ...}) whose
    fields become the documents' metadata.
    """
    with open_store(db) as store:
        report = ingest_paths(store, paths)
        total = store.count_documents()
    for rejection in report.rejected:
        errors.print(f"[red]rejected[/] {rejection.source}: {rejection.reason}", highlight=False)
    console.print(
        f"ingested {len(report.added)} new, {len(report.duplicates)} already known, "
        f"{len(report.rejected)} rejected; {total} documents in the store"
    )
    if report.rejected:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command()(ingest)
