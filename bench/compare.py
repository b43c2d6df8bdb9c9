"""Benchmark: `annotate compare` over stores of 10k and 100k claims with planted answers.

Each store holds synthetic news (`annotate.testing.compare_corpus`: documents of
8-12 claims with their predictions, stored as `annotate preannotate` stores them)
in which paraphrase groups and contradiction pairs were planted across outlets.
For each size the command a user runs,

    annotate --db compare-N.db compare --from predictions --out DIR

runs in its own process (the installed `annotate` beside this interpreter), and
its outputs are scored against what was planted:

* wall time and peak memory of the command's process tree (sampled every 20 ms),
  time and memory per claim, and their growth from the smallest to the largest
  store (1.0 is linear time / memory proportional to the claims);
* candidate pairs against all cross-document pairs (``facts.json`` counts), and
  candidate pairs per claim, mean and max (``pairs.jsonl``);
* recall of the planted pairs among the candidates;
* the rules judge on planted pairs: paraphrases called "same", contradictions
  called "contradicts" on the planted detail (number, date, actor), both among
  the candidates and end to end; what it calls the pairs nobody planted;
* planted paraphrase groups that end up in one fact.

The issue's targets are checked at the end: at most 20 candidates per claim,
recall >= 0.95, 100k claims through the whole command in <= 60 s on this 2-core
machine, memory growing at most linearly. The command logs no phase timings of
its own, so ``--phases`` runs the largest store's command again with wall-clock
timers around its functions (seconds per phase, no profiler overhead), and
``--profile`` runs it under cProfile (calls and the top 30 functions; Python-heavy
phases look slower there than they are). Every figure carries a digest of
annotate/compare, since others change it between (and during) runs. Stores are
kept in ``--work`` and reused (``compare-N.db`` with a ``.done`` marker and the
planted pairs beside it).

    .venv/bin/python bench/compare.py                        # 10,000 / 100,000 claims
    .venv/bin/python bench/compare.py --phases --profile     # ... and where the time goes
    .venv/bin/python bench/compare.py --sizes 10000 --phases
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import inspect
import json
import pstats
import re
import sqlite3
import subprocess
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from measure import finish_sampling, machine_speed

from annotate.store import ClaimRef, Store
from annotate.testing import compare_corpus
from annotate.testing.compare_corpus import Planted, PlantedPair, fill, pair_key

ROOT = Path(__file__).resolve().parent.parent
#: The installed command, beside this interpreter.
ANNOTATE = [str(Path(sys.executable).parent / "annotate")]
SEED = 7
#: The issue's targets.
MAX_CANDIDATES_PER_CLAIM = 20
MIN_RECALL = 0.95
MAX_SECONDS_100K = 60.0
#: Functions whose cumulative time is a phase of the command: (label, file suffix, function),
#: and optionally (caller's file suffix, caller) to count only the time spent for that caller.
#: Names of several versions of annotate/compare are listed; those a version lacks are absent.
PHASES: tuple[tuple[str, ...], ...] = (
    ("command: run_comparison (everything after startup)", "compare/outputs.py",
     "run_comparison"),
    ("compare() (read, actors, candidates, judge, facts)", "compare/pipeline.py", "compare"),
    ("read the store: read_documents", "compare/claims.py", "read_documents"),
    ("  SQL: comparisons.documents", "store/comparisons.py", "documents"),
    ("  parse annotations: compared_document", "compare/claims.py", "compared_document"),
    ("actors: ActorRegistry.add", "compare/actors.py", "add"),
    ("actors: ActorRegistry.link", "compare/actors.py", "link"),
    ("candidates: pipeline._candidates", "compare/pipeline.py", "_candidates"),
    ("  candidate_pairs", "compare/candidates.py", "candidate_pairs"),
    ("  TF-IDF vectors: _vectors", "compare/candidates.py", "_vectors"),
    ("  sparse product + top-k: _neighbours", "compare/candidates.py", "_neighbours"),
    ("  sparse product: _similarity_blocks", "compare/candidates.py", "_similarity_blocks"),
    ("  sparse product: scipy __matmul__", "scipy/sparse/_base.py", "__matmul__"),
    ("  top-k per block: _kept", "compare/candidates.py", "_kept"),
    ("  unordered pairs: _unordered", "compare/candidates.py", "_unordered"),
    ("  mutual best matches: _mutual", "compare/candidates.py", "_mutual"),
    ("judging loop: pipeline._judge", "compare/pipeline.py", "_judge"),
    ("  rules judge: RulesJudge.judge", "compare/judges/rules.py", "judge"),
    ("    claim features: features", "compare/judges/rules.py", "features"),
    ("    contradiction rules: _contradiction", "compare/judges/rules.py", "_contradiction"),
    ("    quantities reader", "compare/quantities.py", "quantities"),
    ("    dates reader", "compare/dates.py", "dates"),
    ("    polarity reader: negated", "compare/polarity.py", "negated"),
    ("  ground_values", "compare/judges/base.py", "ground_values"),
    ("  verdict keys: verdict_key", "compare/pipeline.py", "verdict_key"),
    ("  StoredVerdict rows: _stored", "compare/pipeline.py", "_stored"),
    ("  store: save_verdicts (SQLite inserts and commits)", "store/comparisons.py",
     "save_verdicts"),
    ("  pairs.jsonl lines: pair_line", "compare/pipeline.py", "pair_line"),
    ("  pairs.jsonl lines: json.dumps", "json/__init__.py", "dumps", "compare/pipeline.py",
     "_judge"),
    ("facts: group_facts", "compare/facts.py", "group_facts"),
    ("facts: _facts", "compare/pipeline.py", "_facts"),
    ("facts: _contradictions", "compare/pipeline.py", "_contradictions"),
    ("stances: unified_stances", "compare/stances.py", "unified_stances"),
    ("facts.json: facts_json (the dict)", "compare/outputs.py", "facts_json"),
    ("facts.json: json.dumps(indent=1)", "json/__init__.py", "dumps", "compare/outputs.py",
     "run_comparison"),
    ("report.html: render_report", "compare/report.py", "render_report"),
    ("writing files: outputs._write", "compare/outputs.py", "_write"),
)  # fmt: skip


def code_version() -> dict[str, Any]:
    """Which `annotate compare` was measured: HEAD, files changed since, a digest of the code.

    Others tune annotate/compare while benchmarks run: figures are comparable only
    between runs of one digest, and a run whose digest changed midway measured two.
    """
    compare = ROOT / "annotate" / "compare"
    digest = hashlib.sha256()
    for path in sorted(compare.rglob("*.py")):
        digest.update(path.relative_to(ROOT).as_posix().encode() + b"\0" + path.read_bytes())

    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)
        return done.stdout.strip()

    return {
        "head": git("rev-parse", "--short", "HEAD"),
        "changed_since_head": git("status", "--porcelain", "--", "annotate/compare").splitlines(),
        "compare_digest": digest.hexdigest()[:12],
    }


def corpus_version() -> str:
    """A digest of the corpus generator: a kept store made by another one is made again."""
    source = Path(compare_corpus.__file__).read_bytes()
    return hashlib.sha256(source).hexdigest()[:12]


def store_of(size: int, work: Path) -> tuple[Path, Planted, float]:
    """A store of `size` claims and what was planted in it (made once, then reused)."""
    path = work / f"compare-{size}.db"
    done = work / f"compare-{size}.done"
    planted_path = work / f"compare-{size}.planted.json"
    marker = json.loads(done.read_text()) if done.exists() else {}
    corpus = corpus_version()
    if (marker.get("seed"), marker.get("corpus")) != (SEED, corpus) or not planted_path.exists():
        for stale in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            stale.unlink(missing_ok=True)
        started = time.perf_counter()
        with Store(path) as store:
            planted = fill(store, size, seed=SEED)
        seconds = round(time.perf_counter() - started, 1)
        planted_path.write_text(planted.to_json())
        done.write_text(json.dumps({"seed": SEED, "corpus": corpus, "fill_seconds": seconds}))
        marker = json.loads(done.read_text())
    return path, Planted.from_json(planted_path.read_text()), float(marker["fill_seconds"])


def forget_comparisons(path: Path) -> None:
    """Every run starts from the same store: earlier comparisons' verdicts removed."""
    with sqlite3.connect(path) as connection:
        connection.execute("delete from verdicts")
        connection.execute("delete from comparisons")


def timed(command: list[str]) -> tuple[dict[str, float], str]:
    """Run one command; its wall time, the peak memory of its process tree, and its output."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    output, _, peak = finish_sampling(process)
    text = output.decode(errors="replace")
    if process.returncode:
        raise SystemExit(f"{' '.join(command)} failed ({process.returncode}):\n{text[-4000:]}")
    return {
        "seconds": round(time.perf_counter() - started, 2),
        "peak_mib": round(peak / 1024, 1),
    }, text


def compare_command(path: Path, out: Path) -> list[str]:
    return ["--db", str(path), "compare", "--from", "predictions", "--out", str(out)]


def _ref(found: dict[str, Any]) -> ClaimRef:
    return ClaimRef(found["doc_id"], found["start"], found["end"])


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def score(out: Path, planted: Planted) -> dict[str, Any]:
    """The comparison's outputs against what was planted."""
    wanted = {pair.key: pair for pair in planted.pairs}
    verdicts: dict[tuple[ClaimRef, ClaimRef], tuple[str, str | None]] = {}
    per_claim: Counter[ClaimRef] = Counter()
    unplanted: Counter[str] = Counter()
    lines = 0
    with (out / "pairs.jsonl").open(encoding="utf-8") as pairs:
        for line in pairs:
            found = json.loads(line)
            a, b = _ref(found["a"]), _ref(found["b"])
            per_claim[a] += 1
            per_claim[b] += 1
            lines += 1
            key = pair_key(a, b)
            if key in wanted:
                verdicts[key] = (found["relation"], found["detail"])
            else:
                unplanted[found["relation"]] += 1
    facts = json.loads((out / "facts.json").read_text(encoding="utf-8"))
    counts = facts["comparison"]["counts"]
    claims = counts["claims"]
    planted_refs = {ref for group in planted.groups for ref in group}
    fact_of = {
        _ref(claim): fact["id"]
        for fact in facts["facts"]
        for claim in fact["claims"]
        if _ref(claim) in planted_refs
    }
    one_fact = sum(1 for group in planted.groups if len({fact_of.get(r) for r in group}) == 1)
    return {
        "documents": counts["documents"],
        "claims": claims,
        "candidate_pairs": counts["candidate_pairs"],
        "pairs_jsonl_lines": lines,
        "all_pairs": counts["all_pairs"],
        "candidate_share_of_all_pairs": round(counts["candidate_pairs"] / counts["all_pairs"], 6),
        "candidates_per_claim": {
            "mean": round(sum(per_claim.values()) / claims, 2),
            "max": max(per_claim.values(), default=0),
            "claims_over_20": sum(1 for n in per_claim.values() if n > MAX_CANDIDATES_PER_CLAIM),
            "claims_with_none": claims - len(per_claim),
        },
        "recall": _recall(planted.pairs, verdicts),
        "judge": _judge_scores(planted, verdicts),
        "unplanted_verdicts": dict(unplanted.most_common()),
        "verdicts": counts["verdicts"],
        "facts": counts["facts"],
        "shared_facts": counts["shared_facts"],
        "contradictions": counts["contradictions"],
        "paraphrase_groups_in_one_fact": _share(one_fact, len(planted.groups)),
    }


Verdicts = dict[tuple[ClaimRef, ClaimRef], tuple[str, str | None]]


def _recall(pairs: list[PlantedPair], verdicts: Verdicts) -> dict[str, Any]:
    def of(selected: list[PlantedPair]) -> float | None:
        return _share(sum(1 for p in selected if p.key in verdicts), len(selected))

    result: dict[str, Any] = {"all": of(pairs)}
    result["paraphrase"] = of([p for p in pairs if p.kind == "paraphrase"])
    result["contradiction"] = of([p for p in pairs if p.kind == "contradiction"])
    for detail in ("number", "date", "actor"):
        result[f"contradiction:{detail}"] = of([p for p in pairs if p.detail == detail])
    missed = Counter(p.family for p in pairs if p.key not in verdicts)
    result["missed_by_family"] = dict(missed.most_common())
    return result


def _judge_scores(planted: Planted, verdicts: Verdicts) -> dict[str, Any]:
    """Share of planted pairs judged right: among the candidates, and end to end."""

    def right(pair: PlantedPair) -> bool:
        relation, detail = verdicts.get(pair.key, ("", None))
        if pair.kind == "paraphrase":
            return relation == "same"
        return relation == "contradicts" and detail == pair.detail

    def rates(selected: list[PlantedPair]) -> dict[str, Any]:
        judged = [p for p in selected if p.key in verdicts]
        good = sum(1 for p in judged if right(p))
        return {"pairs": len(selected), "candidates": len(judged),
                "right_of_candidates": _share(good, len(judged)),
                "right_of_planted": _share(good, len(selected))}  # fmt: skip

    paraphrases, contradictions = planted.paraphrases, planted.contradictions
    result: dict[str, Any] = {
        "paraphrase_same": rates(paraphrases),
        "paraphrase_relations": dict(
            Counter(verdicts[p.key][0] for p in paraphrases if p.key in verdicts).most_common()
        ),
        "contradiction_right_detail": rates(contradictions),
        "contradiction_any_detail": _share(
            sum(1 for p in contradictions if verdicts.get(p.key, ("",))[0] == "contradicts"),
            sum(1 for p in contradictions if p.key in verdicts),
        ),
        "contradiction_verdicts": dict(
            Counter(
                f"{p.detail} -> {verdicts[p.key][0]}"
                + (f":{verdicts[p.key][1]}" if verdicts[p.key][1] else "")
                for p in contradictions
                if p.key in verdicts
            ).most_common()
        ),
    }
    by_detail = {d: rates([p for p in contradictions if p.detail == d])
                 for d in ("number", "date", "actor")}  # fmt: skip
    result["contradiction_by_detail"] = by_detail
    tags = sorted({tag for p in paraphrases for tag in p.variation} | {"verbatim"})
    result["paraphrase_same_by_variation"] = {
        tag: rates([p for p in paraphrases if (tag in p.variation) or
                    (tag == "verbatim" and not p.variation)])
        for tag in tags
    }  # fmt: skip
    families = sorted({p.family for p in paraphrases})
    result["paraphrase_same_by_family"] = {
        family: rates([p for p in paraphrases if p.family == family]) for family in families
    }
    return result


def phase_lines(output: str) -> list[str] | None:
    """The command's own phase timings, if it printed any (lines with a duration)."""
    found = [line for line in output.splitlines()
             if re.search(r"\b\d+(?:\.\d+)?\s?(?:s|ms|sec|seconds)\b", line)]  # fmt: skip
    return found or None


def run_size(size: int, work: Path) -> dict[str, Any]:
    path, planted, fill_seconds = store_of(size, work)
    forget_comparisons(path)
    out = work / f"compare-{size}-out"
    version = code_version()["compare_digest"]
    run, output = timed([*ANNOTATE, *compare_command(path, out)])
    result: dict[str, Any] = {"compare_digest": version, "fill_seconds": fill_seconds, **run}
    if code_version()["compare_digest"] != version:
        result["warning"] = "annotate/compare changed during this run: it measured two versions"
    result["ms_per_claim"] = round(run["seconds"] / size * 1000, 4)
    result["kib_per_claim"] = round(run["peak_mib"] * 1024 / size, 2)
    result["planted"] = {"paraphrase_groups": len(planted.groups),
                         "paraphrase_pairs": len(planted.paraphrases),
                         "contradiction_pairs": len(planted.contradictions)}  # fmt: skip
    result.update(score(out, planted))
    result["command_output"] = output.strip().splitlines()[-2:]
    result["phase_timings_logged"] = phase_lines(output)
    return result


def profile(size: int, work: Path) -> dict[str, Any]:
    """The largest store under cProfile: seconds per phase, and the top 30 functions."""
    path, _, _ = store_of(size, work)
    forget_comparisons(path)
    version = code_version()["compare_digest"]
    target = work / f"compare-{size}.prof"
    command = [sys.executable, "-m", "cProfile", "-o", str(target), "-m", "annotate",
               *compare_command(path, work / f"compare-{size}-profiled")]  # fmt: skip
    run, _ = timed(command)
    stats = pstats.Stats(str(target))
    listing = work / f"compare-{size}.profile.txt"
    with listing.open("w") as stream:
        pstats.Stats(str(target), stream=stream).sort_stats("cumulative").print_stats(30)
        pstats.Stats(str(target), stream=stream).sort_stats("tottime").print_stats(30)
    table: dict[tuple[str, int, str], Row] = stats.stats  # type: ignore[attr-defined]
    phases = {label: found for label, *where in PHASES
              if (found := _phase(table, *where)) is not None}  # fmt: skip
    result: dict[str, Any] = {"compare_digest": version, "profiled_wall": run, "phases": phases,
                             "stats": str(target), "listing": str(listing)}  # fmt: skip
    if code_version()["compare_digest"] != version:
        result["warning"] = "annotate/compare changed during this run: it measured two versions"
    return result


#: Wall-clock timers put around the command's functions for ``--phases`` (label, module,
#: attribute): inclusive seconds, without a profiler's overhead. Attributes a version of
#: annotate/compare lacks are skipped.
TIMERS: tuple[tuple[str, str, str], ...] = (
    ("command: run_comparison (everything after startup)", "annotate.cli.compare",
     "run_comparison"),
    ("compare() (read, actors, candidates, judge, facts)", "annotate.compare.outputs", "compare"),
    ("read the store: read_documents", "annotate.compare.pipeline", "read_documents"),
    ("actors: ActorRegistry.add", "annotate.compare.actors", "ActorRegistry.add"),
    ("actors: ActorRegistry.link", "annotate.compare.actors", "ActorRegistry.link"),
    ("candidates: pipeline._candidates", "annotate.compare.pipeline", "_candidates"),
    ("  candidate_pairs", "annotate.compare.pipeline", "candidate_pairs"),
    ("  TF-IDF vectors: _vectors", "annotate.compare.candidates", "_vectors"),
    ("  sparse product + top-k: _neighbours", "annotate.compare.candidates", "_neighbours"),
    ("  sparse product: _similarity_blocks", "annotate.compare.candidates", "_similarity_blocks"),
    ("  top-k per block: _kept", "annotate.compare.candidates", "_kept"),
    ("  unordered pairs: _unordered", "annotate.compare.candidates", "_unordered"),
    ("judging loop: pipeline._judge", "annotate.compare.pipeline", "_judge"),
    ("  the judge's answers: _answers", "annotate.compare.pipeline", "_answers"),
    ("  store: save_verdicts", "annotate.store.comparisons", "Comparisons.save_verdicts"),
    ("facts: group_facts", "annotate.compare.pipeline", "group_facts"),
    ("facts: _facts", "annotate.compare.pipeline", "_facts"),
    ("facts: _contradictions", "annotate.compare.pipeline", "_contradictions"),
    ("stances: unified_stances", "annotate.compare.pipeline", "unified_stances"),
    ("facts.json: facts_json (the dict)", "annotate.compare.outputs", "facts_json"),
    ("facts.json: json.dumps(indent=1)", "annotate.compare.outputs", "json.dumps"),
    ("report.html: render_report", "annotate.compare.outputs", "render_report"),
    ("writing files: outputs._write", "annotate.compare.outputs", "_write"),
)  # fmt: skip


def _timed_function(original: Callable[..., Any], seconds: dict[str, float], label: str) -> Any:
    """`original` with its time added to ``seconds[label]`` (a generator: each step's)."""
    if inspect.isgeneratorfunction(original):

        def stepped(*args: Any, **kwargs: Any) -> Iterator[Any]:
            steps = original(*args, **kwargs)
            while True:
                started = time.perf_counter()
                try:
                    item = next(steps)
                except StopIteration:
                    seconds[label] += time.perf_counter() - started
                    return
                seconds[label] += time.perf_counter() - started
                yield item

        return stepped

    def timed_call(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            seconds[label] += time.perf_counter() - started

    return timed_call


def phase_run(out: Path, args: list[str]) -> None:
    """Run the CLI in this process with `TIMERS` around its functions; write their seconds."""
    started = time.perf_counter()
    import annotate.cli

    seconds: dict[str, float] = defaultdict(float)
    for label, module_name, attribute in TIMERS:
        owner: Any = importlib.import_module(module_name)
        *path, name = attribute.split(".")
        for part in path:
            if part == "json":  # this module's json only, not every caller's
                proxy = SimpleNamespace(**vars(owner.json))
                owner.json = proxy
                owner = proxy
            else:
                owner = getattr(owner, part, None)
        if owner is not None and hasattr(owner, name):
            setattr(owner, name, _timed_function(getattr(owner, name), seconds, label))
    sys.argv = ["annotate", *args]
    try:
        annotate.cli.main()
    except SystemExit as exit_:
        if exit_.code:
            raise
    finally:
        seconds["process: imports, startup and everything"] = time.perf_counter() - started
        out.write_text(json.dumps({k: round(v, 2) for k, v in seconds.items()}))


def phases(size: int, work: Path) -> dict[str, Any]:
    """The largest store's command again, its phases timed by wall clock (see `TIMERS`)."""
    path, _, _ = store_of(size, work)
    forget_comparisons(path)
    version = code_version()["compare_digest"]
    target = work / f"compare-{size}.phases.json"
    command = [sys.executable, __file__, "--phase-run", str(target), "--",
               *compare_command(path, work / f"compare-{size}-phased")]  # fmt: skip
    run, _ = timed(command)
    found = json.loads(target.read_text())
    ordered = {label: found[label] for label, _, _ in TIMERS if label in found}
    ordered["process: imports, startup and everything"] = found[
        "process: imports, startup and everything"
    ]
    result: dict[str, Any] = {"compare_digest": version, "wall": run, "seconds": ordered}
    if code_version()["compare_digest"] != version:
        result["warning"] = "annotate/compare changed during this run: it measured two versions"
    return result


Row = tuple[int, int, float, float, Any]


def _phase(
    table: dict[tuple[str, int, str], Row],
    suffix: str,
    name: str,
    caller_suffix: str | None = None,
    caller: str | None = None,
) -> dict[str, float | int] | None:
    """Calls, cumulative and own seconds of one function (for one caller, if given)."""
    rows = [row for key, row in table.items() if key[0].endswith(suffix) and key[2] == name]
    if caller_suffix is not None:
        rows = [
            (0, count, own, cumulative, None)
            for row in rows
            for key, (_, count, own, cumulative) in row[4].items()
            if key[0].endswith(caller_suffix) and key[2] == caller
        ]
    if not rows:
        return None
    return {"calls": sum(row[1] for row in rows),
            "cumulative_s": round(sum(row[3] for row in rows), 2),
            "own_s": round(sum(row[2] for row in rows), 2)}  # fmt: skip


def main() -> None:
    if len(sys.argv) > 3 and sys.argv[1] == "--phase-run" and sys.argv[3] == "--":
        phase_run(Path(sys.argv[2]), sys.argv[4:])
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10000,100000", help="claims per store, comma-separated")
    parser.add_argument("--work", type=Path, default=Path("/tmp/annotate-bench"))
    parser.add_argument(
        "--profile", action="store_true", help="also profile the largest store under cProfile"
    )
    parser.add_argument("--phases", action="store_true",
                        help="also time the largest store's phases by wall clock")  # fmt: skip
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    results: dict[int, dict[str, Any]] = {}
    version = code_version()
    speed_before = machine_speed()
    for size in (int(s) for s in args.sizes.split(",")):
        results[size] = run_size(size, args.work)
        brief = {k: results[size][k] for k in ("seconds", "peak_mib", "candidate_pairs")}
        print(size, json.dumps({**brief, "recall": results[size]["recall"]["all"]}), flush=True)
    small, large = min(results), max(results)
    report: dict[str, Any] = {
        "code": version,
        "reference_loop_seconds_before_and_after": [speed_before, machine_speed()],
        "by_size": results,
        "per_claim_time_largest_vs_smallest": round(
            results[large]["ms_per_claim"] / results[small]["ms_per_claim"], 3
        ),
        "per_claim_memory_largest_vs_smallest": round(
            results[large]["kib_per_claim"] / results[small]["kib_per_claim"], 3
        ),
        "targets": _targets(results),
    }
    if args.phases:
        report["phases"] = {large: phases(large, args.work)}
    if args.profile:
        report["profile"] = {large: profile(large, args.work)}
    print(json.dumps(report, indent=2))


def _targets(results: dict[int, dict[str, Any]]) -> dict[str, Any]:
    small, large = min(results), max(results)
    most = max(r["candidates_per_claim"]["max"] for r in results.values())
    recall = min(r["recall"]["all"] or 0.0 for r in results.values())
    targets: dict[str, Any] = {
        "candidates_per_claim_max<=20": {"value": most, "met": most <= MAX_CANDIDATES_PER_CLAIM},
        "recall_of_planted_pairs>=0.95": {"value": recall, "met": recall >= MIN_RECALL},
    }
    if 100_000 in results:
        seconds = results[100_000]["seconds"]
        targets["100k_claims_seconds<=60"] = {"value": seconds, "met": seconds <= MAX_SECONDS_100K}
    if large != small:
        growth = results[large]["kib_per_claim"] / results[small]["kib_per_claim"]
        targets["memory_at_most_linear (per-claim memory ratio <= 1)"] = {
            "value": round(growth, 3), "met": growth <= 1.0,
        }  # fmt: skip
    return targets


if __name__ == "__main__":
    main()
