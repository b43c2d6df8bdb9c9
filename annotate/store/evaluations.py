"""What `annotate eval` scores and records (migration m013): a job against the kept gold.

The documents with valid gold, one job's predictions and paid calls on them, and the
evaluations recorded.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from typing import Any

from .batches import IN_OPEN_BATCH
from .documents import DOCUMENT_D, Document, document_of
from .gold import WITH_GOLD
from .jobs import JOB_MATCH, UNPREDICTED, JobKey, job_values
from .migrations import now
from .repository import Repository, decode, marks


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


class Evaluations(Repository):
    """The `evaluations` table, and what a job did on the documents with gold.

    Reached as ``store.evaluations``.
    """

    def unpredicted(self, job: JobKey) -> list[Document]:
        """The documents with valid kept gold and no prediction for `job` yet, in ingest order.

        Those waiting in an open batch of `job` are left to it: they are paid for already
        (`in_open_batches` counts them).
        """
        rows = self._rows(
            f"select {DOCUMENT_D} from documents d where d.id in ({WITH_GOLD}) "
            f"and {UNPREDICTED} and not {IN_OPEN_BATCH} order by d.rowid",
            [*job_values(job), *job_values(job)],
        )
        return [document_of(row) for row in rows]

    def in_open_batches(self, job: JobKey) -> int:
        """Documents with gold and no prediction for `job` that wait in an open batch of it."""
        row = self.db.execute(
            f"select count(*) from documents d where d.id in ({WITH_GOLD}) and {UNPREDICTED} "
            f"and {IN_OPEN_BATCH}",
            [*job_values(job), *job_values(job)],
        ).fetchone()
        return int(row[0])

    def predictions(self, job: JobKey) -> dict[str, str]:
        """Document id -> the latest prediction of `job` (its JSON), for documents with gold."""
        rows = self.db.conn.execute(
            f"select document_id, annotation from predictions where {JOB_MATCH} "
            f"and document_id in ({WITH_GOLD}) order by id",
            job_values(job),
        )
        return {str(doc): str(annotation) for doc, annotation in rows}

    def calls(self, model: str, job: JobKey) -> dict[str, CallCost]:
        """Document id -> what the cached calls of `job` on it cost, for documents with gold."""
        rows = self.db.conn.execute(
            "select document_id, sum(cost_usd), sum(prompt_tokens), sum(completion_tokens), "
            "sum(requests), sum(duration_ms) from llm_calls where model = ? "
            "and prompt_version = ? and schema_version = ? and params_hash = ? "
            f"and document_id in ({WITH_GOLD}) group by document_id",
            [model, job.prompt_version, job.schema_version, job.params_hash],
        )
        return {
            str(doc): CallCost(cost or 0.0, pt or 0, ct or 0, req or 0, (ms or 0) / 1000)
            for doc, cost, pt, ct, req, ms in rows
        }

    def save(self, evaluation: StoredEvaluation) -> int:
        values = [getattr(evaluation, name) for name in _COLUMNS]
        for name in ("fields", "counts"):
            values[_COLUMNS.index(name)] = json.dumps(getattr(evaluation, name), sort_keys=True)
        with self.db.conn:
            cursor = self.db.conn.execute(
                f"insert into evaluations ({', '.join(_COLUMNS)}, created_at) "
                f"values ({marks(len(_COLUMNS))}, ?)",
                [*values, now()],
            )
        if cursor.lastrowid is None:
            raise RuntimeError("SQLite returned no id for the new evaluation")
        return int(cursor.lastrowid)

    def all(self) -> list[StoredEvaluation]:
        """Every recorded evaluation, oldest first."""
        return [
            decode(StoredEvaluation, row)
            for row in self._rows("select * from evaluations order by id")
        ]
