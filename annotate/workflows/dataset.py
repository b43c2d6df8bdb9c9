"""The gold dataset with the comparison's judge scored in its card."""

from __future__ import annotations

from functools import partial
from typing import Any

from annotate.errors import InputError
from annotate.gold.export import export_dataset
from annotate.store import Store


def judge_scores(store: Store) -> dict[str, Any] | None:
    """The comparison's judge against people's verdicts, for the card (None if not scorable).

    The comparison's modules load scikit-learn and scipy: imported only when an
    export has a comparison to score, so a gold-only export does not pay for them.
    """
    from annotate.compare.evaluate import evaluate_judge

    try:
        return evaluate_judge(store)
    except InputError:  # no verified pair was judged by the last comparison
        return None


#: The gold export (`gold.export`) with its card scoring the comparison's judge (`compare`).
export_with_judge_scores = partial(export_dataset, score_judge=judge_scores)
