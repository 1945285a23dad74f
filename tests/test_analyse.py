"""Tests of kg/analyse.py: projections through SPARQL and analyses, on tiny graphs checked by hand.

The tiny portfolio (``tiny_store``) has three countries and four forms:

    d1 (AAA): partners P, Q        methods M1, M2
    d2 (AAA): partner  P           method  M1
    d3 (BBB): partners P, R        methods M2, M3   (R is "new and unusual")
    d4 (CCC): partners S, T, both in action a1 of d4; method M1

so the ecosystem graph (countries, actions, partners) is the path
Q-AAA-P-BBB-R plus the 4-cycle CCC-S-a1-T-CCC: 9 nodes, 8 edges.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import networkx as nx
import pyoxigraph as ox
import pytest

from kg import analyse as analyse_module
from kg import report as report_module
from kg import suggest
from kg.analyse import (
    ANALYTICS_GRAPH,
    active_years,
    analyse,
    analytics_quads,
    betweenness,
    betweenness_work,
    communities,
    components,
    ecosystem_graph,
    format_decimal,
    jaccard,
    partnerships_by_year,
    project,
    similarities,
    write_analysis,
    year_brokers,
    year_graph,
)
from kg.namespaces import mint
from kg.report import collect_report

PKG = "https://w3id.org/portfolio-kg/ontology#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
DCT = "http://purl.org/dc/terms/"
SKOS = "http://www.w3.org/2004/02/skos/core#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
XSD = "http://www.w3.org/2001/XMLSchema#"
ORG_CLASS = "http://www.w3.org/ns/org#Organization"
REFERENCE = str(mint("graph", "reference"))
EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


class TinyPortfolio:
    """Writes a hand-made portfolio into a pyoxigraph store, with the builder's vocabulary and graphs."""

    def __init__(self) -> None:
        self.quads: list[ox.Quad] = []
        self._orders: dict[str, int] = {}

    def add(self, s: str, p: str, o, graph: str = REFERENCE) -> None:
        obj = o if isinstance(o, (ox.Literal, ox.NamedNode)) else ox.NamedNode(o)
        self.quads.append(ox.Quad(ox.NamedNode(s), ox.NamedNode(p), obj, ox.NamedNode(graph)))

    def country(self, iso3: str, label: str) -> str:
        node = str(mint("country", iso3))
        self.add(node, RDF_TYPE, PKG + "Country")
        self.add(node, SKOS + "notation", ox.Literal(iso3))
        self.add(node, RDFS + "label", ox.Literal(label, language="en"))
        return node

    def org(self, key: str, label: str, sector: str = "unknown") -> str:
        node = str(mint("org", key))
        self.add(node, RDF_TYPE, ORG_CLASS)
        self.add(node, SKOS + "prefLabel", ox.Literal(label))
        self.add(node, PKG + "sector", str(mint("sector", sector)))
        return node

    def method(self, key: str, label: str) -> str:
        node = str(mint("method", key))
        self.add(node, SKOS + "prefLabel", ox.Literal(label))
        return node

    def doc(self, path: str, countries=(), methods=(), kind: str = "ClosingForm", year: str | None = "2023") -> str:
        node = str(mint("doc", path))
        self.add(node, RDF_TYPE, PKG + kind, node)
        self.add(node, DCT + "source", ox.Literal(path), node)
        self.add(node, DCT + "title", ox.Literal(f"Title of {path}"), node)
        if year is not None:
            self.add(node, PKG + "year", ox.Literal(year, datatype=ox.NamedNode(XSD + "gYear")), node)
        for country in countries:
            self.add(node, DCT + "spatial", country, node)
        for method in methods:
            self.add(node, PKG + "method", method, node)
        return node

    def action(self, doc: str, number: int, label: str) -> str:
        node = str(mint("action", doc, number))
        self.add(node, RDF_TYPE, PKG + "Action", doc)
        self.add(node, PKG + "document", doc, doc)
        self.add(node, RDFS + "label", ox.Literal(label), doc)
        return node

    def partnership(
        self, doc: str, org: str, sector: str = "unknown", unusual=None, action=None, name="", years=None
    ) -> str:
        """A partnership of ``doc``; ``years`` = (from, to) as kg.graph writes them (pkg:fromYear, pkg:toYear)."""
        index = self._orders[doc] = self._orders.get(doc, 0) + 1
        node = str(mint("partnership", doc, index))
        self.add(node, RDF_TYPE, PKG + "Partnership", doc)
        self.add(node, PKG + "document", doc, doc)
        self.add(node, PKG + "partner", org, doc)
        self.add(node, PKG + "partnerName", ox.Literal(name or org.rsplit("/", 1)[-1]), doc)
        self.add(node, PKG + "sector", str(mint("sector", sector)), doc)
        if unusual is not None:
            self.add(
                node,
                PKG + "unusual",
                ox.Literal("true" if unusual else "false", datatype=ox.NamedNode(XSD + "boolean")),
                doc,
            )
        if action is not None:
            self.add(node, PKG + "action", action, doc)
        if years is not None:
            for predicate, year in zip(("fromYear", "toYear"), years, strict=True):
                self.add(node, PKG + predicate, ox.Literal(year, datatype=ox.NamedNode(XSD + "gYear")), doc)
        return node

    def store(self) -> ox.Store:
        store = ox.Store()
        store.extend(self.quads)
        return store


def tiny_portfolio(p_label: str = "P", q_label: str = "Q") -> tuple[TinyPortfolio, dict[str, str]]:
    """The portfolio of the module docstring; returns it and its IRIs by short name."""
    t = TinyPortfolio()
    ids = {
        "AAA": t.country("AAA", "Aland"),
        "BBB": t.country("BBB", "Borduria"),
        "CCC": t.country("CCC", "Carpania"),
        "P": t.org("p", p_label, "government"),
        "Q": t.org("q", q_label, "academia"),
        "R": t.org("r", "R", "civil-society"),
        "S": t.org("s", "S"),
        "T": t.org("t", "T", "private-sector"),
        "M1": t.method("m1", "Method one"),
        "M2": t.method("m2", "Method two"),
        "M3": t.method("m3", "Method three"),
    }
    ids["d1"] = t.doc("d1.md", [ids["AAA"]], [ids["M1"], ids["M2"]])
    ids["d2"] = t.doc("d2.md", [ids["AAA"]], [ids["M1"]], kind="LearningPlan", year="2022")
    ids["d3"] = t.doc("d3.md", [ids["BBB"]], [ids["M2"], ids["M3"]], kind="Experiment")
    ids["d4"] = t.doc("d4.md", [ids["CCC"]], [ids["M1"]])
    ids["a1"] = t.action(ids["d4"], 1, "Action one")
    t.partnership(ids["d1"], ids["P"], "government")
    t.partnership(ids["d1"], ids["Q"], "academia")
    t.partnership(ids["d2"], ids["P"], "government")
    t.partnership(ids["d3"], ids["P"], "government")
    t.partnership(ids["d3"], ids["R"], "civil-society", unusual=True, name="R as named")
    t.partnership(ids["d4"], ids["S"], "unknown", action=ids["a1"])
    t.partnership(ids["d4"], ids["T"], "private-sector", unusual=False, action=ids["a1"])
    return t, ids


@pytest.fixture(scope="module")
def tiny():
    portfolio, ids = tiny_portfolio()
    return portfolio.store(), ids


def _edges(graph: nx.Graph, ids: dict[str, str]) -> set[tuple[str, str, int]]:
    name = {iri: short for short, iri in ids.items()}
    return {tuple(sorted((name[u], name[v]))) + (d["weight"],) for u, v, d in graph.edges(data=True)}


# --------------------------------------------------------------------------
# projections through SPARQL


def test_country_partner_projection(tiny):
    store, ids = tiny
    proj = project(store)
    assert _edges(proj.country_partner, ids) == {
        ("AAA", "P", 2),
        ("AAA", "Q", 1),
        ("BBB", "P", 1),
        ("BBB", "R", 1),
        ("CCC", "S", 1),
        ("CCC", "T", 1),
    }
    assert proj.country_partner.nodes[ids["AAA"]] == {"kind": "country", "iso3": "AAA", "label": "Aland"}
    assert proj.country_partner.nodes[ids["P"]] == {"kind": "partner", "label": "P", "sector": "government"}


def test_document_action_and_cooccurrence_projections(tiny):
    store, ids = tiny
    proj = project(store)
    assert _edges(proj.document_partner, ids) == {
        ("P", "d1", 1),
        ("Q", "d1", 1),
        ("P", "d2", 1),
        ("P", "d3", 1),
        ("R", "d3", 1),
        ("S", "d4", 1),
        ("T", "d4", 1),
    }
    assert _edges(proj.action_partner, ids) == {("S", "a1", 1), ("T", "a1", 1)}
    assert proj.action_partner.nodes[ids["a1"]]["document"] == ids["d4"]
    # Two organisations partnering in the same document.
    assert _edges(proj.partner_cooccurrence, ids) == {("P", "Q", 1), ("P", "R", 1), ("S", "T", 1)}


def test_country_method_projection_and_documents(tiny):
    store, ids = tiny
    proj = project(store)
    assert _edges(proj.country_method, ids) == {
        ("AAA", "M1", 2),
        ("AAA", "M2", 1),
        ("BBB", "M2", 1),
        ("BBB", "M3", 1),
        ("CCC", "M1", 1),
    }
    assert proj.documents[ids["d2"]] == {
        "source": "d2.md",
        "label": "Title of d2.md",
        "type": "LearningPlan",
        "year": "2022",
    }
    assert len(proj.partnerships) == 7
    assert [p["name"] for p in proj.partnerships if p["unusual"] is True] == ["R as named"]


def test_projection_reads_only_what_it_asks_for(tiny):
    """Projections query the store: an unrelated triple in another graph changes nothing."""
    store, ids = tiny
    before = project(store)
    extra = ox.Store()
    extra.extend(list(store))
    extra.add(
        ox.Quad(ox.NamedNode(ids["P"]), ox.NamedNode(PKG + "unrelated"), ox.Literal("x"), ox.NamedNode(REFERENCE))
    )
    after = project(extra)
    assert _edges(after.country_partner, ids) == _edges(before.country_partner, ids)


# --------------------------------------------------------------------------
# graph measures, by hand


def test_five_node_degree_and_betweenness_by_hand():
    # A-B-C, C-D, C-E, D-E: B lies on A's paths to C, D, E (3 pairs); C on A-D, A-E, B-D, B-E (4 pairs).
    graph = nx.Graph([("A", "B"), ("B", "C"), ("C", "D"), ("C", "E"), ("D", "E")])
    assert dict(graph.degree()) == {"A": 1, "B": 2, "C": 3, "D": 2, "E": 2}
    scores = betweenness(graph)
    # normalised by (n-1)(n-2)/2 = 6 pairs not containing the node
    assert scores == pytest.approx({"A": 0.0, "B": 3 / 6, "C": 4 / 6, "D": 0.0, "E": 0.0})


def test_exact_betweenness_equals_networkx_on_random_graphs():
    for seed in range(25):
        graph = nx.gnp_random_graph(12 + seed % 7, 0.15, seed=seed)
        for leaf in range(seed % 9):
            graph.add_edge(f"leaf{leaf}", leaf % len(graph))
        graph.add_node("isolated")
        assert betweenness(graph) == pytest.approx(nx.betweenness_centrality(graph), abs=1e-12)


def test_sampled_betweenness_is_seeded():
    graph = nx.barabasi_albert_graph(60, 2, seed=1)
    first = betweenness(graph, k=10, seed=7)
    assert first == betweenness(graph, k=10, seed=7)
    assert first == nx.betweenness_centrality(graph, k=10, seed=7)
    assert betweenness_work(nx.star_graph(50)) == 1  # the leaves are pruned: one node, no edge


def test_communities_of_two_cliques_joined_by_a_bridge():
    graph = nx.Graph()
    left, right = ["a1", "a2", "a3", "a4"], ["b1", "b2", "b3", "b4"]
    graph.add_edges_from((u, v) for group in (left, right) for i, u in enumerate(group) for v in group[i + 1 :])
    graph.add_edge("a1", "b1")
    for seed in (0, 1, 42):
        assert communities(graph, seed=seed) == [left, right]


def test_components_largest_first():
    graph = nx.Graph([("a", "b"), ("b", "c"), ("x", "y")])
    graph.add_node("z")
    assert components(graph) == [["a", "b", "c"], ["x", "y"], ["z"]]


def test_jaccard_on_hand_sets():
    assert jaccard({1, 2, 3}, {2, 3, 4}) == 0.5
    assert jaccard({"a"}, {"b"}) == 0.0
    assert jaccard(set(), set()) == 0.0
    assert jaccard({"a", "b"}, {"a", "b"}) == 1.0
    rows = similarities({"X": {1, 2}, "Y": {2, 3}, "Z": {1, 2, 3, 4}, "W": {9}})
    assert rows == [
        {"a": "X", "b": "Z", "jaccard": 0.5, "shared": 2},
        {"a": "Y", "b": "Z", "jaccard": 0.5, "shared": 2},
        {"a": "X", "b": "Y", "jaccard": 0.333333, "shared": 1},
    ]


def test_format_decimal():
    assert format_decimal(1 / 7) == "0.142857"
    assert format_decimal(0.0) == "0.000000"
    assert format_decimal(-1e-9) == "0.000000"
    assert format_decimal(1.0) == "1.000000"


# --------------------------------------------------------------------------
# the analysis of the tiny portfolio, by hand


def test_ecosystem_graph_of_the_tiny_portfolio(tiny):
    store, ids = tiny
    eco = ecosystem_graph(project(store))
    assert eco.number_of_nodes() == 9 and eco.number_of_edges() == 8
    assert components(eco) == [
        sorted(ids[k] for k in ("AAA", "BBB", "P", "Q", "R")),
        sorted(ids[k] for k in ("CCC", "S", "T", "a1")),
    ]


def test_partner_metrics_by_hand(tiny):
    store, ids = tiny
    analysis = analyse(store)
    partners = {short: analysis.partners[ids[short]] for short in ("P", "Q", "R", "S", "T")}
    assert {k: p["degree"] for k, p in partners.items()} == {"P": 2, "Q": 1, "R": 1, "S": 2, "T": 2}
    assert {k: p["country_count"] for k, p in partners.items()} == {"P": 2, "Q": 1, "R": 1, "S": 1, "T": 1}
    assert {k: p["documents"] for k, p in partners.items()} == {"P": 3, "Q": 1, "R": 1, "S": 1, "T": 1}
    # n = 9: normalised by 8*7/2 = 28 pairs. P is between {Q, AAA} and {BBB, R}: 4 pairs.
    # S and T each carry half of the two opposite pairs of the 4-cycle... CCC-a1 and S-T: 1/2 each.
    assert partners["P"]["betweenness"] == round(4 / 28, 6)
    assert partners["S"]["betweenness"] == partners["T"]["betweenness"] == round(0.5 / 28, 6)
    assert partners["Q"]["betweenness"] == partners["R"]["betweenness"] == 0.0
    assert analysis.centrality[ids["AAA"]] == pytest.approx(3 / 28)
    assert partners["P"]["sources"] == ["d1.md", "d2.md", "d3.md"]
    assert partners["S"]["actions"] == 1
    assert [p["label"] for p in analysis.top_partners(2)] == ["P", "S"]
    assert [p["label"] for p in analysis.brokers()] == ["P", "S", "T"]


def test_portfolio_findings_by_hand(tiny):
    store, ids = tiny
    analysis = analyse(store)
    assert analysis.shared_partners == [{"iri": ids["P"], "label": "P", "countries": ["AAA", "BBB"]}]
    assert analysis.sector_mix == {
        "government": 3,
        "academia": 1,
        "civil-society": 1,
        "unknown": 1,
        "private-sector": 1,
    }
    assert analysis.countries[ids["AAA"]]["sector_mix"] == {"academia": 1, "government": 2}
    assert analysis.countries[ids["AAA"]]["methods"] == {"Method one": 2, "Method two": 1}
    assert [(u["label"], u["name"], u["countries"], u["source"]) for u in analysis.unusual_partners] == [
        ("R", "R as named", ["BBB"], "d3.md")
    ]
    assert analysis.method_co_use == [
        {"a": "Method one", "b": "Method two", "documents": 1},
        {"a": "Method three", "b": "Method two", "documents": 1},
    ]
    assert analysis.country_similarity["partners"] == [{"a": "AAA", "b": "BBB", "jaccard": 0.333333, "shared": 1}]
    assert analysis.country_similarity["methods"] == [
        {"a": "AAA", "b": "CCC", "jaccard": 0.5, "shared": 1},
        {"a": "AAA", "b": "BBB", "jaccard": 0.333333, "shared": 1},
    ]
    assert analysis.components["ecosystem"] == {"count": 2, "non_trivial": 2, "largest": 5, "sizes": [5, 4]}
    assert analysis.components["cooccurrence"]["sizes"] == [3, 2]
    # Louvain: every node has a community, numbered from 1, largest first.
    numbers = sorted({p["community"] for p in analysis.partners.values()})
    assert numbers[0] == 1 and len(analysis.communities) == len(numbers)


def test_analysis_json_is_deterministic(tiny, tmp_path):
    store, _ids = tiny
    first = write_analysis(analyse(store, seed=3), tmp_path / "a.json").read_bytes()
    second = write_analysis(analyse(store, seed=3), tmp_path / "b.json").read_bytes()
    assert first == second
    data = json.loads(first)
    assert list(data) == sorted(data)
    assert data["parameters"] == {"betweenness": "exact", "seed": 3, "year_betweenness": "exact"}


def test_analytics_quads_and_sparql(tiny):
    store, ids = tiny
    analysis = analyse(store)
    quads = analytics_quads(analysis)
    assert quads == sorted(quads, key=str)
    suggested = [q for q in quads if "/suggestion/" in q.subject.value]
    assert len(quads) - len(suggested) == 4 * 5
    # each country is suggested the other countries' partners it does not name: AAA R S T, BBB Q S T, CCC P Q R
    assert sum(1 for q in suggested if q.predicate.value == RDF_TYPE) == 9
    assert {q.graph_name.value for q in quads} == {str(ANALYTICS_GRAPH)}
    store.extend(quads)
    query = f"""SELECT ?d ?b ?c ?n WHERE {{ GRAPH <{ANALYTICS_GRAPH}> {{
        <{ids["P"]}> pkg:degree ?d ; pkg:betweenness ?b ; pkg:community ?c ; pkg:countryCount ?n }} }}"""
    (row,) = list(store.query(query, prefixes={"pkg": PKG}))
    assert (row["d"].value, row["b"].value, row["n"].value) == ("2", "0.142857", "2")
    assert row["b"].datatype.value == XSD + "decimal" and row["d"].datatype.value == XSD + "integer"
    assert int(row["c"].value) == analysis.partners[ids["P"]]["community"]


# --------------------------------------------------------------------------
# the ecosystem year by year, by hand
#
# The years portfolio (``years_portfolio``): two countries, three years, seven partnerships, one with a range.
#
#   #1 e1 (AAA, 2021): P government          #5 e3 (BBB, 2021-2023: the range): S private-sector
#   #2 e1 (AAA, 2021): Q academia            #6 e4 (AAA and BBB, 2023): P government
#   #3 e2 (BBB, 2022): P government, in x1   #7 e4 (AAA and BBB, 2023): T academia
#   #4 e2 (BBB, 2022): R civil-society, x1   #8 e5 (AAA, no year): Q academia (active in no year)
#
# R's label is "Aurora", so that a tie between P and R goes to R by label though P's IRI sorts first.
#
# Active: 2021 = #1 #2 #5; 2022 = #3 #4 #5; 2023 = #5 #6 #7.
#
# Year graphs (countries, actions, partners of the year's partnerships) and their betweenness, normalised by
# (n-1)(n-2)/2 pairs:
#   2021: AAA-P, AAA-Q, BBB-S (5 nodes, 6 pairs): AAA is between P and Q (1/6); no partner is between two nodes.
#   2022: BBB-P, BBB-R, x1-P, x1-R, BBB-S (5 nodes, 6 pairs): the 4-cycle BBB-P-x1-R with S on BBB. P carries half
#         of BBB..x1 and half of S..x1: 1/6 = 0.166667; R the same; BBB 3.5/6; x1 0.5/6; S 0.
#         Top broker: P and R tie; "Aurora" (R) sorts before "P": R.
#   2023: AAA-P, AAA-T, BBB-P, BBB-T, BBB-S (5 nodes): the 4-cycle AAA-P-BBB-T with S on BBB. P and T 1/6 each,
#         BBB 3.5/6, AAA 0.5/6, S 0. Top broker: P and T tie; "P" < "T": P.
#
# The portfolio: partners 2021 {P, Q, S}, 2022 {P, R, S}, 2023 {P, S, T}:
#   2021: 3 partners, 3 partnerships, 2 countries, new {P, Q, S}, lost {}, no top broker;
#   2022: 3 partners, 3 partnerships, 1 country (BBB), new {R}, lost {Q} (2021's Q is not active), top broker R;
#   2023: 3 partners, 3 partnerships, 2 countries, new {T}, lost {R}, top broker P.
#   Each year every partner holds one partnership: the top 10 hold all, concentration 1.0.
# AAA: 2021 {P, Q} (#1 #2); no partnership in 2022; 2023 {P, T} (#6 #7):
#   2021: 2 partners, new {P, Q}, lost {}, no broker (P and Q are 0 in 2021's graph);
#   2023: 2 partners, new {T}, lost {Q} (against 2021, AAA's previous year with partnerships), top broker P.
# BBB: 2021 {S} (#5); 2022 {P, R, S} (#3 #4 #5); 2023 {P, S, T} (#5 #6 #7):
#   2021: 1 partner, new {S}, no broker (S is 0);
#   2022: 3 partners, new {P, R} (P is new to BBB though not to the portfolio), lost {}, top broker R;
#   2023: 3 partners, new {T}, lost {R}, top broker P.


def years_portfolio() -> tuple[TinyPortfolio, dict[str, str]]:
    """The years portfolio of the comment above; returns it and its IRIs by short name."""
    t = TinyPortfolio()
    ids = {
        "AAA": t.country("AAA", "Aland"),
        "BBB": t.country("BBB", "Borduria"),
        "P": t.org("p", "P", "government"),
        "Q": t.org("q", "Q", "academia"),
        "R": t.org("r", "Aurora", "civil-society"),
        "S": t.org("s", "S", "private-sector"),
        "T": t.org("t", "T", "academia"),
    }
    ids["e1"] = t.doc("e1.md", [ids["AAA"]], year="2021")
    ids["e2"] = t.doc("e2.md", [ids["BBB"]], year="2022")
    ids["e3"] = t.doc("e3.md", [ids["BBB"]], kind="Experiment", year="2023")
    ids["e4"] = t.doc("e4.md", [ids["AAA"], ids["BBB"]], year="2023")
    ids["e5"] = t.doc("e5.md", [ids["AAA"]], year=None)
    ids["x1"] = t.action(ids["e2"], 1, "Action x1")
    t.partnership(ids["e1"], ids["P"], "government", years=("2021", "2021"))
    t.partnership(ids["e1"], ids["Q"], "academia", years=("2021", "2021"))
    t.partnership(ids["e2"], ids["P"], "government", action=ids["x1"], years=("2022", "2022"))
    t.partnership(ids["e2"], ids["R"], "civil-society", action=ids["x1"], years=("2022", "2022"))
    t.partnership(ids["e3"], ids["S"], "private-sector", years=("2021", "2023"))
    t.partnership(ids["e4"], ids["P"], "government", years=("2023", "2023"))
    t.partnership(ids["e4"], ids["T"], "academia", years=("2023", "2023"))
    t.partnership(ids["e5"], ids["Q"], "academia")
    return t, ids


@pytest.fixture(scope="module")
def years():
    portfolio, ids = years_portfolio()
    store = portfolio.store()
    return store, ids, analyse(store)


def _short(ids: dict[str, str], iris) -> list[str]:
    name = {iri: short for short, iri in ids.items()}
    return [name[iri] for iri in iris]


def test_partnership_years_are_read_through_the_projection(years):
    _store, ids, analysis = years
    found = {
        (_short(ids, [p["document"]])[0], _short(ids, [p["org"]])[0]): (p["from_year"], p["to_year"])
        for p in analysis.projections.partnerships
    }
    assert found == {
        ("e1", "P"): (2021, 2021),
        ("e1", "Q"): (2021, 2021),
        ("e2", "P"): (2022, 2022),
        ("e2", "R"): (2022, 2022),
        ("e3", "S"): (2021, 2023),
        ("e4", "P"): (2023, 2023),
        ("e4", "T"): (2023, 2023),
        ("e5", "Q"): (None, None),
    }
    assert [list(active_years(p)) for p in analysis.projections.partnerships if p["org"] == ids["S"]] == [
        [2021, 2022, 2023]
    ]
    assert list(active_years({"from_year": None, "to_year": None})) == []
    assert list(active_years({"from_year": 2022, "to_year": None})) == [2022]


def test_partner_years_by_hand(years):
    _store, ids, analysis = years
    # Q's e5 partnership has no year: Q is active in 2021 only.
    assert {_short(ids, [org])[0]: found for org, found in analysis.partner_years.items()} == {
        "P": [2021, 2022, 2023],
        "Q": [2021],
        "R": [2022],
        "S": [2021, 2022, 2023],
        "T": [2023],
    }


def test_year_graphs_and_their_brokers_by_hand(years):
    _store, ids, analysis = years
    proj = analysis.projections
    by_year = partnerships_by_year(proj)
    assert list(by_year) == [2021, 2022, 2023]
    assert _edges(year_graph(proj, by_year[2022]), ids) == {
        ("BBB", "P", 1),
        ("BBB", "R", 1),
        ("BBB", "S", 1),
        ("P", "x1", 1),
        ("R", "x1", 1),
    }
    assert _edges(year_graph(proj, by_year[2023]), ids) == {
        ("AAA", "P", 1),
        ("AAA", "T", 1),
        ("BBB", "P", 1),
        ("BBB", "T", 1),
        ("BBB", "S", 1),
    }
    scores, method = year_brokers(proj, by_year)
    assert method == "exact"
    named = {year: {_short(ids, [o])[0]: v for o, v in found.items()} for year, found in scores.items()}
    assert named == {
        2021: {"P": 0.0, "Q": 0.0, "S": 0.0},
        2022: {"P": round(1 / 6, 6), "R": round(1 / 6, 6), "S": 0.0},
        2023: {"P": round(1 / 6, 6), "S": 0.0, "T": round(1 / 6, 6)},
    }


def test_year_graph_of_every_partnership_is_the_ecosystem_graph(tiny):
    store, ids = tiny
    proj = project(store)
    whole, eco = year_graph(proj, proj.partnerships), ecosystem_graph(proj)
    assert _edges(whole, ids) == _edges(eco, ids)
    assert dict(whole.nodes(data=True)) == dict(eco.nodes(data=True))


def _year_rows(rows: list[dict], ids: dict[str, str]) -> list[dict]:
    """The rows with IRIs as short names."""
    name = {iri: short for short, iri in ids.items()}
    named = []
    for row in rows:
        row = dict(row)
        for key in ("new_partners", "lost_partners"):
            row[key] = [name[iri] for iri in row[key]]
        row["top_broker"] = name.get(row["top_broker"], row["top_broker"])
        if "country" in row:
            row["country"] = name[row["country"]]
        named.append(row)
    return named


def test_years_of_the_portfolio_by_hand(years):
    _store, ids, analysis = years
    assert _year_rows(analysis.years, ids) == [
        {
            "year": 2021, "partners": 3, "partnerships": 3, "countries": 2,
            "new": 3, "lost": 0, "new_partners": ["P", "Q", "S"], "lost_partners": [],
            "top_broker": "", "top_broker_label": "", "concentration": 1.0,
            "sector_mix": {"academia": 1, "government": 1, "private-sector": 1},
        },
        {
            "year": 2022, "partners": 3, "partnerships": 3, "countries": 1,
            "new": 1, "lost": 1, "new_partners": ["R"], "lost_partners": ["Q"],
            "top_broker": "R", "top_broker_label": "Aurora", "concentration": 1.0,
            "sector_mix": {"civil-society": 1, "government": 1, "private-sector": 1},
        },
        {
            "year": 2023, "partners": 3, "partnerships": 3, "countries": 2,
            "new": 1, "lost": 1, "new_partners": ["T"], "lost_partners": ["R"],
            "top_broker": "P", "top_broker_label": "P", "concentration": 1.0,
            "sector_mix": {"academia": 1, "government": 1, "private-sector": 1},
        },
    ]  # fmt: skip


def test_years_of_each_country_by_hand(years):
    _store, ids, analysis = years
    common = {"countries": 1, "concentration": 1.0}
    aland = {"country": "AAA", "iso3": "AAA", "country_label": "Aland", **common}
    borduria = {"country": "BBB", "iso3": "BBB", "country_label": "Borduria", **common}
    assert _year_rows(analysis.country_years, ids) == [
        {
            **aland, "year": 2021, "partners": 2, "partnerships": 2, "new": 2, "lost": 0,
            "new_partners": ["P", "Q"], "lost_partners": [], "top_broker": "", "top_broker_label": "",
            "sector_mix": {"academia": 1, "government": 1},
        },
        {
            **aland, "year": 2023, "partners": 2, "partnerships": 2, "new": 1, "lost": 1,
            "new_partners": ["T"], "lost_partners": ["Q"], "top_broker": "P", "top_broker_label": "P",
            "sector_mix": {"academia": 1, "government": 1},
        },
        {
            **borduria, "year": 2021, "partners": 1, "partnerships": 1, "new": 1, "lost": 0,
            "new_partners": ["S"], "lost_partners": [], "top_broker": "", "top_broker_label": "",
            "sector_mix": {"private-sector": 1},
        },
        {
            **borduria, "year": 2022, "partners": 3, "partnerships": 3, "new": 2, "lost": 0,
            "new_partners": ["P", "R"], "lost_partners": [], "top_broker": "R", "top_broker_label": "Aurora",
            "sector_mix": {"civil-society": 1, "government": 1, "private-sector": 1},
        },
        {
            **borduria, "year": 2023, "partners": 3, "partnerships": 3, "new": 1, "lost": 1,
            "new_partners": ["T"], "lost_partners": ["R"], "top_broker": "P", "top_broker_label": "P",
            "sector_mix": {"academia": 1, "government": 1, "private-sector": 1},
        },
    ]  # fmt: skip


def test_concentration_is_the_share_of_the_top_ten_partners():
    # One country, one year: A named by three forms, B..L (11 organisations) once each: 14 partnerships.
    # The top 10 are A (3) and nine of the others (1 each): 12 of 14 = 0.857143. Twelve partners, all new.
    t = TinyPortfolio()
    country = t.country("CCC", "Carpania")
    forms = [t.doc(f"c{n}.md", [country], year="2024") for n in (1, 2, 3)]
    orgs = {letter: t.org(letter.lower(), letter) for letter in "ABCDEFGHIJKL"}
    for form in forms:
        t.partnership(form, orgs["A"], years=("2024", "2024"))
    for n, letter in enumerate("BCDEFGHIJKL"):
        t.partnership(forms[n % 3], orgs[letter], years=("2024", "2024"))
    analysis = analyse(t.store())
    (year,) = analysis.years
    assert (year["year"], year["partners"], year["partnerships"], year["new"]) == (2024, 12, 14, 12)
    assert year["concentration"] == round(12 / 14, 6) == 0.857143
    (row,) = analysis.country_years
    assert (row["iso3"], row["concentration"], row["sector_mix"]) == ("CCC", 0.857143, {"unknown": 14})


def test_the_years_go_into_the_analytics_graph_and_conform(years):
    from rdflib import Graph, URIRef

    from kg.validate import validate_graph

    store, ids, analysis = years
    quads = analytics_quads(analysis)
    assert quads == sorted(quads, key=str)
    # 5 partners x 4 figures; 3 + 5 ecosystem years: type, year, 4 counts, concentration (+ country: 5, + broker:
    # 2022, 2023, AAA 2023, BBB 2022, BBB 2023); sector counts: 3 + 3 + 3 (portfolio) + 2 + 2 + 1 + 3 + 3, 4 each.
    suggested = [q for q in quads if "/suggestion/" in q.subject.value]
    assert len(quads) - len(suggested) == 5 * 4 + 8 * 7 + 5 + 5 + 4 * 20
    # AAA names P, Q, T and BBB P, R, S, T: AAA is suggested R and S (BBB's forms), BBB Q (AAA's e1 and e5)
    assert sum(1 for q in suggested if q.predicate.value == RDF_TYPE) == 3
    store.extend(quads)
    query = f"""SELECT ?year ?partners ?new ?lost ?broker ?c WHERE {{ GRAPH <{ANALYTICS_GRAPH}> {{
        ?e a pkg:EcosystemYear ; pkg:ecosystemCountry <{ids["BBB"]}> ; pkg:inYear ?year ; pkg:partnerCount ?partners ;
           pkg:newPartnerCount ?new ; pkg:lostPartnerCount ?lost ; pkg:concentration ?c .
        OPTIONAL {{ ?e pkg:topBroker ?broker }} }} }} ORDER BY ?year"""
    rows = [
        (r["year"].value, r["partners"].value, r["new"].value, r["lost"].value, r["broker"] and r["broker"].value)
        for r in store.query(query, prefixes={"pkg": PKG})
    ]
    assert rows == [("2021", "1", "1", "0", None), ("2022", "3", "2", "0", ids["R"]), ("2023", "3", "1", "1", ids["P"])]
    options = {"prefixes": {"pkg": PKG}, "use_default_graph_as_union": True}
    portfolio_2022 = mint("ecosystem", "portfolio", 2022)
    (year,) = list(store.query(f"SELECT ?y WHERE {{ <{portfolio_2022}> pkg:inYear ?y }}", **options))
    assert (year["y"].value, year["y"].datatype.value) == ("2022", XSD + "gYear")
    sectors = f"""SELECT ?sector ?n WHERE {{ <{mint("ecosystem", "country", "BBB", 2023)}> pkg:sectorCount ?s .
        ?s a pkg:SectorCount ; pkg:countedSector ?sector ; pkg:partnershipCount ?n }} ORDER BY ?sector"""
    found = [(r["sector"].value.rsplit("/", 1)[-1], r["n"].value) for r in store.query(sectors, **options)]
    assert found == [("academia", "1"), ("government", "1"), ("private-sector", "1")]
    # The analytics graph conforms, with the nodes it points at (countries, organisations, sectors) as a build has them.
    graph = Graph()
    for quad in quads:
        graph.add(tuple(URIRef(t.value) if isinstance(t, ox.NamedNode) else _literal(t) for t in quad.triple))
    _reference_nodes(graph, ids)
    report = validate_graph(graph)
    ecosystem = {str(s) for s in graph.subjects() if "/ecosystem/" in str(s)}
    assert len(ecosystem) == 8 + 20
    assert [v for v in report.violations if v.focus in ecosystem] == []


def _literal(term: ox.Literal):
    from rdflib import Literal, URIRef

    return Literal(term.value, datatype=URIRef(term.datatype.value))


def _reference_nodes(graph, ids: dict[str, str]) -> None:
    """The countries, organisations and sector concepts the analytics graph names, as the reference graph has them."""
    from rdflib import Literal, URIRef
    from rdflib.namespace import RDF, RDFS, SKOS as RSKOS

    from kg.namespaces import ORG, PKG as RPKG

    for iso3 in ("AAA", "BBB"):
        node = URIRef(ids[iso3])
        graph.add((node, RDF.type, RPKG.Country))
        graph.add((node, RSKOS.notation, Literal(iso3)))
        graph.add((node, RDFS.label, Literal(iso3, lang="en")))
    for sector in ("academia", "government", "private-sector", "civil-society"):
        node = URIRef(str(mint("sector", sector)))
        graph.add((node, RDF.type, RSKOS.Concept))
        graph.add((node, RSKOS.inScheme, RPKG.SectorScheme))
        graph.add((node, RSKOS.prefLabel, Literal(sector, lang="en")))
    for short in ("P", "R"):
        graph.add((URIRef(ids[short]), RDF.type, ORG.Organization))


def test_the_shapes_reject_a_broken_ecosystem_year():
    from rdflib import Graph, Literal, URIRef
    from rdflib.namespace import RDF, XSD as RXSD

    from kg.namespaces import PKG as RPKG
    from kg.validate import validate_graph

    graph = Graph()
    node = URIRef(str(mint("ecosystem", "portfolio", 2023)))
    graph.add((node, RDF.type, RPKG.EcosystemYear))
    graph.add((node, RPKG.inYear, Literal("2023", datatype=RXSD.gYear)))
    graph.add((node, RPKG.inYear, Literal("2024", datatype=RXSD.gYear)))
    graph.add((node, RPKG.partnerCount, Literal(3)))
    graph.add((node, RPKG.newPartnerCount, Literal(-1)))
    graph.add((node, RPKG.lostPartnerCount, Literal(0)))
    graph.add((node, RPKG.partnershipCount, Literal(3)))
    graph.add((node, RPKG.concentration, Literal("1.5", datatype=RXSD.decimal)))
    report = validate_graph(graph)
    paths = {v.path for v in report.violations if v.focus == str(node)}
    # two years, a negative count, a share above 1 and no sector mix
    assert paths == {str(RPKG.inYear), str(RPKG.newPartnerCount), str(RPKG.concentration), str(RPKG.sectorCount)}


# --------------------------------------------------------------------------
# in a build


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    from kg.build import build

    out = tmp_path_factory.mktemp("analyse-build")
    build([EXAMPLES], out, jobs=1)
    return out


def test_build_writes_the_analytics_graph_and_json(built):
    from rdflib import Dataset, URIRef

    dataset = Dataset()
    dataset.parse(built / "graph.trig", format="trig")
    analytics = dataset.graph(URIRef(str(ANALYTICS_GRAPH)))
    assert len(analytics) > 0
    data = json.loads((built / "analysis.json").read_text(encoding="utf-8"))
    store = ox.Store.read_only(str(built / "store"))
    rows = list(
        store.query(
            f"SELECT ?org ?b WHERE {{ GRAPH <{ANALYTICS_GRAPH}> {{ ?org pkg:betweenness ?b }} }}", prefixes={"pkg": PKG}
        )
    )
    assert len(rows) == len(data["partners"]) > 0
    organisations = {URIRef(r["org"].value) for r in rows}
    assert len([t for t in analytics if t[0] in organisations]) == 4 * len(rows)
    # The rest: the ecosystem year by year, one node per year and per country and year.
    years = {(e["iso3"], e["year"]) for e in data["country_years"]} | {("", e["year"]) for e in data["years"]}
    kinds = {str(o) for s, p, o in analytics if str(p).endswith("#type")}
    assert kinds == {PKG + "EcosystemYear", PKG + "SectorCount", PKG + "Suggestion"}
    assert len(list(analytics.subjects(URIRef(PKG + "inYear")))) == len(years) > 0
    # The store keeps xsd:decimal values in canonical form ("0" for "0.000000"): compare values.
    assert {r["org"].value: Decimal(r["b"].value) for r in rows} == {
        iri: Decimal(format_decimal(p["betweenness"])) for iri, p in data["partners"].items()
    }
    for name in ("ecosystem.html", "report.md", "report.html"):
        assert (built / name).stat().st_size > 0


def test_the_build_analyses_only_the_readable_quads_with_the_same_result_as_the_whole_store(built, tmp_path):
    from kg.analyse import analyse_build, write_analysis

    # analyse_build reads the whole store (the analytics graph too); the build, an in-memory store of the quads
    # kg.engine.readable names. Same analysis, same bytes.
    write_analysis(analyse_build(built), tmp_path / "analysis.json")
    assert (tmp_path / "analysis.json").read_bytes() == (built / "analysis.json").read_bytes()


@pytest.mark.slow
def test_build_outputs_are_byte_identical_across_builds(built, tmp_path):
    import shutil

    from kg.build import build

    moved = tmp_path / "elsewhere"
    shutil.copytree(EXAMPLES, moved)
    again = tmp_path / "again"
    build([moved], again, jobs=2)
    for name in ("graph.trig", "graph.ttl", "analysis.json", "ecosystem.html", "report.md", "report.html"):
        assert (again / name).read_bytes() == (built / name).read_bytes(), name


@pytest.mark.slow
def test_build_with_analytics_conforms_to_the_shapes(built):
    from kg.validate import validate_build

    report = validate_build(built)
    analytics = {PKG + name for name in ("degree", "betweenness", "community", "countryCount")}
    # Only the analytics terms are this module's business (other stages have their own tests).
    assert [v for v in report.violations if v.path in analytics] == []
    assert report.triples > 0


def test_shapes_reject_a_bad_betweenness():
    from rdflib import Graph, Literal, URIRef
    from rdflib.namespace import RDF, SKOS as RSKOS, XSD as RXSD

    from kg.namespaces import ORG, PKG as RPKG
    from kg.validate import validate_graph

    graph = Graph()
    org = URIRef(str(mint("org", "bad")))
    graph.add((org, RDF.type, ORG.Organization))
    graph.add((org, RSKOS.prefLabel, Literal("Bad")))
    graph.add((org, RPKG.betweenness, Literal("1.5", datatype=RXSD.decimal)))
    graph.add((org, RPKG.community, Literal(0)))
    report = validate_graph(graph)
    paths = {v.path for v in report.violations if v.focus == str(org)}
    assert {str(RPKG.betweenness), str(RPKG.community)} <= paths


# --------------------------------------------------------------------------
# what the analytics and the report read (the build keeps them when that is unchanged; their query files are
# checked against READ_PREDICATES and READ_TYPES in tests/test_reads.py)


class _Recorder:
    """A store that lets only ``query`` through, and records the queries."""

    def __init__(self, store: ox.Store) -> None:
        self._store = store
        self.queries: list[str] = []

    def query(self, query: str, **options):
        self.queries.append(query)
        return self._store.query(query, **options)


def test_the_analytics_and_the_report_read_the_store_only_through_the_declared_queries(tiny):
    store, _ids = tiny
    recorder = _Recorder(store)
    analysis = analyse(recorder)
    collect_report(recorder, analysis, charts=False)
    assert set(recorder.queries) == set(analyse_module.QUERIES) | set(report_module.QUERIES) | set(suggest.QUERIES)
