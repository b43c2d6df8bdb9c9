"""A task opened in Label Studio's editor without a prediction shows one from `annotate serve`:
headless Chromium at 1366x768, as an annotator opens it (issue 20 part 2)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from annotate.ingest import ingest_paths
from annotate.store import Store
from annotate.studio import server
from annotate.studio.connection import Credentials, connect
from annotate.testing.browser import highlighted_texts, logged_in_page, open_task

from .conftest import SEEDS
from .test_serve import cli, predictions_of, project_named, serving

pytestmark = [pytest.mark.studio, pytest.mark.browser]


@pytest.fixture
def client(studio: server.StudioConfig) -> Any:
    return connect(Credentials(studio.url, studio.token, "test"))


def test_the_editor_shows_a_prediction_for_a_task_pushed_without_one(
    studio: server.StudioConfig, client: Any, tmp_path: Path
) -> None:
    db = tmp_path / "browser.db"
    with Store(db) as store:
        ingest_paths(store, [SEEDS])  # nothing pre-annotated
    title = "serve: the editor"
    with serving(db, studio, tmp_path / "serve.log", "--provider", "rules") as served:
        cli(studio, "--db", str(db), "push", "--project", title, "--ml-backend", served.url)
        project = project_named(client, title)
        before = predictions_of(client, project.id)
        assert before and not any(before.values())
        task_id = sorted(before)[0]
        with logged_in_page(studio, 1366, 768) as page:
            open_task(page, studio, project.id, task_id)  # waits for highlighted regions
            shown = highlighted_texts(page)
        after = predictions_of(client, project.id)
        log = served.text()
    assert "POST /predict 200" in log
    assert len(after[task_id]) == 1
    task = client.tasks.get(id=task_id)
    text = task.data["text"]
    assert shown and all(piece.strip() in text for piece in shown if piece.strip())
    assert len(shown) >= len([r for r in after[task_id][0]["result"] if r["type"] == "labels"])
