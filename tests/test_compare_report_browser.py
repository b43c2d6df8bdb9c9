"""``report.html`` as a reader sees it: headless Chromium on the page `annotate compare` writes.

The HTML string can look right while the page reads wrong: a value marked in the
wrong quote, a link that lands nowhere, article text turned into markup, a font
fetched from the web. So the seeds and two crafted articles are pre-annotated by
the rules and compared through the CLI, as a user would, and the page is opened
from file:// in Debian's Chromium (the project's browser helper flags; never a
downloaded browser). The crafted articles give the page one of everything: a
fact shared with the seed 002 (the Putin-Raisi meeting), a contradiction with it
(90 Russian companies where 002 says 80), a stance, and an article whose text
holds ``<script>`` and ``<b>`` inside a claim sentence.

``ANNOTATE_SCREENSHOTS=1`` also saves the top of the page to ``docs/compare-report.png``.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from annotate.cli import app
from annotate.compare.claims import outlet_of
from annotate.ingest import ingest_paths
from annotate.preannotate.pipeline import preannotate
from annotate.preannotate.providers.rules import RulesProvider
from annotate.store import Store
from annotate.testing.browser import CHROMIUM, QUIET_FLAGS

from .conftest import ROOT, SEEDS

runner = CliRunner()

WIDTH, HEIGHT = 1280, 1000
SCREENSHOT = ROOT / "docs" / "compare-report.png"
#: The committed screenshot stays small (docs/comparing.md shows it; the repository keeps it).
MAX_SCREENSHOT_BYTES = 300_000

#: Outlet names the crafted articles' manifest gives them.
WIRE, DESK = "Wire Service", "Tehran Desk"
IFP = "Iran Front Page (IFP)"  # the seed 002's outlet (seeds/manifest.json)

#: Reports the seed 002's meeting (a shared fact) with 90 companies where 002 says 80.
WIRE_TEXT = """Russian business delegation heads to Tehran

Russia's President Vladimir Putin met Iran's President Ebrahim Raisi on Thursday in Uzbekistan.

Putin said 90 Russian companies will send their representatives to Iran next week as efforts \
continue to expand bilateral ties.
"""
MET = "Russia's President Vladimir Putin met Iran's President Ebrahim Raisi"
NINETY = "90 Russian companies will send their representatives to Iran next week"
EIGHTY = "80 Russian companies will send their representatives to Iran next week"

#: Markup in a claim sentence: article text is data and must reach the reader as text.
SCRIPT, BOLD = "<script>alert(1)</script>", "<b>bold</b>"
#: Markup that would run script if it ever became markup (it sets ``window.pwned``).
IMAGE = '<img src=x onerror="window.pwned=1">'
DESK_TEXT = f"""Raisi on sanctions

Iran's President Ebrahim Raisi said the {SCRIPT} sanctions imposed by the US are a {BOLD} \
failure.

A spokesman said {IMAGE} the talks would go on.

The Iranian president said the US thinks if it imposes sanctions on a country, that country \
will stop.
"""
MARKUP_CLAIM = f"the {SCRIPT} sanctions imposed by the US are a {BOLD} failure"


@dataclass
class Compared:
    """What `annotate compare` wrote, with what the test needs to read it."""

    report: Path
    facts: dict[str, Any]
    #: document id -> the outlet name the report shows for it
    names: dict[str, str]

    @property
    def url(self) -> str:
        return self.report.as_uri()


@pytest.fixture(scope="module")
def compared(tmp_path_factory: pytest.TempPathFactory) -> Compared:
    """The seeds and the crafted articles, pre-annotated by the rules, compared by the CLI."""
    folder = tmp_path_factory.mktemp("compare-report")
    crafted = folder / "crafted"
    crafted.mkdir()
    (crafted / "wire.txt").write_text(WIRE_TEXT, encoding="utf-8")
    (crafted / "desk.txt").write_text(DESK_TEXT, encoding="utf-8")
    manifest = [{"file": "wire.txt", "outlet": WIRE}, {"file": "desk.txt", "outlet": DESK}]
    (crafted / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    db, out = folder / "report.db", folder / "out"
    with Store(db) as store:
        assert not ingest_paths(store, [SEEDS, crafted]).rejected
        asyncio.run(preannotate(store, RulesProvider()))
        names = {d.id: outlet_of(d).name for d in store.documents.iter()}
    result = runner.invoke(app, ["--db", str(db), "compare", "--out", str(out)])
    assert result.exit_code == 0, result.output
    facts = json.loads((out / "facts.json").read_text(encoding="utf-8"))
    return Compared(out / "report.html", facts, names)


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


def test_the_html_names_no_url_and_holds_no_script_tag(compared: Compared) -> None:
    """Offline and inert by construction, whatever a browser would make of it: no address to
    fetch, no script to run; the article's own ``<script>`` is there, escaped."""
    html = compared.report.read_text(encoding="utf-8")
    assert not re.search(r"https?://", html, re.IGNORECASE)
    assert "<script" not in html.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b&gt;bold&lt;/b&gt;" in html


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


@pytest.mark.browser
def test_the_matrix_puts_each_shared_fact_under_its_outlets(
    compared: Compared, reader: Reader
) -> None:
    page = reader.page
    table = page.get_by_role("table", name="Facts by outlet")
    assert table.is_visible()
    columns = [t.strip() for t in table.locator("thead th").all_text_contents()][1:]
    shared = [f for f in compared.facts["facts"] if len(f["sources"]) > 1]
    assert table.locator("tbody tr").count() == len(shared)
    for fact in shared:
        row = table.locator(f"tbody tr[id='{fact['id']}']")
        assert row.locator("th").text_content() == fact["proposition"]
        cells = row.locator("td")
        assert cells.count() == len(columns)
        quotes: dict[str, list[str]] = {}
        for claim in fact["claims"]:
            quotes.setdefault(compared.names[claim["doc_id"]], []).append(claim["quote"])
        for index, outlet in enumerate(columns):
            cell = cells.nth(index)
            shown = cell.locator(".quote").all_text_contents()
            if outlet in quotes:
                assert cell.get_attribute("class") == "yes" and shown == quotes[outlet], outlet
            else:
                assert cell.get_attribute("class") == "no" and not shown, outlet
    met = table.locator(f"tbody tr[id='{_fact_with(compared, WIRE, MET)['id']}']")
    for outlet in (WIRE, IFP):
        cell = met.locator("td").nth(columns.index(outlet))
        assert cell.is_visible() and cell.locator(".quote").count() == 1


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
def test_single_outlet_facts_list_the_80_companies_claim(
    compared: Compared, reader: Reader
) -> None:
    table = reader.page.get_by_role("table", name="Single-outlet facts")
    assert table.is_visible()
    single = [f for f in compared.facts["facts"] if len(f["sources"]) == 1]
    assert table.locator("tbody tr").count() == len(single)
    eighty = _fact_with(compared, IFP, EIGHTY)
    row = table.locator(f"tbody tr[id='{eighty['id']}']")
    assert [t.strip() for t in row.locator("td").all_text_contents()] == [
        IFP, "Vladimir Putin", eighty["claims"][0]["quote"]
    ]  # fmt: skip
    assert row.is_visible()


@pytest.mark.browser
def test_the_stance_tables_are_there(compared: Compared, reader: Reader) -> None:
    page = reader.page
    by_target = page.get_by_role("table", name="Stances by target")
    by_outlet = page.get_by_role("table", name="Stances by outlet")
    assert by_target.is_visible() and by_outlet.is_visible()
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
    lands on the enclosing quote: spans are never nested); a click scrolls to it."""
    page = reader.page
    broken = page.evaluate(
        """() => [...document.querySelectorAll('a.quote[href]')]
            .map(a => [a.getAttribute('href'), a.textContent,
                       document.getElementById(a.getAttribute('href').slice(1))])
            .filter(([href, text, target]) => !target || !target.textContent.includes(text)
                     || !target.matches('article span.q'))
            .map(([href, text]) => [href, text])"""
    )
    assert page.locator("a.quote[href]").count() > 50 and broken == []
    eighty = _fact_with(compared, IFP, EIGHTY)["claims"][0]
    ninety = next(c["claim_b"] for c in compared.facts["contradictions"]
                  if c["claim_b"]["quote"].startswith(NINETY))  # fmt: skip
    markup = _fact_with(compared, DESK, MARKUP_CLAIM)["claims"][0]
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


@pytest.mark.browser
def test_article_markup_stays_text(compared: Compared, reader: Reader) -> None:
    page = reader.page
    assert page.locator("script").count() == 0
    assert page.locator("b").count() == 0
    assert page.locator("img").count() == 0
    assert page.evaluate("window.pwned") is None  # no script ran
    assert any(IMAGE in text for text in page.locator("article").all_inner_texts())  # as text
    assert page.evaluate(
        "[...document.querySelectorAll('article *')].every(e => e.matches('span.q'))"
    )
    markup = _fact_with(compared, DESK, MARKUP_CLAIM)["claims"][0]
    quote = page.locator(f"article span.q[id='{_anchor(markup)}']")
    assert quote.text_content() == markup["quote"]
    assert SCRIPT in quote.inner_text() and BOLD in quote.inner_text()
    single = page.get_by_role("table", name="Single-outlet facts")
    assert single.get_by_text(MARKUP_CLAIM, exact=True).is_visible()
    page.wait_for_timeout(200)
    assert reader.dialogs == []


@pytest.mark.browser
def test_the_page_requests_nothing_but_itself(compared: Compared, reader: Reader) -> None:
    page = reader.page
    page.locator("a.quote[href]").first.click()
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    page.wait_for_load_state("networkidle")
    assert reader.requests == [compared.url]


@pytest.mark.browser
@pytest.mark.skipif(
    os.environ.get("ANNOTATE_SCREENSHOTS") != "1", reason="set ANNOTATE_SCREENSHOTS=1"
)
def test_screenshot_of_the_top_of_the_page(reader: Reader) -> None:
    """The picture of the report in docs/comparing.md: what a reader sees on opening it."""
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    reader.page.screenshot(path=str(SCREENSHOT), full_page=False)
    assert 0 < SCREENSHOT.stat().st_size < MAX_SCREENSHOT_BYTES
