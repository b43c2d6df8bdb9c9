"""Which Label Studio to talk to, and a checked SDK client for it.

An existing server is used when ``LABEL_STUDIO_URL`` and ``LABEL_STUDIO_API_KEY``
are set (a legacy token or a personal access token; the SDK tells them apart);
otherwise the local server's config written by ``annotate studio start``.
Errors name the server and what to do, never the key.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .server import StudioConfig, StudioPaths

if TYPE_CHECKING:
    from label_studio_sdk import LabelStudio

URL_ENV = "LABEL_STUDIO_URL"
KEY_ENV = "LABEL_STUDIO_API_KEY"


class StudioConnectionError(RuntimeError):
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
            f"Label Studio at {credentials.url} answered {exc.status_code} to a login check"
        ) from None
    except Exception as exc:  # httpx connection errors vary by SDK version
        raise StudioConnectionError(
            f"Label Studio at {credentials.url} is not reachable ({type(exc).__name__}): "
            "is it running? See `annotate studio status`"
        ) from None
    return client
