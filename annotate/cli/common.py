"""Options and helpers shared by the CLI commands."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from annotate.errors import InputError

if TYPE_CHECKING:  # imported where used: `annotate --help` needs neither (sqlite_utils, pydantic)
    from annotate.store import Store

#: The CLI's output, which prints what it is given as it is: no rich markup, no ``:emoji:``
#: codes. Documents, quotes, names and file names are data; brackets in them are text (a
#: ``[/]`` in a quote made rich refuse to print the line). Styled lines are `styled`.
console = Console(markup=False, emoji=False)
errors = Console(stderr=True, markup=False, emoji=False)


def styled(template: str, *values: object) -> Text:
    """`template`, in rich markup, with each ``{}`` filled by a value shown as it is.

    The template is the CLI's own (``"provider [bold]{}[/]"``); the values are data, escaped
    so that no bracket or ``:code:`` in them is read as markup.
    """
    return Text.from_markup(template.format(*(escape(str(value)) for value in values)), emoji=False)


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
    from annotate.store import Store

    with Store(db or GLOBAL.db, create=create) as store:
        yield store


def fail(message: str) -> InputError:
    """The error to raise for a problem the CLI itself finds; shown as ``error: …``, exit 1."""
    return InputError(message)


def report_table(*headers: str, title: str | None = None) -> Table:
    """A table of figures that fits 80 columns: a rule under the header, no side borders
    (each border costs a column the figures need; tests/test_narrow.py renders them)."""
    return Table(*headers, title=title, title_justify="left", box=box.SIMPLE_HEAD,
                 show_edge=False, pad_edge=False)  # fmt: skip


def interval_or_figure(value: Any) -> str:
    """A figure, or an interval as ``0.880–0.983`` (narrower than a bracketed pair)."""
    from annotate.gold.card import figure

    if isinstance(value, list) and len(value) == 2:
        if value[0] is None and value[1] is None:
            return figure(None)  # one dash, not "—–—"
        return f"{figure(value[0])}–{figure(value[1])}"
    return figure(value)


def counted(counts: Mapping[str, int]) -> str:
    """``{'majority': 2, 'reviewer': 1}`` said as ``majority 2, reviewer 1``."""
    return ", ".join(f"{name} {count:,}" for name, count in counts.items()) or "none"
