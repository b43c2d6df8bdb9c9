"""Whether two figures measure the same thing: what is counted, for whom, where and when.

Two claims on one story often give two different numbers of one unit that are both
true: a county's toll and the state's, the share that supports and the share that
opposes, yesterday's count and today's, the money for roads and the money for schools.
Before the judge calls two figures a contradiction it asks here whether they measure
the same quantity, and if not, why not (the reason goes into the verdict's rationale).

Each figure is read in its clause (the stretch of the claim between clause breaks:
";", ", but", ", while", " and said", ...), and two figures of one unit measure
different things when:

* **part and whole**: one is marked as a part ("30 of them", "including 400", "among
  them 15", "Of the 20 passengers, 6 children") or a whole ("across the state",
  "worldwide", "in total", "in the region") and the other is not;
* **places**: each clause names a place ("in Ohio" / "in Michigan") and they differ;
* **groups or purposes**: the clause's "of / among / for / on" phrases name words the
  other claim never uses ("48% of Republicans" / "81% of Democrats", "$2 billion on
  roads" / "$5 billion on schools", "$40 million for the roof" / "... for the stadium");
* **complement**: two shares that add up to 100 with opposite stands ("60% support" /
  "40% oppose", "35% feel safe" / "65% do not feel safe");
* **time**: a running count reported on different days ("rose to", "so far", "now",
  "have died", "toll") or dates in the clauses that cannot be one time: an update;
* **a change**: "from 3% to 5%" and a figure between the two.

What is not checked: scopes written far from the figure (in another sentence of the
article), and unit conversion (the quantities reader keeps miles and kilometres apart,
so they never conflict).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date

from .dates import DateMention, conflicting_dates, dates
from .quantities import Quantity
from .text import NUMBER_WORDS, STOP_WORDS, content_words, stem


def _words(text: str) -> frozenset[str]:
    """A word list written as one string (easier to read and extend than a set literal)."""
    return frozenset(text.split())


__all__ = ["Measure", "claim_names", "clause", "complement", "measures", "subjects",
           "why_different", "wide", "within_change"]  # fmt: skip

_NAME = re.compile(r"\b[A-Z][\w'’.&-]*(?:\s+(?:of\s+|de\s+|al-)?[A-Z][\w'’.&-]*)*")
#: Capitalised words that start sentences or name no actor on their own.
_NOT_NAMES = (
    _words(
        "mr mrs ms dr sen rep gov gen president minister officials official but and or if when "
        "while after before in on at the a an this that these those it its he she they we i "
        "monday tuesday wednesday thursday friday saturday sunday january february march april "
        "may june july august september october november december more most many some "
        "jan feb mar apr jun jul aug sep sept oct nov dec"
    )
    | NUMBER_WORDS
)  # "Five firefighters were hurt": a figure, not an actor


def claim_names(quote: str) -> tuple[str, ...]:
    """The capitalised names in a quote ("Vladimir Putin", "NATO"), in order, once each."""
    names: list[str] = []
    for match in _NAME.finditer(quote):
        words = match.group().rstrip(".'’").split()
        while words and (_bare(words[0]) in _NOT_NAMES or words[0].lower() in STOP_WORDS):
            words = words[1:]  # "But Putin", "The Kremlin" -> "Putin", "Kremlin"
        if words:
            names.append(" ".join(words))
    return tuple(dict.fromkeys(names))


def _bare(word: str) -> str:
    """A word as `_NOT_NAMES` lists it: lower case, no full stop or possessive
    ("Nov." -> "nov", "Saturday's" -> "saturday")."""
    return word.lower().replace("’", "'").removesuffix("'s").rstrip(".")


def subjects(
    quote: str, agent_key: Callable[[str], str], names: tuple[str, ...] | None = None
) -> dict[str, str]:
    """Actor key -> name of the names a claim is about, as `claim_names` reads them, but a
    lone capitalised first word left out ("Doctors treated ...": a common noun, perhaps)."""
    found: dict[str, str] = {}
    for name in claim_names(quote) if names is None else names:
        if " " not in name and quote.startswith(name):
            continue
        found.setdefault(agent_key(name), name)
    return found


#: Clause breaks: a figure's scope is read between them.
_BREAK = re.compile(
    r";|:|\.\s|,\s*(?:but|while|whereas|although|though|and|with)\b"
    r"|\b(?:but|while|whereas|although|though|amid|despite|after|following|under)\b"
    r"|\bas\s+part\s+of\b|\bto\s+help\b|\band\s+(?:said|says|added|noted)\b"
)
_PART_AFTER = re.compile(
    r"^\s*(?:\w+\s+)?(?:of\s+(?:them|whom|those|these|which)\b|(?:\w+\s+)?alone\b)", re.I
)
_PART_BEFORE = re.compile(r"(?:including|among\s+(?:them|whom|those)|of\s+whom|of\s+them)\s*$",
                          re.I)  # fmt: skip
_WHOLE_BEFORE = re.compile(r"\bof\s+the\s*$", re.I)
_WHOLE = re.compile(
    r"\b(?:across|worldwide|nationwide|statewide|countrywide|overall|altogether|in\s+all"
    r"|in\s+total|totals?|combined|in\s+the\s+(?:region|state|country|area|nation)"
    r"|this\s+(?:year|season|month)|so\s+far|to\s+date|annual|annually)\b",
    re.I,
)
_RUNNING = re.compile(
    r"\b(?:so\s+far|now|to\s+date|toll|(?:rose|risen|rising|climbed|climbing|jumped|grew)\s+to"
    r"|reached|has|have|latest|still|updated)\b",
    re.I,
)
_PLACE = re.compile(r"\b(?:in|at|across|outside)\s+((?:the\s+)?[A-Z][\w'’-]*(?:\s+[A-Z][\w'’-]*)*)")
_QUALIFIER = re.compile(r"\b(?:of|among|for|on)\s+((?:[\w'’-]+\s*){1,4})", re.I)
_QUALIFIER_END = re.compile(r"\b(?:was|were|is|are|will|would|has|have|had|to|in|at|by|said"
                            r"|after|before|since|from|over|during)\b.*", re.I)  # fmt: skip
#: "<noun> of <figure>": what the figure is an amount of.
_MEASURED = re.compile(r"\b([a-z]{3,})\s+of\s+(?:about\s+|some\s+|nearly\s+)?[$€£]?\d")
_FIGURE_WORDS = _words(
    "hundred hundreds thousand thousands million millions billion billions trillion percent "
    "per cent dozen dozens"
)
_DIRECTIONS = _words(
    "north south east west northern southern eastern western northeast northwest southeast "
    "southwest downtown rural urban suburban central"
)
#: Stands that make two shares each other's complement ("support" / "oppose").
_POLAR = tuple(
    (frozenset(yes.split()), frozenset(no.split()))
    for yes, no in (
        ("support supports supported favour favor favours favors back backs backed for yes",
         "oppose opposes opposed against reject rejects rejected no"),
        ("approve approves approved", "disapprove disapproves disapproved"),
        ("agree agrees agreed", "disagree disagrees disagreed"),
        ("satisfied trust like", "dissatisfied distrust dislike"),
        ("won win winning passed", "lost lose losing opponents"),
    )
)  # fmt: skip
_NEGATION = re.compile(r"\b(?:not|n't|never|no)\b", re.I)
#: Words that tell two events of one kind apart ("the first reactor" / "the second").
DISTINGUISHERS = _words(
    "first second third fourth fifth last previous next new old earlier later initial final "
    "another other"
)
#: Words after a figure that end the noun phrase it opens (a verb follows).
_VERB_STARTS = _words("were was are is have has had will would could may might can did do")
#: What any sum is ("a $4.5 million budget" / "spend $7 million"): no purpose of its own.
_GENERIC_PURPOSES = _words("budget cost spend spending fund funding price total sum amount")
#: Heads that say only that people are counted ("14 people were killed" counts deaths).
_GENERIC_COUNTED = _words("people person individual civilian passenger")
#: Currency words after a figure ("4 billion dollars"): its unit, not what it is for.
_CURRENCY_WORDS = _words("dollar euro pound yen ruble rouble usd eur gbp")
#: How many words after a figure are read as its noun phrase.
MAX_MODIFIERS = 4
#: Relative width from which a figure is a range rather than one value ("about" is 0.18).
WIDE = 0.25
#: Two shares "add up to 100" within this many points.
COMPLEMENT_SLACK = 2.0


@dataclass(frozen=True)
class Measure:
    """A figure read in its clause: what scopes it."""

    quantity: Quantity
    clause: str
    part: bool
    whole: bool
    running: bool
    places: frozenset[str]
    qualifiers: frozenset[str]
    negated: bool
    #: the clause's time references, against the claim's date
    times: tuple[DateMention, ...] = ()


def measures(
    text: str,
    quantities: tuple[Quantity, ...],
    agent_key: Callable[[str], str],
    published: date | None = None,
) -> tuple[Measure, ...]:
    """Every figure of a claim in its clause; beside a part ("30 of them"), others are wholes."""
    found = [_measure(text, q, agent_key, published) for q in quantities]
    if any(m.part for m in found):
        found = [m if m.part else replace(m, whole=True) for m in found]
    return tuple(found)


def _measure(
    text: str, quantity: Quantity, agent_key: Callable[[str], str], published: date | None
) -> Measure:
    """The figure ``quantity`` of ``text`` with the scope words of its clause."""
    start, end = clause(text, quantity.start, quantity.end)
    words = text[start:end]
    before, after = text[start : quantity.start], text[quantity.end : end]
    part = bool(_PART_AFTER.search(after) or _PART_BEFORE.search(before.rstrip(" ,")))
    part = part or _part_of_a_whole(text, quantity)
    whole = bool(_WHOLE.search(words)) or bool(_WHOLE_BEFORE.search(before))
    places = frozenset(
        agent_key(re.sub(r"^the\s+", "", m.group(1))) for m in _PLACE.finditer(words)
    )
    times = tuple(dates(words, published))
    unit = frozenset(content_words(quantity.unit or "")) | _CURRENCY_WORDS
    offset = quantity.end - start  # the clause's dates after the figure: a time, no kind
    for mention in reversed([t for t in times if t.start >= offset]):  # ("4.2% last month")
        after = after[: mention.start - offset] + " , " + after[mention.end - offset :]
    qualifiers = _qualifiers(words, times) | (_modifiers(after, unit) - unit - _GENERIC_COUNTED)
    return Measure(quantity, words, part, whole and not part, bool(_RUNNING.search(words)),
                   places, qualifiers, bool(_NEGATION.search(words)), times)  # fmt: skip


def _modifiers(after: str, unit: frozenset[str] = frozenset()) -> frozenset[str]:
    """The words of the noun phrase a figure opens ("120 small businesses", "$2 billion
    road budget"): what kind of thing it counts. The phrase ends with its head, the
    figure's unit ("Two firefighters suffered ...": "suffered" is no kind of firefighter)."""
    words: list[str] = []
    after = re.split(r"[,;:.!?]", after, maxsplit=1)[0]  # ", Cal Fire said": not the phrase
    for word in re.findall(r"[A-Za-z][\w'’-]*", after)[:MAX_MODIFIERS]:
        if word.lower() in STOP_WORDS or word.lower() in _VERB_STARTS:
            break
        stems = content_words(word)
        if set(stems) & (unit - _CURRENCY_WORDS):
            break
        words.extend(w for w in stems if w not in _FIGURE_WORDS)
    return frozenset(words)


def clause(text: str, start: int, end: int) -> tuple[int, int]:
    """The bounds of the clause holding text[start:end]."""
    left = 0
    for match in _BREAK.finditer(text, 0, start):
        left = match.end()
    found = _BREAK.search(text, end)
    return left, found.start() if found else len(text)


def _part_of_a_whole(text: str, quantity: Quantity) -> bool:
    """ "Of the 20 passengers, 6 children ...": the 6 is a part of the 20."""
    head = text[: quantity.start]
    return bool(re.search(r"\bOf\s+the\s+[\d,.]+\s+\w+\s*,\s*$", head, re.I))


def _qualifiers(clause: str, times: tuple[DateMention, ...]) -> frozenset[str]:
    """(See `_qualifiers_of`), the clause's dates left out: "on April 9" is no purpose."""
    for mention in reversed(times):
        clause = clause[: mention.start] + clause[mention.end :]
    return _qualifiers_of(clause)


def _qualifiers_of(clause: str) -> frozenset[str]:
    """Content words of the clause's "of / among / for / on" phrases (groups, purposes), the
    noun a figure is "of" ("a profit of $800 million") and directions ("in the north")."""
    words: set[str] = set()
    for match in _QUALIFIER.finditer(clause):
        phrase = _QUALIFIER_END.sub("", match.group(1))
        words.update(w for w in content_words(phrase) if w not in _FIGURE_WORDS)
    words.update(stem(m.group(1)) for m in _MEASURED.finditer(clause))
    words.update(w for w in content_words(clause) if w in _DIRECTIONS)
    return frozenset(words)


def why_different(
    a: Measure,
    b: Measure,
    words_a: frozenset[str],
    words_b: frozenset[str],
    published: tuple[date | None, date | None] = (None, None),
) -> str | None:
    """Why figures ``a`` and ``b`` (of one unit, values apart) measure different things.

    ``words_a`` / ``words_b`` are the content words of the whole claims. None: nothing
    tells them apart (they are one quantity, and differing values contradict).
    """
    qa, qb = a.quantity, b.quantity
    if a.part != b.part or a.whole != b.whole:
        return f"one counts a part of what the other counts ('{qa.text}' / '{qb.text}')"
    if a.places and b.places and not a.places & b.places:
        return f"they count in different places ('{qa.text}' / '{qb.text}')"
    if complement(a, b):
        return f"the shares '{qa.text}' and '{qb.text}' are complements: one fact from both sides"
    only_a = a.qualifiers - words_b - _GENERIC_PURPOSES
    only_b = b.qualifiers - words_a - _GENERIC_PURPOSES
    if only_a or only_b:
        named = ", ".join(sorted(only_a | only_b))
        return f"they count for different groups or purposes ({named})"
    day_a, day_b = published
    if (a.running or b.running) and day_a and day_b and day_a != day_b:
        return f"a running count reported on different days ('{qa.text}' / '{qb.text}'): an update"
    for da in a.times:
        for db in b.times:
            if conflicting_dates(da, db):
                return f"they count at different times ('{da.text}' / '{db.text}'): an update"
    return None


def complement(a: Measure, b: Measure) -> bool:
    """Two shares adding up to 100 with opposite stands (or one negated)."""
    qa, qb = a.quantity, b.quantity
    middle_a, middle_b = (qa.low + qa.high) / 2, (qb.low + qb.high) / 2
    if qa.unit != "percent" or abs(middle_a + middle_b - 100) > COMPLEMENT_SLACK:
        return False
    if a.negated != b.negated:
        return True
    clause_a = {w.lower() for w in re.findall(r"[\w']+", a.clause)}
    clause_b = {w.lower() for w in re.findall(r"[\w']+", b.clause)}
    return any(
        (yes & clause_a and no & clause_b) or (no & clause_a and yes & clause_b)
        for yes, no in _POLAR
    )


def wide(quantity: Quantity) -> bool:
    """A range, a bound or a vague count ("between 200 and 300", "up to 900", "tens of
    thousands"), wider than the band an approximation ("about 250") admits."""
    low, high = quantity.low, quantity.high
    return math.isinf(high) or low == 0 or high - low > WIDE * high


def within_change(text: str, quantities: tuple[Quantity, ...]) -> list[tuple[float, float]]:
    """The spans of "from X to Y" changes between two of a claim's figures (low, high)."""
    spans = []
    for first, second in zip(quantities, quantities[1:], strict=False):
        between = text[first.end : second.start]
        if (
            first.unit == second.unit
            and re.fullmatch(r"\s*to\s*", between)
            and re.search(r"\bfrom\s*$", text[: first.start])
        ):
            spans.append((min(first.low, second.low), max(first.high, second.high)))
    return spans
