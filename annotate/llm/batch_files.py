"""The Batch API's files: request lines written, split to the provider's limits, results read.

OpenAI's Batch API takes a JSONL file of requests, each line
``{"custom_id", "method", "url", "body"}`` with the body the online route
would POST, and answers within its window at half price with two JSONL files:
the output file (one line per request that got an HTTP answer, with its
status and body) and the error file (requests that failed or were never run,
such as those left when the batch expired). Lines come back in any order, so
each carries its ``custom_id``.

One input file holds at most `MAX_REQUESTS` requests and `MAX_BYTES` bytes
(OpenAI's limits); `split_lines` cuts a stream of lines into files that
respect both, keeping the lines of one *group* (a document's chunks) in one
file, so that a document is answered by one batch and collected at once.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from .completion import answer_text
from .failures import CallFailed
from .usage import Usage

#: OpenAI's limits on one batch input file.
MAX_REQUESTS = 50_000
MAX_BYTES = 200 * 1024 * 1024
#: The endpoint every line is sent to.
CHAT_URL = "/v1/chat/completions"


def request_line(custom_id: str, body: dict[str, Any]) -> bytes:
    """One input line (with its newline): `body` POSTed to the chat endpoint as `custom_id`."""
    line = {"custom_id": custom_id, "method": "POST", "url": CHAT_URL, "body": body}
    return (json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n").encode()


class TooLarge(ValueError):
    """A group of lines that no file within the limits can hold."""


def split_lines(
    groups: Iterable[list[bytes]],
    max_requests: int = MAX_REQUESTS,
    max_bytes: int = MAX_BYTES,
) -> Iterator[list[list[bytes]]]:
    """Cut groups of lines into files of at most `max_requests` lines and `max_bytes` bytes.

    A group never spans two files: it starts a new file when it does not fit
    in the current one. A group larger than a whole file raises `TooLarge`
    before anything is yielded for it (the caller leaves it to the online
    route). Yields each file as its list of groups.
    """
    if max_requests < 1 or max_bytes < 1:
        raise ValueError("a batch file must allow at least one request and one byte")
    current: list[list[bytes]] = []
    requests = size = 0
    for group in groups:
        group_size = sum(len(line) for line in group)
        if len(group) > max_requests or group_size > max_bytes:
            raise TooLarge(
                f"{len(group)} request(s) of {group_size} bytes exceed one batch file "
                f"({max_requests} requests, {max_bytes} bytes)"
            )
        if current and (requests + len(group) > max_requests or size + group_size > max_bytes):
            yield current
            current, requests, size = [], 0, 0
        current.append(group)
        requests += len(group)
        size += group_size
    if current:
        yield current


@dataclass
class BatchResult:
    """What the batch made of one request: an HTTP answer (`status`, `body`) or an `error`."""

    custom_id: str
    #: The HTTP status of the answer (0: the request was never run).
    status: int = 0
    #: The answer's body: a chat completion when `status` is 200.
    body: dict[str, Any] = field(default_factory=dict)
    #: Why there is no answer: the batch's own error (``batch_expired``, ...) or the HTTP error.
    error: str | None = None

    @property
    def answered(self) -> bool:
        """True when the request got a chat completion to read."""
        return self.status == 200 and self.error is None

    def answer(self) -> tuple[str | None, Usage]:
        """The answer's text and the tokens it cost, billed at the batch rate.

        Raises `CallFailed` as the online route would for the same completion:
        ``truncated`` (finish_reason=length) or ``refused``.
        """
        counts = self.body.get("usage") or {}
        prompt = int(counts.get("prompt_tokens") or 0)
        completion = int(counts.get("completion_tokens") or 0)
        usage = Usage(prompt, completion, 1, prompt, completion)
        return answer_text(self.body, usage, "max_tokens of the batch request"), usage


def parse_result_line(line: str | bytes) -> BatchResult:
    """One line of an output or error file; a line that cannot be read raises `ValueError`."""
    record = json.loads(line)
    if not isinstance(record, dict) or not isinstance(record.get("custom_id"), str):
        raise ValueError("a batch result line without a custom_id")
    result = BatchResult(record["custom_id"])
    response = record.get("response") or {}
    error = record.get("error")
    if error:
        result.error = _error_text(error)
    if isinstance(response, dict) and response:
        result.status = int(response.get("status_code") or 0)
        body = response.get("body")
        result.body = body if isinstance(body, dict) else {}
        if result.status != 200 and result.error is None:
            result.error = f"HTTP {result.status}: {_error_text(result.body.get('error'))}"
    if result.status == 0 and result.error is None:
        result.error = "no answer"
    return result


def parse_results(lines: Iterable[str | bytes]) -> Iterator[BatchResult]:
    """Every readable line of result files (blank lines skipped)."""
    for line in lines:
        if line.strip():
            yield parse_result_line(line)


def _error_text(error: Any) -> str:
    if isinstance(error, dict):
        code, message = error.get("code"), error.get("message")
        text = ": ".join(str(part) for part in (code, message) if part)
        return text[:500] or "error"
    return str(error or "error")[:500]


__all__ = [
    "CHAT_URL",
    "MAX_BYTES",
    "MAX_REQUESTS",
    "BatchResult",
    "CallFailed",
    "TooLarge",
    "parse_result_line",
    "parse_results",
    "request_line",
    "split_lines",
]
