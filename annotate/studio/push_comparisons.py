"""Comparison tasks to Label Studio: one task per claim pair, the judge's verdict its prediction.

`push_comparisons` sends the candidate pairs of the last finished `annotate
compare` to a comparisons project (its config from the verdict schema): each
task holds both claims, the sentences around each, their outlets and dates,
and the judge's verdict as a prediction. Idempotent like `push`: the store
records each pair's task, so a pair is never sent twice; when the judge's
verdict on a pair changed, the task's prediction is replaced. With a sample
size, a stratified sample (by the judge's relation) is sent instead of every
pair, for measuring the judge. People's verdicts come back by `pull.pull` over
`comparisons.VerdictKind`. The project, the recovery after an interrupted push and the
batched import are `push`'s, over the pairs' kind (`PairTasks`).
"""

from __future__ import annotations

import hashlib
import heapq
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from annotate.codec import verdicts as V
from annotate.errors import InputError
from annotate.store import ClaimPair, ComparisonTask, Document, Store, StoredVerdict

from .comparisons import DEFAULT_COMPARISONS_PROJECT, Quotes, VerdictKind
from .connection import studio_errors
from .labelconfig import comparison_config
from .push import CHUNK, import_new, open_project

if TYPE_CHECKING:
    from label_studio_sdk import LabelStudio

#: The most characters of context shown on each side of a claim.
CONTEXT_CHARS = 400

Progress = Callable[[int], None]


@dataclass
class ComparisonPushReport:
    project_id: int
    project_url: str
    created_project: bool
    comparison_id: int
    #: pairs considered: every candidate pair, or the sample
    pairs: int
    tasks_created: int
    predictions_replaced: int
    tasks_recovered: int
    model_version: str


@studio_errors
def push_comparisons(
    store: Store,
    client: LabelStudio,
    server: str,
    title: str = DEFAULT_COMPARISONS_PROJECT,
    *,
    sample: int | None = None,
    seed: int = 0,
    chunk: int = CHUNK,
    on_progress: Progress | None = None,
) -> ComparisonPushReport:
    """Create a task per pair not sent yet; replace predictions whose verdict changed."""
    run = store.comparisons.last()
    if run is None:
        raise InputError(f"no finished comparison in {store.path}: run `annotate compare` first")
    kind = PairTasks(store)
    project, created, recovered = open_project(kind, client, server, title)
    known = store.verification.tasks(server, project.id)
    verdicts: Iterable[StoredVerdict] = store.comparisons.iter_verdicts(run.id)
    if sample is not None:
        verdicts = stratified_sample(verdicts, sample, seed)
    seen: Counter[str] = Counter()

    def new_pairs() -> Iterator[_PairTask]:
        """The pairs with no task yet; a task whose verdict changed gets the new one."""
        for verdict in verdicts:
            seen["pairs"] += 1
            task = known.get(verdict.pair.key)
            if task is None:
                yield kind.item(verdict)
            elif task.prediction_digest != V.verdict_digest(verdict.verdict, verdict.judge):
                _replace_prediction(store, client, kind, task, verdict)
                seen["replaced"] += 1
            if on_progress:
                on_progress(1)

    batches = import_new(kind, client, server, project.id, new_pairs(), chunk)
    created_tasks = sum(len(batch) for batch in batches)
    considered, replaced = seen["pairs"], seen["replaced"]
    if (project.model_version or None) != run.judge:
        client.projects.update(id=project.id, model_version=run.judge)
    return ComparisonPushReport(
        project_id=project.id,
        project_url=f"{server}/projects/{project.id}/data",
        created_project=created,
        comparison_id=run.id,
        pairs=considered,
        tasks_created=created_tasks,
        predictions_replaced=replaced,
        tasks_recovered=recovered,
        model_version=run.judge,
    )


def count_pairs_to_push(store: Store, sample: int | None) -> int:
    """How many pairs a push looks at (for the progress bar)."""
    run = store.comparisons.last()
    total = int((run.counts.get("candidate_pairs") or 0) - (run.counts.get("unjudged") or 0)
                ) if run else 0  # fmt: skip
    return min(total, sample) if sample is not None else total


def stratified_sample(
    verdicts: Iterable[StoredVerdict], size: int, seed: int
) -> list[StoredVerdict]:
    """`size` pairs, as evenly as possible across the judge's relations, in a seeded order.

    Each relation gets an equal share (a relation with fewer pairs gives its
    unused share to the others), so that the judge's rarer answers, the
    contradictions above all, are checked as often as the common ones. Within
    a relation, pairs are taken in the order of a seeded hash of their key: the
    same seed picks the same pairs, and a larger sample contains a smaller one.
    Holds at most `size` pairs per relation.
    """
    if size < 1:
        raise InputError(f"--sample must be 1 or more, not {size}")
    strata: dict[str, list[tuple[int, int, StoredVerdict]]] = defaultdict(list)
    counts: dict[str, int] = defaultdict(int)
    for order, verdict in enumerate(verdicts):
        counts[verdict.relation] += 1
        rank = -_rank(seed, verdict.pair.key)  # a max-heap of the `size` smallest ranks
        heap = strata[verdict.relation]
        if len(heap) < size:
            heapq.heappush(heap, (rank, order, verdict))
        elif rank > heap[0][0]:
            heapq.heapreplace(heap, (rank, order, verdict))
    quotas = _quotas({relation: len(heap) for relation, heap in strata.items()}, size)
    chosen = [
        item
        for relation, heap in strata.items()
        for item in sorted(heap, key=lambda item: -item[0])[: quotas[relation]]
    ]
    return [verdict for _, _, verdict in sorted(chosen, key=lambda item: item[1])]


def _rank(seed: int, key: str) -> int:
    digest = hashlib.blake2b(f"{seed}\x1f{key}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def _quotas(available: dict[str, int], size: int) -> dict[str, int]:
    """Equal shares of `size`, each capped at what a stratum has; the rest shared again."""
    quotas = dict.fromkeys(available, 0)
    left = min(size, sum(available.values()))
    while left > 0:
        open_strata = sorted(r for r in available if quotas[r] < available[r])
        share, extra = divmod(left, len(open_strata))
        for index, relation in enumerate(open_strata):
            add = min(share + (index < extra), available[relation] - quotas[relation])
            quotas[relation] += add
            left -= add
    return quotas


# -- tasks ------------------------------------------------------------------------


@dataclass
class _PairTask:
    """A claim pair's verdict and the task made of it."""

    verdict: StoredVerdict
    payload: dict[str, Any]

    @property
    def size(self) -> tuple[int, int]:
        results = sum(len(p.get("result") or []) for p in self.payload["predictions"])
        return results, sum(len(v) for v in self.payload["data"].values() if isinstance(v, str))


class PairTasks(VerdictKind):
    """Claim pairs pushed as tasks: the `PushKind` of `push_comparisons` (a `_PairTask` each)."""

    subjects = "pairs"

    def __init__(self, store: Store) -> None:
        super().__init__(store)
        self.builder = _TaskBuilder(store)

    def label_config(self) -> str:
        return comparison_config()

    def item(self, verdict: StoredVerdict) -> _PairTask:
        """The task of a pair: its data, the judge's verdict as its prediction."""
        payload = {"data": self.builder.data(verdict),
                   "predictions": [self.builder.prediction(verdict)]}  # fmt: skip
        return _PairTask(verdict, payload)

    def record(self, server: str, project_id: int, batch: list[Any], task_ids: list[int]) -> None:
        items = cast(list[_PairTask], batch)
        self.store.verification.record_tasks([
            ComparisonTask(server, project_id, v.pair, int(task_id), None,
                           V.verdict_digest(v.verdict, v.judge), v.relation)
            for v, task_id in zip((item.verdict for item in items), task_ids, strict=True)
        ])  # fmt: skip

    def adopt(self, server: str, project_id: int, found: list[tuple[Any, ClaimPair]]) -> None:
        """Adopt tasks an interrupted push made (matched by pair key)."""
        self.store.verification.record_tasks([
            ComparisonTask(server, project_id, pair, int(task.id), None,
                           (task.data or {}).get("verdict_digest"), "")
            for task, pair in found
        ])  # fmt: skip


class _TaskBuilder(Quotes):
    """Builds tasks and predictions, keeping recently used documents' texts at hand."""

    def data(self, verdict: StoredVerdict) -> dict[str, Any]:
        return comparison_task_data(
            verdict.pair, self.document(verdict.a.doc_id), self.document(verdict.b.doc_id),
            V.verdict_digest(verdict.verdict, verdict.judge),
        )  # fmt: skip

    def prediction(self, verdict: StoredVerdict) -> dict[str, Any]:
        quote_a, quote_b = self.quotes(verdict.pair)
        return V.verdict_prediction(verdict.verdict, quote_a, quote_b, verdict.judge,
                                    verdict.similarity)  # fmt: skip


def comparison_task_data(
    pair: ClaimPair, document_a: Document, document_b: Document, digest: str = ""
) -> dict[str, Any]:
    """The task's data: each claim's quote, the sentences around it, its outlet and date."""
    data: dict[str, Any] = {"pair": pair.key, "verdict_digest": digest}
    for side, ref, document in (("a", pair.a, document_a), ("b", pair.b, document_b)):
        before, after = context(document.text, ref.start, ref.end)
        data[f"claim_{side}"] = document.text[ref.start : ref.end]
        data[f"before_{side}"] = before
        data[f"after_{side}"] = after
        names = (document.reader_label, document.published)
        data[V.source_key(side)] = " · ".join(filter(None, names))
        data[f"doc_{side}"] = ref.doc_id
        data[f"{side}_start"] = ref.start
        data[f"{side}_end"] = ref.end
    return data


#: Where a sentence ends: its stop (and any closing quote or bracket) then space, or a blank line.
_SENTENCE_END = re.compile(r"[.!?][\"'”’)\]]*\s+|\n\s*\n")


def context(text: str, start: int, end: int, limit: int = CONTEXT_CHARS) -> tuple[str, str]:
    """The text before and after a claim: the rest of its sentence and one sentence more.

    Cut at sentence ends where there are some within `limit` characters, else at
    `limit` with an ellipsis.
    """
    low = max(0, start - limit)
    ends = [m.end() for m in _SENTENCE_END.finditer(text, low, start)]
    cut = ends[-2] if len(ends) >= 2 else (low if low == 0 or not ends else ends[0])
    before = ("…" if cut > 0 and cut == low else "") + text[cut:start]
    high = min(len(text), end + limit)
    ends = [m.end() for m in _SENTENCE_END.finditer(text, end, high)]
    stop = ends[1] if len(ends) >= 2 else high
    after = text[end:stop] + ("…" if stop == high < len(text) and len(ends) < 2 else "")
    return before.lstrip(), after.rstrip()


def _replace_prediction(
    store: Store,
    client: LabelStudio,
    kind: PairTasks,
    task: ComparisonTask,
    verdict: StoredVerdict,
) -> None:
    """The task shows the judge's new verdict instead of its old one."""
    if task.prediction_id is not None:
        old_ids = [task.prediction_id]
    else:  # imported with its task: Label Studio did not say its id
        old_ids = [int(p.id) for p in client.predictions.list(task=task.task_id) if p.id]
    for prediction_id in old_ids:
        client.predictions.delete(id=prediction_id)
    payload = kind.builder.prediction(verdict)
    made = client.predictions.create(task=task.task_id, **payload)
    store.verification.record_tasks([
        ComparisonTask(task.server, task.project_id, task.pair, task.task_id, made.id,
                       V.verdict_digest(verdict.verdict, verdict.judge), verdict.relation)
    ])  # fmt: skip


__all__ = [
    "ComparisonPushReport",
    "comparison_task_data",
    "context",
    "count_pairs_to_push",
    "push_comparisons",
    "stratified_sample",
]
