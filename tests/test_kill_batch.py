"""`annotate batch collect` killed with SIGKILL anywhere, then run again (fake Batch API).

Batch ids live in the store, so a killed collect resumes and nothing is
ingested twice. A collection is killed mid-download of the batch's results
(the fake server streams them slowly), mid-ingest at two points, and at shares
of the time a whole warm collection takes here; the next collect finishes:
every document has exactly one prediction, each batch answer is in the call
cache once, no chat call is made online (every answer was valid), the results
are not downloaded again once saved, and the batch ends ``collected``.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from annotate.store import Store
from annotate.testing.batch_api import BatchControl
from annotate.testing.llm_server import RunningServer, running_llm_server

from .conftest import seed_feed

API_KEY = "sk-test-SECRET-killbatch-0123456789"
DOCUMENTS = 480
#: Seconds the fake server takes to stream a results file: a window to kill in.
DOWNLOAD_SECONDS = 1.0
#: Kills at shares of a whole collection's time, after the aimed ones (resumed runs: no
#: download, so these land at start-up, in the ingest, or after the end).
KILL_AT = (0.3, 0.45, 0.6)


@pytest.fixture(scope="module")
def llm() -> Iterator[RunningServer]:
    with running_llm_server() as running:
        yield running


def _corpus(folder: Path) -> Path:
    return seed_feed(folder, DOCUMENTS)


def _env(llm: RunningServer, tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("OPENAI_", "LABEL_STUDIO_", "ANNOTATE_"))}  # fmt: skip
    env.update(ANNOTATE_HOME=str(tmp_path / "home"), OPENAI_BASE_URL=llm.base_url,
               OPENAI_API_KEY=API_KEY, NO_COLOR="1", COLUMNS="100")  # fmt: skip
    return env


def _args(db: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "annotate", "--db", str(db), *args]


def _run(db: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(_args(db, *args), env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def _submitted(db: Path, env: dict[str, str], feed: Path) -> None:
    """The feed ingested, submitted as one batch, and the batch ended (polled once)."""
    _run(db, env, "ingest", str(feed))
    _run(db, env, "preannotate", "--model", "fake-model", "--response-format", "json_object",
         "--batch")  # fmt: skip
    _run(db, env, "batch", "status")


@dataclass
class Seen:
    """The store and the server right after a kill."""

    predictions: int
    results_saved: bool
    downloads: int


def _seen(db: Path, batches: BatchControl) -> Seen:
    with sqlite3.connect(db) as connection:
        predictions = connection.execute("select count(*) from predictions").fetchone()[0]
        saved = connection.execute("select results_saved from batches").fetchone()[0]
    return Seen(predictions, bool(saved), batches.stats()["downloads"])


def _killed(db: Path, env: dict[str, str], when: Callable[[float], bool]) -> None:
    """Start a collect and SIGKILL it as soon as `when(seconds since start)` holds."""
    process = subprocess.Popen(_args(db, "batch", "collect"), env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    started = time.perf_counter()
    while process.poll() is None and not when(time.perf_counter() - started):
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    process.wait()


def _predicted(db: Path) -> int:
    with sqlite3.connect(db) as connection:
        return int(connection.execute("select count(*) from predictions").fetchone()[0])


def _once_predicted(db: Path, count: int) -> Callable[[float], bool]:
    return lambda _: _predicted(db) >= count


def _after(seconds: float) -> Callable[[float], bool]:
    return lambda elapsed: elapsed >= seconds


def test_a_collect_killed_anywhere_resumes_and_ingests_nothing_twice(
    llm: RunningServer, tmp_path: Path
) -> None:
    llm.reset()
    batches = BatchControl(llm.root)
    batches.reset()
    batches.configure(download_seconds=DOWNLOAD_SECONDS)
    env, feed = _env(llm, tmp_path), _corpus(tmp_path)

    # A whole collection of a store like the other, to know how long one takes here.
    timing = tmp_path / "timing.db"
    _submitted(timing, env, feed)
    started = time.perf_counter()
    _run(timing, env, "batch", "collect")
    took = time.perf_counter() - started
    assert _predicted(timing) == DOCUMENTS

    db = tmp_path / "killed.db"
    _submitted(db, env, feed)
    before = batches.stats()["downloads"]
    seen: list[Seen] = []
    # Mid-download: the server counts a download when it starts streaming it.
    _killed(db, env, lambda _: batches.stats()["downloads"] > before)
    seen.append(_seen(db, batches))
    # Mid-ingest, at a quarter and at a half of the documents.
    for count in (DOCUMENTS // 4, DOCUMENTS // 2):
        _killed(db, env, _once_predicted(db, count))
        seen.append(_seen(db, batches))
    for share in KILL_AT:
        _killed(db, env, _after(share * took))
        seen.append(_seen(db, batches))

    assert not seen[0].results_saved and seen[0].predictions == 0, "killed mid-download"
    assert all(0 < s.predictions < DOCUMENTS for s in seen[1:3]), "killed mid-ingest"
    _run(db, env, "batch", "collect")  # the rest, if the kills left any

    with Store(db) as store:
        [batch] = store.batches.all()
        assert batch.collected and batch.status == "completed"
        counts = store.db.execute(
            "select count(*), count(distinct document_id) from predictions"
        ).fetchone()
        assert tuple(counts) == (DOCUMENTS, DOCUMENTS), "one prediction per document"
        custom_ids = {r for (r,) in store.db.execute("select custom_id from batch_requests")}
        answered = store.db.execute("select count(*) from batch_requests where status = 200")
        assert answered.fetchone()[0] == len(custom_ids) == batch.requests
        calls = [k for (k,) in store.db.execute("select key from llm_calls")]
        assert sorted(calls) == sorted(custom_ids), "each batch answer in the cache once"
    assert llm.stats()["requests"] == 0, "no chat call: every batch answer was valid"
    # Saved once: no download after the first kill that found the results saved.
    first_saved = next(s for s in seen if s.results_saved)
    assert batches.stats()["downloads"] == first_saved.downloads
