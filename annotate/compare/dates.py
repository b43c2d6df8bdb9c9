"""Time references in one claim, normalised so two outlets' dates can be compared.

A judge asks "do these two claims put the same event at incompatible times?". That needs
every time reference read into a comparable value, and a cautious answer when the values
cannot be compared (a "yesterday" with no publication date is unknown, not different).

Handled (``kind`` / ``value``):

* **weekday** (``"thursday"``): "on Thursday", "late Thursday", "this Thursday morning",
  "last Monday", "next Friday". The text keeps the modifiers that place it in a week
  ("this", "last", "late") and a part of day, never the preposition "on". The value
  ignores the week: "last Thursday" and "this Thursday" differ only once resolved.
* **day** (``"2022-02-24"``, or ``"--02-24"`` with no year): "February 24, 2022",
  "24 February 2022", "Feb. 24", "24th of February", ISO "2022-02-24".
* **month** (``"2022-02"``, or ``"--12"`` with no year): "February 2022", "in December".
  "May" and "March" count only after a preposition ("in May"), being also words.
* **year** (``"2014"``): 1900-2100 standing alone: "in 2014", "the 2015 landmark Iran deal",
  "mid-2014". A four-digit number that counts something ("2000 troops", "about 2000",
  "2000 percent") is left to the quantities module; after a word that introduces years
  ("in", "the", "since") it stays a year even before a plural noun ("the 2022 elections",
  at the price of misreading "in 2000 cases").
* **relative** (signed offset and unit: ``"-1d"``, ``"0w"``, ``"+1y"``, ``"-2w"``):
  "yesterday", "today", "tomorrow", "tonight", "last night", "this morning",
  "the day before yesterday", "last/this/next week|month|year" (also "earlier this week";
  not "the last week", which is a span of seven days),
  "two weeks ago", "a year ago", "3 days ago".

With a ``base`` (the document's publication date) relative forms are resolved:
``resolved`` holds the ISO value at the mention's own granularity ("2022-02-23",
"2022-W07", "2022-01", "2021") and ``day`` the calendar day when the granularity is a day.
A bare weekday resolves to the latest such day on or before ``base`` (news reports the
past), or the next one on or after it when the claim speaks of the future ("will",
"is due to", ...); "last"/"next" step strictly back/forward, "this" stays in base's
ISO week. A day or month without a year takes the year that puts it nearest ``base``.

Deliberately not handled: clock times ("5 p.m."), numeric day/month forms ("24/02/2022"
is ambiguous between orders), decades ("the 1990s"), seasons, vague spans ("in recent
weeks", "over the past week", "days ago"), intervals as such ("from 2014 to 2022" gives
two years), and the habitual plural ("on Thursdays").
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator
from dataclasses import dataclass

__all__ = ["DateMention", "conflicting_dates", "dates"]


def _words(text: str) -> frozenset[str]:
    """A word list written as one string (easier to read and extend than a set literal)."""
    return frozenset(text.split())


WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_MONTH_NUMBERS = {
    name: number
    for number, names in enumerate(
        (
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sept", "sep"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}
_FULL_MONTH = (
    "January|February|March|April|May|June|July|August|September|October|November|December"
)
_ABBR_MONTH = r"(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)\.?"
#: A month name, capitalised as in prose (lower-case "may" and "march" are other words).
_MONTH = rf"(?:{_FULL_MONTH}|{_ABBR_MONTH})(?![A-Za-z])"
_ORDINAL = r"(?:st|nd|rd|th)?\b"
_YEAR_DIGITS = r"(?:19\d\d|20\d\d|2100)"

_ISO = re.compile(r"\b(?P<y>\d{4})-(?P<m>\d\d)-(?P<d>\d\d)\b")
_MONTH_DAY = re.compile(
    rf"\b(?P<mon>{_MONTH})\s*(?P<d>\d{{1,2}}){_ORDINAL}(?:,?\s+(?P<y>{_YEAR_DIGITS})\b)?"
)
_DAY_MONTH = re.compile(
    rf"\b(?P<d>\d{{1,2}}){_ORDINAL}\s+(?:of\s+)?(?P<mon>{_MONTH})(?:,?\s+(?P<y>{_YEAR_DIGITS})\b)?"
)
_MONTH_YEAR = re.compile(rf"\b(?P<mon>{_MONTH}),?\s+(?P<y>{_YEAR_DIGITS})\b")
_MONTH_ALONE = re.compile(rf"\b(?P<mon>{_FULL_MONTH})\b")
_WEEKDAY = re.compile(
    r"(?:\b(?P<mod>(?i:last|next|this|early|late|earlier|later))\s+)?"
    r"\b(?P<wd>Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b"
    r"(?:\s+(?i:morning|afternoon|evening|night)\b)?"
)
_RELATIVE_DAY = re.compile(
    r"(?i)\b(?:the\s+day\s+before\s+yesterday|the\s+day\s+after\s+tomorrow|yesterday|today"
    r"|tomorrow|tonight|last\s+night|this\s+(?:morning|afternoon|evening))\b"
)
_RELATIVE_DAY_OFFSETS = {
    "the day before yesterday": -2,
    "the day after tomorrow": 2,
    "yesterday": -1,
    "today": 0,
    "tomorrow": 1,
    "tonight": 0,
    "last night": -1,
    "this morning": 0,
    "this afternoon": 0,
    "this evening": 0,
}
_RELATIVE_PERIOD = re.compile(
    r"(?i)\b(?:(?:earlier|later|late|early)\s+)?(?P<rel>last|this|next)\s+(?P<unit>week|month|year)\b"
)
_SMALL_NUMBER_WORDS = "zero one two three four five six seven eight nine ten eleven twelve"
_SMALL_NUMBERS = {word: number for number, word in enumerate(_SMALL_NUMBER_WORDS.split())} | {
    "a": 1,
    "an": 1,
}
_AGO = re.compile(
    rf"(?i)\b(?P<n>\d{{1,3}}|{'|'.join(_SMALL_NUMBERS)})\s+(?P<unit>day|week|month|year)s?\s+ago\b"
)
_YEAR = re.compile(rf"\b{_YEAR_DIGITS}\b")
_WORD = re.compile(r"[A-Za-z]+")
_FUTURE = re.compile(
    r"(?i)\b(?:will|shall|won['’]t|\w+['’]ll|(?:is|are)\s+(?:due|expected|scheduled|set|slated)"
    r"\s+to|plans?\s+to|planned\s+for|to\s+be\s+held)\b"
)
#: Words before a four-digit number that make it a count, not a year ("about 2000").
_COUNT_BEFORE = _words(
    "about around some over nearly almost roughly approximately than least to many only "
    "just estimated additional another extra"
)
#: Words after a four-digit number that make it a count ("2000 percent").
_COUNT_AFTER = _words("percent per pct hundred thousand million billion trillion bn mln dozen")
#: Words before a four-digit number that make it a year even before a plural noun
#: ("the 2022 elections", "since 2014 talks").
_YEAR_BEFORE = _words(
    "the in since by until till from during before after through throughout early late mid "
    "spring summer autumn fall winter fiscal year its their his her"
)
#: "mid-2014", "pre-2014": hyphenated prefixes a year may carry.
_YEAR_PREFIXES = frozenset({"mid", "pre", "post", "early", "late"})
_UNIT_LETTER = {"day": "d", "week": "w", "month": "m", "year": "y"}


@dataclass(frozen=True)
class DateMention:
    """One time reference: where it is, what it says, and (given a base) when it is.

    ``kind`` is "weekday", "day", "month", "year" or "relative"; ``value`` is the
    normalised reading independent of any base (see the module docstring);
    ``resolved`` the ISO value at the mention's granularity once placed against the base
    (absolute mentions resolve to themselves when complete); ``day`` the calendar day when
    that granularity is a day.
    """

    start: int
    end: int
    text: str
    kind: str
    value: str
    day: datetime.date | None = None
    resolved: str | None = None


@dataclass(frozen=True)
class _Found:
    """A candidate span before overlaps are settled and the base is applied."""

    start: int
    end: int
    kind: str
    value: str


def dates(claim: str, base: datetime.date | None = None) -> list[DateMention]:
    """Every time reference in ``claim``, in order; relative ones resolved against ``base``.

    Where two readings overlap the longer wins ("February 24, 2022" is one day, not a day
    and a year).
    """
    found = sorted(_candidates(claim), key=lambda f: (f.start, f.start - f.end))
    kept: list[_Found] = []
    for candidate in found:
        if kept and candidate.start < kept[-1].end:
            continue
        kept.append(candidate)
    future = bool(_FUTURE.search(claim))
    return [_mention(claim, f, base, future) for f in kept]


def _candidates(claim: str) -> Iterator[_Found]:
    yield from _iso_days(claim)
    yield from _named_days(claim)
    yield from _months(claim)
    yield from _weekdays(claim)
    yield from _relatives(claim)
    yield from _years(claim)


def _iso_days(claim: str) -> Iterator[_Found]:
    for m in _ISO.finditer(claim):
        day = _date(int(m["y"]), int(m["m"]), int(m["d"]))
        if day is not None:
            yield _Found(m.start(), m.end(), "day", day.isoformat())


def _named_days(claim: str) -> Iterator[_Found]:
    """ "February 24, 2022", "24 February", "Feb. 24": a day, with or without its year."""
    for pattern in (_MONTH_DAY, _DAY_MONTH):
        for m in pattern.finditer(claim):
            month = _month_number(m["mon"])
            day_of_month = int(m["d"])
            if m["y"]:
                day = _date(int(m["y"]), month, day_of_month)
                if day is not None:
                    yield _Found(m.start(), m.end(), "day", day.isoformat())
            elif _date(2000, month, day_of_month) is not None:  # a leap year admits Feb 29
                yield _Found(m.start(), m.end(), "day", f"--{month:02d}-{day_of_month:02d}")


def _months(claim: str) -> Iterator[_Found]:
    for m in _MONTH_YEAR.finditer(claim):
        yield _Found(m.start(), m.end(), "month", f"{m['y']}-{_month_number(m['mon']):02d}")
    for m in _MONTH_ALONE.finditer(claim):
        if m["mon"] in ("May", "March") and not _after_time_preposition(claim, m.start()):
            continue
        yield _Found(m.start(), m.end(), "month", f"--{_month_number(m['mon']):02d}")


def _after_time_preposition(claim: str, start: int) -> bool:
    """Whether the word before ``start`` makes a following "May"/"March" a month."""
    before = claim[:start].rstrip()
    if before.endswith("-"):  # "mid-May"
        before = before[:-1]
    words = _WORD.findall(before[-20:])
    return bool(words) and words[-1].lower() in _YEAR_BEFORE | {"on", "of", "last", "next", "this"}


def _weekdays(claim: str) -> Iterator[_Found]:
    for m in _WEEKDAY.finditer(claim):
        modifier = (m["mod"] or "").lower()
        start = m.start() if modifier else m.start("wd")
        yield _Found(start, m.end(), "weekday", m["wd"].lower())


def _relatives(claim: str) -> Iterator[_Found]:
    for m in _RELATIVE_DAY.finditer(claim):
        offset = _RELATIVE_DAY_OFFSETS[" ".join(m.group().lower().split())]
        yield _Found(m.start(), m.end(), "relative", f"{offset:+d}d".replace("+0", "0"))
    for m in _RELATIVE_PERIOD.finditer(claim):
        if re.search(r"(?i)\b(?:the|past)\s+$", claim[: m.start()]):
            continue  # "over the last week": the past seven days, not the previous week
        offset = {"last": -1, "this": 0, "next": 1}[m["rel"].lower()]
        unit = _UNIT_LETTER[m["unit"].lower()]
        yield _Found(m.start(), m.end(), "relative", f"{offset:+d}{unit}".replace("+0", "0"))
    for m in _AGO.finditer(claim):
        count = m["n"].lower()
        number = int(count) if count.isdigit() else _SMALL_NUMBERS[count]
        unit = _UNIT_LETTER[m["unit"].lower()]
        yield _Found(m.start(), m.end(), "relative", f"{-number:+d}{unit}")


def _years(claim: str) -> Iterator[_Found]:
    for m in _YEAR.finditer(claim):
        if _is_year(claim, m.start(), m.end()):
            yield _Found(m.start(), m.end(), "year", m.group())


def _is_year(claim: str, start: int, end: int) -> bool:
    """Whether a four-digit number in 1900-2100 names a year rather than counting something.

    News style writes counts of a thousand and more with a separator ("2,000 troops"), so
    a bare four-digit number is taken as a year unless its neighbours say it counts.
    """
    before, after = claim[:start], claim[end:]
    if before[-1:] in ("$", "€", "£", "/", ".", ",") or re.match(r"[.,:/]\d|\s*%", after):
        return False
    if before.endswith("-"):
        prefix = _WORD.findall(before[-8:-1])
        year_range = re.search(r"\b\d{4}-$", before)
        if not (year_range or (prefix and prefix[-1].lower() in _YEAR_PREFIXES)):
            return False
    previous = _WORD.findall(before[-30:])
    following = _WORD.match(after.lstrip())
    word_before = previous[-1].lower() if previous else ""
    word_after = following.group() if following else ""
    if word_before in _COUNT_BEFORE or word_after.lower() in _COUNT_AFTER:
        return False
    if _looks_plural(word_after) and word_before not in _YEAR_BEFORE:
        return before.rstrip().endswith(tuple(_FULL_MONTH.split("|")))
    return True


def _looks_plural(word: str) -> bool:
    """A lower-case word ending in a plural -s ("troops", "cases"; not "news", "gas")."""
    return (
        word.islower()
        and len(word) > 3
        and word.endswith("s")
        and not word.endswith(("ss", "us", "is", "news"))
    ) or word in ("people", "personnel", "children", "men", "women", "police")


def _month_number(name: str) -> int:
    return _MONTH_NUMBERS[name.rstrip(".").lower()]


def _date(year: int, month: int, day: int) -> datetime.date | None:
    try:
        return datetime.date(year, month, day)
    except ValueError:
        return None


# -- resolution against a base date


def _mention(claim: str, found: _Found, base: datetime.date | None, future: bool) -> DateMention:
    day, resolved = _resolve(claim[found.start : found.end], found, base, future)
    return DateMention(
        found.start, found.end, claim[found.start : found.end], found.kind, found.value, day,
        resolved,
    )  # fmt: skip


def _resolve(
    text: str, found: _Found, base: datetime.date | None, future: bool
) -> tuple[datetime.date | None, str | None]:
    """(day, resolved) for one mention; absolute complete values need no base."""
    value = found.value
    if found.kind == "year" or (found.kind == "month" and not value.startswith("--")):
        return None, value
    if found.kind == "day" and not value.startswith("--"):
        return datetime.date.fromisoformat(value), value
    if base is None:
        return None, None
    if found.kind == "weekday":
        weekday = _resolve_weekday(text.split()[0].lower(), WEEKDAYS.index(value), base, future)
        return weekday, weekday.isoformat()
    if found.kind == "day":
        day = _nearest_year(base, int(value[2:4]), int(value[5:7]))
        return day, day.isoformat() if day else None
    if found.kind == "month":
        mid_month = _nearest_year(base, int(value[2:4]), 15)
        return None, mid_month.isoformat()[:7] if mid_month else None
    return _resolve_relative(value, base)


def _resolve_weekday(
    modifier: str, weekday: int, base: datetime.date, future: bool
) -> datetime.date:
    """The day a weekday names as seen from ``base`` (see the module docstring)."""
    back = (base.weekday() - weekday) % 7
    forward = (weekday - base.weekday()) % 7
    if modifier == "last":
        return base - datetime.timedelta(days=back or 7)
    if modifier == "next":
        return base + datetime.timedelta(days=forward or 7)
    if modifier == "this":
        return base + datetime.timedelta(days=weekday - base.weekday())
    return (
        base + datetime.timedelta(days=forward) if future else base - datetime.timedelta(days=back)
    )


def _nearest_year(base: datetime.date, month: int, day: int) -> datetime.date | None:
    """The (month, day) in the year before, of or after ``base`` nearest to it."""
    options = [_date(base.year + delta, month, day) for delta in (-1, 0, 1)]
    valid = [d for d in options if d is not None]
    return min(valid, key=lambda d: abs((d - base).days)) if valid else None


def _resolve_relative(value: str, base: datetime.date) -> tuple[datetime.date | None, str | None]:
    offset, unit = int(value[:-1]), value[-1]
    if unit == "d":
        day = base + datetime.timedelta(days=offset)
        return day, day.isoformat()
    if unit == "w":
        year, week, _ = (base + datetime.timedelta(weeks=offset)).isocalendar()
        return None, f"{year}-W{week:02d}"
    if unit == "m":
        months = base.year * 12 + base.month - 1 + offset
        return None, f"{months // 12:04d}-{months % 12 + 1:02d}"
    return None, f"{base.year + offset:04d}"


# -- comparison


def conflicting_dates(a: DateMention, b: DateMention) -> bool:
    """Whether two mentions cannot denote the same time.

    Each mention is read into the facets it fixes (year, month, month of year, day of
    month, ISO week, weekday, day); the two conflict when some facet both fix differs.
    So "Thursday"/"Wednesday", 2014/2015 and two different resolved days conflict, and so
    does a finer mention against a coarser one it cannot fall in ("February 24, 2022" /
    "in 2014"); a full date also fixes its weekday, so "on Wednesday" conflicts with
    "February 24, 2022" (a Thursday). An unresolved relative mention fixes nothing: with
    no base, "yesterday" conflicts with nothing.
    """
    facets_a, facets_b = _facets(a), _facets(b)
    return any(facets_a[key] != facets_b[key] for key in facets_a.keys() & facets_b.keys())


def _facets(mention: DateMention) -> dict[str, object]:
    """What a mention fixes about the time it denotes, facet by facet."""
    if mention.day is not None:
        day = mention.day
        year, week, _ = day.isocalendar()
        return {
            "year": day.year,
            "month": (day.year, day.month),
            "month_of_year": day.month,
            "day_of_month": (day.month, day.day),
            "week": (year, week),
            "weekday": WEEKDAYS[day.weekday()],
            "day": day,
        }
    value = mention.resolved or mention.value
    if mention.kind == "weekday":
        return {"weekday": mention.value}
    if re.fullmatch(r"\d{4}", value):
        return {"year": int(value)}
    if re.fullmatch(r"\d{4}-\d\d", value):
        return {"year": int(value[:4]), "month": (int(value[:4]), int(value[5:])),
                "month_of_year": int(value[5:])}  # fmt: skip
    if re.fullmatch(r"\d{4}-W\d\d", value):
        return {"week": (int(value[:4]), int(value[6:]))}
    if re.fullmatch(r"--\d\d-\d\d", value):
        return {"month_of_year": int(value[2:4]), "day_of_month": (int(value[2:4]), int(value[5:]))}
    if re.fullmatch(r"--\d\d", value):
        return {"month_of_year": int(value[2:])}
    return {}
