"""The in-memory store of what the analytics and the report can read, and the digest of it.

Their queries (the files of ``kg/queries/analyse/`` and ``kg/queries/report/``)
match only some quads (:data:`ANALYSE_READS`, :data:`REPORT_READS`,
:data:`SUGGEST_READS`, :data:`READ_TYPES`, :data:`READ_LABELS`): they give the same answers over a
store of those alone, in memory, several times faster. The store is made from the
last build's in a background thread (:class:`Readable`), and :func:`reads`
gives what each graph holds of it, so a rebuild redoes the analytics only
when what they read changed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import pyoxigraph as ox

from kg.engine.cache import BuildCache
from kg.engine.keys import Key, digest
from kg.namespaces import DCTERMS, ID, PKG, RDF, RDFS, SKOS

__all__ = [
    "Readable",
    "reads",
    "readable_keys",
    "ANALYSE_READS",
    "EVIDENCE_READS",
    "REPORT_READS",
    "SUGGEST_READS",
    "READ_TYPES",
    "READ_LABELS",
]

ANALYSE_READS = frozenset(
    str(iri)
    for iri in (
        RDF.type,
        PKG.partner,
        PKG.document,
        PKG.action,
        PKG.sector,
        PKG.year,
        PKG.fromYear,
        PKG.toYear,
        PKG.method,
        PKG.unusual,
        PKG.partnerName,
        SKOS.prefLabel,
        SKOS.notation,
        RDFS.label,
        DCTERMS.source,
        DCTERMS.title,
        DCTERMS.spatial,
        PKG.line,
        PKG.evidenceQuestion,
        PKG.surfaceForm,
        PKG.question,
        PKG.answer,
    )
)
"""The predicates of every triple pattern of :data:`kg.analyse.QUERIES` (no query has a variable predicate).

The analysis reads only quads with these predicates (``rdf:type`` ones
only with an object in :data:`READ_TYPES`): a build whose quads with them
are unchanged has the same analysis (``tests/test_reads.py`` checks the
query files against these sets).
"""

EVIDENCE_READS = frozenset(
    str(iri) for iri in (PKG.line, PKG.evidenceQuestion, PKG.surfaceForm, PKG.question, PKG.answer)
)
"""The predicates of ``kg/queries/analyse/provenance.rq``, which it reads of a few nodes only.

Of each graph it reads ``pkg:line``, ``pkg:evidenceQuestion`` and
``pkg:surfaceForm`` of the partnerships, and ``pkg:question``, ``pkg:line``
and ``pkg:answer`` of the items that ask a question a partnership of the same
graph was read from: :func:`readable_keys` keeps those alone. The readable
store stays small, and a changed answer redoes the analytics only when a
partner was read from it.
"""

READ_TYPES = frozenset(
    str(iri)
    for iri in (
        PKG.Partnership,
        PKG.Country,
        PKG.Document,
        PKG.LearningPlan,
        PKG.ClosingForm,
        PKG.Experiment,
        PKG.Solution,
        PKG.Action,
    )
)
"""The classes :data:`kg.analyse.QUERIES` and :data:`kg.report.QUERIES` match with ``rdf:type`` (``a``)."""

READ_LABELS = frozenset(str(iri) for iri in (SKOS.prefLabel, SKOS.notation, RDFS.label, PKG.sector, PKG.document))
"""The predicates that only describe a node another pattern binds (labels, codes, sectors, documents).

In every query, the subject of a pattern with one of these is bound by a
required pattern with none of them, so a node that no quad with the other
:data:`ANALYSE_READS` names (an organisation only mentioned, never a
partner; a mention) is read by no query.
"""


REPORT_READS = frozenset(
    str(iri)
    for iri in (
        PKG.sdg,
        PKG.handoverOutcome,
        PKG.closes,
        PKG.partner,
        PKG.method,
        PKG.document,
        RDF.type,
        RDFS.label,
        DCTERMS.spatial,
        SKOS.prefLabel,
    )
)
"""The predicates of every triple pattern of :data:`kg.report.QUERIES`."""

SUGGEST_READS = frozenset(
    str(iri)
    for iri in (
        RDF.type,
        PKG.partner,
        PKG.document,
        PKG.line,
        PKG.fromYear,
        PKG.toYear,
        PKG.sector,
        PKG.scopeCountry,
        PKG.year,
        PKG.sdg,
        PKG.method,
        PKG.theme,
        SKOS.prefLabel,
        SKOS.notation,
        RDFS.label,
        DCTERMS.source,
        DCTERMS.spatial,
    )
)
"""The predicates of every triple pattern of :data:`kg.suggest.QUERIES`: the analytics' suggestions read them too."""

_READABLE_BATCH = 4096  # graphs loaded together into the readable store
_TYPE = f"<{RDF.type}>"
_READ_PREDICATES = frozenset(f"<{iri}>" for iri in ANALYSE_READS | REPORT_READS | SUGGEST_READS)
_READ_TYPES = frozenset(f"<{iri}>" for iri in READ_TYPES)
_READ_LABELS = frozenset(f"<{iri}>" for iri in READ_LABELS)
_EVIDENCE = frozenset(f"<{iri}>" for iri in EVIDENCE_READS)
_ITEM_READS = frozenset(f"<{iri}>" for iri in (PKG.question, PKG.answer))  # read of items only
_PARTNERSHIP, _EVIDENCE_QUESTION = f"<{PKG.Partnership}>", f"<{PKG.evidenceQuestion}>"
_QUESTION, _LINE = f"<{PKG.question}>", f"<{PKG.line}>"
_LOOSE = (f"<{ID}org/", f"<{ID}mention/")  # nodes whose labels the analytics read only when linked (see reads)


def reads(keys: list[Key]) -> tuple[str, tuple[tuple[str, str], ...], tuple[str, ...]]:
    """What the analytics and the report can read of one graph (quads by their terms' ``str``, sorted).

    Returns a digest of the quads their queries can match but the labels
    of loose nodes; the digest of each loose node's labels; and the linked
    nodes. Loose nodes are organisations and mentions whose labels
    (:data:`READ_LABELS`) are in this graph but that no other
    readable quad of it names; linked ones are those such quads name. A
    query reads a loose node's labels only if some graph links it.
    """
    read = readable_keys(keys)
    named = (term for key in read if key[1] not in _READ_LABELS for term in (key[0], key[2]))
    linked = {term for term in named if term.startswith(_LOOSE)}
    kept: list[str] = []
    loose: dict[str, list[str]] = {}
    for key in read:
        if key[1] in _READ_LABELS and key[0].startswith(_LOOSE) and key[0] not in linked:
            loose.setdefault(key[0], []).append(" ".join(key))
        else:
            kept.append(" ".join(key))
    labels = tuple((node, digest("\n".join(lines))) for node, lines in sorted(loose.items()))
    return digest("\n".join(kept)), labels, tuple(sorted(linked))


def readable_keys(keys: list[Key]) -> list[Key]:
    """The quads (by their terms' ``str``) the analytics' and the report's queries can match.

    Those with :data:`ANALYSE_READS` or :data:`REPORT_READS`, ``rdf:type``
    ones only with an object in :data:`READ_TYPES` (tests/test_reads.py
    holds the query files to these sets), and those with
    :data:`EVIDENCE_READS` only of the nodes the provenance query reads
    them of (:func:`_evidence`).
    """
    kept = [key for key in keys if key[1] in _READ_PREDICATES and (key[1] != _TYPE or key[2] in _READ_TYPES)]
    return _evidence(kept) if any(key[1] in _EVIDENCE for key in kept) else kept


def _evidence(keys: list[Key]) -> list[Key]:
    """``keys`` with the :data:`EVIDENCE_READS` quads kept only of partnerships and of the items they were read from.

    An item is kept when its ``pkg:question`` is the ``pkg:evidenceQuestion``
    of a partnership in the same graph; nodes are told apart by graph too.
    """
    partnerships = {(key[0], key[3]) for key in keys if key[1] == _TYPE and key[2] == _PARTNERSHIP}
    asked = {(key[2], key[3]) for key in keys if key[1] == _EVIDENCE_QUESTION and (key[0], key[3]) in partnerships}
    items = {(key[0], key[3]) for key in keys if key[1] == _QUESTION and (key[2], key[3]) in asked}
    return [
        key
        for key in keys
        if key[1] not in _EVIDENCE
        or (key[0], key[3]) in (items if key[1] in _ITEM_READS else partnerships)
        or (key[1] == _LINE and (key[0], key[3]) in items)
    ]


class Readable:
    """The in-memory store of what the analytics can read, made from the last build's in the background.

    Once the forms are read, a thread loads the last build's readable quads
    (:meth:`BuildCache.readable_snapshot`: pyoxigraph parses them without
    the GIL while this process resolves the forms); :meth:`update`
    then replaces only the graphs whose key changed. The store holds the
    same quads as one loaded from scratch, so the analytics give the same.
    """

    def __init__(self, cache: BuildCache) -> None:
        self.cache = cache
        self.found: tuple[dict[str, str | None], dict[str, bytes], ox.Store] | None = None
        self.kept = self.loaded = 0  # graphs kept from the last build's quads, and loaded now
        self._thread: threading.Thread | None = threading.Thread(target=self._load, daemon=True)
        self._thread.start()

    def wait(self) -> None:
        """Wait until the last build's quads are loaded (or found missing)."""
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def update(self, graphs: dict[str, tuple[str | None, Callable[[], bytes]]]) -> ox.Store:
        """The store of ``graphs`` (IRI -> key and readable N-Quads), the snapshot for the next build kept."""
        self.wait()
        before, data, store = self.found if self.found is not None else ({}, {}, ox.Store())
        for graph, key in before.items():
            if graphs.get(graph, ("",))[0] != key:
                store.remove_graph(ox.NamedNode(graph))
        new = self._load_new(store, graphs, before)
        if self.cache.enabled and (new or len(before) != len(graphs)):
            keys = {graph: key for graph, (key, _read) in graphs.items()}
            self.cache.remember_readable(keys, {graph: new[graph] if graph in new else data[graph] for graph in keys})
        return store

    def _load_new(self, store: ox.Store, graphs: dict, before: dict[str, str | None]) -> dict[str, bytes]:
        """Load the graphs whose key changed into ``store``, a batch at a time; their quads, if the cache keeps them."""
        new: dict[str, bytes] = {}
        batch: list[bytes] = []
        for graph, (key, read) in graphs.items():
            if before.get(graph) == key:
                continue
            data = read()
            batch.append(data)
            if self.cache.enabled:
                new[graph] = data
            self.loaded += 1
            if len(batch) == _READABLE_BATCH:
                store.bulk_load(b"".join(batch), format=ox.RdfFormat.N_QUADS)
                batch.clear()
        store.bulk_load(b"".join(batch), format=ox.RdfFormat.N_QUADS)
        self.kept = len(graphs) - self.loaded
        return new

    def _load(self) -> None:
        found = self.cache.readable_snapshot()
        if found is not None:
            graphs, data = found
            store = ox.Store()
            try:
                store.bulk_load(b"".join(data.values()), format=ox.RdfFormat.N_QUADS)
            except (SyntaxError, ValueError):  # a damaged snapshot: every graph is loaded anew
                return
            self.found = graphs, data, store
