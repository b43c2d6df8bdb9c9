"""Agreement coefficients for categorical codes, computed as the literature does.

A reliability table has one row per unit (a document, or a claim matched across
annotators) and one value per coder, ``None`` where that coder did not code the
unit. Units coded by fewer than two coders carry no information about
agreement and are excluded (Krippendorff 2011, §2), by every coefficient alike.

The table is kept as `Patterns`: counts of distinct units (which coder gave
which value). Every coefficient is a function of those counts, so a corpus of
100,000 documents costs as much memory as its few hundred distinct patterns,
and a bootstrap resample is a multinomial draw over patterns (the same
distribution as resampling units with replacement) instead of a pass over units.

* observed agreement: the share of agreeing coder pairs within units, averaged
  over units;
* Cohen's kappa (1960) for each pair of coders over the units both coded,
  averaged over pairs (Light 1971);
* Fleiss' kappa (1971), generalised to a varying number of coders per unit
  (per-unit agreement averaged over units, chance from the pooled category
  shares); identical to Fleiss when every unit has the same number of coders;
* Krippendorff's alpha, nominal or ordinal: the point estimate by the
  `krippendorff` package's own formulas on the coincidence matrix of the
  pattern counts (tests check it equals the package); bootstrap resamples from
  the coincidence-matrix formulas of Krippendorff (2011);
* Gwet's AC1 (2008): observed agreement with chance ``1/(Q−1) Σ π_q (1 − π_q)``;
* percentile bootstrap confidence intervals.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Callable, Hashable, Mapping, Sequence
from itertools import combinations
from typing import Any, Literal

import numpy as np

Unit = Sequence[Hashable | None]
Table = Sequence[Unit]
Level = Literal["nominal", "ordinal"]
#: A unit as the sorted (coder, value) pairs of the coders who coded it.
Pattern = tuple[tuple[Hashable, Hashable], ...]


class Patterns:
    """A reliability table as counts of distinct pairable units."""

    def __init__(self, counts: Mapping[Pattern, float] | None = None) -> None:
        self.counts: Counter[Pattern] = Counter(counts or {})

    @classmethod
    def from_table(cls, table: Table) -> Patterns:
        patterns = cls()
        for unit in table:
            patterns.add(dict(enumerate(unit)))
        return patterns

    def add(self, unit: Mapping[Any, Hashable | None]) -> None:
        """Count one unit (coder -> value); units with fewer than two values are dropped."""
        coded = pattern_of(unit)
        if coded is not None:
            self.counts[coded] += 1

    @property
    def units(self) -> int:
        return int(sum(self.counts.values()))

    def values(self) -> list[Hashable]:
        return sorted({v for p in self.counts for _, v in p}, key=str)

    def resample(self, rng: np.random.Generator) -> np.ndarray:
        """Units drawn with replacement: how often each pattern (in `counts` order) was drawn."""
        weights = np.fromiter(self.counts.values(), dtype=float, count=len(self.counts))
        return rng.multinomial(int(weights.sum()), weights / weights.sum())


def pattern_of(unit: Mapping[Any, Hashable | None]) -> Pattern | None:
    """A unit (coder -> value) as the pattern `Patterns` counts; None when fewer than two
    coders coded it (such a unit says nothing about agreement)."""
    coded = tuple(sorted(((c, v) for c, v in unit.items() if v is not None), key=str))
    return coded if len(coded) >= 2 else None


def _unit_agreement(pattern: Pattern) -> float:
    n = len(pattern)
    return sum(c * (c - 1) for c in Counter(v for _, v in pattern).values()) / (n * (n - 1))


def _weighted_mean(patterns: Patterns, value: Callable[[Pattern], float]) -> float:
    total = patterns.units
    if not total:
        return math.nan
    return sum(n * value(p) for p, n in patterns.counts.items()) / total


def _chance_corrected(observed: float, expected: float) -> float:
    if math.isnan(observed):
        return math.nan
    if expected >= 1.0:
        return 1.0 if observed >= 1.0 else math.nan
    return (observed - expected) / (1 - expected)


# --------------------------------------------------------------------------
# Coefficients over patterns
# --------------------------------------------------------------------------


def observed_agreement_of(patterns: Patterns) -> float:
    return _weighted_mean(patterns, _unit_agreement)


def fleiss_kappa_of(patterns: Patterns) -> float:
    pooled: Counter[Hashable] = Counter()
    for pattern, n in patterns.counts.items():
        for _, value in pattern:
            pooled[value] += n
    total = sum(pooled.values())
    if not total:
        return math.nan
    expected = sum((count / total) ** 2 for count in pooled.values())
    return _chance_corrected(observed_agreement_of(patterns), expected)


def gwet_ac1_of(patterns: Patterns, categories: Sequence[Hashable] = ()) -> float:
    seen = list(categories) or patterns.values()
    observed = observed_agreement_of(patterns)
    if len(seen) < 2:
        return 1.0 if observed == 1.0 else math.nan
    shares = {q: _weighted_mean(patterns, _share_of(q)) for q in seen}
    expected = sum(s * (1 - s) for s in shares.values()) / (len(seen) - 1)
    return _chance_corrected(observed, expected)


def _share_of(category: Hashable) -> Callable[[Pattern], float]:
    def share(pattern: Pattern) -> float:
        return sum(value == category for _, value in pattern) / len(pattern)

    return share


def mean_pairwise_cohen_of(patterns: Patterns) -> float:
    coders = sorted({c for p in patterns.counts for c, _ in p}, key=str)
    kappas = []
    for first, second in combinations(coders, 2):
        pairs: Counter[tuple[Hashable, Hashable]] = Counter()
        for pattern, n in patterns.counts.items():
            values = dict(pattern)
            if first in values and second in values:
                pairs[(values[first], values[second])] += n
        kappa = _cohen_from_pairs(pairs)
        if not math.isnan(kappa):
            kappas.append(kappa)
    return sum(kappas) / len(kappas) if kappas else math.nan


def _cohen_from_pairs(pairs: Counter[tuple[Hashable, Hashable]]) -> float:
    n = sum(pairs.values())
    if not n:
        return math.nan
    observed = sum(count for (a, b), count in pairs.items() if a == b) / n
    left: Counter[Hashable] = Counter()
    right: Counter[Hashable] = Counter()
    for (a, b), count in pairs.items():
        left[a] += count
        right[b] += count
    expected = sum(left[c] * right[c] for c in left) / (n * n)
    return _chance_corrected(observed, expected)


def coincidences(patterns: Patterns, order: Sequence[Hashable]) -> np.ndarray:
    """Krippendorff's coincidence matrix o_ck, summed over (weighted) units."""
    index = {value: i for i, value in enumerate(order)}
    matrix = np.zeros((len(order), len(order)))
    for pattern, n in patterns.counts.items():
        counts = np.zeros(len(order))
        for _, value in pattern:
            counts[index[value]] += 1
        matrix += n * (np.outer(counts, counts) - np.diag(counts)) / (len(pattern) - 1)
    return matrix


def alpha_from_coincidences(matrix: np.ndarray, level: Level) -> float:
    """Alpha = 1 − (n−1) Σ o_ck δ²_ck / Σ n_c n_k δ²_ck (Krippendorff 2011)."""
    marginals = matrix.sum(axis=1)
    total = marginals.sum()
    if total <= 1:
        return math.nan
    size = len(marginals)
    if level == "nominal":
        delta = 1.0 - np.eye(size)
    else:  # ordinal: squared rank distance through the marginals between c and k
        cumulative = np.concatenate([[0.0], np.cumsum(marginals)])
        low, high = (
            np.minimum.outer(range(size), range(size)),
            np.maximum.outer(range(size), range(size)),
        )
        between = cumulative[high + 1] - cumulative[low]
        delta = (between - (marginals[low] + marginals[high]) / 2) ** 2
    expected = (np.outer(marginals, marginals) * delta).sum()
    if expected == 0:
        return math.nan
    return float(1 - (total - 1) * (matrix * delta).sum() / expected)


def krippendorff_alpha_of(
    patterns: Patterns, level: Level = "nominal", order: Sequence[Hashable] = ()
) -> float:
    """The point estimate, computed as the `krippendorff` package computes it.

    The package wants one column per unit (at 100,000 documents, millions of
    claims and hundreds of MB); the coincidence matrix of the pattern counts is
    the one it would build, and the rest follows its formulas step for step
    (random coincidences, distances, ``1 - sum(o d) / sum(e d)``), so the
    estimate is the package's (`tests/test_coefficients.py` checks it is equal).
    """
    values = list(order) or patterns.values()
    if len({v for p in patterns.counts for _, v in p}) < 2:
        return math.nan  # no variation: alpha divides zero by zero (Krippendorff 2011)
    o = coincidences(patterns, values)
    n_v = o.sum(axis=0)
    e = np.divide(np.outer(n_v, n_v) - np.diagflat(n_v), n_v.sum() - 1)
    d = _distances(len(values), level, n_v)
    return float(1 - (o * d).sum() / (e * d).sum())


def _distances(size: int, level: Level, n_v: np.ndarray) -> np.ndarray:
    """The package's nominal and ordinal distance matrices."""
    i1, i2 = np.arange(size)[:, np.newaxis], np.arange(size)[np.newaxis, :]
    if level == "nominal":
        return (i1 != i2).astype(float)
    low, high = np.minimum(i1, i2), np.maximum(i1, i2)
    ranges = np.dstack((low, high + 1))
    between = np.add.reduceat(np.append(n_v, 0), ranges.reshape(-1))[::2].reshape(*low.shape)
    return np.asarray((between - np.divide(n_v[low] + n_v[high], 2)) ** 2)


def bootstrap_alpha(
    patterns: Patterns,
    level: Level,
    order: Sequence[Hashable] = (),
    *,
    resamples: int = 1000,
    seed: int = 0,
) -> tuple[float, float]:
    """Percentile 95% interval of alpha, resampling units."""
    values = list(order) or patterns.values()
    if patterns.units < 2 or len(values) < 2:
        return (math.nan, math.nan)
    rng = np.random.default_rng(seed)
    # Each pattern's own coincidences, once: a resample's matrix is their weighted sum.
    per_pattern = np.stack([coincidences(Patterns({p: 1}), values) for p in patterns.counts])
    estimates = [
        alpha_from_coincidences(np.tensordot(patterns.resample(rng), per_pattern, axes=1), level)
        for _ in range(resamples)
    ]
    return percentile_interval(estimates)


def percentile_interval(estimates: Sequence[float], level: float = 0.95) -> tuple[float, float]:
    kept = sorted(e for e in estimates if not math.isnan(e))
    if not kept:
        return (math.nan, math.nan)
    low = kept[int((1 - level) / 2 * (len(kept) - 1))]
    high = kept[int((1 + level) / 2 * (len(kept) - 1))]
    return (low, high)


# --------------------------------------------------------------------------
# The same coefficients over plain tables (rows of values, None for missing)
# --------------------------------------------------------------------------


def pairable(table: Table) -> list[list[Hashable]]:
    """The units coded by at least two coders, without the missing entries."""
    units = [[value for value in unit if value is not None] for unit in table]
    return [unit for unit in units if len(unit) >= 2]


def observed_agreement(table: Table) -> float:
    return observed_agreement_of(Patterns.from_table(table))


def fleiss_kappa(table: Table) -> float:
    return fleiss_kappa_of(Patterns.from_table(table))


def gwet_ac1(table: Table, categories: Sequence[Hashable] = ()) -> float:
    return gwet_ac1_of(Patterns.from_table(table), categories)


def mean_pairwise_cohen(table: Table) -> float:
    return mean_pairwise_cohen_of(Patterns.from_table(table))


def cohen_kappa(first: Sequence[Hashable | None], second: Sequence[Hashable | None]) -> float:
    """Cohen's kappa of two coders over the units both coded."""
    pairs = Counter(
        (a, b) for a, b in zip(first, second, strict=True) if a is not None and b is not None
    )
    return _cohen_from_pairs(pairs)


def krippendorff_alpha(
    table: Table, level: Level = "nominal", order: Sequence[Hashable] = ()
) -> float:
    return krippendorff_alpha_of(Patterns.from_table(table), level, order)


def bootstrap_interval(
    units: Sequence[object],
    statistic: Callable[[Sequence[object]], float],
    *,
    resamples: int = 1000,
    seed: int = 0,
    level: float = 0.95,
) -> tuple[float, float]:
    """Percentile bootstrap CI of any `statistic`, resampling whole units (seeded)."""
    if len(units) < 2:
        return (math.nan, math.nan)
    rng = random.Random(seed)
    estimates = [
        statistic([units[rng.randrange(len(units))] for _ in units]) for _ in range(resamples)
    ]
    return percentile_interval(estimates, level)
