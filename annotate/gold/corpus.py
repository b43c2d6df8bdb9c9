"""The pulled annotations, grouped by document: what agreement and gold are made of."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import groupby

from annotate.schemas import Annotation
from annotate.store import Document, Store


@dataclass
class AnnotatedDocument:
    document: Document
    #: annotator -> their latest valid annotation
    annotations: dict[str, Annotation]
    #: annotators whose annotation Label Studio flags as ground truth (a review flag)
    flagged: set[str] = field(default_factory=set)
    #: Label Studio task ids of the document, for reviewers to find it
    task_ids: set[int] = field(default_factory=set)


def annotated_documents(store: Store) -> Iterator[AnnotatedDocument]:
    """Every document with at least one valid (converted, non-skip) annotation."""
    for document_id, rows in groupby(store.valid_annotations(), key=lambda r: r["document_id"]):
        group = list(rows)
        yield AnnotatedDocument(
            document=store.get_document(document_id),
            annotations={
                row["annotator"]: Annotation.model_validate_json(row["annotation"]) for row in group
            },
            flagged={row["annotator"] for row in group if row["ground_truth"]},
            task_ids={int(row["task_id"]) for row in group},
        )
