"""Shared fixtures: a fresh store per test, the seed folder."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from annotate.store import Store
from annotate.studio import server

# The machine (and CI) has no internet: Hugging Face libraries must not try the Hub.
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"


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
