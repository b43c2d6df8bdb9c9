"""The cycle collector settled for a pre-annotation job (issue 22): cycles made during the job
are still collected, and the process's collector is as it was once the job ends."""

from __future__ import annotations

import gc
import weakref
from pathlib import Path

import pytest
from typer.testing import CliRunner

from annotate.cli import app
from annotate.collector import collector_settled

from .conftest import SEEDS


class Node:
    """An object that can sit in a reference cycle and be watched by a weak reference."""

    other: Node | None = None


def cycle_collected_by_itself(allocations: int) -> bool:
    """Make a two-node cycle, drop it, then allocate: does the collector, on its own, free it?"""
    first, second = Node(), Node()
    first.other, second.other = second, first
    watched = weakref.ref(first)
    del first, second
    kept: list[list[int]] = []
    for count in range(allocations):
        kept.append([count])  # containers: what the collector counts
        if watched() is None:
            return True
    return False


def test_settled_collector_leaves_old_objects_out_and_still_collects_new_cycles() -> None:
    thresholds, frozen = gc.get_threshold(), gc.get_freeze_count()
    made_before = [Node() for _ in range(10)]
    with collector_settled(young=5_000):
        assert gc.get_freeze_count() > frozen + len(made_before)
        assert gc.get_threshold() == (max(5_000, thresholds[0]), *thresholds[1:])
        assert gc.isenabled()
        assert cycle_collected_by_itself(50 * 5_000)
    assert gc.get_threshold() == thresholds
    assert gc.get_freeze_count() == frozen


def test_settled_collector_is_restored_after_an_error() -> None:
    thresholds, frozen = gc.get_threshold(), gc.get_freeze_count()
    with pytest.raises(RuntimeError), collector_settled():
        raise RuntimeError("the job failed")
    assert (gc.get_threshold(), gc.get_freeze_count()) == (thresholds, frozen)


def test_preannotate_gives_the_collector_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The command runs in the caller's process (tests, scripts): nothing stays frozen."""
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    db = str(tmp_path / "c.db")
    runner = CliRunner()
    assert runner.invoke(app, ["ingest", str(SEEDS), "--db", db]).exit_code == 0
    thresholds, frozen = gc.get_threshold(), gc.get_freeze_count()
    result = runner.invoke(app, ["preannotate", "--provider", "rules", "--db", db])
    assert result.exit_code == 0, result.output
    assert "5 predicted" in result.output
    assert (gc.get_threshold(), gc.get_freeze_count()) == (thresholds, frozen)


def test_the_command_freezes_what_it_made_only_as_its_process_ends(tmp_path: Path) -> None:
    """`annotate` freezes its objects when the command is over (the interpreter's last
    collection then skips them), not before: during the command the collector is as usual."""
    import subprocess
    import sys

    probe = (
        "import atexit, gc, sys\n"
        "from annotate.cli import app, main\n"
        "@app.command('probe-collector')\n"
        "def probe() -> None:\n"
        "    print('during', gc.get_freeze_count(), gc.isenabled())\n"
        "atexit.register(lambda: print('at exit', gc.get_freeze_count() > 0))\n"
        "sys.argv = ['annotate', 'probe-collector']\n"
        "main()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=tmp_path, check=True
    )
    assert done.stdout.splitlines() == ["during 0 True", "at exit True"]
