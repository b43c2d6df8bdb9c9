"""The store's tables for comparisons verified by people (migration m009).

A mixin of `Store`, kept in its own module so that the comparison's
verification (its Label Studio tasks, the answers pulled back, the verdicts
adjudicated from them and the facts they verify) reads as one piece:

* `comparison_tasks`: claim pair -> Label Studio task and the prediction it shows;
* `comparison_annotations`: every annotator's answer, as pulled;
* `verified_verdicts`: the verdict adjudicated from those answers, per pair;
* `facts`: the facts of the last finished comparison, with their verification.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from typing import Any

from sqlite_utils import Database

from .migrations import now
from .rows import (
    ClaimPair,
    ClaimRef,
    ComparisonRun,
    ComparisonTask,
    PulledAnnotation,
    PulledVerdict,
    StoredFact,
    StoredVerdict,
    VerifiedVerdict,
)

_PAIR_COLUMNS = "a_doc, a_start, a_end, b_doc, b_start, b_end"


class VerificationTables:
    """Typed access to the verification tables; `Store` provides `db` and `_rows`."""

    db: Database

    def _rows(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[sqlite3.Row]:
        raise NotImplementedError  # provided by Store

    def comparisons(self) -> list[ComparisonRun]:
        raise NotImplementedError  # provided by Store

    # -- the last comparison's verdicts ------------------------------------------

    def last_comparison(self) -> ComparisonRun | None:
        """The last comparison that finished (its verdicts are the ones kept)."""
        finished = [run for run in self.comparisons() if run.status == "finished"]
        return finished[-1] if finished else None

    def iter_verdicts(self, comparison_id: int, batch: int = 2048) -> Iterator[StoredVerdict]:
        """A comparison's verdicts in the order they were judged, a page at a time."""
        after = 0
        while True:
            rows = self._rows(
                "select rowid, * from verdicts where comparison_id = ? and rowid > ? "
                f"order by rowid limit {int(batch)}",
                [comparison_id, after],
            )
            if not rows:
                return
            after = rows[-1]["rowid"]
            yield from (_verdict(row) for row in rows)

    # -- Label Studio tasks of pairs ----------------------------------------------

    def comparison_projects(self, server: str) -> list[int]:
        """The Label Studio projects on `server` this store made comparison tasks in."""
        rows = self.db.execute(
            "select distinct project_id from comparison_tasks where server = ? "
            "order by project_id",
            [server],
        ).fetchall()
        return [int(row[0]) for row in rows]

    def comparison_tasks(self, server: str, project_id: int) -> dict[str, ComparisonTask]:
        """Pair key -> its task in one comparisons project on one server."""
        rows = self._rows(
            "select * from comparison_tasks where server = ? and project_id = ?",
            [server, project_id],
        )
        return {row["pair_key"]: _task(row) for row in rows}

    def record_comparison_tasks(self, tasks: Sequence[ComparisonTask]) -> None:
        stamp = now()
        with self.db.conn:
            self.db.conn.executemany(
                "insert or replace into comparison_tasks values "
                "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(t.server, t.project_id, t.pair.key, *_pair_values(t.pair), t.task_id,
                  t.prediction_id, t.prediction_digest, t.relation, stamp)
                 for t in tasks],
            )  # fmt: skip

    # -- answers pulled back ------------------------------------------------------

    def upsert_pulled_verdict(self, pulled: PulledVerdict) -> str:
        """Store one pulled answer: 'new', 'updated' (edited since) or 'unchanged'."""
        row = pulled_before(self.db, "comparison_annotations", pulled)
        if row is not None and row == (pulled.updated_at, pulled.result):
            return "unchanged"
        p = pulled
        with self.db.conn:
            self.db.conn.execute(
                "insert or replace into comparison_annotations values "
                "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [p.server, p.project_id, p.annotation_id, p.task_id, p.pair.key,
                 *_pair_values(p.pair), p.annotator, p.annotator_id, p.created_at,
                 p.updated_at, p.lead_time, int(p.was_cancelled), int(p.ground_truth),
                 p.result, p.verdict, p.error, now()],
            )  # fmt: skip
        return "new" if row is None else "updated"

    def iter_pulled_verdicts(self) -> Iterator[list[PulledVerdict]]:
        """Every pulled answer, a pair at a time (pairs in key order; by annotator, then time)."""
        cursor = self.db.conn.execute(
            "select * from comparison_annotations order by pair_key, annotator, updated_at, "
            "annotation_id"
        )
        cursor.row_factory = sqlite3.Row
        group: list[PulledVerdict] = []
        for row in cursor:
            pulled = _pulled_verdict(row)
            if group and group[0].pair.key != pulled.pair.key:
                yield group
                group = []
            group.append(pulled)
        if group:
            yield group

    def has_pulled_verdicts(self) -> bool:
        found = self.db.execute("select 1 from comparison_annotations limit 1").fetchone()
        return found is not None

    # -- adjudicated verdicts -------------------------------------------------------

    def replace_verified_verdicts(self, verdicts: Sequence[VerifiedVerdict]) -> None:
        """Keep these adjudicated verdicts in place of the earlier ones (made from all answers)."""
        stamp = now()
        with self.db.conn:
            self.db.conn.execute("delete from verified_verdicts")
            self.db.conn.executemany(
                "insert into verified_verdicts values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(v.pair.key, *_pair_values(v.pair), v.verdict, v.status, v.method,
                  json.dumps(v.answers, sort_keys=True), json.dumps(v.task_ids), int(v.tie),
                  stamp)
                 for v in verdicts],
            )  # fmt: skip

    def verified_verdicts(self) -> dict[str, VerifiedVerdict]:
        """Pair key -> the verdict people gave it (as kept by the last gold pass)."""
        rows = self._rows("select * from verified_verdicts order by pair_key")
        return {row["pair_key"]: _verified(row) for row in rows}

    # -- facts ------------------------------------------------------------------------

    def replace_facts(self, comparison_id: int, facts: Sequence[StoredFact]) -> None:
        """Keep the facts of `comparison_id` in place of every earlier comparison's."""
        with self.db.conn:
            self.db.conn.execute("delete from facts")
            self.db.conn.executemany(
                "insert into facts values (?, ?, ?, ?, ?, ?, ?)",
                [(comparison_id, f.id, f.proposition,
                  json.dumps([[c.doc_id, c.start, c.end] for c in f.claims]),
                  json.dumps(f.sources, ensure_ascii=False), f.status, json.dumps(f.contradicts))
                 for f in facts],
            )  # fmt: skip

    def iter_facts(self) -> Iterator[StoredFact]:
        """The kept facts, in the order the comparison ranked them."""
        cursor = self.db.conn.execute("select * from facts order by rowid")
        cursor.row_factory = sqlite3.Row
        for row in cursor:
            yield _fact(row)


def pulled_before(db: Database, table: str, pulled: PulledAnnotation | PulledVerdict
                  ) -> tuple[str, str] | None:  # fmt: skip
    """When and what an annotation was last pulled as, if it was: same means unchanged."""
    row = db.execute(
        f"select updated_at, result from {table} "
        "where server = ? and project_id = ? and annotation_id = ?",
        [pulled.server, pulled.project_id, pulled.annotation_id],
    ).fetchone()
    return None if row is None else (row[0], row[1])


def _pair_values(pair: ClaimPair) -> tuple[Any, ...]:
    a, b = pair.a, pair.b
    return (a.doc_id, a.start, a.end, b.doc_id, b.start, b.end)


def _pair(row: sqlite3.Row) -> ClaimPair:
    return ClaimPair(
        ClaimRef(row["a_doc"], row["a_start"], row["a_end"]),
        ClaimRef(row["b_doc"], row["b_start"], row["b_end"]),
    )


def _verdict(row: sqlite3.Row) -> StoredVerdict:
    pair = _pair(row)
    return StoredVerdict(
        row["comparison_id"], row["key"], row["judge"], pair.a, pair.b, row["relation"],
        row["detail"], row["value_pair"], row["rationale"], row["similarity"],
    )  # fmt: skip


def _task(row: sqlite3.Row) -> ComparisonTask:
    return ComparisonTask(
        row["server"], row["project_id"], _pair(row), row["task_id"], row["prediction_id"],
        row["prediction_digest"], row["relation"],
    )  # fmt: skip


def _pulled_verdict(row: sqlite3.Row) -> PulledVerdict:
    return PulledVerdict(
        server=row["server"],
        project_id=row["project_id"],
        annotation_id=row["annotation_id"],
        task_id=row["task_id"],
        pair=_pair(row),
        annotator=row["annotator"],
        annotator_id=row["annotator_id"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        lead_time=row["lead_time"],
        was_cancelled=bool(row["was_cancelled"]),
        ground_truth=bool(row["ground_truth"]),
        result=row["result"],
        verdict=row["verdict"],
        error=row["error"],
        pulled_at=row["pulled_at"],
    )


def _verified(row: sqlite3.Row) -> VerifiedVerdict:
    return VerifiedVerdict(
        _pair(row), row["verdict"], row["status"], row["method"], json.loads(row["answers"]),
        json.loads(row["task_ids"]), bool(row["tie"]),
    )  # fmt: skip


def _fact(row: sqlite3.Row) -> StoredFact:
    return StoredFact(
        row["comparison_id"], row["id"], row["proposition"],
        [ClaimRef(*claim) for claim in json.loads(row["claims"])], json.loads(row["sources"]),
        row["status"], json.loads(row["contradicts"]),
    )  # fmt: skip
