"""Counted quantities in one claim: the verbatim phrase, the interval it admits, what it counts.

A judge asks "do these two claims count the same thing with incompatible values?". That
needs each figure read as an interval (news figures are rounded, approximate or bounds)
together with the noun it counts, and a comparison that allows for rounding.

Handled:

* **figures**: digits with thousands separators and decimals ("12,000", "2.5"), number
  words ("forty-five", "two hundred and twenty", "a dozen", "two dozen", "half a million"),
  scale words and suffixes ("1.2 million", "3 billion", "$5bn", "£2m"), percentages
  ("45%", "45 percent", "45 per cent", "5 percentage points");
* **vague counts**: "dozens", "hundreds", "thousands", "millions", "tens of thousands",
  "hundreds of millions": two to ten of the unit ("hundreds" is [200, 1000]);
  "several hundred" ([300, 900]), "a few thousand" ([2000, 5000]), "a couple of hundred";
* **approximations and bounds** (the band is `APPROXIMATION`, 10%):
  "about/around/roughly/approximately/some/an estimated 300" -> [270, 330];
  "nearly/almost/close to/just under 300" -> [270, 300]; "just over 300" -> [300, 330];
  "more than/over/above/at least/upwards of 300" -> [300, inf) (a bound says nothing of
  how far beyond it the truth lies: a made-up ceiling would invent contradictions);
  "fewer than/less than/under/below/up to/as many as/at most 300" -> [0, 300];
* **ranges**: "between 10 and 20", "10-20", "10 to 20", "$2-3 billion" (the scale, the
  currency and the percent sign are shared); "from 10 to 20" is a change, so two figures;
* **units**: the head noun of what is counted, singular and lower-case, found among the
  next few words before a function word or a verb ("80 Russian companies" -> "company",
  "tens of thousands of military personnel" -> "personnel", "people" -> "person");
  "percent", "percentage point", currencies ("$", "dollars" -> "dollar"), a few
  measures ("km" -> "kilometer"). An elided head followed by a casualty word names the
  casualty: "13,000 have been killed" -> "death", "two million displaced" ->
  "displaced person" ("people" is too generic to win over the casualty word).

Not quantities: years and other dates (whatever `dates.dates` finds is skipped, so "in 2014"
is not a count but "2000 troops" is), ordinals ("first", "5th"), clock times, numbers
inside names and codes ("G7", "S-400", "COVID-19"), fractions ("one-third", "half of").

Deliberately not handled: unit conversion (kilometres vs miles are different units),
"5m" with no currency sign (metres or millions?),
vague words with no scale ("several", "a few", "many"), multiplicative phrases ("twice",
"threefold"), and counts whose noun is far from the figure: their unit is None, and a
quantity with no unit never conflicts with anything.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from .dates import dates

__all__ = ["APPROXIMATION", "Quantity", "conflicting", "in_base_unit", "quantities"]

#: Relative half-width of the band an approximation ("about 300") admits.
APPROXIMATION = 0.1
#: How many words after a figure its counted noun is looked for.
MAX_HEAD_WORDS = 4


def _words(text: str) -> frozenset[str]:
    """A word list written as one string (easier to read and extend than a set literal)."""
    return frozenset(text.split())


@dataclass(frozen=True)
class Quantity:
    """A figure in a claim: ``claim[start:end] == text``, admitting ``low <= x <= high``.

    ``unit`` is what is counted (a singular, lower-case head noun, "percent", a currency),
    or None when nothing is (a bare number).
    """

    start: int
    end: int
    text: str
    low: float
    high: float
    unit: str | None


@dataclass(frozen=True, slots=True)
class _Token:
    text: str
    start: int
    end: int
    #: the text in lower case, made once (the reader compares it many times)
    lower: str

    @property
    def is_word(self) -> bool:
        return self.text.isalpha()

    @property
    def is_digits(self) -> bool:
        return self.text[0].isdigit()


@dataclass(frozen=True)
class _Number:
    """A figure read from tokens, before bounds and units."""

    low: float
    high: float
    end: int  # index of the first token after the figure (and its percent sign)
    scale: float  # the scale word's multiplier ("million"), 1 when none
    percent: str | None  # "percent" / "percentage point" when the figure carries one


_TOKEN = re.compile(r"\d+(?:[.,]\d+)*|[A-Za-z]+|\S")

_ONE_WORDS = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen"
)
_TEN_WORDS = "twenty thirty forty fifty sixty seventy eighty ninety"
_ONES = {word: value for value, word in enumerate(_ONE_WORDS.split())}
_TENS = {word: 10 * value for value, word in enumerate(_TEN_WORDS.split(), start=2)}
_SCALES = {
    "hundred": 1e2,
    "thousand": 1e3,
    "million": 1e6,
    "billion": 1e9,
    "trillion": 1e12,
    "bn": 1e9,
    "bln": 1e9,
    "mln": 1e6,
    "mn": 1e6,
    "tn": 1e12,
    "trn": 1e12,
}
#: Scales written straight after the digits ("$5bn", "10k"); "m" only after a currency sign.
_ATTACHED_SCALES = {word: _SCALES[word] for word in ("bn", "bln", "mln", "mn", "tn", "trn")} | {
    "k": 1e3
}
_PLURAL_SCALES = {
    "dozens": 12.0,
    "hundreds": 1e2,
    "thousands": 1e3,
    "millions": 1e6,
    "billions": 1e9,
}
#: What "tens of" and "hundreds of" multiply ("tens of thousands").
_LARGE_PLURALS = (["thousands"], ["millions"], ["billions"])
#: "several hundred": (fewest, most) of the scale that follows.
_MULTIPLIERS: dict[tuple[str, ...], tuple[float, float]] = {
    ("several",): (3, 9),
    ("a", "few"): (2, 5),
    ("a", "couple", "of"): (2, 3),
    ("a", "couple"): (2, 3),
}
#: Phrase before a figure -> how it bends the figure's interval.
_MODIFIERS: dict[tuple[str, ...], str] = {
    tuple(phrase.split()): kind
    for kind, phrases in {
        "approx": "about|around|roughly|approximately|some|an estimated|estimated|circa"
        "|in the region of",
        "below": "nearly|almost|close to|just under|just shy of|just below|slightly less than"
        "|slightly fewer than",
        "above": "just over|just above|slightly more than|slightly over",
        "min": "more than|over|above|at least|upwards of|in excess of|greater than"
        "|no fewer than|no less than|not less than|a minimum of",
        "max": "fewer than|less than|under|below|up to|as many as|at most|no more than"
        "|not more than|a maximum of",
        "between": "between",
    }.items()
    for phrase in phrases.split("|")
}
#: A claim without a digit or any of these words holds no quantity (a quick first test).
_MAY_COUNT = re.compile(
    r"\d|\b(?:"
    + "|".join(
        [*_ONES, *_TENS, *_SCALES, *_PLURAL_SCALES, "dozen", "tens", "few", "couple", "several"]
    )  # fmt: skip
    + r")\b",
    re.IGNORECASE,
)
_MODIFIER_STARTS = frozenset(phrase[0] for phrase in _MODIFIERS)
_CURRENCY_SIGNS = {"$": "dollar", "€": "euro", "£": "pound", "₽": "ruble", "¥": "yen"}
#: The words (lower case) a quantity can start with, besides digits.
_STARTS = frozenset(
    [*_MODIFIER_STARTS, *_CURRENCY_SIGNS, "us", "tens", "hundreds", *_PLURAL_SCALES,
     *(phrase[0] for phrase in _MULTIPLIERS), *_ONES, *_TENS, "a", "an", "half"]
)  # fmt: skip
_PERCENT_WORDS = {"%": "percent", "percent": "percent", "pct": "percent"}
#: Words a counted noun never is: the head search stops at them.
_STOP = _words(
    "a an the and or but nor of in on at to for from with without near into onto across "
    "along against among between by than as per via that which who whom whose what this "
    "these those there here it its their his her our your my we they he she you i "
    "have has had having will would could can may might should must shall be been being "
    "is are was were am do does did said say says told according more less fewer most "
    "least over under about around up down out off since during after before until ago "
    "last next each every all both some many much few several such other another only just "
    "also still already now then when where while if so not no including according if"
)
_IRREGULAR_SINGULARS = {
    "people": "person",
    "persons": "person",
    "personnel": "personnel",
    "staff": "staff",
    "police": "police",
    "aircraft": "aircraft",
    "livestock": "livestock",
    "children": "child",
    "men": "man",
    "women": "woman",
    "lives": "life",
    "crises": "crisis",
    "analyses": "analysis",
    "series": "series",
    "species": "species",
    "metres": "meter",
    "metre": "meter",
    "meters": "meter",
    "kilometres": "kilometer",
    "kilometre": "kilometer",
    "kilometers": "kilometer",
    "tonnes": "ton",
    "tonne": "ton",
    "tons": "ton",
    "roubles": "ruble",
    "rouble": "ruble",
    "feet": "foot",
    "positions": "job",  # "2,000 positions" cut are jobs
    "centimetres": "centimeter",
    "centimetre": "centimeter",
    "centimeters": "centimeter",
    "millimetres": "millimeter",
    "millimeters": "millimeter",
}
#: Plural (or number-neutral) nouns that do not end in a plural -s.
_IRREGULAR_PLURALS = _words(
    "feet people personnel staff police aircraft livestock children men women crises analyses "
    "series species"
)
#: Measures written without a plural ("300 km").
_MEASURES = {
    "km": "kilometer",
    "kg": "kilogram",
    "mph": "mile per hour",
    "usd": "dollar",
    "eur": "euro",
    "gbp": "pound",
    "rub": "ruble",
}
#: "104 degrees Fahrenheit" and "40 degrees Celsius" are different units (one temperature).
_SCALES_OF_DEGREES = {"fahrenheit": "degree fahrenheit", "f": "degree fahrenheit",
                      "celsius": "degree celsius", "c": "degree celsius",
                      "centigrade": "degree celsius"}  # fmt: skip
_NOT_PLURAL = _words("news gas bus yes thus always perhaps whereas various previous famous")
#: Casualty words that name what an elided or generic head counts.
_CASUALTIES = {
    "killed": "death",
    "dead": "death",
    "died": "death",
    "wounded": "injury",
    "injured": "injury",
    "displaced": "displaced person",
    "arrested": "arrest",
    "detained": "arrest",
    "evacuated": "evacuee",
    "missing": "missing person",
}
_GENERIC_HEADS = _words("person individual civilian passenger")
_AUXILIARIES = _words(
    "have has had been were was are is be being reportedly already now so far thought "
    "believed feared said left"
)
_FRACTIONS = _words(
    "half halves third thirds quarter quarters fifth fifths sixth sixths tenth tenths"
)
#: Words before "one" that make it a pronoun ("no one", "the one").
_ONE_PRONOUN_BEFORE = _words("no any every each the this that which someone")
_ONE_PRONOUN_AFTER = _words("of another or")


def quantities(claim: str) -> list[Quantity]:
    """Every counted figure in ``claim``, in order, without dates, ordinals and codes."""
    if not _MAY_COUNT.search(claim):
        return []  # most claims name no figure: skip the token-by-token reading
    tokens = [
        _Token(m.group(), m.start(), m.end(), m.group().lower()) for m in _TOKEN.finditer(claim)
    ]
    masked = [(d.start, d.end) for d in dates(claim)]
    found: list[Quantity] = []
    index = 0
    while index < len(tokens):
        if not (tokens[index].is_digits or tokens[index].lower in _STARTS):
            index += 1  # no quantity starts with this word: skip the full reading
            continue
        read = _read(claim, tokens, index, masked)
        if read is None:
            index += 1
            continue
        quantity, index = read
        found.append(quantity)
    return found


def _read(
    claim: str, tokens: list[_Token], index: int, masked: list[tuple[int, int]]
) -> tuple[Quantity, int] | None:
    """The quantity starting at token ``index`` and the index after it, if one starts there."""
    modifier, at = _modifier(tokens, index)
    currency, at = _currency(tokens, at)
    first = _number(tokens, at, currency is not None)
    if first is None:
        return None
    number = first
    ranged = _range(tokens, first, modifier == "between", index)
    if ranged is not None:
        number = ranged
    elif modifier == "between":
        return None  # "between 10" alone: let the figure be read without it
    span = (tokens[index].start, tokens[number.end - 1].end)
    if any(start < span[1] and span[0] < end for start, end in masked):
        return None
    low, high = _bend(number.low, number.high, modifier)
    unit = number.percent or currency or _head(tokens, number.end, number)
    text = claim[span[0] : span[1]]
    return Quantity(span[0], span[1], text, low, high, unit), number.end


def _modifier(tokens: list[_Token], index: int) -> tuple[str | None, int]:
    """The longest bound or approximation phrase at ``index`` ("more than", "about")."""
    if index >= len(tokens) or tokens[index].lower not in _MODIFIER_STARTS:
        return None, index
    for length in (4, 3, 2, 1):
        phrase = tuple(t.lower for t in tokens[index : index + length])
        if len(phrase) == length and phrase in _MODIFIERS:
            return _MODIFIERS[phrase], index + length
    return None, index


def _currency(tokens: list[_Token], index: int) -> tuple[str | None, int]:
    """A currency sign before a figure ("$", "US$", "€") and the index after it."""
    if index < len(tokens) and tokens[index].text == "US" and _next_is(tokens, index, "$"):
        return "dollar", index + 2
    if index < len(tokens) and tokens[index].text in _CURRENCY_SIGNS:
        return _CURRENCY_SIGNS[tokens[index].text], index + 1
    return None, index


def _next_is(tokens: list[_Token], index: int, text: str, adjacent: bool = True) -> bool:
    """Whether the token after ``index`` is ``text`` (and touches it, if ``adjacent``)."""
    if index + 1 >= len(tokens) or tokens[index + 1].lower != text:
        return False
    return not adjacent or tokens[index].end == tokens[index + 1].start


def _bend(low: float, high: float, modifier: str | None) -> tuple[float, float]:
    """The interval a modifier makes of a figure's own interval."""
    if modifier == "approx":
        return low * (1 - APPROXIMATION), high * (1 + APPROXIMATION)
    if modifier == "below":
        return low * (1 - APPROXIMATION), high
    if modifier == "above":
        return low, high * (1 + APPROXIMATION)
    if modifier == "min":
        return low, math.inf
    if modifier == "max":
        return 0.0, high
    return low, high


# -- figures


def _number(tokens: list[_Token], index: int, currency: bool) -> _Number | None:
    """The figure starting at ``index``: digits, number words or a vague count."""
    if index >= len(tokens):
        return None
    if tokens[index].is_digits:
        return _digits(tokens, index, currency)
    return _vague(tokens, index) or _number_words(tokens, index)


def _digits(tokens: list[_Token], index: int, currency: bool) -> _Number | None:
    """ "12,000", "2.5 million", "3bn", "45%"; None for codes, times and ordinals."""
    value = _parse_digits(tokens[index].text)
    if value is None or _in_code_or_time(tokens, index):
        return None
    scale, at = 1.0, index + 1
    if at < len(tokens) and tokens[at].start == tokens[index].end and tokens[at].is_word:
        suffix = tokens[at].lower
        if suffix in _ATTACHED_SCALES or (currency and suffix == "m"):
            scale, at = _ATTACHED_SCALES.get(suffix, 1e6), at + 1
        elif suffix not in _MEASURES:
            return None  # "5th", "1990s", "5pm"
    if scale == 1.0 and at < len(tokens) and tokens[at].lower in _SCALES:
        scale, at = _SCALES[tokens[at].lower], at + 1
    if at < len(tokens) and tokens[at].lower == "dozen":
        scale, at = scale * 12, at + 1
    percent, at = _percent(tokens, at)
    return _Number(value * scale, value * scale, at, scale, percent)


def _parse_digits(text: str) -> float | None:
    """ "12,000" -> 12000.0, "2.5" -> 2.5; None for "1.2.3" or a European "2,5"."""
    if re.fullmatch(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?", text):
        return float(text.replace(",", ""))
    return None


def _in_code_or_time(tokens: list[_Token], index: int) -> bool:
    """Digits glued to letters or clock and date punctuation: "G7", "S-400", "10:30", "5 p.m."."""
    token = tokens[index]
    previous = tokens[index - 1] if index > 0 else None
    if previous is not None and previous.end == token.start:
        if previous.is_word:
            return True
        if previous.text in ("-", ":", "/") and index > 1:
            before = tokens[index - 2]
            if before.end == previous.start and (before.is_word or before.is_digits):
                return previous.text != "-" or before.is_word
    following = tokens[index + 1] if index + 1 < len(tokens) else None
    if following is not None and following.start == token.end and following.text in (":", "/"):
        return index + 2 < len(tokens) and tokens[index + 2].is_digits
    if following is not None and following.lower in ("a", "p") and _next_is(tokens, index + 1, "."):
        return index + 3 < len(tokens) and tokens[index + 3].lower == "m"
    return (
        following is not None
        and following.lower == "o"
        and index + 2 < len(tokens)
        and (tokens[index + 2].text in ("'", "’"))
    )


def _percent(tokens: list[_Token], index: int) -> tuple[str | None, int]:
    """A percent sign or word after a figure and the index after it."""
    if index >= len(tokens):
        return None, index
    word = tokens[index].lower
    if word in _PERCENT_WORDS:
        return _PERCENT_WORDS[word], index + 1
    if word == "per" and _next_is(tokens, index, "cent", adjacent=False):
        return "percent", index + 2
    if word == "percentage" and _next_is(tokens, index, "point", adjacent=False):
        return "percentage point", index + 2
    if word == "percentage" and _next_is(tokens, index, "points", adjacent=False):
        return "percentage point", index + 2
    return None, index


def _vague(tokens: list[_Token], index: int) -> _Number | None:
    """ "dozens", "tens of thousands", "several hundred", "a few thousand"."""
    words = [t.lower for t in tokens[index : index + 4]]
    if tuple(words[:2]) in (("tens", "of"), ("hundreds", "of")) and words[2:3] in _LARGE_PLURALS:
        unit = (10.0 if words[0] == "tens" else 100.0) * _PLURAL_SCALES[words[2]]
        return _scaled(tokens, index + 3, 2 * unit, 10 * unit, unit)
    if words and words[0] in _PLURAL_SCALES:
        unit = _PLURAL_SCALES[words[0]]
        return _scaled(tokens, index + 1, 2 * unit, 10 * unit, unit)
    for phrase, (fewest, most) in _MULTIPLIERS.items():
        after = index + len(phrase)
        if tuple(words[: len(phrase)]) == phrase and after < len(tokens):
            scale = _SCALES.get(tokens[after].lower, 12.0 if tokens[after].lower == "dozen" else 0)
            if scale and tokens[after].lower not in _ATTACHED_SCALES:
                return _scaled(tokens, after + 1, fewest * scale, most * scale, scale)
    return None


def _scaled(tokens: list[_Token], at: int, low: float, high: float, scale: float) -> _Number:
    """A vague figure, multiplied by a larger scale word after it ("several hundred thousand")."""
    if at < len(tokens) and tokens[at].lower in ("thousand", "million", "billion"):
        factor = _SCALES[tokens[at].lower]
        low, high, scale, at = low * factor, high * factor, scale * factor, at + 1
    percent, at = _percent(tokens, at)
    return _Number(low, high, at, scale, percent)


def _number_words(tokens: list[_Token], index: int) -> _Number | None:
    """ "forty-five", "two million", "a dozen", "half a million", "one hundred and twenty"."""
    first = tokens[index].lower
    if first in ("a", "an", "half"):
        return _article_number(tokens, index)
    total = current = 0.0
    scale = 1.0
    at = index
    last = None  # index of the last number word read
    while at < len(tokens):
        word = tokens[at].lower
        if word in _ONES or word in _TENS:
            current += _ONES.get(word, 0) + _TENS.get(word, 0)
        elif word in _SCALES and word not in _ATTACHED_SCALES and last is not None:
            scale = _SCALES[word]
            if word == "hundred":
                current = max(current, 1) * 100
            else:
                total, current = total + max(current, 1) * scale, 0.0
        elif word == "dozen" and last is not None:
            current, scale = max(current, 1) * 12, 12.0
        elif not (word in ("-", "and") and last is not None and _number_word_follows(tokens, at)):
            break
        if word not in ("-", "and"):
            last = at
        at += 1
    if last is None or _pronoun_one(tokens, index, last) or _fraction_follows(tokens, last):
        return None
    value = total + current
    percent, end = _percent(tokens, last + 1)
    return _Number(value, value, end, scale, percent)


def _number_word_follows(tokens: list[_Token], index: int) -> bool:
    """Whether a hyphen or "and" at ``index`` joins two number words ("forty-five")."""
    if index + 1 >= len(tokens):
        return False
    word = tokens[index + 1].lower
    if tokens[index].text == "-":
        return word in _ONES and tokens[index - 1].end == tokens[index].start
    return (word in _ONES or word in _TENS) and tokens[index - 1].lower in _SCALES


def _pronoun_one(tokens: list[_Token], index: int, last: int) -> bool:
    """ "one" as a pronoun: "no one", "one of the", "one another"."""
    if index != last or tokens[index].lower != "one":
        return False
    before = tokens[index - 1].lower if index > 0 else ""
    after = tokens[index + 1].lower if index + 1 < len(tokens) else ""
    return before in _ONE_PRONOUN_BEFORE or after in _ONE_PRONOUN_AFTER


def _fraction_follows(tokens: list[_Token], last: int) -> bool:
    """ "one-third", "two thirds": fractions are not counts."""
    at = last + 1
    if at < len(tokens) and tokens[at].text == "-":
        at += 1
    return at < len(tokens) and tokens[at].lower in _FRACTIONS


def _article_number(tokens: list[_Token], index: int) -> _Number | None:
    """ "a dozen", "a million", "half a million", "a hundred thousand"."""
    value, at = 1.0, index
    if tokens[index].lower == "half":
        if not _next_is(tokens, index, "a", adjacent=False):
            return None
        value, at = 0.5, index + 1
    at += 1
    if at >= len(tokens):
        return None
    word = tokens[at].lower
    if word == "dozen":
        scale = 12.0
    elif word in _SCALES and word not in _ATTACHED_SCALES:
        scale = _SCALES[word]
    else:
        return None
    at += 1
    if word == "hundred" and at < len(tokens) and tokens[at].lower in _SCALES:
        scale, at = scale * _SCALES[tokens[at].lower], at + 1
    percent, end = _percent(tokens, at)
    return _Number(value * scale, value * scale, end, scale, percent)


def _range(tokens: list[_Token], first: _Number, between: bool, start: int) -> _Number | None:
    """ "10-20", "10 to 20", "between 10 and 20": one interval; "from 10 to 20" is not one."""
    at = first.end
    if at + 1 >= len(tokens):
        return None
    joiner = tokens[at].lower
    if joiner == "and" and not between:
        return None
    if joiner == "to" and start > 0 and tokens[start - 1].lower == "from":
        return None
    if joiner not in ("-", "–", "to", "and"):
        return None
    currency, after = _currency(tokens, at + 1)
    second = _number(tokens, after, currency is not None)
    if second is None:
        return None
    low = first.low
    if first.scale == 1.0 and second.scale > 1.0 and low * second.scale <= second.low:
        low *= second.scale  # "between 2 and 3 million", "$2-3 billion"
    if second.high < low:
        return None
    return _Number(low, second.high, second.end, second.scale, second.percent or first.percent)


# -- what is counted


def _head(tokens: list[_Token], index: int, number: _Number) -> str | None:
    """The singular head noun of what a figure counts, or None when nothing is named."""
    at = index
    if at < len(tokens) and tokens[at].lower == "of" and number.scale > 1.0:
        at += 1  # "dozens of", "two million of the"
        while at < len(tokens) and tokens[at].lower in ("the", "these", "those", "its", "their"):
            at += 1
    chunk, at = _chunk(tokens, at)
    head = _head_in(chunk, number.low == number.high == 1)
    if head is None or head in _GENERIC_HEADS:
        casualty = _casualty(chunk, tokens, at)
        head = casualty or head
    return head


def _chunk(tokens: list[_Token], at: int) -> tuple[list[_Token], int]:
    """The words after a figure up to a function word, a figure or punctuation."""
    chunk: list[_Token] = []
    while at < len(tokens) and len(chunk) < MAX_HEAD_WORDS:
        token = tokens[at]
        if token.is_word and token.lower not in _STOP:
            chunk.append(token)
        elif not (
            token.text == "-"
            and at + 1 < len(tokens)
            and tokens[at - 1].end == token.start == tokens[at + 1].start - 1
        ):
            break
        at += 1
    return chunk, at


def _head_in(chunk: list[_Token], single: bool) -> str | None:
    """The first measure or plural noun of the chunk ("Russian companies" -> "company")."""
    for index, token in enumerate(chunk):
        if token.lower in _FRACTIONS:
            return None
        if token.lower in _MEASURES:
            return _MEASURES[token.lower]
        if token.lower in ("degree", "degrees"):
            scale = chunk[index + 1].lower if index + 1 < len(chunk) else ""
            return _SCALES_OF_DEGREES.get(scale, "degree")
        if _plural(token.text):
            return _singular(token.lower)
    if single and chunk and chunk[-1].text.islower():
        return _singular(chunk[-1].lower)
    return None


def _casualty(chunk: list[_Token], tokens: list[_Token], at: int) -> str | None:
    """ "13,000 killed", "two million have been displaced", "displaced people"."""
    for token in chunk:
        if token.lower in _CASUALTIES:
            return _CASUALTIES[token.lower]
    while at < len(tokens) and tokens[at].lower in _AUXILIARIES:
        at += 1
    if at < len(tokens):
        return _CASUALTIES.get(tokens[at].lower)
    return None


def _plural(word: str) -> bool:
    """Whether a word looks like a plural noun (acronyms such as "US" do not)."""
    lower = word.lower()
    if lower in _IRREGULAR_PLURALS:
        return True
    if word.isupper() or lower in _NOT_PLURAL or len(lower) < 3:
        return False
    return lower.endswith("s") and not lower.endswith(("ss", "us", "is", "ous"))


def _singular(lower: str) -> str:
    """ "companies" -> "company", "troops" -> "troop", "people" -> "person"."""
    if lower in _IRREGULAR_SINGULARS:
        return _IRREGULAR_SINGULARS[lower]
    if lower.endswith("ies") and len(lower) > 4:
        return lower[:-3] + "y"
    if lower.endswith(("ches", "shes", "sses", "xes", "zes")):
        return lower[:-2]
    if lower.endswith("s") and not lower.endswith("ss"):
        return lower[:-1]
    return lower


# -- comparison

#: Measures with a common base: unit -> (base unit, factor to it, offset added after).
CONVERSIONS: dict[str, tuple[str, float, float]] = {
    "mile": ("meter", 1609.344, 0.0),
    "kilometer": ("meter", 1000.0, 0.0),
    "meter": ("meter", 1.0, 0.0),
    "foot": ("meter", 0.3048, 0.0),
    "inch": ("meter", 0.0254, 0.0),
    "centimeter": ("meter", 0.01, 0.0),
    "millimeter": ("meter", 0.001, 0.0),
    "kilogram": ("kilogram", 1.0, 0.0),
    "pound": ("kilogram", 0.45359237, 0.0),  # only ever met against a mass (see in_base_unit)
    "ton": ("kilogram", 1000.0, 0.0),
    "degree celsius": ("degree celsius", 1.0, 0.0),
    "degree fahrenheit": ("degree celsius", 5 / 9, -160 / 9),
}


def in_base_unit(a: Quantity, b: Quantity) -> tuple[Quantity, Quantity] | None:
    """Two figures of different units of one measure, both in its base unit ("5 miles" and
    "8 km" in metres); None when the units are the same, unknown or of different measures
    (a "pound" is converted only against a mass: it may be money)."""
    if a.unit == b.unit or a.unit not in CONVERSIONS or b.unit not in CONVERSIONS:
        return None
    base_a, base_b = CONVERSIONS[a.unit], CONVERSIONS[b.unit]
    if base_a[0] != base_b[0]:
        return None
    return _converted(a, base_a), _converted(b, base_b)


def _converted(q: Quantity, base: tuple[str, float, float]) -> Quantity:
    unit, factor, offset = base
    return Quantity(q.start, q.end, q.text, q.low * factor + offset, q.high * factor + offset,
                    unit)  # fmt: skip


def _rounding_points(x: float, y: float) -> float:
    """How far apart two exact shares may be and still be one share rounded: a point for
    whole percents (45% / 46%), a tenth when either has decimals (3.9% / 4.0%). A share
    is written to the precision of its source, not rounded by a tenth of its value:
    3.9% and 4.2% are two unemployment rates."""
    whole = float(x).is_integer() and float(y).is_integer()
    return (1.0 if whole else 0.1) + 1e-9


def conflicting(a: Quantity, b: Quantity, tolerance: float = 0.1) -> bool:
    """Whether two figures count the same thing with values no rounding reconciles.

    Both need the same unit (None never conflicts). Intervals that overlap agree; apart,
    they conflict only when the gap between the lower interval's top and the upper one's
    bottom exceeds ``tolerance`` of the latter: 300/320 agree (6%), 80/90 conflict (11%),
    "about 350" ([315, 385]) agrees with 300, "more than 90,000" agrees with "tens of
    thousands" ([20,000, 100,000]), "at least 13,000" agrees with 12,000 (a bound is
    rounded too) but not with "fewer than 10,000"; a lower bound admits any larger figure.
    Two exact shares conflict beyond their rounding (`_rounding_points`).
    """
    if a.unit is None or a.unit != b.unit:
        return False
    if a.unit == "percent" and a.low == a.high and b.low == b.high:
        return abs(a.low - b.low) > _rounding_points(a.low, b.low)
    lower, upper = (a, b) if a.low <= b.low else (b, a)
    if lower.high >= upper.low:
        return False
    return lower.high < upper.low * (1 - tolerance)
