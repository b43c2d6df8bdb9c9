"""Comparison tasks to Label Studio: one task per claim pair, the judge's verdict its prediction.

`push_comparisons` sends the candidate pairs of the last finished `annotate
compare` to a comparisons project (its config from the verdict schema): each
task holds both claims, the sentences around each, their outlets and dates,
and the judge's verdict as a prediction. Idempotent like `push`: the store
records each pair's task, so a pair is never sent twice; when the judge's
verdict on a pair changed, the task's prediction is replaced. With a sample
size, a stratified sample (by the judge's relation) is sent instead of every
pair, for measuring the judge. People's verdicts come back by `pull.pull` over
`comparisons.VerdictKind`.
"""

from __future__ import annotations

import hashlib
import heapq
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from annotate.codec import verdicts as V
from annotate.errors import InputError
from annotate.store import ClaimPair, ComparisonTask, Document, Store, StoredVerdict

from .comparisons import DEFAULT_COMPARISONS_PROJECT, Quotes, VerdictKind
from .connection import studio_errors
from .kind import unrecorded_tasks
from .labelconfig import comparison_config
from .push import CHUNK, ensure_project, import_tasks

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
    project, created = ensure_project(client, title, comparison_config())
    recovered = _recover_tasks(store, client, server, project.id)
    known = store.verification.tasks(server, project.id)
    verdicts: Iterable[StoredVerdict] = store.comparisons.iter_verdicts(run.id)
    if sample is not None:
        verdicts = stratified_sample(verdicts, sample, seed)
    builder = _TaskBuilder(store)
    new: list[StoredVerdict] = []
    considered = created_tasks = replaced = 0
    for verdict in verdicts:
        considered += 1
        task = known.get(verdict.pair.key)
        if task is None:
            new.append(verdict)
        elif task.prediction_digest != V.verdict_digest(verdict.verdict, verdict.judge):
            _replace_prediction(store, client, builder, task, verdict)
            replaced += 1
        if len(new) >= chunk:
            created_tasks += _import(store, client, server, project.id, builder, new)
            new = []
        if on_progress:
            on_progress(1)
    if new:
        created_tasks += _import(store, client, server, project.id, builder, new)
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
        data[V.source_key(side)] = " · ".join(filter(None, (document.outlet, document.published)))
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


def _import(
    store: Store,
    client: LabelStudio,
    server: str,
    project_id: int,
    builder: _TaskBuilder,
    verdicts: list[StoredVerdict],
) -> int:
    """Import one batch of pairs with their predictions; record the tasks at once."""
    tasks = [{"data": builder.data(v), "predictions": [builder.prediction(v)]} for v in verdicts]
    task_ids = import_tasks(client, project_id, tasks, "pairs", "annotate push --comparisons")
    store.verification.record_tasks([
        ComparisonTask(server, project_id, v.pair, int(task_id), None,
                       V.verdict_digest(v.verdict, v.judge), v.relation)
        for v, task_id in zip(verdicts, task_ids, strict=True)
    ])  # fmt: skip
    return len(task_ids)


def _replace_prediction(
    store: Store,
    client: LabelStudio,
    builder: _TaskBuilder,
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
    payload = builder.prediction(verdict)
    made = client.predictions.create(task=task.task_id, **payload)
    store.verification.record_tasks([
        ComparisonTask(task.server, task.project_id, task.pair, task.task_id, made.id,
                       V.verdict_digest(verdict.verdict, verdict.judge), verdict.relation)
    ])  # fmt: skip


def _recover_tasks(store: Store, client: LabelStudio, server: str, project_id: int) -> int:
    """Adopt tasks an interrupted push created but did not record (matched by pair key)."""
    found = [
        ComparisonTask(server, project_id, pair, int(task.id), None,
                       (task.data or {}).get("verdict_digest"), "")
        for task, pair in unrecorded_tasks(VerdictKind(store), client, server, project_id)
    ]  # fmt: skip
    store.verification.record_tasks(found)
    return len(found)


__all__ = [
    "ComparisonPushReport",
    "comparison_task_data",
    "context",
    "count_pairs_to_push",
    "push_comparisons",
    "stratified_sample",
]
