"""Every benchmark under bench/ still imports what it uses.

Benchmarks run by hand, not in the suite, so a refactor that moves a function
(issue 19 moved `refresh_regions` out of `studio.pull`) broke `bench/agreement.py`
without a failing test. Importing each one (its `main` is not called) catches that.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"
SCRIPTS = sorted(path.stem for path in BENCH.glob("*.py"))


def test_there_are_benchmarks() -> None:
    assert len(SCRIPTS) >= 5


@pytest.mark.parametrize("name", SCRIPTS)
def test_benchmark_imports(name: str) -> None:
    code = f"import sys; sys.path.insert(0, {str(BENCH)!r}); import {name}"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
