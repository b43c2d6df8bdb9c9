"""The review of ties (issue 21): documents and claim pairs whose annotators split evenly, and
reviewers' answers.

`annotate push --review` sends each document whose gold waits on a tie to a review
project (recorded in `review_tasks`, with the ties it was sent for);
`annotate pull --review` keeps each reviewer's answer in `reviews`, a row like a
pulled annotation (`PulledAnnotation`), so that the gold pass can take a document's
latest valid review as its gold. Reviews are not annotations: they never take part
in agreement. Claim pairs whose verdict tied are reviewed alike in a project of their
own (`PairReviews`: their tasks show the comparisons' labeling config).
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from .annotations import PulledAnnotation
from .comparisons import ClaimPair, pair_columns, pair_of, pair_values
from .gold import UNRESOLVED
from .migrations import now
from .pulled import upsert_pulled
from .repository import Repository, decode, document_tasks, projects_in
from .verification import PulledVerdict

#: A pair's kept verdict that waits on a tie: a majority vote that tied, not reviewed.
PAIR_UNRESOLVED = "method = 'majority' and tie = 1"


class Reviews(Repository):
    """The `review_tasks` and `reviews` tables. Reached as ``store.reviews``."""

    def projects(self, server: str) -> list[int]:
        """The Label Studio projects on `server` this store sent reviews of ties to."""
        return projects_in(self.db, "review_tasks", server)

    def of_project(self, server: str, project_id: int) -> dict[str, int]:
        """document id -> review task id, for one project on one server."""
        return document_tasks(self.db, "review_tasks", server, project_id)

    def record(self, server: str, project_id: int, tasks: dict[str, tuple[int, list[str]]]) -> None:
        """Record review tasks: document id -> (task id, the ties it was sent for)."""
        stamp = now()
        with self.db.conn:
            self.db.conn.executemany(
                "insert or replace into review_tasks values (?, ?, ?, ?, ?, ?)",
                [(server, project_id, doc, task, json.dumps(ties, ensure_ascii=False), stamp)
                 for doc, (task, ties) in tasks.items()],
            )  # fmt: skip

    def unsent(self, server: str, project_id: int) -> Iterator[tuple[str, list[str]]]:
        """(document id, its ties) of each document whose gold waits on a tie and that has no
        review task in the project yet, by document id."""
        rows = self.db.execute(
            f"select document_id, ties from gold where {UNRESOLVED} and document_id not in "
            "(select document_id from review_tasks where server = ? and project_id = ?) "
            "order by document_id",
            [server, project_id],
        ).fetchall()
        yield from ((str(doc), list(json.loads(ties))) for doc, ties in rows)

    def upsert(self, pulled: PulledAnnotation) -> str:
        """Keep one reviewer's answer: 'new', 'updated' (edited since) or 'unchanged'."""
        columns = {"document_id": pulled.document_id, "annotation": pulled.annotation}
        return upsert_pulled(self.db, "reviews", pulled, columns)

    def pulled(self) -> list[PulledAnnotation]:
        """Every pulled review (skips and unconverted ones too), by task."""
        rows = self._rows("select * from reviews order by task_id, annotation_id")
        return [decode(PulledAnnotation, row) for row in rows]


class PairReviews(Repository):
    """The `pair_review_tasks` and `pair_reviews` tables (migration m017): claim pairs whose
    verdict tied, sent for review, and the reviewers' answers. Reached as ``store.pair_reviews``.

    A pair's verdict waits for review while the kept verdict (`verified_verdicts`) tied
    and was not settled by a review; a reviewer's latest valid answer settles it at the
    next verification pass. Reviews are not answers: they never take part in agreement.
    """

    def projects(self, server: str) -> list[int]:
        """The Label Studio projects on `server` this store sent pairs' reviews to."""
        return projects_in(self.db, "pair_review_tasks", server)

    def of_project(self, server: str, project_id: int) -> dict[int, ClaimPair]:
        """Review task id -> its claim pair, for one project on one server."""
        rows = self._rows(
            "select * from pair_review_tasks where server = ? and project_id = ?",
            [server, project_id],
        )
        return {int(row["task_id"]): pair_of(row) for row in rows}

    def record(
        self, server: str, project_id: int, tasks: list[tuple[ClaimPair, int, list[str]]]
    ) -> None:
        """Record review tasks: (pair, task id, what its annotators split on)."""
        stamp = now()
        with self.db.conn:
            self.db.conn.executemany(
                "insert or replace into pair_review_tasks values "
                "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(server, project_id, pair.key, *pair_values(pair), task,
                  json.dumps(ties), stamp) for pair, task, ties in tasks],
            )  # fmt: skip

    def unsent(self, server: str, project_id: int) -> Iterator[ClaimPair]:
        """Each pair whose kept verdict waits on a tie and that has no review task in the
        project yet, by pair key."""
        rows = self._rows(
            f"select * from verified_verdicts where {PAIR_UNRESOLVED} and pair_key not in "
            "(select pair_key from pair_review_tasks where server = ? and project_id = ?) "
            "order by pair_key",
            [server, project_id],
        )
        yield from (pair_of(row) for row in rows)

    def upsert(self, pulled: PulledVerdict) -> str:
        """Keep one reviewer's answer: 'new', 'updated' (edited since) or 'unchanged'."""
        columns = {**pair_columns(pulled.pair), "verdict": pulled.verdict}
        return upsert_pulled(self.db, "pair_reviews", pulled, columns)

    def latest(self) -> dict[str, str]:
        """Pair key -> the latest valid review's verdict (JSON): not a skip, converted."""
        rows = self.db.execute(
            "select pair_key, verdict from pair_reviews where verdict is not null and "
            "was_cancelled = 0 order by pair_key, updated_at, annotation_id"
        ).fetchall()
        return {str(key): str(verdict) for key, verdict in rows}
