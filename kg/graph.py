"""Write extractions and resolved organisations as RDF.

Each form becomes one named graph whose IRI is the document's IRI; shared
nodes (countries, concepts, organisations) go to one reference graph. Every
question and answer of a form is kept as a ``pkg:QuestionAnswer`` node, so
nothing in a form is lost. All IRIs come from :func:`kg.namespaces.mint`;
personal data passes through :class:`kg.privacy.Pseudonymiser` first.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator

from rdflib import Dataset, Literal, URIRef

from kg.extract import Extraction
from kg.namespaces import DCTERMS, GEO, ORG, OWL, PKG, PREFIXES, PROV, RDF, RDFS, SKOS, WD, XSD, mint, sdg_iri
from kg.privacy import Pseudonymiser
from kg.resolve import Resolution
from kg.vocab import fold, sector_labels

__all__ = [
    "REFERENCE_GRAPH",
    "document_iri",
    "document_triples",
    "reference_triples",
    "build_dataset",
    "named_graphs",
    "concept_key",
]

REFERENCE_GRAPH = mint("graph", "reference")

Triple = tuple[URIRef, URIRef, URIRef | Literal]

_CONCEPT_SCHEMES = {
    "method": PKG.MethodScheme,
    "datasource": PKG.DataSourceScheme,
    "theme": PKG.ThemeScheme,
    "handover": PKG.HandoverOutcomeScheme,
}


def document_iri(path: str) -> URIRef:
    """The IRI of the document read from ``path`` (a path relative to its source)."""
    return mint("doc", path)


def concept_key(label: str) -> str:
    """The key of a free-tag concept: case, accents and spacing folded."""
    return fold(label).strip(" .") or label


def named_graphs(
    extractions: list[Extraction], resolution: Resolution, pseudonymiser: Pseudonymiser
) -> dict[URIRef, list[Triple]]:
    """Graph IRI -> triples: one graph per form plus the reference graph."""
    graphs = {
        document_iri(doc.path): list(document_triples(doc, resolution, pseudonymiser))
        for doc in sorted(extractions, key=lambda d: d.path)
    }
    graphs[REFERENCE_GRAPH] = list(reference_triples(extractions, resolution))
    return graphs


def build_dataset(
    extractions: list[Extraction], resolution: Resolution, pseudonymiser: Pseudonymiser
) -> Dataset:
    """The same graphs as :func:`named_graphs`, as an rdflib Dataset (the Python API)."""
    dataset = Dataset()
    for prefix, namespace in PREFIXES.items():
        dataset.bind(prefix, namespace)
    for iri, triples in named_graphs(extractions, resolution, pseudonymiser).items():
        graph = dataset.graph(iri)
        for triple in triples:
            graph.add(triple)
    return dataset


def document_triples(doc: Extraction, resolution: Resolution, privacy: Pseudonymiser) -> Iterator[Triple]:
    """Every triple of one form's named graph."""
    iri = document_iri(doc.path)
    yield from _document_node(iri, doc, privacy)
    yield from _tag_links(iri, doc)
    yield from _actions(iri, doc)
    yield from _partnerships(iri, doc, resolution)
    yield from _mentions(iri, doc, resolution)
    yield from _insights(iri, doc)
    yield from _items(iri, doc, privacy)


def reference_triples(extractions: list[Extraction], resolution: Resolution) -> Iterator[Triple]:
    """The shared nodes: countries, concepts, sectors and organisations."""
    yield from _countries(extractions)
    yield from _concepts(extractions)
    yield from _sectors()
    yield from _organisations(resolution)


def _document_node(iri: URIRef, doc: Extraction, privacy: Pseudonymiser) -> Iterator[Triple]:
    yield iri, RDF.type, PKG[doc.doc_type]
    yield iri, RDF.type, PROV.Entity
    yield iri, DCTERMS.title, Literal(doc.title)
    yield iri, DCTERMS.source, Literal(doc.path)
    yield iri, PKG.templateFamily, Literal(doc.family)
    if doc.sha256:
        yield iri, PKG.sha256, Literal(doc.sha256)
    if doc.year is not None:
        yield iri, PKG.year, Literal(f"{doc.year:04d}", datatype=XSD.gYear)
    if doc.focal_point:
        yield iri, PKG.focalPoint, Literal(privacy.person(doc.focal_point))


def _tag_links(iri: URIRef, doc: Extraction) -> Iterator[Triple]:
    for country in doc.countries:
        if country.iso3:
            yield iri, DCTERMS.spatial, mint("country", country.iso3)
        else:
            yield iri, PKG.countryName, Literal(country.name)
    for index, point in enumerate(doc.locations):
        node = mint("location", doc.path, index)
        yield iri, PKG.location, node
        yield node, RDF.type, GEO.Point
        yield node, GEO.lat, Literal(point.lat, datatype=XSD.decimal)
        yield node, GEO.long, Literal(point.lng, datatype=XSD.decimal)
        if point.country_iso3:
            yield node, PKG.country, mint("country", point.country_iso3)
    for kind, predicate, values in (
        ("method", PKG.method, doc.methods),
        ("datasource", PKG.dataSource, doc.datasources),
        ("theme", PKG.theme, doc.themes),
        ("handover", PKG.handoverOutcome, doc.handover),
    ):
        for label, _line in values:
            yield iri, predicate, mint(kind, concept_key(label))
    for number, _line in doc.sdgs:
        yield iri, PKG.sdg, sdg_iri(number)
    for index, (key, value, _line) in enumerate(doc.metafields):
        node = mint("metafield", doc.path, index)
        yield iri, PKG.metafield, node
        yield node, RDF.type, PKG.Metafield
        yield node, PKG.key, Literal(key)
        yield node, RDF.value, Literal(value)


def _actions(iri: URIRef, doc: Extraction) -> Iterator[Triple]:
    for action in doc.actions:
        node = mint("action", doc.path, action.number)
        yield iri, PKG.hasAction, node
        yield node, RDF.type, PKG.Action
        yield node, PKG.document, iri
        yield node, PKG.actionNumber, Literal(action.number)
        yield node, RDFS.label, Literal(action.name)
        yield node, PKG.line, Literal(action.line)
        for alias in action.aliases:
            yield node, SKOS.altLabel, Literal(alias)


def _partnerships(iri: URIRef, doc: Extraction, resolution: Resolution) -> Iterator[Triple]:
    actions = {a.number for a in doc.actions}
    for index, fact in enumerate(doc.partnerships):
        node = mint("partnership", doc.path, index)
        yield iri, PKG.hasPartnership, node
        yield node, RDF.type, PKG.Partnership
        yield node, PKG.document, iri
        yield node, PKG.partner, mint("org", resolution.key_of(doc.path, index))
        yield node, PKG.partnerName, Literal(fact.name)
        yield node, PKG.surfaceForm, Literal(fact.surface or fact.name)
        yield node, PKG.sector, mint("sector", fact.sector)
        yield node, PKG.sectorSource, Literal(fact.sector_source)
        yield node, PKG.line, Literal(fact.line)
        yield node, PKG.evidenceQuestion, Literal(fact.question)
        yield node, PKG.order, Literal(index + 1)
        if fact.action is not None and fact.action in actions:
            yield node, PKG.action, mint("action", doc.path, fact.action)
        if fact.role:
            yield node, PKG.role, Literal(fact.role)
        if fact.acronym:
            yield node, PKG.acronym, Literal(fact.acronym)
        if fact.description:
            yield node, RDFS.comment, Literal(fact.description)
        if fact.unusual is not None:
            yield node, PKG.unusual, Literal(fact.unusual)


def _mentions(iri: URIRef, doc: Extraction, resolution: Resolution) -> Iterator[Triple]:
    for index, mention in enumerate(doc.mentions):
        key = resolution.mention_key_of(doc.path, index)
        if key is None:
            continue
        node = mint("mention", doc.path, index)
        yield iri, PKG.mentions, node
        yield node, RDF.type, PKG.Mention
        yield node, PKG.document, iri
        yield node, PKG.organization, mint("org", key)
        yield node, PKG.surfaceForm, Literal(mention.name)
        yield node, PKG.line, Literal(mention.line)
        yield node, PKG.evidenceQuestion, Literal(mention.question)
        yield node, PKG.foundBy, Literal(mention.source)


def _insights(iri: URIRef, doc: Extraction) -> Iterator[Triple]:
    for insight in doc.insights:
        node = mint("insight", doc.path, insight.rank)
        yield iri, PKG.keyInsight, node
        yield node, RDF.type, PKG.KeyInsight
        yield node, PKG.document, iri
        yield node, PKG.rank, Literal(insight.rank)
        yield node, RDF.value, Literal(insight.text)
        yield node, PKG.line, Literal(insight.line)


def _items(iri: URIRef, doc: Extraction, privacy: Pseudonymiser) -> Iterator[Triple]:
    known = privacy.personal_values(doc.items)
    for index, item in enumerate(doc.items):
        node = mint("item", doc.path, index)
        yield iri, PKG.hasItem, node
        yield node, RDF.type, PKG.QuestionAnswer
        yield node, PKG.document, iri
        yield node, PKG.order, Literal(index + 1)
        yield node, PKG.line, Literal(item.line)
        yield node, PKG.question, Literal(item.question)
        section = doc.sections[item.section] if item.section < len(doc.sections) else ""
        if section:
            yield node, PKG.section, Literal(section)
        if item.group is not None:
            yield node, PKG.group, Literal(item.group)
            yield node, PKG.repeat, Literal(item.repeat)
        text = item.text
        if text:
            yield node, PKG.answer, Literal(privacy.answer(item.question, text, known))
        for option in item.options:
            yield node, PKG.option, Literal(privacy.answer(item.question, option, known))
        for url in item.urls:
            yield node, PKG.link, Literal(privacy.text(url), datatype=XSD.anyURI)


def _countries(extractions: list[Extraction]) -> Iterator[Triple]:
    seen: dict[str, str] = {}
    for doc in extractions:
        for country in doc.countries:
            if country.iso3:
                seen.setdefault(country.iso3, country.label)
    for iso3 in sorted(seen):
        node = mint("country", iso3)
        yield node, RDF.type, PKG.Country
        yield node, SKOS.notation, Literal(iso3)
        yield node, RDFS.label, Literal(seen[iso3], lang="en")


def _concepts(extractions: list[Extraction]) -> Iterator[Triple]:
    labels: dict[tuple[str, str], Counter] = defaultdict(Counter)
    for doc in extractions:
        for kind, values in (
            ("method", doc.methods),
            ("datasource", doc.datasources),
            ("theme", doc.themes),
            ("handover", doc.handover),
        ):
            for label, _line in values:
                labels[(kind, concept_key(label))][label] += 1
    for (kind, key), counter in sorted(labels.items()):
        node = mint(kind, key)
        best = min(counter.items(), key=lambda kv: (-kv[1], kv[0]))[0]
        yield node, RDF.type, SKOS.Concept
        yield node, SKOS.inScheme, _CONCEPT_SCHEMES[kind]
        yield node, SKOS.prefLabel, Literal(best)
        for other in sorted(counter):
            if other != best:
                yield node, SKOS.altLabel, Literal(other)


def _sectors() -> Iterator[Triple]:
    for sector, label in sorted(sector_labels().items()):
        node = mint("sector", sector)
        yield node, RDF.type, SKOS.Concept
        yield node, SKOS.inScheme, PKG.SectorScheme
        yield node, SKOS.notation, Literal(sector)
        yield node, SKOS.prefLabel, Literal(label, lang="en")


def _organisations(resolution: Resolution) -> Iterator[Triple]:
    for key in sorted(resolution.organisations):
        org = resolution.organisations[key]
        node = mint("org", key)
        yield node, RDF.type, ORG.Organization
        yield node, SKOS.prefLabel, Literal(org.label)
        yield node, PKG.sector, mint("sector", org.sector)
        yield node, PKG.resolutionRule, Literal(org.rule)
        if org.scope:
            yield node, PKG.scopeCountry, mint("country", org.scope)
        if org.wikidata:
            yield node, OWL.sameAs, WD[org.wikidata]
        for surface in org.surface_forms:
            yield node, PKG.surfaceForm, Literal(surface)
            if surface != org.label:
                yield node, SKOS.altLabel, Literal(surface)
        for acronym in org.acronyms:
            yield node, SKOS.altLabel, Literal(acronym)
        for merge in org.merges:
            record = mint("merge", key, merge.surface)
            yield node, PKG.resolvedFrom, record
            yield record, RDF.type, PKG.MergeRecord
            yield record, PKG.surfaceForm, Literal(merge.surface)
            yield record, PKG.rule, Literal(merge.rule)
            yield record, PKG.score, Literal(f"{merge.score:.1f}", datatype=XSD.decimal)

