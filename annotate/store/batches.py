"""The store's tables for the batch route (migration m011).

Kept in a repository of their own so that the batch route's records read as one
piece (`Batches`, reached as ``store.batches``):

* `batches`: each batch submitted through a Batch API, with its job, the
  provider's ids (input, output and error files) and its last status; a
  batch written to files for an engine of one's own (``--out``) has no
  provider id, the status ``offline`` and its file's path as input file;
* `batch_documents`: the documents a batch answers (a document goes in one
  batch whole, so it is collected at once);
* `batch_requests`: its requests (a chunk each, under the cache key of the
  online call it stands for, which is also its ``custom_id``), and once the
  batch ended, what it answered to each.

The batch ids live here, not only at the provider, so that a killed
``annotate preannotate --batch`` or ``annotate batch collect`` resumes: a
batch recorded before it was created is adopted or created by the next
command, answers saved once are not downloaded again, and collection skips
the documents that already have their prediction.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from .documents import Document, document_of
from .jobs import UNPREDICTED, JobKey, job_key_of, job_values
from .migrations import now
from .repository import Repository, decode, marks


@dataclass(frozen=True)
class BatchRequest:
    """One request of a batch: a chunk of a document, sent under its call's cache key."""

    #: The request's ``custom_id``: the cache key of the online call it stands for.
    custom_id: str
    document_id: str
    chunk_start: int
    chunk_end: int


@dataclass(frozen=True)
class BatchAnswer:
    """What a batch made of one request, as saved from its output or error file."""

    custom_id: str
    #: HTTP status of the answer (0: never run, e.g. expired).
    status: int
    #: The answer's body as JSON (a chat completion when `status` is 200).
    body: str
    #: Why there is no answer (None when there is one).
    error: str | None


@dataclass(frozen=True)
class StoredBatch:
    """A batch of requests submitted through a Batch API for one job, and how far it got.

    `id` is the store's; `batch_id` the provider's (None until it was created).
    `status` is the provider's last reported one (``submitting`` before the
    batch exists); `collected_at` is set once every document of the batch went
    through collection (their answers then live in the call cache).
    """

    id: int
    batch_id: str | None
    input_file_id: str
    job: JobKey
    model: str
    #: The provider's `cache_params` (what changes the output), to rebuild it for collection.
    params: dict[str, Any]
    #: The chunk size the requests were cut at, so collection cuts documents alike.
    max_chunk_chars: int | None
    requests: int
    documents: int
    bytes: int
    status: str
    completed: int = 0
    failed: int = 0
    output_file_id: str | None = None
    error_file_id: str | None = None
    results_saved: bool = False
    collect_run_id: int | None = None
    submitted_at: str = ""
    updated_at: str = ""
    collected_at: str | None = None

    @property
    def collected(self) -> bool:
        return self.collected_at is not None


#: Documents in a batch of the same job that is not collected yet (parameters: the job).
IN_OPEN_BATCH = (
    "exists (select 1 from batch_documents bd join batches b on b.id = bd.batch "
    "where bd.document_id = d.id and b.collected_at is null and b.model_version = ? "
    "and b.prompt_version = ? and b.schema_version = ? and b.params_hash = ?)"
)


class Batches(Repository):
    """The `batches`, `batch_documents` and `batch_requests` tables."""

    # -- submitting --------------------------------------------------------------

    def iter_unbatched(self, job: JobKey, batch: int = 256) -> Iterator[Document]:
        """Documents with no prediction for `job` and in no open batch of it, in ingest order."""
        sql = (
            "select d.rowid, d.id, d.text, d.source, d.metadata from documents d "
            f"where d.rowid > ? and {UNPREDICTED} and not {IN_OPEN_BATCH}"
        )
        for row in self._paged(sql, [*job_values(job), *job_values(job)], batch):
            yield document_of(row)

    def count_unbatched(self, job: JobKey) -> int:
        """Documents `iter_unbatched` yields: what the online route has left to do for `job`."""
        sql = f"select count(*) from documents d where {UNPREDICTED} and not {IN_OPEN_BATCH}"
        return int(self.db.execute(sql, [*job_values(job), *job_values(job)]).fetchone()[0])

    def count_in_open(self, job: JobKey) -> int:
        """Documents with no prediction for `job` that wait in an open batch of it.

        The online route leaves them to their batch, which is paid for already.
        """
        sql = f"select count(*) from documents d where {UNPREDICTED} and {IN_OPEN_BATCH}"
        return int(self.db.execute(sql, [*job_values(job), *job_values(job)]).fetchone()[0])

    def add(
        self,
        batch: StoredBatch,
        documents: Sequence[str],
        requests: Sequence[BatchRequest],
    ) -> int:
        """Record a batch before it is created at the provider, with its documents and requests.

        Recorded first so that a command killed between creating the batch and
        recording its id does not leave a paid batch the store knows nothing
        of: the next command finds the row and adopts (or creates) the batch.
        """
        b, stamp = batch, now()
        with self.db.conn:
            cursor = self.db.conn.execute(
                "insert into batches (batch_id, input_file_id, model, model_version, "
                "prompt_version, schema_version, params_hash, params, max_chunk_chars, "
                "requests, documents, bytes, status, submitted_at, updated_at) "
                "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [b.batch_id, b.input_file_id, b.model, *job_values(b.job),
                 json.dumps(b.params, sort_keys=True), b.max_chunk_chars, b.requests,
                 b.documents, b.bytes, b.status, stamp, stamp],
            )  # fmt: skip
            local = int(cursor.lastrowid or 0)
            self.db.conn.executemany(
                "insert or ignore into batch_documents values (?, ?)",
                [(local, document) for document in documents],
            )
            self.db.conn.executemany(
                "insert into batch_requests (batch, custom_id, document_id, chunk_start, "
                "chunk_end) values (?, ?, ?, ?, ?)",
                [(local, r.custom_id, r.document_id, r.chunk_start, r.chunk_end)
                 for r in requests],
            )  # fmt: skip
        return local

    def created(self, local_id: int, batch_id: str, status: str) -> None:
        """The provider created batch `local_id` as `batch_id`."""
        with self.db.conn:
            self.db.conn.execute(
                "update batches set batch_id = ?, status = ?, updated_at = ? where id = ?",
                [batch_id, status, now(), local_id],
            )

    # -- polling -----------------------------------------------------------------

    def update(
        self,
        local_id: int,
        status: str,
        completed: int,
        failed: int,
        output_file_id: str | None,
        error_file_id: str | None,
    ) -> None:
        """The batch's status and request counts as the provider last reported them."""
        with self.db.conn:
            self.db.conn.execute(
                "update batches set status = ?, completed = ?, failed = ?, output_file_id = ?, "
                "error_file_id = ?, updated_at = ? where id = ?",
                [status, completed, failed, output_file_id, error_file_id, now(), local_id],
            )

    def never_created(self, local_id: int) -> None:
        """Close a batch recorded but never created, as cancelled: its documents are pending again.

        Its input file was uploaded but no batch runs it: nothing is paid for.
        """
        stamp = now()
        with self.db.conn:
            self.db.conn.execute(
                "update batches set status = 'cancelled', collected_at = ?, updated_at = ? "
                "where id = ? and batch_id is null",
                [stamp, stamp, local_id],
            )

    def all(self, open_only: bool = False) -> list[StoredBatch]:
        """Every batch (or those not collected yet), oldest first."""
        where = " where collected_at is null" if open_only else ""
        rows = self._rows(f"select * from batches{where} order by id")
        return [decode(StoredBatch, row, job=job_key_of(row)) for row in rows]

    def get(self, local_id: int) -> StoredBatch:
        row = self._rows("select * from batches where id = ?", [local_id])[0]
        return decode(StoredBatch, row, job=job_key_of(row))

    # -- collecting --------------------------------------------------------------

    def save_answers(self, local_id: int, answers: Iterable[BatchAnswer]) -> int:
        """Keep what the batch answered to its requests, in one transaction; how many were kept.

        Lines for requests the batch does not hold are ignored. Once saved, the
        result files are not downloaded again.
        """
        kept = 0
        with self.db.conn:
            for answer in answers:
                cursor = self.db.conn.execute(
                    "update batch_requests set status = ?, body = ?, error = ? "
                    "where batch = ? and custom_id = ?",
                    [answer.status, answer.body, answer.error, local_id, answer.custom_id],
                )
                kept += cursor.rowcount
            self.db.conn.execute(
                "update batches set results_saved = 1, updated_at = ? where id = ?",
                [now(), local_id],
            )
        return kept

    def save_answers_by_request(
        self, local_ids: Sequence[int], answers: Iterable[BatchAnswer]
    ) -> list[str]:
        """Keep answers to the requests of batches `local_ids`, wherever each request is.

        For result files made elsewhere (``collect --results``), whose lines name
        no batch: each answer goes to the request of that ``custom_id`` in these
        batches, in one transaction (a file that fails half-way keeps nothing).
        Each batch's counts of answered and failed requests are updated. Returns
        the ``custom_id`` values no request of these batches holds, in file order.
        """
        unmatched: list[str] = []
        local_marks = marks(len(local_ids))
        with self.db.conn:
            for answer in answers:
                cursor = self.db.conn.execute(
                    "update batch_requests set status = ?, body = ?, error = ? "
                    f"where batch in ({local_marks}) and custom_id = ?",
                    [answer.status, answer.body, answer.error, *local_ids, answer.custom_id],
                )
                if not cursor.rowcount:
                    unmatched.append(answer.custom_id)
            self.db.conn.execute(
                "update batches set "
                "completed = (select count(*) from batch_requests r where r.batch = batches.id "
                "and r.status = 200 and r.error is null), "
                "failed = (select count(*) from batch_requests r where r.batch = batches.id "
                "and r.status is not null and not (r.status = 200 and r.error is null)), "
                f"updated_at = ? where id in ({local_marks})",
                [now(), *local_ids],
            )
        return unmatched

    def known_requests(self, custom_ids: Sequence[str], chunk: int = 500) -> set[str]:
        """Those of `custom_ids` that are a request of some batch, open or collected."""
        known: set[str] = set()
        for start in range(0, len(custom_ids), chunk):
            part = list(custom_ids[start : start + chunk])
            rows = self.db.execute(
                "select distinct custom_id from batch_requests "
                f"where custom_id in ({marks(len(part))})",
                part,
            ).fetchall()
            known.update(row[0] for row in rows)
        return known

    def request_answered(self, local_id: int, custom_id: str) -> bool:
        """Whether request `custom_id` of the batch has a result (an answer or an error)."""
        row = self.db.execute(
            "select status is not null from batch_requests where batch = ? and custom_id = ?",
            [local_id, custom_id],
        ).fetchone()
        return bool(row and row[0])

    def count_unanswered(self, local_id: int) -> int:
        """Requests of the batch with no result yet: it stays open while there are any."""
        row = self.db.execute(
            "select count(*) from batch_requests where batch = ? and status is null", [local_id]
        ).fetchone()
        return int(row[0])

    def answer(self, local_id: int, custom_id: str) -> BatchAnswer | None:
        """What batch `local_id` answered to request `custom_id` (None: no such request)."""
        rows = self._rows(
            "select custom_id, status, body, error from batch_requests "
            "where batch = ? and custom_id = ?",
            [local_id, custom_id],
        )
        if not rows:
            return None
        row = rows[0]
        error = row["error"] if row["status"] else row["error"] or "not in the batch's results"
        return BatchAnswer(row["custom_id"], row["status"] or 0, row["body"] or "{}", error)

    def count_pending(self, local_id: int, job: JobKey) -> int:
        """Documents of the batch with no prediction for `job` yet."""
        row = self.db.execute(
            "select count(*) from batch_documents bd join documents d on d.id = bd.document_id "
            f"where bd.batch = ? and {UNPREDICTED}",
            [local_id, *job_values(job)],
        ).fetchone()
        return int(row[0])

    def iter_pending(self, local_id: int, job: JobKey, batch: int = 256) -> Iterator[Document]:
        """Documents of the batch with no prediction for `job` yet, in the order they were sent."""
        sql = (
            "select bd.rowid, d.id, d.text, d.source, d.metadata from batch_documents bd "
            "join documents d on d.id = bd.document_id "
            f"where bd.rowid > ? and bd.batch = ? and {UNPREDICTED}"
        )
        for row in self._paged(sql, [local_id, *job_values(job)], batch):
            yield document_of(row)

    def collecting(self, local_id: int, run_id: int) -> None:
        """Collection of the batch runs as pre-annotation run `run_id`."""
        with self.db.conn:
            self.db.conn.execute(
                "update batches set collect_run_id = ?, updated_at = ? where id = ?",
                [run_id, now(), local_id],
            )

    def collected(self, local_id: int) -> None:
        """Every document of the batch went through collection: close it.

        Its answers' bodies are dropped: the valid ones are in the call cache
        now, where the online route finds them too.
        """
        stamp = now()
        with self.db.conn:
            self.db.conn.execute(
                "update batches set collected_at = ?, updated_at = ? where id = ?",
                [stamp, stamp, local_id],
            )
            self.db.conn.execute("update batch_requests set body = null where batch = ?",
                                 [local_id])  # fmt: skip
