"""Property tests: the reader and extractor never crash, labels survive the writers, parameters cannot inject.

tests/test_namespaces.py already checks that one label survives ``mint`` and
the Turtle/TriG writers; here the same holds for whole forms (title and
answers, through the extractor and graph builder), several graphs at once,
language tags and datatypes, and the query store. SPARQL parameter binding
is attacked directly in :func:`kg.query.bind_params` with strings built from
query syntax.
"""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

import pyoxigraph as ox
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.namespace import RDFS

from kg.extract import extract
from kg.forms import parse_bytes, parse_form
from kg.graph import document_iri, named_graphs
from kg.namespaces import mint
from kg.privacy import Pseudonymiser
from kg.query import bind_params
from kg.resolve import resolve
from kg.serialise import write_graph_files
from kg.store import open_store, to_ox_quads, write_store

# ---------------------------------------------------------------------------
# Strategies: arbitrary text, and text shaped like a form
# ---------------------------------------------------------------------------

QUESTIONS = [
    "Please state the name of the partner:",
    "What sector does our partner belong to?",
    "Is this a new and unusual partner for UNDP?",
    "Please list the names of partners mentioned in the previous question:",
    "Who are your top 5 partners for this challenge? Please submit from MOST to LEAST important and state Name, "
    "Sector and a brief description of the (intended) collaboration.",
    "If applicable, what government partners (and related institutions) did you actually work with and what did "
    "you do with them?",
    "Relating to your answers above: who of the partners listed were new and unusual partners for UNDP, and what "
    "made them special?",
    "What are the top key insights you generated about your learning challenge during this Action Learning Plan? "
    "(Please list a maximum of 5 key insights)",
    "Considering the outcomes of this learning challenge, which of the following best describe the handover "
    "process? (Please select all that apply)",
    "Which sector are you partnering with for this activity? Please select all that apply",
    "Prepared by (Name of the experimenter)",
    "Name of the Innovator",
    "",
]
TAG_KEYS = ["type", "year", "country", "latlng", "sdgs", "methods", "datasources", "thematic_areas", "focal_point", "x"]
TAG_VALUES = ["learningplan", "experiment", "solution", "2023", "Peru", "Côte d'Ivoire", "-9.1,-75", "0,0", "5. x", ""]
SNIPPETS = [
    "",
    "****",
    "**A lead line**",
    '<div class="group">',
    "</div>",
    "<div><br></div>",
    "ACTION 1: Water for all (WFA)",
    "ACTION 2:",
    "1) First insight.",
    "2. Second insight",
    "- Government",
    "- Yes",
    "Ministry of Health (lead), Universidad Nacional (UNAL) - data partner",
    "UNICEF; WFP; Red Cross",
    "[[",
    "]]",
    "&amp;&lt;&#0;&#x110000;&bogus;",
    "![alt](http://example.org/x.png)",
    "[link](http://example.org/a)",
    "\r",
    "\ufeff",
]

line = st.one_of(
    st.text(max_size=40),
    st.sampled_from(SNIPPETS),
    st.builds("[[{}:{}]]".format, st.sampled_from(TAG_KEYS), st.sampled_from(TAG_VALUES) | st.text(max_size=15)),
    st.builds("> {}".format, st.sampled_from(QUESTIONS) | st.text(max_size=30)),
    st.builds("{} {}".format, st.sampled_from(["#", "##", "###", "-", "*", ">"]), st.text(max_size=30)),
)
form_text = st.lists(line, max_size=40).map("\n".join)

# ---------------------------------------------------------------------------
# The reader and the extractor never crash
# ---------------------------------------------------------------------------


@settings(max_examples=400, deadline=None)
@given(data=st.binary(max_size=2000))
@example(data=b"")
@example(data=b"\xef\xbb\xbf")
@example(data=b"\x00")
@example(data=b"\xff\xfe# t\x00i\x00")
@example(data=b"# Per\xfa\r\n[[country:Per\xfa]]\r")
def test_any_bytes_are_read_without_crashing(data):
    form = parse_bytes(data, "any.md")
    assert form.path == "any.md"
    assert form.sha256 == hashlib.sha256(data).hexdigest()
    assert all(m.level in ("warning", "error") and m.code and m.text for m in form.messages)
    assert form.encoding in ("utf-8", "cp1252", "latin-1", "binary")


@pytest.mark.slow
@settings(max_examples=400, deadline=None)
@given(text=st.one_of(st.text(max_size=2000), form_text))
def test_any_text_is_parsed_without_crashing(text):
    form = parse_form(text, "any.md")
    assert form.sections and form.sections[0].index == 0
    assert all(0 <= item.section < len(form.sections) for item in form.items)
    assert all(1 <= tag.line <= max(form.n_lines, 1) for tag in form.tags)


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(text=st.one_of(form_text, st.text(max_size=500)))
@example(text="[[type:experiment]]\n[[partnering_sector:Academia]]\n> " + QUESTIONS[3] + "\n\n- A\n- \n")
def test_any_form_text_is_extracted_without_crashing(text):
    form = parse_form(text, "any.md")
    doc = extract(form)
    assert doc.path == "any.md"
    assert all(message.level in ("warning", "error") for message in doc.messages)


def test_an_empty_form_is_extracted_without_crashing():
    doc = extract(parse_form("", "empty.md"))
    assert doc.path == "empty.md"
    assert doc.partnerships == [] and doc.actions == []


# ---------------------------------------------------------------------------
# Labels survive minting, the graph builder and the build writer exactly
# ---------------------------------------------------------------------------

labels = st.text(min_size=1, max_size=120).filter(str.strip)
ANY_URI = URIRef("http://www.w3.org/2001/XMLSchema#anyURI")


def round_trip(graphs: dict) -> tuple[Graph, Dataset]:
    """Write ``graphs`` with kg.store and read graph.ttl and graph.trig back with rdflib."""
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder)
        write_graph_files(to_ox_quads(graphs), out)
        union = Graph().parse(out / "graph.ttl", format="turtle")
        dataset = Dataset()
        dataset.parse(out / "graph.trig", format="trig")
    return union, dataset


@pytest.mark.slow
@settings(max_examples=100, deadline=None)
@given(a=labels, b=labels, lang=st.sampled_from(["en", "es-419", "fr-CA"]))
def test_several_graphs_language_tags_and_datatypes_survive_the_writer(a, b, lang):
    """Hostile labels as graph names (documents named by paths), objects, language-tagged and typed literals."""
    graph_a, graph_b = mint("doc", a), mint("doc", a, b)
    node = mint("org", b)
    triples_a = [
        (node, RDFS.label, Literal(a)),
        (node, RDFS.comment, Literal(b, lang=lang)),
        (node, RDFS.seeAlso, Literal(a, datatype=ANY_URI)),
    ]
    triples_b = [(node, RDFS.label, Literal(b)), (graph_b, RDFS.label, Literal(a + "\n" + b))]
    union, dataset = round_trip({graph_a: triples_a, graph_b: triples_b})
    assert set(union) == set(triples_a) | set(triples_b)
    assert set(dataset.graph(graph_a)) == set(triples_a)
    assert set(dataset.graph(graph_b)) == set(triples_b)


@pytest.mark.slow
@settings(max_examples=60, deadline=None)
@given(label=labels)
def test_any_label_comes_back_exactly_from_the_query_store(label):
    iri = mint("org", label)
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder)
        write_store(to_ox_quads({mint("doc", label): [(iri, RDFS.label, Literal(label))]}), out)
        store = open_store(out)
        found = [row["l"].value for row in store.query(f"SELECT ?l WHERE {{ GRAPH ?g {{ <{iri}> ?p ?l }} }}")]
        del store
    assert found == [label]


one_line = st.text(min_size=1, max_size=80).map(lambda s: " ".join(s.split())).filter(bool)


@pytest.mark.slow
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(title=one_line, answer=one_line, path=st.text(min_size=1, max_size=40).filter(str.strip))
def test_a_forms_title_and_answers_survive_the_whole_graph_path(title, answer, path):
    """Form text -> reader -> extract -> graph -> kg.store writer -> rdflib: the parsed values come back."""
    form = parse_form(f"# {title}\n\n[[type:solution]]\n\n> What is the purpose of the solution?\n\n{answer}\n", path)
    doc = extract(form)
    graphs = named_graphs([doc], resolve([doc]), Pseudonymiser(enabled=False))
    union, dataset = round_trip(graphs)
    iri = document_iri(path)
    titles = list(dataset.graph(iri).objects(iri, URIRef("http://purl.org/dc/terms/title")))
    assert titles == [Literal(doc.title)]
    expected = {Literal(item.text) for item in form.items if item.text}
    assert expected <= set(union.objects(None, URIRef("https://w3id.org/portfolio-kg/ontology#answer")))


# ---------------------------------------------------------------------------
# SPARQL parameter binding cannot inject
# ---------------------------------------------------------------------------

SYNTAX = [
    '"',
    "'",
    '"""',
    "'''",
    "{",
    "}",
    "} UNION {",
    " UNION ",
    "\n",
    "\r",
    "#",
    "\\",
    "\\\\",
    '\\"',
    "\\u0022",
    "<",
    ">",
    "<http://evil.example/>",
    " . ",
    "?s ?p ?o",
    "?name_param",
    "$name_param",
    ")",
    "(",
    "SELECT * WHERE",
    "SERVICE <http://127.0.0.1:1/>",
    "@en",
    "^^xsd:string",
    "\x00",
    "é",
    "🏳️‍🌈",
]
adversarial = st.lists(st.sampled_from(SYNTAX) | st.text(max_size=6), max_size=10).map("".join)

PAIR_QUERY = """PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
# a comment naming ?name_param and {braces}
SELECT ?s ?name_param WHERE {
  ?s rdfs:label ?name_param .
}"""

SUB_QUERY = """SELECT ?s WHERE {
  { SELECT ?s WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?name_param } }
  FILTER(STR(?other_param) != "")
}"""


def label_store(value: str, lang: str | None = None) -> ox.Store:
    """A store where ex:hit has the value as label, ex:near a label one character off."""
    store = ox.Store()
    label = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
    store.add(ox.Quad(ox.NamedNode("http://example.org/hit"), label, ox.Literal(value, language=lang)))
    store.add(ox.Quad(ox.NamedNode("http://example.org/near"), label, ox.Literal(value + "x", language=lang)))
    store.add(ox.Quad(ox.NamedNode("http://example.org/other"), label, ox.Literal("other")))
    return store


@pytest.mark.slow
@settings(max_examples=400, deadline=None)
@given(value=adversarial)
@example(value='") } UNION { ?s ?p ?o } #')
@example(value="} UNION { ?s ?p ?name_param }\n#")
@example(value='\\" . } ')
def test_a_bound_parameter_is_exactly_one_literal(value):
    bound = bind_params(PAIR_QUERY, {"name": ox.Literal(value)})
    rows = [(row["s"], row["name_param"]) for row in label_store(value).query(bound)]
    assert rows == [(ox.NamedNode("http://example.org/hit"), ox.Literal(value))]


@pytest.mark.slow
@settings(max_examples=200, deadline=None)
@given(value=adversarial, other=adversarial)
def test_two_parameters_and_a_subquery_bind_safely(value, other):
    bound = bind_params(SUB_QUERY, {"name": ox.Literal(value), "other": ox.Literal(other)})
    rows = [row["s"] for row in label_store(value).query(bound)]
    assert rows == ([ox.NamedNode("http://example.org/hit")] if other else [])


@pytest.mark.slow
@settings(max_examples=200, deadline=None)
@given(value=adversarial, lang=st.sampled_from(["en", "es"]))
def test_language_tagged_parameters_bind_safely(value, lang):
    bound = bind_params(PAIR_QUERY, {"name": ox.Literal(value, language=lang)})
    rows = [row["s"] for row in label_store(value, lang).query(bound)]
    assert rows == [ox.NamedNode("http://example.org/hit")]
