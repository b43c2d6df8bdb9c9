"""The SDK client for an OpenAI-compatible endpoint, configured like every user expects.

`base_url` and `api_key` default to the SDK's own ``OPENAI_BASE_URL`` and
``OPENAI_API_KEY``, and the model to ``ANNOTATE_MODEL`` (required with a
server of one's own); a missing endpoint is a `ConfigurationError` that names
the variables to set, never the SDK's message (which lists options this tool
does not have).
"""

from __future__ import annotations

import inspect
import os
from typing import TYPE_CHECKING

from annotate.errors import ConfigurationError

if TYPE_CHECKING:  # imported where a client is made: a run of the rules never loads the SDK
    import openai

DEFAULT_MODEL = "gpt-4o-mini"
MODEL_ENV = "ANNOTATE_MODEL"
#: Placeholder key for local servers (vLLM, Ollama) that need none; the SDK requires one.
PLACEHOLDER_KEY = "not-needed"


def default_model(model: str | None = None, base_url: str | None = None) -> str:
    """`model`, else ``$ANNOTATE_MODEL``, else `DEFAULT_MODEL`, which is OpenAI's only.

    A server of one's own (``OPENAI_BASE_URL``, or `base_url`) names its models
    itself: sending it ``gpt-4o-mini`` would at best be answered by whatever it
    loaded and at worst be priced as OpenAI's, so there the name is required.
    """
    chosen = model or os.environ.get(MODEL_ENV)
    if chosen:
        return chosen
    if base_url or os.environ.get("OPENAI_BASE_URL"):
        raise ConfigurationError(
            "OPENAI_BASE_URL is set, so name the model the server serves with --model or "
            f"{MODEL_ENV} (the default {DEFAULT_MODEL} is OpenAI's)"
        )
    return DEFAULT_MODEL


def make_client(base_url: str | None, api_key: str | None, timeout: float) -> openai.AsyncOpenAI:
    """An SDK client that never retries on its own (tenacity does) and needs no key locally."""
    import openai

    local = base_url or os.environ.get("OPENAI_BASE_URL")
    if api_key is None and local and not os.environ.get("OPENAI_API_KEY"):
        api_key = PLACEHOLDER_KEY
    try:
        return openai.AsyncOpenAI(
            base_url=base_url, api_key=api_key, timeout=timeout, max_retries=0
        )
    except openai.OpenAIError:  # missing credentials: the SDK's message names other options
        raise ConfigurationError(
            "no LLM endpoint configured: set OPENAI_API_KEY for OpenAI, or OPENAI_BASE_URL "
            "for a local server (vLLM, Ollama, llama.cpp), or use --provider rules"
        ) from None


def client_secrets(client: openai.AsyncOpenAI, api_key: str | None) -> tuple[str, ...]:
    """Every form of the key this client may send: what failure details must never show."""
    known = (api_key, os.environ.get("OPENAI_API_KEY"), client.api_key)
    return tuple(key for key in known if isinstance(key, str))


def endpoint_url(client: openai.AsyncOpenAI) -> str:
    """The client's base URL without any user:password part, fit to print."""
    return str(client.base_url.copy_with(userinfo=b""))


def takes_content(client: openai.AsyncOpenAI) -> bool:
    """Whether ``client.post`` takes a body encoded as bytes as ``content``.

    It does from openai 2.16; before (from 1.99, the oldest this tool supports)
    bytes are given as ``body`` and sent as they are, which 2.16 deprecates.
    """
    return "content" in inspect.signature(client.post).parameters
