"""The gold set and its figures: adjudication, agreement, model versus gold.

`build_gold` adjudicates every annotated document; `gold_report` adds the
agreement between annotators and the score of each model version against the
gold, in the JSON shape `annotate agreement --json` prints and the export
stores as ``agreement.json``::

    {"annotators": [...], "documents": N,
     "fields": {FIELD: {METRIC: value, ...}},
     "model_vs_gold": {MODEL_VERSION: {FIELD: {"precision": p, "recall": r, "f1": f}}},
     "pre_annotations": {MODEL_VERSION: {"share_kept": ..., ...}},
     "adjudication": {"policy": ..., "methods": {...}, "contested": n, "with_ties": n},
     "disagreements": [{"document_id": ..., "task_ids": [...], "ties": [...]}]}
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from annotate.schemas import Annotation
from annotate.store import Store

from .adjudicate import Gold, Policy, adjudicate
from .agreement import RESAMPLES, agreement_report
from .corpus import AnnotatedDocument, annotated_documents
from .model_eval import Evaluated, model_vs_gold


@dataclass
class GoldRecord:
    source: AnnotatedDocument
    gold: Gold


def build_gold(
    store: Store, *, policy: Policy = "auto", reviewers: Sequence[str] = ()
) -> list[GoldRecord]:
    """The gold record of every annotated document, in document id order."""
    records = []
    for item in annotated_documents(store):
        chosen = [*reviewers, *sorted(item.flagged)]
        gold = adjudicate(
            item.document.id,
            item.document.text,
            item.annotations,
            policy=policy,
            reviewers=chosen,
        )
        records.append(GoldRecord(item, gold))
    return records


def gold_report(
    store: Store,
    records: list[GoldRecord],
    *,
    policy: Policy = "auto",
    resamples: int = RESAMPLES,
) -> dict[str, Any]:
    corpus = {r.source.document.id: r.source.annotations for r in records}
    report = agreement_report(corpus, resamples=resamples)
    scores, fates = model_vs_gold(_evaluated(store, records))
    report["model_vs_gold"] = scores
    report["pre_annotations"] = fates
    report["adjudication"] = {
        "policy": policy,
        "methods": dict(sorted(Counter(r.gold.method for r in records).items())),
        "contested": sum(r.gold.contested for r in records),
        "with_ties": sum(bool(r.gold.ties) for r in records),
    }
    report["disagreements"] = [
        {
            "document_id": r.gold.document_id,
            "task_ids": sorted(r.source.task_ids),
            "ties": r.gold.ties,
        }
        for r in records
        if r.gold.ties
    ]
    return report


def _evaluated(store: Store, records: list[GoldRecord]) -> list[Evaluated]:
    return [
        Evaluated(
            gold=r.gold.annotation,
            annotations=r.source.annotations,
            predictions={
                version: Annotation.model_validate_json(raw)
                for version, raw in store.predictions_by_version(r.source.document.id).items()
            },
        )
        for r in records
    ]
