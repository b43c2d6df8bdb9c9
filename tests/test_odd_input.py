"""Big and odd input: ingest and pre-annotation finish, offsets match, memory stays bounded.

Odd: a byte-order mark, mixed line endings, right-to-left text, emoji, and
stray binary noise (bytes that are not UTF-8, no NUL). Big: a 5 MB article and
a 100,000-line JSON Lines file, each run through the real command line in its
own process, whose peak memory is read from the kernel (`os.wait4`).
"""

from __future__ import annotations

import json
import os
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


def _cli(db: Path, *args: str) -> tuple[int, int, str]:
    """Run `annotate --db DB ARGS` in its own process: exit status, peak RSS in MiB, output."""
    command = [sys.executable, "-m", "annotate", "--db", str(db), *args]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True)  # fmt: skip
    assert process.stdout is not None
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    return process.returncode, usage.ru_maxrss // 1024, " ".join(output.split())  # unwrapped


def _grounded(store: Store) -> int:
    """Every predicted span is exactly its text in its document; how many spans there are."""
    spans = 0
    for document in store.iter_documents():
        prediction = store.latest_prediction(document.id)
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
    (document,) = list(store.iter_documents())
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
        (document,) = list(store.iter_documents())
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

