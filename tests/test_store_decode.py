"""The store's one row decoder: each field read back by the type its dataclass declares."""

import sqlite3
from dataclasses import dataclass, field
from typing import Any

from annotate.store.repository import decode, rows_of


@dataclass(frozen=True)
class Row:  # evaluated annotations here; the store's modules keep them as strings
    name: str
    flag: bool
    tags: list[str]
    extra: dict[str, Any]
    count: int = 0
    seen: list[int] = field(default_factory=list)
    note: str | None = None


def _row(sql: str) -> sqlite3.Row:
    with sqlite3.connect(":memory:") as conn:
        return rows_of(conn, sql)[0]


def test_bools_json_and_nulls_come_back_as_declared() -> None:
    row = _row(
        "select 'a' as name, 1 as flag, '[\"x\"]' as tags, '{\"k\": 2}' as extra, "
        "null as count, null as seen, null as note, 'not a field' as other"
    )
    assert decode(Row, row) == Row("a", True, ["x"], {"k": 2}, 0, [], None)


def test_a_null_json_column_without_a_default_reads_empty() -> None:
    row = _row("select 'a' as name, 0 as flag, null as tags, null as extra")
    assert decode(Row, row) == Row("a", False, [], {})


def test_given_values_win_over_columns() -> None:
    row = _row("select 'a' as name, 0 as flag, '[]' as tags, '{}' as extra, 5 as count")
    assert decode(Row, row, name="b", seen=[1]) == Row("b", False, [], {}, 5, [1])
