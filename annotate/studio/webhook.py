"""An annotation that Label Studio's webhook sends, stored as `annotate pull` stores it.

Label Studio makes a webhook for every ML backend it connects (``ml.models.create_ml_webhook``:
the backend's URL + ``/webhook``, every action, with payload). An
``ANNOTATION_CREATED`` or ``ANNOTATION_UPDATED`` call carries the annotation (its model's
fields: ``completed_by`` is the annotator's id) and its task, so the answer is kept at
once, through the same fields, codec and repository as a pull (its times are the same ISO
text the tasks API gives a pull): agreement and gold stay current without a manual pull,
and a later pull finds it unchanged.

An ``ANNOTATIONS_DELETED`` call (an annotation deleted in the editor or the Data Manager:
``tasks/api.py``, ``data_manager/actions/basic.py``) carries only the deleted ids. The
store keeps those annotations, as `annotate pull` keeps an annotation no longer in Label
Studio (a pull only adds and updates), so the webhook and a pull never disagree.
"""

from __future__ import annotations

from typing import Any

from annotate.store import Store

from .annotations import AnnotationKind, refresh_regions
from .pull import annotator_of, shared_fields

#: The webhook actions that carry one annotation to keep.
ANNOTATION_ACTIONS = ("ANNOTATION_CREATED", "ANNOTATION_UPDATED")
#: The webhook action naming deleted annotations (by id only).
DELETED_ACTION = "ANNOTATIONS_DELETED"


def webhook_answer(payload: dict[str, Any]) -> tuple[int, dict[str, Any], dict[str, Any]] | None:
    """(project id, annotation, task) of an annotation's webhook call; None for other actions."""
    if payload.get("action") not in ANNOTATION_ACTIONS:
        return None
    annotation, task = payload.get("annotation"), payload.get("task")
    project = payload.get("project")
    if not isinstance(annotation, dict) or not isinstance(task, dict):
        return None
    project_id = project.get("id") if isinstance(project, dict) else annotation.get("project")
    if project_id is None or "id" not in annotation or "id" not in task:
        return None
    return int(project_id), annotation, task


def deleted_annotations(payload: dict[str, Any]) -> list[int]:
    """The annotation ids of an ``ANNOTATIONS_DELETED`` call; empty for other actions."""
    if payload.get("action") != DELETED_ACTION:
        return []
    found = payload.get("annotations")
    items = found if isinstance(found, list) else []
    return [int(a["id"]) for a in items if isinstance(a, dict) and isinstance(a.get("id"), int)]


def keep_webhook_answer(
    store: Store,
    server: str,
    project_id: int,
    annotation: dict[str, Any],
    task: dict[str, Any],
    users: dict[int, str],
) -> tuple[str | None, str | None]:
    """Store one answer as a pull would; (the store's outcome, why it did not convert)."""
    kind = AnnotationKind(store)
    task_id = int(task["id"])
    recorded = store.tasks.of_project(server, project_id)
    by_task = {task: doc for doc, task in recorded.items()}
    subject = by_task.get(task_id) or kind.subject_in(task.get("data") or {})
    row = shared_fields(server, project_id, task_id, annotation, annotator_of(annotation, users))
    payload, error = kind.convert(subject, annotation.get("result") or [], row["was_cancelled"])
    outcome = kind.keep({**row, "error": error}, subject, payload)
    refresh_regions(store)
    return outcome, error
