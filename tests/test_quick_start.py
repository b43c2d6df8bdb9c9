"""The README's quick start, run as written: one's own articles to a dataset and a report.

Every line of the quick start's shell block runs in a fresh folder holding
``my-articles/`` (the seed articles), each in its own ``bash`` with the block's
``export`` lines before it, with two stand-ins: the test session's Label Studio
stands in for ``annotate studio start`` (its URL and key in the environment, as
`annotate studio start` would leave them in the config), and where the block says
annotators correct the tasks, two people answer every task through Label Studio's
API (one accepts the pre-annotation, the other drops a claim), and where it says a
reviewer settles the ties, a third takes one of the two answers. Then the Python
snippet loads the exported gold with pandas, as written, and every file the README
lists is there.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from annotate.codec import layout as L
from annotate.studio import server
from annotate.studio.connection import Credentials, connect

from .conftest import ROOT, SEEDS

pytestmark = pytest.mark.studio

README = (ROOT / "README.md").read_text(encoding="utf-8")
SECTION = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
#: The shell block and the Python snippet of the section.
SHELL = SECTION.split("```bash\n", 1)[1].split("```", 1)[0]
SNIPPET = SECTION.split("```python\n", 1)[1].split("```", 1)[0]
#: What the README says the two output folders hold.
LISTED = (
    "exports/compare/report.html",
    "exports/compare/facts.json",
    "exports/compare/pairs.jsonl",
    "exports/gold/data/gold.parquet",
    "exports/gold/jsonl/data/gold.jsonl",
    "exports/gold/agreement.json",
    "exports/gold/README.md",
    "exports/gold/manifest.json",
)


def commands() -> tuple[list[str], list[str], list[str], list[str]]:
    """(the export lines, the commands before the annotators, those between the annotators and
    the reviewer, those after the reviewer)."""
    lines = [line.split("  #", 1)[0].strip() for line in SHELL.splitlines()]
    exports = [line for line in lines if line.startswith("export ")]
    people = [i for i, line in enumerate(lines) if line.startswith("# ...")]
    assert len(people) == 2, "the block names the annotators, then the reviewer"
    at, review = people
    before = [line for line in lines[:at] if line.startswith("annotate ")]
    between = [line for line in lines[at:review] if line.startswith("annotate ")]
    after = [line for line in lines[review:] if line.startswith("annotate ")]
    return exports, before, between, after


def run(line: str, exports: list[str], folder: Path, env: dict[str, str]) -> str:
    script = "\n".join(["set -euo pipefail", *exports, line])
    result = subprocess.run(["bash", "-c", script], cwd=folder, env=env, capture_output=True,
                            text=True, timeout=600)  # fmt: skip
    assert result.returncode == 0, f"{line}: {result.stdout}{result.stderr}"
    return result.stdout + result.stderr


def annotate_every_task(credentials: Credentials, project_id: int) -> None:
    """Two people answer every task: one accepts the pre-annotation, one drops a claim."""
    client = connect(credentials)
    other = client.users.create(email="quick-start@annotate.local", username="quick-start")
    for task in client.tasks.list(project=project_id, fields="all"):
        prediction: Any = task.predictions[0]
        result = (prediction if isinstance(prediction, dict) else prediction.model_dump())["result"]
        client.annotations.create(id=task.id, result=result, lead_time=30.0)
        claim = next(r["id"] for r in result if r.get("from_name") == L.CLAIM)
        edited = [r for r in result if claim not in (r.get("id"), r.get("from_id"),
                                                     r.get("to_id"))]  # fmt: skip
        client.annotations.create(id=task.id, result=edited, completed_by=other.id)


def review_every_task(credentials: Credentials, project_id: int) -> int:
    """A reviewer settles each document's ties by taking one annotator's answer; how many."""
    client = connect(credentials)
    reviewer = client.users.create(email="quick-review@annotate.local", username="quick-review")
    tasks = list(client.tasks.list(project=project_id, fields="all"))
    for task in tasks:
        prediction: Any = task.predictions[-1]
        result = (prediction if isinstance(prediction, dict) else prediction.model_dump())["result"]
        client.annotations.create(id=task.id, result=result, completed_by=reviewer.id)
    return len(tasks)


def test_the_quick_start_runs_as_written(studio: server.StudioConfig, tmp_path: Path) -> None:
    exports, before, between, after = commands()
    assert "annotate studio start" in before and "annotate push" in before
    assert {"annotate pull", "annotate agreement", "annotate push --review"} <= set(between)
    assert {"annotate pull --review", "annotate compare"} <= set(after)
    articles = tmp_path / "my-articles"
    shutil.copytree(SEEDS, articles)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "ANNOTATE_"))}
    env.update(PATH=f"{Path(sys.executable).parent}:{env['PATH']}",
               ANNOTATE_HOME=str(tmp_path / "home"), LABEL_STUDIO_URL=studio.url,
               LABEL_STUDIO_API_KEY=studio.token)  # fmt: skip
    outputs = {}
    for line in before:
        if line != "annotate studio start":  # the session's Label Studio stands in
            outputs[line] = run(line, exports, tmp_path, env)
    project = re.search(r"/projects/(\d+)/", outputs["annotate push"])
    assert project, outputs["annotate push"]
    credentials = Credentials(studio.url, studio.token, "test")
    annotate_every_task(credentials, int(project.group(1)))
    for line in between:
        outputs[line] = run(line, exports, tmp_path, env)
    review = re.search(r"/projects/(\d+)/", outputs["annotate push --review"])
    assert review, outputs["annotate push --review"]
    assert review_every_task(credentials, int(review.group(1))) == 5  # a claim dropped: a tie
    for line in after:
        outputs[line] = run(line, exports, tmp_path, env)
    assert "10 new" in " ".join(outputs["annotate pull"].split())
    assert "5 reviews" in " ".join(outputs["annotate pull --review"].split())
    for path in LISTED:
        assert (tmp_path / path).is_file(), f"{path} is not there"
    loaded = subprocess.run([sys.executable, "-c", SNIPPET + "\nprint(len(frame))"],
                            cwd=tmp_path, capture_output=True, text=True, timeout=120)  # fmt: skip
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.split() == ["5"], "one row per document"
