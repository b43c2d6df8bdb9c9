"""``report.html``: one static page a reader opens offline, rendered with Jinja2.

Jinja2 with autoescaping on is the only way text reaches the page, so
article text can never become markup; the CSS and the one script are inline,
their hashes the only ones the page's Content-Security-Policy lets run, and
nothing is fetched. An editor reads it top down: an outlet-by-outlet grid (facts
two outlets both report, contradictions between them; each count filters the
lists below), the contradictions with both claims side by side and the differing
values marked, the shared facts one line each, filterable by outlet and actor,
then (folded) the facts one outlet alone reports, the stance tables and the quoted
articles, every quote linked to its place in its article; a fold's content sits in a
``<noscript>`` (raw text to a browser running scripts, so none of it is built at load)
that the script parses on first open, and that is the fold's plain markup with scripts
off. Outlets are named as a reader knows them (`Outlet.label`: the outlet, else the
article's title). Large comparisons are shown in part (the most widely reported
first), and the page says how much it leaves to ``facts.json``.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache, cached_property
from itertools import combinations
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from annotate.schemas import OUTLET

from .claims import ComparedClaim, ComparedStance, Outlet
from .pipeline import Comparison, Contradiction, Fact

#: Facts reported by two outlets or more shown in the list (the most widely reported first).
MAX_SHARED = 300
#: Outlets in the grid (those sharing most facts): more would push the contradictions
#: below the first screen; the filter lists every outlet.
MAX_GRID = 12
MAX_CONTRADICTIONS = 300
MAX_SINGLE = 300
MAX_STANCES = 500
#: Actors the filter offers (the most often named in the facts shown).
MAX_ACTORS = 500
#: Articles reproduced at the end of the page (those quoted above, first ones first).
MAX_ARTICLES = 100

_TEMPLATES = Path(__file__).parent / "templates"
#: What the claims were read from, by `--from`.
ORIGINS = {
    "auto": "gold where kept, else the latest prediction",
    "gold": "gold only",
    "predictions": "latest predictions only",
}
#: How the report names the speaker of an authorial claim (the schema's OUTLET).
OWN_VOICE = "the outlet itself"


@dataclass(frozen=True)
class Piece:
    """A run of an article's text: plain, or a quote with the anchor links point to."""

    text: str
    anchor: str | None = None


@dataclass(frozen=True)
class Marked:
    """A quote split around the value to highlight."""

    before: str
    value: str
    after: str


@dataclass
class Grid:
    """The outlet-by-outlet grid, and the index of every outlet the filter names.

    Outlets are grouped by the name a reader knows them by (`label`): the articles
    of one outlet are one row; an article with no known outlet is its own row, named
    by its title.
    """

    #: every outlet's label, most facts shared first (its position is its filter value)
    labels: list[str]
    #: document id -> its outlet's position in `labels`
    of_doc: dict[str, int]
    #: (outlet, outlet) -> facts both report; (i, i): facts i shares with any other
    facts: Counter[tuple[int, int]] = field(default_factory=Counter)
    #: (outlet, outlet) -> contradictions between their claims
    contradictions: Counter[tuple[int, int]] = field(default_factory=Counter)

    @property
    def shown(self) -> list[int]:
        return list(range(min(MAX_GRID, len(self.labels))))

    @cached_property
    def most(self) -> int:
        """The most facts any two outlets share."""
        return max((n for (a, b), n in self.facts.items() if a != b), default=0)

    def heat(self, i: int, j: int) -> int:
        """0-4: how many facts the pair shares, against the most any pair shares."""
        count = self.facts[(i, j)]
        return 0 if not count else 1 + min(3, 4 * count // (self.most + 1))


def anchor(doc_id: str, start: int, end: int) -> str:
    return f"q-{doc_id}-{start}-{end}"


def label_of(outlet: Outlet) -> str:
    """What the report calls a document's outlet (`Outlet.label`, else its name)."""
    return outlet.label or outlet.name


@cache
def _inline(name: str) -> tuple[str, str]:
    """The page's stylesheet or its one script (the filter), and its CSP hash: the only
    ones the page's policy lets the browser apply or run. The template marks them safe:
    they are the project's files, never data."""
    text = (_TEMPLATES / name).read_text(encoding="utf-8")
    return text, _csp_hash(text)


def _csp_hash(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()


def render_report(found: Comparison) -> str:
    environment = Environment(
        loader=FileSystemLoader(_TEMPLATES),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    shared = [f for f in found.facts if len(f.sources) > 1]
    single = [f for f in found.facts if len(f.sources) == 1]
    contradictions = found.contradictions[:MAX_CONTRADICTIONS]
    grid = outlet_grid(shared, found.contradictions, found.outlets)
    actors = _actor_index(found, shared[:MAX_SHARED], single[:MAX_SINGLE], contradictions)
    shown_stances = found.stances[:MAX_STANCES]
    quoted = _quoted(shared[:MAX_SHARED], single[:MAX_SINGLE], contradictions, shown_stances)
    articles = [o for o in found.outlets if o.doc_id in quoted][:MAX_ARTICLES]
    laid_out = {o.doc_id: _pieces(o.doc_id, found.texts[o.doc_id], quoted[o.doc_id])
                for o in articles}  # fmt: skip
    places = {key: place for _, aliases in laid_out.values() for key, place in aliases.items()}
    style, style_hash = _inline("report.css")
    script, script_hash = _inline("report.js")
    return environment.get_template("report.html.j2").render(
        found=found,
        counts=found.counts,
        grid=grid,
        shared=shared[:MAX_SHARED],
        shared_total=len(shared),
        single=single[:MAX_SINGLE],
        single_total=len(single),
        contradictions=contradictions,
        actors=actors,
        stances=shown_stances,
        targets=found.targets,
        articles=[(o, laid_out[o.doc_id][0]) for o in articles],
        link=lambda doc_id, start, end: (
            "#" + places[(doc_id, start, end)] if (doc_id, start, end) in places else None
        ),
        outlets_of=lambda claims: " ".join(
            str(i) for i in sorted({grid.of_doc[c.outlet.doc_id] for c in claims})
        ),
        actors_of=lambda claims: " ".join(
            str(actors[name]) for name in _actors(found, claims) if name in actors
        ),
        by_outlet=lambda fact: _by_outlet(fact, grid),
        marked=marked,
        label=label_of,
        speaker=lambda name: OWN_VOICE if name == OUTLET else found.registry.display(name),
        origins=ORIGINS,
        plural=lambda n, word: f"{n} {word}" + ("" if n == 1 else "s"),
        name_of={o.source: label_of(o) for o in found.outlets},
        style=style,
        script=script,
        policy=f"default-src 'none'; style-src '{style_hash}'; script-src '{script_hash}'",
    )


def outlet_grid(
    shared: list[Fact], contradictions: list[Contradiction], outlets: list[Outlet]
) -> Grid:
    """Every pair of outlets: the facts both report, the contradictions between them."""
    labels = list(dict.fromkeys(label_of(o) for o in outlets))
    group = {o.doc_id: labels.index(label_of(o)) for o in outlets}
    facts: Counter[tuple[int, int]] = Counter()
    for fact in shared:
        members = sorted({group[c.outlet.doc_id] for c in fact.claims})
        if len(members) > 1:
            facts.update((i, i) for i in members)
            facts.update(combinations(members, 2))
    against: Counter[tuple[int, int]] = Counter()
    for c in contradictions:
        i, j = sorted((group[c.a.outlet.doc_id], group[c.b.outlet.doc_id]))
        against[(i, j)] += 1
    order = sorted(range(len(labels)), key=lambda i: (-facts[(i, i)], i))
    new = {old: position for position, old in enumerate(order)}

    def renumbered(counts: Counter[tuple[int, int]]) -> Counter[tuple[int, int]]:
        both: Counter[tuple[int, int]] = Counter()
        for (i, j), n in counts.items():
            both[(new[i], new[j])] = both[(new[j], new[i])] = n
        return both

    return Grid(
        labels=[labels[i] for i in order],
        of_doc={doc: new[i] for doc, i in group.items()},
        facts=renumbered(facts),
        contradictions=renumbered(against),
    )


def _actors(found: Comparison, claims: Iterable[ComparedClaim]) -> list[str]:
    """The actors of some claims, by their cross-document names: speakers and those named."""
    names: dict[str, None] = {}
    for claim in claims:
        if claim.speaker != OUTLET:
            names[found.registry.display(claim.speaker)] = None
        for name in claim.mentioned:
            names[found.registry.display(name)] = None
    return list(names)


def _actor_index(
    found: Comparison, shared: list[Fact], single: list[Fact], contradictions: list[Contradiction]
) -> dict[str, int]:
    """Actor -> its filter value: the most often named in the rows shown, alphabetically."""
    named: Counter[str] = Counter()
    for fact in shared + single:
        named.update(_actors(found, fact.claims))
    for c in contradictions:
        named.update(_actors(found, (c.a, c.b)))
    kept = sorted((name for name, _ in named.most_common(MAX_ACTORS)), key=str.casefold)
    return {name: i for i, name in enumerate(kept)}


def _by_outlet(fact: Fact, grid: Grid) -> list[tuple[str, list[ComparedClaim]]]:
    """A fact's claims under the outlets that report them, in the grid's order."""
    claims: dict[int, list[ComparedClaim]] = defaultdict(list)
    for claim in fact.claims:
        claims[grid.of_doc[claim.outlet.doc_id]].append(claim)
    return [(grid.labels[i], claims[i]) for i in sorted(claims)]


def _quoted(
    shared: list[Fact],
    single: list[Fact],
    contradictions: list[Contradiction],
    stances: list[ComparedStance],
) -> dict[str, set[tuple[int, int]]]:
    """Document id -> the quote spans the page links to."""
    spans: dict[str, set[tuple[int, int]]] = defaultdict(set)
    for fact in shared + single:
        for claim in fact.claims:
            spans[claim.outlet.doc_id].add((claim.start, claim.end))
    for contradiction in contradictions:
        for claim in (contradiction.a, contradiction.b):
            spans[claim.outlet.doc_id].add((claim.start, claim.end))
    for stance in stances:
        spans[stance.outlet.doc_id].add((stance.start, stance.end))
    return spans


Place = tuple[str, int, int]


def _pieces(
    doc_id: str, text: str, spans: set[tuple[int, int]]
) -> tuple[list[Piece], dict[Place, str]]:
    """The article cut at its quotes, and where each quote's link lands.

    A quote inside (or overlapping) one already placed links to that one's span,
    which holds its words: spans are never nested, so each quote has one place.
    """
    pieces: list[Piece] = []
    places: dict[Place, str] = {}
    at = 0
    outer = ""
    for start, end in sorted(spans, key=lambda span: (span[0], -span[1])):
        if start < at:
            places[(doc_id, start, end)] = outer
            continue
        outer = anchor(doc_id, start, end)
        places[(doc_id, start, end)] = outer
        pieces.append(Piece(text[at:start]))
        pieces.append(Piece(text[start:end], outer))
        at = end
    pieces.append(Piece(text[at:]))
    return pieces, places


def marked(quote: str, value: str | None) -> Marked:
    """`quote` around the differing `value`: where it stands as a word of its own if it does
    ("80" in "180 people fled and 80 companies", not the 80 inside 180), else where it is."""
    if not value or value not in quote:
        return Marked(quote, "", "")
    whole = re.search(rf"(?<!\w){re.escape(value)}(?!\w)", quote)
    at = whole.start() if whole else quote.index(value)
    return Marked(quote[:at], value, quote[at + len(value) :])
