"""The annotations people made in Label Studio, as `annotate pull` brought them back.

Every pulled annotation is kept (skips and unconverted ones too), with the regions the
codec made of it; the gold pass reads each document's latest valid annotation per
annotator.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import astuple, dataclass, field
from pathlib import Path

from .connection import StoreConnection
from .documents import Document, Documents
from .pulled import PulledRow, upsert_pulled
from .repository import Repository, decode, marks


@dataclass(frozen=True, kw_only=True)
class PulledAnnotation(PulledRow):
    """One annotation of a document task, as `annotate pull` read it from Label Studio."""

    document_id: str | None
    #: The converted `Annotation` as JSON; None for a skip or when it did not convert.
    annotation: str | None


@dataclass(frozen=True)
class AnnotationKey:
    """Which pulled annotation: Label Studio's id, within its server and project."""

    server: str
    project_id: int
    annotation_id: int


@dataclass
class AnnotatedRows:
    """A document with its annotators' latest valid annotations and its predictions."""

    document: Document
    #: annotator -> their latest converted, non-skip annotation (JSON)
    annotations: dict[str, str] = field(default_factory=dict)
    #: annotators whose annotation Label Studio flags as ground truth
    flagged: set[str] = field(default_factory=set)
    task_ids: set[int] = field(default_factory=set)
    #: model_version -> the latest prediction's annotation (JSON)
    predictions: dict[str, str] = field(default_factory=dict)
    #: annotator -> the kept regions of their annotation (the codec's stored form), when
    #: made by the codec version asked for
    regions: dict[str, str] = field(default_factory=dict)
    #: what identifies these rows' contents: annotation ids, edit and pull times, flags,
    #: prediction ids, the review (a changed annotation or a new prediction changes it)
    versions: list[str] = field(default_factory=list)
    #: the latest valid answer to the document's review of ties (`reviews`), as JSON
    review: str | None = None


#: Valid annotations: converted, and not a skip.
VALID = "annotation is not null and was_cancelled = 0"


class Annotations(Repository):
    """The `annotations` table: every pulled annotation, and the regions made of it.

    Reached as ``store.annotations``.
    """

    def __init__(self, db: StoreConnection, path: Path) -> None:
        super().__init__(db, path)
        self._documents = Documents(db, path)

    def upsert(self, pulled: PulledAnnotation) -> str:
        """Store one pulled annotation: 'new', 'updated' (edited since) or 'unchanged'."""
        columns = {"document_id": pulled.document_id, "annotation": pulled.annotation}
        return upsert_pulled(self.db, "annotations", pulled, columns)

    def pulled(self, document_id: str | None = None) -> list[PulledAnnotation]:
        """Pulled annotations (every one, skips and unconverted ones too)."""
        if document_id is None:
            rows = self._rows("select * from annotations order by task_id, annotation_id")
        else:
            rows = self._rows(
                "select * from annotations where document_id = ? order by annotation_id",
                [document_id],
            )
        return [decode(PulledAnnotation, row) for row in rows]

    def has_valid(self) -> bool:
        """Is there any converted, non-skip pulled annotation (anything to make gold of)?"""
        found = self.db.execute(f"select 1 from annotations where {VALID} limit 1").fetchone()
        return found is not None

    def document_ids(self) -> Iterator[str]:
        """Ids of the documents with valid pulled annotations, in id order (index only)."""
        rows = self.db.conn.execute(
            f"select distinct document_id from annotations where {VALID} order by document_id"
        )
        yield from (str(row[0]) for row in rows)

    def annotated(
        self, document_ids: Sequence[str] | None = None, codec: str | None = None
    ) -> Iterator[AnnotatedRows]:
        """Each document with valid pulled annotations, in document id order, one at a time.

        Valid means converted and not a skip; when an annotator annotated a document
        more than once (two projects, a re-annotation) the latest by ``updated_at``
        counts. The annotations come in one query ordered by an index, so the pass
        streams; each document and its predictions are read by key. `document_ids`
        (in id order) limits the pass to those documents. Each annotation's kept
        regions come with it when they were made by codec version `codec`.
        """
        where = VALID
        params: list[str | None] = [codec]
        if document_ids is not None:
            where += f" and document_id in ({marks(len(document_ids))})"
            params += document_ids
        rows = self.db.conn.execute(
            "select document_id, annotator, task_id, ground_truth, annotation, "
            "case when regions_codec = ? then regions end, annotation_id, updated_at, pulled_at "
            f"from annotations where {where} "
            "order by document_id, annotator, updated_at, annotation_id",
            params,
        )
        current: AnnotatedRows | None = None
        used: dict[str, str] = {}
        for document_id, annotator, task_id, ground_truth, annotation, regions, *version in rows:
            if current is None or current.document.id != document_id:
                if current is not None:
                    current.versions.extend(used.values())
                    yield current
                current = self._annotated(document_id)
                used = {}
            current.annotations[annotator] = annotation  # later rows are later annotations
            current.regions.pop(annotator, None)
            if regions is not None:
                current.regions[annotator] = regions
            used[annotator] = f"{annotator}:{version[0]}:{version[1]}:{version[2]}:{ground_truth}"
            current.flagged.discard(annotator)
            if ground_truth:
                current.flagged.add(annotator)
            current.task_ids.add(int(task_id))
        if current is not None:
            current.versions.extend(used.values())
            yield current

    def without_regions(self, codec: str, batch: int = 256) -> Iterator[tuple[AnnotationKey, str]]:
        """Valid annotations (their key and JSON) without regions made by codec version `codec`.

        They are found by an index of the regions' versions (once every annotation
        has current regions, this reads no annotation's row).
        """
        sql = (
            "select rowid, server, project_id, annotation_id, annotation from annotations "
            "indexed by annotations_regions_codec "
            f"where rowid > ? and {VALID} and (regions_codec is null or regions_codec != ?)"
        )
        for row in self._paged(sql, [codec], batch):
            key = AnnotationKey(row["server"], row["project_id"], row["annotation_id"])
            yield key, row["annotation"]

    def keep_regions(self, codec: str, regions: Sequence[tuple[AnnotationKey, str]]) -> None:
        """Keep annotations' regions (in the codec's stored form), made by codec version `codec`."""
        with self.db.conn:
            self.db.conn.executemany(
                "update annotations set regions = ?, regions_codec = ? "
                "where server = ? and project_id = ? and annotation_id = ?",
                [(stored, codec, *astuple(key)) for key, stored in regions],
            )

    def _annotated(self, document_id: str) -> AnnotatedRows:
        """A document with its latest prediction of each model version and its latest review,
        read by key."""
        rows = self.db.conn.execute(
            "select model_version, annotation, id from predictions where document_id = ? "
            "order by id",
            [document_id],
        ).fetchall()
        found = AnnotatedRows(self._documents.get(document_id))
        for version, annotation, prediction_id in rows:
            found.predictions[str(version)] = str(annotation)
            found.versions.append(f"prediction:{prediction_id}")
        review = self.db.conn.execute(
            "select annotation, annotator, annotation_id, updated_at from reviews "
            f"where document_id = ? and {VALID} order by updated_at desc, annotation_id desc "
            "limit 1",
            [document_id],
        ).fetchone()
        if review is not None:
            found.review = str(review[0])
            found.versions.append("review:{}:{}:{}".format(*review[1:]))
        return found
