"""One annotated document through the gold pass: its agreement, its gold, its model scores.

`judge` is a pure function of one document's stored rows, so the gold pass can
run it in worker processes (`judge_documents` reads a batch of documents from
the store in the worker itself): what it returns is small and picklable (the
regions and the gold annotation it makes stay where they were made; the gold
leaves as its exported JSON line), and the accumulators that take its results
(`agreement.AgreementAccumulator`, `model_eval.ModelScores`) do so in document
order, which keeps every figure the same however many workers ran.

Each annotator's regions are read as pull kept them (`annotate.codec.stored`),
so a majority vote never validates or encodes the annotations themselves; an
annotation whose regions were not kept (or were made by another codec
version) is encoded here, to the same regions.

A document's gold is kept in the store (`StoredGold`) with a digest of what it
was made from: the annotations (ids, edit and pull times, review flags), the
predictions, the policy and reviewers, and the version of the code that makes
gold. A later pass whose digest matches reads the document's share from there
instead of judging it again: `annotate export` after `annotate agreement`, or
`annotate agreement` after pulling a few more annotations, judges only what
changed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic_core import from_json, to_json

from annotate.codec import Regions, codec_version, load_regions, regions_of
from annotate.schemas import Annotation, schema_version
from annotate.store import AnnotatedRows, Document, Store, StoredGold

from .adjudicate import Gold, Policy, Tie, adjudicate
from .agreement import DocumentAgreement, measure
from .card import CardCounts
from .matching import Found
from .metadata_columns import row_metadata
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
    #: the gold to keep in the store, when it was made now (not read back)
    made: StoredGold | None = None
    #: what the dataset card counts of the exported row (with `line`)
    card: CardCounts | None = None


def judge(
    rows: AnnotatedRows,
    policy: Policy,
    reviewers: Sequence[str],
    with_row: bool = False,
    kept: StoredGold | None = None,
) -> GoldRecord:
    """Measure agreement, adjudicate and score the predictions of one document.

    `kept` is the document's gold from an earlier pass: used as is when it was
    made from the same inputs.
    """
    inputs = inputs_digest(rows, policy, reviewers)
    if kept is not None and kept.inputs == inputs:
        return _from_kept(rows, kept, with_row)
    annotations = _Annotations(rows.annotations)
    found = Found({who: _regions(rows, annotations, who) for who in annotations})
    document = rows.document
    gold = adjudicate(
        document.id,
        document.text,
        annotations,
        policy=policy,
        reviewers=[*reviewers, *sorted(rows.flagged)],
        regions=found,
        review=None if rows.review is None else Annotation.model_validate_json(rows.review),
    )
    scores = ModelScores()
    if gold.annotation is not None:
        predictions = {
            version: regions_of(Annotation.model_validate_json(raw))
            for version, raw in rows.predictions.items()
        }
        tied = gold.ties if gold.unresolved else []  # scored on resolved items only
        scores.add(Evaluated(gold.regions, list(found.values()), predictions, tied))
    agreement = measure(found)
    made = StoredGold(
        document_id=document.id,
        inputs=inputs,
        method=gold.method,
        annotators=gold.annotators,
        contested=gold.contested,
        ties=gold.tie_texts,
        problems=gold.problems,
        task_ids=sorted(rows.task_ids),
        annotation=None if gold.annotation is None else gold.annotation.model_dump_json(),
        measures=_measures_json(agreement, scores, gold.ties),
    )
    line, card = None, None
    if with_row and gold.annotation is not None:
        line, card = _exported(rows, gold, gold.annotation.model_dump(mode="json"))
    return GoldRecord(
        document.id,
        replace(gold, annotation=None, regions=Regions()),
        made.task_ids,
        agreement,
        scores,
        line,
        made,
        card,
    )


def _measures_json(agreement: DocumentAgreement, scores: ModelScores, ties: list[Tie]) -> str:
    """A document's agreement, model-vs-gold counts and ties as the gold table keeps them.

    The ties are kept whole here (which item each is on), the table's `ties` column
    keeping their texts for the review and for SQL. Written by pydantic's serialiser
    (compact, four times as fast as `json.dumps` on these nested lists) and read back
    by its parser in `_from_kept`: only this module reads it.
    """
    measures: dict[str, Any] = {"agreement": agreement.as_json(), "scores": scores.as_json()}
    if ties:
        measures["ties"] = [tie.as_json() for tie in ties]
    return to_json(measures).decode()


class _Annotations(Mapping[str, Annotation]):
    """The annotators' annotations, each validated from its JSON only when it is read.

    The regions pull kept make the annotation itself unneeded for a majority
    vote (most documents): it is read only for a reviewer's or a single
    annotator's gold, or to encode it when its regions were not kept.
    """

    def __init__(self, raw: Mapping[str, str]) -> None:
        self._raw = raw
        self._read: dict[str, Annotation] = {}

    def __getitem__(self, who: str) -> Annotation:
        if who not in self._read:
            self._read[who] = Annotation.model_validate_json(self._raw[who])
        return self._read[who]

    def __contains__(self, who: object) -> bool:
        return who in self._raw

    def __iter__(self) -> Iterator[str]:
        return iter(self._raw)

    def __len__(self) -> int:
        return len(self._raw)


def _regions(rows: AnnotatedRows, annotations: _Annotations, who: str) -> Regions:
    """An annotator's regions: the ones pull kept, else their annotation encoded now."""
    kept = rows.regions.get(who)
    return regions_of(annotations[who]) if kept is None else load_regions(kept)


def _from_kept(rows: AnnotatedRows, kept: StoredGold, with_row: bool) -> GoldRecord:
    """A document's share read back from the gold kept in the store.

    Its JSON is read by pydantic's parser (the codec reads kept regions so too): the
    same values as `json.loads`, in about half the time.
    """
    measures = from_json(kept.measures)
    ties = [Tie.from_json(tie) for tie in measures.get("ties", ())]
    gold = Gold(kept.document_id, None, kept.method, kept.annotators, kept.contested,
                ties, problems=kept.problems)  # fmt: skip
    line, card = None, None
    if with_row and kept.annotation is not None:
        line, card = _exported(rows, gold, from_json(kept.annotation))
    return GoldRecord(
        kept.document_id,
        gold,
        kept.task_ids,
        DocumentAgreement.from_json(measures["agreement"]),
        ModelScores.from_json(measures["scores"]),
        line,
        card=card,
    )


def _exported(
    rows: AnnotatedRows, gold: Gold, annotation: dict[str, Any]
) -> tuple[str, CardCounts]:
    """The exported row as its JSON line, and what the card counts of it (counted here, where
    the row is at hand, so the export never parses the line again)."""
    row = gold_row(rows.document, gold, annotation, sorted(rows.predictions))
    card = CardCounts()
    card.add(row)
    return json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n", card


def gold_row(
    document: Document, gold: Gold, annotation: dict[str, Any], model_versions: list[str]
) -> dict[str, Any]:
    """One exported row: the document, its gold annotation (as JSON data), its provenance."""
    doc_stance = annotation["document"] or {}
    return {
        "id": document.id,
        "text": document.text,
        "source": document.source,
        "metadata": row_metadata(document.metadata),
        "actors": annotation["actors"],
        "claims": annotation["claims"],
        "stances": annotation["stances"],
        "main_target": doc_stance.get("main_target"),
        "overall_stance": doc_stance.get("overall"),
        "annotators": gold.annotators,
        "adjudication": gold.method,
        "contested": gold.contested,
        "ties": gold.tie_texts,
        "model_versions": model_versions,
    }


def inputs_digest(rows: AnnotatedRows, policy: Policy, reviewers: Sequence[str]) -> str:
    """What a document's gold depends on, as one digest."""
    parts = [gold_code_version(), policy, *sorted(reviewers), *rows.versions]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


@lru_cache(maxsize=1)
def gold_code_version() -> str:
    """The version of the code that makes gold: its source and the schema's version.

    A change to the codec or the gold modules makes every kept gold stale, so no
    figure is ever read back from an older way of computing it.
    """
    digest = hashlib.sha256(schema_version().encode())
    here = Path(__file__).parent
    for path in sorted([*here.glob("*.py"), *(here.parent / "codec").glob("*.py")]):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def judge_documents(
    document_ids: list[str],
    *,
    path: Path,
    policy: Policy,
    reviewers: Sequence[str],
    with_row: bool = False,
) -> list[GoldRecord]:
    """`judge` each of a batch of documents (in id order), reading them from the store."""
    return list(judge_stored(_store(path), document_ids, policy, reviewers, with_row))


def judge_stored(
    store: Store,
    document_ids: Sequence[str] | None,
    policy: Policy,
    reviewers: Sequence[str],
    with_row: bool = False,
) -> Iterator[GoldRecord]:
    """`judge` the stored documents (all of them, or those of `document_ids`), in id order,
    with the gold each was given before."""
    for rows in store.annotations.annotated(document_ids, codec_version()):
        yield judge(rows, policy, reviewers, with_row, store.gold.of(rows.document.id))


@lru_cache(maxsize=1)
def _store(path: Path) -> Store:
    """This process's own connection to the store (a worker opens one and keeps it)."""
    return Store(path)
