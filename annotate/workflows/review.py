"""The review of ties: the gold and the pairs' verdicts kept first, then the documents and the
claim pairs whose ties wait sent for review, each kind to its own review project."""

from __future__ import annotations

from typing import TYPE_CHECKING

from annotate.gold.report import keep_gold
from annotate.gold.verdicts import keep_verified_verdicts
from annotate.store import Store
from annotate.studio.pair_review import push_pair_review
from annotate.studio.review import ReviewPushReport, push_review

if TYPE_CHECKING:
    from label_studio_sdk import LabelStudio


def push_review_of_ties(
    store: Store, client: LabelStudio, server: str, title: str
) -> ReviewPushReport:
    """Bring the kept gold up to date with the pulled annotations (which documents' ties wait
    is the gold pass's finding), then send each such document to the review project."""
    keep_gold(store)
    return push_review(store, client, server, title)


def push_pair_review_of_ties(
    store: Store, client: LabelStudio, server: str, title: str
) -> ReviewPushReport | None:
    """Bring the kept verdicts up to date with the pulled answers on claim pairs (which
    pairs' verdicts tied is the verification pass's finding), then send each such pair to
    the pairs' review project; None when no pair was answered (no project is made)."""
    if keep_verified_verdicts(store) is None:
        return None
    return push_pair_review(store, client, server, title)
