"""`annotate export` killed at any point never leaves half an export where a reader looks.

The export is written under a hidden name beside its folder and renamed into
place when complete. Killed with SIGKILL at several points (the gold pass,
the Parquet files, the card), the folder is either absent (first export) or
the previous complete export, every file matching its manifest; the next run
finishes and gives the same bytes.
"""

from __future__ import annotations

import hashlib
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from annotate.store import Store
from annotate.testing.gold_corpus import fill

#: Seconds after the start at which the export is killed (it takes a few seconds here).
KILL_AFTER = (0.5, 1.2, 2.0, 3.0)


@pytest.fixture(scope="module")
def store_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("kill-export") / "gold.db"
    with Store(db) as store:
        fill(store, 400)
    return db


def _export(db: Path, out: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "annotate", "--db", str(db), "export",
                             "--workers", "1", "--out", str(out)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip


def _killed(db: Path, out: Path, after: float) -> None:
    process = _export(db, out)
    time.sleep(after)
    process.send_signal(signal.SIGKILL)
    process.wait()


def _complete(out: Path) -> dict[str, str]:
    """The export at `out` as its manifest lists it, checked file by file."""
    manifest = json.loads((out / "manifest.json").read_text())
    files = {str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()}
    assert files == set(manifest["files"]) | {"manifest.json"}
    for name, digest in manifest["files"].items():
        assert hashlib.sha256((out / name).read_bytes()).hexdigest() == digest, name
    return dict(manifest["files"])


def test_a_killed_export_leaves_the_last_complete_one(store_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "dataset"
    _killed(store_path, out, KILL_AFTER[1])
    assert not out.exists()  # the first export, killed: nothing that looks like one
    assert _export(store_path, out).wait() == 0
    first = _complete(out)
    for after in KILL_AFTER:
        _killed(store_path, out, after)
        assert _complete(out) == first
    assert _export(store_path, out).wait() == 0
    assert _complete(out) == first  # the same bytes again
    assert not list(tmp_path.glob(".dataset.*"))  # nothing left under the hidden names
