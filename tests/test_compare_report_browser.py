"""``report.html`` as a reader sees it: headless Chromium on the page `annotate compare` writes.

The HTML string can look right while the page reads wrong: a value marked in the
wrong quote, a link that lands nowhere, article text turned into markup, a font
fetched from the web, a grid below the fold. So the seeds and two crafted
articles (tests/data/compare/report-articles) are pre-annotated by the rules and
compared through the CLI, as a user would, and the page is opened from file://
in Debian's Chromium (the project's browser helper flags; never a downloaded
browser) on a 1366x768 laptop screen. The crafted articles give the page one of
everything: a fact shared with the seed 002 (the Putin-Raisi meeting), a
contradiction with it (90 Russian companies where 002 says 80), a stance, and an
article whose text holds ``<script>`` and ``<b>`` inside a claim sentence.

A store of 1,000 synthetic claims from 30 outlets (the benchmark's corpus) checks that
the first screen keeps the grid and the first contradiction when there are more
outlets than the grid shows (bench/report.py measures it at 10,000 and 30,000).

The pictures in docs/comparing.md are made by ``scripts/screenshot_report.py`` on
the same articles.
"""

from __future__ import annotations

import base64
import hashlib
import html as html_module
import itertools
import json
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from annotate.compare.claims import outlet_of
from annotate.store import Store
from annotate.testing.browser import CHROMIUM, QUIET_FLAGS

from .conftest import ROOT, SEEDS, compared_by_the_rules

#: A laptop screen: the grid and the first contradictions must be on it without scrolling.
WIDTH, HEIGHT = 1366, 768
ARTICLES = ROOT / "tests" / "data" / "compare" / "report-articles"
#: The committed screenshots stay small (docs/comparing.md shows them).
MAX_SCREENSHOT_BYTES = 300_000

#: Outlet names the crafted articles' manifest gives them.
WIRE, DESK = "Wire Service", "Tehran Desk"
IFP = "Iran Front Page (IFP)"  # the seed 002's outlet (seeds/manifest.json)

#: The wire article reports the seed 002's meeting (a shared fact) with 90 companies where
#: 002 says 80.
MET = "Russia's President Vladimir Putin met Iran's President Ebrahim Raisi"
NINETY = "90 Russian companies will send their representatives to Iran next week"
EIGHTY = "80 Russian companies will send their representatives to Iran next week"

#: Markup in a claim sentence: article text is data and must reach the reader as text.
SCRIPT, BOLD = "<script>alert(1)</script>", "<b>bold</b>"
#: Markup that would run script if it ever became markup (it sets ``window.pwned``).
IMAGE = '<img src=x onerror="window.pwned=1">'
MARKUP_CLAIM = f"the {SCRIPT} sanctions imposed by the US are a {BOLD} failure"


@dataclass
class Compared:
    """What `annotate compare` wrote, with what the test needs to read it."""

    report: Path
    facts: dict[str, Any]
    #: document id -> the outlet name (else the title) the report shows for it
    names: dict[str, str]
    #: document id -> the file it was ingested from
    files: dict[str, str]

    @property
    def url(self) -> str:
        return self.report.as_uri()


@pytest.fixture(scope="module")
def compared(tmp_path_factory: pytest.TempPathFactory) -> Compared:
    """The seeds and the crafted articles, pre-annotated by the rules, compared by the CLI."""
    folder = tmp_path_factory.mktemp("compare-report")
    out = folder / "out"
    db = compared_by_the_rules(folder / "report.db", [SEEDS, ARTICLES], out)
    with Store(db) as store:
        documents = list(store.documents.iter())
    names = {d.id: outlet_of(d).label for d in documents}
    files = {d.id: d.metadata["file"] for d in documents}
    facts = json.loads((out / "facts.json").read_text(encoding="utf-8"))
    return Compared(out / "report.html", facts, names, files)


def _fact_with(compared: Compared, outlet: str, quote_start: str) -> dict[str, Any]:
    """The one fact holding `outlet`'s claim that starts with `quote_start`."""
    found = [
        fact
        for fact in compared.facts["facts"]
        if any(_is(compared, c, outlet, quote_start) for c in fact["claims"])
    ]
    assert len(found) == 1, f"no single fact with {outlet}'s claim {quote_start!r}"
    return found[0]


def _is(compared: Compared, claim: dict[str, Any], outlet: str, quote_start: str) -> bool:
    return compared.names[claim["doc_id"]] == outlet and claim["quote"].startswith(quote_start)


def _anchor(claim: dict[str, Any]) -> str:
    """The id the report gives a quote's place in its article (`report.anchor`)."""
    return f"q-{claim['doc_id']}-{claim['start']}-{claim['end']}"


def test_the_crafted_articles_give_the_page_one_of_everything(compared: Compared) -> None:
    """Guards the other tests: if the rules stop reading the crafted sentences as claims
    (or the judge stops pairing them), fail here with the reason, not in a browser."""
    met = _fact_with(compared, WIRE, MET)
    assert {compared.names[c["doc_id"]] for c in met["claims"]} == {WIRE, IFP}
    assert len(_fact_with(compared, IFP, EIGHTY)["sources"]) == 1
    assert len(_fact_with(compared, DESK, MARKUP_CLAIM)["sources"]) == 1
    (ninety,) = [
        c for c in compared.facts["contradictions"] if c["claim_b"]["quote"].startswith(NINETY)
    ]
    assert ninety["claim_a"]["quote"].startswith(EIGHTY)
    assert ninety["detail"] == "number" and ninety["values"] == {"a": "80", "b": "90"}
    assert any(s["holder"] == "Vladimir Putin" and compared.names[s["doc_id"]] == WIRE
               for s in compared.facts["stances"])  # fmt: skip


def test_the_html_names_no_url_and_runs_only_its_own_script(compared: Compared) -> None:
    """Offline and inert by construction, whatever a browser would make of it: no address to
    fetch; one script, the report's own filter, the only one its Content-Security-Policy
    lets run; the article's own ``<script>`` is there, escaped."""
    html = compared.report.read_text(encoding="utf-8")
    assert not re.search(r"https?://", html, re.IGNORECASE)
    own = (ROOT / "annotate" / "compare" / "templates" / "report.js").read_text(encoding="utf-8")
    assert html.lower().count("<script") == 1
    assert f"<script>{own}</script>" in html
    digest = base64.b64encode(hashlib.sha256(own.encode()).digest()).decode()
    policy = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html)
    assert policy is not None
    rules = html_module.unescape(policy[1])
    assert "default-src 'none'" in rules and f"script-src 'sha256-{digest}'" in rules
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b&gt;bold&lt;/b&gt;" in html


def _labels(compared: Compared, doc_ids: list[str]) -> set[str]:
    return {compared.names[doc] for doc in doc_ids}


def expected_grid(compared: Compared) -> tuple[Counter[frozenset[str]], Counter[frozenset[str]]]:
    """From facts.json: facts each two outlets both report, contradictions between them
    (an outlet with itself: the facts it shares with any other)."""
    facts: Counter[frozenset[str]] = Counter()
    for fact in compared.facts["facts"]:
        outlets = sorted(_labels(compared, [c["doc_id"] for c in fact["claims"]]))
        if len(outlets) > 1:
            facts.update(frozenset({o}) for o in outlets)
            facts.update(frozenset(p) for p in itertools.combinations(outlets, 2))
    against: Counter[frozenset[str]] = Counter(
        frozenset(_labels(compared, [c["claim_a"]["doc_id"], c["claim_b"]["doc_id"]]))
        for c in compared.facts["contradictions"]
    )
    return facts, against


# -- in the browser ------------------------------------------------------------


@dataclass
class Reader:
    """A page showing the report, with every request it made and every dialog it opened."""

    page: Any
    requests: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def chromium(compared: Compared) -> Iterator[Any]:
    """One headless Chromium for the module (Debian's, as `annotate.testing.browser` runs it).

    Takes `compared` so the comparison is built first: Playwright's sync API keeps an
    event loop running, and `asyncio.run` (the pre-annotation) refuses to start inside one.
    """
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=QUIET_FLAGS
        )
        yield browser
        browser.close()


@pytest.fixture
def reader(chromium: Any, compared: Compared) -> Iterator[Reader]:
    """A fresh page on the report, listening before it loads (a request or an alert fired
    while loading is exactly what must not happen)."""
    context = chromium.new_context(viewport={"width": WIDTH, "height": HEIGHT})
    page = context.new_page()
    found = Reader(page)
    page.on("request", lambda request: found.requests.append(request.url))

    def dialog(opened: Any) -> None:
        found.dialogs.append(opened.message)
        opened.dismiss()

    page.on("dialog", dialog)
    page.goto(compared.url, wait_until="load")
    yield found
    context.close()


def _shown(locator: Any, visible: bool = True) -> None:
    """Wait (up to 5 s) for `locator` to be drawn, or hidden: a click redraws on the next frame,
    which a loaded machine can delay past an immediate check."""
    from playwright.sync_api import expect

    if visible:
        expect(locator).to_be_visible(timeout=5000)
    else:
        expect(locator).to_be_hidden(timeout=5000)


def _on_first_screen(locator: Any) -> bool:
    """Drawn entirely inside the 1366x768 viewport, without scrolling."""
    box = locator.bounding_box()
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= HEIGHT


@pytest.mark.browser
def test_the_grid_names_outlets_or_titles_never_files(compared: Compared, reader: Reader) -> None:
    """Columns and rows name each outlet the manifest gives, else the article's headline
    (the seeds 000, 001 and 004 have no outlet), never the file it was read from."""
    grid = reader.page.get_by_role("table", name="Outlets by outlet")
    columns = [t.strip() for t in grid.locator("thead th").all_text_contents()][1:]
    rows = [t.strip() for t in grid.locator("tbody th").all_text_contents()]
    assert columns == rows and len(columns) == len(set(compared.names.values())) == 7
    manifest = json.loads((SEEDS / "manifest.json").read_text(encoding="utf-8"))
    for entry in manifest:
        if entry["outlet"]:
            assert entry["outlet"] in columns
        elif entry["headline"]:
            assert any(entry["headline"].startswith(c.rstrip("…")) for c in columns), entry
    assert {WIRE, DESK, IFP} <= set(columns)
    for column in columns:
        assert not any(Path(file).stem in column for file in compared.files.values())
        assert not re.search(r"\.(txt|md|jsonl)\b", column), column


@pytest.mark.browser
def test_the_grid_counts_shared_facts_and_contradictions_per_pair(
    compared: Compared, reader: Reader
) -> None:
    grid = reader.page.get_by_role("table", name="Outlets by outlet")
    columns = [t.strip() for t in grid.locator("thead th").all_text_contents()][1:]
    facts, against = expected_grid(compared)
    rows = grid.locator("tbody tr")
    for i, row_outlet in enumerate(columns):
        cells = rows.nth(i).locator("td")
        for j, column_outlet in enumerate(columns):
            pair = frozenset({row_outlet, column_outlet})
            cell = cells.nth(j)
            assert int(cell.get_attribute("data-facts") or "-1") == facts[pair], pair
            assert int(cell.get_attribute("data-contradictions") or "-1") == against[pair], pair
            shown = cell.locator("a.n").all_text_contents()
            assert shown == ([str(facts[pair])] if facts[pair] else []), pair
    assert against[frozenset({WIRE, IFP})] == 1  # the 80 / 90 companies
    cell = rows.nth(columns.index(WIRE)).locator("td").nth(columns.index(IFP))
    assert cell.locator("a.x").text_content() == "1" and cell.locator("a.x").is_visible()


@pytest.mark.browser
def test_the_grid_and_the_first_contradiction_are_on_the_first_screen(reader: Reader) -> None:
    page = reader.page
    assert _on_first_screen(page.get_by_role("table", name="Outlets by outlet"))
    first = page.get_by_role("table", name="Contradictions").locator("tbody tr").first
    assert _on_first_screen(first)
    assert all(_on_first_screen(mark) for mark in first.locator("mark").all())


@pytest.mark.browser
def test_a_grid_cell_lists_the_facts_of_its_two_outlets(compared: Compared, reader: Reader) -> None:
    """Clicking the count of facts two outlets share leaves exactly those facts in the list."""
    page = reader.page
    grid = page.get_by_role("table", name="Outlets by outlet")
    columns = [t.strip() for t in grid.locator("thead th").all_text_contents()][1:]
    cell = grid.locator("tbody tr").nth(columns.index(WIRE)).locator("td").nth(columns.index(IFP))
    cell.locator("a.n").click()
    page.wait_for_function("location.hash === '#shared'")
    both = [
        f["id"] for f in compared.facts["facts"]
        if {WIRE, IFP} <= _labels(compared, [c["doc_id"] for c in f["claims"]])
    ]  # fmt: skip
    shown = page.locator("ol.facts > li:not([hidden])")
    assert [shown.nth(i).get_attribute("id") for i in range(shown.count())] == both
    _shown(shown.first)
    contradictions = page.get_by_role("table", name="Contradictions")
    assert contradictions.locator("tbody tr:not([hidden])").filter(has_text=NINETY).count() == 1


@pytest.mark.browser
def test_the_outlet_filter_hides_the_facts_of_other_outlets(
    compared: Compared, reader: Reader
) -> None:
    page = reader.page
    page.get_by_role("combobox", name="Outlet", exact=True).select_option(label=WIRE)
    facts = page.locator("ol.facts > li")
    wire = [
        f["id"] for f in compared.facts["facts"]
        if len(f["sources"]) > 1 and WIRE in _labels(compared, [c["doc_id"] for c in f["claims"]])
    ]  # fmt: skip
    assert wire, "the wire article shares no fact"
    for i in range(facts.count()):
        fact = facts.nth(i)
        assert fact.is_visible() == (fact.get_attribute("id") in wire), fact.get_attribute("id")
    single = page.locator("table[aria-label='Single-outlet facts'] tbody tr:not([hidden])")
    assert {t.strip() for t in single.locator("td:first-child").all_text_contents()} <= {WIRE}
    page.get_by_role("button", name="Show all").click()
    assert page.locator("ol.facts > li[hidden]").count() == 0


@pytest.mark.browser
def test_the_actor_filter_keeps_the_facts_naming_the_actor(
    compared: Compared, reader: Reader
) -> None:
    page = reader.page
    page.get_by_role("combobox", name="Actor", exact=True).select_option(label="Ebrahim Raisi")
    shown = page.locator("ol.facts > li:not([hidden])")
    hidden = page.locator("ol.facts > li[hidden]")
    assert shown.count() >= 1 and hidden.count() >= 1
    for i in range(shown.count()):
        shown.nth(i).locator("summary").click()
        assert "Raisi" in shown.nth(i).inner_text()


@pytest.mark.browser
def test_contradictions_show_both_quotes_with_the_values_marked(
    compared: Compared, reader: Reader
) -> None:
    table = reader.page.get_by_role("table", name="Contradictions")
    assert table.is_visible()
    rows = table.locator("tbody tr")
    contradictions = compared.facts["contradictions"]
    assert rows.count() == len(contradictions) >= 1
    for index, contradiction in enumerate(contradictions):
        cells = rows.nth(index).locator("td")
        assert cells.nth(0).text_content() == contradiction["detail"]
        for column, side in ((1, "a"), (2, "b")):
            claim = contradiction[f"claim_{side}"]
            cell = cells.nth(column)
            assert cell.locator(".who").text_content() == (
                f"{compared.names[claim['doc_id']]} · {claim['speaker']}"
            )
            assert cell.locator(".quote").text_content() == claim["quote"]
            marks = cell.locator("mark")
            assert marks.all_text_contents() == [contradiction["values"][side]]
            assert marks.first.is_visible()
    ninety = rows.filter(has_text=NINETY)
    assert ninety.count() == 1
    assert ninety.locator("mark").all_text_contents() == ["80", "90"]


@pytest.mark.browser
def test_single_outlet_facts_are_folded_and_list_the_80_companies_claim(
    compared: Compared, reader: Reader
) -> None:
    page = reader.page
    table = page.get_by_role("table", name="Single-outlet facts")
    assert not table.is_visible(), "single-outlet facts should be folded away"
    page.locator("details#single > summary").click()
    _shown(table)
    single = [f for f in compared.facts["facts"] if len(f["sources"]) == 1]
    assert table.locator("tbody tr").count() == len(single)
    eighty = _fact_with(compared, IFP, EIGHTY)
    row = table.locator(f"tbody tr[id='{eighty['id']}']")
    assert [t.strip() for t in row.locator("td").all_text_contents()] == [
        IFP, "Vladimir Putin", eighty["claims"][0]["quote"]
    ]  # fmt: skip
    assert row.is_visible()


@pytest.mark.browser
def test_shared_facts_take_one_line_each_with_their_quotes_unfolded_on_demand(
    compared: Compared, reader: Reader
) -> None:
    page = reader.page
    items = page.get_by_role("list", name="Shared facts").locator(":scope > li")
    shared = [f for f in compared.facts["facts"] if len(f["sources"]) > 1]
    assert items.count() == len(shared)
    for fact in shared:
        item = page.locator(f"ol.facts > li[id='{fact['id']}']")
        summary = item.locator("summary")
        assert summary.locator(".fact").text_content() == fact["proposition"]
        outlets = _labels(compared, [c["doc_id"] for c in fact["claims"]])
        assert all(o in summary.locator(".outlets").inner_text() for o in outlets)
        quotes = item.locator(".quote")
        _shown(quotes.first, visible=False)
        summary.click()
        assert sorted(quotes.all_text_contents()) == sorted(c["quote"] for c in fact["claims"])
        _shown(quotes.first)


@pytest.mark.browser
def test_the_stance_tables_are_there(compared: Compared, reader: Reader) -> None:
    page = reader.page
    page.locator("details#stances > summary").click()
    by_target = page.get_by_role("table", name="Stances by target")
    by_outlet = page.get_by_role("table", name="Stances by outlet")
    _shown(by_target)
    _shown(by_outlet)
    assert by_outlet.locator("tbody tr").count() == len(compared.facts["stances"])
    iran = by_target.locator("tbody tr").filter(
        has=page.locator("th", has_text=re.compile("^Iran$"))
    )
    favor = iran.locator("td.favor").inner_text()
    assert f"{WIRE}: Vladimir Putin" in favor and f"{IFP}: Vladimir Putin" in favor
    wire = by_outlet.locator("tbody tr").filter(has_text=NINETY)
    assert [t.strip() for t in wire.locator("td").all_text_contents()][:4] == [
        WIRE, "Vladimir Putin", "Iran", "favor"
    ]  # fmt: skip


@pytest.mark.browser
def test_every_quote_link_lands_on_its_quote_in_its_article(
    compared: Compared, reader: Reader
) -> None:
    """Each link's target holds the very words the link shows (a quote inside another one,
    as the rules' "if it imposes sanctions ..." inside "the US thinks if it imposes ...",
    lands on the enclosing quote: spans are never nested); a click scrolls to it, building
    and opening the folded articles first (they are not built at load)."""
    page = reader.page
    eighty = _fact_with(compared, IFP, EIGHTY)["claims"][0]
    ninety = next(c["claim_b"] for c in compared.facts["contradictions"]
                  if c["claim_b"]["quote"].startswith(NINETY))  # fmt: skip
    markup = _fact_with(compared, DESK, MARKUP_CLAIM)["claims"][0]
    page.locator("details#single > summary").click()
    clicks = [
        (page.get_by_role("table", name="Single-outlet facts"), eighty),
        (page.get_by_role("table", name="Contradictions"), ninety),
        (page.get_by_role("table", name="Single-outlet facts"), markup),
    ]
    for table, claim in clicks:
        table.locator(f"a.quote[href='#{_anchor(claim)}']").click()
        page.wait_for_function(f"location.hash === '#{_anchor(claim)}'")
        target = page.locator(":target")
        assert target.get_attribute("id") == _anchor(claim)
        assert target.text_content() == claim["quote"]
        box = target.bounding_box()
        assert box is not None, "the quote is not displayed"
        assert box["y"] + box["height"] > 0 and box["y"] < HEIGHT, "it was not scrolled to"
        heading = page.locator(f"h3[id='doc-{claim['doc_id']}']")
        assert compared.names[claim["doc_id"]] in heading.inner_text()
    page.locator("details#stances > summary").click()
    page.evaluate("document.querySelectorAll('ol.facts summary').forEach(s => s.click())")
    broken = page.evaluate(
        """() => [...document.querySelectorAll('a.quote[href]')]
            .map(a => [a.getAttribute('href'), a.textContent,
                       document.getElementById(a.getAttribute('href').slice(1))])
            .filter(([href, text, target]) => !target || !target.textContent.includes(text)
                     || !target.matches('article span.q'))
            .map(([href, text]) => [href, text])"""
    )
    assert page.locator("a.quote[href]").count() > 50 and broken == []


#: What the folds hold once built: their tables, the articles, the quotes' places.
FOLDED = "details.fold table, details.fold article, details.fold [id], details.fold tr"


@pytest.mark.browser
def test_folded_sections_are_not_built_at_load_but_on_first_open(
    compared: Compared, reader: Reader
) -> None:
    """The folds' content is kept as raw text at load (no element of it in the DOM), and
    built when its fold is first opened; so are a shared fact's quotes (see the test of
    shared facts for their opening)."""
    page = reader.page
    assert page.locator(FOLDED).count() == 0
    assert page.locator("ol.facts .quote").count() == 0
    assert page.locator("ol.facts details > noscript").count() == len(
        [f for f in compared.facts["facts"] if len(f["sources"]) > 1]
    )
    assert page.locator("details.fold > noscript").count() == 3
    at_load = page.evaluate("document.getElementsByTagName('*').length")
    page.locator("details#single > summary").click()
    single = page.get_by_role("table", name="Single-outlet facts")
    _shown(single)
    count = len([f for f in compared.facts["facts"] if len(f["sources"]) == 1])
    assert single.locator("tbody tr").count() == count
    assert page.locator("details#stances table, article").count() == 0  # the others wait
    page.locator("details#stances > summary").click()
    _shown(page.get_by_role("table", name="Stances by outlet"))
    page.locator("details#articles > summary").click()
    _shown(page.locator("article").first)
    quoted = re.search(r"\((\d+)\)", page.locator("details#articles > summary").inner_text())
    assert quoted is not None and page.locator("article").count() == int(quoted[1]) >= 2
    assert page.locator("details.fold > noscript").count() == 0
    built = page.evaluate("document.getElementsByTagName('*').length") - at_load
    assert built >= page.locator(FOLDED).count() > count
    page.emulate_media(media="print")  # an opened fold prints with its content
    _shown(single)


@pytest.mark.browser
def test_the_filter_counts_and_hides_the_folded_facts_before_and_after_opening(
    compared: Compared, reader: Reader
) -> None:
    page = reader.page
    page.get_by_role("combobox", name="Outlet", exact=True).select_option(label=WIRE)
    single = [f for f in compared.facts["facts"] if len(f["sources"]) == 1]
    wire = [f["id"] for f in single if _labels(compared, [f["claims"][0]["doc_id"]]) == {WIRE}]
    assert 0 < len(wire) < len(single)
    summary = page.locator("details#single > summary")
    assert f"({len(wire)} of {len(single)} shown by the filter)" in summary.inner_text()
    summary.click()
    table = page.get_by_role("table", name="Single-outlet facts")
    _shown(table)
    shown = table.locator("tbody tr:not([hidden])")
    assert [shown.nth(i).get_attribute("id") for i in range(shown.count())] == wire
    assert all(shown.nth(i).is_visible() for i in range(shown.count()))
    page.get_by_role("combobox", name="Actor", exact=True).select_option(label="Ebrahim Raisi")
    assert table.locator("tbody tr:not([hidden])").count() < len(wire)
    page.get_by_role("button", name="Show all").click()
    assert table.locator("tbody tr[hidden]").count() == 0
    assert "shown by the filter" not in summary.inner_text()


@pytest.mark.browser
def test_an_address_into_a_folded_fact_opens_its_fold_at_the_fact(
    chromium: Any, compared: Compared
) -> None:
    """A #fragment naming a single-outlet fact, opened from the address bar, and one typed
    on the open page naming a quote's place in a folded article: each fold is built and
    opened, and its target scrolled to and marked :target."""
    eighty = _fact_with(compared, IFP, EIGHTY)
    context = chromium.new_context(viewport={"width": WIDTH, "height": HEIGHT})
    page = context.new_page()
    page.goto(f"{compared.url}#{eighty['id']}", wait_until="load")
    row = page.locator(f"tr[id='{eighty['id']}']")
    _shown(row)
    assert page.locator("details#single").get_attribute("open") is not None
    page.wait_for_function("document.querySelector(':target') !== null")
    assert page.locator(":target").get_attribute("id") == eighty["id"]
    assert _on_first_screen(row)
    markup = _anchor(_fact_with(compared, DESK, MARKUP_CLAIM)["claims"][0])
    assert page.locator("article").count() == 0
    page.evaluate(f"location.hash = '#{markup}'")
    page.wait_for_function(f"document.querySelector(':target')?.id === '{markup}'")
    target = page.locator(":target")
    assert target.text_content() == _fact_with(compared, DESK, MARKUP_CLAIM)["claims"][0]["quote"]
    assert page.locator("details#articles").get_attribute("open") is not None
    box = target.bounding_box()
    assert box is not None and box["y"] + box["height"] > 0 and box["y"] < HEIGHT
    context.close()


@pytest.mark.browser
def test_with_javascript_off_the_folds_open_with_their_content(
    chromium: Any, compared: Compared
) -> None:
    """No script, no filter: but the folds are ordinary <details> and hold their content."""
    context = chromium.new_context(
        viewport={"width": WIDTH, "height": HEIGHT}, java_script_enabled=False
    )
    page = context.new_page()
    page.goto(compared.url, wait_until="load")
    table = page.get_by_role("table", name="Single-outlet facts")
    assert not table.is_visible()
    page.locator("details#single > summary").click()
    _shown(table)
    single = [f for f in compared.facts["facts"] if len(f["sources"]) == 1]
    assert table.locator("tbody tr").count() == len(single)
    assert page.locator("b").count() == 0 and page.locator("img").count() == 0
    context.close()


@pytest.mark.browser
def test_article_markup_stays_text(compared: Compared, reader: Reader) -> None:
    page = reader.page
    assert page.locator("script").count() == 1  # the report's own (see the CSP test)
    assert page.locator("b").count() == 0
    assert page.locator("img").count() == 0
    assert page.evaluate("window.pwned") is None  # no script ran
    page.locator("details#articles > summary").click()
    assert any(IMAGE in text for text in page.locator("article").all_inner_texts())  # as text
    assert page.evaluate(
        "[...document.querySelectorAll('article *')].every(e => e.matches('span.q'))"
    )
    markup = _fact_with(compared, DESK, MARKUP_CLAIM)["claims"][0]
    quote = page.locator(f"article span.q[id='{_anchor(markup)}']")
    assert quote.text_content() == markup["quote"]
    assert SCRIPT in quote.inner_text() and BOLD in quote.inner_text()
    page.locator("details#single > summary").click()
    single = page.get_by_role("table", name="Single-outlet facts")
    _shown(single.get_by_text(MARKUP_CLAIM, exact=True))
    page.wait_for_timeout(200)
    assert reader.dialogs == []


@pytest.mark.browser
def test_the_page_requests_nothing_but_itself(compared: Compared, reader: Reader) -> None:
    page = reader.page
    # the filter runs offline
    page.get_by_role("combobox", name="Outlet", exact=True).select_option(label=WIRE)
    page.get_by_role("button", name="Show all").click()
    page.locator("a.quote[href]").first.click()
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    page.wait_for_load_state("networkidle")
    assert reader.requests == [compared.url]


def test_the_pictures_in_the_docs_stay_small() -> None:
    """scripts/screenshot_report.py's pictures, shown in docs/comparing.md."""
    for name in ("compare-report.png", "compare-report-filtered.png"):
        assert 0 < (ROOT / "docs" / name).stat().st_size < MAX_SCREENSHOT_BYTES, name


@pytest.fixture(scope="module")
def synthetic_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """1,000 synthetic claims from 30 outlets (the benchmark's corpus), compared by the CLI."""
    from typer.testing import CliRunner

    from annotate.cli import app
    from annotate.testing.compare_corpus import fill

    folder = tmp_path_factory.mktemp("compare-report-1000")
    with Store(folder / "synthetic.db") as store:
        fill(store, 1000, seed=7)
    command = ["--db", str(folder / "synthetic.db"), "compare", "--out", str(folder / "out")]
    result = CliRunner().invoke(app, command)
    assert result.exit_code == 0, result.output
    return folder / "out" / "report.html"


@pytest.mark.browser
def test_with_1000_claims_from_30_outlets_the_first_screen_still_holds_grid_and_contradiction(
    chromium: Any, synthetic_report: Path
) -> None:
    """More outlets than the grid shows: the 12 sharing most facts, the page says so, and the
    first contradiction (both claims, the values marked) still fits the laptop screen."""
    from annotate.compare.report import MAX_GRID
    from annotate.testing.compare_corpus import OUTLETS

    context = chromium.new_context(viewport={"width": WIDTH, "height": HEIGHT})
    page = context.new_page()
    page.goto(synthetic_report.as_uri(), wait_until="load")
    grid = page.get_by_role("table", name="Outlets by outlet")
    columns = [t.strip() for t in grid.locator("thead th").all_text_contents()][1:]
    assert len(columns) == MAX_GRID and set(columns) <= set(OUTLETS)
    assert f"of {len(OUTLETS)}" in page.locator("p.legend").inner_text()
    assert page.locator("#f-outlet option").count() == len(OUTLETS) + 1  # and "any"
    assert _on_first_screen(grid)
    first = page.get_by_role("table", name="Contradictions").locator("tbody tr").first
    assert _on_first_screen(first) and first.locator("mark").count() == 2
    assert all(_on_first_screen(mark) for mark in first.locator("mark").all())
    context.close()
