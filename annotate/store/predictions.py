"""The models' predictions: each document's grounded annotation per job.

Written by `annotate preannotate` (online or by batch), one committed transaction per
finished document with the calls that made it; read by push, gold, eval and compare.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from typing import Any

from .calls import LLMCall, insert_calls
from .documents import DOCUMENT_D, Document, document_of
from .jobs import UNPREDICTED, JobKey, job_key_of, job_values
from .leases import drop_claim
from .migrations import now
from .repository import Repository, decode


@dataclass(frozen=True)
class Prediction:
    document_id: str
    run_id: int
    provider: str
    model: str
    job: JobKey
    #: The grounded `Annotation` as JSON.
    annotation: str
    spans: int
    hallucinations: int
    #: The quotes that could not be grounded, as a JSON list.
    hallucinated: str = "[]"
    id: int = 0
    created_at: str = ""

    @property
    def model_version(self) -> str:
        return self.job.model_version

    @property
    def grounded_share(self) -> float:
        """Share of the provider's quotes that were grounded (the Label Studio score)."""
        total = self.spans + self.hallucinations
        return round(self.spans / total, 4) if total else 1.0


#: A prediction's columns as read from a query that calls the table ``p``.
PREDICTION = (
    "p.id as prediction_id, p.document_id, p.run_id, p.provider, p.model, p.model_version, "
    "p.prompt_version, p.schema_version, p.params_hash, p.annotation, p.spans, "
    "p.hallucinations, p.hallucinated, p.created_at"
)
#: The latest prediction of document ``d``.
LATEST = "select max(id) from predictions where document_id = d.id"


def prediction_of(row: sqlite3.Row) -> Prediction:
    """A row selecting `PREDICTION` as a `Prediction`."""
    return decode(
        Prediction, row, job=job_key_of(row), id=row["prediction_id"],
        spans=row["spans"] or 0, hallucinations=row["hallucinations"] or 0,
    )  # fmt: skip


class Predictions(Repository):
    """The `predictions` table, and the documents each job has still to predict.

    Reached as ``store.predictions``.
    """

    #: Inside `together`: `add` writes into the block's transaction instead of its own.
    _together = False

    @contextmanager
    def together(self) -> Iterator[None]:
        """Commit every `add` of the block in one transaction, at the block's end.

        For the documents a pre-annotation run finished at the same moment: one commit for
        all of them instead of one each. An error in the block rolls all of them back.
        """
        with self.db.conn:
            self._together = True
            try:
                yield
            finally:
                self._together = False

    def _transaction(self) -> AbstractContextManager[object]:
        return nullcontext() if self._together else self.db.conn

    def add(
        self, prediction: Prediction, calls: Sequence[LLMCall] = (), claimed_by: int | None = None
    ) -> None:
        """Commit a document's prediction, with the calls that made it, in one transaction.

        Plain SQL on the pipeline's hot path: every finished document is committed on
        its own (or with the others of a `together` block), and sqlite-utils' ``insert``
        inspects the table on every call. The claim of holder `claimed_by` on the document is
        given back in the same commit.
        """
        stamp = now()
        p, job = prediction, prediction.job
        with self._transaction():
            insert_calls(self.db.conn, calls, stamp)
            if claimed_by is not None:
                drop_claim(self.db.conn, job, p.document_id, claimed_by)
            self.db.conn.execute(
                "insert or replace into predictions (document_id, run_id, provider, model, "
                "model_version, prompt_version, schema_version, params_hash, annotation, spans, "
                "hallucinations, hallucinated, created_at) "
                "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [p.document_id, p.run_id, p.provider, p.model, job.model_version,
                 job.prompt_version, job.schema_version, job.params_hash, p.annotation, p.spans,
                 p.hallucinations, p.hallucinated, stamp],
            )  # fmt: skip

    def latest(self, document_id: str) -> Prediction | None:
        rows = self._rows(
            f"select {PREDICTION} from predictions p where document_id = ? "
            "order by id desc limit 1",
            [document_id],
        )
        return prediction_of(rows[0]) if rows else None

    def by_version(self, document_id: str) -> dict[str, Prediction]:
        """The document's latest prediction of each model version (two runs to compare)."""
        rows = self._rows(
            f"select {PREDICTION} from predictions p where id in (select max(id) from "
            "predictions where document_id = ? group by model_version) order by id",
            [document_id],
        )
        return {p.model_version: p for p in map(prediction_of, rows)}

    def model_versions(self) -> list[str]:
        """The model versions the store holds predictions of, the latest run's first.

        Read through the runs (a handful of rows) and the predictions' index by run, never
        the predictions' JSON: ``annotate serve`` answers Label Studio's ``/versions`` with
        it within 3 s, however large the store.
        """
        rows = self.db.execute(
            "select model_version from runs r where exists (select 1 from predictions p "
            "where p.run_id = r.id) group by model_version order by max(r.id) desc"
        ).fetchall()
        return [str(row[0]) for row in rows]

    def with_documents(self, batch: int = 256) -> Iterator[tuple[Document, Prediction | None]]:
        """Every document with its latest prediction (or None), in ingest order, in one query."""
        return with_latest(self, "", [], batch)

    def count_unpredicted(self, job: JobKey) -> int:
        """Documents with no prediction for `job` yet."""
        sql = "select count(*) from documents d where " + UNPREDICTED
        return int(self.db.execute(sql, job_values(job)).fetchone()[0])

    def iter_unpredicted(self, job: JobKey, batch: int = 256) -> Iterator[Document]:
        """Documents with no prediction for `job` yet, streamed in ingest order."""
        sql = (
            "select d.rowid, d.id, d.text, d.source, d.metadata from documents d "
            "where d.rowid > ? and " + UNPREDICTED
        )
        for row in self._paged(sql, job_values(job), batch):
            yield document_of(row)


def with_latest(
    repository: Repository, where: str, params: list[Any], batch: int
) -> Iterator[tuple[Document, Prediction | None]]:
    """Documents (those meeting `where`) each with its latest prediction, paged by rowid."""
    sql = (
        f"select d.rowid, {DOCUMENT_D}, {PREDICTION} from documents d "
        f"left join predictions p on p.id = ({LATEST}) where d.rowid > ?{where}"
    )
    for row in repository._paged(sql, params, batch):
        yield document_of(row), prediction_of(row) if row["prediction_id"] is not None else None
