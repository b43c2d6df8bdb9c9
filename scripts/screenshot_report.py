"""Screenshot the comparison report as an editor first sees it (for docs/comparing.md).

    .venv/bin/python scripts/screenshot_report.py [PATH ...] [--out-dir docs]

Ingests PATHs (default: the seeds and the two test articles that give them a shared
fact, a contradiction and markup in a claim, tests/data/compare/report-articles)
into a fresh store, pre-annotates them with the offline rules, runs
`annotate compare` and opens report.html in Debian's Chromium at 1366x768. Writes
``compare-report.png`` (the first screen: the outlet grid and the first
contradictions) and ``compare-report-filtered.png`` (after clicking the grid cell of
the first pair of outlets that share a fact: the lists filtered to that pair, the
first shared fact unfolded).
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import tempfile
from pathlib import Path

from annotate.ingest import ingest_paths
from annotate.preannotate.pipeline import preannotate
from annotate.preannotate.providers.rules import RulesProvider
from annotate.store import Store
from annotate.testing.browser import CHROMIUM, QUIET_FLAGS

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PATHS = [ROOT / "seeds", ROOT / "tests" / "data" / "compare" / "report-articles"]
WIDTH, HEIGHT = 1366, 768


def compared(paths: list[Path], folder: Path) -> Path:
    """`paths` ingested, pre-annotated by the rules and compared by the CLI; the report."""
    db, out = folder / "report.db", folder / "compare"
    with Store(db) as store:
        rejected = ingest_paths(store, paths).rejected
        if rejected:
            raise SystemExit(f"error: could not ingest {rejected[0]}")
        asyncio.run(preannotate(store, RulesProvider()))
    annotate = Path(sys.executable).parent / "annotate"
    command = [str(annotate), "--db", str(db), "compare", "--out", str(out)]
    subprocess.run(command, check=True, capture_output=True)
    return out / "report.html"


def shoot(report: Path, out_dir: Path) -> list[Path]:
    from playwright.sync_api import sync_playwright

    first, filtered = out_dir / "compare-report.png", out_dir / "compare-report-filtered.png"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=QUIET_FLAGS
        )
        page = browser.new_page(viewport={"width": WIDTH, "height": HEIGHT})
        page.goto(report.as_uri(), wait_until="load")
        page.screenshot(path=str(first))
        page.locator("table.grid td:not(.self) a.n").first.click()
        page.locator("ol.facts > li:not([hidden]) summary").first.click()
        page.screenshot(path=str(filtered))
        browser.close()
    return [first, filtered]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("paths", nargs="*", type=Path, default=DEFAULT_PATHS)
    parser.add_argument("--out-dir", type=Path, default=ROOT / "docs")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        report = compared(args.paths, Path(folder))
        for path in shoot(report, args.out_dir):
            print(path)


if __name__ == "__main__":
    main()
