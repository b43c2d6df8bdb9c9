"""A kind of Label Studio task (issue 19: verification as a kind of task).

A document to annotate and a claim pair to give a verdict on are two kinds of task:
the same round trip (push tasks, pull every annotator's answers, adjudicate), each
with its own subject, codec and repository. `TaskKind` is what the round trip asks
of a kind; `studio.annotations.AnnotationKind` and `studio.comparisons.VerdictKind`
are the two there are. A kind pushed to Label Studio (`PushKind`) also brings its
labeling config, the tasks it sends (`PushItem`: a task's payload and size) and how
the store records them; `push.open_project` and `push.import_new` are the one path
every push takes.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

if TYPE_CHECKING:
    from label_studio_sdk import LabelStudio

Subject = TypeVar("Subject")


class TaskKind(Protocol[Subject]):
    """A kind of Label Studio task: what its tasks are about, its codec, its repository.

    `Subject` is what one task is about (a document's id, a claim pair).
    """

    #: what its answers are called in reports ("annotations", "verdicts")
    name: str
    #: the command that makes its projects, named when there are none
    push_command: str

    def projects(self, server: str) -> list[int]:
        """The projects on `server` this store made tasks of this kind in."""
        ...

    def recorded(self, server: str, project_id: int) -> dict[int, Subject]:
        """Task id -> what the task is about, as the store recorded it at push."""
        ...

    def subject_in(self, data: dict[str, Any]) -> Subject | None:
        """What a task the store did not record is about, from its data (None: it names none)."""
        ...

    def foreign(self, subject: Subject | None) -> bool:
        """Is a task the store did not record about something this store does not hold?"""
        ...

    def label(self, subject: Subject | None) -> str | None:
        """How a problem names the task's subject."""
        ...

    def convert(
        self, subject: Subject | None, result: list[dict[str, Any]], skipped: bool
    ) -> tuple[str | None, str | None]:
        """An answer's payload as JSON through the kind's codec, or why it did not convert."""
        ...

    def keep(self, row: dict[str, Any], subject: Subject | None, payload: str | None) -> str | None:
        """Keep one answer (the shared fields in `row`) in the kind's repository.

        Returns the store's outcome ('new', 'updated', 'unchanged'), or None when an
        answer about this subject cannot be kept (its problem is then only reported).
        """
        ...

    def finish(self) -> None:
        """What the kind does once a project is pulled."""
        ...


class PushItem(Protocol):
    """One task to send: its payload (data and predictions) and its size for batching."""

    payload: dict[str, Any]

    @property
    def size(self) -> tuple[int, int]:
        """(predicted results, code points of text) it carries."""
        ...


class PushKind(TaskKind[Subject], Protocol[Subject]):
    """A kind of task a push sends: its labeling config, how its tasks are recorded."""

    #: what its tasks are about, in messages ("documents", "pairs")
    subjects: str

    def label_config(self) -> str:
        """The labeling config of the kind's projects."""
        ...

    def record(self, server: str, project_id: int, batch: list[Any], task_ids: list[int]) -> None:
        """Record the tasks Label Studio made of `batch` (`PushItem`s), in order."""
        ...

    def adopt(self, server: str, project_id: int, found: list[tuple[Any, Subject]]) -> None:
        """Record tasks an interrupted push made (Label Studio's task, its subject)."""
        ...


def unrecorded_tasks(
    kind: TaskKind[Subject], client: LabelStudio, server: str, project_id: int
) -> Iterator[tuple[Any, Subject]]:
    """Tasks an interrupted push made but did not record, with what their data says they are about.

    Read only when the project holds more tasks than the store recorded; a task whose
    subject is recorded already (under another task) is not one of them.
    """
    known = kind.recorded(server, project_id)
    project = client.projects.get(id=project_id)
    if (project.task_number or 0) <= len(known):
        return
    subjects = set(known.values())
    tasks: Iterable[Any] = client.tasks.list(project=project_id, fields="all")
    for task in tasks:
        subject = kind.subject_in(task.data or {})
        if subject and subject not in subjects and task.id is not None:
            yield task, subject
