"""The rules judge on trap pairs: claims about different things that look alike are never a
contradiction; the planted contradictions among them are found on their detail.

tests/data/compare/traps.json (written for this project; its "about" says how) holds pairs
of kinds that fooled the judge on real news (issue 17): a part and its whole, a share and
its complement, an update, a unit conversion, a range and a point in it, two groups, the
dates of two events, two sums of money, a negation in another clause. Each pair is built
into the judge's `Pair` as `annotate compare` builds it (`annotate.compare.records`).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from annotate.compare.records import claim_names, pairs_of

from .pairs_file import load, rules_verdict

TRAPS = Path(__file__).parent / "data" / "compare" / "traps.json"
RECORDS, PAIRS = load(TRAPS)
TRAP_KINDS = ("part_whole", "complement", "update", "unit_conversion", "range_point",
              "two_groups", "two_events", "two_sums", "negation_elsewhere")  # fmt: skip


def _verdict(record: dict[str, Any]) -> Any:
    return rules_verdict(PAIRS[record["id"]])


def test_the_trap_set_has_six_pairs_or_more_of_every_kind() -> None:
    kinds = Counter(r["kind"] for r in RECORDS)
    assert all(kinds[kind] >= 6 for kind in TRAP_KINDS), kinds
    assert kinds["planted_contradiction"] >= 6
    assert len({r["id"] for r in RECORDS}) == len(RECORDS)
    traps = [r for r in RECORDS if r["kind"] in TRAP_KINDS]
    assert all("contradicts" not in r["expected"] for r in traps)


@pytest.mark.parametrize("record", [r for r in RECORDS if r["kind"] in TRAP_KINDS],
                         ids=lambda r: r["id"])  # fmt: skip
def test_a_trap_is_no_contradiction_and_says_why(record: dict[str, Any]) -> None:
    verdict = _verdict(record)
    assert verdict.relation != "contradicts", (record["note"], verdict.rationale)
    assert verdict.relation in record["expected"], (record["note"], verdict.rationale)
    assert verdict.rationale


@pytest.mark.parametrize("record", [r for r in RECORDS if r["kind"] == "planted_contradiction"],
                         ids=lambda r: r["id"])  # fmt: skip
def test_a_planted_contradiction_is_found_and_names_what_is_same_and_what_differs(
    record: dict[str, Any],
) -> None:
    verdict = _verdict(record)
    assert (verdict.relation, verdict.detail) == ("contradicts", record["detail"])
    assert verdict.values is not None
    assert verdict.values.a != verdict.values.b
    assert verdict.rationale.startswith("Same ")  # what is the same ...
    assert verdict.values.a in verdict.rationale  # ... and what differs
    assert verdict.values.b in verdict.rationale


@pytest.mark.parametrize("record", [r for r in RECORDS if r["kind"] in
                                    ("same", "elaborates", "unrelated")],
                         ids=lambda r: r["id"])  # fmt: skip
def test_controls_keep_their_relation(record: dict[str, Any]) -> None:
    assert _verdict(record).relation in record["expected"]


def test_records_become_pairs_as_the_pipeline_makes_them() -> None:
    """Names become actors linked across claims; similarity is the candidates' cosine."""
    assert claim_names("But President Vladimir Putin met NATO in Geneva.") == (
        "Vladimir Putin", "NATO", "Geneva")  # fmt: skip
    [pair] = pairs_of([
        ({"quote": "Vladimir Putin met Raisi in Moscow.", "speaker": "OUTLET", "outlet": "A",
          "published": "2022-01-20"},
         {"quote": "Putin met Ebrahim Raisi in Moscow on Wednesday.", "speaker": "Peskov",
          "outlet": "B", "published": "2022-01-20"}),
    ])  # fmt: skip
    assert pair.a_actors <= pair.b_actors  # "Putin" is "Vladimir Putin", "Raisi" "Ebrahim Raisi"
    assert len(pair.b_actors) == len(pair.a_actors) + 1  # and Peskov speaks
    assert 0.3 < pair.similarity < 1.0
    assert pair.mutual
    assert pair.b.outlet.published is not None and pair.b.speaker == "Peskov"
