"""Every interval beside its coefficient, with the same numbers in the terminal, agreement.json
and the card (issue 21.3).

Three annotators disagree on the seeds' overall stance, so the nominal and the ordinal
alpha of `overall_stance` differ and so do their intervals: an interval put beside the
wrong alpha, or one interval shown for both, fails here.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from annotate.cli import app
from annotate.schemas import Annotation, DocumentStance
from annotate.store import Store

from .conftest import by_the_rules, pulled

runner = CliRunner()

#: Each seed's overall stance by annotator: near misses (ordinal alpha above nominal).
STANCES = [
    ("against", "strongly_against", "against"),
    ("favor", "favor", "strongly_favor"),
    ("neutral", "against", "neutral"),
    ("strongly_favor", "favor", "favor"),
    ("against", "against", "neutral"),
]
ANNOTATORS = ("ann@x", "bob@x", "cat@x")
#: The terminal's row label of each coefficient (`annotate agreement`).
TERMINAL_ROWS = {
    "krippendorff_alpha_nominal": "Krippendorff nominal",
    "krippendorff_alpha_nominal_ci95": "nominal 95% CI",
    "krippendorff_alpha_ordinal": "Krippendorff ordinal",
    "krippendorff_alpha_ordinal_ci95": "ordinal 95% CI",
}


@pytest.fixture
def disagreeing(tmp_path: Path) -> Path:
    """The seeds pre-annotated by the rules, then annotated by three people who disagree."""
    db = tmp_path / "intervals.db"
    with Store(by_the_rules(db)) as store:
        n = 0
        for document, stances in zip(store.documents.iter(), STANCES, strict=True):
            prediction = store.predictions.latest(document.id)
            assert prediction is not None
            base = Annotation.model_validate_json(prediction.annotation)
            for who, stance in zip(ANNOTATORS, stances, strict=True):
                n += 1
                mine = base.model_copy(deep=True)
                mine.document = DocumentStance(main_target="the story", overall=stance)
                if who == "cat@x" and mine.claims:
                    mine.claims[0].attribution = "authorial"
                pulled(store, document.id, who, mine, n)
    return db


def _numbers(text: str) -> list[float]:
    return [float(x) for x in re.findall(r"-?\d+\.\d{3}", text)]


def _terminal(db: Path) -> dict[str, dict[str, list[float]]]:
    """The categorical table `annotate agreement` prints: field -> coefficient -> numbers."""
    result = runner.invoke(app, ["agreement", "--db", str(db)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Categorical fields"))
    fields = lines[start + 1].split()
    found: dict[str, dict[str, list[float]]] = {name: {} for name in fields}
    for line in lines[start + 3 :]:
        cells = re.split(r"\s{2,}", line.strip())
        key = next((k for k, label in TERMINAL_ROWS.items() if cells[0] == label), None)
        if key is None:
            continue
        assert len(cells) == len(fields) + 1, line
        for name, cell in zip(fields, cells[1:], strict=True):
            found[name][key] = _numbers(cell)
    return found


def _card(folder: Path) -> dict[str, dict[str, list[float]]]:
    """The card's categorical table: field -> coefficient (its column, named as in the JSON)."""
    lines = (folder / "README.md").read_text(encoding="utf-8").splitlines()
    head = next(line for line in lines if line.startswith("| field | units |"))
    columns = [c.strip() for c in head.strip("|").split("|")]
    start = lines.index(head) + 2
    found: dict[str, dict[str, list[float]]] = {}
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        cells = [c.strip() for c in line.strip("|").split("|")]
        found[cells[0]] = dict(zip(columns[1:], map(_numbers, cells[1:]), strict=True))
    return found


def _expected(value: float | list[float] | None) -> list[float]:
    values = value if isinstance(value, list) else [value]
    return [round(v, 3) for v in values if v is not None]


def test_each_alpha_has_its_own_interval_everywhere(disagreeing: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["agreement", "--json", "--db", str(disagreeing)])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    export = runner.invoke(app, ["export", "--db", str(disagreeing), "--out",
                                 str(tmp_path / "ds")])  # fmt: skip
    assert export.exit_code == 0, export.output
    stored = json.loads((tmp_path / "ds" / "agreement.json").read_text(encoding="utf-8"))
    terminal, card = _terminal(disagreeing), _card(tmp_path / "ds")

    overall = report["fields"]["overall_stance"]
    assert overall["krippendorff_alpha_nominal"] < overall["krippendorff_alpha_ordinal"]
    assert overall["krippendorff_alpha_nominal_ci95"] != overall["krippendorff_alpha_ordinal_ci95"]
    # In the report each interval follows its coefficient.
    keys = list(overall)
    for level in ("nominal", "ordinal"):
        name = f"krippendorff_alpha_{level}"
        assert keys.index(f"{name}_ci95") == keys.index(name) + 1

    categorical = [name for name, scores in report["fields"].items() if "units" in scores]
    assert set(terminal) == set(card) == set(categorical) == {
        "overall_stance", "attribution", "check_worthy", "stance"}  # fmt: skip
    for name in categorical:
        scores = report["fields"][name]
        assert stored["fields"][name] == scores  # the export's copy is the same report
        for key in TERMINAL_ROWS:
            expected = _expected(scores.get(key))
            assert terminal[name][key] == expected, (name, key, "terminal")
            assert card[name][key] == expected, (name, key, "card")
    assert len(terminal["overall_stance"]["krippendorff_alpha_ordinal_ci95"]) == 2
