"""The order Label Studio serves a project's tasks in (`annotate push --order`).

Label Studio picks an annotator's next task by the project's ``sampling``
(``projects/models.py``; ``projects/functions/next_task.py`` serves it):

* ``uncertainty``: "Uncertainty sampling", the task whose prediction of the
  project's model version has the **lowest score** first. The score is
  1 - the estimated P(the extraction is wrong), the chance that it needs no
  correction (`preannotate.confidence`), so the predictions where annotators
  will find the most errors come first. (Label Studio serves that order to a project
  with at most one annotator member; with more it picks at random among the
  tasks, its own guard against two people taking the same task.)
* ``random``: "Uniform sampling", a task at random.
* ``disagreement``: "Sequential sampling", tasks in the Data Manager's order, and
  a Data Manager tab, `DISAGREEMENT_TAB`, ordered by the annotators'
  disagreement, most first: after a first pass, a reviewer working from that
  tab sees the documents annotators disagree on first.

Each task's data carries its prediction's score (`SCORE`) and, once pulled
annotations of two annotators or more exist, its disagreement
(`DISAGREEMENT`): columns the Data Manager sorts and filters. New tasks are
imported with them (`columns`); `apply_order` brings every other task's
columns, and the scores of predictions already in the project, up to date.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from annotate.errors import InputError

if TYPE_CHECKING:
    from label_studio_sdk import LabelStudio

#: --order -> Label Studio's sampling (`Project.SAMPLING_CHOICES`).
SAMPLING = {
    "uncertainty": "Uncertainty sampling",
    "disagreement": "Sequential sampling",
    "random": "Uniform sampling",
}
ORDERS = tuple(SAMPLING)
#: Task data columns: the prediction's score (P(no error)) and the annotators' disagreement.
SCORE = "score"
DISAGREEMENT = "disagreement"
#: The Data Manager tab a reviewer works from under --order disagreement.
DISAGREEMENT_TAB = "Disagreement first"


def check_order(order: str) -> str:
    if order not in SAMPLING:
        raise InputError(f"--order {order!r} is not one of {', '.join(ORDERS)}: choose one")
    return order


@dataclass(frozen=True)
class Ranking:
    """What orders the tasks: each document's prediction score and annotators' disagreement."""

    #: document id -> (model version of its latest prediction, its score)
    scores: Mapping[str, tuple[str, float]] = field(default_factory=dict)
    #: document id -> share of its items its annotators drew differently
    disagreements: Mapping[str, float] = field(default_factory=dict)

    def score(self, document_id: str) -> float | None:
        scored = self.scores.get(document_id)
        return None if scored is None else scored[1]

    def columns(self, document_id: str) -> dict[str, float]:
        """The task data columns of a document (those it has a value for)."""
        out = {}
        score = self.score(document_id)
        if score is not None:
            out[SCORE] = score
        if document_id in self.disagreements:
            out[DISAGREEMENT] = self.disagreements[document_id]
        return out


@dataclass
class OrderReport:
    order: str
    sampling: str
    tasks_updated: int = 0
    predictions_rescored: int = 0
    #: the Data Manager tab's id (--order disagreement)
    tab_id: int | None = None


def apply_order(
    client: LabelStudio,
    project_id: int,
    order: str,
    ranking: Ranking,
    tasks: Mapping[str, int],
) -> OrderReport:
    """Set the project's sampling, update task columns and prediction scores that changed.

    `tasks` is document id -> task id as the store recorded the push.
    """
    sampling = SAMPLING[check_order(order)]
    client.projects.update(id=project_id, sampling=sampling)
    report = OrderReport(order, sampling)
    documents = {task: document for document, task in tasks.items()}
    report.tasks_updated = _update_columns(client, project_id, ranking, documents)
    report.predictions_rescored = _rescore(client, project_id, ranking, documents)
    if order == "disagreement":
        report.tab_id = disagreement_tab(client, project_id)
    return report


def _update_columns(
    client: LabelStudio, project_id: int, ranking: Ranking, documents: Mapping[int, str]
) -> int:
    """Write each task's columns where they differ from what it holds (a stale one is dropped)."""
    updated = 0
    listed: Iterable[Any] = client.tasks.list(project=project_id, fields="all")
    for task in listed:
        document = documents.get(int(task.id))
        if document is None:
            continue
        data = dict(task.data or {})
        wanted = {**{k: v for k, v in data.items() if k not in (SCORE, DISAGREEMENT)},
                  **ranking.columns(document)}  # fmt: skip
        if wanted != data:
            client.tasks.update(id=str(task.id), data=wanted)
            updated += 1
    return updated


def _rescore(
    client: LabelStudio, project_id: int, ranking: Ranking, documents: Mapping[int, str]
) -> int:
    """Give the predictions already in the project their document's current score."""
    rescored = 0
    for prediction in client.predictions.list(project=project_id):
        document = documents.get(int(prediction.task or 0))
        scored = ranking.scores.get(document) if document else None
        if scored is None or prediction.model_version != scored[0]:
            continue
        if prediction.score is None or abs(prediction.score - scored[1]) > 1e-9:
            client.predictions.update(id=int(prediction.id or 0), score=scored[1])
            rescored += 1
    return rescored


def disagreement_tab(client: LabelStudio, project_id: int) -> int:
    """The project's Data Manager tab ordered by disagreement, most first (made when missing)."""
    data: dict[str, Any] = {
        "title": DISAGREEMENT_TAB,
        "ordering": [f"-tasks:data.{DISAGREEMENT}"],
        # ordered as numbers, not as text (data_manager/managers.py `apply_ordering`)
        "columnsDisplayType": {f"tasks:data.{DISAGREEMENT}": "Number",
                               f"tasks:data.{SCORE}": "Number"},
    }  # fmt: skip
    for view in client.views.list(project=project_id):
        if (view.data or {}).get("title") == DISAGREEMENT_TAB and view.id is not None:
            client.views.update(id=str(view.id), project=project_id, data=data)
            return int(view.id)
    made = client.views.create(project=project_id, data=data)
    return int(made.id or 0)
