"""SQLite's errors, said in terms of the store file and what to do about it.

``sqlite3`` names neither the file nor the fix ("file is not a database",
"database is locked"). `translated` is the one place where they become
`StoreError`s: `Store` opens its file inside it and, used as a context manager,
translates whatever SQLite raises in the block, so no call site has to.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from annotate.errors import StoreError

#: How long a write waits for another process's write lock before giving up.
BUSY_TIMEOUT_ENV = "ANNOTATE_BUSY_TIMEOUT_MS"
DEFAULT_BUSY_TIMEOUT_MS = 10_000


def busy_timeout_ms() -> int:
    """``ANNOTATE_BUSY_TIMEOUT_MS``, else 10 s: long enough for another command's commit."""
    value = os.environ.get(BUSY_TIMEOUT_ENV)
    if not value:
        return DEFAULT_BUSY_TIMEOUT_MS
    try:
        return max(int(value), 0)
    except ValueError:
        raise StoreError(
            f"{BUSY_TIMEOUT_ENV} must be a number of milliseconds, not {value!r}"
        ) from None


def store_error(path: Path, exc: sqlite3.Error) -> StoreError:
    """The `StoreError` for `exc` raised on `path`: what happened and what to do."""
    text = str(exc)
    lowered = text.lower()
    if "file is not a database" in lowered or "malformed" in lowered:
        return StoreError(
            f"{path} is not an annotate database (SQLite): {text}; "
            "give another file with --db or $ANNOTATE_DB"
        )
    if "locked" in lowered or "busy" in lowered:
        return StoreError(
            f"{path} is locked: another annotate command is writing to it; "
            f"wait for it to finish and run this again (or raise {BUSY_TIMEOUT_ENV})"
        )
    if "unable to open" in lowered:
        return StoreError(
            f"cannot open {path} ({text}): check that its folder exists and is writable"
        )
    if "readonly" in lowered:
        return StoreError(f"{path} is read-only ({text}): make it writable or copy it")
    return StoreError(f"{path}: SQLite failed ({type(exc).__name__}: {text})")


@contextmanager
def translated(path: Path) -> Iterator[None]:
    """Turn any `sqlite3.Error` raised in the block into a `StoreError` naming `path`."""
    try:
        yield
    except sqlite3.Error as exc:
        raise store_error(path, exc) from exc
