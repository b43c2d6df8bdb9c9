"""What every answer pulled from Label Studio carries, whatever kind of task it answers.

An annotation of a document and a verdict on a claim pair are two kinds of task (issue
19): Label Studio says the same of both (who, when, how long, skip or not, its result
list), and the kind adds what the task is about (a document, a pair) and the payload
its codec made of the result (an `Annotation`, a `Verdict`). `PulledRow` holds the
shared part once; each kind's row (`PulledAnnotation`, `PulledVerdict`) adds its two
fields, and its repository keeps it in its own table by the same upsert.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from .connection import StoreConnection
from .migrations import now
from .repository import marks


@dataclass(frozen=True, kw_only=True)
class PulledRow:
    """One answer as `annotate pull` read it from Label Studio, of any kind of task."""

    server: str
    project_id: int
    annotation_id: int
    task_id: int
    annotator: str
    annotator_id: int | None
    created_at: str
    updated_at: str
    lead_time: float | None
    was_cancelled: bool
    ground_truth: bool
    #: Label Studio's result list, as JSON.
    result: str
    #: Why the result did not convert to the kind's payload (None when it did, or a skip).
    error: str | None
    pulled_at: str = ""


def _pulled_before(db: StoreConnection, table: str, pulled: PulledRow) -> tuple[str, str] | None:
    """When and what an answer was last pulled as, if it was: same means unchanged."""
    row = db.execute(
        f"select updated_at, result from {table} "
        "where server = ? and project_id = ? and annotation_id = ?",
        [pulled.server, pulled.project_id, pulled.annotation_id],
    ).fetchone()
    return None if row is None else (row[0], row[1])


def _upsert_state(before: tuple[str, str] | None, pulled: PulledRow) -> str:
    """'new', 'updated' (edited since it was last pulled) or 'unchanged'."""
    if before is None:
        return "new"
    return "unchanged" if before == (pulled.updated_at, pulled.result) else "updated"


def upsert_pulled(
    db: StoreConnection, table: str, pulled: PulledRow, columns: dict[str, Any]
) -> str:
    """Keep one answer in `table`: 'new', 'updated' (edited since) or 'unchanged'.

    `columns` are the kind's own (its subject and payload, as the table spells them);
    the shared fields and the pull time are written under their names.
    """
    state = _upsert_state(_pulled_before(db, table, pulled), pulled)
    if state == "unchanged":
        return state
    shared = {f.name: getattr(pulled, f.name) for f in fields(PulledRow)}
    values = {**shared, **columns, "pulled_at": now()}
    with db.conn:
        db.conn.execute(
            f"insert or replace into {table} ({', '.join(values)}) values ({marks(len(values))})",
            list(values.values()),
        )
    return state
