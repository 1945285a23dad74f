"""Partner-ecosystem analytics: SPARQL projections of the graph into networkx, and what they show.

The graph answers "who partnered with whom, where"; portfolio analysts also
ask who the brokers are, which partners several countries share, how
partners cluster and how alike countries are. This module answers those
questions in two steps:

1. *Projections*: aggregated SPARQL queries over the pyoxigraph store (never
   a load of every triple; the files of ``kg/queries/analyse/``) become
   networkx graphs: country-partner,
   action-partner, document-partner, partner co-occurrence (two organisations
   partnering in the same document), country-method and document-method.
2. *Analyses* over them: degree and betweenness of partners in the ecosystem
   graph (countries, actions and partners), Louvain communities, partners
   shared across countries, sector mix, unusual partners, method co-use,
   Jaccard similarity of countries, connected components.
3. *The ecosystem year by year*: a partnership is active in every year from
   its ``pkg:fromYear`` to its ``pkg:toYear``; per year, for the whole
   portfolio and per country, the partners active, gained and lost, the
   top broker (betweenness on that year's ecosystem graph,
   :func:`year_graph`), the concentration and the sector mix
   (:func:`years_table`, :func:`country_years_table`).
4. *Partner suggestions*: for every country with partnerships, the
   :data:`SUGGESTION_TOP` organisations :func:`kg.suggest.suggest` ranks
   first (its default ranking), each with its score and explanation
   (:func:`suggestion_rows`): one suggestion graph for all countries.

Every random step is seeded with ``seed``. Exact betweenness prunes the
partners seen in one place only (degree-1 nodes, most of an ecosystem) and
runs a weighted Brandes pass over the rest, so it stays exact and fast; it
falls back to sampling ``k`` pivots (networkx, seeded) only when the pruned
graph is still too large (:data:`EXACT_BETWEENNESS_MAX_WORK`). The
results go back into the graph as the analytics named graph
(:data:`ANALYTICS_GRAPH`: ``pkg:degree``, ``pkg:betweenness``,
``pkg:community``, ``pkg:countryCount`` on organisations, a
``pkg:EcosystemYear`` per year and per country and year, and a
``pkg:Suggestion`` per suggested partner of a country) and into a
deterministic ``analysis.json``.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict, deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path
from typing import ClassVar

import networkx as nx
import pyoxigraph as ox

from kg import suggest
from kg.errors import InputError
from kg.namespaces import PKG, RDF, XSD, local_name, mint
from kg.query import packaged_query
from kg.store import open_store, row_key, select_rows

__all__ = [
    "ANALYTICS_GRAPH",
    "DEFAULT_SEED",
    "EXACT_BETWEENNESS_MAX_WORK",
    "BETWEENNESS_SAMPLES",
    "Projections",
    "Analysis",
    "project",
    "analyse",
    "analyse_build",
    "ecosystem_graph",
    "betweenness",
    "betweenness_work",
    "communities",
    "components",
    "jaccard",
    "similarities",
    "analytics_quads",
    "write_analysis",
    "format_decimal",
    "active_years",
    "partnerships_by_year",
    "year_graph",
    "year_brokers",
    "partner_years",
    "years_table",
    "country_years_table",
    "TOP_CONCENTRATION",
    "SUGGESTION_TOP",
    "EVIDENCE_FORMS",
    "SUMMARY_LABS",
    "suggestion_rows",
    "QUERIES",
]

ANALYTICS_GRAPH = mint("graph", "analytics")
DEFAULT_SEED = 42
EXACT_BETWEENNESS_MAX_WORK = 5_000_000
BETWEENNESS_SAMPLES = 200
TOP_CONCENTRATION = 10
"""How many of the organisations with the most partnerships a year's concentration counts."""
SUGGESTION_TOP = 10
"""How many suggested partners of each country the analytics keep (``kg suggest``'s default ``--top``)."""
EVIDENCE_FORMS = 5
"""How many of a suggestion's evidence forms (the latest first) the analytics keep as file and line."""
SUMMARY_LABS = 3
"""How many labs a suggestion's short explanation (``summary``, the report's) names."""
_TOP_PAIRS = 100
_TOP_LIST = 25

_Q_ORGANISATIONS = packaged_query("analyse", "organisations")
_Q_COUNTRIES = packaged_query("analyse", "countries")
_Q_DOCUMENT_SOURCES = packaged_query("analyse", "document_sources")
_Q_DOCUMENT_TYPES = packaged_query("analyse", "document_types")
_Q_DOCUMENT_YEARS = packaged_query("analyse", "document_years")
_Q_PARTNER_DOCUMENT_TITLES = packaged_query("analyse", "partner_document_titles")
_Q_METHODS = packaged_query("analyse", "methods")
_Q_COUNTRY_PARTNER = packaged_query("analyse", "country_partner")
_Q_ACTION_PARTNER = packaged_query("analyse", "action_partner")
_Q_DOCUMENT_PARTNER = packaged_query("analyse", "document_partner")
_Q_COUNTRY_METHOD = packaged_query("analyse", "country_method")
_Q_DOCUMENT_METHOD = packaged_query("analyse", "document_method")
_Q_DOCUMENT_COUNTRY = packaged_query("analyse", "document_country")
_Q_PARTNERSHIPS = packaged_query("analyse", "partnerships")
_Q_UNUSUAL = packaged_query("analyse", "unusual")
_Q_PROVENANCE = packaged_query("analyse", "provenance")

QUERIES = (
    _Q_ORGANISATIONS,
    _Q_COUNTRIES,
    _Q_DOCUMENT_SOURCES,
    _Q_DOCUMENT_TYPES,
    _Q_DOCUMENT_YEARS,
    _Q_PARTNER_DOCUMENT_TITLES,
    _Q_METHODS,
    _Q_COUNTRY_PARTNER,
    _Q_ACTION_PARTNER,
    _Q_DOCUMENT_PARTNER,
    _Q_COUNTRY_METHOD,
    _Q_DOCUMENT_METHOD,
    _Q_DOCUMENT_COUNTRY,
    _Q_PARTNERSHIPS,
    _Q_UNUSUAL,
    _Q_PROVENANCE,
)
"""Every query :func:`project` runs, the files of ``kg/queries/analyse/``: all that :func:`analyse` reads of a store."""


@dataclass
class Projections:
    """The graph's partner ecosystem as networkx graphs, with the nodes' descriptions.

    Node ids are IRIs. Every node carries ``kind`` (``country``, ``partner``,
    ``action``, ``document`` or ``method``) and ``label``; edges carry
    ``weight``, the number of partnerships (or documents) behind the link.
    ``provenance`` says where each partnership was read (:func:`_provenance`).
    """

    organisations: dict[str, dict]
    countries: dict[str, dict]
    documents: dict[str, dict]
    methods: dict[str, dict]
    partnerships: list[dict]
    country_partner: nx.Graph
    action_partner: nx.Graph
    document_partner: nx.Graph
    partner_cooccurrence: nx.Graph
    country_method: nx.Graph
    document_method: nx.Graph
    document_country: nx.Graph
    provenance: dict[str, dict] = field(default_factory=dict)
    _places: dict[str, list[str]] | None = field(default=None, repr=False, compare=False)

    def countries_of(self, document: str) -> list[str]:
        """The countries of a form (IRIs, sorted; none for a form that names none), from :attr:`document_country`."""
        if self._places is None:
            graph = self.document_country
            self._places = {
                doc: sorted(graph.neighbors(doc)) for doc, kind in graph.nodes(data="kind") if kind == "document"
            }
        return self._places.get(document, [])


@dataclass
class Analysis:
    """The results of :func:`analyse`: per-partner metrics and portfolio-level findings."""

    seed: int
    betweenness_method: str
    projections: Projections
    ecosystem: nx.Graph
    centrality: dict[str, float] = field(default_factory=dict)
    partners: dict[str, dict] = field(default_factory=dict)
    countries: dict[str, dict] = field(default_factory=dict)
    communities: list[dict] = field(default_factory=list)
    shared_partners: list[dict] = field(default_factory=list)
    sector_mix: dict[str, int] = field(default_factory=dict)
    unusual_partners: list[dict] = field(default_factory=list)
    method_co_use: list[dict] = field(default_factory=list)
    country_similarity: dict[str, list[dict]] = field(default_factory=dict)
    components: dict[str, dict] = field(default_factory=dict)
    year_betweenness_method: str = "exact"
    partner_years: dict[str, list[int]] = field(default_factory=dict)
    years: list[dict] = field(default_factory=list)
    country_years: list[dict] = field(default_factory=list)
    suggestions: list[dict] = field(default_factory=list)

    def top_partners(self, n: int = _TOP_LIST) -> list[dict]:
        """Partners by the number of forms naming them, then degree, then label."""
        ranked = sorted(self.partners.values(), key=lambda p: (-p["documents"], -p["degree"], p["label"], p["iri"]))
        return ranked[:n]

    def brokers(self, n: int = _TOP_LIST) -> list[dict]:
        """Partners with a non-zero betweenness, the highest first."""
        ranked = sorted(
            (p for p in self.partners.values() if p["betweenness"] > 0),
            key=lambda p: (-p["betweenness"], -p["country_count"], p["label"], p["iri"]),
        )
        return ranked[:n]

    def to_json(self) -> dict:
        """Everything but the graphs, as JSON-ready data (deterministic)."""
        return {
            "parameters": {
                "seed": self.seed,
                "betweenness": self.betweenness_method,
                "year_betweenness": self.year_betweenness_method,
            },
            "summary": self._summary(),
            "partners": {iri: self.partners[iri] for iri in sorted(self.partners)},
            "countries": {iri: self.countries[iri] for iri in sorted(self.countries)},
            "top_partners": [p["iri"] for p in self.top_partners()],
            "brokers": [p["iri"] for p in self.brokers()],
            "communities": self.communities,
            "shared_partners": self.shared_partners,
            "sector_mix": dict(sorted(self.sector_mix.items())),
            "unusual_partners": self.unusual_partners,
            "method_co_use": self.method_co_use,
            "country_similarity": self.country_similarity,
            "components": self.components,
            **self._years_json(),
        }

    def _years_json(self) -> dict:
        """The ecosystem year by year: the years of each partner, each year's figures and each country's."""
        return {
            "partner_years": {iri: self.partner_years[iri] for iri in sorted(self.partner_years)},
            "years": self.years,
            "country_years": self.country_years,
            "suggestions": self.suggestions,
        }

    def _summary(self) -> dict:
        proj = self.projections
        return {
            "organisations": len(proj.organisations),
            "countries": len(proj.countries),
            "documents": len(proj.documents),
            "partnerships": len(proj.partnerships),
            "actions_with_partners": sum(1 for _n, d in proj.action_partner.nodes(data=True) if d["kind"] == "action"),
            "ecosystem_nodes": self.ecosystem.number_of_nodes(),
            "ecosystem_edges": self.ecosystem.number_of_edges(),
            "cooccurrence_edges": proj.partner_cooccurrence.number_of_edges(),
            "communities": len(self.communities),
            "shared_partners": len(self.shared_partners),
            "unusual_partnerships": len(self.unusual_partners),
        }


def project(store: ox.Store) -> Projections:
    """Run the projection queries over ``store`` (default graph = union of named graphs)."""
    nodes = _NodeIndex(
        orgs=_organisations(store), countries=_countries(store), documents=_documents(store), methods=_methods(store)
    )
    document_partner = _bipartite(_select(store, _Q_DOCUMENT_PARTNER), "doc", "org", nodes)
    return Projections(
        organisations=nodes.tables["org"],
        countries=nodes.tables["country"],
        documents=nodes.tables["doc"],
        methods=nodes.tables["method"],
        partnerships=_partnerships(store),
        country_partner=_bipartite(_select(store, _Q_COUNTRY_PARTNER), "country", "org", nodes),
        action_partner=_action_partner(_select(store, _Q_ACTION_PARTNER), nodes),
        document_partner=document_partner,
        partner_cooccurrence=_cooccurrence(document_partner),
        country_method=_bipartite(_select(store, _Q_COUNTRY_METHOD), "country", "method", nodes),
        document_method=_bipartite(_with_weight(_select(store, _Q_DOCUMENT_METHOD)), "doc", "method", nodes),
        document_country=_bipartite(_with_weight(_select(store, _Q_DOCUMENT_COUNTRY)), "doc", "country", nodes),
        provenance=_provenance(store),
    )


def analyse(store: ox.Store, seed: int = DEFAULT_SEED, betweenness_k: int | None = None) -> Analysis:
    """Project ``store`` and run every analysis.

    Args:
        store: a pyoxigraph store of a build (or any store with the same vocabulary).
        seed: the seed of every random step (sampled betweenness, Louvain).
        betweenness_k: pivots for sampled betweenness; None samples
            :data:`BETWEENNESS_SAMPLES` pivots only when :func:`betweenness_work`
            exceeds :data:`EXACT_BETWEENNESS_MAX_WORK`.
    """
    proj = project(store)
    eco = ecosystem_graph(proj)
    scores, method = _brokerage(eco, betweenness_k, seed)
    groups = communities(eco, seed=seed)
    analysis = Analysis(seed, method, proj, eco, scores)
    analysis.partners = _partner_table(proj, eco, scores, groups)
    analysis.countries = _country_table(proj)
    analysis.communities = _community_table(groups, proj, analysis.partners)
    analysis.shared_partners = _shared_partners(analysis.partners)
    analysis.sector_mix = dict(Counter(p["sector"] for p in proj.partnerships))
    analysis.unusual_partners = _unusual(proj)
    analysis.method_co_use = _method_co_use(proj)
    analysis.country_similarity = _country_similarity(proj)
    analysis.components = {
        "ecosystem": _component_summary(eco),
        "cooccurrence": _component_summary(proj.partner_cooccurrence),
    }
    by_year = partnerships_by_year(proj)
    year_scores, analysis.year_betweenness_method = year_brokers(proj, by_year, betweenness_k, seed)
    analysis.partner_years = partner_years(by_year)
    analysis.years = years_table(proj, by_year, year_scores)
    analysis.country_years = country_years_table(proj, by_year, year_scores)
    analysis.suggestions = suggestion_rows(store)
    return analysis


def suggestion_rows(store: ox.Store, top: int = SUGGESTION_TOP) -> list[dict]:
    """The ``top`` suggested partners of every country with partnerships, by country IRI then rank.

    One :func:`kg.suggest.suggestion_graph` of the whole store serves every
    country (:func:`kg.suggest.suggest`, its default ranking). A row holds the
    country (IRI, ISO3), the organisation (IRI, label, sector), the score,
    the rank, :func:`kg.suggest.explain`'s sentence, a shorter one (``summary``:
    :data:`SUMMARY_LABS` labs and one concept of each kind, for the report) and the first
    :data:`EVIDENCE_FORMS` evidence forms as ``{"source", "line"}``.
    """
    graph = suggest.suggestion_graph(store)
    rows = []
    for country in sorted(graph.country_partners):
        for found in suggest.suggest(graph, country, top=top):
            forms = found.evidence.forms[:EVIDENCE_FORMS]
            rows.append(
                {
                    "country": country,
                    "iso3": found.country,
                    "organisation": found.organisation,
                    "label": found.label,
                    "sector": found.sector,
                    "score": found.score,
                    "rank": found.rank,
                    "labs": len(found.evidence.labs),
                    "explanation": found.explanation,
                    "summary": suggest.explain(found, labs_shown=SUMMARY_LABS, concepts_shown=1),
                    "forms": [{"source": f.source, "line": f.line} for f in forms],
                }
            )
    return rows


def analyse_build(graph_dir: Path, seed: int = DEFAULT_SEED) -> Analysis:
    """Analyse the build in ``graph_dir`` (its store, or its graph.trig when there is none).

    Raises:
        InputError: if ``graph_dir`` holds no build.
    """
    if not graph_dir.is_dir():
        raise InputError(f"no such build folder: {graph_dir}")
    store = open_store(graph_dir)
    try:
        return analyse(store, seed=seed)
    finally:
        del store


def ecosystem_graph(proj: Projections) -> nx.Graph:
    """Countries, actions and every partner, linked where a partnership links them.

    The union of the country-partner and action-partner projections, plus
    the partners linked to neither (isolated nodes), added in sorted order so
    that seeded algorithms give the same answer on every run.
    """
    graph = nx.Graph()
    sources = (proj.country_partner, proj.action_partner)
    nodes = {n: d for g in sources for n, d in g.nodes(data=True)}
    for iri, org in proj.organisations.items():
        nodes.setdefault(iri, {"kind": "partner", **org})
    graph.add_nodes_from((n, nodes[n]) for n in sorted(nodes))
    edges = sorted((min(u, v), max(u, v), d["weight"]) for g in sources for u, v, d in g.edges(data=True))
    graph.add_weighted_edges_from(edges)
    return graph


def betweenness(graph: nx.Graph, k: int | None = None, seed: int = DEFAULT_SEED) -> dict[str, float]:
    """Normalised, unweighted betweenness of every node, as networkx defines it.

    With ``k`` None it is exact: degree-1 nodes (never between two others) are
    pruned into a weight on their neighbour, a Brandes pass over the pruned
    graph counts each pair of pruned-into nodes ``w(s) * w(t)`` times, and a
    closed form adds the paths that start at a pruned node. With ``k`` it is
    networkx's estimate from ``k`` pivots drawn with ``seed``.
    """
    if k is not None and k < graph.number_of_nodes():
        return nx.betweenness_centrality(graph, k=k, normalized=True, seed=seed)
    core, weight = _prune_leaves(graph)
    raw = _weighted_brandes(core, weight)
    scores = dict.fromkeys(graph, 0.0)
    n = graph.number_of_nodes()
    scale = 2.0 / ((n - 1) * (n - 2)) if n > 2 else 1.0
    for part in nx.connected_components(core):
        size = sum(weight[v] for v in part)
        for v in part:
            leaves = weight[v] - 1
            endpoint = leaves * (leaves - 1) / 2 + leaves * (size - 1 - leaves)
            scores[v] = (raw[v] / 2 + endpoint) * scale
    return scores


def betweenness_work(graph: nx.Graph) -> int:
    """The cost of exact :func:`betweenness` on ``graph``: nodes x (nodes + edges) of its pruned graph."""
    core, _weight = _prune_leaves(graph)
    return core.number_of_nodes() * (core.number_of_nodes() + core.number_of_edges())


def _brokerage(graph: nx.Graph, k: int | None, seed: int) -> tuple[dict[str, float], str]:
    """:func:`betweenness` by the analysis' rule, and the method used.

    With ``k`` None it is exact unless :func:`betweenness_work` exceeds
    :data:`EXACT_BETWEENNESS_MAX_WORK`, when :data:`BETWEENNESS_SAMPLES` pivots are drawn.
    """
    if k is None and betweenness_work(graph) > EXACT_BETWEENNESS_MAX_WORK:
        k = BETWEENNESS_SAMPLES
    return betweenness(graph, k=k, seed=seed), "exact" if k is None else f"sampled k={k}"


def communities(graph: nx.Graph, seed: int = DEFAULT_SEED) -> list[list[str]]:
    """Louvain communities (edge weights count), largest first, each sorted; ties by first member."""
    found = nx.community.louvain_communities(graph, weight="weight", seed=seed)
    return sorted((sorted(c) for c in found), key=lambda c: (-len(c), c[0]))


def components(graph: nx.Graph) -> list[list[str]]:
    """Connected components, largest first, each sorted; ties by first member."""
    return sorted((sorted(c) for c in nx.connected_components(graph)), key=lambda c: (-len(c), c[0]))


def jaccard(a: Iterable, b: Iterable) -> float:
    """|a ∩ b| / |a ∪ b|; 0.0 when both are empty."""
    a, b = set(a), set(b)
    union = a | b
    return len(a & b) / len(union) if union else 0.0


def similarities(sets: dict[str, set], top: int | None = None) -> list[dict]:
    """Jaccard similarity of every pair of keys whose sets share a member, best first.

    Each row is ``{"a", "b", "jaccard" (6 places), "shared"}`` with ``a < b``;
    ties are broken by the number shared, then by the keys.
    """
    holders: dict[str, list[str]] = defaultdict(list)
    for key in sorted(sets):
        for member in sets[key]:
            holders[member].append(key)
    shared: Counter = Counter()
    for keys in holders.values():
        shared.update(combinations(keys, 2))
    rows = [
        {"a": a, "b": b, "jaccard": round(n / len(sets[a] | sets[b]), 6), "shared": n} for (a, b), n in shared.items()
    ]
    rows.sort(key=lambda r: (-r["jaccard"], -r["shared"], r["a"], r["b"]))
    return rows if top is None else rows[:top]


# --------------------------------------------------------------------------
# the ecosystem year by year


def active_years(partnership: dict) -> range:
    """The years a partnership is active in: ``from_year`` to ``to_year``, both included.

    None when it has no year; one year when it has only one of the two; none
    when its years run backwards (the graph never gives such).
    """
    first = partnership.get("from_year")
    last = partnership.get("to_year")
    if first is None and last is None:
        return range(0)
    start = first if first is not None else last
    end = last if last is not None else first
    assert start is not None and end is not None
    return range(start, end + 1)


def partnerships_by_year(proj: Projections) -> dict[int, list[dict]]:
    """The partnerships active in each year (:func:`active_years`), years in order, each as ``proj`` orders them."""
    found: dict[int, list[dict]] = defaultdict(list)
    for partnership in proj.partnerships:
        for year in active_years(partnership):
            found[year].append(partnership)
    return {year: found[year] for year in sorted(found)}


def year_graph(proj: Projections, partnerships: Iterable[dict]) -> nx.Graph:
    """The ecosystem graph of ``partnerships`` alone (one year's): their countries, actions and partners.

    Made as :func:`ecosystem_graph` makes the whole one: a partner is linked
    to each country of its partnership's form and to its partnership's
    action, an edge weighted by the partnerships behind it; a partner linked
    to neither is an isolated node. Nodes and edges are added in sorted
    order, so that seeded algorithms give the same answer on every run. Of
    all the partnerships, it is the ecosystem graph.
    """
    actions = proj.action_partner
    nodes: dict[str, dict] = {}
    edges: Counter = Counter()
    for partnership in partnerships:
        org = partnership["org"]
        nodes[org] = {"kind": "partner", **proj.organisations.get(org, _default_info("org", org))}
        linked = list(proj.countries_of(partnership["document"]))
        for country in linked:
            nodes[country] = {"kind": "country", **proj.countries[country]}
        action = partnership.get("action")
        if action is not None and action in actions:
            nodes[action] = dict(actions.nodes[action])
            linked.append(action)
        edges.update((min(org, node), max(org, node)) for node in linked)
    graph = nx.Graph()
    graph.add_nodes_from((n, nodes[n]) for n in sorted(nodes))
    graph.add_weighted_edges_from(sorted((u, v, n) for (u, v), n in edges.items()))
    return graph


def year_brokers(
    proj: Projections, by_year: dict[int, list[dict]], k: int | None = None, seed: int = DEFAULT_SEED
) -> tuple[dict[int, dict[str, float]], str]:
    """Each year's partners' betweenness on that year's :func:`year_graph` (6 places), and the method used.

    Each year's graph is measured by the whole graph's rule (exact unless
    :func:`betweenness_work` exceeds :data:`EXACT_BETWEENNESS_MAX_WORK`;
    ``k`` pivots when given) and seed. The method is ``"exact"`` when every
    year's is, else the sampling and the years it was used in
    (``"sampled k=200 in 2022, 2023"``).
    """
    scores: dict[int, dict[str, float]] = {}
    sampled: dict[str, list[str]] = defaultdict(list)
    for year, partnerships in by_year.items():
        graph = year_graph(proj, partnerships)
        found, method = _brokerage(graph, k, seed)
        kinds = graph.nodes(data="kind")
        scores[year] = {node: round(value, 6) for node, value in found.items() if kinds[node] == "partner"}
        if method != "exact":
            sampled[method].append(str(year))
    method = "; ".join(f"{how} in {', '.join(years)}" for how, years in sorted(sampled.items()))
    return scores, method or "exact"


def partner_years(by_year: dict[int, list[dict]]) -> dict[str, list[int]]:
    """Organisation IRI -> the years it has a partnership active in (anywhere), in order."""
    found: dict[str, set[int]] = defaultdict(set)
    for year, partnerships in by_year.items():
        for partnership in partnerships:
            found[partnership["org"]].add(year)
    return {org: sorted(found[org]) for org in sorted(found)}


def years_table(proj: Projections, by_year: dict[int, list[dict]], scores: dict[int, dict[str, float]]) -> list[dict]:
    """One row per year with an active partnership, in order: the whole portfolio's ecosystem that year.

    Keys: ``year``; ``partners`` (distinct organisations with a partnership
    active that year), ``partnerships`` (those active), ``countries`` (of
    their forms); ``new`` and ``new_partners``: the year's partners active in
    no earlier year; ``lost`` and ``lost_partners``: the partners of the
    previous row's year not active in this one; ``top_broker`` and
    ``top_broker_label``: the year's partner with the highest betweenness in
    ``scores[year]`` (:func:`year_brokers`), above 0, ties by label then IRI,
    else ""; ``concentration``: the share of the year's partnerships the
    :data:`TOP_CONCENTRATION` organisations with the most hold (6 places);
    ``sector_mix``: partnerships by sector.
    """
    rows = []
    earlier: set[str] = set()
    previous: set[str] = set()
    for year, partnerships in by_year.items():
        rows.append(_year_figures(proj, year, partnerships, scores.get(year, {}), earlier, previous))
        previous = {p["org"] for p in partnerships}
        earlier |= previous
    return rows


def country_years_table(
    proj: Projections, by_year: dict[int, list[dict]], scores: dict[int, dict[str, float]]
) -> list[dict]:
    """One row per country and year with a partnership active there, by ISO3 code then year.

    A partnership is in the countries of its form (a form of two countries
    counts for both). Keys: ``country`` (IRI), ``iso3``, ``country_label``
    and those of :func:`years_table`, within the country (``countries`` is
    1, though a form may name others): new and lost
    partners against the country's own earlier years, and the top broker the
    country's partner of that year with the highest betweenness in that
    year's whole ecosystem graph.
    """
    by_country: dict[str, dict[int, list[dict]]] = defaultdict(lambda: defaultdict(list))
    for year, partnerships in by_year.items():
        for partnership in partnerships:
            for country in proj.countries_of(partnership["document"]):
                by_country[country][year].append(partnership)
    rows = []
    for country in sorted(by_country, key=lambda c: (proj.countries[c]["iso3"], c)):
        info = proj.countries[country]
        earlier: set[str] = set()
        previous: set[str] = set()
        for year in sorted(by_country[country]):
            partnerships = by_country[country][year]
            figures = _year_figures(proj, year, partnerships, scores.get(year, {}), earlier, previous)
            figures["countries"] = 1  # within the country (its forms may name others too)
            rows.append({"country": country, "iso3": info["iso3"], "country_label": info["label"], **figures})
            previous = {p["org"] for p in partnerships}
            earlier |= previous
    return rows


def _year_figures(
    proj: Projections,
    year: int,
    partnerships: list[dict],
    scores: dict[str, float],
    earlier: set[str],
    previous: set[str],
) -> dict:
    """The figures of one year of an ecosystem (the portfolio's or a country's): see :func:`years_table`."""
    held = Counter(p["org"] for p in partnerships)
    partners = set(held)
    new, lost = sorted(partners - earlier), sorted(previous - partners)
    countries = {c for p in partnerships for c in proj.countries_of(p["document"])}
    top = sorted(held.values(), reverse=True)[:TOP_CONCENTRATION]
    brokers = [org for org in partners if scores.get(org, 0.0) > 0]
    broker = min(brokers, key=lambda org: (-scores[org], _org_label(proj, org), org), default="")
    return {
        "year": year,
        "partners": len(partners),
        "partnerships": len(partnerships),
        "countries": len(countries),
        "new": len(new),
        "lost": len(lost),
        "new_partners": new,
        "lost_partners": lost,
        "top_broker": broker,
        "top_broker_label": _org_label(proj, broker) if broker else "",
        "concentration": round(sum(top) / len(partnerships), 6),
        "sector_mix": dict(sorted(Counter(p["sector"] for p in partnerships).items())),
    }


def _org_label(proj: Projections, org: str) -> str:
    return proj.organisations.get(org, {}).get("label") or local_name(org)


# --------------------------------------------------------------------------
# the analytics graph


def analytics_quads(analysis: Analysis) -> list[ox.Quad]:
    """The analytics named graph: the organisations' figures, and the ecosystem year by year.

    Every organisation gets its degree, betweenness, community and country
    count; every row of ``analysis.years`` and ``analysis.country_years`` a
    ``pkg:EcosystemYear`` node (:func:`_year_quads`).
    """
    graph = ox.NamedNode(str(ANALYTICS_GRAPH))
    integer, decimal = ox.NamedNode(str(XSD.integer)), ox.NamedNode(str(XSD.decimal))
    quads = []
    for iri, partner in analysis.partners.items():
        node = ox.NamedNode(iri)
        for predicate, value, datatype in (
            (PKG.degree, str(partner["degree"]), integer),
            (PKG.betweenness, format_decimal(partner["betweenness"]), decimal),
            (PKG.community, str(partner["community"]), integer),
            (PKG.countryCount, str(partner["country_count"]), integer),
        ):
            quads.append(ox.Quad(node, ox.NamedNode(str(predicate)), ox.Literal(value, datatype=datatype), graph))
    for row in analysis.years:
        quads.extend(_year_quads(row, ("portfolio", row["year"]), graph))
    for row in analysis.country_years:
        quads.extend(_year_quads(row, ("country", row["iso3"], row["year"]), graph))
    for row in analysis.suggestions:
        quads.extend(_suggestion_quads(row, graph))
    return sorted(quads, key=str)


def _suggestion_quads(row: dict, graph: ox.NamedNode) -> Iterable[ox.Quad]:
    """One suggested partner (a row of :func:`suggestion_rows`) as quads.

    Its node (``id:suggestion/KEN/<organisation>``, keyed by the country's
    ISO3 and the organisation IRI's last part) is a ``pkg:Suggestion`` with
    its country, organisation, score (``xsd:decimal``), rank, explanation
    (``pkg:evidence``) and evidence forms (``pkg:evidenceForm``, "file:line").
    """
    node = ox.NamedNode(str(mint("suggestion", row["iso3"], local_name(row["organisation"]))))

    def quad(predicate, value: ox.NamedNode | ox.Literal) -> ox.Quad:
        return ox.Quad(node, ox.NamedNode(str(predicate)), value, graph)

    yield quad(RDF.type, ox.NamedNode(str(PKG.Suggestion)))
    yield quad(PKG.suggestedFor, ox.NamedNode(row["country"]))
    yield quad(PKG.suggestedOrganisation, ox.NamedNode(row["organisation"]))
    yield quad(PKG.score, ox.Literal(format_decimal(row["score"]), datatype=ox.NamedNode(str(XSD.decimal))))
    yield quad(PKG.rank, ox.Literal(str(row["rank"]), datatype=ox.NamedNode(str(XSD.integer))))
    yield quad(PKG.evidence, ox.Literal(row["explanation"]))
    for form in row["forms"]:
        place = form["source"] if form["line"] is None else f"{form['source']}:{form['line']}"
        yield quad(PKG.evidenceForm, ox.Literal(place))


def _year_quads(row: dict, key: tuple, graph: ox.NamedNode) -> Iterable[ox.Quad]:
    """One ecosystem year (a row of :func:`years_table` or :func:`country_years_table`) as quads.

    Its node (``id:ecosystem/portfolio/2023``, ``id:ecosystem/country/KEN/2023``)
    is a ``pkg:EcosystemYear`` with its year (``xsd:gYear``), country,
    counts, concentration, top broker and a ``pkg:SectorCount`` per sector.
    """
    node = ox.NamedNode(str(mint("ecosystem", *key)))
    integer = ox.NamedNode(str(XSD.integer))

    def quad(subject: ox.NamedNode, predicate, value: ox.NamedNode | ox.Literal) -> ox.Quad:
        return ox.Quad(subject, ox.NamedNode(str(predicate)), value, graph)

    yield quad(node, RDF.type, ox.NamedNode(str(PKG.EcosystemYear)))
    yield quad(node, PKG.inYear, ox.Literal(f"{row['year']:04d}", datatype=ox.NamedNode(str(XSD.gYear))))
    if "country" in row:
        yield quad(node, PKG.ecosystemCountry, ox.NamedNode(row["country"]))
    for predicate, name in (
        (PKG.partnerCount, "partners"),
        (PKG.newPartnerCount, "new"),
        (PKG.lostPartnerCount, "lost"),
        (PKG.partnershipCount, "partnerships"),
    ):
        yield quad(node, predicate, ox.Literal(str(row[name]), datatype=integer))
    concentration = format_decimal(row["concentration"])
    yield quad(node, PKG.concentration, ox.Literal(concentration, datatype=ox.NamedNode(str(XSD.decimal))))
    if row["top_broker"]:
        yield quad(node, PKG.topBroker, ox.NamedNode(row["top_broker"]))
    for sector, count in row["sector_mix"].items():
        part = ox.NamedNode(str(mint("ecosystem", *key, "sector", sector)))
        yield quad(node, PKG.sectorCount, part)
        yield quad(part, RDF.type, ox.NamedNode(str(PKG.SectorCount)))
        yield quad(part, PKG.countedSector, ox.NamedNode(str(mint("sector", sector))))
        yield quad(part, PKG.partnershipCount, ox.Literal(str(count), datatype=integer))


def write_analysis(analysis: Analysis, path: Path) -> Path:
    """Write ``analysis.json`` (sorted keys, two-space indent, UTF-8)."""
    text = json.dumps(analysis.to_json(), indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    path.write_text(text, encoding="utf-8")
    return path


def format_decimal(value: float, places: int = 6) -> str:
    """``value`` rounded to ``places`` as a plain xsd:decimal lexical form (never ``-0``)."""
    text = f"{value:.{places}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text


# --------------------------------------------------------------------------
# projections


class _NodeIndex:
    """Node attributes by IRI and role; nodes missing from a table get defaults (and are recorded)."""

    _KINDS: ClassVar[dict[str, str]] = {"org": "partner", "country": "country", "doc": "document", "method": "method"}

    def __init__(self, orgs: dict, countries: dict, documents: dict, methods: dict) -> None:
        self.tables = {"org": orgs, "country": countries, "doc": documents, "method": methods}

    def attrs(self, role: str, iri: str) -> dict:
        table = self.tables[role]
        if iri not in table:
            table[iri] = _default_info(role, iri)
        return {"kind": self._KINDS[role], **table[iri]}


def _default_info(role: str, iri: str) -> dict:
    tail = local_name(iri)
    return {
        "org": {"label": tail, "sector": "unknown"},
        "country": {"iso3": tail, "label": tail},
        "doc": {"source": "", "label": tail, "type": "Document", "year": ""},
        "method": {"label": tail},
    }[role]


def _organisations(store: ox.Store) -> dict[str, dict]:
    found: dict[str, dict] = {}
    for row in sorted(_select(store, _Q_ORGANISATIONS), key=row_key):
        found.setdefault(
            row["org"],
            {"label": row["label"] or local_name(row["org"]), "sector": local_name(row["sector"] or "unknown")},
        )
    return found


def _countries(store: ox.Store) -> dict[str, dict]:
    found: dict[str, dict] = {}
    for row in sorted(_select(store, _Q_COUNTRIES), key=row_key):
        iso3 = row["iso3"] or local_name(row["country"])
        found.setdefault(row["country"], {"iso3": iso3, "label": row["label"] or iso3})
    return found


def _documents(store: ox.Store) -> dict[str, dict]:
    sources = _first(_select(store, _Q_DOCUMENT_SOURCES), "doc", "source")
    types = _first(_select(store, _Q_DOCUMENT_TYPES), "doc", "type")
    years = _first(_select(store, _Q_DOCUMENT_YEARS), "doc", "year")
    titles = _first(_select(store, _Q_PARTNER_DOCUMENT_TITLES), "doc", "title")
    return {
        doc: {
            "source": sources[doc],
            "label": titles.get(doc) or sources[doc],
            "type": local_name(types.get(doc, str(PKG.Document))),
            "year": years.get(doc, ""),
        }
        for doc in sorted(sources)
    }


def _methods(store: ox.Store) -> dict[str, dict]:
    labels = _first(_select(store, _Q_METHODS), "method", "label")
    return {method: {"label": labels[method] or local_name(method)} for method in sorted(labels)}


def _first(rows: list[dict], key: str, value: str) -> dict:
    """``key -> value`` of ``rows``, the smallest value winning when a key has several."""
    found: dict = {}
    for row in sorted(rows, key=row_key):
        found.setdefault(row[key], row[value])
    return found


def _select(store: ox.Store, query: str) -> list[dict]:
    """Rows of a SELECT (:func:`kg.store.select_rows`) with integer and boolean literals as Python values."""
    return select_rows(store, query, _plain)


_XSD_INTEGER, _XSD_BOOLEAN = str(XSD.integer), str(XSD.boolean)  # rdflib makes a new term at every attribute access


def _plain(term: ox.NamedNode | ox.BlankNode | ox.Literal) -> str | int | bool:
    if isinstance(term, ox.Literal):
        datatype = term.datatype.value if term.datatype else ""
        if datatype == _XSD_INTEGER:
            return int(term.value)
        if datatype == _XSD_BOOLEAN:
            return term.value in ("true", "1")
    return term.value


def _with_weight(rows: list[dict]) -> list[dict]:
    return [{**row, "n": 1} for row in rows]


def _bipartite(rows: list[dict], left: str, right: str, nodes: _NodeIndex) -> nx.Graph:
    graph = nx.Graph()
    pairs = sorted((r[left], r[right], r["n"]) for r in rows)
    for node, role in sorted({(a, left) for a, _b, _n in pairs} | {(b, right) for _a, b, _n in pairs}):
        graph.add_node(node, **nodes.attrs(role, node))
    graph.add_weighted_edges_from(pairs)
    return graph


def _action_partner(rows: list[dict], nodes: _NodeIndex) -> nx.Graph:
    graph = nx.Graph()
    for row in sorted(rows, key=lambda r: (r["action"], r["org"])):
        label = row["label"] or local_name(row["action"])
        graph.add_node(row["action"], kind="action", label=label, document=row["doc"])
    for org in sorted({r["org"] for r in rows}):
        graph.add_node(org, **nodes.attrs("org", org))
    graph.add_weighted_edges_from(sorted((r["action"], r["org"], r["n"]) for r in rows))
    return graph


def _cooccurrence(document_partner: nx.Graph) -> nx.Graph:
    """Partners linked when they partner in the same document; weight = documents shared."""
    graph = nx.Graph()
    pairs: Counter = Counter()
    for doc, data in document_partner.nodes(data=True):
        if data["kind"] == "document":
            pairs.update(combinations(sorted(document_partner.neighbors(doc)), 2))
    for org in sorted({org for pair in pairs for org in pair}):
        graph.add_node(org, **document_partner.nodes[org])
    graph.add_weighted_edges_from(sorted((a, b, n) for (a, b), n in pairs.items()))
    return graph


def _partnerships(store: ox.Store) -> list[dict]:
    unusual = {r["p"]: r for r in sorted(_select(store, _Q_UNUSUAL), key=row_key)}
    found: dict[str, dict] = {}
    for row in sorted(_select(store, _Q_PARTNERSHIPS), key=row_key):
        extra = unusual.get(row["p"], {})
        found.setdefault(
            row["p"],
            {
                "iri": row["p"],
                "org": row["org"],
                "document": row["doc"],
                "sector": local_name(row["sector"] or "unknown"),
                "unusual": extra.get("unusual"),
                "name": extra.get("name") or "",
                "action": row["action"],
                "from_year": _year(row["from_year"]),
                "to_year": _year(row["to_year"]),
            },
        )
    return [found[iri] for iri in sorted(found)]


def _year(value: str | int | bool | None) -> int | None:
    """The year of an xsd:gYear's lexical form ("2023"), or None (none given, or not a plain four-digit year)."""
    text = str(value) if value is not None else ""
    return int(text) if len(text) == 4 and text.isdigit() else None


def _provenance(store: ox.Store) -> dict[str, dict]:
    """Partnership IRI -> where it was read: ``line``, ``question``, ``surface`` and ``answer``.

    The answer is that of the form's last item asking the partnership's
    question at or before its line (a repeated group asks it once per
    partner); "" when that item has no text answer. Partnerships without a
    line or question (hand-made graphs) have no entry.
    """
    best: dict[str, tuple] = {}
    for row in _select(store, _Q_PROVENANCE):
        key = (row["at"], row["answer"] or "")
        if row["p"] not in best or key > best[row["p"]][0]:
            best[row["p"]] = (key, row)
    return {
        p: {"line": row["line"], "question": row["question"], "surface": row["surface"], "answer": key[1]}
        for p, (key, row) in sorted(best.items())
    }


def _prune_leaves(graph: nx.Graph) -> tuple[nx.Graph, dict[str, int]]:
    """``graph`` without the degree-1 nodes whose neighbour has degree > 1, and each kept node's weight.

    A kept node's weight is 1 plus the number of pruned neighbours it stands for.
    """
    weight = dict.fromkeys(graph, 1)
    pruned = set()
    for node in graph:
        if graph.degree(node) == 1:
            (hub,) = graph.adj[node]
            if graph.degree(hub) > 1:
                pruned.add(node)
                weight[hub] += 1
    core = graph.subgraph(n for n in graph if n not in pruned)
    return core, {n: weight[n] for n in core}


def _weighted_brandes(graph: nx.Graph, weight: dict[str, int]) -> dict[str, float]:
    """Brandes' accumulation over ordered pairs (s, t), each counted ``weight[s] * weight[t]`` times."""
    raw = dict.fromkeys(graph, 0.0)
    adjacency = {v: list(graph.adj[v]) for v in graph}
    for source in graph:
        order, preds, sigma = _shortest_path_dag(adjacency, source)
        delta = dict.fromkeys(order, 0.0)
        for node in reversed(order):
            share = (weight[node] + delta[node]) / sigma[node]
            for pred in preds[node]:
                delta[pred] += sigma[pred] * share
            if node != source:
                raw[node] += weight[source] * delta[node]
    return raw


def _shortest_path_dag(
    adjacency: dict[str, list[str]], source: str
) -> tuple[list[str], dict[str, list[str]], dict[str, int]]:
    """BFS from ``source``: nodes in visiting order, shortest-path predecessors and path counts."""
    order: list[str] = []
    preds: dict[str, list[str]] = {source: []}
    sigma, dist = {source: 1}, {source: 0}
    queue = deque([source])
    while queue:
        node = queue.popleft()
        order.append(node)
        for nxt in adjacency[node]:
            if nxt not in dist:
                dist[nxt] = dist[node] + 1
                sigma[nxt], preds[nxt] = 0, []
                queue.append(nxt)
            if dist[nxt] == dist[node] + 1:
                sigma[nxt] += sigma[node]
                preds[nxt].append(node)
    return order, preds, sigma


# --------------------------------------------------------------------------
# analyses


def _partner_table(proj: Projections, eco: nx.Graph, scores: dict, groups: list[list[str]]) -> dict[str, dict]:
    community_of = {node: number for number, members in enumerate(groups, start=1) for node in members}
    cp, dp = proj.country_partner, proj.document_partner
    table = {}
    for iri in sorted(proj.organisations):
        org = proj.organisations[iri]
        countries = sorted(proj.countries[c]["iso3"] for c in cp.neighbors(iri)) if iri in cp else []
        docs = sorted(dp.neighbors(iri)) if iri in dp else []
        table[iri] = {
            "iri": iri,
            "label": org["label"],
            "sector": org["sector"],
            "degree": eco.degree(iri),
            "betweenness": round(scores.get(iri, 0.0), 6),
            "community": community_of[iri],
            "country_count": len(countries),
            "countries": countries,
            "documents": len(docs),
            "partnerships": sum(dp[iri][d]["weight"] for d in docs),
            "actions": sum(1 for n in eco.neighbors(iri) if eco.nodes[n]["kind"] == "action"),
            "co_partners": proj.partner_cooccurrence.degree(iri) if iri in proj.partner_cooccurrence else 0,
            "sources": sorted(proj.documents[d]["source"] for d in docs if d in proj.documents),
        }
    return table


def _country_table(proj: Projections) -> dict[str, dict]:
    sectors: dict[str, Counter] = defaultdict(Counter)
    doc_countries = proj.document_country
    for partnership in proj.partnerships:
        if partnership["document"] in doc_countries:
            for country in doc_countries.neighbors(partnership["document"]):
                sectors[country][partnership["sector"]] += 1
    table = {}
    for iri in sorted(proj.countries):
        info = proj.countries[iri]
        cp, cm = proj.country_partner, proj.country_method
        methods = {proj.methods[m]["label"]: cm[iri][m]["weight"] for m in cm.neighbors(iri)} if iri in cm else {}
        table[iri] = {
            "iso3": info["iso3"],
            "label": info["label"],
            "documents": doc_countries.degree(iri) if iri in doc_countries else 0,
            "partners": cp.degree(iri) if iri in cp else 0,
            "partnerships": sum(sectors[iri].values()),
            "sector_mix": dict(sorted(sectors[iri].items())),
            "methods": dict(sorted(methods.items())),
        }
    return table


def _community_table(groups: list[list[str]], proj: Projections, partners: dict) -> list[dict]:
    rows = []
    for number, members in enumerate(groups, start=1):
        if len(members) < 2:
            continue
        in_group = [partners[m] for m in members if m in partners]
        top = sorted(in_group, key=lambda p: (-p["betweenness"], -p["degree"], p["label"]))[:5]
        rows.append(
            {
                "community": number,
                "size": len(members),
                "partners": len(in_group),
                "countries": sorted(proj.countries[m]["iso3"] for m in members if m in proj.countries),
                "top_partners": [p["label"] for p in top],
            }
        )
    return rows


def _shared_partners(partners: dict[str, dict]) -> list[dict]:
    shared = [p for p in partners.values() if p["country_count"] > 1]
    shared.sort(key=lambda p: (-p["country_count"], -p["documents"], p["label"], p["iri"]))
    return [{"iri": p["iri"], "label": p["label"], "countries": p["countries"]} for p in shared]


def _unusual(proj: Projections) -> list[dict]:
    rows = []
    for partnership in proj.partnerships:
        if partnership["unusual"] is not True:
            continue
        doc = partnership["document"]
        countries = (
            sorted(proj.countries[c]["iso3"] for c in proj.document_country.neighbors(doc))
            if doc in proj.document_country
            else []
        )
        rows.append(
            {
                "org": partnership["org"],
                "label": proj.organisations.get(partnership["org"], {}).get("label", partnership["name"]),
                "name": partnership["name"],
                "sector": partnership["sector"],
                "countries": countries,
                "source": proj.documents.get(doc, {}).get("source", ""),
            }
        )
    return sorted(rows, key=lambda r: (r["label"], r["source"], r["name"]))


def _method_co_use(proj: Projections) -> list[dict]:
    dm = proj.document_method
    methods_of = {
        d: {proj.methods[m]["label"] for m in dm.neighbors(d)}
        for d, data in dm.nodes(data=True)
        if data["kind"] == "document"
    }
    pairs: Counter = Counter()
    for labels in methods_of.values():
        pairs.update(combinations(sorted(labels), 2))
    rows = [{"a": a, "b": b, "documents": n} for (a, b), n in pairs.items()]
    rows.sort(key=lambda r: (-r["documents"], r["a"], r["b"]))
    return rows[:_TOP_PAIRS]


def _country_similarity(proj: Projections) -> dict[str, list[dict]]:
    iso = {iri: info["iso3"] for iri, info in proj.countries.items()}
    result = {}
    for name, graph in (("partners", proj.country_partner), ("methods", proj.country_method)):
        sets = {iso[c]: set(graph.neighbors(c)) for c, d in graph.nodes(data=True) if d["kind"] == "country"}
        result[name] = similarities(sets, top=_TOP_PAIRS)
    return result


def _component_summary(graph: nx.Graph) -> dict:
    parts = components(graph)
    return {
        "count": len(parts),
        "non_trivial": sum(1 for p in parts if len(p) > 1),
        "largest": len(parts[0]) if parts else 0,
        "sizes": [len(p) for p in parts[:10]],
    }
