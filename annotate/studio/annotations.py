"""The document-annotation kind of task: a document per task, an `Annotation` per answer.

`pull.pull(AnnotationKind(store), ...)` stores every annotation of a documents project:
each is converted to a schema `Annotation` by the codec and validated, and kept in
``store.annotations``. Each converted annotation's codec regions are kept beside it
(`refresh_regions`), for the gold pass to read.
"""

from __future__ import annotations

from itertools import islice
from typing import Any

from annotate.codec import (
    ConversionError,
    codec_version,
    dump_regions,
    regions_of,
    results_to_annotation,
)
from annotate.errors import NotFoundError
from annotate.schemas import Annotation
from annotate.store import PulledAnnotation, Store


class AnnotationKind:
    """Documents' tasks, as `kind.TaskKind`: the subject is a document's id."""

    name = "annotations"
    push_command = "annotate push"

    def __init__(self, store: Store) -> None:
        self.store = store

    def projects(self, server: str) -> list[int]:
        return self.store.tasks.projects(server)

    def recorded(self, server: str, project_id: int) -> dict[int, str]:
        return {task: doc for doc, task in self.store.tasks.of_project(server, project_id).items()}

    def subject_in(self, data: dict[str, Any]) -> str | None:
        return data.get("doc_id")

    def foreign(self, subject: str | None) -> bool:
        return subject is None or not self._in_store(subject)

    def label(self, subject: str | None) -> str | None:
        return subject

    def convert(
        self, subject: str | None, result: list[dict[str, Any]], skipped: bool
    ) -> tuple[str | None, str | None]:
        """The schema annotation as JSON, or the reason it could not be made."""
        if skipped:
            return None, None
        if subject is None:
            return None, "the task is not one of this store's documents (no doc_id)"
        try:
            text = self.store.documents.get(subject).text
        except NotFoundError:
            return None, f"the task's doc_id {subject} is not in this store"
        try:
            annotation = results_to_annotation(result, text)
        except ConversionError as exc:
            return None, str(exc)
        return annotation.model_dump_json(), None

    def keep(self, row: dict[str, Any], subject: str | None, payload: str | None) -> str:
        pulled = PulledAnnotation(**row, document_id=subject, annotation=payload)
        return self.store.annotations.upsert(pulled)

    def finish(self) -> None:
        refresh_regions(self.store)

    def _in_store(self, document_id: str) -> bool:
        try:
            self.store.documents.get(document_id)
        except NotFoundError:
            return False
        return True


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
