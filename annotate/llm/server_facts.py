"""What a local server says about itself: its token count of a text, and its context window.

Before the first document, a run asks the server to count its prompt with the
model's own tokenizer instead of estimating it from characters. Each server
spells this differently, outside the OpenAI API (so at the server's root, not
under ``/v1``):

* llama-cpp-python: ``POST /extras/tokenize`` ``{"input": text}`` -> ``{"tokens": [...]}``;
* llama.cpp's ``llama-server``: ``POST /tokenize`` ``{"content": text}`` -> ``{"tokens": [...]}``,
  and ``GET /props`` states the window per slot (``default_generation_settings.n_ctx``);
* vLLM: ``POST /tokenize`` ``{"model": m, "prompt": text}`` -> ``{"count": n, "max_model_len": w}``.

One ``/tokenize`` body carries both servers' fields (each ignores the other's).
Ollama and OpenAI offer neither: the caller then measures with one request.
Ollama states the window it runs a model with, once a request has loaded it,
in ``GET /api/ps`` (``context_length``): it cuts a longer prompt silently, so
the window must be known before a document is sent (`running_models`).
Every failure here (404, a refused connection, an unexpected body) means "not
offered", never an error: the run goes on without the count.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # loaded where a server is asked (`_server`): a run of the rules never asks one
    import httpx

log = logging.getLogger(__name__)

#: Seconds each question may take.
TIMEOUT = 10.0

#: How servers state their window when they refuse a request longer than it:
#: llama-cpp-python, vLLM and OpenAI, llama.cpp's server.
_STATED_WINDOW = re.compile(
    r"context window of (\d+)|maximum context length is (\d+)|available context size \((\d+)"
)
#: How they state the prompt's tokens in that refusal.
_STATED_PROMPT = re.compile(
    r"Requested tokens \((\d+)\)|\((\d+) in the messages|messages resulted in (\d+) tokens"
    r"|request \((\d+) tokens\)"
)


@dataclass(frozen=True)
class TokenCount:
    """A text's tokens by the server's own tokenizer, and the window it states (None: unsaid)."""

    tokens: int
    #: Which endpoint counted: said in messages so a user knows where the figure comes from.
    source: str
    window: int | None = None


def stated(pattern: re.Pattern[str], message: str) -> int | None:
    match = pattern.search(message)
    return next((int(group) for group in match.groups() if group), None) if match else None


def stated_window(message: str) -> int | None:
    """The context window a server's refusal states, if it does."""
    return stated(_STATED_WINDOW, message)


def stated_prompt(message: str) -> int | None:
    """The prompt's tokens a server's refusal states, if it does."""
    return stated(_STATED_PROMPT, message)


def server_root(base_url: str) -> str:
    """The server's root: the OpenAI base URL without its trailing ``/v1``."""
    root = base_url.rstrip("/")
    return root[: -len("/v1")] if root.endswith("/v1") else root


async def count_tokens(
    base_url: str, api_key: str | None, model: str, text: str
) -> TokenCount | None:
    """`text`'s tokens as the server counts them, or None when it offers no way to ask."""
    async with _server(base_url, api_key) as http:
        body = await _post(http, "/extras/tokenize", {"input": text, "model": model})
        if body is not None and isinstance(body.get("tokens"), list):
            return TokenCount(len(body["tokens"]), "llama-cpp-python's /extras/tokenize")
        body = await _post(http, "/tokenize", {"content": text, "model": model, "prompt": text})
        if body is None:
            return None
        if isinstance(body.get("count"), int):
            window = body.get("max_model_len")
            return TokenCount(body["count"], "vLLM's /tokenize", _positive(window))
        if isinstance(body.get("tokens"), list):
            return TokenCount(len(body["tokens"]), "llama.cpp's /tokenize", await _props(http))
    return None


def _server(base_url: str, api_key: str | None) -> httpx.AsyncClient:
    """A client for the server's root (outside ``/v1``), with the key if there is one."""
    import httpx

    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    return httpx.AsyncClient(base_url=server_root(base_url), headers=headers, timeout=TIMEOUT)


async def running_models(base_url: str, api_key: str | None) -> list[dict[str, Any]] | None:
    """Ollama's loaded models (``GET /api/ps``), or None from a server that offers no list."""
    import httpx

    try:
        async with _server(base_url, api_key) as http:
            response = await http.get("/api/ps")
            body = response.json() if response.status_code == 200 else None
    except (httpx.HTTPError, ValueError) as exc:
        log.debug("/api/ps not offered (%s)", exc)
        return None
    models = body.get("models") if isinstance(body, dict) else None
    return [m for m in models if isinstance(m, dict)] if isinstance(models, list) else None


def running_window(models: list[dict[str, Any]], model: str) -> int | None:
    """The window Ollama runs `model` with, from `running_models`; None when it is not loaded.

    Ollama names a model with its tag (``qwen2.5:0.5b``) and serves a bare
    name as its ``latest`` tag.
    """
    names = {model, model if ":" in model else f"{model}:latest"}
    for entry in models:
        if names & {entry.get("model"), entry.get("name")}:
            return _positive(entry.get("context_length"))
    return None


async def _post(
    http: httpx.AsyncClient, path: str, payload: dict[str, Any]
) -> dict[str, Any] | None:
    import httpx

    try:
        response = await http.post(path, json=payload)
        body = response.json() if response.status_code == 200 else None
    except (httpx.HTTPError, ValueError) as exc:
        log.debug("%s not offered (%s)", path, exc)
        return None
    return body if isinstance(body, dict) else None


async def _props(http: httpx.AsyncClient) -> int | None:
    """llama.cpp's window per slot, from ``GET /props``."""
    import httpx

    try:
        response = await http.get("/props")
        props = response.json() if response.status_code == 200 else {}
    except (httpx.HTTPError, ValueError):
        return None
    settings = props.get("default_generation_settings") if isinstance(props, dict) else None
    return _positive(settings.get("n_ctx")) if isinstance(settings, dict) else None


def _positive(value: Any) -> int | None:
    return value if isinstance(value, int) and value > 0 else None
