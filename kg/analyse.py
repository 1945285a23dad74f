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

Every random step is seeded with ``seed``. Exact betweenness prunes the
partners seen in one place only (degree-1 nodes, most of an ecosystem) and
runs a weighted Brandes pass over the rest, so it stays exact and fast; it
falls back to sampling ``k`` pivots (networkx, seeded) only when the pruned
graph is still too large (:data:`EXACT_BETWEENNESS_MAX_WORK`). The
results go back into the graph as the analytics named graph
(:data:`ANALYTICS_GRAPH`: ``pkg:degree``, ``pkg:betweenness``,
``pkg:community``, ``pkg:countryCount`` on organisations) and into a
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

from kg.errors import InputError
from kg.namespaces import PKG, PREFIX_IRIS, XSD, mint
from kg.query import packaged_query
from kg.store import open_store

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
    "QUERIES",
]

ANALYTICS_GRAPH = mint("graph", "analytics")
DEFAULT_SEED = 42
EXACT_BETWEENNESS_MAX_WORK = 5_000_000
BETWEENNESS_SAMPLES = 200
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
)
"""Every query :func:`project` runs, the files of ``kg/queries/analyse/``: all that :func:`analyse` reads of a store."""


@dataclass
class Projections:
    """The graph's partner ecosystem as networkx graphs, with the nodes' descriptions.

    Node ids are IRIs. Every node carries ``kind`` (``country``, ``partner``,
    ``action``, ``document`` or ``method``) and ``label``; edges carry
    ``weight``, the number of partnerships (or documents) behind the link.
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
            "parameters": {"seed": self.seed, "betweenness": self.betweenness_method},
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
    if betweenness_k is None and betweenness_work(eco) > EXACT_BETWEENNESS_MAX_WORK:
        betweenness_k = BETWEENNESS_SAMPLES
    scores = betweenness(eco, k=betweenness_k, seed=seed)
    groups = communities(eco, seed=seed)
    analysis = Analysis(seed, "exact" if betweenness_k is None else f"sampled k={betweenness_k}", proj, eco, scores)
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
    return analysis


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


def analytics_quads(analysis: Analysis) -> list[ox.Quad]:
    """The analytics named graph: degree, betweenness, community and country count of every organisation."""
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
    return sorted(quads, key=str)


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
    tail = _tail(iri)
    return {
        "org": {"label": tail, "sector": "unknown"},
        "country": {"iso3": tail, "label": tail},
        "doc": {"source": "", "label": tail, "type": "Document", "year": ""},
        "method": {"label": tail},
    }[role]


def _organisations(store: ox.Store) -> dict[str, dict]:
    found: dict[str, dict] = {}
    for row in sorted(_select(store, _Q_ORGANISATIONS), key=_row_key):
        found.setdefault(
            row["org"], {"label": row["label"] or _tail(row["org"]), "sector": _tail(row["sector"] or "unknown")}
        )
    return found


def _countries(store: ox.Store) -> dict[str, dict]:
    found: dict[str, dict] = {}
    for row in sorted(_select(store, _Q_COUNTRIES), key=_row_key):
        iso3 = row["iso3"] or _tail(row["country"])
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
            "type": _tail(types.get(doc, str(PKG.Document))),
            "year": years.get(doc, ""),
        }
        for doc in sorted(sources)
    }


def _methods(store: ox.Store) -> dict[str, dict]:
    labels = _first(_select(store, _Q_METHODS), "method", "label")
    return {method: {"label": labels[method] or _tail(method)} for method in sorted(labels)}


def _first(rows: list[dict], key: str, value: str) -> dict:
    """``key -> value`` of ``rows``, the smallest value winning when a key has several."""
    found: dict = {}
    for row in sorted(rows, key=_row_key):
        found.setdefault(row[key], row[value])
    return found


def _row_key(row: dict) -> tuple:
    return tuple((v is None, str(v)) for v in row.values())


def _select(store: ox.Store, query: str) -> list[dict]:
    """Rows of a SELECT as dicts of plain values (IRI text, literal value, int for counts, None)."""
    answer = store.query(query, use_default_graph_as_union=True, prefixes=PREFIX_IRIS)
    assert isinstance(answer, ox.QuerySolutions), "the analytics' queries are all SELECTs"
    names = [v.value for v in answer.variables]
    rows = []
    for solution in answer:
        row = {}
        for name in names:
            term = solution[name]
            row[name] = None if term is None else _plain(term)
        rows.append(row)
    return rows


def _plain(term: ox.NamedNode | ox.BlankNode | ox.Literal) -> str | int | bool:
    if isinstance(term, ox.Literal):
        datatype = term.datatype.value if term.datatype else ""
        if datatype == str(XSD.integer):
            return int(term.value)
        if datatype == str(XSD.boolean):
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
        graph.add_node(row["action"], kind="action", label=row["label"] or _tail(row["action"]), document=row["doc"])
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
    unusual = {r["p"]: r for r in sorted(_select(store, _Q_UNUSUAL), key=_row_key)}
    found: dict[str, dict] = {}
    for row in sorted(_select(store, _Q_PARTNERSHIPS), key=_row_key):
        extra = unusual.get(row["p"], {})
        found.setdefault(
            row["p"],
            {
                "iri": row["p"],
                "org": row["org"],
                "document": row["doc"],
                "sector": _tail(row["sector"] or "unknown"),
                "unusual": extra.get("unusual"),
                "name": extra.get("name") or "",
            },
        )
    return [found[iri] for iri in sorted(found)]


def _tail(iri: str) -> str:
    return iri.rstrip("/").rsplit("/", 1)[-1].rsplit("#", 1)[-1]


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
