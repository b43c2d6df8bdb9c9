"""A stretch of a document's text, by offsets into the whole document.

What chunking cuts a long document into, and what the rule-based annotator
reads (lines, paragraphs, sentences, quotations, cues): one small shape for
both. Grounded spans that annotators see are `annotate.schemas.Span` (they
carry their text); regions in Label Studio's terms are `annotate.codec.Region`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TextRange:
    start: int
    end: int

    def of(self, text: str) -> str:
        return text[self.start : self.end]
