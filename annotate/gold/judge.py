"""One annotated document through the gold pass: its agreement, its gold, its model scores.

`judge` is a pure function of one document's stored rows, so the gold pass can
run it in worker processes (`judge_documents` reads a batch of documents from
the store in the worker itself): what it returns is small and picklable (the
regions and the gold annotation it makes stay where they were made; the gold
leaves as its exported JSON line), and the accumulators that take its results
(`agreement.AgreementAccumulator`, `model_eval.ModelScores`) do so in document
order, which keeps every figure the same however many workers ran.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from annotate.codec import Regions, regions_of
from annotate.schemas import Annotation
from annotate.store import AnnotatedRows, Document, Store

from .adjudicate import Gold, Policy, adjudicate
from .agreement import DocumentAgreement, measure
from .matching import Found
from .model_eval import Evaluated, ModelScores


@dataclass
class GoldRecord:
    """One document's share of the gold pass."""

    document_id: str
    #: how the gold was decided (its annotation and regions stay in the worker)
    gold: Gold
    #: Label Studio task ids of the document, for reviewers to find it
    task_ids: list[int]
    agreement: DocumentAgreement
    #: this document's model-vs-gold counts (summed over documents by the report)
    scores: ModelScores
    #: the exported row as its JSON line, when asked for and the gold is valid
    line: str | None = None


def judge(
    rows: AnnotatedRows, policy: Policy, reviewers: Sequence[str], with_row: bool = False
) -> GoldRecord:
    """Measure agreement, adjudicate and score the predictions of one document."""
    annotations = {
        who: Annotation.model_validate_json(raw) for who, raw in rows.annotations.items()
    }
    found = Found({who: regions_of(a) for who, a in annotations.items()})
    document = rows.document
    gold = adjudicate(
        document.id,
        document.text,
        annotations,
        policy=policy,
        reviewers=[*reviewers, *sorted(rows.flagged)],
        regions=found,
    )
    scores = ModelScores()
    if gold.annotation is not None:
        predictions = {
            version: regions_of(Annotation.model_validate_json(raw))
            for version, raw in rows.predictions.items()
        }
        scores.add(Evaluated(gold.regions, list(found.values()), predictions))
    row = gold_row(document, gold, sorted(rows.predictions)) if with_row else None
    return GoldRecord(
        document.id,
        replace(gold, annotation=None, regions=Regions()),
        sorted(rows.task_ids),
        measure(found),
        scores,
        None if row is None else json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n",
    )


def judge_documents(
    document_ids: list[str],
    *,
    path: Path,
    policy: Policy,
    reviewers: Sequence[str],
    with_row: bool = False,
) -> list[GoldRecord]:
    """`judge` each of a batch of documents (in id order), reading them from the store."""
    store = _store(path)
    return [
        judge(rows, policy, reviewers, with_row)
        for rows in store.annotated_documents(document_ids)
    ]


@lru_cache(maxsize=1)
def _store(path: Path) -> Store:
    """This process's own connection to the store (a worker opens one and keeps it)."""
    return Store(path)


def gold_row(document: Document, gold: Gold, model_versions: list[str]) -> dict[str, Any] | None:
    """One exported row: the document, its gold annotation and its provenance."""
    if gold.annotation is None:
        return None
    annotation = gold.annotation.model_dump(mode="json")
    doc_stance = annotation["document"] or {}
    return {
        "id": document.id,
        "text": document.text,
        "source": document.source,
        "metadata": json.dumps(document.metadata, ensure_ascii=False, sort_keys=True),
        "actors": annotation["actors"],
        "claims": annotation["claims"],
        "stances": annotation["stances"],
        "main_target": doc_stance.get("main_target"),
        "overall_stance": doc_stance.get("overall"),
        "annotators": gold.annotators,
        "adjudication": gold.method,
        "contested": gold.contested,
        "ties": gold.ties,
        "model_versions": model_versions,
    }
