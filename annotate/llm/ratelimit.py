"""Requests-per-minute and tokens-per-minute limits for one provider.

Hosted endpoints enforce both an RPM and a TPM budget and answer 429 when
either is exceeded. Retrying 429s works, but each one costs a round trip and a
``Retry-After`` wait, so the provider paces itself *before* sending. Both
budgets are leaky buckets (`aiolimiter.AsyncLimiter`), which stay correct when
many coroutines wait on them at once.

Tokens are *estimated*, not counted: ``ceil(chars / 4) + max_tokens``. The
exact count would need `tiktoken`, which downloads its encoding files at run
time; this tool must run offline (and against local models whose tokenizer is
not OpenAI's anyway), so a conservative estimate is used. Counting
``max_tokens`` reserves the worst-case completion, which is what the
endpoints' own TPM accounting does.
"""

from __future__ import annotations

import math

from aiolimiter import AsyncLimiter

#: Characters per token in the estimate; English prose averages about 4.
CHARS_PER_TOKEN = 4


def estimate_tokens(chars: int, max_tokens: int = 0) -> int:
    """Tokens one request may use: ``ceil(chars / 4)`` of prompt plus the completion cap."""
    return math.ceil(chars / CHARS_PER_TOKEN) + max_tokens


class RateLimiter:
    """Wait until one more request of `tokens` estimated tokens fits both budgets.

    A limit of None disables that budget; with both None `acquire` returns at once,
    so an unlimited provider pays nothing for the limiter.
    """

    def __init__(self, rpm: int | None = None, tpm: int | None = None) -> None:
        if (rpm is not None and rpm <= 0) or (tpm is not None and tpm <= 0):
            raise ValueError("rpm and tpm must be positive (or None for no limit)")
        self.rpm = rpm
        self.tpm = tpm
        self._requests = AsyncLimiter(rpm, 60) if rpm else None
        self._tokens = AsyncLimiter(tpm, 60) if tpm else None

    @property
    def enabled(self) -> bool:
        return self._requests is not None or self._tokens is not None

    async def acquire(self, tokens: int) -> None:
        """Take one request and `tokens` tokens, waiting as long as needed.

        A single request larger than the whole TPM budget is charged the whole
        budget (aiolimiter refuses amounts above its capacity): it waits for a
        full minute's worth of capacity rather than failing.
        """
        if self._requests is not None:
            await self._requests.acquire()
        if self._tokens is not None and self.tpm is not None:
            await self._tokens.acquire(min(max(tokens, 1), self.tpm))
