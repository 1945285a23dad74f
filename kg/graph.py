"""Write extractions and resolved organisations as RDF.

Each form becomes one named graph whose IRI is the document's IRI; shared
nodes (countries, concepts, organisations) go to one reference graph. Every
question and answer of a form is kept as a ``pkg:QuestionAnswer`` node, so
nothing in a form is lost. All IRIs come from :func:`kg.namespaces.mint`;
personal data passes through :class:`kg.privacy.Pseudonymiser` first.

The same triples come two ways: as rdflib terms (:func:`named_graphs`,
:func:`build_dataset`: the Python API) and, for the build, as sorted pyoxigraph
quads per graph (:func:`document_parts`, :func:`reference_part`), made without
rdflib terms (an rdflib ``Literal`` costs ten times a pyoxigraph one) and
pseudonymised by the same :meth:`Pseudonymiser.scrub_graphs`, one term at a time.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import partial
from itertools import chain
from typing import Protocol, TypeAlias, TypeVar

import pyoxigraph as ox
from rdflib import Dataset, Literal, URIRef

from kg import namespaces as ns
from kg.extract import Extraction
from kg.links import Link
from kg.namespaces import PREFIXES, mint, sdg_iri
from kg.privacy import Protection, Pseudonymiser
from kg.resolve import Organisation, Resolution
from kg.vocab import fold, sector_labels

__all__ = [
    "REFERENCE_GRAPH",
    "GraphPart",
    "document_iri",
    "document_triples",
    "reference_triples",
    "build_dataset",
    "named_graphs",
    "document_parts",
    "reference_part",
    "reference_inputs",
    "concept_key",
]

REFERENCE_GRAPH = mint("graph", "reference")

_L = TypeVar("_L")

LiteralFactory: TypeAlias = Callable[..., _L]
"""Makes a literal as ``rdflib.Literal(value, lang=..., datatype=...)`` would: an rdflib one or a light one."""
TermTriple: TypeAlias = tuple[URIRef, URIRef, URIRef | _L]
"""A triple of rdflib IRIs whose object is an IRI or a literal of the factory's kind."""
Triple: TypeAlias = TermTriple[Literal]
_LightLiteral: TypeAlias = tuple[str, str, str]
"""A literal as ``(lexical form, datatype IRI or '', language or '')``, the lexical form rdflib's."""
_PlainTriple: TypeAlias = tuple[str, str, str | _LightLiteral]
"""A triple with its IRIs as ``str`` and its literal light."""
QuadKey: TypeAlias = tuple[str, str, str, str]
"""A quad's terms as ``str`` gives them, ``(s, p, o, g)``."""

_SCRUB_BATCH = 256


class _MakeUnit(Protocol):
    """Gives the triples of a unit of the reference graph, with the literals ``lit`` makes."""

    def __call__(self, lit: LiteralFactory[_L], /) -> Iterator[TermTriple[_L]]: ...


_Unit: TypeAlias = tuple[tuple, _MakeUnit]
"""A unit of the reference graph: a key of all it reads, and what makes its triples."""


class _Terms:
    """A namespace whose terms are made once: rdflib makes a new URIRef at every attribute access."""

    def __init__(self, namespace) -> None:
        self._namespace = namespace
        self._items: dict[str, URIRef] = {}

    def __getattr__(self, name: str) -> URIRef:
        if name.startswith("__"):
            raise AttributeError(name)
        term = getattr(self._namespace, name)
        setattr(self, name, term)
        return term

    def __getitem__(self, name: str) -> URIRef:
        term = self._items.get(name)
        if term is None:
            term = self._items[name] = self._namespace[name]
        return term


DCTERMS, GEO, ORG, OWL, PKG, PROV, RDF, RDFS, SKOS, WD, XSD = (
    _Terms(n) for n in (ns.DCTERMS, ns.GEO, ns.ORG, ns.OWL, ns.PKG, ns.PROV, ns.RDF, ns.RDFS, ns.SKOS, ns.WD, ns.XSD)
)

_CONCEPT_SCHEMES = {
    "method": PKG.MethodScheme,
    "datasource": PKG.DataSourceScheme,
    "theme": PKG.ThemeScheme,
    "handover": PKG.HandoverOutcomeScheme,
}


@dataclass
class GraphPart:
    """One named graph as pyoxigraph quads, unique and sorted as ``str(quad)`` sorts.

    ``keys`` are the quads' terms as ``str`` gives them, ``(s, p, o, g)``:
    tuples sort as the joined strings do, since no term's text is a prefix of
    another's but where a literal's tag or type follows (after which a space sorts first).
    """

    graph: str
    quads: list[ox.Quad]
    keys: list[QuadKey]


def document_iri(path: str) -> URIRef:
    """The IRI of the document read from ``path`` (a path relative to its source)."""
    return mint("doc", path)


def concept_key(label: str) -> str:
    """The key of a free-tag concept: case, accents and spacing folded."""
    return fold(label).strip(" .") or label


def named_graphs(
    extractions: list[Extraction],
    resolution: Resolution,
    pseudonymiser: Pseudonymiser,
    links: Mapping[str, Link] | None = None,
) -> dict[URIRef, list[Triple]]:
    """Graph IRI -> triples: one graph per form plus the reference graph.

    ``links`` (closing form path -> :class:`kg.links.Link`) go into the closing forms' graphs.
    """
    links = links or {}
    graphs = {
        document_iri(doc.path): list(document_triples(doc, resolution, pseudonymiser, links.get(doc.path)))
        for doc in sorted(extractions, key=lambda d: d.path)
    }
    graphs[REFERENCE_GRAPH] = list(reference_triples(extractions, resolution))
    return graphs


def build_dataset(
    extractions: list[Extraction],
    resolution: Resolution,
    pseudonymiser: Pseudonymiser,
    protection: Protection | None = None,
    links: Mapping[str, Link] | None = None,
) -> Dataset:
    """The same graphs as :func:`named_graphs`, scrubbed as ``kg build`` scrubs them, as an rdflib Dataset.

    This is the Python API's graph, so it gets the build's privacy pass too:
    each form's personal values (``protection.known``) and the people's names
    hunted in every form (``protection.names``) are pseudonymised in every
    literal and minted IRI. Pass the :class:`~kg.privacy.Protection` that
    :meth:`Pseudonymiser.protect` returned for these extractions (called
    before resolution); without one, each form's own personal values are
    found here, no names are hunted across forms and file names are kept
    (``protect`` renames paths, so it must run before resolution).
    """
    if protection is None:
        protection = Protection({doc.path: pseudonymiser.known_values(doc) for doc in extractions}, ())
    known = {document_iri(path): values for path, values in protection.known.items()}
    graphs = named_graphs(extractions, resolution, pseudonymiser, links)
    graphs = pseudonymiser.scrub_graphs(graphs, known, protection.names)
    dataset = Dataset()
    for prefix, namespace in PREFIXES.items():
        dataset.bind(prefix, namespace)
    for iri, triples in graphs.items():
        graph = dataset.graph(iri)
        for triple in triples:
            graph.add(triple)
    return dataset


def document_triples(
    doc: Extraction, resolution: Resolution, privacy: Pseudonymiser, link: Link | None = None
) -> Iterator[Triple]:
    """Every triple of one form's named graph (with the plan it closes, if ``link`` says)."""
    return _document_triples(doc, resolution, privacy, Literal, link)


def reference_triples(extractions: list[Extraction], resolution: Resolution) -> Iterator[Triple]:
    """The shared nodes: countries, concepts, sectors and organisations."""
    return _reference_triples(extractions, resolution, Literal)


def document_parts(
    extractions: Iterable[Extraction],
    resolution: Resolution,
    privacy: Pseudonymiser,
    known: Mapping[URIRef, tuple[str, ...]],
    names: tuple[str, ...] = (),
    links: Mapping[str, Link] | None = None,
) -> Iterator[GraphPart]:
    """Each form's named graph, scrubbed as ``privacy.scrub_graphs(named_graphs(...), known, names)`` scrubs it.

    Gives, graph by graph and in the order of ``extractions``, the quads that
    :func:`kg.store.to_ox_quads` makes of the scrubbed :func:`named_graphs`.
    """
    maker = _QuadMaker()
    links = links or {}
    batch: list[tuple[str, list[_PlainTriple]]] = []
    for doc in extractions:
        triples = _document_triples(doc, resolution, privacy, maker.literal, links.get(doc.path))
        batch.append((str(document_iri(doc.path)), _plain(triples)))
        if len(batch) == _SCRUB_BATCH:
            yield from maker.parts(batch, privacy, known, names)
            batch = []
    yield from maker.parts(batch, privacy, known, names)


def reference_part(
    extractions: list[Extraction],
    resolution: Resolution,
    privacy: Pseudonymiser,
    names: tuple[str, ...] = (),
    made: Mapping[tuple, list[QuadKey]] | None = None,
) -> tuple[list[QuadKey], dict[tuple, list[QuadKey]]]:
    """The reference graph's quads as keys (see :class:`GraphPart`), scrubbed as :func:`document_parts` scrubs a form's.

    Also returns each unit's keys, by the unit's key: a unit (a country, a
    concept, the sectors, an organisation) is made from what its key holds
    alone, and scrubbing takes one term at a time, so the units found in
    ``made`` (an earlier call's, with the same ``privacy`` and ``names``)
    are taken from there: a new partner makes one organisation again.
    """
    maker = _QuadMaker()
    units = _reference_units(extractions, resolution)
    made = made or {}
    todo = [(key, _plain(make(maker.literal))) for key, make in units if key not in made]
    found: dict[tuple, list[QuadKey]] = {}
    if todo:
        graph = str(REFERENCE_GRAPH)
        [(iris, literals)] = maker._scrubbed(
            [(graph, [t for _key, triples in todo for t in triples])], privacy, {}, names
        )
        for key, triples in todo:
            found[key] = maker._part(iris.get(graph, graph), triples, iris, literals).keys
    keys = {key: found[key] if key in found else made[key] for key, _make in units}
    return sorted(set(chain.from_iterable(keys.values()))), keys


def _document_triples(
    doc: Extraction, resolution: Resolution, privacy: Pseudonymiser, lit: LiteralFactory[_L], link: Link | None = None
) -> Iterator[TermTriple[_L]]:
    iri = document_iri(doc.path)
    yield from _document_node(iri, doc, privacy, lit)
    if link is not None:
        yield from _closes(iri, link, lit)
    yield from _tag_links(iri, doc, lit)
    yield from _actions(iri, doc, lit)
    yield from _partnerships(iri, doc, resolution, lit)
    yield from _mentions(iri, doc, resolution, lit)
    yield from _insights(iri, doc, lit)
    yield from _items(iri, doc, privacy, lit)


def reference_inputs(extractions: list[Extraction]) -> list[tuple]:
    """All that the reference graph reads of ``extractions`` (besides the resolution), form by form.

    Each form gives its countries as ``(ISO3, label)`` and the labels of its
    methods, data sources, themes and handover outcomes. A build keeps the
    last reference graph while the digest of these (and of the resolution
    and the names pseudonymised) is unchanged.
    """
    return [
        (
            tuple((country.iso3, country.label) for country in doc.countries if country.iso3),
            *(
                tuple(label for label, _line in values)
                for values in (doc.methods, doc.datasources, doc.themes, doc.handover)
            ),
        )
        for doc in extractions
    ]


def _reference_triples(
    extractions: list[Extraction], resolution: Resolution, lit: LiteralFactory[_L]
) -> Iterator[TermTriple[_L]]:
    for _key, make in _reference_units(extractions, resolution):
        yield from make(lit)


def _reference_units(extractions: list[Extraction], resolution: Resolution) -> list[_Unit]:
    """The reference graph as units: ``(a key of all it reads, a function of a literal factory giving its triples)``.

    Countries, concepts, the sectors and organisations, in that order.
    """
    inputs = reference_inputs(extractions)
    countries: dict[str, str] = {}
    for found, *_concepts in inputs:
        for iso3, label in found:
            countries.setdefault(iso3, label)
    units: list[_Unit] = [
        (("country", iso3, countries[iso3]), partial(_country, iso3, countries[iso3])) for iso3 in sorted(countries)
    ]
    labels: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for _countries, *concepts in inputs:
        for kind, values in zip(("method", "datasource", "theme", "handover"), concepts, strict=True):
            for label in values:
                labels[(kind, concept_key(label))][label] += 1
    for (kind, key), counter in sorted(labels.items()):
        best = min(counter.items(), key=lambda kv: (-kv[1], kv[0]))[0]
        others = tuple(other for other in sorted(counter) if other != best)
        units.append((("concept", kind, key, best, others), partial(_concept, kind, key, best, others)))
    sectors = tuple(sorted(sector_labels().items()))
    units.append((("sectors", sectors), partial(_sectors, sectors)))
    for key in sorted(resolution.organisations):
        org = resolution.organisations[key]
        units.append((("org", key, repr(org)), partial(_organisation, key, org)))
    return units


def _document_node(
    iri: URIRef, doc: Extraction, privacy: Pseudonymiser, lit: LiteralFactory[_L]
) -> Iterator[TermTriple[_L]]:
    yield iri, RDF.type, PKG[doc.doc_type]
    yield iri, RDF.type, PROV.Entity
    yield iri, DCTERMS.title, lit(doc.title)
    yield iri, DCTERMS.source, lit(doc.path)
    yield iri, PKG.templateFamily, lit(doc.family)
    if doc.sha256:
        yield iri, PKG.sha256, lit(doc.sha256)
    if doc.year is not None:
        yield iri, PKG.year, lit(f"{doc.year:04d}", datatype=XSD.gYear)
    if doc.focal_point:
        yield iri, PKG.focalPoint, lit(privacy.person(doc.focal_point))


def _closes(iri: URIRef, link: Link, lit: LiteralFactory[_L]) -> Iterator[TermTriple[_L]]:
    """The plan a closing form closes, and the qualified influence that says how sure and why (PROV-O)."""
    plan = document_iri(link.plan)
    node = mint("link", link.closing)
    yield iri, PKG.closes, plan
    yield iri, PROV.qualifiedInfluence, node
    yield node, RDF.type, PKG.ClosingLink
    yield node, PROV.influencer, plan
    yield node, PKG.confidence, lit(f"{link.confidence:.4f}", datatype=XSD.decimal)
    evidence = "; ".join(f"{name} {value:.2f}" for name, value in link.evidence if value)
    yield node, PKG.evidence, lit(evidence or "none")


def _tag_links(iri: URIRef, doc: Extraction, lit: LiteralFactory[_L]) -> Iterator[TermTriple[_L]]:
    for country in doc.countries:
        if country.iso3:
            yield iri, DCTERMS.spatial, mint("country", country.iso3)
        else:
            yield iri, PKG.countryName, lit(country.name)
    for index, point in enumerate(doc.locations):
        node = mint("location", doc.path, index)
        yield iri, PKG.location, node
        yield node, RDF.type, GEO.Point
        yield node, GEO.lat, lit(point.lat, datatype=XSD.decimal)
        yield node, GEO.long, lit(point.lng, datatype=XSD.decimal)
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
        yield node, PKG.key, lit(key)
        yield node, RDF.value, lit(value)


def _actions(iri: URIRef, doc: Extraction, lit: LiteralFactory[_L]) -> Iterator[TermTriple[_L]]:
    for action in doc.actions:
        node = mint("action", doc.path, action.number)
        yield iri, PKG.hasAction, node
        yield node, RDF.type, PKG.Action
        yield node, PKG.document, iri
        yield node, PKG.actionNumber, lit(action.number)
        yield node, RDFS.label, lit(action.name)
        yield node, PKG.line, lit(action.line)
        for alias in action.aliases:
            yield node, SKOS.altLabel, lit(alias)


def _partnerships(
    iri: URIRef, doc: Extraction, resolution: Resolution, lit: LiteralFactory[_L]
) -> Iterator[TermTriple[_L]]:
    actions = {a.number for a in doc.actions}
    years = doc.years
    span = () if years is None else tuple(lit(f"{year:04d}", datatype=XSD.gYear) for year in years)
    for index, fact in enumerate(doc.partnerships):
        node = mint("partnership", doc.path, index)
        yield iri, PKG.hasPartnership, node
        yield node, RDF.type, PKG.Partnership
        yield node, PKG.document, iri
        yield node, PKG.partner, mint("org", resolution.key_of(doc.path, index))
        yield node, PKG.partnerName, lit(fact.name)
        yield node, PKG.surfaceForm, lit(fact.surface or fact.name)
        yield node, PKG.sector, mint("sector", fact.sector)
        yield node, PKG.sectorSource, lit(fact.sector_source)
        yield node, PKG.line, lit(fact.line)
        yield node, PKG.evidenceQuestion, lit(fact.question)
        yield node, PKG.order, lit(index + 1)
        if span:
            yield node, PKG.fromYear, span[0]
            yield node, PKG.toYear, span[1]
        if fact.action is not None and fact.action in actions:
            yield node, PKG.action, mint("action", doc.path, fact.action)
        if fact.role:
            yield node, PKG.role, lit(fact.role)
        if fact.acronym:
            yield node, PKG.acronym, lit(fact.acronym)
        if fact.description:
            yield node, RDFS.comment, lit(fact.description)
        if fact.unusual is not None:
            yield node, PKG.unusual, lit(fact.unusual)


def _mentions(
    iri: URIRef, doc: Extraction, resolution: Resolution, lit: LiteralFactory[_L]
) -> Iterator[TermTriple[_L]]:
    for index, mention in enumerate(doc.mentions):
        key = resolution.mention_key_of(doc.path, index)
        if key is None:
            continue
        node = mint("mention", doc.path, index)
        yield iri, PKG.mentions, node
        yield node, RDF.type, PKG.Mention
        yield node, PKG.document, iri
        yield node, PKG.organization, mint("org", key)
        yield node, PKG.surfaceForm, lit(mention.name)
        yield node, PKG.line, lit(mention.line)
        yield node, PKG.evidenceQuestion, lit(mention.question)
        yield node, PKG.foundBy, lit(mention.source)


def _insights(iri: URIRef, doc: Extraction, lit: LiteralFactory[_L]) -> Iterator[TermTriple[_L]]:
    for insight in doc.insights:
        node = mint("insight", doc.path, insight.rank)
        yield iri, PKG.keyInsight, node
        yield node, RDF.type, PKG.KeyInsight
        yield node, PKG.document, iri
        yield node, PKG.rank, lit(insight.rank)
        yield node, RDF.value, lit(insight.text)
        yield node, PKG.line, lit(insight.line)


def _items(iri: URIRef, doc: Extraction, privacy: Pseudonymiser, lit: LiteralFactory[_L]) -> Iterator[TermTriple[_L]]:
    known = privacy.personal_values(doc.items)  # the people kg.people finds are replaced by scrub_graphs
    for index, item in enumerate(doc.items):
        node = mint("item", doc.path, index)
        yield iri, PKG.hasItem, node
        yield node, RDF.type, PKG.QuestionAnswer
        yield node, PKG.document, iri
        yield node, PKG.order, lit(index + 1)
        yield node, PKG.line, lit(item.line)
        yield node, PKG.question, lit(item.question)
        section = doc.sections[item.section] if item.section < len(doc.sections) else ""
        if section:
            yield node, PKG.section, lit(section)
        if item.group is not None:
            yield node, PKG.group, lit(item.group)
            yield node, PKG.repeat, lit(item.repeat)
        text = item.text
        if text:
            yield node, PKG.answer, lit(privacy.answer(item.question, text, known))
        for option in item.options:
            yield node, PKG.option, lit(privacy.answer(item.question, option, known))
        for url in item.urls:
            yield node, PKG.link, lit(privacy.text(url), datatype=XSD.anyURI)


def _country(iso3: str, label: str, lit: LiteralFactory[_L]) -> Iterator[TermTriple[_L]]:
    node = mint("country", iso3)
    yield node, RDF.type, PKG.Country
    yield node, SKOS.notation, lit(iso3)
    yield node, RDFS.label, lit(label, lang="en")


def _concept(
    kind: str, key: str, best: str, others: tuple[str, ...], lit: LiteralFactory[_L]
) -> Iterator[TermTriple[_L]]:
    node = mint(kind, key)
    yield node, RDF.type, SKOS.Concept
    yield node, SKOS.inScheme, _CONCEPT_SCHEMES[kind]
    yield node, SKOS.prefLabel, lit(best)
    for other in others:
        yield node, SKOS.altLabel, lit(other)


def _sectors(sectors: tuple[tuple[str, str], ...], lit: LiteralFactory[_L]) -> Iterator[TermTriple[_L]]:
    for sector, label in sectors:
        node = mint("sector", sector)
        yield node, RDF.type, SKOS.Concept
        yield node, SKOS.inScheme, PKG.SectorScheme
        yield node, SKOS.notation, lit(sector)
        yield node, SKOS.prefLabel, lit(label, lang="en")


def _organisation(key: str, org: Organisation, lit: LiteralFactory[_L]) -> Iterator[TermTriple[_L]]:
    node = mint("org", key)
    yield node, RDF.type, ORG.Organization
    yield node, SKOS.prefLabel, lit(org.label)
    yield node, PKG.sector, mint("sector", org.sector)
    yield node, PKG.resolutionRule, lit(org.rule)
    if org.scope:
        yield node, PKG.scopeCountry, mint("country", org.scope)
    if org.wikidata:
        yield node, OWL.sameAs, WD[org.wikidata]
    for surface in org.surface_forms:
        yield node, PKG.surfaceForm, lit(surface)
        if surface != org.label:
            yield node, SKOS.altLabel, lit(surface)
    for acronym in org.acronyms:
        yield node, SKOS.altLabel, lit(acronym)
    for merge in org.merges:
        record = mint("merge", key, merge.surface)
        yield node, PKG.resolvedFrom, record
        yield record, RDF.type, PKG.MergeRecord
        yield record, PKG.surfaceForm, lit(merge.surface)
        yield record, PKG.rule, lit(merge.rule)
        yield record, PKG.score, lit(f"{merge.score:.1f}", datatype=XSD.decimal)


_TEXT_TYPES = ("", str(ns.XSD.string), str(ns.XSD.anyURI))
_PLACEHOLDER = URIRef(str(ns.ID) + "graph/x")


class _QuadMaker:
    """Light terms -> scrubbed, unique, sorted pyoxigraph quads, each term converted once.

    A light literal is ``(lexical form, datatype IRI or '', language or '')``
    with rdflib's lexical form; a light IRI is the IRI's ``str``.
    """

    def __init__(self) -> None:
        self.typed: dict[tuple[type, str, str | None, URIRef | None], _LightLiteral] = {}
        self.iris: dict[str, tuple[ox.NamedNode, str]] = {}

    def literal(self, value: object, lang: str | None = None, datatype: URIRef | None = None) -> _LightLiteral:
        """The light literal ``rdflib.Literal(value, lang, datatype)`` stands for."""
        if lang is None and datatype is None and type(value) is str:
            return value, "", ""
        key = (type(value), value if type(value) is str else repr(value), lang, datatype)
        found = self.typed.get(key)
        if found is None:
            term = Literal(value, lang=lang, datatype=datatype)
            found = self.typed[key] = (str(term), str(term.datatype or ""), term.language or "")
        return found

    def parts(
        self,
        batch: list[tuple[str, list[_PlainTriple]]],
        privacy: Pseudonymiser,
        known: Mapping[URIRef, tuple[str, ...]],
        names: tuple[str, ...],
    ) -> Iterator[GraphPart]:
        """Scrub a batch of graphs in one :meth:`Pseudonymiser.scrub_graphs` call and make their parts."""
        if not batch:
            return
        for graph, (iris, literals) in zip(batch, self._scrubbed(batch, privacy, known, names), strict=True):
            yield self._part(iris.get(graph[0], graph[0]), graph[1], iris, literals)

    def _scrubbed(
        self,
        batch: list[tuple[str, list[_PlainTriple]]],
        privacy: Pseudonymiser,
        known: Mapping[URIRef, tuple[str, ...]],
        names: tuple[str, ...],
    ) -> list[tuple[dict[str, str], dict[_LightLiteral, _LightLiteral]]]:
        """Per graph: IRI -> scrubbed IRI and light literal -> scrubbed light literal (only those that change)."""
        terms: list[tuple[list[str], list[_LightLiteral]]] = []
        for graph, triples in batch:
            seen_iris: dict[str, None] = {graph: None}
            seen_literals: dict[_LightLiteral, None] = {}
            for s, _p, o in triples:
                seen_iris[s] = None
                if isinstance(o, tuple):
                    if o[1] in _TEXT_TYPES or o[2]:
                        seen_literals[o] = None
                else:
                    seen_iris[o] = None
            terms.append((list(seen_iris), list(seen_literals)))
        mini = {  # one triple per term: an IRI as subject, a literal as object
            URIRef(graph): [(URIRef(iri), RDF.value, _PLACEHOLDER) for iri in iris]
            + [(_PLACEHOLDER, RDF.value, Literal(lex, lang=la or None, datatype=dt or None)) for lex, dt, la in lits]
            for (graph, _), (iris, lits) in zip(batch, terms, strict=True)
        }
        scrubbed = privacy.scrub_graphs(mini, known, names)
        if len(scrubbed) != len(mini):  # two graph IRIs scrubbed to one: scrub them apart
            return [r for graph in batch for r in self._scrubbed([graph], privacy, known, names)]
        result: list[tuple[dict[str, str], dict[_LightLiteral, _LightLiteral]]] = []
        for (iris, lits), (new_graph, new_triples) in zip(terms, scrubbed.items(), strict=True):
            named = zip(iris, new_triples[: len(iris)], strict=True)
            iri_map = {old: str(new[0]) for old, new in named if str(new[0]) != old}
            if str(new_graph) != iris[0]:
                iri_map[iris[0]] = str(new_graph)
            lit_map: dict[_LightLiteral, _LightLiteral] = {}
            for old, (_s, _p, new) in zip(lits, new_triples[len(iris) :], strict=True):
                light = (str(new), str(new.datatype or ""), new.language or "")
                if light != old:
                    lit_map[old] = light
            result.append((iri_map, lit_map))
        return result

    def _part(
        self,
        graph: str,
        triples: list[_PlainTriple],
        iris: dict[str, str],
        literals: dict[_LightLiteral, _LightLiteral],
    ) -> GraphPart:
        graph_node, graph_key = self._iri(graph)
        own: dict[_LightLiteral, tuple[ox.Literal, str]] = {}
        found: dict[QuadKey, tuple[ox.NamedNode, ox.NamedNode, ox.NamedNode | ox.Literal]] = {}
        for s, p, o in triples:
            s_node, s_key = self._iri(iris.get(s, s))
            p_node, p_key = self._iri(p)
            o_node: ox.NamedNode | ox.Literal
            if isinstance(o, tuple):
                o = literals.get(o, o)
                converted = own.get(o)
                if converted is None:
                    converted = own[o] = _ox_literal(o)
                o_node, o_key = converted
            else:
                o_node, o_key = self._iri(iris.get(o, o))
            key = (s_key, p_key, o_key, graph_key)
            if key not in found:
                found[key] = (s_node, p_node, o_node)
        keys = sorted(found)
        return GraphPart(graph, [ox.Quad(*found[key], graph_node) for key in keys], keys)

    def _iri(self, iri: str) -> tuple[ox.NamedNode, str]:
        found = self.iris.get(iri)
        if found is None:
            node = ox.NamedNode(iri)
            found = self.iris[iri] = (node, str(node))
        return found


def _plain(triples: Iterable[TermTriple[_LightLiteral]]) -> list[_PlainTriple]:
    """Triples with plain ``str`` IRIs (a URIRef never equals a str, and hashes slowly)."""
    return [(str(s), str(p), o if type(o) is tuple else str(o)) for s, p, o in triples]


def _ox_literal(light: _LightLiteral) -> tuple[ox.Literal, str]:
    lexical, datatype, language = light
    if language:
        term = ox.Literal(lexical, language=language)
    elif datatype:
        term = ox.Literal(lexical, datatype=ox.NamedNode(datatype))
    else:
        term = ox.Literal(lexical)
    return term, str(term)
