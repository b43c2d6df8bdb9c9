"""Two processes, one store (issue 11): claims, leases and job locks.

Two `annotate preannotate` processes started together pay for each document
once; a SIGKILLed process's claims are taken over by the next run; a holder on
another host is live until its lease expires; a job lock is waited for, then
reported in one line.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from annotate.errors import StoreError
from annotate.store import JobKey, Store
from annotate.store.leases import LEASE_SECONDS, host_name
from annotate.testing.llm_server import running_llm_server

from .conftest import ROOT

CLI = [sys.executable, "-m", "annotate"]
JOB = JobKey("m1", "p1", "s1", "h1")


@pytest.fixture(scope="module")
def server() -> Iterator[Any]:
    with running_llm_server(latency=0.3) as running:
        yield running


@pytest.fixture(autouse=True)
def _reset(server: Any) -> None:
    server.reset()


def _env(db: Path, server: Any) -> dict[str, str]:
    return {
        **os.environ,
        "ANNOTATE_DB": str(db),
        "OPENAI_BASE_URL": server.base_url,
        "OPENAI_API_KEY": "sk-test-concurrency",
    }


def _feed(path: Path, count: int) -> Path:
    with path.open("w", encoding="utf-8") as feed:
        for n in range(count):
            text = f"Minister {n} said on Monday that talks number {n} would continue in Geneva."
            feed.write(json.dumps({"text": text}) + "\n")
    return path


def test_two_preannotate_processes_pay_for_each_document_once(tmp_path: Path, server: Any) -> None:
    db = tmp_path / "shared.db"
    env = _env(db, server)
    subprocess.run([*CLI, "ingest", str(_feed(tmp_path / "feed.jsonl", 40))], env=env,
                   check=True, capture_output=True)  # fmt: skip
    command = [*CLI, "preannotate", "--model", "m", "--concurrency", "4"]
    jobs = [
        subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
        for _ in range(2)
    ]  # fmt: skip
    outputs = [job.communicate(timeout=120) for job in jobs]
    for job, (out, err) in zip(jobs, outputs, strict=True):
        assert job.returncode == 0, out + err
    assert server.stats()["requests"] == 40
    with Store(db) as store:
        rows = store.db.execute(
            "select document_id, count(*) from predictions group by document_id"
        ).fetchall()
        runs = store.runs.all()
        assert store.claimed_documents() == []
        assert store.db.sqlite_utils["holders"].count == 0
    assert len(rows) == 40 and all(count == 1 for _, count in rows)
    assert [run.status for run in runs] == ["finished", "finished"]
    # Both took part: the documents were shared out, none run twice.
    assert sum(run.counts.documents for run in runs) == 40
    assert all(run.counts.documents > 0 for run in runs), [r.counts.documents for r in runs]


def test_a_killed_process_claims_are_taken_over(tmp_path: Path, server: Any) -> None:
    db = tmp_path / "kill.db"
    env = _env(db, server)
    subprocess.run([*CLI, "ingest", str(ROOT / "seeds")], env=env, check=True,
                   capture_output=True)  # fmt: skip
    server.set_faults([{"kind": "slow", "seconds": 1.0, "times": 100}])
    job = subprocess.Popen(
        [*CLI, "preannotate", "--concurrency", "2", "--model", "m"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    done = 0
    while done < 1 and time.monotonic() < deadline:
        time.sleep(0.2)
        with Store(db) as store:
            done = store.db.sqlite_utils["predictions"].count
    job.send_signal(signal.SIGKILL)
    job.wait()
    with Store(db) as store:
        left = store.claimed_documents()
        dead = store.db.execute("select pid from holders").fetchall()
    assert left, "the killed process held claims"
    assert dead == [(job.pid,)]
    server.set_faults([])
    again = subprocess.run([*CLI, "preannotate", "--model", "m"], env=env, capture_output=True,
                           text=True)  # fmt: skip
    assert again.returncode == 0, again.stdout + again.stderr
    with Store(db) as store:
        assert store.db.sqlite_utils["predictions"].count == 5
        assert store.claimed_documents() == []
        assert store.db.sqlite_utils["holders"].count == 0


def _stranger(store: Store, lease_until: float, pid: int = 1) -> int:
    """A holder recorded by a process on another host."""
    with store.db.conn:
        cursor = store.db.conn.execute(
            "insert into holders (pid, host, what, started_at, lease_until) "
            "values (?, 'another-host', 'annotate push', '', ?)",
            [pid, lease_until],
        )
    return int(cursor.lastrowid or 0)


def _one_document(store: Store) -> str:
    store.documents.add("d1", "d1hash", "Some text.", "d1.txt", {})
    return "d1"


def test_a_claim_is_taken_once_and_given_back(tmp_path: Path) -> None:
    with Store(tmp_path / "s.db") as store:
        doc = _one_document(store)
        first, second = store.register_holder("first"), store.register_holder("second")
        assert store.claim_document(JOB, doc, first)
        assert not store.claim_document(JOB, doc, second)
        store.release_document(JOB, doc, first, failed=True)
        assert not store.claim_document(JOB, doc, second)  # failed this round: not retried
        store.drop_holder(first)
        assert store.claim_document(JOB, doc, second)


def test_claims_taken_a_block_at_a_time_skip_what_another_holds(tmp_path: Path) -> None:
    with Store(tmp_path / "s.db") as store:
        for n in range(4):
            store.documents.add(f"d{n}", f"d{n}hash", "Some text.", f"d{n}.txt", {})
        first, second = store.register_holder("first"), store.register_holder("second")
        assert store.claim_document(JOB, "d1", second)
        assert store.claim_documents(JOB, ["d0", "d1", "d2"], first) == {"d0", "d2"}
        assert store.claim_documents(JOB, ["d0", "d2", "d3"], second) == {"d3"}
        assert store.claimed_documents(first) == ["d0", "d2"]
        store.drop_holder(second)  # its claims go back: the next block takes them
        assert store.claim_documents(JOB, ["d1", "d3"], first) == {"d1", "d3"}


def test_a_holder_on_another_host_is_live_until_its_lease_expires(tmp_path: Path) -> None:
    with Store(tmp_path / "s.db") as store:
        doc = _one_document(store)
        mine = store.register_holder("mine")
        live = _stranger(store, time.time() + LEASE_SECONDS)
        assert store.claim_document(JOB, doc, live)
        assert not store.claim_document(JOB, doc, mine)
        store.db.execute("update holders set lease_until = ? where id = ?", [time.time() - 1, live])
        store.db.conn.commit()
        assert store.claim_document(JOB, doc, mine)  # its lease expired: taken over
        assert store.holder(live) is None


def test_a_dead_process_on_this_host_loses_its_lock(tmp_path: Path) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    with Store(tmp_path / "s.db") as store:
        with store.db.conn:
            store.db.conn.execute(
                "insert into holders (pid, host, what, started_at, lease_until) "
                "values (?, ?, 'annotate push', '', ?)",
                [dead.pid, host_name(), time.time() + LEASE_SECONDS],
            )
            store.db.conn.execute("insert into job_locks values ('push', 1, '')")
        with store.job_lock("push", "annotate push", wait=0):
            assert store.db.execute("select holder from job_locks").fetchone() != (1,)


def test_a_held_lock_is_waited_for_then_reported_in_one_line(tmp_path: Path) -> None:
    with Store(tmp_path / "s.db") as store:
        other = _stranger(store, time.time() + LEASE_SECONDS, pid=4242)
        assert store.try_lock("studio x", other) is None
        told: list[float] = []
        started = time.monotonic()
        lock = store.job_lock("studio x", "annotate pull", wait=1.0,
                              on_wait=lambda owner, waited: told.append(waited))  # fmt: skip
        with pytest.raises(StoreError) as raised, lock:
            pytest.fail("the lock was taken from a live holder")
        assert time.monotonic() - started >= 1.0
        message = str(raised.value)
        assert "\n" not in message and "pid 4242 on another-host" in message
        assert "annotate push" in message and "ANNOTATE_LOCK_WAIT_S" in message
        assert told == [pytest.approx(0.0, abs=0.2)]
        # the waiting holder went with its wait; the other one still holds the lock
        assert store.db.execute("select holder from job_locks").fetchall() == [(other,)]


def test_a_locked_store_is_waited_for_then_reported_in_one_line(tmp_path: Path) -> None:
    db = tmp_path / "locked.db"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "ANNOTATE_"))}
    env.update(ANNOTATE_DB=str(db), NO_COLOR="1")
    subprocess.run([*CLI, "ingest", str(ROOT / "seeds")], env=env, check=True,
                   capture_output=True)  # fmt: skip
    command = [*CLI, "preannotate", "--provider", "rules"]
    holder = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
    try:
        holder.execute("BEGIN EXCLUSIVE")  # another process is writing
        locked = subprocess.run(command, env={**env, "ANNOTATE_BUSY_TIMEOUT_MS": "300"},
                                capture_output=True, text=True)  # fmt: skip
        assert locked.returncode == 1
        (line,) = locked.stderr.strip().splitlines()
        assert "is locked: another annotate command is writing" in line
        assert "ANNOTATE_BUSY_TIMEOUT_MS" in line
        # Held for a second, then released: the default timeout waits it out.
        release = threading.Timer(1.0, lambda: holder.execute("ROLLBACK"))
        release.start()
        started = time.monotonic()
        waited = subprocess.run(command, env=env, capture_output=True, text=True)
        release.join()
        assert waited.returncode == 0, waited.stdout + waited.stderr
        assert time.monotonic() - started >= 1.0
    finally:
        holder.close()
    with Store(db) as store:
        assert store.db.sqlite_utils["predictions"].count == 5


# ---------------------------------------------------------------- push and pull, twice at once


def _studio_env(studio: Any, db: Path, home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
    return {**env, "ANNOTATE_DB": str(db), "ANNOTATE_HOME": str(home),
            "LABEL_STUDIO_URL": studio.url, "LABEL_STUDIO_API_KEY": studio.token}  # fmt: skip


def _twice(command: list[str], env: dict[str, str]) -> list[subprocess.CompletedProcess[str]]:
    """`command` run by two processes started together."""
    jobs = [
        subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
        for _ in range(2)
    ]  # fmt: skip
    done = []
    for job in jobs:
        out, err = job.communicate(timeout=300)
        done.append(subprocess.CompletedProcess(job.args, job.returncode, out, err))
    return done


@pytest.mark.studio
def test_push_and_pull_started_twice_make_nothing_twice(studio: Any, tmp_path: Path) -> None:
    from annotate.studio.connection import Credentials, connect
    from annotate.studio.push import find_project

    db = tmp_path / "studio.db"
    env = _studio_env(studio, db, tmp_path / "home")
    feed = _feed(tmp_path / "feed.jsonl", 1100)  # three imports: the pushes overlap
    subprocess.run([*CLI, "ingest", str(ROOT / "seeds"), str(feed)], env=env, check=True,
                   capture_output=True)  # fmt: skip
    subprocess.run([*CLI, "preannotate", "--provider", "rules"], env=env, check=True,
                   capture_output=True)  # fmt: skip
    title = "twice-test"
    pushes = _twice([*CLI, "push", "--project", title], env)
    for push in pushes:
        assert push.returncode == 0, push.stdout + push.stderr
    outputs = " | ".join(p.stdout for p in pushes)
    assert "1105 new tasks" in outputs and "0 new tasks, 0 new predictions" in outputs, outputs
    # The second waited for the first, saying so (without the lock: 512 twice): one line,
    # and one more every few seconds the first goes on (it can, on a loaded machine).
    (waited,) = [p.stderr for p in pushes if p.stderr]
    lines = waited.splitlines()
    assert lines and all(line.startswith("waiting for annotate push (pid ") for line in lines)
    assert len({line.split(" to finish")[0] for line in lines}) == 1, waited  # the same holder
    client = connect(Credentials(studio.url, studio.token, "test"))
    project = find_project(client, title)
    assert project is not None
    tasks = list(client.tasks.list(project=project.id, fields="all"))
    assert len(tasks) == 1105
    assert sorted({t.data["doc_id"] for t in tasks}) == sorted(
        Store(db).tasks.of_project(studio.url, project.id)
    )
    assert all(len(t.predictions or []) == 1 for t in tasks)

    for task in tasks[:3]:
        prediction = task.predictions[0]
        prediction = prediction if isinstance(prediction, dict) else prediction.model_dump()
        client.annotations.create(id=task.id, result=prediction["result"], lead_time=3.0)
    pulls = _twice([*CLI, "pull", "--project", title], env)
    for pull in pulls:
        assert pull.returncode == 0, pull.stdout + pull.stderr
    outputs = " | ".join(p.stdout for p in pulls)
    assert "3 new" in outputs and "0 new, 0 updated, 3 unchanged" in outputs, outputs
    with Store(db) as store:
        annotations = store.annotations.pulled()
        assert (
            store.db.sqlite_utils["job_locks"].count == 0
            and store.db.sqlite_utils["holders"].count == 0
        )
    assert sorted(a.task_id for a in annotations) == sorted(t.id for t in tasks[:3])
