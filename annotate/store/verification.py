"""The comparisons people verify in Label Studio (migration m009).

Kept apart from `comparisons` so that the verification of a comparison (its tasks, the
answers pulled back, the verdicts adjudicated from them) reads as one piece:

* `comparison_tasks`: claim pair -> Label Studio task and the prediction it shows;
* `comparison_annotations`: every annotator's answer, as pulled;
* `verified_verdicts`: the verdict adjudicated from those answers, per pair.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from .comparisons import ClaimPair, pair_columns, pair_of, pair_values
from .migrations import now
from .pulled import PulledRow, upsert_pulled
from .repository import Repository, decode, projects_in, streamed

#: How a tie nobody reviewed yet is marked (as the documents' ties are, `gold.report`).
WAITING_FOR_REVIEW = "waiting for review"


@dataclass(frozen=True)
class ComparisonTask:
    """A claim pair's task in a Label Studio comparisons project, and the prediction it shows."""

    server: str
    project_id: int
    pair: ClaimPair
    task_id: int
    #: Label Studio's id of the judge's verdict shown as the task's prediction
    prediction_id: int | None
    #: a digest of that verdict: a different verdict replaces the prediction
    prediction_digest: str | None
    #: the relation the judge gave when the pair was sent (the stratum of a sample)
    relation: str


@dataclass(frozen=True, kw_only=True)
class PulledVerdict(PulledRow):
    """One annotator's answer on a comparisons task, as `annotate pull --comparisons` read it."""

    pair: ClaimPair
    #: The converted `Verdict` as JSON; None for a skip or when it did not convert.
    verdict: str | None


@dataclass(frozen=True)
class VerifiedVerdict:
    """The verdict people gave a pair, adjudicated like the gold (see `gold.verdicts`)."""

    pair: ClaimPair
    #: the adjudicated `Verdict` as JSON
    verdict: str
    #: "verified" (the annotators agree, or a reviewer or a single annotator decided) or
    #: "contested" (they disagree; the vote still decides, see `method`)
    status: str
    #: "reviewer", "majority", "single" or "review" (a reviewer settled a tie)
    method: str
    #: annotator -> the relation they chose
    answers: dict[str, str]
    task_ids: list[int]
    #: whether the vote (on the relation, or a contradiction's detail) was an exact tie:
    #: never settled by annotator order, it waits for a review (`resolution`)
    tie: bool = False

    @property
    def resolution(self) -> str | None:
        """How a tie was resolved: "review", or "waiting for review" (the least of the tied
        answers stands in meanwhile); None when the vote did not tie."""
        if not self.tie:
            return None
        return "review" if self.method == "review" else WAITING_FOR_REVIEW


class Verification(Repository):
    """The tables of verified comparisons: tasks, pulled answers, adjudicated verdicts.

    Reached as ``store.verification``.
    """

    def projects(self, server: str) -> list[int]:
        """The Label Studio projects on `server` this store made comparison tasks in."""
        return projects_in(self.db, "comparison_tasks", server)

    def tasks(self, server: str, project_id: int) -> dict[str, ComparisonTask]:
        """Pair key -> its task in one comparisons project on one server."""
        rows = self._rows(
            "select * from comparison_tasks where server = ? and project_id = ?",
            [server, project_id],
        )
        return {row["pair_key"]: decode(ComparisonTask, row, pair=pair_of(row)) for row in rows}

    def record_tasks(self, tasks: Sequence[ComparisonTask]) -> None:
        stamp = now()
        with self.db.conn:
            self.db.conn.executemany(
                "insert or replace into comparison_tasks values "
                "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(t.server, t.project_id, t.pair.key, *pair_values(t.pair), t.task_id,
                  t.prediction_id, t.prediction_digest, t.relation, stamp)
                 for t in tasks],
            )  # fmt: skip

    def upsert_pulled(self, pulled: PulledVerdict) -> str:
        """Store one pulled answer: 'new', 'updated' (edited since) or 'unchanged'."""
        columns = {**pair_columns(pulled.pair), "verdict": pulled.verdict}
        return upsert_pulled(self.db, "comparison_annotations", pulled, columns)

    def iter_pulled(self) -> Iterator[list[PulledVerdict]]:
        """Every pulled answer, a pair at a time (pairs in key order; by annotator, then time)."""
        rows = streamed(
            self.db.conn,
            "select * from comparison_annotations order by pair_key, annotator, updated_at, "
            "annotation_id",
        )
        group: list[PulledVerdict] = []
        for row in rows:
            pulled = decode(PulledVerdict, row, pair=pair_of(row))
            if group and group[0].pair.key != pulled.pair.key:
                yield group
                group = []
            group.append(pulled)
        if group:
            yield group

    def latest_answers(self, pair: ClaimPair) -> dict[str, str]:
        """Annotator -> their latest verdict (JSON) on `pair`: skips and answers that did not
        convert are left out, as the vote leaves them out."""
        rows = self.db.execute(
            "select annotator, verdict, was_cancelled from comparison_annotations "
            "where pair_key = ? order by annotator, updated_at, annotation_id",
            [pair.key],
        ).fetchall()
        return {str(who): str(verdict) for who, verdict, cancelled in rows
                if verdict is not None and not cancelled}  # fmt: skip

    def has_pulled(self) -> bool:
        found = self.db.execute("select 1 from comparison_annotations limit 1").fetchone()
        return found is not None

    def replace_verified(self, verdicts: Sequence[VerifiedVerdict]) -> None:
        """Keep these adjudicated verdicts in place of the earlier ones (made from all answers)."""
        stamp = now()
        with self.db.conn:
            self.db.conn.execute("delete from verified_verdicts")
            self.db.conn.executemany(
                "insert into verified_verdicts values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(v.pair.key, *pair_values(v.pair), v.verdict, v.status, v.method,
                  json.dumps(v.answers, sort_keys=True), json.dumps(v.task_ids), int(v.tie),
                  stamp)
                 for v in verdicts],
            )  # fmt: skip

    def verified(self) -> dict[str, VerifiedVerdict]:
        """Pair key -> the verdict people gave it (as kept by the last gold pass)."""
        rows = self._rows("select * from verified_verdicts order by pair_key")
        return {row["pair_key"]: decode(VerifiedVerdict, row, pair=pair_of(row)) for row in rows}
