"""The comparison-verdict kind of task: a claim pair per task, a `Verdict` per answer.

`pull.pull(VerdictKind(store), ...)` stores every annotator's answer on a comparisons
project, converted to a `Verdict` through the verdict codec and kept in
``store.verification``; a skip or an answer that does not convert is kept raw with
the reason, as for annotations. The tasks are made by `push_comparisons`.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from annotate.codec import ConversionError
from annotate.codec import verdicts as V
from annotate.errors import NotFoundError
from annotate.store import ClaimPair, ClaimRef, PulledVerdict, Store

#: The comparisons project's default title (Label Studio takes at most 50 characters:
#: the main title with ": comparisons" after it had 53, and every push of it failed).
DEFAULT_COMPARISONS_PROJECT = "annotate: news claim comparisons"
#: Documents whose text is kept at hand while tasks are built or answers converted.
DOCUMENTS_CACHED = 512


class Quotes:
    """The claims' text, keeping recently used documents at hand."""

    def __init__(self, store: Store) -> None:
        self.document = lru_cache(maxsize=DOCUMENTS_CACHED)(store.documents.get)

    def quotes(self, pair: ClaimPair) -> tuple[str, str]:
        return self._quote(pair.a), self._quote(pair.b)

    def _quote(self, ref: ClaimRef) -> str:
        return self.document(ref.doc_id).text[ref.start : ref.end]


class VerdictKind:
    """Comparison tasks, as `kind.TaskKind`: the subject is a claim pair."""

    name = "verdicts"
    push_command = "annotate push --comparisons"

    def __init__(self, store: Store) -> None:
        self.store = store
        self._quotes = Quotes(store)

    def projects(self, server: str) -> list[int]:
        return self.store.verification.projects(server)

    def recorded(self, server: str, project_id: int) -> dict[int, ClaimPair]:
        tasks = self.store.verification.tasks(server, project_id).values()
        return {task.task_id: task.pair for task in tasks}

    def subject_in(self, data: dict[str, Any]) -> ClaimPair | None:
        return pair_of(data)

    def foreign(self, subject: ClaimPair | None) -> bool:
        return False  # a task naming no pair is reported answer by answer

    def label(self, subject: ClaimPair | None) -> str | None:
        return None if subject is None else subject.key

    def convert(
        self, subject: ClaimPair | None, result: list[dict[str, Any]], skipped: bool
    ) -> tuple[str | None, str | None]:
        """The annotator's `Verdict` as JSON, or the reason it could not be made."""
        if subject is None:
            return None, "the task names no claim pair (not made by `annotate push --comparisons`)"
        if skipped:
            return None, None
        try:
            quote_a, quote_b = self._quotes.quotes(subject)
        except NotFoundError:
            return None, f"a claim of pair {subject.key} is in no document of this store"
        try:
            return V.results_to_verdict(result, quote_a, quote_b).model_dump_json(), None
        except ConversionError as exc:
            return None, str(exc)

    def keep(
        self, row: dict[str, Any], subject: ClaimPair | None, payload: str | None
    ) -> str | None:
        if subject is None:  # no pair to keep it under
            return None
        pulled = PulledVerdict(**row, pair=subject, verdict=payload)
        return self.store.verification.upsert_pulled(pulled)

    def finish(self) -> None:
        pass


def pair_of(data: dict[str, Any]) -> ClaimPair | None:
    """The claim pair a task's data names, or None when it names none."""
    try:
        return ClaimPair(
            ClaimRef(str(data["doc_a"]), int(data["a_start"]), int(data["a_end"])),
            ClaimRef(str(data["doc_b"]), int(data["b_start"]), int(data["b_end"])),
        )
    except (KeyError, TypeError, ValueError):
        return None
