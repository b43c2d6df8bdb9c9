"""Comparisons verified by people, without a server: codec, sample, adjudication, export.

People's answers are stored as `annotate pull --comparisons` stores them
(`PulledVerdict` rows); `test_comparisons_live.py` does the same through a real
Label Studio. Here the commands a user runs (`annotate compare`, `agreement`,
`export`) are checked on what they make of those answers.
"""

from __future__ import annotations

import dataclasses
import json
from itertools import combinations
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

from annotate.cli import app
from annotate.codec import ConversionError
from annotate.codec import verdicts as V
from annotate.compare.judges.base import JudgeUsage
from annotate.compare.pipeline import compare
from annotate.gold.verdicts import adjudicate_pair
from annotate.schemas import DifferingValues, Verdict
from annotate.store import ClaimPair, ClaimRef, PulledVerdict, Store, StoredVerdict
from annotate.studio.push_comparisons import context, stratified_sample

runner = CliRunner()
PAIR = ClaimPair(ClaimRef("doc-a", 0, 10), ClaimRef("doc-b", 5, 20))


def answer(who: str, verdict: Verdict | None, n: int, *, pair: ClaimPair = PAIR,
           cancelled: bool = False, ground_truth: bool = False,
           updated: str = "2026-11-25T00:00:00Z") -> PulledVerdict:  # fmt: skip
    return PulledVerdict(
        server="http://ls", project_id=2, annotation_id=n, task_id=500 + n, pair=pair,
        annotator=who, annotator_id=n, created_at=updated, updated_at=updated, lead_time=3.0,
        was_cancelled=cancelled, ground_truth=ground_truth, result="[]",
        verdict=verdict.model_dump_json() if verdict else None,
        error=None if verdict or cancelled else "no relation chosen",
    )  # fmt: skip


def said(relation: str, detail: str | None = None, values: tuple[str, str] | None = None,
         why: str = "") -> Verdict:  # fmt: skip
    differing = DifferingValues(a=values[0], b=values[1]) if values else None
    return Verdict(relation=relation, detail=detail, values=differing, rationale=why)  # type: ignore[arg-type]


# -- the codec --------------------------------------------------------------------


def test_a_verdict_goes_to_label_studio_results_and_back_unchanged() -> None:
    quote_a, quote_b = "Russia massed 100,000 troops", "Moscow has 90,000 troops there"
    verdicts = [
        said("same", why="Both report the build-up."),
        said("unrelated"),
        said("elaborates", why="B adds the place."),
        said("contradicts", "number", ("100,000", "90,000"), "The figures differ."),
    ]
    for verdict in verdicts:
        results = V.verdict_results(verdict, quote_a, quote_b)
        assert V.results_to_verdict(results, quote_a, quote_b) == verdict
    spans = [r for r in V.verdict_results(verdicts[3], quote_a, quote_b) if r["type"] == "labels"]
    assert [(r["to_name"], quote_b if r["to_name"] == V.CLAIM_B else quote_a) for r in spans]
    for span in spans:
        quote = quote_a if span["to_name"] == V.CLAIM_A else quote_b
        assert quote[span["value"]["start"] : span["value"]["end"]] == span["value"]["text"]


def test_an_annotator_answer_that_is_not_a_verdict_says_why() -> None:
    with pytest.raises(ConversionError, match="no relation"):
        V.results_to_verdict([], "a", "b")
    contradiction = V.verdict_results(said("contradicts", "date"), "a", "b")
    no_detail = [r for r in contradiction if r["from_name"] != V.DETAIL]
    with pytest.raises(ConversionError, match="detail"):
        V.results_to_verdict(no_detail, "a", "b")
    # A detail left behind by a hidden control does not count for another relation.
    stale = V.verdict_results(said("same"), "a", "b") + [
        r for r in contradiction if r["from_name"] == V.DETAIL
    ]
    assert V.results_to_verdict(stale, "a", "b") == said("same")


def test_context_is_the_rest_of_the_sentence_and_one_more() -> None:
    text = "First one. Second one here. The claim sits here, said X. Next one. Last one."
    start = text.index("The claim")
    end = start + len("The claim sits here")
    before, after = context(text, start, end)
    assert before == "Second one here. "
    assert after == ", said X. Next one."
    long = "word " * 200
    before, _ = context(long + "Claim.", len(long), len(long) + 5, limit=50)
    assert before.startswith("…") and len(before) <= 51


# -- the sample ---------------------------------------------------------------------


def _verdicts(counts: dict[str, int]) -> list[StoredVerdict]:
    made = []
    for relation, count in counts.items():
        for n in range(count):
            detail = "number" if relation == "contradicts" else None
            a, b = ClaimRef(f"{relation}-a", n, n + 1), ClaimRef(f"{relation}-b", n, n + 1)
            pair = ClaimPair(a, b)
            made.append(StoredVerdict(1, f"k{relation}{n}", "rules", pair.a, pair.b, relation,
                                      detail, None, "", 0.5))  # fmt: skip
    return made


def test_the_sample_is_stratified_seeded_and_grows_by_extension() -> None:
    verdicts = _verdicts({"same": 50, "contradicts": 3, "elaborates": 20, "unrelated": 200})
    sample = stratified_sample(verdicts, 40, seed=7)
    by_relation: dict[str, int] = {}
    for verdict in sample:
        by_relation[verdict.relation] = by_relation.get(verdict.relation, 0) + 1
    # Equal shares of 40 (10 each): the 3 contradictions all in, their unused 7 shared on
    # (2 each, the one left over to the first relation by name).
    assert by_relation == {"contradicts": 3, "elaborates": 13, "same": 12, "unrelated": 12}
    assert stratified_sample(verdicts, 40, seed=7) == sample
    assert stratified_sample(verdicts, 40, seed=8) != sample
    larger = stratified_sample(verdicts, 80, seed=7)
    assert {v.key for v in sample} <= {v.key for v in larger}
    order = [v.key for v in verdicts]
    assert [v.key for v in sample] == sorted((v.key for v in sample), key=order.index)


# -- adjudication -------------------------------------------------------------------


def test_a_majority_decides_and_unanimity_verifies() -> None:
    answers = [answer("ann", said("contradicts", "number", ("1", "2")), 1),
               answer("bob", said("contradicts", "number"), 2),
               answer("cat", said("same"), 3)]  # fmt: skip
    verified = adjudicate_pair(answers)
    assert verified is not None
    assert (verified.method, verified.status, verified.tie) == ("majority", "contested", False)
    verdict = Verdict.model_validate_json(verified.verdict)
    assert (verdict.relation, verdict.detail) == ("contradicts", "number")
    assert verdict.values == DifferingValues(a="1", b="2")  # the first matching answer's
    assert verified.answers == {"ann": "contradicts", "bob": "contradicts", "cat": "same"}
    unanimous = adjudicate_pair(answers[:2])
    assert unanimous is not None and unanimous.status == "verified"


def test_ties_reviewers_skips_and_latest_answers() -> None:
    tie = adjudicate_pair([answer("zed", said("same"), 1), answer("amy", said("unrelated"), 2)])
    assert tie is not None and tie.tie and tie.status == "contested"
    swapped = adjudicate_pair([answer("amy", said("same"), 1), answer("zed", said("unrelated"), 2)])
    assert swapped is not None and swapped.verdict == tie.verdict  # never decided by names
    reviewed = [answer("amy", said("unrelated"), 1), answer("bob", said("unrelated"), 2),
                answer("rev", said("same"), 3)]  # fmt: skip
    chosen = adjudicate_pair(reviewed, reviewers=["rev"])
    assert chosen is not None and chosen.method == "reviewer"
    assert Verdict.model_validate_json(chosen.verdict).relation == "same"
    voted = adjudicate_pair(reviewed, policy="majority", reviewers=["rev"])
    assert voted is not None and Verdict.model_validate_json(voted.verdict).relation == "unrelated"
    flagged = adjudicate_pair([answer("amy", said("unrelated"), 1),
                               answer("bob", said("same"), 2, ground_truth=True)])  # fmt: skip
    assert flagged is not None and flagged.method == "reviewer"
    edited = [answer("amy", said("unrelated"), 1, updated="2026-11-25T00:00:00Z"),
              answer("amy", said("same"), 2, updated="2026-11-25T01:00:00Z"),
              answer("bob", None, 3, cancelled=True), answer("cat", None, 4)]  # fmt: skip
    single = adjudicate_pair(edited)
    assert single is not None and single.method == "single"
    assert Verdict.model_validate_json(single.verdict).relation == "same"
    assert adjudicate_pair([answer("bob", None, 3, cancelled=True)]) is None


def test_a_tie_waits_for_review_and_a_review_settles_it() -> None:
    split = [answer("zed", said("same"), 1), answer("amy", said("unrelated"), 2)]
    waiting = adjudicate_pair(split)
    assert waiting is not None and (waiting.method, waiting.status) == ("majority", "contested")
    assert waiting.resolution == "waiting for review"
    # the least of the tied answers by value stands in ("same" < "unrelated"), never by name
    assert Verdict.model_validate_json(waiting.verdict).relation == "same"
    review = said("unrelated", why="the reviewer's")
    settled = adjudicate_pair(split, review=review)
    assert settled is not None
    assert (settled.method, settled.status, settled.tie) == ("review", "verified", True)
    assert settled.resolution == "review" and Verdict.model_validate_json(settled.verdict) == review
    assert settled.answers == {"amy": "unrelated", "zed": "same"}  # a reviewer is no annotator
    # a split on a contradiction's detail is a tie too, settled alike
    detail = [answer("amy", said("contradicts", "number"), 1),
              answer("bob", said("contradicts", "date"), 2)]  # fmt: skip
    tied = adjudicate_pair(detail)
    assert tied is not None and tied.resolution == "waiting for review"
    assert Verdict.model_validate_json(tied.verdict).detail == "date"
    fixed = adjudicate_pair(detail, review=said("contradicts", "number"))
    assert fixed is not None and fixed.method == "review"
    # without a tie the review is not read: the annotators' agreement stands
    agreed = adjudicate_pair([answer("amy", said("same"), 1), answer("bob", said("same"), 2)],
                             review=said("unrelated"))  # fmt: skip
    assert agreed is not None and (agreed.method, agreed.resolution) == ("majority", None)
    assert Verdict.model_validate_json(agreed.verdict).relation == "same"


# -- the commands on a compared store -----------------------------------------------------


def _run(db: Path, *args: str) -> Any:
    result = runner.invoke(app, ["--db", str(db), *args])
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture
def verified(annotated: Path, tmp_path: Path) -> dict[str, Any]:
    """The annotated seeds compared; two annotators answered four pairs (two disagree)."""
    _run(annotated, "compare", "--out", str(tmp_path / "before"))
    with Store(annotated) as store:
        run = store.comparisons.last()
        assert run is not None
        judged = list(store.comparisons.iter_verdicts(run.id))
        n = 0
        for index, verdict in enumerate(judged[:4]):
            mine = verdict.verdict
            other = mine if index < 2 else said("unrelated" if mine.relation != "unrelated"
                                                else "same")  # fmt: skip
            for who, given in (("amy@x", mine), ("bob@x", other)):
                n += 1
                store.verification.upsert_pulled(answer(who, given, n, pair=verdict.pair))
    return {"db": annotated, "judged": judged, "tmp": tmp_path}


def test_agreement_reports_the_verdicts_as_fields(verified: dict[str, Any]) -> None:
    report = json.loads(_run(verified["db"], "agreement", "--json").output)
    comparisons = report["comparisons"]
    assert comparisons["pairs"] == 4 and comparisons["annotators"] == ["amy@x", "bob@x"]
    relation = comparisons["fields"]["relation"]
    assert relation["units"] == 4 and relation["observed_agreement"] == 0.5
    assert set(relation) >= {"cohen_kappa", "fleiss_kappa", "krippendorff_alpha_nominal",
                             "krippendorff_alpha_nominal_ci95", "gwet_ac1"}  # fmt: skip
    assert comparisons["adjudication"]["verified"] == 2
    assert comparisons["adjudication"]["contested"] == 2
    assert report["documents"] == 5  # the documents' agreement is still there


def test_the_next_comparison_takes_peoples_verdicts_and_says_so(verified: dict[str, Any]) -> None:
    db, tmp = verified["db"], verified["tmp"]
    _run(db, "compare", "--out", str(tmp / "after"))  # adjudicates the answers first
    lines = [json.loads(line) for line in (tmp / "after" / "pairs.jsonl").read_text().splitlines()]
    checked = [line for line in lines if line["verified"]]
    assert len(checked) == 4
    statuses = sorted(c["verified"]["status"] for c in checked)
    assert statuses == ["contested", "contested", "verified", "verified"]
    # the judge's own verdict is still what the line's relation says
    judged = {v.pair.key: v.relation for v in verified["judged"]}
    for line in lines:
        a, b = line["a"], line["b"]
        key = f"{a['doc_id']}:{a['start']}-{a['end']}~{b['doc_id']}:{b['start']}-{b['end']}"
        assert line["relation"] == judged[key]
    facts = json.loads((tmp / "after" / "facts.json").read_text())
    counts = facts["comparison"]["counts"]
    assert counts["verified_pairs"] == 4
    assert {f["status"] for f in facts["facts"]} <= {"verified", "contested", "unverified"}
    statuses = {f["status"] for f in facts["facts"]}
    assert "unverified" in statuses and statuses & {"verified", "contested"}


def test_export_adds_comparisons_and_facts_tables(verified: dict[str, Any]) -> None:
    db, tmp = verified["db"], verified["tmp"]
    _run(db, "agreement", "--json")
    _run(db, "compare", "--out", str(tmp / "after"))
    out = tmp / "dataset"
    _run(db, "export", "--out", str(out))
    pairs = pd.read_parquet(out / "comparisons" / "comparisons.parquet")
    assert len(pairs) == len(verified["judged"])
    assert pairs["status"].value_counts().to_dict() == {
        "unverified": len(verified["judged"]) - 4, "verified": 2, "contested": 2
    }
    with Store(db) as store:
        texts = {d.id: d.text for d in store.documents.iter()}
    for row in pairs.itertuples():
        assert texts[row.a_doc_id][row.a_start : row.a_end] == row.a_quote
        assert texts[row.b_doc_id][row.b_start : row.b_end] == row.b_quote
    checked = pairs[pairs["status"] != "unverified"]
    assert all(len(a) == 2 for a in checked["annotators"])
    assert checked["relation"].notna().all() and pairs["judge_relation"].notna().all()
    facts = pd.read_parquet(out / "facts" / "facts.parquet")
    assert len(facts) == len(json.loads((tmp / "after" / "facts.json").read_text())["facts"])
    jsonl = (out / "jsonl" / "facts" / "facts.jsonl").read_text().splitlines()
    assert len(jsonl) == len(facts)
    card = (out / "README.md").read_text()
    assert "## Comparisons across outlets" in card and "| relation |" in card
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["comparisons"]["pairs"] == len(pairs)
    assert "comparisons/comparisons.parquet" in manifest["files"]
    agreement = json.loads((out / "agreement.json").read_text())
    assert agreement["comparisons"]["pairs"] == 4
    # Deterministic like the rest of the export.
    again = tmp / "again"
    _run(db, "export", "--out", str(again))
    for name in ("jsonl/comparisons/comparisons.jsonl", "jsonl/facts/facts.jsonl", "README.md"):
        assert (out / name).read_bytes() == (again / name).read_bytes()


class ScriptedJudge:
    """Says the pairs among `alike` claims (all pairs, without it) are the same fact, except
    the pairs it is told contradict; every other pair is unrelated."""

    name = "scripted"
    cacheable = False
    model_version = "scripted-judge"
    cache_params: dict[str, Any] = {}

    def __init__(self, alike: set[str] | None = None,
                 contradicting: tuple[str, str] | None = None) -> None:  # fmt: skip
        self.alike = alike
        self.contradicting = contradicting
        self.usage = JudgeUsage()

    def judge_all(self, pairs: Any) -> Any:
        for pair in pairs:
            a, b = _claim_key(pair.a), _claim_key(pair.b)
            if self.contradicting and {a, b} == set(self.contradicting):
                yield said("contradicts", "other", why="told so")
            elif self.alike is None or {a, b} <= self.alike:
                yield said("same", why="told so")
            else:
                yield said("unrelated", why="told so")


def _claim_key(claim: Any) -> str:
    return f"{claim.outlet.doc_id}:{claim.start}"


def test_a_contradiction_keeps_its_two_claims_in_different_facts(annotated: Path) -> None:
    # Four claims judged pairwise the same are one fact. When two of them, x and y,
    # are judged to contradict, y still has links to two of the other three (an
    # average of 2/3, above the threshold), which would merge it into their fact:
    # the contradiction must keep x and y apart.
    with Store(annotated) as store:
        merged = compare(store, lambda registry: ScriptedJudge())
        judged = {(v.a.doc_id, v.a.start, v.b.doc_id, v.b.start)
                  for v in store.comparisons.iter_verdicts(merged.id)}  # fmt: skip

        def linked(p: Any, q: Any) -> bool:
            a, b = (p.outlet.doc_id, p.start), (q.outlet.doc_id, q.start)
            return (*a, *b) in judged or (*b, *a) in judged

        four = next(
            four
            for fact in merged.facts
            for four in combinations(fact.claims, 4)
            if all(linked(p, q) for p, q in combinations(four, 2))
        )
        keys = [_claim_key(c) for c in four]
        together = compare(store, lambda registry: ScriptedJudge(set(keys)))
        apart = compare(store, lambda registry: ScriptedJudge(set(keys), (keys[0], keys[1])))
    joined = {_claim_key(c): f.id for f in together.facts for c in f.claims}
    assert len({joined[k] for k in keys}) == 1
    fact_of = {_claim_key(c): f.id for f in apart.facts for c in f.claims}
    assert fact_of[keys[0]] != fact_of[keys[1]]
    assert any(c.status == "unverified" for c in apart.contradictions)


def review_of(pair: ClaimPair, verdict: Verdict | None, n: int, **kw: Any) -> PulledVerdict:
    """A reviewer's answer on a pair's review task, as `annotate pull --review` keeps it."""
    return dataclasses.replace(answer("rev@x", verdict, 900 + n, pair=pair, **kw), project_id=9)


def test_tied_verdicts_wait_for_review_in_every_output_until_a_review_settles_them(
    verified: dict[str, Any],
) -> None:
    db, tmp = verified["db"], verified["tmp"]
    ties = json.loads(_run(db, "agreement", "--json").output)["comparisons"]
    assert ties["adjudication"]["ties"] == {"review": 0, "waiting_for_review": 2}
    waiting = [d for d in ties["disagreements"] if d.get("resolution") == "waiting for review"]
    assert len(waiting) == 2
    with Store(db) as store:
        unsent = list(store.pair_reviews.unsent("http://ls", 9))
        assert {p.key for p in unsent} == {d["pair"] for d in waiting}
        store.pair_reviews.record("http://ls", 9, [(unsent[0], 77, ["relation"])])
        assert [p.key for p in store.pair_reviews.unsent("http://ls", 9)] == [unsent[1].key]
        assert store.pair_reviews.of_project("http://ls", 9) == {77: unsent[0]}
    _run(db, "compare", "--out", str(tmp / "waiting"))
    facts = json.loads((tmp / "waiting" / "facts.json").read_text())
    assert facts["comparison"]["counts"]["waiting_for_review"] == 2
    assert "2 tied verdicts waiting for review" in (tmp / "waiting" / "report.html").read_text()
    pairs_jsonl = (tmp / "waiting" / "pairs.jsonl").read_text().splitlines()
    checked = [json.loads(line)["verified"] for line in pairs_jsonl]
    resolutions = sorted(str(people["resolution"]) for people in checked if people)
    assert resolutions == ["None", "None", "waiting for review", "waiting for review"]

    # A reviewer settles one pair (a skip and a later answer by the same reviewer around it).
    settled, other = unsent[0], unsent[1]
    with Store(db) as store:
        store.pair_reviews.upsert(review_of(settled, None, 1, cancelled=True))
        store.pair_reviews.upsert(review_of(settled, said("elaborates"), 2,
                                            updated="2026-11-26T00:00:00Z"))  # fmt: skip
        store.pair_reviews.upsert(review_of(settled, said("same"), 3,
                                            updated="2026-11-27T00:00:00Z"))  # fmt: skip
    report = json.loads(_run(db, "agreement", "--json").output)["comparisons"]
    assert report["adjudication"]["ties"] == {"review": 1, "waiting_for_review": 1}
    said_ = " ".join(_run(db, "agreement").output.split())
    assert "tied verdicts resolved by review: 1; waiting for review: 1" in said_
    assert report["adjudication"]["methods"] == {"majority": 3, "review": 1}
    assert report["annotators"] == ["amy@x", "bob@x"]
    with Store(db) as store:
        kept = store.verification.verified()
        assert [p.key for p in store.pair_reviews.unsent("http://ls", 9)] == [other.key]
    mine = kept[settled.key]
    assert (mine.method, mine.status, mine.resolution) == ("review", "verified", "review")
    assert Verdict.model_validate_json(mine.verdict).relation == "same"  # the latest review
    assert kept[other.key].resolution == "waiting for review"
    out = tmp / "dataset"
    _run(db, "export", "--out", str(out))
    pairs = pd.read_parquet(out / "comparisons" / "comparisons.parquet").set_index("pair")
    assert pairs.loc[settled.key, "resolution"] == "review"
    assert pairs.loc[settled.key, "method"] == "review"
    assert pairs.loc[other.key, "resolution"] == "waiting for review"
    assert pairs.loc[other.key, "status"] == "contested"
    assert pairs["resolution"].isna().sum() == len(pairs) - 2
    card = (out / "README.md").read_text()
    assert "Tied verdicts resolved by a reviewer: 1; waiting for review: 1." in card


def test_a_contradiction_whose_verdict_tied_says_it_waits_for_review(
    annotated: Path, tmp_path: Path
) -> None:
    """A tie between "contradicts" and "unrelated" stands in as the contradiction (the least
    of the tied answers), marked in facts.json and on its row of the report until reviewed."""
    _run(annotated, "compare", "--out", str(tmp_path / "before"))
    with Store(annotated) as store:
        run = store.comparisons.last()
        assert run is not None
        pair = next(v.pair for v in store.comparisons.iter_verdicts(run.id)
                    if v.verdict.relation == "unrelated")  # fmt: skip
        store.verification.upsert_pulled(
            answer("amy@x", said("contradicts", "number", ("3", "4")), 1, pair=pair))
        store.verification.upsert_pulled(answer("bob@x", said("unrelated"), 2, pair=pair))
    _run(annotated, "compare", "--out", str(tmp_path / "after"))
    facts = json.loads((tmp_path / "after" / "facts.json").read_text())
    tied = [c for c in facts["contradictions"] if c["resolution"] is not None]
    assert [(c["status"], c["resolution"], c["detail"]) for c in tied] == [
        ("contested", "waiting for review", "number")
    ]
    assert all(c["resolution"] is None for c in facts["contradictions"] if c not in tied)
    page = (tmp_path / "after" / "report.html").read_text()
    assert page.count('data-status="contested, waiting for review"') == 1


def test_a_review_project_title_too_long_for_the_pairs_project_is_refused_before_any_call(
    verified: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LABEL_STUDIO_URL", "http://127.0.0.1:9")  # nothing listens: not reached
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", "unused")
    title = "t" * 45  # a valid title, but not with " (verdicts)" after it
    result = runner.invoke(app, ["--db", str(verified["db"]), "push", "--review", "--project",
                                 title])  # fmt: skip
    assert result.exit_code != 0
    assert f"{title} (verdicts)" in result.output and "at most 39 characters" in result.output
    assert "Traceback" not in result.output and "127.0.0.1" not in result.output
