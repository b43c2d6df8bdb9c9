"""The model in the loop's predictions: from the store at once, the rest made by one worker.

Label Studio asks an ML backend for the predictions of the tasks an annotator
opens (one task) or selects for "Retrieve predictions" (hundreds), in one request
that it gives up on after 100 s (``ML_TIMEOUT_PREDICT``). A document that holds a
prediction of the serving job is answered from the store at once; the others go
to one worker thread that runs them through the same pre-annotation pipeline as
`annotate preannotate` (providers, call cache, grounding, store, a run counted in
`annotate runs`). The request waits for them at most `wait` seconds: those done
by then are in its answer, the rest are handed to `deliver` when ready (posted to
Label Studio's predictions API), so no request outlives Label Studio's timeout.
Cached calls cost no time, so a document whose calls are cached is answered too.
Each prediction carries the score `annotate push` gives it (`workflows.confidence`).
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from annotate.errors import AnnotateError, NotFoundError
from annotate.llm import Price
from annotate.preannotate.pipeline import job_key, preannotate
from annotate.preannotate.providers import Provider
from annotate.store import Document, Prediction, Store
from annotate.studio.order import Ranking
from annotate.studio.tasks import capped_prediction

from .confidence import Calibrated, ranking

log = logging.getLogger("annotate.serve")

#: Seconds a predict request waits for the documents it sent to the worker: well within
#: Label Studio's 100 s, with room for its own work on the answer.
DEFAULT_WAIT_S = 30.0
#: Documents the worker takes into one pipeline run at most (one run in `annotate runs`).
RUN_BATCH = 64
#: Late predictions sent to Label Studio in one request, at most (and at the end of each run).
DELIVER_BATCH = 16


@dataclass
class Wanted:
    """A task that waits for its document's prediction."""

    project_id: int
    task_id: int
    document_id: str
    #: Label Studio's prediction, once made (None: not yet, or the document failed).
    payload: dict[str, Any] | None = None
    done: bool = False
    #: The request stopped waiting: deliver it to Label Studio when it is made.
    late: bool = False
    prediction_id: int = 0


@dataclass
class Delivery:
    """Predictions made after their request had been answered, for one project."""

    project_id: int
    #: (task id, prediction id, Label Studio's prediction)
    predictions: list[tuple[int, int, dict[str, Any]]] = field(default_factory=list)


Deliver = Callable[[Delivery], None]
#: Called with (project id, [(task id, prediction id, model version)]) for predictions answered.
Answered = Callable[[int, list[tuple[int, int, str]]], None]


class PredictionLoop:
    """Answers predict requests from the store and queues the rest for one worker thread."""

    def __init__(
        self,
        db: Path,
        provider: Provider,
        *,
        concurrency: int = 8,
        deliver: Deliver,
        answered: Answered | None = None,
        wait: float = DEFAULT_WAIT_S,
        price: Price | None = None,
    ) -> None:
        self.db = db
        self.price = price
        self.provider = provider
        self.concurrency = concurrency
        self.deliver = deliver
        self.answered = answered
        self.wait = wait
        self.key = job_key(provider)
        self._lock = threading.Condition()
        self._waiting: dict[str, list[Wanted]] = {}
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._worker = threading.Thread(target=self._work, name="annotate-serve-predict")
        #: Late predictions made and not delivered yet, by project (the worker's alone).
        self._late: dict[int, Delivery] = {}
        #: the scores' fit on the kept gold, made again only when the gold changed
        self._calibrated = Calibrated()

    @property
    def model_version(self) -> str:
        return self.key.model_version

    def start(self) -> None:
        self._worker.start()

    def stop(self) -> None:
        self._queue.put(None)
        self._worker.join()

    # -- the request's side ---------------------------------------------------------------

    def predict(self, project_id: int, tasks: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
        """One list per task, in order: its prediction, or none (queued, failed or foreign)."""
        answers: list[list[dict[str, Any]]] = [[] for _ in tasks]
        wanted: list[tuple[int, Wanted]] = []
        done: list[tuple[int, int, str]] = []
        with Store(self.db) as store:
            # the scores `annotate push` gives (fitted on kept gold)
            scores = ranking(store, self._calibrated(store))
            for i, task in enumerate(tasks):
                document_id = _document_id(task)
                if document_id is None or not _known(store, document_id):
                    continue
                prediction = self._current(store, document_id)
                if prediction is not None:
                    answers[i] = [_payload(scores, prediction)]
                    done.append((int(task["id"]), prediction.id, prediction.model_version))
                else:
                    wanted.append((i, Wanted(project_id, int(task["id"]), document_id)))
        stored = len(done)
        self._enqueue([w for _, w in wanted])
        self._await([w for _, w in wanted])
        with self._lock:
            for i, want in wanted:
                if want.done and want.payload is not None:
                    answers[i] = [want.payload]
                    done.append((want.task_id, want.prediction_id, self.model_version))
                elif not want.done:
                    want.late = True
        if self.answered and done:
            self.answered(project_id, done)
        queued = sum(1 for _, w in wanted if w.late)
        log.info("predict: %d task(s), %d from the store, %d made, %d queued",
                 len(tasks), stored, len(wanted) - queued, queued)  # fmt: skip
        return answers

    def _current(self, store: Store, document_id: str) -> Prediction | None:
        """The document's latest prediction when it is of the serving job."""
        latest = store.predictions.latest(document_id)
        return latest if latest is not None and latest.job == self.key else None

    def _enqueue(self, wanted: list[Wanted]) -> None:
        with self._lock:
            for want in wanted:
                first = want.document_id not in self._waiting
                self._waiting.setdefault(want.document_id, []).append(want)
                if first:
                    self._queue.put(want.document_id)

    def _await(self, wanted: list[Wanted]) -> None:
        deadline = time.monotonic() + self.wait
        with self._lock:
            while not all(w.done for w in wanted):
                left = deadline - time.monotonic()
                if left <= 0:
                    return
                self._lock.wait(left)

    # -- the worker's side ----------------------------------------------------------------

    def _work(self) -> None:
        loop = asyncio.new_event_loop()
        try:
            with Store(self.db) as store:
                while (batch := self._next_batch()) is not None:
                    self._run(loop, store, batch)
            loop.run_until_complete(self.provider.aclose())
        finally:
            loop.close()

    def _next_batch(self) -> list[str] | None:
        first = self._queue.get()
        if first is None:
            return None
        batch = [first]
        while len(batch) < RUN_BATCH:
            try:
                more = self._queue.get_nowait()
            except queue.Empty:
                break
            if more is None:
                self._queue.put(None)  # stop after this batch
                break
            batch.append(more)
        return batch

    def _run(self, loop: asyncio.AbstractEventLoop, store: Store, batch: list[str]) -> None:
        """One pipeline run over `batch`; each document's waiters hear as it is recorded."""
        pending = set(batch)
        scores = ranking(store, self._calibrated(store))
        documents: list[Document] = [store.documents.get(d) for d in batch]

        def progress(_: object) -> None:
            for document_id in list(pending):
                if (prediction := self._current(store, document_id)) is not None:
                    pending.discard(document_id)
                    self._finish(document_id, prediction, _payload(scores, prediction))

        try:
            summary = loop.run_until_complete(
                preannotate(store, self.provider, concurrency=self.concurrency, price=self.price,
                            selection=(len(documents), documents), on_progress=progress)
            )  # fmt: skip
            log.info("run %d: %d document(s), %d predicted, %d failed", summary.run_id,
                     summary.counters.documents, summary.counters.predicted,
                     summary.counters.failed)  # fmt: skip
        except (AnnotateError, NotFoundError) as exc:
            log.error("run over %d document(s) failed: %s", len(batch), exc)
        progress(None)
        for document_id in pending:  # failed (recorded in the run) or not reached
            self._finish(document_id, None, None)
        self._flush()

    def _finish(
        self, document_id: str, prediction: Prediction | None, payload: dict[str, Any] | None
    ) -> None:
        """Hand the prediction to the requests that wait; keep it for those gone (`_flush`)."""
        with self._lock:
            for want in self._waiting.pop(document_id, []):
                want.payload, want.done = payload, True
                if prediction is None or payload is None:
                    continue
                want.prediction_id = prediction.id
                if want.late:
                    delivery = self._late.setdefault(want.project_id, Delivery(want.project_id))
                    delivery.predictions.append((want.task_id, prediction.id, payload))
            self._lock.notify_all()
        if sum(len(d.predictions) for d in self._late.values()) >= DELIVER_BATCH:
            self._flush()

    def _flush(self) -> None:
        """Send the late predictions made so far to Label Studio."""
        late, self._late = self._late, {}
        for delivery in late.values():
            try:
                self.deliver(delivery)
            except AnnotateError as exc:
                log.error("delivering %d prediction(s) to project %d failed: %s",
                          len(delivery.predictions), delivery.project_id, exc)  # fmt: skip


def _payload(scores: Ranking, prediction: Prediction) -> dict[str, Any]:
    """Label Studio's prediction, scored as `annotate push` scores it."""
    return capped_prediction(prediction, score=scores.score(prediction.document_id))[0]


def _document_id(task: dict[str, Any]) -> str | None:
    data = task.get("data")
    doc_id = data.get("doc_id") if isinstance(data, dict) else None
    return str(doc_id) if doc_id is not None and "id" in task else None


def _known(store: Store, document_id: str) -> bool:
    try:
        store.documents.get(document_id)
    except NotFoundError:
        return False
    return True
