"""The store's tables for processes sharing one store (migration m012).

Two maintainers may start the same command on one store at once. Paid work
must then be done once, so what a process is doing is recorded where the other
process looks before starting anything:

* `holders`: each process holding claims or locks, with its pid, host and a
  lease that a heartbeat thread (`Heartbeat`) renews every few seconds;
* `document_claims`: the documents a pre-annotation run took for a job, taken
  atomically (``BEGIN IMMEDIATE``: insert unless the document has its
  prediction or a live claim) before its model is called;
* `job_locks`: jobs one process at a time runs on one target (a push or a
  pull per Label Studio project), so a second one waits, then finds the work
  done.

A holder is live while its lease runs and, on this host, its pid is alive. A
process that dies leaves its rows behind: a SIGKILLed one on this host is seen
dead at once (its pid is gone), one on another host when its lease expires.
Either way the next process takes its claims and locks over. A process that
ends normally drops its holder with everything it held (`drop_holder`).
"""

from __future__ import annotations

import os
import socket
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from annotate.errors import StoreError

from .connection import StoreConnection
from .jobs import JOB_MATCH, JobKey, job_values
from .migrations import now
from .repository import decode, rows_of
from .sqlite_errors import busy_timeout_ms

#: How long a holder stays live without a heartbeat (seconds).
LEASE_SECONDS = 30.0
#: How often the heartbeat renews the lease: several beats fit in one lease.
HEARTBEAT_SECONDS = 5.0
#: How long `job_lock` waits for another process's lock by default, and the setting for it.
LOCK_WAIT_ENV = "ANNOTATE_LOCK_WAIT_S"
DEFAULT_LOCK_WAIT_SECONDS = 600.0
#: How often a waiting process looks at the lock again.
LOCK_POLL_SECONDS = 0.5

_CLAIM_KEY = f"document_id = ? and {JOB_MATCH}"
_PREDICTED = f"select 1 from predictions where {_CLAIM_KEY}"


@dataclass(frozen=True)
class Holder:
    """A process holding document claims or a job lock."""

    id: int
    pid: int
    host: str
    #: What it is doing, for the messages of whoever waits for it.
    what: str
    #: Until when (Unix time) it counts as live without a heartbeat.
    lease_until: float


#: Told who holds the lock while a process waits for it.
OnWait = Callable[[Holder, float], None]


def host_name() -> str:
    return socket.gethostname()


def pid_alive(pid: int) -> bool:
    """Is process `pid` running on this host? A zombie (killed, not reaped yet) is not."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: alive
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True  # no /proc (macOS): kill(0) is all there is
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


def is_live(holder: Holder, at: float | None = None) -> bool:
    """A holder is live while its lease runs and, on this host, its process runs."""
    if holder.lease_until < (time.time() if at is None else at):
        return False
    return holder.host != host_name() or pid_alive(holder.pid)


def lock_wait_seconds() -> float:
    """``ANNOTATE_LOCK_WAIT_S``, else 600 s: long enough for a large push to finish."""
    value = os.environ.get(LOCK_WAIT_ENV)
    if not value:
        return DEFAULT_LOCK_WAIT_SECONDS
    try:
        return max(float(value), 0.0)
    except ValueError:
        raise StoreError(f"{LOCK_WAIT_ENV} must be a number of seconds, not {value!r}") from None


class LeaseTables:
    """Holders, claims and locks, kept by `Store` itself (`Store` provides `db` and `path`).

    Every stage that pays for work or talks to Label Studio takes them, so they belong to
    the store rather than to one stage's repository.
    """

    db: StoreConnection
    path: Path

    # -- holders -------------------------------------------------------------

    def register_holder(self, what: str) -> int:
        """Record this process as a holder (doing `what`, for messages); its id."""
        with self.db.conn:
            cursor = self.db.conn.execute(
                "insert into holders (pid, host, what, started_at, lease_until) "
                "values (?, ?, ?, ?, ?)",
                [os.getpid(), host_name(), what, now(), time.time() + LEASE_SECONDS],
            )
        return int(cursor.lastrowid or 0)

    def holder(self, holder_id: int) -> Holder | None:
        return holder_of(self.db.conn, holder_id)

    def drop_holder(self, holder_id: int) -> None:
        """Release everything `holder_id` holds: its claims go back, its locks are free."""
        with self.db.conn:
            _drop(self.db.conn, holder_id)

    @contextmanager
    def holding(self, what: str) -> Iterator[int]:
        """Be a holder for the block, the lease renewed by a heartbeat; dropped at the end.

        The end of the block (an error, Ctrl-C) releases what was held; only a
        process that dies without unwinding (SIGKILL, power loss) leaves its rows
        for the next process to take over.
        """
        holder_id = self.register_holder(what)
        beat = Heartbeat(self.path, holder_id)
        try:
            yield holder_id
        finally:
            beat.stop()
            self.drop_holder(holder_id)

    # -- document claims ---------------------------------------------------------

    def claim_document(self, job: JobKey, document_id: str, holder_id: int) -> bool:
        """Take `document_id` for `job` unless it has its prediction or a live claim.

        One ``BEGIN IMMEDIATE`` transaction, so of two processes asking at once
        exactly one gets it. A claim whose holder is no longer live is taken over.
        """
        return bool(self.claim_documents(job, [document_id], holder_id))

    def claim_documents(self, job: JobKey, document_ids: Sequence[str], holder_id: int) -> set[str]:
        """`claim_document` for a block of documents in one transaction: those it took.

        A run takes its documents a block at a time: one commit per block instead of
        one per document, each document decided as `claim_document` decides it.
        """
        taken: set[str] = set()
        with self.db.conn:
            self.db.conn.execute("BEGIN IMMEDIATE")
            for document_id in document_ids:
                if _claim(self.db.conn, [document_id, *job_values(job)], holder_id):
                    taken.add(document_id)
        return taken

    def release_document(
        self, job: JobKey, document_id: str, holder_id: int, *, failed: bool = False
    ) -> None:
        """The document's outcome is recorded: give its claim back.

        A failed document's claim stays (marked failed) until its holder is
        dropped: a concurrent run would otherwise pay for it again in the same
        round. The next run retries it as before.
        """
        key = [document_id, *job_values(job), holder_id]
        with self.db.conn:
            if failed:
                self.db.conn.execute(
                    f"update document_claims set state = 'failed' where {_CLAIM_KEY} "
                    "and holder = ?",
                    key,
                )
            else:
                drop_claim(self.db.conn, job, document_id, holder_id)

    def claimed_documents(self, holder_id: int | None = None) -> list[str]:
        """Ids of the claimed documents (of one holder, or of any)."""
        if holder_id is None:
            rows = rows_of(
                self.db.conn, "select document_id from document_claims order by document_id"
            )
        else:
            rows = rows_of(
                self.db.conn,
                "select document_id from document_claims where holder = ? order by document_id",
                [holder_id],
            )
        return [str(row[0]) for row in rows]

    # -- job locks -----------------------------------------------------------------

    def try_lock(self, name: str, holder_id: int) -> Holder | None:
        """Take lock `name` for `holder_id`: None when taken, else the live holder that has it."""
        with self.db.conn:
            self.db.conn.execute("BEGIN IMMEDIATE")
            rows = rows_of(
                self.db.conn,
                "select h.* from job_locks l left join holders h on h.id = l.holder "
                "where l.name = ?",
                [name],
            )
            if rows and rows[0]["id"] is not None:
                owner = decode(Holder, rows[0])
                if owner.id != holder_id and is_live(owner):
                    return owner
                if owner.id != holder_id:
                    _drop(self.db.conn, owner.id)
            self.db.conn.execute(
                "insert or replace into job_locks values (?, ?, ?)", [name, holder_id, now()]
            )
        return None

    def unlock(self, name: str, holder_id: int) -> None:
        with self.db.conn:
            self.db.conn.execute(
                "delete from job_locks where name = ? and holder = ?", [name, holder_id]
            )

    @contextmanager
    def job_lock(
        self,
        name: str,
        what: str,
        *,
        wait: float | None = None,
        on_wait: OnWait | None = None,
    ) -> Iterator[None]:
        """Run the block holding lock `name`, waiting up to `wait` s for another holder.

        `on_wait` is told who holds it and how long this process has waited, once
        at first and then every few seconds. A holder still live after `wait`
        (default ``ANNOTATE_LOCK_WAIT_S``, 600 s) is a `StoreError` saying who.
        """
        wait = lock_wait_seconds() if wait is None else wait
        with self.holding(what) as holder_id:
            started = time.monotonic()
            told = -HEARTBEAT_SECONDS
            while (owner := self.try_lock(name, holder_id)) is not None:
                waited = time.monotonic() - started
                if waited >= wait:
                    raise StoreError(
                        f"{self.path}: {owner.what} (pid {owner.pid} on {owner.host}) still "
                        f"holds {name} after {waited:.0f} s of waiting: run this again when it "
                        f"is done (or raise {LOCK_WAIT_ENV})"
                    )
                if on_wait is not None and waited - told >= HEARTBEAT_SECONDS:
                    on_wait(owner, waited)
                    told = waited
                time.sleep(LOCK_POLL_SECONDS)
            try:
                yield
            finally:
                self.unlock(name, holder_id)


class Heartbeat:
    """Renews a holder's lease from a thread of its own, with a connection of its own.

    A thread, not an asyncio task, so that a busy event loop (or a blocking
    push) cannot starve it. A beat that meets a locked store is skipped: the
    lease is several beats long.
    """

    def __init__(self, path: Path, holder_id: int, every: float = HEARTBEAT_SECONDS) -> None:
        self.path = path
        self.holder_id = holder_id
        self.every = every
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        if str(path) != ":memory:":  # no other process can open an in-memory store
            self._thread = threading.Thread(target=self._beat, name="annotate-lease", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join()

    def _beat(self) -> None:
        conn = sqlite3.connect(self.path, timeout=busy_timeout_ms() / 1000)
        try:
            while not self._stopping.wait(self.every):
                try:
                    with conn:
                        conn.execute(
                            "update holders set lease_until = ? where id = ?",
                            [time.time() + LEASE_SECONDS, self.holder_id],
                        )
                except sqlite3.Error:
                    continue
        finally:
            conn.close()


def drop_claim(conn: sqlite3.Connection, job: JobKey, document_id: str, holder_id: int) -> None:
    """Give `holder_id`'s claim on `document_id` for `job` back (inside the caller's transaction).

    The pipeline drops it in the transaction that commits the document's
    prediction: no commit of its own.
    """
    conn.execute(
        f"delete from document_claims where {_CLAIM_KEY} and holder = ?",
        [document_id, *job_values(job), holder_id],
    )


def _claim(conn: sqlite3.Connection, key: list[str], holder_id: int) -> bool:
    """Claim the document of `key` (its id, then the job's values) inside the caller's
    ``BEGIN IMMEDIATE``, unless it has its prediction or a live claim."""
    if conn.execute(_PREDICTED, key).fetchone():
        return False
    rows = rows_of(
        conn,
        f"select h.* from document_claims c left join holders h on h.id = c.holder "
        f"where {_CLAIM_KEY}",
        key,
    )
    if rows and rows[0]["id"] is not None:
        owner = decode(Holder, rows[0])
        if owner.id == holder_id or is_live(owner):
            return False
        _drop(conn, owner.id)  # dead: everything it held is free
    conn.execute(
        "insert or replace into document_claims (document_id, model_version, "
        "prompt_version, schema_version, params_hash, holder, state, claimed_at) "
        "values (?, ?, ?, ?, ?, ?, 'working', ?)",
        [*key, holder_id, now()],
    )
    return True


def _drop(conn: sqlite3.Connection, holder_id: int) -> None:
    """Delete a holder with its claims and locks (inside the caller's transaction)."""
    conn.execute("delete from document_claims where holder = ?", [holder_id])
    conn.execute("delete from job_locks where holder = ?", [holder_id])
    conn.execute("delete from holders where id = ?", [holder_id])


def holder_of(conn: sqlite3.Connection, holder_id: int) -> Holder | None:
    """Holder `holder_id`, if it has not been dropped."""
    rows = rows_of(conn, "select * from holders where id = ?", [holder_id])
    return decode(Holder, rows[0]) if rows else None
