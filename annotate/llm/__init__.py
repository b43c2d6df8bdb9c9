"""The shared LLM layer: structured answers from any OpenAI-compatible endpoint.

Below the stages (pre-annotation extracts with it, comparison judges with it)
and above `store`/`schemas`. `StructuredChat` asks for any Pydantic model and
owns everything around the call: the client and its configuration errors,
transport retries honouring ``Retry-After``, RPM/TPM pacing, the
response-format fallback and request adaptations, validation re-asks, and
failures that never carry the API key. `ordered_results` runs many calls
concurrently for synchronous callers; `pricing` turns tokens into dollars.
"""

from .client import DEFAULT_MODEL, MODEL_ENV, default_model
from .failures import CallFailed, EndpointFailed
from .ordered import ordered_results
from .pricing import Price, PriceChoice, choose_price
from .ratelimit import RateLimiter, estimate_tokens
from .redaction import redact
from .request import RESPONSE_FORMATS
from .retry import RetryPolicy
from .settings import EndpointSettings
from .structured import Answer, StructuredChat
from .usage import Usage

__all__ = [
    "DEFAULT_MODEL",
    "MODEL_ENV",
    "RESPONSE_FORMATS",
    "Answer",
    "CallFailed",
    "EndpointFailed",
    "EndpointSettings",
    "Price",
    "PriceChoice",
    "RateLimiter",
    "RetryPolicy",
    "StructuredChat",
    "Usage",
    "choose_price",
    "default_model",
    "estimate_tokens",
    "ordered_results",
    "redact",
]
