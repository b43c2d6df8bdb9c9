"""Where a claim's words begin and end when they run past one sentence or paragraph.

News continues a speaker's quotation in the next paragraph without naming them again:

    "A," the mayor said.

    "B."

The second paragraph is the same claim (PolNeAR, like a reader, marks A and B as one
attribution with the cue between them left out). These helpers tell such a paragraph
from one that has its own cue, so that `rules.find_claims` can join it to the
quotation before it.
"""

from __future__ import annotations

import re

from ..textrange import TextRange
from .rules_actors import cue_matches, is_cue

#: Quote marks, as `rules` reads them (two apostrophes are one mark in some outlets).
QUOTE_MARKS = re.compile(r"''|[“”\"«»]")
#: A paragraph that opens with a quote mark.
_OPENS_WITH_QUOTE = re.compile(r"(?:''|[“\"«])")
#: A paragraph that closes with a quote mark (after the quotation's own punctuation).
_CLOSES_WITH_QUOTE = re.compile(r"(?:''|[”\"»])$")


def bare_quotation(text: str, paragraph: TextRange, quoted: list[TextRange]) -> TextRange | None:
    """The words of a paragraph that is one quotation and nothing else (no cue outside
    quote marks), or None: such a paragraph goes on with the quotation before it."""
    words = paragraph.of(text)
    if not quoted or not _OPENS_WITH_QUOTE.match(words) or not _CLOSES_WITH_QUOTE.search(words):
        return None
    if len(QUOTE_MARKS.findall(words)) % 2:
        return None
    for cue in cue_matches(text, paragraph.start, paragraph.end):
        if not any(q.start <= cue.start() < q.end for q in quoted) and is_cue(text, cue):
            return None  # '"B," she added.': a quotation with its own cue
    return TextRange(quoted[0].start, quoted[-1].end)


def ends_paragraph(text: str, claim: TextRange, paragraph: TextRange) -> bool:
    """Whether a quotation claim is the paragraph's last words in quote marks: after it
    comes at most its closing mark and its cue ('..., the mayor said.')."""
    return (
        paragraph.start <= claim.end <= paragraph.end
        and len(QUOTE_MARKS.findall(text, claim.end, paragraph.end)) <= 1
    )


#: A paragraph opened by its speaker's name and a colon, as transcripts and round-ups
#: write them ('Q: ...', 'JOHN SMITH: ...', 'Cole: "..."'): one to four capitalised words.
_LABEL = re.compile(r"((?:[A-Z][\w.’'-]*\s+){0,3}[A-Z][\w.’'-]*):\s+(?=\S)")


def labelled(text: str, paragraph: TextRange) -> tuple[TextRange, TextRange] | None:
    """(speaker label, words) of a paragraph that opens with 'Name:', or None."""
    label = _LABEL.match(text, paragraph.start, paragraph.end)
    if label is None:
        return None
    return TextRange(label.start(1), label.end(1)), TextRange(label.end(), paragraph.end)
