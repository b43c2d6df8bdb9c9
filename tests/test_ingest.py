from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from annotate.cli import app
from annotate.ingest import document_id, ingest_paths
from annotate.store import Store


def test_seeds_are_ingested_with_manifest_metadata(store: Store, seeds_dir: Path) -> None:
    report = ingest_paths(store, [seeds_dir])
    assert report.added == 5 and not report.rejected
    docs = list(store.documents.iter())
    assert [d.metadata["file"] for d in docs] == sorted(p.name for p in seeds_dir.glob("*.txt"))
    manifest = {e["file"]: e for e in json.loads((seeds_dir / "manifest.json").read_text())}
    for doc in docs:
        assert doc.metadata["headline"] == manifest[doc.metadata["file"]]["headline"]
        assert doc.id == document_id(doc.text)


def test_reingest_deduplicates_by_content(store: Store, seeds_dir: Path, tmp_path: Path) -> None:
    ingest_paths(store, [seeds_dir])
    copy = tmp_path / "copy.txt"
    copy.write_text((seeds_dir / "000_856e5b2c16a2e29d.txt").read_text())
    report = ingest_paths(store, [seeds_dir, copy])
    assert report.added == 0 and report.duplicates == 6
    assert store.documents.count() == 5


def test_bad_files_rejected_by_name_and_good_ones_kept(store: Store, tmp_path: Path) -> None:
    (tmp_path / "good.txt").write_text("Putin said the talks were useful.")
    (tmp_path / "empty.txt").write_text("  \n")
    (tmp_path / "binary.txt").write_bytes(b"abc\x00def")
    (tmp_path / "latin1.md").write_bytes("Caf\xe9 news".encode("latin-1"))
    report = ingest_paths(store, [tmp_path])
    reasons = {Path(r.source).name: r.reason for r in report.rejected}
    assert set(reasons) == {"empty.txt", "binary.txt", "latin1.md"}
    assert "empty" in reasons["empty.txt"]
    assert "binary" in reasons["binary.txt"]
    assert "not UTF-8" in reasons["latin1.md"] and "iconv" in reasons["latin1.md"]
    assert report.added == 1 and store.documents.count() == 1
    assert [Path(d.source).name for d in store.documents.iter()] == ["good.txt"]


def test_jsonl_records_and_bad_lines(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "feed.jsonl"
    lines = [
        json.dumps({"id": "a1", "text": "First article.", "outlet": "X"}),
        "not json",
        json.dumps({"title": "no text"}),
        "",
        json.dumps({"id": "a2", "text": "Second\r\narticle."}),
    ]
    path.write_text("\n".join(lines))
    report = ingest_paths(store, [path])
    assert report.added == 2
    assert sorted(r.source for r in report.rejected) == [f"{path}:2", f"{path}:3"]
    docs = list(store.documents.iter())
    assert docs[0].metadata["outlet"] == "X" and docs[0].metadata["id"] == "a1"
    assert docs[1].text == "Second\narticle."


def test_missing_and_unsupported_paths(store: Store, tmp_path: Path) -> None:
    (tmp_path / "doc.pdf").write_bytes(b"%PDF")
    report = ingest_paths(store, [tmp_path / "nope.txt", tmp_path / "doc.pdf"])
    reasons = [r.reason for r in report.rejected]
    assert "no such file" in reasons[0] and "unsupported" in reasons[1]


def test_a_folder_of_pages_and_pdfs_names_what_it_skipped(tmp_path: Path) -> None:
    """Files ingest does not read are counted by type, and a path that yields no document
    fails the command (exit 1) instead of reporting `ingested 0 new` as a success."""
    pages = tmp_path / "pages"
    pages.mkdir()
    for name in ("a.html", "b.html", "c.pdf", ".DS_Store"):
        (pages / name).write_bytes(b"<html>not read</html>")
    good = tmp_path / "good.txt"
    good.write_text("Officials said the bridge would reopen on Monday.", encoding="utf-8")
    db = tmp_path / "annotate.db"
    result = CliRunner().invoke(app, ["--db", str(db), "ingest", str(pages), str(good)])
    assert result.exit_code == 1, result.output
    assert "skipped 2 .html, 1 .pdf file(s)" in result.output
    assert f"no document in {pages}" in result.output
    assert "ingested 1 new" in result.output  # the good file is still ingested
    with Store(db) as store:
        assert store.documents.count() == 1


def test_skipped_files_beside_documents_are_counted_not_failed(
    store: Store, tmp_path: Path
) -> None:
    folder = tmp_path / "mixed"
    folder.mkdir()
    (folder / "story.txt").write_text("Rescuers said two people were missing.")
    (folder / "story.html").write_text("<p>Rescuers said two people were missing.</p>")
    (folder / "manifest.json").write_text("[]")
    report = ingest_paths(store, [folder])
    assert report.skipped == {".html": 1} and report.empty == [] and not report.rejected
