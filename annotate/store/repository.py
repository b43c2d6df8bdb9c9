"""What every repository of the store shares: the store's connection, and rows read back as types.

Each stage's tables are reached through a repository of their own (`store.predictions`,
`store.gold`, `store.comparisons`, ...): a small class holding the store's connection, so
that a stage finds its queries in one module and the `Store` itself keeps only what all of
them share (the file, its migrations, leases and locks). This module gives the repositories
one way to run a query, to page through a table, and to turn a row into its dataclass
(`decode`), instead of a hand-written decoder per row type.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import MISSING, Field, fields
from pathlib import Path
from typing import Any, TypeVar

from .connection import StoreConnection

Row = TypeVar("Row")
Params = Sequence[Any] | dict[str, Any]


class Repository:
    """The store's connection and file, held by each repository; `Store` makes one of each."""

    def __init__(self, db: StoreConnection, path: Path) -> None:
        self.db = db
        self.path = path

    def _rows(self, sql: str, params: Params = ()) -> list[sqlite3.Row]:
        return rows_of(self.db.conn, sql, params)

    def _paged(self, sql: str, params: Sequence[Any], batch: int) -> Iterator[sqlite3.Row]:
        """Rows of `sql` (its first column the rowid, its first parameter the last one seen).

        Read a page at a time, so memory stays flat however large the table.
        """
        after = 0
        while True:
            page = self._rows(sql + f" order by 1 limit {int(batch)}", [after, *params])
            if not page:
                return
            after = page[-1][0]
            yield from page


def projects_in(db: StoreConnection, table: str, server: str) -> list[int]:
    """The Label Studio projects on `server` that `table` holds tasks of, by id."""
    rows = db.execute(
        f"select distinct project_id from {table} where server = ? order by project_id", [server]
    ).fetchall()
    return [int(row[0]) for row in rows]


def document_tasks(db: StoreConnection, table: str, server: str, project_id: int) -> dict[str, int]:
    """document id -> Label Studio task id, of one project on one server, as `table` holds
    them (the documents' tasks, the reviews')."""
    rows = db.execute(
        f"select document_id, task_id from {table} where server = ? and project_id = ?",
        [server, project_id],
    ).fetchall()
    return {str(doc): int(task) for doc, task in rows}


def rows_of(conn: sqlite3.Connection, sql: str, params: Params = ()) -> list[sqlite3.Row]:
    """The rows of one query, read by column name."""
    return streamed(conn, sql, params).fetchall()


def streamed(conn: sqlite3.Connection, sql: str, params: Params = ()) -> sqlite3.Cursor:
    """The rows of one query, read by column name as the caller iterates (memory stays flat)."""
    cursor = conn.execute(sql, params)
    cursor.row_factory = sqlite3.Row
    return cursor


def decode(row_type: type[Row], row: Any, **given: Any) -> Row:
    """A row (anything read by column name) as `row_type`, one field from each column of its name.

    The columns are stored as SQLite keeps them, so each field is read back by its
    declared type: a ``bool`` from 0/1, a ``dict`` or ``list`` from its JSON, and a
    missing value (NULL) as the field's default where it has one. `given` values win
    (fields made of several columns, or renamed ones).
    """
    columns = set(row.keys())  # a `sqlite3.Row`'s `in` looks at its values, not its names
    values = {
        f.name: given[f.name] if f.name in given else _read(f, row[f.name])
        for f in fields(row_type)  # type: ignore[arg-type]
        if f.name in given or f.name in columns
    }
    return row_type(**values)


def _read(f: Field[Any], value: Any) -> Any:
    # the declared type as written (string annotations) or as its name (evaluated ones)
    kind = f.type if isinstance(f.type, str) else getattr(f.type, "__name__", str(f.type))
    if value is None:
        if f.default is not MISSING:
            return f.default
        if f.default_factory is not MISSING:
            return f.default_factory()
        return {} if kind.startswith("dict") else [] if kind.startswith("list") else None
    if kind == "bool":
        return bool(value)
    if kind.startswith(("dict", "list")):
        return json.loads(value)
    return value


def column_names(row_type: Any) -> str:
    """The columns of a table that stores `row_type`'s fields under their names, in order."""
    return ", ".join(f.name for f in fields(row_type))


def marks(count: int) -> str:
    """SQL parameter marks for `count` values."""
    return ", ".join("?" for _ in range(count))
