"""The SQLite store: one file, its migrations, and the repositories each stage reads and writes.

One file (``annotate.db`` by default) holds everything a job has paid for. It
runs in WAL mode and every finished document is committed once grounded (with
those that finished at the same moment, in one transaction), so a
killed job loses at most the calls in flight, and a re-run finds its work done.
API keys are never written here: runs record parameters that change the
output (model, temperature, ...), not credentials or endpoints.

`Store` opens the file, brings its schema forward and keeps the leases and locks
that processes sharing it take; each stage's tables are reached through a
repository of their own (``store.documents``, ``store.predictions``, ``store.gold``,
``store.comparisons``, ...), so that a stage finds its queries in one module.
"""

from __future__ import annotations

import os
import sqlite3
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from annotate.errors import StoreError

from .annotations import Annotations
from .batches import Batches
from .calls import Calls
from .connection import StoreConnection
from .documents import Documents
from .evaluations import Evaluations
from .gold import Gold
from .leases import LeaseTables
from .migrations import migrate
from .predictions import Predictions
from .runs import Runs
from .sqlite_errors import busy_timeout_ms, store_error, translated
from .tasks import StudioTasks

if TYPE_CHECKING:
    from .comparisons import Comparisons
    from .reviews import PairReviews, Reviews
    from .verification import Verification

DEFAULT_DB = "annotate.db"
DB_ENV = "ANNOTATE_DB"


def resolve_db_path(path: str | Path | None = None) -> Path:
    """``--db PATH`` wins, then ``ANNOTATE_DB``, then ``annotate.db`` here."""
    return Path(path or os.environ.get(DB_ENV) or DEFAULT_DB)


class Store(LeaseTables):
    """The project database: its connection, leases and locks, and a repository per stage.

    The repositories are the only code that writes SQL (with `migrations` and `leases`).
    """

    def __init__(self, path: str | Path | None = None, *, create: bool = True) -> None:
        """Open (or, with `create`, create) the store; a `StoreError` says why a file cannot
        be used. Commands that only read open with ``create=False``: a mistyped ``--db``
        must not leave an empty store behind and report nothing to do."""
        self.path = resolve_db_path(path)
        _check_place(self.path, create)
        with translated(self.path):
            _create_private(self.path)
            self.db = StoreConnection(self.path)
            try:
                self.db.execute("PRAGMA journal_mode=WAL")
                self.db.execute("PRAGMA synchronous=NORMAL")
                self.db.execute("PRAGMA foreign_keys=ON")
                self.db.execute(f"PRAGMA busy_timeout={busy_timeout_ms()}")
                migrate(self.db)
            except BaseException:
                self.db.close()
                raise
        db, path = self.db, self.path
        self.documents = Documents(db, path)
        self.runs = Runs(db, path)
        self.calls = Calls(db, path)
        self.predictions = Predictions(db, path)
        self.tasks = StudioTasks(db, path)
        self.annotations = Annotations(db, path)
        self.gold = Gold(db, path)
        self.evaluations = Evaluations(db, path)
        self.batches = Batches(db, path)

    # The comparison stage's repositories load its verdict schema (annotate.schemas.compare):
    # built on first use, so that commands that never compare do not import them (issue 22).

    @cached_property
    def comparisons(self) -> Comparisons:
        from .comparisons import Comparisons

        return Comparisons(self.db, self.path)

    @cached_property
    def verification(self) -> Verification:
        from .verification import Verification

        return Verification(self.db, self.path)

    @cached_property
    def reviews(self) -> Reviews:
        from .reviews import Reviews

        return Reviews(self.db, self.path)

    @cached_property
    def pair_reviews(self) -> PairReviews:
        from .reviews import PairReviews

        return PairReviews(self.db, self.path)

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, kind: object, exc: BaseException | None, tb: object) -> None:
        """Close; an SQLite error from the block leaves as a `StoreError` naming the file."""
        self.close()
        if isinstance(exc, sqlite3.Error):
            raise store_error(self.path, exc) from exc


def _check_place(path: Path, create: bool) -> None:
    """A missing store is an error for a command that only reads; a store in a folder that
    does not exist cannot be created (both said in one line, before SQLite is asked)."""
    if str(path) == ":memory:" or path.exists():
        return
    if not create:
        raise StoreError(f"no store at {path}: run `annotate ingest` first (or give --db)")
    if not path.parent.is_dir():
        raise StoreError(
            f"cannot create the store {path}: the folder {path.parent} does not exist; "
            "create it or give another --db"
        )


def _create_private(path: Path) -> None:
    """A new store file is its owner's alone (0600): it holds paid answers and annotators'
    work. SQLite gives its -wal and -shm files the database file's permissions."""
    if str(path) != ":memory:" and not path.exists():
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
