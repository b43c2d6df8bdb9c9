from __future__ import annotations

from pathlib import Path

from annotate.store import Store
from annotate.store.migrations import MIGRATIONS


def test_migrations_apply_once_and_are_recorded(tmp_path: Path) -> None:
    path = tmp_path / "m.db"
    with Store(path) as store:
        names = [row["name"] for row in store.db["_migrations"].rows]
        assert names == [name for name, _ in MIGRATIONS]
    with Store(path) as store:  # reopening applies nothing twice
        assert store.db["_migrations"].count == len(MIGRATIONS)


def test_wal_mode_and_default_path(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ANNOTATE_DB", raising=False)
    with Store() as store:
        assert store.path == Path("annotate.db")
        assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    monkeypatch.setenv("ANNOTATE_DB", str(tmp_path / "env.db"))
    with Store() as store:
        assert store.path == tmp_path / "env.db"


def test_get_document_by_prefix_and_source(store: Store) -> None:
    store.add_document("abcdef0123456789", "h1", "one", "a/one.txt", {})
    store.add_document("abcdff0123456789", "h2", "two", "b/two.txt", {})
    assert store.get_document("abcdef").text == "one"
    assert store.get_document("two.txt").text == "two"
    for ref in ("abcd", "zzz"):
        try:
            store.get_document(ref)
        except LookupError:
            continue
        raise AssertionError(f"{ref} should not resolve")
