"""Partner suggestions in the build's outputs: the analytics graph, the country page and the report (issue 18).

The hand-built portfolio (:func:`_portfolio`): four countries, four partners, six forms.

    a1.md  Aland (AAA), 2021:     S (line 10)
    b1.md  Borduria (BBB), 2021:  P (line 20)
    c1.md  Carpania (CCC), 2022:  P (line 30), Q (line 31)
    d1.md  Dystopia (DDD), 2023:  P (line 40)
    d2.md  Dystopia (DDD), 2023:  Q (line 50)
    d3.md  Dystopia (DDD), 2023:  R (line 60)

Aland names S alone, so its candidates are P, Q and R. The default ranking is
popularity (the other countries partnering each): P 3 (BBB, CCC, DDD), Q 2
(CCC, DDD), R 1 (DDD). Scores are popularity rank-normalised over the three
candidates (the share of the other candidates with a smaller value): P 2/2 =
1, Q 1/2 = 0.5, R 0/2 = 0. No form carries an SDG, method or theme, so every
lab is as alike as the next (similarity 0) and the labs are listed by ISO3;
P's labs are Borduria 2021, Carpania 2022, Dystopia 2023 and its last active
year 2023. Dystopia (3 forms) is suggested S alone (its one candidate, whose
one lab gives a positive popularity: score 1).
"""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Graph
from test_analyse import TinyPortfolio

from kg.analyse import ANALYTICS_GRAPH, analyse, analytics_quads
from kg.build import build
from kg.namespaces import PKG, mint
from kg.report import collect_report, render_html, render_markdown
from kg.validate import validate_graph
from kg.visualise import KIND_STYLE, SECTOR_COLOURS, country_view
from kg.visualise import render_html as render_page

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
XSD_INTEGER = "http://www.w3.org/2001/XMLSchema#integer"
P_WHY = "works with 3 labs (Borduria 2021, Carpania 2022, Dystopia 2023); last active 2023"


def _portfolio() -> tuple[ox.Store, dict[str, str]]:
    """The portfolio of the module docstring; its store and IRIs by short name."""
    t = TinyPortfolio()
    ids = {iso3: t.country(iso3, label) for iso3, label in (("AAA", "Aland"), ("BBB", "Borduria"))}
    ids |= {iso3: t.country(iso3, label) for iso3, label in (("CCC", "Carpania"), ("DDD", "Dystopia"))}
    ids |= {key.upper(): t.org(key, key.upper(), "academia") for key in ("p", "q", "r", "s")}
    forms = (
        ("a1.md", "AAA", "2021", (("S", 10),)),
        ("b1.md", "BBB", "2021", (("P", 20),)),
        ("c1.md", "CCC", "2022", (("P", 30), ("Q", 31))),
        ("d1.md", "DDD", "2023", (("P", 40),)),
        ("d2.md", "DDD", "2023", (("Q", 50),)),
        ("d3.md", "DDD", "2023", (("R", 60),)),
    )
    for path, iso3, year, partners in forms:
        doc = t.doc(path, [ids[iso3]], year=year)
        for org, line in partners:
            node = t.partnership(doc, ids[org], "academia", years=(year, year))
            t.add(node, PKG + "line", ox.Literal(str(line), datatype=ox.NamedNode(XSD_INTEGER)), doc)
    return t.store(), ids


@pytest.fixture(scope="module")
def tiny():
    store, ids = _portfolio()
    return store, ids, analyse(store)


def test_the_analytics_suggest_the_hand_computed_partners(tiny):
    _store, ids, analysis = tiny
    aland = [r for r in analysis.suggestions if r["iso3"] == "AAA"]
    assert [(r["label"], r["rank"], r["score"]) for r in aland] == [("P", 1, 1.0), ("Q", 2, 0.5), ("R", 3, 0.0)]
    assert aland[0]["explanation"] == aland[0]["summary"] == P_WHY  # three labs: the short one names them all
    assert aland[0]["forms"] == [
        {"source": "d1.md", "line": 40},
        {"source": "c1.md", "line": 30},
        {"source": "b1.md", "line": 20},
    ]
    dystopia = [(r["label"], r["rank"], r["score"]) for r in analysis.suggestions if r["iso3"] == "DDD"]
    assert dystopia == [("S", 1, 1.0)]
    # every country has partnerships, so each gets its candidates: BBB Q R S, CCC R S, DDD S
    assert {r["iso3"]: 0 for r in analysis.suggestions} == dict.fromkeys(("AAA", "BBB", "CCC", "DDD"), 0)
    assert len(analysis.suggestions) == 3 + 3 + 2 + 1
    assert all(r["organisation"] != ids["S"] for r in aland)


def test_the_suggestions_go_into_the_analytics_graph(tiny):
    _store, ids, analysis = tiny
    quads = analytics_quads(analysis)
    node = ox.NamedNode(str(mint("suggestion", "AAA", "p")))
    mine = {(q.predicate.value.rsplit("#", 1)[-1], q.object.value) for q in quads if q.subject == node}
    assert mine == {
        ("type", PKG + "Suggestion"),
        ("suggestedFor", ids["AAA"]),
        ("suggestedOrganisation", ids["P"]),
        ("score", "1.000000"),
        ("rank", "1"),
        ("evidence", P_WHY),
        ("evidenceForm", "d1.md:40"),
        ("evidenceForm", "c1.md:30"),
        ("evidenceForm", "b1.md:20"),
    }
    assert {q.graph_name.value for q in quads} == {str(ANALYTICS_GRAPH)}
    q_node = ox.NamedNode(str(mint("suggestion", "AAA", "q")))
    (score,) = [q.object for q in quads if q.subject == q_node and q.predicate.value == PKG + "score"]
    assert (score.value, score.datatype.value) == ("0.500000", "http://www.w3.org/2001/XMLSchema#decimal")


def _union(store: ox.Store, quads: list[ox.Quad]) -> Graph:
    """Every triple of ``store`` and ``quads`` in one rdflib graph (what ``kg validate`` reads of a build)."""
    triples = [q.triple for q in store] + [q.triple for q in quads]
    return Graph().parse(data=ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES).decode(), format="nt")


def test_the_suggestions_conform_to_their_shape_and_a_broken_one_does_not(tiny):
    store, _ids, analysis = tiny
    quads = analytics_quads(analysis)
    graph = _union(store, quads)
    suggestions = {str(s) for s in graph.subjects() if "/suggestion/" in str(s)}
    assert len(suggestions) == 9
    assert [v for v in validate_graph(graph).violations if v.focus in suggestions] == []
    node = ox.NamedNode(str(mint("suggestion", "AAA", "p")))
    broken = [q for q in quads if not (q.subject == node and q.predicate.value == PKG + "score")]
    decimal = ox.NamedNode("http://www.w3.org/2001/XMLSchema#decimal")
    broken.append(ox.Quad(node, ox.NamedNode(PKG + "score"), ox.Literal("1.5", datatype=decimal), quads[0].graph_name))
    broken.append(ox.Quad(node, ox.NamedNode(PKG + "rank"), ox.Literal("2", datatype=ox.NamedNode(XSD_INTEGER))))
    violations = validate_graph(_union(store, broken)).violations
    assert {(v.focus, v.path) for v in violations if v.focus in suggestions} == {
        (node.value, PKG + "score"),  # above 1
        (node.value, PKG + "rank"),  # two ranks
    }


def test_the_report_lists_the_suggested_partners_by_hand(tiny):
    store, _ids, analysis = tiny
    report = collect_report(store, analysis, charts=False)
    md = render_markdown(report)
    section = md.split("## Suggested partners\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| ")][1:]
    # Dystopia has 3 forms, the others 1 each (by label); 5 suggestions a country at most: all 9
    assert rows[0] == "| Dystopia | 1 | S | 1.000 | works with 1 lab (Aland 2021); last active 2021 |"
    assert rows[1] == f"| Aland | 1 | P | 1.000 | {P_WHY} |"
    assert rows[2].startswith("| Aland | 2 | Q | 0.500 | works with 2 labs (Carpania 2022, Dystopia 2023)")
    assert [row.split(" | ")[0] for row in rows] == ["| Dystopia"] + ["| Aland"] * 3 + ["| Borduria"] * 3 + [
        "| Carpania"
    ] * 2
    assert "for the 4 countries with the most forms" in section
    html = render_html(report)
    assert "<h2>Suggested partners</h2>" in html and "works with 3 labs (Borduria 2021" in html


def test_the_country_view_has_the_suggestion_layer(tiny):
    _store, ids, analysis = tiny
    view = country_view(analysis, "AAA")
    assert [(n["id"], n["label"], n["rank"], n["score"]) for n in view.suggestions] == [
        ("s1", "P", 1, 1.0),
        ("s2", "Q", 2, 0.5),
        ("s3", "R", 3, 0.0),
    ]
    aland = next(n["id"] for n in view.nodes if n["iri"] == ids["AAA"])
    assert {n["from"] for n in view.suggestions} == {aland}
    assert view.suggestions[0]["title"].splitlines() == [
        "P (suggested partner #1, score 1.000)",
        f"Why: {P_WHY}",
        "Evidence: d1.md, line 40; c1.md, line 30; b1.md, line 20",
    ]
    assert {n["shape"] for n in view.suggestions} == {"star"} and "star" not in {n["shape"] for n in view.nodes}
    others = set(SECTOR_COLOURS.values()) | {style["color"] for style in KIND_STYLE.values()}
    assert {n["color"] for n in view.suggestions} == {"#bcbd22"} and "#bcbd22" not in others


# --------------------------------------------------------------------------
# in a real browser

COUNT = "kg.nodes.get({filter: function (n) { return n.kind === 'suggestion'; }}).length"
DASHED = "kg.edges.get({filter: function (e) { return e.dashes === true; }}).length"


@pytest.fixture(scope="module")
def examples_build(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("examples")
    build([EXAMPLES], out, jobs=1)
    return out


def test_chromium_the_layer_holds_the_analytics_suggestions_and_switches(examples_build, browser, tmp_path):
    from kg.analyse import analyse_build

    analysis = analyse_build(examples_build)
    kenya = [r for r in analysis.suggestions if r["iso3"] == "KEN"]
    assert kenya  # the examples' other labs partner organisations Kenya's forms do not name
    page = tmp_path / "ken.html"
    page.write_text(render_page(country_view(analysis, "KEN")), encoding="utf-8")
    tab = browser.open(page.as_uri())
    try:
        assert tab.evaluate(COUNT) == tab.evaluate(DASHED) == len(kenya)
        tab.evaluate("document.getElementById('kg-suggestions').click()")  # off: nothing of the layer is left
        assert (tab.evaluate(COUNT), tab.evaluate(DASHED)) == (0, 0)
        assert tab.evaluate("document.documentElement.getAttribute('data-suggestions')") == "0"
        tab.evaluate("document.getElementById('kg-suggestions').click()")
        assert tab.evaluate(COUNT) == len(kenya)
        tab.evaluate("kg.select('node', 's1')")
        info = tab.evaluate("document.getElementById('kg-info').textContent")
        assert info.startswith(f"{kenya[0]['label']} (suggested partner #1, score {kenya[0]['score']:.3f})")
        tab.evaluate("kg.select('edge', 'es2')")
        assert f"suggested partner #2, score {kenya[1]['score']:.3f}" in tab.evaluate(
            "document.getElementById('kg-info').textContent"
        )
        # the year control still works with the layer on, and leaves the layer alone
        years = tab.evaluate("kg.years")
        tab.evaluate(f"kg.setYears({years[0]}, {years[0]})")
        assert tab.evaluate(COUNT) == len(kenya)
        assert tab.errors() == []
        assert tab.requests() == [page.as_uri()]
    finally:
        tab.close()
