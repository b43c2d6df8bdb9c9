"""The claims a comparison reads: one row per grounded claim, with its document's context.

`read_documents` turns each document's annotation (kept gold, else its latest
prediction; see `annotation_to_compare`) into a `ComparedDocument`:
its claims, stances and actors as the annotation grounded them. Actor names
stay as each document wrote them here; `actors.ActorRegistry` unifies them
across documents afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date

from annotate.schemas import Annotation
from annotate.store import ClaimRef, ComparableDocument, Document, Store

#: Which annotation of a document `annotate compare` reads (see `annotation_to_compare`).
COMPARE_ORIGINS = ("auto", "gold", "predictions")


@dataclass(frozen=True, slots=True)
class Outlet:
    """Who published a document: its source (file or URL), a display name and its date.

    `label` is what a reader knows the document by (the report's columns): the outlet
    where the metadata names one, else the article's title, never a file name when the
    article has a title to show; empty when unknown (then `name` is shown).
    """

    doc_id: str
    source: str
    name: str
    published: date | None
    label: str = ""


@dataclass(frozen=True, slots=True)
class ComparedClaim:
    """A grounded claim of one document, as the comparison sees it."""

    outlet: Outlet
    start: int
    end: int
    quote: str
    proposition: str
    #: the speaker's canonical name as the document's annotation gave it, or OUTLET
    speaker: str
    attribution: str
    #: canonical names (as the document gave them) of the actors mentioned inside the claim
    mentioned: tuple[str, ...]

    @property
    def ref(self) -> ClaimRef:
        return ClaimRef(self.outlet.doc_id, self.start, self.end)


@dataclass(frozen=True, slots=True)
class ComparedStance:
    outlet: Outlet
    holder: str
    target: str
    label: str
    quote: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class NamedActor:
    """An actor of one document: its canonical name, type and the forms the text used."""

    canonical: str
    type: str | None
    forms: tuple[str, ...]


@dataclass(frozen=True)
class AnnotationToCompare:
    """A document with the annotation whose claims `annotate compare` reads."""

    document: Document
    #: "gold" or "prediction"
    origin: str
    #: how the gold was made ("reviewer", "majority", "single"), or the prediction's model version
    made_by: str
    #: the grounded `Annotation` as JSON
    annotation: str


def annotation_to_compare(row: ComparableDocument, origin: str) -> AnnotationToCompare | None:
    """The annotation of a document that a comparison from `origin` reads, if it has one.

    ``auto``: the kept gold where there is one (people checked it), else the latest
    prediction; ``gold``: kept gold only; ``predictions``: latest predictions only.
    """
    if row.gold is not None and origin != "predictions":
        return AnnotationToCompare(row.document, "gold", *row.gold)
    if row.prediction is not None and origin != "gold":
        return AnnotationToCompare(row.document, "prediction", *row.prediction)
    return None


@dataclass
class ComparedDocument:
    outlet: Outlet
    text: str
    origin: str
    made_by: str
    claims: list[ComparedClaim] = field(default_factory=list)
    stances: list[ComparedStance] = field(default_factory=list)
    actors: list[NamedActor] = field(default_factory=list)
    main_target: str | None = None


def read_documents(store: Store, origin: str = "auto") -> Iterator[ComparedDocument]:
    """Every document that has an annotation to compare, in ingest order."""
    if origin not in COMPARE_ORIGINS:
        raise ValueError(f"origin must be one of {', '.join(COMPARE_ORIGINS)}, not {origin!r}")
    for row in store.comparisons.documents():
        chosen = annotation_to_compare(row, origin)
        if chosen is not None:
            yield compared_document(chosen)


def compared_document(row: AnnotationToCompare) -> ComparedDocument:
    annotation = Annotation.model_validate_json(row.annotation)
    outlet = outlet_of(row.document)
    document = ComparedDocument(outlet, row.document.text, row.origin, row.made_by)
    document.actors = [
        NamedActor(a.canonical_name, a.type, tuple(dict.fromkeys(m.text for m in a.mentions)))
        for a in annotation.actors
    ]
    mentions = sorted(
        (m.start, m.end, a.canonical_name) for a in annotation.actors for m in a.mentions
    )
    for claim in annotation.claims:
        span = claim.span
        inside = [name for start, end, name in mentions if span.start <= start and end <= span.end]
        document.claims.append(
            ComparedClaim(
                outlet, span.start, span.end, span.text, claim.proposition, claim.speaker,
                claim.attribution, tuple(dict.fromkeys(inside)),
            )  # fmt: skip
        )
    for stance in annotation.stances:
        evidence = stance.evidence
        document.stances.append(
            ComparedStance(outlet, stance.holder, stance.target, stance.label, evidence.text,
                           evidence.start, evidence.end)  # fmt: skip
        )
    document.main_target = annotation.document.main_target if annotation.document else None
    return document


def outlet_of(document: Document) -> Outlet:
    """The outlet's name from the metadata, else the file name; its date where known."""
    return Outlet(document.id, document.source, document.outlet, _date(document.published),
                  reader_label(document))  # fmt: skip


def reader_label(document: Document) -> str:
    """What a reader knows the document by: see `Document.reader_label`."""
    return document.reader_label


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None

