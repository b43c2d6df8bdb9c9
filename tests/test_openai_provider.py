"""The OpenAI-compatible provider against the fake server, over real HTTP.

Each fault a real endpoint produces (429, 5xx, timeouts, dropped connections,
invalid or truncated output, rejected structured outputs) is injected through
the fake server's control API, and the provider must end in a valid result or
in the right `ExtractionFailed` reason, without ever revealing the API key.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import httpx
import openai
import pytest

from annotate.errors import ConfigurationError
from annotate.llm import EndpointSettings, redact
from annotate.llm.ratelimit import RateLimiter, estimate_tokens
from annotate.llm.retry import retry_after_seconds
from annotate.preannotate.providers.base import ExtractionFailed
from annotate.preannotate.providers.openai_chat import USER_PREFIX, OpenAIChatProvider
from annotate.prompts import load_prompt, prompt_version
from annotate.schemas import schema_version, strict_json_schema
from annotate.testing.llm_server import RunningServer, running_llm_server

API_KEY = "sk-test-SECRET-123456789"
RESPONDER = "annotate.testing.llm_server:first_sentence_responder"
TEXT = (
    "Ministers met in Brussels on Monday. The talks covered energy prices.\n\n"
    'The minister said: "We will cut tariffs next year."'
)


@pytest.fixture(scope="module")
def server() -> Iterator[RunningServer]:
    with running_llm_server(responder=RESPONDER) as running:
        yield running


@pytest.fixture(autouse=True)
def _reset(server: RunningServer) -> None:
    server.reset()


def make_provider(base_url: str, **options: Any) -> OpenAIChatProvider:
    defaults: dict[str, Any] = {"api_key": API_KEY, "backoff_initial": 0.01, "max_retries": 3}
    return OpenAIChatProvider(
        EndpointSettings(model="test-model", base_url=base_url, **{**defaults, **options})
    )


@pytest.fixture
async def provider(server: RunningServer) -> AsyncIterator[OpenAIChatProvider]:
    chosen = make_provider(server.base_url)
    yield chosen
    await chosen.aclose()


async def extract_failure(provider: OpenAIChatProvider, text: str = TEXT) -> ExtractionFailed:
    with pytest.raises(ExtractionFailed) as caught:
        await provider.extract(text)
    return caught.value


# ---------------------------------------------------------------- happy path


async def test_happy_path_sends_strict_json_schema(
    provider: OpenAIChatProvider, server: RunningServer
) -> None:
    result = await provider.extract(TEXT)
    assert result.extraction.claims[0].quote == "Ministers met in Brussels on Monday."
    assert result.reasks == 0
    assert result.usage.requests == 1
    assert result.usage.prompt_tokens > 0 and result.usage.completion_tokens > 0
    stats = server.stats()
    response_format = stats["last_response_format"]
    assert response_format["type"] == "json_schema"
    assert response_format["json_schema"]["strict"] is True
    assert response_format["json_schema"]["schema"] == strict_json_schema()
    system, user = stats["last_request"]["messages"]
    assert system == {"role": "system", "content": load_prompt()}
    assert user == {"role": "user", "content": USER_PREFIX + TEXT}
    assert stats["last_request"]["temperature"] == 0.0
    assert stats["last_request"]["max_tokens"] == 4096
    assert f"Bearer {API_KEY}" in stats["authorization"]


def test_identity_and_cache_params_leave_out_url_and_key() -> None:
    provider = OpenAIChatProvider(
        EndpointSettings(model="m", base_url="http://127.0.0.1:9/v1", api_key=API_KEY)
    )
    assert provider.name == "openai" and provider.cacheable
    assert provider.model_version == (
        f"m+prompt-{prompt_version()[:8]}+schema-{schema_version()[:8]}"
    )
    assert provider.cache_params == {
        "model": "m",
        "temperature": 0.0,
        "max_tokens": 4096,
        "response_format": "auto",
    }
    other = OpenAIChatProvider(
        EndpointSettings(model="m", base_url="http://10.0.0.1/v1", api_key="sk-other-1234")
    )
    assert other.cache_params == provider.cache_params


def test_max_chunk_chars_follows_the_window() -> None:
    small = OpenAIChatProvider(EndpointSettings(model="m", api_key="x", context_window=8000))
    large = OpenAIChatProvider(EndpointSettings(model="m", api_key="x", context_window=16000))
    window = large.chat.window
    assert abs(large.max_chunk_chars - small.max_chunk_chars - window.chars_for(8000)) <= 1
    overhead = (len(load_prompt()) + len(str(strict_json_schema()))) // 4
    assert large.max_chunk_chars < (16000 - 4096 - overhead) * 4
    # Before any answer the estimate is cautious (3 characters per token, plus 10%).
    assert large.max_chunk_chars < (16000 - 4096 - overhead) * 3


def test_max_chunk_chars_follows_the_calibration() -> None:
    provider = OpenAIChatProvider(EndpointSettings(model="m", api_key="x", context_window=8000))
    before = provider.max_chunk_chars
    provider.chat.window.observe(chars=7200, prompt_tokens=2000)  # 3.6 characters per token
    after = provider.max_chunk_chars
    assert after > before * 1.15, "a measured 3.6 is less cautious than the initial 3"
    provider.chat.window.observe(chars=5000, prompt_tokens=2000)  # 2.5: text unlike the first
    assert provider.max_chunk_chars < before, "the lowest ratio seen is kept"


def test_a_small_window_shares_the_room_and_a_tiny_one_is_refused() -> None:
    shared = OpenAIChatProvider(EndpointSettings(model="m", api_key="x", context_window=4096))
    shared.chat.window.observe(chars=3600, prompt_tokens=1000)
    # 4096 - ~1840 of prompt leaves ~2250: not max_tokens 4096 plus text, so half each.
    assert 3000 < shared.max_chunk_chars < 4500
    tiny = OpenAIChatProvider(EndpointSettings(model="m", api_key="x", context_window=2048))
    assert tiny.max_chunk_chars < 1000, "not measured yet: small chunks go out to measure"
    tiny.chat.window.observe(chars=3600, prompt_tokens=1000)
    with pytest.raises(ConfigurationError) as refused:
        _ = tiny.max_chunk_chars
    message = str(refused.value)
    assert "2048-token context window (--context-window)" in message
    assert "3.60 characters per token, measured" in message and "-c/--ctx-size" in message


def test_unknown_response_format_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="response-format"):
        OpenAIChatProvider(EndpointSettings(model="m", api_key="x", response_format="yaml"))


def test_local_endpoint_needs_no_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    OpenAIChatProvider(EndpointSettings(model="m", base_url="http://127.0.0.1:9/v1"))
    with pytest.raises(ConfigurationError, match="OPENAI_API_KEY") as missing:
        OpenAIChatProvider(EndpointSettings(model="m"))
    assert "OPENAI_BASE_URL" in str(missing.value) and "workload_identity" not in str(missing.value)


# ---------------------------------------------------------------- response_format fallback


async def test_json_schema_rejection_falls_back_to_json_mode_for_good() -> None:
    with running_llm_server(reject_json_schema=True, responder=RESPONDER) as rejecting:
        provider = make_provider(rejecting.base_url)
        try:
            first = await provider.extract(TEXT)
            second = await provider.extract(TEXT)
        finally:
            await provider.aclose()
        stats = rejecting.stats()
        strict = make_provider(rejecting.base_url, response_format="json_schema")
        try:
            failure = await extract_failure(strict)
        finally:
            await strict.aclose()
    assert first.usage.requests == 2 and second.usage.requests == 1
    assert provider.mode == "json_object"
    assert stats["response_formats"] == {"json_schema": 1, "json_object": 2}
    system = stats["last_request"]["messages"][0]["content"]
    assert system.startswith(load_prompt()) and '"document"' in system
    assert provider.cache_params["response_format"] == "auto"
    assert failure.reason == "bad_request" and "response_format" in failure.detail


# ---------------------------------------------------------------- transport retries


async def test_429_honours_retry_after(provider: OpenAIChatProvider, server: RunningServer) -> None:
    server.set_faults([{"kind": "429", "times": 1, "retry_after": 1}])
    started = time.monotonic()
    result = await provider.extract(TEXT)
    assert time.monotonic() - started >= 0.95
    assert result.usage.requests == 2
    assert server.stats()["faults"]["429"] == 1


async def test_500_twice_then_success(provider: OpenAIChatProvider, server: RunningServer) -> None:
    server.set_faults([{"kind": "500", "times": 2}])
    retries = provider.retries
    result = await provider.extract(TEXT)
    assert result.usage.requests == 3
    assert server.stats()["faults"]["500"] == 2
    assert provider.retries - retries == 2  # each re-send counted as its wait begins


async def test_persistent_500_fails_as_transport(server: RunningServer) -> None:
    server.set_faults([{"kind": "500", "times": 100}])
    provider = make_provider(server.base_url, max_retries=2)
    started = time.monotonic()
    try:
        failure = await extract_failure(provider)
    finally:
        await provider.aclose()
    assert failure.reason == "transport"
    assert "500" in failure.detail
    assert failure.usage.requests == 3 == server.stats()["requests"]
    assert time.monotonic() - started < 2


async def test_no_retries_means_one_request(server: RunningServer) -> None:
    """The first attempt is made before the retrying object (`call_with_retries`): with no
    retries allowed, its transient failure is the call's, after exactly one request."""
    server.set_faults([{"kind": "500", "times": 100}])
    provider = make_provider(server.base_url, max_retries=0)
    retries = provider.retries
    try:
        failure = await extract_failure(provider)
    finally:
        await provider.aclose()
    assert failure.reason == "transport" and "500" in failure.detail
    assert failure.usage.requests == 1 == server.stats()["requests"]
    assert provider.retries == retries


async def test_timeout_is_retried(server: RunningServer) -> None:
    server.set_faults([{"kind": "timeout", "times": 1, "seconds": 3}])
    provider = make_provider(server.base_url, timeout=0.5)
    try:
        result = await provider.extract(TEXT)
    finally:
        await provider.aclose()
    assert result.usage.requests == 2
    assert server.stats()["faults"]["timeout"] == 1


async def test_dropped_connection_is_retried(
    provider: OpenAIChatProvider, server: RunningServer
) -> None:
    server.set_faults([{"kind": "drop_connection", "times": 2}])
    result = await provider.extract(TEXT)
    assert result.usage.requests == 3


async def test_other_4xx_fails_at_once(provider: OpenAIChatProvider, server: RunningServer) -> None:
    server.set_faults([{"kind": "400", "times": 5}])
    failure = await extract_failure(provider)
    assert failure.reason == "bad_request"
    assert failure.usage.requests == 1


# ---------------------------------------------------------------- output validation


async def test_invalid_json_is_reasked_with_the_error(
    provider: OpenAIChatProvider, server: RunningServer
) -> None:
    server.set_faults([{"kind": "invalid_json", "times": 1}])
    result = await provider.extract(TEXT)
    assert result.reasks == 1 and result.usage.requests == 2
    messages = server.stats()["last_request"]["messages"]
    assert [m["role"] for m in messages] == ["system", "user", "assistant", "user"]
    assert messages[2]["content"].startswith('{"actors": [ this is not JSON')
    assert "Invalid JSON" in messages[3]["content"]
    assert "corrected JSON" in messages[3]["content"]


async def test_validation_error_is_reasked(
    provider: OpenAIChatProvider, server: RunningServer
) -> None:
    server.set_faults([{"kind": "validation_error", "times": 1}])
    result = await provider.extract(TEXT)
    assert result.reasks == 1
    assert result.extraction.document.overall == "neutral"
    reask = server.stats()["last_request"]["messages"][-1]["content"]
    assert "document: Field required" in reask


async def test_usage_is_summed_over_reasks(
    provider: OpenAIChatProvider, server: RunningServer
) -> None:
    single = await provider.extract(TEXT)
    server.set_faults([{"kind": "validation_error", "times": 1}])
    reasked = await provider.extract(TEXT)
    assert reasked.usage.prompt_tokens > 2 * single.usage.prompt_tokens - 10
    assert reasked.usage.completion_tokens > single.usage.completion_tokens


async def test_invalid_output_after_the_reasks(
    provider: OpenAIChatProvider, server: RunningServer
) -> None:
    server.set_faults([{"kind": "invalid_json", "times": 10}])
    failure = await extract_failure(provider)
    assert failure.reason == "invalid_output"
    assert failure.usage.requests == 3  # the first answer and max_reasks=2 re-asks
    assert failure.usage.prompt_tokens > 0


async def test_truncated_output_is_never_parsed(
    provider: OpenAIChatProvider, server: RunningServer
) -> None:
    server.set_faults([{"kind": "truncated", "times": 1}])
    failure = await extract_failure(provider)
    assert failure.reason == "truncated"
    assert failure.usage.requests == 1 and failure.usage.completion_tokens > 0


async def test_refusal(provider: OpenAIChatProvider, server: RunningServer) -> None:
    server.set_faults([{"kind": "refuse", "times": 1}])
    failure = await extract_failure(provider)
    assert failure.reason == "refused"


# ---------------------------------------------------------------- secrets


async def test_api_key_is_sent_but_never_revealed(
    server: RunningServer, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.DEBUG)
    provider = make_provider(server.base_url, max_retries=1)
    failures = []
    try:
        for faults in (
            [{"kind": "500", "times": 5}],
            [{"kind": "401", "times": 1}],
            [{"kind": "invalid_json", "times": 5}],
            [{"kind": "drop_connection"}] * 5,
        ):
            server.set_faults(faults)
            failures.append(await extract_failure(provider))
    finally:
        await provider.aclose()
    assert f"Bearer {API_KEY}" in server.stats()["authorization"]
    assert [f.reason for f in failures] == [
        "transport",
        "bad_request",
        "invalid_output",
        "transport",
    ]
    assert "Incorrect API key" in failures[1].detail  # the server's echo, redacted
    for failure in failures:
        for shown in (str(failure), repr(failure), failure.detail, str(failure.args)):
            assert API_KEY not in shown and "SECRET" not in shown
    captured = capfd.readouterr()
    assert API_KEY not in caplog.text + captured.out + captured.err
    assert "retry" in caplog.text  # the retries were logged, so the check above means something


def test_redact_masks_known_and_key_shaped_secrets() -> None:
    text = f"key {API_KEY}, header Bearer abc.def, other sk-proj-abcdefgh12"
    masked = redact(text, [API_KEY])
    assert "SECRET" not in masked and "abc.def" not in masked and "abcdefgh12" not in masked


# ---------------------------------------------------------------- Retry-After parsing


def _status_error(headers: dict[str, str]) -> openai.APIStatusError:
    request = httpx.Request("POST", "http://127.0.0.1/v1/chat/completions")
    response = httpx.Response(429, headers=headers, request=request)
    return openai.RateLimitError("slow down", response=response, body=None)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"retry-after": "2"}, 2.0),
        ({"retry-after": "0.5"}, 0.5),
        ({"retry-after-ms": "1500", "retry-after": "9"}, 1.5),
        ({"retry-after": "soon"}, None),
        ({}, None),
    ],
)
def test_retry_after_seconds(headers: dict[str, str], expected: float | None) -> None:
    assert retry_after_seconds(_status_error(headers)) == expected


def test_retry_after_http_date() -> None:
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    seconds = retry_after_seconds(_status_error({"retry-after": later}))
    assert seconds is not None and 25 <= seconds <= 31


# ---------------------------------------------------------------- rate limits


def test_token_estimate() -> None:
    assert estimate_tokens(0) == 0
    assert estimate_tokens(9, max_tokens=100) == 103


async def test_tokens_per_minute_are_paced() -> None:
    limiter = RateLimiter(tpm=1200)  # 20 tokens per second
    started = time.monotonic()
    await limiter.acquire(1200)
    assert time.monotonic() - started < 0.2, "a full bucket is available at once"
    await limiter.acquire(10)
    assert time.monotonic() - started >= 0.4
    await RateLimiter(tpm=100).acquire(10**6)  # more than the budget: charged it, never raises


async def test_no_limits_cost_nothing() -> None:
    limiter = RateLimiter()
    assert not limiter.enabled
    await limiter.acquire(10**9)
    with pytest.raises(ValueError):
        RateLimiter(rpm=0)
