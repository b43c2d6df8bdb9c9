"""A pairs file (the traps, the realistic dev set) as its records, their judge's `Pair`s,
and the rules judge's verdict on one: shared by the tests that score those files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from annotate.compare.actors import name_key
from annotate.compare.judges.base import Pair, ground_values
from annotate.compare.judges.rules import RulesJudge
from annotate.compare.records import pairs_of
from annotate.schemas import Verdict


def load(path: Path) -> tuple[list[dict[str, Any]], dict[str, Pair]]:
    """The file's records, and each record's `Pair` by its id."""
    records: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))["pairs"]
    pairs = pairs_of([(r["a"], r["b"]) for r in records])
    return records, dict(zip((r["id"] for r in records), pairs, strict=True))


def rules_verdict(pair: Pair) -> Verdict:
    """The rules judge's verdict, its values grounded as the comparison grounds them."""
    verdict, dropped = ground_values(RulesJudge(name_key).judge(pair), pair.a.quote, pair.b.quote)
    assert dropped == 0, "the rules judge copies its values from the claims"
    return verdict
