"""`annotate push`: documents and predictions into a Label Studio project."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from annotate.studio.connection import Credentials, connect, resolve_credentials
from annotate.studio.push import DEFAULT_PROJECT, count_to_push, push

from .common import DbOption, console, open_store

if TYPE_CHECKING:
    from label_studio_sdk import LabelStudio


ProjectOption = Annotated[
    str, typer.Option("--project", help="Label Studio project title (created if missing).")
]


def connected() -> tuple[Credentials, LabelStudio]:
    """The configured Label Studio and a client whose key was checked."""
    credentials = resolve_credentials()
    return credentials, connect(credentials)


def push_command(project: ProjectOption = DEFAULT_PROJECT, db: DbOption = None) -> None:
    """Create a task per new document with its latest prediction; add newer predictions.

    Pushing again never duplicates a task. When the pushed predictions come from a
    newer model version, the project is switched to it so annotators see them.
    """
    credentials, client = connected()
    with open_store(db) as store:
        total = count_to_push(store, credentials.url, project, client)
        with Progress(
            TextColumn("[bold]pushing"), BarColumn(), MofNCompleteColumn(), console=console
        ) as progress:
            bar = progress.add_task("push", total=total)
            report = push(
                store,
                client,
                credentials.url,
                project,
                on_progress=lambda n: progress.advance(bar, n),
            )
    verb = "created" if report.created_project else "updated"
    console.print(
        f"project {report.project_id} {verb}: {report.tasks_created} new tasks, "
        f"{report.predictions_created} new predictions"
        + (f", {report.tasks_recovered} tasks recovered" if report.tasks_recovered else ""),
        highlight=False,
    )
    if report.model_version_changed:
        console.print(
            f"the project now shows predictions of model version [bold]{report.model_version}[/]"
            " (Label Studio shows annotators only the project's model version)",
            highlight=False,
        )
    console.print(f"annotate at {report.project_url}", highlight=False)


def register(app: typer.Typer) -> None:
    app.command("push")(push_command)
