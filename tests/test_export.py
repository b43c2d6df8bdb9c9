"""`annotate export`: deterministic files that pandas and Hugging Face datasets load."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from annotate.cli import app
from annotate.gold import export as export_module
from annotate.gold.export import arrow_schema, assign_splits, parse_splits

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
    assert {"data/gold.parquet", "data/gold.jsonl", "agreement.json", "README.md"} <= set(
        manifest["files"]
    )


def test_offsets_and_loaders(annotated: Path, tmp_path: Path) -> None:
    pandas = pytest.importorskip("pandas")
    export(annotated, tmp_path / "ds")
    frame = pandas.read_parquet(tmp_path / "ds" / "data" / "gold.parquet")
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
    rows = [json.loads(line) for line in (tmp_path / "ds/data/gold.jsonl").read_text().splitlines()]
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
    for lines in sorted((tmp_path / "out" / "data").glob("*.jsonl")):
        rows = [json.loads(line) for line in lines.read_text(encoding="utf-8").splitlines()]
        expected = tmp_path / f"{lines.stem}.parquet"
        with pq.ParquetWriter(expected, arrow_schema(), compression="zstd",
                              write_statistics=False) as writer:  # fmt: skip
            for start in range(0, max(len(rows), 1), 2):
                writer.write_table(pa.Table.from_pylist(rows[start : start + 2],
                                                        schema=arrow_schema()))  # fmt: skip
        written = lines.with_suffix(".parquet")
        assert pq.ParquetFile(written).num_row_groups == max(1, (len(rows) + 1) // 2)
        assert written.read_bytes() == expected.read_bytes()
