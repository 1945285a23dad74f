"""Canned and ad hoc SPARQL over a build of the bundled examples (kg.query, ``kg query``).

Expected rows were written by hand from the example forms and
tests/data/examples_expected.md. Queries whose example answer is empty
(mentions, brokers, unusual and shared partners) are also checked on a copy
of the build enriched with a small hand-written TriG in the shapes the
pipeline writes (one fictional Ecuador form, its mentions, an analytics graph).
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from rdflib import Graph

from kg.build import build
from kg.errors import InputError, QueryError
from kg.namespaces import ID, PKG, mint
from kg.query import (
    QueryResult,
    bind_params,
    canned_queries,
    format_result,
    load_query,
    packaged_query,
    parse_param,
    plain,
    refuse_service,
    run_query,
)
from kg.query_table import format_table, prefixed_name

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
ANALYTICS = ox.NamedNode(str(mint("graph", "analytics")))
EXTRA_FILE = "fixture_extra.md"

REQUIRED = {
    "partners",
    "mentions",
    "shared-partners",
    "partners-by-sector",
    "methods-by-country",
    "countries-by-sdg",
    "actions",
    "unusual-partners",
    "brokers",
    "documents",
    "datasources-by-method",
    "plan-outcomes",
    "partner-history",
    "ecosystem-by-year",
}


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("examples-build")
    build([EXAMPLES], out, jobs=1)
    return out


@pytest.fixture(scope="module")
def bare(built, tmp_path_factory) -> Path:
    """The example build without any analytics graph."""
    out = tmp_path_factory.mktemp("bare") / "out"
    shutil.copytree(built, out)
    store = ox.Store(str(out / "store"))
    if store.contains_named_graph(ANALYTICS):
        store.remove_graph(ANALYTICS)
    store.flush()
    del store
    return out


@pytest.fixture(scope="module")
def enriched(built, tmp_path_factory) -> Path:
    """The example build plus one hand-written Ecuador form, mentions and an analytics graph."""
    out = tmp_path_factory.mktemp("enriched") / "out"
    shutil.copytree(built, out)
    orgs = _org_iris(built)
    store = ox.Store(str(out / "store"))
    if store.contains_named_graph(ANALYTICS):
        store.remove_graph(ANALYTICS)
    store.load(_extra_trig(orgs), format=ox.RdfFormat.TRIG)
    store.flush()
    del store
    return out


def rows(graph_dir: Path, name: str, **params: str) -> list[dict[str, str]]:
    """A canned query's rows as plain-text dicts."""
    bound = dict(parse_param(f"{key}={value}") for key, value in params.items())
    result = run_query(graph_dir, load_query(name), bound)
    return [dict(zip(result.variables, (plain(t) for t in row), strict=True)) for row in result.rows]


def pick(records: list[dict[str, str]], *columns: str) -> list[tuple[str, ...]]:
    return [tuple(record[c] for c in columns) for record in records]


# --- the library of canned queries ---------------------------------------------------------------


def test_library_has_the_required_queries_with_headers():
    canned = canned_queries()
    assert len(canned) >= 10
    assert REQUIRED <= set(canned)
    for query in canned.values():
        assert query.description and query.parameters, query.name
        assert query.text.startswith(f"# name: {query.name}\n")
        declared = re.findall(r"(\w+) = ", query.parameters)
        used = set(re.findall(r"\?(\w+)_param\b", query.text))
        assert set(declared) == used, query.name


def test_the_analytics_and_report_queries_are_not_canned():
    """Their files sit in subfolders of kg/queries/, which the canned listing (kg queries, /queries.json) skips."""
    from kg import analyse, report

    folder = Path(analyse.__file__).resolve().parent / "queries"
    assert {path.name for path in folder.glob("*/*.rq")} >= {"organisations.rq", "partnerships.rq", "handover.rq"}
    canned = canned_queries()
    assert len(canned) == len(list(folder.glob("*.rq")))
    assert not {q.text for q in canned.values()} & (set(analyse.QUERIES) | set(report.QUERIES))
    assert packaged_query("report", "handover") in report.QUERIES


@pytest.mark.parametrize("name", sorted(canned_queries()))
def test_every_canned_query_runs_on_the_examples(built, name):
    result = run_query(built, load_query(name))
    assert result.kind == "select"
    assert format_result(result, "csv").splitlines()[0] == ",".join(result.variables)


def test_partners_columns_and_coastal_rows(built):
    result = run_query(built, load_query("partners"))
    assert result.variables[:7] == ["file", "country", "action", "partner", "partner_iri", "role", "sector"]
    vnm = rows(built, "partners", country="VNM")
    assert pick(vnm, "file", "country", "action", "partner", "role") == [
        ("coastal_resilience_portfolio___closing_form.md", "VNM", "MANGROVE CO-MANAGEMENT",
         "Ca Mau Provincial Department of Agriculture and Rural Development", "lead"),
        ("coastal_resilience_portfolio___closing_form.md", "VNM", "MANGROVE CO-MANAGEMENT",
         "Vietnam National University of Agriculture", ""),
        ("coastal_resilience_portfolio___closing_form.md", "VNM", "MANGROVE CO-MANAGEMENT",
         "Mekong Mangrove Women's Cooperative", "community partner"),
        ("coastal_resilience_portfolio___closing_form.md", "VNM", "COMMUNITY FLOOD SIGNALS",
         "Viet Nam Disaster and Dyke Management Authority", "counterpart"),
        ("coastal_resilience_portfolio___closing_form.md", "VNM", "COMMUNITY FLOOD SIGNALS",
         "SongXanh Data JSC", "data partner"),
    ]  # fmt: skip
    assert all(r["partner_iri"].startswith("https://w3id.org/portfolio-kg/id/org/") for r in vnm)
    assert [r["unusual"] for r in vnm] == [""] * 5  # the form's new-and-unusual group is empty


def test_partners_sector_parameter(built):
    government = rows(built, "partners", country="VNM", sector="government")
    assert [r["partner"] for r in government] == [
        "Ca Mau Provincial Department of Agriculture and Rural Development",
        "Viet Nam Disaster and Dyke Management Authority",
    ]
    assert rows(built, "partners", country="MWI") == []  # the water-filter solution has no partner


@pytest.mark.parametrize(
    ("partner", "sector"),
    [
        ("Ca Mau Provincial Department of Agriculture and Rural Development", "government"),
        ("Vietnam National University of Agriculture", "academia"),
        ("Mekong Mangrove Women's Cooperative", "civil-society"),
        ("Viet Nam Disaster and Dyke Management Authority", "government"),
        ("SongXanh Data JSC", "private-sector"),  # JSC = joint-stock company
    ],
)
def test_partners_sector_column(built, partner, sector):
    by_name = {r["partner"]: r for r in rows(built, "partners", country="VNM")}
    assert by_name[partner]["sector"] == sector


def test_partners_of_the_bolivian_closing_form(built):
    # the form names seven partners (tests/data/examples_expected.md), in this order
    assert [r["partner"] for r in rows(built, "partners", country="BOL")] == [
        "Asociación de Recicladoras Manos Verdes",
        "Fundación Ciudad Circular",
        "Universidad Mayor de San Andrés",
        "Recicla & Crea S.R.L.",
        "EcoPlast Andina",
        "Gobierno Autónomo Municipal de El Alto",
        "Ministerio de Medio Ambiente y Agua",
    ]


def test_actions_with_their_partners_in_form_order(built):
    assert pick(rows(built, "actions"), "country", "number", "action", "aliases", "n_partners", "partners") == [
        ("VNM", "1", "MANGROVE CO-MANAGEMENT", "MANGROVES", "3",
         ("Ca Mau Provincial Department of Agriculture and Rural Development; "
          "Vietnam National University of Agriculture; Mekong Mangrove Women's Cooperative")),
        ("VNM", "2", "COMMUNITY FLOOD SIGNALS", "CFS", "2",
         "Viet Nam Disaster and Dyke Management Authority; SongXanh Data JSC"),
    ]  # fmt: skip
    # The country parameter reaches inside the query's subquery.
    assert rows(built, "actions", country="KEN") == []


def test_methods_by_country(built):
    assert pick(rows(built, "methods-by-country", country="VNM"), "method", "documents") == [
        ("Collective Intelligence", "1"),
        ("Participatory Design", "1"),
        ("Prototyping", "1"),
        ("System Thinking", "1"),
    ]
    everything = rows(built, "methods-by-country")
    assert {r["country"] for r in everything} == {"BOL", "KEN", "TUR", "VNM"}  # solutions have no methods
    assert sorted(r["country"] for r in everything if r["method"] == "Prototyping") == ["KEN", "TUR", "VNM"]


def test_countries_by_sdg(built):
    assert pick(rows(built, "countries-by-sdg"), "goal", "country", "documents") == [
        ("2", "TUR", "1"), ("3", "MWI", "1"), ("4", "CIV", "1"), ("4", "KEN", "1"), ("6", "MWI", "1"),
        ("6", "TUR", "1"), ("7", "TUR", "1"), ("8", "KEN", "1"), ("10", "KEN", "1"), ("11", "CIV", "1"),
        ("11", "VNM", "1"), ("12", "CIV", "1"), ("13", "TUR", "1"), ("13", "VNM", "1"), ("14", "VNM", "1"),
    ]  # fmt: skip
    by_number = rows(built, "countries-by-sdg", sdg="13")
    by_iri = rows(built, "countries-by-sdg", sdg="<http://metadata.un.org/sdg/13>")
    assert pick(by_number, "country") == pick(by_iri, "country") == [("TUR",), ("VNM",)]


def test_documents_by_year_and_type(built):
    records = rows(built, "documents")
    per_year: dict[str, int] = {}
    for record in records:
        per_year[record["year"]] = per_year.get(record["year"], 0) + int(record["documents"])
    assert per_year == {"2022": 2, "2023": 1, "2024": 2, "2025": 1}
    assert ("2023", "Experiment") in pick(records, "year", "type")
    assert {("2022", "Solution"), ("2025", "Solution")} <= set(pick(records, "year", "type"))
    assert sum(int(r["documents"]) for r in rows(built, "documents", country="KEN")) == 1


def test_datasources_by_method(built):
    prototyping = rows(built, "datasources-by-method", method="prototyping")  # any case
    assert pick(prototyping, "method", "datasource", "documents")[0] == ("Prototyping", "surveys", "2")
    assert sorted(r["datasource"] for r in prototyping[1:]) == sorted(
        ["Geospatial data", "citizen-generated data", "household survey", "participatory mapping",  # VNM
         "focus group", "Open data", "job platform data",  # KEN (and surveys)
         "sensor data", "observation"]  # TUR (and surveys)
    )  # fmt: skip
    assert all(r["documents"] == "1" for r in prototyping[1:])
    assert pick(rows(built, "datasources-by-method", method="Ethnography"), "datasource") == [
        ("Geospatial data",),
        ("in-depth interviews",),
        ("participatory observation",),
        ("surveys",),
        ("user journeys",),
    ]


def test_partners_by_sector(built):
    vnm = {r["sector"]: r for r in rows(built, "partners-by-sector", country="VNM")}
    assert sum(int(r["partnerships"]) for r in vnm.values()) == 5
    assert (vnm["government"]["partnerships"], vnm["government"]["organisations"]) == ("2", "2")
    assert vnm["academia"]["partnerships"] == vnm["civil-society"]["partnerships"] == "1"
    ken = {r["sector"]: int(r["partnerships"]) for r in rows(built, "partners-by-sector", country="KEN")}
    assert ken["academia"] == 2 and sum(ken.values()) == 4


def test_organisations(built):
    by_name = {r["organisation"]: r for r in rows(built, "organisations")}
    strathmore = by_name["Strathmore University"]
    assert (strathmore["sector"], strathmore["documents"], strathmore["countries"]) == ("academia", "1", "1")
    government = {r["organisation"] for r in rows(built, "organisations", sector="government")}
    assert {
        "Ca Mau Provincial Department of Agriculture and Rural Development",
        "Viet Nam Disaster and Dyke Management Authority",
        "Konya Provincial Directorate of Agriculture and Forestry",
    } <= government


def test_examples_share_no_partner_across_countries(built):
    assert rows(built, "shared-partners") == []


def test_unusual_partners_of_the_examples(built):
    assert pick(rows(built, "unusual-partners"), "country", "partner") == [
        ("BOL", "Asociación de Recicladoras Manos Verdes"),
        ("BOL", "Recicla & Crea S.R.L."),
    ]


def test_brokers_without_analytics_graph_returns_no_rows(bare):
    result = run_query(bare, load_query("brokers"))
    assert result.variables[:4] == ["organisation", "organisation_iri", "sector", "betweenness"]
    assert result.rows == []


def test_mentions_columns_are_fixed(built):
    assert run_query(built, load_query("mentions")).variables == ["file", "country", "organization", "organization_iri"]


# --- the same queries on the enriched copy ------------------------------------------------------------


def test_mentions_on_enriched_build(enriched):
    orgs = _org_iris(enriched)
    mine = [r for r in rows(enriched, "mentions") if r["file"] == EXTRA_FILE]
    assert pick(mine, "country", "organization", "organization_iri") == [
        ("ECU", "Kenyatta University", orgs["Kenyatta University"]),
        ("ECU", "Unlabelled Org", str(mint("org", "fixture-unlabelled"))),
    ]
    assert [r for r in rows(enriched, "mentions", country="KEN") if r["file"] == EXTRA_FILE] == []


def test_shared_and_unusual_partners_on_enriched_build(enriched):
    orgs = _org_iris(enriched)
    shared = rows(enriched, "shared-partners")
    assert pick(shared, "organisation", "organisation_iri", "sector", "n_countries", "countries", "documents") == [
        ("Strathmore University", orgs["Strathmore University"], "academia", "2", "ECU KEN", "2")
    ]
    assert pick(rows(enriched, "shared-partners", country="KEN"), "organisation") == [("Strathmore University",)]
    assert rows(enriched, "shared-partners", country="VNM") == []
    unusual = [r for r in rows(enriched, "unusual-partners") if r["file"] == EXTRA_FILE]
    assert pick(unusual, "country", "action", "partner", "sector") == [("ECU", "", "Strathmore University", "academia")]
    assert rows(enriched, "unusual-partners", country="ECU", sector="civil-society") == []
    by_sector = pick(rows(enriched, "partners-by-sector", country="ECU"), "sector", "partnerships", "organisations")
    assert by_sector == [("academia", "1", "1"), ("civil-society", "1", "1")]


def test_brokers_on_enriched_build(enriched):
    orgs = _org_iris(enriched)
    brokers = rows(enriched, "brokers")
    assert pick(brokers, "organisation", "organisation_iri", "sector", "betweenness", "degree", "community", "countries") == [
        ("Strathmore University", orgs["Strathmore University"], "academia", "0.5", "3", "1", "2"),
        ("Vietnam National University of Agriculture", orgs["Vietnam National University of Agriculture"],
         "academia", "0.25", "5", "", ""),
    ]  # fmt: skip
    assert len(rows(enriched, "brokers", sector="academia")) == 2
    assert rows(enriched, "brokers", sector="government") == []


# --- parameters ----------------------------------------------------------------------------------------

_TRICKY = [
    "VNM",
    "VNM ",
    "vnm",
    'VNM" || true || "',
    "VNM') } UNION { ?p ?q ?r",
    '") } } SELECT * WHERE { ?s ?p ?o } #',
    "\\",
    '"""',
    "'''",
    "\n}\n",
    "<http://example.org/x>",
    "ECU> } SERVICE <http://127.0.0.1:1/",
    "\x00",
    "",
]


@pytest.mark.slow
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=st.one_of(st.sampled_from(_TRICKY), st.text(max_size=40)))
@example(value="TUR")
def test_any_parameter_is_bound_as_one_literal(built, value):
    countries = {"KEN", "TUR", "VNM"} | {r["country"] for r in rows(built, "partners")}
    result = run_query(built, load_query("partners"), {"country": ox.Literal(value)})
    found = {plain(row[1]) for row in result.rows}
    if value in countries:
        assert found == {value}
    else:
        assert result.rows == []


@pytest.mark.slow
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=st.one_of(st.sampled_from(_TRICKY), st.text(max_size=40)))
def test_any_cli_parameter_text_is_one_term_or_refused(built, value):
    try:
        name, term = parse_param(f"country={value}")
    except QueryError:
        return  # only a value written <...> that is no valid IRI
    assert name == "country"
    result = run_query(built, load_query("partners"), {name: term})
    if isinstance(term, ox.Literal) and term.value in {"KEN", "TUR", "VNM"}:
        assert {plain(row[1]) for row in result.rows} == {term.value}
    else:
        assert result.rows == []


def test_bound_text_is_escaped_in_a_values_block():
    text = bind_params("SELECT ?x WHERE { ?x ?p ?name_param }", {"name": ox.Literal('a" } ?x ?y ?z . {"')})
    assert 'VALUES (?name_param) { ("a\\" } ?x ?y ?z . {\\"") }' in text


@pytest.mark.parametrize("text", ["country", "=ECU", "1x=ECU", "a b=c"])
def test_bad_parameter_text_is_refused(text):
    with pytest.raises(QueryError):
        parse_param(text)


def test_unknown_parameter_is_refused(built):
    with pytest.raises(QueryError, match="no parameter 'planet'"):
        run_query(built, load_query("partners"), {"planet": ox.Literal("Mars")})


# --- ad hoc queries -----------------------------------------------------------------------------------


def test_ask_construct_and_describe(built):
    assert run_query(built, "ASK { ?p a pkg:Partnership }").boolean is True
    assert run_query(built, "ASK { ?p a pkg:NoSuchClass }").boolean is False
    constructed = run_query(built, "CONSTRUCT { ?c skos:notation ?n } WHERE { ?c a pkg:Country ; skos:notation ?n }")
    turtle = format_result(constructed, "csv")
    graph = Graph().parse(data=turtle, format="turtle")
    assert sorted(str(o) for o in graph.objects()) == ["BOL", "CIV", "KEN", "MWI", "TUR", "VNM"]
    described = run_query(built, f"DESCRIBE <{mint('country', 'KEN')}>")
    assert described.kind == "graph" and len(described.triples) == 3


def test_json_results_follow_the_sparql_json_format(built):
    result = run_query(built, "SELECT ?n ?missing WHERE { ?c a pkg:Country ; skos:notation ?n } ORDER BY ?n LIMIT 1")
    answer = json.loads(format_result(result, "json"))
    assert answer == {
        "head": {"vars": ["n", "missing"]},
        "results": {"bindings": [{"n": {"type": "literal", "value": "BOL"}}]},
    }
    assert json.loads(format_result(run_query(built, "ASK {}"), "json")) == {"head": {}, "boolean": True}


def test_malformed_query_is_a_query_error(built):
    with pytest.raises(QueryError, match="malformed SPARQL"):
        run_query(built, "SELEC ?x WHERE { ?x ?y ?z }")


def test_missing_build_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="kg build"):
        run_query(tmp_path, "ASK {}")


# --- SERVICE -----------------------------------------------------------------------------------------

# Each of these makes pyoxigraph send a request (checked by hand with an unreachable port).
_SERVICE_QUERIES = [
    "SELECT * WHERE { SERVICE <http://127.0.0.1:1/> { ?s ?p ?o } }",
    "SELECT * WHERE { service<http://127.0.0.1:1/>{ ?s ?p ?o } }",
    "SELECT * WHERE { SERVICE SILENT <http://127.0.0.1:1/> { ?s ?p ?o } }",
    "SELECT * WHERE { SERVICE#comment\n <http://127.0.0.1:1/> { ?s ?p ?o } }",
    "PREFIX : <http://127.0.0.1:1/> SELECT * WHERE { SERVICE:x { ?s ?p ?o } }",
    "SELECT * WHERE { ?s ?p 1SERVICE <http://127.0.0.1:1/> { ?a ?b ?c } }",
    # '<' read as "less than" although an IRI could start there: the '#' starts a comment.
    "SELECT * WHERE { ?s ?p ?o FILTER(?o<2)#>'''\nSERVICE <http://127.0.0.1:1/> { ?a ?b ?c } #'''\n}",
    "SELECT * WHERE { BIND(<http://127.0.0.1:1/> AS ?x) FILTER(1<2)SERVICE?x#>\n{ ?a ?b ?c } }",
]

_NOT_SERVICE = [
    "SELECT ?service WHERE { ?service ?p ?o }",
    "SELECT * WHERE { ?s ex:service ?o }",
    'SELECT * WHERE { ?s ?p "customer service" }',
    "SELECT * WHERE { ?s ?p ?o FILTER(CONTAINS(?o, 'Service')) }",
    "SELECT * WHERE { ?s ?p <https://w3id.org/portfolio-kg/id/org/civil-service-commission> }",
    "# a service note\nSELECT * WHERE { ?s ?p ?o }",
    'SELECT * WHERE { ?s ?p """a\\""" SERVICE <x> {}""" }',
]


@pytest.mark.parametrize("query", _SERVICE_QUERIES)
def test_service_is_refused(query):
    with pytest.raises(QueryError, match="SERVICE"):
        refuse_service(query)


@pytest.mark.parametrize("query", _NOT_SERVICE)
def test_the_word_service_elsewhere_is_allowed(query):
    refuse_service(query)


# --- timeout -----------------------------------------------------------------------------------------

_ENDLESS = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"


@pytest.mark.slow
def test_a_query_over_its_timeout_is_stopped(built):
    with pytest.raises(QueryError, match=r"query exceeded 0\.5 s"):
        run_query(built, _ENDLESS, timeout=0.5)


@pytest.mark.slow
@pytest.mark.parametrize(
    "query",
    [
        "SELECT ?n ?label WHERE { ?c skos:notation ?n ; rdfs:label ?label } ORDER BY ?n",
        "ASK { ?p a pkg:Partnership }",
        "CONSTRUCT { ?c skos:notation ?n } WHERE { ?c a pkg:Country ; skos:notation ?n }",
    ],
)
def test_timeout_gives_the_same_answer(built, query):
    direct, bounded = run_query(built, query), run_query(built, query, timeout=60)
    assert (bounded.kind, bounded.variables, bounded.rows, bounded.boolean) == (
        direct.kind, direct.variables, direct.rows, direct.boolean
    )  # fmt: skip
    assert sorted(map(str, bounded.triples or [])) == sorted(map(str, direct.triples or []))


@pytest.mark.slow
def test_timeout_reports_errors_of_the_child(built, tmp_path):
    with pytest.raises(QueryError, match="malformed SPARQL"):
        run_query(built, "SELECT WHERE", timeout=30)
    with pytest.raises(InputError, match="kg build"):
        run_query(tmp_path, "ASK {}", timeout=30)


# --- the dataset a query runs over (three graphs of one triple each, tests/conftest.py) ----------------

_THING = "<http://example.org/only-in-g{}> a <http://example.org/Thing>"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # No FROM: the default graph is the union of the three graphs.
        ("SELECT ?s WHERE { ?s a ?t } ORDER BY ?s", ["http://example.org/only-in-g1", "http://example.org/only-in-g2",
                                                     "http://example.org/only-in-g3"]),
        # FROM <g1>: only g1 is the default graph, and no graph is named.
        ("SELECT ?s FROM <http://example.org/g1> WHERE { ?s a ?t }", ["http://example.org/only-in-g1"]),
        ("SELECT ?g FROM <http://example.org/g1> WHERE { GRAPH ?g { ?s ?p ?o } }", []),
        # FROM NAMED <g2> alone: the default graph is empty and only g2 is named.
        ("SELECT ?s FROM NAMED <http://example.org/g2> WHERE { ?s a ?t }", []),
        ("SELECT ?g FROM NAMED <http://example.org/g2> WHERE { GRAPH ?g { ?s ?p ?o } }", ["http://example.org/g2"]),
        # Two FROMs merge.
        ("SELECT ?s FROM <http://example.org/g3> FROM <http://example.org/g1> WHERE { ?s a ?t } ORDER BY ?s",
         ["http://example.org/only-in-g1", "http://example.org/only-in-g3"]),
        # The word "from" as a variable, a prefixed name's local part or a string is no dataset clause.
        ("PREFIX e: <http://example.org/> SELECT ?from WHERE { ?from a ?t FILTER(?from != e:from && ?t != 'from') }"
         " ORDER BY ?from", ["http://example.org/only-in-g1", "http://example.org/only-in-g2",
                             "http://example.org/only-in-g3"]),
    ],
)
def test_the_query_dataset_follows_from_clauses(three_graph_build, query, expected):
    result = run_query(three_graph_build, query)
    assert [plain(row[0]) for row in result.rows] == expected


def test_from_overrides_the_union_default_graph(three_graph_build):
    """The issue's case: FROM <g1> must not see a triple that only g2 holds."""
    assert run_query(three_graph_build, f"ASK FROM <http://example.org/g1> {{ {_THING.format(2)} }}").boolean is False
    assert run_query(three_graph_build, f"ASK FROM <http://example.org/g1> {{ {_THING.format(1)} }}").boolean is True
    assert run_query(three_graph_build, f"ASK {{ {_THING.format(2)} }}").boolean is True


def test_relative_iris_resolve_against_the_default_endpoint(three_graph_build):
    result = run_query(three_graph_build, "CONSTRUCT { <s> <p> 1 } WHERE {}")
    assert [str(t.subject) for t in result.triples] == ["<http://127.0.0.1:7878/s>"]
    assert [str(t.predicate) for t in result.triples] == ["<http://127.0.0.1:7878/p>"]


# --- the command line --------------------------------------------------------------------------------


def kg(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kg", *args], check=False, capture_output=True, text=True, cwd=ROOT)


@pytest.mark.slow
def test_cli_query_file_and_formats(built, tmp_path):
    query_file = tmp_path / "countries.rq"
    query_file.write_text("SELECT ?n WHERE { ?c a pkg:Country ; skos:notation ?n } ORDER BY ?n", encoding="utf-8")
    as_csv = kg("query", str(query_file), "--graph", str(built), "--format", "csv")
    assert as_csv.returncode == 0, as_csv.stderr
    assert as_csv.stdout.splitlines() == ["n", "BOL", "CIV", "KEN", "MWI", "TUR", "VNM"]
    as_tsv = kg("query", str(query_file), "--graph", str(built), "--format", "tsv")
    assert list(csv.reader(io.StringIO(as_tsv.stdout), delimiter="\t"))[1] == ["BOL"]
    table = kg("query", str(query_file), "--graph", str(built))
    assert table.returncode == 0 and "VNM" in table.stdout
    ask = kg("query", "--sparql", "ASK { ?s a pkg:Action }", "--graph", str(built), "--format", "json")
    assert json.loads(ask.stdout) == {"head": {}, "boolean": True}


@pytest.mark.slow
def test_cli_construct_gives_turtle(built):
    result = kg("query", "--sparql", "CONSTRUCT WHERE { ?c a pkg:Country }", "--graph", str(built))
    assert result.returncode == 0, result.stderr
    assert len(Graph().parse(data=result.stdout, format="turtle")) == 6


@pytest.mark.slow
def test_cli_timeout_exits_2(built):
    result = kg("query", "--sparql", _ENDLESS, "--graph", str(built), "--timeout", "0.5")
    assert result.returncode == 2
    assert "query exceeded 0.5 s" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.slow
def test_cli_queries_lists_every_canned_query():
    result = kg("queries")
    assert result.returncode == 0
    assert [line.split("\t")[0] for line in result.stdout.splitlines()] == sorted(canned_queries())


# --- the table format (kg query's default) --------------------------------------------------------------

CA_MAU = "Ca Mau Provincial Department of Agriculture and Rural Development"  # 65 characters


def kg_at(columns: int, *args: str) -> subprocess.CompletedProcess:
    """``kg`` as run in a terminal ``columns`` wide (shutil.get_terminal_size reads COLUMNS first)."""
    env = {**os.environ, "COLUMNS": str(columns)}
    return subprocess.run(
        [sys.executable, "-m", "kg", *args], check=False, capture_output=True, text=True, cwd=ROOT, env=env
    )


@pytest.mark.slow
def test_cli_table_fits_80_columns(built):
    result = kg_at(80, "query", "organisations", "--graph", str(built))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert all(len(line) <= 80 for line in lines)
    # organisation_iri is hidden (its label is the column beside it). sector ("private-sector", 14),
    # partnerships (12), documents and countries (9) keep their width; with four gaps of 2 the
    # organisation column gets 80 - 14 - 12 - 9 - 9 - 8 = 28 cells.
    assert lines[0] == f"{'organisation':28}  {'sector':14}  partnerships  documents  countries"
    assert lines[1] == "  ".join("─" * w for w in (28, 14, 12, 9, 9))
    assert f"{'Fundación Ciudad Circular':28}  {'civil-society':14}  {'1':12}  {'1':9}  1" in lines
    assert f"{CA_MAU[:27]}…  {'government':14}  {'1':12}  {'1':9}  1" in lines
    assert lines[-1] == "1 IRI column hidden (organisation_iri): use --format csv or json for it"
    assert len(lines) == 2 + 19 + 1  # header, rule, one line per partner organisation of the examples, footer


@pytest.mark.slow
def test_cli_table_shows_a_long_name_whole_on_one_line(built):
    query = "SELECT ?org ?label WHERE { ?org a org:Organization ; skos:prefLabel ?label } ORDER BY ?label"
    result = kg_at(80, "query", "--sparql", query, "--graph", str(built))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert all(len(line) <= 80 for line in lines)
    assert CA_MAU in lines  # the label column alone: 65 cells, the longest label
    assert "Development" not in lines and "of" not in lines  # no word on a line of its own
    assert lines[-1] == "1 IRI column hidden (org): use --format csv or json for it"


@pytest.mark.slow
def test_cli_table_shortens_iris_and_csv_and_json_keep_them(built):
    as_csv = kg_at(80, "query", "organisations", "--graph", str(built), "--format", "csv")
    row = next(r for r in csv.DictReader(io.StringIO(as_csv.stdout)) if r["organisation"] == CA_MAU)
    iri = row["organisation_iri"]
    assert iri.startswith("https://w3id.org/portfolio-kg/id/org/vnm-ca-mau-provincial-department-of-")
    as_json = kg_at(80, "query", "organisations", "--graph", str(built), "--format", "json")
    bindings = json.loads(as_json.stdout)["results"]["bindings"]
    assert {"type": "uri", "value": iri} in [binding["organisation_iri"] for binding in bindings]
    # 65 + 78 + 14 + 12 + 9 + 9 cells and five gaps of 2: 197, so at 200 columns nothing is hidden or cut.
    wide = kg_at(200, "query", "organisations", "--graph", str(built)).stdout.splitlines()
    short = "id:org/" + iri.removeprefix(str(ID) + "org/")
    assert len(short) == 78
    assert f"{CA_MAU}  {short}  {'government':14}  {'1':12}  {'1':9}  1" in wide
    assert "hidden" not in wide[-1]


def test_prefixed_names():
    assert prefixed_name(str(mint("org", "x"))) == "id:org/x"
    assert prefixed_name(str(PKG.partner)) == "pkg:partner"
    assert prefixed_name("http://example.org/a") == "http://example.org/a"


def _result(variables: list[str], *rows: list) -> QueryResult:
    return QueryResult("select", variables, [list(row) for row in rows])


def test_table_cuts_the_widest_columns_to_a_common_width():
    # 30, 10 and 50 cells in 40 - 2 gaps = 36: b keeps its 10, a and c share 26, 13 each.
    result = _result(["a", "b", "c"], [ox.Literal("x" * 30), ox.Literal("y" * 10), ox.Literal("z" * 50)])
    lines = format_table(result, 40).splitlines()
    assert lines[0] == f"{'a':13}  {'b':10}  c"
    assert lines[2] == "x" * 12 + "…  " + "y" * 10 + "  " + "z" * 12 + "…"
    assert len(lines) == 3


def test_table_keeps_iri_columns_that_fit_and_puts_a_cell_on_one_line():
    org = ox.NamedNode(str(mint("org", "acme")))
    result = _result(["org", "label", "note"], [org, ox.Literal("Acme"), ox.Literal("two\nlines\tand  tabs")])
    assert format_table(result, 80).splitlines() == [
        "org          label  note",
        "─" * 11 + "  " + "─" * 5 + "  " + "─" * 18,
        "id:org/acme  Acme   two lines and tabs",
    ]
    # At 30 columns the IRI column goes (its row has a label) and the rest fits: 5 + 2 + 18.
    assert format_table(result, 30).splitlines()[2:] == [
        "Acme   two lines and tabs",
        "1 IRI column hidden (org): us…",  # cut to 30 cells like every line
    ]


def test_an_iri_column_without_a_label_stays():
    result = _result(["s", "p"], [ox.NamedNode("http://example.org/" + "a" * 40), ox.NamedNode(str(PKG.partner))])
    lines = format_table(result, 30).splitlines()
    assert lines[0] == f"{'s':17}  p" and lines[2] == "http://example.o…  pkg:partner"
    assert all(len(line) <= 30 for line in lines)


# --- helpers -------------------------------------------------------------------------------------------


def _org_iris(graph_dir: Path) -> dict[str, str]:
    result = run_query(graph_dir, "SELECT ?name ?org WHERE { ?p pkg:partnerName ?name ; pkg:partner ?org }")
    return {plain(name): plain(org) for name, org in result.rows}


def _extra_trig(orgs: dict[str, str]) -> str:
    doc = mint("doc", EXTRA_FILE)
    unlabelled = mint("org", "fixture-unlabelled")
    newcomer = mint("org", "fixture-cooperativa")
    return f"""
@prefix pkg: <https://w3id.org/portfolio-kg/ontology#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix org: <http://www.w3.org/ns/org#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
<{doc}> {{
  <{doc}> a pkg:ClosingForm ; dcterms:source "{EXTRA_FILE}" ; pkg:templateFamily "fixture" ;
      pkg:year "2021"^^xsd:gYear ; dcterms:spatial <{mint("country", "ECU")}> .
  <{mint("partnership", EXTRA_FILE, 0)}> a pkg:Partnership ; pkg:document <{doc}> ;
      pkg:partner <{orgs["Strathmore University"]}> ; pkg:partnerName "Strathmore University" ;
      pkg:sector <{mint("sector", "academia")}> ; pkg:line 10 ; pkg:order 1 ; pkg:unusual true .
  <{mint("partnership", EXTRA_FILE, 1)}> a pkg:Partnership ; pkg:document <{doc}> ;
      pkg:partner <{newcomer}> ; pkg:partnerName "Cooperativa \\"La Unión\\"" ;
      pkg:sector <{mint("sector", "civil-society")}> ; pkg:line 11 ; pkg:order 2 ; pkg:unusual false .
  <{mint("mention", EXTRA_FILE, 0)}> a pkg:Mention ; pkg:document <{doc}> ;
      pkg:organization <{orgs["Kenyatta University"]}> .
  <{mint("mention", EXTRA_FILE, 1)}> a pkg:Mention ; pkg:document <{doc}> ;
      pkg:organization <{unlabelled}> ; rdfs:label "Unlabelled Org" .
}}
<{mint("graph", "reference")}> {{
  <{mint("country", "ECU")}> a pkg:Country ; skos:notation "ECU" ; rdfs:label "Ecuador"@en .
  <{newcomer}> a org:Organization ; skos:prefLabel "Cooperativa La Unión" ; pkg:sector <{mint("sector", "civil-society")}> .
}}
<{ANALYTICS.value}> {{
  <{orgs["Strathmore University"]}> pkg:betweenness 0.5 ; pkg:degree 3 ; pkg:community 1 ; pkg:countryCount 2 .
  <{orgs["Vietnam National University of Agriculture"]}> pkg:betweenness 0.25 ; pkg:degree 5 .
  <{orgs["Kenyatta University"]}> pkg:betweenness 0.0 ; pkg:degree 1 .
}}
"""


_PLAN = """# Waste pickers portfolio

[[type:learningplan]]
[[country:Bolivia]]
[[year:2022]]
[[methods:Ethnography]]
[[methods:Surveys]]

## Challenge

> What is your frontier challenge?

Waste pickers in El Alto earn little from the plastic bottles they collect and sort.

## Partners

> Who are your top 5 partners?

- Ministry of Environment
- Red Cross
"""
_OTHER_PLAN = """# Digital government services

[[type:learningplan]]
[[country:Bolivia]]
[[year:2022]]

## Challenge

> What is your frontier challenge?

Citizens queue for days to renew an identity card at the civil registry.
"""
_CLOSING = """# Waste pickers portfolio - closing form

[[type:learningplan]]
[[country:Bolivia]]
[[year:2023]]
[[methods:Ethnography]]
[[methods:Co-creation]]

## Learnings

> What are the top key insights you generated about your learning challenge?

Waste pickers in El Alto sold their sorted plastic bottles together and earned more.

## Partners

> If applicable, what partners did you actually work with?

- Ministry of Environment
- Fundación Pachamama
"""


@pytest.mark.slow
def test_plan_outcomes_gives_the_partners_kept_dropped_and_new_of_each_linked_pair(tmp_path: Path) -> None:
    forms = tmp_path / "forms"
    forms.mkdir()
    for name, text in (("waste_plan.md", _PLAN), ("digital_plan.md", _OTHER_PLAN), ("waste_closing.md", _CLOSING)):
        (forms / name).write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    build([forms], out, jobs=1)
    [row] = rows(out, "plan-outcomes", country="BOL")
    assert (row["plan_file"], row["closing_file"]) == ("waste_plan.md", "waste_closing.md")
    assert (row["kept"], row["dropped"], row["new"]) == ("1", "1", "1")
    assert row["kept_partners"] == "Ministry of Environment" and row["new_partners"] == "Fundación Pachamama"
    assert row["dropped_partners"].startswith("Red Cross")  # the gazetteer's name for it
    # methods: the plan's Ethnography and Surveys; the closing form's Ethnography and Co-creation
    assert (row["planned_methods"], row["used_methods"], row["kept_methods"]) == ("2", "2", "1")
    assert sorted(row["used_method_names"].split(" | ")) == ["Co-creation", "Ethnography"]
    assert rows(out, "plan-outcomes", country="ECU") == []


def test_partner_history_finds_an_organisation_by_its_name_in_any_case_or_its_iri(built: Path) -> None:
    # examples/youth_employment_learning_plan.md (Kenya, 2024) names "Strathmore University, Kenyatta University" in a
    # partner group (a university: academia); no other example names it
    found = rows(built, "partner-history", partner="strathmore UNIVERSITY")
    assert pick(found, "organisation", "year", "country", "file", "sector") == [
        ("Strathmore University", "2024", "KEN", "youth_employment_learning_plan.md", "academia")
    ]
    iri = found[0]["organisation_iri"]
    assert rows(built, "partner-history", partner=f"<{iri}>") == found
    assert rows(built, "partner-history", partner="Strathmore") == []  # a name, not a part of one


def test_ecosystem_by_year_gives_each_country_s_partners_of_each_year(built: Path, bare: Path) -> None:
    # One form per country with partners (tests/data/examples_expected.md): Bolivia 2022 (7), Türkiye 2023 (3), Kenya 2024 (4) and Viet Nam 2024 (5, in two actions); Malawi and Côte d'Ivoire name none. A country's one
    # year: every partner new, none lost; each partner holds one partnership, so the top 10 hold all (1).
    # Brokers of 2024 (Kenya's star and Viet Nam's forms, the only graph with actions): in Viet Nam the two partners of
    # action 2 each carry half of action 2's paths to Viet Nam, to the three partners of action 1 and to action 1
    # (5 x 1/2), the three of action 1 a third of four pairs each (4/3): the tie of action 2's partners goes to
    # "SongXanh Data JSC" before "Viet Nam Disaster and Dyke Management Authority". Kenya's partners link nothing.
    found = rows(built, "ecosystem-by-year")
    assert [tuple(row.values()) for row in found] == [
        ("BOL", "Bolivia", "2022", "7", "7", "0", "", "1"),
        ("KEN", "Kenya", "2024", "4", "4", "0", "", "1"),
        ("TUR", "Türkiye", "2023", "3", "3", "0", "", "1"),
        ("VNM", "Vietnam", "2024", "5", "5", "0", "SongXanh Data JSC", "1"),
    ]
    assert list(found[0]) == [
        "country", "country_label", "year", "partners", "new", "lost", "top_broker", "concentration"
    ]  # fmt: skip
    assert rows(built, "ecosystem-by-year", country="TUR") == [found[2]]
    assert rows(built, "ecosystem-by-year", country="MWI") == []
    assert rows(bare, "ecosystem-by-year") == []  # no analytics graph, no rows


_KENYA_TIMELINE = """# Chatbot for job seekers

[[type:experiment]]
[[country:Kenya]]
[[year:2022]]

## Overview

> What is the timeline of the experimental activity? (Months/Days)

November 2021 - January 2022

> Please list the names of partners mentioned in the previous question:

- Strathmore University
- Kenya Private Sector Alliance
"""
_KENYA_LATER = """# Youth employment portfolio

[[type:experiment]]
[[country:Kenya]]
[[year:2023]]

## Overview

> What is the timeline of the experimental activity? (Months/Days)

6 months

> Please list the names of partners mentioned in the previous question:

- Strathmore University
- Kenya Red Cross Society
"""


@pytest.mark.slow
def test_a_timeline_s_span_of_years_reaches_ecosystem_by_year_and_partner_history(tmp_path: Path) -> None:
    # Kenya: the 2022 experiment's timeline runs November 2021 - January 2022, so its two partners are active in 2021
    # and 2022; the 2023 one's ("6 months") in 2023. 2021: Strathmore and KEPSA, both new; 2022: the same two, none
    # new, none lost; 2023: Strathmore and the Red Cross, the Red Cross new, KEPSA lost. Stars only: no broker.
    forms = tmp_path / "forms"
    forms.mkdir()
    (forms / "chatbot.md").write_text(_KENYA_TIMELINE, encoding="utf-8")
    (forms / "youth.md").write_text(_KENYA_LATER, encoding="utf-8")
    out = tmp_path / "out"
    build([forms], out, jobs=1)
    assert pick(rows(out, "ecosystem-by-year", country="KEN"), "year", "partners", "new", "lost", "top_broker") == [
        ("2021", "2", "2", "0", ""),
        ("2022", "2", "0", "0", ""),
        ("2023", "2", "1", "1", ""),
    ]
    history = rows(out, "partner-history", partner="Strathmore University")
    assert pick(history, "year", "country", "file") == [("2021-2022", "KEN", "chatbot.md"), ("2023", "KEN", "youth.md")]
