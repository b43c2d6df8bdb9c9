"""The Batch API's files: request lines written, split to the provider's limits, results read.

OpenAI's Batch API takes a JSONL file of requests, each line
``{"custom_id", "method", "url", "body"}`` with the body the online route
would POST, and answers within its window at half price with two JSONL files:
the output file (one line per request that got an HTTP answer, with its
status and body) and the error file (requests that failed or were never run,
such as those left when the batch expired). Lines come back in any order, so
each carries its ``custom_id``.

The same files serve engines of one's own: ``vllm run-batch`` reads the
request file and writes the output format (one file, failures included), so
``annotate preannotate --batch --out DIR`` writes them and
``annotate batch collect --results FILE`` reads the output (`read_results_file`).

One input file holds at most `MAX_REQUESTS` requests and `MAX_BYTES` bytes
(OpenAI's limits); `split_lines` cuts a stream of lines into files that
respect both, keeping the lines of one *group* (a document's chunks) in one
file, so that a document is answered by one batch and collected at once.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
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


class FileLimits:
    """Fills one batch file after another within `max_requests` lines and `max_bytes` bytes.

    Lines come in groups (a document's chunks) that never span two files:
    `fits` says whether a group still fits the current file, `add` counts it
    in, `start` begins the next file. The caller writes the lines itself, so a
    200 MB file streams to disk instead of being held in memory.
    """

    def __init__(self, max_requests: int = MAX_REQUESTS, max_bytes: int = MAX_BYTES) -> None:
        if max_requests < 1 or max_bytes < 1:
            raise ValueError("a batch file must allow at least one request and one byte")
        self.max_requests = max_requests
        self.max_bytes = max_bytes
        self.start()

    def start(self) -> None:
        self.requests = 0
        self.bytes = 0

    def check(self, group: list[bytes]) -> int:
        """The group's size in bytes; raises `TooLarge` when not even an empty file holds it."""
        size = sum(len(line) for line in group)
        if len(group) > self.max_requests or size > self.max_bytes:
            raise TooLarge(
                f"{len(group)} request(s) of {size} bytes exceed one batch file "
                f"({self.max_requests} requests, {self.max_bytes} bytes)"
            )
        return size

    def fits(self, group: list[bytes]) -> bool:
        size = self.check(group)
        return (
            self.requests + len(group) <= self.max_requests and self.bytes + size <= self.max_bytes
        )

    def add(self, group: list[bytes]) -> None:
        self.requests += len(group)
        self.bytes += self.check(group)


def split_lines(
    groups: Iterable[list[bytes]],
    max_requests: int = MAX_REQUESTS,
    max_bytes: int = MAX_BYTES,
) -> Iterator[list[list[bytes]]]:
    """Cut groups of lines into files of at most `max_requests` lines and `max_bytes` bytes.

    In memory, for small inputs and tests; `FileLimits` is the streaming form.
    A group larger than a whole file raises `TooLarge`. Yields each file as
    its list of groups.
    """
    limits = FileLimits(max_requests, max_bytes)
    current: list[list[bytes]] = []
    for group in groups:
        if current and not limits.fits(group):
            yield current
            current = []
            limits.start()
        limits.add(group)
        current.append(group)
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


class ResultsFileError(ValueError):
    """A results file that cannot be read: missing, unreadable, or not Batch output lines."""


def read_results_file(path: Path) -> Iterator[BatchResult]:
    """Every result of an output file made elsewhere (`vllm run-batch`, ...), read lazily.

    Raises `ResultsFileError` naming the file, and the line, when it cannot be
    read, when a line is not a Batch output line (a request line, the file
    given to the engine instead of its output, is refused too: it carries no
    ``response`` nor ``error``), or when it holds no line at all.
    """
    found = 0
    try:
        with path.open("rb") as lines:
            for number, line in enumerate(lines, 1):
                if not line.strip():
                    continue
                yield _result_of(path, number, line)
                found += 1
    except OSError as exc:
        raise ResultsFileError(f"cannot read {path}: {exc.strerror or exc}") from None
    if not found:
        raise ResultsFileError(f"{path} holds no result line")


def _result_of(path: Path, number: int, line: bytes) -> BatchResult:
    try:
        record = json.loads(line)
        if isinstance(record, dict) and "response" not in record and "error" not in record:
            raise ValueError(
                "it has no response nor error: a request line? give the engine's output file"
            )
        return parse_result_line(line)
    except (ValueError, TypeError) as exc:
        raise ResultsFileError(
            f"{path} line {number} is not a Batch output line "
            f'({{"custom_id", "response", "error"}}): {str(exc)[:200]}'
        ) from None


def _error_text(error: Any) -> str:
    if isinstance(error, dict):
        code, message = error.get("code"), error.get("message")
        text = ": ".join(str(part) for part in (code, message) if part)
        return text[:500] or "error"
    return str(error or "error")[:500]


__all__ = [
    "CHAT_URL",
    "FileLimits",
    "MAX_BYTES",
    "MAX_REQUESTS",
    "BatchResult",
    "CallFailed",
    "ResultsFileError",
    "TooLarge",
    "parse_result_line",
    "parse_results",
    "read_results_file",
    "request_line",
    "split_lines",
]
