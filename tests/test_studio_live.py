"""The Label Studio round trip against a real server (started once per session).

Nothing here is mocked: the server is Label Studio 1.23.2 from its own venv,
started by `annotate.studio.server` exactly as `annotate studio start` does.
"""

from __future__ import annotations

import asyncio
import json
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from annotate.codec import layout as L
from annotate.ingest import ingest_paths
from annotate.preannotate.pipeline import preannotate
from annotate.preannotate.providers.base import ProviderResult
from annotate.preannotate.providers.rules import RulesProvider
from annotate.store import Store
from annotate.studio import server
from annotate.studio.annotations import AnnotationKind
from annotate.studio.connection import (
    Credentials,
    StudioConnectionError,
    connect,
    resolve_credentials,
)
from annotate.studio.pull import pull
from annotate.studio.push import push

from .conftest import SEEDS

pytestmark = pytest.mark.studio

#: An embedded post with emoji before the spans: UTF-16 offsets would be shifted.
EMOJI_POST = (
    "Embedded post 🇺🇦🔥🙂 by @observer\n\n"
    "Foreign Minister Dmytro Kuleba said the Russian proposal regarding NATO is illegitimate."
)


@pytest.fixture
def credentials(studio: server.StudioConfig) -> Credentials:
    return Credentials(studio.url, studio.token, "test")


@pytest.fixture
def seeded(tmp_path: Path) -> Iterator[Store]:
    (tmp_path / "post.txt").write_text(EMOJI_POST, encoding="utf-8")
    store = Store(tmp_path / "live.db")
    ingest_paths(store, [SEEDS, tmp_path / "post.txt"])
    asyncio.run(preannotate(store, RulesProvider()))
    yield store
    store.close()


def project_tasks(client: Any, project_id: int) -> list[Any]:
    return list(client.tasks.list(project=project_id, fields="all"))


def test_config_file_is_private_and_token_works(
    studio: server.StudioConfig, studio_paths: server.StudioPaths
) -> None:
    assert server.token_works(studio)
    config_file = studio_paths.config
    assert stat.S_IMODE(config_file.stat().st_mode) == 0o600
    assert server.StudioConfig.load(config_file) == studio
    log = studio_paths.log.read_text(errors="replace")
    assert studio.token not in log and studio.password not in log
    assert "127.0.0.1" in studio.url
    # Label Studio's own database keeps every user's API token: its owner's alone.
    for folder in (studio_paths.home, studio_paths.data):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder
    database = studio_paths.data / "label_studio.sqlite3"
    assert database.exists()
    assert stat.S_IMODE(database.stat().st_mode) == 0o600
    made = [p for p in studio_paths.data.rglob("*") if p.is_file()]
    assert made and all(stat.S_IMODE(p.stat().st_mode) & 0o077 == 0 for p in made), made
    assert stat.S_IMODE(studio_paths.log.stat().st_mode) == 0o600


def test_push_is_idempotent_and_predictions_land_at_the_right_offsets(
    seeded: Store, credentials: Credentials
) -> None:
    client = connect(credentials)
    title = "push-test"
    first = push(seeded, client, credentials.url, title, chunk=4)
    assert first.created_project and first.tasks_created == 6 and first.predictions_created == 6
    assert first.model_version_changed and first.model_version.startswith("rule-based")
    again = push(seeded, client, credentials.url, title)
    assert (again.tasks_created, again.predictions_created, again.model_version_changed) == (
        0,
        0,
        False,
    )
    tasks = project_tasks(client, first.project_id)
    assert len(tasks) == 6
    assert sorted(t.data["doc_id"] for t in tasks) == sorted(d.id for d in seeded.documents.iter())
    # Killed after Label Studio's import, before the store's record: the next push adopts
    # the tasks and the predictions they carry; nothing is imported twice.
    seeded.db.execute("delete from studio_tasks where project_id = ?", [first.project_id])
    seeded.db.execute("delete from studio_predictions where project_id = ?", [first.project_id])
    seeded.db.conn.commit()
    repaired = push(seeded, client, credentials.url, title)
    assert (repaired.tasks_recovered, repaired.tasks_created, repaired.predictions_created) == (
        6, 0, 0
    )  # fmt: skip
    tasks = project_tasks(client, first.project_id)
    assert len(tasks) == 6
    for task in tasks:
        (prediction,) = task.predictions
        prediction = prediction if isinstance(prediction, dict) else prediction.model_dump()
        regions = [r for r in prediction["result"] if r["type"] == "labels"]
        assert regions
        for region in regions:
            value = region["value"]
            assert task.data["text"][value["start"] : value["end"]] == value["text"]
    post = next(t for t in tasks if "Embedded post" in t.data["text"])
    (prediction,) = post.predictions
    prediction = prediction if isinstance(prediction, dict) else prediction.model_dump()
    kuleba = next(r for r in prediction["result"] if r["value"].get("text") == "Dmytro Kuleba")
    text = post.data["text"]
    assert text[kuleba["value"]["start"] :].startswith("Dmytro Kuleba")
    assert (
        len(text[: kuleba["value"]["start"]].encode("utf-16-le")) // 2 > kuleba["value"]["start"]
    ), "the emoji must make code points and UTF-16 differ"


class _NewerRules(RulesProvider):
    """The same rules under a newer model version: a second prediction per document."""

    @property
    def model_version(self) -> str:
        return super().model_version + "-v2"

    async def extract(self, text: str) -> ProviderResult:
        return await super().extract(text)


def test_new_documents_and_newer_predictions_only(
    seeded: Store, credentials: Credentials, tmp_path: Path
) -> None:
    client = connect(credentials)
    title = "repush-test"
    push(seeded, client, credentials.url, title)
    (tmp_path / "more.txt").write_text("Lavrov said the talks in Geneva were useful.")
    ingest_paths(seeded, [tmp_path / "more.txt"])
    added = push(seeded, client, credentials.url, title)
    assert (added.tasks_created, added.predictions_created) == (1, 0)
    asyncio.run(preannotate(seeded, _NewerRules()))
    newer = push(seeded, client, credentials.url, title)
    assert newer.tasks_created == 0 and newer.predictions_created == 7
    assert newer.model_version_changed and newer.model_version.endswith("-v2")
    project = client.projects.get(id=newer.project_id)
    assert project.model_version == newer.model_version
    assert len(project_tasks(client, newer.project_id)) == 7
    assert push(seeded, client, credentials.url, title).predictions_created == 0


def test_two_annotators_pulled_back_idempotently(seeded: Store, credentials: Credentials) -> None:
    client = connect(credentials)
    title = "pull-test"
    report = push(seeded, client, credentials.url, title)
    second = client.users.create(email="second@annotate.local", username="second")
    tasks = project_tasks(client, report.project_id)
    task = next(t for t in tasks if "Embedded post" in t.data["text"])
    prediction = task.predictions[0]
    prediction = prediction if isinstance(prediction, dict) else prediction.model_dump()
    client.annotations.create(id=task.id, result=prediction["result"], lead_time=42.0)
    edited = [r for r in prediction["result"] if r.get("from_name") != L.STANCE]
    client.annotations.create(id=task.id, result=edited, completed_by=second.id, lead_time=7.5)
    other = next(t for t in tasks if t.id != task.id)
    other_prediction = other.predictions[0]
    if not isinstance(other_prediction, dict):
        other_prediction = other_prediction.model_dump()
    broken = [r for r in other_prediction["result"] if r.get("from_name") != L.ATTRIBUTION]
    client.annotations.create(id=other.id, result=broken, completed_by=second.id)
    client.annotations.create(id=other.id, result=[], was_cancelled=True)

    first = pull(AnnotationKind(seeded), client, credentials.url, title)
    assert (first.annotations, first.new, first.skipped) == (4, 4, 1)
    assert first.annotators == {studio_admin(client), "second@annotate.local"}
    (problem,) = first.problems
    assert problem.task_id == other.id and problem.annotator == "second@annotate.local"
    assert "no attribution" in problem.reason
    rows = {r.annotation_id: r for r in seeded.annotations.pulled()}
    assert len(rows) == 4
    kept = [r for r in rows.values() if r.error]
    assert len(kept) == 1 and json.loads(kept[0].result)  # raw result kept
    by_second = next(
        r for r in rows.values() if r.task_id == task.id and r.annotator_id == second.id
    )
    assert by_second.lead_time == 7.5 and by_second.annotation
    again = pull(AnnotationKind(seeded), client, credentials.url, title)
    assert (again.new, again.updated, again.unchanged) == (0, 0, 4)
    assert len(seeded.annotations.pulled()) == 4

    # Pulled annotations go straight into the gold set and its export.
    from annotate.gold.export import export_dataset, parse_splits
    from annotate.gold.judge import GoldRecord
    from annotate.gold.report import gold_report

    records: list[GoldRecord] = []
    report = gold_report(seeded, resamples=50, keep=records.append)
    assert report["documents"] == 1  # the broken annotation and the skip are left out
    assert report["annotators"] == sorted([studio_admin(client), "second@annotate.local"])
    (record,) = records
    assert record.gold.method == "majority" and record.gold.contested  # one dropped the stances
    assert record.gold.unresolved  # two annotators, one without stances: ties wait for review
    out = seeded.path.parent / "export"
    manifest = export_dataset(seeded, out, splits=parse_splits(None), resamples=50)
    assert manifest["splits"] == {"gold": 0, "unresolved": 1}  # exported, outside the gold
    assert json.loads((out / "agreement.json").read_text()) == report


def studio_admin(client: Any) -> str:
    return str(client.users.whoami().email)


def test_bad_key_and_stopped_server_give_clear_errors(credentials: Credentials) -> None:
    wrong = Credentials(credentials.url, "0" * 40, "test")
    with pytest.raises(StudioConnectionError, match="refused the API key") as refused:
        connect(wrong)
    assert "0" * 40 not in str(refused.value)
    closed = Credentials(f"http://127.0.0.1:{server.free_port()}", credentials.api_key, "test")
    with pytest.raises(StudioConnectionError, match="not reachable"):
        connect(closed)


def test_credentials_from_environment_win(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("LABEL_STUDIO_URL", "http://example.invalid:1/")
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", "secret-key")
    found = resolve_credentials(server.StudioPaths(tmp_path, tmp_path))
    assert found.url == "http://example.invalid:1" and found.source == "environment"
    assert "secret-key" not in repr(found)
    monkeypatch.delenv("LABEL_STUDIO_URL")
    with pytest.raises(StudioConnectionError, match="annotate studio start"):
        resolve_credentials(server.StudioPaths(tmp_path, tmp_path))


def test_cli_push_and_pull_through_environment_credentials(
    studio: server.StudioConfig, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from annotate.cli import app

    monkeypatch.setenv("LABEL_STUDIO_URL", studio.url)
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", studio.token)
    monkeypatch.setenv("ANNOTATE_DB", str(tmp_path / "cli.db"))
    monkeypatch.setenv("ANNOTATE_HOME", str(tmp_path / "home"))
    runner = CliRunner()

    def run(*args: str) -> str:
        result = runner.invoke(app, list(args))
        assert result.exit_code == 0, result.output
        return result.output

    run("ingest", str(SEEDS))
    first = run("push", "--project", "cli-test")
    assert "5 new tasks, 0 new predictions" in first and "/projects/" in first
    run("preannotate")
    second = run("push", "--project", "cli-test")
    assert "0 new tasks, 5 new predictions" in second and "model version" in second
    assert "0 annotations" in run("pull", "--project", "cli-test")
    assert studio.token not in first + second
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", "wrong-key-123")
    refused = runner.invoke(app, ["push", "--project", "cli-test"])
    assert refused.exit_code == 1 and "refused the API key" in refused.output
    assert "wrong-key-123" not in refused.output
