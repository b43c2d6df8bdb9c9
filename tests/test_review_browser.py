"""The review of ties on the reviewer's screen (issue 21 part 2): headless Chromium at
1366x768 on the real Label Studio 1.23.2 UI.

Two annotators disagree (tests/ties.py: one drops a claim on every document; on a claim
pair, one says "same", the other "unrelated"), `annotate push --review` sends the ties to
the review projects, and the reviewer (the admin the browser logs in as) opens a task:
what the annotators split on is in the header on the first screen, each annotator's answer
is a tab of its own whose name tells it from the other (Label Studio shows a name over 15
characters as its first 8 and last 6: ``annotator: NAME`` read ``annotato....local`` on
both), choosing a tab shows that answer's regions or choices, and an answer duplicated and
submitted from the UI comes back with `annotate pull --review` as the gold (method
``review``). Submitting a documents' task from the UI is what found that the labeling
config's required per-region choices asked actors for a claim's attribution.

``ANNOTATE_SCREENSHOTS=1`` also saves the documents' review task to ``docs/review-task.png``.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from annotate.codec import layout as L
from annotate.codec import verdicts as V
from annotate.ingest import ingest_paths
from annotate.preannotate.pipeline import preannotate
from annotate.preannotate.providers.rules import RulesProvider
from annotate.schemas import Annotation
from annotate.store import Store
from annotate.studio import server
from annotate.studio.connection import Credentials, connect
from annotate.studio.review import TAB_NAME_CHARS, answer_names
from annotate.testing.browser import logged_in_page, open_task

from .conftest import ROOT, SEEDS, compared_by_the_rules
from .test_comparisons_browser import box, radio
from .ties import answer, as_dict, cli, studio_admin, two_annotators_disagree

pytestmark = [pytest.mark.studio, pytest.mark.browser]

WIDTH, HEIGHT = 1366, 768
SCREENSHOT = ROOT / "docs" / "review-task.png"
MAX_SCREENSHOT_BYTES = 300_000
DOCUMENTS = 2


@dataclass
class Review:
    """A review project as `push --review` made it, and the store behind it."""

    studio: server.StudioConfig
    db: Path
    title: str
    project_id: int
    #: the review tasks as Label Studio gives them (data, predictions)
    tasks: list[Any]
    #: annotator -> the name of their answer's prediction
    names: dict[str, str]

    def answers(self, task: Any) -> dict[str, list[dict[str, Any]]]:
        """Each annotator's answer in `task`: its prediction's result, by annotator."""
        results = {as_dict(p)["model_version"]: as_dict(p)["result"] for p in task.predictions}
        return {who: results[name] for who, name in self.names.items()}


@pytest.fixture(scope="module")
def env(studio: server.StudioConfig) -> Iterator[None]:
    """The CLI reaches the test's Label Studio."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LABEL_STUDIO_URL", studio.url)
        patch.setenv("LABEL_STUDIO_API_KEY", studio.token)
        yield


@pytest.fixture(scope="module")
def client(studio: server.StudioConfig) -> Any:
    return connect(Credentials(studio.url, studio.token, "test"))


@pytest.fixture(scope="module")
def documents(
    studio: server.StudioConfig, client: Any, env: None, tmp_path_factory: pytest.TempPathFactory
) -> Review:
    """Two seed documents, two annotators who split on a claim in each, the review pushed."""
    db = tmp_path_factory.mktemp("review-browser") / "ties.db"
    with Store(db) as store:
        ingest_paths(store, sorted(SEEDS.glob("*.txt"))[:DOCUMENTS])
        asyncio.run(preannotate(store, RulesProvider()))
    cli(db, "push", "--project", "review-screen: documents")
    project = next(p for p in client.projects.list() if p.title == "review-screen: documents")
    other = two_annotators_disagree(client, project.id, "screen-b@annotate.local", "screen-b")
    cli(db, "pull", "--project", "review-screen: documents")
    title = "review-screen: review"
    assert f"{DOCUMENTS} new tasks" in cli(db, "push", "--review", "--project", title)
    review = next(p for p in client.projects.list() if p.title == title)
    tasks = list(client.tasks.list(project=review.id, fields="all"))
    names = answer_names([studio_admin(client), other])
    return Review(studio, db, title, review.id, tasks, names)


@pytest.fixture(scope="module")
def pairs(
    studio: server.StudioConfig, client: Any, env: None, tmp_path_factory: pytest.TempPathFactory
) -> Review:
    """The seeds compared; two annotators split on one pair's relation; the review pushed."""
    folder = tmp_path_factory.mktemp("pair-review-browser")
    db = compared_by_the_rules(folder / "pairs.db", [SEEDS], folder / "out")
    cli(db, "push", "--comparisons", "--project", "review-screen: pairs")
    project = next(p for p in client.projects.list() if p.title == "review-screen: pairs")
    task = next(iter(client.tasks.list(project=project.id, fields="all")))
    other = client.users.create(email="screen-p@annotate.local", username="screen-p")
    client.annotations.create(id=task.id, result=answer("same"), lead_time=3.0)
    client.annotations.create(id=task.id, result=answer("unrelated"), completed_by=other.id)
    cli(db, "pull", "--comparisons", "--project", "review-screen: pairs")
    title = "review-screen: review of pairs"
    assert "1 new tasks (claim pairs" in cli(db, "push", "--review", "--project", title)
    review = next(p for p in client.projects.list() if p.title == title + " (verdicts)")
    tasks = list(client.tasks.list(project=review.id, fields="all"))
    names = answer_names([studio_admin(client), str(other.email)])
    return Review(studio, db, title, review.id, tasks, names)


# -- what the reviewer sees -------------------------------------------------------------


def shown_name(name: str) -> str:
    """A name as Label Studio's tab of an annotation shows it (its annotation-button)."""
    return name if len(name) <= TAB_NAME_CHARS else f"{name[:8]}...{name[-6:]}"


def answer_tab(page: Any, name: str) -> Any:
    """The tab of the prediction named `name`."""
    tabs = page.locator(".lsf-annotation-button").filter(
        has=page.locator(".lsf-annotation-button__userpic_prediction")
    )
    return tabs.filter(has=page.get_by_text(shown_name(name), exact=True))


def prediction_tab_names(page: Any) -> list[str]:
    tabs = page.locator(".lsf-annotation-button").filter(
        has=page.locator(".lsf-annotation-button__userpic_prediction")
    )
    return tabs.locator(".lsf-annotation-button__name").all_inner_texts()


def choose_answer(page: Any, name: str) -> None:
    answer_tab(page, name).locator(".lsf-annotation-button__main").click()
    page.wait_for_timeout(800)
    assert "lsf-annotation-button_selected" in (answer_tab(page, name).get_attribute("class") or "")


def claims_shown(page: Any) -> int:
    """The claim regions highlighted in the text (a region may be drawn in several spans)."""
    spans = page.locator("span.htx-highlight[data-label$=':claim']")
    return len({spans.nth(i).get_attribute("data-index") for i in range(spans.count())})


def on_first_screen(locator: Any) -> bool:
    found = box(locator)
    return found["y"] >= 0 and found["y"] + found["height"] <= HEIGHT and found["x"] >= 0


def header(page: Any, opening: str) -> Any:
    return page.get_by_role("heading", name=re.compile("^" + re.escape(opening)))


def submit_answer_of(page: Any, client: Any, task_id: int, name: str) -> None:
    """As a reviewer takes one answer: its tab, "Duplicate Annotation", Submit."""
    choose_answer(page, name)
    answer_tab(page, name).locator(".lsf-annotation-button__trigger").click()
    page.get_by_text("Duplicate Annotation", exact=True).click()
    page.wait_for_timeout(800)
    page.get_by_role("button", name="Submit").click()
    for _ in range(40):
        if client.tasks.get(id=task_id).annotations:
            return
        page.wait_for_timeout(500)
    raise AssertionError("the reviewer's Submit saved no annotation")


# -- the tests ----------------------------------------------------------------------------


def test_a_documents_review_task_as_the_reviewer_sees_it(documents: Review, client: Any) -> None:
    from playwright.sync_api import expect

    task = documents.tasks[0]
    answers = documents.answers(task)
    claims = {who: sum(r.get("from_name") == L.CLAIM for r in result)
              for who, result in answers.items()}  # fmt: skip
    assert len(set(claims.values())) == 2, claims  # one annotator dropped a claim
    with logged_in_page(documents.studio, WIDTH, HEIGHT) as page:
        open_task(page, documents.studio, documents.project_id, task.id)
        ties = header(page, "Annotators split evenly on:")
        assert ties.count() == 1 and ties.is_visible()
        assert ties.inner_text() == f"Annotators split evenly on: {task.data['ties']}"
        assert on_first_screen(ties), box(ties)
        shown = prediction_tab_names(page)
        assert sorted(shown) == sorted(shown_name(n) for n in documents.names.values())
        assert len(set(shown)) == len(documents.names), f"answers not told apart: {shown}"
        if os.environ.get("ANNOTATE_SCREENSHOTS") == "1":  # as the reviewer opens it
            page.screenshot(path=str(SCREENSHOT), full_page=False)
            assert 0 < SCREENSHOT.stat().st_size < MAX_SCREENSHOT_BYTES
        for who, name in documents.names.items():
            assert on_first_screen(answer_tab(page, name)), who
            answer_tab(page, name).hover()  # the tab's tooltip names the annotator in full
            expect(page.get_by_text(name, exact=True)).to_be_visible()
            page.mouse.move(WIDTH // 2, HEIGHT - 5)
            choose_answer(page, name)
            assert claims_shown(page) == claims[who], who
        last = max(documents.names)  # never the first annotator by name
        submit_answer_of(page, client, task.id, documents.names[last])

    output = cli(documents.db, "pull", "--review", "--project", documents.title)
    assert "1 reviews by 1 annotators" in output
    report = json.loads(cli(documents.db, "agreement", "--json"))
    assert report["adjudication"]["ties"]["review"]["documents"] == 1
    with Store(documents.db) as store:
        gold = store.gold.of(task.data["doc_id"])
    assert gold is not None and gold.method == "review" and gold.annotation is not None
    assert len(Annotation.model_validate_json(gold.annotation).claims) == claims[last]


def test_a_pairs_review_task_as_the_reviewer_sees_it(pairs: Review, client: Any) -> None:
    (task,) = pairs.tasks
    relations = {who: next(r["value"]["choices"][0] for r in result if r["from_name"] == V.RELATION)
                 for who, result in pairs.answers(task).items()}  # fmt: skip
    assert sorted(relations.values()) == ["same", "unrelated"]
    with logged_in_page(pairs.studio, WIDTH, HEIGHT) as page:
        open_task(page, pairs.studio, pairs.project_id, task.id, "input[type=radio]")
        ties = header(page, "Annotators split evenly on")
        assert ties.inner_text() == "Annotators split evenly on the relation"
        assert on_first_screen(ties), box(ties)
        shown = prediction_tab_names(page)
        assert sorted(shown) == sorted(shown_name(n) for n in pairs.names.values())
        assert len(set(shown)) == len(pairs.names), f"answers not told apart: {shown}"
        for who, name in pairs.names.items():
            choose_answer(page, name)
            checked = [v for v in V.CHOICES[V.RELATION] if radio(page, v).is_checked()]
            assert checked == [relations[who]], who
        last = max(pairs.names)
        submit_answer_of(page, client, task.id, pairs.names[last])

    output = cli(pairs.db, "pull", "--review")
    assert f"{pairs.title} (verdicts): 1 pair reviews by 1 annotators" in output
    report = json.loads(cli(pairs.db, "agreement", "--json"))["comparisons"]
    assert report["adjudication"]["ties"] == {"review": 1, "waiting_for_review": 0}
    with Store(pairs.db) as store:
        settled = store.verification.verified()[task.data["pair"]]
    assert (settled.method, settled.resolution) == ("review", "review")
    assert json.loads(settled.verdict)["relation"] == relations[last]
