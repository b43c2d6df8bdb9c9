"""The rules judge on pairs worded as two outlets word one story (issue 17, part 3).

tests/data/compare/contradictions_dev.json (invented news, written whole before the judge
was run on it; its "about" says how) holds planted contradictions on a number, a date,
an actor, a place or a polarity, told in different sentences, with other attributions,
figures and dates written differently; near-misses of traps.json's kinds worded the same
way; and one fact worded twice. The near-misses must never be a contradiction; the
planted ones are found at a floor a little below what the judge finds (26 of 35 when
the floors were last set): recall on real wording is what this set measures, and it is not
complete.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from .pairs_file import load, rules_verdict

DEV = Path(__file__).parent / "data" / "compare" / "contradictions_dev.json"
RECORDS, PAIRS = load(DEV)
PLANTED = [r for r in RECORDS if r["kind"].startswith("planted_")]
NEAR_MISSES = [r for r in RECORDS if not r["kind"].startswith("planted_")]
#: Planted contradictions found, of 35 (26 found when the floor was set).
PLANTED_FLOOR = 24
#: ... and of each detail's 7, at least (found when the floors were set: number 5, date
#: 6, actor 3, place 5, polarity 7).
DETAIL_FLOOR = {"number": 4, "date": 5, "actor": 2, "place": 4, "polarity": 6}


def _verdict(record: dict[str, Any]) -> Any:
    return rules_verdict(PAIRS[record["id"]])


def test_the_set_has_thirty_planted_and_thirty_near_misses() -> None:
    assert len(PLANTED) >= 30 and len(NEAR_MISSES) >= 30
    details = Counter(r["detail"] for r in PLANTED)
    assert set(details) == set(DETAIL_FLOOR)
    assert all("contradicts" not in r["expected"] for r in NEAR_MISSES)
    assert len({r["id"] for r in RECORDS}) == len(RECORDS)


@pytest.mark.parametrize("record", NEAR_MISSES, ids=lambda r: r["id"])
def test_a_near_miss_is_no_contradiction(record: dict[str, Any]) -> None:
    verdict = _verdict(record)
    assert verdict.relation != "contradicts", (record["note"], verdict.rationale)


def test_most_planted_contradictions_are_found_on_their_detail() -> None:
    found: Counter[str] = Counter()
    for record in PLANTED:
        verdict = _verdict(record)
        if (verdict.relation, verdict.detail) == ("contradicts", record["detail"]):
            found[record["detail"]] += 1
            assert verdict.values is not None and verdict.values.a != verdict.values.b
            assert verdict.values.a in verdict.rationale  # what differs ...
            assert verdict.values.b in verdict.rationale
            assert verdict.rationale.startswith("Same ")  # ... and what is the same
    assert sum(found.values()) >= PLANTED_FLOOR, found
    assert all(found[detail] >= floor for detail, floor in DETAIL_FLOOR.items()), found


def test_no_planted_contradiction_is_reported_on_another_detail() -> None:
    verdicts = [(r, _verdict(r)) for r in PLANTED]
    wrong = [
        r["id"] for r, v in verdicts if v.relation == "contradicts" and v.detail != r["detail"]
    ]
    assert not wrong
