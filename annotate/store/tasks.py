"""The documents' Label Studio tasks, and which predictions were pushed to them.

`annotate push` records each task it made (a document per project and server) and
each prediction it sent, so a re-run sends only new documents and new predictions.
"""

from __future__ import annotations

from collections.abc import Iterator

from .documents import Document
from .migrations import now
from .predictions import PREDICTION, Prediction, prediction_of, with_latest
from .repository import Repository, document_tasks, projects_in

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


class StudioTasks(Repository):
    """The `studio_tasks` and `studio_predictions` tables: what push sent where.

    Reached as ``store.tasks``.
    """

    def projects(self, server: str) -> list[int]:
        """The Label Studio projects on `server` this store made document tasks in."""
        return projects_in(self.db, "studio_tasks", server)

    def of_project(self, server: str, project_id: int) -> dict[str, int]:
        """document id -> Label Studio task id, for one project on one server."""
        return document_tasks(self.db, "studio_tasks", server, project_id)

    def record(self, server: str, project_id: int, pairs: dict[str, int]) -> None:
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
        return with_latest(self, f" and {_UNTASKED}", [server, project_id], batch)

    def count_untasked(self, server: str, project_id: int) -> int:
        return int(
            self.db.execute(
                f"select count(*) from documents d where {_UNTASKED}",
                [server, project_id],
            ).fetchone()[0]
        )

    def iter_unpushed(
        self, server: str, project_id: int, batch: int = 256
    ) -> Iterator[tuple[int, Prediction]]:
        """(task id, latest prediction) of tasked documents whose latest was not pushed."""
        sql = (
            f"select t.rowid, t.task_id, {PREDICTION} from {_TASKS_LATEST} "
            f"where t.rowid > ? and {_UNPUSHED}"
        )
        for row in self._paged(sql, [server, project_id], batch):
            yield int(row["task_id"]), prediction_of(row)

    def count_unpushed(self, server: str, project_id: int) -> int:
        sql = f"select count(*) from {_TASKS_LATEST} where {_UNPUSHED}"
        return int(self.db.execute(sql, [server, project_id]).fetchone()[0])

    def record_pushed(
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
