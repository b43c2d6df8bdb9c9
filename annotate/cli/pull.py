"""`annotate pull`: every annotator's annotations back into the store."""

from __future__ import annotations

from typing import Annotated

import typer

from annotate.studio.comparisons import DEFAULT_COMPARISONS_PROJECT, pull_comparisons
from annotate.studio.pull import pull
from annotate.studio.push import DEFAULT_PROJECT

from .common import DbOption, console, errors, open_store
from .push import ProjectOption, connected, project_lock


def pull_command(
    project: ProjectOption = None,
    comparisons: Annotated[
        bool,
        typer.Option(
            "--comparisons",
            help="Pull the verdicts of the comparisons project (see `annotate push "
            "--comparisons`) instead of the documents' annotations.",
        ),
    ] = False,
    db: DbOption = None,
) -> None:
    """Fetch all annotations of the project (every annotator), convert and store them.

    Pulling twice stores nothing twice. Annotations that do not convert to the
    schema are kept raw and listed by task and annotator; the exit status is then 1.
    With --comparisons, every annotator's verdicts on the claim pairs.
    """
    title = project or (DEFAULT_COMPARISONS_PROJECT if comparisons else DEFAULT_PROJECT)
    command = "annotate pull --comparisons" if comparisons else "annotate pull"
    with open_store(db) as store:  # no store, no need to reach Label Studio
        credentials, client = connected()
        with project_lock(store, credentials.url, title, command):
            if comparisons:
                report = pull_comparisons(store, client, credentials.url, title)
            else:
                report = pull(store, client, credentials.url, title)
    what = "verdicts" if comparisons else "annotations"
    console.print(
        f"{report.annotations} {what} by {len(report.annotators)} annotators "
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
