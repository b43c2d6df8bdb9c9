"""The LLM endpoint's options, shared by every command that calls a model.

`annotate preannotate` and `annotate compare --provider openai` call a model
through the same client (`annotate.llm`); their knobs have one spelling and
one help text, defined here once.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from annotate.llm import Price, PriceChoice, choose_price

ModelOption = Annotated[
    str | None,
    typer.Option(
        help="Model name for --provider openai (default: $ANNOTATE_MODEL, else gpt-4o-mini; "
        "required with OPENAI_BASE_URL: the name the server lists at /v1/models).",
        show_default=False,
    ),
]
ConcurrencyOption = Annotated[int, typer.Option(min=1, help="Requests in flight at once.")]
RpmOption = Annotated[int | None, typer.Option(help="Requests-per-minute limit.")]
TpmOption = Annotated[int | None, typer.Option(help="Tokens-per-minute limit (estimated).")]
MaxTokensOption = Annotated[int, typer.Option(help="Output token limit per call.")]
ContextWindowOption = Annotated[
    int,
    typer.Option(
        help="The model's context window in tokens, as the server runs it (llama.cpp: -c / "
        "--n_ctx); longer input is chunked, and max-tokens is cut to what the window leaves."
    ),
]
TemperatureOption = Annotated[float, typer.Option(help="Sampling temperature.")]
ResponseFormatOption = Annotated[
    str,
    typer.Option(
        help="auto (strict json_schema, falling back to JSON mode), json_schema, or json_object."
    ),
]
MaxRetriesOption = Annotated[
    int,
    typer.Option(
        min=0, help="Re-sends of a request after 429, 5xx, a timeout or a failed connection."
    ),
]
PriceInputOption = Annotated[
    float | None, typer.Option(help="USD per 1M input tokens (overrides the table).")
]
PriceOutputOption = Annotated[
    float | None, typer.Option(help="USD per 1M output tokens (overrides the table).")
]
PricesOption = Annotated[
    Path | None,
    typer.Option(
        "--prices",
        help='Prices file, JSON or TOML: {"model": {"input": USD, "output": USD}} per 1M '
        "tokens, models matched by name prefix. Without it only OpenAI's own API is priced.",
        show_default=False,
    ),
]

MaxCostOption = Annotated[
    float | None,
    typer.Option(
        min=0.0,
        help="Stop before spending more than this many USD in this run (calls in flight "
        "counted at their expected cost); exit status 3, pending documents kept.",
        show_default=False,
    ),
]


def job_price(
    provider: str,
    model: str,
    price_input: float | None,
    price_output: float | None,
    prices: Path | None,
) -> PriceChoice:
    """What a job's tokens cost: the rules are free; a model as `choose_price` decides."""
    if provider != "openai":
        return PriceChoice(Price(0.0, 0.0), "free: runs locally, no LLM calls")
    return choose_price(
        model, input_override=price_input, output_override=price_output, prices_file=prices
    )


def endpoint_options(given: dict[str, Any]) -> dict[str, Any]:
    """The client's keyword arguments from a command's parameters (its ``locals()``)."""
    return {
        "rpm": given["rpm"],
        "tpm": given["tpm"],
        "max_tokens": given["max_tokens"],
        "context_window_tokens": given["context_window"],
        "temperature": given["temperature"],
        "response_format": given["response_format"],
        "max_retries": given["max_retries"],
    }
