"""What the analytics and the report read of a build, checked against their query files.

``kg build`` keeps a build's analysis and report when the quads they can read
are unchanged. Which quads those are is declared by hand in
``kg.engine.readable``: ``ANALYSE_READS``, ``REPORT_READS``, ``SUGGEST_READS``, ``READ_TYPES``
and ``READ_LABELS``; a query that reads anything else would make
the build keep stale results. These tests parse every ``.rq`` file of
``kg/queries/analyse/``, ``kg/queries/report/`` and ``kg/queries/suggest/`` (the
analytics' suggestions) with rdflib's SPARQL
parser (prefixes from :data:`kg.namespaces.PREFIXES`), walk its algebra and
hold the declarations to what the files name.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import RDF, URIRef, Variable
from rdflib.plugins.sparql import prepareQuery
from rdflib.plugins.sparql.parserutils import CompValue

from kg import analyse, report, suggest
from kg.engine.readable import ANALYSE_READS, READ_LABELS, READ_TYPES, REPORT_READS, SUGGEST_READS
from kg.namespaces import PREFIXES

QUERY_DIR = Path(__file__).resolve().parents[1] / "kg" / "queries"
MODULES = {"analyse": analyse, "report": report, "suggest": suggest}
FILES = sorted(path for folder in MODULES for path in (QUERY_DIR / folder).glob("*.rq"))
READ_PREDICATES = ANALYSE_READS | REPORT_READS | SUGGEST_READS
TABLES = {"analyse": ANALYSE_READS, "report": REPORT_READS, "suggest": SUGGEST_READS}


def test_the_modules_run_exactly_their_query_files():
    assert len(FILES) == 25  # 16 of the analytics, 4 of the report, 5 of the suggestions
    for folder, module in MODULES.items():
        texts = {path.read_text(encoding="utf-8") for path in (QUERY_DIR / folder).glob("*.rq")}
        assert texts == set(module.QUERIES), folder
        assert len(module.QUERIES) == len(texts), folder


@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_a_query_file_starts_with_a_comment_line(path):
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("# ") and len(first) > 20, first


@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_a_query_file_reads_only_the_declared_quads(path):
    """Predicates in READ_PREDICATES, classes in READ_TYPES, labels only of nodes other patterns bind."""
    algebra = _algebra(path)
    patterns = list(_patterns(algebra))
    assert patterns
    values = _values(algebra)
    required = [(s, o) for (s, p, o), optional in patterns if not optional and str(p) not in READ_LABELS]
    bound = {term for pair in required for term in pair}
    # an optional pattern of no label predicate binds its object too when its subject is bound
    # (organisations.rq: ?org pkg:scopeCountry ?scope, then ?scope skos:notation)
    bound |= {o for (s, p, o), optional in patterns if optional and str(p) not in READ_LABELS and s in bound}
    for (subject, predicate, obj), _optional in patterns:
        assert isinstance(predicate, URIRef), predicate  # no variable predicate, no property path
        assert str(predicate) in TABLES[path.parent.name] and str(predicate) in READ_PREDICATES, predicate
        if predicate == RDF.type:
            types = {obj} if isinstance(obj, URIRef) else values
            assert types and all(str(t) in READ_TYPES for t in types), obj
        if str(predicate) in READ_LABELS:
            assert isinstance(subject, Variable) and subject in bound, subject


@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_every_iri_a_query_file_names_is_a_read_predicate_or_type(path):
    named = {str(iri) for iri in _iris(_algebra(path))}
    assert named and named <= READ_PREDICATES | READ_TYPES, named - READ_PREDICATES - READ_TYPES


def test_the_tables_name_exactly_what_the_files_read():
    """No stale entry either: each one makes the build redo the analysis when an unread quad changes."""
    for folder, module in MODULES.items():
        algebras = [_algebra(path) for path in FILES if path.parent.name == folder]
        used = {str(p) for algebra in algebras for (_s, p, _o), _optional in _patterns(algebra)}
        assert used == TABLES[folder], folder
    assert {str(t) for path in FILES for t in _types(_algebra(path))} == READ_TYPES
    assert READ_LABELS <= ANALYSE_READS


# --------------------------------------------------------------------------
# helpers


def _algebra(path: Path) -> CompValue:
    return prepareQuery(path.read_text(encoding="utf-8"), initNs=dict(PREFIXES)).algebra


def _patterns(node, optional: bool = False):
    """``(triple, optional)`` of every basic graph pattern in a query's algebra."""
    if isinstance(node, CompValue):
        if node.name == "BGP":
            for triple in node["triples"]:
                yield triple, optional
        for key, value in node.items():
            yield from _patterns(value, optional or (node.name == "LeftJoin" and key == "p2"))
    elif isinstance(node, (list, tuple)):
        for value in node:
            yield from _patterns(value, optional)


def _types(algebra: CompValue) -> set:
    """The classes the query's ``rdf:type`` patterns match: an IRI, or a variable a VALUES block binds."""
    values = _values(algebra)
    found = set()
    for (_s, predicate, obj), _optional in _patterns(algebra):
        if predicate == RDF.type:
            found |= {obj} if isinstance(obj, URIRef) else values
    return found


def _values(node) -> set:
    """Every term a VALUES block of the algebra gives."""
    found = set()
    if isinstance(node, CompValue):
        if node.name == "values":
            found.update(term for row in node["res"] for term in row.values())
        for value in node.values():
            found |= _values(value)
    elif isinstance(node, (list, tuple)):
        for value in node:
            found |= _values(value)
    return found


def _iris(node) -> set[URIRef]:
    """Every IRI anywhere in the algebra: in patterns, VALUES blocks, filters, expressions."""
    if isinstance(node, URIRef):
        return {node}
    if isinstance(node, dict):  # CompValue is a dict; so is a VALUES row
        return {iri for value in node.values() for iri in _iris(value)}
    if isinstance(node, (list, tuple, set, frozenset)):
        return {iri for value in node for iri in _iris(value)}
    return set()
