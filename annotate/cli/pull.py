"""`annotate pull`: every annotator's annotations back into the store."""

from __future__ import annotations

import typer

from annotate.studio.pull import pull
from annotate.studio.push import DEFAULT_PROJECT

from .common import DbOption, console, errors, open_store
from .push import ProjectOption, connected


def pull_command(project: ProjectOption = DEFAULT_PROJECT, db: DbOption = None) -> None:
    """Fetch all annotations of the project (every annotator), convert and store them.

    Pulling twice stores nothing twice. Annotations that do not convert to the
    schema are kept raw and listed by task and annotator; the exit status is then 1.
    """
    credentials, client = connected()
    with open_store(db) as store:
        report = pull(store, client, credentials.url, project)
    console.print(
        f"{report.annotations} annotations by {len(report.annotators)} annotators "
        f"({report.new} new, {report.updated} updated, {report.unchanged} unchanged, "
        f"{report.skipped} skips)",
        highlight=False,
    )
    for problem in report.problems:
        errors.print(
            f"[red]invalid[/] task {problem.task_id} ({problem.document_id}) by "
            f"{problem.annotator}: {problem.reason}",
            highlight=False,
        )
    if report.problems:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("pull")(pull_command)
