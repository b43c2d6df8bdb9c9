"""`annotate push --order`: Label Studio serves the most useful task next (a real Label Studio).

After the push, Label Studio's own next-task API (`GET /api/projects/ID/next/`,
what its "Label all tasks" stream calls) is asked which task it serves: under
uncertainty the one whose prediction has the lowest score, under disagreement
(from the Data Manager tab the push makes) the one annotators disagreed on most.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from annotate.cli import app
from annotate.schemas import Annotation
from annotate.store import Prediction, Store
from annotate.studio import server
from annotate.studio.connection import Credentials, connect
from annotate.studio.order import DISAGREEMENT, DISAGREEMENT_TAB, SCORE, Ranking
from annotate.studio.push import push
from annotate.workflows.confidence import ranking

from .conftest import by_the_rules, pulled

pytestmark = pytest.mark.studio

#: Ungrounded quotes planted in each seed's prediction, in ingest order: the third is worst.
UNGROUNDED = (2, 5, 30, 0, 9)


@pytest.fixture
def credentials(studio: server.StudioConfig) -> Credentials:
    return Credentials(studio.url, studio.token, "test")


def _seeded(db: Path) -> Store:
    """The seeds pre-annotated by the rules, each prediction with some ungrounded quotes."""
    store = Store(by_the_rules(db))
    for (document, prediction), ungrounded in zip(
        store.predictions.with_documents(), UNGROUNDED, strict=True
    ):
        assert prediction is not None
        store.predictions.add(Prediction(document.id, prediction.run_id, "rules", "rules",
                                         prediction.job, prediction.annotation,
                                         spans=prediction.spans,
                                         hallucinations=ungrounded))  # fmt: skip
    return store


def _next_task(credentials: Credentials, project_id: int, view: int | None = None) -> Any:
    params = {"view": view} if view is not None else {}
    response = httpx.get(
        f"{credentials.url}/api/projects/{project_id}/next/",
        headers={"Authorization": f"Token {credentials.api_key}"},
        params=params,
        timeout=60,
    )
    response.raise_for_status()
    return response.json()


def _project(credentials: Credentials, project_id: int) -> Any:
    return connect(credentials).projects.get(id=project_id)


def test_uncertainty_serves_the_lowest_score_first(
    tmp_path: Path, credentials: Credentials, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "order.db"
    _seeded(db).close()
    monkeypatch.setenv("LABEL_STUDIO_URL", credentials.url)
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", credentials.api_key)
    result = CliRunner().invoke(
        app, ["--db", str(db), "push", "--project", "order: uncertainty", "--order", "uncertainty"]
    )
    assert result.exit_code == 0, result.output
    assert "Uncertainty sampling" in result.output
    client: Any = connect(credentials)
    project = next(p for p in client.projects.list() if p.title == "order: uncertainty")
    assert project.sampling == "Uncertainty sampling"
    tasks = list(client.tasks.list(project=project.id, fields="all"))
    scores = {int(t.id): t.data[SCORE] for t in tasks}
    predicted = {int(t.id): _scores(t) for t in tasks}
    assert all(predicted[task] == [score] for task, score in scores.items())  # the same score
    lowest = min(scores, key=lambda task: scores[task])
    assert len(set(scores.values())) == len(UNGROUNDED)
    assert lowest != min(scores)  # not simply the first imported
    served = _next_task(credentials, project.id)
    assert served["id"] == lowest
    assert served["data"][SCORE] == min(scores.values())


def _scores(task: Any) -> list[float]:
    return [p["score"] if isinstance(p, dict) else p.score for p in task.predictions]


def test_random_sets_uniform_sampling(tmp_path: Path, credentials: Credentials) -> None:
    store = _seeded(tmp_path / "random.db")
    report = push(store, connect(credentials), credentials.url, "order: random",
                  ranking=ranking(store), order="random")  # fmt: skip
    assert report.order is not None and report.order.sampling == "Uniform sampling"
    assert _project(credentials, report.project_id).sampling == "Uniform sampling"
    served = _next_task(credentials, report.project_id)
    assert served["queue"] == "Uniform random queue"
    assert SCORE in served["data"]


def test_disagreement_puts_the_most_disagreed_first_and_rescores(
    tmp_path: Path, credentials: Credentials
) -> None:
    store = _seeded(tmp_path / "disagree.db")
    client: Any = connect(credentials)
    title = "order: disagreement"
    # a first push, with scores the estimate no longer holds
    stale = Ranking({d.id: (p.model_version, 0.5) for d, p in store.predictions.with_documents()
                     if p is not None})  # fmt: skip
    first = push(store, client, credentials.url, title, ranking=stale)
    assert first.order is None and first.tasks_created == len(UNGROUNDED)
    # then a first pass: two annotators per document, disagreeing on some documents
    documents = [(d, p) for d, p in store.predictions.with_documents() if p is not None]
    for n, (document, prediction) in enumerate(documents):
        annotation = Annotation.model_validate_json(prediction.annotation)
        pulled(store, document.id, "ann@x", annotation, 2 * n)
        pulled(store, document.id, "bob@x", _dropping(annotation, keep_every=n + 1), 2 * n + 1)
    ranked = ranking(store)
    most = max(ranked.disagreements, key=lambda doc: ranked.disagreements[doc])
    report = push(store, client, credentials.url, title, ranking=ranked, order="disagreement")
    assert report.order is not None and report.order.tab_id is not None
    assert report.tasks_created == 0
    assert report.order.tasks_updated == len(UNGROUNDED)  # their columns written
    assert report.order.predictions_rescored == len(UNGROUNDED)  # 0.5 was stale
    assert _project(credentials, report.project_id).sampling == "Sequential sampling"
    tasks = {int(t.id): t for t in client.tasks.list(project=report.project_id, fields="all")}
    for task in tasks.values():
        document = task.data["doc_id"]
        assert task.data[DISAGREEMENT] == ranked.disagreements[document]
        assert task.data[SCORE] == ranked.score(document) == _scores(task)[0]
    tabs = [v for v in client.views.list(project=report.project_id)
            if (v.data or {}).get("title") == DISAGREEMENT_TAB]  # fmt: skip
    assert [tab.id for tab in tabs] == [report.order.tab_id]
    served = _next_task(credentials, report.project_id, view=report.order.tab_id)
    assert served["data"]["doc_id"] == most
    assert served["id"] != min(tasks)
    # pushing the same order again changes nothing and makes no second tab
    again = push(
        store, client, credentials.url, title, ranking=ranking(store), order="disagreement"
    )
    assert again.order is not None
    assert (again.order.tasks_updated, again.order.predictions_rescored) == (0, 0)
    assert again.order.tab_id == report.order.tab_id


def _dropping(annotation: Annotation, keep_every: int) -> Annotation:
    """An annotator who keeps one claim in `keep_every` (1: all of them) and drops stances."""
    copy = annotation.model_copy(deep=True)
    copy.claims = copy.claims[::keep_every]
    if keep_every > 1:
        copy.stances = []
    return copy


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (
            ["--order", "sideways"],
            "--order 'sideways' is not one of uncertainty, disagreement, random: choose one",
        ),
        (
            ["--order", "random", "--comparisons"],
            "--order applies to documents, not --comparisons or --review",
        ),
        (
            ["--order", "random", "--review"],
            "--order applies to documents, not --comparisons or --review",
        ),
    ],
)
def test_a_wrong_order_is_one_line_before_anything_is_sent(
    tmp_path: Path, args: list[str], said: str
) -> None:
    db = tmp_path / "none.db"
    result = CliRunner().invoke(app, ["--db", str(db), "push", *args])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [f"error: {said}"]
    assert not db.exists()
