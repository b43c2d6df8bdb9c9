"""Every command's output fits an 80-column terminal without cutting a word.

Rich shrinks a table that is too wide by cutting its cells with an ellipsis
("obser…", "self-proclai…"), which hides the very words a reader came for. Each
command runs here as a user runs it, in its own process with ``COLUMNS=80``, over
a store with documents, predictions, people's annotations, gold, an evaluation
and a comparison; no line may pass 80 cells, no word may end in "…", and no
Python dict may be printed as one.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from rich.cells import cell_len

from annotate.schemas import Verdict
from annotate.store import ClaimPair, PulledVerdict, Store

from .conftest import SEEDS, annotated_store

#: A word cut by Rich: letters or digits running into its ellipsis.
CUT_WORD = re.compile(r"\w…")


def run(db: Path, *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "ANNOTATE_"))}
    env.update(COLUMNS="80", LINES="50", NO_COLOR="1", ANNOTATE_HOME=str(db.parent / "home"))
    result = subprocess.run(
        [sys.executable, "-m", "annotate", "--db", str(db), *args],
        env=env, capture_output=True, text=True, timeout=300, cwd=db.parent,
    )  # fmt: skip
    assert result.returncode in (0, 1), result.stderr
    return result.stdout + result.stderr


#: What the second annotator says where the first agrees with the judge.
OTHER = {"same": "elaborates", "elaborates": "unrelated", "unrelated": "same",
         "contradicts": "unrelated"}  # fmt: skip


def answer_comparisons(db: Path, pairs: int = 8) -> None:
    """Two annotators' verdicts on the last comparison's first pairs, as a pull stores them.

    The first agrees with the judge; the second on every other pair only, so
    `agreement` has a comparisons section and `compare --eval` verified pairs.
    """
    with Store(db) as store:
        run = store.comparisons.last()
        assert run is not None
        verdicts = store.comparisons.iter_verdicts(run.id)
        every = sorted(verdicts, key=lambda v: v.relation == "unrelated")
        judged = every[:pairs]  # the related pairs first: every relation has a row
        for number, verdict in enumerate(judged):
            for who, relation in (("ann@x", verdict.relation),
                                  ("bob@x", OTHER[verdict.relation] if number % 2 else
                                   verdict.relation)):  # fmt: skip
                kept = relation == verdict.relation == "contradicts"  # its detail and values
                values = json.loads(verdict.values) if kept and verdict.values else None
                detail = verdict.detail if kept else None
                answer = Verdict(relation=relation, rationale="r",  # type: ignore[arg-type]
                                 detail=detail, values=values)  # fmt: skip
                pair = ClaimPair(verdict.a, verdict.b)
                store.verification.upsert_pulled(PulledVerdict(
                    server="http://ls", project_id=1, annotation_id=2 * number + (who == "bob@x"),
                    task_id=7 + number, pair=pair, annotator=who, annotator_id=None,
                    created_at="t0", updated_at="t1", lead_time=3.0, was_cancelled=False,
                    ground_truth=False, result="[]", verdict=answer.model_dump_json(), error=None,
                ))  # fmt: skip


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Each command's output at 80 columns, over one store that has been through them all."""
    folder = tmp_path_factory.mktemp("narrow")
    db = annotated_store(folder / "narrow.db")
    commands = {
        "ingest": ("ingest", str(SEEDS)),
        "preannotate --dry-run": ("preannotate", "--dry-run"),
        "preannotate": ("preannotate",),
        "show": ("show",),
        "show DOC": ("show", "000"),
        "runs": ("runs",),
        "agreement": ("agreement",),
        "eval": ("eval", "--provider", "rules"),
        "eval --compare": ("eval", "--compare"),
        "compare": ("compare", "--out", str(folder / "compare")),
        "export": ("export", "--out", str(folder / "dataset")),
        "batch status": ("batch", "status", "--all"),
        "tasks": ("tasks", "--out", str(folder / "tasks.json")),
        "studio status": ("studio", "status"),
    }
    outputs = {name: run(db, *args) for name, args in commands.items()}
    answer_comparisons(db)
    for name, args in {"agreement (comparisons)": ("agreement",),
                       "compare --eval": ("compare", "--eval")}.items():  # fmt: skip
        outputs[name] = run(db, *args)
    return outputs


#: Each command, and words its output holds when it did its work (not an error line).
COMMANDS = {
    "ingest": "already known",
    "preannotate --dry-run": "requests",
    "preannotate": "documents",
    "show": "000_856e5b2c16a2e29d.txt",
    "show DOC": "Claims",
    "runs": "rule-based-annotator",
    "agreement": "Krippendorff nominal",
    "eval": "precision",
    "eval --compare": "rule-based-annotator",
    "compare": "pairs judged by rule-based-judge",
    "export": "exported 5 documents",
    "batch status": "batches",
    "tasks": "wrote 5 tasks",
    "studio status": "annotate studio start",
    "agreement (comparisons)": "Comparisons",
    "compare --eval": "macro F1",
}


@pytest.mark.parametrize("command", COMMANDS)
def test_output_fits_80_columns_without_cutting_a_word(
    outputs: dict[str, str], command: str
) -> None:
    output = outputs[command]
    assert COMMANDS[command] in " ".join(output.split()), output
    for line in output.splitlines():
        assert cell_len(line) <= 80, f"{command}: {cell_len(line)} cells: {line!r}"
        assert not CUT_WORD.search(line), f"{command}: a word cut: {line!r}"
        assert "{'" not in line, f"{command}: a dict printed as Python: {line!r}"
        assert "—–—" not in line, f"{command}: an interval of nothing: {line!r}"
