"""Typed rows of the store: what callers read from and hand to `Store`.

Column names live here, in `database` and in `migrations` only; the rest of
the tool reads attributes. A row the store has not written yet carries
``id=0`` and an empty ``created_at``: the store assigns both.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from typing import Any


@dataclass(frozen=True)
class Document:
    id: str
    text: str
    source: str
    metadata: dict[str, Any]


@dataclass(frozen=True)
class DocumentListing:
    """A document as a list shows it: everything but its text."""

    id: str
    source: str
    chars: int
    metadata: dict[str, Any]


@dataclass(frozen=True)
class JobKey:
    """What makes two predictions the same job: re-running it is a no-op."""

    model_version: str
    prompt_version: str
    schema_version: str
    params_hash: str


@dataclass(frozen=True)
class RunSpec:
    """What a pre-annotation run was asked to do."""

    provider: str
    model: str
    model_version: str
    prompt_version: str
    schema_version: str
    #: Parameters that change the output (never credentials or endpoints).
    params: dict[str, Any]
    concurrency: int


@dataclass
class RunCounts:
    """What a run did: counted live (the progress bar) and stored when it ends."""

    documents: int = 0
    predicted: int = 0
    failed: int = 0
    cached_calls: int = 0
    llm_calls: int = 0
    requests: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    spans: int = 0
    hallucinations: int = 0


@dataclass(frozen=True)
class Run:
    id: int
    spec: RunSpec
    started_at: str
    finished_at: str | None
    status: str
    counts: RunCounts

    def as_json(self) -> dict[str, Any]:
        """The run as one flat JSON object (`annotate runs --json`)."""
        return {
            "id": self.id,
            **{f.name: getattr(self.spec, f.name) for f in fields(RunSpec)},
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "status": self.status,
            **{f.name: getattr(self.counts, f.name) for f in fields(RunCounts)},
        }


@dataclass(frozen=True)
class LLMCall:
    """One paid call, cached by `key`: a re-run never pays for it again."""

    key: str
    run_id: int
    document_id: str
    model: str
    prompt_version: str
    schema_version: str
    params_hash: str
    chunk_start: int
    chunk_end: int
    response: str
    prompt_tokens: int
    completion_tokens: int
    requests: int
    reasks: int
    cost_usd: float
    duration_ms: int
    created_at: str = ""


@dataclass(frozen=True)
class Prediction:
    document_id: str
    run_id: int
    provider: str
    model: str
    job: JobKey
    #: The grounded `Annotation` as JSON.
    annotation: str
    spans: int
    hallucinations: int
    #: The quotes that could not be grounded, as a JSON list.
    hallucinated: str = "[]"
    id: int = 0
    created_at: str = ""

    @property
    def model_version(self) -> str:
        return self.job.model_version

    @property
    def grounded_share(self) -> float:
        """Share of the provider's quotes that were grounded (the Label Studio score)."""
        total = self.spans + self.hallucinations
        return round(self.spans / total, 4) if total else 1.0


@dataclass(frozen=True)
class Failure:
    run_id: int
    document_id: str
    reason: str
    detail: str
    id: int = 0
    created_at: str = ""


@dataclass(frozen=True)
class PulledAnnotation:
    """One annotation as `annotate pull` read it from Label Studio."""

    server: str
    project_id: int
    annotation_id: int
    task_id: int
    document_id: str | None
    annotator: str
    annotator_id: int | None
    created_at: str
    updated_at: str
    lead_time: float | None
    was_cancelled: bool
    ground_truth: bool
    #: Label Studio's result list, as JSON.
    result: str
    #: The converted `Annotation` as JSON; None for a skip or when it did not convert.
    annotation: str | None
    #: Why it did not convert.
    error: str | None
    pulled_at: str = ""


@dataclass(frozen=True)
class AnnotationKey:
    """Which pulled annotation: Label Studio's id, within its server and project."""

    server: str
    project_id: int
    annotation_id: int


@dataclass(frozen=True)
class StoredGold:
    """A document's gold as the gold pass made it, and what it was made from."""

    document_id: str
    #: a digest of everything the gold depends on: a different one means make it again
    inputs: str
    #: "reviewer", "majority" or "single"
    method: str
    annotators: list[str]
    contested: bool
    ties: list[str]
    #: why the vote made no valid annotation (then `annotation` is None)
    problems: list[str]
    task_ids: list[int]
    #: the gold `Annotation` as JSON
    annotation: str | None
    #: the document's agreement measurement and model-vs-gold counts, as JSON
    measures: str


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
    #: prediction ids (a changed annotation or a new prediction changes it)
    versions: list[str] = field(default_factory=list)


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


@dataclass(frozen=True)
class ClaimRef:
    """A claim by where it is: a document and code-point offsets into its text."""

    doc_id: str
    start: int
    end: int


@dataclass(frozen=True)
class StoredVerdict:
    """A judge's verdict on one candidate pair of a comparison."""

    comparison_id: int
    #: a digest of the judge's version and both claims: the same key is the same question
    key: str
    #: the judge's model version
    judge: str
    a: ClaimRef
    b: ClaimRef
    relation: str
    detail: str | None
    #: the differing values {"a": ..., "b": ...} as JSON, or None
    values: str | None
    rationale: str
    #: the candidate pair's lexical similarity (cosine of the propositions' TF-IDF)
    similarity: float


@dataclass(frozen=True)
class KeptVerdict:
    """A paid judge's answer kept for the next comparison, by the question's key."""

    key: str
    judge: str
    relation: str
    detail: str | None
    #: the differing values {"a": ..., "b": ...} as JSON, or None
    values: str | None
    rationale: str


@dataclass(frozen=True)
class ComparisonRun:
    """One `annotate compare`: what it read, which judge, what it found."""

    id: int
    judge: str
    origin: str
    params: dict[str, Any]
    started_at: str
    finished_at: str | None
    status: str
    #: claims, candidate pairs, verdicts by relation, facts, dropped values, ...
    counts: dict[str, Any]


def metadata_json(metadata: dict[str, Any]) -> str:
    return json.dumps(metadata, ensure_ascii=False, sort_keys=True)
