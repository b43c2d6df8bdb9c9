"""The review of ties, a third kind of task (issue 21): a reviewer settles what annotators split on.

A document whose annotators split evenly on a field or a span has no gold yet (the
gold pass lists its `ties` and keeps it out of the gold). `push_review` sends each
such document to a review project: the document's text, the tied items listed
above it, and each annotator's answer as a read-only prediction named for them
(``A: NAME``, ``B: NAME``: `answer_names`), side by side in Label Studio's predictions panel. The
reviewer submits one annotation (starting from either answer or from scratch);
`pull.pull(ReviewKind(store), ...)` keeps it in ``store.reviews``, converted by the
documents' codec, and the next gold pass takes it as the document's gold (method
``review``). Push and pull are the ones every kind takes (`push.open_project`,
`push.import_new`, `pull.pull`); what differs is said here.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from annotate.codec import prediction_payload
from annotate.schemas import Annotation
from annotate.store import PulledAnnotation, Store

from .annotations import AnnotationKind
from .connection import studio_errors
from .labelconfig import labeling_config
from .push import import_new, open_project
from .tasks import task_data

if TYPE_CHECKING:
    from label_studio_sdk import LabelStudio

#: The review project's default title (Label Studio takes 3 to 50 characters).
DEFAULT_REVIEW_PROJECT = "annotate: review of ties"
#: The longest name Label Studio's tab of an annotation shows whole: a longer one shows as
#: its first 8 and last 6 characters (``annotato....local``), so the distinguishing part
#: of a prediction's name must come first (seen in headless Chromium:
#: tests/test_review_browser.py).
TAB_NAME_CHARS = 15


def answer_names(annotators: Iterable[str]) -> dict[str, str]:
    """Each annotator's prediction name in a review task: a letter, then the annotator
    (``A: ann@lab.org``). Named ``annotator: NAME``, every answer's tab read
    ``annotato....local`` and a reviewer could not tell them apart; the letter, in the
    first characters the tab keeps, tells them apart whatever the names."""
    return {who: f"{_letter(i)}: {who}" for i, who in enumerate(sorted(annotators))}


def with_header(config: str, text: str) -> str:
    """`config` with a header saying what the annotators split on above everything else:
    the reviewer reads it first, on the first screen."""
    return config.replace("<View>", f'<View>\n  <Header value="{text}" size="5" />', 1)


def _letter(index: int) -> str:
    return chr(ord("A") + index) if index < 26 else str(index + 1)


class ReviewKind(AnnotationKind):
    """Review tasks, as `kind.TaskKind`: a document per task, a reviewer's `Annotation` per
    answer (converted as the documents' are), kept in ``store.reviews``."""

    name = "reviews"
    push_command = "annotate push --review"

    def projects(self, server: str) -> list[int]:
        return self.store.reviews.projects(server)

    def recorded(self, server: str, project_id: int) -> dict[int, str]:
        tasks = self.store.reviews.of_project(server, project_id)
        return {task: doc for doc, task in tasks.items()}

    def keep(self, row: dict[str, Any], subject: str | None, payload: str | None) -> str:
        pulled = PulledAnnotation(**row, document_id=subject, annotation=payload)
        return self.store.reviews.upsert(pulled)

    def finish(self) -> None:
        pass  # a review is read once, by the gold pass: no regions kept


@dataclass
class _ReviewTask:
    """A document whose ties wait for a reviewer, and the task made of it."""

    document_id: str
    ties: list[str]
    payload: dict[str, Any]

    @property
    def size(self) -> tuple[int, int]:
        results = sum(len(p["result"]) for p in self.payload["predictions"])
        return results, len(self.payload["data"]["text"])


class ReviewTasks(ReviewKind):
    """Documents sent for a review of their ties: the `PushKind` of `push_review`."""

    subjects = "documents"

    def label_config(self) -> str:
        """The documents' config, with the tied items listed above the text."""
        return with_header(labeling_config(), "Annotators split evenly on: $ties")

    def item(self, document_id: str, ties: list[str]) -> _ReviewTask:
        """The task: the document, its ties, each annotator's answer as a prediction."""
        (rows,) = self.store.annotations.annotated([document_id])
        data = {**task_data(rows.document), "ties": "; ".join(ties)}
        names = answer_names(rows.annotations)
        answers = [prediction_payload(Annotation.model_validate_json(raw), names[who], 0.0)
                   for who, raw in sorted(rows.annotations.items())]  # fmt: skip
        return _ReviewTask(document_id, ties, {"data": data, "predictions": answers})

    def record(self, server: str, project_id: int, batch: list[Any], task_ids: list[int]) -> None:
        items = cast(list[_ReviewTask], batch)
        self.store.reviews.record(server, project_id, {
            item.document_id: (task, item.ties) for item, task in zip(items, task_ids, strict=True)
        })  # fmt: skip

    def adopt(self, server: str, project_id: int, found: list[tuple[Any, str]]) -> None:
        """Adopt review tasks an interrupted push made (matched by doc_id), with the ties
        the kept gold lists."""
        tasks = {}
        for task, doc in found:
            gold = self.store.gold.of(str(doc))
            tasks[str(doc)] = (int(task.id), [] if gold is None else gold.ties)
        self.store.reviews.record(server, project_id, tasks)


@dataclass
class ReviewPushReport:
    project_id: int
    project_url: str
    created_project: bool
    tasks_created: int
    tasks_recovered: int


@studio_errors
def push_review(
    store: Store, client: LabelStudio, server: str, title: str = DEFAULT_REVIEW_PROJECT
) -> ReviewPushReport:
    """A review task per document whose kept gold waits on a tie and has none in the project.

    Reads the gold the last gold pass kept (`annotate agreement`, `export`, or the
    workflow `workflows.review.push_review_of_ties`, which makes it first).
    """
    kind = ReviewTasks(store)
    project, created, recovered = open_project(kind, client, server, title)
    waiting: Iterator[_ReviewTask] = (
        kind.item(doc, ties) for doc, ties in store.reviews.unsent(server, project.id)
    )
    made = sum(len(batch) for batch in import_new(kind, client, server, project.id, waiting))
    return ReviewPushReport(project.id, f"{server}/projects/{project.id}/data", created, made,
                            recovered)  # fmt: skip
