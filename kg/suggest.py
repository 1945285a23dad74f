"""Partner suggestions: organisations a lab does not work with yet, ranked, explained and back-tested.

A lab starting a challenge asks whom else to talk to. The graph holds an
answer: other labs working on the same SDGs, methods and themes, and the
partners they found. This module ranks, for one country, the organisations
its forms do not name yet, and says why each is suggested.

1. *The suggestion graph* (:func:`suggestion_graph`): one networkx graph of
   countries, partner organisations, SDGs, methods and themes, read from the
   store with the queries of ``kg/queries/suggest/`` (:func:`read_portfolio`).
   A partnership links its organisation to each country of its form; a
   form's SDGs, methods and themes link to its countries and to the
   organisations it names; two organisations named by the same form are
   linked (they co-occur). ``until_year`` keeps the partnerships that start
   in that year or before, and the forms of those years: the graph a lab
   would have had then.
2. *Signals* (:func:`signals`) for each candidate organisation ``o`` of
   country ``c``, each a plain number:

   - ``adamic_adar``, ``resource_allocation``, ``jaccard``: networkx's link
     prediction between ``c`` and ``o`` on that graph (their common
     neighbours are the SDGs, methods and themes of ``c``'s forms that the
     forms naming ``o`` carry too, and ``c``'s partners that ``o``
     co-occurs with);
   - ``peers``: partners of labs that share ``c``'s SDGs, methods and
     themes: the sum, over the other countries partnering ``o``, of their
     similarity to ``c`` (the Jaccard index of the two countries' sets of
     SDGs, methods and themes);
   - ``bridges``: partners that bridge to ``c``'s partners: the number of
     forms, summed over ``c``'s partners, that name ``o`` beside one of them;
   - ``recency``: ``o``'s latest active year (0 when it has none);
   - ``labs``: how many other countries partner ``o`` (its popularity).

3. *One score* (:func:`combine`): each signal is rank-normalised over the
   country's candidates (:func:`rank_normalise`: the share of the other
   candidates with a smaller value, so 0 for the smallest and 1 for the
   largest) and the score is the weighted mean of these. Equal scores are
   ordered by a hash of the seed and the organisation's IRI
   (:func:`tie_key`): seeded, and the same on every run. Two weightings
   (:data:`RANKINGS`): ``signals`` (:data:`SIGNAL_WEIGHTS`, chosen on the
   development split of years :data:`kg.backtest.DEV_SPLITS` by :func:`kg.backtest.tune_weights`,
   never on the years the back-test reports) and ``popularity`` (the
   ``labs`` signal, equal ones ordered by the ``signals`` score).
   ``popularity`` is the default (:data:`DEFAULT_RANKING`): on the
   back-test's years the ``signals`` ranking did not beat popularity
   (``benchmarks/bench_suggest.py``, ``docs/suggestions.md``).

Candidates are the organisations of the graph that no partnership of the
country's forms names, never one scoped to another country (a ministry of
another state: ``pkg:scopeCountry``). ``sdg`` and ``method`` keep the
candidates that another lab partners on a form carrying them, and count only
those forms in the ``peers`` and ``labs`` signals and the evidence: "whom
do labs working on SDG 13 partner?".

Every :class:`Suggestion` carries its :class:`Evidence`: the labs partnering
the organisation (country and years), the SDGs, methods and themes shared
with the country, the country's partners it co-occurs with, and each
partnership's form file and line. :func:`suggest_kinds` suggests *kinds* of
national body instead ("your peers work with their ministry of
environment"): the folded labels of other countries' scoped organisations,
when at least :data:`KIND_MIN_LABS` countries partner one of the kind.

:mod:`kg.backtest` measures how well the ranking predicts, year by year.
"""

from __future__ import annotations

import hashlib
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

import networkx as nx
import pyoxigraph as ox

from kg.errors import InputError
from kg.namespaces import XSD, local_name, sdg_iri
from kg.query import QueryResult, packaged_query
from kg.store import open_store, row_key, select_rows
from kg.vocab import fold

__all__ = [
    "DEFAULT_SEED",
    "DEFAULT_TOP",
    "SIGNALS",
    "SIGNAL_WEIGHTS",
    "POPULARITY_WEIGHTS",
    "RANKINGS",
    "DEFAULT_RANKING",
    "Weighting",
    "KIND_MIN_LABS",
    "QUERIES",
    "Country",
    "Organisation",
    "Concept",
    "Form",
    "Partnership",
    "Portfolio",
    "SuggestionGraph",
    "Lab",
    "FormEvidence",
    "Evidence",
    "Suggestion",
    "read_portfolio",
    "suggestion_graph",
    "find_country",
    "candidates",
    "signals",
    "rank_normalise",
    "combine",
    "tie_key",
    "rank",
    "ranking",
    "suggest",
    "suggest_kinds",
    "kind_of",
    "explain",
    "SUGGESTION_COLUMNS",
    "TABLE_COLUMNS",
    "suggestion_result",
]

DEFAULT_SEED = 42
DEFAULT_TOP = 10
SIGNALS = ("adamic_adar", "resource_allocation", "jaccard", "peers", "bridges", "recency", "labs")
"""The signals of :func:`signals`, in the order weights are listed in."""
SIGNAL_WEIGHTS: dict[str, float] = {
    "adamic_adar": 1.0,
    "resource_allocation": 1.0,
    "jaccard": 0.0,
    "peers": 2.0,
    "bridges": 0.0,
    "recency": 2.0,
    "labs": 0.0,
}
"""The ``signals`` ranking's weights: the best of :func:`kg.backtest.tune_weights` on the archive.

Chosen on :data:`kg.backtest.DEV_SPLITS` only.

``python benchmarks/bench_suggest.py --graph OUT --tune`` prints the choice
(grid 0, 1, 2 per signal; hits@10 0.703, MRR 0.317 over the 37 countries of
2021 -> 2022 with a reachable new partner).
"""
POPULARITY_WEIGHTS: dict[str, float] = {name: 1.0 if name == "labs" else 0.0 for name in SIGNALS}
"""The ``popularity`` ranking's weights: the ``labs`` signal alone (:func:`popularity_ranking`'s order)."""
Weighting = Mapping[str, float]
"""Signal name -> weight (a signal missing weighs 0)."""
RANKINGS: dict[str, tuple[Weighting, ...]] = {
    "popularity": (POPULARITY_WEIGHTS, SIGNAL_WEIGHTS),
    "signals": (SIGNAL_WEIGHTS,),
}
"""The rankings ``kg suggest --ranking`` offers: weightings whose scores order the candidates one after the other.

``popularity`` orders by the ``labs`` signal, equal ones by the signals'
mix; ``signals`` by the mix alone (:func:`rank`).
"""
DEFAULT_RANKING = "popularity"
"""The default ranking: in the back-test (:data:`kg.backtest.TEST_SPLITS`) ``signals`` did not beat popularity."""
KIND_MIN_LABS = 2
"""How many countries must partner a kind of national body for :func:`suggest_kinds` to suggest it."""
_KINDS = ("sdg", "method", "theme")

_Q_PARTNERSHIPS = packaged_query("suggest", "partnerships")
_Q_ORGANISATIONS = packaged_query("suggest", "organisations")
_Q_FORMS = packaged_query("suggest", "forms")
_Q_FORM_COUNTRIES = packaged_query("suggest", "form_countries")
_Q_FORM_CONCEPTS = packaged_query("suggest", "form_concepts")

QUERIES = (_Q_PARTNERSHIPS, _Q_ORGANISATIONS, _Q_FORMS, _Q_FORM_COUNTRIES, _Q_FORM_CONCEPTS)
"""Every query :func:`read_portfolio` runs (the files of ``kg/queries/suggest/``): all suggestions read of a store."""


# --------------------------------------------------------------------------
# what suggestions read of a store


@dataclass(frozen=True)
class Country:
    """A lab's country: its IRI, ISO3 code and label."""

    iri: str
    iso3: str
    label: str


@dataclass(frozen=True)
class Organisation:
    """A partner organisation: its IRI, label, sector and the ISO3 code it is scoped to ("" when global)."""

    iri: str
    label: str
    sector: str
    scope: str = ""


@dataclass(frozen=True)
class Concept:
    """An SDG, method or theme (``kind``) with its label ("SDG 13" for a goal)."""

    iri: str
    kind: str
    label: str


@dataclass(frozen=True)
class Form:
    """A form: its IRI, source file, year, countries (IRIs) and SDGs, methods and themes (IRIs), sorted."""

    iri: str
    source: str
    year: int | None
    countries: tuple[str, ...] = ()
    concepts: tuple[str, ...] = ()


@dataclass(frozen=True)
class Partnership:
    """A partnership: its IRI, organisation, form, line and years (``pkg:fromYear``, ``pkg:toYear``)."""

    iri: str
    org: str
    form: str
    line: int | None
    from_year: int | None
    to_year: int | None

    @property
    def first_year(self) -> int | None:
        """The year it starts: ``from_year``, else ``to_year``, else None."""
        return self.from_year if self.from_year is not None else self.to_year

    def years(self, until: int | None = None) -> range:
        """The years it is active in (``from_year`` to ``to_year``), none after ``until``."""
        start = self.first_year
        if start is None:
            return range(0)
        end = self.to_year if self.to_year is not None else start
        if until is not None:
            end = min(end, until)
        return range(start, end + 1)


@dataclass
class Portfolio:
    """All that suggestions read of a build: countries, organisations, concepts, forms and partnerships.

    :func:`read_portfolio` reads it from a store; tests write it by hand.
    """

    countries: dict[str, Country]
    organisations: dict[str, Organisation]
    concepts: dict[str, Concept]
    forms: dict[str, Form]
    partnerships: list[Partnership]


def read_portfolio(source: ox.Store | Path) -> Portfolio:
    """Read a :class:`Portfolio` from a store (its union of named graphs) or a build folder.

    Raises:
        InputError: if a build folder holds no build.
    """
    store = open_store(source) if isinstance(source, Path) else source
    countries: dict[str, Country] = {}
    places: dict[str, set[str]] = defaultdict(set)
    for row in select_rows(store, _Q_FORM_COUNTRIES):
        iso3 = str(row["iso3"] or local_name(row["country"]))
        found = Country(row["country"], iso3, str(row["label"] or iso3))
        countries[found.iri] = min(countries.get(found.iri, found), found, key=_key)
        places[row["doc"]].add(row["country"])
    concepts: dict[str, Concept] = {}
    tagged: dict[str, set[str]] = defaultdict(set)
    for row in select_rows(store, _Q_FORM_CONCEPTS):
        label = _sdg_label(row["concept"]) if row["kind"] == "sdg" else str(row["label"] or local_name(row["concept"]))
        concept = Concept(row["concept"], row["kind"], label)
        concepts[concept.iri] = min(concepts.get(concept.iri, concept), concept, key=_key)
        tagged[row["doc"]].add(row["concept"])
    forms = {}
    for row in sorted(select_rows(store, _Q_FORMS), key=row_key):
        if row["doc"] not in forms:
            doc = row["doc"]
            forms[doc] = Form(
                doc, row["source"], _year(row["year"]), tuple(sorted(places[doc])), tuple(sorted(tagged[doc]))
            )
    return Portfolio(
        countries=dict(sorted(countries.items())),
        organisations=_organisations(store),
        concepts=dict(sorted(concepts.items())),
        forms=forms,
        partnerships=_partnerships(store),
    )


def _organisations(store: ox.Store) -> dict[str, Organisation]:
    """Every partner organisation by IRI, the first row (sorted) of each winning: label, sector, scope."""
    found: dict[str, Organisation] = {}
    for row in sorted(select_rows(store, _Q_ORGANISATIONS), key=row_key):
        scope = str(row["scope_iso3"] or local_name(row["scope"])) if row["scope"] else ""
        label = str(row["label"] or local_name(row["org"]))
        org = Organisation(row["org"], label, local_name(row["sector"] or "unknown"), scope)
        found.setdefault(org.iri, org)
    return dict(sorted(found.items()))


def _partnerships(store: ox.Store) -> list[Partnership]:
    """Every partnership, sorted by IRI, the first row (sorted) of each winning."""
    found: dict[str, Partnership] = {}
    for row in sorted(select_rows(store, _Q_PARTNERSHIPS), key=row_key):
        line = row["line"]
        found.setdefault(
            row["p"],
            Partnership(
                row["p"],
                row["org"],
                row["doc"],
                int(line) if line is not None else None,
                _year(row["from_year"]),
                _year(row["to_year"]),
            ),
        )
    return [found[iri] for iri in sorted(found)]


def _key(item) -> tuple:
    return tuple(str(v) for v in vars(item).values())


def _year(value: str | None) -> int | None:
    """The year of an xsd:gYear's lexical form ("2023"), or None."""
    text = value or ""
    return int(text) if len(text) == 4 and text.isdigit() else None


def _sdg_label(iri: str) -> str:
    """The label of an SDG: "SDG 13"."""
    return f"SDG {local_name(iri)}"


# --------------------------------------------------------------------------
# the suggestion graph


@dataclass
class SuggestionGraph:
    """The networkx graph suggestions rank on, with the indexes they read (see the module's docstring).

    Nodes are IRIs with ``kind`` (``country``, ``partner``, ``sdg``,
    ``method``, ``theme``) and ``label``; edges carry ``weight``: the
    partnerships behind a country-partner edge, the forms behind the others.
    """

    portfolio: Portfolio
    until_year: int | None
    graph: nx.Graph
    partnerships: list[Partnership]
    country_partners: dict[str, dict[str, list[Partnership]]]
    """Country IRI -> organisation IRI -> the partnerships of the country's forms naming it."""
    country_concepts: dict[str, frozenset[str]]
    """Country IRI -> the SDGs, methods and themes of its forms."""
    org_partnerships: dict[str, list[Partnership]]
    """Organisation IRI -> its partnerships (those the graph holds)."""

    def countries_of(self, org: str) -> list[str]:
        """The countries partnering ``org`` (IRIs, sorted)."""
        forms = self.portfolio.forms
        return sorted({c for p in self.org_partnerships.get(org, []) for c in forms[p.form].countries})

    def similarity(self, country: str, other: str) -> float:
        """The Jaccard index of two countries' SDGs, methods and themes (0.0 when both have none)."""
        a = self.country_concepts.get(country, frozenset())
        b = self.country_concepts.get(other, frozenset())
        union = a | b
        return len(a & b) / len(union) if union else 0.0


def suggestion_graph(source: ox.Store | Path | Portfolio, until_year: int | None = None) -> SuggestionGraph:
    """The :class:`SuggestionGraph` of a store, a build folder or a :class:`Portfolio`.

    With ``until_year``, only the partnerships whose first year is
    ``until_year`` or earlier (a partnership of no year is left out), and
    the forms of those years or holding such a partnership: the graph as it
    stood then. Nodes and edges are added in sorted order.
    """
    portfolio = source if isinstance(source, Portfolio) else read_portfolio(source)
    kept = [p for p in portfolio.partnerships if _known(p.first_year, until_year)]
    holding = {p.form for p in kept}
    forms = [f for f in portfolio.forms.values() if f.iri in holding or _known(f.year, until_year)]
    country_partners: dict[str, dict[str, list[Partnership]]] = defaultdict(lambda: defaultdict(list))
    org_partnerships: dict[str, list[Partnership]] = defaultdict(list)
    for partnership in kept:
        org_partnerships[partnership.org].append(partnership)
        for country in portfolio.forms[partnership.form].countries:
            country_partners[country][partnership.org].append(partnership)
    concepts: dict[str, set[str]] = defaultdict(set)
    for form in forms:
        for country in form.countries:
            concepts[country].update(form.concepts)
    graph = _graph(portfolio, kept, forms)
    return SuggestionGraph(
        portfolio=portfolio,
        until_year=until_year,
        graph=graph,
        partnerships=kept,
        country_partners={c: dict(orgs) for c, orgs in sorted(country_partners.items())},
        country_concepts={c: frozenset(found) for c, found in sorted(concepts.items())},
        org_partnerships=dict(sorted(org_partnerships.items())),
    )


def _known(year: int | None, until: int | None) -> bool:
    return until is None or (year is not None and year <= until)


def _graph(portfolio: Portfolio, partnerships: list[Partnership], forms: list[Form]) -> nx.Graph:
    """Countries, organisations, SDGs, methods and themes, linked as the module's docstring says."""
    edges: dict[tuple[str, str], int] = defaultdict(int)
    nodes: dict[str, dict] = {}
    named: dict[str, set[str]] = defaultdict(set)
    for partnership in partnerships:
        named[partnership.form].add(partnership.org)
        for country in portfolio.forms[partnership.form].countries:
            edges[_pair(country, partnership.org)] += 1
    for form in forms:
        for country in form.countries:
            info = portfolio.countries[country]
            nodes[country] = {"kind": "country", "label": info.label}
            for concept in form.concepts:
                edges[_pair(country, concept)] += 1
        for org in named.get(form.iri, ()):
            for concept in form.concepts:
                edges[_pair(org, concept)] += 1
        for a, b in combinations(sorted(named.get(form.iri, ())), 2):
            edges[(a, b)] += 1
    for org in {p.org for p in partnerships}:
        nodes[org] = {"kind": "partner", "label": _organisation(portfolio, org).label}
    for form in forms:
        for concept in form.concepts:
            nodes[concept] = {"kind": portfolio.concepts[concept].kind, "label": portfolio.concepts[concept].label}
    graph = nx.Graph()
    graph.add_nodes_from((n, nodes[n]) for n in sorted(nodes))
    graph.add_weighted_edges_from(sorted((a, b, n) for (a, b), n in edges.items()))
    return graph


def _organisation(portfolio: Portfolio, org: str) -> Organisation:
    """The organisation of ``org`` (IRI); one labelled by its IRI's end when the store describes none."""
    return portfolio.organisations.get(org) or Organisation(org, local_name(org), "unknown")


def _pair(a: str, b: str) -> tuple[str, str]:
    """An undirected edge as a sorted pair."""
    return (a, b) if a <= b else (b, a)


# --------------------------------------------------------------------------
# candidates, signals and the score


def find_country(graph: SuggestionGraph, country: str) -> Country:
    """The country of the portfolio whose ISO3 code, IRI or label is ``country`` (any case).

    Raises:
        InputError: if none is.
    """
    wanted = fold(country.strip())
    for info in graph.portfolio.countries.values():
        if wanted in (fold(info.iso3), fold(info.label)) or country.strip() == info.iri:
            return info
    known = ", ".join(sorted(info.iso3 for info in graph.portfolio.countries.values()))
    raise InputError(f"no country {country!r} in this build (its countries: {known or 'none'})")


def _filter_concepts(graph: SuggestionGraph, sdg: int | None, method: str | None) -> frozenset[str]:
    """The concept IRIs a form must carry under ``sdg`` and ``method``.

    Raises:
        InputError: for an SDG number outside 1-17, or a method no form of the build uses.
    """
    wanted = set()
    if sdg is not None:
        try:
            wanted.add(str(sdg_iri(sdg)))
        except ValueError as exc:
            raise InputError(str(exc)) from exc
    if method is not None:
        key = fold(method.strip())
        found = [c.iri for c in graph.portfolio.concepts.values() if c.kind == "method" and fold(c.label) == key]
        if not found:
            names = sorted({c.label for c in graph.portfolio.concepts.values() if c.kind == "method"})
            raise InputError(f"no method {method!r} in this build (its methods: {', '.join(names) or 'none'})")
        wanted.update(found[:1])
    return frozenset(wanted)


def _evidence_partnerships(
    graph: SuggestionGraph, country: str, org: str, required: frozenset[str]
) -> list[Partnership]:
    """``org``'s partnerships in forms not of ``country`` that carry every concept of ``required``."""
    forms = graph.portfolio.forms
    return [
        p
        for p in graph.org_partnerships.get(org, [])
        if country not in forms[p.form].countries and (not required or required <= set(forms[p.form].concepts))
    ]


def candidates(graph: SuggestionGraph, country: str, required: frozenset[str] = frozenset()) -> list[str]:
    """The organisations that may be suggested to ``country`` (IRI), sorted.

    Those of the graph that no partnership of the country's forms names,
    not scoped to another country, partnered in a form of another country
    that carries every concept of ``required``.
    """
    iso3 = graph.portfolio.countries[country].iso3 if country in graph.portfolio.countries else ""
    named = graph.country_partners.get(country, {})
    found = []
    for org in graph.org_partnerships:
        info = graph.portfolio.organisations.get(org)
        scope = info.scope if info else ""
        if org in named or (scope and scope != iso3):
            continue
        if _evidence_partnerships(graph, country, org, required):
            found.append(org)
    return found


def signals(
    graph: SuggestionGraph, country: str, orgs: Sequence[str], required: frozenset[str] = frozenset()
) -> dict[str, dict[str, float]]:
    """Each organisation's raw signals (:data:`SIGNALS`) as a candidate of ``country`` (IRI).

    ``required`` (concept IRIs) restricts the ``peers`` signal to the forms
    carrying them. A country with no node in the graph (no form yet) has no
    link-prediction signal.
    """
    g = graph.graph
    found: dict[str, dict[str, float]] = {org: dict.fromkeys(SIGNALS, 0.0) for org in orgs}
    if country in g:
        _link_prediction(g, country, orgs, found)
    partners = graph.country_partners.get(country, {})
    forms = graph.portfolio.forms
    similar: dict[str, float] = {}
    for org in orgs:
        kept = _evidence_partnerships(graph, country, org, required)
        peers = sorted({c for p in kept for c in forms[p.form].countries if c != country})
        for peer in peers:
            if peer not in similar:
                similar[peer] = graph.similarity(country, peer)
        found[org]["peers"] = sum(similar[peer] for peer in peers)
        found[org]["bridges"] = _bridges(g, org, partners)
        years = [y for p in graph.org_partnerships.get(org, []) for y in p.years(graph.until_year)]
        found[org]["recency"] = float(max(years, default=0))
        found[org]["labs"] = float(len(peers))
    return found


def _bridges(g: nx.Graph, org: str, partners: Mapping[str, object]) -> float:
    """The weight of ``org``'s edges to ``partners`` (forms naming both), walking the fewer of the two."""
    if org not in g:
        return 0.0
    near = g.adj[org]
    if len(partners) < len(near):
        return float(sum(near[q]["weight"] for q in partners if q != org and q in near))
    return float(sum(near[q]["weight"] for q in near if q != org and q in partners))


def _link_prediction(g: nx.Graph, country: str, orgs: Sequence[str], found: dict[str, dict[str, float]]) -> None:
    """networkx's Adamic-Adar, resource allocation and Jaccard of ``country`` and each of ``orgs``, into ``found``.

    The values of :func:`networkx.adamic_adar_index`,
    :func:`networkx.resource_allocation_index` and
    :func:`networkx.jaccard_coefficient` (the same sums over
    :func:`networkx.common_neighbors`), with the common neighbours found
    once per pair and the degrees once per graph: three times fewer set
    intersections for the analytics' suggestions of every country. The
    sums run over the common neighbours sorted, so that they are the same
    to the last bit in every process (a set's order follows string hashes,
    which Python seeds per process).
    """
    degree = dict(g.degree())
    mine = set(g[country])
    for org in orgs:
        common = sorted(nx.common_neighbors(g, country, org))
        union = len(mine | set(g[org]))
        found[org]["adamic_adar"] = float(sum(1 / math.log(degree[w]) for w in common))
        found[org]["resource_allocation"] = float(sum(1 / degree[w] for w in common))
        found[org]["jaccard"] = float(len(common) / union) if union else 0.0


def rank_normalise(values: Sequence[float]) -> list[float]:
    """Each value's share of the other values smaller than it: ``#{y < x} / (n - 1)``.

    0 for the smallest value (ties share it), 1 for a largest one above all
    others. With one value, 1.0 if it is positive, else 0.0.
    """
    n = len(values)
    if n == 1:
        return [1.0 if values[0] > 0 else 0.0]
    ordered = sorted(values)
    below: dict[float, int] = {}
    for index, value in enumerate(ordered):
        below.setdefault(value, index)
    return [below[value] / (n - 1) for value in values]


def combine(raw: Mapping[str, Mapping[str, float]], weights: Weighting = SIGNAL_WEIGHTS) -> dict[str, float]:
    """Each candidate's score: the weighted mean of its rank-normalised signals (:func:`rank_normalise`).

    ``raw`` is candidate -> signal -> value (:func:`signals`); a signal
    missing from ``weights`` weighs 0. Scores lie in [0, 1].

    Raises:
        ValueError: if no weight is positive.
    """
    total = sum(weights.get(name, 0.0) for name in SIGNALS)
    if total <= 0:
        raise ValueError("at least one signal weight must be positive")
    orgs = list(raw)
    scores = dict.fromkeys(orgs, 0.0)
    for name in SIGNALS:
        weight = weights.get(name, 0.0)
        if weight:
            for org, value in zip(orgs, rank_normalise([raw[org][name] for org in orgs]), strict=True):
                scores[org] += weight * value
    return {org: score / total for org, score in scores.items()}


def tie_key(seed: int, iri: str) -> str:
    """The order of equal scores: a hash of the seed and the IRI, the same on every run."""
    return hashlib.sha256(f"{seed}\n{iri}".encode()).hexdigest()


def rank(scores: Mapping[str, float], seed: int = DEFAULT_SEED, then: Sequence[Mapping[str, float]] = ()) -> list[str]:
    """The keys of ``scores``, the highest score first.

    Equal scores (to 9 places) are ordered by the scores of ``then``, one
    after the other, the highest first, and last by :func:`tie_key`.
    """
    return sorted(
        scores, key=lambda key: (-round(scores[key], 9), *(-round(t[key], 9) for t in then), tie_key(seed, key))
    )


def ranking(
    raw: Mapping[str, Mapping[str, float]], weightings: Sequence[Weighting], seed: int = DEFAULT_SEED
) -> list[str]:
    """The candidates of ``raw`` (:func:`signals`) in the order of ``weightings`` (:data:`RANKINGS`, :func:`rank`)."""
    if not raw:
        return []
    scores = [combine(raw, weights) for weights in weightings]
    return rank(scores[0], seed, scores[1:])


# --------------------------------------------------------------------------
# suggestions and their evidence


@dataclass(frozen=True)
class Lab:
    """A lab behind a suggestion: its country, the years it partners the organisation, its similarity to yours."""

    iso3: str
    label: str
    years: tuple[int, ...]
    similarity: float


@dataclass(frozen=True)
class FormEvidence:
    """A partnership behind a suggestion: the form's file, the line, its country codes and first year."""

    source: str
    line: int | None
    countries: tuple[str, ...]
    year: int | None
    form: str
    partnership: str


@dataclass(frozen=True)
class Evidence:
    """Why an organisation (or a kind) is suggested.

    ``labs``: the other countries whose forms partner it, the most similar
    to yours first; ``sdgs``, ``methods``, ``themes``: those of your forms
    that its evidence forms carry too, the most often carried first (then by
    number or label); ``bridges``: the labels of your partners it is named
    beside in a form; ``forms``: each partnership behind it (the latest year
    first, then by file and line); ``last_year``: its latest active year.
    """

    labs: tuple[Lab, ...] = ()
    sdgs: tuple[int, ...] = ()
    methods: tuple[str, ...] = ()
    themes: tuple[str, ...] = ()
    bridges: tuple[str, ...] = ()
    forms: tuple[FormEvidence, ...] = ()
    last_year: int | None = None


@dataclass(frozen=True)
class Suggestion:
    """One suggestion for a country: an organisation (or, with ``kind``, a kind of national body).

    ``organisation`` is the IRI ("" for a kind); ``label`` the
    organisation's label or the kind's folded name; ``score`` in [0, 1]:
    :func:`combine` with the ranking's first weighting (a kind's is its
    ``peers`` signal); ``rank`` from 1; ``signals`` the raw signal values;
    ``signal_score`` the signals' mix (:data:`SIGNAL_WEIGHTS`), which orders
    equal scores under the ``popularity`` ranking.
    """

    country: str
    organisation: str
    label: str
    sector: str
    score: float
    rank: int
    signals: dict[str, float]
    evidence: Evidence
    kind: bool = False
    signal_score: float = 0.0

    @property
    def explanation(self) -> str:
        """:func:`explain` of this suggestion."""
        return explain(self)


def suggest(
    graph: SuggestionGraph,
    country: str,
    sdg: int | None = None,
    method: str | None = None,
    top: int | None = DEFAULT_TOP,
    seed: int = DEFAULT_SEED,
    ranking_by: str | Sequence[Weighting] = DEFAULT_RANKING,
) -> list[Suggestion]:
    """The ``top`` organisations to suggest to ``country`` (ISO3, IRI or label), best first, with evidence.

    ``sdg`` (1-17) and ``method`` (a method's label, any case) keep the
    organisations other labs partner on forms carrying them; ``top`` None
    keeps every candidate. ``ranking_by`` names a ranking of
    :data:`RANKINGS` or gives its weightings.

    Raises:
        InputError: for an unknown country, method or ranking, or an SDG outside 1-17.
    """
    info = find_country(graph, country)
    required = _filter_concepts(graph, sdg, method)
    weightings = _weightings(ranking_by)
    orgs = candidates(graph, info.iri, required)
    raw = signals(graph, info.iri, orgs, required)
    ordered = ranking(raw, weightings, seed)
    scores = combine(raw, weightings[0]) if orgs else {}
    mix = combine(raw, SIGNAL_WEIGHTS) if orgs else {}
    found = []
    for position, org in enumerate(ordered if top is None else ordered[:top], start=1):
        org_info = _organisation(graph.portfolio, org)
        found.append(
            Suggestion(
                country=info.iso3,
                organisation=org,
                label=org_info.label,
                sector=org_info.sector,
                score=round(scores[org], 6),
                rank=position,
                signals={name: round(value, 6) for name, value in raw[org].items()},
                evidence=_evidence(graph, info.iri, [org], required),
                signal_score=round(mix[org], 6),
            )
        )
    return found


def _weightings(ranking_by: str | Sequence[Weighting]) -> tuple[Weighting, ...]:
    """The weightings of a ranking's name, or those given.

    Raises:
        InputError: for a name not in :data:`RANKINGS`.
    """
    if not isinstance(ranking_by, str):
        return tuple(ranking_by)
    if ranking_by not in RANKINGS:
        raise InputError(f"no ranking {ranking_by!r} (rankings: {', '.join(RANKINGS)})")
    return RANKINGS[ranking_by]


def _evidence(graph: SuggestionGraph, country: str, orgs: list[str], required: frozenset[str]) -> Evidence:
    """The evidence of suggesting ``orgs`` (one organisation, or the organisations of a kind) to ``country``."""
    portfolio, g = graph.portfolio, graph.graph
    kept = [p for org in orgs for p in _evidence_partnerships(graph, country, org, required)]
    years: dict[str, set[int]] = defaultdict(set)
    for p in kept:
        for other in portfolio.forms[p.form].countries:
            if other != country:
                years[other].update(p.years(graph.until_year))
    labs = sorted(
        (
            Lab(
                portfolio.countries[c].iso3,
                portfolio.countries[c].label,
                tuple(sorted(years[c])),
                round(graph.similarity(country, c), 6),
            )
            for c in years
        ),
        key=lambda lab: (-lab.similarity, lab.iso3),
    )
    mine = graph.country_concepts.get(country, frozenset())
    carried: dict[str, int] = defaultdict(int)  # shared concept -> the evidence forms carrying it
    for form in sorted({p.form for p in kept}):
        for concept in portfolio.forms[form].concepts:
            if concept in mine:
                carried[concept] += 1
    shared = {
        kind: sorted(
            (c for c in carried if portfolio.concepts[c].kind == kind),
            key=lambda c: (-carried[c], _concept_key(portfolio.concepts[c])),
        )
        for kind in _KINDS
    }
    partners = graph.country_partners.get(country, {})
    bridges = sorted({g.nodes[q]["label"] for org in orgs if org in g for q in g.neighbors(org) if q in partners})
    forms = sorted(
        (
            FormEvidence(
                portfolio.forms[p.form].source,
                p.line,
                tuple(portfolio.countries[c].iso3 for c in portfolio.forms[p.form].countries),
                p.first_year,
                p.form,
                p.iri,
            )
            for p in kept
        ),
        key=lambda f: (-(f.year or 0), f.source, f.line or 0, f.partnership),
    )
    active = [y for org in orgs for p in graph.org_partnerships.get(org, []) for y in p.years(graph.until_year)]
    return Evidence(
        labs=tuple(labs),
        sdgs=tuple(int(local_name(iri)) for iri in shared["sdg"]),
        methods=tuple(portfolio.concepts[iri].label for iri in shared["method"]),
        themes=tuple(portfolio.concepts[iri].label for iri in shared["theme"]),
        bridges=tuple(bridges),
        forms=tuple(forms),
        last_year=max(active, default=None),
    )


def _concept_key(concept: Concept) -> tuple:
    """SDGs by number, methods and themes by their folded label."""
    tail = local_name(concept.iri)
    return (int(tail), "") if concept.kind == "sdg" and tail.isdigit() else (0, fold(concept.label))


def kind_of(label: str) -> str:
    """The kind of a national body: its label folded (case, accents, spacing), without end dots."""
    return fold(label).strip(" .")


def suggest_kinds(
    graph: SuggestionGraph,
    country: str,
    sdg: int | None = None,
    method: str | None = None,
    top: int | None = 3,
    seed: int = DEFAULT_SEED,
) -> list[Suggestion]:
    """Kinds of national body other labs partner and ``country`` does not: "their ministry of environment".

    A kind is the folded label of an organisation scoped to a country
    (:func:`kind_of`): "ministry of environment" in Kenya and in Peru is one
    kind. Suggested are the kinds partnered by at least :data:`KIND_MIN_LABS`
    other countries whose organisations the country names none of (scoped or
    not), ranked by their ``peers`` signal (the sum of those countries'
    similarity to ``country``), then by how many countries, then by
    :func:`tie_key`. ``sdg`` and ``method`` count only the forms carrying them.

    Raises:
        InputError: as :func:`suggest`.
    """
    info = find_country(graph, country)
    required = _filter_concepts(graph, sdg, method)
    organisations = graph.portfolio.organisations
    own = {kind_of(organisations[o].label) for o in graph.country_partners.get(info.iri, {}) if o in organisations}
    members: dict[str, list[str]] = defaultdict(list)
    for org in graph.org_partnerships:
        found = organisations.get(org)
        if found and found.scope and found.scope != info.iso3 and kind_of(found.label) not in own:
            members[kind_of(found.label)].append(org)
    rows = []
    for kind, orgs in sorted(members.items()):
        kept = [p for org in orgs for p in _evidence_partnerships(graph, info.iri, org, required)]
        labs = sorted({c for p in kept for c in graph.portfolio.forms[p.form].countries if c != info.iri})
        if len(labs) >= KIND_MIN_LABS:
            peers = sum(graph.similarity(info.iri, lab) for lab in labs)
            rows.append((-round(peers, 6), -len(labs), tie_key(seed, kind), kind, orgs, peers, len(labs)))
    rows.sort()
    chosen = rows if top is None else rows[:top]
    return [
        Suggestion(
            country=info.iso3,
            organisation="",
            label=kind,
            sector=_main_sector([organisations[o].sector for o in orgs]),
            score=round(peers, 6),
            rank=position,
            signals={"peers": round(peers, 6), "labs": float(labs)},
            evidence=_evidence(graph, info.iri, orgs, required),
            kind=True,
            signal_score=round(peers, 6),
        )
        for position, (_p, _l, _t, kind, orgs, peers, labs) in enumerate(chosen, start=1)
    ]


def _main_sector(sectors: list[str]) -> str:
    counts: dict[str, int] = defaultdict(int)
    for sector in sectors:
        counts[sector] += 1
    return min(counts, key=lambda s: (-counts[s], s))


def explain(suggestion: Suggestion, labs_shown: int = 5, concepts_shown: int = 3) -> str:
    """One sentence of why: the labs, the concepts shared with the country's forms, bridging partners, last year.

    "works with 4 labs (Ecuador 2023, Peru 2022-2024, ...) on forms that
    share SDG 13 and Sensemaking with yours; alongside your partner UNICEF;
    last active 2024". A kind: "4 labs work with their own ministry of
    environment (...)". It names the first ``labs_shown`` labs and the first
    ``concepts_shown`` SDGs, methods and themes of the evidence, and how many
    more there are. Lab years are runs ("2022-2024") joined by "/".
    """
    evidence = suggestion.evidence
    labs = [f"{lab.label} {_years_text(lab.years)}".strip() for lab in evidence.labs]
    named = _some(labs, labs_shown)
    count = f"{len(labs)} lab{'s' if len(labs) != 1 else ''}"
    if suggestion.kind:
        who = f"{count} work{'s' if len(labs) == 1 else ''} with their own {suggestion.label} ({named})"
    else:
        who = f"works with {count} ({named})" if labs else ""
    groups = ([f"SDG {n}" for n in evidence.sdgs], list(evidence.methods), list(evidence.themes))
    shown = [name for group in groups for name in group[:concepts_shown]]
    more = sum(len(group) for group in groups) - len(shown)
    if shown:
        who += f" on forms that share {_and(shown)}{f' (+{more} more)' if more else ''} with yours"
    parts = [who]
    if evidence.bridges:
        plural = "s" if len(evidence.bridges) > 1 else ""
        parts.append(f"alongside your partner{plural} {_and(list(evidence.bridges))}")
    if evidence.last_year is not None:
        parts.append(f"last active {evidence.last_year}")
    return "; ".join(part for part in parts if part)


def _some(items: list[str], shown: int) -> str:
    """The first ``shown`` items joined by commas, and "+N more"."""
    return ", ".join(items[:shown] + ([f"+{len(items) - shown} more"] if len(items) > shown else []))


def _years_text(years: Sequence[int]) -> str:
    """Years as runs joined by "/": [2021, 2022, 2024] -> "2021-2022/2024"."""
    runs: list[list[int]] = []
    for year in sorted(years):
        if runs and year == runs[-1][-1] + 1:
            runs[-1].append(year)
        else:
            runs.append([year])
    return "/".join(str(r[0]) if len(r) == 1 else f"{r[0]}-{r[-1]}" for r in runs)


def _and(items: list[str]) -> str:
    """ "a", "a and b", "a, b and c"."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


SUGGESTION_COLUMNS = (
    "rank",
    "kind",
    "organisation",
    "organisation_iri",
    "sector",
    "score",
    "signal_score",
    "labs",
    "sdgs",
    "methods",
    "themes",
    "partners",
    "forms",
    "signals",
    "explanation",
)
"""The columns of :func:`suggestion_result`."""
TABLE_COLUMNS = ("rank", "kind", "organisation", "sector", "score", "explanation")
"""The columns of ``kg suggest``'s table (its other formats give all of :data:`SUGGESTION_COLUMNS`)."""


def suggestion_result(suggestions: Iterable[Suggestion], columns: Sequence[str] = SUGGESTION_COLUMNS) -> QueryResult:
    """Suggestions as a SELECT result (one row each), for :func:`kg.query.format_result` and ``kg query``'s table.

    Columns (:data:`SUGGESTION_COLUMNS`): rank, kind (``organisation`` or
    ``kind``), organisation (label), organisation_iri (none for a kind),
    sector, score, signal_score, labs ("PER 2023; COL 2022-2023"), sdgs, methods, themes,
    partners (the country's partners it co-occurs with), forms (each distinct
    "file:line", "; "-separated), signals ("name=value") and the explanation.
    """
    decimal, integer = ox.NamedNode(str(XSD.decimal)), ox.NamedNode(str(XSD.integer))
    rows = []
    for s in suggestions:
        e = s.evidence
        cells: dict[str, ox.NamedNode | ox.Literal | ox.BlankNode | None] = {
            "rank": ox.Literal(str(s.rank), datatype=integer),
            "kind": ox.Literal("kind" if s.kind else "organisation"),
            "organisation": ox.Literal(s.label),
            "organisation_iri": ox.NamedNode(s.organisation) if s.organisation else None,
            "sector": ox.Literal(s.sector),
            "score": ox.Literal(f"{s.score:.4f}", datatype=decimal),
            "signal_score": ox.Literal(f"{s.signal_score:.4f}", datatype=decimal),
            "labs": ox.Literal("; ".join(f"{lab.iso3} {_years_text(lab.years)}".strip() for lab in e.labs)),
            "sdgs": ox.Literal("; ".join(str(n) for n in e.sdgs)),
            "methods": ox.Literal("; ".join(e.methods)),
            "themes": ox.Literal("; ".join(e.themes)),
            "partners": ox.Literal("; ".join(e.bridges)),
            "forms": ox.Literal(
                "; ".join(dict.fromkeys(f"{f.source}:{f.line}" if f.line else f.source for f in e.forms))
            ),
            "signals": ox.Literal("; ".join(f"{name}={value:g}" for name, value in s.signals.items())),
            "explanation": ox.Literal(s.explanation),
        }
        rows.append([cells[name] for name in columns])
    return QueryResult("select", list(columns), rows)
