"""The `annotate` command line: a thin layer over the library, one module per stage."""

from __future__ import annotations

import typer

from . import agreement, export, ingest, preannotate, pull, push, runs, show, studio, tasks

app = typer.Typer(
    help="LLM-assisted annotation of news: claims, actors and stance, reviewed in Label Studio.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
for module in (ingest, preannotate, tasks, runs, show, studio, push, pull, agreement, export):
    module.register(app)


def main() -> None:
    app()
