"""Comparisons verified in a real Label Studio: push the pairs, two annotators answer, pull.

Nothing is mocked: the seeds are pre-annotated by the rules, compared by the
rules judge through the CLI, and the pairs go to Label Studio 1.23.2 started
as `annotate studio start` does. Two simulated annotators (the admin and a
second user) answer through Label Studio's API, agreeing on some pairs and not
on others; everything after that reads what Label Studio gives back.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from annotate.cli import app
from annotate.codec import verdicts as V
from annotate.store import Store
from annotate.studio import server
from annotate.studio.comparisons import VerdictKind
from annotate.studio.connection import Credentials, connect
from annotate.studio.pull import pull
from annotate.studio.push_comparisons import push_comparisons
from annotate.studio.review import answer_names

from .conftest import SEEDS, compared_by_the_rules
from .ties import answer, as_dict, cli, studio_admin

pytestmark = pytest.mark.studio
runner = CliRunner()
TITLE = "verify-test: comparisons"


@pytest.fixture
def credentials(studio: server.StudioConfig) -> Credentials:
    return Credentials(studio.url, studio.token, "test")


@pytest.fixture
def compared(tmp_path: Path) -> Path:
    """A store of the seeds, pre-annotated by the rules and compared through the CLI."""
    return compared_by_the_rules(tmp_path / "verify.db", [SEEDS], tmp_path / "out")


def tasks_of(client: Any, project_id: int) -> list[Any]:
    return list(client.tasks.list(project=project_id, fields="all"))


def test_pairs_pushed_once_answered_by_two_annotators_and_pulled(
    compared: Path, credentials: Credentials
) -> None:
    client = connect(credentials)
    with Store(compared) as store:
        run = store.comparisons.last()
        assert run is not None
        verdicts = list(store.comparisons.iter_verdicts(run.id))
        report = push_comparisons(store, client, credentials.url, TITLE)
        assert report.tasks_created == len(verdicts) == report.pairs > 0
        again = push_comparisons(store, client, credentials.url, TITLE)
        assert (again.tasks_created, again.predictions_replaced) == (0, 0)
        tasks = tasks_of(client, report.project_id)
        assert len(tasks) == len(verdicts)
        project = client.projects.get(id=report.project_id)
        assert project.model_version == run.judge  # annotators see the judge's predictions

        # Each task shows both claims (their exact quotes), the context and the judge's verdict.
        by_pair = {t.data["pair"]: t for t in tasks}
        documents = {d.id: d for d in store.documents.iter()}
        for verdict in verdicts:
            task = by_pair[verdict.pair.key]
            a, b = verdict.a, verdict.b
            assert task.data["claim_a"] == documents[a.doc_id].text[a.start : a.end]
            assert task.data["claim_b"] == documents[b.doc_id].text[b.start : b.end]
            (prediction,) = [as_dict(p) for p in task.predictions]
            relation = [r for r in prediction["result"] if r["from_name"] == V.RELATION]
            assert relation[0]["value"]["choices"] == [verdict.relation]
            assert prediction["model_version"] == run.judge

        # Two annotators: they agree on the first pairs and disagree on the last two.
        second = client.users.create(email="verifier@annotate.local", username="verifier")
        chosen = verdicts[:4]
        for index, verdict in enumerate(chosen):
            task = by_pair[verdict.pair.key]
            first = answer(verdict.relation, verdict.detail)
            disagree = answer("unrelated") if verdict.relation == "contradicts" else answer(
                "contradicts", "number"
            )
            other = first if index < 2 else disagree
            client.annotations.create(id=task.id, result=first, lead_time=3.0)
            client.annotations.create(id=task.id, result=other, completed_by=second.id)
        skipped = by_pair[verdicts[4].pair.key]
        client.annotations.create(id=skipped.id, result=[], was_cancelled=True)
        broken = answer("contradicts")  # no detail: not a verdict
        client.annotations.create(id=skipped.id, result=broken, completed_by=second.id)

        pulled = pull(VerdictKind(store), client, credentials.url, TITLE)
        assert (pulled.annotations, pulled.new, pulled.skipped) == (10, 10, 1)
        (problem,) = pulled.problems
        assert problem.task_id == skipped.id and "detail" in problem.reason
        again_pulled = pull(VerdictKind(store), client, credentials.url, TITLE)
        assert (again_pulled.new, again_pulled.unchanged) == (0, 10)
        groups = list(store.verification.iter_pulled())
        assert len(groups) == 5 and sum(len(g) for g in groups) == 10
        answers = Counter(json.loads(p.verdict)["relation"] for g in groups for p in g if p.verdict)
        assert sum(answers.values()) == 8

        # Agreement on the verdicts, adjudicated with the gold's policies.
    result = runner.invoke(app, ["--db", str(compared), "agreement", "--json"])
    assert result.exit_code == 0, result.output
    comparisons = json.loads(result.output)["comparisons"]
    assert comparisons["pairs"] == 4  # the skip and the unconverted answer are left out
    assert comparisons["annotators"] == sorted([studio_admin(client), "verifier@annotate.local"])
    relation = comparisons["fields"]["relation"]
    assert relation["units"] == 4 and relation["observed_agreement"] == 0.5
    assert comparisons["adjudication"] == {
        "policy": "auto", "methods": {"majority": 4}, "verified": 2, "contested": 2,
        "with_ties": 2, "ties": {"review": 0, "waiting_for_review": 2},
    }
    assert len(comparisons["disagreements"]) == 2
    with Store(compared) as store:
        verified = store.verification.verified()
    assert len(verified) == 4
    assert Counter(v.status for v in verified.values()) == {"verified": 2, "contested": 2}

    # The judge against people: the two pairs they agreed on match the judge, and of the
    # two contested ones the tie went to one annotator by name (agreeing or not).
    result = runner.invoke(app, ["--db", str(compared), "compare", "--eval", "--json"])
    assert result.exit_code == 0, result.output
    scores = json.loads(result.output)
    assert (scores["pairs"], scores["verified"], scores["contested"]) == (4, 2, 2)
    people = {key: json.loads(v.verdict)["relation"] for key, v in verified.items()}
    judged = {v.pair.key: v.relation for v in verdicts}
    agreeing = sum(people[key] == judged[key] for key in people)
    assert scores["relations"]["accuracy"] == agreeing / 4

    # The next comparison takes people's verdicts; the export carries them, seeds alone.
    out = compared.parent
    result = runner.invoke(app, ["--db", str(compared), "compare", "--out", str(out / "again")])
    assert result.exit_code == 0, result.output
    facts = json.loads((out / "again" / "facts.json").read_text())
    assert facts["comparison"]["counts"]["verified_pairs"] == 4
    result = runner.invoke(app, ["--db", str(compared), "export", "--out", str(out / "dataset")])
    assert result.exit_code == 0, result.output
    table = out / "dataset" / "jsonl" / "comparisons" / "comparisons.jsonl"
    rows = [json.loads(line) for line in table.read_text().splitlines()]
    assert len(rows) == len(verdicts)
    assert Counter(r["status"] for r in rows if r["status"] != "unverified") == {
        "verified": 2, "contested": 2
    }
    assert all(len(r["annotators"]) == 2 for r in rows if r["status"] != "unverified")
    card = (out / "dataset" / "README.md").read_text()
    assert "## Comparisons across outlets" in card and "(`annotate compare --eval`)" in card


def test_changed_verdicts_replace_predictions_and_a_killed_push_is_repaired(
    compared: Path, credentials: Credentials
) -> None:
    client = connect(credentials)
    title = "replace-test: comparisons"
    with Store(compared) as store:
        run = store.comparisons.last()
        assert run is not None
        verdicts = list(store.comparisons.iter_verdicts(run.id))
        first = push_comparisons(store, client, credentials.url, title)
        # The judge changes its mind on one pair: the task's prediction is replaced.
        changed = verdicts[0]
        relation = "unrelated" if changed.relation != "unrelated" else "same"
        store.db.execute(
            "update verdicts set relation = ?, detail = null, value_pair = null "
            "where comparison_id = ? and key = ?", [relation, run.id, changed.key],
        )  # fmt: skip
        store.db.conn.commit()
        again = push_comparisons(store, client, credentials.url, title)
        assert (again.tasks_created, again.predictions_replaced) == (0, 1)
        tasks = store.verification.tasks(credentials.url, first.project_id)
        task_id = tasks[changed.pair.key].task_id
        predictions = [as_dict(p) for p in client.predictions.list(task=task_id)]
        assert len(predictions) == 1
        shown = [r for r in predictions[0]["result"] if r["from_name"] == V.RELATION]
        assert shown[0]["value"]["choices"] == [relation]
        # A push killed after Label Studio's import, before the store's record: adopted.
        store.db.execute("delete from comparison_tasks where project_id = ?", [first.project_id])
        store.db.conn.commit()
        repaired = push_comparisons(store, client, credentials.url, title)
        assert (repaired.tasks_recovered, repaired.tasks_created) == (len(verdicts), 0)
        assert len(tasks_of(client, first.project_id)) == len(verdicts)


def test_a_stratified_sample_through_the_cli(compared: Path, credentials: Credentials,
                                              monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    monkeypatch.setenv("LABEL_STUDIO_URL", credentials.url)
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", credentials.api_key)
    title = "sample-test: comparisons"
    args = ["--db", str(compared), "push", "--comparisons", "--project", title]
    result = runner.invoke(app, [*args, "--sample", "6", "--seed", "3"])
    assert result.exit_code == 0, result.output
    assert "6 new tasks" in result.output
    result = runner.invoke(app, [*args, "--sample", "6", "--seed", "3"])
    assert result.exit_code == 0 and "0 new tasks" in result.output
    client = connect(credentials)
    with Store(compared) as store:
        run = store.comparisons.last()
        assert run is not None
        relations = {v.pair.key: v.relation for v in store.comparisons.iter_verdicts(run.id)}
    project = next(p for p in client.projects.list() if p.title == title)
    sent = Counter(relations[t.data["pair"]] for t in tasks_of(client, project.id))
    assert sum(sent.values()) == 6
    assert max(sent.values()) - min(sent.values()) <= max(1, 6 - len(sent) * min(sent.values()))
    pull_args = ["--db", str(compared), "pull", "--comparisons", "--project", title]
    result = runner.invoke(app, pull_args)
    assert result.exit_code == 0 and "0 verdicts" in result.output


def test_tied_verdicts_go_to_a_reviewer_whose_verdict_settles_them(
    compared: Path, credentials: Credentials, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two annotators split on two pairs (one on the relation, one on a contradiction's
    detail): `push --review` sends both to the pairs' review project with each answer as a
    prediction named for its annotator; a reviewer settles one; `pull --review` brings it
    back and the next verification pass takes it (method review), the other still waits."""
    monkeypatch.setenv("LABEL_STUDIO_URL", credentials.url)
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", credentials.api_key)
    client = connect(credentials)
    title = "pair-ties-test: comparisons"
    cli(compared, "push", "--comparisons", "--project", title)
    project = next(p for p in client.projects.list() if p.title == title)
    tasks = tasks_of(client, project.id)[:3]
    second = client.users.create(email="pair-ties-b@annotate.local", username="pair-ties-b")
    splits = [(answer("same"), answer("unrelated")),  # the relation
              (answer("contradicts", "number"), answer("contradicts", "date")),  # the detail
              (answer("elaborates"), answer("elaborates"))]  # agreed: no tie  # fmt: skip
    for task, (mine, theirs) in zip(tasks, splits, strict=True):
        client.annotations.create(id=task.id, result=mine, lead_time=3.0)
        client.annotations.create(id=task.id, result=theirs, completed_by=second.id)
    cli(compared, "pull", "--comparisons", "--project", title)
    admin, other = studio_admin(client), str(second.email)
    report = json.loads(cli(compared, "agreement", "--json"))["comparisons"]
    assert report["adjudication"]["ties"] == {"review": 0, "waiting_for_review": 2}

    review_title = "pair-ties-test: review"
    output = cli(compared, "push", "--review", "--project", review_title)
    assert "pairs' review project" in output and "2 new tasks (claim pairs" in output
    assert "0 new tasks (claim pairs" in cli(compared, "push", "--review", "--project",
                                              review_title)  # fmt: skip
    review = next(p for p in client.projects.list() if p.title == review_title + " (verdicts)")
    review_tasks = {t.data["pair"]: t for t in tasks_of(client, review.id)}
    assert set(review_tasks) == {tasks[0].data["pair"], tasks[1].data["pair"]}
    assert review_tasks[tasks[0].data["pair"]].data["ties"] == "relation"
    assert review_tasks[tasks[1].data["pair"]].data["ties"] == "detail"
    assert "$ties" in str(review.label_config) and V.RELATION in str(review.label_config)
    names = answer_names([admin, other])
    for task in review_tasks.values():
        shown = {as_dict(p)["model_version"]: as_dict(p)["result"] for p in task.predictions}
        assert set(shown) == set(names.values())  # side by side
    by_name = dict(zip((admin, other), splits[0], strict=True))
    shown = {as_dict(p)["model_version"]: as_dict(p)["result"]
             for p in review_tasks[tasks[0].data["pair"]].predictions}  # fmt: skip
    for who, given in by_name.items():
        relation = [r for r in shown[names[who]] if r["from_name"] == V.RELATION]
        assert relation[0]["value"]["choices"] == given[0]["value"]["choices"]

    # The reviewer takes the answer of the annotator whose name sorts last (never first).
    last = max(admin, other)
    taken = shown[names[last]]
    reviewer = client.users.create(email="pair-ties-rev@annotate.local", username="pt-rev")
    client.annotations.create(id=review_tasks[tasks[0].data["pair"]].id, result=taken,
                              completed_by=reviewer.id)  # fmt: skip
    output = cli(compared, "pull", "--review")  # the review projects this store pushed to
    assert f"{review_title} (verdicts): 1 pair reviews by 1 annotators" in output
    report = json.loads(cli(compared, "agreement", "--json"))["comparisons"]
    assert report["adjudication"]["ties"] == {"review": 1, "waiting_for_review": 1}
    assert report["annotators"] == sorted([admin, other])  # a reviewer is no annotator
    with Store(compared) as store:
        kept = store.verification.verified()
    settled = kept[tasks[0].data["pair"]]
    assert (settled.method, settled.status, settled.resolution) == ("review", "verified", "review")
    expected = by_name[last][0]["value"]["choices"][0]
    assert json.loads(settled.verdict)["relation"] == expected
    assert kept[tasks[1].data["pair"]].resolution == "waiting for review"
    assert kept[tasks[2].data["pair"]].resolution is None
