"""Who speaks for a cue: its subject, and a speaker when the subject names nobody known.

News puts many words between a speaker and the cue: a description between commas
('Ann Lee, a senior adviser to the mayor, said'), an opening phrase ('Instead, the
inspectors have insisted'), a relative clause ('Many of the leaders who came to the city
said'). These helpers find the subject in them (`subject_of`, `without_intro`) and,
when `rules_actors.resolve_speaker` names nobody from it, still give the claim a speaker
(`unresolved_speaker`): the sentence's opening name for '..., saying B' or '... and
argued that B', the last person named for 'I think', the subject phrase itself for
'most residents said'. Error analysis on PolNeAR train found most known cues that yielded
no claim had lost it for want of a speaker.
"""

from __future__ import annotations

import re

from ..textrange import TextRange
from . import rules_lexicon as lexicon
from .rules_actors import ActorIndex, alternation, resolve_speaker

#: Speech cues (not belief or evaluation cues): their sentences are someone's statement.
SPEECH_CUE_RE = re.compile(alternation(lexicon.SPEECH_CUES), re.IGNORECASE)
#: A participle cue ('..., saying B'): its subject is the sentence's.
PARTICIPLE = re.compile(r"\w+ing$")
#: No subject of its own: the cue continues the earlier one ('..., adding that').
NO_SUBJECT = re.compile(r"\W*(?:(?:and|but|while|then|also)\W+)*")

#: Longest subject ("Iranian President Sayyed Ebrahim Raisi") before a reporting verb.
MAX_SUBJECT_WORDS = 12


_WORD_RE = re.compile(r"\w+")


def _words(text: str) -> int:
    return len(_WORD_RE.findall(text))


def unresolved_speaker(
    text: str, clause: TextRange, cue: re.Match[str], sentence: TextRange, index: ActorIndex
) -> str | None:
    """A speaker for a cue whose subject names nobody the index knows: the sentence's
    opening name for a participle ('Ann Lee spoke at the pier, saying ...'), else the
    subject phrase itself ('most residents said', 'the harbor logs show'): the claim is there
    whoever the rules can name as its speaker."""
    if PARTICIPLE.match(cue.group()) or NO_SUBJECT.fullmatch(clause.of(text)):
        opening = without_intro(text, TextRange(sentence.start, cue.start()))
        return index.leading_name(opening) or resolve_speaker(
            index, opening, sentence.start, describe=False
        )
    if _FIRST_PERSON.fullmatch(clause.of(text)):
        return index.last_before(sentence.start, ("person",))
    if not SPEECH_CUE_RE.fullmatch(cue.group()) or _CLAUSE_PRONOUN.search(clause.of(text)):
        return None  # 'says it can go anywhere it wants on ...': 'wants' has no subject here
    return index.described(clause, source=True)


#: 'I think', 'we still believe', 'I cannot see': the writer or an interviewee speaks.
_FIRST_PERSON = re.compile(
    r"\W*(?:I|[Ww]e)(?:\s+(?:also|still|really|just|truly|firmly|strongly|never|always|now|"
    r"not|cannot|do|does|did|can|could|would|will|should|must|may|might|have|had|am|are|"
    r"\w+n[’']t|\w+ly))*\s*"
)
#: A pronoun in an unresolved subject: the words are a clause, not a description.
_CLAUSE_PRONOUN = re.compile(r"\b(?:it|he|she|they|we|I|you|this|that|there)\b", re.I)


def subject_of(text: str, before: TextRange, long: bool = False) -> TextRange | None:
    """The subject of a cue: the words before it, after a dateline dash ("WASHINGTON (AP) —"),
    from the last clause start if they are many; 'Pete Seat, a consultant whose firm ...,
    said' is its head before the first comma. Many words and no comma (a subject with a
    relative clause) are a subject only when `long` (speech cues: 'Many of the leaders
    who came to the city said'); for other cues they are more often a clause of their own
    ('... after the leaders asked the Kremlin for help')."""
    dash = max(text.rfind(mark, before.start, before.end) for mark in _DASHES)
    if dash >= 0 and _words(text[dash : before.end]):
        before = TextRange(dash + 1, before.end)
    if _words(before.of(text)) <= MAX_SUBJECT_WORDS:
        return before
    breaks = list(_CLAUSE_BREAK.finditer(text, before.start, before.end))
    if not breaks:
        return _long_subject(text, before) if long else None
    comma = breaks[-1].start()
    clause = TextRange(comma + 1, before.end)
    if _words(clause.of(text)) == 0:
        return _head(text, TextRange(before.start, comma)) or clause  # '..., adding that'
    return clause if _words(clause.of(text)) <= MAX_SUBJECT_WORDS else None


#: An opening phrase of time or manner before a subject ('Instead, the inspectors have
#: insisted', 'Last year, conservative groups reported').
_INTRO = re.compile(
    r"\s*(?:In|On|At|Last|Later|Earlier|Instead|Overall|Still|However|Meanwhile|Yet|Now|"
    r"Then|Also|After|Before|Since|During|For|Today|Yesterday|This|Separately|Indeed|"
    r"Already|Asked|While|When|As|Although|Though|If|[A-Z][a-z]+ing)\b[^,;“”\"]{0,80},\s*"
)


def without_intro(text: str, subject: TextRange) -> TextRange:
    """The subject without an opening phrase of time or manner, when words remain."""
    intro = _INTRO.match(text, subject.start, subject.end)
    if intro is None or not _words(text[intro.end() : subject.end]):
        return subject
    return TextRange(intro.end(), subject.end)


#: Most words of a subject that runs on without a comma ('Many of the farmers who had
#: brought their crops to the market on Saturday said').
MAX_LONG_SUBJECT_WORDS = 30
#: Where a subordinate clause holding the cue starts ('... was over when the mayor said').
_SUBORDINATOR = re.compile(r"\b(?:when|as|while|because|after|before|since|although|though)\s")


def _long_subject(text: str, before: TextRange) -> TextRange | None:
    """The subject of a cue after many words and no comma: from the last subordinator,
    else all of them when they are not too many."""
    starts = list(_SUBORDINATOR.finditer(text, before.start, before.end))
    if starts and _words(text[starts[-1].end() : before.end]) <= MAX_SUBJECT_WORDS:
        return TextRange(starts[-1].end(), before.end)
    return before if _words(before.of(text)) <= MAX_LONG_SUBJECT_WORDS else None


#: A comma or semicolon between clauses, not the one inside a figure ('12,000 residents said').
_CLAUSE_BREAK = re.compile(r"[,;](?!\d)")
#: Most words of a subject's head before its description ('Eastfield harbor pilot Carl Menke,
#: who has guided ships there for years, said').
MAX_HEAD_WORDS = 8
#: A sentence adverb before the subject ('Still, Ann Lee, an adviser, said').
_LEAD_ADVERB = re.compile(r"\s*(?:Still|However|Meanwhile|Now|Yet|But|And|Also|Instead),\s*")


def _head(text: str, subject: TextRange) -> TextRange | None:
    """The subject's head before its first comma, when its description runs on between
    commas ('State Senate President Ann Lee, who also serves ..., said')."""
    lead = _LEAD_ADVERB.match(text, subject.start, subject.end)
    start = lead.end() if lead else subject.start
    comma = text.find(",", start, subject.end)
    head = TextRange(start, comma if comma >= 0 else subject.end)
    words = head.of(text).strip()
    # a lower-case start is the end of an earlier claim ('X noted that A, adding that B')
    return head if words[:1].isupper() and _words(words) <= MAX_HEAD_WORDS else None


_DASHES = ("—", "–", "--")
#: A named head, then its description between commas.
_APPOSITION = re.compile(r"\s*((?:[A-Z][\w.’'-]*\s+){0,3}[A-Z][\w’'-]*)(?:\s*\([^()]{1,20}\))?,\s")
