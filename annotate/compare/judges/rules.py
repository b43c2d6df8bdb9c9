"""The offline judge: rules a reader can check, over features read once per claim.

Following de Marneffe et al. (2008), it first decides whether two claims are
about the same thing, and only then looks for what makes them incompatible:

1. **About the same thing?** Their content words (stop words and figures
   left out, crude stems) overlap enough, or their TF-IDF similarity is high.
   Two claims about different subjects are never a contradiction because their
   numbers or dates differ: they are unrelated.
2. **A contradiction, and on which detail?** In this order:
   * *number*: both count the same thing (the same unit, "80 companies" /
     "90 companies") with values that cannot be reconciled allowing rounding,
     ranges and bounds ("more than 90,000" / "tens of thousands" agree);
   * *date*: the same event on incompatible days or years;
   * *actor*: the same role filled by different actors, active or passive
     ("the talks were requested by Paris" / "Berlin asked for the talks");
   * *polarity*: one asserts what the other negates, the rest being the same;
   * *place*: the same event in different places ("in Vienna" / "in Geneva").
   A later figure with a later date is an update, not a contradiction.
3. **Same or elaborates?** Much overlap is the same fact; one claim holding
   most of the other's words and many more of its own elaborates it.

The differing values it reports are the claims' own words (figures, dates,
names, the negation cue), so they always ground.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from functools import cache, cached_property
from pathlib import Path
from typing import Any

from annotate.schemas import OUTLET, DifferingValues, Verdict

from ..claims import ComparedClaim
from ..dates import DateMention, conflicting_dates, dates
from ..polarity import cues, negated
from ..quantities import _MAY_COUNT, Quantity, conflicting, in_base_unit, quantities
from ..scope import (
    DISTINGUISHERS,
    Measure,
    claim_names,
    clause,
    complement,
    measures,
    subjects,
    why_different,
    wide,
    within_change,
)
from ..text import (
    NUMBER_WORDS,
    STOP_WORDS,
    attribution_start,
    content_words,
    stem,
    without_attribution,
    words_of,
)
from .base import JudgeUsage, Pair

NAME = "rules"
MODEL_NAME = "rule-based-judge"
#: Overlap (shared content words / the shorter claim's) from which two claims share a topic.
TOPIC_OVERLAP = 0.5
#: ... or with a shared actor, this much.
TOPIC_OVERLAP_WITH_ACTOR = 0.34
#: Jaccard of content words from which two claims state the same fact.
SAME_JACCARD = 0.45
#: TF-IDF cosine from which two claims on one topic state the same fact.
SAME_SIMILARITY = 0.5
#: Share of the shorter claim's words the longer must hold to elaborate it.
ELABORATES_OVERLAP = 0.75
#: The longer claim has this many times the content words of the shorter: it elaborates.
ELABORATES_RATIO = 1.5
#: Two outlets' wordings of one fact share few words. A mutual best match (each claim is
#: the other's most similar in the other's document) from the same speaker (or the
#: outlets' own voice) naming a common actor is the same fact with this much in common:
MUTUAL_SIMILARITY = 0.25
MUTUAL_SHARED_WORDS = 3
MUTUAL_OVERLAP = 0.3

#: Jaccard of the words besides the differing values from which a date or place
#: contradiction is one event told twice (less: the claims report different events).
REST_ALIKE = 0.6
#: ... and a role contradiction (its claims word the role in their own ways: "requested
#: the talks" / "the talks were sought by").
ROLE_REST_ALIKE = 0.4
#: How far apart two figures in different units may be and still be one (rounded) figure.
CONVERSION_SLACK = 0.1
#: Verbs that fill one role ("asked for" the talks = "requested" them), by crude stem.
ROLE_VERBS: tuple[frozenset[str], ...] = tuple(
    frozenset(group.split())
    for group in (
        "request ask sought seek call demand",
        "initiat start launch began begin",
        "propos suggest offer",
        "sign conclud",
        "organiz organis host arrang",
        "attack strik shell bomb",
        "kill die",
        "mediat",
        "introduc sponsor",
        "carri conduct",
        "announc declar",
        "order command",
    )
)
#: Every root of `ROLE_VERBS` (a claim with none of them fills no role).
_ROLE_ROOTS = tuple(root for group in ROLE_VERBS for root in group)
#: Kinds of event: two claims naming events of different kinds (a phone call, a
#: meeting) report different events, however alike their words.
EVENT_KINDS: tuple[frozenset[str], ...] = tuple(
    frozenset(group.split())
    for group in (
        "call phone telephone",
        "meet meeting met summit visit",
        "interview",
        "conference briefing",
        "speech address",
        "election vote referendum",
    )
)
_NAME = r"[A-Z][\w'’.-]*(?:\s+[A-Z][\w'’.-]*){0,3}"
#: One name or several ("Germany and Ghana", "Paris, Berlin and Rome"), after an optional "the".
_CAPITALISED = rf"(?:the\s+)?({_NAME}(?:(?:\s*,\s*|\s+and\s+){_NAME})*)"
_AND = re.compile(r"\s*,\s*|\s+and\s+")
_PASSIVE_AGENT = re.compile(
    r"\b(?:was|were|is|are|has been|have been|had been)\s+(\w+)\s+(?:for\s+|out\s+)?by\s+"
    + _CAPITALISED
)
_ACTIVE_AGENT = re.compile(_CAPITALISED + r"\s+(\w+ed|asked|sought|began|made|called)\b")
_PLACE = re.compile(r"\b(?:in|at)\s+([A-Z][a-z]+(?:\s+[A-Z][a-z]+)?)")
_NOT_PLACES = frozenset(
    "january february march april may june july august september october november december "  # noqa: SIM905
    "monday tuesday wednesday thursday friday saturday sunday".split()
)
_WORD = re.compile(r"[^\W\d_][\w'’-]*")
#: Words of dates (months, weekdays, periods, relative days), as content words.
_DATE_VOCABULARY = frozenset(
    content_words(
        "january february march april june july august september october november december "
        "jan feb mar apr jun jul aug sept sep oct nov dec monday tuesday wednesday thursday "
        "friday saturday sunday today tonight yesterday tomorrow week weeks month months "
        "year years weekend decade ago"
    )
)  # fmt: skip
#: Words that make a date of the word after them ("last month", "next Tuesday").
_RELATIVE_WORDS = frozenset(content_words("last next past coming"))
_RELATIVE = re.compile(
    r"\b(last|next|past|coming)\s+(?=(?:week|month|year|weekend|decade|monday|tuesday"
    r"|wednesday|thursday|friday|saturday|sunday|january|february|march|april|may|june|july"
    r"|august|september|october|november|december)s?\b)",
    re.I,
)
#: A definite noun phrase: a determiner or possessive and up to three words after it.
_DEFINITE = re.compile(
    r"(?:\b(?:the|its|their|his|her|this)|['’]s)\s+((?:[a-z][\w-]*\s*){1,3})", re.I
)


@dataclass(frozen=True, slots=True)
class Role:
    """Who did what in a claim: a role verb's group and the actors who filled it."""

    verbs: int
    agents: frozenset[str]
    text: str


class Features:
    """What the rules read of one claim, each part read once and only when a pair needs it.

    Most candidate pairs are settled by their words alone (they share no topic), so
    the figures, dates, negation, roles and places are read lazily.
    """

    def __init__(self, claim: ComparedClaim, agent_key: Callable[[str], str]) -> None:
        self._claim = claim
        self._agent_key = agent_key
        #: content words of what is claimed, its attribution left out (see `without_attribution`)
        self.stripped = without_attribution(claim.quote)
        self.words = frozenset(content_words(self.stripped))
        #: indexes into EVENT_KINDS of the events the claim names
        self.events = frozenset(i for i, kind in enumerate(EVENT_KINDS) if kind & self.words)
        #: values and clauses already read, (kind, key) -> words
        self._read: dict[tuple[str, object], frozenset[str]] = {}

    @cached_property
    def quantities(self) -> tuple[Quantity, ...]:
        return tuple(quantities(self._claim.quote))

    @cached_property
    def subjects(self) -> dict[str, str]:
        """Actor key -> name of the names the claim is about (see `scope.subjects`)."""
        return subjects(self._claim.quote, self._agent_key, self._all_names)

    @cached_property
    def _all_names(self) -> tuple[str, ...]:
        return claim_names(self._claim.quote)

    @cached_property
    def names(self) -> dict[str, str]:
        """Actor key -> name of every name in the claim, its first word too ("Brazil
        signed ..."), its attribution left out."""
        stripped = self.stripped
        return {self._agent_key(n): n for n in self._all_names if n.strip() and n in stripped}

    @cached_property
    def may_count(self) -> bool:
        """Whether the claim may hold a figure (a cheap look before reading them)."""
        return bool(_MAY_COUNT.search(self._claim.quote))

    @cached_property
    def heads(self) -> frozenset[str]:
        """The last word of each of `names` (see `_named_in`)."""
        return frozenset(_head(name) for name in self.names.values())

    @cached_property
    def linked_words(self) -> frozenset[str]:
        """The content words, each name's words replaced by its actor key ("Montevideo"
        and "Uruguay" are one word where the registry links them)."""
        return (self.words - self._name_words) | frozenset(f"actor:{k}" for k in self.subjects)

    @cached_property
    def _name_words(self) -> frozenset[str]:
        """The content words of the names the claim is about."""
        return frozenset(w for name in self.subjects.values() for w in content_words(name))

    @cached_property
    def event_words(self) -> frozenset[str]:
        """What the claim says happened, to what: its words without attribution, names,
        dates or figures (the values two tellings of one event may differ on)."""
        named = self._name_words
        keys = {f"actor:{k}" for k, name in self.subjects.items() if name in self.stripped}
        return (self.words - self.date_words - named) | keys

    @cached_property
    def referents(self) -> frozenset[str]:
        """Words of the definite noun phrases (see `phrases`)."""
        return frozenset(w for phrase in self.phrases for w in phrase)

    @cached_property
    def phrases(self) -> tuple[frozenset[str], ...]:
        """The definite noun phrases ("the climate summit", "its new plant", "Saturday's
        rally"), each as its words, names left out: a definite phrase both claims use
        points at one thing."""
        found = []
        for match in _DEFINITE.finditer(self.stripped):
            words: set[str] = set()
            for word in match.group(1).split():
                if word.lower() in STOP_WORDS or word.lower().endswith(("ed", "ing")):
                    break
                if not word[0].isupper() and len(word) > 1 and word not in NUMBER_WORDS:
                    words.add(stem(word))
            if words:
                found.append(frozenset(words))
        return tuple(found)

    def words_of(self, value: str) -> frozenset[str]:
        """A value's words as `linked_words` holds them (names as actor keys)."""
        if not value:
            return frozenset()
        found = self._read.get(("value", value))
        if found is None:
            keys = {f"actor:{k}" for k, name in self.subjects.items() if name in value}
            found = self._read[("value", value)] = frozenset(content_words(value)) | keys
        return found

    @cached_property
    def measures(self) -> tuple[Measure, ...]:
        return measures(self._claim.quote, self.quantities, self._agent_key,
                        self._claim.outlet.published)  # fmt: skip

    @cached_property
    def changes(self) -> list[tuple[float, float]]:
        """ "from 3% to 5%": the spans of the changes the claim reports."""
        return within_change(self._claim.quote, self.quantities)

    @cached_property
    def dates(self) -> tuple[DateMention, ...]:
        return tuple(dates(self._claim.quote, self._claim.outlet.published))

    @cached_property
    def event_dates(self) -> tuple[DateMention, ...]:
        """The dates of what is claimed: not those of its attribution ("..., an official
        said Thursday" is when it was said)."""
        until = attribution_start(self._claim.quote)
        return tuple(d for d in self.dates if d.start < until)

    @cached_property
    def date_words(self) -> frozenset[str]:
        """The content words of the claim's dates ("tuesday", "march", "next", "month"),
        found by their words (`_DATE_VOCABULARY`) rather than by reading every date: what
        a claim says happened is read for most claims, its dates for few."""
        found = self.words & _DATE_VOCABULARY
        if found and self.words & _RELATIVE_WORDS:
            found |= {w for m in _RELATIVE.finditer(self.stripped) for w in content_words(m[1])}
        return found

    def clause_words(self, at: int) -> frozenset[str]:
        """The content words of the clause around character ``at`` (read once per place)."""
        found = self._read.get(("clause", at))
        if found is None:
            start, end = clause(self._claim.quote, at, at)
            found = frozenset(content_words(self._claim.quote[start:end]))
            self._read[("clause", at)] = found
        return found

    @cached_property
    def any_negation(self) -> bool:
        """Whether any negation cue is in the claim, in whatever clause."""
        return bool(cues(self._claim.quote, scoped=False))

    @cached_property
    def negated(self) -> bool:
        return negated(self._claim.quote)

    @cached_property
    def roles(self) -> tuple[Role, ...]:
        if not any(w.startswith(_ROLE_ROOTS) for w in self.words):
            return ()  # no role verb among its words: nothing to read
        return tuple(_roles(self._claim.quote, self._agent_key))

    @cached_property
    def places(self) -> tuple[tuple[str, str], ...]:
        return tuple(
            (self._agent_key(m.group(1)), m.group(1))
            for m in _PLACE.finditer(self._claim.quote)
            if m.group(1).split()[0].lower() not in _NOT_PLACES
        )


def _roles(text: str, agent_key: Callable[[str], str]) -> Iterator[Role]:
    for pattern, verb_group, agent_group in ((_PASSIVE_AGENT, 1, 2), (_ACTIVE_AGENT, 2, 1)):
        for match in pattern.finditer(text):
            verbs = _verb_group(match.group(verb_group))
            if verbs is not None:
                agents = match.group(agent_group).rstrip(".")
                names = frozenset(agent_key(name) for name in _AND.split(agents) if name)
                yield Role(verbs, names, agents)


def _verb_group(verb: str) -> int | None:
    stemmed = stem(verb)
    for index, group in enumerate(ROLE_VERBS):
        if any(stemmed.startswith(root) for root in group):
            return index
    return None


@cache
def rules_version() -> str:
    """Hash of the judge's rules and the signal readers: changes whenever they do."""
    from .. import dates as dates_module
    from .. import polarity as polarity_module
    from .. import quantities as quantities_module
    from .. import scope as scope_module

    digest = hashlib.sha256()
    for module in (__file__, dates_module.__file__, polarity_module.__file__,
                   quantities_module.__file__, scope_module.__file__):  # fmt: skip
        digest.update(Path(str(module)).read_bytes())
    return digest.hexdigest()[:12]


class RulesJudge:
    """The rules above behind the `Judge` protocol (no network, no cost)."""

    name = NAME
    cacheable = False

    def __init__(self, agent_key: Callable[[str], str] = str.lower) -> None:
        self._agent_key = agent_key
        self.usage = JudgeUsage()
        self._features: dict[int, Features] = {}

    @property
    def model_version(self) -> str:
        return f"{MODEL_NAME}-{rules_version()}"

    @property
    def cache_params(self) -> dict[str, Any]:
        return {}

    def judge_all(self, pairs: Sequence[Pair]) -> Iterator[Verdict]:
        for pair in pairs:
            yield self.judge(pair)

    def judge(self, pair: Pair) -> Verdict:
        a, b = self._of(pair.a), self._of(pair.b)
        shared = a.words & b.words
        same_actor = bool(pair.a_actors & pair.b_actors)
        if not shared and not same_actor:
            return FEW_WORDS  # most pairs: nothing in common to read further
        overlap = len(shared) / max(1, min(len(a.words), len(b.words)))
        topic = _same_topic(shared, overlap, pair.similarity, same_actor)
        # most pairs share a word or none: they are not read further (event words are
        # words of the claim or names, so two shared event words need two shared words);
        # nor are claims told in other words that hold no figures or no dates to compare
        event = topic or (
            len(shared) >= EVENT_SHARED
            and ((a.may_count and b.may_count) or bool(a.date_words and b.date_words))
            and _one_event(a, b)
        )
        if not event:
            # one event (one thing or actor named by both) whose differing place or actor
            # hides it from the test above
            slot = (
                len(shared) >= EVENT_SHARED
                and bool(a.referents & b.referents or pair.a_actors & pair.b_actors)
                and (_role_conflict(pair, a, b) or _place_conflict(pair, a, b))
            )
            return slot or _related(pair, a, b, shared, same_actor) or FEW_WORDS
        if a.events and b.events and not a.events & b.events:
            return OTHER_EVENTS
        if pair.a_actors and pair.b_actors and not same_actor:
            # about different actors: at most one role or one place, told differently
            return _role_conflict(pair, a, b) or _place_conflict(pair, a, b) or OTHER_ACTORS
        jaccard = len(shared) / max(1, len(a.words | b.words))
        lexical = jaccard >= SAME_JACCARD or pair.similarity >= SAME_SIMILARITY
        aligned = not lexical and self._aligned(pair, shared, overlap, same_actor)
        contradiction = _contradiction(pair, a, b, lexical, lexical or aligned)
        if contradiction is not None:
            return contradiction
        if lexical or aligned:
            moved = _figures_apart(a, b)
            if moved is not None:
                return moved
        if lexical and a.any_negation != b.any_negation:
            which = "A" if a.any_negation else "B"
            why = "the same fact, not a contradiction"
            return _verdict("elaborates", f"Claim {which} adds a negation about something "
                            f"else (in another clause): {why}.")  # fmt: skip
        if lexical:
            return _verdict("same", f"They state the same fact ({len(shared)} words shared).")
        longer, shorter = sorted((len(a.words), len(b.words)), reverse=True)
        if (
            overlap >= ELABORATES_OVERLAP
            and longer >= ELABORATES_RATIO * shorter
            and len(shared) >= MUTUAL_SHARED_WORDS
            and self._same_source(pair)
        ):
            which = "A" if len(a.words) > len(b.words) else "B"
            return _verdict("elaborates", f"Claim {which} states the other's fact with more.")
        if aligned:
            return _verdict("same", "Each is the other's closest claim in its outlet, from "
                            f"the same source, sharing {len(shared)} words.")  # fmt: skip
        return _related(pair, a, b, shared, same_actor) or OTHER_FACTS

    def _aligned(
        self, pair: Pair, shared: frozenset[str], overlap: float, same_actor: bool
    ) -> bool:
        """A mutual best match from one speaker, naming a common actor (see MUTUAL_*)."""
        return (
            pair.mutual
            and same_actor
            and pair.similarity >= MUTUAL_SIMILARITY
            and len(shared) >= MUTUAL_SHARED_WORDS
            and overlap >= MUTUAL_OVERLAP
            and self._same_source(pair)
        )

    def _same_source(self, pair: Pair) -> bool:
        """One speaker; or the outlet's own voice, naming the other claim's speaker
        ("Putin wants guarantees" reports what Putin says he wants)."""
        a, b = pair.a.speaker, pair.b.speaker
        if a == OUTLET and b == OUTLET:
            return True
        if a == OUTLET:
            return self._agent_key(b) in {self._agent_key(n) for n in pair.a.mentioned}
        if b == OUTLET:
            return self._agent_key(a) in {self._agent_key(n) for n in pair.b.mentioned}
        return self._agent_key(a) == self._agent_key(b)

    def _of(self, claim: ComparedClaim) -> Features:
        """The claim's features, read once: claims live as long as the comparison, so
        their identity is a cheap key (a pair's claims are looked up 2 x pairs times)."""
        found = self._features.get(id(claim))
        if found is None:
            found = self._features[id(claim)] = Features(claim, self._agent_key)
        return found


#: Days apart two outlets' reports may be and still cover one story.
STORY_DAYS = 3
#: Words (dates aside) two claims of one story share to be about one event.
RELATED_SHARED = 2
#: ... or one common word and this TF-IDF similarity (rare words weigh more than common ones).
RELATED_SIMILARITY = 0.05


def _related(
    pair: Pair, a: Features, b: Features, shared: frozenset[str], same_actor: bool
) -> Verdict | None:
    """Two claims of one story about one event that state different facts: they add to
    or qualify each other ("elaborates", issue 17), which relates them without making
    them one fact. None: not related that way.

    One story: reports both dated, within `STORY_DAYS` of each other. One event: a common actor, or
    `RELATED_SHARED` common words, or one with a TF-IDF similarity from
    `RELATED_SIMILARITY` (dates aside: "on Tuesday" alone ties no storm to a football
    game); and no dates apart where the claims tell the same thing (two events of a
    kind, or an update).
    """
    day_a, day_b = pair.a.outlet.published, pair.b.outlet.published
    if day_a is None or day_b is None or abs((day_a - day_b).days) > STORY_DAYS:
        return None  # not known to be one story (undated articles share actors across years)
    if not same_actor and len(shared) < RELATED_SHARED and pair.similarity < RELATED_SIMILARITY:
        return None  # (the test below without its dates: cheaper, and most pairs end here)
    common = shared - a.date_words - b.date_words
    if not (
        same_actor
        or len(common) >= RELATED_SHARED
        or (common and pair.similarity >= RELATED_SIMILARITY)
    ):
        return None
    told = _dated_apart(a, b, told=True) if a.date_words and b.date_words else None
    if told is not None:
        da, db = told
        said = a.clause_words(da.start) & b.clause_words(db.start)
        if said - a.words_of(da.text) - b.words_of(db.text):
            return None
    named = ", ".join(sorted(w.removeprefix("actor:") for w in common)[:4]) or "a common actor"
    return _verdict("elaborates", f"One story, one event ({named}): each adds to or "
                    "qualifies the other, not one fact.")  # fmt: skip


def _same_topic(shared: frozenset[str], overlap: float, similarity: float, actor: bool) -> bool:
    if len(shared) < 2:
        return False
    return (
        overlap >= TOPIC_OVERLAP
        or similarity >= SAME_SIMILARITY
        or (actor and overlap >= TOPIC_OVERLAP_WITH_ACTOR)
    )


def _contradiction(
    pair: Pair, a: Features, b: Features, alike: bool, aligned: bool
) -> Verdict | None:
    """What makes two claims on one topic incompatible, if anything.

    Counts of one unit and roles of one verb are compared whenever the claims
    share a topic (the unit or the verb ties them to one thing), once `scope`
    finds the two figures measure one quantity (not a part and its whole, two
    groups, two times); a date when the claims tell one event (in the same words,
    as each other's best match, or by `_one_event`); a negation or a place only
    when the claims otherwise say the same in the same words (a paraphrase's
    "exclude" is no negation of "will not").
    """
    updated = _dated_apart(a, b)
    numbers = _number_conflict(pair, a, b, updated is not None)
    if numbers is not None:
        return numbers
    role = _role_conflict(pair, a, b)
    if role is not None:
        return role
    told = _dated_apart(a, b, told=True) if updated is not None else None
    if told is not None and (aligned or _one_event(a, b)):
        return _date_conflict(pair, a, b, *told)
    if not alike:
        return None
    if a.negated != b.negated and (polarity := _polarity(pair, a.negated)) is not None:
        return polarity
    return _place_conflict(pair, a, b)


def _place_conflict(pair: Pair, a: Features, b: Features) -> Verdict | None:
    """One event in two places: each claim places it where the other never mentions, the
    clauses of the two places telling the same thing ("bloggers were arrested in Pokhara
    amid a shortage" is no event in Kandy "amid a shortage"), the rest of the claims being
    one event (`_one_event`) with nothing else apart (no other subjects, figures or dates)."""
    places_a, places_b = dict(a.places), dict(b.places)
    if not places_a or not places_b or set(places_a) & set(places_b):
        return None
    pa, pb = next(iter(places_a.values())), next(iter(places_b.values()))
    if pa in pair.b.quote or pb in pair.a.quote:
        return None
    if not (_one_event(a, b, (pa, pb), EVENT_JACCARD) or _rest_alike(a, b, (pa, pb))):
        return None
    said_a = a.clause_words(max(0, pair.a.quote.find(pa))) & a.event_words
    said_b = b.clause_words(max(0, pair.b.quote.find(pb))) & b.event_words
    if not said_a & said_b:
        return None  # what happened in one place is not what happened in the other
    others_a = [n for k, n in a.names.items() if k not in places_a and not _named_in(n, b)]
    others_b = [n for k, n in b.names.items() if k not in places_b and not _named_in(n, a)]
    if others_a and others_b:
        return None  # Italy hosts the show in Winnipeg, Nepal in Vancouver: two shows
    if (
        _other_subjects(pair, a, b, (pa, pb)) is None
        and _figures_apart(a, b) is None
        and _dated_apart(a, b) is None
    ):
        return _contradicts("place", pa, pb, f"Same fact ({_named(a, b)}), different "
                            f"places: '{pa}' / '{pb}'.")  # fmt: skip
    return None


#: Share of the shorter claim's event words (`Features.event_words`, the differing values
#: aside) the other must hold for two differently worded claims to tell one event.
EVENT_OVERLAP = 0.4
#: ... and, for a place contradiction, this share of both claims' event words together
#: ("talks on gas transit" / "a gas pipeline will receive": two of nine is two things).
EVENT_JACCARD = 0.25
#: ... and at least this many of them.
EVENT_SHARED = 2
#: `DISTINGUISHERS` as content words ("previous" is read "previou").
_DISTINGUISHING = DISTINGUISHERS | {w for word in DISTINGUISHERS for w in content_words(word)}
#: Of those, the words that number events of a kind ("the first round", "a second
#: round", "again"): not "new", "old" or "last", which describe things ("a new sheriff",
#: "for the last time").
_SEQUENCE = frozenset(
    content_words("first second third fourth fifth previous next another other earlier later "
                  "initial final again")
)  # fmt: skip
#: Nouns that name an event: a definite one both claims name is what happened.
EVENT_NOUNS = frozenset(
    content_words(
        "summit meeting rally protest march election vote referendum crash earthquake fire "
        "explosion blast attack bombing strike shooting storm flood landslide eruption "
        "ceasefire truce talks conference hearing trial arrest resignation visit forum show "
        "fair expo exhibition festival congress convention ceremony parade concert match "
        "tournament race raid"
    )
)


def _one_event(
    a: Features, b: Features, values: tuple[str, str] = ("", ""), least: float = 0.0
) -> bool:
    """Whether two claims, worded by two outlets, tell one event.

    Their event words (what happened, to what, and who: attribution, dates and figures
    aside, names as actors) mostly agree, among them what happened (a word besides the
    things named: "voted on the budget" / "a hearing on the budget" share only the
    budget), and a definite referent ("the summit", "its plant", a name) makes the event
    one and not two of a kind ("protests in Paris" / "protests in Lyon").
    """
    if len(a.event_words & b.event_words) < EVENT_SHARED:
        return False  # most pairs: nothing more to read
    value_a, value_b = a.words_of(values[0]), b.words_of(values[1])
    rest_a, rest_b = a.event_words - value_a, b.event_words - value_b
    shared = rest_a & rest_b
    if (
        len(shared) < EVENT_SHARED
        or len(shared) < EVENT_OVERLAP * min(len(rest_a), len(rest_b))
        or len(shared) < least * len(rest_a | rest_b)
    ):
        return False
    if (a.event_words ^ b.event_words) & _SEQUENCE:
        return False
    kinds_a, kinds_b = rest_a & EVENT_NOUNS, rest_b & EVENT_NOUNS
    if kinds_a and kinds_b and not kinds_a & kinds_b:
        return False  # "the shipping conference" / "the water forum": two events
    alike = _alike_phrases(a, b)
    if not alike and _phrases_apart(a, b):
        return False  # "the tourism fair" / "the book fair": two things
    if _other_names(a, b, values) is not None:
        return False  # each names someone the other does not: India / Brazil signed
    things = a.referents | b.referents
    happened = (shared - things) | (shared & things & EVENT_NOUNS)
    definite = {w for w in shared if w.startswith("actor:")} | alike
    return bool(happened and definite - value_a - value_b)


def _number_conflict(pair: Pair, a: Features, b: Features, updated: bool) -> Verdict | None:
    """Conflicting figures of one quantity; or why figures that differ are not one quantity."""
    reasons = []
    published = (pair.a.outlet.published, pair.b.outlet.published)
    for i, j in _unmatched_counts(a, b):
        qa, qb = a.quantities[i], b.quantities[j]
        if updated:
            return _verdict("unrelated", f"Different figures ('{qa.text}' / '{qb.text}') at "
                            "different times: an update, not a contradiction.")  # fmt: skip
        reason = why_different(a.measures[i], b.measures[j], a.words, b.words, published)
        reason = reason or _other_subjects(pair, a, b)
        if reason is None:
            return _contradicts("number", qa.text, qb.text, f"Same quantity ({qa.unit}), "
                                f"different values: '{qa.text}' / '{qb.text}'; both "
                                f"about: {_named(a, b)}.")  # fmt: skip
        reasons.append(reason)
    if reasons:
        return _verdict("unrelated", f"Not one quantity: {reasons[0]}.")
    return None


def _other_subjects(
    pair: Pair, a: Features, b: Features, values: tuple[str, str] = ("", "")
) -> str | None:
    """Why two claims are about different subjects: each names someone or somewhere the
    other does not ("a storm hit Basra" / "a storm struck Turku"); the differing values
    themselves (a place contradiction's places) aside."""
    only_a = [n for k, n in a.subjects.items() if k not in b.subjects and k not in
              pair.b_actors and n not in values[0] and n not in pair.b.quote]  # fmt: skip
    only_b = [n for k, n in b.subjects.items() if k not in a.subjects and k not in
              pair.a_actors and n not in values[1] and n not in pair.a.quote]  # fmt: skip
    if only_a and only_b:
        return f"they are about different subjects ({', '.join(only_a)} / {', '.join(only_b)})"
    return None


def _rest_alike(
    a: Features, b: Features, values: tuple[str, str], least: float | None = None
) -> bool:
    """Whether, the differing values' words aside, the claims use nearly the same words."""
    rest_a = a.linked_words - a.words_of(values[0])
    rest_b = b.linked_words - b.words_of(values[1])
    return len(rest_a & rest_b) >= (least or REST_ALIKE) * len(rest_a | rest_b)


def _named(a: Features, b: Features, most: int = 4) -> str:
    """A few of the words both claims share, as the first claim writes them, to name
    what they are both about: the longest, listed in the claim's order."""
    longest = set(sorted(a.words & b.words, key=lambda w: (-len(w), w))[:most])
    return ", ".join(words_of(a.stripped, longest)) or "one topic"


def _alike_phrases(a: Features, b: Features) -> frozenset[str]:
    """The words of definite phrases of the two claims of which one holds the other
    ("the summit" / "the climate summit"; not "the tourism fair" / "the book fair")."""
    return frozenset(
        w for pa in a.phrases for pb in b.phrases if pa <= pb or pb <= pa for w in pa & pb
    )


def _other_names(a: Features, b: Features, values: tuple[str, str]) -> str | None:
    """Why two claims are about different subjects: each names someone the other does
    not, first words included ("Armenia and Jordan signed" / "signed by Jordan and
    Georgia"), the differing values aside."""
    if a.heads <= b.heads or b.heads <= a.heads:
        return None  # (most pairs: one names no one the other does not)
    only_a = [n for n in a.names.values() if n not in values[0] and not _named_in(n, b)]
    only_b = [n for n in b.names.values() if n not in values[1] and not _named_in(n, a)]
    if only_a and only_b:
        return f"they are about different subjects ({', '.join(only_a)} / {', '.join(only_b)})"
    return None


def _phrases_apart(a: Features, b: Features) -> bool:
    """Definite phrases sharing a word, neither holding the other: one kind of thing told
    apart by its modifiers ("the tourism fair" / "the book fair")."""
    return any(pa & pb and not (pa <= pb or pb <= pa) for pa in a.phrases for pb in b.phrases)


def _head(name: str) -> str:
    """A name's last word, lower case, without a possessive ("Colony Capital's": capital)."""
    return name.split()[-1].lower().replace("’", "'").removesuffix("'s")


def _named_in(name: str, claim: Features) -> bool:
    """Whether the claim names ``name``, perhaps more or less fully ("Novelist Ruth
    Hartwell" / "Hartwell", "CEO of Colony Capital" / "Colony Capital's")."""
    return _head(name) in claim.heads


def _date_conflict(
    pair: Pair, a: Features, b: Features, da: DateMention, db: DateMention
) -> Verdict | None:
    """Two dates of one event contradict; of two events (a first and a second, other
    subjects, other words), or with figures that moved between them (an update), not."""
    if not (_rest_alike(a, b, (da.text, db.text)) or _dates_of_one_event(a, b, da, db)):
        return None
    other = _other_subjects(pair, a, b) or _other_names(a, b, (da.text, db.text))
    if other is not None:
        return _verdict("unrelated", f"Different events: {other}.")
    only_a, only_b = (a.words - b.words) & _DISTINGUISHING, (b.words - a.words) & _DISTINGUISHING
    differ = only_a | only_b
    if (only_a and only_b) or differ & _SEQUENCE:  # "old" / "new", or a "second" round
        return _verdict("unrelated", f"Different events ({', '.join(sorted(differ))}): "
                        f"'{da.text}' / '{db.text}' date each its own.")  # fmt: skip
    if _figures_moved(a, b):
        return _verdict("unrelated", f"Different figures on different dates ('{da.text}' / "
                        f"'{db.text}'): an update, not a contradiction.")  # fmt: skip
    return _contradicts("date", da.text, db.text, f"Same event ({_named(a, b)}), different "
                        f"dates: '{da.text}' / '{db.text}'.")  # fmt: skip


def _dates_of_one_event(a: Features, b: Features, da: DateMention, db: DateMention) -> bool:
    """Two differently worded claims of one event (`_one_event`) whose dates' clauses
    share what happened ("closed its doors on June 30" / "shut down in August"): the
    dates are of that event, not of another one the claims mention in passing."""
    shared = (a.clause_words(da.start) & b.clause_words(db.start)) - a.words_of(da.text)
    happened = shared & a.event_words - ((a.referents | b.referents) - EVENT_NOUNS)
    return bool(happened) and _one_event(a, b, (da.text, db.text))


def _figures_apart(a: Features, b: Features) -> Verdict | None:
    """Alike claims whose figures differ state different facts: one adds figures the other
    lacks (elaborates), or each has its own (two groups, two times, a part and a whole)."""
    if not a.quantities or not b.quantities:
        return None
    for ma in a.measures:
        for mb in b.measures:
            if complement(ma, mb):
                return _verdict("elaborates", f"The shares '{ma.quantity.text}' and "
                                f"'{mb.quantity.text}' are complements: one fact told from "
                                "both sides, not a contradiction.")  # fmt: skip
    lone_a = [qa for qa in a.quantities if not any(_equal(qa, qb) for qb in b.quantities)]
    lone_b = [qb for qb in b.quantities if not any(_equal(qa, qb) for qa in a.quantities)]
    for qa in lone_a:
        for qb in lone_b:
            converted = in_base_unit(qa, qb)
            if converted is not None and not conflicting(*converted, tolerance=CONVERSION_SLACK):
                return _verdict("elaborates", f"'{qa.text}' ({qa.unit}) and '{qb.text}' "
                                f"({qb.unit}) are one figure in two units: the same fact, not "
                                "a contradiction.")  # fmt: skip
    if lone_a and lone_b:
        return _verdict("unrelated", f"Alike, but with different figures ('{lone_a[0].text}' / "
                        f"'{lone_b[0].text}'): not one quantity, not one fact.")  # fmt: skip
    if lone_a or lone_b:
        which = "A" if lone_a else "B"
        return _verdict("elaborates", f"Claim {which} states the other's figures and adds "
                        f"'{(lone_a or lone_b)[0].text}'.")  # fmt: skip
    return _narrower(a, b)


def _narrower(a: Features, b: Features) -> Verdict | None:
    """A point inside the other's range ("about 250" / "between 200 and 300") makes it
    more precise: it elaborates the other, it does not contradict it."""
    for qa in a.quantities:
        for qb in b.quantities:
            if wide(qa) != wide(qb) and _agree(qa, qb):
                point, span = (qb, qa) if wide(qa) else (qa, qb)
                which = "B" if wide(qa) else "A"
                why = "more precise, not a contradiction"
                return _verdict("elaborates", f"Claim {which}'s '{point.text}' is within the "
                                f"other's '{span.text}': {why}.")  # fmt: skip
    return None


def _equal(a: Quantity, b: Quantity) -> bool:
    """One figure in two claims: values no rounding tells apart, of one unit (or of none,
    or named differently: "12 people" / "Twelve ... died"). Exact figures and bounds must
    be equal ("63 percent" is not "58 percent", "at least 14" not "at least 27", though
    they agree within what a contradiction allows)."""
    if a.low == a.high and b.low == b.high:
        return _close(a.low, b.low)
    if a.unit != b.unit and a.unit and b.unit:
        return False
    if math.isinf(a.high) and math.isinf(b.high):
        return _close(a.low, b.low)
    if a.low == 0 == b.low:
        return _close(a.high, b.high)
    return not conflicting(a, replace(b, unit=a.unit))  # an approximation: its rounding


def _close(x: float, y: float) -> bool:
    return abs(x - y) <= 0.01 * max(abs(x), abs(y))


def _figures_moved(a: Features, b: Features) -> bool:
    """Some figure of one claim has no equal in the other (units aside)."""
    if not a.quantities or not b.quantities:
        return False
    return any(
        not any(qa.low == qb.low and qa.high == qb.high for qb in b.quantities)
        for qa in a.quantities
    )


def _role_conflict(pair: Pair, a: Features, b: Features) -> Verdict | None:
    """The same role verb with no agent in common, in one event: the claims' other actors
    agreeing, no other subject or date apart, most other words shared (hosting a festival
    in Naples and one in Graz are two events, not two hosts of one)."""
    for ra in a.roles:
        for rb in b.roles:
            if ra.verbs != rb.verbs or ra.agents & rb.agents or _surnames(ra) & _surnames(rb):
                continue
            others_a, others_b = pair.a_actors - ra.agents, pair.b_actors - rb.agents
            if others_a and others_b and not others_a & others_b:
                continue
            values = (ra.text, rb.text)
            if (
                _dated_apart(a, b) is not None
                or _other_subjects(pair, a, b, values) is not None
                or not (_rest_alike(a, b, values, ROLE_REST_ALIKE) or _one_event(a, b, values))
            ):
                continue
            why = f"Same event ({_named(a, b)}), different actors in one role"
            return _contradicts("actor", ra.text, rb.text, f"{why}: '{ra.text}' / '{rb.text}'.")
    return None


def _surnames(role: Role) -> frozenset[str]:
    """The last word of each agent's name ("Sen. Maria Chen", "Senator Maria Chen": chen)."""
    return frozenset(name.split()[-1].lower() for name in _AND.split(role.text) if name.split())


def _unmatched_counts(a: Features, b: Features) -> Iterator[tuple[int, int]]:
    """Conflicting counts of one unit (indexes), each with no agreeing count in the other claim.

    "rose by 81% last year and by 30% this year" does not contradict "rose by 81%
    last year": its 30% is another figure, not another value of the 81%; nor does
    "rose 4%" contradict "rose from 3% to 5%".
    """
    qa_all, qb_all = a.quantities, b.quantities
    agreed_a = {i for i, qa in enumerate(qa_all) for qb in qb_all if _agree(qa, qb)}
    agreed_b = {j for j, qb in enumerate(qb_all) for qa in qa_all if _agree(qa, qb)}
    agreed_a |= {i for i, q in enumerate(qa_all) if _inside(q, b.changes)}
    agreed_b |= {j for j, q in enumerate(qb_all) if _inside(q, a.changes)}
    for i, qa in enumerate(qa_all):
        for j, qb in enumerate(qb_all):
            if i not in agreed_a and j not in agreed_b and conflicting(qa, qb):
                yield i, j


def _inside(q: Quantity, changes: list[tuple[float, float]]) -> bool:
    return any(low <= q.low and q.high <= high for low, high in changes)


def _agree(a: Quantity, b: Quantity) -> bool:
    return a.unit is not None and a.unit == b.unit and not conflicting(a, b)


def _dated_apart(
    a: Features, b: Features, told: bool = False
) -> tuple[DateMention, DateMention] | None:
    """Two dates that cannot be one time; of several such, those whose clauses say most
    alike ("resigned as chairman in April" / "stepped down as chairman in March", not the
    "2020" of another clause)."""
    dates_a, dates_b = (a.event_dates, b.event_dates) if told else (a.dates, b.dates)
    apart = [(da, db) for da in dates_a for db in dates_b if conflicting_dates(da, db)]
    if len(apart) <= 1:
        return apart[0] if apart else None
    return max(apart, key=lambda d: len(a.clause_words(d[0].start) & b.clause_words(d[1].start)))


def _polarity(pair: Pair, a_negated: bool) -> Verdict | None:
    """One claim negates, in the clause of its cue, what the other asserts; else None.

    Not a contradiction: a negation in another clause ("but the tunnel will not" is
    about something else), a clause most of whose words the other claim does not use
    ("just not with their anthem" / "the Olympic anthem will be played"), or the same
    negation that the other claim makes in a clause its scope rules set aside ("though
    the changes won't affect ..." / "The changes won't affect ...").
    """
    negative, positive = (pair.a, pair.b) if a_negated else (pair.b, pair.a)
    found = _negated_phrase(negative.quote, positive.quote)
    if found is None:
        return None
    phrase, word, clause_words = found
    shared = clause_words & frozenset(content_words(positive.quote))
    if len(shared) < NEGATED_CLAUSE_SHARED * len(clause_words):
        return None
    if _negates_too(positive.quote, word):
        return None
    values = (phrase, word) if a_negated else (word, phrase)
    return _contradicts("polarity", *values, f"Same assertion ('{word}'), negated by one: "
                        f"'{phrase}'.")  # fmt: skip


#: Share of the negated clause's content words the other claim must hold.
NEGATED_CLAUSE_SHARED = 0.5
_CLAUSE_BREAK = re.compile(r"[,;:.!?]|\s[-–—]\s|\b(?:but|and|while|although|though|whereas)\b")


def _clause_around(text: str, start: int, end: int) -> tuple[int, int]:
    """The bounds of the clause (between `_CLAUSE_BREAK`s) holding text[start:end]."""
    left = 0
    for match in _CLAUSE_BREAK.finditer(text, 0, start):
        left = match.end()
    stop = _CLAUSE_BREAK.search(text, end)
    return left, stop.start() if stop else len(text)


def _negated_phrase(negative: str, positive: str) -> tuple[str, str, frozenset[str]] | None:
    """('not expand', 'expand', the content words of the cue's clause): the cue up to the
    first word both claims share in the cue's clause; None when there is none."""
    positive_words = {stem(m.group()): m.group() for m in _WORD.finditer(positive)}
    for start, end, _ in cues(negative):
        left, until = _clause_around(negative, start, end)
        for following in list(_WORD.finditer(negative, end, until))[:4]:
            word = positive_words.get(stem(following.group()))
            if word and following.group().lower() not in STOP_WORDS:
                words = frozenset(content_words(negative[left:until]))
                return negative[start : following.end()], word, words
    return None


def _negates_too(claim: str, word: str) -> bool:
    """Whether ``claim`` negates ``word`` itself, in any clause (scope rules aside)."""
    for start, end, _ in cues(claim, scoped=False):
        _, until = _clause_around(claim, start, end)
        following = [m.group() for m in _WORD.finditer(claim, end, until)][:4]
        if word in following:
            return True
    return False


def _contradicts(detail: str, a: str, b: str, rationale: str) -> Verdict:
    values = DifferingValues(a=a, b=b) if a and b else None
    return Verdict(relation="contradicts", detail=detail, values=values,
                   rationale=rationale)  # fmt: skip


def _verdict(relation: str, rationale: str) -> Verdict:
    return Verdict(relation=relation, detail=None, values=None,
                   rationale=rationale)  # fmt: skip


#: The verdicts most pairs get, made once (a verdict is validated when made).
FEW_WORDS = _verdict("unrelated", "They share too few content words.")
OTHER_ACTORS = _verdict("unrelated", "They are about different actors.")
OTHER_EVENTS = _verdict("unrelated", "They report different events.")
OTHER_FACTS = _verdict("unrelated", "Same topic, different facts.")
