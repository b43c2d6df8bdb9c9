"""The pulled annotations, grouped by document: what agreement and gold are made of."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from annotate.codec import Regions, regions_of
from annotate.schemas import Annotation
from annotate.store import Document, Store

from .matching import Found


@dataclass
class AnnotatedDocument:
    document: Document
    #: annotator -> their latest valid annotation
    annotations: dict[str, Annotation]
    #: annotator -> `regions_of` their annotation: made once, read by every measure
    regions: Found
    #: model_version -> `regions_of` the latest prediction of that version
    predictions: dict[str, Regions]
    #: annotators whose annotation Label Studio flags as ground truth (a review flag)
    flagged: set[str] = field(default_factory=set)
    #: Label Studio task ids of the document, for reviewers to find it
    task_ids: set[int] = field(default_factory=set)


def annotated_documents(store: Store) -> Iterator[AnnotatedDocument]:
    """Every document with at least one valid (converted, non-skip) annotation, by id."""
    for rows in store.annotated_documents():
        annotations = {
            who: Annotation.model_validate_json(raw) for who, raw in rows.annotations.items()
        }
        yield AnnotatedDocument(
            document=rows.document,
            annotations=annotations,
            regions=Found({who: regions_of(a) for who, a in annotations.items()}),
            predictions={
                version: regions_of(Annotation.model_validate_json(raw))
                for version, raw in rows.predictions.items()
            },
            flagged=rows.flagged,
            task_ids=rows.task_ids,
        )
