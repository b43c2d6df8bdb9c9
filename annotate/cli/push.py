"""`annotate push`: documents and predictions into a Label Studio project."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from annotate.store import Holder, Store
from annotate.studio.comparisons import DEFAULT_COMPARISONS_PROJECT
from annotate.studio.connection import Credentials, connect, resolve_credentials
from annotate.studio.ml_backend import (
    PASSWORD_ENV,
    USER_ENV,
    auth_from_environment,
    backend_model_version,
    connect_backend,
)
from annotate.studio.order import DISAGREEMENT_TAB, OrderReport, check_order
from annotate.studio.pair_review import (
    DEFAULT_PAIR_REVIEW_PROJECT,
    PAIR_REVIEW_SUFFIX,
    pair_review_title,
)
from annotate.studio.push import DEFAULT_PROJECT, check_title, count_to_push, push
from annotate.studio.push_comparisons import count_pairs_to_push, push_comparisons
from annotate.studio.review import DEFAULT_REVIEW_PROJECT, ReviewPushReport
from annotate.studio.tasks import MAX_REGIONS, Cap
from annotate.workflows.confidence import ranking
from annotate.workflows.review import push_pair_review_of_ties, push_review_of_ties

from .common import DbOption, console, errors, fail, open_store, styled

if TYPE_CHECKING:
    from label_studio_sdk import LabelStudio


ProjectOption = Annotated[
    str | None,
    typer.Option(
        "--project",
        help=f"Label Studio project title, 3 to 50 characters: push creates it if missing "
        f"(default: {DEFAULT_PROJECT!r}, or the comparisons project with --comparisons, "
        "the review project with --review); "
        "pull reads the projects this store pushed to unless given.",
        show_default=False,
    ),
]


def connected() -> tuple[Credentials, LabelStudio]:
    """The configured Label Studio and a client whose key was checked."""
    credentials = resolve_credentials()
    return credentials, connect(credentials)


@contextmanager
def project_lock(store: Store, server: str, title: str, command: str) -> Iterator[None]:
    """Run the block as the only push or pull of project `title` on `server` using this store.

    A second one started meanwhile waits (saying for whom), then finds the work
    done: neither a task nor an annotation is made twice. A holder that died
    is taken over (see `annotate.store.leases`).
    """

    def waiting(owner: Holder, waited: float) -> None:
        errors.print(
            f"waiting for {owner.what} (pid {owner.pid} on {owner.host}) to finish with "
            f"project {title!r} ({waited:.0f} s so far)",
            highlight=False,
            soft_wrap=True,
        )

    with store.job_lock(f"studio {server} {title}", command, on_wait=waiting):
        yield


ComparisonsOption = Annotated[
    bool,
    typer.Option(
        "--comparisons",
        help="Send the last `annotate compare`'s claim pairs to the comparisons project "
        f"(default title {DEFAULT_COMPARISONS_PROJECT!r}) instead of documents.",
    ),
]
SampleOption = Annotated[
    int | None,
    typer.Option(
        "--sample",
        help="With --comparisons: send a sample of N pairs, stratified by the judge's verdict.",
        show_default=False,
    ),
]
SeedOption = Annotated[int, typer.Option("--seed", help="Seed of the --sample.")]
MlBackendOption = Annotated[
    str | None,
    typer.Option(
        "--ml-backend",
        help="Connect the `annotate serve` at this URL to the project as its ML backend, "
        f"titled by its model version (basic auth from ${USER_ENV} and ${PASSWORD_ENV}).",
        show_default=False,
    ),
]
ReviewOption = Annotated[
    bool,
    typer.Option(
        "--review",
        help="Send each document whose annotators split evenly on a field or span (a tie) to "
        f"the review project (default title {DEFAULT_REVIEW_PROJECT!r}), and each claim pair "
        "whose annotators split evenly on the relation or detail to the pairs' review project "
        f"({DEFAULT_PAIR_REVIEW_PROJECT!r}, or --project with {PAIR_REVIEW_SUFFIX!r} after "
        "it), each annotator's answer a read-only prediction, instead of documents.",
        show_default=False,
    ),
]
OrderOption = Annotated[
    str | None,
    typer.Option(
        "--order",
        help="The order Label Studio serves tasks in: uncertainty (lowest score first: the "
        "score is the estimated chance that the prediction needs no correction, so the "
        "documents with the most errors expected come first), disagreement (Sequential "
        f"sampling and a {DISAGREEMENT_TAB!r} Data Manager tab, the documents annotators "
        "disagree on most first) or random. Also brings every task's score and disagreement "
        "columns up to date. Unset: the project's sampling is left as it is.",
        show_default=False,
    ),
]


def push_command(
    project: ProjectOption = None,
    comparisons: ComparisonsOption = False,
    sample: SampleOption = None,
    seed: SeedOption = 0,
    review: ReviewOption = False,
    order: OrderOption = None,
    ml_backend: MlBackendOption = None,
    db: DbOption = None,
) -> None:
    """Create a task per new document with its latest prediction; add newer predictions.

    Pushing again never duplicates a task. When the pushed predictions come from a
    newer model version, the project is switched to it so annotators see them.
    With --comparisons, one task per claim pair of the last comparison, the
    judge's verdict as its prediction (replaced when the verdict changed).
    With --review, one task per document, and one per claim pair, whose ties wait for a
    reviewer.
    """
    if sample is not None and not comparisons:
        raise fail("--sample applies to --comparisons only")
    if review and comparisons:
        raise fail("--review and --comparisons push to different projects: give one")
    if order is not None:
        if comparisons or review:
            raise fail("--order applies to documents, not --comparisons or --review")
        check_order(order)
    if ml_backend is not None and (comparisons or review):
        raise fail("--ml-backend applies to documents, not --comparisons or --review")
    auth = auth_from_environment() if ml_backend is not None else None
    if ml_backend is not None:
        backend_model_version(ml_backend, auth)  # it answers, before anything is pushed
    if project is not None:
        check_title(project)
    if review:
        _push_review(project, db)
        return
    if comparisons:
        _push_comparisons(project or DEFAULT_COMPARISONS_PROJECT, sample, seed, db)
        return
    project = project or DEFAULT_PROJECT
    with open_store(db) as store:  # no store, no need to reach Label Studio
        credentials, client = connected()
        with project_lock(store, credentials.url, project, "annotate push"):
            total = count_to_push(store, credentials.url, project, client)
            ranked = ranking(store)
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
                    ranking=ranked,
                    order=order,
                )
            backend = None
            if ml_backend is not None:
                backend = connect_backend(client, credentials.url, report.project_id,
                                          ml_backend, auth)  # fmt: skip
    verb = "created" if report.created_project else "updated"
    console.print(
        f"project {report.project_id} {verb}: {report.tasks_created} new tasks, "
        f"{report.predictions_created} new predictions"
        + (f", {report.tasks_recovered} tasks recovered" if report.tasks_recovered else ""),
        highlight=False,
    )
    if backend is not None:
        verb = "connected" if backend.created else "reconnected"
        console.print(
            styled(
                "ML backend {} {}: the project shows model version [bold]{}[/] (the "
                "backend's title and model version)",
                ml_backend,
                verb,
                backend.model_version,
            ),
            highlight=False,
            soft_wrap=True,
        )
    elif report.model_version_changed:
        console.print(
            styled(
                "the project now shows predictions of model version [bold]{}[/] (Label "
                "Studio shows annotators only the project's model version)",
                report.model_version,
            ),
            highlight=False,
        )
    warn_capped(report.capped)
    if report.order is not None:
        say_order(report.order, report.project_url)
    console.print(f"annotate at {report.project_url}", highlight=False)


def say_order(order: OrderReport, project_url: str) -> None:
    """What order the project now serves, and what was brought up to date for it."""
    console.print(
        f"tasks are served by {order.sampling} (--order {order.order}); "
        f"{order.tasks_updated} tasks' score/disagreement columns and "
        f"{order.predictions_rescored} prediction scores updated",
        highlight=False,
    )
    if order.tab_id is not None:
        console.print(
            f"reviewers: the Data Manager tab {DISAGREEMENT_TAB!r}, "
            f"{project_url}?tab={order.tab_id}, lists the most disagreed documents first",
            highlight=False,
        )


def warn_capped(caps: list[Cap], shown: int = 5) -> None:
    """Say which tasks carry only the first regions of their prediction, and why."""
    if not caps:
        return
    errors.print(
        f"warning: {len(caps)} task(s) carry only the first {MAX_REGIONS:,} predicted regions "
        "of their document (more than annotators can review in Label Studio's editor; the "
        "whole prediction stays in the store, see `annotate show DOC`):",
        highlight=False,
        soft_wrap=True,
    )
    for cap in caps[:shown]:
        errors.print(
            f"  {cap.document_id}: {cap.kept:,} of {cap.regions:,} regions, those ending "
            f"before character {cap.until:,}",
            highlight=False,
            soft_wrap=True,
        )
    if len(caps) > shown:
        errors.print(f"  and {len(caps) - shown} more", highlight=False)


def _push_comparisons(title: str, sample: int | None, seed: int, db: Path | None) -> None:
    with open_store(db) as store:
        credentials, client = connected()
        with (
            project_lock(store, credentials.url, title, "annotate push --comparisons"),
            Progress(
                TextColumn("[bold]pushing pairs"),
                BarColumn(),
                MofNCompleteColumn(),
                console=console,
            ) as progress,
        ):
            bar = progress.add_task("push", total=count_pairs_to_push(store, sample))
            report = push_comparisons(
                store, client, credentials.url, title, sample=sample, seed=seed,
                on_progress=lambda n: progress.advance(bar, n),
            )  # fmt: skip
    verb = "created" if report.created_project else "updated"
    console.print(
        f"comparisons project {report.project_id} {verb}: {report.pairs} pairs of comparison "
        f"{report.comparison_id}" + (" (sample)" if sample is not None else "") + ", "
        f"{report.tasks_created} new tasks, {report.predictions_replaced} predictions replaced"
        + (f", {report.tasks_recovered} tasks recovered" if report.tasks_recovered else ""),
        highlight=False,
    )
    console.print(f"verify at {report.project_url}", highlight=False)


def _push_review(project: str | None, db: Path | None) -> None:
    """The documents' ties to `project` (or the default review project); the claim pairs'
    tied verdicts, when any pair was answered, to the project beside it (of its own: its
    labeling config is the pairs')."""
    command = "annotate push --review"
    title = project or DEFAULT_REVIEW_PROJECT
    with open_store(db) as store:
        answered = store.verification.has_pulled()
        pairs_title = pair_review_title(project) if answered else None  # checked before a call
        credentials, client = connected()
        with project_lock(store, credentials.url, title, command):
            report = push_review_of_ties(store, client, credentials.url, title)
        pairs = None
        if pairs_title is not None:
            with project_lock(store, credentials.url, pairs_title, command):
                pairs = push_pair_review_of_ties(store, client, credentials.url, pairs_title)
    _say_review(report, "review project", "documents")
    if pairs is not None:
        _say_review(pairs, "pairs' review project", "claim pairs")


def _say_review(report: ReviewPushReport, project: str, what: str) -> None:
    verb = "created" if report.created_project else "updated"
    console.print(
        f"{project} {report.project_id} {verb}: {report.tasks_created} new tasks "
        f"({what} whose ties wait for a reviewer)"
        + (f", {report.tasks_recovered} tasks recovered" if report.tasks_recovered else ""),
        highlight=False,
    )
    console.print(f"review at {report.project_url}", highlight=False)


def register(app: typer.Typer) -> None:
    app.command("push")(push_command)
