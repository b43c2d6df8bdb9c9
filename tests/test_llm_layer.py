"""The shared LLM layer's own parts: ordered concurrent calls, request adaptation, any model.

The end-to-end behaviour (retries, re-asks, secrets) is tested through its two
users, `tests/test_openai_provider.py` and `tests/test_compare_openai_judge.py`.
"""

from __future__ import annotations

import asyncio
import json
import random
import threading
from collections.abc import Iterator

import httpx
import openai
import pytest
from pydantic import BaseModel

from annotate.llm import CallFailed, EndpointSettings, StructuredChat, ordered_results
from annotate.llm.request import BodyEncoder, Form, adapted, chat_body, rejects_format
from annotate.preannotate.providers.openai_chat import OpenAIChatProvider
from annotate.testing.llm_server import RunningServer, running_llm_server

RESPONDER = "annotate.testing.llm_server:first_sentence_responder"

# ---------------------------------------------------------------- ordered_results


async def _echo_after_a_random_wait(n: int) -> int:
    await asyncio.sleep(random.uniform(0, 0.01))
    return n


def test_results_come_in_order_at_most_a_window_ahead() -> None:
    pulled = []

    def items() -> Iterator[int]:
        for n in range(200):
            pulled.append(n)
            yield n

    for n in ordered_results(_echo_after_a_random_wait, items(), concurrency=4):
        assert len(pulled) <= n + 1 + 2 * 4, "items are read lazily, a bounded window ahead"
        assert n == pulled[n]
    assert pulled == list(range(200))


def test_concurrency_bounds_the_calls_in_flight() -> None:
    in_flight, peak = 0, 0

    async def call(n: int) -> int:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0.005)
        in_flight -= 1
        return n

    assert list(ordered_results(call, range(60), concurrency=3)) == list(range(60))
    assert peak == 3


def test_an_error_is_raised_in_its_place_and_finish_still_runs() -> None:
    finished = threading.Event()

    async def call(n: int) -> int:
        if n == 5:
            raise RuntimeError("five")
        return n

    async def finish() -> None:
        finished.set()

    got = []
    with pytest.raises(RuntimeError, match="five"):
        for n in ordered_results(call, range(100), concurrency=2, finish=finish):
            got.append(n)
    assert got == [0, 1, 2, 3, 4] and finished.is_set()


def test_works_inside_a_running_event_loop() -> None:
    async def main() -> list[int]:
        return list(ordered_results(_echo_after_a_random_wait, range(10), concurrency=2))

    assert asyncio.run(main()) == list(range(10))


# ---------------------------------------------------------------- request adaptation


def _status(status: int, message: str) -> openai.APIStatusError:
    request = httpx.Request("POST", "http://127.0.0.1/v1/chat/completions")
    response = httpx.Response(status, request=request)
    return openai.APIStatusError(message, response=response, body=None)


LLAMA_CPP = 'response_format type must be one of "text" or "json_object", but got: json_schema'


def test_rejections_of_the_response_format() -> None:
    assert rejects_format(_status(400, "Invalid parameter: 'response_format'"))
    assert rejects_format(_status(500, LLAMA_CPP))
    assert not rejects_format(_status(500, "The server had an error"))
    assert not rejects_format(_status(401, "response_format"))


def test_adaptations_follow_what_was_sent() -> None:
    strict = Form("json_schema")
    # A server naming json_object as what it takes is sent the schema there (its grammar).
    json_mode = {"mode": "json_object", "json_object_schema": True}
    assert adapted(strict, _status(500, LLAMA_CPP), "auto") == json_mode
    openai_400 = _status(400, "Invalid parameter: 'response_format'")
    assert adapted(strict, openai_400, "auto") == {**json_mode, "json_object_schema": False}
    unknown = _status(400, "Unknown parameter: 'response_format.schema'")
    assert adapted(Form("json_object", json_object_schema=True), unknown, "auto") == {
        "json_object_schema": False
    }
    assert adapted(strict, _status(500, LLAMA_CPP), "json_schema") == {}
    assert adapted(Form("json_object"), _status(400, "bad response_format"), "auto") == {}
    tokens = _status(400, "Use 'max_completion_tokens' instead of 'max_tokens'")
    assert adapted(strict, tokens, "auto") == {"max_completion_tokens": True}
    assert adapted(Form("json_schema", max_completion_tokens=True), tokens, "auto") == {}
    temperature = _status(400, "Unsupported value: 'temperature' does not support 0.0")
    assert adapted(strict, temperature, "auto") == {"temperature": False}
    assert adapted(strict, _status(500, "boom"), "auto") == {}


FORMS = [
    Form("json_schema"),
    Form("json_schema", max_completion_tokens=True, temperature=False),
    Form("json_object"),
    Form("json_object", json_object_schema=True, max_completion_tokens=True),
]


@pytest.mark.parametrize("form", FORMS, ids=lambda form: repr(form))
def test_encoded_bodies_are_the_bytes_the_sdk_would_send(form: Form) -> None:
    """The shared part encoded once, the conversation each time: the same bytes as the SDK's.

    The SDK (openai 2.x and later, like httpx 0.28) encodes a body compact, with UTF-8 kept.
    """
    schema = {"type": "object", "properties": {"quote": {"type": "string", "description": "«é» ✓"}}}
    encoder = BodyEncoder("some/model:7b", "extraction", schema, 0.25)
    systems = ["Find the claims.", 'JSON only, "quoted"\nand a line ✓']
    conversations = [
        [{"role": "user", "content": "Article: Le président a dit « non » — 3\u202f%."}],
        [
            {"role": "user", "content": 'Article: "quoted" \\ \t tab \u0000 nul'},
            {"role": "assistant", "content": "{not json"},
            {"role": "user", "content": "Your previous answer could not be used ✗"},
        ],
    ]
    for _ in range(2):  # the second round is encoded from the kept frames
        for system in systems:
            for conversation in conversations:
                messages = [{"role": "system", "content": system}, *conversation]
                for max_tokens in (1, 4096):
                    body = chat_body(form, "some/model:7b", messages, "extraction", schema,
                                     max_tokens, 0.25)  # fmt: skip
                    sdk = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
                    assert encoder.encode(form, messages, max_tokens) == sdk.encode()


def test_settings_never_show_the_key() -> None:
    assert "sk-secret" not in repr(EndpointSettings(api_key="sk-secret-123456"))


# ---------------------------------------------------------------- any response model


class Count(BaseModel):
    """Not an extraction: the layer validates whatever model it is given."""

    value: int


async def test_a_rejected_format_falls_back_for_pre_annotation_too() -> None:
    with running_llm_server(reject_json_schema="llama.cpp", responder=RESPONDER) as rejecting:
        settings = EndpointSettings(
            model="m", base_url=rejecting.base_url, api_key="x", backoff_initial=0.01
        )
        provider = OpenAIChatProvider(settings)
        try:
            first = await provider.extract("One sentence here. Another one.")
        finally:
            await provider.aclose()
        stats = rejecting.stats()
    assert first.usage.requests == 2 and provider.mode == "json_object"
    assert stats["response_formats"] == {"json_schema": 1, "json_object": 1}


@pytest.fixture(scope="module")
def server() -> Iterator[RunningServer]:
    with running_llm_server(responder=RESPONDER) as running:
        yield running


async def test_any_model_is_validated_and_reasked(server: RunningServer) -> None:
    settings = EndpointSettings(base_url=server.base_url, api_key="x", max_reasks=1)
    chat = StructuredChat("m", Count, "Count.", settings)
    try:
        with pytest.raises(CallFailed) as caught:  # the fake answers an extraction
            await chat.ask("ARTICLE:\nThe first sentence.")
    finally:
        await chat.aclose()
    assert caught.value.reason == "invalid_output" and "value" in caught.value.detail
    reask = server.stats()["last_request"]["messages"][-1]["content"]
    assert "copy every quoted word verbatim" in reask
    assert server.stats()["requests"] == 2
