"""The fake server's Files and Batches endpoints: OpenAI's Batch API, enough for the batch route.

Mounted by `llm_server.FakeLLM.app`. It speaks ``POST /v1/files`` (multipart,
``purpose=batch``), ``GET /v1/files/{id}`` and ``/content``, ``POST /v1/batches``,
``GET /v1/batches/{id}``, ``POST /v1/batches/{id}/cancel`` and ``GET /v1/batches`` as
the openai SDK expects them.
Each line of a batch is answered by the same code as ``/v1/chat/completions``
(`FakeLLM.respond`: the responder, the faults, the usage, the window), so a
batch's answers are the online route's, faults included.

A batch does not run on a clock but on polls, so tests decide when it ends:
created ``validating``, it is ``in_progress`` for the first `polls` retrievals
and then ends (by default at the first retrieval). Real batches end badly in
ways the control API reproduces (``POST /_control/batches`` with a JSON
object; it applies to batches created afterwards):

* ``polls``: retrievals a batch stays ``in_progress`` before it ends (default 0);
* ``expire_after``: the batch *expires* after answering this many requests;
  the rest go to its error file with ``batch_expired``, as OpenAI writes them;
* ``cancel_after``: a batch cancelled while it runs (``validating`` or
  ``in_progress``) is ``cancelling`` until the next retrieval, then
  ``cancelled`` with this many requests answered in its output file (default:
  half), the rest in its error file with ``batch_cancelled``, as OpenAI keeps
  the part a cancelled batch finished; cancelling an ended batch is a 400;
* ``fail_match``: requests whose article contains this string fail with a 500
  in the error file (a *partly failed* batch: ``completed``, with failures);
* ``max_requests`` and ``max_bytes``: an input file over them fails validation
  (status ``failed``, with the error), as OpenAI's 50,000 requests and 200 MB;
* ``download_seconds``: a file's content is streamed in ten pieces over this
  many seconds (default 0: at once), so a test can kill a client mid-download.

``POST /_control/batches/{id}`` with ``{"status": S}`` moves one batch on at
once (``in_progress``, ``completed``, ``expired`` or ``failed``);
``GET /_control/batches`` reports every batch, uploads, downloads, polls and
lines answered; ``POST /_control/batches/reset`` forgets files, batches and
configuration. ``POST /_control/batches/run`` with a request file as its body
answers it into one output file at once, as ``vllm run-batch`` would (the
batch route's ``--out`` and ``collect --results``).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .fake_http import BodyPartReader, ControlClient, error_response, web

if TYPE_CHECKING:
    from .llm_server import FakeLLM

#: What `POST /_control/batches` sets, with its default.
DEFAULT_BATCH_CONFIG: dict[str, Any] = {
    "polls": 0,
    "expire_after": None,
    "cancel_after": None,
    "fail_match": None,
    "max_requests": 50_000,
    "max_bytes": 200 * 1024 * 1024,
    "download_seconds": 0.0,
}
#: Pieces a slowed download (``download_seconds``) is streamed in.
DOWNLOAD_PIECES = 10
#: Statuses a batch can be moved to by the control API.
FORCED = ("in_progress", "completed", "expired", "failed")
EXPIRED_MESSAGE = "This request could not be executed before the completion window expired."
#: How a batch that ends early marks the requests it did not run: (error code, message).
NOT_RUN = {
    "expired": ("batch_expired", EXPIRED_MESSAGE),
    "cancelled": ("batch_cancelled", "This request was not executed: the batch was cancelled."),
}
#: Statuses in which a batch still runs, so it can be cancelled.
RUNNING = ("validating", "in_progress")


class FakeBatchAPI:
    """Files and batches held in memory, answered through the fake chat server."""

    def __init__(self, llm: FakeLLM) -> None:
        self.llm = llm
        self._ids = itertools.count(1)
        self.reset()

    def reset(self) -> None:
        self.config = dict(DEFAULT_BATCH_CONFIG)
        self.files: dict[str, dict[str, Any]] = {}
        self.contents: dict[str, bytes] = {}
        self.batches: dict[str, dict[str, Any]] = {}
        self.uploads = 0
        self.downloads = 0
        self.polls = 0
        self.lines = 0

    def mount(self, app: web.Application) -> None:
        app.router.add_post("/v1/files", self.upload)
        app.router.add_get("/v1/files/{id}", self.file)
        app.router.add_get("/v1/files/{id}/content", self.content)
        app.router.add_post("/v1/batches", self.create)
        app.router.add_get("/v1/batches", self.list)
        app.router.add_get("/v1/batches/{id}", self.retrieve)
        app.router.add_post("/v1/batches/{id}/cancel", self.cancel)
        app.router.add_post("/_control/batches", self.set_config)
        app.router.add_post("/_control/batches/reset", self.reset_handler)
        app.router.add_post("/_control/batches/run", self.run_file)
        app.router.add_post("/_control/batches/{id}", self.force)
        app.router.add_get("/_control/batches", self.stats)

    # ------------------------------------------------------------------ files

    async def upload(self, request: web.Request) -> web.Response:
        purpose, name, data = "", "upload", b""
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            if not isinstance(part, BodyPartReader):
                continue
            if part.name == "purpose":
                purpose = await part.text()
            elif part.name == "file":
                name = part.filename or name
                data = bytes(await part.read())
        self.uploads += 1
        return web.json_response(self._add_file(name, purpose, data))

    def _add_file(self, name: str, purpose: str, data: bytes) -> dict[str, Any]:
        file_id = f"file-fake-{next(self._ids)}"
        self.files[file_id] = {
            "id": file_id, "object": "file", "bytes": len(data), "created_at": int(time.time()),
            "filename": name, "purpose": purpose, "status": "processed",
        }  # fmt: skip
        self.contents[file_id] = data
        return self.files[file_id]

    async def file(self, request: web.Request) -> web.Response:
        found = self.files.get(request.match_info["id"])
        return web.json_response(found) if found else _missing("file")

    async def content(self, request: web.Request) -> web.StreamResponse:
        file_id = request.match_info["id"]
        if file_id not in self.contents:
            return _missing("file")
        self.downloads += 1
        data = self.contents[file_id]
        seconds = float(self.config["download_seconds"])
        if not seconds:
            return web.Response(body=data, content_type="application/octet-stream")
        response = web.StreamResponse(headers={"Content-Type": "application/octet-stream"})
        response.content_length = len(data)
        await response.prepare(request)
        step = max(1, -(-len(data) // DOWNLOAD_PIECES))
        for start in range(0, len(data), step):
            await response.write(data[start : start + step])
            await asyncio.sleep(seconds / DOWNLOAD_PIECES)
        await response.write_eof()
        return response

    # ---------------------------------------------------------------- batches

    async def create(self, request: web.Request) -> web.Response:
        body = await request.json()
        input_file_id = body.get("input_file_id")
        if input_file_id not in self.files:
            return _missing("input file")
        if body.get("endpoint") != "/v1/chat/completions" or body.get("completion_window") != "24h":
            return error_response(400, "only /v1/chat/completions within 24h is served")
        batch_id = f"batch_fake_{next(self._ids)}"
        now = int(time.time())
        self.batches[batch_id] = {
            "id": batch_id, "object": "batch", "endpoint": body["endpoint"], "errors": None,
            "input_file_id": input_file_id, "completion_window": "24h", "status": "validating",
            "output_file_id": None, "error_file_id": None, "created_at": now,
            "in_progress_at": None, "expires_at": now + 86400, "finalizing_at": None,
            "completed_at": None, "failed_at": None, "expired_at": None, "cancelling_at": None,
            "cancelled_at": None, "request_counts": {"total": 0, "completed": 0, "failed": 0},
            "metadata": body.get("metadata"), "_polls": 0, "_config": dict(self.config),
        }  # fmt: skip
        return web.json_response(_public(self.batches[batch_id]))

    async def retrieve(self, request: web.Request) -> web.Response:
        batch = self.batches.get(request.match_info["id"])
        if batch is None:
            return _missing("batch")
        self.polls += 1
        batch["_polls"] += 1
        if batch["status"] == "cancelling":
            await self._run(batch, ending="cancelled")
        elif batch["status"] in RUNNING:
            if batch["_polls"] <= batch["_config"]["polls"]:
                self._start(batch)
            else:
                await self._run(batch)
        return web.json_response(_public(batch))

    async def cancel(self, request: web.Request) -> web.Response:
        """Cancel a running batch: ``cancelling`` now, ``cancelled`` at the next retrieval."""
        batch = self.batches.get(request.match_info["id"])
        if batch is None:
            return _missing("batch")
        if batch["status"] in RUNNING:
            batch.update(status="cancelling", cancelling_at=int(time.time()))
        elif batch["status"] != "cancelling":
            return error_response(400, f"Cannot cancel a batch with status {batch['status']}.")
        return web.json_response(_public(batch))

    async def list(self, request: web.Request) -> web.Response:
        limit = int(request.query.get("limit", 20))
        newest = sorted(self.batches.values(), key=lambda b: b["created_at"], reverse=True)
        data = [_public(batch) for batch in newest[:limit]]
        first, last = (data[0]["id"], data[-1]["id"]) if data else (None, None)
        return web.json_response(
            {"object": "list", "data": data, "first_id": first, "last_id": last,
             "has_more": False}
        )  # fmt: skip

    def _start(self, batch: dict[str, Any]) -> None:
        if batch["status"] == "validating":
            batch["status"], batch["in_progress_at"] = "in_progress", int(time.time())

    async def _run(self, batch: dict[str, Any], ending: str | None = None) -> None:
        """Answer every line (or fail validation) and write the output and error files."""
        config = batch["_config"]
        data = self.contents[batch["input_file_id"]]
        lines = [line for line in data.splitlines() if line.strip()]
        now = int(time.time())
        problem = _validation_problem(lines, data, config)
        if problem is not None or ending == "failed":
            message = problem or "the batch failed (fake)"
            batch.update(status="failed", failed_at=now)
            batch["errors"] = {
                "object": "list",
                "data": [
                    {"code": "invalid_request", "message": message, "line": None, "param": None}
                ],
            }
            return  # fmt: skip
        stop_after, ending = _stop(config, ending, len(lines))
        outputs: list[bytes] = []
        errors: list[bytes] = []
        for index, raw in enumerate(lines):
            not_run = NOT_RUN[ending] if ending is not None and index >= stop_after else None
            line, answered = await self.output_line(raw, index, config["fail_match"], not_run)
            (outputs if answered else errors).append(line)
        counts = {"total": len(lines), "completed": len(outputs), "failed": len(errors)}
        batch["request_counts"] = counts
        if outputs:
            name = f"{batch['id']}_output.jsonl"
            batch["output_file_id"] = self._add_file(name, "batch_output", b"".join(outputs))["id"]
        if errors:
            name = f"{batch['id']}_error.jsonl"
            batch["error_file_id"] = self._add_file(name, "batch_output", b"".join(errors))["id"]
        if batch["in_progress_at"] is None:
            batch["in_progress_at"] = now
        if ending is not None:
            batch.update({"status": ending, f"{ending}_at": now})
        else:
            batch.update(status="completed", finalizing_at=now, completed_at=now)

    async def output_line(
        self, raw: bytes, index: int, fail_match: str | None,
        not_run: tuple[str, str] | None = None,
    ) -> tuple[bytes, bool]:  # fmt: skip
        """One input line's output line, as OpenAI writes it, and whether it got a 200.

        ``{"id", "custom_id", "response": {"status_code", "request_id", "body"},
        "error"}``; a request the batch did not run (`not_run`: its error code
        and message) has no response. The same format `vllm run-batch` writes,
        so `run_file` answers a whole file as that command would.
        """
        request = json.loads(raw)
        result: dict[str, Any] = {
            "id": f"batch_req_{next(self._ids)}",
            "custom_id": request.get("custom_id"),
            "error": None,
        }
        if not_run is not None:
            code, message = not_run
            result["response"] = None
            result["error"] = {"code": code, "message": message}
            return _line(result), False
        response = await self._answer(request.get("body") or {}, fail_match)
        status = response.status
        answer = json.loads(getattr(response, "body", b"") or b"{}")
        result["response"] = {"status_code": status, "request_id": f"req_{index}",
                              "body": answer}  # fmt: skip
        return _line(result), status == 200

    async def run_file(self, request: web.Request) -> web.Response:
        """Answer a whole input file at once into one output file, as `vllm run-batch` does.

        The batch route's files written with ``--out`` are run elsewhere; this
        stands for that engine: every line in input order, failures included
        (``fail_match`` and the chat faults apply).
        """
        data = await request.read()
        lines = [line for line in data.splitlines() if line.strip()]
        out = [(await self.output_line(raw, index, self.config["fail_match"]))[0]
               for index, raw in enumerate(lines)]  # fmt: skip
        return web.Response(body=b"".join(out), content_type="application/octet-stream")

    async def _answer(self, body: dict[str, Any], fail_match: str | None) -> web.StreamResponse:
        """One line's answer: the chat route's, or its 500 for a line matching `fail_match`."""
        if fail_match and fail_match in json.dumps(body.get("messages"), ensure_ascii=False):
            return error_response(500, "The server had an error (fake).", kind="server_error")
        self.lines += 1
        return await self.llm.respond(body, None)

    # ---------------------------------------------------------------- control

    async def set_config(self, request: web.Request) -> web.Response:
        changes = await request.json()
        unknown = set(changes) - set(DEFAULT_BATCH_CONFIG)
        if unknown:
            return web.json_response({"error": f"unknown: {sorted(unknown)}"}, status=400)
        self.config.update(changes)
        return web.json_response({"config": self.config})

    async def force(self, request: web.Request) -> web.Response:
        batch = self.batches.get(request.match_info["id"])
        status = (await request.json()).get("status")
        if batch is None or status not in FORCED:
            return web.json_response({"error": f"a known batch and a status in {FORCED}"},
                                     status=400)  # fmt: skip
        if batch["status"] in ("validating", "in_progress"):
            if status == "in_progress":
                self._start(batch)
            else:
                await self._run(batch, ending=status)
        return web.json_response(_public(batch))

    async def stats(self, request: web.Request) -> web.Response:
        return web.json_response(
            {"batches": [_public(b) for b in self.batches.values()], "uploads": self.uploads,
             "downloads": self.downloads, "polls": self.polls, "lines": self.lines,
             "files": len(self.files), "config": self.config}
        )  # fmt: skip

    async def reset_handler(self, request: web.Request) -> web.Response:
        self.reset()
        return web.json_response({"reset": True})


def _stop(config: dict[str, Any], ending: str | None, total: int) -> tuple[int, str | None]:
    """How many lines the batch answers, and how it ends early (None: it answers them all).

    A cancelled batch keeps ``cancel_after`` answers; one forced to expire keeps
    ``expire_after`` (half when not set); ``expire_after`` under the line count
    makes any batch expire.
    """
    kept = config["cancel_after" if ending == "cancelled" else "expire_after"]
    if ending in NOT_RUN:
        return (total // 2 if kept is None else min(kept, total)), ending
    if kept is not None and kept < total:
        return kept, "expired"
    return total, None


def _validation_problem(lines: list[bytes], data: bytes, config: dict[str, Any]) -> str | None:
    """Why OpenAI would refuse this input file, or None."""
    if len(lines) > config["max_requests"]:
        return f"the file has {len(lines)} requests, more than {config['max_requests']}"
    if len(data) > config["max_bytes"]:
        return f"the file has {len(data)} bytes, more than {config['max_bytes']}"
    ids = []
    for number, raw in enumerate(lines, 1):
        try:
            request = json.loads(raw)
        except ValueError:
            return f"line {number} is not JSON"
        if request.get("url") != "/v1/chat/completions" or request.get("method") != "POST":
            return f"line {number} is not a POST to /v1/chat/completions"
        ids.append(request.get("custom_id"))
    if len(set(ids)) != len(ids):
        return "custom_id values are not unique"
    return None


def _public(batch: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in batch.items() if not key.startswith("_")}


def _line(record: dict[str, Any]) -> bytes:
    return (json.dumps(record, ensure_ascii=False) + "\n").encode()


def _missing(what: str) -> web.Response:
    return error_response(404, f"No such {what} (fake).")


class BatchControl(ControlClient):
    """The batch endpoints' control API of a running fake server (`running_llm_server`)."""

    def configure(self, **config: Any) -> dict[str, Any]:
        result: dict[str, Any] = self._call("POST", "/_control/batches", config)
        return result

    def force(self, batch_id: str, status: str) -> dict[str, Any]:
        result: dict[str, Any] = self._call("POST", f"/_control/batches/{batch_id}",
                                            {"status": status})  # fmt: skip
        return result

    def stats(self) -> dict[str, Any]:
        result: dict[str, Any] = self._call("GET", "/_control/batches")
        return result

    def reset(self) -> None:
        self._call("POST", "/_control/batches/reset", {})

    def run_file(self, input_path: Path, output_path: Path) -> None:
        """Answer a request file written by ``--out`` into an output file, as an engine would."""
        request = urllib.request.Request(
            self.root + "/_control/batches/run", data=input_path.read_bytes(), method="POST",
            headers={"Content-Type": "application/octet-stream"},
        )  # fmt: skip
        with self._opener.open(request, timeout=120) as response:
            output_path.write_bytes(response.read())
