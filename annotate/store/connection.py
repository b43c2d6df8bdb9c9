"""The store's SQLite connection: what the repositories use of it, and sqlite-utils on demand.

The repositories write their own SQL: they need the connection, `execute` and `close`,
nothing more. sqlite-utils makes the tables of the early migrations (and gives the
tests its conveniences); importing it, with the click, dateutil, pluggy and tabulate it
imports for its own CLI and recipes, took 35 ms of every command's start. It is now
imported when a migration must run or `StoreConnection.sqlite_utils` is asked for: a
store whose migrations are all applied never loads it (issue 22).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlite_utils import Database


class StoreConnection:
    """One connection to the store's file, opened as sqlite-utils' `Database` opened it."""

    def __init__(self, path: Path) -> None:
        self.conn = sqlite3.connect(str(path))
        self.conn.execute("PRAGMA recursive_triggers=on")  # sqlite-utils' default, kept

    def execute(
        self, sql: str, parameters: Sequence[Any] | Mapping[str, Any] | None = None
    ) -> sqlite3.Cursor:
        """Run one statement on the connection (in its transaction, if one is open)."""
        return self.conn.execute(sql) if parameters is None else self.conn.execute(sql, parameters)

    def close(self) -> None:
        self.conn.close()

    @cached_property
    def sqlite_utils(self) -> Database:
        """sqlite-utils' `Database` on this same connection (sqlite-utils is imported now)."""
        from ._sqlite_utils import import_without_pandas

        import_without_pandas()
        from sqlite_utils import Database

        # No plugins: the store uses none, and looking for them scans the entry points
        # of every installed distribution (~10 ms).
        return Database(self.conn, execute_plugins=False)
