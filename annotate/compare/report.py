"""``report.html``: one static page a reader opens offline, rendered with Jinja2.

Jinja2 with autoescaping on is the only way text reaches the page, so
article text can never become markup; the CSS is inline and nothing is
fetched. The page holds a facts × outlets matrix, contradictions side by side
with the differing values marked, facts only one outlet reports, the stance
tables, and the quoted articles themselves: every quote links to its place in
its article. Large comparisons are shown in part (the most widely reported
first), and the page says how much it leaves to ``facts.json``.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from annotate.schemas import OUTLET

from .claims import ComparedClaim, ComparedStance, Outlet
from .pipeline import Comparison, Fact

#: Rows of the facts × outlets matrix (facts reported by two outlets or more).
MAX_SHARED = 300
#: Columns of the matrix: the outlets that report most of the facts shown.
MAX_OUTLETS = 40
MAX_CONTRADICTIONS = 300
MAX_SINGLE = 300
MAX_STANCES = 500
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


def anchor(doc_id: str, start: int, end: int) -> str:
    return f"q-{doc_id}-{start}-{end}"


def render_report(found: Comparison) -> str:
    environment = Environment(
        loader=FileSystemLoader(_TEMPLATES),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    shared = [f for f in found.facts if len(f.sources) > 1]
    single = [f for f in found.facts if len(f.sources) == 1]
    outlets = _matrix_outlets(shared[:MAX_SHARED], found.outlets)
    shown_stances = found.stances[:MAX_STANCES]
    quoted = _quoted(shared[:MAX_SHARED], single[:MAX_SINGLE], found, shown_stances)
    articles = [o for o in found.outlets if o.doc_id in quoted][:MAX_ARTICLES]
    laid_out = {o.doc_id: _pieces(o.doc_id, found.texts[o.doc_id], quoted[o.doc_id])
                for o in articles}  # fmt: skip
    places = {key: place for _, aliases in laid_out.values() for key, place in aliases.items()}
    return environment.get_template("report.html.j2").render(
        found=found,
        counts=found.counts,
        shared=shared[:MAX_SHARED],
        shared_total=len(shared),
        single=single[:MAX_SINGLE],
        single_total=len(single),
        outlets=outlets,
        contradictions=found.contradictions[:MAX_CONTRADICTIONS],
        stances=shown_stances,
        targets=found.targets,
        articles=[(o, laid_out[o.doc_id][0]) for o in articles],
        link=lambda doc_id, start, end: (
            "#" + places[(doc_id, start, end)] if (doc_id, start, end) in places else None
        ),
        cells=lambda fact: _cells(fact, outlets),
        marked=_marked,
        speaker=lambda name: OWN_VOICE if name == OUTLET else found.registry.display(name),
        origins=ORIGINS,
        plural=lambda n, word: f"{n} {word}" + ("" if n == 1 else "s"),
        name_of={o.source: o.name for o in found.outlets},
    )


def _matrix_outlets(facts: list[Fact], outlets: list[Outlet]) -> list[Outlet]:
    reports: dict[str, int] = defaultdict(int)
    for fact in facts:
        for doc_id in {c.outlet.doc_id for c in fact.claims}:
            reports[doc_id] += 1
    ranked = sorted(
        (o for o in outlets if reports.get(o.doc_id)), key=lambda o: -reports[o.doc_id]
    )[:MAX_OUTLETS]
    order = {o.doc_id: i for i, o in enumerate(outlets)}
    return sorted(ranked, key=lambda o: order[o.doc_id])


def _cells(fact: Fact, outlets: list[Outlet]) -> list[list[ComparedClaim]]:
    """For each matrix column, the fact's claims from that outlet's document."""
    by_doc: dict[str, list[ComparedClaim]] = defaultdict(list)
    for claim in fact.claims:
        by_doc[claim.outlet.doc_id].append(claim)
    return [by_doc.get(o.doc_id, []) for o in outlets]


def _quoted(
    shared: list[Fact], single: list[Fact], found: Comparison, stances: list[ComparedStance]
) -> dict[str, set[tuple[int, int]]]:
    """Document id -> the quote spans the page links to."""
    spans: dict[str, set[tuple[int, int]]] = defaultdict(set)
    for fact in shared + single:
        for claim in fact.claims:
            spans[claim.outlet.doc_id].add((claim.start, claim.end))
    for contradiction in found.contradictions[:MAX_CONTRADICTIONS]:
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


def _marked(quote: str, value: str | None) -> Marked:
    if not value or value not in quote:
        return Marked(quote, "", "")
    at = quote.index(value)
    return Marked(quote[:at], value, quote[at + len(value) :])
