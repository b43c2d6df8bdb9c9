"""Actors for the rule-based annotator, and who a subject phrase names.

An article's actors come from four places, so that claims in news the gazetteer was
never written for still get a speaker:

* the gazetteer in `rules_lexicon` (states, alliances, frequently quoted leaders);
* names after a title ("Foreign Minister Kuleba", "Sen. Tim Kaine");
* names that are the subject of a reporting verb ("Maria Lopez said", "said John
  Smith", "the Federal Emergency Management Agency announced"): a capitalised run of
  words next to the cue; a run ending in an organisation word (Department, Ministry,
  Police, ...) or written as an acronym is an organisation, a run of one to four words
  otherwise a person;
* groups that report without a name ("officials said", "police said", "witnesses
  told"), named by their noun.

Later mentions of a person by surname alone ("Lopez added") are the same actor.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache

from annotate.schemas import Actor

from ..textrange import TextRange
from . import rules_lexicon as lexicon


def alternation(words: tuple[str, ...] | list[str] | frozenset[str]) -> str:
    return "|".join(re.escape(word) for word in sorted(words, key=len, reverse=True))


FORMS = {form: canonical for canonical, (_, forms) in lexicon.GAZETTEER.items() for form in forms}
_GAZETTEER_RE = re.compile(rf"(?<![\w-])(?:{alternation(list(FORMS))})(?![\w-])")
_NAME = r"[A-Z][\w'’.-]*[\w]"
_TITLE_RE = re.compile(
    rf"\b(?:{alternation(lexicon.TITLES)})\s+((?:{_NAME}\s+){{0,2}}{_NAME})"
    r"(?:['’]s\b)?"
)


_Trie = dict[str, "_Trie"]


def trie_alternation(words: tuple[str, ...]) -> str:
    """The words as one regex branching letter by letter (lower case): with 160 cues a plain
    alternation is tried word by word at every position, six times slower."""
    trie: _Trie = {}
    for word in words:
        node = trie
        for char in word.lower():
            node = node.setdefault(char, {})
        node[""] = {}
    return _branches(trie)


def _branches(node: _Trie) -> str:
    ends = "" in node
    alternatives = [
        re.escape(char) + _branches(child) for char, child in sorted(node.items()) if char
    ]
    if not alternatives:
        return ""
    if len(alternatives) == 1 and not ends:
        return alternatives[0]
    return "(?:" + "|".join(alternatives) + ")" + ("?" if ends else "")


CUE_RE = re.compile(
    rf"\b(?:{trie_alternation(lexicon.CUES)})\b"
    rf"|\b(?!(?:{alternation(lexicon.NOT_THAT_CUES)})\b)[a-z]{{3,}}ed(?=\s+that\b)",
    re.IGNORECASE,
)
_NOUN_LIKE = frozenset(lexicon.NOUN_LIKE_CUES)
#: Before a noun-like cue, words that make it a noun ("Western reports", "his claims").
_NOUN_BEFORE = re.compile(
    r"(?:\b(?:the|a|an|his|her|their|its|our|these|those|such|new|recent|latest|early|"
    r"initial|many|some|several|news|media|press|false|unfounded)|[A-Z]\w*(?:ern|ish|ese|ian)|"
    r"['’]s)\s+$"
)
_APPEAL = re.compile(r"\s+(?:on|upon|off|back|in|to)\b")
_GERUND_BEFORE = re.compile(r"\b(?:that|of|for|about|without|from|the)\s+$", re.I)
_NOUN_AFTER = re.compile(r"\s+(?:of|from|about|by|in|on|to|and|or|were|are|have)\b")
#: One word of a name: "Lopez", "O'Brien", "J.", "FEMA", "U.N." (abbreviations keep their dot).
_NAME_WORD = r"(?:[A-Z]\.(?:[A-Z]\.)*|[A-Z][a-z]{1,3}\.(?=\s+[A-Z])|[A-Z][\w'’-]*\w)"
#: A run of name words, with "of", "for", "and", "the" inside organisation names.
_NAME_RUN = rf"{_NAME_WORD}(?:\s+(?:(?:of|for|and|on|the|de|van|von|al)\s+)*{_NAME_WORD}){{0,5}}"
#: Auxiliaries and adverbs between a subject and its cue ("Lopez has also said").
_BETWEEN = (
    r"(?:\s*,)?(?:\s+(?:has|have|had|is|are|was|were|been|also|then|later|again|once|would|"
    r"will|\w+ly))*\s*"
)
_SUBJECT_NAME_RE = re.compile(rf"(?<![\w.])({_NAME_RUN})['’]?{_BETWEEN}$")
#: 'Mark Feld, the school's principal, said': a name, then a description between commas.
_APPOSITIVE_RE = re.compile(rf"(?<![\w.])({_NAME_RUN}),\s[^,“”\"«»]{{2,80}},{_BETWEEN}$")
_NAME_AFTER_RE = re.compile(
    rf"\s+(?:[\w-]+\s+){{0,4}}?({_NAME_RUN})(?=\s*(?:[,.;:]|$|\s+(?:who|of|in|on|at|to)\b))"
)
_GROUP_RE = re.compile(
    rf"(?<![\w-])((?:{_NAME_RUN}\s+)?(?:(?!(?:{alternation(lexicon.QUANTIFIERS)})\b)[a-z][\w-]*\s+){{0,3}}"
    rf"(?i:{alternation(lexicon.GROUP_NOUNS)}))\b"
    rf"(?=(?:\s+(?:in|at|of|for|from|with|on)\s+[\w\s.’'-]{{1,40}})?,?{_BETWEEN}$)"
)
_ORG_HEAD_RE = re.compile(
    rf"\b(?:{alternation(lexicon.ORGANIZATION_WORDS)})(?:$|\s+(?:of|for|on)\s)"
)
_ACRONYM_RE = re.compile(r"^(?:[A-Z]{2,6}|(?:[A-Z]\.){2,4})$")
_NOT_NAMES = frozenset(lexicon.CAPITALISED_NON_NAMES)
_GROUP_NOUNS = frozenset(lexicon.GROUP_NOUNS)
_CONNECTOR_RE = re.compile(r"\s(?:of|for|and|on|the)\s")
_ROLE_NAME_RE = re.compile(
    r"\b(?:Presidents?|Ministers?|Leaders?|Officials?|Secretary|Spokes\w+|Chairman|Chief)$"
)
#: Everything up to the last title in a run ("Texas Sen. Ted Cruz" -> "Ted Cruz").
_TITLE_PREFIX = re.compile(rf"^.*\b(?:{alternation(lexicon.TITLES)})\s+(?=[A-Z])")
_HONORIFICS = re.compile(rf"^(?:{alternation(lexicon.HONORIFICS)})\s+")

ROLE_WORDS = re.compile(
    r"\b(?:president|leader|minister|secretary|spokes\w*|official|premier|chancellor|"
    r"nominee|candidate|senator|governor|who|he|she)\b",
    re.IGNORECASE,
)
PLURAL_SUBJECT = re.compile(r"\bthey\b", re.IGNORECASE)
#: 'he', 'she' right before the cue, perhaps with an adverb ("he also said").
_PRONOUN_SUBJECT = re.compile(
    r"(?:^|[^\w’'])(?:he|she)(?:\s+(?:also|then|later|again|has|had|\w+ly))*\s*,?\s*$", re.I
)
_IT_SUBJECT = re.compile(r"^\W*it\W*$", re.IGNORECASE)
#: Most words of a subject that stands for its speaker ("People with direct knowledge").
MAX_DESCRIBED_WORDS = 8
_DETERMINER = re.compile(
    r"(?:a|an|the|one|some|many|most|several|few|two|three|four|five|about|nearly|more|"
    r"another|other|each|every|no|his|her|their|its|former|senior|top|veteran|longtime|"
    r"local|state|federal)$"
)
#: Subjects that stand for several actors named before ("both", "the two presidents").
_SEVERAL_NAMED = re.compile(
    r"\b(?:both|two|presidents|leaders|ministers|sides|heads|countries|nations)\b", re.I
)
#: Where a long description of a speaker may be cut ("a 2013 article | in the journal").
_QUALIFIER = re.compile(r"\s+(?:who|which|in|at|of|for|from|with|on)\s+")
_ARTICLE = re.compile(r"^(?:the|a|an|The|A|An)\s+(?=\S)")
#: The writer or the reader ("I had the opportunity to see"): not a described speaker.
_CLAUSE_WORDS = re.compile(r"^(?:I|We|You)\b")
_LEADING_NAME = re.compile(rf"\s*((?:{_NAME_RUN}))(?:\s+[a-z]|,)")
_LEADING_ADVERB = re.compile(r"^(?:(?:Even|Only|Just|Also|Still|Now|Yet|So|But|And)\s+)+")
_TRAILING_AUXILIARY = re.compile(
    r"(?:\s+(?:have|has|had|is|are|was|were|been|also|now|then|too|all|both))+$"
)
_DESCRIBED = re.compile(
    r"\W*(?:(?:and|but|so|then|also|while|as|when)\s+)*"
    r"(?P<phrase>[A-Za-z0-9][^“”\"«»,;:()]*?[\w.])\W*$"
)


@dataclass
class _Actor:
    canonical: str
    type: str
    forms: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Mention:
    start: int
    end: int
    canonical: str


@lru_cache(maxsize=4)
def _all_cue_matches(text: str) -> tuple[list[re.Match[str]], list[int]]:
    matches = list(CUE_RE.finditer(text))
    return matches, [match.start() for match in matches]


def cue_matches(text: str, start: int, end: int) -> Iterator[re.Match[str]]:
    """Cue words inside text[start:end]: the text is scanned once, however many regions of
    it are asked about (a sentence, then windows around each quotation)."""
    matches, starts = _all_cue_matches(text)
    index = bisect_left(starts, start)
    while index < len(matches) and starts[index] < end:
        if matches[index].end() <= end:
            yield matches[index]
        index += 1


def is_cue(text: str, match: re.Match[str]) -> bool:
    """A reporting verb rather than a noun ("X reports that", not "Western reports of") or
    an appeal ("called on Lavrov to negotiate")."""
    if _APPEAL.match(text, match.end()) and match.group().lower().startswith("call"):
        return False
    if match.group().endswith("ing") and _GERUND_BEFORE.search(
        text, max(0, match.start() - 12), match.start()
    ):
        return False  # 'that accusing Russia ... is irresponsible': a gerund, not a cue
    if match.group().lower() not in _NOUN_LIKE:
        return True
    start = match.start()
    return not (
        _NOUN_BEFORE.search(text, max(0, start - 30), start) or _NOUN_AFTER.match(text, match.end())
    )


def clean_name(name: str) -> str | None:
    """A name run without a leading sentence word ("But", "The") or honorific, or None."""
    words = name.split()
    while words and (words[0] in _NOT_NAMES or words[0].lower() in ("of", "for", "and", "the")):
        words = words[1:]
    while words and words[-1].lower() in ("of", "for", "and", "on", "the", "de", "van", "von"):
        words = words[:-1]
    if words and re.search(r"['’]s?$", words[-1]):
        return None  # "NATO’s continued ...": a possessive, not a subject
    cleaned = " ".join(words)
    if len(words) > 1:
        cleaned = _TITLE_PREFIX.sub("", _HONORIFICS.sub("", cleaned))
    if not cleaned or cleaned in _NOT_NAMES or not cleaned[0].isupper():
        return None
    if name_type(cleaned) == "person" and (
        _CONNECTOR_RE.search(cleaned) or _ROLE_NAME_RE.search(cleaned)
    ):
        return None  # "Russian and Iranian Presidents": a description, not a name
    return cleaned


def name_type(name: str) -> str:
    """An organisation when it ends in an organisation word or is an acronym, else a person."""
    if _ACRONYM_RE.match(name) or _ORG_HEAD_RE.search(name) or len(name.split()) > 4:
        return "organization"
    if name.split()[-1] in lexicon.GROUP_NAMES:
        return "group"
    return "person"


class ActorIndex:
    """Actors found in the article and every mention, in text order."""

    def __init__(self, text: str, regions: list[TextRange]) -> None:
        self.text = text
        self.actors: dict[str, _Actor] = {}
        self._surnames: dict[str, str] = {}
        found: list[Mention] = []
        for region in regions:
            found.extend(self._titled(region))
        for region in regions:
            found.extend(self._subjects(region))
        surnames = {s: n for s, n in self._surnames.items() if s not in FORMS}
        pattern = re.compile(rf"\b(?:{alternation(list(surnames))})\b") if surnames else None
        for region in regions:
            found.extend(self._gazetteer(region))
            if pattern is not None:
                found.extend(self._by_surname(region, pattern, surnames))
        self.mentions = sorted(set(found), key=lambda m: (m.start, -m.end))
        self._starts = [m.start for m in self.mentions]

    def _add(self, canonical: str, kind: str, form: str) -> None:
        actor = self.actors.setdefault(canonical, _Actor(canonical, kind))
        if form not in actor.forms:
            actor.forms.append(form)

    def _person(self, name: str, start: int, end: int) -> Mention:
        """Register a person (or organisation) named at text[start:end] under `name`."""
        canonical = self._surnames.get(name, name)
        kind = self.actors[canonical].type if canonical in self.actors else name_type(name)
        self._add(canonical, kind, self.text[start:end])
        words = name.split()
        if kind == "person" and len(words) > 1:
            self._surnames.setdefault(words[-1], name)
        return Mention(start, end, canonical)

    def _gazetteer(self, region: TextRange) -> Iterator[Mention]:
        for match in _GAZETTEER_RE.finditer(self.text, region.start, region.end):
            canonical = FORMS[match.group()]
            self._add(canonical, lexicon.GAZETTEER[canonical][0], match.group())
            yield Mention(match.start(), match.end(), canonical)

    def _titled(self, region: TextRange) -> Iterator[Mention]:
        """People named after a title who are not in the gazetteer."""
        for match in _TITLE_RE.finditer(self.text, region.start, region.end):
            name = match.group(1)
            if _GAZETTEER_RE.search(name) or clean_name(name) != name:
                continue
            yield self._person(name, match.start(1), match.end(1))

    def _subjects(self, region: TextRange) -> Iterator[Mention]:
        """Names next to a reporting verb ('Lopez said', 'said John Smith,'), full names first
        so that a surname alone joins the full name wherever it comes."""
        named = []
        for cue in cue_matches(self.text, region.start, region.end):
            if not is_cue(self.text, cue):
                continue
            after = _NAME_AFTER_RE.match(self.text, cue.end(), min(region.end, cue.end() + 80))
            # 'Ann Lee, an adviser to Mr. Cole, said': the head, not the last name
            before = _APPOSITIVE_RE.search(
                self.text, max(region.start, cue.start() - 120), cue.start()
            ) or _SUBJECT_NAME_RE.search(
                self.text, max(region.start, cue.start() - 80), cue.start()
            )
            for match in (before, after):
                if match is None:
                    continue
                name = clean_name(match.group(1))
                if name is None or _GAZETTEER_RE.fullmatch(name) or name in FORMS:
                    continue
                if name.lower() in _GROUP_NOUNS:
                    continue  # "Residents said": a group, found by `group`
                start = match.start(1) + match.group(1).find(name)
                named.append((name, start))
        for name, start in sorted(named, key=lambda n: -len(n[0].split())):
            yield self._person(name, start, start + len(name))

    def _by_surname(
        self, region: TextRange, pattern: re.Pattern[str], surnames: dict[str, str]
    ) -> Iterator[Mention]:
        """Later mentions of a person by surname alone ("Johnson said")."""
        for match in pattern.finditer(self.text, region.start, region.end):
            canonical = surnames[match.group()]
            self._add(canonical, "person", match.group())
            yield Mention(match.start(), match.end(), canonical)

    def group(self, subject: TextRange) -> str | None:
        """A group that reports without a name ("officials", "state police"), registered."""
        matches = list(_GROUP_RE.finditer(self.text, subject.start, subject.end))
        if not matches:
            return None
        phrase = matches[-1].group(1)
        words = phrase.split()
        while len(words) > 1 and words[0] in _NOT_NAMES:
            words = words[1:]
        if len(words) == 1:
            words = [words[0].lower()]  # "Officials said" and "officials said" alike
        canonical = " ".join(words)
        if canonical in self.actors and self.actors[canonical].type != "group":
            return canonical
        self._add(canonical, "group", phrase)
        return canonical

    def described(self, subject: TextRange, source: bool = False) -> str | None:
        """A short subject that names its speaker by description ("a Nevada Democrat");
        after "according to" (`source`) any short phrase names one ("complete returns")."""
        match = _DESCRIBED.match(self.text, subject.start, subject.end)
        if match is None:
            return None
        phrase = _TRAILING_AUXILIARY.sub("", _LEADING_ADVERB.sub("", match.group("phrase")))
        if len(phrase.split()) > MAX_DESCRIBED_WORDS:
            phrase = _QUALIFIER.split(phrase, maxsplit=1)[0]
        words = phrase.split()
        if (
            not (0 if source else 1) < len(words) <= MAX_DESCRIBED_WORDS
            or not (
                source
                or words[0][0].isupper()
                or words[0][0].isdigit()
                or _DETERMINER.match(words[0])
            )
            or _SEVERAL_NAMED.search(phrase)
            or _CLAUSE_WORDS.search(phrase)
        ):
            return None
        canonical = _ARTICLE.sub("", phrase)  # "the county clerk" -> "county clerk"
        known = self.actors.get(canonical)
        self._add(canonical, known.type if known else "other", phrase)
        return canonical

    def leading_name(self, subject: TextRange) -> str | None:
        """The name a subject clause opens with ('Clinton has disputed both critiques, but
        says ...'), registered as an actor."""
        match = _LEADING_NAME.match(self.text, subject.start, subject.end)
        name = clean_name(match.group(1)) if match else None
        if name is None or match is None or name.lower() in _GROUP_NOUNS:
            return None
        start = match.start(1) + match.group(1).find(name)
        return self._person(name, start, start + len(name)).canonical

    def within(self, start: int, end: int) -> list[Mention]:
        index = bisect_left(self._starts, start)
        found = []
        while index < len(self.mentions) and self.mentions[index].start < end:
            if self.mentions[index].end <= end:
                found.append(self.mentions[index])
            index += 1
        return found

    def last_before(self, position: int, kinds: tuple[str, ...]) -> str | None:
        """The latest actor of one of `kinds` mentioned before `position` (recency)."""
        index = bisect_left(self._starts, position) - 1
        while index >= 0:
            mention = self.mentions[index]
            if self.actors[mention.canonical].type in kinds:
                return mention.canonical
            index -= 1
        return None

    def type_of(self, canonical: str) -> str:
        return self.actors[canonical].type

    def as_schema(self) -> list[Actor]:
        return [
            Actor(
                name=actor.forms[0],
                canonical_name=actor.canonical,
                type=actor.type,
                mentions=actor.forms[1:],
            )
            for actor in self.actors.values()
        ]


def resolve_speaker(
    index: ActorIndex, subject: TextRange, context: int | None = None, describe: bool = True
) -> str | None:
    """Who a subject phrase names: a person in it, else the last person (he, the president).

    Pronouns and roles resolve to the latest fitting actor named before `context`
    (the start of the sentence holding the claim; by default the subject's start);
    a group noun ("officials", "police") names that group. Failing all that, and when
    `describe`, a short subject is its own actor ("a Nevada Democrat", "the statement").
    """
    context = subject.start if context is None else context
    phrase = subject.of(index.text)
    if _PRONOUN_SUBJECT.search(phrase):
        return index.last_before(context, ("person",))  # '..., he emphasized'
    mentions = index.within(subject.start, subject.end)
    people = [m for m in mentions if index.type_of(m.canonical) == "person"]
    if people:
        first = people[0]
        lead = index.text[subject.start : first.start].split()
        if len(lead) <= 2 and index.text.startswith(",", first.end) and len(people) > 1:
            return first.canonical  # 'Sen. John Marsh, a Republican from Ohio, said'
        return people[-1].canonical
    if mentions and not ROLE_WORDS.search(phrase):
        return mentions[-1].canonical
    group = index.group(subject)
    if group is not None:
        return group
    if ROLE_WORDS.search(phrase):
        person = index.last_before(context, ("person",))
        if person is not None:
            return person
    if mentions:
        return mentions[-1].canonical
    if PLURAL_SUBJECT.search(phrase) or _IT_SUBJECT.search(phrase):
        return index.last_before(context, ("organization", "group")) or index.last_before(
            context, ("country", "other")
        )
    if not describe:
        return None
    return index.described(subject) or index.leading_name(subject)
