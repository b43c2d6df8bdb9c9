"""`annotate push` and `annotate pull` killed at any point, then run again (real Label Studio).

SIGKILL lands at several shares of a whole run's time (before, during and
after Label Studio's import). The next run finishes the job with every task,
prediction and annotation present exactly once.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from annotate.store import Store
from annotate.studio import server
from annotate.studio.connection import Credentials, connect

from .conftest import seed_feed

pytestmark = [pytest.mark.studio, pytest.mark.slow]
#: When a push or pull is killed, as shares of the time a whole one takes here.
KILL_AT = (0.3, 0.6, 0.9)
DOCUMENTS = 120


def _command(db: Path, env: dict[str, str], *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "annotate", "--db", str(db), *args], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip


def _timed(db: Path, env: dict[str, str], *args: str) -> float:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "annotate", "--db", str(db), *args], env=env,
                          capture_output=True, text=True)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    return time.perf_counter() - started


def _killed(db: Path, env: dict[str, str], after: float, *args: str) -> None:
    process = _command(db, env, *args)
    time.sleep(after)
    process.send_signal(signal.SIGKILL)
    process.wait()


def _corpus(folder: Path) -> Path:
    return seed_feed(folder, DOCUMENTS)


def test_push_and_pull_killed_anywhere_finish_exactly_once(
    studio: server.StudioConfig, tmp_path: Path
) -> None:
    env = {**os.environ, "LABEL_STUDIO_URL": studio.url, "LABEL_STUDIO_API_KEY": studio.token}
    db, title = tmp_path / "kill.db", "kill-test"
    assert _command(db, env, "ingest", str(_corpus(tmp_path))).wait() == 0
    assert _command(db, env, "preannotate", "--provider", "rules").wait() == 0
    # A whole push into a throwaway project, to know how long one takes.
    took = _timed(db, env, "push", "--project", "kill-timing")
    for share in KILL_AT:
        _killed(db, env, share * took, "push", "--project", title)
    assert _command(db, env, "push", "--project", title).wait() == 0
    client: Any = connect(Credentials(studio.url, studio.token, "test"))
    project = next(p for p in client.projects.list() if p.title == title)
    tasks = list(client.tasks.list(project=project.id, fields="all"))
    assert len(tasks) == DOCUMENTS
    assert Counter(t.data["doc_id"] for t in tasks).most_common(1)[0][1] == 1
    assert all(len(t.predictions) == 1 for t in tasks), "a prediction sent twice"

    for task in tasks:  # one annotator accepts every prediction
        prediction = task.predictions[0]
        prediction = prediction if isinstance(prediction, dict) else prediction.model_dump()
        client.annotations.create(id=task.id, result=prediction["result"])
    timing = tmp_path / "timing.db"
    _backup(db, timing)  # a whole pull into a copy, to know how long one takes
    took = _timed(timing, env, "pull", "--project", title)
    for share in KILL_AT:
        _killed(db, env, share * took, "pull", "--project", title)
    assert _command(db, env, "pull", "--project", title).wait() == 0
    with Store(db) as store:
        pulled = store.annotations.pulled()
    assert len(pulled) == DOCUMENTS
    assert len({a.annotation_id for a in pulled}) == DOCUMENTS
    assert all(a.annotation for a in pulled)


def _backup(source: Path, target: Path) -> None:
    with sqlite3.connect(source) as origin, sqlite3.connect(target) as copy:
        origin.backup(copy)
