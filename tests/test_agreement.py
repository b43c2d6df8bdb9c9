"""Agreement per Label Studio control on small corpora worked by hand."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from annotate.gold.agreement import agreement_report, match_count
from annotate.gold.coefficients import krippendorff_alpha
from annotate.preannotate.grounding import ground_extraction
from annotate.preannotate.providers.rules import extract_rules
from annotate.schemas import (
    OUTLET,
    Annotation,
    DocumentStance,
    GroundedActor,
    GroundedClaim,
    Span,
)

from .conftest import SEEDS

TEXT = "Putin said NATO must stop. Raisi said sanctions failed. Lavrov said talks went well."


def span(part: str) -> Span:
    start = TEXT.index(part)
    return Span(start=start, end=start + len(part), text=part)


def claim(part: str, attribution: str = "indirect", speaker: str = OUTLET) -> GroundedClaim:
    return GroundedClaim(
        span=span(part),
        speaker=speaker,
        cue=None,
        attribution=attribution,  # type: ignore[arg-type]
        check_worthy=True,
        proposition=part,
    )


def annotation(*claims: GroundedClaim, overall: str = "neutral", **actors: str) -> Annotation:
    return Annotation(
        actors=[
            GroundedActor(canonical_name=name, type=kind, mentions=[span(name)])  # type: ignore[arg-type]
            for name, kind in actors.items()
        ],
        claims=list(claims),
        document=DocumentStance(main_target="NATO", overall=overall),  # type: ignore[arg-type]
    )


def test_span_f1_exact_and_partial_by_hand() -> None:
    first = annotation(claim("NATO must stop"), claim("sanctions failed"), Putin="person")
    second = annotation(claim("NATO must"), claim("sanctions failed"), Putin="country")
    report = agreement_report({"d": {"a": first, "b": second}}, resamples=50)
    claims = report["fields"]["claim"]
    # exact: 1 match of 2 and 2 -> F1 = 2*1/(2+1+1) = 0.5; partial: both overlap -> 1.0
    assert claims["f1_exact"] == 0.5 and claims["f1_partial"] == 1.0
    actors = report["fields"]["actor"]
    assert actors["f1_exact"] == 0.0  # same span, different label
    assert actors["per_label"]["person"]["f1_exact"] == 0.0
    assert report["annotators"] == ["a", "b"] and report["documents"] == 1


def test_region_choices_are_units_matched_by_overlap() -> None:
    one = annotation(claim("NATO must stop", "direct"), claim("sanctions failed", "indirect"))
    two = annotation(claim("NATO must", "direct"), claim("sanctions failed", "authorial"))
    three = annotation(claim("NATO must stop", "direct"))  # did not mark the second claim
    corpus = {"d": {"a": one, "b": two, "c": three}}
    attribution = agreement_report(corpus, resamples=50)["fields"]["attribution"]
    assert attribution["units"] == 2
    table = [["direct", "direct", "direct"], ["indirect", "authorial", None]]
    assert attribution["krippendorff_alpha_nominal"] == pytest.approx(
        krippendorff_alpha(table, "nominal", ("direct", "indirect", "authorial")), abs=1e-4
    )
    # unit 1: all three agree (3 of 3 pairs); unit 2: 0 of 1 pair -> mean 0.5
    assert attribution["observed_agreement"] == 0.5


def test_ordinal_field_reports_both_alphas_and_intervals() -> None:
    corpus = {
        f"d{i}": {
            "a": annotation(overall=x),
            "b": annotation(overall=y),
        }
        for i, (x, y) in enumerate(
            [("against", "strongly_against"), ("favor", "favor"), ("neutral", "against"),
             ("strongly_favor", "favor"), ("against", "against")]
        )
    }  # fmt: skip
    overall = agreement_report(corpus, resamples=200)["fields"]["overall_stance"]
    assert overall["krippendorff_alpha_ordinal"] > overall["krippendorff_alpha_nominal"]
    low, high = overall["krippendorff_alpha_ordinal_ci95"]
    assert low <= overall["krippendorff_alpha_ordinal"] <= high


def test_one_to_one_matching() -> None:
    counts = match_count([1, 1, 2], [1, 3], lambda a, b: a == b)
    assert (counts.true_positive, counts.false_positive, counts.false_negative) == (1, 2, 1)


def test_identical_annotators_agree_perfectly_on_the_seeds_and_json_is_clean() -> None:
    corpus = {}
    for path in sorted(SEEDS.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        grounded = ground_extraction(text, extract_rules(text)).annotation
        corpus[path.name] = {"x": grounded, "y": grounded.model_copy(deep=True)}
    report = agreement_report(corpus, resamples=20)
    json.dumps(report, allow_nan=False)  # NaN would break strict JSON readers
    for field in ("claim", "cue", "actor"):
        assert report["fields"][field]["f1_exact"] == 1.0
    assert report["fields"]["relation:speaker"]["f1"] == 1.0
    assert report["fields"]["attribution"]["observed_agreement"] == 1.0


def test_report_is_reproducible(tmp_path: Path) -> None:
    first = annotation(claim("NATO must stop"), overall="favor")
    second = annotation(claim("NATO must stop", "direct"), overall="against")
    corpus = {"d1": {"a": first, "b": second}, "d2": {"a": second, "b": first}}
    assert agreement_report(corpus) == agreement_report(corpus)
