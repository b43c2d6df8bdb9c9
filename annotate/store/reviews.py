"""The review of ties (issue 21): documents whose annotators split evenly, and reviewers' answers.

`annotate push --review` sends each document whose gold waits on a tie to a review
project (recorded in `review_tasks`, with the ties it was sent for);
`annotate pull --review` keeps each reviewer's answer in `reviews`, a row like a
pulled annotation (`PulledAnnotation`), so that the gold pass can take a document's
latest valid review as its gold. Reviews are not annotations: they never take part
in agreement.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from .annotations import PulledAnnotation
from .gold import UNRESOLVED
from .migrations import now
from .pulled import upsert_pulled
from .repository import Repository, decode, document_tasks, projects_in


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
