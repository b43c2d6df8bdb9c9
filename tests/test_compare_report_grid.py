"""The report's names, grid and marks on small hand-made inputs (the browser tests read the page).

An editor reads outlets by name: the metadata's outlet, else the article's title,
never the file it came from. The grid counts, for every two outlets, the facts both
report and the contradictions between them, with the articles of one outlet on one
row; a contradiction's differing value is marked where it stands as a word.
"""

from __future__ import annotations

from annotate.compare.actors import ActorRegistry
from annotate.compare.claims import ComparedClaim, Outlet, reader_label
from annotate.compare.pipeline import Comparison, Contradiction, Fact
from annotate.compare.report import MAX_GRID, Marked, marked, outlet_grid, render_report
from annotate.schemas import OUTLET, DifferingValues, Verdict
from annotate.store import ClaimPair, ClaimRef, Document
from annotate.studio.push_comparisons import comparison_task_data

FILE = "/data/news/000_856e5b2c16a2e29d.txt"


def _document(text: str = "Body only.", **metadata: str) -> Document:
    return Document("856e5b2c16a2e29d", text, FILE, {"file": "000_856e5b2c16a2e29d.txt",
                                                      **metadata})  # fmt: skip


def test_the_outlet_in_the_metadata_names_the_document() -> None:
    assert reader_label(_document(outlet="Harbour Times", headline="A headline")) == (
        "Harbour Times"
    )


def test_without_an_outlet_the_headline_or_title_names_it() -> None:
    assert reader_label(_document(headline="Talks resume in Vienna")) == "Talks resume in Vienna"
    assert reader_label(_document(title="Talks resume in Vienna")) == "Talks resume in Vienna"
    assert reader_label(_document(outlet="  ", headline="Talks resume")) == "Talks resume"


def test_without_a_title_the_first_line_names_it_never_the_file() -> None:
    document = _document("\n\n  Talks resume in Vienna  \n\nThe delegations met on Monday.")
    assert reader_label(document) == "Talks resume in Vienna"
    assert "856e5b2c" not in reader_label(_document("One line of text."))


def test_a_long_title_is_cut_at_a_word() -> None:
    lead = "Russian President Vladimir Putin on Wednesday proposed NATO to begin negotiations " \
           "to prevent the Atlantic Alliance from expanding"  # fmt: skip
    label = reader_label(_document(lead))
    assert label.endswith("…") and len(label) <= 81
    assert lead.startswith(label[:-1]) and lead[len(label) - 1] == " "


def _outlet(doc_id: str, label: str) -> Outlet:
    return Outlet(doc_id, f"{doc_id}.txt", f"{doc_id}.txt", None, label)


def _claim(outlet: Outlet, start: int = 0) -> ComparedClaim:
    return ComparedClaim(outlet, start, start + 1, "x", "x.", "A", "indirect", ())


def test_the_grid_counts_pairs_of_outlets_with_one_row_per_outlet() -> None:
    a1, a2 = _outlet("a1", "Alpha"), _outlet("a2", "Alpha")  # two articles of one outlet
    b, c = _outlet("b", "Beta"), _outlet("c", "Gamma")
    facts = [
        Fact("F1", "x", [_claim(a1), _claim(b)]),
        Fact("F2", "x", [_claim(a2), _claim(b), _claim(c)]),
        Fact("F3", "x", [_claim(a1), _claim(a2)]),  # one outlet's two articles: not shared
    ]
    verdict = Verdict(relation="contradicts", detail="number",
                      values=DifferingValues(a="80", b="90"), rationale="r")  # fmt: skip
    contradictions = [Contradiction("F1", "F2", _claim(c, 5), _claim(a1, 5), verdict)]
    grid = outlet_grid(facts[:2], contradictions, [a1, a2, b, c])
    assert grid.labels == ["Alpha", "Beta", "Gamma"]  # most facts shared first
    alpha, beta, gamma = 0, 1, 2
    assert grid.of_doc == {"a1": alpha, "a2": alpha, "b": beta, "c": gamma}
    assert grid.facts[(alpha, beta)] == grid.facts[(beta, alpha)] == 2
    assert grid.facts[(alpha, gamma)] == grid.facts[(beta, gamma)] == 1
    assert grid.facts[(alpha, alpha)] == 2 and grid.facts[(gamma, gamma)] == 1
    assert grid.contradictions[(alpha, gamma)] == grid.contradictions[(gamma, alpha)] == 1
    assert grid.contradictions[(alpha, beta)] == 0
    assert grid.heat(alpha, beta) > grid.heat(alpha, gamma) > 0


def test_the_grid_shows_the_outlets_sharing_most_facts() -> None:
    outlets = [_outlet(f"d{i}", f"Outlet {i}") for i in range(MAX_GRID + 5)]
    facts = [Fact(f"F{i}", "x", [_claim(outlets[i]), _claim(outlets[i + 1])])
             for i in range(MAX_GRID + 2, MAX_GRID + 4)]  # fmt: skip
    grid = outlet_grid(facts, [], outlets)
    assert len(grid.shown) == MAX_GRID and len(grid.labels) == MAX_GRID + 5
    assert grid.labels[0] == f"Outlet {MAX_GRID + 3}"  # in two facts
    assert set(grid.labels[:3]) == {f"Outlet {MAX_GRID + n}" for n in (2, 3, 4)}


def test_the_differing_value_is_marked_where_it_stands_as_a_word() -> None:
    assert marked("180 people fled and 80 companies left", "80") == Marked(
        "180 people fled and ", "80", " companies left"
    )
    assert marked("up 180%", "80") == Marked("up 1", "80", "%")  # no word of its own: as found
    assert marked("no value here", "80") == Marked("no value here", "", "")
    assert marked("a quote", None) == Marked("a quote", "", "")


def test_outlet_names_titles_and_quotes_reach_the_page_as_text() -> None:
    """A headline or outlet from metadata is data like the article: escaped wherever the page
    shows it (grid, filter, lists, attributes), and the page's one script stays the only one."""
    hostile = '"><img src=x onerror=alert(1)><script>alert(2)</script>'
    a, b = _outlet("a", f"Outlet {hostile}"), _outlet("b", "Beta")
    quote = f"the </script><script>alert(3)</script> 80 companies {hostile}"
    claim_a = ComparedClaim(a, 0, len(quote), quote, quote, "A", "indirect", ())
    claim_b = ComparedClaim(b, 0, len(quote), quote, quote, OUTLET, "authorial", ())
    verdict = Verdict(relation="contradicts", detail="number",
                      values=DifferingValues(a="80", b="80"), rationale=hostile)  # fmt: skip
    registry = ActorRegistry()
    registry.link()
    found = Comparison(
        1, "rules", "auto", [a, b], [Fact("F1", quote, [claim_a, claim_b])],
        [Contradiction("F1", "F1", claim_a, claim_b, verdict)], [], [], registry,
        counts={"documents": 2, "claims": 2, "candidate_pairs": 1, "all_pairs": 1, "facts": 1,
                "shared_facts": 1, "single_outlet_facts": 0, "contradictions": 1, "stances": 0},
        texts={"a": quote, "b": quote},
    )  # fmt: skip
    html = render_report(found)
    assert "<img" not in html and html.count("<script") == 1
    assert html.count("&lt;img src=x onerror=alert(1)&gt;") >= 6  # grid x2, filter x2, ...
    assert "&lt;/script&gt;&lt;script&gt;alert(3)&lt;/script&gt;" in html


def test_the_comparisons_task_names_articles_as_the_report_does() -> None:
    """A verifier in Label Studio reads the same names as the editor: the outlet or the
    title above each claim, never the file the article came from."""
    a = _document("Talks resume in Vienna\n\nThe talks resumed on Monday.")
    b = Document("b" * 16, "Ministers met.", "/data/news/001_b.txt", {"outlet": "Harbour Times"})
    pair = ClaimPair(ClaimRef(a.id, 24, 51), ClaimRef(b.id, 0, 14))
    data = comparison_task_data(pair, a, b)
    assert (data["source_a"], data["source_b"]) == ("Talks resume in Vienna", "Harbour Times")
