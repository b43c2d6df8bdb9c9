"""Model-vs-gold on resolved items only (issue 21, part 2): a tie leaves out its item alone.

Two annotators split evenly on one item of a document and agree on the rest: the
document's gold waits for a reviewer, yet its agreed items are scored; the tied item
is left out of both sides (neither a hit, a miss nor a false alarm), for each kind of
tie the vote makes: a document choice, a span region, a per-region choice, a relation.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from annotate.cli import app
from annotate.codec import regions_of
from annotate.gold.adjudicate import Gold, Tie, adjudicate
from annotate.gold.model_eval import Evaluated, ModelScores
from annotate.schemas import Annotation, GroundedActor
from annotate.store import JobKey, Prediction, RunSpec, Store

from .conftest import pulled
from .test_adjudication import TEXT, annotation, claim, span

VERSION = "model-under-test"


def scored(
    annotations: dict[str, Annotation], predicted: Annotation
) -> tuple[Gold, dict[str, Any]]:
    """The waiting gold of the annotations, and the prediction's counts {FIELD: [tp, fp, fn]}
    against it, its ties left out as the gold pass leaves them out."""
    gold = adjudicate("d", TEXT, annotations)
    assert gold.unresolved and gold.annotation is not None
    scores = ModelScores()
    scores.add(Evaluated(gold.regions, [], {VERSION: regions_of(predicted)}, gold.ties))
    counts: dict[str, Any] = scores.as_json()[VERSION]["counts"]
    return gold, counts


def kinds(gold: Gold) -> list[tuple[str, str]]:
    return [(tie.kind, tie.field) for tie in gold.ties]


def test_a_tied_document_choice_is_left_out_and_the_agreed_claim_scored() -> None:
    a = annotation(claim("NATO must stop", "direct"), overall="against")
    b = annotation(claim("NATO must stop", "direct"), overall="favor")
    for said in ("favor", "against"):  # either tied value: neither right nor wrong
        gold, counts = scored({"a": a, "b": b}, annotation(claim("NATO must stop", "direct"),
                                                           overall=said))  # fmt: skip
        assert kinds(gold) == [("document", "overall_stance")]
        assert counts["overall_stance"] == [0, 0, 0]
        assert counts["claim"] == [1, 0, 0] and counts["attribution"] == [1, 0, 0]


def test_a_span_drawn_by_half_is_left_out_with_its_choices() -> None:
    a = annotation(claim("NATO must stop", "direct"), claim("sanctions failed", "indirect"))
    b = annotation(claim("NATO must stop", "direct"))
    drawn = annotation(claim("NATO must stop", "direct"), claim("sanctions failed", "direct"))
    gold, counts = scored({"a": a, "b": b}, drawn)
    assert kinds(gold) == [("span", "claim")]
    assert "drawn by 1 of 2" in gold.tie_texts[0]
    assert counts["claim"] == [1, 0, 0]  # the tied claim is no hit
    assert counts["attribution"] == [1, 0, 0]  # and its choice, only a's, no false alarm
    _, counts = scored({"a": a, "b": b}, annotation(claim("NATO must stop", "direct")))
    assert counts["claim"] == [1, 0, 0]  # nor a miss when the prediction leaves it out


def test_tied_offsets_leave_out_a_prediction_at_either_of_them() -> None:
    a = annotation(claim("NATO must stop"), claim("sanctions failed"))
    b = annotation(claim("NATO must"), claim("sanctions failed"))
    for part in ("NATO must stop", "NATO must"):
        gold, counts = scored({"a": a, "b": b}, annotation(claim(part), claim("sanctions failed")))
        assert kinds(gold) == [("span", "claim")] and "offsets" in gold.tie_texts[0]
        assert counts["claim"] == [1, 0, 0] and counts["check_worthy"] == [1, 0, 0]


def test_an_agreed_region_touching_a_tied_one_is_scored() -> None:
    a = annotation(claim("NATO must stop"), claim("must stop. Raisi"))
    b = annotation(claim("NATO must stop"))
    gold, counts = scored({"a": a, "b": b}, annotation(claim("NATO must stop")))
    assert kinds(gold) == [("span", "claim")] and "drawn by 1 of 2" in gold.tie_texts[0]
    assert counts["claim"] == [1, 0, 0]  # inside the tied claim's text, yet agreed: a hit


def test_a_tied_choice_on_an_agreed_region_is_left_out_alone() -> None:
    a = annotation(claim("NATO must stop", "direct"), claim("sanctions failed", "indirect"))
    b = annotation(claim("NATO must stop", "indirect"), claim("sanctions failed", "indirect"))
    predicted = annotation(claim("NATO must stop", "indirect"), claim("sanctions failed", "direct"))
    gold, counts = scored({"a": a, "b": b}, predicted)
    assert kinds(gold) == [("choice", "attribution")]
    assert counts["claim"] == [2, 0, 0]  # the region itself is agreed
    assert counts["check_worthy"] == [2, 0, 0]
    assert counts["attribution"] == [0, 1, 1]  # the agreed one is scored (and wrong here)


def with_speakers(putin: str) -> Annotation:
    """Two claims: the second Raisi's; the first Putin's or the outlet's own, as given."""
    actors = [GroundedActor(canonical_name=name, type="person", mentions=[span(name)])
              for name in ("Putin", "Raisi")]  # fmt: skip
    first = claim("NATO must stop").model_copy(update={"speaker": putin})
    second = claim("sanctions failed").model_copy(update={"speaker": "Raisi"})
    return Annotation(actors=actors, claims=[first, second])


def test_a_tied_relation_is_left_out_and_the_agreed_one_scored() -> None:
    a, b = with_speakers("Putin"), with_speakers("OUTLET")
    for predicted in (a, b):  # the tied speaker drawn or not: neither a hit nor a miss
        gold, counts = scored({"a": a, "b": b}, predicted)
        assert kinds(gold) == [("relation", "relation:speaker")]
        assert counts["relation:speaker"] == [1, 0, 0]  # Raisi's, agreed
        assert counts["claim"] == [2, 0, 0] and counts["actor"] == [2, 0, 0]


def test_ties_are_kept_whole_and_read_back_the_same() -> None:
    gold = adjudicate("d", TEXT, {"a": with_speakers("Putin"), "b": with_speakers("OUTLET")})
    assert gold.ties and all(Tie.from_json(t.as_json()) == t for t in gold.ties)
    relation = next(t for t in gold.ties if t.kind == "relation")
    assert relation.region is not None and relation.target is not None
    assert TEXT[relation.region.start : relation.region.end] == "NATO must stop"
    assert TEXT[relation.target.start : relation.target.end] == "Putin"


def predict(store: Store, document_id: str, predicted: Annotation) -> None:
    run = store.runs.start(RunSpec("rules", "rules", VERSION, "pv", "sv", {}, 1))
    job = JobKey(VERSION, "pv", "sv", "ph")
    store.predictions.add(Prediction(document_id, run, "rules", "rules", job,
                                     predicted.model_dump_json(), 1, 0))  # fmt: skip


def agreement(db: Path) -> dict[str, Any]:
    result = CliRunner().invoke(app, ["agreement", "--json", "--workers", "1", "--db", str(db)])
    assert result.exit_code == 0, result.output
    report: dict[str, Any] = json.loads(result.output)
    return report


def test_the_gold_pass_scores_a_waiting_document_on_its_agreed_items(tmp_path: Path) -> None:
    """One document ties on its overall stance and agrees on its claim, another agrees on
    both: the claims are scored in both (the waiting one's extra predicted claim is a false
    alarm), the stance in the second only, and one tie is left out."""
    db = tmp_path / "ties.db"
    agreed = claim("NATO must stop", "direct")
    with Store(db) as store:
        for number, (first, second) in enumerate((("against", "favor"), ("favor", "favor"))):
            document = f"{number}" * 16
            store.documents.add(document, f"{number}" * 64, TEXT, f"{number}.txt", {})
            for n, (who, overall) in enumerate((("ann@x", first), ("bob@x", second))):
                pulled(store, document, who, annotation(agreed, overall=overall), 10 * number + n)
            extra = [claim("sanctions failed")] if number == 0 else []
            predict(store, document, annotation(agreed, *extra, overall="favor"))
    report = agreement(db)
    fields = report["model_vs_gold"][VERSION]
    assert fields["claim"] == {"precision": 0.6667, "recall": 1.0, "f1": 0.8}  # 2 hits, 1 false
    assert fields["overall_stance"] == {"precision": 1.0, "recall": 1.0, "f1": 1.0}  # 1 hit
    assert report["model_vs_gold_left_out"] == {"documents": 1, "tied_items": 1}
    assert report["adjudication"]["ties"]["waiting_for_review"] == {"documents": 1, "items": 1}
    assert agreement(db) == report  # read back from the kept gold: the same figures
