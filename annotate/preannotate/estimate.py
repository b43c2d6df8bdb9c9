"""How many tokens a call will use, learnt from the store's past calls where it can be.

No exact tokenizer is used: ``tiktoken``'s wheel ships no encodings (it
downloads them at run time, which this tool must not need), and local models
have tokenizers of their own anyway. Instead the estimate is calibrated on what
servers reported for this model and prompt before, which is exact for the
server that counts:

* **input**: a least-squares line ``prompt_tokens = overhead + chars / chars_per_token``
  over past calls answered without a re-ask (the overhead is the system prompt,
  schema and chat template, whatever the server counts them as). With too few
  such calls, ``chars / 4`` plus the provider's prompt at 4 characters per token;
* **output**: completion tokens per prompt token over every past call of the
  model and prompt (re-asks included, as the bill includes them); with none,
  `DEFAULT_OUTPUT_RATIO`.

Each `TokenModel` says in words which of these it used (`input_method`,
`output_method`), so an estimate never passes a guess off as a measurement.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from annotate.llm.ratelimit import CHARS_PER_TOKEN
from annotate.store import CallTotals, Store

#: Completion tokens per prompt token assumed when a model has no past calls.
#: An extraction answer quotes each claim and restates it (plus actors, stances
#: and their evidence), so it runs about as long as the prompt: answers quoting
#: what the rules find measure 1.25 on the seeds, whose prompt is half
#: instructions. A guess, and said to be one; a model's first run replaces it.
DEFAULT_OUTPUT_RATIO = 1.0
#: Clean past calls needed to fit the input line (fewer: the default estimate).
MIN_CALLS_TO_FIT = 3


@dataclass(frozen=True)
class TokenModel:
    """Tokens of one call as a function of its text's length in characters."""

    overhead_tokens: float
    chars_per_token: float
    output_ratio: float
    input_method: str
    output_method: str

    def prompt_tokens(self, text_chars: int) -> float:
        return self.overhead_tokens + text_chars / self.chars_per_token

    def completion_tokens(self, prompt_tokens: float) -> float:
        return prompt_tokens * self.output_ratio


def default_token_model(overhead_chars: int = 0) -> TokenModel:
    """The estimate without history: 4 characters per token, `DEFAULT_OUTPUT_RATIO` out."""
    return TokenModel(
        overhead_tokens=overhead_chars / CHARS_PER_TOKEN,
        chars_per_token=CHARS_PER_TOKEN,
        output_ratio=DEFAULT_OUTPUT_RATIO,
        input_method=f"estimated at {CHARS_PER_TOKEN} characters per token (no tokenizer; "
        "no past calls of this model)",
        output_method=f"assumed {DEFAULT_OUTPUT_RATIO} completion tokens per prompt token "
        "(no past calls of this model)",
    )


def token_model(store: Store, provider: Any) -> TokenModel:
    """The token estimate for `provider`'s calls, calibrated on its past calls in `store`.

    `provider` may offer ``prompt_overhead_chars`` (the characters every request
    sends besides the text); without it the default overhead is 0.
    """
    overhead_chars = int(getattr(provider, "prompt_overhead_chars", 0) or 0)
    totals = store.calls.totals(provider.model, provider.prompt_version)
    return calibrated(totals, default_token_model(overhead_chars))


def calibrated(totals: CallTotals, default: TokenModel) -> TokenModel:
    """`default` with its input line and output ratio replaced by what `totals` measure."""
    overhead, chars_per_token, input_method = (
        default.overhead_tokens,
        default.chars_per_token,
        default.input_method,
    )
    fitted = _fit(totals)
    if fitted is not None:
        overhead, chars_per_token = fitted
        input_method = (
            f"fitted on {totals.clean_calls} past calls of this model: {overhead:.0f} tokens "
            f"of prompt + 1 token per {chars_per_token:.2f} characters"
        )
    ratio, output_method = default.output_ratio, default.output_method
    if totals.all_calls and totals.all_prompt_tokens > 0:
        ratio = totals.all_completion_tokens / totals.all_prompt_tokens
        output_method = (
            f"{ratio:.3f} completion tokens per prompt token, measured on "
            f"{totals.all_calls} past calls of this model"
        )
    return TokenModel(overhead, chars_per_token, ratio, input_method, output_method)


def _fit(t: CallTotals) -> tuple[float, float] | None:
    """(overhead tokens, characters per token) by least squares, or None when it cannot hold.

    Texts of one length (or too few calls) leave the slope undetermined; a
    negative overhead or slope means the calls do not follow a line. Either
    way the default estimate is kept rather than a fit that extrapolates badly.
    """
    n = t.clean_calls
    if n < MIN_CALLS_TO_FIT:
        return None
    spread = n * t.sum_chars_squared - t.sum_chars**2
    if spread <= 1e-9 * max(t.sum_chars_squared * n, 1.0):
        return None
    slope = (n * t.sum_chars_tokens - t.sum_chars * t.sum_tokens) / spread
    intercept = (t.sum_tokens - slope * t.sum_chars) / n
    if slope <= 0 or intercept < 0:
        return None
    return intercept, 1 / slope
