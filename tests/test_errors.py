"""One error path: every user-fixable failure ends in one line ``error: …`` and status 1.

A pre-annotation job the endpoint stops once it has started (a refused key, a
URL that does not exist, a server that cannot be reached) is the exception:
it exits with status 3, the job's "stopped early" status, after one line
``stopped: …`` naming what to fix and one saying the documents stay pending.

Each case runs the real command line in a subprocess (``python -m annotate``),
so what is checked is exactly what a user sees: one non-empty line on stderr,
starting with ``error:``, naming what to fix, with no traceback and no secret.
The Label Studio cases talk to the real server of the test session; only the
5xx case puts a small HTTP proxy in front of it that fails the import request.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import closing
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from annotate.store import Store
from annotate.studio import server as studio_server
from annotate.studio.comparisons import DEFAULT_COMPARISONS_PROJECT
from annotate.studio.push import DEFAULT_PROJECT, check_title
from annotate.testing.llm_server import RunningServer, running_llm_server

from .conftest import SEEDS

API_KEY = "sk-test-SECRET-errors-0123456789"
ONE_SEED = SEEDS / "000_856e5b2c16a2e29d.txt"


# ---------------------------------------------------------------- helpers


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """A clean environment: no endpoint, no Label Studio, a store in tmp_path."""
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("OPENAI_", "LABEL_STUDIO_", "ANNOTATE_"))
    }
    clean.update(
        ANNOTATE_DB=str(tmp_path / "errors.db"),
        ANNOTATE_HOME=str(tmp_path / "home"),  # no local Label Studio configured
        ANNOTATE_STUDIO_VENV=os.environ.get("ANNOTATE_STUDIO_VENV", ""),
        NO_COLOR="1",
    )
    return clean


def cli(env: dict[str, str], *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "annotate", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def one_error(result: subprocess.CompletedProcess[str], *names: str) -> str:
    """Assert the one-line error contract and return the line."""
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode == 1, (result.returncode, result.stderr)
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: "), lines[0]
    for name in names:
        assert name in lines[0], (name, lines[0])
    assert "Traceback" not in result.stderr + result.stdout
    return lines[0]


def one_stop(result: subprocess.CompletedProcess[str], *names: str) -> str:
    """Assert the stopped-job contract (status 3, why, how to resume) and return the why."""
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode == 3, (result.returncode, result.stderr)
    assert len(lines) == 2, result.stderr
    assert lines[0].startswith("stopped: "), lines[0]
    assert "stay pending" in lines[1] and "same command" in lines[1], lines[1]
    for name in names:
        assert name in lines[0], (name, lines[0])
    assert "Traceback" not in result.stderr + result.stdout
    return lines[0]


# ---------------------------------------------------------------- the store


def test_a_file_that_is_not_a_database(env: dict[str, str], tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"this is not SQLite\n" * 100)
    result = cli(env, "--db", str(garbage), "show")
    line = one_error(result, str(garbage), "not an annotate database")
    assert line == one_error(cli(env, "show", "--db", str(garbage)))  # either place for --db
    assert garbage.read_bytes() == b"this is not SQLite\n" * 100, "the file was left alone"


def test_a_locked_database(env: dict[str, str], tmp_path: Path) -> None:
    db = Path(env["ANNOTATE_DB"])
    assert cli(env, "ingest", str(ONE_SEED)).returncode == 0
    other = tmp_path / "other.txt"
    other.write_text("Lavrov said talks would continue.", encoding="utf-8")
    holder = sqlite3.connect(db, isolation_level=None)
    try:
        holder.execute("BEGIN EXCLUSIVE")  # another process is writing
        started = time.monotonic()
        locked = cli({**env, "ANNOTATE_BUSY_TIMEOUT_MS": "200"}, "ingest", str(other))
        assert time.monotonic() - started < 30
        one_error(locked, str(db), "locked", "another annotate command is writing")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert "ingested 1 new" in cli(env, "ingest", str(other)).stdout  # nothing was harmed


def test_a_store_written_by_a_newer_annotate(env: dict[str, str]) -> None:
    db = Path(env["ANNOTATE_DB"])
    with Store(db) as store:
        store.db.sqlite_utils["_migrations"].insert(
            {"name": "m999_from_the_future", "applied_at": "2099"}
        )
        tables = store.db.sqlite_utils.table_names()
    one_error(cli(env, "show"), str(db), "newer annotate", "m999_from_the_future", "upgrade")
    with closing(sqlite3.connect(db)) as conn:  # refused before touching anything
        rows = conn.execute("select name from sqlite_master where type = 'table'").fetchall()
    names = [row[0] for row in rows]
    assert sorted(names) == sorted(tables)


def test_an_unknown_document(env: dict[str, str]) -> None:
    Store(env["ANNOTATE_DB"]).close()
    one_error(cli(env, "show", "nope"), "no document matches 'nope'", "annotate show")


#: Commands that only read the store, each with the arguments it needs to get that far.
READING_COMMANDS = [
    ("show",), ("runs",), ("tasks", "--out", "tasks.json"), ("push",), ("pull",),
    ("agreement",), ("export", "--out", "gold"), ("compare",), ("eval", "--provider", "rules"),
]  # fmt: skip


@pytest.mark.parametrize("command", READING_COMMANDS, ids=lambda c: c[0])
def test_a_command_that_reads_never_creates_a_store(
    env: dict[str, str], tmp_path: Path, command: tuple[str, ...]
) -> None:
    mistyped = tmp_path / "anotate.db"
    one_error(cli(env, "--db", str(mistyped), *command), f"no store at {mistyped}", "ingest")
    assert not mistyped.exists(), "a mistyped --db left an empty store behind"


def test_a_store_in_a_folder_that_does_not_exist(env: dict[str, str], tmp_path: Path) -> None:
    missing = tmp_path / "no-such-folder" / "annotate.db"
    for command in (("ingest", str(ONE_SEED)), ("preannotate",)):
        one_error(cli(env, "--db", str(missing), *command), str(missing.parent), "does not exist")
    assert not missing.parent.exists()


# ---------------------------------------------------------------- the command line itself


def test_debug_shows_the_traceback(env: dict[str, str], tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.db"
    garbage.write_text("not a database")
    for result in (
        cli(env, "--debug", "--db", str(garbage), "show"),
        cli({**env, "ANNOTATE_DEBUG": "1"}, "--db", str(garbage), "show"),
    ):
        assert result.returncode == 1
        assert "Traceback" in result.stderr and "StoreError" in result.stderr


def test_a_usage_error_is_status_2(env: dict[str, str]) -> None:
    result = cli(env, "show", "--no-such-option")
    assert result.returncode == 2 and "No such option" in result.stderr
    assert "Traceback" not in result.stderr


# ---------------------------------------------------------------- the LLM endpoint


@pytest.fixture(scope="module")
def llm() -> Iterator[RunningServer]:
    with running_llm_server() as running:
        yield running


@pytest.fixture
def seeded(env: dict[str, str]) -> dict[str, str]:
    assert cli(env, "ingest", str(SEEDS)).returncode == 0
    return env


def runs_of(env: dict[str, str]) -> list[dict[str, Any]]:
    with Store(env["ANNOTATE_DB"]) as store:
        return [
            {**run.as_json(), "failures": store.runs.failures(run.id)} for run in store.runs.all()
        ]


def test_missing_openai_credentials(env: dict[str, str]) -> None:
    line = one_error(cli(env, "preannotate", "--provider", "openai"), "OPENAI_API_KEY")
    assert "OPENAI_BASE_URL" in line and "workload_identity" not in line


def test_a_wrong_api_key_stops_the_run_at_once(seeded: dict[str, str], llm: RunningServer) -> None:
    llm.reset()
    llm.set_faults([{"kind": "401", "times": 1000}])  # its message echoes the key
    env = {**seeded, "OPENAI_BASE_URL": llm.base_url, "OPENAI_API_KEY": API_KEY}
    result = cli(env, "preannotate", "--model", "m", "--concurrency", "2")
    one_stop(result, "refused the API key", "OPENAI_API_KEY", llm.base_url)
    assert API_KEY not in result.stderr + result.stdout and "SECRET" not in result.stderr
    assert llm.stats()["requests"] <= 2, "5 documents, but no request after the first refusals"
    (run,) = runs_of(env)
    assert run["status"] == "stopped" and run["failures"] == []  # not the documents' fault
    assert "refused the API key" in run["stop_reason"] and API_KEY not in run["stop_reason"]


def test_a_key_revoked_mid_run_loses_nothing_done(
    seeded: dict[str, str], llm: RunningServer
) -> None:
    with Store(seeded["ANNOTATE_DB"]) as store:
        third = list(store.documents.iter())[2].text[:60]
    llm.reset()
    llm.set_faults([{"kind": "401", "match": third, "times": 1000}])
    env = {**seeded, "OPENAI_BASE_URL": llm.base_url, "OPENAI_API_KEY": API_KEY}
    one_stop(cli(env, "preannotate", "--model", "m", "--concurrency", "1"), "OPENAI_API_KEY")
    llm.reset()
    assert cli(env, "preannotate", "--model", "m").returncode == 0
    first, second = runs_of(env)
    assert (first["status"], first["predicted"]) == ("stopped", 2)
    assert (second["status"], second["predicted"]) == ("finished", 3)
    assert llm.stats()["requests"] == 3, "the two documents done before were not asked again"


def test_an_unreachable_endpoint(seeded: dict[str, str]) -> None:
    url = f"http://127.0.0.1:{studio_server.free_port()}/v1"  # nothing listens there
    env = {**seeded, "OPENAI_BASE_URL": url, "OPENAI_API_KEY": API_KEY}
    started = time.monotonic()
    result = cli(env, "preannotate", "--model", "m", "--max-retries", "1")
    assert time.monotonic() - started < 30
    one_stop(result, "cannot be reached", "OPENAI_BASE_URL", url)
    (run,) = runs_of(env)
    assert run["status"] == "stopped" and run["documents"] == 0


def test_an_endpoint_url_without_v1(seeded: dict[str, str], llm: RunningServer) -> None:
    llm.reset()
    env = {**seeded, "OPENAI_BASE_URL": llm.root, "OPENAI_API_KEY": API_KEY}
    one_stop(cli(env, "preannotate", "--model", "m"), "404", "OPENAI_BASE_URL", "/v1")
    assert llm.stats()["requests"] == 0  # the fake's routes are under /v1 only


# ---------------------------------------------------------------- Label Studio


def test_no_label_studio_configured(env: dict[str, str]) -> None:
    Store(env["ANNOTATE_DB"]).close()
    one_error(cli(env, "push"), "annotate studio start", "LABEL_STUDIO_URL")


@pytest.fixture
def studio_env(env: dict[str, str], studio: studio_server.StudioConfig) -> dict[str, str]:
    """The CLI pointed at the session's real Label Studio, with one document ingested."""
    env = {**env, "LABEL_STUDIO_URL": studio.url, "LABEL_STUDIO_API_KEY": studio.token}
    assert cli(env, "ingest", str(ONE_SEED)).returncode == 0
    return env


@pytest.mark.studio
def test_label_studio_4xx_is_its_status_and_its_words(studio_env: dict[str, str]) -> None:
    """A project this store pushed to was deleted in Label Studio: pull says what the server
    answered (a title too long, the 400 this test used to provoke, is now refused before
    any call: test_a_project_title_label_studio_refuses_is_one_line_before_any_call)."""
    with Store(studio_env["ANNOTATE_DB"]) as store:
        (document,) = list(store.documents.iter())
        store.tasks.record(studio_env["LABEL_STUDIO_URL"], 987654, {document.id: 1})
    result = cli(studio_env, "pull")
    line = one_error(result, "Label Studio at", "404")
    assert re.search(r"(?i)not found", line), line  # the server's own words
    assert studio_env["LABEL_STUDIO_API_KEY"] not in result.stderr + result.stdout


@pytest.mark.studio
def test_a_refused_label_studio_key(studio_env: dict[str, str]) -> None:
    env = {**studio_env, "LABEL_STUDIO_API_KEY": "wrong-token-0123456789"}
    result = cli(env, "push")
    one_error(result, "refused the API key", "LABEL_STUDIO_API_KEY")
    assert "wrong-token-0123456789" not in result.stderr + result.stdout


@pytest.mark.studio
def test_pulling_a_project_that_does_not_exist(studio_env: dict[str, str]) -> None:
    one_error(cli(studio_env, "pull", "--project", "no such project"), "no such project", "push")


def test_a_project_title_label_studio_refuses_is_one_line_before_any_call(
    env: dict[str, str],
) -> None:
    Store(env["ANNOTATE_DB"]).close()
    long_title = "a title of more than fifty characters, which Label Studio refuses"
    for command in (("push",), ("pull",), ("push", "--comparisons"), ("pull", "--comparisons")):
        # no Label Studio is configured: the title is refused before one would be asked
        one_error(cli(env, *command, "--project", long_title), "--project", "3 to 50")
    assert all(len(check_title(t)) <= 50 for t in (DEFAULT_PROJECT, DEFAULT_COMPARISONS_PROJECT))


@pytest.mark.studio
def test_pull_reads_the_projects_this_store_pushed_to(
    studio_env: dict[str, str], tmp_path: Path
) -> None:
    """Without --project, pull reads the projects this store pushed to (by their recorded
    ids), not a default title; a project holding another store's documents is named."""
    one_error(cli(studio_env, "pull"), "pushed nothing", "annotate push")
    assert cli(studio_env, "push", "--project", "pushed here").returncode == 0
    pulled = cli(studio_env, "pull")
    assert pulled.returncode == 0, pulled.stderr
    assert "pushed here: 0 annotations" in " ".join(pulled.stdout.split())
    other = {**studio_env, "ANNOTATE_DB": str(tmp_path / "other.db")}
    assert cli(other, "ingest", str(SEEDS / "001_e698a1441658fad6.txt")).returncode == 0
    foreign = cli(other, "pull", "--project", "pushed here")
    assert foreign.returncode == 1
    assert "holds none of this store's documents" in " ".join(foreign.stderr.split())
    assert cli(studio_env, "ingest", str(SEEDS)).returncode == 0
    assert cli(studio_env, "preannotate").returncode == 0
    compared = cli(studio_env, "compare", "--out", str(tmp_path / "compare"))
    assert compared.returncode == 0, compared.stderr
    default = cli(studio_env, "push", "--comparisons")  # the default title fits
    assert default.returncode == 0, default.stderr
    assert DEFAULT_COMPARISONS_PROJECT in cli(studio_env, "pull", "--comparisons").stdout


@pytest.mark.studio
def test_two_projects_with_one_title(studio_env: dict[str, str]) -> None:
    from label_studio_sdk import LabelStudio

    client = LabelStudio(
        base_url=studio_env["LABEL_STUDIO_URL"], api_key=studio_env["LABEL_STUDIO_API_KEY"]
    )
    ids = [client.projects.create(title="twice titled").id for _ in range(2)]
    for command in ("push", "pull"):
        line = one_error(cli(studio_env, command, "--project", "twice titled"), "rename")
        assert all(str(i) in line for i in ids) and "'twice titled'" in line


class _FailingImports(BaseHTTPRequestHandler):
    """Forwards to Label Studio, except task imports, answered 500 as a broken proxy would."""

    upstream = ""
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: Any) -> None:  # quiet
        pass

    def _handle(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.command == "POST" and re.fullmatch(r"/api/projects/\d+/import.*", self.path):
            self._send(500, {"Content-Type": "application/json"}, FAKE_500)
            return
        request = urllib.request.Request(
            self.upstream + self.path,
            data=body or None,
            method=self.command,
            headers={k: v for k, v in self.headers.items() if k.lower() != "host"},
        )
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        try:
            with opener.open(request, timeout=60) as answer:
                self._send(answer.status, dict(answer.headers), answer.read())
        except urllib.error.HTTPError as error:
            self._send(error.code, dict(error.headers), error.read())

    def _send(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.send_response(status)
        for key, value in headers.items():
            if key.lower() not in ("content-length", "transfer-encoding", "connection"):
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _handle


FAKE_500 = json.dumps({"detail": "the import worker crashed (fake proxy)"}).encode()


@pytest.mark.studio
def test_label_studio_5xx_carries_the_server_message(
    studio_env: dict[str, str], studio: studio_server.StudioConfig
) -> None:
    handler = type("Handler", (_FailingImports,), {"upstream": studio.url})
    proxy = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    try:
        env = {**studio_env, "LABEL_STUDIO_URL": f"http://127.0.0.1:{proxy.server_port}"}
        result = cli(env, "push", "--project", "behind a failing proxy")
    finally:
        proxy.shutdown()
        proxy.server_close()
    one_error(result, "500 Internal Server Error", "the import worker crashed (fake proxy)")
    assert studio.token not in result.stderr + result.stdout
