"""The context window: how many tokens a request takes, calibrated on the server's own count.

A request must fit the model's context window: its prompt plus the answer it
may produce. Tokens cannot be counted offline for every model (OpenAI's
tokenizer downloads its encodings at run time, and a local model's tokenizer
is its own), so they are estimated from characters. A fixed 4 characters per
token is OpenAI's figure for English prose; a llama tokenizer counts this
tool's prompt (instructions plus a JSON schema) at about 3.6, so a budget at 4
with no margin overflows a small window. Hence:

* before any answer, a cautious `INITIAL_CHARS_PER_TOKEN`;
* after each answer, the server's own ``usage.prompt_tokens`` against the
  characters that were sent: the lowest ratio seen so far is kept (the prompt's
  chat-template tokens are counted in, which only makes it more cautious);
* on top, a `SAFETY_MARGIN` for text unlike what was seen (other languages).

A request never asks for more output than the window leaves after its prompt
(`output_tokens`), so a server that enforces ``prompt + max_tokens <= window``
(vLLM) accepts it, and one that silently cuts ``max_tokens`` (llama.cpp) says
so by a truncation the caller can act on. The estimate stays an estimate: a
server's context-length refusal is still expected and answered by the caller
(pre-annotation splits the text).
"""

from __future__ import annotations

import math
import threading

from .server_facts import stated_prompt, stated_window

#: Characters per token assumed before the server has reported any usage.
INITIAL_CHARS_PER_TOKEN = 3.0
#: Share added to every estimate of prompt tokens.
SAFETY_MARGIN = 0.10
#: Fewest output tokens worth asking for: below this a request is not sent.
MIN_OUTPUT_TOKENS = 64


class Window:
    """The context window of one endpoint's model, and the calibrated token estimate.

    `context_window` None means unknown: nothing is clamped. One window is
    shared by every request of a chat, so the first answers calibrate the
    rest; `observe` may be called from several threads (one event loop per
    caller), hence the lock.
    """

    def __init__(self, context_window: int | None, max_tokens: int) -> None:
        if context_window is not None and context_window < 1:
            raise ValueError("context_window must be positive (or None for unknown)")
        self.context_window = context_window
        self.max_tokens = max_tokens
        self.chars_per_token = INITIAL_CHARS_PER_TOKEN
        #: Answers whose usage went into the estimate (0: still the initial guess).
        self.observations = 0
        self._lock = threading.Lock()

    # ------------------------------------------------------------ calibration

    def observe(self, chars: int, prompt_tokens: int) -> None:
        """Learn from one request: `chars` of message text counted as `prompt_tokens`.

        Servers that report no usage (0) teach nothing. The first observation
        replaces the initial guess, later ones can only lower the ratio.
        """
        if prompt_tokens <= 0 or chars <= 0:
            return
        ratio = chars / prompt_tokens
        with self._lock:
            if self.observations == 0 or ratio < self.chars_per_token:
                self.chars_per_token = ratio
            self.observations += 1

    def observe_refusal(self, chars: int, message: str) -> None:
        """Learn from a context-length refusal: the prompt's tokens, and the server's window.

        A window the server states smaller than the one given (llama-cpp-python:
        "Requested tokens (N) exceed context window of W") is the one used from
        now on: the server's own figure beats an option that said otherwise.
        """
        tokens = stated_prompt(message)
        if tokens:
            self.observe(chars, tokens)
        window = stated_window(message)
        with self._lock:
            if window and (self.context_window is None or window < self.context_window):
                self.context_window = window

    # ------------------------------------------------------------ estimates

    def prompt_tokens(self, chars: int) -> int:
        """Tokens `chars` characters of prompt may take, with the safety margin."""
        return math.ceil(chars / self.chars_per_token * (1 + SAFETY_MARGIN))

    def chars_for(self, tokens: int) -> int:
        """Characters that fit in `tokens` by the same (cautious) estimate."""
        return max(0, math.floor(tokens * self.chars_per_token / (1 + SAFETY_MARGIN)))

    def output_tokens(self, prompt_chars: int) -> int:
        """The ``max_tokens`` to send: the configured cap, or what the window leaves.

        Never below `MIN_OUTPUT_TOKENS`: a prompt that leaves less does not fit
        (see `fits`), unless nothing is measured yet.
        """
        if self.context_window is None:
            return self.max_tokens
        left = self.context_window - self.prompt_tokens(prompt_chars)
        return min(self.max_tokens, max(left, MIN_OUTPUT_TOKENS))

    def fits(self, prompt_chars: int) -> bool:
        """True when the prompt leaves room for an answer, or before anything is measured.

        The initial guess is cautious on purpose, so it must not refuse on its
        own: the first requests go out, and the server's answer (or its
        refusal, which states the prompt's tokens) makes the estimate.
        """
        if self.context_window is None or not self.observations:
            return True
        left = self.context_window - self.prompt_tokens(prompt_chars)
        return left >= MIN_OUTPUT_TOKENS

    @property
    def measured(self) -> bool:
        return self.observations > 0

    def describe(self) -> str:
        """How the estimate was made, for messages: a measured ratio or the initial guess."""
        source = (
            f"measured on {self.observations} answer(s)" if self.observations else "initial guess"
        )
        return f"{self.chars_per_token:.2f} characters per token, {source}"
