"""What the fake server's chat endpoint (`llm_server`) and its Batch API (`batch_api`) share.

The aiohttp import (a testing extra, not a dependency of the annotate
command), error bodies shaped like OpenAI's, and the client of the control
API that tests drive both with. Kept apart so that `llm_server`, which mounts
`batch_api`, and `batch_api` each import it without a cycle.
"""

from __future__ import annotations

import json
import urllib.request
from typing import Any

try:
    from aiohttp import BodyPartReader, web
except ImportError as exc:  # a dev/testing tool: not a dependency of the annotate command
    raise ImportError(
        "the fake LLM server needs aiohttp: pip install 'annotate[testing]'"
    ) from exc

__all__ = ["BodyPartReader", "ControlClient", "error_response", "web"]


def error_response(
    status: int,
    message: str,
    *,
    kind: str = "invalid_request_error",
    param: str | None = None,
    code: str | None = None,
    headers: dict[str, str] | None = None,
) -> web.Response:
    """An error body shaped like OpenAI's, so the SDK raises the matching exception."""
    error = {"message": message, "type": kind, "param": param, "code": code}
    return web.json_response({"error": error}, status=status, headers=headers)


class ControlClient:
    """JSON calls to a running fake server's control API, never through a proxy."""

    def __init__(self, root: str) -> None:
        self.root = root
        # Never route 127.0.0.1 through a proxy configured in the environment.
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def _call(self, method: str, path: str, payload: Any = None) -> Any:
        data = None if payload is None else json.dumps(payload).encode()
        request = urllib.request.Request(
            self.root + path, data=data, method=method,
            headers={"Content-Type": "application/json"},
        )  # fmt: skip
        with self._opener.open(request, timeout=30) as response:
            return json.loads(response.read())
