"""`annotate export` and `annotate compare` killed at any point leave no half-written folder.

Both write their folder under a hidden name beside it and rename it into place
when complete. Killed with SIGKILL at several points, the folder is either
absent (the first run) or the previous complete one, every file as it was;
the next run finishes and, the store being the same, gives the same bytes.
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

#: When the export is killed, as shares of the time a whole export takes here.
KILL_AT = (0.15, 0.4, 0.65, 0.9)


@pytest.fixture(scope="module")
def store_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("kill-export") / "gold.db"
    with Store(db) as store:
        fill(store, 400)
    return db


def _export(db: Path, out: Path, command: str = "export") -> subprocess.Popen[bytes]:
    extra = ["--workers", "1"] if command == "export" else []
    return subprocess.Popen([sys.executable, "-m", "annotate", "--db", str(db), command,
                             *extra, "--out", str(out)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip


def _killed(db: Path, out: Path, after: float, command: str = "export") -> None:
    process = _export(db, out, command)
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
    _killed(store_path, out, 1.0)
    assert not out.exists()  # the first export, killed: nothing that looks like one
    assert _export(store_path, out).wait() == 0  # the first also keeps the gold
    started = time.perf_counter()
    assert _export(store_path, out).wait() == 0
    took = time.perf_counter() - started
    first = _complete(out)
    for share in KILL_AT:
        _killed(store_path, out, share * took)
        assert _complete(out) == first
    assert _export(store_path, out).wait() == 0
    assert _complete(out) == first  # the same bytes again
    assert not list(tmp_path.glob(".dataset.*"))  # nothing left under the hidden names


def _whole(out: Path) -> int:
    """The comparison folder is one comparison's, whole: its id."""
    assert {p.name for p in out.iterdir()} == {"facts.json", "pairs.jsonl", "report.html"}
    facts = json.loads((out / "facts.json").read_text())
    counts = facts["comparison"]["counts"]
    pairs = (out / "pairs.jsonl").read_text().splitlines()
    assert len(pairs) == counts["candidate_pairs"] - counts["unjudged"] > 0
    assert all(json.loads(line)["judge"] == facts["comparison"]["judge"] for line in pairs)
    assert (out / "report.html").read_text().rstrip().endswith("</html>")
    return int(facts["comparison"]["id"])


def test_a_killed_comparison_leaves_the_last_complete_folder(
    store_path: Path, tmp_path: Path
) -> None:
    out = tmp_path / "compare"
    _killed(store_path, out, 0.8, "compare")
    assert not out.exists()
    assert _export(store_path, out, "compare").wait() == 0  # the first also makes the gold
    started = time.perf_counter()
    assert _export(store_path, out, "compare").wait() == 0
    took = time.perf_counter() - started
    last = _whole(out)
    interrupted = 0
    for share in (0.15, 0.35, 0.6, 0.85):
        _killed(store_path, out, share * took, "compare")
        seen = _whole(out)  # one comparison's files, whole: the last one, or this one if done
        interrupted += seen == last
        last = seen
    assert interrupted >= 2, "the kills should land before the end (timing on this machine)"
    assert _export(store_path, out, "compare").wait() == 0
    assert _whole(out) > last
    assert not list(tmp_path.glob(".compare.*"))
