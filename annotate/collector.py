"""Python's cycle collector paused while a long pass builds millions of lasting objects,
or kept off the objects a long job made before it started.

The gold pass and a comparison make millions of small objects (regions, claims,
pairs, verdicts, each document's share) that live until the pass ends and form
no cycles; the collector would walk them, and every object the imported
libraries made, again and again as they grow: at 100,000 claims, a fifth of a
comparison's time (68 s against 53 s, measured in the same minutes).

A pre-annotation job is the other case (`collector_settled`): its garbage is
short-lived (each document's request, answer and spans), but the documents in
flight outlive the young collections, reach the oldest generation, and every
full collection then walks the 120,000 objects the imports made (the SDK's
types, the schemas, the CLI) as well.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """The cycle collector off for the block, and run once after it (by the outermost pause)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:  # the outermost pause collects, once
            gc.enable()
            gc.collect()


#: Allocations between two young collections in `collector_settled` (Python's default: 700).
SETTLED_YOUNG_THRESHOLD = 10_000


@contextmanager
def collector_settled(young: int = SETTLED_YOUNG_THRESHOLD) -> Iterator[None]:
    """For the block, the objects made so far are left out of the collector's walks
    (``gc.freeze``), and young collections come every `young` allocations.

    For a job over many documents that starts after its imports and set-up: what
    they made lives until the process ends, yet at 2,000 documents
    (`annotate preannotate`, bench/scale.py) the collector walked it a dozen times,
    and the documents in flight were promoted through the generations by the 700
    allocations' young collections: 1.85 of 13 CPU s, 0.3 with the collector
    settled. Cycles made in the block are still collected; the thresholds and the
    objects frozen go back as they were at its end.
    """
    thresholds = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(max(young, thresholds[0]), *thresholds[1:])
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()


@contextmanager
def collector_spared_at_exit() -> Iterator[None]:
    """Run a command whose process ends with the block: its objects are frozen when it ends.

    The interpreter's shutdown collects cycles once more, walking every object the
    process still holds, most of them made by its imports (the SDK's types, the
    schemas, the CLI) and about to go with the process anyway: 0.11 of the 0.75 CPU s
    an `annotate preannotate` with nothing to do took (bench/scale.py's idle run).
    Frozen, they are left out of that walk. Objects that are not garbage are freed
    at shutdown as before; only finalizers of garbage cycles left at the end no longer
    run, which Python never promised (files and stores are closed by their blocks).
    """
    try:
        yield
    finally:
        gc.freeze()
