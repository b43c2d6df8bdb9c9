"""`annotate agreement` over pulled annotations in the store: the JSON contract."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from annotate.cli import app
from annotate.schemas import Annotation, GroundedActor, GroundedStance
from annotate.store import Store

from .conftest import pulled


def test_agreement_json_contract(annotated: Path) -> None:
    result = CliRunner().invoke(app, ["agreement", "--json", "--db", str(annotated)])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["annotators"] == ["ann@x", "bob@x", "cat@x"] and report["documents"] == 5
    overall = report["fields"]["overall_stance"]
    for metric in ("observed_agreement", "cohen_kappa", "fleiss_kappa", "gwet_ac1",
                   "krippendorff_alpha_nominal", "krippendorff_alpha_ordinal"):  # fmt: skip
        assert metric in overall
    assert "krippendorff_alpha_ordinal" not in report["fields"]["attribution"]
    assert 0 < report["fields"]["claim"]["f1_exact"] < 1
    ((version, fields),) = report["model_vs_gold"].items()
    assert version.startswith("rule-based-annotator-")
    for field in ("actor", "claim", "attribution", "overall_stance", "relation:speaker"):
        assert set(fields[field]) == {"precision", "recall", "f1"}
    # Majority gold keeps the claim two of three kept, with the majority attribution:
    # the rules' prediction is the gold itself.
    assert fields["claim"]["f1"] == 1.0 and fields["attribution"]["f1"] == 1.0
    fates = report["pre_annotations"][version]
    shares = fates["share_kept"] + fates["share_edited"] + fates["share_deleted"]
    assert shares == pytest.approx(1.0, abs=1e-3) and fates["share_deleted"] > 0
    assert report["adjudication"]["methods"] == {"majority": 5}
    assert report["adjudication"]["contested"] == 5


def test_reviewer_policy_and_table_output(annotated: Path) -> None:
    result = CliRunner().invoke(app, ["agreement", "--db", str(annotated), "--reviewer", "cat@x"])
    assert result.exit_code == 0, result.output
    assert "Categorical fields" in result.output and "reviewer 5" in result.output
    bad = CliRunner().invoke(app, ["agreement", "--db", str(annotated), "--policy", "vote"])
    assert bad.exit_code == 1 and "--policy must be one of" in bad.output


def test_no_annotations_is_a_clear_error(tmp_path: Path) -> None:
    Store(tmp_path / "empty.db").close()
    result = CliRunner().invoke(app, ["agreement", "--db", str(tmp_path / "empty.db")])
    assert result.exit_code == 1 and "annotate pull" in result.output


def test_skips_and_invalid_annotations_are_left_out(annotated: Path) -> None:
    with Store(annotated) as store:
        document = next(iter(store.documents.iter()))
        skip = Annotation()
        pulled(store, document.id, "dan@x", skip, 900)
        store.db.execute("update annotations set was_cancelled = 1 where annotation_id = 900")
        pulled(store, document.id, "eve@x", skip, 901)
        store.db.execute(
            "update annotations set annotation = null, error = 'no attribution' "
            "where annotation_id = 901"
        )
        store.db.conn.commit()
    result = CliRunner().invoke(app, ["agreement", "--json", "--db", str(annotated)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["annotators"] == ["ann@x", "bob@x", "cat@x"]


def test_an_unresolved_vote_is_reported_and_left_out_of_the_export(tmp_path: Path) -> None:
    from .test_adjudication import TEXT, span

    db = tmp_path / "unresolved.db"
    with Store(db) as store:
        store.documents.add("d" * 16, "h" * 64, TEXT, "talks.txt", {})
        actors = [GroundedActor(canonical_name=n, type="person", mentions=[span(n)])
                  for n in ("Putin", "Raisi", "Lavrov")]  # fmt: skip
        for n, (who, holder) in enumerate((("ann@x", "Putin"), ("bob@x", "Raisi"),
                                           ("cat@x", "Lavrov"))):  # fmt: skip
            stance = GroundedStance(holder=holder, target="the talks", label="favor",
                                    evidence=span("talks went well"))  # fmt: skip
            pulled(store, "d" * 16, who, Annotation(actors=actors, stances=[stance]), n + 1)
    result = CliRunner().invoke(app, ["agreement", "--json", "--db", str(db)])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["adjudication"]["unresolved"] == 1
    (disagreement,) = report["disagreements"]
    assert any("needs a holder" in p for p in disagreement["problems"])
    out = tmp_path / "export"
    result = CliRunner().invoke(app, ["export", "--db", str(db), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads((out / "manifest.json").read_text())["documents"] == 0
    assert (out / "jsonl" / "data" / "gold.jsonl").read_text() == ""
