"""What makes two predictions the same job, and how a query asks whether a document has one.

Predictions, batches, claims and evaluations all key on the same four columns; the key
and the SQL that matches it live here once, so that no repository spells them again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class JobKey:
    """What makes two predictions the same job: re-running it is a no-op."""

    model_version: str
    prompt_version: str
    schema_version: str
    params_hash: str


#: The job's columns as a condition (parameters: `job_values`).
JOB_MATCH = "model_version = ? and prompt_version = ? and schema_version = ? and params_hash = ?"
#: Documents `d` with no prediction for a job (parameters: the job's four fields).
UNPREDICTED = (
    "not exists (select 1 from predictions p where p.document_id = d.id "
    "and p.model_version = ? and p.prompt_version = ? and p.schema_version = ? "
    "and p.params_hash = ?)"
)


def job_key_of(row: Any) -> JobKey:
    """The job columns of a `predictions` or `batches` row as a `JobKey`."""
    return JobKey(
        row["model_version"], row["prompt_version"], row["schema_version"], row["params_hash"]
    )


def job_values(job: JobKey) -> list[str]:
    """A `JobKey` as the values of its columns, in their order (for SQL parameters)."""
    return [job.model_version, job.prompt_version, job.schema_version, job.params_hash]
