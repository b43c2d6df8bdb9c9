"""No secret anywhere: planted keys are searched for in everything the tool writes and prints.

An OpenAI API key (one the fake server echoes back in its 401 message, worse
than real servers), the Label Studio API token and the admin's password are
planted. The whole pipeline runs through the real command line in a process of
its own (ingest, pre-annotation through the fake LLM server, tasks, push and
pull against a real Label Studio, agreement, export, compare with the LLM
judge, runs, show), then the failing cases with ``--debug``. Every file under
the work folder (database and its WAL, task file, exports, card, compare
outputs and report) and everything printed is searched for each secret.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from annotate.studio import server
from annotate.testing.llm_server import RunningServer, running_llm_server

from .conftest import SEEDS

pytestmark = pytest.mark.studio
OPENAI_KEY = "sk-planted-0penai-Key-7f3a9c2e5b1d4680"


@pytest.fixture(scope="module")
def llm() -> Iterator[RunningServer]:
    with running_llm_server() as running:
        yield running


def _run(work: Path, env: dict[str, str], *args: str) -> tuple[int, str]:
    """`annotate ARGS` in its own process, in `work`; exit status and everything it printed."""
    done = subprocess.run([sys.executable, "-m", "annotate", *args], cwd=work, env=env,
                          capture_output=True, text=True, timeout=600)  # fmt: skip
    return done.returncode, done.stdout + done.stderr


def _found(secrets: dict[str, str], where: str, text: str | bytes) -> list[str]:
    data = text.encode("utf-8", "replace") if isinstance(text, str) else text
    return [f"{name} in {where}" for name, secret in secrets.items()
            if secret.encode() in data]  # fmt: skip


def test_no_planted_secret_reaches_a_file_or_the_output(
    studio: server.StudioConfig, llm: RunningServer, tmp_path: Path
) -> None:
    secrets = {"OpenAI key": OPENAI_KEY, "Label Studio token": studio.token,
               "Label Studio password": studio.password}  # fmt: skip
    work = tmp_path / "work"
    work.mkdir()
    env = {**os.environ, "OPENAI_BASE_URL": llm.base_url, "OPENAI_API_KEY": OPENAI_KEY,
           "LABEL_STUDIO_URL": studio.url, "LABEL_STUDIO_API_KEY": studio.token,
           "ANNOTATE_DB": str(work / "annotate.db"), "ANNOTATE_HOME": str(work / ".annotate")}
    env.pop("ANNOTATE_DEBUG", None)  # fmt: skip
    printed: list[tuple[str, str]] = []

    def run(*args: str, ok: bool = True) -> str:
        code, output = _run(work, env, *args)
        printed.append((" ".join(args), output))
        assert (code == 0) == ok, f"annotate {' '.join(args)} -> {code}: {output[-2000:]}"
        return output

    run("ingest", str(SEEDS))
    run("preannotate", "--provider", "openai", "--model", "test-model")
    run("tasks", "--out", str(work / "tasks.json"))
    run("push", "--project", "secrets-test")
    _annotate_every_task(studio, "secrets-test")
    run("pull", "--project", "secrets-test")
    run("agreement", "--json")
    run("export", "--out", str(work / "dataset"))
    run("compare", "--provider", "openai", "--model", "test-model", "--out",
        str(work / "compare"))  # fmt: skip
    run("runs", "--json")
    run("show", "000")
    # Failures, with the traceback shown: the server echoes the key in its 401.
    llm.set_faults([{"kind": "401", "times": 100}])
    (work / "new.txt").write_text("Officials said the talks would resume.", encoding="utf-8")
    run("ingest", str(work / "new.txt"))
    debug = run("--debug", "preannotate", "--provider", "openai", "--model", "test-model",
                ok=False)  # fmt: skip
    assert "refused the API key" in debug and "***" in debug  # the echo, masked
    run("preannotate", "--provider", "openai", "--model", "test-model", ok=False)
    bad = {**env, "LABEL_STUDIO_API_KEY": studio.token[::-1]}
    code, output = _run(work, bad, "--debug", "push", "--project", "secrets-test")
    printed.append(("push with a wrong token", output))
    assert code != 0
    llm.reset()

    leaks = [leak for command, output in printed for leak in _found(secrets, command, output)]
    written = [path for path in work.rglob("*") if path.is_file()]
    assert len(written) > 10 and any(p.suffix == ".parquet" for p in written)
    leaks += [leak for path in written for leak in _found(secrets, str(path), path.read_bytes())]
    assert leaks == []
    # The one file that must hold the local server's credentials is its owner's alone.
    assert oct((work / "annotate.db").stat().st_mode & 0o777) == "0o600"


def _annotate_every_task(studio: server.StudioConfig, title: str) -> None:
    """The admin accepts every task's prediction as an annotation (a pulled gold to export)."""
    from annotate.studio.connection import Credentials, connect

    client: Any = connect(Credentials(studio.url, studio.token, "test"))
    project = next(p for p in client.projects.list() if p.title == title)
    for task in client.tasks.list(project=project.id, fields="all"):
        prediction = task.predictions[0]
        prediction = prediction if isinstance(prediction, dict) else prediction.model_dump()
        client.annotations.create(id=task.id, result=prediction["result"])
