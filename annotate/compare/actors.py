"""One actor across documents: "Raisi", "Ebrahim Raisi" and "Sayyed Ebrahim Raisi" are one.

Each document's annotation names its actors by a canonical name of its own.
`ActorRegistry` links those names across documents, from evidence in the
annotations themselves rather than from a fixed list:

* the same name after normalising case, punctuation and titles
  ("President Putin" is "Putin");
* a name that another document lists as a *form* of its actor ("Moscow" is a
  form of "Russia" in a document that says "Moscow" for Russia), when that form
  belongs to one actor only;
* a person's shorter name inside exactly one longer name ("Raisi" inside
  "Ebrahim Raisi" inside "Sayyed Ebrahim Raisi"; "Johnson" stays apart when
  both "Boris Johnson" and "Mike Johnson" occur);
* spelling variants of one name ("Zelensky"/"Zelenskyy", "Sergei"/"Sergey
  Lavrov"), by rapidfuzz's normalised Indel similarity over names of one type.

What the outlet wrote never changes ("Moscow" stays in its quote); the
registry only says which actor it links to, under one display name: the name
most documents use, the longest on a tie.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable
from functools import lru_cache

from rapidfuzz import fuzz, process

from annotate.schemas import OUTLET

from .claims import ComparedDocument

#: Titles and honorifics that do not tell two people apart.
TITLES = frozenset(
    "mr mrs ms dr sir president prime minister foreign secretary general chancellor "  # noqa: SIM905
    "premier king queen prince sayyed sayed seyed sheikh ayatollah the".split()
)
#: Spelling variants: names of one type at least this similar (0-100) are one actor.
SPELLING_SIMILARITY = 90
#: Shorter names than this are never matched by spelling (too many false friends).
MIN_SPELLING_CHARS = 6


@lru_cache(maxsize=1 << 16)
def name_key(name: str) -> str:
    """A name without case, accents, punctuation or titles: what "the same name" means.

    Cached: a corpus names the same few thousand actors in every claim.
    """
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    words = re.findall(r"[a-z0-9]+", folded.replace("'s", ""))
    kept = [w for w in words if w not in TITLES]
    return " ".join(kept or words)


class _Union:
    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, key: str) -> str:
        root = self.parent.setdefault(key, key)
        while root != self.parent[root]:
            root = self.parent[root]
        while key != root:
            self.parent[key], key = root, self.parent[key]
        return root

    def join(self, a: str, b: str) -> None:
        self.parent[self.find(a)] = self.find(b)


class ActorRegistry:
    """Cross-document actor ids for the names the documents' annotations use."""

    def __init__(self) -> None:
        self._names: Counter[str] = Counter()
        self._types: dict[str, Counter[str]] = defaultdict(Counter)
        self._forms: dict[str, set[str]] = defaultdict(set)
        self._union = _Union()
        self._display: dict[str, str] = {}
        #: forms that are nobody's canonical name -> the one actor they are written for
        self._form_of: dict[str, str] = {}

    def add(self, document: ComparedDocument) -> None:
        """Learn a document's names: its actors, their forms, speakers and stance holders."""
        seen: set[str] = set()
        for actor in document.actors:
            key = name_key(actor.canonical)
            if key:
                seen.add(actor.canonical)
                if actor.type:
                    self._types[key][actor.type] += 1
                for form in actor.forms:
                    self._forms[name_key(form)].add(key)
        seen.update(c.speaker for c in document.claims if c.speaker != OUTLET)
        seen.update(s.holder for s in document.stances)
        self._names.update(name for name in seen if name_key(name))

    def link(self) -> None:
        """Link the names learnt so far (call once, after every `add`)."""
        keys = sorted({name_key(name) for name in self._names})
        for key in keys:
            self._union.find(key)
        self._link_forms(set(keys))
        self._link_shorter_names(keys)
        self._link_spellings(keys)
        self._choose_display_names()

    def actor_id(self, name: str) -> str | None:
        """The cross-document id of a name (None for OUTLET or an unnamed actor)."""
        key = name_key(name)
        if name == OUTLET or not key:
            return None
        if key not in self._union.parent and key in self._form_of:
            return self._union.find(self._form_of[key])  # "Tbilisi", written for Georgia
        return self._union.find(key)

    def display(self, name: str) -> str:
        """The one name shown for the actor `name` links to (the name itself when unknown)."""
        actor = self.actor_id(name)
        return self._display.get(actor, name) if actor else name

    def ids(self, names: Iterable[str]) -> frozenset[str]:
        return frozenset(a for a in (self.actor_id(n) for n in names) if a)

    def groups(self) -> dict[str, list[str]]:
        """Display name -> the names linked to it (for reports and tests)."""
        grouped: dict[str, list[str]] = defaultdict(list)
        for name in sorted(self._names):
            grouped[self.display(name)].append(name)
        return dict(grouped)

    # -- the evidence ----------------------------------------------------

    def _type(self, key: str) -> str | None:
        counts = self._types.get(key)
        return counts.most_common(1)[0][0] if counts else None

    def _link_forms(self, keys: set[str]) -> None:
        """A canonical name that is a form of exactly one other actor joins that actor;
        a form that is nobody's canonical name links to its one actor when looked up."""
        for form, owners in self._forms.items():
            roots = {self._union.find(owner) for owner in owners if owner != form}
            if len(roots) != 1:
                continue
            if form in keys:
                self._union.join(form, next(iter(roots)))
            else:
                self._form_of[form] = next(iter(roots))

    def _link_shorter_names(self, keys: list[str]) -> None:
        """'raisi' joins 'ebrahim raisi' when every longer name holding it is one person."""
        words = {key: key.split() for key in keys}
        for short in keys:
            if self._type(short) not in (None, "person"):
                continue
            longer = [
                key for key in keys
                if key != short and self._type(key) in (None, "person")
                and _ends_with(words[key], words[short])
            ]  # fmt: skip
            roots = {self._union.find(key) for key in longer}
            if len(roots) == 1:
                self._union.join(short, next(iter(roots)))

    def _link_spellings(self, keys: list[str]) -> None:
        by_type: dict[str | None, list[str]] = defaultdict(list)
        for key in keys:
            if len(key) >= MIN_SPELLING_CHARS:
                by_type[self._type(key)].append(key)
        for group in by_type.values():
            for key in group:
                for other, _, _ in process.extract(
                    key, group, scorer=fuzz.ratio, score_cutoff=SPELLING_SIMILARITY, limit=None
                ):
                    if other != key and other.split()[-1][:4] == key.split()[-1][:4]:
                        self._union.join(other, key)

    def _choose_display_names(self) -> None:
        votes: dict[str, Counter[str]] = defaultdict(Counter)
        for name, count in self._names.items():
            votes[self._union.find(name_key(name))][name] += count
        self._display = {
            root: max(names.items(), key=lambda item: (item[1], len(item[0]), item[0]))[0]
            for root, names in votes.items()
        }


def _ends_with(words: list[str], tail: list[str]) -> bool:
    """Whether a longer name ends with the shorter one's words ('ebrahim raisi' / 'raisi')."""
    return len(words) > len(tail) and words[-len(tail) :] == tail
