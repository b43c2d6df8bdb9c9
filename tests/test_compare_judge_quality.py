"""The rules judge's verdicts on the seeds, scored against hand-checked verdicts.

`annotate compare` runs on the seeds (rules annotator, rules judge), alone and
with the wire report of tests/test_comparisons_browser.py (90 Russian companies
where seed 002 says 80: the one true contradiction). Every candidate pair it
judges has a hand-checked verdict in tests/data/compare/seed_verdicts.json
(criteria at its top); they go into the store as people's verified verdicts and
`evaluate_judge` (the code behind `annotate compare --eval`) scores the judge.

The figures are pinned as measured: a change that lowers *or* raises them must
update this test and docs/benchmarks.md ("On the seeds"), saying so. They are
measured on the texts the rules were written against: an upper bound for the
rules judge, not its quality on unseen news.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from annotate.compare.evaluate import evaluate_judge
from annotate.schemas import Verdict
from annotate.store import ClaimPair, ClaimRef, Store, VerifiedVerdict

from .conftest import SEEDS, compared_by_the_rules
from .test_comparisons_browser import WIRE, WIRE_DATE, WIRE_TEXT

DATA = Path(__file__).parent / "data" / "compare"
HAND_CHECKED = json.loads((DATA / "seed_verdicts.json").read_text(encoding="utf-8"))
SEED_FACTS = json.loads((DATA / "seed_facts.json").read_text(encoding="utf-8"))
#: the relations that make two claims one fact (`annotate.compare.evaluate.SAME_FACT`)
SAME_FACT = {"same"}
runner = CliRunner()

Claim = tuple[str, str, ClaimRef]  # file name, quote, where


@dataclass
class Compared:
    """One comparison: its claims, its judged pairs, the hand-checked verdict of each, scores."""

    claims: list[Claim]
    #: (claim A, claim B) per line of pairs.jsonl
    judged: list[tuple[ClaimRef, ClaimRef]]
    #: per hand-checked entry (in the file's order), its two claims here (None: not here)
    refs: list[tuple[ClaimRef | None, ClaimRef | None]]
    #: `evaluate_judge` with the hand-checked verdicts as people's
    scores: dict[str, Any]

    def entries_of(self, a: ClaimRef, b: ClaimRef) -> list[int]:
        """The hand-checked entries of a pair, in either orientation."""
        return [i for i, (x, y) in enumerate(self.refs) if {x, y} == {a, b}]

    def claim(self, file: str, start: str) -> ClaimRef | None:
        """The one claim of the file (by name prefix) whose quote starts so, if any."""
        found = [r for name, quote, r in self.claims if name.startswith(file) and
                 quote.startswith(start)]  # fmt: skip
        assert len(found) <= 1, f"{file} {start!r} names {len(found)} claims: lengthen it"
        return found[0] if found else None


def _compare(folder: Path, extra: list[Path]) -> Compared:
    """Ingest, pre-annotate (rules), compare through the CLI; verify by the hand-checked file."""
    db, out = folder / "s.db", folder / "out"
    compared_by_the_rules(db, [SEEDS, *extra], out)
    facts = json.loads((out / "facts.json").read_text(encoding="utf-8"))
    claims = [
        (Path(c["source"]).name, c["quote"], ClaimRef(c["doc_id"], c["start"], c["end"]))
        for fact in facts["facts"]
        for c in fact["claims"]
    ]
    judged = []
    for line in (out / "pairs.jsonl").read_text(encoding="utf-8").splitlines():
        pair = json.loads(line)
        a, b = (ClaimRef(pair[s]["doc_id"], pair[s]["start"], pair[s]["end"]) for s in "ab")
        judged.append((a, b))
    compared = Compared(claims, judged, [], {})
    compared.refs = [
        (compared.claim(e["a"]["file"], e["a"]["quote_starts"]),
         compared.claim(e["b"]["file"], e["b"]["quote_starts"]))
        for e in HAND_CHECKED["verdicts"]
    ]  # fmt: skip
    candidates = {frozenset(pair) for pair in judged}
    verified = [
        VerifiedVerdict(
            ClaimPair(a, b),
            Verdict(
                relation=entry["relation"],
                detail=entry["detail"],
                values=entry.get("values"),
                rationale=entry.get("note", "hand-checked"),
            ).model_dump_json(),
            "verified",
            "reviewer",
            {"hand-checked": entry["relation"]},
            [],
        )
        for entry, (a, b) in zip(HAND_CHECKED["verdicts"], compared.refs, strict=True)
        if a and b and frozenset((a, b)) in candidates
    ]
    with Store(db) as store:
        store.verification.replace_verified(verified)
        compared.scores = evaluate_judge(store)
    return compared


@pytest.fixture(scope="module")
def seeds(tmp_path_factory: pytest.TempPathFactory) -> Compared:
    """The five seeds alone."""
    return _compare(tmp_path_factory.mktemp("judge-quality-seeds"), [])


@pytest.fixture(scope="module")
def with_wire(tmp_path_factory: pytest.TempPathFactory) -> Compared:
    """The seeds and the wire report (80 / 90 Russian companies), as the browser test builds it."""
    folder = tmp_path_factory.mktemp("judge-quality-wire")
    crafted = folder / "crafted"
    crafted.mkdir()
    (crafted / "wire.txt").write_text(WIRE_TEXT, encoding="utf-8")
    manifest = [{"file": "wire.txt", "outlet": WIRE, "date": WIRE_DATE}]
    (crafted / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return _compare(folder, [crafted])


# -- the hand-checked file covers the candidates, and only them -------------------------


@pytest.mark.parametrize("name", ["seeds", "with_wire"])
def test_every_candidate_pair_has_one_hand_checked_verdict(
    name: str, request: pytest.FixtureRequest
) -> None:
    compared: Compared = request.getfixturevalue(name)
    assert compared.judged
    missing = [pair for pair in compared.judged if len(compared.entries_of(*pair)) != 1]
    assert not missing, f"{len(missing)} candidate pairs without exactly one hand-checked verdict"
    scores = compared.scores
    assert scores["pairs"] == scores["judged_pairs"] == len(compared.judged)
    assert scores["verified"] == len(compared.judged) and scores["unjudged_verified_pairs"] == 0


def test_every_hand_checked_verdict_is_a_candidate_pair(
    seeds: Compared, with_wire: Compared
) -> None:
    """No stale entry: each names two claims that one of the two comparisons paired."""
    used = {i for compared in (seeds, with_wire) for pair in compared.judged
            for i in compared.entries_of(*pair)}  # fmt: skip
    stale = [e for i, e in enumerate(HAND_CHECKED["verdicts"]) if i not in used]
    assert not stale
    assert len(used) == len(HAND_CHECKED["verdicts"]) == 180


def test_hand_checked_verdicts_agree_with_the_hand_checked_facts(with_wire: Compared) -> None:
    """seed_facts.json's links are same or elaborates here; its single-outlet claims never are."""
    relation = {
        frozenset((a, b)): entry["relation"]
        for entry, (a, b) in zip(HAND_CHECKED["verdicts"], with_wire.refs, strict=True)
    }

    def claim(file: str, start: str) -> ClaimRef:
        found = with_wire.claim(file, start)
        assert found, (file, start)
        return found

    links = [
        relation[key]
        for fact in SEED_FACTS["facts"]
        for (fa, sa), (fb, sb) in combinations(fact["claims"], 2)
        if (key := frozenset((claim(fa, sa), claim(fb, sb)))) in relation
    ]
    # the five cross-document links seed_facts.json counts are all candidates, all one fact
    assert len(links) == 5 and set(links) <= SAME_FACT
    wire = {ref.doc_id for name, _, ref in with_wire.claims if name.startswith("wire")}
    assert len(wire) == 1
    # a single-outlet claim is one fact with no other seed claim (since issue 17's rules
    # annotator, the 80-companies claim is in no candidate pair of the seeds at all)
    for file, start in SEED_FACTS["single_outlet"]:
        single = claim(file, start)
        seed_pairs = [r for key, r in relation.items()
                      if single in key and not {c.doc_id for c in key} & wire]  # fmt: skip
        assert not set(seed_pairs) & SAME_FACT, (file, start)
    contradictions = [
        (e["a"]["file"], e["b"]["file"], e["detail"], e["values"])
        for e in HAND_CHECKED["verdicts"]
        if e["relation"] == "contradicts"
    ]
    assert contradictions == [("002", "wire", "number", {"a": "80", "b": "90"})]


# -- the judge's figures, pinned as measured --------------------------------------------


def _figures(scores: dict[str, Any]) -> dict[str, Any]:
    """The scores to pin: counts exact, figures to 4 places; per relation (P, R, F1,
    support, predicted); per facts view (claims, reference facts, judge facts, B-cubed
    P, R, F1, pairwise P, R, F1)."""

    def r(x: float | None) -> float | None:
        return None if x is None else round(x, 4)

    relations, facts = scores["relations"], scores["facts"]
    return {
        "pairs": scores["pairs"],
        "accuracy": r(relations["accuracy"]),
        "macro_f1": r(relations["macro_f1"]),
        "by_relation": {
            name: (r(s["precision"]), r(s["recall"]), r(s["f1"]), s["support"], s["predicted"])
            for name, s in relations["by_relation"].items()
        },
        "confusion": {
            people: {judge: n for judge, n in row.items() if n}
            for people, row in relations["confusion"].items()
        },
        "facts": {
            view: (
                facts[view]["claims"],
                facts[view]["reference_facts"],
                facts[view]["judge_facts"],
                *(r(facts[view]["bcubed"][k]) for k in ("precision", "recall", "f1")),
                *(r(facts[view]["pairwise"][k]) for k in ("precision", "recall", "f1")),
            )
            for view in ("all", "without_singletons")
        },
    }


def test_the_judge_on_the_seeds(seeds: Compared) -> None:
    figures = _figures(seeds.scores)
    print("\nrules judge on the seeds:", json.dumps(figures))
    # Issue 17 lowered these (before: 126 pairs, accuracy 0.9762, same P 0.75 R 0.6, facts
    # pairwise F1 0.6): the rules annotator's new claims made 48 new candidate pairs and
    # moved one hand-checked link's claim out of its pair; 'elaborates' now means two
    # claims about one event that add to each other (21 seed pairs, relabelled by hand),
    # which the judge says only for articles dated within days of each other: the seeds
    # carry no publication date, so it says none here. The rules' claims of issue 17's
    # second round made three new candidate pairs (hand-checked: 2 unrelated, 1
    # elaborates) and took two away (0.8354 of 158 pairs before).
    assert figures == {
        "pairs": 159,
        "accuracy": 0.8302,  # 132 of 159
        "macro_f1": 0.4501,
        "by_relation": {
            "same": (0.6667, 0.3333, 0.4444, 6, 3),
            "contradicts": (None, None, None, 0, 0),
            "elaborates": (None, 0.0, 0.0, 22, 0),
            "unrelated": (0.8333, 0.9924, 0.9059, 131, 156),
        },
        # people's relation -> the judge's
        "confusion": {
            "same": {"same": 2, "unrelated": 4},
            "contradicts": {},
            "elaborates": {"unrelated": 22},
            "unrelated": {"same": 1, "unrelated": 130},
        },
        "facts": {
            "all": (65, 59, 62, 0.9846, 0.9333, 0.9583, 0.6667, 0.25, 0.3636),
            "without_singletons": (12, 6, 9, 0.9167, 0.6389, 0.753, 0.6667, 0.25, 0.3636),
        },
    }
    assert seeds.scores["details"]["macro_f1"] is None  # no contradiction either side


def test_the_judge_on_the_seeds_and_the_wire_report(with_wire: Compared) -> None:
    figures = _figures(with_wire.scores)
    print("\nrules judge on the seeds + wire report:", json.dumps(figures))
    # lowered by issue 17 as on the seeds alone (before: 141 pairs, accuracy 0.9645;
    # 174 pairs, 0.8161 before its second round of rules)
    assert figures == {
        "pairs": 177,
        "accuracy": 0.8136,  # 144 of 177
        "macro_f1": 0.5654,
        "by_relation": {
            "same": (0.4, 0.3333, 0.3636, 6, 5),
            "contradicts": (1.0, 1.0, 1.0, 1, 1),
            "elaborates": (None, 0.0, 0.0, 27, 0),
            "unrelated": (0.8246, 0.986, 0.8981, 143, 171),
        },
        "confusion": {
            "same": {"same": 2, "unrelated": 4},
            "contradicts": {"contradicts": 1},
            "elaborates": {"same": 1, "unrelated": 26},
            "unrelated": {"same": 2, "unrelated": 141},
        },
        "facts": {
            "all": (68, 62, 64, 0.9706, 0.9363, 0.9531, 0.5, 0.25, 0.3333),
            "without_singletons": (14, 8, 10, 0.8571, 0.6905, 0.7648, 0.5, 0.25, 0.3333),
        },
    }
    number = with_wire.scores["details"]["by_detail"]["number"]
    assert (number["precision"], number["recall"], number["support"]) == (1.0, 1.0, 1)
