"""The store's side of `annotate eval` (migration m013): gold to score against, and the scores.

A mixin of `Store`: the kept gold's annotations, one job's predictions and paid
calls on the documents that have gold, and the evaluations recorded.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import astuple, dataclass, field, fields
from typing import Any

from sqlite_utils import Database

from .batches import IN_OPEN_BATCH
from .migrations import now
from .rows import Document, JobKey

#: Kept gold that has a valid annotation (`gold.annotation` is NULL when the vote made none).
_GOLD = "select document_id from gold where annotation is not null"
_JOB = "model_version = ? and prompt_version = ? and schema_version = ? and params_hash = ?"


@dataclass
class CallCost:
    """What one document's paid calls of a job cost (summed over its chunks and re-asks)."""

    cost_usd: float = 0.0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    requests: int = 0
    seconds: float = 0.0


@dataclass
class StoredEvaluation:
    """One `annotate eval`: a job's predictions scored against the kept gold."""

    run_id: int | None
    provider: str
    model: str
    model_version: str
    prompt_version: str
    prompt_name: str
    schema_version: str
    params_hash: str
    #: documents with valid kept gold; of them, those with a prediction of the job (scored)
    gold_documents: int
    scored: int
    failed: int
    #: micro-averaged over every field (span controls, choices, relations); None: nothing to count
    precision: float | None
    recall: float | None
    f1: float | None
    #: {FIELD: {precision, recall, f1}} as model-vs-gold reports them
    fields: dict[str, Any] = field(default_factory=dict)
    #: {FIELD: [true positives, false positives, false negatives]}
    counts: dict[str, Any] = field(default_factory=dict)
    cost_usd: float = 0.0
    #: whether the cost is known (a model with no price is counted at 0)
    priced: bool = True
    prompt_tokens: int = 0
    completion_tokens: int = 0
    requests: int = 0
    call_seconds: float = 0.0
    id: int | None = None
    created_at: str = ""


_COLUMNS = [f.name for f in fields(StoredEvaluation) if f.name not in ("id", "created_at")]


class EvaluationTables:
    """Typed access to the evaluation tables; `Store` provides `db` and `_rows`."""

    db: Database

    def _rows(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[sqlite3.Row]:
        raise NotImplementedError  # provided by Store

    def kept_gold_annotations(self) -> Iterator[tuple[str, str]]:
        """(document id, gold `Annotation` JSON) of every document with valid kept gold, by id."""
        rows = self.db.conn.execute(
            "select document_id, annotation from gold where annotation is not null "
            "order by document_id"
        )
        yield from ((str(doc), str(annotation)) for doc, annotation in rows)

    def gold_documents_unpredicted(self, job: JobKey) -> list[Document]:
        """The documents with valid kept gold and no prediction for `job` yet, in ingest order.

        Those waiting in an open batch of `job` are left to it: they are paid for already
        (`gold_documents_in_open_batches` counts them).
        """
        rows = self._rows(
            "select d.id, d.text, d.source, d.metadata from documents d "
            f"where d.id in ({_GOLD}) and not exists (select 1 from predictions p "
            f"where p.document_id = d.id and {_JOB}) and not {IN_OPEN_BATCH} order by d.rowid",
            [*astuple(job), *astuple(job)],
        )
        return [Document(r["id"], r["text"], r["source"], json.loads(r["metadata"])) for r in rows]

    def gold_documents_in_open_batches(self, job: JobKey) -> int:
        """Documents with gold and no prediction for `job` that wait in an open batch of it."""
        row = self.db.execute(
            f"select count(*) from documents d where d.id in ({_GOLD}) and not exists "
            f"(select 1 from predictions p where p.document_id = d.id and {_JOB}) "
            f"and {IN_OPEN_BATCH}",
            [*astuple(job), *astuple(job)],
        ).fetchone()
        return int(row[0])

    def gold_job_predictions(self, job: JobKey) -> dict[str, str]:
        """Document id -> the latest prediction of `job` (its JSON), for documents with gold."""
        rows = self.db.conn.execute(
            f"select document_id, annotation from predictions where {_JOB} "
            f"and document_id in ({_GOLD}) order by id",
            astuple(job),
        )
        return {str(doc): str(annotation) for doc, annotation in rows}

    def gold_job_calls(self, model: str, job: JobKey) -> dict[str, CallCost]:
        """Document id -> what the cached calls of `job` on it cost, for documents with gold."""
        rows = self.db.conn.execute(
            "select document_id, sum(cost_usd), sum(prompt_tokens), sum(completion_tokens), "
            "sum(requests), sum(duration_ms) from llm_calls where model = ? "
            "and prompt_version = ? and schema_version = ? and params_hash = ? "
            f"and document_id in ({_GOLD}) group by document_id",
            [model, job.prompt_version, job.schema_version, job.params_hash],
        )
        return {
            str(doc): CallCost(cost or 0.0, pt or 0, ct or 0, req or 0, (ms or 0) / 1000)
            for doc, cost, pt, ct, req, ms in rows
        }

    def save_evaluation(self, evaluation: StoredEvaluation) -> int:
        values = [getattr(evaluation, name) for name in _COLUMNS]
        for name in ("fields", "counts"):
            values[_COLUMNS.index(name)] = json.dumps(getattr(evaluation, name), sort_keys=True)
        with self.db.conn:
            cursor = self.db.conn.execute(
                f"insert into evaluations ({', '.join(_COLUMNS)}, created_at) "
                f"values ({', '.join('?' for _ in _COLUMNS)}, ?)",
                [*values, now()],
            )
        if cursor.lastrowid is None:
            raise RuntimeError("SQLite returned no id for the new evaluation")
        return int(cursor.lastrowid)

    def evaluations(self) -> list[StoredEvaluation]:
        """Every recorded evaluation, oldest first."""
        found = []
        for row in self._rows("select * from evaluations order by id"):
            values = {name: row[name] for name in _COLUMNS}
            values["fields"] = json.loads(values["fields"] or "{}")
            values["counts"] = json.loads(values["counts"] or "{}")
            values["priced"] = bool(values["priced"])
            found.append(StoredEvaluation(**values, id=row["id"], created_at=row["created_at"]))
        return found
