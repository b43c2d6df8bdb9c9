"""`annotate pull`: every annotator's annotations back into the store."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from annotate.store import Store
from annotate.studio.annotations import AnnotationKind
from annotate.studio.comparisons import VerdictKind
from annotate.studio.kind import TaskKind
from annotate.studio.pair_review import PAIR_REVIEW_SUFFIX, PairReviewKind
from annotate.studio.pull import PullReport, pull, pushed_titles
from annotate.studio.push import check_title
from annotate.studio.review import ReviewKind

from .common import DbOption, console, errors, fail, open_store, styled
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
    review: Annotated[
        bool,
        typer.Option(
            "--review",
            help="Pull the reviewers' answers of the review projects (see `annotate push "
            "--review`): each settles its document's ties at the next gold pass, or its "
            "claim pair's tied verdict at the next verification pass.",
        ),
    ] = False,
    db: DbOption = None,
) -> None:
    """Fetch all annotations (every annotator) of the projects this store pushed to, or of
    --project, convert and store them.

    Pulling twice stores nothing twice. Annotations that do not convert to the
    schema are kept raw and listed by task and annotator; the exit status is then 1.
    With --comparisons, every annotator's verdicts on the claim pairs; with --review,
    the reviewers' answers on documents' and claim pairs' ties.
    """
    if comparisons and review:
        raise fail("--review and --comparisons pull different projects: give one")
    if project is not None:
        check_title(project)
    command = "annotate pull" + (" --comparisons" if comparisons else " --review" if review else "")
    failed = False
    with open_store(db) as store:  # no store, no need to reach Label Studio
        kind: TaskKind[Any] = (
            VerdictKind(store) if comparisons else ReviewKind(store) if review
            else AnnotationKind(store)
        )  # fmt: skip
        credentials, client = connected()
        if review:
            pulls = _review_pulls(store, client, credentials.url, project)
        else:
            titles = [project] if project else pushed_titles(kind, client, credentials.url)
            pulls = [(kind, title) for title in titles]
        for each, title in pulls:
            with project_lock(store, credentials.url, title, command):
                report = pull(each, client, credentials.url, title)
            failed |= _said(report, title, each.name)
    if failed:
        raise typer.Exit(1)


def _review_pulls(
    store: Store, client: Any, server: str, project: str | None
) -> list[tuple[TaskKind[Any], str]]:
    """The review projects `pull --review` reads: the documents' (--project, or those this
    store sent documents to) and the claim pairs' (the one beside --project when this store
    sent pairs to it, or all those it sent pairs to); an error when the store sent neither."""
    documents, pairs = ReviewKind(store), PairReviewKind(store)
    if project is not None:
        title = project + PAIR_REVIEW_SUFFIX
        pushed = pushed_titles(pairs, client, server) if pairs.projects(server) else []
        return [(documents, project), *([(pairs, title)] if title in pushed else [])]
    kinds: list[TaskKind[Any]] = [k for k in (documents, pairs) if k.projects(server)]
    kinds = kinds or [documents]  # neither: the documents' kind's error says what to run
    return [(kind, title) for kind in kinds for title in pushed_titles(kind, client, server)]


def _said(report: PullReport, title: str, what: str) -> bool:
    """Say what was pulled from one project; True when something went wrong."""
    if report.only_foreign:
        errors.print(
            styled(
                "[red]project {} holds none of this store's documents[/] ({} tasks of "
                "another store): check --project and --db",
                repr(title),
                report.tasks,
            ),
            highlight=False,
            soft_wrap=True,
        )
        return True
    console.print(
        f"{title}: {report.annotations} {what} by {len(report.annotators)} annotators "
        f"({report.new} new, {report.updated} updated, {report.unchanged} unchanged, "
        f"{report.skipped} skips)",
        highlight=False,
    )
    for problem in report.problems:
        errors.print(
            styled(
                "[red]invalid[/] task {} ({}) by {}: {}",
                problem.task_id,
                problem.document_id,
                problem.annotator,
                problem.reason,
            ),
            highlight=False,
        )
    return bool(report.problems)


def register(app: typer.Typer) -> None:
    app.command("pull")(pull_command)
