"""Pull every annotator's answers from a Label Studio project into the store, for any kind of task.

Reads tasks through the tasks API with all fields (the JSON_MIN export drops
relations and region ids), one row per answer with its annotator, times, lead
time and whether it was a skip. What differs between a document's annotation and
a claim pair's verdict is the kind of task (`TaskKind`, issue 19): what a task is
about, how its codec converts an answer, which repository keeps it. The loop is
written once here. An answer that does not convert is kept raw with the reason
and reported by task and annotator, never dropped. Pulling twice stores nothing
twice: rows are keyed by the annotation's id and only replaced when Label Studio
says it was edited.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from annotate.errors import InputError, StudioError

from .connection import studio_errors
from .kind import TaskKind
from .push import find_project

if TYPE_CHECKING:
    from label_studio_sdk import LabelStudio


@dataclass
class PullProblem:
    task_id: int
    #: the task's subject as `TaskKind.label` names it (a document id, a pair key)
    document_id: str | None
    annotator: str
    reason: str


@dataclass
class PullReport:
    project_id: int
    annotations: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    annotators: set[str] = field(default_factory=set)
    problems: list[PullProblem] = field(default_factory=list)
    #: the project's tasks, and those that are not about anything this store holds
    tasks: int = 0
    foreign_tasks: int = 0

    @property
    def only_foreign(self) -> bool:
        """The project holds tasks, none of them this store's: the wrong project or store."""
        return self.tasks > 0 and self.foreign_tasks == self.tasks

    def count(self, outcome: str, annotator: str, skipped: bool, problem: PullProblem | None
              ) -> None:  # fmt: skip
        """One answer stored: `outcome` is the store's ('new', 'updated', 'unchanged')."""
        self.annotations += 1
        setattr(self, outcome, getattr(self, outcome) + 1)
        self.annotators.add(annotator)
        self.skipped += skipped
        if problem is not None:
            self.problems.append(problem)


def existing_project(client: LabelStudio, server: str, title: str, push: str) -> Any:
    """The project to pull from; an error naming the `push` command that makes it."""
    project = find_project(client, title)
    if project is None:
        raise StudioError(
            f"no Label Studio project titled {title!r} at {server}: check --project, "
            f"or run `{push}` first"
        )
    return project


@studio_errors
def pull(kind: TaskKind[Any], client: LabelStudio, server: str, title: str) -> PullReport:
    """Store every answer of project `title`; one that does not convert is kept raw."""
    project = existing_project(client, server, title, kind.push_command)
    users = studio_users(client)
    recorded = kind.recorded(server, project.id)
    report = PullReport(project_id=project.id)
    tasks: Iterable[Any] = client.tasks.list(project=project.id, fields="all")
    for task in tasks:
        task_id = int(task.id)
        subject = recorded.get(task_id) or kind.subject_in(task.data or {})
        report.tasks += 1
        # a task this store recorded at push is its own: looked up only otherwise
        report.foreign_tasks += task_id not in recorded and kind.foreign(subject)
        for raw in task.annotations or []:
            answer = as_dict(raw)
            row = shared_fields(server, project.id, task_id, answer, annotator_of(answer, users))
            _pull_one(kind, row, subject, answer, report)
    kind.finish()
    return report


def _pull_one(
    kind: TaskKind[Any], row: dict[str, Any], subject: Any, raw: dict[str, Any], report: PullReport
) -> None:
    skipped = row["was_cancelled"]
    payload, error = kind.convert(subject, raw.get("result") or [], skipped)
    outcome = kind.keep({**row, "error": error}, subject, payload)
    problem = None if error is None else PullProblem(
        row["task_id"], kind.label(subject), row["annotator"], error)  # fmt: skip
    if outcome is not None:
        report.count(outcome, row["annotator"], skipped, problem)
    elif problem is not None:  # not kept: only reported
        report.problems.append(problem)


def shared_fields(
    server: str, project_id: int, task_id: int, raw: dict[str, Any], annotator: str
) -> dict[str, Any]:
    """What Label Studio says of any answer: the fields of `PulledRow` but its error."""
    return {
        "server": server,
        "project_id": project_id,
        "annotation_id": int(raw["id"]),
        "task_id": task_id,
        "annotator": annotator,
        "annotator_id": raw.get("completed_by"),
        "created_at": str(raw.get("created_at")),
        "updated_at": str(raw.get("updated_at")),
        "lead_time": raw.get("lead_time"),
        "was_cancelled": bool(raw.get("was_cancelled")),
        "ground_truth": bool(raw.get("ground_truth")),
        "result": json.dumps(raw.get("result") or [], ensure_ascii=False, sort_keys=True),
    }


@studio_errors
def pushed_titles(kind: TaskKind[Any], client: LabelStudio, server: str) -> list[str]:
    """The titles of the projects this store pushed tasks of `kind` to on `server` (their
    ids are recorded; a title may have been changed in Label Studio since)."""
    ids = kind.projects(server)
    if not ids:
        raise InputError(
            f"this store pushed nothing to {server} yet: run `{kind.push_command}` first, "
            "or name a project with --project"
        )
    return [str(client.projects.get(id=project_id).title) for project_id in ids]


def annotator_of(raw: dict[str, Any], users: dict[int, str]) -> str:
    """Who made an annotation: their e-mail, else ``user N`` for an unknown id."""
    return users.get(int(raw.get("completed_by") or 0), f"user {raw.get('completed_by')}")


def studio_users(client: LabelStudio) -> dict[int, str]:
    users: Iterable[Any] = client.users.list()
    return {int(u.id): str(u.email or u.username or u.id) for u in users}


def as_dict(raw: Any) -> dict[str, Any]:
    if isinstance(raw, dict):
        return raw
    dumped: dict[str, Any] = raw.model_dump()
    return dumped
