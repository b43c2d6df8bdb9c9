"""The CLI end to end on the seeds with the offline provider."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from annotate.cli import app
from annotate.schemas import Annotation
from annotate.store import JobKey, Prediction, RunSpec, Store

from .conftest import SEEDS

runner = CliRunner()


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    path = tmp_path / "cli.db"
    monkeypatch.setenv("ANNOTATE_DB", str(path))
    return path


def invoke(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_main_job_offline(db: Path, seeds_dir: Path, tmp_path: Path) -> None:
    assert "ingested 5 new" in invoke("ingest", str(seeds_dir))
    out = invoke("preannotate")
    assert "provider rules" in out and "rule-based" in out
    tasks_file, config_file = tmp_path / "tasks.json", tmp_path / "config.xml"
    invoke("tasks", "--out", str(tasks_file), "--config-out", str(config_file))
    tasks = json.loads(tasks_file.read_text())
    assert len(tasks) == 5
    for task in tasks:
        text = task["data"]["text"]
        (prediction,) = task["predictions"]
        assert "rule-based" in prediction["model_version"]
        assert 0 < prediction["score"] == task["data"]["score"] < 1  # as push sends it
        spans = [r["value"] for r in prediction["result"] if r["type"] == "labels"]
        assert spans
        for value in spans:
            assert text[value["start"] : value["end"]] == value["text"]
    assert config_file.read_text().startswith("<View")
    runs = json.loads(invoke("runs", "--json"))
    assert len(runs) == 1 and runs[0]["predicted"] == 5 and runs[0]["failures"] == []
    assert "Putin" in invoke("show", tasks[0]["data"]["doc_id"][:8])
    assert "000_856e5b2c16a2e29d.txt" in invoke("show")


def test_db_option_overrides_environment(db: Path, seeds_dir: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    invoke("ingest", "--db", str(other), str(seeds_dir / "000_856e5b2c16a2e29d.txt"))
    assert other.exists() and not db.exists()


def test_rejections_exit_nonzero_but_keep_good_files(db: Path, tmp_path: Path) -> None:
    (tmp_path / "ok.txt").write_text("Lavrov said talks would continue.")
    (tmp_path / "bad.txt").write_bytes(b"\xff\xfe\x00")
    result = runner.invoke(app, ["ingest", str(tmp_path)])
    assert result.exit_code == 1
    assert "bad.txt" in result.output and "binary" in result.output
    assert "ingested 1 new" in result.output


def test_show_unknown_document_is_a_clear_error(db: Path) -> None:
    Store(db).close()  # without a store, `show` says there is none (tests/test_errors.py)
    result = runner.invoke(app, ["show", "nope"])
    assert result.exit_code == 1 and "no document matches 'nope'" in result.output


def test_tasks_without_predictions_are_bare(db: Path, seeds_dir: Path, tmp_path: Path) -> None:
    invoke("ingest", str(seeds_dir))
    out = tmp_path / "bare.json"
    invoke("tasks", "--out", str(out))
    assert all(task["predictions"] == [] for task in json.loads(out.read_text()))


def _annotate(*args: str, db: Path) -> str:
    """The installed command in a pipe (no terminal: Rich lays out for 80 columns)."""
    command = Path(sys.executable).parent / "annotate"
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "OPENAI_API_KEY",
                                                              "OPENAI_BASE_URL")}  # fmt: skip
    result = subprocess.run([str(command), "--db", str(db), *args], capture_output=True,
                            text=True, env=env)  # fmt: skip
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_runs_reads_whole_in_an_80_column_pipe(db: Path) -> None:
    invoke("ingest", str(SEEDS))
    invoke("preannotate", "--provider", "rules")
    out = _annotate("runs", db=db)
    assert all(len(line) <= 80 for line in out.splitlines())
    assert "…" not in out
    for words in ("run 1", "finished", "rule-based-annotator-", "5 predicted, 0 failed",
                  "hallucinated quotes dropped"):  # fmt: skip
        assert words in out


def test_show_finds_a_document_by_the_start_of_its_file_name(db: Path) -> None:
    invoke("ingest", str(SEEDS))
    out = _annotate("show", "003", db=db)
    assert "003_f93713496c2428ed.txt" in out and "NATO" in out


def test_show_names_the_quotes_that_were_dropped(db: Path) -> None:
    invoke("ingest", str(SEEDS))
    with Store(db) as store:
        document = store.documents.find("000")
        run = store.runs.start(RunSpec("openai", "m", "m-1", "p", "s", {}, 1))
        dropped = [{"kind": "claim", "quote": "Raisi resigned", "detail": ""}]
        job = JobKey("m-1", "p", "s", "h")
        empty = Annotation().model_dump_json()
        store.predictions.add(
            Prediction(document.id, run, "openai", "m", job, empty, 0, 1, json.dumps(dropped))
        )
    out = _annotate("show", document.id, db=db)
    assert "not in the text" in out and "'Raisi resigned'" in out


#: Text that rich would read as markup or emoji codes if it were printed as markup.
MARKUP_LIKE = "[bold]loud[/bold], a closing [/] alone, [red]x[/red] and :thumbs_up:"


def test_data_that_looks_like_markup_is_printed_as_it_is(db: Path, tmp_path: Path) -> None:
    """Documents, quotes, model names and file names are data: markup or ``:emoji:`` codes in
    them are shown as written, never styled, and a stray ``[/]`` does not stop the command."""
    folder = tmp_path / "feed"
    folder.mkdir()
    (folder / "[red]a :ok:.txt").write_text(f"The minister said taxes rise. {MARKUP_LIKE}\n")
    assert "ingested 1 new" in _annotate("ingest", str(folder), db=db)
    with Store(db) as store:
        document = store.documents.find("[red]a")
        run = store.runs.start(RunSpec("openai", "m", f"m {MARKUP_LIKE}", "p", "s", {}, 1))
        dropped = [{"kind": "claim", "quote": MARKUP_LIKE, "detail": ""}]
        job = JobKey(f"m {MARKUP_LIKE}", "p", "s", "h")
        empty = Annotation().model_dump_json()
        store.predictions.add(
            Prediction(document.id, run, "openai", "m", job, empty, 0, 1, json.dumps(dropped))
        )
    out = " ".join(_annotate("show", document.id, db=db).split())  # lines wrapped at 80
    assert out.count(MARKUP_LIKE) == 3, out  # the text, the model version, the dropped quote
    assert "👍" not in out
    listing = _annotate("show", db=db)
    assert "[red]a :ok:.txt" in listing


def test_a_rejected_file_is_named_as_it_is(db: Path, tmp_path: Path) -> None:
    folder = tmp_path / "feed"
    folder.mkdir()
    (folder / "[red]caf\u00e9 :ok:.txt").write_bytes(b"caf\xe9, not UTF-8\n")
    result = runner.invoke(app, ["ingest", str(folder)])
    assert f"rejected {folder}/[red]café :ok:.txt: not UTF-8" in result.output
