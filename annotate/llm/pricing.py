"""What a model's tokens cost, in US dollars per million tokens, and where that price came from.

Prices change, and a model name alone does not say who serves it: ``gpt-4o-mini``
behind a local vLLM costs nothing per token, and a model served by someone else
costs what they charge. So a price is chosen in this order, and the choice says
which one it took (`PriceChoice.source`) so that a cost estimate never hides a
guess:

1. ``--price-input`` / ``--price-output`` given for this run;
2. a prices file (``--prices FILE``), JSON or TOML, ``{model: {input, output}}``
   in USD per 1M tokens, matched by the longest model-name prefix;
3. the built-in table of OpenAI list prices (`PRICES_PER_MILLION`), only when the
   requests go to OpenAI itself (no ``OPENAI_BASE_URL``, or one on openai.com);
4. none: the cost is unknown, shown as such, and a ``--max-cost`` budget refuses
   to start rather than count unknown costs as free.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from annotate.errors import ConfigurationError

from .usage import Usage

#: model name prefix -> (input, output) USD per 1M tokens (OpenAI list prices).
PRICES_PER_MILLION: dict[str, tuple[float, float]] = {
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4o": (2.50, 10.00),
    "gpt-4.1-nano": (0.10, 0.40),
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4.1": (2.00, 8.00),
    "gpt-5-nano": (0.05, 0.40),
    "gpt-5-mini": (0.25, 2.00),
    "gpt-5": (1.25, 10.00),
}
#: The share of the price OpenAI's Batch API takes off (its answers within 24 hours
#: cost half): what ``annotate preannotate --batch`` pays for the answers it collects.
BATCH_DISCOUNT = 0.5
#: Where the built-in table applies: OpenAI's own API.
OPENAI_HOST_SUFFIX = "openai.com"


@dataclass(frozen=True)
class Price:
    input_per_million: float
    output_per_million: float

    def cost(self, prompt_tokens: int | float, completion_tokens: int | float) -> float:
        return (
            prompt_tokens * self.input_per_million + completion_tokens * self.output_per_million
        ) / 1_000_000

    def cost_of(self, usage: Usage) -> float:
        """What `usage` costs: its tokens at this price, those of batch answers at the discount."""
        batch = self.cost(usage.batch_prompt_tokens, usage.batch_completion_tokens)
        return self.cost(usage.prompt_tokens, usage.completion_tokens) - BATCH_DISCOUNT * batch


@dataclass(frozen=True)
class PriceChoice:
    """The price a run uses (None: unknown) and, in words, where it came from."""

    price: Price | None
    source: str

    @property
    def known(self) -> bool:
        return self.price is not None


def choose_price(
    model: str,
    *,
    input_override: float | None = None,
    output_override: float | None = None,
    prices_file: Path | None = None,
    base_url: str | None = None,
) -> PriceChoice:
    """The price of `model` by the module's order: options, file, table (OpenAI only), none.

    One override alone completes the price found otherwise (the other side from
    the file or table, else 0), so ``--price-output 0`` on a listed model works.
    """
    found: tuple[float, float] | None = None
    source = ""
    if prices_file is not None:
        found = _longest_prefix(load_prices(prices_file), model)
        source = f"prices file {prices_file}"
    if found is None and is_openai_endpoint(base_url):
        found = _longest_prefix(PRICES_PER_MILLION, model)
        source = "built-in OpenAI list prices"
    if input_override is not None or output_override is not None:
        base = found or (0.0, 0.0)
        found = (
            base[0] if input_override is None else input_override,
            base[1] if output_override is None else output_override,
        )
        source = "--price-input/--price-output"
    if found is None:
        return PriceChoice(None, f"no price for model {model!r}")
    return PriceChoice(Price(*found), source)


def is_openai_endpoint(base_url: str | None = None) -> bool:
    """True when requests go to OpenAI: no base URL (here or in the environment) or openai.com."""
    url = base_url or os.environ.get("OPENAI_BASE_URL")
    if not url:
        return True
    host = urlparse(url).hostname or ""
    return host == OPENAI_HOST_SUFFIX or host.endswith("." + OPENAI_HOST_SUFFIX)


def load_prices(path: Path) -> dict[str, tuple[float, float]]:
    """A prices file: ``{model: {"input": USD, "output": USD}}`` per 1M tokens, JSON or TOML.

    TOML when the name ends in ``.toml``, JSON otherwise. Model names are
    prefixes, as in the built-in table (``"llama3"`` prices ``llama3.1:8b``).
    """
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigurationError(f"cannot read the prices file {path}: {exc.strerror}") from None
    import tomllib  # here: only a --prices file uses it (2 ms of every start, issue 22)

    try:
        data: Any = tomllib.loads(text) if path.suffix == ".toml" else json.loads(text)
    except ValueError as exc:  # tomllib.TOMLDecodeError is one
        raise ConfigurationError(f"the prices file {path} is not valid: {exc}") from None
    if not isinstance(data, Mapping):
        raise ConfigurationError(f"the prices file {path} must map model names to prices")
    return {str(model): _entry(path, str(model), entry) for model, entry in data.items()}


def _entry(path: Path, model: str, entry: Any) -> tuple[float, float]:
    try:
        prices = (float(entry["input"]), float(entry["output"]))
    except (TypeError, KeyError, ValueError):
        raise ConfigurationError(
            f"the prices file {path}: model {model!r} needs numeric \"input\" and \"output\" "
            "(USD per 1M tokens)"
        ) from None
    if min(prices) < 0:
        raise ConfigurationError(f"the prices file {path}: model {model!r} has a negative price")
    return prices


def _longest_prefix(
    table: Mapping[str, tuple[float, float]], model: str
) -> tuple[float, float] | None:
    matches = [prefix for prefix in table if model.startswith(prefix)]
    return table[max(matches, key=len)] if matches else None
