"""The `annotate` command line: a thin layer over the library, one module per stage.

Errors are reported in one place, `AnnotateGroup.invoke`: an `AnnotateError`
(or an SQLite error that escaped the store) becomes one line ``error: …`` on
stderr and exit status 1. Usage errors stay click's (status 2). ``--debug`` or
``ANNOTATE_DEBUG=1`` lets the exception through, traceback and all.
"""

from __future__ import annotations

import os
import sqlite3
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from annotate.errors import AnnotateError, StoreError, one_line

from . import agreement, compare, export, ingest, preannotate, pull, push, runs, show, studio, tasks
from . import batch as batch_route
from . import evaluate as evaluation
from . import serve as serving
from .common import GLOBAL, DbOption

DEBUG_ENV = "ANNOTATE_DEBUG"


class AnnotateGroup(TyperGroup):
    """The top-level command group, which turns user errors into one line and status 1."""

    def invoke(self, ctx: Any) -> Any:  # click's Context: typer >= 0.25 vendors its own click
        """Run the command; a user error ends in one line on stderr and status 1."""
        try:
            return super().invoke(ctx)
        except (AnnotateError, sqlite3.Error) as exc:
            if ctx.params.get("debug") or _debug_from_environment():
                raise
            report(exc)
            raise typer.Exit(1) from None


def report(exc: AnnotateError | sqlite3.Error) -> None:
    """Print ``error: <message>`` as one line on stderr."""
    if isinstance(exc, sqlite3.Error):  # the store translates its own; this is a fallback
        exc = StoreError(f"SQLite failed ({type(exc).__name__}: {exc})")
    label = typer.style("error:", fg="red", bold=True)
    typer.echo(f"{label} {one_line(str(exc))}", err=True)


def _debug_from_environment() -> bool:
    return os.environ.get(DEBUG_ENV, "").strip().lower() not in ("", "0", "false", "no")


app = typer.Typer(
    cls=AnnotateGroup,
    help="LLM-assisted annotation of news: claims, actors and stance, reviewed in Label Studio.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def options(
    debug: Annotated[
        bool,
        typer.Option("--debug", help=f"Show the traceback of an error (also ${DEBUG_ENV}=1)."),
    ] = False,
    db: DbOption = None,
) -> None:
    """LLM-assisted annotation of news: claims, actors and stance, reviewed in Label Studio."""
    GLOBAL.db = db  # set on every invocation, so nothing leaks from a previous one


for module in (
    ingest, preannotate, tasks, runs, show, studio, push, pull, agreement, export, compare
):
    module.register(app)
batch_route.register(app)  # `annotate batch status|collect|cancel` (the batch route)
evaluation.register(app)  # `annotate eval` (a model and prompt against the gold)
serving.register(app)  # `annotate serve` (the ML backend)


def main() -> None:
    app()
