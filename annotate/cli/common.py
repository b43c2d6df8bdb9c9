"""Options and helpers shared by the CLI commands."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from annotate.errors import InputError
from annotate.store import Store

console = Console()
errors = Console(stderr=True)

DbOption = Annotated[
    Path | None,
    typer.Option(
        "--db",
        help="SQLite database file (default: $ANNOTATE_DB, else annotate.db).",
        show_default=False,
    ),
]


class _Global:
    """Options given before the command (``annotate --db PATH show``), set by the callback."""

    db: Path | None = None


GLOBAL = _Global()


@contextmanager
def open_store(db: Path | None, *, create: bool = False) -> Iterator[Store]:
    """The store for the command's ``--db`` (else the global one), closed afterwards.

    Only the commands that bring work in (`ingest`, `preannotate`) create a missing
    store; the others say there is none. SQLite errors raised in the block leave as
    `StoreError`s naming the file.
    """
    with Store(db or GLOBAL.db, create=create) as store:
        yield store


def fail(message: str) -> InputError:
    """The error to raise for a problem the CLI itself finds; shown as ``error: …``, exit 1."""
    return InputError(message)
