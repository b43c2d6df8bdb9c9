"""The gold set and its figures: adjudication, agreement, model versus gold.

One pass over the pulled annotations, a document at a time: each document is
adjudicated, its annotations feed the agreement accumulator and its
predictions the model-versus-gold scores. The result is the JSON
`annotate agreement --json` prints and the export stores as ``agreement.json``::

    {"annotators": [...], "documents": N,
     "fields": {FIELD: {METRIC: value, ...}},
     "model_vs_gold": {MODEL_VERSION: {FIELD: {"precision": p, "recall": r, "f1": f}}},
     "pre_annotations": {MODEL_VERSION: {"share_kept": ..., ...}},
     "adjudication": {"policy": ..., "methods": {...}, "contested": n, "with_ties": n},
     "disagreements": [{"document_id": ..., "task_ids": [...], "ties": [...]}]}
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from annotate.store import Store

from .adjudicate import Gold, Policy, adjudicate
from .agreement import RESAMPLES, AgreementAccumulator
from .corpus import AnnotatedDocument, annotated_documents
from .model_eval import Evaluated, ModelScores


@dataclass
class GoldRecord:
    source: AnnotatedDocument
    gold: Gold


def iter_gold(
    store: Store, *, policy: Policy = "auto", reviewers: Sequence[str] = ()
) -> Iterator[GoldRecord]:
    """The gold record of every annotated document, in document id order."""
    for item in annotated_documents(store):
        chosen = [*reviewers, *sorted(item.flagged)]
        gold = adjudicate(
            item.document.id,
            item.document.text,
            item.annotations,
            policy=policy,
            reviewers=chosen,
            regions=item.regions,
        )
        yield GoldRecord(item, gold)


def gold_report(
    store: Store,
    *,
    policy: Policy = "auto",
    reviewers: Sequence[str] = (),
    resamples: int = RESAMPLES,
    keep: Callable[[GoldRecord], None] | None = None,
) -> dict[str, Any]:
    """Adjudicate, measure agreement and score the models in one pass; `keep` sees each record."""
    agreement, scores = AgreementAccumulator(), ModelScores()
    methods: Counter[str] = Counter()
    contested, unresolved, disagreements = 0, 0, []
    for record in iter_gold(store, policy=policy, reviewers=reviewers):
        agreement.add(record.source.regions)
        evaluated = _evaluated(record)
        if evaluated is not None:
            scores.add(evaluated)
        methods[record.gold.method] += 1
        contested += record.gold.contested
        unresolved += bool(record.gold.problems)
        if record.gold.ties or record.gold.problems:
            disagreements.append(_disagreement(record))
        if keep is not None:
            keep(record)
    report = agreement.report(resamples)
    report["model_vs_gold"], report["pre_annotations"] = scores.report()
    report["adjudication"] = {
        "policy": policy,
        "methods": dict(sorted(methods.items())),
        "contested": contested,
        "with_ties": sum(1 for d in disagreements if d["ties"]),
        **({"unresolved": unresolved} if unresolved else {}),
    }
    report["disagreements"] = disagreements
    return report


def _disagreement(record: GoldRecord) -> dict[str, Any]:
    """A document for a reviewer: its tasks, the ties decided by rule, why it has no gold."""
    found = {
        "document_id": record.gold.document_id,
        "task_ids": sorted(record.source.task_ids),
        "ties": record.gold.ties,
    }
    if record.gold.problems:
        found["problems"] = record.gold.problems
    return found


def _evaluated(record: GoldRecord) -> Evaluated | None:
    """What model-vs-gold needs of a document; None when the document has no valid gold."""
    if record.gold.annotation is None:
        return None
    return Evaluated(
        gold=record.gold.regions,
        annotations=list(record.source.regions.values()),
        predictions=record.source.predictions,
    )
