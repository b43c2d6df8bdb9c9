"""The LLM call cache: every paid call, by a key of everything that changes its answer.

A re-run finds its calls here and pays for none of them again; cost estimates learn
tokens per character from them. The pipeline commits a document's calls with its
prediction (`insert_calls`, in one transaction).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, fields
from operator import attrgetter

from .migrations import now
from .repository import Repository, column_names, marks


@dataclass(frozen=True)
class CallTotals:
    """Sums over the paid calls of one model and prompt: what a cost estimate learns from.

    `clean_*` cover the calls answered at the first request (no re-ask), whose
    prompt is exactly the prompt plus the chunk, so tokens can be fitted on
    characters; the `all_*` sums include re-asks, as a bill does.
    """

    clean_calls: int = 0
    sum_chars: float = 0.0
    sum_tokens: float = 0.0
    sum_chars_tokens: float = 0.0
    sum_chars_squared: float = 0.0
    all_calls: int = 0
    all_prompt_tokens: int = 0
    all_completion_tokens: int = 0


@dataclass(frozen=True)
class LLMCall:
    """One paid call, cached by `key`: a re-run never pays for it again."""

    key: str
    run_id: int
    document_id: str
    model: str
    prompt_version: str
    schema_version: str
    params_hash: str
    chunk_start: int
    chunk_end: int
    response: str
    prompt_tokens: int
    completion_tokens: int
    requests: int
    reasks: int
    cost_usd: float
    duration_ms: int
    created_at: str = ""


class Calls(Repository):
    """The `llm_calls` table: answers paid for once, read by key.

    Reached as ``store.calls``.
    """

    def totals(self, model: str, prompt_version: str) -> CallTotals:
        """Sums over the recorded calls of `model` with `prompt_version` (one query, no rows)."""
        row = self.db.execute(
            "select sum(reasks = 0), "
            "sum(case when reasks = 0 then chunk_end - chunk_start end), "
            "sum(case when reasks = 0 then prompt_tokens end), "
            "sum(case when reasks = 0 "
            "then 1.0 * (chunk_end - chunk_start) * prompt_tokens end), "
            "sum(case when reasks = 0 "
            "then 1.0 * (chunk_end - chunk_start) * (chunk_end - chunk_start) end), "
            "count(*), sum(prompt_tokens), sum(completion_tokens) "
            "from llm_calls where model = ? and prompt_version = ? and prompt_tokens > 0",
            [model, prompt_version],
        ).fetchone()
        return CallTotals(*(value or 0 for value in row))

    def cached(self, key: str) -> str | None:
        """The answer of the call cached under `key`, if it was paid for."""
        row = self.db.execute("select response from llm_calls where key = ?", [key]).fetchone()
        return None if row is None else str(row[0])

    def record(self, calls: Sequence[LLMCall]) -> None:
        """Store successful calls at once: a crash after this never pays for them twice."""
        with self.db.conn:
            insert_calls(self.db.conn, calls, now())


def insert_calls(conn: sqlite3.Connection, calls: Sequence[LLMCall], stamp: str) -> None:
    """Cache `calls` (inside the caller's transaction).

    Each row is read off the call's fields as they are (`_CALL_VALUES`), not through
    `dataclasses.astuple`, which deep-copies every field, the answer's text too: 21 µs
    a call against 0.4, on the pipeline's path for every document.
    """
    conn.executemany(
        f"insert or replace into llm_calls ({_CALL_COLUMNS}) "
        f"values ({marks(len(fields(LLMCall)))})",
        [(*_CALL_VALUES(call), stamp) for call in calls],
    )


_CALL_COLUMNS = column_names(LLMCall)
#: A call's values in `_CALL_COLUMNS`' order, but for ``created_at`` (the insert's stamp).
_CALL_VALUES = attrgetter(*(f.name for f in fields(LLMCall) if f.name != "created_at"))
