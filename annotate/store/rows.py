"""Typed rows of the store: what callers read from and hand to `Store`.

Column names live here, in `database` and in `migrations` only; the rest of
the tool reads attributes. A row the store has not written yet carries
``id=0`` and an empty ``created_at``: the store assigns both.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from pathlib import PurePath
from typing import Any

from annotate.schemas import DifferingValues, Verdict


@dataclass(frozen=True)
class Document:
    id: str
    text: str
    source: str
    metadata: dict[str, Any]

    @property
    def outlet(self) -> str:
        """Who published it: the ``outlet`` metadata, else the source's file name, else the id."""
        return str(self.metadata.get("outlet") or PurePath(self.source).name or self.id)

    @property
    def published(self) -> str | None:
        """The ``date`` metadata's day (YYYY-MM-DD) when it has one."""
        value = self.metadata.get("date")
        return value[:10] if isinstance(value, str) and len(value) >= 10 else None


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
    #: USD per 1M input and output tokens; None when the model has no known price.
    price_input: float | None = None
    price_output: float | None = None


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


#: A run's status while its process works, and when that process died before recording its end.
RUNNING, KILLED = "running", "killed"


@dataclass(frozen=True)
class Run:
    id: int
    spec: RunSpec
    started_at: str
    finished_at: str | None
    status: str
    counts: RunCounts
    #: Why a ``stopped`` run ended early (None for the others).
    stop_reason: str | None = None

    @property
    def cost_known(self) -> bool:
        """Whether `counts.cost_usd` is a cost (a price was known), not an unknown shown as 0."""
        return self.spec.price_input is not None or self.counts.cost_usd > 0

    def as_json(self) -> dict[str, Any]:
        """The run as one flat JSON object (`annotate runs --json`)."""
        return {
            "id": self.id,
            **{f.name: getattr(self.spec, f.name) for f in fields(RunSpec)},
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "status": self.status,
            "stop_reason": self.stop_reason,
            **{f.name: getattr(self.counts, f.name) for f in fields(RunCounts)},
        }


@dataclass(frozen=True)
class CallTotals:
    """Sums over the paid calls of one model and prompt: what a cost estimate learns from.

    `clean_*` cover the calls answered at the first request (no re-ask), whose
    prompt is exactly the prompt plus the chunk, so tokens can be fitted on
    characters; the `all_*` sums include re-asks, as a bill does.
    """

    clean_calls: int = 0
    sum_chars: float = 0.0
    sum_tokens: float = 0.0
    sum_chars_tokens: float = 0.0
    sum_chars_squared: float = 0.0
    all_calls: int = 0
    all_prompt_tokens: int = 0
    all_completion_tokens: int = 0


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
class ClaimPair:
    """Two claims of different documents as one comparison saw them: A, then B.

    Its `key` names the pair across comparisons, Label Studio tasks and the
    verdicts people give; the same two claims the other way round are another
    orientation of the same pair (`flipped`).
    """

    a: ClaimRef
    b: ClaimRef

    @property
    def key(self) -> str:
        a, b = self.a, self.b
        return f"{a.doc_id}:{a.start}-{a.end}~{b.doc_id}:{b.start}-{b.end}"

    @property
    def flipped(self) -> ClaimPair:
        return ClaimPair(self.b, self.a)


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

    @property
    def pair(self) -> ClaimPair:
        return ClaimPair(self.a, self.b)

    @property
    def verdict(self) -> Verdict:
        return as_verdict(self.relation, self.detail, self.values, self.rationale)


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

    @property
    def verdict(self) -> Verdict:
        return as_verdict(self.relation, self.detail, self.values, self.rationale)


def as_verdict(relation: str, detail: str | None, values: str | None, rationale: str) -> Verdict:
    """A stored verdict's columns as the schema's `Verdict` again."""
    return Verdict(
        relation=relation,
        detail=detail,
        values=DifferingValues.model_validate_json(values) if values else None,
        rationale=rationale,
    )


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


@dataclass(frozen=True)
class ComparisonTask:
    """A claim pair's task in a Label Studio comparisons project, and the prediction it shows."""

    server: str
    project_id: int
    pair: ClaimPair
    task_id: int
    #: Label Studio's id of the judge's verdict shown as the task's prediction
    prediction_id: int | None
    #: a digest of that verdict: a different verdict replaces the prediction
    prediction_digest: str | None
    #: the relation the judge gave when the pair was sent (the stratum of a sample)
    relation: str


@dataclass(frozen=True)
class PulledVerdict:
    """One annotator's answer on a comparisons task, as `annotate pull --comparisons` read it."""

    server: str
    project_id: int
    annotation_id: int
    task_id: int
    pair: ClaimPair
    annotator: str
    annotator_id: int | None
    created_at: str
    updated_at: str
    lead_time: float | None
    was_cancelled: bool
    ground_truth: bool
    #: Label Studio's result list, as JSON.
    result: str
    #: The converted `Verdict` as JSON; None for a skip or when it did not convert.
    verdict: str | None
    #: Why it did not convert.
    error: str | None
    pulled_at: str = ""


@dataclass(frozen=True)
class VerifiedVerdict:
    """The verdict people gave a pair, adjudicated like the gold (see `gold.verdicts`)."""

    pair: ClaimPair
    #: the adjudicated `Verdict` as JSON
    verdict: str
    #: "verified" (the annotators agree, or a reviewer or a single annotator decided) or
    #: "contested" (they disagree; the vote still decides, see `method`)
    status: str
    #: "reviewer", "majority" or "single"
    method: str
    #: annotator -> the relation they chose
    answers: dict[str, str]
    task_ids: list[int]
    #: whether the relation vote was an exact tie (settled by the first annotator by name)
    tie: bool = False


@dataclass(frozen=True)
class StoredFact:
    """A fact of the last comparison: claims judged one fact, and how far people verified it."""

    comparison_id: int
    id: str
    proposition: str
    claims: list[ClaimRef]
    sources: list[str]
    #: "verified", "contested" or "unverified"
    status: str
    #: the facts this one contradicts
    contradicts: list[str]


@dataclass(frozen=True)
class BatchRequest:
    """One request of a batch: a chunk of a document, sent under its call's cache key."""

    #: The request's ``custom_id``: the cache key of the online call it stands for.
    custom_id: str
    document_id: str
    chunk_start: int
    chunk_end: int


@dataclass(frozen=True)
class BatchAnswer:
    """What a batch made of one request, as saved from its output or error file."""

    custom_id: str
    #: HTTP status of the answer (0: never run, e.g. expired).
    status: int
    #: The answer's body as JSON (a chat completion when `status` is 200).
    body: str
    #: Why there is no answer (None when there is one).
    error: str | None


@dataclass(frozen=True)
class StoredBatch:
    """A batch of requests submitted through a Batch API for one job, and how far it got.

    `id` is the store's; `batch_id` the provider's (None until it was created).
    `status` is the provider's last reported one (``submitting`` before the
    batch exists); `collected_at` is set once every document of the batch went
    through collection (their answers then live in the call cache).
    """

    id: int
    batch_id: str | None
    input_file_id: str
    job: JobKey
    model: str
    #: The provider's `cache_params` (what changes the output), to rebuild it for collection.
    params: dict[str, Any]
    #: The chunk size the requests were cut at, so collection cuts documents alike.
    max_chunk_chars: int | None
    requests: int
    documents: int
    bytes: int
    status: str
    completed: int = 0
    failed: int = 0
    output_file_id: str | None = None
    error_file_id: str | None = None
    results_saved: bool = False
    collect_run_id: int | None = None
    submitted_at: str = ""
    updated_at: str = ""
    collected_at: str | None = None

    @property
    def collected(self) -> bool:
        return self.collected_at is not None


@dataclass(frozen=True)
class Holder:
    """A process holding document claims or a job lock (see `annotate.store.leases`)."""

    id: int
    pid: int
    host: str
    #: What it is doing, for the messages of whoever waits for it.
    what: str
    #: Until when (Unix time) it counts as live without a heartbeat.
    lease_until: float


def document_of(row: Any) -> Document:
    """A `documents` row (or one that selects its columns) as a `Document`."""
    return Document(
        id=row["id"], text=row["text"], source=row["source"], metadata=json.loads(row["metadata"])
    )


def job_key_of(row: Any) -> JobKey:
    """The job columns of a `predictions` or `batches` row as a `JobKey`."""
    return JobKey(
        row["model_version"], row["prompt_version"], row["schema_version"], row["params_hash"]
    )


def job_values(job: JobKey) -> list[str]:
    """A `JobKey` as the values of its columns, in their order (for SQL parameters)."""
    return [job.model_version, job.prompt_version, job.schema_version, job.params_hash]
