"""The gold commands' output is pinned: byte for byte, on a frozen store of pulled annotations.

`tests/data/gold/store.jsonl.gz` holds 40 documents with their predictions and
3-4 annotators' pulled annotations (made by `annotate.testing.gold_corpus`
with ``variety=True``: a reviewer's flag, single annotators, ties, a skip, an
annotation that did not convert, a re-annotation). The expected outputs beside
it were written by the gold pass before it was restructured to stream; any
change to a coefficient, an interval, the gold, a row or the card shows here.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from annotate.cli import app
from annotate.store import Store

PINNED = Path(__file__).parent / "data" / "gold"
runner = CliRunner()


@pytest.fixture
def frozen_store(tmp_path: Path) -> Path:
    """A store holding exactly the frozen rows."""
    db = tmp_path / "frozen.db"
    with Store(db) as store, gzip.open(PINNED / "store.jsonl.gz", "rt", encoding="utf-8") as rows:
        for line in rows:
            item = json.loads(line)
            store.db.sqlite_utils.table(item["table"]).insert(item["row"])
    return db


@pytest.mark.parametrize("workers", ["1", "2"])
def test_agreement_json_is_unchanged(frozen_store: Path, workers: str) -> None:
    result = runner.invoke(
        app, ["agreement", "--json", "--workers", workers, "--db", str(frozen_store)]
    )
    assert result.exit_code == 0, result.output
    assert result.output == (PINNED / "agreement.json").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("name", "options"),
    [("export", []), ("export-split", ["--split", "train=0.6,dev=0.2,test=0.2", "--seed", "5"])],
)
def test_export_is_unchanged(frozen_store: Path, tmp_path: Path, name: str,
                             options: list[str]) -> None:  # fmt: skip
    out = tmp_path / name
    result = runner.invoke(app, ["export", "--db", str(frozen_store), "--out", str(out), *options])
    assert result.exit_code == 0, result.output
    expected = (PINNED / f"{name}-manifest.json").read_text(encoding="utf-8")
    assert (out / "manifest.json").read_text(encoding="utf-8") == expected
