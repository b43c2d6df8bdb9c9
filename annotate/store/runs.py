"""Pre-annotation runs and the documents they failed on: what `annotate runs` shows.

A run is recorded as ``running`` when it starts, held by its process's lease, and
with its counts when it ends; a run whose process died before that is read back as
``killed``, counted from the rows it did store.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import astuple, dataclass, fields, replace
from typing import Any

from .leases import holder_of, is_live
from .migrations import now
from .repository import Repository, decode


@dataclass(frozen=True)
class RunSpec:
    """What a pre-annotation run was asked to do."""

    provider: str
    model: str
    model_version: str
    prompt_version: str
    schema_version: str
    #: Parameters that change the output (never credentials or endpoints).
    params: dict[str, Any]
    concurrency: int
    #: USD per 1M input and output tokens; None when the model has no known price.
    price_input: float | None = None
    price_output: float | None = None


@dataclass
class RunCounts:
    """What a run did: counted live (the progress bar) and stored when it ends."""

    documents: int = 0
    predicted: int = 0
    failed: int = 0
    cached_calls: int = 0
    llm_calls: int = 0
    requests: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    spans: int = 0
    hallucinations: int = 0


#: A run's status while its process works, and when that process died before recording its end.
RUNNING, KILLED = "running", "killed"


@dataclass(frozen=True)
class Run:
    id: int
    spec: RunSpec
    started_at: str
    finished_at: str | None
    status: str
    counts: RunCounts
    #: Why a ``stopped`` run ended early (None for the others).
    stop_reason: str | None = None

    @property
    def cost_known(self) -> bool:
        """Whether `counts.cost_usd` is a cost (a price was known), not an unknown shown as 0."""
        return self.spec.price_input is not None or self.counts.cost_usd > 0

    def as_json(self) -> dict[str, Any]:
        """The run as one flat JSON object (`annotate runs --json`)."""
        return {
            "id": self.id,
            **{f.name: getattr(self.spec, f.name) for f in fields(RunSpec)},
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "status": self.status,
            "stop_reason": self.stop_reason,
            **{f.name: getattr(self.counts, f.name) for f in fields(RunCounts)},
        }


@dataclass(frozen=True)
class Failure:
    run_id: int
    document_id: str
    reason: str
    detail: str
    id: int = 0
    created_at: str = ""


class Runs(Repository):
    """The `runs` and `failures` tables: what each pre-annotation run did, and where it failed.

    Reached as ``store.runs``.
    """

    def start(self, spec: RunSpec, holder_id: int | None = None) -> int:
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

    def finish(
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

    def all(self) -> list[Run]:
        """Every run; a ``running`` one whose process died reads ``killed`` (see `_killed`)."""
        return [
            self._killed(run) if run.status == RUNNING and not self._alive(row) else run
            for row in self._rows("select * from runs order by id")
            for run in [_run(row)]
        ]

    def _alive(self, row: sqlite3.Row) -> bool:
        """Is the run's process still at it? Its holder is dropped or dead once it is not."""
        held = row["holder_id"]
        holder = holder_of(self.db.conn, held) if held is not None else None
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

    def add_failure(self, failure: Failure) -> None:
        with self.db.conn:
            self.db.conn.execute(
                "insert into failures (run_id, document_id, reason, detail, created_at) "
                "values (?, ?, ?, ?, ?)",
                [failure.run_id, failure.document_id, failure.reason, failure.detail[:2000],
                 now()],
            )  # fmt: skip

    def failures(self, run_id: int | None = None) -> list[Failure]:
        if run_id is None:
            rows = self._rows("select * from failures order by id")
        else:
            rows = self._rows("select * from failures where run_id = ? order by id", [run_id])
        return [decode(Failure, row) for row in rows]


def _run(row: sqlite3.Row) -> Run:
    counts = RunCounts(**{f.name: row[f.name] or 0 for f in fields(RunCounts)})
    return decode(Run, row, spec=decode(RunSpec, row), counts=counts)
