"""Two annotators who disagree, as the tests of the review of ties make them (issue 21): on
a document's claim (tests/test_review_ties.py) or a pair's verdict
(tests/test_comparisons_live.py), through Label Studio's API; and the CLI as those tests
call it. Shared with the reviewer's screen (tests/test_review_browser.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from annotate.cli import app
from annotate.codec import layout as L
from annotate.codec import verdicts as V

runner = CliRunner()


def cli(db: Path, *args: str) -> str:
    """`annotate --db DB ARGS`, which must succeed; its output."""
    result = runner.invoke(app, ["--db", str(db), *args])
    assert result.exit_code == 0, result.output
    return result.output


def as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else value.model_dump()


def two_annotators_disagree(client: Any, project_id: int, email: str = "ties-b@annotate.local",
                            username: str = "ties-b") -> str:  # fmt: skip
    """The admin keeps each prediction, a second annotator (`email`) drops its first claim;
    the second one's e-mail."""
    other = client.users.create(email=email, username=username)
    for task in client.tasks.list(project=project_id, fields="all"):
        result = as_dict(task.predictions[0])["result"]
        client.annotations.create(id=task.id, result=result, lead_time=30.0)
        claim = next(r["id"] for r in result if r.get("from_name") == L.CLAIM)
        edited = [r for r in result if claim not in (r.get("id"), r.get("from_id"),
                                                     r.get("to_id"))]  # fmt: skip
        client.annotations.create(id=task.id, result=edited, completed_by=other.id)
    return str(other.email)


def answer(relation: str, detail: str | None = None) -> list[dict[str, Any]]:
    """An annotator's result as the UI sends it: the relation, and a detail for a contradiction."""
    results: list[dict[str, Any]] = [
        {"id": "r", "from_name": V.RELATION, "to_name": V.CLAIM_A, "type": "choices",
         "value": {"choices": [relation]}}
    ]  # fmt: skip
    if detail:
        results.append({"id": "d", "from_name": V.DETAIL, "to_name": V.CLAIM_A,
                        "type": "choices", "value": {"choices": [detail]}})  # fmt: skip
    return results


def studio_admin(client: Any) -> str:
    return str(client.users.whoami().email)
