"""Shared fixtures: a fresh store per test, the seed folder, a store of pulled annotations."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from annotate.ingest import ingest_paths
from annotate.preannotate.pipeline import preannotate
from annotate.preannotate.providers.rules import RulesProvider
from annotate.schemas import Annotation
from annotate.store import PulledAnnotation, Store
from annotate.studio import server
from annotate.testing.batch_api import BatchControl
from annotate.testing.llm_server import RunningServer, running_llm_server

# The machine (and CI) has no internet: Hugging Face libraries must not try the Hub.
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"


def seed_feed(folder: Path, count: int) -> Path:
    """`count` distinct articles made from the seeds, as one JSON Lines feed (feed.jsonl)."""
    seeds = sorted(p.read_text(encoding="utf-8") for p in SEEDS.glob("*.txt"))
    feed = folder / "feed.jsonl"
    with feed.open("w", encoding="utf-8") as handle:
        for i in range(count):
            text = f"{seeds[i % len(seeds)].rstrip()}\n\n[copy {i}]\n"
            handle.write(json.dumps({"text": text}) + "\n")
    return feed


@pytest.fixture(scope="module")
def batch_llm() -> Iterator[RunningServer]:
    """The fake OpenAI server (chat and Batch API) of a module of batch-route tests."""
    with running_llm_server() as running:
        yield running


@pytest.fixture
def batches(batch_llm: RunningServer) -> BatchControl:
    """The fake Batch API, reset for the test."""
    batch_llm.reset()
    control = BatchControl(batch_llm.root)
    control.reset()
    return control


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = Store(tmp_path / "test.db")
    yield store
    store.close()


@pytest.fixture
def seeds_dir() -> Path:
    return SEEDS


@pytest.fixture(scope="session")
def studio_paths(tmp_path_factory: pytest.TempPathFactory) -> server.StudioPaths:
    """Where the test session's Label Studio keeps its config and data."""
    home = tmp_path_factory.mktemp("studio-home")
    venv = Path(os.environ.get(server.VENV_ENV) or ROOT / ".studio-venv")
    return server.StudioPaths(home=home / "studio", venv=venv)


@pytest.fixture(scope="session")
def studio(studio_paths: server.StudioPaths) -> Iterator[server.StudioConfig]:
    """A real Label Studio, started once per session as `annotate studio start` does."""
    config = server.start(studio_paths, port=server.free_port())
    yield config
    assert server.stop(studio_paths)
    assert not server.is_running(config)


def by_the_rules(db: Path, paths: list[Path] | None = None) -> Path:
    """`db` with `paths` (the seeds by default) ingested, none rejected, and pre-annotated
    by the rules: the store most tests start from."""
    with Store(db) as store:
        assert not ingest_paths(store, [SEEDS] if paths is None else paths).rejected
        asyncio.run(preannotate(store, RulesProvider()))
    return db


def compared_by_the_rules(db: Path, paths: list[Path], out: Path) -> Path:
    """`db` with `paths` ingested (none rejected), pre-annotated by the rules, and compared
    through the CLI into `out`: the store every comparison test starts from."""
    from typer.testing import CliRunner

    from annotate.cli import app

    by_the_rules(db, paths)
    result = CliRunner().invoke(app, ["--db", str(db), "compare", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return db


def pulled(store: Store, document_id: str, annotator: str, annotation: Annotation, n: int,
           ground_truth: bool = False) -> None:  # fmt: skip
    """Store an annotation as `annotate pull` would have."""
    store.annotations.upsert(
        PulledAnnotation(
            server="http://ls",
            project_id=1,
            annotation_id=n,
            task_id=100 + n,
            document_id=document_id,
            annotator=annotator,
            annotator_id=n,
            created_at="2026-11-24T00:00:00Z",
            updated_at="2026-11-24T00:00:00Z",
            lead_time=10.0,
            was_cancelled=False,
            ground_truth=ground_truth,
            result="[]",
            annotation=annotation.model_dump_json(),
            error=None,
        )
    )


@pytest.fixture
def annotated(tmp_path: Path) -> Path:
    """Seeds pre-annotated by the rules, then 'corrected' by three annotators."""
    return annotated_store(tmp_path / "gold.db")


def annotated_store(db: Path) -> Path:
    """The store of the `annotated` fixture, at `db`."""
    by_the_rules(db)
    with Store(db) as store:
        n = 0
        for document in store.documents.iter():
            prediction = store.predictions.latest(document.id)
            assert prediction is not None
            base = Annotation.model_validate_json(prediction.annotation)
            # the last claim dropped, the first relabelled: each outvoted 2 to 1, no tie (a
            # tie waits for a reviewer and keeps its document out of the gold: issue 21)
            dropped = base.model_copy(update={"claims": base.claims[:-1]})
            relabelled = base.model_copy(deep=True)
            relabelled.claims[0].attribution = "authorial"
            for who, annotation in (("ann@x", base), ("bob@x", dropped), ("cat@x", relabelled)):
                n += 1
                pulled(store, document.id, who, annotation, n)
    return db
