"""Real endpoints as they behave, imitated by the fake server: issue 10, part 0.

A llama-cpp-python 0.3 server refuses ``json_schema`` with a 500, counts
tokens at about 3.6 characters, enforces a small window (cutting ``max_tokens``
to what is left, refusing a prompt that fills it) and lists its models. Each
test here failed against the client as it was before: every document retried
seven times, requests overflowing the window, a context-length refusal filed
as a failure, a wrong model name sent to every document.
"""

from __future__ import annotations

import asyncio
import shlex
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest

from annotate.errors import ConfigurationError
from annotate.ingest import ingest_paths
from annotate.llm import CallFailed, EndpointFailed, EndpointSettings
from annotate.llm.request import rejects_format
from annotate.preannotate.pipeline import RunSummary, _grounded, preannotate
from annotate.preannotate.providers import make_provider
from annotate.preannotate.providers.openai_chat import OpenAIChatProvider
from annotate.preannotate.textrange import TextRange
from annotate.schemas import Annotation, Extraction, Stance
from annotate.store import Document, Store
from annotate.testing.llm_server import RunningServer, running_llm_server

from .docs_pages import page

RESPONDER = "annotate.testing.llm_server:first_sentence_responder"
MODEL = "qwen2.5-0.5b-instruct"
TEXT = "Ministers met in Brussels on Monday. The talks covered energy prices."


@pytest.fixture(scope="module")
def llama() -> Iterator[RunningServer]:
    """A llama-cpp-python 0.3 server, its window set per test (the profile's 2,048 by default)."""
    with running_llm_server(like="llama-cpp-python") as running:
        yield running


@pytest.fixture(autouse=True)
def _reset(llama: RunningServer) -> None:
    llama.reset()


def provider_for(server: RunningServer, **options: Any) -> OpenAIChatProvider:
    settings: dict[str, Any] = {"api_key": "x", "backoff_initial": 0.01, "max_retries": 6}
    return OpenAIChatProvider(
        EndpointSettings(model=MODEL, base_url=server.base_url, **{**settings, **options})
    )


def run_job(store: Store, provider: OpenAIChatProvider, concurrency: int = 4) -> RunSummary:
    async def go() -> RunSummary:
        try:
            return await preannotate(store, provider, concurrency=concurrency)
        finally:
            await provider.aclose()

    return asyncio.run(go())


def _status(status: int, message: str) -> openai.APIStatusError:
    request = httpx.Request("POST", "http://127.0.0.1/v1/chat/completions")
    response = httpx.Response(status, request=request)
    return openai.APIStatusError(message, response=response, body=None)


# ---------------------------------------------------------------- response_format fallback


def test_a_rejection_of_json_schema_however_it_is_worded() -> None:
    assert rejects_format(_status(422, "body -> response_format -> type: unexpected value"))
    assert rejects_format(_status(500, "[{'loc': ('body', 'response_format', 'type')}]"))
    assert rejects_format(_status(500, "got: json_schema"))
    assert not rejects_format(_status(500, "CUDA out of memory"))
    assert not rejects_format(_status(400, "maximum context length is 2048 tokens"))


async def test_the_fallback_is_learnt_once_per_job_without_retries(llama: RunningServer) -> None:
    llama.configure(context_window=8192)
    provider = provider_for(llama)
    try:
        results = await asyncio.gather(*(provider.extract(f"{TEXT} Item {i}.") for i in range(8)))
    finally:
        await provider.aclose()
    stats = llama.stats()
    assert stats["response_formats"] == {"json_schema": 1, "json_object": 8}
    assert provider.mode == "json_object" and provider.retries == 0
    assert sum(result.usage.requests for result in results) == 9


# ---------------------------------------------------------------- the window


def test_a_job_fits_a_small_window_by_the_servers_own_count(
    store: Store, seeds_dir: Path, llama: RunningServer
) -> None:
    llama.configure(context_window=4096)
    ingest_paths(store, [seeds_dir])
    provider = provider_for(llama, context_window=4096, max_tokens=4096)
    summary = run_job(store, provider)
    stats = llama.stats()
    assert (summary.counters.predicted, summary.counters.failed) == (5, 0)
    assert stats["over_window"] == 0, "no request asked for more than the window left"
    assert stats["context_rejections"] == 0
    window = provider.chat.window
    assert window.observations >= 5 and 3.0 < window.chars_per_token < 3.6
    assert stats["last_request"]["max_tokens"] < 4096


def add_text(store: Store, folder: Path, text: str) -> None:
    folder.mkdir(exist_ok=True)
    (folder / "document.txt").write_text(text, encoding="utf-8")
    ingest_paths(store, [folder / "document.txt"])


def test_a_context_length_refusal_splits_the_chunk(
    store: Store, seeds_dir: Path, llama: RunningServer, tmp_path: Path
) -> None:
    """The server's window is smaller than the one given: its refusals shrink the chunks."""
    llama.configure(context_window=4096)
    long_text = "\n\n".join(path.read_text() for path in sorted(seeds_dir.glob("*.txt"))[:4])
    add_text(store, tmp_path / "long", long_text)
    provider = provider_for(llama, context_window=16000, max_tokens=1024)
    summary = run_job(store, provider)
    assert (summary.counters.predicted, summary.counters.failed) == (1, 0)
    assert llama.stats()["context_rejections"] >= 1
    assert summary.counters.llm_calls >= 2


def test_a_window_smaller_than_the_prompt_is_one_error_before_any_document(
    store: Store, llama: RunningServer, tmp_path: Path
) -> None:
    """The server's refusal of one measuring request states both sizes: no document fails."""
    llama.configure(context_window=1000)  # smaller than the prompt alone
    add_text(store, tmp_path / "short", TEXT)
    with pytest.raises(ConfigurationError) as caught:
        run_job(store, provider_for(llama, context_window=16000))
    message = str(caught.value)
    assert "the 1000-token context window (as the server states it)" in message
    assert "--n_ctx" in message and "--max-model-len" in message and "-c/--ctx-size" in message
    assert llama.stats()["requests"] == 1, "one measuring request, no document sent"
    assert store.runs.all() == [], "no run recorded, no document failed"


async def test_a_request_that_cannot_fit_is_not_sent(llama: RunningServer) -> None:
    provider = provider_for(llama, context_window=2048)
    provider.chat.window.observe(chars=3600, prompt_tokens=1000)  # measured: 3.6
    try:
        with pytest.raises(CallFailed) as caught:
            await provider.extract(TEXT * 40)
    finally:
        await provider.aclose()
    assert caught.value.reason == "context_length"
    assert "2048-token context window (--context-window)" in caught.value.detail
    assert llama.stats()["requests"] == 1, "only the json_schema probe, refused"


async def test_the_truncation_message_counts_one_answer(llama: RunningServer) -> None:
    llama.configure(context_window=None)
    llama.set_faults([{"kind": "invalid_json", "times": 1}, {"kind": "truncated", "times": 1}])
    provider = provider_for(llama, response_format="json_object", max_tokens=900)
    try:
        with pytest.raises(CallFailed) as caught:
            await provider.extract(TEXT)
    finally:
        await provider.aclose()
    failure = caught.value
    cut = int(failure.detail.split("cut at ")[1].split(" ")[0])
    first = failure.usage.completion_tokens - cut
    assert failure.reason == "truncated" and first > 0, "the re-ask's answer alone"
    assert "max_tokens was 900 (--max-tokens)" in failure.detail


# ---------------------------------------------------------------- the model


async def test_an_unknown_model_is_one_error_naming_the_served_ones(
    llama: RunningServer,
) -> None:
    provider = OpenAIChatProvider(
        EndpointSettings(model="gpt-4o-mini", base_url=llama.base_url, api_key="x")
    )
    try:
        with pytest.raises(EndpointFailed) as caught:
            await provider.extract(TEXT)
    finally:
        await provider.aclose()
    message = str(caught.value)
    assert "does not serve model 'gpt-4o-mini'" in message and MODEL in message
    assert "--model or ANNOTATE_MODEL" in message and "\n" not in message
    assert llama.stats()["requests"] == 0, "nothing sent for a model the server does not have"


async def test_ollama_serves_a_name_as_its_latest_tag(llama: RunningServer) -> None:
    llama.configure(models=["llama3.1:latest"], context_window=8192)
    provider = OpenAIChatProvider(
        EndpointSettings(model="llama3.1", base_url=llama.base_url, api_key="x")
    )
    try:
        await provider.extract(TEXT)
    finally:
        await provider.aclose()
    assert llama.stats()["model_listings"] == 1


def test_a_local_server_needs_a_model_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.delenv("ANNOTATE_MODEL", raising=False)
    with pytest.raises(ConfigurationError) as missing:
        make_provider("openai")
    assert "--model" in str(missing.value) and "ANNOTATE_MODEL" in str(missing.value)
    monkeypatch.setenv("ANNOTATE_MODEL", "local")
    assert make_provider("openai").model == "local"
    monkeypatch.delenv("OPENAI_BASE_URL")
    monkeypatch.delenv("ANNOTATE_MODEL")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-x")
    assert make_provider("openai").model == "gpt-4o-mini", "OpenAI's own default stays"


# ---------------------------------------------------------------- retries and hallucinations


async def test_retries_are_counted_while_they_happen(llama: RunningServer) -> None:
    llama.configure(context_window=None)
    llama.set_faults([{"kind": "500", "times": 3}])
    provider = provider_for(llama, backoff_initial=0.3, response_format="json_object")
    seen: list[int] = []
    try:
        task = asyncio.create_task(provider.extract(TEXT))
        while not task.done():
            seen.append(provider.retries)
            await asyncio.sleep(0.05)
        await task
    finally:
        await provider.aclose()
    assert provider.retries == 3
    assert 1 in seen and 2 in seen, "the count rose before the call ended"


def test_the_progress_line_reads_the_retries_live() -> None:
    from annotate.cli.job_progress import RetriesColumn

    count = [0]
    column = RetriesColumn(lambda: count[0])
    count[0] = 4
    assert column.render(None).plain == "4 retries"  # type: ignore[arg-type]


def _extraction(*quotes: str) -> Extraction:
    claims = [
        {"quote": quote, "speaker": "OUTLET", "cue": None, "attribution": "authorial",
         "check_worthy": True, "proposition": quote}
        for quote in quotes
    ]  # fmt: skip
    document = {"main_target": "x", "overall": "neutral"}
    return Extraction.model_validate({"actors": [], "claims": claims, "stances": [],
                                      "document": document})  # fmt: skip


def test_hallucinations_are_counted_once_per_document() -> None:
    text = "First sentence here. Second sentence follows. Third one ends it."
    document = Document(id="x", text=text, source="x.txt", metadata={})
    first, second = TextRange(0, 45), TextRange(21, len(text))
    edge = "First sentence here."  # in the first chunk only: the second's model finished it
    invented = "Nothing like this is in the text."
    parts = [
        (first, _extraction(edge, invented)),
        (second, _extraction(edge, "Third one ends it.", invented)),
    ]
    grounded = _grounded(document, parts)
    assert [h.quote for h in grounded.hallucinated] == [invented]
    assert len(Annotation.model_validate_json(grounded.annotation).claims) == 2


def test_a_quote_made_up_in_every_chunk_is_one_hallucination() -> None:
    """Written differently in each chunk (spacing, case, quote marks), and as another kind."""
    text = "First sentence here. Second sentence follows. Third one ends it."
    document = Document(id="x", text=text, source="x.txt", metadata={})
    chunks = [TextRange(0, 45), TextRange(21, len(text))]
    spellings = ["The mayor \u201cresigned\u201d at dawn.", 'the mayor  "resigned" at DAWN.']
    parts = [(chunk, _extraction(quote)) for chunk, quote in zip(chunks, spellings, strict=True)]
    stance = {"holder": "x", "target": "y", "label": "favor", "evidence": spellings[1]}
    parts[1][1].stances.append(Stance.model_validate(stance))
    assert len(_grounded(document, parts).hallucinated) == 1


def test_a_local_cli_run_without_a_model_is_one_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from annotate.cli import app

    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.delenv("ANNOTATE_MODEL", raising=False)
    started = time.monotonic()
    result = CliRunner().invoke(app, ["--db", str(tmp_path / "a.db"), "preannotate"])
    assert result.exit_code == 1 and time.monotonic() - started < 10
    assert "--model or ANNOTATE_MODEL" in result.output and "Traceback" not in result.output


# ------------------------------------------------------ the examples of docs/real-models.md


def readme_example(heading: str) -> tuple[str, dict[str, str], list[str]]:
    """The server line, the exported variables and the annotate arguments under `# heading`
    in the first bash block of docs/real-models.md."""
    section = page("docs/real-models.md")
    block = section.split("```bash\n", 1)[1].split("```", 1)[0]
    lines = block.replace("\\\n", " ").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"# {heading}"))
    example: list[str] = []
    for line in lines[start + 1 :]:
        if not line.strip():
            break
        example.append(line)
    export = next(line for line in example if line.startswith("export "))
    exports = dict(part.split("=", 1) for part in shlex.split(export)[1:])
    command = next(line for line in example if line.startswith("annotate "))
    return example[0], exports, shlex.split(command)[1:]


@pytest.mark.parametrize(
    ("heading", "server_option", "like"),
    [
        ("vLLM", "--max-model-len", {"models": ["Qwen/Qwen2.5-7B-Instruct"],
                                     "context_overflow": "reject", "chars_per_token": 3.8}),
        ("Ollama", "OLLAMA_CONTEXT_LENGTH=", {"models": ["llama3.1:latest"],
                                              "chars_per_token": 3.6}),
        ("llama.cpp", "--n_ctx", {"reject_json_schema": "llama.cpp",
                                  "models": ["qwen2.5-1.5b-instruct"]}),
    ],
)  # fmt: skip
def test_the_readme_examples_work_as_written(
    heading: str, server_option: str, like: dict[str, Any], llama: RunningServer,
    seeds_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    from typer.testing import CliRunner

    from annotate.cli import app

    server_line, exports, arguments = readme_example(heading)
    window = int(arguments[arguments.index("--context-window") + 1])
    assert f"{server_option}{'' if server_option.endswith('=') else ' '}{window}" in server_line
    llama.configure(**{"reject_json_schema": None, "message_tokens": 4, **like,
                       "context_window": window})  # fmt: skip
    db = tmp_path / "annotate.db"
    with Store(db) as store:
        ingest_paths(store, [seeds_dir])
    monkeypatch.setenv("OPENAI_BASE_URL", llama.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", exports["OPENAI_API_KEY"])
    monkeypatch.delenv("ANNOTATE_MODEL", raising=False)
    result = CliRunner().invoke(app, ["--db", str(db), *arguments])
    assert result.exit_code == 0, result.output
    stats = llama.stats()
    assert (stats["over_window"], stats["context_rejections"]) == (0, 0)
    with Store(db) as store:
        (run,) = [run.as_json() for run in store.runs.all()]
    assert (run["status"], run["predicted"], run["failed"]) == ("finished", 5, 0)
