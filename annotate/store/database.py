"""The SQLite store: documents, runs, the LLM call cache, predictions, failures.

One file (``annotate.db`` by default) holds everything a job has paid for. It
runs in WAL mode and every finished document is committed on its own, so a
killed job loses at most the calls in flight, and a re-run finds its work done.
API keys are never written here: runs record parameters that change the
output (model, temperature, ...), not credentials or endpoints.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from annotate.errors import NotFoundError

from .migrations import migrate, now
from .sqlite_errors import busy_timeout_ms, store_error, translated

DEFAULT_DB = "annotate.db"
DB_ENV = "ANNOTATE_DB"


def resolve_db_path(path: str | Path | None = None) -> Path:
    """``--db PATH`` wins, then ``ANNOTATE_DB``, then ``annotate.db`` here."""
    return Path(path or os.environ.get(DB_ENV) or DEFAULT_DB)


@dataclass(frozen=True)
class Document:
    id: str
    text: str
    source: str
    metadata: dict[str, Any]


@dataclass(frozen=True)
class JobKey:
    """What makes two predictions the same job: re-running it is a no-op."""

    model_version: str
    prompt_version: str
    schema_version: str
    params_hash: str


class Store:
    """Typed access to the project database; the only module that writes SQL."""

    def __init__(self, path: str | Path | None = None) -> None:
        """Open (or create) the store; a `StoreError` says why a file cannot be used."""
        self.path = resolve_db_path(path)
        with translated(self.path):
            self.db = Database(self.path)
            try:
                self.db.execute("PRAGMA journal_mode=WAL")
                self.db.execute("PRAGMA synchronous=NORMAL")
                self.db.execute("PRAGMA foreign_keys=ON")
                self.db.execute(f"PRAGMA busy_timeout={busy_timeout_ms()}")
                migrate(self.db)
            except BaseException:
                self.db.close()
                raise

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, kind: object, exc: BaseException | None, tb: object) -> None:
        """Close; an SQLite error from the block leaves as a `StoreError` naming the file."""
        self.close()
        if isinstance(exc, sqlite3.Error):
            raise store_error(self.path, exc) from exc

    # -- documents -------------------------------------------------------

    def add_document(
        self, doc_id: str, content_hash: str, text: str, source: str, metadata: dict[str, Any]
    ) -> bool:
        """Insert a document unless its content is known; True when it was new."""
        with self.db.conn:
            before = self.db.conn.total_changes
            self.db.table("documents").insert(
                {
                    "id": doc_id,
                    "content_hash": content_hash,
                    "source": source,
                    "metadata": json.dumps(metadata, ensure_ascii=False, sort_keys=True),
                    "text": text,
                    "chars": len(text),
                    "ingested_at": now(),
                },
                ignore=True,
            )
            return self.db.conn.total_changes > before

    def count_documents(self) -> int:
        return self.db["documents"].count

    def get_document(self, ref: str) -> Document:
        """A document by id, id prefix, or source path; NotFoundError (a LookupError) if none."""
        rows = list(
            self.db.query(
                "select * from documents where id like :prefix or source = :ref "
                "or source like :suffix limit 2",
                {"prefix": ref + "%", "ref": ref, "suffix": "%/" + ref},
            )
        )
        if not rows:
            raise NotFoundError(f"no document matches {ref!r}: see `annotate show` for the list")
        if len(rows) > 1:
            raise NotFoundError(f"{ref!r} matches several documents: give more of the id")
        return _document(rows[0])

    def iter_documents(self, batch: int = 256) -> Iterator[Document]:
        """Every document in ingest order, read in batches so memory stays flat."""
        yield from self._paged("select rowid, * from documents where rowid > :after", {}, batch)

    def count_pending(self, job: JobKey) -> int:
        sql = "select count(*) from documents d where " + _NOT_PREDICTED
        return int(self.db.execute(sql, _job_params(job)).fetchone()[0])

    def iter_pending(self, job: JobKey, batch: int = 256) -> Iterator[Document]:
        """Documents with no prediction for `job` yet, streamed in ingest order."""
        sql = "select d.rowid, d.* from documents d where d.rowid > :after and " + _NOT_PREDICTED
        yield from self._paged(sql, _job_params(job), batch)

    def _paged(self, sql: str, params: dict[str, Any], batch: int) -> Iterator[Document]:
        after = 0
        while True:
            page = list(
                self.db.query(
                    sql + f" order by rowid limit {int(batch)}", {**params, "after": after}
                )
            )
            if not page:
                return
            after = page[-1]["rowid"]
            yield from (_document(row) for row in page)

    # -- runs ------------------------------------------------------------

    def start_run(self, record: dict[str, Any]) -> int:
        with self.db.conn:
            row = {**record, "params": json.dumps(record.get("params", {}), sort_keys=True)}
            table = self.db.table("runs").insert({**row, "started_at": now(), "status": "running"})
            if table.last_pk is None:
                raise RuntimeError("SQLite returned no id for the new run")
            return int(table.last_pk)

    def finish_run(self, run_id: int, counts: dict[str, Any], status: str = "finished") -> None:
        with self.db.conn:
            self.db.table("runs").update(run_id, {**counts, "finished_at": now(), "status": status})

    def runs(self) -> list[dict[str, Any]]:
        return list(self.db.query("select * from runs order by id"))

    # -- the LLM call cache ------------------------------------------------

    def cached_response(self, key: str) -> str | None:
        row = self.db.execute("select response from llm_calls where key = ?", [key]).fetchone()
        return None if row is None else str(row[0])

    def record_calls(self, records: list[dict[str, Any]]) -> None:
        """Store successful calls at once: a crash after this never pays for them twice."""
        self._replace([("llm_calls", {**record, "created_at": now()}) for record in records])

    # -- predictions and failures -------------------------------------------

    def add_prediction(self, record: dict[str, Any], calls: Sequence[dict[str, Any]] = ()) -> None:
        """Commit a document's prediction, with the calls that made it, in one transaction."""
        stamp = now()
        rows = [("llm_calls", {**call, "created_at": stamp}) for call in calls]
        self._replace([*rows, ("predictions", {**record, "created_at": stamp})])

    def _replace(self, rows: list[tuple[str, dict[str, Any]]]) -> None:
        """``INSERT OR REPLACE`` rows in one transaction, on the pipeline's hot path.

        Plain SQL rather than sqlite-utils' ``insert``, which inspects the table
        on every call: that costs more than the write itself when every finished
        document is committed on its own. Columns are the record's keys, which
        come from this package's code, never from input.
        """
        if not rows:
            return
        with self.db.conn:
            for table, row in rows:
                columns = ", ".join(f"[{column}]" for column in row)
                marks = ", ".join("?" for _ in row)
                self.db.execute(
                    f"insert or replace into [{table}] ({columns}) values ({marks})",
                    list(row.values()),
                )

    def add_failure(self, run_id: int, document_id: str, reason: str, detail: str) -> None:
        with self.db.conn:
            self.db.table("failures").insert(
                {
                    "run_id": run_id,
                    "document_id": document_id,
                    "reason": reason,
                    "detail": detail[:2000],
                    "created_at": now(),
                }
            )

    def latest_prediction(self, document_id: str) -> dict[str, Any] | None:
        rows = list(
            self.db.query(
                "select * from predictions where document_id = ? order by id desc limit 1",
                [document_id],
            )
        )
        return rows[0] if rows else None

    def failures(self, run_id: int | None = None) -> list[dict[str, Any]]:
        if run_id is None:
            return list(self.db.query("select * from failures order by id"))
        return list(self.db.query("select * from failures where run_id = ? order by id", [run_id]))

    # -- Label Studio ---------------------------------------------------------

    def studio_tasks(self, server: str, project_id: int) -> dict[str, int]:
        """document id -> Label Studio task id, for one project on one server."""
        rows = self.db.execute(
            "select document_id, task_id from studio_tasks where server = ? and project_id = ?",
            [server, project_id],
        ).fetchall()
        return {str(doc): int(task) for doc, task in rows}

    def record_studio_tasks(self, server: str, project_id: int, pairs: dict[str, int]) -> None:
        stamp = now()
        with self.db.conn:
            self.db.conn.executemany(
                "insert or replace into studio_tasks values (?, ?, ?, ?, ?)",
                [(server, project_id, doc, task, stamp) for doc, task in pairs.items()],
            )

    def pushed_predictions(self, server: str, project_id: int) -> set[int]:
        rows = self.db.execute(
            "select prediction_id from studio_predictions where server = ? and project_id = ?",
            [server, project_id],
        ).fetchall()
        return {int(row[0]) for row in rows}

    def record_studio_predictions(
        self, server: str, project_id: int, pushed: list[tuple[int, int, str]]
    ) -> None:
        """Record (prediction id, task id, model version) triples as pushed."""
        stamp = now()
        with self.db.conn:
            self.db.conn.executemany(
                "insert or replace into studio_predictions values (?, ?, ?, ?, ?, ?)",
                [(server, project_id, pid, task, mv, stamp) for pid, task, mv in pushed],
            )

    def latest_pushed_model_version(self, server: str, project_id: int) -> str | None:
        """The model version of the newest prediction pushed to a project."""
        row = self.db.execute(
            "select model_version from studio_predictions where server = ? and project_id = ? "
            "order by prediction_id desc limit 1",
            [server, project_id],
        ).fetchone()
        return None if row is None else str(row[0])

    def upsert_annotation(self, record: dict[str, Any]) -> str:
        """Store one pulled annotation: 'new', 'updated' (edited since) or 'unchanged'."""
        key = [record["server"], record["project_id"], record["annotation_id"]]
        row = self.db.execute(
            "select updated_at, result from annotations "
            "where server = ? and project_id = ? and annotation_id = ?",
            key,
        ).fetchone()
        if row is not None and (row[0], row[1]) == (record["updated_at"], record["result"]):
            return "unchanged"
        self._replace([("annotations", {**record, "pulled_at": now()})])
        return "new" if row is None else "updated"

    def valid_annotations(self) -> Iterator[dict[str, Any]]:
        """Pulled annotations that converted and are not skips, by document then annotator.

        When an annotator annotated a document more than once (two projects, or
        a re-annotation), only the latest by ``updated_at`` is returned.
        """
        yield from self.db.query(
            "select * from annotations a where annotation is not null and was_cancelled = 0 "
            "and not exists (select 1 from annotations b where b.document_id = a.document_id "
            "and b.annotator = a.annotator and b.annotation is not null and b.was_cancelled = 0 "
            "and (b.updated_at > a.updated_at or (b.updated_at = a.updated_at "
            "and b.annotation_id > a.annotation_id))) "
            "order by document_id, annotator"
        )

    def predictions_by_version(self, document_id: str) -> dict[str, str]:
        """model_version -> the latest prediction's annotation JSON, for one document."""
        rows = self.db.execute(
            "select model_version, annotation from predictions where document_id = ? order by id",
            [document_id],
        ).fetchall()
        return {str(version): str(annotation) for version, annotation in rows}

    def annotations(self, document_id: str | None = None) -> list[dict[str, Any]]:
        if document_id is None:
            return list(self.db.query("select * from annotations order by task_id, annotation_id"))
        return list(
            self.db.query(
                "select * from annotations where document_id = ? order by annotation_id",
                [document_id],
            )
        )


_NOT_PREDICTED = (
    "not exists (select 1 from predictions p where p.document_id = d.id "
    "and p.model_version = :model_version and p.prompt_version = :prompt_version "
    "and p.schema_version = :schema_version and p.params_hash = :params_hash)"
)


def _job_params(job: JobKey) -> dict[str, Any]:
    return {
        "model_version": job.model_version,
        "prompt_version": job.prompt_version,
        "schema_version": job.schema_version,
        "params_hash": job.params_hash,
    }


def _document(row: dict[str, Any]) -> Document:
    return Document(
        id=row["id"], text=row["text"], source=row["source"], metadata=json.loads(row["metadata"])
    )
