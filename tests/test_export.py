"""`annotate export`: deterministic files that pandas and Hugging Face datasets load."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from annotate.cli import app
from annotate.gold import export as export_module
from annotate.gold.export import arrow_schema, assign_splits, parse_splits
from annotate.store import Store

runner = CliRunner()


def export(db: Path, out: Path, *extra: str) -> None:
    result = runner.invoke(app, ["export", "--db", str(db), "--out", str(out), *extra])
    assert result.exit_code == 0, result.output


def digests(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_export_is_deterministic_and_checksummed(annotated: Path, tmp_path: Path) -> None:
    export(annotated, tmp_path / "one")
    export(annotated, tmp_path / "two")
    assert digests(tmp_path / "one") == digests(tmp_path / "two")
    manifest = json.loads((tmp_path / "one" / "manifest.json").read_text())
    assert manifest["documents"] == 5 and manifest["splits"] == {"gold": 5}
    for name, digest in manifest["files"].items():
        assert digests(tmp_path / "one")[name] == digest
    assert {"data/gold.parquet", "jsonl/data/gold.jsonl", "agreement.json", "README.md"} <= set(
        manifest["files"]
    )
    # data/ holds Parquet only: a reader pointed at the folder finds nothing else there.
    assert [p.name for p in (tmp_path / "one" / "data").iterdir()] == ["gold.parquet"]


def test_offsets_and_loaders(annotated: Path, tmp_path: Path) -> None:
    pandas = pytest.importorskip("pandas")
    export(annotated, tmp_path / "ds")
    frame = pandas.read_parquet(tmp_path / "ds" / "data")
    assert len(frame) == 5 and list(frame["id"]) == sorted(frame["id"])
    for _, row in frame.iterrows():
        for claim in row["claims"]:
            span = claim["span"]
            assert row["text"][span["start"] : span["end"]] == span["text"]
        for actor in row["actors"]:
            for mention in actor["mentions"]:
                assert row["text"][mention["start"] : mention["end"]] == mention["text"]
    assert set(frame["adjudication"]) == {"majority"}

    from datasets import load_dataset

    dataset = load_dataset(
        "parquet",
        data_files={"gold": str(tmp_path / "ds" / "data" / "gold.parquet")},
        cache_dir=str(tmp_path / "hf-cache"),
    )
    assert dataset["gold"].num_rows == 5
    first = dataset["gold"][0]
    span = first["claims"][0]["span"]
    assert first["text"][span["start"] : span["end"]] == span["text"]
    lines = (tmp_path / "ds/jsonl/data/gold.jsonl").read_text().splitlines()
    rows = [json.loads(line) for line in lines]
    assert [r["id"] for r in rows] == list(frame["id"])


def test_card_reports_agreement_and_versions(annotated: Path, tmp_path: Path) -> None:
    export(annotated, tmp_path / "ds")
    card = (tmp_path / "ds" / "README.md").read_text()
    report = json.loads((tmp_path / "ds" / "agreement.json").read_text())
    alpha = report["fields"]["overall_stance"]["krippendorff_alpha_ordinal"]
    assert "## Inter-annotator agreement" in card and f"{alpha:.3f}" in card
    assert "rule-based-annotator-" in card and "Schema version" in card
    assert "`actors.canonical_name` | Full normalized name" in card  # from the schema
    assert "Offset just past the last character" in card
    assert "ann@x, bob@x, cat@x" in card


def test_splits_are_seeded_by_document(annotated: Path, tmp_path: Path) -> None:
    export(annotated, tmp_path / "s1", "--split", "train=0.6,dev=0.2,test=0.2", "--seed", "7")
    export(annotated, tmp_path / "s2", "--split", "train=0.6,dev=0.2,test=0.2", "--seed", "7")
    assert digests(tmp_path / "s1") == digests(tmp_path / "s2")
    manifest = json.loads((tmp_path / "s1" / "manifest.json").read_text())
    assert manifest["splits"] == {"train": 3, "dev": 1, "test": 1}
    ids = [f"d{i}" for i in range(100)]
    one = assign_splits(ids, parse_splits("train=0.8,test=0.2"), seed=1)
    assert assign_splits(list(reversed(ids)), parse_splits("train=0.8,test=0.2"), 1) == one
    assert assign_splits(ids, parse_splits("train=0.8,test=0.2"), seed=2) != one
    with pytest.raises(ValueError, match="sum to 1"):
        parse_splits("train=0.8,test=0.1")
    bad = runner.invoke(app, ["export", "--db", str(annotated), "--out", str(tmp_path / "x"),
                              "--split", "train=abc"])  # fmt: skip
    assert bad.exit_code == 1 and "NAME=SHARE" in bad.output


@pytest.mark.parametrize("split", [[], ["--split", "train=0.6,test=0.4"]])
def test_parquet_row_groups_are_the_rows_of_their_json_lines(
    annotated: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, split: list[str]
) -> None:
    """Parquet parsed by Arrow from the lines is byte for byte Parquet built from the rows."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    monkeypatch.setattr(export_module, "ROW_GROUP", 2)
    export(annotated, tmp_path / "out", *split)
    for lines in sorted((tmp_path / "out" / "jsonl" / "data").glob("*.jsonl")):
        rows = [json.loads(line) for line in lines.read_text(encoding="utf-8").splitlines()]
        expected = tmp_path / f"{lines.stem}.parquet"
        written = tmp_path / "out" / "data" / f"{lines.stem}.parquet"
        schema = arrow_schema(pq.read_schema(written).field("metadata").type)
        assert pq.read_schema(written).remove_metadata() == schema
        with pq.ParquetWriter(expected, schema, compression="zstd",
                              write_statistics=False) as writer:  # fmt: skip
            for start in range(0, max(len(rows), 1), 2):
                writer.write_table(pa.Table.from_pylist(rows[start : start + 2],
                                                        schema=schema))  # fmt: skip
        assert pq.ParquetFile(written).num_row_groups == max(1, (len(rows) + 1) // 2)
        assert written.read_bytes() == expected.read_bytes()


#: Loads an export as researchers do, offline, and prints what each loader found.
LOADERS = """
import json, sys
import pandas as pd
from datasets import load_dataset
folder, cache = sys.argv[1], sys.argv[2]
frame = pd.read_parquet(folder + "/data")
by_dir = load_dataset("parquet", data_dir=folder + "/data", cache_dir=cache)
by_card = load_dataset(folder, cache_dir=cache)
pairs = load_dataset(folder, "comparisons", cache_dir=cache)
first = by_card["train"][0]
span = first["claims"][0]["span"]
print(json.dumps({
    "pandas": sorted(frame["id"]),
    "data_dir": {name: split.num_rows for name, split in by_dir.items()},
    "card": {name: sorted(split["id"]) for name, split in by_card.items()},
    "comparisons": {name: split.num_rows for name, split in pairs.items()},
    "span": first["text"][span["start"]:span["end"]] == span["text"],
    "metadata": type(first["metadata"]).__name__,
}))
"""


def test_pandas_and_datasets_load_the_export_offline(annotated: Path, tmp_path: Path) -> None:
    """`pd.read_parquet(data/)`, `load_dataset("parquet", data_dir=...)` and
    `load_dataset(folder)` (the card's configs), with real pandas and datasets, no hub."""
    import subprocess
    import sys

    compared = runner.invoke(app, ["compare", "--db", str(annotated), "--out",
                                   str(tmp_path / "compare")])  # fmt: skip
    assert compared.exit_code == 0, compared.output
    export(annotated, tmp_path / "ds", "--split", "train=0.6,dev=0.2,test=0.2")
    env = {**os.environ, "HF_DATASETS_OFFLINE": "1", "HF_HUB_OFFLINE": "1",
           "HF_HOME": str(tmp_path / "hf-home")}  # fmt: skip
    done = subprocess.run([sys.executable, "-c", LOADERS, str(tmp_path / "ds"),
                           str(tmp_path / "hf-cache")], capture_output=True, text=True,
                          env=env, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    found = json.loads(done.stdout.strip().splitlines()[-1])
    manifest = json.loads((tmp_path / "ds" / "manifest.json").read_text())
    ids = {name: sorted(pd_ids(tmp_path / "ds", name)) for name in ("train", "dev", "test")}
    assert found["pandas"] == sorted(i for split in ids.values() for i in split)
    assert found["card"] == ids  # each split from its own file, as the card's YAML names it
    assert sum(found["data_dir"].values()) == manifest["documents"] == 5
    assert found["comparisons"] == {"comparisons": manifest["comparisons"]["pairs"]}
    assert found["span"] and found["metadata"] == "dict"


def pd_ids(folder: Path, split: str) -> list[str]:
    import pyarrow.parquet as pq

    return [str(i) for i in pq.read_table(folder / "data" / f"{split}.parquet")["id"].to_pylist()]


def test_metadata_is_a_typed_struct(annotated: Path, tmp_path: Path) -> None:
    """Fields typed by what their values share; disagreeing and nested values as text."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    given = [
        {"file": "a.txt", "outlet": "X", "year": 2024, "score": 1, "tags": ["a", "b"],
         "mixed": 7, "language": "en"},
        {"file": "b.txt", "year": 2023, "score": 0.5, "mixed": "seven", "verified": True},
    ]  # fmt: skip
    with Store(annotated) as store, store.db.conn:
        ids = sorted(d.id for d in store.documents.iter())
        for document_id, metadata in zip(ids, given, strict=False):
            store.db.conn.execute("update documents set metadata = ? where id = ?",
                                  [json.dumps(metadata), document_id])  # fmt: skip
    export(annotated, tmp_path / "ds")
    table = pq.read_table(tmp_path / "ds" / "data" / "gold.parquet")
    kind = table.schema.field("metadata").type
    declared = ["file", "line", "outlet", "date", "title", "url"]  # first, in this order
    assert [kind.field(i).name for i in range(6)] == declared
    types = {kind.field(i).name: kind.field(i).type for i in range(kind.num_fields)}
    assert types["year"] == pa.int64() and types["score"] == pa.float64()
    assert types["verified"] == pa.bool_() and types["line"] == pa.int64()
    assert types["tags"] == types["mixed"] == pa.string()
    rows = {row["id"]: row["metadata"] for row in table.to_pylist()}
    assert rows[ids[0]]["tags"] == '["a", "b"]' and rows[ids[0]]["mixed"] == "7"
    assert rows[ids[1]]["mixed"] == "seven" and rows[ids[1]]["score"] == 0.5
    assert rows[ids[1]]["outlet"] is None and rows[ids[0]]["score"] == 1.0
    lines = (tmp_path / "ds" / "jsonl" / "data" / "gold.jsonl").read_text().splitlines()
    assert json.loads(lines[0])["metadata"]["year"] == 2024  # an object, not a JSON string


def _front_matter(card: str) -> dict[str, Any]:
    import yaml

    assert card.startswith("---\n")
    return dict(yaml.safe_load(card.split("---\n", 2)[1]))


def test_card_carries_the_hubs_yaml(annotated: Path, tmp_path: Path) -> None:
    from huggingface_hub import DatasetCard

    export(annotated, tmp_path / "ds", "--license", "cc-by-4.0", "--split",
           "train=0.6,dev=0.2,test=0.2")  # fmt: skip
    card = (tmp_path / "ds" / "README.md").read_text(encoding="utf-8")
    yaml = _front_matter(card)
    assert yaml["license"] == "cc-by-4.0" and yaml["language"] == ["en"]  # the seeds' metadata
    assert yaml["size_categories"] == ["n<1K"]
    assert {"token-classification", "text-classification"} <= set(yaml["task_categories"])
    assert yaml["configs"] == [{"config_name": "default", "data_files": [
        {"split": s, "path": f"data/{s}.parquet"} for s in ("train", "dev", "test")]}]  # fmt: skip
    hub = DatasetCard.load(tmp_path / "ds" / "README.md").data
    assert hub.license == "cc-by-4.0" and hub.size_categories == ["n<1K"]
    # Without --license the card says it is unknown; a language given wins over metadata.
    export(annotated, tmp_path / "plain", "--language", "de", "--language", "en")
    plain = _front_matter((tmp_path / "plain" / "README.md").read_text(encoding="utf-8"))
    assert plain["license"] == "unknown" and plain["language"] == ["de", "en"]
    for option, value in (("--license", "CC BY 4.0"), ("--language", "English")):
        bad = runner.invoke(app, ["export", "--db", str(annotated), "--out",
                                  str(tmp_path / "bad"), option, value])  # fmt: skip
        assert bad.exit_code == 1 and option in bad.output and "Traceback" not in bad.output
        assert len(bad.output.strip().splitlines()) == 1 and not (tmp_path / "bad").exists()


def test_export_defaults_to_exports_gold(
    annotated: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["export", "--db", str(annotated)])
    assert result.exit_code == 0, result.output
    assert "to exports/gold" in result.output
    assert (tmp_path / "exports" / "gold" / "data" / "gold.parquet").is_file()
