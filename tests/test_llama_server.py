"""A real llama.cpp server, as docs/real-models.md starts it: endpoints that fail fast and honestly.

The server is llama-cpp-python 0.3.36 (its own environment, `.llama-venv`, made
by ``scripts/setup-llama.sh``, which ``scripts/test.sh`` runs), started from the
page's own line with two substitutions: the model file and the port. The
model is written by the test itself (`tests/tiny_llama.py`: random weights, a
small vocabulary, no download); its answers are empty but valid, because
llama-cpp-python turns the schema the client sends in JSON mode into a grammar.
Every case runs the command line as a user does (``python -m annotate``):

* the page's llama.cpp example predicts every seed document;
* a ``--model`` the server does not list is one ``error:`` line, nothing sent;
* a window too small for the prompt is one ``error:`` line with the sizes and
  the flags that enlarge it, before any document (the server's own count from
  ``/extras/tokenize``, or its refusal of one measuring request);
* a closed port stops 200 documents at ``--concurrency 8`` within 15 s, and a
  server killed mid-run stops the job within 30 s: exit 3, none failed.
"""

from __future__ import annotations

import os
import shlex
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from annotate.llm.request import json_mode_prompt
from annotate.prompts import load_prompt
from annotate.schemas import Extraction, strict_json_schema
from annotate.store import Store

from .conftest import ROOT, SEEDS, seed_feed
from .test_real_endpoints import readme_example

LLAMA_VENV = Path(os.environ.get("ANNOTATE_LLAMA_VENV") or ROOT / ".llama-venv")
LLAMA_PYTHON = LLAMA_VENV / "bin" / "python"
#: Seconds a server may take to load the model and answer ``GET /v1/models``.
STARTUP_TIMEOUT = 120.0
CHAT = "POST /v1/chat/completions"


def _require_llama() -> None:
    message = f"no llama-cpp-python in {LLAMA_VENV}: run scripts/setup-llama.sh"
    if not LLAMA_PYTHON.exists():
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The test model, its vocabulary drawn from the tool's own prompt (see `tiny_llama`)."""
    _require_llama()
    folder = tmp_path_factory.mktemp("tiny-llama")
    corpus = folder / "corpus.txt"
    forms = [json_mode_prompt(load_prompt(), strict_json_schema(Extraction), compact=compact)
             for compact in (False, True)]  # fmt: skip
    corpus.write_text("\n".join(forms))
    model = folder / "tiny.gguf"
    script = Path(__file__).with_name("tiny_llama.py")
    subprocess.run([str(LLAMA_PYTHON), str(script), str(model), str(corpus)], check=True)
    return model


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class LlamaServer:
    """``python -m llama_cpp.server`` as docs/real-models.md writes it, on a port of its own."""

    def __init__(self, model: Path, folder: Path, drop: tuple[str, ...] = ()) -> None:
        server_line, exports, self.arguments = readme_example("llama.cpp")
        words = shlex.split(server_line)
        assert words[:3] == ["python", "-m", "llama_cpp.server"], server_line
        self.port = free_port()
        words[0] = str(LLAMA_PYTHON)
        words[words.index("--model") + 1] = str(model)
        words[words.index("--port") + 1] = str(self.port)
        for option in drop:  # e.g. --n_ctx: the server's default window
            at = words.index(option)
            del words[at : at + 2]
        self.alias = words[words.index("--model_alias") + 1]
        self.env = {
            name: value.replace(":8080", f":{self.port}") for name, value in exports.items()
        }
        self.log = folder / f"llama-{self.port}.log"
        with self.log.open("w") as log:
            self.process = subprocess.Popen(
                words, stdout=log, stderr=subprocess.STDOUT, cwd=folder, start_new_session=True
            )
        self._wait_ready()

    @property
    def base_url(self) -> str:
        return self.env["OPENAI_BASE_URL"]

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"llama server exited: {self.log.read_text()[-2000:]}")
            try:
                if httpx.get(f"{self.base_url}/models", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"llama server did not start: {self.log.read_text()[-2000:]}")

    def requests(self, route: str = CHAT) -> int:
        """Requests the server logged on `route` so far."""
        return self.log.read_text(errors="replace").count(f'"{route} ')

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)


@pytest.fixture(scope="session")
def readme_server(
    tiny_model: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LlamaServer]:
    server = LlamaServer(tiny_model, tmp_path_factory.mktemp("llama-readme"))
    yield server
    server.stop()


def annotate(
    db: Path, *arguments: str, env: dict[str, str], timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    """``python -m annotate --db DB ARGUMENTS`` with the page's exported variables."""
    environment = {**os.environ, **env}
    environment.pop("ANNOTATE_MODEL", None)
    return subprocess.run(
        [sys.executable, "-m", "annotate", "--db", str(db), *arguments],
        env=environment, capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip


def ingested(db: Path, *paths: Path) -> Path:
    with Store(db) as store:
        from annotate.ingest import ingest_paths

        ingest_paths(store, list(paths))
    return db


def counts(db: Path) -> tuple[int, int]:
    """Predictions and failures recorded in the store."""
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as connection:
        predicted = connection.execute("select count(*) from predictions").fetchone()[0]
        failed = connection.execute("select count(*) from failures").fetchone()[0]
    return int(predicted), int(failed)


def error_lines(result: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("error:")]


# ---------------------------------------------------- the example of docs/real-models.md


def test_the_readme_llama_cpp_example_runs_as_written(
    readme_server: LlamaServer, tmp_path: Path
) -> None:
    db = ingested(tmp_path / "annotate.db", SEEDS)
    result = annotate(db, *readme_server.arguments, env=readme_server.env)
    assert result.returncode == 0, result.stdout + result.stderr
    with Store(db) as store:
        (run,) = [run.as_json() for run in store.runs.all()]
    assert (run["status"], run["predicted"], run["failed"]) == ("finished", 5, 0)
    assert readme_server.requests("POST /extras/tokenize") >= 1, "the server counted the prompt"


# ---------------------------------------------------------------- before the first document


def test_a_model_the_server_does_not_serve_is_one_error_and_nothing_is_sent(
    readme_server: LlamaServer, tmp_path: Path
) -> None:
    db = ingested(tmp_path / "annotate.db", SEEDS)
    arguments = list(readme_server.arguments)
    arguments[arguments.index("--model") + 1] = "gpt-4o-mini"
    sent = readme_server.requests()
    result = annotate(db, *arguments, env=readme_server.env)
    assert result.returncode == 1, result.stdout + result.stderr
    (line,) = error_lines(result)
    assert "does not serve model 'gpt-4o-mini'" in line and readme_server.alias in line
    assert readme_server.requests() == sent, "no chat request for a model it does not serve"
    assert counts(db) == (0, 0)


def test_a_window_the_prompt_fills_is_one_error_by_the_servers_own_count(
    readme_server: LlamaServer, tmp_path: Path
) -> None:
    """--context-window 2300: the server's tokenizer counts both forms of the prompt.

    The full schema takes about 2,750 of the model's tokens, its compact form
    about 1,790: with 64 for the template, neither leaves the 512 an article and
    its answer need.
    """
    db = ingested(tmp_path / "annotate.db", SEEDS)
    arguments = list(readme_server.arguments)
    arguments[arguments.index("--context-window") + 1] = "2300"
    sent = readme_server.requests()
    result = annotate(db, *arguments, env=readme_server.env)
    assert result.returncode == 1, result.stdout + result.stderr
    (line,) = error_lines(result)
    assert "the 2300-token context window (--context-window)" in line
    assert "counted by llama-cpp-python's /extras/tokenize" in line
    assert "with the schema's compact form" in line
    assert "llama-cpp-python --n_ctx" in line and "vLLM --max-model-len" in line
    assert readme_server.requests() == sent, "refused before any chat request"
    assert counts(db) == (0, 0)
    with Store(db) as store:
        assert store.runs.all() == []


def test_a_window_the_full_schema_fills_takes_its_compact_form(
    readme_server: LlamaServer, tmp_path: Path
) -> None:
    """--context-window 3000: room for an article only without the schema's descriptions."""
    db = ingested(tmp_path / "annotate.db", SEEDS)
    arguments = list(readme_server.arguments)
    arguments[arguments.index("--context-window") + 1] = "3000"
    result = annotate(db, *arguments, env=readme_server.env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "JSON mode carries the compact schema" in result.stderr
    with Store(db) as store:
        (run,) = [run.as_json() for run in store.runs.all()]
    assert (run["status"], run["predicted"], run["failed"]) == ("finished", 5, 0)


def test_the_servers_default_window_is_refused_at_the_start_with_the_sizes(
    tiny_model: Path, tmp_path: Path
) -> None:
    """The page's server line without --n_ctx: llama-cpp-python's default 2,048 tokens.

    The client is told 8,192 (the page's --context-window); the prompt alone
    is about 2,800 of the model's tokens, so the server refuses the one
    measuring request, stating both sizes. Before, every document failed.
    """
    server = LlamaServer(tiny_model, tmp_path, drop=("--n_ctx",))
    try:
        db = ingested(tmp_path / "annotate.db", SEEDS)
        result = annotate(db, *server.arguments, env=server.env)
        assert result.returncode == 1, result.stdout + result.stderr
        (line,) = error_lines(result)
        assert "the 2048-token context window (as the server states it)" in line
        assert "llama-cpp-python --n_ctx" in line
        assert server.requests() == 1, "one measuring request, refused"
        assert counts(db) == (0, 0)
    finally:
        server.stop()


# ---------------------------------------------------------------- an endpoint that is not there


def test_a_closed_port_stops_200_documents_within_15_seconds(tmp_path: Path) -> None:
    db = ingested(tmp_path / "annotate.db", seed_feed(tmp_path, 200))
    env = {"OPENAI_BASE_URL": f"http://127.0.0.1:{free_port()}/v1", "OPENAI_API_KEY": "unused"}
    started = time.monotonic()
    result = annotate(db, "preannotate", "--provider", "openai", "--model", "m",
                      "--concurrency", "8", env=env)  # fmt: skip
    seconds = time.monotonic() - started
    assert result.returncode == 3, result.stdout + result.stderr
    assert seconds < 15, f"took {seconds:.1f} s"
    assert "cannot be reached" in result.stderr
    assert "200 document(s) stay pending, not failed" in result.stderr
    assert counts(db) == (0, 0)


def test_a_server_killed_mid_run_stops_the_job_within_30_seconds(
    tiny_model: Path, tmp_path: Path
) -> None:
    server = LlamaServer(tiny_model, tmp_path)
    db = ingested(tmp_path / "annotate.db", seed_feed(tmp_path, 30))
    environment = {**os.environ, **server.env}
    environment.pop("ANNOTATE_MODEL", None)
    job = subprocess.Popen(
        [sys.executable, "-m", "annotate", "--db", str(db), *server.arguments,
         "--concurrency", "4"],
        env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 300
        while sum(counts(db)) < 1 and job.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
        assert job.poll() is None, "the job ended before the server was killed"
        server.stop()
        killed = time.monotonic()
        stdout, stderr = job.communicate(timeout=120)
        seconds = time.monotonic() - killed
    finally:
        server.stop()
        if job.poll() is None:
            job.kill()
    assert seconds < 30, f"took {seconds:.1f} s after the server died"
    assert job.returncode == 3, stdout + stderr
    predicted, failed = counts(db)
    assert failed == 0 and 1 <= predicted < 30
    assert f"{30 - predicted} document(s) stay pending, not failed" in stderr
