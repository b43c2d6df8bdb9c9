"""The offline default: a deterministic, rule-based annotator.

With no LLM endpoint configured the whole pipeline still runs: this provider
fills the same `Extraction` schema an LLM fills, from rules a reader can check:

* **article body**: the headline (a first line without a full stop) is kept for
  actors only; bylines, "Read also:" links, newsletter prompts, staff blurbs and
  everything after a furniture heading ("Recent Posts", "Check Also", ...) are
  skipped;
* **actors** (`rules_actors`): the gazetteer in `rules_lexicon`, names after a
  title ("Foreign Minister Kuleba", "Sen. Laura Kim"), names next to a reporting
  verb ("Maria Lopez said", "said John Smith,"), organisations (a name ending in
  Department, Ministry, Police, ... or an acronym) and groups that report without
  a name ("officials", "state police", "witnesses"), each with every surface form;
* **claims**: direct quotes (three words or more between paired quote marks, not a
  title of a work; a question only with its speaker after it, and not check-worthy)
  with the reporting verb next to them, before or after; a quotation interrupted by
  its cue ('"A," he said. "B."'), or carried on by the next paragraph without a cue of
  its own (`rules_spans`), is one claim; a paragraph opened by 'NAME:' is NAME's;
  reported speech as indirect claims, one per cue in a sentence, before or after
  the content ("X said (that) ...", "..., officials said", "A, X said, B", "According
  to X, ...", "..., according to X"); the cues are speech verbs and, as PolNeAR marks
  them, belief and evaluation verbs ("believes", "polls show", "criticized"), chosen on
  PolNeAR's train split; a belief inside reported speech ('X said he knows A') is part
  of it, not a claim of its own. As authorial claims of the outlet: body sentences with no
  speech cue (nor "spoke of", "thanked", ...) that state a fact: a figure, a date
  ("on Monday", "two weeks ago"), a passive event ("was initiated by", "were
  turned into") or an actor followed by an event verb ("Putin signed", "the two
  sides discussed"). Subheadings and fragments (no capital, no full stop, under
  six words), questions, conditions ("If ...") and opinion (judgement words,
  modal wishes, "we"/"you") are not claims;
* **speakers**: the actor named in the subject, else (for "he", "the Iranian
  president", "who") the last person named before it, a group noun, or a short
  description standing for its speaker ("a Nevada Democrat"); past descriptions and
  opening phrases, and failing all that the sentence's opening name or the subject
  phrase itself (`rules_subjects`);
* **stance**: a small lexicon of opposition and support words over each
  attributed claim, toward a known topic it mentions or else the first other
  actor it names; neutral stances are not emitted;
* **document stance**: the most frequent stance target and the balance of the
  stances toward it, mapped onto the 5-point scale.

It returns quotes copied from the text, so everything it says grounds exactly.
It is a baseline that lets annotators start from something; it is not a model.
`model_version` is ``rule-based-annotator-<hash of the rules and word lists>``.
"""

from __future__ import annotations

import hashlib
import re
from bisect import bisect_right
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from annotate.schemas import OUTLET, Claim, DocumentStance, Extraction, Stance

from ..textrange import TextRange
from . import rules_actors, rules_spans, rules_subjects
from . import rules_lexicon as lexicon
from .base import ProviderResult, Usage
from .rules_actors import (
    CUE_RE,
    ROLE_WORDS,
    ActorIndex,
    alternation,
    cue_matches,
    is_cue,
    resolve_speaker,
)
from .rules_subjects import (
    NO_SUBJECT,
    PARTICIPLE,
    SPEECH_CUE_RE,
    subject_of,
    unresolved_speaker,
    without_intro,
)

MODEL_NAME = "rule-based-annotator"
#: Fewest words for a quotation to be a claim rather than a scare quote.
MIN_QUOTE_WORDS = 3
#: Fewest words for reported speech or an authorial sentence to be a claim.
MIN_CLAIM_WORDS = 3
#: Most words between a cue and the quotation it opens ("told reporters on Tuesday:").
MAX_GAP_WORDS = 5
#: How far after a closing quote mark its reporting verb is looked for.
CUE_AFTER_QUOTE_CHARS = 150
#: Fewest words for a sentence in the outlet's own voice to be a claim rather than a fragment.
MIN_AUTHORIAL_WORDS = 6
#: The last words before an event verb, read as its subject ("President Putin on Monday").
SUBJECT_WINDOW_WORDS = 5


@cache
def rules_version() -> str:
    """Hash of this module and its word lists: changes whenever the rules do."""
    digest = hashlib.sha256()
    for module in (
        __file__,
        lexicon.__file__,
        rules_actors.__file__,
        rules_spans.__file__,
        rules_subjects.__file__,
    ):
        digest.update(Path(module).read_bytes())
    return digest.hexdigest()[:12]


#: The longest text the rules read in one piece (the seeds are a tenth of it).
MAX_CHUNK_CHARS = 50_000


class RulesProvider:
    """The rule-based annotator behind the `Provider` protocol (no network, no cost)."""

    name = "rules"
    model = MODEL_NAME
    #: Rules are cheaper to re-run than to look up.
    cacheable = False
    prompt_version = ""
    #: Nothing is sent anywhere, so nothing is re-sent.
    retries = 0

    @property
    def model_version(self) -> str:
        return f"{MODEL_NAME}-{rules_version()}"

    @property
    def cache_params(self) -> dict[str, Any]:
        return {"rules": rules_version()}

    @property
    def max_chunk_chars(self) -> int | None:
        """Long texts in chunks, as for a model: grounding a chunk's quotes costs more than
        linear time in its length, so a 5 MB article in one piece would take hours."""
        return MAX_CHUNK_CHARS

    async def extract(self, text: str) -> ProviderResult:
        extraction = extract_rules(text)
        return ProviderResult(extraction, extraction.model_dump_json(), Usage())

    async def aclose(self) -> None:
        return None


# --------------------------------------------------------------------------
# Compiled patterns
# --------------------------------------------------------------------------


_alternation = alternation
_CUE_RE = CUE_RE
#: Quote marks; two apostrophes are one mark in some outlets' style (''like this'').
_QUOTE_MARKS = re.compile(r"''|[“”\"«»]")
#: Abbreviations whose full stop does not end a sentence ("Sen. Ted Cruz", "J. Smith").
_ABBREVIATION = re.compile(rf"\b(?:{_alternation(lexicon.ABBREVIATIONS)}|[A-Z])$")
#: Words that start a sentence, so a full stop before them ends one even after "U.S.".
_STARTER = re.compile(rf"\s+(?:{_alternation(lexicon.SENTENCE_STARTERS)})\b")
_SENTENCE_END = re.compile(r"[.!?…]+(?:[”\"’)]|'')*(?=\s+(?:[“\"‘(]|'')?[A-Z0-9])")
_DIGIT = re.compile(r"\d")
_WORD_RE = re.compile(r"\w+")
_TOPICS = {name: re.compile(pattern) for name, pattern in lexicon.TOPICS.items()}
_NEGATIVE_RE = re.compile(rf"\b(?:{_alternation(lexicon.NEGATIVE)})", re.IGNORECASE)
_POSITIVE_RE = re.compile(rf"\b(?:{_alternation(lexicon.POSITIVE)})", re.IGNORECASE)
_NEGATION_RE = re.compile(rf"\b(?:{_alternation(lexicon.NEGATIONS)})\W+(?:\w+\W+)?$", re.I)
_SECTIONS = [re.compile(p) for p in lexicon.FURNITURE_SECTIONS]
_FIGURE_RE = re.compile(rf"\d|\b(?:{_alternation(lexicon.MAGNITUDES)})\b", re.IGNORECASE)
_TIME_RE = re.compile("|".join(lexicon.TIME_EXPRESSIONS))
_EVENT_VERB_RE = re.compile(rf"\b(?:{_alternation(lexicon.EVENT_VERBS)})\b")
_ACTOR_NOUN_RE = re.compile(rf"\b(?:{_alternation(lexicon.ACTOR_NOUNS)})\b", re.IGNORECASE)
_PASSIVE_EVENT_RE = re.compile(
    rf"\b(?:{_alternation(lexicon.BE_FORMS)})\s+(?:\w+ly\s+)?"
    rf"(\w{{2,}}ed|{_alternation(lexicon.IRREGULAR_PARTICIPLES)})\b"
)
_NOT_EVENTS = frozenset(lexicon.STATE_PARTICIPLES)
_EVALUATIVE_RE = re.compile(rf"\b(?:{_alternation(lexicon.EVALUATIVE)})\b", re.IGNORECASE)
_MODAL_RE = re.compile(rf"\b(?:{_alternation(lexicon.MODALS)})\b")
_SPEECH_RE = re.compile(rf"\b(?:{_alternation(lexicon.SPEECH_VERBS)})\b", re.IGNORECASE)
_PERSONAL_RE = re.compile(r"\b(?:I|[Ww]e|[Oo]ur|us|[Yy]ou|[Yy]our)\b")
#: One full stop at the end (closing marks allowed): not "?", "!", "..." or a bare heading.
_FULL_STOP_RE = re.compile(r"(?<![.])\.[”\"’)]*$")
_FURNITURE = [re.compile(p) for p in lexicon.FURNITURE_LINES]


# --------------------------------------------------------------------------
# Reading the article
# --------------------------------------------------------------------------


def _lines(text: str) -> Iterator[TextRange]:
    at = 0
    for line in text.split("\n"):
        stripped = line.strip()
        if stripped:
            lead = len(line) - len(line.lstrip())
            yield TextRange(at + lead, at + lead + len(stripped))
        at += len(line) + 1


def _is_headline(line: str) -> bool:
    return len(line) < 200 and not re.search(r"[.!?…][”\"’)]*$", line)


def article_layout(text: str) -> tuple[TextRange | None, list[TextRange]]:
    """The headline (if any) and the body paragraphs, without site furniture."""
    headline: TextRange | None = None
    body: list[TextRange] = []
    for line in _lines(text):
        lowered = line.of(text).lower()
        if body and any(p.search(lowered) for p in _SECTIONS):
            break
        if any(p.search(lowered) for p in _FURNITURE):
            continue
        if headline is None and not body and _is_headline(line.of(text)):
            headline = line
        else:
            body.append(line)
    return headline, body


def _sentences(text: str, paragraph: TextRange) -> Iterator[TextRange]:
    start = paragraph.start
    for match in _sentence_ends(text, paragraph.start, paragraph.end):
        yield TextRange(start, match.end())
        start = match.end()
        while start < paragraph.end and text[start].isspace():
            start += 1
    if start < paragraph.end:
        yield TextRange(start, paragraph.end)


def _sentence_ends(text: str, start: int, end: int) -> Iterator[re.Match[str]]:
    """Full stops (and ! ? …) that end a sentence: not the dot of "Sen." or "J."."""
    for match in _SENTENCE_END.finditer(text, start, end):
        if (
            text[match.start()] != "."
            or not _ABBREVIATION.search(text, max(start, match.start() - 6), match.start())
            or _STARTER.match(text, match.end())
        ):
            yield match


def _words(text: str) -> int:
    return len(_WORD_RE.findall(text))


# --------------------------------------------------------------------------
# Actors
# --------------------------------------------------------------------------


# --------------------------------------------------------------------------
# Claims
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Found:
    region: TextRange
    speaker: str
    cue: TextRange | None
    attribution: str
    #: Parts of `region` that are not the claim: the cue interrupting a quotation.
    gaps: tuple[TextRange, ...] = ()


def _quotations(text: str, paragraph: TextRange) -> list[TextRange]:
    """Spans between paired quote marks (any opening mark pairs with the next mark)."""
    marks = list(_QUOTE_MARKS.finditer(text, paragraph.start, paragraph.end))
    return [TextRange(marks[i].end(), marks[i + 1].start()) for i in range(0, len(marks) - 1, 2)]


def _after_mark(text: str, position: int) -> int:
    """Just after the quote mark at `position` (one or two characters)."""
    mark = _QUOTE_MARKS.match(text, position)
    return mark.end() if mark else position


def _trimmed(text: str, region: TextRange) -> TextRange:
    """Without edge spaces and commas, and with a quotation it opens closed again."""
    start, end = region.start, region.end
    while start < end and (text[start].isspace() or text[start] in ",;:"):
        start += 1
    while end > start and (text[end - 1].isspace() or text[end - 1] in ",;:"):
        end -= 1
    marks = len(_QUOTE_MARKS.findall(text, start, end))
    if marks % 2:
        closing = _QUOTE_MARKS.search(text, end, min(len(text), end + 3))
        if closing:
            end = closing.end()
    return TextRange(start, end)


def _inside(position: int, regions: list[TextRange]) -> bool:
    return any(r.start <= position < r.end for r in regions)


_PASSIVE = re.compile(r"\b(?:be|been|being|is|are|was|were)\s+$", re.IGNORECASE)


def _cues(text: str, region: TextRange, quoted: list[TextRange]) -> list[re.Match[str]]:
    """Reporting verbs in `region`, outside quotations and not passive (`_passive`)."""
    return [
        m
        for m in cue_matches(text, region.start, region.end)
        if not _inside(m.start(), quoted) and is_cue(text, m) and not _passive(text, m)
    ]


def _passive(text: str, cue: re.Match[str]) -> bool:
    """'was accused': a passive, no cue; 'was hoping for' is progressive and stays one."""
    if cue.group().split()[0].endswith("ing"):
        return False
    return _PASSIVE.search(text, max(0, cue.start() - 8), cue.start()) is not None


def _direct_claims(
    text: str,
    paragraph: TextRange,
    sentences: list[TextRange],
    quoted: list[TextRange],
    index: ActorIndex,
) -> Iterator[_Found]:
    """Quotations of five words or more with a cue next to them; a quotation interrupted by
    its cue ('"A," he said. "B."') is one claim, from A to B, without the interruption."""
    starts = [sentence.start for sentence in sentences]
    number = 0
    while number < len(quoted):
        quote = quoted[number]
        number += 1
        region = _trimmed(text, quote)
        if _words(region.of(text)) < MIN_QUOTE_WORDS or _partial(text, quote):
            continue
        # a question with its speaker after it ('"Who wants that?" she said.') is words
        # spoken, kept as a claim that is not check-worthy; one after a cue may be a
        # question put to someone ('Residents asked, "When ...?"')
        attribution = _cue_after(text, quote, paragraph, quoted, index)
        if attribution is None and _may_claim(region.of(text)):
            attribution = _cue_before(text, quote, (sentences, starts), quoted, index)
        if attribution is None:
            continue
        speaker, cue = attribution
        gaps = []
        while number < len(quoted) and _continues(text, quote, quoted[number], cue):
            quote = quoted[number]
            following = _trimmed(text, quote)
            gaps.append(TextRange(region.end, following.start))
            region = TextRange(region.start, following.end)
            number += 1
        yield _Found(region, speaker, cue, "direct", tuple(gaps))


#: Between a quotation and its continuation: the cue clause, ending a sentence or a comma.
_INTERRUPTION = re.compile(r"[^“”\"«»]{0,400}?[.,:;]\s*(?:''|[“\"«])?\s*")
#: Most words of the cue clause interrupting a quotation ('"A," said Carl Menke, a pilot who has
#: guided ships into the port for twenty years. "B."': PolNeAR train's quotations run so).
MAX_INTERRUPTION_WORDS = 45
_COORDINATION = re.compile(r"\b(?:but|while|although|though)\b")
_JUST_SPACE = re.compile(r"\s*(?:''|[“\"«])?\s*")


#: After a closing quote mark, more of the same clause: 'said "there is love" in Orlando'.
_CLAUSE_GOES_ON = re.compile(r"\s*[a-z]")


def _partial(text: str, quote: TextRange) -> bool:
    """A fragment quoted inside someone's reported words, not a quotation standing alone:
    it starts in lower case, or the clause goes on after it without punctuation."""
    words = quote.of(text).strip()
    if words[:1].islower():
        return True
    if words[-1:] in (",", ".", "!", "?", "…", ":", ";"):
        return False
    return _CLAUSE_GOES_ON.match(text, _after_mark(text, quote.end)) is not None


def _partial_at(text: str, start: int) -> bool:
    """Whether the quotation whose words start at `start` is a fragment (see `_partial`)."""
    closing = _QUOTE_MARKS.search(text, start)
    return closing is not None and _partial(text, TextRange(start, closing.start()))


def _continues(text: str, quote: TextRange, following: TextRange, cue: TextRange) -> bool:
    """Whether the quotation `following` goes on with `quote`: only the cue of `quote`
    (or nothing) lies between them."""
    if _words(following.of(text)) == 0 or following.of(text).rstrip().endswith(","):
        return False  # '"B," she added': a quotation with its own cue
    gap_start = _after_mark(text, quote.end)
    if cue.start >= gap_start and cue.end <= following.start:
        gap = text[gap_start : following.start]
        return (
            _INTERRUPTION.fullmatch(gap) is not None
            and _words(gap) <= MAX_INTERRUPTION_WORDS
            and len(_CUE_RE.findall(gap)) == 1
            and not _COORDINATION.search(gap)
        )
    return _JUST_SPACE.fullmatch(text, gap_start, following.start) is not None


_ENDS_SENTENCE = re.compile(r"[.!?]\W*$")
_OPENS_QUOTE = re.compile(r"\s*[,:]?\s*(?:''|[“\"«])")


def _cue_after(
    text: str, quote: TextRange, paragraph: TextRange, quoted: list[TextRange], index: ActorIndex
) -> tuple[str, TextRange] | None:
    """'..." he said' / '..." said Putin': a cue just after the closing mark."""
    start = _after_mark(text, quote.end)
    window = TextRange(start, min(paragraph.end, start + CUE_AFTER_QUOTE_CHARS))
    cues = _cues(text, window, quoted)
    if not cues:
        return None
    cue = cues[0]
    if next(_sentence_ends(text, start, cue.start()), None) or _QUOTE_MARKS.search(
        text, start, cue.start()
    ):
        return None  # the cue belongs to another sentence or quotation
    if _ENDS_SENTENCE.search(quote.of(text)) and _OPENS_QUOTE.match(text, cue.end()):
        return None  # '"A." Smith added, "B."': the cue opens the next quotation
    sentence_end = next(_sentence_ends(text, cue.end(), paragraph.end), None)
    after = TextRange(cue.end(), sentence_end.start() if sentence_end else paragraph.end)
    subject = TextRange(window.start, cue.start())
    speaker = resolve_speaker(index, subject) or resolve_speaker(
        index, TextRange(after.start, min(after.end, after.start + 40))
    )
    return (speaker, TextRange(cue.start(), cue.end())) if speaker else None


def _introduces(gap: str) -> bool:
    """Whether the words between a cue and a quotation let the cue introduce it:
    'said: "', 'told reporters, "', 'said on Tuesday, "' (a title in quote marks after
    'said her book, "' is no claim: `_may_claim`)."""
    return not gap or (_words(gap) <= MAX_GAP_WORDS and gap[-1] in ",:")


#: A title of a work: every longer word capitalised ("The Long Road Home").
_TITLE_CASE = re.compile(r"(?:\W*(?:[A-Z0-9][\w'’-]*|[a-z]{1,3})\b)+\W*")


def _is_question(words: str) -> bool:
    return words.rstrip(" ”\"'’)").endswith("?")


def _may_claim(words: str) -> bool:
    """Not a question, and not a title of a work in quote marks. A quotation with its cue
    after it ('"I'm a big fan of Ann Lee," Reid said') is words spoken even when every
    longer word is capitalised: callers ask this only where a title may stand."""
    if _is_question(words):
        return False
    return not (_TITLE_CASE.fullmatch(words) and any(c.islower() for c in words))


_SAME_SUBJECT = re.compile(r"\b(?:and|but|then|before|after)\s*$")


def _cue_before(
    text: str,
    quote: TextRange,
    sentences: tuple[list[TextRange], list[int]],
    quoted: list[TextRange],
    index: ActorIndex,
) -> tuple[str, TextRange] | None:
    """'Raisi said, "...' or 'X told reporters: "...': a cue just before the opening mark.

    A quotation further inside reported speech ('X said the plan was "a disaster"') is
    part of that indirect claim, not a claim of its own.
    """
    opening = quote.start - (2 if text.startswith("''", quote.start - 2) else 1)
    at = bisect_right(sentences[1], opening) - 1
    if at < 0:
        return None
    sentence = sentences[0][at]
    cues = _cues(text, TextRange(sentence.start, opening), quoted)
    if not cues:
        return None
    cue = cues[-1]
    if not _introduces(text[cue.end() : opening].strip()):
        return None
    own = TextRange(cues[-2].end() if len(cues) > 1 else sentence.start, cue.start())
    # 'X underlined that ... and said, "...': the subject of the first cue speaks
    clause = None if _SAME_SUBJECT.search(own.of(text)) else subject_of(text, own)
    speaker = (clause and resolve_speaker(index, without_intro(text, clause))) or resolve_speaker(
        index, TextRange(sentence.start, cues[0].start())
    )
    if speaker is None:  # 'In the excerpt, the author wrote, "..."', 'X smiled and said, "..."'
        subject = clause or TextRange(cue.start(), cue.start())
        speaker = unresolved_speaker(text, subject, cue, sentence, index)
    return (speaker, TextRange(cue.start(), cue.end())) if speaker else None


#: What follows the cue in 'CLAIM, he said when welcoming ...': a circumstance, not a claim.
_TAIL = re.compile(
    r"(?:when|while|during|at|in|on|after|before|as|from|by|today|yesterday)\b"
    # 'said to reporters', not 'promised to take bold action'
    r"|to\s+(?:the|a|an|his|her|their|its|reporters|supporters|(?-i:[A-Z]))",
    re.I,
)
_INVERTED = re.compile(
    r"^(?P<claim>.*\S)\s*(?:[,”\"]|'')\s*(?P<subject>(?:[\w’.-][\w’'.-]*\s+){0,3})$", re.S
)


def _reported_claims(
    text: str, sentence: TextRange, quoted: list[TextRange], index: ActorIndex
) -> Iterator[_Found]:
    """Every reported claim in a sentence, one per cue.

    'X said Y told him Z' holds two (Z inside the first); in 'X said A, although he
    insisted B' the first ends at the comma before the second's subject. A later cue's
    claim never reaches back before an earlier cue ('..., informs EFE, according to
    Agerpres' is one claim, of the first).
    """
    cues = _cues(text, sentence, quoted)
    speaker: str | None = None
    for number, cue in enumerate(cues):
        previous = cues[number - 1].end() if number else sentence.start
        end = _body_end(text, sentence)
        if number + 1 < len(cues):
            end = _clause_end(text, cue.end(), cues[number + 1].start(), end)
        found = _reported_claim(
            text, TextRange(sentence.start, end), cue, (previous, speaker), index
        )
        if found is not None and not (number and found.region.start <= previous + 2):
            speaker = found.speaker
            yield found


#: A clause boundary before the next cue's subject: ', he added', '— they say',
#: ' but implied'.
_NEXT_CLAUSE = re.compile(
    r"(?:[,;—–](?:''|[”\"’])?\s*(?:[\w’'.-]+\s+){0,8}|\s+(?:but|and|while)\s+(?:[\w’'.-]+\s+){0,3})$"
)


def _clause_end(text: str, start: int, next_cue: int, end: int) -> int:
    """Where a claim ends when another cue follows: at a comma just before that cue's subject."""
    clause = _NEXT_CLAUSE.search(text, start, next_cue)
    return clause.start() if clause else end


#: A reading of reported speech: the claim, its speaker (None: nobody), the gaps in it.
_Reading = tuple[TextRange, str | None, tuple[TextRange, ...]]


def _reported_claim(
    text: str,
    sentence: TextRange,
    cue: re.Match[str],
    earlier: tuple[int, str | None],
    index: ActorIndex,
) -> _Found | None:
    """'X said (that) CLAIM.', 'CLAIM, X said.', 'A, X said, B.' or 'CLAIM, according to X.'

    `earlier` is where the clause of this cue may start (the end of an earlier cue) and
    the speaker of the earlier claim, who also speaks in '..., adding that CLAIM'.
    """
    body_end = min(sentence.end, _body_end(text, sentence))
    after = text[cue.end() : body_end].lstrip(" ,:")
    opening = _QUOTE_MARKS.match(after)
    if opening and not _partial_at(text, body_end - len(after) + opening.end()):
        return None  # 'X said, "..."' is a direct quote, found by `_direct_claims`
    before = TextRange(earlier[0], cue.start())
    reading = (
        _inverted_reading(text, (sentence, body_end), cue, before, index)
        or _according_reading(text, cue, before, body_end, index)
        or _forward_reading(text, (sentence, body_end), cue, earlier, index)
    )
    if reading is None:
        return None
    claim, speaker, gaps = reading
    claim = _strip_that(text, _trimmed(text, claim))
    if speaker is None or _words(claim.of(text)) < MIN_CLAIM_WORDS:
        return None
    if not (_may_claim(claim.of(text)) or _headline_like(text, sentence, claim)):
        return None
    return _Found(claim, speaker, TextRange(cue.start(), cue.end()), "indirect", gaps)


def _inverted_reading(
    text: str,
    sentence: tuple[TextRange, int],
    cue: re.Match[str],
    before: TextRange,
    index: ActorIndex,
) -> _Reading | None:
    """'CLAIM, X said.', 'CLAIM, said X.', 'A, respondents said, B.': the claim before the
    cue (and after it, when the cue stands between commas inside it)."""
    (sentence_range, body_end) = sentence
    inverted = _INVERTED.match(before.of(text))
    if inverted is None or _not_inverted(text, before, cue, inverted):
        return None
    rest = _parenthetical_rest(text, cue, body_end) if inverted.group("subject").strip() else None
    if rest is None and not _closes_claim(text, cue, inverted, body_end):
        return None
    claim = TextRange(before.start, before.start + inverted.end("claim"))
    gaps: tuple[TextRange, ...] = ()
    if rest is not None:  # 'A, respondents said, are B.': the claim goes on after the cue
        gaps = (TextRange(claim.end, rest.start),)
        claim = TextRange(claim.start, rest.end)
    subject = TextRange(before.start + inverted.start("subject"), cue.start())
    named = TextRange(cue.end(), min(body_end, cue.end() + 60))
    speaker = resolve_speaker(index, subject, sentence_range.start) or resolve_speaker(
        index, named, sentence_range.start
    )
    if speaker is None and cue.group().lower() == "according to":
        speaker = index.described(TextRange(cue.end(), body_end), source=True)
    return claim, speaker, gaps


def _not_inverted(
    text: str, before: TextRange, cue: re.Match[str], inverted: re.Match[str]
) -> bool:
    """'Ann Lee, who ran the mill, has vowed to ...' and 'the board met, saying B' look like
    'CLAIM, X said' but are a subject with a relative clause and a participle's clause."""
    if _RELATIVE_SUBJECT.match(before.of(text)):
        return True
    return PARTICIPLE.match(cue.group()) is not None and not inverted.group("subject").strip()


def _closes_claim(text: str, cue: re.Match[str], inverted: re.Match[str], body_end: int) -> bool:
    """Whether the cue closes the claim before it ('..., according to a survey of Democratic
    superdelegates.', '..., said John Smith.', 'CLAIM, he said.')."""
    if _words(inverted.group("claim")) <= MIN_CLAIM_WORDS:
        return False
    after = text[cue.end() : body_end].lstrip(" ,:")
    if not inverted.group("subject").strip() and (
        cue.group().lower() == "according to" or _NAMED_AFTER.match(after)
    ):
        return True
    return _ends_clause(text, cue, inverted.group("claim"), after)


def _according_reading(
    text: str, cue: re.Match[str], before: TextRange, body_end: int, index: ActorIndex
) -> _Reading | None:
    """'CLAIM according to a CBS poll released Monday', 'According to X, CLAIM.'"""
    if cue.group().lower() != "according to":
        return None
    if _words(before.of(text)) > MIN_CLAIM_WORDS:
        source = TextRange(cue.end(), body_end)
        return before, resolve_speaker(index, source) or index.described(source, source=True), ()
    claim, speaker = _according_to(text, cue, body_end, index)
    return claim, speaker, ()


def _forward_reading(
    text: str,
    sentence: tuple[TextRange, int],
    cue: re.Match[str],
    earlier: tuple[int, str | None],
    index: ActorIndex,
) -> _Reading | None:
    """'X said (that) CLAIM': the subject before the cue speaks; with none of its own
    ('..., adding that', '... and argued that') the earlier speaker, else a fallback."""
    (sentence_range, body_end) = sentence
    previous, carried = earlier
    before = TextRange(previous, cue.start())
    clause = subject_of(text, before, long=SPEECH_CUE_RE.fullmatch(cue.group()) is not None)
    and_then = _AND_THEN.search(before.of(text)) is not None
    if clause is None and and_then:
        clause = TextRange(cue.start(), cue.start())  # 'X did A and argued that B'
    if clause is None or (_AFTER_QUOTATION.search(before.of(text)) and not and_then):
        return None  # '"...," Clinton said answering a question': the cue of a quotation
    claim = TextRange(_content_start(text, cue, body_end), body_end)
    if NO_SUBJECT.fullmatch(clause.of(text)) or (
        carried and (PARTICIPLE.match(cue.group()) or and_then)
    ):
        speaker = carried  # '..., adding that', 'X pointed to A, saying B'
    else:
        clause = without_intro(text, clause)
        speaker = resolve_speaker(index, clause, sentence_range.start)
    return claim, speaker or unresolved_speaker(text, clause, cue, sentence_range, index), ()


def _headline_like(text: str, sentence: TextRange, claim: TextRange) -> bool:
    """A sentence in title case all through ('Ann Lee Says She Will Run Again.'): a headline
    kept with its full stop, whose title-case claim is no title of a work."""
    words = TextRange(sentence.start, claim.start).of(text)
    return not _is_question(claim.of(text)) and _TITLE_CASE.fullmatch(words) is not None


#: After 'A, he said,': words that go on with the claim rather than add a circumstance
#: ('when ...', 'in a statement'), a name ('said Ann Lee,') or another cue ('adding').
_GOES_ON = re.compile(r",\s+(?!(?:who|which|whose|and|but|or|so|adding|according|noting)\b)[a-z]")


def _parenthetical_rest(text: str, cue: re.Match[str], body_end: int) -> TextRange | None:
    """The words after a cue set between commas inside its claim ('The top issues, voters
    said, are jobs and health care.'), or None when the cue ends the claim."""
    goes_on = _GOES_ON.match(text, cue.end(), body_end)
    if goes_on is None or _TAIL.match(text, goes_on.end() - 1):
        return None
    rest = TextRange(goes_on.end() - 1, body_end)
    if _words(rest.of(text)) < MIN_CLAIM_WORDS or _CUE_RE.match(text, rest.start):
        return None
    return rest


#: A subject right after a closing quote mark: the cue belongs to that quotation.
_AFTER_QUOTATION = re.compile(
    r"(?:[,.!?]\s*(?:''|[”\"»])|(?:''|[”\"»])\s*,)\s*(?:[\w’'.-]+\s+){0,8}$"
)
#: '..., said former congressman Barney Frank, who ...', '..., said former Ohio governor Ann
#: Lee,': a named speaker after the cue.
_NAMED_AFTER = re.compile(
    r"(?:(?!(?:on|in|at|to|for|with|from|during|after|before|by|that)\b)[a-z][\w-]*\s+){0,3}"
    r"(?:[A-Z][\w.’'-]*\s+(?:[a-z][\w-]*\s+)?){0,3}[A-Z][\w.’'-]*\s*(?:,|$)"
)
#: A subject with a relative clause ('Ann Lee, who ran the mill, has vowed to ...'): the
#: words before the cue are its subject, not a claim it ends.
_RELATIVE_SUBJECT = re.compile(r"\W*(?:[A-Z][\w.’'-]*\s+){0,4}[A-Z][\w.’'-]*,\s+(?:who|whose)\b")
#: The earlier cue's subject speaks again: 'He says A and says B'.
_AND_THEN = re.compile(r"\s(?:and|but)\s+(?:also\s+|then\s+|\w+ly\s+)?$")


#: Words that open a clause of content ('Later in the day, the FBI said it would ...').
_CLAUSE_START = re.compile(r"(?:that|it|he|she|they|we|I|there|this)\b")


def _ends_clause(text: str, cue: re.Match[str], claim: str, after: str) -> bool:
    """Whether a cue closes its claim ('CLAIM, he said.', '..., he said on Tuesday when ...',
    '..., she said, adding ...') rather than opening one ('Asked ..., X said that ...')."""
    if _THAT_SOON.match(after):
        return False  # 'Still, Ann Lee, an adviser, said on Tuesday that ...': it opens one
    if (_words(after) <= 4 and not _CLAUSE_START.match(after)) or _TAIL.match(after):
        return True  # 'CLAIM, according to Putin.', 'CLAIM, said John Smith.'

    return text.startswith(",", cue.end()) and _words(claim) > _words(after)


#: After 'told', 'warned' and the like comes whom they told, then (often) 'that'.
_ADDRESSEE_CUE = re.compile(
    r"^(?:told|tell|tells|telling|warned|warns|assured|reminded|informed|urged|asked)$", re.I
)
_THAT_SOON = re.compile(r"^(?:[^,;.]{0,60}?)\bthat\b")
#: 'said on Tuesday that', 'said in a statement that': circumstances before the content.
_CIRCUMSTANCE = re.compile(
    r"^\s*,?\s*(?:on|in|at|during|last|this|late|early|earlier|later|after|before|while|"
    r"to|through|via|from|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|"
    r"yesterday|today|again|also|repeatedly|publicly|privately|recently|previously)\b",
    re.I,
)


#: Whom a 'told' addresses when no 'that' follows: a pronoun, a group or a name.
_ADDRESSEE = re.compile(
    r"\s+(?:him|her|them|us|me|reporters|journalists|police|officials|investigators|"
    r"(?:[A-Z][\w.’'-]*\s+)*[A-Z][\w.’'-]*)(?=\s+[a-z])"
)


def _content_start(text: str, cue: re.Match[str], body_end: int) -> int:
    """Where the content after a cue begins: after 'that' when whom or when comes first."""
    rest = text[cue.end() : body_end]
    if _ADDRESSEE_CUE.match(cue.group()) or _CIRCUMSTANCE.match(rest):
        that = _THAT_SOON.match(rest)
        if that:
            return cue.end() + that.end()
    if _ADDRESSEE_CUE.match(cue.group()):
        addressee = _ADDRESSEE.match(rest)
        if addressee:
            return cue.end() + addressee.end()  # 'told police the driver ran ...'
    return cue.end()


def _according_to(
    text: str, cue: re.Match[str], body_end: int, index: ActorIndex
) -> tuple[TextRange, str | None]:
    """'According to Kuleba, CLAIM.': the speaker is up to the comma, the claim after it."""
    comma = text.find(",", cue.end(), body_end)
    if comma == -1:
        return TextRange(cue.end(), cue.end()), None
    source = TextRange(cue.end(), comma)
    speaker = resolve_speaker(index, source) or index.described(source, source=True)
    return TextRange(comma + 1, body_end), speaker


def _body_end(text: str, sentence: TextRange) -> int:
    """Sentence end without its final punctuation."""
    end = sentence.end
    while end > sentence.start and text[end - 1] in '.!?…”"’) \n':
        end -= 1
    return end


def _strip_that(text: str, region: TextRange) -> TextRange:
    if text.startswith("that ", region.start):
        return TextRange(region.start + 5, region.end)
    return region


def _authorial_claim(
    text: str, sentence: TextRange, quoted: list[TextRange], index: ActorIndex
) -> _Found | None:
    """A sentence in the outlet's own voice stating a fact: who did what, figures, dates.

    Speech (a reporting cue, or "spoke of", "thanked", "denied") belongs to its speaker;
    headings, fragments, questions and opinion are not facts to compare across outlets.
    """
    if _speech_cue(text, sentence, quoted) or not _is_full_sentence(sentence.of(text)):
        return None
    own = _unquoted(text, sentence, quoted)
    if _SPEECH_RE.search(own) or _is_opinion(own):
        return None
    if not (_states_fact(own) or _actor_acts(text, sentence, quoted, index)):
        return None
    body = _trimmed(text, TextRange(sentence.start, _body_end(text, sentence)))
    return _Found(body, OUTLET, None, "authorial")


def _speech_cue(text: str, sentence: TextRange, quoted: list[TextRange]) -> bool:
    """Whether a speech cue (not a belief or evaluation cue) reports something here."""
    return any(SPEECH_CUE_RE.fullmatch(cue.group()) for cue in _cues(text, sentence, quoted))


def _is_full_sentence(sentence: str) -> bool:
    """Capitalised, six words or more, one full stop: not a subheading, question or teaser."""
    return (
        sentence[:1].isupper()
        and _words(sentence) >= MIN_AUTHORIAL_WORDS
        and _FULL_STOP_RE.search(sentence) is not None
    )


def _unquoted(text: str, region: TextRange, quoted: list[TextRange]) -> str:
    """The region without its quotations: the words that are the outlet's own."""
    parts, at = [], region.start
    for quote in quoted:
        if region.start < quote.end and quote.start < region.end:
            parts.append(text[at : max(at, quote.start)])
            at = max(at, quote.end)
    parts.append(text[at : region.end])
    return " ".join(parts)


#: A condition or a guess in the outlet's voice ("If the council rejects it, the city
#: would ..."): not a statement of fact.
_HYPOTHETICAL_RE = re.compile(r"^\W*(?:If|Unless|Should|Were|Had)\b")


def _is_opinion(words: str) -> bool:
    """Judgement words, modal wishes or "we"/"you": the outlet's view or an appeal, not a fact."""
    return any(p.search(words) for p in (_EVALUATIVE_RE, _MODAL_RE, _PERSONAL_RE, _HYPOTHETICAL_RE))


def _states_fact(words: str) -> bool:
    """A figure, a date or a passive event ("was initiated by Tehran") in the outlet's words."""
    if _FIGURE_RE.search(words) or _TIME_RE.search(words):
        return True
    return any(m.group(1).lower() not in _NOT_EVENTS for m in _PASSIVE_EVENT_RE.finditer(words))


def _actor_acts(text: str, sentence: TextRange, quoted: list[TextRange], index: ActorIndex) -> bool:
    """'Putin signed ...', 'The two sides also discussed ...': an actor, then an event verb."""
    for verb in _EVENT_VERB_RE.finditer(text, sentence.start, sentence.end):
        if _inside(verb.start(), quoted):
            continue
        subject = _subject_before(text, sentence.start, verb.start())
        phrase = subject.of(text)
        if (
            index.within(subject.start, subject.end)
            or _ACTOR_NOUN_RE.search(phrase)
            or ROLE_WORDS.search(phrase)
        ):
            return True
    return False


def _subject_before(text: str, start: int, verb: int) -> TextRange:
    """The last few words before a verb in its clause (back to a comma, colon or semicolon)."""
    clause = max(start, *(text.rfind(mark, start, verb) + 1 for mark in ",;:"))
    words = list(_WORD_RE.finditer(text, clause, verb))[-SUBJECT_WINDOW_WORDS:]
    return TextRange(words[0].start(), verb) if words else TextRange(verb, verb)


def _continued(
    text: str,
    paragraph: TextRange,
    quoted: list[TextRange],
    earlier: tuple[TextRange, list[_Found]],
) -> _Found | None:
    """The last quotation of the paragraph before, carried on by this paragraph when it is
    one quotation without a cue of its own ('"A," she said.' then '"B."' is one claim)."""
    before, found = earlier
    words = rules_spans.bare_quotation(text, paragraph, quoted)
    last = max(found, key=lambda f: f.region.end, default=None)
    if words is None or last is None or last.attribution != "direct":
        return None
    if last.region.start < before.start or not rules_spans.ends_paragraph(
        text, last.region, before
    ):
        return None
    following = _trimmed(text, words)
    gap = TextRange(last.region.end, following.start)
    return _Found(
        TextRange(last.region.start, following.end),
        last.speaker,
        last.cue,
        "direct",
        (*last.gaps, gap),
    )


def _labelled_claim(
    text: str, paragraph: TextRange, direct: list[_Found], index: ActorIndex
) -> Iterator[_Found]:
    """'Q: ...', 'JOHN SMITH: ...', 'Mayor Cole: "..."': the paragraph after its speaker's label
    is their claim, unless a quotation with its own cue was found in it."""
    parts = rules_spans.labelled(text, paragraph)
    if parts is None or direct:
        return
    label, words = parts
    speaker = resolve_speaker(index, label, describe=False) or index.described(label, source=True)
    claim = _trimmed(text, words)
    if speaker and _words(claim.of(text)) >= MIN_CLAIM_WORDS:
        yield _Found(claim, speaker, None, "direct")


def find_claims(text: str, body: list[TextRange], index: ActorIndex) -> list[_Found]:
    """Every claim of the article body, in text order."""
    found: list[_Found] = []
    before = TextRange(0, 0)
    for paragraph in body:
        quoted = _quotations(text, paragraph)
        continued = _continued(text, paragraph, quoted, (before, found))
        if continued is not None:
            found[found.index(max(found, key=lambda f: f.region.end))] = continued
            before = paragraph
            continue
        before = paragraph
        sentences = list(_sentences(text, paragraph))
        direct = list(_direct_claims(text, paragraph, sentences, quoted, index))
        direct.extend(_labelled_claim(text, paragraph, direct, index))
        found.extend(direct)
        taken = [f.region for f in direct]
        for sentence in sentences:
            claims = list(_reported_claims(text, sentence, quoted, index))
            if not claims:
                authorial = _authorial_claim(text, sentence, quoted, index)
                claims = [authorial] if authorial else []
            for claim in claims:
                if not any(
                    claim.region.start < t.end and t.start < claim.region.end for t in taken
                ):
                    found.append(claim)
    return sorted(_without_nested_beliefs(text, found), key=lambda f: f.region.start)


def _without_nested_beliefs(text: str, found: list[_Found]) -> list[_Found]:
    """Without the claims of a belief or evaluation cue inside another claim: in 'X said
    he knows A' or 'X says his family assumed that A', what X said is the claim, and the
    belief is part of it (on PolNeAR train, dropping them loses 29 matched claims and 307
    false ones). An inner speech cue ('X said Y told him A') stays a claim of its own."""
    return [f for f in found if not _nested_belief(text, f, found)]


def _nested_belief(text: str, claim: _Found, found: list[_Found]) -> bool:
    if claim.cue is None or SPEECH_CUE_RE.fullmatch(claim.cue.of(text)):
        return False
    return any(
        other is not claim
        and other.region.start <= claim.cue.start
        and claim.region.end <= other.region.end
        for other in found
    )


# --------------------------------------------------------------------------
# Stance
# --------------------------------------------------------------------------

_STANCE_VALUE = {"against": -1, "favor": 1}


def polarity(claim: str) -> int:
    """Support minus opposition words; a negation just before a word flips it."""
    score = 0
    for pattern, sign in ((_NEGATIVE_RE, -1), (_POSITIVE_RE, 1)):
        for match in pattern.finditer(claim):
            negated = _NEGATION_RE.search(claim[max(0, match.start() - 20) : match.start()])
            flipped = negated and not match.group().lower().startswith(lexicon.NEGATIONS)
            score += -sign if flipped else sign
    return score


def _stance_target(text: str, found: _Found, index: ActorIndex) -> str | None:
    claim = found.region.of(text)
    for topic, pattern in _TOPICS.items():
        if pattern.search(claim):
            return topic
    others = [
        m.canonical
        for m in index.within(found.region.start, found.region.end)
        if m.canonical != found.speaker
    ]
    return others[0] if others else None


def find_stances(text: str, claims: list[_Found], index: ActorIndex) -> list[Stance]:
    stances = []
    for found in claims:
        if found.speaker == OUTLET:
            continue
        score = polarity(found.region.of(text))
        target = _stance_target(text, found, index)
        if score == 0 or target is None:
            continue
        stances.append(
            Stance(
                holder=found.speaker,
                target=target,
                label="favor" if score > 0 else "against",
                evidence=found.region.of(text),
            )
        )
    return stances


def document_stance(stances: list[Stance], index: ActorIndex) -> DocumentStance:
    """Main target: the most frequent stance target; overall: the balance toward it."""
    if not stances:
        counts = Counter(m.canonical for m in index.mentions)
        target = counts.most_common(1)[0][0] if counts else "the article's subject"
        return DocumentStance(main_target=target, overall="neutral")
    target = Counter(s.target for s in stances).most_common(1)[0][0]
    values = [_STANCE_VALUE[s.label] for s in stances if s.target == target]
    mean = sum(values) / len(values)
    return DocumentStance(main_target=target, overall=_five_point(mean))


def _five_point(mean: float) -> Any:
    if mean <= -0.6:
        return "strongly_against"
    if mean < -0.2:
        return "against"
    if mean <= 0.2:
        return "neutral"
    return "favor" if mean < 0.6 else "strongly_favor"


# --------------------------------------------------------------------------
# The whole extraction
# --------------------------------------------------------------------------


def proposition(claim: str) -> str:
    """The claim as a tidy sentence: no quote marks, one space, capitalised, full stop."""
    cleaned = re.sub(r"\s+", " ", _QUOTE_MARKS.sub("", claim)).strip(" ,;:")
    if not cleaned:
        return cleaned
    cleaned = cleaned[0].upper() + cleaned[1:]
    return cleaned if cleaned[-1] in ".!?" else cleaned + "."


def _check_worthy(claim: str) -> bool:
    """Figures, or an assertion that is not a question, wish, plan or proposal."""
    if _is_question(claim):
        return False
    if _DIGIT.search(claim):
        return True
    return not re.search(
        r"\b(?:hope|should|must|will|would|propose|want\w*|wish|believe|think|need\w*)\b",
        claim,
        re.IGNORECASE,
    )


def _without_gaps(text: str, found: _Found) -> str:
    """The claim's words without the cue that interrupts a quotation."""
    parts, at = [], found.region.start
    for gap in found.gaps:
        parts.append(text[at : gap.start])
        at = gap.end
    parts.append(text[at : found.region.end])
    return " ".join(part.strip(" ,") for part in parts)


def extract_rules(text: str) -> Extraction:
    """Fill the extraction schema from `text` with the rules described above."""
    headline, body = article_layout(text)
    index = ActorIndex(text, ([headline] if headline else []) + body)
    found = find_claims(text, body, index)
    claims = [
        Claim(
            quote=f.region.of(text),
            speaker=f.speaker,
            cue=f.cue.of(text) if f.cue else None,
            attribution=f.attribution,
            check_worthy=_check_worthy(f.region.of(text)),
            proposition=proposition(_without_gaps(text, f)),
        )
        for f in found
    ]
    stances = find_stances(text, found, index)
    return Extraction(
        actors=index.as_schema(),
        claims=claims,
        stances=stances,
        document=document_stance(stances, index),
    )
