"""The endpoint's settings, declared once: what to ask, where, how fast, at what price.

Every command that calls a model (`annotate preannotate`, `eval`, `compare
--provider openai`, `batch collect`) takes the same knobs, and the provider and
the judge are built from them. Each knob is one field of `EndpointSettings`,
with its default and, for those the command line exposes, its help text and
lower limit as field metadata (`option`, read back by `flags`): the CLI turns these fields into
options (`annotate.cli.llm_options`) without this layer knowing about typer,
and the limits hold for settings made in code too.

The fields without an option come from the environment (`base_url`, `api_key`:
``OPENAI_BASE_URL``, ``OPENAI_API_KEY`` by default) or are fixed by the code
(re-asks, timeouts, back-off).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from functools import cache
from pathlib import Path
from typing import Any, get_type_hints

from annotate.errors import ConfigurationError

from .client import default_model
from .pricing import PriceChoice, choose_price
from .retry import RetryPolicy


@dataclass(frozen=True)
class Flag:
    """How a setting appears on the command line: its help text and the least value taken."""

    help: str
    min: float | None = None
    show_default: bool = True


def option(default: Any, help: str, *, min: float | None = None, show_default: bool = True) -> Any:
    """A setting the command line exposes as ``--NAME`` (its name, dashed)."""
    return field(default=default, metadata={"flag": Flag(help, min, show_default)})


@dataclass(frozen=True)
class EndpointSettings:
    """Where to send requests and how: the knobs the commands expose, and the fixed ones.

    `max_retries` bounds transport re-sends per HTTP call (starting at
    `backoff_initial` seconds); `max_reasks` bounds validation re-asks per
    question. `context_window` (tokens) caps each request's ``max_tokens`` to
    what the window leaves after its prompt. `concurrency`, the prices and
    `max_cost` are the job's, read by whoever runs many requests. The key is
    left out of the repr, so a logged settings object never shows it.
    """

    model: str | None = option(
        None,
        "Model name for --provider openai (default: $ANNOTATE_MODEL, else gpt-4o-mini; "
        "required with OPENAI_BASE_URL: the name the server lists at /v1/models).",
        show_default=False,
    )
    concurrency: int = option(8, "Requests in flight at once.", min=1)
    rpm: int | None = option(None, "Requests-per-minute limit.")
    tpm: int | None = option(None, "Tokens-per-minute limit (estimated).")
    max_tokens: int = option(4096, "Output token limit per call.")
    context_window: int = option(
        16000,
        "The model's context window in tokens, as the server runs it (llama.cpp: -c / "
        "--n_ctx); longer input is chunked, and max-tokens is cut to what the window leaves.",
    )
    temperature: float = option(0.0, "Sampling temperature.")
    response_format: str = option(
        "auto", "auto (strict json_schema, falling back to JSON mode), json_schema, or json_object."
    )
    max_retries: int = option(
        6, "Re-sends of a request after 429, 5xx, a timeout or a failed connection.", min=0
    )
    price_input: float | None = option(None, "USD per 1M input tokens (overrides the table).")
    price_output: float | None = option(None, "USD per 1M output tokens (overrides the table).")
    prices: Path | None = option(
        None,
        'Prices file, JSON or TOML: {"model": {"input": USD, "output": USD}} per 1M '
        "tokens, models matched by name prefix. Without it only OpenAI's own API is priced.",
        show_default=False,
    )
    max_cost: float | None = option(
        None,
        "Stop before spending more than this many USD in this run (calls in flight "
        "counted at their expected cost); exit status 3, pending documents kept.",
        min=0.0,
        show_default=False,
    )
    # Not on the command line: from the environment, or the code's own.
    base_url: str | None = None
    api_key: str | None = field(default=None, repr=False)
    max_reasks: int = 2
    timeout: float = 60.0
    backoff_initial: float = 0.5
    backoff_max: float = 30.0
    retry_after_cap: float = 60.0

    def __post_init__(self) -> None:
        for name, _, flag in flags():
            value = getattr(self, name)
            if flag.min is not None and value is not None and value < flag.min:
                dashed = "--" + name.replace("_", "-")
                raise ConfigurationError(f"{dashed} must be at least {flag.min}, not {value}")

    @property
    def retry_policy(self) -> RetryPolicy:
        return RetryPolicy(
            self.max_retries, self.backoff_initial, self.backoff_max, self.retry_after_cap
        )

    def resolved_model(self) -> str:
        """The model asked for, else ``$ANNOTATE_MODEL``, else the default (`default_model`)."""
        return default_model(self.model, self.base_url)

    def price_of(self, model: str) -> PriceChoice:
        """What `model`'s tokens cost by these settings' prices (`choose_price`'s order)."""
        return choose_price(
            model,
            input_override=self.price_input,
            output_override=self.price_output,
            prices_file=self.prices,
            base_url=self.base_url,
        )


@cache
def flags() -> tuple[tuple[str, Any, Flag], ...]:
    """The settings the command line exposes, in their order: name, type and `Flag`."""
    hints = get_type_hints(EndpointSettings)
    return tuple(
        (f.name, hints[f.name], f.metadata["flag"])
        for f in fields(EndpointSettings)
        if "flag" in f.metadata
    )
