"""Agreement coefficients against published worked examples, not only a library.

* Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section C:
  4 observers, 12 units, values 1-5 with missing data: nominal alpha = 0.743,
  ordinal alpha = 0.815.
* Fleiss (1971): 30 patients, 6 psychiatrists, 5 diagnoses (the table R's irr
  package ships as `diagnoses`): kappa = 0.430 (irr: 0.4302445); rater 1 vs
  rater 2 Cohen's kappa = 0.651 (irr `kappa2`).
* Fleiss' kappa, Wikipedia worked example (10 subjects, 14 raters): 0.210.
* Cohen's kappa and Gwet's AC1 on a 2 x 2 table worked by hand below.
"""

from __future__ import annotations

import math

import pytest

from annotate.gold.coefficients import (
    bootstrap_interval,
    cohen_kappa,
    fleiss_kappa,
    gwet_ac1,
    krippendorff_alpha,
    mean_pairwise_cohen,
    observed_agreement,
    pairable,
)

_ = None
KRIPPENDORFF_2011 = [  # rows: observers A-D; columns: units 1-12
    [1, 2, 3, 3, 2, 1, 4, 1, 2, _, _, _],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, _, 3],
    [_, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, _],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, _],
]
KRIPPENDORFF_UNITS = [list(unit) for unit in zip(*KRIPPENDORFF_2011, strict=True)]

FLEISS_1971 = [
    [4, 4, 4, 4, 4, 4], [2, 2, 2, 5, 5, 5], [2, 3, 3, 3, 3, 5], [5, 5, 5, 5, 5, 5],
    [2, 2, 2, 4, 4, 4], [1, 1, 3, 3, 3, 3], [3, 3, 3, 3, 5, 5], [1, 1, 3, 3, 3, 4],
    [1, 1, 4, 4, 4, 4], [5, 5, 5, 5, 5, 5], [1, 4, 4, 4, 4, 4], [1, 2, 4, 4, 4, 4],
    [2, 2, 2, 3, 3, 3], [1, 4, 4, 4, 4, 4], [2, 2, 4, 4, 4, 5], [3, 3, 3, 3, 3, 5],
    [1, 1, 1, 4, 5, 5], [1, 1, 1, 1, 1, 2], [2, 2, 4, 4, 4, 4], [1, 3, 3, 5, 5, 5],
    [5, 5, 5, 5, 5, 5], [2, 4, 4, 4, 4, 4], [2, 2, 4, 5, 5, 5], [1, 1, 4, 4, 4, 4],
    [1, 4, 4, 4, 4, 5], [2, 2, 2, 2, 2, 4], [1, 1, 1, 1, 5, 5], [2, 2, 4, 4, 4, 4],
    [1, 3, 3, 3, 3, 3], [5, 5, 5, 5, 5, 5],
]  # fmt: skip

#: Wikipedia's Fleiss example as counts per category (10 subjects x 5 categories).
WIKIPEDIA_COUNTS = [
    [0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0], [2, 2, 8, 1, 1],
    [7, 7, 0, 0, 0], [3, 2, 6, 3, 0], [2, 5, 3, 2, 2], [6, 5, 2, 1, 0], [0, 2, 2, 3, 7],
]  # fmt: skip


def from_counts(rows: list[list[int]]) -> list[list[int]]:
    return [[category for category, n in enumerate(row) for _ in range(n)] for row in rows]


def test_krippendorff_2011_worked_example() -> None:
    assert krippendorff_alpha(KRIPPENDORFF_UNITS, "nominal") == pytest.approx(0.743, abs=5e-4)
    ordinal = krippendorff_alpha(KRIPPENDORFF_UNITS, "ordinal", order=[1, 2, 3, 4, 5])
    assert ordinal == pytest.approx(0.815, abs=5e-4)


def test_units_with_one_coder_are_excluded() -> None:
    assert len(pairable(KRIPPENDORFF_UNITS)) == 11  # unit 12 has a single value
    with_lonely = [*KRIPPENDORFF_UNITS, [_, _, 4, _], [_, 1, _, _]]
    assert krippendorff_alpha(with_lonely) == krippendorff_alpha(KRIPPENDORFF_UNITS)
    assert fleiss_kappa(with_lonely) == fleiss_kappa(KRIPPENDORFF_UNITS)
    assert observed_agreement(with_lonely) == observed_agreement(KRIPPENDORFF_UNITS)


def test_fleiss_1971() -> None:
    assert fleiss_kappa(FLEISS_1971) == pytest.approx(0.4302445, abs=1e-7)
    rater1, rater2 = [u[0] for u in FLEISS_1971], [u[1] for u in FLEISS_1971]
    assert cohen_kappa(rater1, rater2) == pytest.approx(0.651, abs=5e-4)


def test_fleiss_wikipedia_example() -> None:
    assert fleiss_kappa(from_counts(WIKIPEDIA_COUNTS)) == pytest.approx(0.210, abs=5e-4)


def test_cohen_and_gwet_on_a_two_by_two_table_by_hand() -> None:
    # 50 items: both yes 20, both no 15, A yes / B no 5, A no / B yes 10.
    first = ["y"] * 20 + ["n"] * 15 + ["y"] * 5 + ["n"] * 10
    second = ["y"] * 20 + ["n"] * 15 + ["n"] * 5 + ["y"] * 10
    # p_o = 0.70; p_e = 0.5*0.6 + 0.5*0.4 = 0.50 -> kappa = 0.40
    assert cohen_kappa(first, second) == pytest.approx(0.40)
    # pi_yes = (25 + 30) / 100 = 0.55; p_e = 2 * 0.55 * 0.45 = 0.495 -> AC1 = 0.205 / 0.505
    table = list(zip(first, second, strict=True))
    assert gwet_ac1(table) == pytest.approx(0.205 / 0.505)
    assert observed_agreement(table) == pytest.approx(0.70)
    assert mean_pairwise_cohen(table) == pytest.approx(0.40)


def test_gwet_stays_high_where_kappa_collapses_on_skewed_categories() -> None:
    table = [("a", "a")] * 18 + [("a", "b"), ("b", "a")]
    assert fleiss_kappa(table) < 0 < 0.85 < gwet_ac1(table)


def test_undefined_cases_are_nan_not_a_number_made_up() -> None:
    assert math.isnan(krippendorff_alpha([["a", "a"], ["a", "a"]]))
    assert math.isnan(observed_agreement([["a", None], [None, "b"]]))
    assert gwet_ac1([["a", "a"], ["a", "a"]]) == 1.0


def test_bootstrap_interval_brackets_the_estimate_and_is_seeded() -> None:
    def alpha(units: list[object]) -> float:
        return krippendorff_alpha(units)  # type: ignore[arg-type]

    low, high = bootstrap_interval(KRIPPENDORFF_UNITS, alpha, resamples=300, seed=1)
    assert low < krippendorff_alpha(KRIPPENDORFF_UNITS) < high <= 1.0
    assert (low, high) == bootstrap_interval(KRIPPENDORFF_UNITS, alpha, resamples=300, seed=1)


def test_coincidence_alpha_matches_the_published_example_and_the_package() -> None:
    from annotate.gold.coefficients import (
        Patterns,
        alpha_from_coincidences,
        bootstrap_alpha,
        coincidences,
        krippendorff_alpha_of,
    )

    patterns = Patterns.from_table(KRIPPENDORFF_UNITS)
    matrix = coincidences(patterns, [1, 2, 3, 4, 5])
    assert alpha_from_coincidences(matrix, "nominal") == pytest.approx(0.743, abs=5e-4)
    assert alpha_from_coincidences(matrix, "ordinal") == pytest.approx(0.815, abs=5e-4)
    import random

    rng = random.Random(3)
    for coders in (2, 3, 4, 6):
        for _ in range(20):
            table = [[rng.choice([None, 0, 1, 2, 3]) for _ in range(coders)] for _ in range(40)]
            found = Patterns.from_table(table)
            for level in ("nominal", "ordinal"):
                package = _package_alpha(table, level)
                if math.isnan(package):
                    continue
                point = krippendorff_alpha_of(found, level, [0, 1, 2, 3])  # type: ignore[arg-type]
                ours = alpha_from_coincidences(coincidences(found, [0, 1, 2, 3]), level)  # type: ignore[arg-type]
                if coders <= 3:  # halves only: every step is exact, so equal to the last bit
                    assert point == package
                assert point == pytest.approx(package, abs=1e-12)
                assert ours == pytest.approx(package, abs=1e-9)
    low, high = bootstrap_alpha(patterns, "nominal", [1, 2, 3, 4, 5], resamples=500, seed=2)
    assert low < 0.743 < high


def _package_alpha(table: list[list[int | None]], level: str) -> float:
    """The `krippendorff` package on the table itself (coders x units), the reference."""
    import krippendorff
    import numpy as np

    data = np.array([[np.nan if v is None else v for v in unit] for unit in table], float).T
    if len({v for unit in table for v in unit if v is not None}) < 2:
        return math.nan
    if not ((~np.isnan(data)).sum(axis=0) >= 2).any():
        return math.nan
    return float(krippendorff.alpha(reliability_data=data, level_of_measurement=level,
                                    value_domain=[0, 1, 2, 3]))  # fmt: skip


def test_patterns_keep_a_large_table_in_few_counts() -> None:
    from annotate.gold.coefficients import Patterns, fleiss_kappa_of

    big = Patterns.from_table(FLEISS_1971 * 1000)
    assert big.units == 30_000 and len(big.counts) <= 30
    assert fleiss_kappa_of(big) == pytest.approx(fleiss_kappa(FLEISS_1971), abs=1e-12)
