"""Adjudication: reviewer first, else majority per region and choice, else the single one."""

from __future__ import annotations

from pathlib import Path

import pytest

from annotate.codec import canonical_order
from annotate.gold.adjudicate import adjudicate
from annotate.preannotate.grounding import ground_extraction
from annotate.preannotate.providers.rules import extract_rules
from annotate.schemas import (
    Annotation,
    DocumentStance,
    GroundedActor,
    GroundedClaim,
    GroundedStance,
    Span,
)

from .conftest import SEEDS

TEXT = "Putin said NATO must stop. Raisi said sanctions failed. Lavrov said talks went well."


def span(part: str) -> Span:
    start = TEXT.index(part)
    return Span(start=start, end=start + len(part), text=part)


def claim(part: str, attribution: str = "indirect", check: bool = True) -> GroundedClaim:
    return GroundedClaim(
        span=span(part),
        speaker="OUTLET",
        cue=None,
        attribution=attribution,  # type: ignore[arg-type]
        check_worthy=check,
        proposition=part,
    )


def annotation(*claims: GroundedClaim, overall: str = "neutral") -> Annotation:
    return Annotation(
        claims=list(claims),
        document=DocumentStance(main_target="NATO", overall=overall),  # type: ignore[arg-type]
    )


def test_single_annotation_is_the_gold() -> None:
    only = annotation(claim("NATO must stop"))
    gold = adjudicate("d", TEXT, {"ann": only})
    assert gold.method == "single" and gold.annotation == only and not gold.contested


def test_reviewer_wins_and_disagreement_is_recorded() -> None:
    reviewer = annotation(claim("NATO must stop", "direct"))
    other = annotation(claim("NATO must stop", "indirect"))
    gold = adjudicate("d", TEXT, {"rev": reviewer, "ann": other}, reviewers=["rev"])
    assert gold.method == "reviewer" and gold.annotation == reviewer and gold.contested
    voted = adjudicate("d", TEXT, {"rev": reviewer, "ann": other}, policy="majority",
                       reviewers=["rev"])  # fmt: skip
    assert voted.method == "majority"


def test_majority_per_region_and_choice() -> None:
    a = annotation(claim("NATO must stop", "direct"), claim("sanctions failed"), overall="against")
    b = annotation(claim("NATO must stop", "direct"), overall="against")
    c = annotation(claim("NATO must", "indirect"), claim("talks went well"), overall="favor")
    gold = adjudicate("d", TEXT, {"a": a, "b": b, "c": c})
    assert gold.method == "majority" and gold.contested and gold.ties == []
    (kept,) = gold.annotation.claims  # 2 of 3 drew it; the others were drawn by one only
    assert kept.span == span("NATO must stop") and kept.attribution == "direct"
    assert gold.annotation.document is not None
    assert gold.annotation.document.overall == "against"
    assert gold.annotators == ["a", "b", "c"]


def test_ties_wait_for_a_reviewer_and_never_go_by_annotator_order() -> None:
    a = annotation(claim("NATO must stop", "direct"), overall="against")
    b = annotation(claim("NATO must stop", "indirect"), claim("sanctions failed"), overall="favor")
    gold = adjudicate("d", TEXT, {"b": b, "a": a})
    assert gold.method == "majority" and gold.unresolved
    assert any("attribution" in t for t in gold.tie_texts)
    assert any("overall_stance" in t for t in gold.tie_texts)
    assert any("drawn by 1 of 2" in t for t in gold.tie_texts)  # the claim only b drew
    swapped = adjudicate("d", TEXT, {"a": b, "b": a})  # the same answers, names swapped
    assert swapped.annotation == gold.annotation and swapped.ties == gold.ties
    reviewed = adjudicate("d", TEXT, {"b": b, "a": a}, review=b)
    assert reviewed.method == "review" and not reviewed.unresolved
    assert reviewed.annotation == b and reviewed.ties == gold.ties  # what the review resolved
    agreed = adjudicate("d", TEXT, {"a": a, "b": a}, review=b)  # no tie: a review changes nothing
    assert agreed.method == "majority" and agreed.annotation == a and not agreed.unresolved


@pytest.mark.parametrize("path", sorted(SEEDS.glob("*.txt"))[:2], ids=lambda p: p.name[:3])
def test_unanimous_annotators_give_back_their_annotation(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    grounded = ground_extraction(text, extract_rules(text)).annotation
    gold = adjudicate("d", text, {"x": grounded, "y": grounded, "z": grounded})
    assert gold.annotation == canonical_order(grounded)
    assert not gold.contested and gold.ties == []


def test_a_vote_that_makes_no_valid_annotation_leaves_the_document_unresolved() -> None:
    """Three annotators name three different holders of one stance: no holder wins."""
    actors = [
        GroundedActor(canonical_name=name, type="person", mentions=[span(name)])
        for name in ("Putin", "Raisi", "Lavrov")
    ]
    evidence = span("talks went well")
    annotations = {
        who: Annotation(
            actors=actors,
            stances=[GroundedStance(holder=holder, target="the talks", label="favor",
                                    evidence=evidence)],  # fmt: skip
        )
        for who, holder in (("ann@x", "Putin"), ("bob@x", "Raisi"), ("cat@x", "Lavrov"))
    }
    gold = adjudicate("d1", TEXT, annotations)
    assert gold.method == "majority" and gold.annotation is None and gold.contested
    assert any("needs a holder" in problem for problem in gold.problems)
