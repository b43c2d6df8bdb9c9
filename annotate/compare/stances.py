"""Stances across outlets: who stands where on what, as each outlet reports it.

Per outlet, every stance of its annotation (holder, target, label, quote) with
the holder and an actor target under their cross-document names; and per
main target (the targets most outlets report stances on), which outlets
report which holders for and against it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace

from .actors import ActorRegistry, name_key
from .claims import ComparedStance

#: Targets shown in the per-target table, those most outlets report first.
MAIN_TARGETS = 10


@dataclass
class TargetSides:
    """For one target: label -> outlet source -> the holders that outlet reports."""

    target: str
    sides: dict[str, dict[str, list[str]]] = field(default_factory=dict)

    @property
    def outlets(self) -> int:
        return len({source for by_source in self.sides.values() for source in by_source})


def unified_stances(
    stances: list[ComparedStance], registry: ActorRegistry
) -> list[ComparedStance]:
    """The stances with holders and actor targets under their cross-document names."""
    return [
        replace(s, holder=registry.display(s.holder), target=_target(s.target, registry))
        for s in stances
    ]


def _target(target: str, registry: ActorRegistry) -> str:
    """An actor target by its display name; a topic as written (first spelling kept)."""
    shown = registry.display(target)
    return shown if shown != target else target.strip()


def sides_by_target(rows: list[ComparedStance], limit: int = MAIN_TARGETS) -> list[TargetSides]:
    """The targets most outlets report stances on, each with who is for and against."""
    grouped: dict[str, TargetSides] = {}
    spelled: dict[str, str] = {}
    for row in rows:
        key = name_key(row.target) or row.target
        spelled.setdefault(key, row.target)
        sides = grouped.setdefault(key, TargetSides(spelled[key]))
        holders = sides.sides.setdefault(row.label, defaultdict(list))[row.outlet.source]
        if row.holder not in holders:
            holders.append(row.holder)
    ranked = sorted(grouped.values(), key=lambda t: (-t.outlets, t.target))
    for sides in ranked:
        sides.sides = {label: dict(by) for label, by in sorted(sides.sides.items())}
    return ranked[:limit]
