"""Whether a claim's main assertion is negated, and the verbatim words that negate it.

A judge asks "does one claim assert what the other denies?". Counting every "not" would
make "Russia, which has not commented, sent troops" a denial of sending troops, so cues
are scoped: a cue counts only where it bears on the claim's main assertion.

Cues (``cues`` returns their spans, ``claim[start:end] == text``):

* **negators**: "not", "n't" words ("didn't", "won't"), "cannot", "never", "no longer",
  "no" before a noun ("no evidence"), "no one", "none", "nobody", "nothing", "neither", "nor";
* **refutation verbs**: "deny", "reject", "refute", "rebut", "debunk", "disprove" (any
  form), "rule (it) out", "dismiss" when it dismisses something "as ..." or a claim/report;
* **falsity words used predicatively**: "is false", "called the reports fake.", "dismissed as
  baseless", "were lies" ("false", "untrue", "baseless", "groundless", "unfounded", "fake",
  "fabricated", "bogus", "nonsense", "lie(s)", "hoax", "misinformation", "disinformation");
  attributive uses assert something ("a false flag attack", "spreading fake news");
* **failure**: "failed to", "refused to", "declined to", "unable to".

Not cues: "not only/just/merely/least", "not to mention", "if not", "whether or not",
"no doubt", "no matter", "no-fly", "No. 10", and the bounds "no more than", "not less
than" (quantities read those).

Scope rule. A cue is ignored when it sits in

1. a non-restrictive relative or parenthetical clause (", which ...,", ", who ...,",
   "(...)", "— ... —"): it is said about a participant, not asserted by the claim;
2. a restrictive relative clause, recognised when only auxiliaries stand between "who",
   "which" or a relative "that" and the cue ("the troops that did not withdraw attacked");
   a "that" after a reporting verb ("said that", "warned Kyiv that") is a complementiser;
3. the content of a reported claim of someone else ("reports that ...", "claims that
   ...", "allegations that ...", up to the next comma): that clause is what the main verb
   talks about ("Peskov denied reports that troops had not withdrawn" is negated by "denied");
4. a conditional, concessive or causal clause ("if", "unless", "whether", "although",
   "though", "whereas", "because"; up to the next comma): it frames the assertion;
5. a double negation: a negator just before a refutation, failure or falsity word
   cancels both ("did not deny", "never failed to", "is not false", "neither confirmed
   nor denied" keeps only "neither").

Reported speech and quotations count as the claim's assertion: claims are compared as
reported, so `Putin said Russia would "not invade"` is negated, and "X denied that Y"
negates Y. Quote marks are otherwise transparent.

Deliberately not handled: negative verbs and adjectives beyond the lists ("halted",
"absent", "impossible"), negative-polarity words ("hardly", "barely"), sarcasm and
rhetorical questions, and odd numbers of nested negations beyond the double negation above.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["cues", "negated"]


def _words(text: str) -> frozenset[str]:
    """A word list written as one string (easier to read and extend than a set literal)."""
    return frozenset(text.split())


@dataclass(frozen=True)
class _Token:
    text: str
    start: int
    end: int
    #: lower case with one apostrophe, made once (the reader compares it many times)
    lower: str


@dataclass(frozen=True)
class _Cue:
    """A cue as token indices ``[first, last]`` and its kind."""

    first: int
    last: int
    kind: str  # "negator" | "refutation" | "falsity" | "failure"


_TOKEN = re.compile(r"[A-Za-z]+(?:['’][A-Za-z]+)*|\d+(?:[.,]\d+)*|\S")
_QUOTES = frozenset("\"'“”‘’«»„")
_NEGATORS = _words("not never none nobody nothing neither nor cannot")
_REFUTATIONS = re.compile(
    r"(?:den(?:y|ies|ied|ying)|reject(?:s|ed|ing)?|refut(?:e|es|ed|ing)"
    r"|rebut(?:s|ted|ting)?|debunk(?:s|ed|ing)?|disprov(?:e|es|ed|ing))"
)
_DISMISS = re.compile(r"dismiss(?:es|ed|ing)?")
_RULE = re.compile(r"rul(?:e|es|ed|ing)")
_FALSITIES = _words(
    "false untrue baseless groundless unfounded fake fabricated bogus nonsense lie lies hoax "
    "misinformation disinformation"
)
_FAILURES = re.compile(r"(?:fail(?:s|ed|ing)?|refus(?:e|es|ed|ing)|declin(?:e|es|ed|ing)|unable)")
#: Words that make a following falsity word predicative ("is false", "dismissed as fake").
_COPULAS = _words(
    "is are was were be been being as called calling call calls labelled labeled branded "
    "termed deemed it's that's this's"
)
#: Words between a copula and a falsity word ("is completely false", "was a lie").
_INTENSIFIERS = _words(
    "a an completely totally absolutely entirely utterly simply patently clearly blatantly "
    "outright pure complete total all just"
)
_CLAUSE_END = frozenset(".,;:!?)—–")
_AUXILIARIES = _words(
    "do does did have has had is are was were be been being will would shall should can "
    "could may might must also still reportedly allegedly so far ever yet even"
)
_RELATIVES = _words("who which")
_REPORTING = _words(
    "said say says saying told tell tells stated state states claimed claim claims added "
    "noted stressed insisted warned warns announced reported argued believes believe "
    "believed think thinks thought know knows knew denied denies deny confirmed confirms "
    "acknowledged admitted agreed suggested suggests explained emphasized emphasised "
    "assured promised vowed pledged threatened hoped feared fears expects expected alleged "
    "alleges recalled revealed indicated showed shows found concluded decided ensure "
    "ensured means meant clear sure likely unlikely possible true false so such now fact "
    "is was are were be"
)
_REPORT_NOUNS = _words(
    "claim claims report reports allegation allegations accusation accusations rumour "
    "rumours rumor rumors suggestion suggestions assertion assertions speculation charge "
    "charges notion idea narrative theory theories story stories insinuation insinuations"
)
_SUBORDINATORS = _words("if unless whether although though whereas because")
_NOT_EXCEPTIONS = _words("only just merely least")
_NO_EXCEPTIONS = _words("doubt matter sooner")
_BOUNDS = _words("more less fewer")


def negated(claim: str) -> bool:
    """Whether the claim's main assertion is negated (some scoped cue remains)."""
    return bool(cues(claim))


def cues(claim: str, *, scoped: bool = True) -> list[tuple[int, int, str]]:
    """The negation and refutation cues of ``claim`` as (start, end, verbatim text).

    With ``scoped`` (the default) only the cues that bear on the main assertion (see the
    module docstring); without, every cue found in the words.
    """
    tokens = [
        _Token(m.group(), m.start(), m.end(), m.group().lower().replace("’", "'"))
        for m in _TOKEN.finditer(claim)
        if m.group() not in _QUOTES
    ]
    found = _lexical_cues(tokens)
    if scoped:
        regions = _framed_regions(tokens)
        found = [
            cue
            for cue in found
            if not any(start <= cue.first < end for start, end in regions)
            and not _in_restrictive_relative(tokens, cue.first)
        ]
        found = _cancel_double_negations(tokens, found)
    return [
        (
            tokens[c.first].start,
            tokens[c.last].end,
            claim[tokens[c.first].start : tokens[c.last].end],
        )
        for c in found
    ]


# -- cues in the words


def _lexical_cues(tokens: list[_Token]) -> list[_Cue]:
    found: list[_Cue] = []
    index = 0
    while index < len(tokens):
        cue = _cue_at(tokens, index)
        if cue is None:
            index += 1
            continue
        found.append(cue)
        index = cue.last + 1
    return found


def _cue_at(tokens: list[_Token], i: int) -> _Cue | None:
    word = tokens[i].lower
    after = _word(tokens, i + 1)
    if word == "no":
        return _no(tokens, i)
    if word in _NEGATORS or word.endswith("n't"):
        return None if _exempt_not(tokens, i) else _Cue(i, i, "negator")
    if _REFUTATIONS.fullmatch(word):
        return _Cue(i, i, "refutation")
    if _DISMISS.fullmatch(word):
        ahead = {t.lower for t in tokens[i + 1 : i + 5]}
        return _Cue(i, i, "refutation") if ahead & (_REPORT_NOUNS | {"as"}) else None
    if _RULE.fullmatch(word):
        for j in (i + 1, i + 2):
            if _word(tokens, j) == "out":
                return _Cue(i, j, "refutation")
        return None
    if _FAILURES.fullmatch(word) and after == "to":
        return _Cue(i, i + 1, "failure")
    if word in _FALSITIES and _predicative(tokens, i):
        return _Cue(i, i, "falsity")
    return None


def _word(tokens: list[_Token], index: int) -> str:
    return tokens[index].lower if 0 <= index < len(tokens) else ""


def _no(tokens: list[_Token], i: int) -> _Cue | None:
    """ "no" as a negator: "no longer", "no one", "no evidence"; not "no doubt", "No. 10"."""
    after = _word(tokens, i + 1)
    if after in ("longer", "one"):
        return _Cue(i, i + 1, "negator")
    if not after.isalpha() or after in _NO_EXCEPTIONS:
        return None  # "no-fly", "No. 10", "no doubt", "no matter"
    if after in _BOUNDS and _word(tokens, i + 2) == "than":
        return None  # "no more than 300": a bound
    return _Cue(i, i, "negator")


def _exempt_not(tokens: list[_Token], i: int) -> bool:
    """ "not only", "not to mention", "if not", "whether or not", "not less than"."""
    if tokens[i].lower != "not":
        return False
    after, before = _word(tokens, i + 1), _word(tokens, i - 1)
    if after in _NOT_EXCEPTIONS or before in ("if", "or"):
        return True
    if after == "to" and _word(tokens, i + 2) == "mention":
        return True
    return after in _BOUNDS and _word(tokens, i + 2) == "than"


def _predicative(tokens: list[_Token], i: int) -> bool:
    """ "is false", "as baseless", "were lies", "called the reports fake." (clause-final)."""
    j = i - 1
    while j >= 0 and tokens[j].lower in _INTENSIFIERS:
        j -= 1
    if j >= 0 and tokens[j].lower in _COPULAS:
        return True
    after = _word(tokens, i + 1)
    return after == "" or after in _CLAUSE_END or after in ("and", "but")


# -- scope


def _framed_regions(tokens: list[_Token]) -> list[tuple[int, int]]:
    """Token ranges whose cues do not bear on the main assertion (rules 1, 3 and 4)."""
    regions: list[tuple[int, int]] = []
    for i, token in enumerate(tokens):
        word = token.lower
        if word == "," and _word(tokens, i + 1) in _RELATIVES | {"whom", "whose"}:
            regions.append((i, _clause_end(tokens, i + 1)))
        elif word == "(":
            regions.append((i, _closing(tokens, i + 1, ")") or len(tokens)))
        elif word in ("—", "–") and (close := _closing(tokens, i + 1, word)) is not None:
            regions.append((i, close))
        elif word in _REPORT_NOUNS and _word(tokens, i + 1) == "that":
            regions.append((i + 1, _content_end(tokens, i + 2)))
        elif word in _SUBORDINATORS:
            regions.append((i, _clause_end(tokens, i + 1)))
    return regions


def _closing(tokens: list[_Token], start: int, text: str) -> int | None:
    """The index of the next ``text`` token from ``start`` (a closing bracket or dash)."""
    return next((j for j in range(start, len(tokens)) if tokens[j].text == text), None)


def _content_end(tokens: list[_Token], start: int) -> int:
    """Where a reported claim ("reports that X") ends: at a clause break, or where the main
    clause judges it ("the claims that X were false"), so that the judgement still counts."""
    for j in range(start, len(tokens)):
        if tokens[j].text in _CLAUSE_END:
            return j
        if tokens[j].lower in _COPULAS:
            k = j + 1
            while k < len(tokens) and tokens[k].lower in _INTENSIFIERS:
                k += 1
            if _word(tokens, k) in _FALSITIES:
                return j
    return len(tokens)


def _clause_end(tokens: list[_Token], start: int) -> int:
    """The index of the punctuation that closes a clause begun at ``start`` (or the end)."""
    for j in range(start, len(tokens)):
        if tokens[j].text in _CLAUSE_END:
            return j
    return len(tokens)


def _in_restrictive_relative(tokens: list[_Token], first: int) -> bool:
    """Rule 2: only auxiliaries between a relative pronoun and the cue."""
    j = first - 1
    while j >= 0 and tokens[j].lower in _AUXILIARIES:
        j -= 1
    if j < 0:
        return False
    if tokens[j].lower in _RELATIVES:
        return True
    return tokens[j].lower == "that" and _relative_that(tokens, j)


def _relative_that(tokens: list[_Token], j: int) -> bool:
    """Whether "that" at ``j`` opens a relative clause rather than a reported one."""
    if j == 0 or not tokens[j - 1].text.isalpha():
        return False  # "That would not ...", ", that"
    return not any(t.lower in _REPORTING | _REPORT_NOUNS for t in tokens[max(0, j - 4) : j])


def _cancel_double_negations(tokens: list[_Token], found: list[_Cue]) -> list[_Cue]:
    """Rule 5: a negator just before a refutation, failure or falsity word cancels both."""
    cancelled: set[int] = set()
    for k in range(len(found) - 1):
        negator, negated_cue = found[k], found[k + 1]
        if negator.kind != "negator" or negated_cue.kind == "negator" or k in cancelled:
            continue
        between = tokens[negator.last + 1 : negated_cue.first]
        if len(between) <= 2 and all(t.lower in _AUXILIARIES | _INTENSIFIERS for t in between):
            cancelled.update((k, k + 1))
    return [cue for k, cue in enumerate(found) if k not in cancelled]
