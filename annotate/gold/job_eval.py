"""One pre-annotation job's predictions scored against the kept gold (`annotate eval`).

The same scoring as model-vs-gold (`model_eval.ModelScores`, the matching of
`matching`): each document with valid kept gold and a prediction of the job
adds its counts; documents the job has no prediction for (failed, or not run)
are counted apart, not scored. The overall figure is micro-averaged over every
field once: span controls and choices as a whole (not again per label) and
relations per label.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from annotate.codec import regions_of
from annotate.schemas import Annotation
from annotate.store import JobKey, Store

from .matching import Counts, clean
from .model_eval import Evaluated, ModelScores


@dataclass
class JobScore:
    #: documents with valid kept gold; those of them with a prediction of the job
    gold_documents: int
    scored: int
    #: {FIELD: {precision, recall, f1}} exactly as model-vs-gold reports the job's model version
    fields: dict[str, Any] = field(default_factory=dict)
    #: {FIELD: [tp, fp, fn]}
    counts: dict[str, list[float]] = field(default_factory=dict)
    #: micro-averaged over `overall_fields`
    overall: dict[str, float | None] = field(default_factory=dict)


def overall_fields(names: list[str]) -> list[str]:
    """The fields each counted once: not a span control's per-label split (``control:label``)."""
    return [name for name in names if ":" not in name or name.startswith("relation:")]


def score_job(store: Store, job: JobKey) -> JobScore:
    """Score the latest prediction of `job` on each document with kept gold against that gold."""
    predictions = store.evaluations.predictions(job)
    scores = ModelScores()
    gold_documents = scored = 0
    for document_id, gold in store.gold.annotations():
        gold_documents += 1
        predicted = predictions.get(document_id)
        if predicted is None:
            continue
        scored += 1
        scores.add(
            Evaluated(
                regions_of(Annotation.model_validate_json(gold)),
                [],  # no annotators: fates are model-vs-gold's, not an evaluation's
                {job.model_version: regions_of(Annotation.model_validate_json(predicted))},
            )
        )
    report, _ = scores.report()
    counts = scores.as_json().get(job.model_version, {}).get("counts", {})
    total = Counts()
    for name in overall_fields(sorted(counts)):
        total.add(Counts(*counts[name]))
    overall = clean({"precision": total.precision, "recall": total.recall, "f1": total.f1})
    return JobScore(gold_documents, scored, report.get(job.model_version, {}), counts, overall)
