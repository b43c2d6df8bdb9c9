from __future__ import annotations

import stat
from dataclasses import astuple
from pathlib import Path

import pytest

from annotate.errors import InputError
from annotate.schemas import Annotation
from annotate.store import (
    AnnotationKey,
    Failure,
    JobKey,
    LLMCall,
    Prediction,
    RunCounts,
    RunSpec,
    Store,
)
from annotate.store.migrations import MIGRATIONS
from annotate.store.repository import column_names

from .conftest import pulled


def test_migrations_apply_once_and_are_recorded(tmp_path: Path) -> None:
    path = tmp_path / "m.db"
    with Store(path) as store:
        names = [row["name"] for row in store.db.sqlite_utils["_migrations"].rows]
        assert names == [name for name, _ in MIGRATIONS]
    with Store(path) as store:  # reopening applies nothing twice
        assert store.db.sqlite_utils["_migrations"].count == len(MIGRATIONS)


def test_wal_mode_and_default_path(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ANNOTATE_DB", raising=False)
    with Store() as store:
        assert store.path == Path("annotate.db")
        assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    monkeypatch.setenv("ANNOTATE_DB", str(tmp_path / "env.db"))
    with Store() as store:
        assert store.path == tmp_path / "env.db"


def test_find_document_by_prefix_and_source(store: Store) -> None:
    store.documents.add("abcdef0123456789", "h1", "one", "a/one.txt", {})
    store.documents.add("abcdff0123456789", "h2", "two", "b/two.txt", {})
    assert store.documents.find("abcdef").text == "one"
    assert store.documents.find("two.txt").text == "two"
    for ref in ("abcd", "zzz"):
        try:
            store.documents.find(ref)
        except LookupError:
            continue
        raise AssertionError(f"{ref} should not resolve")


def test_find_document_by_the_start_of_its_file_name(store: Store) -> None:
    store.documents.add("abcdef0123456789", "h1", "one", "seeds/003_f93713496c2428ed.txt", {})
    store.documents.add("bbcdef0123456789", "h2", "two", "seeds/004_91d46b7595e34478.txt", {})
    store.documents.add("cbcdef0123456789", "h3", "three", "other/0045_x.txt", {})
    assert store.documents.find("003").text == "one"
    assert store.documents.find("004_").text == "two"
    with pytest.raises(LookupError, match="several"):
        store.documents.find("004")  # 004_... and 0045_...


def test_document_by_id_is_exact(store: Store) -> None:
    store.documents.add("abcdef0123456789", "h1", "one", "a/one.txt", {})
    assert store.documents.get("abcdef0123456789").text == "one"
    with pytest.raises(LookupError):
        store.documents.get("abcdef")  # a prefix is for people, not for code


def test_typed_rows_round_trip(store: Store) -> None:
    """What goes in as a typed row comes back as the same typed row."""
    store.documents.add("abcdef0123456789", "h1", "one", "a/one.txt", {"outlet": "X"})
    spec = RunSpec("rules", "rules", "mv-1", "pv", "sv", {"temperature": 0}, 2)
    run_id = store.runs.start(spec)
    job = JobKey("mv-1", "pv", "sv", "ph")
    call = LLMCall("k1", run_id, "abcdef0123456789", "rules", "pv", "sv", "ph", 0, 3, "{}",
                   10, 5, 1, 0, 0.01, 12)  # fmt: skip
    store.predictions.add(
        Prediction("abcdef0123456789", run_id, "rules", "rules", job, "{}", 3, 1), [call]
    )
    store.runs.add_failure(Failure(run_id, "abcdef0123456789", "truncated", "too long"))
    store.runs.finish(run_id, RunCounts(documents=1, predicted=1, spans=3))
    (run,) = store.runs.all()
    assert run.spec == spec and run.status == "finished" and run.counts.spans == 3
    prediction = store.predictions.latest("abcdef0123456789")
    assert prediction is not None and prediction.job == job and prediction.id > 0
    assert prediction.grounded_share == 0.75
    (failure,) = store.runs.failures(run_id)
    assert (failure.reason, failure.detail) == ("truncated", "too long")
    assert store.calls.cached("k1") == "{}"
    (row,) = store.db.execute(f"select {column_names(LLMCall)} from llm_calls").fetchall()
    assert row[:-1] == astuple(call)[:-1] and row[-1]  # every column in its place, stamped
    ((document, latest),) = store.predictions.with_documents()
    assert document.metadata == {"outlet": "X"} and latest == prediction


def test_a_hash_prefix_collision_is_refused_not_merged(store: Store) -> None:
    assert store.documents.add("abcdef0123456789", "hash-one", "one", "a.txt", {})
    assert not store.documents.add("abcdef0123456789", "hash-one", "one", "a2.txt", {})
    with pytest.raises(InputError, match="collision"):
        store.documents.add("abcdef0123456789", "hash-two", "two", "b.txt", {})
    (listed,) = store.documents.listing()
    assert (listed.id, listed.source, listed.chars) == ("abcdef0123456789", "a.txt", 3)


def test_kept_regions_come_with_the_annotation_they_were_made_from(store: Store) -> None:
    """Regions are read beside the latest annotation, only when made by the codec asked for;
    an annotation pulled again (edited) has none until they are made again."""
    store.documents.add("abcdef0123456789", "h1", "one", "a/one.txt", {})
    for n, who in ((1, "ann@x"), (2, "bob@x")):
        pulled(store, "abcdef0123456789", who, Annotation(), n)
    assert [key for key, _ in store.annotations.without_regions("v1")] == [
        AnnotationKey("http://ls", 1, 1), AnnotationKey("http://ls", 1, 2)
    ]
    store.annotations.keep_regions("v1", [(AnnotationKey("http://ls", 1, 1), "R1"),
                              (AnnotationKey("http://ls", 1, 2), "R2")])  # fmt: skip
    assert list(store.annotations.without_regions("v1")) == []
    (rows,) = store.annotations.annotated(codec="v1")
    assert rows.regions == {"ann@x": "R1", "bob@x": "R2"}
    (rows,) = store.annotations.annotated(codec="v2")
    assert rows.regions == {}
    pulled(store, "abcdef0123456789", "bob@x", Annotation(), 3)  # bob again, later
    (rows,) = store.annotations.annotated(codec="v1")
    assert rows.regions == {"ann@x": "R1"}, "bob's latest annotation has no regions yet"




def test_a_new_store_is_its_owners_alone(tmp_path: Path) -> None:
    path = tmp_path / "private.db"
    with Store(path) as store:
        store.documents.add("d1", "h1", "A text.", "a.txt", {})
        made = [path, path.with_name("private.db-wal"), path.with_name("private.db-shm")]
        for file in made:
            assert file.exists() and stat.S_IMODE(file.stat().st_mode) == 0o600, file


def test_predictions_added_together_are_one_commit_or_none(store: Store) -> None:
    """The pipeline commits the documents that finished together in one transaction: all of
    them are stored at the block's end, and an error in the block stores none of them."""
    run_id = store.runs.start(RunSpec("rules", "rules", "mv-1", "pv", "sv", {}, 2))
    job = JobKey("mv-1", "pv", "sv", "ph")
    ids = [f"{n:016x}" for n in range(4)]
    for document_id in ids:
        store.documents.add(document_id, f"h{document_id}", "text", f"{document_id}.txt", {})
    with pytest.raises(RuntimeError), store.predictions.together():
        for document_id in ids[:2]:
            store.predictions.add(Prediction(document_id, run_id, "r", "r", job, "{}", 0, 0))
        raise RuntimeError("the block failed")
    assert store.db.sqlite_utils["predictions"].count == 0
    with store.predictions.together():
        for document_id in ids[2:]:
            store.predictions.add(Prediction(document_id, run_id, "r", "r", job, "{}", 0, 0))
        assert store.db.conn.in_transaction  # not committed one by one
    assert store.db.sqlite_utils["predictions"].count == 2 and not store.db.conn.in_transaction
    store.predictions.add(Prediction(ids[0], run_id, "r", "r", job, "{}", 0, 0))  # its own
    assert store.db.sqlite_utils["predictions"].count == 3 and not store.db.conn.in_transaction
