"""The fake chat-completions server: its wire format, faults, control API and speed.

Spoken to with plain HTTP (not the provider) so that a provider bug cannot hide
a server bug, and the other way round.
"""

from __future__ import annotations

import asyncio
import json
import math
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from annotate.schemas import Extraction
from annotate.schemas.compare import VerdictAnswer
from annotate.testing.fake_verdicts import COMPARE_PREFIX
from annotate.testing.llm_server import (
    HALLUCINATED_QUOTE,
    USER_PREFIX,
    FakeLLM,
    RunningServer,
    find_article,
    first_sentence_responder,
    running_llm_server,
)

RESPONDER = "annotate.testing.llm_server:first_sentence_responder"
ARTICLE = "The mayor opened the bridge on Friday. Traffic was light.\n\nShe said it was late."
KEY = "sk-test-server-abcdef"


@pytest.fixture(scope="module")
def server() -> Iterator[RunningServer]:
    with running_llm_server(responder=RESPONDER) as running:
        yield running


@pytest.fixture(autouse=True)
def _reset(server: RunningServer) -> None:
    server.reset()


def body(article: str = ARTICLE, **extra: Any) -> dict[str, Any]:
    return {
        "model": "fake",
        "messages": [
            {"role": "system", "content": "Extract."},
            {"role": "user", "content": USER_PREFIX + article},
        ],
        **extra,
    }


def post(server: RunningServer, payload: dict[str, Any], timeout: float = 10) -> httpx.Response:
    return httpx.post(
        f"{server.base_url}/chat/completions",
        json=payload,
        timeout=timeout,
        headers={"Authorization": f"Bearer {KEY}"},
        trust_env=False,
    )


def content_of(response: httpx.Response) -> str:
    content: str = response.json()["choices"][0]["message"]["content"]
    return content


# ---------------------------------------------------------------- wire format


def test_completion_has_the_openai_shape(server: RunningServer) -> None:
    payload = body(response_format={"type": "json_object"})
    response = post(server, payload)
    assert response.status_code == 200
    data = response.json()
    assert data["object"] == "chat.completion" and data["model"] == "fake"
    assert data["id"] and isinstance(data["created"], int)
    choice = data["choices"][0]
    assert choice["index"] == 0 and choice["finish_reason"] == "stop"
    assert choice["message"]["role"] == "assistant" and choice["message"]["refusal"] is None
    assert json.loads(choice["message"]["content"]) == first_sentence_responder(ARTICLE)
    Extraction.model_validate_json(choice["message"]["content"])
    usage = data["usage"]
    chars = len("Extract.") + len(USER_PREFIX + ARTICLE)
    assert usage["prompt_tokens"] == math.ceil(chars / 4)
    assert usage["completion_tokens"] == math.ceil(len(choice["message"]["content"]) / 4)
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]


def test_stats_record_requests_formats_and_keys(server: RunningServer) -> None:
    strict = {"type": "json_schema", "json_schema": {"name": "x", "schema": {}, "strict": True}}
    post(server, body(response_format=strict))
    post(server, body())
    stats = server.stats()
    assert stats["requests"] == 2
    assert stats["response_formats"] == {"json_schema": 1, "none": 1}
    assert stats["authorization"] == [f"Bearer {KEY}"]
    assert stats["last_response_format"] is None
    assert stats["last_request"]["messages"][1]["content"] == USER_PREFIX + ARTICLE
    server.reset()
    assert server.stats()["requests"] == 0 and server.stats()["authorization"] == []


def test_article_is_found_in_a_reask_conversation() -> None:
    messages = [
        {"role": "system", "content": "Extract."},
        {"role": "user", "content": USER_PREFIX + ARTICLE},
        {"role": "assistant", "content": "{bad"},
        {"role": "user", "content": "Fix your JSON."},
    ]
    assert find_article(messages) == ARTICLE
    assert find_article(messages[:1]) is None


def test_request_without_article_is_a_400(server: RunningServer) -> None:
    response = post(server, {"model": "m", "messages": [{"role": "user", "content": "hi"}]})
    assert response.status_code == 400
    assert "ARTICLE" in response.json()["error"]["message"]


def test_the_cli_prints_one_listening_line() -> None:
    command = [
        sys.executable,
        "-m",
        "annotate.testing.llm_server",
        "--port",
        "0",
        "--latency",
        "0.01",
        "--responder",
        RESPONDER,
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert re.fullmatch(r"LISTENING http://127\.0\.0\.1:\d+/v1\n", line)
        url = line.split()[1]
        response = httpx.post(f"{url}/chat/completions", json=body(), trust_env=False)
        assert response.status_code == 200
    finally:
        process.terminate()
        assert process.wait(timeout=10) == 0


def test_default_responder_is_the_rule_based_extractor() -> None:
    rules = pytest.importorskip("annotate.preannotate.providers.rules")
    answer = json.loads(FakeLLM().answer_json(ARTICLE))
    assert answer == rules.extract_rules(ARTICLE).model_dump(mode="json")


# ---------------------------------------------------------------- faults


def test_faults_match_by_substring_then_in_order(server: RunningServer) -> None:
    server.set_faults(
        [
            {"kind": "500", "match": "Kuleba", "times": 1},
            {"kind": "invalid_json", "times": 1},
            {"kind": "validation_error", "times": 1},
        ]
    )
    with pytest.raises(json.JSONDecodeError):  # no "Kuleba": the 500 is skipped
        json.loads(content_of(post(server, body())))
    assert post(server, body("Kuleba spoke.")).status_code == 500
    assert "document" not in json.loads(content_of(post(server, body("Kuleba spoke."))))
    Extraction.model_validate_json(content_of(post(server, body())))  # all used up
    stats = server.stats()
    assert stats["faults"]["500"] == 1 and stats["faults"]["invalid_json"] == 1
    assert stats["faults"]["validation_error"] == 1 and stats["faults_left"] == []
    assert stats["requests"] == 4


def test_429_carries_retry_after_and_an_openai_error(server: RunningServer) -> None:
    server.set_faults([{"kind": "429", "times": 1, "retry_after": 7}])
    response = post(server, body())
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "7"
    assert response.json()["error"]["code"] == "rate_limit_exceeded"
    assert post(server, body()).status_code == 200


def test_content_faults(server: RunningServer) -> None:
    kinds = ["invalid_json", "truncated", "hallucinate", "validation_error", "refuse"]
    server.set_faults([{"kind": kind, "times": 1} for kind in kinds])
    invalid, truncated, hallucinated, missing, refused = (
        post(server, body()).json()["choices"][0] for _ in kinds
    )
    with pytest.raises(json.JSONDecodeError):
        json.loads(invalid["message"]["content"])
    assert truncated["finish_reason"] == "length"
    with pytest.raises(json.JSONDecodeError):
        json.loads(truncated["message"]["content"])
    quotes = [c["quote"] for c in json.loads(hallucinated["message"]["content"])["claims"]]
    assert HALLUCINATED_QUOTE in quotes and HALLUCINATED_QUOTE not in ARTICLE
    assert set(json.loads(missing["message"]["content"])) == {"actors", "claims", "stances"}
    assert refused["message"]["refusal"] and refused["message"]["content"] is None


def test_timeout_and_dropped_connection(server: RunningServer) -> None:
    server.set_faults([{"kind": "timeout", "times": 1, "seconds": 2}, {"kind": "drop_connection"}])
    with pytest.raises(httpx.TimeoutException):
        post(server, body(), timeout=0.3)
    with pytest.raises(httpx.TransportError):
        post(server, body())
    assert post(server, body()).status_code == 200


def test_401_echoes_the_key_like_a_careless_server(server: RunningServer) -> None:
    server.set_faults([{"kind": "401"}])
    response = post(server, body())
    assert response.status_code == 401 and KEY in response.json()["error"]["message"]


def test_unknown_fault_kind_is_refused(server: RunningServer) -> None:
    with pytest.raises(Exception, match="400"):
        server.set_faults([{"kind": "meteor"}])


def test_rejecting_json_schema() -> None:
    with running_llm_server(reject_json_schema=True, responder=RESPONDER) as rejecting:
        strict = {"type": "json_schema", "json_schema": {"name": "x", "schema": {}}}
        refused = post(rejecting, body(response_format=strict))
        accepted = post(rejecting, body(response_format={"type": "json_object"}))
    assert refused.status_code == 400
    assert "response_format" in refused.json()["error"]["message"]
    assert refused.json()["error"]["param"] == "response_format"
    assert accepted.status_code == 200


def test_rejecting_json_schema_like_llama_cpp() -> None:
    with running_llm_server(reject_json_schema="llama.cpp", responder=RESPONDER) as rejecting:
        strict = {"type": "json_schema", "json_schema": {"name": "x", "schema": {}}}
        refused = post(rejecting, body(response_format=strict))
        accepted = post(rejecting, body(response_format={"type": "json_object"}))
    # llama-cpp-python 0.3: FastAPI's validation error, caught by its route handler as a 500.
    assert refused.status_code == 500
    error = refused.json()["error"]
    assert error["type"] == "internal_server_error" and error["param"] is None
    assert "('body', 'response_format', 'type')" in error["message"]
    assert "Input should be 'text' or 'json_object'" in error["message"]
    assert accepted.status_code == 200


# ---------------------------------------------------------------- like a local server


def test_usage_is_counted_at_the_configured_characters_per_token(server: RunningServer) -> None:
    server.configure(chars_per_token=3.6, message_tokens=4)
    response = post(server, body())
    chars = len("Extract.") + len(USER_PREFIX + ARTICLE)
    assert response.json()["usage"]["prompt_tokens"] == math.ceil(chars / 3.6) + 2 * 4
    completion = content_of(response)
    assert response.json()["usage"]["completion_tokens"] == math.ceil(len(completion) / 3.6)
    server.reset()
    assert server.stats()["config"]["chars_per_token"] == 4.0, "reset restores the start"


def test_a_clamping_window_refuses_a_full_prompt_and_cuts_a_long_answer(
    server: RunningServer,
) -> None:
    prompt = math.ceil((len("Extract.") + len(USER_PREFIX + ARTICLE)) / 4)
    server.configure(context_window=prompt + 10)
    cut = post(server, body(max_tokens=4096))  # llama-cpp-python: max_tokens cut to the room
    assert cut.status_code == 200
    assert cut.json()["choices"][0]["finish_reason"] == "length"
    assert cut.json()["usage"]["completion_tokens"] == 10
    server.configure(context_window=prompt)
    refused = post(server, body(max_tokens=100))
    assert refused.status_code == 400
    error = refused.json()["error"]
    assert error["code"] == "context_length_exceeded" and error["param"] == "messages"
    assert error["message"] == (
        f"This model's maximum context length is {prompt} tokens. However, you requested "
        f"{prompt + 100} tokens ({prompt} in the messages, 100 in the completion). "
        "Please reduce the length of the messages or completion."
    )
    stats = server.stats()
    assert (stats["context_rejections"], stats["length_cuts"], stats["over_window"]) == (1, 1, 2)


def test_a_rejecting_window_refuses_prompt_plus_max_tokens(server: RunningServer) -> None:
    prompt = math.ceil((len("Extract.") + len(USER_PREFIX + ARTICLE)) / 4)
    server.configure(context_window=prompt + 200, context_overflow="reject")
    assert post(server, body(max_tokens=201)).status_code == 400
    fits = post(server, body(max_tokens=200))
    assert fits.status_code == 200 and fits.json()["choices"][0]["finish_reason"] == "stop"


def test_models_are_listed_only_when_configured(server: RunningServer) -> None:
    url = f"{server.base_url}/models"
    assert httpx.get(url, trust_env=False).status_code == 404
    server.configure(models=["qwen2.5-0.5b-instruct", "other"])
    listed = httpx.get(url, trust_env=False).json()
    assert [model["id"] for model in listed["data"]] == ["qwen2.5-0.5b-instruct", "other"]
    assert server.stats()["model_listings"] == 2


def test_bad_configuration_is_refused(server: RunningServer) -> None:
    with pytest.raises(Exception, match="400"):
        server.configure(context_overflow="explode")
    with pytest.raises(ValueError, match="unknown server options"), running_llm_server(
        no_such_option=1
    ):
        pass


def test_the_llama_cpp_python_profile() -> None:
    with running_llm_server(like="llama-cpp-python", responder=RESPONDER) as llama:
        config = llama.stats()["config"]
        strict = {"type": "json_schema", "json_schema": {"name": "x", "schema": {}}}
        assert post(llama, body(response_format=strict)).status_code == 500
        root = llama.base_url.removesuffix("/v1")
        counted = httpx.post(f"{root}/extras/tokenize", json={"input": "x" * 36}, timeout=10)
    assert config == {
        "reject_json_schema": "llama.cpp", "chars_per_token": 3.6, "message_tokens": 4,
        "context_window": 2048, "context_overflow": "clamp",
        "models": ["qwen2.5-0.5b-instruct"], "comparison_answers": "heuristic",
        "tokenize": True, "running_models": False,
    }  # fmt: skip
    assert len(counted.json()["tokens"]) == 10, "its token count: 36 characters at 3.6 each"


# ---------------------------------------------------------------- pairs of claims


def pair_body(a: str, b: str) -> dict[str, Any]:
    claims = {"claim_a": {"quote": a}, "claim_b": {"quote": b}}
    return {
        "model": "fake",
        "messages": [
            {"role": "system", "content": "Compare."},
            {"role": "user", "content": COMPARE_PREFIX + json.dumps(claims)},
        ],
    }


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("Officials said 80 companies joined the scheme.",
         "Officials said 90 companies joined the scheme.",
         {"relation": "contradicts", "detail": "number", "values": {"a": "80", "b": "90"}}),
        ("Officials said 80 companies joined the scheme.",
         "Officials said 80 companies joined the scheme.", {"relation": "same"}),
        ("Officials said 80 companies joined the scheme.",
         "Rain fell on 90 days in the north.", {"relation": "unrelated"}),
    ],
)  # fmt: skip
def test_a_pair_of_claims_gets_a_verdict(
    server: RunningServer, a: str, b: str, expected: dict[str, Any]
) -> None:
    answer = VerdictAnswer.model_validate_json(content_of(post(server, pair_body(a, b))))
    assert answer.unused_fields == 0
    assert answer.to_verdict().model_dump(include=set(expected)) == expected


def test_content_faults_spoil_verdicts(server: RunningServer) -> None:
    kinds = ["validation_error", "hallucinate", "invalid_json"]
    server.set_faults([{"kind": kind, "match": "companies", "times": 1} for kind in kinds])
    a, b = "Officials said 80 companies joined.", "Officials said 90 companies joined."
    missing, invented, invalid = (content_of(post(server, pair_body(a, b))) for _ in kinds)
    with pytest.raises(ValidationError, match="contradicts.detail"):
        VerdictAnswer.model_validate_json(missing)
    values = VerdictAnswer.model_validate_json(invented).to_verdict().values
    assert values is not None and values.a not in a and values.b not in b
    with pytest.raises(json.JSONDecodeError):
        json.loads(invalid)
    VerdictAnswer.model_validate_json(content_of(post(server, pair_body(a, b))))  # all used up


# ---------------------------------------------------------------- speed


async def test_latency_never_blocks_other_requests(server: RunningServer) -> None:
    """64 requests delayed 0.2 s each finish together: the delay is an asyncio.sleep."""
    server.set_faults([{"kind": "slow", "seconds": 0.2, "times": 64}])
    limits = httpx.Limits(max_connections=64)
    async with httpx.AsyncClient(limits=limits, trust_env=False, timeout=10) as client:
        started = time.monotonic()
        responses = await asyncio.gather(
            *(
                client.post(f"{server.base_url}/chat/completions", json=body(f"Story {i}."))
                for i in range(64)
            )
        )
        elapsed = time.monotonic() - started
    assert all(r.status_code == 200 for r in responses)
    assert server.stats()["faults"]["slow"] == 64
    assert elapsed < 1.5, f"64 x 0.2 s took {elapsed:.2f} s"


async def test_throughput_over_keepalive_connections(server: RunningServer) -> None:
    limits = httpx.Limits(max_connections=32, max_keepalive_connections=32)
    async with httpx.AsyncClient(limits=limits, trust_env=False, timeout=10) as client:
        started = time.monotonic()
        await asyncio.gather(
            *(
                client.post(f"{server.base_url}/chat/completions", json=body(f"Story {i}. " * 200))
                for i in range(400)
            )
        )
        rate = 400 / (time.monotonic() - started)
    assert rate > 100, f"{rate:.0f} requests/s"
