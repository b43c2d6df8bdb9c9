"""Which Label Studio to talk to, and a checked SDK client for it.

An existing server is used when ``LABEL_STUDIO_URL`` and ``LABEL_STUDIO_API_KEY``
are set (a legacy token or a personal access token; the SDK tells them apart);
otherwise the local server's config written by ``annotate studio start``.
Errors name the server and what to do, never the key.

`studio_errors` is where the SDK's errors become `StudioError`s: it wraps the
functions that talk to Label Studio (push, pull), so an HTTP 4xx/5xx answer or
a dropped connection anywhere inside them is reported with its status and the
server's own message.
"""

from __future__ import annotations

import functools
import inspect
import os
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from annotate.errors import ConfigurationError, StudioError, one_line

from .server import StudioConfig, StudioPaths

if TYPE_CHECKING:
    from label_studio_sdk import LabelStudio

URL_ENV = "LABEL_STUDIO_URL"
KEY_ENV = "LABEL_STUDIO_API_KEY"


P = ParamSpec("P")
R = TypeVar("R")
#: Longest part of a server's error message quoted back to the user.
MAX_SERVER_MESSAGE = 300


class StudioConnectionError(StudioError, ConfigurationError):
    """Label Studio is not configured, not reachable, or refuses the key."""


@dataclass(frozen=True)
class Credentials:
    url: str
    api_key: str
    source: str  # "environment" or the config file's path

    def __repr__(self) -> str:  # never show the key
        return f"Credentials(url={self.url!r}, source={self.source!r})"


def resolve_credentials(paths: StudioPaths | None = None) -> Credentials:
    url, key = os.environ.get(URL_ENV), os.environ.get(KEY_ENV)
    if url and key:
        return Credentials(url.rstrip("/"), key, "environment")
    paths = paths or StudioPaths.default()
    config = StudioConfig.load(paths.config)
    if config is None:
        raise StudioConnectionError(
            "no Label Studio configured: run `annotate studio start`, or set "
            f"{URL_ENV} and {KEY_ENV} to use an existing server"
        )
    return Credentials(config.url, config.token, str(paths.config))


def connect(credentials: Credentials | None = None) -> LabelStudio:
    """An SDK client whose server and key were checked with one request."""
    from label_studio_sdk import LabelStudio  # heavy: imported when a command needs it
    from label_studio_sdk.core.api_error import ApiError

    credentials = credentials or resolve_credentials()
    client = LabelStudio(base_url=credentials.url, api_key=credentials.api_key, timeout=120)
    try:
        client.users.whoami()
    except ApiError as exc:
        if exc.status_code in (401, 403):
            raise StudioConnectionError(
                f"Label Studio at {credentials.url} refused the API key ({exc.status_code}) "
                f"from {credentials.source}: check {KEY_ENV} or run `annotate studio start`"
            ) from None
        raise StudioConnectionError(
            f"Label Studio at {credentials.url} answered a login check with "
            f"{describe_api_error(exc)}"
        ) from None
    except Exception as exc:  # httpx connection errors vary by SDK version
        raise StudioConnectionError(
            f"Label Studio at {credentials.url} is not reachable ({type(exc).__name__}): "
            "is it running? See `annotate studio status`"
        ) from None
    return client


def studio_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Make `func` raise `StudioError` for Label Studio's error answers and lost connections.

    `func` talks to Label Studio through the SDK; the message names the server
    (`func`'s ``server`` argument, when it has one), the HTTP status and what
    the server said, never the API key.
    """

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        import httpx
        from label_studio_sdk.core.api_error import ApiError

        try:
            return func(*args, **kwargs)
        except ApiError as exc:
            where = _server_of(func, args, kwargs)
            raise StudioError(f"Label Studio{where} answered {describe_api_error(exc)}") from None
        except httpx.TransportError as exc:
            where = _server_of(func, args, kwargs)
            raise StudioError(
                f"Label Studio{where} stopped answering ({type(exc).__name__}: {exc}): "
                "is it running? See `annotate studio status`, then push or pull again"
            ) from None

    return wrapper


def describe_api_error(exc: Any) -> str:
    """``400 Bad Request: title: Ensure this field ...`` from an SDK `ApiError`."""
    status = exc.status_code
    try:
        head = f"{status} {HTTPStatus(status).phrase}"
    except (TypeError, ValueError):
        head = str(status)
    said = _server_message(exc.body)
    return head + (f": {one_line(said, MAX_SERVER_MESSAGE)}" if said else "")


def _server_message(body: Any) -> str:
    """What Label Studio (or a proxy) said: ``detail`` and ``validation_errors``, else the text."""
    if isinstance(body, dict):
        parts = [str(body["detail"])] if body.get("detail") else []
        errors = body.get("validation_errors")
        if isinstance(errors, dict):
            parts += [f"{field}: {_flat(problems)}" for field, problems in errors.items()]
        elif errors:
            parts.append(_flat(errors))
        return "; ".join(parts) or _flat(body)
    return "" if body is None else _flat(body)


def _flat(value: Any) -> str:
    if isinstance(value, list | tuple):
        return "; ".join(_flat(item) for item in value)
    return str(value)


def _server_of(func: Callable[..., Any], args: Any, kwargs: Any) -> str:
    """`` at URL`` from `func`'s ``server`` argument, or nothing."""
    try:
        server = inspect.signature(func).bind_partial(*args, **kwargs).arguments.get("server")
    except TypeError:
        return ""
    return f" at {server}" if server else ""
