"""`annotate serve`: a real Label Studio 1.23.2 calling a real `annotate serve` (issue 20).

The backend runs as its own process (`python -m annotate serve`), connected with
`annotate push --ml-backend`; Label Studio reaches it on 127.0.0.1 because the test
session's Label Studio is started as `annotate studio start` starts it. A task is
"opened" with the request Label Studio's editor makes for it (``GET /api/tasks/ID``),
"Retrieve predictions" is the Data Manager's action request, and an annotation is
submitted with the editor's own request (``POST /api/tasks/ID/annotations``).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from annotate.cli import app
from annotate.ingest import ingest_paths
from annotate.preannotate.pipeline import job_key
from annotate.preannotate.providers.rules import RulesProvider
from annotate.store import Store
from annotate.studio import server
from annotate.studio.connection import Credentials, connect
from annotate.testing.llm_server import running_llm_server

from .conftest import SEEDS, by_the_rules, seed_feed

pytestmark = pytest.mark.studio


@dataclass
class Served:
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def text(self) -> str:
        return self.log.read_text(errors="replace")


def _get(url: str, headers: dict[str, str] | None = None, timeout: float = 5) -> tuple[int, Any]:
    request = urllib.request.Request(url, headers=headers or {})
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=timeout) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, None


@contextlib.contextmanager
def serving(
    db: Path,
    studio: server.StudioConfig,
    log: Path,
    *args: str,
    env: dict[str, str] | None = None,
    port: int | None = None,
) -> Iterator[Served]:
    """`annotate serve` on 127.0.0.1 (a free port by default), reaching `studio`, until the
    block ends."""
    port = port or server.free_port()
    environment = {**os.environ, "LABEL_STUDIO_URL": studio.url,
                   "LABEL_STUDIO_API_KEY": studio.token, **(env or {})}  # fmt: skip
    command = [sys.executable, "-m", "annotate", "--db", str(db), "serve", "--port", str(port)]
    with log.open("ab") as out:
        process = subprocess.Popen([*command, *args], stdout=out, stderr=subprocess.STDOUT,
                                   env=environment)  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    served = Served(url, process, log)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert process.poll() is None, served.text()
            with contextlib.suppress(OSError, ValueError):
                if _get(url + "/health")[0] in (200, 401):
                    break
            time.sleep(0.3)
        yield served
    finally:
        process.terminate()
        process.wait(60)


def cli(studio: server.StudioConfig, *args: str, env: dict[str, str] | None = None) -> str:
    environment = {"LABEL_STUDIO_URL": studio.url, "LABEL_STUDIO_API_KEY": studio.token,
                   **(env or {})}  # fmt: skip
    result = CliRunner().invoke(app, list(args), env=environment)
    assert result.exit_code == 0, result.output
    return result.output


def wait_for(what: Callable[[], Any], timeout: float, message: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if found := what():
            return found
        time.sleep(0.5)
    raise AssertionError(message)


@pytest.fixture
def client(studio: server.StudioConfig) -> Any:
    return connect(Credentials(studio.url, studio.token, "test"))


def project_named(client: Any, title: str) -> Any:
    return next(p for p in client.projects.list() if p.title == title)


def predictions_of(client: Any, project_id: int) -> dict[int, list[dict[str, Any]]]:
    """Task id -> its predictions (as dicts), read through the tasks API."""
    tasks = client.tasks.list(project=project_id, fields="all")
    return {int(t.id): [p if isinstance(p, dict) else p.model_dump() for p in t.predictions or []]
            for t in tasks}  # fmt: skip


def open_task(studio: server.StudioConfig, task_id: int) -> dict[str, Any]:
    """What Label Studio's editor asks for when it opens a task."""
    status, task = _get(f"{studio.url}/api/tasks/{task_id}",
                        {"Authorization": f"Token {studio.token}"}, timeout=120)  # fmt: skip
    assert status == 200
    return dict(task)


def test_a_task_opened_without_a_prediction_gets_one(
    studio: server.StudioConfig, client: Any, tmp_path: Path
) -> None:
    db = tmp_path / "loop.db"
    with Store(db) as store:
        ingest_paths(store, [SEEDS])  # not pre-annotated: tasks go without predictions
    rules = RulesProvider()
    title = "serve: opened task"
    with serving(db, studio, tmp_path / "serve.log", "--provider", "rules") as served:
        health = _get(served.url + "/health")[1]
        assert health["model_version"] == rules.model_version
        out = cli(studio, "--db", str(db), "push", "--project", title, "--ml-backend", served.url)
        assert f"shows model version {rules.model_version}" in out
        project = project_named(client, title)
        backends = list(client.ml.list(project=project.id))
        # the backend's title, its model version and the project's agree
        assert [(b.title, b.model_version) for b in backends] == [
            (rules.model_version, rules.model_version)
        ]
        assert client.projects.get(id=project.id).model_version == rules.model_version
        before = predictions_of(client, project.id)
        assert before and not any(before.values())
        task_id = sorted(before)[0]
        opened = open_task(studio, task_id)
        after = predictions_of(client, project.id)
    shown = after[task_id]
    assert len(shown) == 1 and shown[0]["model_version"] == rules.model_version
    assert shown[0]["result"], "the prediction has regions"
    assert not any(after[t] for t in after if t != task_id), "only the opened task is predicted"
    doc_id = opened["data"]["doc_id"]
    # the same prediction `annotate preannotate` makes, in the store, in a run of its own
    reference = tmp_path / "reference.db"
    with Store(by_the_rules(reference)) as other:
        expected = other.predictions.latest(doc_id)
    with Store(db) as store:
        made = store.predictions.latest(doc_id)
        assert made is not None and expected is not None
        assert made.annotation == expected.annotation
        assert made.model_version == rules.model_version
        assert store.predictions.count_unpredicted(made.job) == len(before) - 1
        runs = store.runs.all()
        assert [(r.status, r.counts.predicted, r.spec.model_version) for r in runs] == [
            ("finished", 1, rules.model_version)
        ]
        # Label Studio holds it already: a later push sends nothing twice
        assert store.tasks.count_unpushed(studio.url, project.id) == 0
    assert len(shown[0]["result"]) == len(json.loads(_results_of(expected)))
    listed = json.loads(cli(studio, "--db", str(db), "runs", "--json"))
    assert [run["id"] for run in listed] == [runs[0].id]  # counted in `annotate runs`


def _results_of(prediction: Any) -> str:
    from annotate.studio.tasks import prediction_for

    return json.dumps(prediction_for(prediction)["result"])


def _api(
    method: str, url: str, token: str, body: Any = None, timeout: float = 60
) -> tuple[int, Any]:
    """One call to Label Studio's API as the editor makes it: (status, JSON answer or None)."""
    data = None if body is None else json.dumps(body).encode()
    headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(request, timeout=timeout) as response:
        return response.status, json.loads(response.read() or b"null")


def retrieve_predictions(studio: server.StudioConfig, project_id: int) -> tuple[int, float]:
    """The Data Manager's "Retrieve Predictions" over every task; (status, seconds)."""
    started = time.monotonic()
    status, _ = _api(
        "POST", f"{studio.url}/api/dm/actions?id=retrieve_tasks_predictions&project={project_id}",
        studio.token, {"selectedItems": {"all": True, "excluded": []}}, timeout=300,
    )  # fmt: skip
    return status, time.monotonic() - started


TASKS = 250
STORED = 100


def test_retrieve_predictions_over_hundreds_of_tasks_answers_in_time(
    studio: server.StudioConfig, client: Any, tmp_path: Path
) -> None:
    """From the store at once, the rest queued and added as predictions when made."""
    db = tmp_path / "many.db"
    with Store(db) as store:
        ingest_paths(store, [seed_feed(tmp_path, TASKS)])
    title = "serve: retrieve predictions"
    with running_llm_server(latency=0.2) as llm:
        env = {"OPENAI_BASE_URL": llm.base_url, "OPENAI_API_KEY": "sk-serve-test-key"}
        llm_args = ("--provider", "openai", "--model", "m", "--concurrency", "2")
        with serving(db, studio, tmp_path / "serve.log", *llm_args, "--wait", "5",
                     env=env) as served:  # fmt: skip
            # tasks without predictions, then some documents predicted in the store only
            cli(studio, "--db", str(db), "push", "--project", title, "--ml-backend", served.url)
            cli(studio, "--db", str(db), "preannotate", *llm_args, "--limit", str(STORED),
                env=env)  # fmt: skip
            project = project_named(client, title)
            version = client.projects.get(id=project.id).model_version
            status, seconds = retrieve_predictions(studio, project.id)
            at_once = sum(1 for p in predictions_of(client, project.id).values() if p)
            every = wait_for(
                lambda: (found := predictions_of(client, project.id))
                and all(found.values()) and found,
                timeout=240, message="not every task got its prediction",
            )  # fmt: skip
            # each delivery is recorded when Label Studio has answered it (after it saved)
            wait_for(lambda: _unpushed(db, studio.url, project.id) == 0, 60,
                     "predictions sent but not recorded as pushed")  # fmt: skip
            final = predictions_of(client, project.id)
            log = served.text()
    # Label Studio waits 100 s for the answer, which came within --wait (5 s) and the store's
    # reads; Label Studio's own saving of what it got follows (seconds to tens under load)
    answered_in = [int(ms) for ms in re.findall(r"POST /predict 200 (\d+) ms", log)]
    assert status == 200 and len(answered_in) == 1 and answered_in[0] < 15_000, answered_in
    assert seconds < 100, f"Retrieve Predictions took {seconds:.1f} s"
    said = re.search(rf"predict: {TASKS} task\(s\), {STORED} from the store, (\d+) made, "
                     r"(\d+) queued", log)  # fmt: skip
    assert said, log
    made, queued = int(said[1]), int(said[2])
    assert queued > 0 and made + queued == TASKS - STORED  # some queued: no request waits
    assert at_once >= STORED + made
    assert len(every) == TASKS
    # no task got a second prediction
    assert all(len(p) == 1 and p[0]["model_version"] == version for p in final.values())
    with Store(db) as store:
        runs = store.runs.all()
        assert all(run.status == "finished" for run in runs)
        assert sum(run.counts.predicted for run in runs) == TASKS
    assert "delivered" in log and " ERROR " not in log
    print(f"Retrieve Predictions over {TASKS} tasks: serve answered in {answered_in[0]} ms, "
          f"Label Studio returned in {seconds:.1f} s; {STORED} from the store, {made} made in "
          f"time, {queued} delivered later")  # fmt: skip


def _titles(client: Any, project_id: int) -> list[tuple[str, str]]:
    """(title, model version) of the project's ML backends."""
    return [(b.title, b.model_version) for b in client.ml.list(project=project_id)]


def _unpushed(db: Path, server_url: str, project_id: int) -> int:
    with Store(db) as store:
        return store.tasks.count_unpushed(server_url, project_id)


def test_a_submitted_annotation_reaches_the_store_through_the_webhook(
    studio: server.StudioConfig, client: Any, tmp_path: Path
) -> None:
    db = by_the_rules(tmp_path / "hook.db")
    title = "serve: webhook"
    with serving(db, studio, tmp_path / "serve.log", "--provider", "rules") as served:
        cli(studio, "--db", str(db), "push", "--project", title, "--ml-backend", served.url)
        project = project_named(client, title)
        task_id, predicted = sorted(predictions_of(client, project.id).items())[0]
        result = predicted[0]["result"]
        # what the editor sends when an annotator submits the pre-annotation as it stands
        answer = {"result": result, "lead_time": 12.5}
        _, made = _api(
            "POST", f"{studio.url}/api/tasks/{task_id}/annotations", studio.token, answer
        )
        kept = wait_for(lambda: _stored(db, int(made["id"])), 30, "the annotation was not stored")
        # an edit (one region fewer) reaches the store too
        first = result[0]["id"]
        edited = [r for r in result if first not in (r.get("id"), r.get("from_id"), r.get("to_id"))]
        edit = _api("PATCH", f"{studio.url}/api/annotations/{made['id']}", studio.token,
                    {"result": edited})  # fmt: skip
        assert edit[0] == 200
        changed = wait_for(
            lambda: (row := _stored(db, int(made["id"]))) and row.result != kept.result and row,
            30, "the edit was not stored",
        )  # fmt: skip
        log = wait_for(lambda: "ANNOTATION_UPDATED" in served.text() and served.text(), 10, "")
    assert kept.annotator == server.ADMIN_EMAIL and kept.error is None and kept.annotation
    assert kept.task_id == task_id and kept.lead_time == 12.5
    assert len(json.loads(changed.result)) == len(edited)
    assert "ANNOTATION_CREATED" in log and "ANNOTATION_UPDATED" in log
    # stored as a pull stores it: pulling now finds nothing new or changed
    from annotate.studio.annotations import AnnotationKind
    from annotate.studio.pull import pull

    with Store(db) as store:
        assert store.annotations.has_valid()
        report = pull(AnnotationKind(store), client, studio.url, title)
        assert (report.new, report.updated, report.unchanged) == (0, 0, 1)
        assert [(r.annotation_id, r.result) for r in store.annotations.pulled()] == [
            (changed.annotation_id, changed.result)
        ]


def test_a_deleted_annotation_stays_in_the_store_as_a_pull_keeps_it(
    studio: server.StudioConfig, client: Any, tmp_path: Path
) -> None:
    """Label Studio sends ANNOTATIONS_DELETED to the backend's webhook; a pull never drops an
    annotation gone from Label Studio, so neither does the webhook: gold stays as pull makes it."""
    from annotate.studio.annotations import AnnotationKind
    from annotate.studio.pull import pull

    db = by_the_rules(tmp_path / "deleted.db")
    title = "serve: deleted annotation"
    with serving(db, studio, tmp_path / "serve.log", "--provider", "rules") as served:
        cli(studio, "--db", str(db), "push", "--project", title, "--ml-backend", served.url)
        project = project_named(client, title)
        task_id, predicted = sorted(predictions_of(client, project.id).items())[0]
        answer = {"result": predicted[0]["result"], "lead_time": 3.0}
        _, made = _api(
            "POST", f"{studio.url}/api/tasks/{task_id}/annotations", studio.token, answer
        )
        kept = wait_for(lambda: _stored(db, int(made["id"])), 30, "the annotation was not stored")
        assert _api("DELETE", f"{studio.url}/api/annotations/{made['id']}", studio.token)[0] == 204
        line = f"ANNOTATIONS_DELETED: annotation(s) {made['id']} kept"
        wait_for(lambda: line in served.text(), 30, "the deletion did not reach the webhook")
        after_webhook = _stored(db, int(made["id"]))
    assert not client.annotations.list(id=task_id)  # gone from Label Studio
    assert after_webhook == kept
    with Store(db) as store:
        report = pull(AnnotationKind(store), client, studio.url, title)
        assert report.annotations == 0  # the pull sees no annotation, and drops none
        assert store.annotations.pulled() == [kept]


def _stored(db: Path, annotation_id: int) -> Any:
    with Store(db) as store:
        rows = [r for r in store.annotations.pulled() if r.annotation_id == annotation_id]
    return rows[0] if rows else None


def test_a_model_or_prompt_change_is_a_new_model_version(
    studio: server.StudioConfig, client: Any, tmp_path: Path
) -> None:
    """The rules, then a model on the same backend URL: both versions' predictions stay."""
    db = tmp_path / "versions.db"
    with Store(db) as store:
        ingest_paths(store, [SEEDS])
        documents = store.documents.count()
    title = "serve: new model version"
    port = server.free_port()
    log = tmp_path / "serve.log"
    with serving(db, studio, log, "--provider", "rules", port=port) as served:
        cli(studio, "--db", str(db), "push", "--project", title, "--ml-backend", served.url)
        project = project_named(client, title)
        first = sorted(predictions_of(client, project.id))[0]
        open_task(studio, first)
    with running_llm_server() as llm:
        env = {"OPENAI_BASE_URL": llm.base_url, "OPENAI_API_KEY": "sk-serve-test-key"}
        args = ("--provider", "openai", "--model", "m")
        with serving(db, studio, log, *args, env=env, port=port) as served:
            new = str(_get(served.url + "/health")[1]["model_version"])
            # nothing done but Retrieve Predictions: Label Studio's setup call has the backend
            # renamed to the new version, and the project follows
            status, _ = retrieve_predictions(studio, project.id)
            wait_for(lambda: _titles(client, project.id) == [(new, new)], 30,
                     "the backend was not renamed")  # fmt: skip
            assert client.projects.get(id=project.id).model_version == new
            after = predictions_of(client, project.id)
            # connecting again is harmless: the same backend, the same version
            out = cli(studio, "--db", str(db), "push", "--project", title, "--ml-backend",
                      served.url)  # fmt: skip
            assert f"reconnected: the project shows model version {new}" in out
            backends = list(client.ml.list(project=project.id))
            assert len(backends) == 1
            # Label Studio's own API lists what /versions answers: the serving version
            # first, then the rules' version, whose predictions the store still holds
            status_v, listed = _get(f"{studio.url}/api/ml/{backends[0].id}/versions",
                                    {"Authorization": f"Token {studio.token}"}, 30)  # fmt: skip
            text = served.text()
    assert "renamed" in text
    old = RulesProvider().model_version
    assert (status_v, listed) == (200, {"versions": [new, old]})
    assert status == 200 and new != old
    assert sorted(p["model_version"] for p in after[first]) == sorted([old, new])
    assert all([p["model_version"] for p in after[t]] == [new] for t in after if t != first)
    with Store(db) as store:
        # the rules' prediction of the first document is still there, beside the model's
        assert store.predictions.count_unpredicted(job_key(RulesProvider())) == documents - 1
        runs = [(r.spec.model_version, r.counts.predicted) for r in store.runs.all()]
    assert runs[0] == (old, 1) and {v for v, _ in runs[1:]} == {new}
    assert sum(n for _, n in runs[1:]) == documents


def test_basic_auth_off_loopback_and_no_secret_in_any_request_log(
    studio: server.StudioConfig,
    studio_paths: server.StudioPaths,
    client: Any,
    tmp_path: Path,
) -> None:
    import base64
    import secrets

    db = tmp_path / "auth.db"
    with Store(db) as store:
        ingest_paths(store, [SEEDS])
    # off 127.0.0.1 without credentials: refused before anything listens
    no_auth = {"ANNOTATE_SERVE_USER": "", "ANNOTATE_SERVE_PASSWORD": ""}
    refused = CliRunner().invoke(app, ["--db", str(db), "serve", "--host", "0.0.0.0"], env=no_auth)
    assert refused.exit_code == 1
    assert "ANNOTATE_SERVE_USER and ANNOTATE_SERVE_PASSWORD" in refused.output
    password, api_key = secrets.token_urlsafe(16), "sk-" + secrets.token_hex(16)
    basic = base64.b64encode(f"labeller:{password}".encode()).decode()
    auth = {"ANNOTATE_SERVE_USER": "labeller", "ANNOTATE_SERVE_PASSWORD": password}
    title = "serve: basic auth"
    with running_llm_server() as llm:
        env = {**auth, "OPENAI_BASE_URL": llm.base_url, "OPENAI_API_KEY": api_key}
        args = ("--provider", "openai", "--model", "m")
        with serving(db, studio, tmp_path / "serve.log", *args, env=env) as served:
            assert _get(served.url + "/health")[0] == 401
            assert _get(served.url + "/health", {"Authorization": "Basic " + basic})[0] == 200
            wrong = base64.b64encode(b"labeller:guess").decode()
            assert _get(served.url + "/health", {"Authorization": "Basic " + wrong})[0] == 401
            cli(studio, "--db", str(db), "push", "--project", title, "--ml-backend", served.url,
                env=auth)  # fmt: skip
            project = project_named(client, title)
            (backend,) = client.ml.list(project=project.id)
            assert backend.auth_method == "BASIC_AUTH" and backend.basic_auth_user == "labeller"
            task_id = sorted(predictions_of(client, project.id))[0]
            open_task(studio, task_id)  # Label Studio sends the credentials
            predicted = predictions_of(client, project.id)[task_id]
            assert predicted and predicted[0]["result"]
            answer = {"result": predicted[0]["result"], "lead_time": 3.0}
            _, made = _api("POST", f"{studio.url}/api/tasks/{task_id}/annotations",
                           studio.token, answer)  # fmt: skip
            wait_for(lambda: _stored(db, int(made["id"])), 30, "the webhook was refused")
            log = served.text()
    assert "POST /predict 200" in log and "POST /setup 200" in log and "GET /health 401" in log
    # /setup carried the project creator's token; Label Studio sent the password each time
    studio_log = studio_paths.log.read_text(errors="replace")
    for secret in (password, basic, api_key, studio.token):
        assert secret not in log and secret not in studio_log
