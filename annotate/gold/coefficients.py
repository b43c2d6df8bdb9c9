"""Agreement coefficients for categorical codes, computed as the literature does.

Input everywhere is a *reliability table*: one row per unit (a document, or a
claim matched across annotators), one entry per coder, ``None`` where that coder
did not code the unit. Units coded by fewer than two coders carry no
information about agreement and are excluded (Krippendorff 2011, §2), by every
coefficient here alike.

* observed agreement: the share of agreeing coder pairs within units, averaged
  over units (pairs weighted equally within a unit, units equally);
* Cohen's kappa (1960) for each pair of coders over the units both coded,
  averaged over pairs (Light 1971);
* Fleiss' kappa (1971), generalised to a varying number of coders per unit:
  per-unit agreement ``(Σ n_ij² − n_i) / (n_i(n_i − 1))`` averaged over units,
  chance from the pooled category shares; identical to Fleiss when every unit
  has the same number of coders (tested on Fleiss's own 30 × 6 table);
* Krippendorff's alpha, nominal or ordinal, from the `krippendorff` package
  (tested on Krippendorff's 2011 worked example, not only against the package);
* Gwet's AC1 (2008): the same observed agreement with chance
  ``1/(Q−1) Σ π_q (1 − π_q)``, robust to skewed category shares;
* percentile bootstrap confidence intervals, resampling units.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Callable, Hashable, Sequence
from itertools import combinations
from typing import Literal

import krippendorff
import numpy as np

Unit = Sequence[Hashable | None]
Table = Sequence[Unit]


def pairable(table: Table) -> list[list[Hashable]]:
    """The units coded by at least two coders, without the missing entries."""
    units = [[value for value in unit if value is not None] for unit in table]
    return [unit for unit in units if len(unit) >= 2]


def observed_agreement(table: Table) -> float:
    units = pairable(table)
    if not units:
        return math.nan
    return sum(_unit_agreement(unit) for unit in units) / len(units)


def _unit_agreement(unit: list[Hashable]) -> float:
    n = len(unit)
    return sum(c * (c - 1) for c in Counter(unit).values()) / (n * (n - 1))


def cohen_kappa(first: Sequence[Hashable | None], second: Sequence[Hashable | None]) -> float:
    """Cohen's kappa of two coders over the units both coded."""
    pairs = [(a, b) for a, b in zip(first, second, strict=True) if a is not None and b is not None]
    if not pairs:
        return math.nan
    n = len(pairs)
    observed = sum(a == b for a, b in pairs) / n
    left, right = Counter(a for a, _ in pairs), Counter(b for _, b in pairs)
    expected = sum(left[c] * right[c] for c in left) / (n * n)
    return _chance_corrected(observed, expected)


def mean_pairwise_cohen(table: Table) -> float:
    """Cohen's kappa averaged over every pair of coders who share a unit."""
    coders = max((len(unit) for unit in table), default=0)
    values = []
    for i, j in combinations(range(coders), 2):
        kappa = cohen_kappa([_at(u, i) for u in table], [_at(u, j) for u in table])
        if not math.isnan(kappa):
            values.append(kappa)
    return sum(values) / len(values) if values else math.nan


def _at(unit: Unit, index: int) -> Hashable | None:
    return unit[index] if index < len(unit) else None


def fleiss_kappa(table: Table) -> float:
    units = pairable(table)
    if not units:
        return math.nan
    observed = sum(_unit_agreement(unit) for unit in units) / len(units)
    pooled = Counter(value for unit in units for value in unit)
    total = sum(pooled.values())
    expected = sum((count / total) ** 2 for count in pooled.values())
    return _chance_corrected(observed, expected)


def gwet_ac1(table: Table, categories: Sequence[Hashable] | None = None) -> float:
    """Gwet's AC1; `categories` is the full category set (Q), by default those seen."""
    units = pairable(table)
    if not units:
        return math.nan
    observed = sum(_unit_agreement(unit) for unit in units) / len(units)
    seen = categories or sorted({v for unit in units for v in unit}, key=str)
    if len(seen) < 2:
        return 1.0 if observed == 1.0 else math.nan
    shares = {q: sum(unit.count(q) / len(unit) for unit in units) / len(units) for q in seen}
    expected = sum(p * (1 - p) for p in shares.values()) / (len(seen) - 1)
    return _chance_corrected(observed, expected)


Level = Literal["nominal", "ordinal"]


def krippendorff_alpha(
    table: Table, level: Level = "nominal", order: Sequence[Hashable] = ()
) -> float:
    """Krippendorff's alpha; `order` ranks the values for the ordinal level.

    Undefined (NaN) when the pairable values show no variation at all: alpha
    then divides zero by zero (Krippendorff 2011); AC1 is defined there.
    """
    units = [unit for unit in table if sum(v is not None for v in unit) >= 2]
    distinct = {v for unit in units for v in unit if v is not None}
    if len(distinct) < 2:
        return math.nan
    values = list(order) or sorted(distinct, key=str)
    rank = {value: position for position, value in enumerate(values)}
    matrix = np.full((max(len(unit) for unit in units), len(units)), np.nan)
    for column, unit in enumerate(units):
        for row, value in enumerate(unit):
            if value is not None:
                matrix[row, column] = rank[value]
    return float(
        krippendorff.alpha(
            reliability_data=matrix,
            level_of_measurement=level,
            value_domain=list(range(len(values))),
        )
    )


def _chance_corrected(observed: float, expected: float) -> float:
    if expected >= 1.0:
        return 1.0 if observed >= 1.0 else math.nan
    return (observed - expected) / (1 - expected)


def bootstrap_interval(
    units: Sequence[object],
    statistic: Callable[[Sequence[object]], float],
    *,
    resamples: int = 1000,
    seed: int = 0,
    level: float = 0.95,
) -> tuple[float, float]:
    """Percentile bootstrap CI of `statistic`, resampling whole units (seeded)."""
    if len(units) < 2:
        return (math.nan, math.nan)
    rng = random.Random(seed)
    estimates = []
    for _ in range(resamples):
        sample = [units[rng.randrange(len(units))] for _ in units]
        value = statistic(sample)
        if not math.isnan(value):
            estimates.append(value)
    if not estimates:
        return (math.nan, math.nan)
    estimates.sort()
    low = estimates[int((1 - level) / 2 * (len(estimates) - 1))]
    high = estimates[int((1 + level) / 2 * (len(estimates) - 1))]
    return (low, high)
