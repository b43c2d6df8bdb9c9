"""Push documents and their latest predictions to a Label Studio project.

Idempotent by construction: the store records the task id of every document and
the id of every prediction pushed to each project on each server, so pushing
again sends only what is new, and never creates a second task for a document.
If a push was killed between Label Studio's import and the store's record, the
next push finds the project holding more tasks than the store knows and
re-reads their ``doc_id`` before importing anything.

Label Studio shows annotators only the predictions whose ``model_version``
matches the project's, so after pushing predictions of a newer model version
the project is switched to it and the report says so.

A request carries at most `CHUNK` tasks, `BATCH_RESULTS` predicted results and
`BATCH_CHARS` code points of text (one bigger task goes alone), and may take a
time that grows with what it carries: Label Studio checks and stores each
result, and refuses a body over 250 MiB. A prediction with more regions than
an annotator can review is cut to its first `tasks.MAX_REGIONS`, and the
report lists each one cut.

Every kind of task is pushed by one path (issue 19): `open_project` makes or finds
the project with the kind's labeling config and adopts what an interrupted push
made, `import_new` sends the kind's new tasks in batches and has the kind record
them. The documents' kind is `DocumentTasks`; claim pairs' is in `push_comparisons`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from annotate.errors import InputError, StudioError
from annotate.store import Document, Prediction, Store

from .annotations import AnnotationKind
from .connection import studio_errors
from .kind import PushItem, PushKind, unrecorded_tasks
from .labelconfig import labeling_config
from .order import OrderReport, Ranking, apply_order
from .tasks import Cap, capped_prediction, capped_task

if TYPE_CHECKING:
    from label_studio_sdk import LabelStudio

#: Tasks (with their predictions) sent in one import request, at most.
CHUNK = 500
#: Predicted results (regions, their choices and texts, relations) in one request, at most:
#: Label Studio 1.23 imports about 11,000 a second here (500 seed-sized tasks of about 170
#: results each in 8 s), so a request takes seconds.
BATCH_RESULTS = 100_000
#: Code points of task text in one request, at most (Label Studio refuses bodies over 250 MiB;
#: a code point is at most 6 bytes of escaped JSON).
BATCH_CHARS = 20_000_000
#: Seconds a request may take: a floor, plus its results at a tenth of the rate measured
#: here (a slower or busier server) and its text at about 1 MB/s (a slow link).
TIMEOUT_S = 120.0
RESULTS_PER_S = 1_000
CHARS_PER_S = 200_000
DEFAULT_PROJECT = "annotate: news claims, actors and stance"
#: Label Studio's limits on a project's title (``PROJECT_TITLE_MIN_LEN``/``MAX_LEN`` in
#: its settings): a longer title is refused by its API after the work was prepared.
TITLE_CHARS = (3, 50)


def check_title(title: str, option: str = "--project") -> str:
    """`title` when Label Studio accepts it; else an error naming `option`, before any call."""
    low, high = TITLE_CHARS
    if not low <= len(title) <= high:
        raise InputError(
            f"{option} {title!r} has {len(title)} characters; Label Studio takes project "
            f"titles of {low} to {high}: give a {'shorter' if len(title) > high else 'longer'} "
            f"{option}"
        )
    return title

Progress = Callable[[int], None]


@dataclass
class PushReport:
    project_id: int
    project_url: str
    created_project: bool
    tasks_created: int
    predictions_created: int
    tasks_recovered: int
    model_version: str | None
    model_version_changed: bool
    #: Predictions cut to their first regions (see `tasks.capped`).
    capped: list[Cap] = field(default_factory=list)
    #: The order set with --order (see `order.apply_order`).
    order: OrderReport | None = None


def find_project(client: LabelStudio, title: str) -> Any | None:
    """The project called `title`, or None; an error if several share the title."""
    projects: Iterable[Any] = client.projects.list()
    matches = [p for p in projects if p.title == title]
    if len(matches) > 1:
        ids = ", ".join(str(i) for i in sorted(p.id for p in matches))
        raise StudioError(
            f"several Label Studio projects are titled {title!r} (ids {ids}): rename all but one"
        )
    return matches[0] if matches else None


def ensure_project(
    client: LabelStudio, title: str, config: str | None = None
) -> tuple[Any, bool]:
    """The project, created with the generated labeling config (or `config`) when missing."""
    project = find_project(client, title)
    config = config or labeling_config()
    if project is None:
        return client.projects.create(title=title, label_config=config), True
    if (project.label_config or "").strip() != config.strip():
        client.projects.update(id=project.id, label_config=config)
    return project, False


@studio_errors
def push(
    store: Store,
    client: LabelStudio,
    server: str,
    title: str = DEFAULT_PROJECT,
    *,
    chunk: int = CHUNK,
    on_progress: Progress | None = None,
    ranking: Ranking | None = None,
    order: str | None = None,
) -> PushReport:
    """Create tasks for new documents and add predictions not pushed yet.

    What is sent carries the scores and columns of `ranking`; with `order`, the
    project serves its tasks in that order and its older tasks are brought up to date.
    """
    ranking = ranking or Ranking()
    kind = DocumentTasks(store)
    project, created, recovered = open_project(kind, client, server, title)
    tasks_created = predictions_created = 0
    caps: list[Cap] = []
    pending = store.tasks.iter_untasked(server, project.id)
    untasked = (
        _Task(d, p, *capped_task(d, p, score=ranking.score(d.id), columns=ranking.columns(d.id)))
        for d, p in pending
    )
    for batch in import_new(kind, client, server, project.id, untasked, chunk, on_progress):
        predictions_created += sum(item.prediction is not None for item in batch)
        tasks_created += len(batch)
        caps.extend(item.cap for item in batch if item.cap is not None)
    unpushed = (_Prediction(t, p, *capped_prediction(p, score=ranking.score(p.document_id)))
                for t, p in store.tasks.iter_unpushed(server, project.id))  # fmt: skip
    for predictions in _batches(unpushed, chunk):
        predictions_created += _import_predictions(store, client, server, project.id, predictions)
        caps.extend(item.cap for item in predictions if item.cap is not None)
        if on_progress:
            on_progress(len(predictions))
    latest = store.tasks.latest_pushed_model_version(server, project.id)
    changed = latest is not None and latest != (project.model_version or None)
    if changed:
        client.projects.update(id=project.id, model_version=latest)
    ordered = None
    if order is not None:
        recorded = store.tasks.of_project(server, project.id)
        ordered = apply_order(client, project.id, order, ranking, recorded)
    return PushReport(
        project_id=project.id,
        project_url=f"{server}/projects/{project.id}/data",
        created_project=created,
        tasks_created=tasks_created,
        predictions_created=predictions_created,
        tasks_recovered=recovered,
        model_version=latest,
        model_version_changed=changed,
        capped=caps,
        order=ordered,
    )


def open_project(
    kind: PushKind[Any], client: LabelStudio, server: str, title: str
) -> tuple[Any, bool, int]:
    """The kind's project (made with its labeling config when missing), whether it was made
    now, and how many tasks an interrupted push had made that are now recorded."""
    project, created = ensure_project(client, title, kind.label_config())
    found = list(unrecorded_tasks(kind, client, server, project.id))
    kind.adopt(server, project.id, found)
    return project, created, len(found)


def import_new(
    kind: PushKind[Any],
    client: LabelStudio,
    server: str,
    project_id: int,
    items: Iterator[PushItem],
    chunk: int = CHUNK,
    on_progress: Progress | None = None,
) -> Iterator[list[Any]]:
    """Send `items` as new tasks in batches, each recorded by the kind at once; yields them."""
    for batch in _batches(items, chunk):
        results, chars = (sum(sizes) for sizes in zip(*(item.size for item in batch), strict=True))
        task_ids = import_tasks(client, project_id, [item.payload for item in batch],
                                kind.subjects, kind.push_command,
                                timeout=timeout_for(results, chars))  # fmt: skip
        kind.record(server, project_id, batch, task_ids)
        if on_progress:
            on_progress(len(batch))
        yield batch


@studio_errors
def count_to_push(store: Store, server: str, title: str, client: LabelStudio) -> int:
    """Documents and predictions a push would send (for the progress bar)."""
    project = find_project(client, title)
    if project is None:
        return store.documents.count()
    return store.tasks.count_untasked(server, project.id) + store.tasks.count_unpushed(
        server, project.id
    )


# --------------------------------------------------------------------------


@dataclass
class _Task:
    """A document, its latest prediction, and the task made of them."""

    document: Document
    prediction: Prediction | None
    payload: dict[str, Any]
    cap: Cap | None

    @property
    def size(self) -> tuple[int, int]:
        return _results(self.payload.get("predictions") or []), len(self.document.text)


@dataclass
class _Prediction:
    """A prediction for a task already in Label Studio, as sent."""

    task_id: int
    prediction: Prediction
    payload: dict[str, Any]
    cap: Cap | None

    @property
    def size(self) -> tuple[int, int]:
        return _results([self.payload]), 0


def _results(predictions: list[dict[str, Any]]) -> int:
    return sum(len(p.get("result") or []) for p in predictions)


def _batches(items: Iterator[Any], size: int) -> Iterator[list[Any]]:
    """Batches of at most `size` items, `BATCH_RESULTS` results and `BATCH_CHARS` of text.

    An item is anything with a ``size`` of (results, text code points); one
    bigger than a budget goes alone.
    """
    batch: list[Any] = []
    results = chars = 0
    for item in items:
        more_results, more_chars = item.size
        if batch and (results + more_results > BATCH_RESULTS or chars + more_chars > BATCH_CHARS):
            yield batch
            batch, results, chars = [], 0, 0
        batch.append(item)
        results, chars = results + more_results, chars + more_chars
        if len(batch) == size:
            yield batch
            batch, results, chars = [], 0, 0
    if batch:
        yield batch


def timeout_for(results: int, chars: int) -> float:
    """Seconds to wait for Label Studio to import `results` results and `chars` of text."""
    return TIMEOUT_S + results / RESULTS_PER_S + chars / CHARS_PER_S


def import_tasks(
    client: LabelStudio,
    project_id: int,
    tasks: list[dict[str, Any]],
    what: str,
    command: str,
    timeout: float = TIMEOUT_S,
) -> list[int]:
    """Import `tasks` in one request; Label Studio's ids of the tasks made, in order.

    A count that does not match means an import went wrong half way: `command`
    run again adopts what was made.
    """
    response = client.projects.import_tasks(
        id=project_id,
        request=cast(Any, tasks),
        return_task_ids=True,
        commit_to_project=True,
        request_options={"timeout_in_seconds": round(timeout)},
    )
    # Not in the SDK's response model, but sent by the server when asked for.
    task_ids = [int(t) for t in getattr(response, "task_ids", None) or []]
    if len(task_ids) != len(tasks):
        raise StudioError(
            f"Label Studio created {len(task_ids)} tasks for {len(tasks)} {what}; "
            f"run `{command}` again to reconcile"
        )
    return task_ids


def _import_predictions(
    store: Store,
    client: LabelStudio,
    server: str,
    project_id: int,
    batch: list[_Prediction],
) -> int:
    payloads = [{"task": item.task_id, **item.payload} for item in batch]
    timeout = timeout_for(sum(item.size[0] for item in batch), 0)
    client.projects.import_predictions(
        id=project_id,
        request=cast(Any, payloads),
        request_options={"timeout_in_seconds": round(timeout)},
    )
    store.tasks.record_pushed(
        server,
        project_id,
        [(item.prediction.id, item.task_id, item.prediction.model_version) for item in batch],
    )
    return len(batch)


class DocumentTasks(AnnotationKind):
    """Documents pushed as tasks: the `PushKind` of `push` (a `_Task` per document)."""

    subjects = "documents"

    def label_config(self) -> str:
        return labeling_config()

    def record(self, server: str, project_id: int, batch: list[Any], task_ids: list[int]) -> None:
        """Record the task ids, and the predictions the tasks carried."""
        items = cast(list[_Task], batch)
        pairs = list(zip(items, task_ids, strict=True))
        documents = {item.document.id: task for item, task in pairs}
        self.store.tasks.record(server, project_id, documents)
        carried = [(item.prediction.id, task, item.prediction.model_version)
                   for item, task in pairs if item.prediction is not None]  # fmt: skip
        self.store.tasks.record_pushed(server, project_id, carried)

    def adopt(self, server: str, project_id: int, found: list[tuple[Any, str]]) -> None:
        """Adopt tasks an interrupted push made (matched by doc_id), with their predictions.

        The predictions such a task was imported with are adopted too (the document's
        latest prediction, when the task holds one of its model version), so that
        they are not sent a second time.
        """
        carried = [c for task, doc_id in found
                   for c in _carried_prediction(self.store, str(doc_id), task)]  # fmt: skip
        self.store.tasks.record(server, project_id, {str(d): int(t.id) for t, d in found})
        self.store.tasks.record_pushed(server, project_id, carried)


def _carried_prediction(store: Store, doc_id: str, task: Any) -> list[tuple[int, int, str]]:
    """(prediction id, task id, model version) of the latest prediction the task holds."""
    shown = {_model_version(p) for p in task.predictions or []}
    latest = store.predictions.latest(doc_id)
    if latest is None or latest.model_version not in shown:
        return []
    return [(latest.id, int(task.id), latest.model_version)]


def _model_version(prediction: Any) -> str | None:
    if isinstance(prediction, dict):
        return prediction.get("model_version")
    return getattr(prediction, "model_version", None)
