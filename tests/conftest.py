"""Shared fixtures: a fresh store per test, the seed folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from annotate.store import Store

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
