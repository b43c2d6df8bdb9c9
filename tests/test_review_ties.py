"""Ties go to people (issue 21 part 2), against a real Label Studio.

Two annotators answer every seed document: one keeps the rules' pre-annotation,
the other drops a claim. Every document then has a span drawn by one of two
annotators, a tie: the gold waits for a reviewer (never the first annotator by
name), the export keeps those documents in split ``unresolved`` with their ties,
and model-vs-gold scores their agreed items, leaves out the tied ones and says so.
``annotate push --review`` sends them to a review project with both answers as
predictions; a reviewer takes the answer of the annotator whose name sorts last,
``annotate pull --review`` brings it back, and the next gold pass makes it the
gold (method ``review``).
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from annotate.codec import layout as L
from annotate.ingest import ingest_paths
from annotate.preannotate.pipeline import preannotate
from annotate.preannotate.providers.rules import RulesProvider
from annotate.store import Store
from annotate.studio import server
from annotate.studio.connection import Credentials, connect
from annotate.studio.review import answer_names

from .ties import as_dict, cli, two_annotators_disagree

pytestmark = pytest.mark.studio

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
DOCUMENTS = 2


def agreement(db: Path) -> dict[str, Any]:
    report: dict[str, Any] = json.loads(cli(db, "agreement", "--json"))
    return report


def export(db: Path, out: Path) -> dict[str, Any]:
    cli(db, "export", "--out", str(out))
    manifest: dict[str, Any] = json.loads((out / "manifest.json").read_text())
    return manifest


def rows(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_ties_wait_for_a_reviewer_then_the_review_is_the_gold(
    studio: server.StudioConfig, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LABEL_STUDIO_URL", studio.url)
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", studio.token)
    client = connect(Credentials(studio.url, studio.token, "test"))
    db = tmp_path / "ties.db"
    with Store(db) as store:
        ingest_paths(store, sorted(SEEDS.glob("*.txt"))[:DOCUMENTS])
        asyncio.run(preannotate(store, RulesProvider()))
    cli(db, "push", "--project", "ties-test: documents")
    project = next(p for p in client.projects.list() if p.title == "ties-test: documents")
    second = two_annotators_disagree(client, project.id)
    admin = str(client.users.whoami().email)
    last = max(admin, second)  # the annotator whose name sorts last: never first by name
    cli(db, "pull", "--project", "ties-test: documents")

    # Before review: every document waits on a tie; nothing is decided by name.
    report = agreement(db)
    ties = report["adjudication"]["ties"]
    assert ties["waiting_for_review"]["documents"] == DOCUMENTS
    assert ties["waiting_for_review"]["items"] >= DOCUMENTS
    assert ties["review"] == {"documents": 0, "items": 0}
    assert report["model_vs_gold_left_out"] == {
        "documents": DOCUMENTS, "tied_items": ties["waiting_for_review"]["items"]
    }  # fmt: skip
    # Scored on the agreed items (all as the prediction the admin kept); the dropped
    # claim, drawn by one of two, is neither a hit nor a miss.
    ((_, fields),) = report["model_vs_gold"].items()
    assert fields["claim"] == {"precision": 1.0, "recall": 1.0, "f1": 1.0}
    assert all(scores["f1"] in (1.0, None) for scores in fields.values()), fields
    assert all(d["resolution"] == "waiting for review" for d in report["disagreements"])
    with Store(db) as store:
        assert list(store.gold.annotations()) == []  # eval and compare read no unresolved gold
    manifest = export(db, tmp_path / "before")
    assert manifest["splits"] == {"gold": 0, "unresolved": DOCUMENTS}
    waiting = rows(tmp_path / "before" / "jsonl" / "unresolved" / "unresolved.jsonl")
    assert (tmp_path / "before" / "unresolved" / "unresolved.parquet").is_file()
    data = tmp_path / "before" / "data"
    assert [p.name for p in data.iterdir()] == ["gold.parquet"]  # data/ is the gold alone
    assert all(row["ties"] and row["adjudication"] == "majority" for row in waiting)
    card = (tmp_path / "before" / "README.md").read_text()
    assert f"waiting for review: {ties['waiting_for_review']['items']} items in {DOCUMENTS}" in card
    assert f"{DOCUMENTS} documents ({ties['waiting_for_review']['items']} tied items)" in card

    # The review project: a task per waiting document, both answers side by side.
    output = cli(db, "push", "--review", "--project", "ties-test: review")
    assert f"{DOCUMENTS} new tasks" in output
    assert "0 new tasks" in cli(db, "push", "--review", "--project", "ties-test: review")
    review = next(p for p in client.projects.list() if p.title == "ties-test: review")
    tasks = list(client.tasks.list(project=review.id, fields="all"))
    assert len(tasks) == DOCUMENTS
    reviewer = client.users.create(email="ties-reviewer@annotate.local", username="ties-rev")
    chosen: dict[str, int] = {}
    names = answer_names([admin, second])
    for task in tasks:
        answers = {as_dict(p)["model_version"]: as_dict(p)["result"] for p in task.predictions}
        assert set(answers) == set(names.values())
        assert task.data["ties"]
        taken = answers[names[last]]
        chosen[task.data["doc_id"]] = sum(r.get("from_name") == L.CLAIM for r in taken)
        client.annotations.create(id=task.id, result=taken, completed_by=reviewer.id)
    output = cli(db, "pull", "--review", "--project", "ties-test: review")
    assert f"{DOCUMENTS} reviews by 1 annotators" in output

    # After review: the ties are resolved by the reviewer, whose answer is the gold.
    report = agreement(db)
    ties = report["adjudication"]["ties"]
    assert ties["review"]["documents"] == DOCUMENTS
    assert ties["waiting_for_review"] == {"documents": 0, "items": 0}
    assert report["adjudication"]["methods"] == {"review": DOCUMENTS}
    assert report["annotators"] == sorted([admin, second])  # a reviewer is not an annotator
    assert report["model_vs_gold_left_out"] == {"documents": 0, "tied_items": 0}
    assert report["model_vs_gold"]  # scored now that the gold is resolved
    manifest = export(db, tmp_path / "after")
    assert manifest["splits"] == {"gold": DOCUMENTS}
    gold = rows(tmp_path / "after" / "jsonl" / "data" / "gold.jsonl")
    assert {row["id"]: len(row["claims"]) for row in gold} == chosen
    assert all(row["adjudication"] == "review" and row["ties"] for row in gold)
