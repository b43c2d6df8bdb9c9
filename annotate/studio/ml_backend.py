"""Connect `annotate serve` to a Label Studio project as its ML backend (``POST /api/ml``).

Label Studio shows annotators the predictions of the project's model version, and
asks a backend whose title is that version for the predictions of tasks that have
none (``Project.ml_backend_in_model_version``). So the backend is connected under
its own model version as title, and the project switched to it: title, backend's
model version and project's model version agree. After a model or prompt change the
backend is renamed to the new version (`retitle_backends`, which `annotate serve` calls
itself, or connecting again), and Label Studio moves the project along
(``MLBackend.save``); the older version's predictions stay.

Label Studio makes a webhook to the backend's ``/webhook`` itself; with basic auth
the webhook is given the same ``Authorization`` header, or the backend would refuse it.
"""

from __future__ import annotations

import base64
import json
import os
import urllib.error
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from annotate.errors import ConfigurationError, StudioError, one_line

from .connection import studio_errors

if TYPE_CHECKING:
    from label_studio_sdk import LabelStudio

#: Seconds to wait for the backend's health answer (Label Studio waits 1 s).
HEALTH_TIMEOUT_S = 10.0
#: The backend's basic-auth credentials: from the environment, never the command line.
USER_ENV = "ANNOTATE_SERVE_USER"
PASSWORD_ENV = "ANNOTATE_SERVE_PASSWORD"


@dataclass(frozen=True)
class BackendAuth:
    """HTTP basic auth between Label Studio and the backend (never printed)."""

    user: str
    password: str

    def __repr__(self) -> str:
        return f"BackendAuth(user={self.user!r})"

    @property
    def header(self) -> str:
        pair = f"{self.user}:{self.password}".encode()
        return "Basic " + base64.b64encode(pair).decode("ascii")


def auth_from_environment() -> BackendAuth | None:
    """The basic auth of `USER_ENV` and `PASSWORD_ENV`; None when neither is set."""
    user, password = os.environ.get(USER_ENV, ""), os.environ.get(PASSWORD_ENV, "")
    if not user and not password:
        return None
    if not user or not password or ":" in user:
        raise ConfigurationError(
            f"set both {USER_ENV} (no colon) and {PASSWORD_ENV} for the ML backend's basic "
            "auth, or neither"
        )
    return BackendAuth(user, password)


@dataclass(frozen=True)
class Connected:
    backend_id: int
    created: bool
    model_version: str


def backend_model_version(url: str, auth: BackendAuth | None = None) -> str:
    """The model version the backend at `url` serves, from its ``/health`` answer."""
    request = urllib.request.Request(url.rstrip("/") + "/health")
    if auth is not None:
        request.add_header("Authorization", auth.header)
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=HEALTH_TIMEOUT_S) as response:
            answer = json.loads(response.read())
    except urllib.error.HTTPError as exc:
        raise StudioError(
            f"the ML backend at {url} answered {exc.code} to /health"
            + (": check ANNOTATE_SERVE_USER and ANNOTATE_SERVE_PASSWORD" if exc.code == 401 else "")
        ) from None
    except (OSError, ValueError) as exc:
        raise StudioError(
            f"the ML backend at {url} is not reachable ({one_line(str(exc), 200)}): "
            "start it with `annotate serve`"
        ) from None
    version = answer.get("model_version") if isinstance(answer, dict) else None
    if not version:
        raise StudioError(
            f"{url} answered /health without a model_version: is it `annotate serve`?"
        )
    return str(version)


@studio_errors
def connect_backend(
    client: LabelStudio,
    server: str,
    project_id: int,
    url: str,
    auth: BackendAuth | None = None,
) -> Connected:
    """Connect (or re-connect) the backend at `url` to the project, titled by its model version.

    Label Studio checks the backend (``/health``, ``/setup``) before it saves it.
    """
    version = backend_model_version(url, auth)
    access = _access(auth)
    mine = [b for b in _backends(client, project_id) if _same(b.url, url)]
    if mine:
        backend = client.ml.update(  # LS checks url and project on every update
            id=cast(int, mine[0].id), project=project_id, url=url, title=version, **access
        )
    else:
        backend = client.ml.create(project=project_id, url=url, title=version, **access)
    client.projects.update(id=project_id, model_version=version)
    if auth is not None:
        _authorize_webhook(client, project_id, url, auth)
    return Connected(int(cast(int, backend.id)), not mine, version)


@studio_errors
def retitle_backends(
    client: LabelStudio, server: str, project_id: int, version: str, auth: BackendAuth | None
) -> list[str]:
    """Rename to `version` the project's backends that serve it under another title.

    After a model or prompt change, the backend Label Studio knows by the old version
    answers ``/setup`` with the new one (which Label Studio records as its model
    version); renamed, it asks it for predictions again, and the project follows
    (``MLBackend.save`` moves the project's model version along with the title).
    Returns the old titles.
    """
    renamed = []
    for backend in _backends(client, project_id):
        if backend.model_version == version and backend.title != version:
            client.ml.update(id=cast(int, backend.id), project=project_id, url=backend.url,
                             title=version, **_access(auth))  # fmt: skip
            renamed.append(str(backend.title))
    return renamed


def _access(auth: BackendAuth | None) -> dict[str, Any]:
    """How Label Studio is to authenticate to the backend (`BackendAuth`, or none)."""
    if auth is None:
        return {"auth_method": "NONE"}
    return {"auth_method": "BASIC_AUTH", "basic_auth_user": auth.user,
            "basic_auth_pass": auth.password}  # fmt: skip


def _backends(client: LabelStudio, project_id: int) -> Iterable[Any]:
    return cast(Iterable[Any], client.ml.list(project=project_id))


def _same(a: str | None, b: str) -> bool:
    return (a or "").rstrip("/") == b.rstrip("/")


def _authorize_webhook(client: LabelStudio, project_id: int, url: str, auth: BackendAuth) -> None:
    """Give the webhook Label Studio made to ``url/webhook`` the backend's basic auth."""
    hook = url.rstrip("/") + "/webhook"
    webhooks: Iterable[Any] = client.webhooks.list(project=str(project_id))
    for webhook in webhooks:
        if _same(webhook.url, hook):
            headers = {**(webhook.headers or {}), "Authorization": auth.header}
            client.webhooks.update(id=cast(int, webhook.id), headers=headers)


@studio_errors
def import_backend_predictions(
    client: LabelStudio, server: str, project_id: int, predictions: list[dict[str, Any]]
) -> None:
    """Add predictions (each with its ``task``) made after their request was answered."""
    client.projects.import_predictions(id=project_id, request=cast(Any, predictions))
