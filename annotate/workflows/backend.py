"""`annotate serve`: a Label Studio ML backend over pre-annotation (predict) and the studio stage
(the webhook's annotations stored as a pull stores them).

What Label Studio 1.23.2 sends and waits for is in its ``ml/api_connector.py``:
``GET /health`` (1 s), ``POST /setup`` (3 s; it carries the project creator's API token,
which is read by nobody here and never kept), ``POST /predict`` (100 s), ``GET /versions``
(3 s), ``POST /webhook`` (the project's webhook, 1 s: answered before the annotation is
stored; deleted annotations are kept, as a pull keeps them). Every answer names one model
version, the serving job's: the backend's ``model_version`` after ``/setup`` and every
prediction's; ``/versions`` lists it first, then the others the store holds predictions of.

Label Studio itself is reached as push and pull reach it (``LABEL_STUDIO_URL`` and
``LABEL_STUDIO_API_KEY``, else the local server's config), when first needed: to add
predictions made after their request was answered, and to name an annotation's author.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from annotate.errors import AnnotateError, InputError
from annotate.llm import Price
from annotate.preannotate.providers import Provider
from annotate.store import Store
from annotate.studio.connection import Credentials, connect, resolve_credentials
from annotate.studio.ml_backend import BackendAuth, import_backend_predictions, retitle_backends
from annotate.studio.pull import studio_users
from annotate.studio.webhook import (
    DELETED_ACTION,
    deleted_annotations,
    keep_webhook_answer,
    webhook_answer,
)

from .loop_predict import DEFAULT_WAIT_S, Delivery, PredictionLoop

if TYPE_CHECKING:
    from label_studio_sdk import LabelStudio

log = logging.getLogger("annotate.serve")
#: Seconds after a project's first setup before its backend's title is checked.
RETITLE_AFTER_S = 2.0
#: What ``/health`` calls the model (Label Studio shows it as the backend's class).
MODEL_CLASS = "annotate"


class Backend:
    """The ML backend's answers, one method per endpoint; `start` before, `stop` after."""

    def __init__(
        self,
        db: Path,
        provider: Provider,
        *,
        concurrency: int = 8,
        wait: float = DEFAULT_WAIT_S,
        price: Price | None = None,
        auth: BackendAuth | None = None,
    ) -> None:
        self.studio = StudioLink(db)
        self.loop = PredictionLoop(db, provider, concurrency=concurrency,
                                   deliver=self.studio.deliver, answered=self.studio.answered,
                                   wait=wait, price=price)  # fmt: skip
        self.provider = provider
        #: The backend's own basic auth (Label Studio is given it again when renaming it).
        self.auth = auth
        self._lock = threading.Lock()
        self._set_up: set[int] = set()
        self._webhooks: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self._webhook_worker = threading.Thread(target=self._keep_answers, name="annotate-webhook")

    @property
    def model_version(self) -> str:
        return self.loop.model_version

    def start(self) -> None:
        self.loop.start()
        self._webhook_worker.start()

    def stop(self) -> None:
        self._webhooks.put(None)
        self._webhook_worker.join()
        self.loop.stop()

    def health(self) -> dict[str, Any]:
        return {"status": "UP", "model_class": MODEL_CLASS, "model_version": self.model_version}

    def setup(self, body: dict[str, Any]) -> dict[str, Any]:
        """The model version Label Studio records as the backend's (the token is not read).

        The first setup of a project in this process also has the backend renamed to
        this version if Label Studio knows it by another (`StudioLink.retitle`), once
        Label Studio has recorded the version this answer gives it.
        """
        project_id = _project_id(body.get("project"))
        log.info("setup: project %s", project_id)
        with self._lock:
            first = project_id not in self._set_up
            self._set_up.add(project_id)
        if first:
            threading.Thread(target=self.studio.retitle, name="annotate-retitle",
                             args=(project_id, self.model_version, self.auth),
                             daemon=True).start()  # fmt: skip
        return {"model_version": self.model_version}

    def versions(self) -> dict[str, Any]:
        """The serving version first, then every other the store holds predictions of.

        Label Studio 1.23.2 hands the list on as it is (``GET /api/ml/ID/versions``,
        ``MLBackendVersionsAPI``): the versions a project's predictions may come from.
        """
        with Store(self.studio.db) as store:
            held = store.predictions.model_versions()
        current = self.model_version
        return {"versions": [current, *(v for v in held if v != current)]}

    def predict(self, body: dict[str, Any]) -> dict[str, Any]:
        tasks = body.get("tasks")
        if not isinstance(tasks, list) or not all(isinstance(t, dict) for t in tasks):
            raise InputError("the predict request has no list of tasks")
        results = self.loop.predict(_project_id(body.get("project")), tasks)
        return {"results": results, "model_version": self.model_version}

    def webhook(self, body: dict[str, Any]) -> dict[str, Any]:
        """Take the call and answer at once: the annotation is stored by another thread.

        Deleted annotations stay in the store, as `annotate pull` keeps them: only logged.
        """
        if webhook_answer(body) is not None:
            self._webhooks.put(body)
        elif deleted := deleted_annotations(body):
            log.info("webhook %s: annotation(s) %s kept in the store, as a pull keeps them",
                     DELETED_ACTION, ", ".join(map(str, deleted)))  # fmt: skip
        return {"status": "ok"}

    def _keep_answers(self) -> None:
        while (body := self._webhooks.get()) is not None:
            try:
                self.studio.keep(body)
            except AnnotateError as exc:
                log.error("webhook %s: not stored: %s", body.get("action"), exc)


def _project_id(value: Any) -> int:
    """Label Studio names a project ``<id>.<created timestamp>`` (``_create_project_uid``)."""
    try:
        return int(str(value).split(".", 1)[0])
    except ValueError:
        raise InputError(f"the request names no project ({value!r})") from None


class StudioLink:
    """Label Studio as push and pull reach it, connected when first needed."""

    def __init__(self, db: Path) -> None:
        self.db = db
        self._lock = threading.Lock()
        self._connected: tuple[Credentials, LabelStudio] | None = None
        self._users: dict[int, str] = {}

    def _client(self) -> tuple[Credentials, LabelStudio]:
        with self._lock:
            if self._connected is None:
                credentials = resolve_credentials()
                self._connected = credentials, connect(credentials)
            return self._connected

    def deliver(self, delivery: Delivery) -> None:
        """Add late predictions to the project, and record them as pushed."""
        credentials, client = self._client()
        payloads = [{"task": task, **payload} for task, _, payload in delivery.predictions]
        import_backend_predictions(client, credentials.url, delivery.project_id, payloads)
        pushed = [(pid, task, str(p["model_version"])) for task, pid, p in delivery.predictions]
        with Store(self.db) as store:
            store.tasks.record_pushed(credentials.url, delivery.project_id, pushed)
        log.info("delivered %d prediction(s) to project %d", len(payloads), delivery.project_id)

    def answered(self, project_id: int, answered: list[tuple[int, int, str]]) -> None:
        """Record the (task id, prediction id, model version) Label Studio got in a predict
        answer as pushed, so that push does not send them again."""
        pushed = [(prediction, task, version) for task, prediction, version in answered]
        try:
            server = resolve_credentials().url
            with Store(self.db) as store:
                store.tasks.record_pushed(server, project_id, pushed)
        except AnnotateError as exc:
            log.warning("predictions answered but not recorded as pushed: %s", exc)

    def retitle(self, project_id: int, version: str, auth: BackendAuth | None) -> None:
        """Rename the project's backend to `version` if Label Studio knows it by another."""
        time.sleep(RETITLE_AFTER_S)  # Label Studio records the version once setup answered
        try:
            credentials, client = self._client()
            renamed = retitle_backends(client, credentials.url, project_id, version, auth)
        except AnnotateError as exc:
            log.warning("project %d: backend not renamed to %s: %s", project_id, version, exc)
            return
        for title in renamed:
            log.info("project %d: backend %s renamed %s (a new model version)",
                     project_id, title, version)  # fmt: skip

    def keep(self, body: dict[str, Any]) -> None:
        """Store the annotation of a webhook call, as `annotate pull` stores it."""
        found = webhook_answer(body)
        if found is None:
            return
        project_id, annotation, task = found
        credentials, client = self._client()
        author = int(annotation.get("completed_by") or 0)
        if author not in self._users:
            self._users = studio_users(client)
        with Store(self.db) as store:
            outcome, error = keep_webhook_answer(store, credentials.url, project_id, annotation,
                                                 task, self._users)  # fmt: skip
        log.info("webhook %s: annotation %s of task %s %s%s", body.get("action"),
                 annotation.get("id"), task.get("id"), outcome,
                 f" (not converted: {error})" if error else "")  # fmt: skip
