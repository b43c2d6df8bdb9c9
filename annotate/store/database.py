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
from dataclasses import astuple, fields, replace
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from annotate.errors import InputError, NotFoundError, StoreError

from .batches import BatchTables
from .evaluations import EvaluationTables
from .leases import LeaseTables, drop_claim, is_live
from .migrations import migrate, now
from .rows import (
    KILLED,
    RUNNING,
    AnnotatedRows,
    AnnotationKey,
    AnnotationToCompare,
    CallTotals,
    ComparisonRun,
    Document,
    DocumentListing,
    Failure,
    JobKey,
    KeptVerdict,
    LLMCall,
    Prediction,
    PulledAnnotation,
    Run,
    RunCounts,
    RunSpec,
    StoredGold,
    StoredVerdict,
    document_of,
    job_key_of,
    job_values,
    metadata_json,
)
from .sqlite_errors import busy_timeout_ms, store_error, translated
from .verification import VerificationTables, pulled_before

DEFAULT_DB = "annotate.db"
DB_ENV = "ANNOTATE_DB"
#: Which annotation of a document `annotate compare` reads (see `iter_annotations_to_compare`).
COMPARE_ORIGINS = ("auto", "gold", "predictions")


def resolve_db_path(path: str | Path | None = None) -> Path:
    """``--db PATH`` wins, then ``ANNOTATE_DB``, then ``annotate.db`` here."""
    return Path(path or os.environ.get(DB_ENV) or DEFAULT_DB)


class Store(VerificationTables, BatchTables, LeaseTables, EvaluationTables):
    """Typed access to the project database; the only module that writes SQL."""

    def __init__(self, path: str | Path | None = None, *, create: bool = True) -> None:
        """Open (or, with `create`, create) the store; a `StoreError` says why a file cannot
        be used. Commands that only read open with ``create=False``: a mistyped ``--db``
        must not leave an empty store behind and report nothing to do."""
        self.path = resolve_db_path(path)
        _check_place(self.path, create)
        with translated(self.path):
            _create_private(self.path)
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

    def _rows(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[sqlite3.Row]:
        cursor = self.db.conn.execute(sql, params)
        cursor.row_factory = sqlite3.Row
        return cursor.fetchall()

    # -- documents -------------------------------------------------------

    def add_document(
        self, doc_id: str, content_hash: str, text: str, source: str, metadata: dict[str, Any]
    ) -> bool:
        """Insert a document unless its content is known; True when it was new.

        The id is a prefix of the content hash; two different texts sharing it (a
        collision) are refused rather than taken for one.
        """
        with self.db.conn:
            cursor = self.db.conn.execute(
                "insert or ignore into documents "
                "(id, content_hash, source, metadata, text, chars, ingested_at) "
                "values (?, ?, ?, ?, ?, ?, ?)",
                [doc_id, content_hash, source, metadata_json(metadata), text, len(text), now()],
            )
        if cursor.rowcount > 0:
            return True
        known = self.db.execute(
            "select content_hash from documents where id = ?", [doc_id]
        ).fetchone()[0]
        if known != content_hash:
            raise InputError(
                f"{source}: its id {doc_id} is already taken by another text (a hash "
                "collision): rename nothing, report it, and ingest it into another store"
            )
        return False

    def count_documents(self) -> int:
        return int(self.db.execute("select count(*) from documents").fetchone()[0])

    def document(self, document_id: str) -> Document:
        """A document by its id (the primary key); NotFoundError when there is none."""
        rows = self._rows(f"select {_DOCUMENT} from documents where id = ?", [document_id])
        if not rows:
            raise NotFoundError(f"no document {document_id!r} in {self.path}")
        return document_of(rows[0])

    def find_document(self, ref: str) -> Document:
        """A document by id, id prefix, source path or the start of its file name.

        For people typing at `annotate show`; code reads documents by id. NotFoundError
        (a LookupError) when nothing or several documents match.
        """
        for sql, params in _FIND_DOCUMENT:
            rows = self._rows(f"select {_DOCUMENT} from documents where {sql} limit 2", params(ref))
            if len(rows) > 1:
                raise NotFoundError(f"{ref!r} matches several documents: give more of the id")
            if rows:
                return document_of(rows[0])
        raise NotFoundError(f"no document matches {ref!r}: see `annotate show` for the list")

    def list_documents(self, batch: int = 1024) -> Iterator[DocumentListing]:
        """Every document without its text, in ingest order (what a list shows)."""
        sql = "select rowid, id, source, chars, metadata from documents where rowid > ?"
        for row in self._paged(sql, [], batch):
            yield DocumentListing(row["id"], row["source"], row["chars"],
                                  json.loads(row["metadata"]))  # fmt: skip

    def iter_documents(self, batch: int = 256) -> Iterator[Document]:
        """Every document in ingest order, read in batches so memory stays flat."""
        sql = f"select rowid, {_DOCUMENT} from documents where rowid > ?"
        for row in self._paged(sql, [], batch):
            yield document_of(row)

    def count_unpredicted(self, job: JobKey) -> int:
        """Documents with no prediction for `job` yet."""
        sql = "select count(*) from documents d where " + _NOT_PREDICTED
        return int(self.db.execute(sql, job_values(job)).fetchone()[0])

    def iter_unpredicted(self, job: JobKey, batch: int = 256) -> Iterator[Document]:
        """Documents with no prediction for `job` yet, streamed in ingest order."""
        sql = (
            "select d.rowid, d.id, d.text, d.source, d.metadata from documents d "
            "where d.rowid > ? and " + _NOT_PREDICTED
        )
        for row in self._paged(sql, job_values(job), batch):
            yield document_of(row)

    def _paged(self, sql: str, params: Sequence[Any], batch: int) -> Iterator[sqlite3.Row]:
        """Rows of `sql` (its first column the rowid, its first parameter the last one seen)."""
        after = 0
        while True:
            page = self._rows(sql + f" order by 1 limit {int(batch)}", [after, *params])
            if not page:
                return
            after = page[-1][0]
            yield from page

    # -- runs ------------------------------------------------------------

    def start_run(self, spec: RunSpec, holder_id: int | None = None) -> int:
        """Record a run as ``running``, held by `holder_id` (the process's lease) until it ends."""
        with self.db.conn:
            cursor = self.db.conn.execute(
                "insert into runs (provider, model, model_version, prompt_version, "
                "schema_version, params, concurrency, price_input, price_output, started_at, "
                "status, holder_id) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'running', ?)",
                [spec.provider, spec.model, spec.model_version, spec.prompt_version,
                 spec.schema_version, json.dumps(spec.params, sort_keys=True),
                 spec.concurrency, spec.price_input, spec.price_output, now(), holder_id],
            )  # fmt: skip
            if cursor.lastrowid is None:
                raise RuntimeError("SQLite returned no id for the new run")
            return int(cursor.lastrowid)

    def finish_run(
        self,
        run_id: int,
        counts: RunCounts,
        status: str = "finished",
        stop_reason: str | None = None,
    ) -> None:
        names = [f.name for f in fields(RunCounts)]
        assignments = ", ".join(f"{name} = ?" for name in names)
        with self.db.conn:
            self.db.conn.execute(
                f"update runs set {assignments}, finished_at = ?, status = ?, stop_reason = ? "
                "where id = ?",
                [*astuple(counts), now(), status, stop_reason, run_id],
            )

    def runs(self) -> list[Run]:
        """Every run; a ``running`` one whose process died reads ``killed`` (see `_killed`)."""
        return [
            self._killed(run) if run.status == RUNNING and not self._run_alive(row) else run
            for row in self._rows("select * from runs order by id")
            for run in [_run(row)]
        ]

    def _run_alive(self, row: sqlite3.Row) -> bool:
        """Is the run's process still at it? Its holder is dropped or dead once it is not."""
        holder = self.holder(row["holder_id"]) if row["holder_id"] is not None else None
        return holder is not None and is_live(holder)

    def _killed(self, run: Run) -> Run:
        """A run killed before it recorded its end, counted from what it did store.

        Its predictions, failures and paid calls carry its id, so what it
        finished and paid for is known; calls answered from the cache are not
        recorded per run and read 0.
        """
        predicted, spans, hallucinations = self.db.execute(
            "select count(*), coalesce(sum(spans), 0), coalesce(sum(hallucinations), 0) "
            "from predictions where run_id = ?",
            [run.id],
        ).fetchone()
        failed = self.db.execute(
            "select count(*) from failures where run_id = ?", [run.id]
        ).fetchone()[0]
        calls, requests, prompt, completion, cost = self.db.execute(
            "select count(*), coalesce(sum(requests), 0), coalesce(sum(prompt_tokens), 0), "
            "coalesce(sum(completion_tokens), 0), coalesce(sum(cost_usd), 0.0) "
            "from llm_calls where run_id = ?",
            [run.id],
        ).fetchone()
        counts = RunCounts(
            documents=predicted + failed, predicted=predicted, failed=failed, llm_calls=calls,
            requests=requests, prompt_tokens=prompt, completion_tokens=completion,
            cost_usd=cost, spans=spans, hallucinations=hallucinations,
        )  # fmt: skip
        return replace(run, status=KILLED, counts=counts)

    # -- the LLM call cache ------------------------------------------------

    def call_totals(self, model: str, prompt_version: str) -> CallTotals:
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

    def cached_response(self, key: str) -> str | None:
        row = self.db.execute("select response from llm_calls where key = ?", [key]).fetchone()
        return None if row is None else str(row[0])

    def record_calls(self, calls: Sequence[LLMCall]) -> None:
        """Store successful calls at once: a crash after this never pays for them twice."""
        stamp = now()
        with self.db.conn:
            self._insert_calls(calls, stamp)

    def _insert_calls(self, calls: Sequence[LLMCall], stamp: str) -> None:
        self.db.conn.executemany(
            f"insert or replace into llm_calls ({_CALL_COLUMNS}) values ({_marks(LLMCall)})",
            [(*astuple(call)[:-1], stamp) for call in calls],
        )

    # -- predictions and failures -------------------------------------------

    def add_prediction(
        self, prediction: Prediction, calls: Sequence[LLMCall] = (), claimed_by: int | None = None
    ) -> None:
        """Commit a document's prediction, with the calls that made it, in one transaction.

        Plain SQL on the pipeline's hot path: every finished document is committed on
        its own, and sqlite-utils' ``insert`` inspects the table on every call. The
        claim of holder `claimed_by` on the document is given back in the same commit.
        """
        stamp = now()
        p, job = prediction, prediction.job
        with self.db.conn:
            self._insert_calls(calls, stamp)
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

    def add_failure(self, failure: Failure) -> None:
        with self.db.conn:
            self.db.conn.execute(
                "insert into failures (run_id, document_id, reason, detail, created_at) "
                "values (?, ?, ?, ?, ?)",
                [failure.run_id, failure.document_id, failure.reason, failure.detail[:2000],
                 now()],
            )  # fmt: skip

    def latest_prediction(self, document_id: str) -> Prediction | None:
        rows = self._rows(
            f"select {_PREDICTION} from predictions p where document_id = ? "
            "order by id desc limit 1",
            [document_id],
        )
        return _prediction(rows[0]) if rows else None

    def iter_documents_with_predictions(
        self, batch: int = 256
    ) -> Iterator[tuple[Document, Prediction | None]]:
        """Every document with its latest prediction (or None), in ingest order, in one query."""
        return self._with_predictions("", [], batch)

    def _with_predictions(
        self, where: str, params: list[Any], batch: int
    ) -> Iterator[tuple[Document, Prediction | None]]:
        """Documents (those meeting `where`) each with its latest prediction, paged by rowid."""
        sql = (
            f"select d.rowid, {_DOCUMENT_D}, {_PREDICTION} from documents d "
            f"left join predictions p on p.id = ({_LATEST}) where d.rowid > ?{where}"
        )
        for row in self._paged(sql, params, batch):
            yield document_of(row), _prediction(row) if row["prediction_id"] is not None else None

    def failures(self, run_id: int | None = None) -> list[Failure]:
        if run_id is None:
            rows = self._rows("select * from failures order by id")
        else:
            rows = self._rows("select * from failures where run_id = ? order by id", [run_id])
        return [_failure(row) for row in rows]

    # -- Label Studio ---------------------------------------------------------

    def pushed_projects(self, server: str) -> list[int]:
        """The Label Studio projects on `server` this store made document tasks in."""
        rows = self.db.execute(
            "select distinct project_id from studio_tasks where server = ? order by project_id",
            [server],
        ).fetchall()
        return [int(row[0]) for row in rows]

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

    def iter_untasked(
        self, server: str, project_id: int, batch: int = 256
    ) -> Iterator[tuple[Document, Prediction | None]]:
        """Documents with no task in the project yet, with their latest predictions."""
        return self._with_predictions(f" and {_UNTASKED}", [server, project_id], batch)

    def count_untasked(self, server: str, project_id: int) -> int:
        return int(
            self.db.execute(
                f"select count(*) from documents d where {_UNTASKED}",
                [server, project_id],
            ).fetchone()[0]
        )

    def iter_unpushed_predictions(
        self, server: str, project_id: int, batch: int = 256
    ) -> Iterator[tuple[int, Prediction]]:
        """(task id, latest prediction) of tasked documents whose latest was not pushed."""
        sql = (
            f"select t.rowid, t.task_id, {_PREDICTION} from {_TASKS_LATEST} "
            f"where t.rowid > ? and {_UNPUSHED}"
        )
        for row in self._paged(sql, [server, project_id], batch):
            yield int(row["task_id"]), _prediction(row)

    def count_unpushed_predictions(self, server: str, project_id: int) -> int:
        sql = f"select count(*) from {_TASKS_LATEST} where {_UNPUSHED}"
        return int(self.db.execute(sql, [server, project_id]).fetchone()[0])

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

    def upsert_annotation(self, pulled: PulledAnnotation) -> str:
        """Store one pulled annotation: 'new', 'updated' (edited since) or 'unchanged'."""
        row = pulled_before(self.db, "annotations", pulled)
        if row is not None and row == (pulled.updated_at, pulled.result):
            return "unchanged"
        with self.db.conn:
            self.db.conn.execute(
                f"insert or replace into annotations ({_ANNOTATION_COLUMNS}) "
                f"values ({_marks(PulledAnnotation)})",
                [*astuple(pulled)[:-1], now()],
            )
        return "new" if row is None else "updated"

    def annotations(self, document_id: str | None = None) -> list[PulledAnnotation]:
        """Pulled annotations (every one, skips and unconverted ones too)."""
        if document_id is None:
            rows = self._rows("select * from annotations order by task_id, annotation_id")
        else:
            rows = self._rows(
                "select * from annotations where document_id = ? order by annotation_id",
                [document_id],
            )
        return [_pulled(row) for row in rows]

    def has_valid_annotations(self) -> bool:
        """Is there any converted, non-skip pulled annotation (anything to make gold of)?"""
        return (
            self.db.execute(
                "select 1 from annotations where annotation is not null and was_cancelled = 0 "
                "limit 1"
            ).fetchone()
            is not None
        )

    def annotated_document_ids(self) -> Iterator[str]:
        """Ids of the documents with valid pulled annotations, in id order (index only)."""
        rows = self.db.conn.execute(
            "select distinct document_id from annotations "
            "where annotation is not null and was_cancelled = 0 order by document_id"
        )
        yield from (str(row[0]) for row in rows)

    def annotated_documents(
        self, document_ids: Sequence[str] | None = None, codec: str | None = None
    ) -> Iterator[AnnotatedRows]:
        """Each document with valid pulled annotations, in document id order, one at a time.

        Valid means converted and not a skip; when an annotator annotated a document
        more than once (two projects, a re-annotation) the latest by ``updated_at``
        counts. The annotations come in one query ordered by an index, so the pass
        streams; each document and its predictions are read by key. `document_ids`
        (in id order) limits the pass to those documents. Each annotation's kept
        regions come with it when they were made by codec version `codec`.
        """
        where = "annotation is not null and was_cancelled = 0"
        params: list[str | None] = [codec]
        if document_ids is not None:
            where += f" and document_id in ({', '.join('?' for _ in document_ids)})"
            params += document_ids
        rows = self.db.conn.execute(
            "select document_id, annotator, task_id, ground_truth, annotation, "
            "case when regions_codec = ? then regions end, annotation_id, updated_at, pulled_at "
            f"from annotations where {where} "
            "order by document_id, annotator, updated_at, annotation_id",
            params,
        )
        current: AnnotatedRows | None = None
        used: dict[str, str] = {}
        for document_id, annotator, task_id, ground_truth, annotation, regions, *version in rows:
            if current is None or current.document.id != document_id:
                if current is not None:
                    current.versions.extend(used.values())
                    yield current
                current = self._annotated(document_id)
                used = {}
            current.annotations[annotator] = annotation  # later rows are later annotations
            current.regions.pop(annotator, None)
            if regions is not None:
                current.regions[annotator] = regions
            used[annotator] = f"{annotator}:{version[0]}:{version[1]}:{version[2]}:{ground_truth}"
            current.flagged.discard(annotator)
            if ground_truth:
                current.flagged.add(annotator)
            current.task_ids.add(int(task_id))
        if current is not None:
            current.versions.extend(used.values())
            yield current

    def annotations_without_regions(
        self, codec: str, batch: int = 256
    ) -> Iterator[tuple[AnnotationKey, str]]:
        """Valid annotations (their key and JSON) without regions made by codec version `codec`.

        They are found by an index of the regions' versions (once every annotation
        has current regions, this reads no annotation's row).
        """
        sql = (
            "select rowid, server, project_id, annotation_id, annotation from annotations "
            "indexed by annotations_regions_codec "
            "where rowid > ? and annotation is not null and was_cancelled = 0 "
            "and (regions_codec is null or regions_codec != ?)"
        )
        for row in self._paged(sql, [codec], batch):
            key = AnnotationKey(row["server"], row["project_id"], row["annotation_id"])
            yield key, row["annotation"]

    def keep_regions(self, codec: str, regions: Sequence[tuple[AnnotationKey, str]]) -> None:
        """Keep annotations' regions (in the codec's stored form), made by codec version `codec`."""
        with self.db.conn:
            self.db.conn.executemany(
                "update annotations set regions = ?, regions_codec = ? "
                "where server = ? and project_id = ? and annotation_id = ?",
                [(stored, codec, *astuple(key)) for key, stored in regions],
            )

    def _annotated(self, document_id: str) -> AnnotatedRows:
        """A document with its latest prediction of each model version, read by key."""
        rows = self.db.conn.execute(
            "select model_version, annotation, id from predictions where document_id = ? "
            "order by id",
            [document_id],
        ).fetchall()
        found = AnnotatedRows(self.document(document_id))
        for version, annotation, prediction_id in rows:
            found.predictions[str(version)] = str(annotation)
            found.versions.append(f"prediction:{prediction_id}")
        return found

    # -- gold ------------------------------------------------------------------

    def drop_orphan_gold(self) -> None:
        """Forget the gold of documents that no longer have a valid annotation."""
        with self.db.conn:
            self.db.conn.execute(
                "delete from gold where document_id not in (select document_id from annotations "
                "where annotation is not null and was_cancelled = 0)"
            )

    def gold_of(self, document_id: str) -> StoredGold | None:
        rows = self._rows("select * from gold where document_id = ?", [document_id])
        return _gold(rows[0]) if rows else None

    def save_gold(self, golds: Sequence[StoredGold]) -> None:
        """Keep documents' gold, replacing what was made from older inputs."""
        stamp = now()
        with self.db.conn:
            self.db.conn.executemany(
                "insert or replace into gold values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(*_gold_values(g), stamp) for g in golds],
            )

    # -- comparisons -----------------------------------------------------

    def iter_annotations_to_compare(
        self, origin: str = "auto", batch: int = 256
    ) -> Iterator[AnnotationToCompare]:
        """Each document's annotation to compare, in ingest order, in one paged query.

        ``auto``: the kept gold where there is one, else the latest prediction;
        ``gold``: kept gold only; ``predictions``: latest predictions only.
        Documents with neither are left out.
        """
        if origin not in COMPARE_ORIGINS:
            raise ValueError(f"origin must be one of {', '.join(COMPARE_ORIGINS)}, not {origin!r}")
        sql = (
            f"select d.rowid, {_DOCUMENT_D}, g.annotation as gold, g.method, "
            "p.annotation as predicted, p.model_version from documents d "
            "left join gold g on g.document_id = d.id and g.annotation is not null "
            f"left join predictions p on p.id = ({_LATEST}) where d.rowid > ?"
        )
        for row in self._paged(sql, [], batch):
            use_gold = row["gold"] is not None and origin != "predictions"
            if use_gold:
                yield AnnotationToCompare(document_of(row), "gold", row["method"], row["gold"])
            elif row["predicted"] is not None and origin != "gold":
                yield AnnotationToCompare(
                    document_of(row), "prediction", row["model_version"], row["predicted"]
                )

    def start_comparison(self, judge: str, origin: str, params: dict[str, Any]) -> int:
        with self.db.conn:
            cursor = self.db.conn.execute(
                "insert into comparisons (judge, origin, params, started_at, status) "
                "values (?, ?, ?, ?, 'running')",
                [judge, origin, json.dumps(params, sort_keys=True), now()],
            )
        return int(cursor.lastrowid or 0)

    def finish_comparison(
        self, comparison_id: int, counts: dict[str, Any], status: str = "finished"
    ) -> None:
        """Record how a comparison ended; a finished one's verdicts replace the earlier ones'.

        Earlier comparisons keep their row and counts; their pairs (hundreds of
        thousands for a large corpus) are dropped, and paid verdicts stay in the cache.
        """
        with self.db.conn:
            self.db.conn.execute(
                "update comparisons set finished_at = ?, status = ?, counts = ? where id = ?",
                [now(), status, json.dumps(counts, sort_keys=True), comparison_id],
            )
            if status == "finished":
                self.db.conn.execute(
                    "delete from verdicts where comparison_id < ?", [comparison_id]
                )

    def comparisons(self) -> list[ComparisonRun]:
        return [_comparison(row) for row in self._rows("select * from comparisons order by id")]

    def save_verdicts(self, verdicts: Sequence[StoredVerdict], keep: bool = False) -> None:
        """Record a comparison's verdicts; with `keep`, also for the next comparison to reuse."""
        stamp = now()
        with self.db.conn:
            self.db.conn.executemany(
                "insert into verdicts values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(*_verdict_values(v), stamp) for v in verdicts],
            )
            if keep:
                self.db.conn.executemany(
                    "insert or replace into verdict_cache values (?, ?, ?, ?, ?, ?, ?)",
                    [(v.judge, v.key, v.relation, v.detail, v.values, v.rationale, stamp)
                     for v in verdicts],
                )  # fmt: skip

    def kept_verdicts(self, keys: Sequence[str], judge: str) -> dict[str, KeptVerdict]:
        """The answers `judge` gave before to any of the questions `keys`."""
        found: dict[str, KeptVerdict] = {}
        for start in range(0, len(keys), 500):
            chunk = list(keys[start : start + 500])
            marks = ", ".join("?" for _ in chunk)
            rows = self._rows(
                "select key, judge, relation, detail, value_pair, rationale from verdict_cache "
                f"where judge = ? and key in ({marks})",
                [judge, *chunk],
            )
            found.update(
                (row["key"], KeptVerdict(row["key"], row["judge"], row["relation"],
                                         row["detail"], row["value_pair"], row["rationale"]))
                for row in rows
            )  # fmt: skip
        return found


_DOCUMENT = "id, text, source, metadata"
_DOCUMENT_D = "d.id, d.text, d.source, d.metadata"


def _check_place(path: Path, create: bool) -> None:
    """A missing store is an error for a command that only reads; a store in a folder that
    does not exist cannot be created (both said in one line, before SQLite is asked)."""
    if str(path) == ":memory:" or path.exists():
        return
    if not create:
        raise StoreError(f"no store at {path}: run `annotate ingest` first (or give --db)")
    if not path.parent.is_dir():
        raise StoreError(
            f"cannot create the store {path}: the folder {path.parent} does not exist; "
            "create it or give another --db"
        )


def _create_private(path: Path) -> None:
    """A new store file is its owner's alone (0600): it holds paid answers and annotators'
    work. SQLite gives its -wal and -shm files the database file's permissions."""
    if str(path) != ":memory:" and not path.exists():
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def _like(text: str) -> str:
    """`text` as a literal inside a LIKE pattern (escaped with a backslash)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


#: How `find_document` tries a reference, most exact first.
_FIND_DOCUMENT: list[tuple[str, Any]] = [
    ("id = ?", lambda ref: [ref]),
    ("source = ?", lambda ref: [ref]),
    ("id like ? escape '\\'", lambda ref: [_like(ref) + "%"]),
    # a path's tail, or the start of the file name ("003" finds "seeds/003_f937....txt")
    ("source like ? escape '\\' or source like ? escape '\\' or source like ? escape '\\'",
     lambda ref: ["%/" + _like(ref), "%/" + _like(ref) + "%", _like(ref) + "%"]),
]  # fmt: skip
_PREDICTION = (
    "p.id as prediction_id, p.document_id, p.run_id, p.provider, p.model, p.model_version, "
    "p.prompt_version, p.schema_version, p.params_hash, p.annotation, p.spans, "
    "p.hallucinations, p.hallucinated, p.created_at"
)
_LATEST = "select max(id) from predictions where document_id = d.id"
#: Documents of a project with no task yet (parameters: server, project id).
_UNTASKED = (
    "not exists (select 1 from studio_tasks t where t.document_id = d.id and t.server = ? "
    "and t.project_id = ?)"
)
#: Each task with its document's latest prediction.
_TASKS_LATEST = (
    "studio_tasks t join predictions p on p.id = "
    "(select max(id) from predictions where document_id = t.document_id)"
)
#: Tasks of a project whose latest prediction was not pushed (parameters: server, project id).
_UNPUSHED = (
    "t.server = ? and t.project_id = ? and not exists (select 1 from studio_predictions s "
    "where s.server = t.server and s.project_id = t.project_id and s.prediction_id = p.id)"
)
_NOT_PREDICTED = (
    "not exists (select 1 from predictions p where p.document_id = d.id "
    "and p.model_version = ? and p.prompt_version = ? "
    "and p.schema_version = ? and p.params_hash = ?)"
)


def _columns(row_type: Any) -> str:
    return ", ".join(f.name for f in fields(row_type))


def _marks(row_type: Any) -> str:
    return ", ".join("?" for _ in fields(row_type))


_CALL_COLUMNS = _columns(LLMCall)
_ANNOTATION_COLUMNS = _columns(PulledAnnotation)


def _prediction(row: sqlite3.Row) -> Prediction:
    return Prediction(
        document_id=row["document_id"],
        run_id=row["run_id"],
        provider=row["provider"],
        model=row["model"],
        job=job_key_of(row),
        annotation=row["annotation"],
        spans=row["spans"] or 0,
        hallucinations=row["hallucinations"] or 0,
        hallucinated=row["hallucinated"] or "[]",
        id=row["prediction_id"],
        created_at=row["created_at"],
    )


def _run(row: sqlite3.Row) -> Run:
    spec = RunSpec(
        **{f.name: row[f.name] for f in fields(RunSpec) if f.name != "params"},
        params=json.loads(row["params"] or "{}"),
    )
    counts = RunCounts(**{f.name: row[f.name] or 0 for f in fields(RunCounts)})
    return Run(
        row["id"], spec, row["started_at"], row["finished_at"], row["status"], counts,
        row["stop_reason"],
    )  # fmt: skip


def _failure(row: sqlite3.Row) -> Failure:
    return Failure(**{f.name: row[f.name] for f in fields(Failure)})


def _gold_values(g: StoredGold) -> tuple[Any, ...]:
    def dumped(value: Any) -> str:
        return json.dumps(value, ensure_ascii=False)

    return (
        g.document_id,
        g.inputs,
        g.method,
        dumped(g.annotators),
        int(g.contested),
        dumped(g.ties),
        dumped(g.problems),
        dumped(g.task_ids),
        g.annotation,
        g.measures,
    )


def _gold(row: sqlite3.Row) -> StoredGold:
    return StoredGold(
        document_id=row["document_id"],
        inputs=row["inputs"],
        method=row["method"],
        annotators=json.loads(row["annotators"]),
        contested=bool(row["contested"]),
        ties=json.loads(row["ties"]),
        problems=json.loads(row["problems"]),
        task_ids=json.loads(row["task_ids"]),
        annotation=row["annotation"],
        measures=row["measures"],
    )


def _comparison(row: sqlite3.Row) -> ComparisonRun:
    return ComparisonRun(
        id=row["id"],
        judge=row["judge"],
        origin=row["origin"],
        params=json.loads(row["params"] or "{}"),
        started_at=row["started_at"],
        finished_at=row["finished_at"],
        status=row["status"],
        counts=json.loads(row["counts"] or "{}"),
    )


def _verdict_values(v: StoredVerdict) -> tuple[Any, ...]:
    return (
        v.comparison_id, v.key, v.judge, v.a.doc_id, v.a.start, v.a.end,
        v.b.doc_id, v.b.start, v.b.end, v.relation, v.detail, v.values, v.rationale,
        v.similarity,
    )  # fmt: skip


def _pulled(row: sqlite3.Row) -> PulledAnnotation:
    values = {f.name: row[f.name] for f in fields(PulledAnnotation)}
    values["was_cancelled"] = bool(values["was_cancelled"])
    values["ground_truth"] = bool(values["ground_truth"])
    return PulledAnnotation(**values)
