"""Pull every annotator's annotations from a Label Studio project into the store.

Reads tasks through the tasks API with all fields (the JSON_MIN export drops
relations and region ids), one row per annotation with its annotator, times,
lead time and whether it was a skip. Each annotation is converted to a schema
`Annotation` and validated; one that does not convert is kept raw with the
reason and reported by task and annotator, never dropped. Pulling twice stores
nothing twice: rows are keyed by the annotation's id and only replaced when
Label Studio says it was edited. Each converted annotation's codec regions are
kept beside it (`refresh_regions`), for the gold pass to read.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import islice
from typing import TYPE_CHECKING, Any

from annotate.codec import (
    ConversionError,
    codec_version,
    dump_regions,
    regions_of,
    results_to_annotation,
)
from annotate.errors import InputError, NotFoundError, StudioError
from annotate.schemas import Annotation
from annotate.store import PulledAnnotation, Store

from .connection import studio_errors
from .push import find_project

if TYPE_CHECKING:
    from label_studio_sdk import LabelStudio


@dataclass
class PullProblem:
    task_id: int
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
    #: the project's tasks, and those that are not one of this store's documents
    tasks: int = 0
    foreign_tasks: int = 0

    @property
    def only_foreign(self) -> bool:
        """The project holds tasks, none of them this store's: the wrong project or store."""
        return self.tasks > 0 and self.foreign_tasks == self.tasks

    def count(self, outcome: str, annotator: str, skipped: bool, problem: PullProblem | None
              ) -> None:  # fmt: skip
        """One annotation stored: `outcome` is the store's ('new', 'updated', 'unchanged')."""
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
def pull(store: Store, client: LabelStudio, server: str, title: str) -> PullReport:
    """Store every annotation of project `title`; one that does not convert is kept raw."""
    project = existing_project(client, server, title, "annotate push")
    users = studio_users(client)
    documents = {task: doc for doc, task in store.tasks.of_project(server, project.id).items()}
    report = PullReport(project_id=project.id)
    tasks: Iterable[Any] = client.tasks.list(project=project.id, fields="all")
    for task in tasks:
        document_id = documents.get(int(task.id)) or (task.data or {}).get("doc_id")
        report.tasks += 1
        # a task this store recorded at push is one of its documents: looked up only otherwise
        recorded = int(task.id) in documents
        report.foreign_tasks += not (recorded or _in_store(store, document_id))
        for raw in task.annotations or []:
            _pull_one(store, server, project.id, task, document_id, as_dict(raw), users, report)
    refresh_regions(store)
    return report


@studio_errors
def pushed_titles(
    store: Store, client: LabelStudio, server: str, *, comparisons: bool
) -> list[str]:
    """The titles of the projects this store pushed to on `server`, document or comparison
    tasks (their ids are recorded; a title may have been changed in Label Studio since)."""
    ids = store.verification.projects(server) if comparisons else store.tasks.projects(server)
    if not ids:
        push = "annotate push --comparisons" if comparisons else "annotate push"
        raise InputError(f"this store pushed nothing to {server} yet: run `{push}` first, "
                         "or name a project with --project")  # fmt: skip
    return [str(client.projects.get(id=project_id).title) for project_id in ids]


#: Annotations whose regions are kept at once.
REGIONS_BATCH = 256


def refresh_regions(store: Store) -> int:
    """Keep the codec regions of every valid annotation that lacks ones made by this codec.

    That is each annotation pulled now, and those pulled before this codec
    version (after an upgrade); the gold pass reads them instead of validating
    and encoding each annotation every time. Returns how many were made.
    """
    codec, made = codec_version(), 0
    missing = store.annotations.without_regions(codec)
    while batch := list(islice(missing, REGIONS_BATCH)):
        regions = [(key, dump_regions(regions_of(Annotation.model_validate_json(annotation))))
                   for key, annotation in batch]  # fmt: skip
        store.annotations.keep_regions(codec, regions)
        made += len(batch)
    return made


def _pull_one(
    store: Store,
    server: str,
    project_id: int,
    task: Any,
    document_id: str | None,
    raw: dict[str, Any],
    users: dict[int, str],
    report: PullReport,
) -> None:
    annotator = annotator_of(raw, users)
    annotation, problem = _converted(store, raw, document_id)
    outcome = store.annotations.upsert(
        PulledAnnotation(
            server=server,
            project_id=project_id,
            annotation_id=int(raw["id"]),
            task_id=int(task.id),
            document_id=document_id,
            annotator=annotator,
            annotator_id=raw.get("completed_by"),
            created_at=str(raw.get("created_at")),
            updated_at=str(raw.get("updated_at")),
            lead_time=raw.get("lead_time"),
            was_cancelled=bool(raw.get("was_cancelled")),
            ground_truth=bool(raw.get("ground_truth")),
            result=json.dumps(raw.get("result") or [], ensure_ascii=False, sort_keys=True),
            annotation=annotation,
            error=problem,
        )
    )
    found = None if problem is None else PullProblem(int(task.id), document_id, annotator, problem)
    report.count(outcome, annotator, bool(raw.get("was_cancelled")), found)


def _in_store(store: Store, document_id: str | None) -> bool:
    if document_id is None:
        return False
    try:
        store.documents.get(document_id)
    except NotFoundError:
        return False
    return True


def _converted(
    store: Store, raw: dict[str, Any], document_id: str | None
) -> tuple[str | None, str | None]:
    """The schema annotation as JSON, or the reason it could not be made."""
    if raw.get("was_cancelled"):
        return None, None
    if document_id is None:
        return None, "the task is not one of this store's documents (no doc_id)"
    try:
        text = store.documents.get(document_id).text
    except NotFoundError:
        return None, f"the task's doc_id {document_id} is not in this store"
    try:
        annotation = results_to_annotation(raw.get("result") or [], text)
    except ConversionError as exc:
        return None, str(exc)
    return annotation.model_dump_json(), None


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
