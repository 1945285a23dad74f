"""Tests of ``ontology/portfolio.ttl`` and ``ontology/shapes.ttl``.

The ontology must declare every ``pkg:`` class and property the builder
writes; the graph built from the sample forms in ``examples/`` must conform
to the SHACL shapes; hand-broken copies of it must not, with the violation
reported on the node and property that was broken. Nothing here needs the
full corpus.
"""

from __future__ import annotations

import re
from pathlib import Path

import pyshacl
import pytest
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SH, SKOS

from kg.extract import extract
from kg.forms import parse_form, read_form
from kg.graph import build_dataset
from kg.namespaces import GEO, ORG, PKG, PROV, SDG
from kg.privacy import Pseudonymiser
from kg.resolve import resolve

ROOT = Path(__file__).resolve().parents[1]
ONTOLOGY_DIR = ROOT / "ontology"
EXAMPLES = ROOT / "examples"
GRAPH_PY = ROOT / "kg" / "graph.py"

DOC_CLASSES = (PKG.Document, PKG.LearningPlan, PKG.ClosingForm, PKG.Experiment, PKG.Solution)
# A plain Namespace: rdflib's closed XSD namespace warns when pytest probes module attributes.
XSD = Namespace("http://www.w3.org/2001/XMLSchema#")


# --------------------------------------------------------------------------
# fixtures


@pytest.fixture(scope="module")
def ontology() -> Graph:
    return Graph().parse(ONTOLOGY_DIR / "portfolio.ttl", format="turtle")


@pytest.fixture(scope="module")
def shapes() -> Graph:
    return Graph().parse(ONTOLOGY_DIR / "shapes.ttl", format="turtle")


@pytest.fixture(scope="module")
def ont_graph(ontology: Graph) -> Graph:
    """What the validator passes as ``ont_graph``: every ontology file but the shapes."""
    graph = Graph()
    for path in sorted(ONTOLOGY_DIR.glob("*.ttl")):
        if path.name != "shapes.ttl":
            graph.parse(path, format="turtle")
    return graph


@pytest.fixture(scope="module")
def example_graph() -> Graph:
    """The union of every named graph built from the sample forms."""
    paths = sorted(EXAMPLES.glob("*.md"))
    assert paths, "no sample forms in examples/"
    extractions = [extract(read_form(path, path.name)) for path in paths]
    dataset = build_dataset(extractions, resolve(extractions), Pseudonymiser())
    union = Graph()
    for s, p, o, _g in dataset.quads():
        union.add((s, p, o))
    return union


def _validate(data: Graph, shapes: Graph, ont_graph: Graph, advanced: bool = False) -> tuple[bool, Graph]:
    conforms, results, _text = pyshacl.validate(
        data,
        shacl_graph=shapes,
        ont_graph=ont_graph,
        inference="none",
        advanced=advanced,
    )
    return bool(conforms), results


def _results(report: Graph) -> list[tuple]:
    """(focus node, result path, constraint component local name) of every result."""
    found = []
    for result in report.subjects(RDF.type, SH.ValidationResult):
        component = str(report.value(result, SH.sourceConstraintComponent)).rsplit("#", 1)[-1]
        found.append((report.value(result, SH.focusNode), report.value(result, SH.resultPath), component))
    return found


def _pkg_terms(graph: Graph) -> tuple[set[URIRef], set[URIRef]]:
    """The pkg: predicates and the pkg: classes (objects of rdf:type) used in ``graph``."""
    predicates = {p for p in graph.predicates() if str(p).startswith(str(PKG))}
    classes = {o for o in graph.objects(None, RDF.type) if isinstance(o, URIRef) and str(o).startswith(str(PKG))}
    return predicates, classes


def _first(graph: Graph, cls: URIRef) -> URIRef:
    nodes = sorted(graph.subjects(RDF.type, cls))
    assert nodes, f"the example graph has no {cls}"
    return nodes[0]


# --------------------------------------------------------------------------
# the files parse and the ontology is well formed


def test_ontology_files_parse(ontology: Graph, shapes: Graph, ont_graph: Graph) -> None:
    assert len(ontology) > 100
    assert len(shapes) > 100
    assert len(ont_graph) > len(ontology)  # sectors.ttl comes along


def test_ontology_header(ontology: Graph) -> None:
    header = URIRef("https://w3id.org/portfolio-kg/ontology")
    assert (header, RDF.type, OWL.Ontology) in ontology
    for predicate in (DCTERMS.title, DCTERMS.description, OWL.versionInfo, DCTERMS.license):
        assert ontology.value(header, predicate) is not None, predicate
    assert "MIT" in str(ontology.value(header, DCTERMS.license))


def _has_english(graph: Graph, subject: URIRef, predicate: URIRef) -> bool:
    return any(getattr(value, "language", None) == "en" for value in graph.objects(subject, predicate))


def test_every_pkg_term_is_documented(ontology: Graph) -> None:
    classes = {s for s in ontology.subjects(RDF.type, OWL.Class) if str(s).startswith(str(PKG))}
    properties = {
        s
        for kind in (OWL.ObjectProperty, OWL.DatatypeProperty)
        for s in ontology.subjects(RDF.type, kind)
        if str(s).startswith(str(PKG))
    }
    assert classes and properties
    assert not classes & properties
    for term in classes | properties:
        assert _has_english(ontology, term, RDFS.label), f"{term} has no rdfs:label@en"
        assert _has_english(ontology, term, RDFS.comment), f"{term} has no rdfs:comment@en"
    for prop in properties:
        assert ontology.value(prop, RDFS.domain) is not None, f"{prop} has no rdfs:domain"
        assert ontology.value(prop, RDFS.range) is not None, f"{prop} has no rdfs:range"
    for prop in ontology.subjects(RDF.type, OWL.DatatypeProperty):
        if str(prop).startswith(str(PKG)):
            assert str(ontology.value(prop, RDFS.range)).startswith(str(XSD)), prop


def test_document_hierarchy(ontology: Graph) -> None:
    assert (PKG.Document, RDFS.subClassOf, PROV.Entity) in ontology
    assert (PKG.ClosingForm, RDFS.subClassOf, PKG.LearningPlan) in ontology
    for cls in (PKG.LearningPlan, PKG.Experiment, PKG.Solution):
        assert (cls, RDFS.subClassOf, PKG.Document) in ontology
    assert (PKG.sdg, RDFS.subPropertyOf, DCTERMS.subject) in ontology
    assert (PKG.sdg, RDFS.range, SKOS.Concept) in ontology
    for scheme in (PKG.MethodScheme, PKG.DataSourceScheme, PKG.ThemeScheme, PKG.HandoverOutcomeScheme):
        assert (scheme, RDF.type, SKOS.ConceptScheme) in ontology


def _declared(ontology: Graph) -> tuple[set[URIRef], set[URIRef]]:
    classes = set(ontology.subjects(RDF.type, OWL.Class))
    properties = {
        s
        for kind in (OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty)
        for s in ontology.subjects(RDF.type, kind)
    }
    return classes, properties


def test_example_graph_uses_only_declared_pkg_terms(ontology: Graph, example_graph: Graph) -> None:
    classes, properties = _declared(ontology)
    used_predicates, used_classes = _pkg_terms(example_graph)
    assert used_predicates and used_classes
    assert used_predicates - properties == set()
    assert used_classes - classes == set()
    # Every concept scheme the data points at is declared (here or in sectors.ttl).
    schemes = set(example_graph.objects(None, SKOS.inScheme))
    declared_schemes = set(ontology.subjects(RDF.type, SKOS.ConceptScheme)) | {PKG.SectorScheme}
    assert schemes <= declared_schemes


def test_graph_py_uses_only_declared_pkg_terms(ontology: Graph) -> None:
    """A static check of kg/graph.py: terms the examples happen not to exercise count too."""
    classes, properties = _declared(ontology)
    source = GRAPH_PY.read_text(encoding="utf-8")
    names = set(re.findall(r"\bPKG\.([A-Za-z_]\w*)", source))
    names |= set(re.findall(r"\bPKG\[\"(\w+)\"\]", source))
    assert names
    terms = {PKG[name] for name in names}
    undeclared = terms - classes - properties - set(_declared_schemes(ontology)) - {PKG.SectorScheme}
    assert undeclared == set()
    # The document types come from kg.extract as strings: PKG[doc.doc_type].
    assert set(DOC_CLASSES) <= classes


def _declared_schemes(ontology: Graph) -> set[URIRef]:
    return set(ontology.subjects(RDF.type, SKOS.ConceptScheme))


def test_shapes_name_only_declared_pkg_terms(ontology: Graph, shapes: Graph) -> None:
    classes, properties = _declared(ontology)
    known = classes | properties | _declared_schemes(ontology) | {PKG.SectorScheme}
    used = {t for triple in shapes for t in triple if isinstance(t, URIRef) and str(t).startswith(str(PKG))}
    assert used - known == set()


def test_every_emitted_class_has_a_shape(shapes: Graph, example_graph: Graph) -> None:
    targets = set(shapes.objects(None, SH.targetClass))
    emitted = set(example_graph.objects(None, RDF.type)) - {PROV.Entity}
    assert emitted - targets == set()
    # ... and the examples exercise every shape's target (plain documents: see below; no example closing form has its
    # plan among the examples: tests/test_links.py validates a closing link; the ecosystem years are the analytics
    # graph's, validated in tests/test_analyse.py, and so are its suggestions).
    assert targets - emitted <= {PKG.Document, PKG.ClosingLink, PKG.EcosystemYear, PKG.SectorCount, PKG.Suggestion}


def test_untyped_form_is_a_conforming_document(shapes: Graph, ont_graph: Graph) -> None:
    """A form with no [[type:...]] tag, parsed from a string (so no file digest)."""
    text = "# A note\n\n[[country:Kenya]]\n[[year:2022]]\n\n## Notes\n\n> What happened?\n\nWe met.\n"
    extraction = extract(parse_form(text, "note.md"))
    assert extraction.doc_type == "Document"
    dataset = build_dataset([extraction], resolve([extraction]), Pseudonymiser())
    data = Graph()
    for s, p, o, _g in dataset.quads():
        data.add((s, p, o))
    doc = _first(data, PKG.Document)
    assert data.value(doc, PKG.sha256) is None
    conforms, report = _validate(data, shapes, ont_graph)
    assert conforms, _results(report)
    data.add((doc, PKG.templateFamily, Literal("memo")))
    conforms, report = _validate(data, shapes, ont_graph)
    assert not conforms
    assert (doc, PKG.templateFamily, "MaxCountConstraintComponent") in _results(report)
    assert (doc, PKG.templateFamily, "InConstraintComponent") in _results(report)


# --------------------------------------------------------------------------
# the sample forms conform


@pytest.mark.slow
@pytest.mark.parametrize("advanced", [False, True])
def test_example_graph_conforms(example_graph: Graph, shapes: Graph, ont_graph: Graph, advanced: bool) -> None:
    conforms, report = _validate(example_graph, shapes, ont_graph, advanced=advanced)
    assert conforms, _results(report)


@pytest.mark.slow
def test_example_graph_conforms_without_ontology(example_graph: Graph, shapes: Graph) -> None:
    """The shapes do not rely on the ontology's subclass triples."""
    conforms, report = pyshacl.validate(example_graph, shacl_graph=shapes, inference="none")[:2]
    assert conforms, _results(report)


def test_every_document_type_is_a_shape_target(shapes: Graph) -> None:
    targets = set(shapes.objects(None, SH.targetClass))
    assert set(DOC_CLASSES) <= targets


# --------------------------------------------------------------------------
# broken graphs do not conform


def _break_partner(g: Graph) -> tuple:
    node = _first(g, PKG.Partnership)
    g.remove((node, PKG.partner, None))
    return node, PKG.partner, "MinCountConstraintComponent"


def _break_latitude(g: Graph) -> tuple:
    node = _first(g, GEO.Point)
    g.set((node, GEO.lat, Literal("200", datatype=XSD.decimal)))
    return node, GEO.lat, "MaxInclusiveConstraintComponent"


def _break_longitude_datatype(g: Graph) -> tuple:
    node = _first(g, GEO.Point)
    g.set((node, GEO.long, Literal("12.5")))
    return node, GEO.long, "DatatypeConstraintComponent"


def _break_country_code(g: Graph) -> tuple:
    node = _first(g, PKG.Country)
    g.set((node, SKOS.notation, Literal("ke")))
    return node, SKOS.notation, "PatternConstraintComponent"


def _break_sha256(g: Graph) -> tuple:
    node = _first(g, PKG.Experiment)
    g.set((node, PKG.sha256, Literal("not-a-digest")))
    return node, PKG.sha256, "PatternConstraintComponent"


def _break_year_datatype(g: Graph) -> tuple:
    node = next(s for s in g.subjects(PKG.year, None))
    g.set((node, PKG.year, Literal("2021")))
    return node, PKG.year, "DatatypeConstraintComponent"


def _break_two_titles(g: Graph) -> tuple:
    node = _first(g, PKG.Solution)
    g.add((node, DCTERMS.title, Literal("A second title")))
    return node, DCTERMS.title, "MaxCountConstraintComponent"


def _break_missing_title(g: Graph) -> tuple:
    node = _first(g, PKG.ClosingForm)
    g.remove((node, DCTERMS.title, None))
    return node, DCTERMS.title, "MinCountConstraintComponent"


def _break_action_number(g: Graph) -> tuple:
    node = _first(g, PKG.Action)
    g.set((node, PKG.actionNumber, Literal("two")))
    return node, PKG.actionNumber, "DatatypeConstraintComponent"


def _break_document_link(g: Graph) -> tuple:
    node = _first(g, PKG.KeyInsight)
    g.set((node, PKG.document, _first(g, PKG.Country)))
    return node, PKG.document, "NodeConstraintComponent"


def _break_partner_class(g: Graph) -> tuple:
    node = _first(g, PKG.Partnership)
    g.set((node, PKG.partner, _first(g, PKG.Country)))
    return node, PKG.partner, "ClassConstraintComponent"


def _break_spatial(g: Graph) -> tuple:
    node = _first(g, PKG.LearningPlan)
    g.add((node, DCTERMS.spatial, URIRef("https://w3id.org/portfolio-kg/id/country/ATLANTIS")))
    return node, DCTERMS.spatial, "ClassConstraintComponent"


def _break_sdg(g: Graph) -> tuple:
    node = next(s for s in g.subjects(PKG.sdg, None))
    g.add((node, PKG.sdg, SDG["18"]))
    return node, PKG.sdg, "PatternConstraintComponent"


def _break_method_scheme(g: Graph) -> tuple:
    node, concept = next(iter(g.subject_objects(PKG.method)))
    g.set((concept, SKOS.inScheme, PKG.ThemeScheme))
    return node, PKG.method, "NodeConstraintComponent"


def _break_unusual_datatype(g: Graph) -> tuple:
    node = _first(g, PKG.Partnership)
    g.set((node, PKG.unusual, Literal("yes")))
    return node, PKG.unusual, "DatatypeConstraintComponent"


def _break_sector(g: Graph) -> tuple:
    node = _first(g, ORG.Organization)
    g.remove((node, PKG.sector, None))
    return node, PKG.sector, "MinCountConstraintComponent"


def _break_repeat_without_group(g: Graph) -> tuple:
    node = next(s for s in g.subjects(PKG.group, None))
    g.remove((node, PKG.group, None))
    return node, None, "OrConstraintComponent"


def _break_item_line(g: Graph) -> tuple:
    node = _first(g, PKG.QuestionAnswer)
    g.add((node, PKG.line, Literal(999_999)))
    return node, PKG.line, "MaxCountConstraintComponent"


def _break_metafield(g: Graph) -> tuple:
    node = _first(g, PKG.Metafield)
    g.remove((node, PKG.key, None))
    return node, PKG.key, "MinCountConstraintComponent"


def _break_concept_label(g: Graph) -> tuple:
    node = next(s for s in g.subjects(SKOS.inScheme, PKG.ThemeScheme))
    g.remove((node, SKOS.prefLabel, None))
    return node, SKOS.prefLabel, "MinCountConstraintComponent"


def _break_orphan_organisation(g: Graph) -> tuple:
    node = URIRef("https://w3id.org/portfolio-kg/id/org/nobody")
    g.add((node, RDF.type, ORG.Organization))
    g.add((node, SKOS.prefLabel, Literal("Nobody")))
    g.add((node, PKG.sector, URIRef("https://w3id.org/portfolio-kg/id/sector/unknown")))
    g.add((node, PKG.resolutionRule, Literal("normalised-name")))
    return node, None, "OrConstraintComponent"  # neither a partnership nor a mention names it


BREAKERS = [
    _break_partner,
    _break_latitude,
    _break_longitude_datatype,
    _break_country_code,
    _break_sha256,
    _break_year_datatype,
    _break_two_titles,
    _break_missing_title,
    _break_action_number,
    _break_document_link,
    _break_partner_class,
    _break_spatial,
    _break_sdg,
    _break_method_scheme,
    _break_unusual_datatype,
    _break_sector,
    _break_repeat_without_group,
    _break_item_line,
    _break_metafield,
    _break_concept_label,
    _break_orphan_organisation,
]


@pytest.mark.slow
@pytest.mark.parametrize("breaker", BREAKERS, ids=lambda f: f.__name__.removeprefix("_break_"))
def test_broken_graph_is_reported(breaker, example_graph: Graph, shapes: Graph, ont_graph: Graph) -> None:
    data = Graph()
    for triple in example_graph:
        data.add(triple)
    focus, path, component = breaker(data)
    conforms, report = _validate(data, shapes, ont_graph)
    assert not conforms
    results = _results(report)
    if path is BNode:  # an inverse path: a blank node in the report
        assert any(f == focus and isinstance(p, BNode) and c == component for f, p, c in results), results
    else:
        assert (focus, path, component) in results, results
