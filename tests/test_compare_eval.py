"""`annotate compare --eval`: the judge scored against the verdicts people gave.

Every expected figure is worked out by hand in the comments next to it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sklearn.metrics import precision_recall_fscore_support
from typer.testing import CliRunner

from annotate.cli import app
from annotate.compare.evaluate import (
    SAME_FACT,
    bcubed,
    cluster_scores,
    detail_scores,
    evaluate_judge,
    pairwise,
    relation_scores,
    without_singletons,
)
from annotate.errors import InputError
from annotate.schemas import DifferingValues, Verdict
from annotate.store import (
    ClaimPair,
    ClaimRef,
    PulledVerdict,
    Store,
    StoredVerdict,
    VerifiedVerdict,
)

from .conftest import SEEDS, compared_by_the_rules

runner = CliRunner()
approx = pytest.approx


# -- relations and details ---------------------------------------------------------


def test_relations_from_a_known_confusion() -> None:
    pairs = [  # (judge, people)
        ("same", "same"),
        ("same", "same"),
        ("same", "elaborates"),
        ("unrelated", "same"),
        ("contradicts", "contradicts"),
        ("unrelated", "unrelated"),
    ]
    scores = relation_scores(pairs)
    by = scores["by_relation"]
    # same: judged 3, people 3, both 2 -> P 2/3, R 2/3, F1 2/3
    assert (by["same"]["precision"], by["same"]["recall"], by["same"]["f1"]) == approx(
        (2 / 3, 2 / 3, 2 / 3)
    )
    assert (by["same"]["support"], by["same"]["predicted"]) == (3, 3)
    # elaborates: never judged, people 1 -> no precision, R 0, F1 2*0/(0+1) = 0
    assert by["elaborates"] == {"precision": None, "recall": 0.0, "f1": 0.0, "support": 1,
                                "predicted": 0}  # fmt: skip
    # contradicts: judged 1, people 1, both 1 -> 1, 1, 1
    assert (by["contradicts"]["precision"], by["contradicts"]["f1"]) == (1.0, 1.0)
    # unrelated: judged 2, people 1, both 1 -> P 1/2, R 1, F1 2*1/(2+1) = 2/3
    assert (by["unrelated"]["precision"], by["unrelated"]["recall"], by["unrelated"]["f1"]) == (
        approx(0.5), 1.0, approx(2 / 3))  # fmt: skip
    assert scores["accuracy"] == approx(4 / 6)  # pairs 1, 2, 5, 6
    assert scores["macro_f1"] == approx((2 / 3 + 0 + 1 + 2 / 3) / 4)  # 7/12
    assert scores["confusion"]["same"] == {"same": 2, "contradicts": 0, "elaborates": 0,
                                           "unrelated": 1}  # fmt: skip
    assert scores["confusion"]["elaborates"]["same"] == 1


def test_relation_f1_agrees_with_scikit_learn() -> None:
    """An independent check of the per-relation figures (scikit-learn says 0 where we say None)."""
    judge = ["same", "same", "unrelated", "elaborates", "contradicts", "same", "unrelated"]
    people = ["same", "unrelated", "unrelated", "same", "contradicts", "elaborates", "same"]
    scores = relation_scores(list(zip(judge, people, strict=True)))["by_relation"]
    labels = ["same", "contradicts", "elaborates", "unrelated"]
    precision, recall, f1, support = precision_recall_fscore_support(
        people, judge, labels=labels, zero_division=0
    )
    for i, label in enumerate(labels):
        mine = scores[label]
        assert (mine["precision"] or 0.0, mine["recall"] or 0.0, mine["f1"]) == approx(
            (precision[i], recall[i], f1[i])
        ), label
        assert mine["support"] == support[i]


def test_details_count_only_contradictions() -> None:
    pairs = [  # the detail each side's contradiction is on (None: no contradiction)
        ("number", "number"),
        ("date", "number"),  # both say contradiction, on different details
        (None, "date"),  # the judge missed a contradiction
        ("actor", None),  # the judge made one up
        (None, None),
    ]
    scores = detail_scores(pairs)
    by = scores["by_detail"]
    # number: judged 1, people 2, both 1 -> P 1, R 1/2, F1 2/3
    assert (by["number"]["precision"], by["number"]["recall"], by["number"]["f1"]) == (
        1.0, 0.5, approx(2 / 3))  # fmt: skip
    # date: judged 1, people 1, both 0 -> 0, 0, 0
    assert (by["date"]["precision"], by["date"]["recall"], by["date"]["f1"]) == (0.0, 0.0, 0.0)
    # actor: judged 1, people 0 -> P 0, no recall, F1 0
    assert (by["actor"]["precision"], by["actor"]["recall"], by["actor"]["f1"]) == (
        0.0, None, 0.0)  # fmt: skip
    assert by["place"] == {"precision": None, "recall": None, "f1": None, "support": 0,
                           "predicted": 0}  # fmt: skip
    assert scores["macro_f1"] == approx((2 / 3 + 0 + 0) / 3)  # place, polarity, other: no F1


# -- facts as clusters -------------------------------------------------------------

#: Bagga and Baldwin (1998), figure 2: twelve mentions in three entities.
TRUTH = [1] * 5 + [2] * 2 + [3] * 5


def test_bcubed_of_bagga_and_baldwin() -> None:
    # response (a) merges {6,7} with {8..12}: precision (5·1 + 2·2/7 + 5·5/7)/12 = 16/21
    merged_small = [1] * 5 + [2] * 7
    scores = bcubed(TRUTH, merged_small)
    assert (scores["precision"], scores["recall"]) == (approx(16 / 21), 1.0)
    assert scores["f1"] == approx(2 * (16 / 21) / (16 / 21 + 1))  # 32/37
    # response (b) merges {1..5} with {8..12}: precision (10·5/10 + 2·1)/12 = 7/12 (0.58)
    merged_large = [1] * 5 + [2] * 2 + [1] * 5
    assert bcubed(TRUTH, merged_large)["precision"] == approx(7 / 12)


def test_pairwise_of_bagga_and_baldwin() -> None:
    # truth pairs: C(5,2) + C(2,2) + C(5,2) = 21; (a) puts together 10 + C(7,2) = 31 pairs,
    # 21 of them right: precision 21/31, recall 1
    scores = pairwise(TRUTH, [1] * 5 + [2] * 7)
    assert (scores["precision"], scores["recall"]) == (approx(21 / 31), 1.0)
    assert scores["f1"] == approx(2 * 21 / (31 + 21))


def test_five_claims_split_differently() -> None:
    # people {a,b,c} {d,e}; judge {a,b} {c,d,e}
    gold, judge = [0, 0, 0, 1, 1], [0, 0, 1, 1, 1]
    # B-cubed precision: a 2/2, b 2/2, c 1/3, d 2/3, e 2/3 -> (11/3)/5 = 11/15
    # recall: a 2/3, b 2/3, c 1/3, d 2/2, e 2/2 -> 11/15
    assert bcubed(gold, judge) == {"precision": approx(11 / 15), "recall": approx(11 / 15),
                                   "f1": approx(11 / 15)}  # fmt: skip
    # pairs: people ab ac bc de, judge ab cd ce de; right ab de -> 2/4 and 2/4
    assert pairwise(gold, judge) == {"precision": 0.5, "recall": 0.5, "f1": 0.5}


def test_singletons_of_both_sides_are_dropped() -> None:
    # people {a,b} {c} {d} {e}; judge {a,b,c} {d} {e}: d and e are alone on both sides,
    # c only in the people's facts (kept)
    gold, judge = [0, 0, 1, 2, 3], [0, 0, 0, 1, 2]
    assert without_singletons(gold, judge) == ([0, 0, 1], [0, 0, 0])
    every = cluster_scores(gold, judge)
    # B-cubed precision: a 2/3, b 2/3, c 1/3, d 1, e 1 -> (11/3)/5 = 11/15; recall 1
    assert (every["bcubed"]["precision"], every["bcubed"]["recall"]) == (approx(11 / 15), 1.0)
    assert (every["claims"], every["reference_facts"], every["judge_facts"]) == (5, 4, 3)
    fewer = cluster_scores(*without_singletons(gold, judge))
    # without d, e: (2/3 + 2/3 + 1/3)/3 = 5/9; recall 1
    assert (fewer["bcubed"]["precision"], fewer["bcubed"]["recall"]) == (approx(5 / 9), 1.0)
    # pairs are the same either way: judge ab ac bc, people ab -> 1/3, 1
    assert every["pairwise"] == fewer["pairwise"]
    assert fewer["pairwise"]["precision"] == approx(1 / 3)


def test_no_claims_no_figures() -> None:
    assert bcubed([], []) == {"precision": None, "recall": None, "f1": None}
    assert pairwise([0], [0]) == {"precision": None, "recall": None, "f1": None}


def test_only_same_is_one_fact_as_for_the_comparison() -> None:
    # issue 17: "elaborates" joins claims about one event that add to or qualify each other
    # (a part and its whole): related, not one fact, so only "same" merges facts
    assert {"same"} == SAME_FACT


# -- evaluate_judge on a store --------------------------------------------------------


def _ref(doc: str, start: int) -> ClaimRef:
    return ClaimRef(doc, start, start + 5)


def _judged(comparison: int, a: ClaimRef, b: ClaimRef, relation: str,
            detail: str | None = None) -> StoredVerdict:  # fmt: skip
    values = DifferingValues(a="1", b="2").model_dump_json() if detail else None
    return StoredVerdict(comparison, f"{a}{b}", "judge-x+prompt-abcdef12+schema-1", a, b,
                         relation, detail, values, "why", 0.5)  # fmt: skip


def _people(a: ClaimRef, b: ClaimRef, relation: str, detail: str | None = None,
            status: str = "verified") -> VerifiedVerdict:  # fmt: skip
    values = {"a": "1", "b": "2"} if detail else None
    verdict = Verdict.model_validate(
        {"relation": relation, "detail": detail, "values": values, "rationale": "r"}
    )
    return VerifiedVerdict(ClaimPair(a, b), verdict.model_dump_json(), status, "majority",
                           {"x@y": relation}, [1])  # fmt: skip


A, B, C, D, E, F = (_ref(doc, 0) for doc in "abcdef")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(tmp_path / "eval.db") as opened:
        yield opened


def _compare(store: Store, verdicts: list[tuple[Any, ...]]) -> int:
    comparison = store.comparisons.start("judge-x+prompt-abcdef12+schema-1", "auto", {"k": 10})
    store.comparisons.save_verdicts([_judged(comparison, *v) for v in verdicts])
    usage = {"calls": 4, "prompt_tokens": 300, "completion_tokens": 40, "cost_usd": 0.25}
    store.comparisons.finish(comparison, {"judge_usage": usage, "reused_verdicts": 2})
    return comparison


def test_evaluate_judge_on_a_store(store: Store) -> None:
    comparison = _compare(store, [
        (A, B, "same"),
        (B, C, "same"),
        (A, C, "same"),  # the judge's fact {a, b, c}, though people answered only AB
        (C, D, "contradicts", "number"),
        (D, E, "unrelated"),
        (E, F, "elaborates"),  # the judge's fact {e, f}
    ])  # fmt: skip
    store.verification.replace_verified([
        _people(B, A, "same"),  # answered the other way round: still the pair (A, B)
        _people(C, D, "contradicts", "date", status="contested"),
        _people(D, E, "same"),
        _people(F, E, "unrelated"),
        _people(_ref("g", 0), _ref("h", 0), "same"),  # a pair this comparison did not judge
    ])  # fmt: skip
    scores = evaluate_judge(store)
    assert scores["comparison"] == comparison
    assert (scores["judge"], scores["prompt_version"]) == ("judge-x+prompt-abcdef12+schema-1",
                                                           "abcdef12")  # fmt: skip
    assert (scores["cost_usd"], scores["prompt_tokens"], scores["calls"]) == (0.25, 300, 4)
    assert (scores["pairs"], scores["verified"], scores["contested"]) == (4, 3, 1)
    assert (scores["judged_pairs"], scores["unjudged_verified_pairs"]) == (6, 1)
    # pairs (judge, people): AB same/same, CD contradicts/contradicts, DE unrelated/same,
    # EF elaborates/unrelated -> right 2 of 4
    relations = scores["relations"]
    assert relations["accuracy"] == 0.5
    # same: judged 1, people 2, both 1 -> P 1, R 1/2
    assert (relations["by_relation"]["same"]["precision"],
            relations["by_relation"]["same"]["recall"]) == (1.0, 0.5)  # fmt: skip
    # details: the judge says number, people date: both wrong, neither right
    details = scores["details"]["by_detail"]
    assert (details["number"]["predicted"], details["number"]["support"]) == (1, 0)
    assert (details["date"]["predicted"], details["date"]["support"]) == (0, 1)
    assert details["date"]["recall"] == 0.0
    # facts over the claims a..f: the judge's {a,b,c} {d} {e} {f} (from all its verdicts;
    # EF's "elaborates" relates two facts, issue 17, it does not merge them);
    # people's links AB, DE -> {a,b} {c} {d,e} {f}
    facts = scores["facts"]["all"]
    assert (facts["claims"], facts["judge_facts"], facts["reference_facts"]) == (6, 4, 4)
    # B-cubed precision: a 2/3, b 2/3, c 1/3, d 1/1, e 1/1, f 1/1 -> (14/3)/6 = 7/9
    # recall: a 2/2, b 2/2, c 1/1, d 1/2, e 1/2, f 1/1 -> 5/6
    assert (facts["bcubed"]["precision"], facts["bcubed"]["recall"]) == (approx(7 / 9),
                                                                         approx(5 / 6))  # fmt: skip
    # pairs: judge ab ac bc, people ab de: one right -> P 1/3, R 1/2
    assert (facts["pairwise"]["precision"], facts["pairwise"]["recall"]) == (approx(1 / 3), 0.5)
    # f is alone on both sides: without it, precision (2/3 + 2/3 + 1/3 + 1 + 1)/5 = 11/15,
    # recall (1 + 1 + 1 + 1/2 + 1/2)/5 = 4/5
    fewer = scores["facts"]["without_singletons"]
    assert fewer["claims"] == 5
    assert (fewer["bcubed"]["precision"], fewer["bcubed"]["recall"]) == (approx(11 / 15),
                                                                         approx(4 / 5))  # fmt: skip


def test_evaluate_judge_needs_a_comparison_and_verdicts(store: Store) -> None:
    with pytest.raises(InputError, match="run `annotate compare` first"):
        evaluate_judge(store)
    _compare(store, [(A, B, "same")])
    with pytest.raises(InputError, match="annotate pull --comparisons"):
        evaluate_judge(store)
    store.verification.replace_verified([_people(C, D, "same")])
    with pytest.raises(InputError, match="none of the 1 verified pairs was judged"):
        evaluate_judge(store)


def test_compare_eval_adjudicates_the_pulled_answers(tmp_path: Path) -> None:
    """The command makes the verified verdicts again from the answers pulled since."""
    db = tmp_path / "pulled.db"
    with Store(db) as store:
        _compare(store, [(A, B, "same"), (C, D, "same")])
        store.verification.replace_verified([_people(C, D, "same")])  # made before these answers
        for number, who in enumerate(("ann@x", "bob@x")):
            verdict = _people(A, B, "unrelated").verdict
            store.verification.upsert_pulled(PulledVerdict(
                server="http://ls", project_id=1, annotation_id=number + 1, task_id=7,
                pair=ClaimPair(A, B), annotator=who, annotator_id=None, created_at="t0",
                updated_at="t1", lead_time=3.0, was_cancelled=False, ground_truth=False,
                result="[]", verdict=verdict, error=None))  # fmt: skip
    result = runner.invoke(app, ["--db", str(db), "compare", "--eval", "--json"])
    assert result.exit_code == 0, result.output
    scores = json.loads(result.stdout)
    # only AB, as both annotators answered it: unrelated where the judge said same
    assert (scores["pairs"], scores["verified"], scores["relations"]["accuracy"]) == (1, 1, 0.0)
    assert scores["relations"]["confusion"]["unrelated"]["same"] == 1


# -- the command on the seeds -----------------------------------------------------------


@pytest.fixture(scope="module")
def seeds_verified(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int, str]:
    """The seeds pre-annotated by the rules, compared by the rules judge, five pairs answered.

    Two pairs the judge found the same (p1, p2) and three it found unrelated
    (u1, u2, u3), no claim in two of them; people agree on p1 (answered the
    other way round) and u1, say p2 is unrelated, u2 a contradiction on a
    number and u3 an elaboration, and answer one pair the comparison never judged.
    """
    folder = tmp_path_factory.mktemp("eval")
    db = compared_by_the_rules(folder / "seeds.db", [SEEDS], folder / "out")
    with Store(db) as store:
        run = store.comparisons.last()
        assert run is not None
        (p1, p2), (u1, u2, u3) = _pick(list(store.comparisons.iter_verdicts(run.id)))
        store.verification.replace_verified([
            _people(p1.b, p1.a, "same"),
            _people(p2.a, p2.b, "unrelated"),
            _people(u1.a, u1.b, "unrelated"),
            _people(u2.a, u2.b, "contradicts", "number", status="contested"),
            _people(u3.a, u3.b, "elaborates"),
            _people(_ref("nowhere", 0), _ref("else", 0), "same"),
        ])  # fmt: skip
    return db, run.id, run.judge


def _pick(verdicts: list[StoredVerdict]) -> tuple[list[StoredVerdict], list[StoredVerdict]]:
    """Two pairs judged the same and three judged unrelated, no claim in two of them.

    The unrelated pairs' claims are in no same or elaborates verdict, so the
    judge leaves each alone in its fact; the same pairs' claims in no other.
    """
    linked = [v for v in verdicts if v.relation in SAME_FACT]
    claims_linked = [c for v in linked for c in (v.a, v.b)]
    alone = [v for v in linked if claims_linked.count(v.a) == claims_linked.count(v.b) == 1]
    unrelated: list[StoredVerdict] = []
    used = set(claims_linked)
    for v in verdicts:
        if v.relation == "unrelated" and not {v.a, v.b} & used and len(unrelated) < 3:
            unrelated.append(v)
            used |= {v.a, v.b}
    assert len(alone) >= 2 and len(unrelated) == 3, "the seeds no longer give such pairs"
    return alone[:2], unrelated


def test_compare_eval_on_the_seeds(seeds_verified: tuple[Path, int, str]) -> None:
    db, comparison, judge = seeds_verified
    result = runner.invoke(app, ["--db", str(db), "compare", "--eval", "--json"])
    assert result.exit_code == 0, result.output
    scores = json.loads(result.stdout)
    assert (scores["comparison"], scores["judge"]) == (comparison, judge)
    assert judge.startswith("rule-based-judge")
    assert (scores["prompt_version"], scores["cost_usd"]) == (None, 0.0)
    assert (scores["pairs"], scores["verified"], scores["contested"]) == (5, 4, 1)
    assert scores["unjudged_verified_pairs"] == 1
    # judge: same same unrelated unrelated unrelated; people: same unrelated unrelated
    # contradicts elaborates
    relations = scores["relations"]
    assert relations["accuracy"] == approx(2 / 5)
    by = relations["by_relation"]
    # same: judged 2, people 1, both 1 -> P 1/2, R 1, F1 2/3
    assert (by["same"]["precision"], by["same"]["recall"], by["same"]["f1"]) == (
        0.5, 1.0, approx(2 / 3))  # fmt: skip
    # unrelated: judged 3, people 2, both 1 -> P 1/3, R 1/2, F1 2/5
    assert (by["unrelated"]["precision"], by["unrelated"]["recall"], by["unrelated"]["f1"]) == (
        approx(1 / 3), 0.5, approx(2 / 5))  # fmt: skip
    # contradicts and elaborates: never judged, people 1 each -> R 0, F1 0
    assert by["contradicts"] == {"precision": None, "recall": 0.0, "f1": 0.0, "support": 1,
                                 "predicted": 0}  # fmt: skip
    assert by["elaborates"]["f1"] == 0.0
    assert relations["macro_f1"] == approx((2 / 3 + 2 / 5) / 4)  # 4/15
    # the missed contradiction costs the number detail its recall
    number = scores["details"]["by_detail"]["number"]
    assert (number["precision"], number["recall"], number["support"]) == (None, 0.0, 1)
    # facts over the ten claims: judge {p1a,p1b} {p2a,p2b} and six alone; people
    # {p1a,p1b} and eight alone (u3's "elaborates" relates two facts, issue 17)
    every = scores["facts"]["all"]
    assert (every["claims"], every["judge_facts"], every["reference_facts"]) == (10, 8, 9)
    # B-cubed precision: p2a, p2b 1/2, the other eight 1 -> 9/10; recall: all 1
    assert every["bcubed"] == {"precision": approx(0.9), "recall": approx(1.0),
                               "f1": approx(18 / 19)}  # fmt: skip
    # pairs: judge p1 p2, people p1: one right -> P 1/2, R 1
    assert every["pairwise"] == {"precision": 0.5, "recall": 1.0, "f1": approx(2 / 3, abs=1e-3)}
    # without the six claims of u1, u2, u3 (alone on both sides): precision
    # (1 + 1 + 1/2 + 1/2)/4 = 3/4, recall 1 -> F1 6/7
    fewer = scores["facts"]["without_singletons"]
    assert (fewer["claims"], fewer["judge_facts"], fewer["reference_facts"]) == (4, 2, 3)
    assert fewer["bcubed"]["f1"] == approx(6 / 7)
    assert fewer["pairwise"] == every["pairwise"]


def test_compare_eval_tables(seeds_verified: tuple[Path, int, str]) -> None:
    """The readable form shows the same figures."""
    db, _, judge = seeds_verified
    result = runner.invoke(app, ["--db", str(db), "compare", "--eval"])
    assert result.exit_code == 0, result.output
    shown = " ".join(result.output.split())
    for expected in (
        f"judge {judge}: 5 judged pairs with a human verdict (4 verified, 1 contested)",
        "Relations: accuracy 0.400, macro F1 0.267",
        "│ same │ 0.500 │ 1.000 │ 0.667 │ 1 │ 2 │",
        "│ number │ — │ 0.000 │ 0.000 │ 1 │ 0 │",
        "│ B-cubed F1 │ 0.947 │ 0.857 │",
        "│ pairwise precision │ 0.500 │ 0.500 │",
    ):
        assert expected in shown


def test_compare_eval_without_verdicts_is_one_error_line(tmp_path: Path) -> None:
    Store(tmp_path / "empty.db").close()
    result = runner.invoke(app, ["--db", str(tmp_path / "empty.db"), "compare", "--eval"])
    assert result.exit_code == 1
    assert "run `annotate compare` first" in result.output


def test_json_needs_eval(tmp_path: Path) -> None:
    result = runner.invoke(app, ["--db", str(tmp_path / "x.db"), "compare", "--json"])
    assert result.exit_code == 1
    assert "--json goes with --eval" in result.output
