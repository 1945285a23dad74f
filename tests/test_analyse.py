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
from kg.analyse import (
    ANALYTICS_GRAPH,
    analyse,
    analytics_quads,
    betweenness,
    betweenness_work,
    communities,
    components,
    ecosystem_graph,
    format_decimal,
    jaccard,
    project,
    similarities,
    write_analysis,
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

    def doc(self, path: str, countries=(), methods=(), kind: str = "ClosingForm", year: str = "2023") -> str:
        node = str(mint("doc", path))
        self.add(node, RDF_TYPE, PKG + kind, node)
        self.add(node, DCT + "source", ox.Literal(path), node)
        self.add(node, DCT + "title", ox.Literal(f"Title of {path}"), node)
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

    def partnership(self, doc: str, org: str, sector: str = "unknown", unusual=None, action=None, name="") -> str:
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
    assert data["parameters"] == {"betweenness": "exact", "seed": 3}


def test_analytics_quads_and_sparql(tiny):
    store, ids = tiny
    analysis = analyse(store)
    quads = analytics_quads(analysis)
    assert len(quads) == 4 * 5 and quads == sorted(quads, key=str)
    assert {q.graph_name.value for q in quads} == {str(ANALYTICS_GRAPH)}
    store.extend(quads)
    query = f"""SELECT ?d ?b ?c ?n WHERE {{ GRAPH <{ANALYTICS_GRAPH}> {{
        <{ids["P"]}> pkg:degree ?d ; pkg:betweenness ?b ; pkg:community ?c ; pkg:countryCount ?n }} }}"""
    (row,) = list(store.query(query, prefixes={"pkg": PKG}))
    assert (row["d"].value, row["b"].value, row["n"].value) == ("2", "0.142857", "2")
    assert row["b"].datatype.value == XSD + "decimal" and row["d"].datatype.value == XSD + "integer"
    assert int(row["c"].value) == analysis.partners[ids["P"]]["community"]


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
    assert len(analytics) == 4 * len(rows)
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
    assert set(recorder.queries) == set(analyse_module.QUERIES) | set(report_module.QUERIES)
