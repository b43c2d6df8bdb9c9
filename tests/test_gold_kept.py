"""The gold kept in the store never changes a figure: a pass that reads it back says
exactly what a pass that makes everything anew says, and a change to what a document's
gold depends on makes that gold again."""

from __future__ import annotations

import shutil
import sqlite3
from dataclasses import replace
from pathlib import Path

from typer.testing import CliRunner

from annotate.cli import app
from annotate.codec import codec_version, dump_regions, regions_of
from annotate.schemas import Annotation
from annotate.store import AnnotationKey, PulledAnnotation, Store
from annotate.studio.annotations import refresh_regions
from annotate.testing.gold_corpus import fill

runner = CliRunner()


def agreement(db: Path, *options: str) -> str:
    result = runner.invoke(app, ["agreement", "--json", "--db", str(db), *options])
    assert result.exit_code == 0, result.output
    return result.output


def from_scratch(db: Path, tmp_path: Path, *options: str) -> str:
    """The report of a copy of the store with no gold kept."""
    copy = tmp_path / f"scratch-{len(list(tmp_path.iterdir()))}.db"
    shutil.copy(db, copy)
    with sqlite3.connect(copy) as connection:
        connection.execute("delete from gold")
    return agreement(copy, *options)


def made_at(db: Path) -> dict[str, tuple[str, str]]:
    """document id -> (the digest of its gold's inputs, when the gold was made)."""
    with sqlite3.connect(db) as connection:
        rows = connection.execute("select document_id, inputs, made_at from gold").fetchall()
    return {document: (inputs, made) for document, inputs, made in rows}


def test_a_second_pass_reads_the_gold_back_and_says_the_same(annotated: Path) -> None:
    first = agreement(annotated)
    kept = made_at(annotated)
    assert len(kept) == 5
    assert agreement(annotated) == first
    assert made_at(annotated) == kept, "nothing changed, so no gold was made again"


def test_a_changed_annotation_makes_that_documents_gold_again(
    annotated: Path, tmp_path: Path
) -> None:
    agreement(annotated)
    kept = made_at(annotated)
    with Store(annotated) as store:
        document = next(iter(store.documents.iter()))
        row = next(a for a in store.annotations.pulled(document.id) if a.annotator == "bob@x")
        assert row.annotation is not None
        edited = Annotation.model_validate_json(row.annotation)
        edited.claims = edited.claims[1:]
        # bob edits the annotation in Label Studio and it is pulled again
        edit = replace(row, updated_at="2026-11-25T09:00:00Z", result='[{"edited": 1}]',
                       annotation=edited.model_dump_json())  # fmt: skip
        assert store.annotations.upsert(edit) == "updated"
    report = agreement(annotated)
    again = made_at(annotated)
    assert again[document.id][0] != kept[document.id][0]
    assert {d: t for d, t in again.items() if d != document.id} == {
        d: t for d, t in kept.items() if d != document.id
    }
    assert report == from_scratch(annotated, tmp_path)


def test_another_policy_or_reviewer_is_another_gold(annotated: Path, tmp_path: Path) -> None:
    agreement(annotated)
    for options in (("--policy", "majority"), ("--reviewer", "cat@x"), ()):
        assert agreement(annotated, *options) == from_scratch(annotated, tmp_path, *options)


def test_export_after_agreement_equals_export_from_scratch(
    annotated: Path, tmp_path: Path
) -> None:
    agreement(annotated, "--reviewer", "bob@x")
    warm, cold = tmp_path / "warm", tmp_path / "cold"
    scratch = tmp_path / "scratch.db"
    shutil.copy(annotated, scratch)
    with sqlite3.connect(scratch) as connection:
        connection.execute("delete from gold")
    for db, out in ((annotated, warm), (scratch, cold)):
        result = runner.invoke(app, ["export", "--db", str(db), "--out", str(out), "--reviewer",
                                     "bob@x", "--workers", "2"])  # fmt: skip
        assert result.exit_code == 0, result.output
    assert (warm / "manifest.json").read_text() == (cold / "manifest.json").read_text()


def test_a_document_whose_annotations_are_gone_loses_its_gold(annotated: Path) -> None:
    agreement(annotated)
    with sqlite3.connect(annotated) as connection:
        (document,) = connection.execute("select document_id from gold limit 1").fetchone()
        connection.execute("update annotations set was_cancelled = 1 where document_id = ?",
                           [document])  # fmt: skip
    agreement(annotated)
    assert document not in made_at(annotated) and len(made_at(annotated)) == 4


def forget_gold(db: Path) -> None:
    with sqlite3.connect(db) as connection:
        connection.execute("delete from gold")


def test_regions_kept_by_pull_are_read_and_say_what_the_annotations_say(
    annotated: Path,
) -> None:
    encoded = {workers: agreement(annotated, "--workers", workers) for workers in ("1", "2")}
    with Store(annotated) as store:
        assert refresh_regions(store) == 15
        assert refresh_regions(store) == 0
    for workers, report in encoded.items():
        forget_gold(annotated)
        assert agreement(annotated, "--workers", workers) == report
    # they are what the gold pass reads: kept with ann's regions, bob's annotations agree more
    with Store(annotated) as store:
        latest = {(row.annotator, row.document_id): row for row in store.annotations.pulled()}
        swapped = [
            (AnnotationKey(row.server, row.project_id, row.annotation_id),
             dump_regions(regions_of(annotation_of(latest["ann@x", row.document_id]))))
            for row in latest.values()
            if row.annotator == "bob@x"
        ]  # fmt: skip
        store.annotations.keep_regions(codec_version(), swapped)
    forget_gold(annotated)
    assert agreement(annotated) != encoded["1"]
    # regions made by another codec version are not read
    with sqlite3.connect(annotated) as connection:
        connection.execute("update annotations set regions_codec = 'another codec'")
    forget_gold(annotated)
    assert agreement(annotated) == encoded["1"]


def annotation_of(row: PulledAnnotation) -> Annotation:
    assert row.annotation is not None
    return Annotation.model_validate_json(row.annotation)


def test_kept_regions_and_encoding_agree_on_every_kind_of_document(tmp_path: Path) -> None:
    """Reviewers' flags, single annotators, ties, skips, unconverted and re-annotated
    annotations: the same report and export whether regions were kept or not."""
    db = tmp_path / "variety.db"
    with Store(db) as store:
        fill(store, 14, variety=True)
        assert not list(store.annotations.without_regions(codec_version()))
    kept = {w: agreement(db, "--workers", w, "--reviewer", "cat@x") for w in ("1", "2")}
    export = runner.invoke(app, ["export", "--db", str(db), "--out", str(tmp_path / "kept")])
    assert export.exit_code == 0, export.output
    with sqlite3.connect(db) as connection:
        connection.execute("update annotations set regions = null, regions_codec = null")
    for workers, report in kept.items():
        forget_gold(db)
        assert agreement(db, "--workers", workers, "--reviewer", "cat@x") == report
    forget_gold(db)
    export = runner.invoke(app, ["export", "--db", str(db), "--out", str(tmp_path / "encoded")])
    assert export.exit_code == 0, export.output
    assert (tmp_path / "kept" / "manifest.json").read_text() == (
        tmp_path / "encoded" / "manifest.json"
    ).read_text()
