"""The review of ties: the gold kept first, then the documents whose ties wait sent for review."""

from __future__ import annotations

from typing import TYPE_CHECKING

from annotate.gold.report import keep_gold
from annotate.store import Store
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
