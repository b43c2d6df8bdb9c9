"""`annotate tasks`: write a Label Studio import file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from annotate.studio.labelconfig import labeling_config
from annotate.studio.tasks import Cap, write_tasks
from annotate.workflows.confidence import ranking

from .common import DbOption, console, open_store
from .push import warn_capped


def tasks(
    out: Annotated[Path, typer.Option("--out", help="Where to write the JSON task list.")],
    config_out: Annotated[
        Path | None,
        typer.Option(help="Also write the matching Label Studio labeling config (XML) here."),
    ] = None,
    db: DbOption = None,
) -> None:
    """Write every document as a Label Studio task with its latest prediction.

    Import the file in the Label Studio UI (Import dialog) into a project whose
    labeling config is `--config-out`'s XML. Span offsets are Python code points.
    Each prediction's score, also the task's `score` column, is the one `push` sends.
    """
    caps: list[Cap] = []
    with open_store(db) as store:
        count = write_tasks(store, out, caps, ranking(store))
    console.print(f"wrote {count} tasks to {out}")
    warn_capped(caps)
    if config_out is not None:
        config_out.write_text(labeling_config(), encoding="utf-8")
        console.print(f"wrote the labeling config to {config_out}")


def register(app: typer.Typer) -> None:
    app.command()(tasks)
