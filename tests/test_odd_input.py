"""Big and odd input: ingest and pre-annotation finish, offsets match, memory stays bounded.

Odd: a byte-order mark, mixed line endings, right-to-left text, emoji, and
stray binary noise (bytes that are not UTF-8, no NUL). Big: a 5 MB article and
a 100,000-line JSON Lines file, each run through the real command line in its
own process, whose peak memory is read from the kernel (`VmHWM`, see `_cli`).
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import pytest

from annotate.ingest import ingest_paths
from annotate.schemas import Annotation
from annotate.store import Store

ODD = (
    "\ufeffTitle line\r\n"
    "President Ebrahim Raisi said the talks 🇮🇷🙂 would go on.\r"
    "قال الرئيس إن المحادثات ستستمر.\n"
    "Minister Sergei Lavrov said Moscow wants guarantees 🤝.\r\n"
)
SENTENCE = ("Foreign Minister Anna Berg{i} said the talks in Brussels would continue on day {i}. "
            "Officials said the {i} ministers agreed on a common statement. ")  # fmt: skip


#: `python -m annotate ARGS`, then the process's own peak memory on its last line. That is
#: the kernel's high-water mark of its memory since exec (VmHWM): `wait4`'s ru_maxrss is no
#: use here, as a child starts with its parent's (Linux keeps the largest across fork and
#: exec), so every command run from this test process would have reported the test's peak.
PEAK_MARK = "peak-kib:"
WITH_PEAK = f"""
import atexit, runpy, sys
def peak():
    status = open("/proc/self/status").read()
    print("{PEAK_MARK}", status.split("VmHWM:")[1].split()[0], flush=True)
atexit.register(peak)
sys.argv[0] = "annotate"
runpy.run_module("annotate", run_name="__main__", alter_sys=True)
"""


def _cli(db: Path, *args: str) -> tuple[int, int, str]:
    """Run `annotate --db DB ARGS` in its own process: exit status, peak RSS in MiB, output."""
    command = [sys.executable, "-c", WITH_PEAK, "--db", str(db), *args]
    done = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output, mark, peak = done.stdout.rpartition(PEAK_MARK)
    assert mark, done.stdout
    return done.returncode, int(peak) // 1024, " ".join(output.split())  # unwrapped


def _grounded(store: Store) -> int:
    """Every predicted span is exactly its text in its document; how many spans there are."""
    spans = 0
    for document in store.documents.iter():
        prediction = store.predictions.latest(document.id)
        assert prediction is not None, document.source
        annotation = Annotation.model_validate_json(prediction.annotation)
        for claim in annotation.claims:
            assert document.text[claim.span.start : claim.span.end] == claim.span.text
            spans += 1
        for actor in annotation.actors:
            for mention in actor.mentions:
                assert document.text[mention.start : mention.end] == mention.text
                spans += 1
    return spans


def test_bom_line_endings_rtl_and_emoji_keep_offsets(store: Store, tmp_path: Path) -> None:
    (tmp_path / "odd.txt").write_bytes(ODD.encode("utf-8"))
    report = ingest_paths(store, [tmp_path / "odd.txt"])
    assert report.added and not report.rejected
    (document,) = list(store.documents.iter())
    assert not document.text.startswith("\ufeff") and "\r" not in document.text
    assert "قال الرئيس" in document.text and "🇮🇷🙂" in document.text
    code = _cli(store.path, "preannotate", "--provider", "rules")[0]
    assert code == 0
    assert _grounded(store) >= 2


def test_stray_binary_noise_is_rejected_or_kept_on_request(tmp_path: Path) -> None:
    rng = random.Random(7)
    noise = bytes(rng.choice(range(1, 256)) for _ in range(4000))
    (tmp_path / "noisy.txt").write_bytes(
        b"Officials said the talks would resume. " + noise + b" Putin said Russia wants guarantees."
    )
    db = tmp_path / "noise.db"
    code, _, output = _cli(db, "ingest", str(tmp_path / "noisy.txt"))
    assert code == 1 and "not UTF-8" in output and "--invalid-utf8 replace" in output
    code, _, output = _cli(db, "ingest", "--invalid-utf8", "replace", str(tmp_path / "noisy.txt"))
    assert code == 0 and "replaced by U+FFFD" in output
    assert _cli(db, "preannotate", "--provider", "rules")[0] == 0
    with Store(db) as store:
        (document,) = list(store.documents.iter())
        assert "\ufffd" in document.text and "\x00" not in document.text
        assert _grounded(store) >= 1


@pytest.mark.slow
def test_a_5_mb_article_and_100_000_lines_with_bounded_memory(tmp_path: Path) -> None:
    big = "".join(SENTENCE.format(i=i) for i in range(40_000))[:5_000_000]
    (tmp_path / "big.txt").write_text(big, encoding="utf-8")
    for lines in (10_000, 100_000):
        with (tmp_path / f"feed-{lines}.jsonl").open("w", encoding="utf-8") as feed:
            for i in range(lines):
                record = {"text": f"Minister {i} said the talks number {i} would continue.",
                          "outlet": f"outlet {i % 7}"}  # fmt: skip
                feed.write(json.dumps(record) + "\n")
    peaks = {}
    for lines in (10_000, 100_000):
        code, peaks[lines], output = _cli(tmp_path / f"feed-{lines}.db", "ingest",
                                          str(tmp_path / f"feed-{lines}.jsonl"))  # fmt: skip
        assert code == 0 and f"ingested {lines} new" in output
    assert peaks[100_000] <= 1.25 * peaks[10_000], peaks  # the feed is read line by line

    db = tmp_path / "big.db"
    assert _cli(db, "ingest", str(tmp_path / "big.txt"))[0] == 0
    code, peak, output = _cli(db, "preannotate", "--provider", "rules")
    assert code == 0, output
    assert peak < 1024, f"pre-annotating a 5 MB article peaked at {peak} MiB"
    with Store(db) as store:
        assert _grounded(store) > 50_000



def test_a_prediction_is_cut_to_its_first_regions_and_still_converts(
    store: Store, tmp_path: Path
) -> None:
    from annotate.codec import regions_of, results_to_annotation
    from annotate.studio.push import _batches
    from annotate.studio.tasks import capped_task

    (tmp_path / "long.txt").write_text(ODD + "".join(SENTENCE.format(i=i) for i in range(300)))
    ingest_paths(store, [tmp_path / "long.txt"])
    assert _cli(store.path, "preannotate", "--provider", "rules")[0] == 0
    ((document, prediction),) = list(store.predictions.with_documents())
    assert prediction is not None
    whole = regions_of(Annotation.model_validate_json(prediction.annotation)).spans
    for limit in (1, 10, 100, len(whole) - 1):
        task, cap = capped_task(document, prediction, limit)
        results = task["predictions"][0]["result"]
        spans = [r["value"] for r in results if r["type"] == "labels"]
        assert cap is not None and cap.regions == len(whole) and cap.kept == len(spans)
        assert 0 < len(spans) <= limit and all(span["end"] < cap.until for span in spans)
        earlier = {(r.start, r.end) for r in whole if r.end < cap.until}
        assert {(span["start"], span["end"]) for span in spans} <= earlier
        assert len(earlier) <= limit < len(whole)
        kept = results_to_annotation(results, document.text)  # annotators can accept it as is
        assert all(document.text[c.span.start : c.span.end] == c.span.text for c in kept.claims)
    assert capped_task(document, prediction, len(whole))[1] is None

    class Sized:  # batches close on a count, on results and on text, a big item alone
        def __init__(self, results: int, chars: int) -> None:
            self.size = (results, chars)

    sizes = [(10, 10), (60_000, 0), (50_000, 0), (0, 25_000_000), (1, 1), (1, 1), (1, 1)]
    batches = [[item.size for item in b] for b in _batches((Sized(*s) for s in sizes), 2)]
    assert batches == [sizes[:2], sizes[2:3], sizes[3:4], sizes[4:6], sizes[6:]]
