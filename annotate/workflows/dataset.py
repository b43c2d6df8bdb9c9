"""The gold dataset with the comparison's judge scored in its card."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from annotate.compare.evaluate import evaluate_judge
from annotate.errors import InputError
from annotate.gold.adjudicate import Policy
from annotate.gold.export import Split, export_dataset
from annotate.store import Store


def export_with_judge_scores(
    store: Store,
    out: Path,
    *,
    splits: list[Split],
    seed: int,
    policy: Policy,
    reviewers: Sequence[str],
    workers: int,
) -> dict[str, Any]:
    """Export the gold (`gold.export`), its card scoring the comparison's judge (`compare`)."""
    return export_dataset(
        store, out, splits=splits, seed=seed, policy=policy, reviewers=reviewers,
        workers=workers, score_judge=judge_scores,
    )  # fmt: skip


def judge_scores(store: Store) -> dict[str, Any] | None:
    """The comparison's judge against people's verdicts, for the card (None if not scorable)."""
    try:
        return evaluate_judge(store)
    except InputError:  # no verified pair was judged by the last comparison
        return None
