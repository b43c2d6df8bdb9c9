"""The `annotate` command line: a thin layer over the library, one module per stage.

Errors are reported in one place, `AnnotateGroup.invoke`: an `AnnotateError`
(or an SQLite error that escaped the store) becomes one line ``error: …`` on
stderr and exit status 1. Usage errors stay click's (status 2). ``--debug`` or
``ANNOTATE_DEBUG=1`` lets the exception through, traceback and all.

A command's module is imported only when that command runs (or shows its own
``--help``): `COMMANDS` names each module with the command's one-line help, which
is all ``annotate --help`` lists. Importing every command's module (openai,
sqlite_utils, pyarrow, the gold report, ...) cost each run about a second of CPU.
"""

from __future__ import annotations

import importlib
import os
import sqlite3
from collections.abc import Iterator, MutableMapping
from typing import Annotated, Any

import typer
import typer.main
from typer.core import TyperCommand, TyperGroup

from annotate.collector import collector_spared_at_exit
from annotate.errors import AnnotateError, StoreError, one_line

from .common import GLOBAL, DbOption

DEBUG_ENV = "ANNOTATE_DEBUG"

#: Every command in the order of ``annotate --help``: its module (whose ``register(app)``
#: adds it) and the first paragraph of its help, as the listing shows it (tests/test_cli.py
#: checks each against the module's own help).
COMMANDS: dict[str, tuple[str, str]] = {
    "ingest": ("annotate.cli.ingest",
               "Add documents to the store, de-duplicated by content hash."),
    "preannotate": ("annotate.cli.preannotate",
                    "Pre-annotate every document that has no prediction for this model, "
                    "prompt and schema."),
    "tasks": ("annotate.cli.tasks",
              "Write every document as a Label Studio task with its latest prediction."),
    "runs": ("annotate.cli.runs",
             "List pre-annotation runs: counts, tokens, cost, failures and hallucinations."),
    "show": ("annotate.cli.show",
             "Show a document with its latest prediction: highlighted text, actors, claims, "
             "stance."),
    "push": ("annotate.cli.push",
             "Create a task per new document with its latest prediction; add newer "
             "predictions."),
    "pull": ("annotate.cli.pull",
             "Fetch all annotations (every annotator) of the projects this store pushed to, "
             "or of\n--project, convert and store them."),
    "agreement": ("annotate.cli.agreement",
                  "Agreement between annotators (kappas, alpha, AC1, span and relation F1) "
                  "and model vs gold."),
    "export": ("annotate.cli.export",
               "Export one gold record per document with its card, agreement and checksums."),
    "compare": ("annotate.cli.compare",
                "Line up claims across documents: shared facts, single-outlet facts, "
                "contradictions."),
    "eval": ("annotate.cli.evaluate",
             "Score a model and prompt against the human gold: precision, recall, F1, cost, "
             "latency."),
    "serve": ("annotate.cli.serve",
              "Serve predictions to Label Studio as its ML backend, until interrupted."),
    "studio": ("annotate.cli.studio",
               "Run the local Label Studio (its own venv, SQLite, 127.0.0.1 only)."),
    "batch": ("annotate.cli.batch",  # `annotate batch status|collect|cancel` (the batch route)
              "The batch route: poll and collect what `annotate preannotate --batch` "
              "submitted."),
}  # fmt: skip


def load_command(name: str) -> Any:
    """The click command (or group) `name`, built by typer from its module's ``register``.

    A scratch app with the top-level app's settings receives the command, so that typer
    builds it exactly as it would have as part of `app`.
    """
    scratch = typer.Typer(
        rich_markup_mode=app.rich_markup_mode,
        pretty_exceptions_short=app.pretty_exceptions_short,
        suggest_commands=app.suggest_commands,
    )
    importlib.import_module(COMMANDS[name][0]).register(scratch)
    return typer.main.get_group(scratch).commands[name]


class LazyCommands(MutableMapping[str, Any]):
    """A group's commands: every name of `COMMANDS` is known, its command built on first use."""

    def __init__(self, loaded: MutableMapping[str, Any]) -> None:
        self.loaded = dict(loaded)

    def __getitem__(self, name: str) -> Any:
        if name not in self.loaded:
            if name not in COMMANDS:
                raise KeyError(name)
            self.loaded[name] = load_command(name)
        return self.loaded[name]

    def __setitem__(self, name: str, command: Any) -> None:
        self.loaded[name] = command

    def __delitem__(self, name: str) -> None:
        raise TypeError("annotate's commands cannot be removed")

    def __contains__(self, name: object) -> bool:  # without loading the command
        return name in COMMANDS or name in self.loaded

    def __iter__(self) -> Iterator[str]:
        return iter({**dict.fromkeys(COMMANDS), **self.loaded})

    def __len__(self) -> int:
        return len({**dict.fromkeys(COMMANDS), **self.loaded})


class AnnotateGroup(TyperGroup):
    """The top-level command group, which turns user errors into one line and status 1,
    and imports a command's module only when that command is asked for."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        self.commands = LazyCommands(self.commands)
        self.listing = False  # set while the help lists the commands

    def list_commands(self, ctx: Any) -> list[str]:
        """The names in the order of `COMMANDS`, without loading any command."""
        return list(self.commands)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        """The command; while the help lists them, a stand-in with its one-line help."""
        if self.listing and cmd_name in COMMANDS:
            return TyperCommand(name=cmd_name, help=COMMANDS[cmd_name][1])
        return super().get_command(ctx, cmd_name)

    def format_help(self, ctx: Any, formatter: Any) -> None:
        """``annotate --help``: the listing needs each command's one line, not its module."""
        self.listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self.listing = False

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


def main() -> None:
    """The ``annotate`` command: the CLI, in a process that ends with it."""
    with collector_spared_at_exit():
        app()
