"""What a model's tokens cost, in US dollars per million tokens.

Prices change; the table holds list prices for common hosted models at the
time of writing and is overridden per run with ``--price-input`` and
``--price-output``. Models not listed (local vLLM, Ollama, llama.cpp) cost 0.
"""

from __future__ import annotations

from dataclasses import dataclass

#: model name prefix -> (input, output) USD per 1M tokens.
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


@dataclass(frozen=True)
class Price:
    input_per_million: float
    output_per_million: float

    def cost(self, prompt_tokens: int, completion_tokens: int) -> float:
        return (
            prompt_tokens * self.input_per_million + completion_tokens * self.output_per_million
        ) / 1_000_000


def price_for(
    model: str, input_override: float | None = None, output_override: float | None = None
) -> Price:
    """The longest matching prefix in the table, with per-run overrides applied."""
    matches = [prefix for prefix in PRICES_PER_MILLION if model.startswith(prefix)]
    base = PRICES_PER_MILLION[max(matches, key=len)] if matches else (0.0, 0.0)
    return Price(
        base[0] if input_override is None else input_override,
        base[1] if output_override is None else output_override,
    )
