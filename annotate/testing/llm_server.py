"""A fake OpenAI chat-completions server for tests and benchmarks.

It speaks just enough of ``POST /v1/chat/completions`` for the provider and the
plain SDK: it finds the article after ``ARTICLE:\\n`` in the user messages
(`annotate.preannotate.providers.openai_chat.USER_PREFIX`), answers with
``responder(article)`` as JSON, and reports token usage estimated at 4
characters per token. The default responder is the offline rule-based
extractor, so answers quote the article verbatim and ground like a good model's.
A user message with ``CLAIMS:\\n`` and a JSON pair of claims instead (the
comparison judge's, `annotate.compare.judges.openai_judge`) is answered with a
verdict from the server's own heuristic (`annotate.testing.fake_verdicts`).

Real endpoints fail in ways a test must reproduce on demand, so faults are
injected through a control API rather than by mocking the client:

* ``POST /_control/faults`` with a JSON list of faults, each
  ``{"kind": K, "match": "substring", "times": N, "retry_after": S, "seconds": S}``.
  A request takes the first fault with ``times`` left whose ``match`` (if any)
  occurs in its article (or claims JSON). Kinds: ``400``, ``401`` (its message echoes the API
  key, to test that the client never repeats it), ``429`` (with ``Retry-After``
  when ``retry_after`` is given), ``500``, ``invalid_json``, ``truncated``
  (``finish_reason=length``, JSON cut in half), ``hallucinate`` (an extra claim
  quoting text the article does not contain; for a pair of claims, differing
  values in neither claim), ``validation_error`` (JSON
  missing the required ``document``; for a pair of claims, a contradiction
  without its detail), ``refuse`` (``message.refusal``),
  ``timeout`` and ``slow`` (answer after ``seconds``, default 30 and 1),
  ``drop_connection`` (close the socket without answering).
* ``GET /_control/stats``: total requests, fires per fault kind, requests per
  ``response_format`` type, the set of ``Authorization`` headers seen, and the
  last request (its ``response_format`` and messages).
* ``POST /_control/reset``: forget faults and stats.

``--reject-json-schema`` answers every ``json_schema`` request as OpenAI does
for a model without structured outputs (400); ``--reject-json-schema llama.cpp``
as llama-cpp-python 0.3's server does: its request model only knows ``text``
and ``json_object``, and its route handler turns the validation error into a
500 whose message is FastAPI's list of errors, naming ``response_format``.

Local servers differ from OpenAI in three more ways a test must be able to
reproduce (options, or ``POST /_control/config`` with the same names):

* ``chars_per_token`` (default 4) and ``message_tokens`` (chat-template tokens
  per message, default 0) set the ``usage`` the server reports; a llama
  tokenizer runs at about 3.6 characters per token on this tool's prompt;
* ``context_window`` (tokens, default none) is enforced, with
  ``context_overflow`` choosing how: ``clamp`` as llama-cpp-python does (a
  prompt that fills the window is refused with a 400, "This model's maximum
  context length is N tokens. However, you requested ..." and code
  ``context_length_exceeded``; otherwise ``max_tokens`` is cut to what the
  window leaves and a longer answer ends with ``finish_reason=length``),
  ``reject`` as vLLM does (the same 400 whenever prompt + ``max_tokens``
  exceeds the window), or ``truncate`` as Ollama does (a longer prompt is cut
  to the window without a word: its ``usage`` counts what was kept, and stats
  count ``truncated_prompts``). With a window set, ``max_tokens`` is honoured too;
* ``models``: the names ``GET /v1/models`` lists. By default it lists nothing
  and answers 404, like servers without a listing, so any model name is used;
* ``tokenize``: llama-cpp-python's ``POST /extras/tokenize`` counts a text at
  ``chars_per_token`` (by default it answers 404, like servers without one);
* ``running_models``: Ollama's ``GET /api/ps`` lists each served model once a
  request has loaded it, with ``context_length`` the window (by default 404).

``comparison_answers`` chooses how a pair of claims is answered: ``heuristic``
(the default, `annotate.testing.fake_verdicts`); ``any_instance``, a random
instance valid under the JSON schema the request sent (``response_format``'s,
or in JSON mode the one its system prompt carries), as a server that follows
the schema and nothing else may answer; ``union_ignored``, the same with every
union of objects merged into one object, as a server that ignores ``anyOf``
(or a model in JSON mode that fills every field it sees) answers. Instances
are drawn with a generator seeded by the claims and the conversation's length
(`annotate.testing.schema_instances`), so a run is reproducible.

``--like llama-cpp-python`` sets all of these as a llama-cpp-python 0.3 server
with a 2,048-token window would, ``--like ollama`` as Ollama with its 4,096-token
default would (`PROFILES`); single options override them.

Run ``python -m annotate.testing.llm_server --port 0 --latency 0.2``: it prints
``LISTENING http://127.0.0.1:PORT/v1`` and serves until killed. Tests use
`running_llm_server`, which runs it as a subprocess so that the server's event
loop and CPU time never mix with the client's under measurement. Per-request
work is kept small (no logging, answers cached per article) so one process
sustains a few hundred requests per second.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib
import itertools
import json
import math
import queue
import random
import signal
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from functools import lru_cache
from typing import Any

from .batch_api import FakeBatchAPI
from .fake_http import ControlClient, web
from .fake_http import error_response as _error
from .fake_verdicts import COMPARE_PREFIX, judge_claims, spoiled
from .schema_instances import random_instance

#: Same constant as `openai_chat.USER_PREFIX`, repeated so the server imports no provider.
USER_PREFIX = "ARTICLE:\n"
#: How servers refuse ``json_schema``: OpenAI-like (400) or llama-cpp-python-like (500).
REJECTIONS = ("openai", "llama.cpp")
#: How a server enforces its context window (see the module docstring).
OVERFLOWS = ("clamp", "reject", "truncate")
#: How a pair of claims is answered (see the module docstring).
COMPARISON_ANSWERS = ("heuristic", "any_instance", "union_ignored")
#: What precedes the schema in a JSON-mode system prompt (`annotate.llm.request.json_mode_prompt`).
JSON_MODE_SCHEMA_MARKER = "must follow this JSON schema:\n"
#: What the server is like, beyond answering: every option `FakeLLM` takes besides
#: the responder and latency, with its default.
DEFAULT_CONFIG: dict[str, Any] = {
    "reject_json_schema": None,
    "chars_per_token": 4.0,
    "message_tokens": 0,
    "context_window": None,
    "context_overflow": "clamp",
    "models": None,
    "comparison_answers": "heuristic",
    "tokenize": False,
    "running_models": False,
}
#: Ready-made imitations of real servers (`--like`).
PROFILES: dict[str, dict[str, Any]] = {
    "llama-cpp-python": {
        "reject_json_schema": "llama.cpp",
        "chars_per_token": 3.6,
        "message_tokens": 4,
        "context_window": 2048,
        "context_overflow": "clamp",
        "models": ["qwen2.5-0.5b-instruct"],
        "tokenize": True,
    },
    "ollama": {
        "chars_per_token": 3.6,
        "message_tokens": 4,
        "context_window": 4096,
        "context_overflow": "truncate",
        "models": ["qwen2.5:0.5b"],
        "running_models": True,
    },
}
FAULT_KINDS = (
    "400",
    "401",
    "429",
    "500",
    "invalid_json",
    "truncated",
    "hallucinate",
    "validation_error",
    "refuse",
    "timeout",
    "slow",
    "drop_connection",
)
DEFAULT_RESPONDER = "annotate.preannotate.providers.rules:extract_rules"
HALLUCINATED_QUOTE = "The fake model invented this sentence; it is not in the article."

Responder = Callable[[str], Any]


# --------------------------------------------------------------------------
# Responders: article text -> Extraction-shaped dict
# --------------------------------------------------------------------------


def load_responder(spec: str) -> Responder:
    """Import ``module:function`` lazily (the rules provider may not exist yet)."""
    module_name, _, attribute = spec.partition(":")
    function: Responder = getattr(importlib.import_module(module_name), attribute)
    return function


def first_sentence_responder(text: str) -> dict[str, Any]:
    """A tiny valid answer: the article's first sentence as one authorial claim.

    For tests that must not depend on the rule-based extractor's behaviour.
    """
    line = next((line.strip() for line in text.splitlines() if line.strip()), "")
    end = line.find(". ")
    quote = line[: end + 1] if end > 0 else line
    claims = []
    if quote:
        claims.append(
            {
                "quote": quote,
                "speaker": "OUTLET",
                "cue": None,
                "attribution": "authorial",
                "check_worthy": True,
                "proposition": quote,
            }
        )
    return {
        "actors": [],
        "claims": claims,
        "stances": [],
        "document": {"main_target": "the article's subject", "overall": "neutral"},
    }


def _as_dict(answer: Any) -> dict[str, Any]:
    dump = getattr(answer, "model_dump", None)
    result: dict[str, Any] = dump(mode="json") if dump else answer
    return result


# --------------------------------------------------------------------------
# The server
# --------------------------------------------------------------------------


class FakeLLM:
    """State and handlers of one fake endpoint."""

    def __init__(
        self,
        responder: Responder | str = DEFAULT_RESPONDER,
        latency: float = 0.0,
        reject_json_schema: bool | str = False,
        **config: Any,
    ) -> None:
        self._responder_spec = responder
        self.latency = latency
        self.initial_config = _checked_config({**config, "reject_json_schema": reject_json_schema})
        self.answer_json = lru_cache(maxsize=4096)(self._answer_json)
        self.verdict_json = lru_cache(maxsize=4096)(_verdict_json)
        self._ids = itertools.count(1)
        self.reset()

    def reset(self) -> None:
        """Forget faults and stats, and return to the configuration the server started with."""
        self.configure(self.initial_config)
        self.faults: list[dict[str, Any]] = []
        self.requests = 0
        self.fired = dict.fromkeys(FAULT_KINDS, 0)
        self.formats: dict[str, int] = {}
        self.authorization: set[str] = set()
        self.last_request: dict[str, Any] = {}
        self.context_rejections = 0
        self.length_cuts = 0
        #: Requests whose prompt plus the max_tokens they asked for exceeded the window.
        self.over_window = 0
        #: Prompts cut to the window without a word (``context_overflow`` ``truncate``).
        self.truncated_prompts = 0
        #: Models a request has named (Ollama lists them in ``/api/ps``).
        self.loaded: set[str] = set()
        self.model_listings = 0

    def configure(self, config: dict[str, Any]) -> None:
        """Apply a (checked) configuration: what `DEFAULT_CONFIG` names."""
        self.config = _checked_config(config)
        self.rejection = self.config["reject_json_schema"]
        self.chars_per_token = float(self.config["chars_per_token"])
        self.message_tokens = int(self.config["message_tokens"])
        self.context_window: int | None = self.config["context_window"]
        self.context_overflow = self.config["context_overflow"]
        self.served_models: list[str] | None = self.config["models"]
        self.comparison_answers: str = self.config["comparison_answers"]
        self.tokenize_offered = bool(self.config["tokenize"])
        self.running_models_offered = bool(self.config["running_models"])

    def app(self) -> web.Application:
        app = web.Application(client_max_size=64 * 1024**2)
        app.router.add_post("/v1/chat/completions", self.chat)
        app.router.add_get("/v1/models", self.models)
        app.router.add_post("/extras/tokenize", self.tokenize)
        app.router.add_get("/api/ps", self.running_models)
        app.router.add_post("/_control/faults", self.set_faults)
        app.router.add_post("/_control/config", self.set_config)
        app.router.add_get("/_control/stats", self.stats)
        app.router.add_post("/_control/reset", self.reset_handler)
        FakeBatchAPI(self).mount(app)  # the Files and Batches endpoints (batch_api.py)
        return app

    async def tokenize(self, request: web.Request) -> web.Response:
        """llama-cpp-python's token count of ``input`` (404 unless ``tokenize`` is on)."""
        if not self.tokenize_offered:
            return _error(404, "Not Found")
        text = str((await request.json()).get("input") or "")
        return web.json_response({"tokens": [0] * math.ceil(len(text) / self.chars_per_token)})

    async def running_models(self, request: web.Request) -> web.Response:
        """Ollama's loaded models with their window (404 unless ``running_models`` is on)."""
        if not self.running_models_offered:
            return _error(404, "Not Found")
        models = [{"name": name, "model": name, "context_length": self.context_window}
                  for name in sorted(self.loaded)]  # fmt: skip
        return web.json_response({"models": models})

    # ------------------------------------------------------------ completions

    async def chat(self, request: web.Request) -> web.StreamResponse:
        body = json.loads(await request.read())
        self._record(request, body)
        return await self.respond(body, request)

    async def respond(
        self, body: dict[str, Any], request: web.Request | None = None
    ) -> web.StreamResponse:
        """Answer one chat-completions body; `request` None for a batch's line (no latency)."""
        if self.latency and request is not None:
            await asyncio.sleep(self.latency)
        response_format = body.get("response_format") or {}
        if self.rejection and response_format.get("type") == "json_schema":
            return _json_schema_rejection(self.rejection)
        messages = body.get("messages") or []
        article = find_article(messages)
        claims = find_claims(messages) if article is None else None
        subject = article if article is not None else claims
        if subject is None:
            return _error(400, f"no user message contains {USER_PREFIX!r} or {COMPARE_PREFIX!r}")
        self.loaded.add(str(body.get("model")))
        prompt_tokens = self._prompt_tokens(messages)
        output_limit, refused = self._window(body, prompt_tokens)
        if refused is not None:
            return refused
        if self.context_overflow == "truncate" and self.context_window is not None:
            prompt_tokens = min(prompt_tokens, self.context_window)  # what it kept
        fault = self._take_fault(subject)
        if fault is not None:
            early = await self._transport_fault(request, fault)
            if early is not None:
                return early
        answer = self.answer_json if article is not None else self._verdict_answer(body)
        return self._completion(body, answer, subject, fault, prompt_tokens, output_limit)

    def _verdict_answer(self, body: dict[str, Any]) -> Callable[[str], str]:
        """How this request's pair of claims is answered (`comparison_answers`)."""
        if self.comparison_answers == "heuristic":
            return self.verdict_json
        ignore_unions = self.comparison_answers == "union_ignored"
        messages = body.get("messages") or []

        def answer(claims: str) -> str:
            schema = sent_schema(body)
            rng = random.Random(f"{claims}\x1f{len(messages)}")
            instance = random_instance(schema, rng, ignore_unions=ignore_unions)
            return json.dumps(instance, ensure_ascii=False)

        return answer

    def _prompt_tokens(self, messages: list[dict[str, Any]]) -> int:
        """The prompt's tokens as this server counts them: characters, plus the template's."""
        chars = sum(
            len(m.get("content") or "") for m in messages if isinstance(m.get("content"), str)
        )
        return math.ceil(chars / self.chars_per_token) + self.message_tokens * len(messages)

    def _window(
        self, body: dict[str, Any], prompt_tokens: int
    ) -> tuple[int | None, web.Response | None]:
        """(the answer's token limit, or None for none; a context-length refusal, or None).

        Without a window the server ignores ``max_tokens``, as it always did.
        """
        window = self.context_window
        if window is None:
            return None, None
        asked = body.get("max_tokens") or body.get("max_completion_tokens")
        asked = int(asked) if asked else None
        if asked is not None and prompt_tokens + asked > window:
            self.over_window += 1
        if self.context_overflow == "truncate":
            self.truncated_prompts += prompt_tokens >= window
            return asked, None
        too_long = prompt_tokens >= window
        if self.context_overflow == "reject":
            too_long = too_long or prompt_tokens + (asked or 0) > window
        if too_long:
            self.context_rejections += 1
            return None, _context_length_error(window, prompt_tokens, asked)
        room = window - prompt_tokens
        return (room if asked is None else min(asked, room)), None

    def _record(self, request: web.Request, body: dict[str, Any]) -> None:
        self.requests += 1
        auth = request.headers.get("Authorization")
        if auth:
            self.authorization.add(auth)
        kind = (body.get("response_format") or {}).get("type", "none")
        self.formats[kind] = self.formats.get(kind, 0) + 1
        self.last_request = body

    def _take_fault(self, article: str) -> dict[str, Any] | None:
        for fault in self.faults:
            if fault["times"] > 0 and (not fault.get("match") or fault["match"] in article):
                fault["times"] -= 1
                self.fired[fault["kind"]] += 1
                return fault
        return None

    async def _transport_fault(
        self, request: web.Request | None, fault: dict[str, Any]
    ) -> web.StreamResponse | None:
        """Faults that replace or delay the answer; None lets a (maybe spoiled) answer follow.

        In a batch (`request` None) there is no connection to drop or time out:
        those become a 500 and no wait.
        """
        kind = fault["kind"]
        if request is None and kind in ("timeout", "drop_connection"):
            return _error(500, "The server had an error (fake, in a batch).", kind="server_error")
        if request is None and kind in ("slow", "401"):
            return _error(401, "Incorrect API key provided.") if kind == "401" else None
        if kind == "429":
            headers = {}
            if fault.get("retry_after") is not None:
                headers["Retry-After"] = str(fault["retry_after"])
            return _error(
                429, "Rate limit reached (fake).", code="rate_limit_exceeded", headers=headers
            )
        if kind == "500":
            return _error(500, "The server had an error (fake).", kind="server_error")
        if kind == "400":
            return _error(400, "Invalid request (fake).")
        # A 401 echoes the key in full: worse than real servers, on purpose.
        if kind == "401" and request is not None:
            key = request.headers.get("Authorization", "").removeprefix("Bearer ")
            return _error(401, f"Incorrect API key provided: {key}.", code="invalid_api_key")
        if kind in ("timeout", "slow"):
            await asyncio.sleep(float(fault.get("seconds", 30 if kind == "timeout" else 1)))
        if kind == "drop_connection" and request is not None:
            if request.transport is not None:
                request.transport.abort()
            raise asyncio.CancelledError  # nothing can be written; end the handler quietly
        return None

    def _completion(
        self,
        body: dict[str, Any],
        answer_of: Callable[[str], str],
        subject: str,
        fault: dict[str, Any] | None,
        prompt_tokens: int,
        output_limit: int | None,
    ) -> web.Response:
        try:
            answer = answer_of(subject)
        except Exception:  # a responder bug must be visible, not a hang
            traceback.print_exc()
            return _error(500, "the fake server's responder failed (see its stderr)")
        content, finish, refusal = _spoil(answer, fault["kind"] if fault else None)
        completion_tokens = math.ceil(len(content or "") / self.chars_per_token)
        if output_limit is not None and completion_tokens > output_limit and content:
            self.length_cuts += 1
            content = content[: int(output_limit * self.chars_per_token)]
            completion_tokens, finish = output_limit, "length"
        return web.json_response(
            {
                "id": f"chatcmpl-fake-{next(self._ids)}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": body.get("model", "fake-model"),
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": content, "refusal": refusal},
                        "finish_reason": finish,
                        "logprobs": None,
                    }
                ],
                "usage": {
                    "prompt_tokens": prompt_tokens,
                    "completion_tokens": completion_tokens,
                    "total_tokens": prompt_tokens + completion_tokens,
                },
            }
        )

    def _answer_json(self, article: str) -> str:
        """The responder's answer, serialised once per distinct article (cached)."""
        if isinstance(self._responder_spec, str):
            self._responder_spec = load_responder(self._responder_spec)
        return json.dumps(_as_dict(self._responder_spec(article)), ensure_ascii=False)

    async def models(self, request: web.Request) -> web.Response:
        """The configured model names, or a 404 when the server lists none (the default)."""
        self.model_listings += 1
        if self.served_models is None:
            return _error(404, "Not Found (this fake server lists no models)")
        data = [{"id": name, "object": "model", "owned_by": "fake"} for name in self.served_models]
        return web.json_response({"object": "list", "data": data})

    # ---------------------------------------------------------------- control

    async def set_faults(self, request: web.Request) -> web.Response:
        faults = await request.json()
        if isinstance(faults, dict):
            faults = faults.get("faults", [])
        try:
            self.faults = [_checked_fault(fault) for fault in faults]
        except (TypeError, ValueError) as exc:
            return web.json_response({"error": str(exc)}, status=400)
        return web.json_response({"faults": len(self.faults)})

    async def set_config(self, request: web.Request) -> web.Response:
        """Change what the server is like until the next reset (names of `DEFAULT_CONFIG`)."""
        changes = await request.json()
        try:
            self.configure({**self.config, **changes})
        except (TypeError, ValueError) as exc:
            return web.json_response({"error": str(exc)}, status=400)
        return web.json_response({"config": self.config})

    async def stats(self, request: web.Request) -> web.Response:
        last = self.last_request
        return web.json_response(
            {
                "requests": self.requests,
                "config": self.config,
                "context_rejections": self.context_rejections,
                "length_cuts": self.length_cuts,
                "over_window": self.over_window,
                "truncated_prompts": self.truncated_prompts,
                "model_listings": self.model_listings,
                "faults": self.fired,
                "response_formats": self.formats,
                "authorization": sorted(self.authorization),
                "last_response_format": last.get("response_format"),
                "last_request": {
                    key: last.get(key)
                    for key in (
                        "model",
                        "messages",
                        "response_format",
                        "temperature",
                        "max_tokens",
                        "max_completion_tokens",
                    )
                },
                "faults_left": [f for f in self.faults if f["times"] > 0],
            }
        )

    async def reset_handler(self, request: web.Request) -> web.Response:
        self.reset()
        return web.json_response({"reset": True})


def find_article(messages: list[dict[str, Any]]) -> str | None:
    """The article from the last user message that carries ``ARTICLE:\\n`` (re-asks don't)."""
    return _after(messages, USER_PREFIX)


def find_claims(messages: list[dict[str, Any]]) -> str | None:
    """The claims JSON from the last user message that carries ``CLAIMS:\\n``."""
    return _after(messages, COMPARE_PREFIX)


def _after(messages: list[dict[str, Any]], prefix: str) -> str | None:
    for message in reversed(messages):
        content = message.get("content")
        if message.get("role") == "user" and isinstance(content, str) and prefix in content:
            return content.split(prefix, 1)[1]
    return None


def sent_schema(body: dict[str, Any]) -> dict[str, Any]:
    """The JSON schema a request asks its answer to follow; ValueError when it sent none.

    ``response_format``'s ``json_schema``, or in JSON mode the schema its
    system prompt carries after `JSON_MODE_SCHEMA_MARKER`.
    """
    response_format = body.get("response_format") or {}
    if response_format.get("type") == "json_schema":
        return dict(response_format["json_schema"]["schema"])
    for message in body.get("messages") or []:
        content = message.get("content")
        if message.get("role") == "system" and isinstance(content, str):
            _, marker, rest = content.partition(JSON_MODE_SCHEMA_MARKER)
            if marker:
                schema, _ = json.JSONDecoder().raw_decode(rest)
                return dict(schema)
    raise ValueError("the request sent no JSON schema to answer with an instance of")


def _verdict_json(claims: str) -> str:
    """The server's verdict on a pair of claims; unreadable claims are judged unrelated."""
    try:
        pair = json.loads(claims)
    except ValueError:
        pair = {}
    return json.dumps(judge_claims(pair if isinstance(pair, dict) else {}), ensure_ascii=False)


def _spoil(content: str, kind: str | None) -> tuple[str | None, str, str | None]:
    """(content, finish_reason, refusal) after a content fault."""
    if kind == "invalid_json":
        return '{"actors": [ this is not JSON', "stop", None
    if kind == "truncated":
        return content[: len(content) // 2], "length", None
    if kind == "refuse":
        return None, "stop", "I'm sorry, I can't help with that (fake refusal)."
    if kind in ("hallucinate", "validation_error"):
        answer = json.loads(content)
        if "verdict" in answer or "relation" in answer:  # a verdict on a pair of claims
            return json.dumps(spoiled(kind), ensure_ascii=False), "stop", None
        if kind == "validation_error":
            answer.pop("document", None)
        else:
            answer["claims"].append(
                {
                    "quote": HALLUCINATED_QUOTE,
                    "speaker": "OUTLET",
                    "cue": None,
                    "attribution": "authorial",
                    "check_worthy": False,
                    "proposition": HALLUCINATED_QUOTE,
                }
            )
        return json.dumps(answer, ensure_ascii=False), "stop", None
    return content, "stop", None


def _rejection(reject_json_schema: bool | str | None) -> str | None:
    """Which server's json_schema rejection to imitate, or None for none."""
    if reject_json_schema is False or reject_json_schema is None:
        return None
    chosen = "openai" if reject_json_schema is True else str(reject_json_schema)
    if chosen not in REJECTIONS:
        raise ValueError(f"reject_json_schema must be one of {', '.join(REJECTIONS)}")
    return chosen


def _checked_config(config: dict[str, Any]) -> dict[str, Any]:
    """`DEFAULT_CONFIG` updated with `config`; unknown names and bad values are refused."""
    unknown = set(config) - set(DEFAULT_CONFIG)
    if unknown:
        raise ValueError(f"unknown server options: {', '.join(sorted(unknown))}")
    checked = {**DEFAULT_CONFIG, **config}
    checked["reject_json_schema"] = _rejection(checked["reject_json_schema"])
    if float(checked["chars_per_token"]) <= 0 or int(checked["message_tokens"]) < 0:
        raise ValueError("chars_per_token must be positive and message_tokens not negative")
    window = checked["context_window"]
    if window is not None and int(window) < 1:
        raise ValueError("context_window must be positive")
    checked["context_window"] = None if window is None else int(window)
    if checked["context_overflow"] not in OVERFLOWS:
        raise ValueError(f"context_overflow must be one of {', '.join(OVERFLOWS)}")
    if checked["comparison_answers"] not in COMPARISON_ANSWERS:
        raise ValueError(f"comparison_answers must be one of {', '.join(COMPARISON_ANSWERS)}")
    models = checked["models"]
    if models is not None and not (
        isinstance(models, list) and all(isinstance(m, str) for m in models)
    ):
        raise ValueError("models must be a list of names")
    return checked


#: What llama-cpp-python 0.3 answers to ``response_format`` ``json_schema``: its
#: `RouteErrorHandler` catches FastAPI's `RequestValidationError` like any other
#: exception and returns it as a 500 with the error list as the message.
LLAMA_CPP_PYTHON_REJECTION = (
    "[{'type': 'literal_error', 'loc': ('body', 'response_format', 'type'), "
    "'msg': \"Input should be 'text' or 'json_object'\", 'input': 'json_schema', "
    "'ctx': {'expected': \"'text' or 'json_object'\"}}]"
)


def _json_schema_rejection(rejection: str) -> web.Response:
    """OpenAI's 400 for a model without structured outputs, or llama-cpp-python's 500."""
    if rejection == "llama.cpp":
        return _error(500, LLAMA_CPP_PYTHON_REJECTION, kind="internal_server_error")
    return _error(
        400,
        "Invalid parameter: 'response_format' of type 'json_schema' is "
        "not supported with this model.",
        param="response_format",
    )


def _context_length_error(window: int, prompt_tokens: int, asked: int | None) -> web.Response:
    """The 400 llama-cpp-python (and, in the same words, vLLM) answers to an overlong request."""
    message = (
        f"This model's maximum context length is {window} tokens. However, you requested "
        f"{prompt_tokens + (asked or 0)} tokens ({prompt_tokens} in the messages, {asked} in "
        "the completion). Please reduce the length of the messages or completion."
    )
    return _error(400, message, param="messages", code="context_length_exceeded")


def _checked_fault(fault: Any) -> dict[str, Any]:
    if not isinstance(fault, dict) or str(fault.get("kind")) not in FAULT_KINDS:
        raise ValueError(f"a fault needs a kind among {', '.join(FAULT_KINDS)}: {fault!r}")
    checked = {**fault, "kind": str(fault["kind"]), "times": int(fault.get("times", 1))}
    if checked.get("match") is not None and not isinstance(checked["match"], str):
        raise ValueError("match must be a string")
    return checked


# --------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------


async def serve(server: FakeLLM, port: int) -> None:
    """Serve on 127.0.0.1 until SIGTERM/SIGINT, after printing the LISTENING line."""
    # No grace period on exit: in-flight "timeout" faults would hold a test's teardown.
    runner = web.AppRunner(
        server.app(), access_log=None, handle_signals=False, shutdown_timeout=0.1
    )
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port, backlog=1024)
    await site.start()
    bound = runner.addresses[0][1]
    print(f"LISTENING http://127.0.0.1:{bound}/v1", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
    await runner.cleanup()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Fake OpenAI chat-completions server.")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added per response")
    parser.add_argument(
        "--reject-json-schema",
        nargs="?",
        const="openai",
        choices=REJECTIONS,
        help="refuse response_format json_schema (tests the fallback): as OpenAI does "
        "(400, the default) or as llama.cpp does (500)",
    )
    parser.add_argument(
        "--responder",
        default=DEFAULT_RESPONDER,
        help="module:function mapping the article text to an Extraction",
    )
    parser.add_argument("--like", choices=sorted(PROFILES), help="imitate this server")
    parser.add_argument("--chars-per-token", type=float, help="characters per token in usage")
    parser.add_argument("--message-tokens", type=int, help="chat-template tokens per message")
    parser.add_argument("--context-window", type=int, help="tokens; enforced when given")
    parser.add_argument(
        "--context-overflow", choices=OVERFLOWS, help="clamp (llama.cpp), reject (vLLM)"
    )
    parser.add_argument("--models", help="comma-separated names listed at GET /v1/models")
    parser.add_argument(
        "--comparison-answers", choices=COMPARISON_ANSWERS,
        help="how a pair of claims is answered: the heuristic, any instance of the schema "
        "sent, or one with its unions ignored",
    )  # fmt: skip
    args = parser.parse_args(argv)
    config: dict[str, Any] = dict(PROFILES[args.like]) if args.like else {}
    given = {
        "reject_json_schema": args.reject_json_schema,
        "chars_per_token": args.chars_per_token,
        "message_tokens": args.message_tokens,
        "context_window": args.context_window,
        "context_overflow": args.context_overflow,
        "models": args.models.split(",") if args.models is not None else None,
        "comparison_answers": args.comparison_answers,
    }
    config.update({name: value for name, value in given.items() if value is not None})
    reject = config.pop("reject_json_schema", False)
    server = FakeLLM(args.responder, args.latency, reject, **config)
    asyncio.run(serve(server, args.port))


# --------------------------------------------------------------------------
# Test helper: the server in a subprocess
# --------------------------------------------------------------------------


class RunningServer(ControlClient):
    """Handle on a running fake server: its base URL and its control API."""

    def __init__(self, base_url: str) -> None:
        super().__init__(base_url.removesuffix("/v1"))
        self.base_url = base_url

    def set_faults(self, faults: list[dict[str, Any]]) -> None:
        self._call("POST", "/_control/faults", faults)

    def stats(self) -> dict[str, Any]:
        result: dict[str, Any] = self._call("GET", "/_control/stats")
        return result

    def reset(self) -> None:
        """Forget faults and stats; the configuration returns to the server's start."""
        self._call("POST", "/_control/reset", {})

    def configure(self, **config: Any) -> dict[str, Any]:
        """Change what the server is like (see `DEFAULT_CONFIG`) until the next reset."""
        result: dict[str, Any] = self._call("POST", "/_control/config", config)
        return result


@contextlib.contextmanager
def running_llm_server(
    latency: float = 0.0,
    reject_json_schema: bool | str = False,
    *,
    responder: str | None = None,
    like: str | None = None,
    startup_timeout: float = 30.0,
    **config: Any,
) -> Iterator[RunningServer]:
    """Start the fake server as a subprocess, yield its handle, terminate it on exit.

    `responder` is a ``module:function`` path (default: the rule-based extractor).
    `reject_json_schema` is True (or ``"openai"``) for a 400 to ``json_schema``
    requests, ``"llama.cpp"`` for llama-cpp-python's 500. `like` names a profile
    (`PROFILES`); `config` sets single options of `DEFAULT_CONFIG` over it.
    """
    rejection = _rejection(reject_json_schema)
    _checked_config(config)
    command = [
        sys.executable,
        "-m",
        "annotate.testing.llm_server",
        "--port",
        "0",
        "--latency",
        str(latency),
    ]
    if rejection:
        command += ["--reject-json-schema", rejection]
    if responder:
        command += ["--responder", responder]
    if like:
        command += ["--like", like]
    for name, value in config.items():
        if value is not None:
            shown = ",".join(value) if name == "models" else str(value)
            command += [f"--{name.replace('_', '-')}", shown]
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, text=True)
    try:
        yield RunningServer(_wait_listening(process, startup_timeout))
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()


def _wait_listening(process: subprocess.Popen[str], timeout: float) -> str:
    """Read the LISTENING line (in a thread, so that a silent child cannot hang us)."""
    lines: queue.Queue[str] = queue.Queue()
    assert process.stdout is not None
    stdout = process.stdout
    threading.Thread(target=lambda: lines.put(stdout.readline()), daemon=True).start()
    try:
        line = lines.get(timeout=timeout)
    except queue.Empty:
        raise RuntimeError(f"fake LLM server did not start within {timeout}s") from None
    if not line.startswith("LISTENING "):
        raise RuntimeError(f"fake LLM server failed to start (exit {process.poll()}): {line!r}")
    return line.split(" ", 1)[1].strip()


if __name__ == "__main__":
    main()
