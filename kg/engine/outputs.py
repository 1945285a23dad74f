"""The graph, store, analytics and serialisation stages of a build, redoing only what changed.

:class:`Outputs` does what :func:`kg.pipeline.graph`, :func:`kg.pipeline.write`,
:func:`kg.pipeline.analyse` and :func:`kg.pipeline.views` do, with the cache:
a form's graph is remade only when its key changed (in forked workers), the
store is updated in place or written by a background thread, the analytics
are redone only when what they read changed, and the graph files are spliced
from cached fragments. The outputs are byte-identical to the pipeline's.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import astuple, dataclass, field
from functools import lru_cache, partial
from pathlib import Path

import pyoxigraph as ox
from rdflib import URIRef

from kg import analyse, report
from kg.analyse import ANALYTICS_GRAPH, Analysis, analytics_quads, write_analysis
from kg.engine.cache import BuildCache, GraphBulk, GraphEntry, Spill
from kg.engine.charts import ChartProcess, Charts
from kg.engine.keys import Key, digest, nquads, parsed_quads
from kg.engine.memory import give_back_memory, room_to_fork
from kg.engine.readable import Readable, readable_keys, reads
from kg.engine.shared import SharedParts
from kg.engine.splice import Fragment, FragmentError, Layout, fragment, write_fragments
from kg.engine.store_writer import Batches, StoreWriter
from kg.engine.workers import CAN_FORK, aside, call_inherited, forked_pool
from kg.extract import Extraction
from kg.graph import REFERENCE_GRAPH, GraphPart, document_iri, document_parts, reference_inputs, reference_part
from kg.inputs import FileRecord
from kg.links import Link
from kg.namespaces import ORG, PKG, RDF, SKOS
from kg.privacy import Protection, Pseudonymiser
from kg.resolve import Resolution
from kg.serialise import write_graph_files
from kg.store import extend_store, update_store
from kg.visualise import FormFiles, portfolio_view, write_html

__all__ = ["Outputs", "Resolved"]

_GRAPH_CHUNK = 256  # forms per graph worker task
_SPILL_ROWS = 1 << 19  # runs of the graph files sorted in memory, beyond which on disk (kg.engine.splice)
_PARTNER = f"<{PKG.partner}>"
_TYPE = f"<{RDF.type}>"
_ORGANIZATION = f"<{ORG.Organization}>"
_PREF_LABEL = f"<{SKOS.prefLabel}>"


@dataclass
class Resolved:
    """What the stages before the graph gave: the forms, the people they name, their organisations resolved."""

    extractions: list[Extraction]
    origins: dict[int, tuple[str, str | None]]  # id(extraction) -> its display path and cache entry key
    privacy: Pseudonymiser
    protection: Protection
    resolution: Resolution
    resolution_key: str  # the digest of what resolution read (kg.engine.steps.cached_resolution)
    links: dict[str, Link] = field(default_factory=dict)  # closing form path -> the plan it closes
    forms: FormFiles | None = None  # where the forms are, for the page's links (builds keeping personal data)


class Outputs:
    """The graph, store, analytics and serialisation stages, redoing only the forms whose graph changed.

    A form's graph is remade when its key (:meth:`BuildCache.graph_key`)
    has no cached entry or differs from what the store holds; with more than
    half to remake, or no usable store, the store is written anew (in a
    thread, while the graphs are made), else updated in place. The analytics
    (and then the HTML view and the report) are redone only when what they
    read changed (:meth:`_insights_key`); else ``analysis`` stays None and
    the last build's are kept.
    """

    def __init__(
        self,
        out_dir: Path,
        cache: BuildCache,
        resolved: Resolved,
        readable: Readable,
        spill: Spill,
        drawer: ChartProcess | None = None,
    ) -> None:
        self.out_dir = out_dir
        self.spill = spill  # where the graphs made keep their bulk
        self.drawer = drawer  # the process that draws the report's charts, if any
        self._docs_by_iri: dict[str, Extraction] | None = None  # made if a graph's cached bulk is lost
        self.cache = cache
        self.origins = resolved.origins
        self.docs = sorted(resolved.extractions, key=lambda d: d.path)
        self.resolution = resolved.resolution
        self.resolution_key = resolved.resolution_key
        self.links = resolved.links
        self.forms = resolved.forms
        self.privacy = resolved.privacy
        self.protection = protection = resolved.protection
        self.known = {_document_iri(path): values for path, values in protection.known.items()}
        self.names_digest = digest("\0".join(protection.names))
        self.entries: dict[str, GraphEntry] = {}
        self.keys: dict[str, str | None] = {}
        self.store_mode = "full"
        self.analysis: Analysis | None = None
        self.analytics: list = []
        self.insights = ""
        self.reference_key = ""  # the digest of all the reference graph reads (:meth:`_make_reference`)
        self.reference_keys: list[Key] = []
        self.organisations: dict[str, str] = {}
        self._reference: GraphPart | None = None
        self._readable = readable
        self._readable_store: ox.Store | None = None
        self.graph_workers = 0  # processes that made the graphs (0: this one)
        self.charts_drawn = 0  # charts of the report drawn by this build (the others were the last build's)

    def write(self, timings: dict[str, float], jobs: int = 1) -> int:
        """Make the graphs (in ``jobs`` processes), write the store, analyse, serialise; return the triples written."""
        mark = time.perf_counter()
        in_store = self.cache.store_graphs()
        todo = self._plan(in_store)
        with _graph_workers(self, todo, jobs) as chunks:  # the workers fork before the store and its thread open
            writer = StoreWriter(self.out_dir) if self.store_mode == "full" else None
            batches = Batches(writer)
            self._make_reference()  # while the workers make the forms' graphs
            made = self._take(chunks, batches)
        reference = nquads(self.reference_keys)
        timings["graph"] = time.perf_counter() - mark

        mark = time.perf_counter()
        with ThreadPoolExecutor(max_workers=1) as thread:  # pyoxigraph updates the store without the GIL
            updating = self._write_store(thread, writer, batches, in_store, made, reference)
            del reference  # the store has it now (a large corpus's is gigabytes of lines)
            give_back_memory()
            timings["store"] = time.perf_counter() - mark
            mark = time.perf_counter()
            self.analytics = self._analytics()
            timings["analytics"] = time.perf_counter() - mark
            mark = time.perf_counter()
            updating.result()
        timings["store"] += time.perf_counter() - mark  # the wait for the update, if it took longer
        return self._write_files(timings, jobs)

    def _analytics(self) -> list[ox.Quad]:
        """The analytics graph's quads: the last build's while what they read is unchanged, else made anew."""
        self.insights = self._insights_key() if self.cache.enabled else ""
        analytics = self.cache.cached_insights(self.insights)
        if analytics is None:
            self.analysis = analyse.analyse(self.readable_store())
            analytics = analytics_quads(self.analysis)
        return analytics

    def _write_files(self, timings: dict[str, float], jobs: int) -> int:
        """Write the graph files and analysis.json while a forked process writes the HTML view and the report.

        The analytics graph is added to the store meanwhile too (it is no
        longer on the way to the fork). Without room for the process
        (:func:`room_to_fork`) the views are written here first; either way
        the readable store is dropped before the graph files are written.
        """
        forks = jobs if self.analysis is not None and room_to_fork() else 1  # nothing to write: no process
        if forks > 1:
            self.cache.flush()  # no thread may run while the process forks
            give_back_memory()  # what the process inherits, it may copy
        with aside(self._write_views, forks) as views:
            self._release_readable()  # the views have it (forked, or written already): not held while serialising
            extend_store(self.analytics, self.out_dir)
            mark = time.perf_counter()
            n_triples = self._serialise(self.analytics)
            timings["serialise"] = time.perf_counter() - mark
            mark = time.perf_counter()
            if self.analysis is not None:
                write_analysis(self.analysis, self.out_dir / "analysis.json")
                self.cache.remember_insights(self.insights, self.analytics)
            written = time.perf_counter() - mark
        seconds, self.charts_drawn = views()
        timings["html_report"] = seconds + written
        return n_triples

    def _write_store(
        self,
        thread: ThreadPoolExecutor,
        writer: StoreWriter | None,
        batches: Batches,
        in_store: dict[str, str] | None,
        made: set[str],
        reference: list[str],
    ) -> Future:
        """Finish the new store, or update the last one, in ``thread`` while the analytics run (its future)."""
        if writer is not None:
            batches.add_lines(reference)
            batches.flush()
            self.cache.remember_reference(reference)
            return thread.submit(writer.close)
        assert in_store is not None  # the store is updated in place only when the last one is kept (_plan)
        before = self.cache.cached_reference()
        current = {entry.graph for entry in self.entries.values()}
        graphs = (set(in_store) - current) | made | {str(ANALYTICS_GRAPH)}
        if before is None:
            graphs.add(str(REFERENCE_GRAPH))
            before = set()
        now = set(reference)
        if now != before:
            self.cache.remember_reference(reference)
        gone = "".join(sorted(before - now)).encode("utf-8")
        new = batches.data() + "".join(sorted(now - before)).encode("utf-8")
        return thread.submit(update_store, self.out_dir, sorted(graphs), gone, new)

    def _release_readable(self) -> None:
        """Drop the readable store (a large corpus's holds gigabytes): nothing reads it after the views."""
        self._readable_store = None
        self._readable.found = None
        give_back_memory()

    def _serialise(self, analytics: list) -> int:
        """Write graph.ttl and graph.trig from the forms' fragments (or the quads, if a fragment is unusable).

        What the last graph files hold of an unchanged form is copied from
        them (:func:`kg.engine.splice.write_fragments`): its fragment is not loaded.
        """
        layout = self.cache.cached_layout()
        layout = layout if isinstance(layout, Layout) else None
        parts: dict[str, Callable[[], Fragment]] = {
            f"graph {self.keys[iri]}": partial(self._bulk, iri, "fragment") for iri in self.entries
        }
        parts.update(self._shared(analytics, set(layout.parts) if layout is not None else set()))
        try:
            n_triples, layout = write_fragments(
                parts, self.out_dir, analytics, layout, record=self.cache.enabled, spill_rows=_SPILL_ROWS
            )
            self.cache.remember_layout(layout)
            return n_triples
        except FragmentError:
            graph_parts = [*list(self._parts(self.docs)), self._reference_part()]
            quads = sorted((q for part in graph_parts for q in part.quads), key=str)
            return write_graph_files(quads + analytics, self.out_dir)

    def _write_views(self) -> tuple[float, int]:
        """Write ecosystem.html and the report if the analytics were redone: the seconds it took, the charts drawn.

        Charts drawn by the last build are taken again (:class:`Charts`);
        the report's charts are kept for the next one.
        """
        mark = time.perf_counter()
        if self.analysis is None:
            return 0.0, 0
        charts = Charts(self.cache.cached_charts())
        draw = self.drawer.draw if self.drawer is not None else None
        _write_views(self.analysis, self.out_dir, self.readable_store(), charts, draw, self.forms)
        self.cache.remember_charts(dict(charts))
        return time.perf_counter() - mark, charts.drawn

    def _make_reference(self) -> None:
        """Make the reference graph's quads (as keys) and organisations, or keep the last build's.

        They are kept while all the reference graph reads is unchanged (see
        :meth:`BuildCache.cached_step`); its quads are then parsed only if
        asked for (:meth:`_reference_part`).
        """
        inputs = repr(reference_inputs(self.docs))
        key = self.reference_key = digest("\n".join([self.resolution_key, self.names_digest, inputs]))
        found = self.cache.cached_step("reference-part", key)
        if found is not None:
            self.reference_keys, self.organisations = found
            return
        made = self.cache.cached_step("reference-units", self.names_digest)  # made with these names and settings
        names = self.protection.names
        self.reference_keys, units = reference_part(self.docs, self.resolution, self.privacy, names, made)
        self.organisations = _organisations(self.reference_keys)
        self.cache.remember_step("reference-part", key, (self.reference_keys, self.organisations))
        self.cache.remember_step("reference-units", self.names_digest, units)

    def _reference_part(self) -> GraphPart:
        if self._reference is None:
            self._reference = GraphPart(str(REFERENCE_GRAPH), parsed_quads(self.reference_keys), self.reference_keys)
        return self._reference

    def _shared(self, analytics: list, held: set[str]) -> dict[str, Callable[[], Fragment]]:
        """The reference and analytics graphs' parts of the graph files (:class:`SharedParts`).

        Their names are kept while the reference graph and the analytics are
        unchanged (:attr:`reference_key` and the insights key,
        :meth:`_insights_key`, key them); ``held`` are the parts the last
        graph files hold, which are not made.
        """
        key = digest(self.reference_key + self.insights)
        shared = SharedParts(self.reference_keys, analytics, held)
        names = self.cache.cached_step("shared", key)
        if names is None:
            names = shared.names()
            self.cache.remember_step("shared", key, names)
        return {name: partial(shared.part, name) for name in names}

    def index(self, records: list[FileRecord], hashes: tuple[str | None, ...], stats: tuple[list[int], ...]) -> dict:
        """What the cache index keeps of this build: entries per input file, store, organisations, partnerships."""
        forms = {
            record.path: {
                "sha256": sha,
                "stat": stat,
                "entry": self.cache.form_key(record.path, sha),
                "graph_key": None,
            }
            for record, sha, stat in zip(records, hashes, stats, strict=True)
        }
        shown = {str(_document_iri(doc.path)): self.origins[id(doc)][0] for doc in self.docs}
        for doc in self.docs:
            iri = str(_document_iri(doc.path))
            forms[shown[iri]].update(graph_key=self.keys[iri], published=doc.path)
        partners = {doc.path: self.entries[str(_document_iri(doc.path))].partners for doc in self.docs}
        pairs = sorted({(path, org) for path, orgs in partners.items() for org in orgs})
        return {
            "forms": forms,
            "store": {entry.graph: self.keys[iri] for iri, entry in self.entries.items()},
            "organisations": self.organisations,
            "partnerships": [list(pair) for pair in pairs],
            "insights": self.insights,
        }

    def _plan(self, in_store: dict[str, str] | None) -> list[Extraction]:
        """Take the cached graphs the store holds; return the forms whose graph must be made."""
        todo = []
        for doc in self.docs:
            iri = str(_document_iri(doc.path))
            key = self.keys[iri] = self.cache.graph_key(self.origins[id(doc)][1], self._graph_inputs(doc))
            entry = self.cache.cached_graph(key) if in_store is not None else None
            if in_store is None or entry is None or in_store.get(entry.graph) != key:
                todo.append(doc)
            else:
                self.entries[iri] = entry
        if in_store is None or len(todo) > len(self.docs) // 2:
            todo = self.docs
            self.entries.clear()
        else:
            self.store_mode = "incremental"
        self.cache.graphs_made, self.cache.graphs_reused = len(todo), len(self.docs) - len(todo)
        return todo

    def make(self, docs: list[Extraction]) -> list[tuple[str, GraphEntry, bytes]]:
        """Make the graphs of ``docs`` and cache them: ``(document IRI, entry, its quads as N-Quads)`` each."""
        made = []
        for doc, part in zip(docs, self._parts(docs), strict=True):
            iri = str(_document_iri(doc.path))
            partners = sorted({key[2][1:-1] for key in part.keys if key[1] == _PARTNER})
            read = readable_keys(part.keys)
            what = reads(read) if self.cache.enabled else ()  # only the cache's insights key needs them
            bulk = GraphBulk(fragment(part.quads, part.keys), "".join(nquads(read)).encode("utf-8"))
            entry = GraphEntry(part.graph, bulk, len(part.quads), partners, what)
            data = bulk.data()
            self.cache.remember_graph(self.keys[iri], entry, data)
            entry.bulk = self.spill.keep(data)
            made.append((iri, entry, "".join(nquads(part.keys)).encode("utf-8")))
        self.spill.flush()
        return made

    def _take(self, chunks: Iterator[list[tuple[str, GraphEntry, bytes]]], batches: Batches) -> set[str]:
        """Keep the graphs made (:meth:`make`), in the forms' order, and queue their quads for the store."""
        made = set()
        for chunk in chunks:
            for iri, entry, data in chunk:
                self.entries[iri] = entry
                batches.add_data(data)
                made.add(entry.graph)
        self.entries = {iri: self.entries[iri] for iri in (str(_document_iri(d.path)) for d in self.docs)}
        return made

    def _insights_key(self) -> str:
        """A digest of all the analytics, the HTML view and the report read: the quads their queries can match.

        Their queries match only quads with the predicates of
        :data:`kg.engine.readable.ANALYSE_READS` or ``REPORT_READS``
        (``rdf:type`` ones with an object in ``READ_TYPES``), and labels
        (``READ_LABELS``) only of nodes the other quads name.
        Each form's graph gives what :func:`reads` finds (kept with it), the
        reference graph the same made now; the labels of organisations and
        mentions count only when a graph links them. Code, templates and
        libraries come in through :func:`kg.engine.cache.insights_version`.
        """
        graphs = sorted((entry.graph, entry.reads) for entry in self.entries.values())
        graphs.append((str(REFERENCE_GRAPH), reads(self.reference_keys)))
        linked = {node for _graph, reads in graphs for node in reads[2]}
        lines = [self.cache.insights_version]
        for graph, (read, loose, _nodes) in graphs:
            lines.append(f"{graph} {read}")
            lines.extend(f"{graph} {node} {labels}" for node, labels in loose if node in linked)
        return digest("\n".join(lines))

    def readable_store(self) -> ox.Store:
        """An in-memory store of every quad the analytics and the report can read (see :func:`readable_keys`).

        They give the same answers over it as over the whole store, several
        times faster: it holds a fifth of the quads, in memory.
        """
        if self._readable_store is None:
            self._readable_store = self._readable.update(self._readable_data())
        return self._readable_store

    def wait_for_threads(self) -> None:
        """Wait for this stage's background thread (no thread may run while a process forks)."""
        self._readable.wait()

    def _readable_data(self) -> dict[str, tuple[str | None, Callable[[], bytes]]]:
        """Each graph's key and a function giving its readable quads (N-Quads)."""
        data: dict[str, tuple[str | None, Callable[[], bytes]]] = {
            entry.graph: (self.keys[iri], partial(self._bulk, iri, "readable")) for iri, entry in self.entries.items()
        }
        reference = "".join(nquads(readable_keys(self.reference_keys))).encode("utf-8")
        data[str(REFERENCE_GRAPH)] = (self.reference_key, lambda: reference)
        return data

    def _bulk(self, iri: str, what: str):
        """The fragment or the readable quads of form ``iri``'s graph: cached, or made again if the cache lost them."""
        found = getattr(self.entries[iri].bulk, what)()
        if found is None:
            if self._docs_by_iri is None:
                self._docs_by_iri = {str(_document_iri(doc.path)): doc for doc in self.docs}
            part = next(iter(self._parts([self._docs_by_iri[iri]])))
            bulk = GraphBulk(fragment(part.quads, part.keys), "".join(nquads(readable_keys(part.keys))).encode("utf-8"))
            found = getattr(bulk, what)()
        return found

    def _parts(self, docs: list[Extraction]):
        return document_parts(docs, self.resolution, self.privacy, self.known, self.protection.names, self.links)

    def _graph_inputs(self, doc: Extraction) -> list:
        return [
            doc.path,
            list(self.known.get(_document_iri(doc.path), ())),
            self.names_digest,
            [self.resolution.key_of(doc.path, i) for i in range(len(doc.partnerships))],
            [self.resolution.mention_key_of(doc.path, i) for i in range(len(doc.mentions))],
            astuple(self.links[doc.path]) if doc.path in self.links else None,
        ]


@contextmanager
def _graph_workers(outputs: Outputs, docs: list[Extraction], jobs: int) -> Iterator[Iterator[list]]:
    """The graphs of ``docs`` made by :meth:`Outputs.make`, chunk by chunk in order, by ``jobs`` processes.

    The workers are forked from this process, so they share its resolution
    and pseudonymiser without pickling them; each makes chunks of
    :data:`_GRAPH_CHUNK` forms, sent to it. With one job, few forms or no ``fork``, the
    chunks are made here, as they are asked for.
    """
    chunks = [docs[i : i + _GRAPH_CHUNK] for i in range(0, len(docs), _GRAPH_CHUNK)]
    if jobs < 2 or len(chunks) < 2 or not CAN_FORK:
        outputs.cache.start_writing()
        yield map(outputs.make, chunks)
        return
    outputs.graph_workers = min(jobs, len(chunks))
    outputs.wait_for_threads()
    with forked_pool(outputs.graph_workers, outputs.make) as pool:
        made = pool.map(call_inherited, chunks)
        outputs.cache.start_writing()  # the workers have forked (at the first task): threads may start
        yield made


@lru_cache(maxsize=1 << 16)
def _document_iri(path: str) -> URIRef:
    """:func:`kg.graph.document_iri`, remembered: a build asks for each form's IRI many times."""
    return document_iri(path)


def _organisations(reference: list[Key]) -> dict[str, str]:
    """Organisation IRI -> label, of the reference graph's quads (as keys)."""
    orgs = {key[0] for key in reference if key[1] == _TYPE and key[2] == _ORGANIZATION}
    labelled = [key for key in reference if key[1] == _PREF_LABEL and key[0] in orgs]
    labels: dict[str, str] = {}
    for quad in parsed_quads(labelled):
        assert isinstance(quad.object, ox.Literal)  # the graph's labels are literals (kg.graph)
        labels[str(quad.subject)[1:-1]] = quad.object.value
    return {iri: labels.get(iri, "") for iri in sorted(key[1:-1] for key in orgs)}


def _write_views(
    analysis: Analysis,
    out_dir: Path,
    store: ox.Store | None = None,
    drawn: dict[str, bytes] | None = None,
    draw: Callable[[report.Chart], bytes] | None = None,
    forms: FormFiles | None = None,
) -> None:
    """Write ecosystem.html (whole portfolio) and report.md/report.html (from ``store``, or OUT's).

    ``drawn`` holds charts drawn before and ``draw`` draws the others (see :func:`kg.report.write_report`);
    ``forms`` says where the forms are, for the page to link them.
    """
    write_html(portfolio_view(analysis), out_dir / "ecosystem.html", forms)
    report.write_report(out_dir, analysis=analysis, store=store, drawn=drawn, draw=draw)
