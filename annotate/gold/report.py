"""The gold set and its figures: adjudication, agreement, model versus gold.

One pass over the pulled annotations, a document at a time: each document is
judged (`judge`: adjudicated, measured, scored; in worker processes when there
are several cores) and its share is added, in document order, to the agreement
accumulator, the model-versus-gold scores and the adjudication summary. The result is the JSON
`annotate agreement --json` prints and the export stores as ``agreement.json``::

    {"annotators": [...], "documents": N,
     "fields": {FIELD: {METRIC: value, ...}},
     "model_vs_gold": {MODEL_VERSION: {FIELD: {"precision": p, "recall": r, "f1": f}}},
     "pre_annotations": {MODEL_VERSION: {"share_kept": ..., ...}},
     "adjudication": {"policy": ..., "methods": {...}, "contested": n, "with_ties": n,
                      "ties": {"review" | "waiting_for_review": {"documents": n, "items": n}}},
     "model_vs_gold_left_out": {"documents": n, "tied_items": n},
     "disagreements": [{"document_id": ..., "task_ids": [...], "ties": [...],
                        "resolution": "review" | "waiting for review"}]}

Model-vs-gold is scored on resolved items only: a document whose ties wait for a
reviewer is scored on its agreed items, its tied items left out of both sides
(`model_eval`); ``model_vs_gold_left_out`` counts those documents and their tied
items.
"""

from __future__ import annotations

import json
import textwrap
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from functools import partial
from itertools import islice
from tempfile import SpooledTemporaryFile
from typing import Any, Protocol, TextIO, TypedDict, Unpack, overload

from annotate.collector import collector_paused
from annotate.store import Store, StoredGold

from .adjudicate import Gold, Policy
from .agreement import RESAMPLES, AgreementAccumulator
from .judge import GoldRecord, judge_documents, judge_stored
from .model_eval import ModelScores
from .verdicts import keep_verified_verdicts
from .workers import ordered_map

#: Documents a worker judges per batch.
BATCH = 16
#: Golds made in this pass are kept in the store this many at a time.
SAVE_EVERY = 256


def batched(items: Iterator[str], size: int) -> Iterator[list[str]]:
    while batch := list(islice(items, size)):
        yield batch


def iter_gold(
    store: Store,
    *,
    policy: Policy = "auto",
    reviewers: Sequence[str] = (),
    workers: int = 1,
    with_rows: bool = False,
) -> Iterator[GoldRecord]:
    """The gold record of every annotated document, in document id order.

    With one worker the documents are judged here; with more, worker processes
    read and judge batches of them, and this process only adds up.
    """
    reviewers = tuple(reviewers)
    made: list[StoredGold] = []
    for record in _judged(store, policy, reviewers, workers, with_rows):
        if record.made is not None:
            made.append(record.made)
            record.made = None
            if len(made) >= SAVE_EVERY:
                store.gold.save(made)
                made = []
        yield record
    store.gold.save(made)
    store.gold.drop_orphans()


def _judged(store: Store, policy: Policy, reviewers: tuple[str, ...], workers: int,
            with_rows: bool) -> Iterator[GoldRecord]:  # fmt: skip
    if workers <= 1:
        yield from judge_stored(store, None, policy, reviewers, with_rows)
        return
    judged = partial(judge_documents, path=store.path, policy=policy, reviewers=reviewers,
                     with_row=with_rows)  # fmt: skip
    batches = batched(store.annotations.document_ids(), BATCH)
    for records in ordered_map(judged, batches, workers=workers):
        yield from records


def keep_gold(
    store: Store, *, policy: Policy = "auto", reviewers: Sequence[str] = (), workers: int = 1
) -> bool:
    """Bring the kept gold up to date with the pulled annotations (for the stages that read it).

    False when nothing was pulled (there is no gold to keep).
    """
    if not store.annotations.has_valid():
        return False
    for _ in iter_gold(store, policy=policy, reviewers=reviewers, workers=workers):
        pass
    return True


class GoldReport:
    """Adds up the gold records, in document order, into the report."""

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self.agreement = AgreementAccumulator()
        self.scores = ModelScores()
        self.methods: Counter[str] = Counter()
        self.contested = self.unresolved = self.with_ties = 0
        #: how the ties were resolved: "review" or "waiting for review" -> (documents, items)
        self.ties: dict[str, list[int]] = {"review": [0, 0], "waiting for review": [0, 0]}
        self.disagreements = Disagreements()

    def add(self, record: GoldRecord) -> None:
        gold = record.gold
        self.agreement.add_measured(record.agreement)
        self.scores.merge(record.scores)
        self.methods[gold.method] += 1
        self.contested += gold.contested
        self.unresolved += bool(gold.problems)
        self.with_ties += bool(gold.ties)
        resolution = _resolution(gold)
        if resolution is not None:
            self.ties[resolution][0] += 1
            self.ties[resolution][1] += len(gold.ties)
        if gold.ties or gold.problems:
            found = {"document_id": gold.document_id, "task_ids": record.task_ids,
                     "ties": gold.tie_texts}  # fmt: skip
            if resolution is not None:
                found["resolution"] = resolution
            if gold.problems:
                found["problems"] = gold.problems
            self.disagreements.append(found)

    def report(self, resamples: int = RESAMPLES) -> dict[str, Any]:
        report = self.agreement.report(resamples)
        report["model_vs_gold"], report["pre_annotations"] = self.scores.report()
        report["adjudication"] = {
            "policy": self.policy,
            "methods": dict(sorted(self.methods.items())),
            "contested": self.contested,
            "with_ties": self.with_ties,
            "ties": {
                resolution.replace(" ", "_"): {"documents": documents, "items": items}
                for resolution, (documents, items) in self.ties.items()
            },
            **({"unresolved": self.unresolved} if self.unresolved else {}),
        }
        waiting, items = self.ties["waiting for review"]
        report["model_vs_gold_left_out"] = {"documents": waiting, "tied_items": items}
        report["disagreements"] = self.disagreements
        return report


def _resolution(gold: Gold) -> str | None:
    """How a document's ties were resolved: by a reviewer's review of them, or not yet."""
    if not gold.ties:
        return None
    return "review" if gold.method == "review" else "waiting for review"


class Disagreements(Sequence[dict[str, Any]]):
    """The documents for a reviewer, one JSON line each in a temporary file.

    A large contested corpus has tens of thousands of them: they are written out
    as they come and read back once, by `dump_report`, so memory stays flat.
    """

    def __init__(self) -> None:
        self._file = SpooledTemporaryFile(max_size=1 << 20, mode="w+", encoding="utf-8")  # noqa: SIM115
        self._count = 0

    def append(self, item: dict[str, Any]) -> None:
        self._file.write(json.dumps(item, ensure_ascii=False) + "\n")
        self._count += 1

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[dict[str, Any]]:
        self._file.seek(0)
        for line in self._file:
            yield json.loads(line)
        self._file.seek(0, 2)

    @overload
    def __getitem__(self, index: int) -> dict[str, Any]: ...
    @overload
    def __getitem__(self, index: slice) -> list[dict[str, Any]]: ...
    def __getitem__(self, index: int | slice) -> dict[str, Any] | list[dict[str, Any]]:
        return list(self)[index]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sequence) and list(self) == list(other)

    __hash__ = None  # type: ignore[assignment]


#: A value no report holds, and the JSON text `json.dumps` makes of it.
_SLOT = "\x00disagreements\x00"
_SLOT_JSON = json.dumps(_SLOT)


def dump_report(report: dict[str, Any], handle: TextIO, *, sort_keys: bool = False) -> None:
    """Write the report as ``json.dumps(report, indent=2)`` would, the disagreements streamed."""
    shell = {**report, "disagreements": _SLOT}
    options: dict[str, Any] = {"ensure_ascii": False, "allow_nan": False, "sort_keys": sort_keys}
    head, tail = json.dumps(shell, indent=2, **options).split(_SLOT_JSON)
    handle.write(head)
    items = report["disagreements"]
    if not len(items):
        handle.write("[]")
    else:
        for number, item in enumerate(items):
            handle.write(",\n" if number else "[\n")
            handle.write(textwrap.indent(json.dumps(item, indent=2, **options), "    "))
        handle.write("\n  ]")
    handle.write(tail)


class GoldOptions(TypedDict, total=False):
    """How `gold_report` runs: its worker processes, and what sees each record."""

    workers: int
    keep: Callable[[GoldRecord], None] | None


class AdjudicatedKind(Protocol):
    """A kind of task the gold pass adjudicates and measures (issue 19: verification as a
    kind of task). Each brings its own rows, codec and vote, under the one policy
    (`adjudicate.decided_by`, `adjudicate.vote`)."""

    #: where its part goes in the agreement report (None: at the top, the documents')
    key: str | None

    def report(self, store: Store, policy: Policy, reviewers: Sequence[str], resamples: int,
               options: GoldOptions) -> dict[str, Any] | None:  # fmt: skip
        """Adjudicate its answers, keep the result, and report; None when none were pulled."""
        ...


class _Documents:
    """Documents' annotations: the gold, its agreement and model-vs-gold (`gold_report`)."""

    key: str | None = None

    def report(self, store: Store, policy: Policy, reviewers: Sequence[str], resamples: int,
               options: GoldOptions) -> dict[str, Any] | None:  # fmt: skip
        return gold_report(store, policy=policy, reviewers=reviewers, resamples=resamples,
                           **options)  # fmt: skip


class _Verdicts:
    """Claim pairs' verdicts, kept for `annotate compare` (`verdicts.keep_verified_verdicts`)."""

    key: str | None = "comparisons"

    def report(self, store: Store, policy: Policy, reviewers: Sequence[str], resamples: int,
               options: GoldOptions) -> dict[str, Any] | None:  # fmt: skip
        summary = keep_verified_verdicts(store, policy=policy, reviewers=reviewers)
        return None if summary is None else summary.report(resamples)


#: Every kind of task `agreement_report` adjudicates, in report order.
KINDS: tuple[AdjudicatedKind, ...] = (_Documents(), _Verdicts())


def agreement_report(
    store: Store,
    *,
    policy: Policy = "auto",
    reviewers: Sequence[str] = (),
    resamples: int = RESAMPLES,
    **options: Unpack[GoldOptions],
) -> dict[str, Any]:
    """Every kind of task (`KINDS`) adjudicated and measured by one policy: the documents'
    report at the top (`gold_report`), each other kind's under its key when any of its
    answers were pulled (the verdicts people gave claim pairs under ``comparisons``)."""
    report: dict[str, Any] = {}
    for kind in KINDS:
        part = kind.report(store, policy, reviewers, resamples, options)
        if part is not None:
            report.update(part if kind.key is None else {kind.key: part})
    return report


def gold_report(
    store: Store,
    *,
    policy: Policy = "auto",
    reviewers: Sequence[str] = (),
    resamples: int = RESAMPLES,
    workers: int = 1,
    keep: Callable[[GoldRecord], None] | None = None,
) -> dict[str, Any]:
    """Adjudicate, measure agreement and score the models in one pass; `keep` sees each record.

    With `keep`, each record carries its exported row.
    """
    summary = GoldReport(policy)
    records = iter_gold(store, policy=policy, reviewers=reviewers, workers=workers,
                        with_rows=keep is not None)  # fmt: skip
    with collector_paused():
        for record in records:
            summary.add(record)
            if keep is not None:
                keep(record)
        return summary.report(resamples)
