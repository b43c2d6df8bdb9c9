"""A comparison with what people decided first, and the judge scored against people."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from annotate.compare.evaluate import evaluate_judge
from annotate.compare.outputs import run_comparison
from annotate.compare.pipeline import Comparison, JudgeFactory
from annotate.gold.adjudicate import Policy
from annotate.gold.report import keep_gold
from annotate.gold.verdicts import keep_verified_verdicts
from annotate.store import Store


def compare_after_people(
    store: Store,
    make_judge: JudgeFactory,
    out: Path,
    *,
    origin: str,
    neighbours: int,
    policy: Policy,
    reviewers: Sequence[str],
    workers: int,
    on_pairs: Callable[[int], None] | None = None,
) -> Comparison:
    """Keep the gold (unless only predictions are compared) and people's verdicts, then compare.

    The gold comes first because the comparison reads it over the latest
    prediction; people's verdicts because the comparison takes them over its
    judge's.
    """
    if origin != "predictions":
        keep_gold(store, policy=policy, reviewers=reviewers, workers=workers)
    keep_verified_verdicts(store, policy=policy, reviewers=reviewers)
    return run_comparison(store, make_judge, out, origin=origin, k=neighbours, on_pairs=on_pairs)


def score_judge(store: Store, policy: Policy, reviewers: Sequence[str]) -> dict[str, Any]:
    """The last comparison's judge against people's verdicts, kept again from their answers."""
    keep_verified_verdicts(store, policy=policy, reviewers=reviewers)
    return evaluate_judge(store)
