"""Ollama's window, which it neither counts nor refuses: issue 18, part 1.

Ollama offers no tokenize endpoint and cuts a prompt longer than the window it
runs the model with (4,096 tokens by default on a small machine) without a
word, so before this a run told ``--context-window 8192`` sent every chunk
sized for 8,192 tokens and the model read a cut prompt, schema first. Now the
client sends one measuring request and reads the window Ollama states for the
loaded model in ``GET /api/ps``. The imitation (``--like ollama``) cuts and
states as Ollama does; its ``truncated_prompts`` counts every prompt it cut.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from annotate.errors import ConfigurationError
from annotate.ingest import ingest_paths
from annotate.llm import EndpointSettings
from annotate.llm.server_facts import running_window
from annotate.preannotate.pipeline import RunSummary, preannotate
from annotate.preannotate.providers.openai_chat import OpenAIChatProvider
from annotate.store import Store
from annotate.testing.llm_server import RunningServer, running_llm_server

MODEL = "qwen2.5:0.5b"


@pytest.fixture(scope="module")
def ollama() -> Iterator[RunningServer]:
    with running_llm_server(like="ollama") as running:
        yield running


@pytest.fixture(autouse=True)
def _reset(ollama: RunningServer) -> None:
    ollama.reset()


def run_job(store: Store, server: RunningServer, **options: Any) -> RunSummary:
    settings: dict[str, Any] = {"api_key": "x", "backoff_initial": 0.01, "max_retries": 2}
    provider = OpenAIChatProvider(
        EndpointSettings(model=MODEL, base_url=server.base_url, **settings, **options)
    )

    async def go() -> RunSummary:
        try:
            return await preannotate(store, provider, concurrency=4)
        finally:
            await provider.aclose()

    return asyncio.run(go())


def test_the_window_ollama_states_replaces_a_larger_one(
    store: Store, seeds_dir: Path, ollama: RunningServer, caplog: pytest.LogCaptureFixture
) -> None:
    """Told 8,192 tokens, the run sizes its chunks for the 4,096 Ollama runs with."""
    ingest_paths(store, [seeds_dir])
    summary = run_job(store, ollama, context_window=8192, max_tokens=2048)
    assert (summary.counters.predicted, summary.counters.failed) == (5, 0)
    stats = ollama.stats()
    assert stats["truncated_prompts"] == 0, "no prompt was cut"
    assert stats["over_window"] == 0, "no request asked for more than the window left"
    assert "runs the model with a 4096-token context window" in caplog.text


def test_a_window_the_full_schema_fills_takes_the_compact_one(
    store: Store, seeds_dir: Path, ollama: RunningServer, caplog: pytest.LogCaptureFixture
) -> None:
    """2,048 tokens: the full schema (about 1,720) leaves too little, the compact one fits."""
    ollama.configure(context_window=2048)
    ingest_paths(store, [seeds_dir])
    summary = run_job(store, ollama, context_window=8192, response_format="json_object")
    assert (summary.counters.predicted, summary.counters.failed) == (5, 0)
    assert "JSON mode carries the compact schema" in caplog.text
    assert ollama.stats()["truncated_prompts"] == 0


def test_a_window_neither_form_fits_is_one_error_before_any_document(
    store: Store, seeds_dir: Path, ollama: RunningServer
) -> None:
    """1,200 tokens: the full prompt is cut (its count fills the window), the compact one
    (about 1,060) leaves no room for an article."""
    ollama.configure(context_window=1200)
    ingest_paths(store, [seeds_dir])
    with pytest.raises(ConfigurationError) as caught:
        run_job(store, ollama, context_window=8192)
    message = str(caught.value)
    assert "the 1200-token context window (as the server states it)" in message
    assert "which the server cut" in message and "OLLAMA_CONTEXT_LENGTH" in message
    assert ollama.stats()["requests"] == 2, "one measuring request per form, no document"
    assert store.runs.all() == [], "no run recorded, no document failed"


def test_the_running_window_matches_ollamas_names() -> None:
    loaded = [{"name": "llama3.1:latest", "model": "llama3.1:latest", "context_length": 4096}]
    assert running_window(loaded, "llama3.1") == 4096
    assert running_window(loaded, "llama3.1:latest") == 4096
    assert running_window(loaded, "llama3.1:8b") is None
    assert running_window([{"model": "x", "context_length": 0}], "x") is None
