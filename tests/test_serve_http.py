"""`annotate serve`'s HTTP and its prediction loop without Label Studio (the protocol as Label
Studio 1.23.2's ``ml/api_connector.py`` speaks it; tests/test_serve.py has the real one)."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from annotate.ingest import ingest_paths
from annotate.preannotate.pipeline import preannotate
from annotate.preannotate.providers.rules import RulesProvider
from annotate.store import Store
from annotate.studio import server
from annotate.studio.ml_backend import BackendAuth
from annotate.studio.tasks import capped_prediction
from annotate.workflows.backend import Backend
from annotate.workflows.backend_http import make_server
from annotate.workflows.confidence import ranking
from annotate.workflows.loop_predict import Delivery, PredictionLoop

from .conftest import SEEDS

AUTH = BackendAuth("labeller", "correct horse battery staple")
TOKEN = "setup-token-" + "9f" * 16


def _call(url: str, body: Any = None, auth: BackendAuth | None = AUTH) -> tuple[int, Any]:
    data = (
        None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    )
    request = urllib.request.Request(url, data=data, method="GET" if body is None else "POST")
    if auth is not None:
        request.add_header("Authorization", auth.header)
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


#: The Label Studio the store records predictions as pushed to (never called here).
STUDIO_URL = "http://ls.invalid"


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ANNOTATE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("LABEL_STUDIO_URL", STUDIO_URL)
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", "not-used")
    path = tmp_path / "serve.db"
    with Store(path) as store:
        ingest_paths(store, [SEEDS])
    return path


@pytest.fixture
def served(db: Path) -> Iterator[str]:
    backend = Backend(db, RulesProvider())
    server = make_server("127.0.0.1", 0, backend, AUTH)
    backend.start()
    thread = threading.Thread(target=server.serve_forever)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        backend.stop()
        thread.join()


def test_the_endpoints_answer_as_label_studio_expects(
    served: str, db: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="annotate.serve")
    version = RulesProvider().model_version
    assert _call(served + "/health", auth=None)[0] == 401
    assert _call(served + "/health", auth=BackendAuth("labeller", "wrong"))[0] == 401
    assert _call(served + "/health") == (
        200, {"status": "UP", "model_class": "annotate", "model_version": version}
    )  # fmt: skip
    setup = {"project": "3.1733380000", "schema": "<View/>", "hostname": "http://ls",
             "access_token": TOKEN, "extra_params": None}  # fmt: skip
    assert _call(served + "/setup", setup) == (200, {"model_version": version})
    assert _call(served + "/versions") == (200, {"versions": [version]})
    with Store(db) as store:
        doc_id = next(store.documents.iter()).id
        store.tasks.record(STUDIO_URL, 3, {doc_id: 11})  # as push records the task
    tasks = [{"id": 11, "data": {"doc_id": doc_id}}, {"id": 12, "data": {"text": "not ours"}},
             {"id": 13, "data": {"doc_id": "no-such-document"}}]  # fmt: skip
    status, answer = _call(served + "/predict", {"tasks": tasks, "project": "3.1733380000"})
    assert status == 200 and answer["model_version"] == version
    with Store(db) as store:
        made = store.predictions.latest(doc_id)
        assert made is not None and made.model_version == version
        # Label Studio holds it from the answer: recorded as pushed, to its task
        assert store.tasks.count_unpushed(STUDIO_URL, 3) == 0
        # the run is recorded as finished just after the request hears of its prediction
        deadline = time.monotonic() + 10
        while [(r.status, r.counts.predicted) for r in store.runs.all()] != [("finished", 1)]:
            assert time.monotonic() < deadline, store.runs.all()
            time.sleep(0.05)
        # scored as `annotate push` scores it
        expected = capped_prediction(made, score=ranking(store).score(doc_id))[0]
    # one answer per task, in order (Label Studio pairs them by position): only ours predicted
    assert answer["results"] == [[expected], [], []]
    assert expected["score"] is not None
    # the store now holds predictions of the serving version: listed once
    assert _call(served + "/versions") == (200, {"versions": [version]})
    assert _call(served + "/predict", b"not json")[0] == 400
    assert _call(served + "/predict", {"tasks": "x", "project": "3.1"})[0] == 400
    assert _call(served + "/nowhere")[0] == 404
    assert TOKEN not in caplog.text and AUTH.password not in caplog.text
    assert AUTH.header.split()[1] not in caplog.text
    assert "POST /setup 200" in caplog.text


def test_a_prediction_made_after_its_request_answered_is_delivered(db: Path) -> None:
    """``wait`` 0: the request answers with the store's only; the rest go to `deliver`."""
    delivered: list[Delivery] = []
    with Store(db) as store:
        documents = [d.id for d in store.documents.iter()]
        asyncio.run(preannotate(store, RulesProvider(), limit=2))
    loop = PredictionLoop(db, RulesProvider(), deliver=delivered.append, wait=0.0)
    loop.start()
    try:
        tasks = [{"id": 100 + i, "data": {"doc_id": d}} for i, d in enumerate(documents)]
        answer = loop.predict(7, tasks)
        answered = {100 + i for i, a in enumerate(answer) if a}
        every = {100 + i for i in range(len(documents))}
        deadline = time.monotonic() + 30
        while (late := {t for d in delivered for t, _, _ in d.predictions}) | answered != every:
            assert time.monotonic() < deadline, delivered
            time.sleep(0.1)
    finally:
        loop.stop()
    assert [bool(a) for a in answer[:2]] == [True, True]  # in the store: at once
    assert not late & answered, "a task answered and delivered too would get two predictions"
    assert {d.project_id for d in delivered} == {7}


def test_studio_start_lets_label_studio_call_loopback_only() -> None:
    """The local Label Studio's banned networks are its own default list less loopback."""
    import re

    venv = Path(os.environ.get(server.VENV_ENV) or Path(__file__).parent.parent / ".studio-venv")
    source = next(venv.glob("lib/python3*/site-packages/label_studio/core/utils/io.py"))
    text = source.read_text(encoding="utf-8")
    listed = text[text.index("default_banned_subnets = [") : text.index("\n    banned_subnets = [")]
    defaults = set(re.findall(r"'([^']+)'", listed))
    env = server.LOOPBACK_BACKEND_ENV
    assert env["USE_DEFAULT_BANNED_SUBNETS"] == "false"
    assert defaults - set(env["USER_ADDITIONAL_BANNED_SUBNETS"].split(",")) == {
        "127.0.0.0/8",
        "::1/128",
    }
    assert set(env["USER_ADDITIONAL_BANNED_SUBNETS"].split(",")) <= defaults


def test_push_ml_backend_to_a_backend_not_running_fails_before_pushing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from annotate.cli import app

    monkeypatch.setenv("ANNOTATE_HOME", str(tmp_path / "home"))
    db = tmp_path / "push.db"
    with Store(db) as store:
        ingest_paths(store, [SEEDS])
    url = f"http://127.0.0.1:{server.free_port()}"  # nothing listens there
    # checked first: no Label Studio is configured here, and that error did not come first
    result = CliRunner().invoke(app, ["--db", str(db), "push", "--ml-backend", url])
    assert result.exit_code == 1
    assert f"the ML backend at {url} is not reachable" in result.output
    assert "start it with `annotate serve`" in result.output and "Traceback" not in result.output
