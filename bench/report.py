"""Benchmark: the comparison report at 1,000 and 10,000 claims, in headless Chromium.

An editor opens ``report.html`` and must see the outlet grid and the first
contradictions at once, however many claims were compared. For each size a store
of synthetic news (`annotate.testing.compare_corpus`, the stores of
bench/compare.py, made once in ``--work`` and reused) is compared in this process as
`annotate compare --from predictions` compares it (the rules judge), and:

* the page is rendered (`render_report`, best of 3) and written: its bytes, in all
  and per claim;
* Debian's Chromium (the project's browser helper flags) opens it from file:// at
  1366x768, ``--repeat`` times on a fresh page each (medians): time to first
  contentful paint (the first render), to DOMContentLoaded and to load, the
  main-thread work done by then (Chromium's counters: all tasks; style and layout),
  the page's elements and DOM nodes (text nodes too) at load and its height, and the
  time the filter takes to hide the rows of all outlets but one;
* on the page loaded again, each fold (single-outlet facts, stances, articles) opened
  by a click on its summary: the time from the click to its layout done (a fold is
  built on first open), and the elements once all three are open;
* the first screen is checked: the grid and the first contradiction (its marked
  values too) lie inside the viewport, and how many outlets and contradictions it
  shows.

The baseline, measured in the same run: the smallest store's figures (the others'
are given as ratios to them, and to the size before: 1.0 is a cost that stays flat,
10 one that grows with ten times the claims), and a one-paragraph page opened the
same way (the browser's own floor for a first paint). ``--also FILE`` measures other
report.html files beside them (e.g. one written by an earlier version).

    .venv/bin/python bench/report.py                     # 1,000, 10,000 and 30,000 claims
    .venv/bin/python bench/report.py --sizes 1000,10000 --repeat 7
"""

from __future__ import annotations

import argparse
import itertools
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from compare import code_version, forget_comparisons, store_of

from annotate.compare.judges.base import Judge
from annotate.compare.pipeline import Comparison, compare
from annotate.compare.report import render_report
from annotate.store import Store
from annotate.testing.browser import CHROMIUM, QUIET_FLAGS

WIDTH, HEIGHT = 1366, 768
FLOOR_PAGE = "<!DOCTYPE html><html><head><meta charset='utf-8'><title>x</title></head>" \
             "<body><p>One paragraph.</p></body></html>"  # fmt: skip

#: Resolves once the first contentful paint is recorded (a function, not a string to
#: evaluate: the report's Content-Security-Policy forbids eval, which wait_for_function uses).
PAINTED = """() => new Promise((resolve) => {
  const check = () => performance.getEntriesByName('first-contentful-paint').length
    ? resolve(true) : requestAnimationFrame(check);
  check();
})"""
#: What the page reports once loaded: navigation timings, first paint, its size on screen.
TIMINGS = """() => {
  const nav = performance.getEntriesByType('navigation')[0];
  const paint = performance.getEntriesByName('first-contentful-paint')[0];
  return {fcp_ms: paint ? paint.startTime : null, dcl_ms: nav.domContentLoadedEventEnd,
          load_ms: nav.loadEventEnd, elements: document.getElementsByTagName('*').length,
          nodes: (() => { const walk = document.createTreeWalker(document, NodeFilter.SHOW_ALL);
                          let n = 1; while (walk.nextNode()) n++; return n; })(),
          height_px: document.documentElement.scrollHeight};
}"""
#: Inside the viewport without scrolling: the grid, the first contradiction and its marks.
FIRST_SCREEN = """([height]) => {
  const inside = (e) => { if (!e) return false; const r = e.getBoundingClientRect();
                          return r.height > 0 && r.top >= 0 && r.bottom <= height; };
  const grid = document.querySelector('table.grid');
  const rows = [...document.querySelectorAll('table[aria-label="Contradictions"] tbody tr')];
  const first = rows[0];
  return {grid_on_first_screen: inside(grid),
          grid_outlets: grid ? grid.querySelectorAll('tbody tr').length : 0,
          first_contradiction_on_first_screen: inside(first),
          its_marks_on_first_screen: !!first && [...first.querySelectorAll('mark')].every(inside),
          contradictions_on_first_screen: rows.filter(inside).length};
}"""
#: The filter: the second outlet of the list chosen, every row of the others hidden.
FILTER = """() => {
  const select = document.getElementById('f-outlet');
  if (!select) return {filter_ms: null};
  const started = performance.now();
  select.value = select.options[1].value;
  select.dispatchEvent(new Event('change'));
  const took = performance.now() - started;
  return {filter_ms: took, rows: document.querySelectorAll('[data-o]').length,
          rows_left: document.querySelectorAll('[data-o]:not([hidden])').length};
}"""


#: Each fold opened by a click on its summary: the click (a fold is built on first open)
#: and the layout it forces, then the elements with all of them open.
OPEN = """() => {
  const took = {};
  for (const fold of document.querySelectorAll('details.fold')) {
    const started = performance.now();
    fold.querySelector(':scope > summary').click();
    void document.documentElement.scrollHeight;
    took['open_' + fold.id + '_ms'] = performance.now() - started;
  }
  took.elements_all_open = document.getElementsByTagName('*').length;
  return took;
}"""


def rules_judge(registry: Any) -> Judge:
    """The judge `annotate compare` uses by default (see annotate/cli/compare.py)."""
    from annotate.compare.judges.rules import RulesJudge

    return RulesJudge(lambda name: registry.actor_id(name) or name.lower())


def compared(size: int, work: Path) -> Comparison:
    path, _, _ = store_of(size, work)
    forget_comparisons(path)
    with Store(path) as store:
        return compare(store, rules_judge, origin="predictions")


def rendered(found: Comparison, out: Path) -> dict[str, Any]:
    """Render the page 3 times (the best time kept) and write it to `out`."""
    times = []
    for _ in range(3):
        started = time.perf_counter()
        html = render_report(found)
        times.append(time.perf_counter() - started)
    out.write_text(html, encoding="utf-8")
    claims = found.counts["claims"]
    return {
        "claims": claims,
        "documents": found.counts["documents"],
        "contradictions": found.counts["contradictions"],
        "shared_facts": found.counts["shared_facts"],
        "render_seconds": round(min(times), 3),
        "render_us_per_claim": round(min(times) / claims * 1e6, 2),
        "bytes": out.stat().st_size,
        "bytes_per_claim": round(out.stat().st_size / claims, 1),
    }


def in_browser(browser: Any, page_file: Path, repeat: int, report: bool) -> dict[str, Any]:
    """Medians over `repeat` fresh pages; the first screen and the filter for a report."""
    runs = []
    for _ in range(repeat):
        context = browser.new_context(viewport={"width": WIDTH, "height": HEIGHT})
        page = context.new_page()
        devtools = context.new_cdp_session(page)
        devtools.send("Performance.enable")
        page.goto(page_file.as_uri(), wait_until="load")
        page.evaluate(PAINTED)
        run = page.evaluate(TIMINGS) | main_thread(devtools)
        if report:
            run |= page.evaluate(FIRST_SCREEN, [HEIGHT]) | page.evaluate(FILTER)
            page.goto(page_file.as_uri(), wait_until="load")
            run |= page.evaluate(OPEN)
        runs.append(run)
        context.close()
    found: dict[str, Any] = {}
    for key, value in runs[0].items():
        numbers = isinstance(value, int | float) and not isinstance(value, bool)
        found[key] = round(statistics.median(r[key] for r in runs), 1) if numbers else value
    return found


def main_thread(devtools: Any) -> dict[str, float]:
    """The renderer's main-thread work so far (Chromium's own counters, in ms): all its
    tasks (parsing, style, layout, script), and style and layout alone. Work, not wall
    time: less swayed than the timings by other processes on a shared machine."""
    metrics = {m["name"]: m["value"] for m in devtools.send("Performance.getMetrics")["metrics"]}
    return {
        "main_thread_ms": metrics["TaskDuration"] * 1000,
        "style_layout_ms": (metrics["RecalcStyleDuration"] + metrics["LayoutDuration"]) * 1000,
    }


def ratios(small: dict[str, Any], large: dict[str, Any]) -> dict[str, float]:
    """Largest store over smallest, for the figures that must stay flat (or per claim)."""
    keys = ("claims", "bytes", "bytes_per_claim", "render_seconds", "render_us_per_claim",
            "fcp_ms", "dcl_ms", "load_ms", "main_thread_ms", "elements", "nodes", "height_px",
            "filter_ms")  # fmt: skip
    return {k: round(large[k] / small[k], 3) for k in keys if small.get(k) and k in large}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1000,10000,30000", help="claims per store")
    parser.add_argument("--work", type=Path, default=Path("/tmp/annotate-bench-report"))
    parser.add_argument("--repeat", type=int, default=5, help="page loads per report")
    parser.add_argument("--also", type=Path, nargs="*", default=[], help="other report.html")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    from playwright.sync_api import sync_playwright

    results: dict[str, dict[str, Any]] = {}
    pages: dict[str, Path] = {}
    for size in (int(s) for s in args.sizes.split(",")):
        pages[str(size)] = args.work / f"report-{size}.html"
        results[str(size)] = rendered(compared(size, args.work), pages[str(size)])
        print(size, json.dumps(results[str(size)]), flush=True)
    with tempfile.TemporaryDirectory() as folder, sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=QUIET_FLAGS
        )
        floor = Path(folder) / "floor.html"
        floor.write_text(FLOOR_PAGE, encoding="utf-8")
        baseline = in_browser(browser, floor, args.repeat, report=False)
        for name, page_file in pages.items():
            results[name] |= in_browser(browser, page_file, args.repeat, report=True)
        for other in args.also:
            results[str(other)] = {"bytes": other.stat().st_size} | in_browser(
                browser, other.resolve(), args.repeat, report=True
            )
        browser.close()
    sizes = sorted(pages, key=int)
    small, large = sizes[0], sizes[-1]
    print(json.dumps({
        "code": code_version(),
        "viewport": f"{WIDTH}x{HEIGHT}",
        "floor_page": baseline,
        "by_size": results,
        "largest_over_smallest": ratios(results[small], results[large]),
        "each_size_over_the_one_before": {
            f"{b}/{a}": ratios(results[a], results[b]) for a, b in itertools.pairwise(sizes)
        },
        "fcp_over_floor": {n: round(results[n]["fcp_ms"] / baseline["fcp_ms"], 2) for n in pages},
    }, indent=2))  # fmt: skip


if __name__ == "__main__":
    main()
