"""The review of claim pairs' tied verdicts (issue 21): the review of ties, for claim pairs.

A pair's verdict ties when its annotators split evenly on the relation, or on a
contradiction's detail: the vote flags it (`gold.verdicts`) and the least of the tied
answers stands in until a reviewer settles it. `push_pair_review` sends each such pair
to a review project of its own (a Label Studio project has one labeling config: the
pairs' is the comparisons', the documents' review project has the documents'): the
pair's task as the comparisons project shows it, what the annotators split on above
it, and each annotator's verdict as a read-only prediction named for them
(``A: NAME``, ``B: NAME``: `review.answer_names`), side by side in the predictions
panel. `pull.pull(PairReviewKind(store), ...)` keeps the reviewer's verdict in
``store.pair_reviews``, converted by the verdicts' codec, and the next verification
pass takes it as the pair's verdict (method ``review``). Push and pull are those every
kind takes (`push.open_project`, `push.import_new`, `pull.pull`); what differs is said
here.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from annotate.codec import verdicts as V
from annotate.errors import InputError
from annotate.schemas import Verdict
from annotate.store import ClaimPair, PulledVerdict, Store

from .comparisons import VerdictKind
from .connection import studio_errors
from .labelconfig import comparison_config
from .push import TITLE_CHARS, import_new, open_project
from .push_comparisons import comparison_task_data
from .review import ReviewPushReport, answer_names, with_header

if TYPE_CHECKING:
    from label_studio_sdk import LabelStudio

#: The pairs' review project's default title (Label Studio takes 3 to 50 characters).
DEFAULT_PAIR_REVIEW_PROJECT = "annotate: review of verdict ties"
#: What the pairs' review project's title adds to a review project named with --project.
PAIR_REVIEW_SUFFIX = " (verdicts)"


def pair_review_title(review_title: str | None) -> str:
    """The pairs' review project beside the documents' review project `review_title` (the
    default one when None); an error naming --project when Label Studio would refuse it."""
    if review_title is None:
        return DEFAULT_PAIR_REVIEW_PROJECT
    title = review_title + PAIR_REVIEW_SUFFIX
    if len(title) > TITLE_CHARS[1]:
        raise InputError(
            f"--project {review_title!r}: claim pairs' ties go to the project {title!r}, "
            f"longer than the {TITLE_CHARS[1]} characters Label Studio takes: give a --project "
            f"of at most {TITLE_CHARS[1] - len(PAIR_REVIEW_SUFFIX)} characters"
        )
    return title


class PairReviewKind(VerdictKind):
    """Pairs' review tasks, as `kind.TaskKind`: a claim pair per task, a reviewer's `Verdict`
    per answer (converted as the annotators' are), kept in ``store.pair_reviews``."""

    name = "pair reviews"
    push_command = "annotate push --review"

    def projects(self, server: str) -> list[int]:
        return self.store.pair_reviews.projects(server)

    def recorded(self, server: str, project_id: int) -> dict[int, ClaimPair]:
        return self.store.pair_reviews.of_project(server, project_id)

    def keep(
        self, row: dict[str, Any], subject: ClaimPair | None, payload: str | None
    ) -> str | None:
        if subject is None:  # no pair to keep it under
            return None
        return self.store.pair_reviews.upsert(PulledVerdict(**row, pair=subject, verdict=payload))


@dataclass
class _PairReviewTask:
    """A pair whose tied verdict waits for a reviewer, and the task made of it."""

    pair: ClaimPair
    ties: list[str]
    payload: dict[str, Any]

    @property
    def size(self) -> tuple[int, int]:
        results = sum(len(p["result"]) for p in self.payload["predictions"])
        return results, sum(len(v) for v in self.payload["data"].values() if isinstance(v, str))


class PairReviewTasks(PairReviewKind):
    """Pairs sent for a review of their tied verdict: the `PushKind` of `push_pair_review`."""

    subjects = "pairs"

    def label_config(self) -> str:
        """The comparisons' config, with what the annotators split on above the claims."""
        return with_header(comparison_config(), "Annotators split evenly on the $ties")

    def item(self, pair: ClaimPair) -> _PairReviewTask:
        """The task: the pair as the comparisons project shows it, each annotator's verdict
        as a prediction named for them."""
        latest = self.store.verification.latest_answers(pair)
        answers = {who: Verdict.model_validate_json(raw) for who, raw in latest.items()}
        ties = split_on(answers.values())
        data = comparison_task_data(pair, self._quotes.document(pair.a.doc_id),
                                    self._quotes.document(pair.b.doc_id))  # fmt: skip
        data["ties"] = " and ".join(ties)
        quote_a, quote_b = self._quotes.quotes(pair)
        names = answer_names(answers)
        predictions = [V.verdict_prediction(verdict, quote_a, quote_b, names[who], 0.0)
                       for who, verdict in sorted(answers.items())]  # fmt: skip
        return _PairReviewTask(pair, ties, {"data": data, "predictions": predictions})

    def record(self, server: str, project_id: int, batch: list[Any], task_ids: list[int]) -> None:
        items = cast(list[_PairReviewTask], batch)
        self.store.pair_reviews.record(server, project_id, [
            (item.pair, task, item.ties) for item, task in zip(items, task_ids, strict=True)
        ])  # fmt: skip

    def adopt(self, server: str, project_id: int, found: list[tuple[Any, ClaimPair]]) -> None:
        """Adopt review tasks an interrupted push made (matched by their pair), with what
        their data says the annotators split on."""
        self.store.pair_reviews.record(server, project_id, [
            (pair, int(task.id), str((task.data or {}).get("ties") or "").split(" and "))
            for task, pair in found
        ])  # fmt: skip


def split_on(verdicts: Any) -> list[str]:
    """What annotators split on: the ``relation``, or (all calling it a contradiction) the
    ``detail``."""
    found = list(verdicts)
    return ["relation"] if len({v.relation for v in found}) > 1 else ["detail"]


@studio_errors
def push_pair_review(
    store: Store, client: LabelStudio, server: str, title: str = DEFAULT_PAIR_REVIEW_PROJECT
) -> ReviewPushReport:
    """A review task per claim pair whose kept verdict waits on a tie and has none in the
    project. Reads the verdicts the last verification pass kept
    (`workflows.review.push_review_of_ties` makes them first)."""
    kind = PairReviewTasks(store)
    project, created, recovered = open_project(kind, client, server, title)
    waiting: Iterator[_PairReviewTask] = (
        kind.item(pair) for pair in store.pair_reviews.unsent(server, project.id)
    )
    made = sum(len(batch) for batch in import_new(kind, client, server, project.id, waiting))
    return ReviewPushReport(project.id, f"{server}/projects/{project.id}/data", created, made,
                            recovered)  # fmt: skip
