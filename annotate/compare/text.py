"""The words of a claim, as candidate generation and the rules judge both read them.

One normalisation for both, so that what makes two claims candidates is what
the judge weighs: lower case, function words dropped (a short list of our own:
scikit-learn's English list also drops content words news needs, such as
"call", "interest", "fire" and "system"), figures dropped (the judge reads
them as quantities), a few equivalences news writes for one another (a
demonym for its state, "talks" for "negotiations", "start" for "launch"), and
a crude suffix stem.
"""

from __future__ import annotations

import re

STOP_WORDS = frozenset(
    """a about above after again against all almost also although am among an and another
    any are as at be because been before being below between both but by can could did do
    does doing down during each either else even ever every few for from further had has
    have having he her here hers herself him himself his how however i if in into is it its
    itself just least less let like many may me might more most much must my myself neither
    no nor not of off on once one only or other others our ours ourselves out over own per
    quite rather same several shall she should since so some such than that the their theirs
    them themselves then there these they this those though through thus to too under until
    up upon us very via was we were what whatever when where whether which while who whom
    whose why will with within without would yet you your yours yourself yourselves
    said says say told tell according""".split()  # noqa: SIM905
)

#: Words news writes for one another: demonyms for their states, and common synonyms.
EQUIVALENT_WORDS = {
    "russian": "russia", "russians": "russia", "iranian": "iran", "ukrainian": "ukraine",
    "american": "usa", "us": "usa", "u.s.": "usa", "u.s": "usa", "chinese": "china",
    "european": "europe", "israeli": "israel", "turkish": "turkey", "british": "britain",
    "french": "france", "german": "germany",
    "eastward": "east", "eastern": "east", "westward": "west", "western": "west",
    "negotiations": "talks", "negotiation": "talks", "negotiate": "talks", "dialogue": "talks",
    "expansion": "expand", "enlargement": "expand", "expanding": "expand",
    "guarantee": "guarantees", "assurances": "guarantees",
    "deal": "agreement", "treaty": "agreement", "accord": "agreement", "pact": "agreement",
    "begin": "start", "began": "start", "launch": "start", "launched": "start",
    "prevent": "stop", "halt": "stop", "soldiers": "troops", "soldier": "troops",
}  # fmt: skip

_WORD = re.compile(r"[^\W\d_][\w'’.-]*[\w]|[^\W\d_]")


def stem(word: str) -> str:
    """A crude stem: enough to meet 'expands'/'expanded'/'expanding' in one form."""
    word = word.lower().replace("’", "'").removesuffix("'s")
    word = EQUIVALENT_WORDS.get(word, word)
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


def content_words(text: str) -> list[str]:
    """The stems of a text's content words, in order (repeats kept, for term frequencies)."""
    return [
        stem(word)
        for word in _WORD.findall(text)
        if _acronym(word) or (word.lower() not in STOP_WORDS and len(word) > 1)
    ]


def _acronym(word: str) -> bool:
    """'US', 'U.S', 'EU', 'NATO': kept even where the lower-case word is a function word."""
    return word.isupper() and len(word.replace(".", "")) >= 2
