"""Facts: claims judged the same, grouped by average linkage over the judged pairs.

Only "same" verdicts link claims into a fact (see `LINK_WEIGHT`); "elaborates" and
"unrelated" do not, and "contradicts" keeps two groups apart.

Connected components would chain unrelated claims through one bridge (A same
as B, B same as C, so A is C even when A and C were judged unrelated). Here
two groups merge only when the *average* link between all their members
reaches `THRESHOLD`, a pair never judged counting as no link, and never when a
contradiction links them (a cannot-link). This is agglomerative clustering with
average linkage (as in cross-document event coreference), computed over the
sparse graph of judged pairs with a priority queue, so it costs about the
number of pairs, not the square of the number of claims (scipy's hierarchical
clustering would need the dense distance matrix).
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Iterable

#: How much a verdict says two claims are one fact. Only "same" does: "elaborates" (issue
#: 17) joins claims about one event that add to or qualify each other ("12 died in the
#: county" / "41 died in the state"), which are related but not one fact, so merging them
#: would make a fact of a part and its whole. They stay related pairs (pairs.jsonl, the
#: report) without a link here.
LINK_WEIGHT = {"same": 1.0}
#: Average link from which two groups of claims are one fact: above one half, so that a
#: claim linked to one of two members (and not judged with the other) does not join them.
THRESHOLD = 0.6


def group_facts(
    claims: int,
    links: Iterable[tuple[int, int, str]],
    threshold: float = THRESHOLD,
) -> list[list[int]]:
    """Groups of claim indexes (every claim in exactly one), from (a, b, relation) verdicts.

    Groups come in order of their first claim; members in increasing order.
    """
    weights: dict[int, dict[int, float]] = defaultdict(dict)
    apart: dict[int, set[int]] = defaultdict(set)
    for a, b, relation in links:
        if relation == "contradicts":
            apart[a].add(b)
            apart[b].add(a)
        elif relation in LINK_WEIGHT:
            weight = LINK_WEIGHT[relation]
            weights[a][b] = weights[b][a] = max(weight, weights[a].get(b, 0.0))
    return _Agglomeration(claims, weights, apart).run(threshold)


class _Agglomeration:
    """Average-linkage merging over sparse link sums (Lance-Williams for averages)."""

    def __init__(
        self, claims: int, weights: dict[int, dict[int, float]], apart: dict[int, set[int]]
    ) -> None:
        self.members: dict[int, list[int]] = {i: [i] for i in range(claims)}
        #: group -> neighbour group -> sum of link weights between their members
        self.sums: dict[int, dict[int, float]] = {i: dict(weights.get(i, {})) for i in weights}
        self.apart: dict[int, set[int]] = {i: set(others) for i, others in apart.items()}

    def average(self, a: int, b: int) -> float:
        total = self.sums.get(a, {}).get(b, 0.0)
        return total / (len(self.members[a]) * len(self.members[b]))

    def run(self, threshold: float) -> list[list[int]]:
        queue = [
            (-self.average(a, b), a, b) for a, others in self.sums.items() for b in others if a < b
        ]
        heapq.heapify(queue)
        while queue:
            negative, a, b = heapq.heappop(queue)
            if a not in self.members or b not in self.members:
                continue  # merged away since
            if -negative != self.average(a, b):
                continue  # stale: the groups changed since this entry was queued
            if -negative < threshold:
                break
            if b in self.apart.get(a, ()):
                continue
            for other in self._merge(a, b):
                low, high = min(a, other), max(a, other)
                heapq.heappush(queue, (-self.average(a, other), low, high))
        groups = [sorted(members) for members in self.members.values()]
        return sorted(groups, key=lambda group: group[0])

    def _merge(self, a: int, b: int) -> list[int]:
        """Fold group `b` into group `a`; the groups whose average to `a` changed."""
        self.members[a].extend(self.members.pop(b))
        sums_a = self.sums.setdefault(a, {})
        for other, total in self.sums.pop(b, {}).items():
            if other == a:
                continue
            sums_a[other] = sums_a.get(other, 0.0) + total
            neighbour = self.sums[other]
            neighbour[a] = neighbour.get(a, 0.0) + neighbour.pop(b)
        sums_a.pop(b, None)
        for other in self.apart.pop(b, set()):
            self.apart.setdefault(a, set()).add(other)
            self.apart[other].discard(b)
            self.apart[other].add(a)
        self.apart.get(a, set()).discard(a)
        return list(sums_a)
