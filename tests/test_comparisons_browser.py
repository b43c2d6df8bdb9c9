"""A comparisons task as an annotator sees it: headless Chromium on the real Label Studio UI.

The config (`comparison_config`) and the task data (`comparison_task_data`) can
be right as strings while the page reads wrong: a Header showing "$source_a"
literally, the two claims stacked instead of side by side, the detail choices
always shown, a differing value marked in the context. So the seeds and one crafted article are
pre-annotated by the rules, compared through the CLI, pushed with
`push_comparisons` to Label Studio 1.23.2, and the task of the judge's
contradiction is opened in Debian's Chromium (the project's browser helper).

The crafted article (a wire report saying 90 Russian companies where the seed
002 says 80) gives the seeds a contradiction with differing values, which the
seeds alone do not have: the task shows "contradicts", the detail "number" and
"80" / "90" highlighted in the claims.

``ANNOTATE_SCREENSHOTS=1`` also saves the task to ``docs/comparisons-task.png``.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from annotate.codec import verdicts as V
from annotate.store import Document, Store, StoredVerdict
from annotate.studio import server
from annotate.studio.connection import Credentials, connect
from annotate.studio.push_comparisons import push_comparisons
from annotate.testing.browser import logged_in_page, open_task

from .conftest import ROOT, SEEDS, compared_by_the_rules

pytestmark = [pytest.mark.studio, pytest.mark.browser]

TITLE = "browser-test: comparisons"
WIDTH, HEIGHT = 1280, 800
SCREENSHOT = ROOT / "docs" / "comparisons-task.png"
#: The committed screenshot stays small (docs/comparing.md shows it; the repository keeps it).
MAX_SCREENSHOT_BYTES = 300_000

IFP = "Iran Front Page (IFP)"  # the seed 002's outlet (seeds/manifest.json), no date
WIRE, WIRE_DATE = "Wire Service", "2022-09-16"
#: Reports the seed 002's "80 Russian companies" as 90.
WIRE_TEXT = """Russian business delegation heads to Tehran

Russia's President Vladimir Putin met Iran's President Ebrahim Raisi on Thursday in Uzbekistan.

Putin said 90 Russian companies will send their representatives to Iran next week as efforts \
continue to expand bilateral ties.
"""


@dataclass
class Pushed:
    """The comparisons project in Label Studio, and the contradiction's task in it."""

    studio: server.StudioConfig
    project_id: int
    task_id: int
    verdict: StoredVerdict
    #: side ("a", "b") -> the claim's document
    documents: dict[str, Document]
    #: side -> the task's data as pushed
    data: dict[str, Any]

    def quote(self, side: str) -> str:
        ref = self.verdict.a if side == "a" else self.verdict.b
        return self.documents[side].text[ref.start : ref.end]


@pytest.fixture(scope="module")
def compared(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seeds and the wire report, pre-annotated by the rules and compared through the CLI."""
    folder = tmp_path_factory.mktemp("comparisons-browser")
    crafted = folder / "crafted"
    crafted.mkdir()
    (crafted / "wire.txt").write_text(WIRE_TEXT, encoding="utf-8")
    manifest = [{"file": "wire.txt", "outlet": WIRE, "date": WIRE_DATE}]
    (crafted / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return compared_by_the_rules(folder / "compared.db", [SEEDS, crafted], folder / "out")


@pytest.fixture(scope="module")
def pushed(compared: Path, studio: server.StudioConfig) -> Pushed:
    """Every pair pushed as `annotate push --comparisons` does; the judge's one contradiction."""
    client = connect(Credentials(studio.url, studio.token, "test"))
    with Store(compared) as store:
        run = store.comparisons.last()
        assert run is not None
        report = push_comparisons(store, client, studio.url, TITLE)
        contradictions = [
            v for v in store.comparisons.iter_verdicts(run.id) if v.relation == "contradicts"
        ]
        assert len(contradictions) == 1, "the wire report no longer contradicts the seed 002"
        (verdict,) = contradictions
        task = store.verification.tasks(studio.url, report.project_id)[verdict.pair.key]
        documents = {
            "a": store.documents.get(verdict.a.doc_id),
            "b": store.documents.get(verdict.b.doc_id),
        }
    data = client.tasks.get(id=task.task_id).data
    return Pushed(studio, report.project_id, task.task_id, verdict, documents, data)


@pytest.fixture
def page(pushed: Pushed) -> Iterator[Any]:
    """A page logged in as the admin, on the contradiction's task."""
    with logged_in_page(pushed.studio, width=WIDTH, height=HEIGHT) as opened:
        open_task(opened, pushed.studio, pushed.project_id, pushed.task_id)
        yield opened


# -- locating what the annotator sees -------------------------------------------------


def texts_showing(page: Any, text: str) -> list[Any]:
    """The Text objects showing exactly `text` (whitespace aside), in the page's order."""
    shown = page.locator(".lsf-richtext")
    return [
        shown.nth(i) for i in range(shown.count()) if flat(shown.nth(i).inner_text()) == flat(text)
    ]


def claim_text(page: Any, quote: str) -> Any:
    """The one Text object showing the claim `quote` (not the context around it)."""
    (found,) = texts_showing(page, quote)
    return found


def header(page: Any, side: str) -> Any:
    return page.get_by_role("heading", name=re.compile(rf"^Claim {side.upper()}\b"))


def radio(page: Any, value: str) -> Any:
    return page.locator(f"input[type=radio][name='{value}']")


def choose(page: Any, value: str) -> None:
    """Click a choice as an annotator does: on its label."""
    page.locator("label.lsf-choice__checkbox").filter(has=radio(page, value)).click()


def box(locator: Any) -> dict[str, float]:
    found = locator.bounding_box()
    assert found is not None, "not displayed"
    return found


def highlights(locator: Any) -> list[str]:
    return [t.strip() for t in locator.locator("span.htx-highlight").all_inner_texts()]


def flat(text: str) -> str:
    return " ".join(text.split())


def drag_over(page: Any, locator: Any, word: str) -> None:
    """Select `word` inside `locator` with the mouse, as an annotator marks a span."""
    rect = locator.evaluate(
        """(element, word) => {
            const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
            for (let node = walker.nextNode(); node; node = walker.nextNode()) {
                const at = node.data.indexOf(word);
                if (at < 0) continue;
                const range = document.createRange();
                range.setStart(node, at);
                range.setEnd(node, at + word.length);
                const r = range.getBoundingClientRect();
                return [r.left, r.top, r.width, r.height];
            }
            return null;
        }""",
        word,
    )
    assert rect is not None, f"{word!r} is not in the text"
    left, top, width, height = rect
    page.mouse.move(left + 1, top + height / 2)
    page.mouse.down()
    page.mouse.move(left + width - 1, top + height / 2, steps=5)
    page.mouse.up()
    page.wait_for_timeout(500)


# -- the tests (the first ones look, the last ones click: keep them in this order) -----


def test_both_claims_side_by_side_under_their_outlet_and_date(pushed: Pushed, page: Any) -> None:
    sources = {doc.metadata.get("file"): side for side, doc in pushed.documents.items()}
    wire_side = sources["wire.txt"]
    expected = {side: f"{WIRE} · {WIRE_DATE}" if side == wire_side else IFP for side in "ab"}
    for side in "ab":
        shown = header(page, side)
        assert shown.count() == 1
        assert shown.inner_text() == f"Claim {side.upper()}: {expected[side]}"
        assert "$" not in shown.inner_text()  # the Header interpolated $source_a / $source_b
    claims = {side: claim_text(page, pushed.quote(side)) for side in "ab"}
    for claim in claims.values():
        assert claim.is_visible()
    a, b = box(claims["a"]), box(claims["b"])
    assert a["x"] + a["width"] <= b["x"], "claim A is not left of claim B"
    assert a["y"] < b["y"] + b["height"] and b["y"] < a["y"] + a["height"], "not side by side"
    assert b["x"] + b["width"] <= WIDTH, "claim B is cut off"
    heads = {side: box(header(page, side)) for side in "ab"}
    assert heads["a"]["x"] + heads["a"]["width"] <= heads["b"]["x"]
    for side, claim in (("a", a), ("b", b)):
        assert heads[side]["y"] < claim["y"], f"claim {side}'s header is not above it"
        assert heads[side]["x"] <= claim["x"] < heads[side]["x"] + heads[side]["width"]
    # The sentences around each claim are there, in the claim's column.
    for side in "ab":
        for key in (f"before_{side}", f"after_{side}"):
            context = pushed.data[key]
            assert context.strip(), key
            (shown,) = texts_showing(page, context)
            around, claim = box(shown), box(claims[side])
            assert around["x"] < claim["x"] + claim["width"], key
            assert claim["x"] < around["x"] + around["width"], key


def test_the_judges_contradiction_is_selected_with_its_values_highlighted(
    pushed: Pushed, page: Any
) -> None:
    verdict = pushed.verdict.verdict
    assert verdict.relation == "contradicts" and verdict.detail == "number"
    assert verdict.values is not None and (verdict.values.a, verdict.values.b) == ("80", "90")
    checked = [value for value in V.CHOICES[V.RELATION] if radio(page, value).is_checked()]
    assert checked == ["contradicts"]
    for value in V.CHOICES[V.DETAIL]:
        assert radio(page, value).is_visible(), value
    details = [value for value in V.CHOICES[V.DETAIL] if radio(page, value).is_checked()]
    assert details == ["number"]
    for side, value in (("a", verdict.values.a), ("b", verdict.values.b)):
        claim = claim_text(page, pushed.quote(side))
        assert highlights(claim) == [value], f"claim {side}"
        assert claim.locator("span.htx-highlight").first.is_visible()
    assert highlights(page) == ["80", "90"]  # nothing in the context is marked
    assert page.get_by_text(verdict.rationale, exact=True).is_visible()


@pytest.mark.skipif(
    os.environ.get("ANNOTATE_SCREENSHOTS") != "1", reason="set ANNOTATE_SCREENSHOTS=1"
)
def test_screenshot_of_the_task(pushed: Pushed, page: Any) -> None:
    """The picture of a comparisons task in docs/comparing.md, the judge's verdict on it."""
    assert radio(page, "contradicts").is_checked() and highlights(page) == ["80", "90"]
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=False)
    assert 0 < SCREENSHOT.stat().st_size < MAX_SCREENSHOT_BYTES


def test_the_detail_shows_only_for_a_contradiction(page: Any) -> None:
    from playwright.sync_api import expect

    details = [radio(page, value) for value in V.CHOICES[V.DETAIL]]
    for relation in ("same", "elaborates", "unrelated"):
        choose(page, relation)
        expect(radio(page, relation)).to_be_checked()
        for detail in details:
            expect(detail).to_be_hidden()
        choose(page, "contradicts")
        expect(radio(page, "contradicts")).to_be_checked()
        for detail in details:
            expect(detail).to_be_visible()


def test_differing_words_are_marked_in_the_claims_not_in_the_context(
    pushed: Pushed, page: Any
) -> None:
    """Each claim's "differs" label marks words in that claim only (its Labels' toName).

    With the label chosen, a drag over the sentences before the claim marks
    nothing; the same drag over the claim marks the word.
    """
    label = page.locator(".lsf-label").filter(has_text=V.VALUE_LABEL).first  # value_a's
    label.click()
    assert "lsf-label_selected" in (label.get_attribute("class") or "")
    (before,) = texts_showing(page, pushed.data["before_a"])
    drag_over(page, before, "Russia")
    assert highlights(page) == ["80", "90"], "a span was marked in the context"
    if "lsf-label_selected" not in (label.get_attribute("class") or ""):
        label.click()
    claim = claim_text(page, pushed.quote("a"))
    drag_over(page, claim, "companies")
    assert highlights(claim) == ["80", "companies"]
