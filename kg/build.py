"""Run the pipeline over files and folders and write the build's outputs.

``build`` reads every ``*.md`` and ``*.txt`` form under the sources, parses
and extracts them (in worker processes with ``jobs`` > 1), resolves
organisations over the whole set, builds the RDF dataset and writes
``graph.ttl`` (every triple), ``graph.trig`` (one named graph per form plus
the reference graph and the analytics graph that :mod:`kg.analyse` computes
from the store), ``analysis.json``, ``ecosystem.html``, ``report.md``,
``report.html`` and ``manifest.json`` (every input file with its
status, messages, triple count and sha256). It raises only for unusable
arguments; a bad form is recorded in the manifest and the build goes on.
"""

from __future__ import annotations

import ctypes
import gc
import hashlib
import json
import multiprocessing
import os
import sys
import tempfile
import threading
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from functools import lru_cache, partial
from itertools import groupby
from pathlib import Path

import pyoxigraph as ox
from rdflib import URIRef

from kg import __version__, analyse, ner, report
from kg.analyse import ANALYTICS_GRAPH, Analysis, analytics_quads, write_analysis
from kg.cache import BuildCache, GraphBulk, GraphEntry, LazyItems, Spill, changes, form_entry, pickled_items
from kg.errors import InputError
from kg.extract import Extraction, extract, extract_many
from kg.forms import Form, Message, read_form
from kg.graph import REFERENCE_GRAPH, GraphPart, document_iri, document_parts, reference_inputs, reference_part
from kg.namespaces import ID
from kg.privacy import FormFacts, Protection, Pseudonymiser, WordCounts, form_words
from kg.resolve import NameMemo, Resolution, resolution_inputs, resolve_inputs
from kg.store import (
    Fragment,
    FragmentError,
    Layout,
    StoreWriter,
    extend_store,
    fragment,
    update_store,
    write_fragments,
    write_graph_files,
)

__all__ = ["FileRecord", "BuildResult", "build", "collect_inputs", "FORM_SUFFIXES"]

FORM_SUFFIXES = (".md", ".txt")

Progress = Callable[[int, int], None]

_CHUNK = 32  # forms per worker task: one spaCy batch
_GRAPH_CHUNK = 256  # forms per graph worker task
_BATCH = 100_000  # quads per N-Quads batch for the store writer
_READABLE_BATCH = 4096  # graphs loaded together into the readable store
_SPILL_ROWS = 1 << 19  # runs of the graph files sorted in memory, beyond which on disk (kg.store.write_fragments)
_SHARED_BATCH = 20_000  # parts of the reference and analytics graphs serialised together (see _SharedParts)
_PARTNER = "<https://w3id.org/portfolio-kg/ontology#partner>"
_TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
_ORGANIZATION = "<http://www.w3.org/ns/org#Organization>"
_PREF_LABEL = "<http://www.w3.org/2004/02/skos/core#prefLabel>"
_READ_PREDICATES = frozenset(f"<{iri}>" for iri in analyse.READ_PREDICATES | report.READ_PREDICATES)
_READ_TYPES = frozenset(f"<{iri}>" for iri in analyse.READ_TYPES)
_READ_LABELS = frozenset(f"<{iri}>" for iri in analyse.READ_LABELS)
_LOOSE = (f"<{ID}org/", f"<{ID}mention/")  # nodes whose labels the analytics read only when linked (see _reads)


@dataclass
class FileRecord:
    """What the build did with one input file (one manifest entry)."""

    path: str
    sha256: str = ""
    status: str = "ok"
    family: str = ""
    document: str = ""
    triples: int = 0
    encoding: str = ""
    messages: list[dict] = field(default_factory=list)
    published: str = ""  # the file name as outputs show it, when it spells a person's name (the manifest's "path")


@dataclass
class BuildResult:
    """The outcome of a build: manifest records and headline figures."""

    out_dir: Path
    records: list[FileRecord]
    triples: int
    organisations: int
    partnerships: int
    seconds: dict[str, float]
    changes: dict = field(default_factory=dict)
    figures: dict = field(default_factory=dict)
    # The build's working data (forms, graphs, analytics), freed with the result rather than when the build returns:
    # freeing millions of objects takes a rebuild's fifth of a second, which `kg build` saves by exiting at once.
    retained: tuple = field(default=(), repr=False, compare=False)

    @property
    def errors(self) -> int:
        """How many files have status ``error``."""
        return sum(1 for r in self.records if r.status == "error")

    @property
    def warnings(self) -> int:
        """How many files have status ``warning``."""
        return sum(1 for r in self.records if r.status == "warning")


def collect_inputs(sources: list[Path]) -> list[tuple[Path, str]]:
    """Every form file under ``sources`` as ``(path, display path)``, sorted by display path.

    The display path is relative to the folder given (a file given directly
    shows its name), so outputs do not depend on where the corpus lies.

    Raises:
        InputError: if a source does not exist.
    """
    found: dict[str, Path] = {}
    for source in sources:
        if not source.exists():
            raise InputError(f"no such file or folder: {source}")
        for path, shown in _walk(source):
            if shown in found and found[shown].resolve() != path.resolve():
                shown = f"{source.name}/{shown}"
            found.setdefault(shown, path)
    return sorted(((path, shown) for shown, path in found.items()), key=lambda pair: pair[1])


def build(
    sources: list[Path],
    out_dir: Path,
    jobs: int | None = None,
    pseudonymiser: Pseudonymiser | None = None,
    progress: Progress | None = None,
    cache: bool = True,
    cache_dir: Path | None = None,
) -> BuildResult:
    """Build the knowledge graph of every form under ``sources`` into ``out_dir``.

    With ``cache`` (the default) a cache keeps what every form gave
    (:mod:`kg.cache`; in ``cache_dir``, by default ``.kg-cache/<OUT name>``
    beside ``out_dir``): a rebuild reads and extracts only new and changed
    forms, serialises only their graphs and updates the store in place; with
    nothing changed it rewrites the manifest alone. Outputs are byte-identical
    to a cold build's. The result and the manifest say what changed since the
    last build of ``out_dir``.
    """
    timings: dict[str, float] = {}
    start = time.perf_counter()
    inputs = collect_inputs(sources)
    if not inputs:
        raise InputError("no *.md or *.txt forms found in " + ", ".join(map(str, sources)))
    out_dir.mkdir(parents=True, exist_ok=True)
    privacy = pseudonymiser or Pseudonymiser()
    with _paused_gc():  # the build's objects die inside: the collector never walks them
        return _build(inputs, out_dir, jobs, privacy, progress, cache, cache_dir, timings, start)


def _build(
    inputs: list[tuple[Path, str]],
    out_dir: Path,
    jobs: int | None,
    privacy: Pseudonymiser,
    progress: Progress | None,
    cache: bool,
    cache_dir: Path | None,
    timings: dict[str, float],
    start: float,
) -> BuildResult:
    """The stages of :func:`build`, which pauses the garbage collector around it."""
    store = BuildCache(out_dir, _settings(privacy), enabled=cache, root=cache_dir)
    hashes, stats = zip(*(store.input_sha256(path, shown) for path, shown in inputs), strict=True)
    timings["hash"] = time.perf_counter() - start
    if store.outputs_untouched() and _same_inputs(store.previous, inputs, hashes):
        return _unchanged(store, out_dir, timings, start, dict(zip((shown for _, shown in inputs), stats)))
    with _chart_process(jobs) as drawer:
        return _rebuild(inputs, hashes, stats, out_dir, jobs, privacy, progress, store, timings, start, drawer)


def _rebuild(
    inputs: list[tuple[Path, str]],
    hashes: tuple[str | None, ...],
    stats: tuple[list[int], ...],
    out_dir: Path,
    jobs: int | None,
    privacy: Pseudonymiser,
    progress: Progress | None,
    store: BuildCache,
    timings: dict[str, float],
    start: float,
    drawer: _ChartProcess | None,
) -> BuildResult:
    """The stages of :func:`_build` once something changed: read, resolve, make, analyse and write."""
    records, extractions, origins, figures = _read_all(inputs, hashes, jobs, progress, store)
    readable = _Readable(store)  # loads the last build's readable quads while resolution runs
    timings.update((f"cpu_{stage}", seconds) for stage, seconds in figures.pop("cpu").items())
    _flag_duplicates(records)
    protection = _protect(privacy, extractions, records, store, origins)
    timings["read_extract"] = time.perf_counter() - start - timings["hash"]

    mark = time.perf_counter()
    _give_back_memory()  # the workers' results, unpickled and dropped: before the graph workers fork
    resolution, resolution_key = _resolution(extractions, store)
    timings["resolve"] = time.perf_counter() - mark

    store.forget()
    with tempfile.TemporaryDirectory(prefix="kg-graphs-") as folder, Spill(folder) as spill:
        outputs = _Outputs(
            out_dir, store, origins, extractions, resolution, resolution_key, privacy, protection, readable, spill, drawer
        )
        n_triples = outputs.write(timings, max(1, jobs or os.cpu_count() or 1))
    readable.wait()  # done by now, used or not: no thread outlives the build
    _count_triples(outputs.entries, records)
    index = outputs.index(records, hashes, stats)
    figures["cache"] = {
        "files_hashed": store.hashed,
        "forms_extracted": store.extracted,
        "forms_reused": store.reused,
        "graphs_made": store.graphs_made,
        "graphs_reused": store.graphs_reused,
        "graph_workers": outputs.graph_workers,
        "store": outputs.store_mode,
        "insights": "made" if outputs.analysis is not None else "kept",
        "charts_drawn": outputs.charts_drawn,
        "readable_graphs": {"kept": readable.kept, "loaded": readable.loaded},
        **{step.replace("-", "_"): done for step, done in sorted(store.steps.items())},
    }
    figures["privacy"] = _privacy_figures(privacy, protection)
    result = BuildResult(
        out_dir,
        records,
        n_triples,
        len(resolution.organisations),
        sum(len(d.partnerships) for d in extractions),
        timings,
        changes(store.previous, index),
        figures,
        retained=(extractions, origins, protection, resolution, outputs, store, readable),
    )
    timings["total"] = time.perf_counter() - start
    _write_manifest(result, out_dir)
    store.save(index)
    return result


class _Outputs:
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
        origins: dict[int, tuple[str, str | None]],
        extractions: list[Extraction],
        resolution: Resolution,
        resolution_key: str,
        privacy: Pseudonymiser,
        protection: Protection,
        readable: _Readable,
        spill: Spill,
        drawer: _ChartProcess | None = None,
    ) -> None:
        self.out_dir = out_dir
        self.spill = spill  # where the graphs made keep their bulk
        self.drawer = drawer  # the process that draws the report's charts, if any
        self._docs_by_iri: dict[str, Extraction] | None = None  # made if a graph's cached bulk is lost
        self.cache = cache
        self.origins = origins
        self.docs = sorted(extractions, key=lambda d: d.path)
        self.resolution = resolution
        self.resolution_key = resolution_key  # the digest of what resolution read (:func:`_resolution`)
        self.privacy = privacy
        self.protection = protection
        self.known = {_document_iri(path): values for path, values in protection.known.items()}
        self.names_digest = _digest("\0".join(protection.names))
        self.entries: dict[str, GraphEntry] = {}
        self.keys: dict[str, str | None] = {}
        self.store_mode = "full"
        self.analysis: Analysis | None = None
        self.analytics: list = []
        self.insights = ""
        self.reference_key = ""  # the digest of all the reference graph reads (:meth:`_make_reference`)
        self.reference_keys: list[tuple[str, str, str, str]] = []
        self.organisations: dict[str, str] = {}
        self._reference: GraphPart | None = None
        self._readable = readable
        self._readable_store: ox.Store | None = None
        self.graph_workers = 0  # processes that made the graphs (0: this one)
        self.charts_drawn = 0  # charts of the report drawn by this build (the others were the last build's)

    def write(self, timings: dict[str, float], jobs: int = 1) -> int:
        """Make the graphs (in ``jobs`` processes), write the store, analyse, serialise; return the number of triples."""
        mark = time.perf_counter()
        in_store = self.cache.store_graphs()
        todo = self._plan(in_store)
        with _graph_workers(self, todo, jobs) as chunks:  # the workers fork before the store and its thread open
            writer = StoreWriter(self.out_dir) if self.store_mode == "full" else None
            batches = _Batches(writer)
            self._make_reference()  # while the workers make the forms' graphs
            made = self._take(chunks, batches)
        reference = _nquads(self.reference_keys)
        timings["graph"] = time.perf_counter() - mark

        mark = time.perf_counter()
        with ThreadPoolExecutor(max_workers=1) as thread:  # pyoxigraph updates the store without the GIL
            updating = self._write_store(thread, writer, batches, in_store, made, reference)
            del reference  # the store has it now (a large corpus's is gigabytes of lines)
            _give_back_memory()
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
        (:func:`_room_to_fork`) the views are written here first; either way
        the readable store is dropped before the graph files are written.
        """
        aside = jobs if self.analysis is not None and _room_to_fork() else 1  # nothing to write: no process
        if aside > 1:
            self.cache.flush()  # no thread may run while the process forks
            _give_back_memory()  # what the process inherits, it may copy
        with _aside(self._write_views, aside) as views:
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
        batches: _Batches,
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
        _give_back_memory()

    def _serialise(self, analytics: list) -> int:
        """Write graph.ttl and graph.trig from the forms' fragments (or the quads, if a fragment is unusable).

        What the last graph files hold of an unchanged form is copied from
        them (:func:`kg.store.write_fragments`): its fragment is not loaded.
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
            parts = list(self._parts(self.docs)) + [self._reference_part()]
            quads = sorted((q for part in parts for q in part.quads), key=str)
            return write_graph_files(quads + analytics, self.out_dir)

    def _write_views(self) -> tuple[float, int]:
        """Write ecosystem.html and the report if the analytics were redone: the seconds it took, the charts drawn.

        Charts drawn by the last build are taken again (:class:`_Charts`);
        the report's charts are kept for the next one.
        """
        mark = time.perf_counter()
        if self.analysis is None:
            return 0.0, 0
        charts = _Charts(self.cache.cached_charts())
        draw = self.drawer.draw if self.drawer is not None else None
        _write_views(self.analysis, self.out_dir, self.readable_store(), charts, draw)
        self.cache.remember_charts(dict(charts))
        return time.perf_counter() - mark, charts.drawn

    def _make_reference(self) -> None:
        """Make the reference graph's quads (as keys) and organisations, or keep the last build's.

        They are kept while all the reference graph reads is unchanged (see
        :meth:`BuildCache.cached_step`); its quads are then parsed only if
        asked for (:meth:`_reference_part`).
        """
        inputs = repr(reference_inputs(self.docs))
        key = self.reference_key = _digest("\n".join([self.resolution_key, self.names_digest, inputs]))
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
            self._reference = GraphPart(str(REFERENCE_GRAPH), _parsed_quads(self.reference_keys), self.reference_keys)
        return self._reference

    def _shared(self, analytics: list, held: set[str]) -> dict[str, Callable[[], Fragment]]:
        """The reference and analytics graphs' parts of the graph files (:class:`_SharedParts`).

        Their names are kept while the reference graph and the analytics are
        unchanged (:attr:`reference_key` and the insights key,
        :meth:`_insights_key`, key them); ``held`` are the parts the last
        graph files hold, which are not made.
        """
        key = _digest(self.reference_key + self.insights)
        shared = _SharedParts(self.reference_keys, analytics, held)
        names = self.cache.cached_step("shared", key)
        if names is None:
            names = shared.names()
            self.cache.remember_step("shared", key, names)
        return {name: partial(shared.part, name) for name in names}

    def index(self, records: list[FileRecord], hashes: tuple[str | None, ...], stats: tuple[list[int], ...]) -> dict:
        """What the cache index keeps of this build: entries per input file, store, organisations, partnerships."""
        forms = {
            record.path: {"sha256": sha, "stat": stat, "entry": self.cache.form_key(record.path, sha), "graph_key": None}
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
            if entry is None or in_store.get(entry.graph) != key:
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
            read = _readable(part.keys)
            reads = _reads(read) if self.cache.enabled else ()  # only the cache's insights key needs them
            bulk = GraphBulk(fragment(part.quads, part.keys), "".join(_nquads(read)).encode("utf-8"))
            entry = GraphEntry(part.graph, bulk, len(part.quads), partners, reads)
            data = bulk.data()
            self.cache.remember_graph(self.keys[iri], entry, data)
            entry.bulk = self.spill.keep(data)
            made.append((iri, entry, "".join(_nquads(part.keys)).encode("utf-8")))
        self.spill.flush()
        return made

    def _take(self, chunks: Iterator[list[tuple[str, GraphEntry, bytes]]], batches: _Batches) -> set[str]:
        """Keep the graphs made (:meth:`make`), in the forms' order, and queue their quads for the store."""
        made = set()
        for chunk in chunks:
            for iri, entry, nquads in chunk:
                self.entries[iri] = entry
                batches.add_data(nquads)
                made.add(entry.graph)
        self.entries = {iri: self.entries[iri] for iri in (str(_document_iri(d.path)) for d in self.docs)}
        return made

    def _insights_key(self) -> str:
        """A digest of all the analytics, the HTML view and the report read: the quads their queries can match.

        Their queries match only quads with :data:`kg.analyse.READ_PREDICATES`
        or :data:`kg.report.READ_PREDICATES` (``rdf:type`` ones with an object
        in :data:`kg.analyse.READ_TYPES`), and labels
        (:data:`kg.analyse.READ_LABELS`) only of nodes the other quads name.
        Each form's graph gives what :func:`_reads` finds (kept with it), the
        reference graph the same made now; the labels of organisations and
        mentions count only when a graph links them. Code, templates and
        libraries come in through :func:`kg.cache.insights_version`.
        """
        graphs = sorted((entry.graph, entry.reads) for entry in self.entries.values())
        graphs.append((str(REFERENCE_GRAPH), _reads(self.reference_keys)))
        linked = {node for _graph, reads in graphs for node in reads[2]}
        lines = [self.cache.insights_version]
        for graph, (digest, loose, _nodes) in graphs:
            lines.append(f"{graph} {digest}")
            lines.extend(f"{graph} {node} {labels}" for node, labels in loose if node in linked)
        return _digest("\n".join(lines))

    def readable_store(self) -> ox.Store:
        """An in-memory store of every quad the analytics and the report can read (see :func:`_readable`).

        They give the same answers over it as over the whole store, several
        times faster: it holds a fifth of the quads, in memory.
        """
        if self._readable_store is None:
            self._readable_store = self._readable.update(self._readable_data())
        return self._readable_store

    def wait_for_threads(self) -> None:
        """Wait for this stage's background thread (no thread may run while a process forks)."""
        self._readable.wait()

    def _readable_data(self) -> dict[str, tuple[str, Callable[[], bytes]]]:
        """Each graph's key and a function giving its readable quads (N-Quads)."""
        data = {
            entry.graph: (self.keys[iri], partial(self._bulk, iri, "readable")) for iri, entry in self.entries.items()
        }
        reference = "".join(_nquads(_readable(self.reference_keys))).encode("utf-8")
        data[str(REFERENCE_GRAPH)] = (self.reference_key, lambda: reference)
        return data

    def _bulk(self, iri: str, what: str):
        """The fragment or the readable quads of form ``iri``'s graph: cached, or made again if the cache lost them."""
        found = getattr(self.entries[iri].bulk, what)()
        if found is None:
            if self._docs_by_iri is None:
                self._docs_by_iri = {str(_document_iri(doc.path)): doc for doc in self.docs}
            part = next(iter(self._parts([self._docs_by_iri[iri]])))
            bulk = GraphBulk(fragment(part.quads, part.keys), "".join(_nquads(_readable(part.keys))).encode("utf-8"))
            found = getattr(bulk, what)()
        return found

    def _parts(self, docs: list[Extraction]):
        return document_parts(docs, self.resolution, self.privacy, self.known, self.protection.names)

    def _graph_inputs(self, doc: Extraction) -> list:
        return [
            doc.path,
            list(self.known.get(_document_iri(doc.path), ())),
            self.names_digest,
            [self.resolution.key_of(doc.path, i) for i in range(len(doc.partnerships))],
            [self.resolution.mention_key_of(doc.path, i) for i in range(len(doc.mentions))],
        ]


class _Readable:
    """The in-memory store of what the analytics can read, made from the last build's in the background.

    Once the forms are read, a thread loads the last build's readable quads
    (:meth:`BuildCache.readable_snapshot`: pyoxigraph parses them without
    the GIL while this process resolves the forms); :meth:`update`
    then replaces only the graphs whose key changed. The store holds the
    same quads as one loaded from scratch, so the analytics give the same.
    """

    def __init__(self, cache: BuildCache) -> None:
        self.cache = cache
        self.found: tuple[dict[str, str], dict[str, bytes], ox.Store] | None = None
        self.kept = self.loaded = 0  # graphs kept from the last build's quads, and loaded now
        self._thread: threading.Thread | None = threading.Thread(target=self._load, daemon=True)
        self._thread.start()

    def wait(self) -> None:
        """Wait until the last build's quads are loaded (or found missing)."""
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def update(self, graphs: dict[str, tuple[str, Callable[[], bytes]]]) -> ox.Store:
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

    def _load_new(self, store: ox.Store, graphs: dict, before: dict[str, str]) -> dict[str, bytes]:
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


class _Batches:
    """N-Quads text, handed to a store writer every :data:`_BATCH` quads (or kept, without one)."""

    def __init__(self, writer: StoreWriter | None) -> None:
        self.writer = writer
        self.pending: list[bytes] = []
        self.size = 0  # quads pending
        self.kept: list[bytes] = []

    def add_data(self, nquads: bytes) -> None:
        """Add N-Quads text (whole lines)."""
        self.pending.append(nquads)
        self.size += nquads.count(b"\n")
        if self.writer is not None and self.size >= _BATCH:
            self.flush()

    def add_lines(self, lines: list[str]) -> None:
        """Add N-Quads lines."""
        self.add_data("".join(lines).encode("utf-8"))

    def flush(self) -> None:
        data = b"".join(self.pending)
        self.pending, self.size = [], 0
        if self.writer is not None:
            self.writer.add(data)
        else:
            self.kept.append(data)

    def data(self) -> bytes:
        self.flush()
        return b"".join(self.kept)


@contextmanager
def _graph_workers(outputs: _Outputs, docs: list[Extraction], jobs: int) -> Iterator[Iterator[list]]:
    """The graphs of ``docs`` made by :meth:`_Outputs.make`, chunk by chunk in order, by ``jobs`` processes.

    The workers are forked from this process, so they share its resolution
    and pseudonymiser without pickling them; each makes chunks of
    :data:`_GRAPH_CHUNK` forms, sent to it. With one job, few forms or no ``fork``, the
    chunks are made here, as they are asked for.
    """
    chunks = [docs[i : i + _GRAPH_CHUNK] for i in range(0, len(docs), _GRAPH_CHUNK)]
    if jobs < 2 or len(chunks) < 2 or not _CAN_FORK:
        outputs.cache.start_writing()
        yield map(outputs.make, chunks)
        return
    outputs.graph_workers = min(jobs, len(chunks))
    outputs.wait_for_threads()
    with _forked_pool(outputs.graph_workers, outputs) as pool:
        made = pool.map(_make_forked, chunks)
        outputs.cache.start_writing()  # the workers have forked (at the first task): threads may start
        yield made


@contextmanager
def _aside(task: Callable[[], tuple], jobs: int) -> Iterator[Callable[[], tuple]]:
    """Run ``task`` in a forked process while the body runs; yield a function that gives its result.

    The process shares this one's memory as it was at the fork, so only the
    task's result is pickled. With one job or no ``fork`` the task runs
    here, before the body. Either way its result is there once the body ends.
    """
    if jobs < 2 or not _CAN_FORK:
        done = task()
        yield lambda: done
        return
    with _forked_pool(1, task) as pool:
        future = pool.submit(_run_aside)
        yield future.result
        future.result()


@contextmanager
def _forked_pool(workers: int, inherited: object) -> Iterator[ProcessPoolExecutor]:
    """A pool of ``workers`` processes forked from this one, finding ``inherited`` in :data:`_INHERITED`.

    Forked, they share this process's memory (extractions, resolution,
    analysis) without pickling it; only their tasks' arguments and results
    are pickled. No thread may run when the pool forks (at its first task).
    """
    global _INHERITED
    _INHERITED = inherited
    try:
        with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork")) as pool:
            yield pool
    finally:
        _INHERITED = None


_CAN_FORK = "fork" in multiprocessing.get_all_start_methods()
_INHERITED: object = None  # what the processes of _forked_pool inherit: the outputs stage or a task


def _run_aside() -> tuple:
    """In the process forked by :func:`_aside`: run its task."""
    return _INHERITED()


def _make_forked(docs: list[Extraction]) -> list[tuple[str, GraphEntry, bytes]]:
    """In a forked graph worker: make the graphs of ``docs``.

    The forms come pickled (their items stay compressed, :class:`kg.cache.LazyItems`)
    rather than read from the memory the worker shares with the build: reading
    them there would touch, and so copy, most of its pages.
    """
    return _INHERITED.make(docs)


def _nquads(keys: list[tuple[str, str, str, str]]) -> list[str]:
    """N-Quads lines of quads given by their terms' ``str`` (N-Triples syntax)."""
    return [f"{s} {p} {o} {g} .\n" for s, p, o, g in keys]


def _parsed_quads(keys: list[tuple[str, str, str, str]]) -> list[ox.Quad]:
    """The quads whose terms' ``str`` are ``keys``, in their order."""
    return list(ox.parse("".join(_nquads(keys)).encode("utf-8"), format=ox.RdfFormat.N_QUADS))


def _resolution(extractions: list[Extraction], cache: BuildCache) -> tuple[Resolution, str]:
    """The organisations of ``extractions`` and the digest of what resolution read of them.

    The last build's resolution is kept when that digest is unchanged (an
    edit that names no new partner or mention, in no other country).
    """
    inputs = resolution_inputs(extractions)
    key = _digest(repr(inputs))
    resolution = cache.cached_step("resolution", key)
    if resolution is None:
        memo = cache.cached_step("resolution-names", "")  # what each name gave alone, in the last build
        memo = memo if isinstance(memo, NameMemo) else NameMemo()
        resolution = resolve_inputs(inputs, memo)
        cache.remember_step("resolution", key, resolution)
        cache.remember_step("resolution-names", "", memo.kept())
    return resolution, key


@lru_cache(maxsize=1 << 16)
def _document_iri(path: str) -> URIRef:
    """:func:`kg.graph.document_iri`, remembered: a build asks for each form's IRI many times."""
    return document_iri(path)


def _reads(keys: list[tuple[str, str, str, str]]) -> tuple[str, tuple[tuple[str, str], ...], tuple[str, ...]]:
    """What the analytics and the report can read of one graph (quads by their terms' ``str``, sorted).

    Returns a digest of the quads their queries can match but the labels
    of loose nodes; the digest of each loose node's labels; and the linked
    nodes. Loose nodes are organisations and mentions whose labels
    (:data:`kg.analyse.READ_LABELS`) are in this graph but that no other
    readable quad of it names; linked ones are those such quads name. A
    query reads a loose node's labels only if some graph links it.
    """
    read = _readable(keys)
    named = (term for key in read if key[1] not in _READ_LABELS for term in (key[0], key[2]))
    linked = {term for term in named if term.startswith(_LOOSE)}
    kept: list[str] = []
    loose: dict[str, list[str]] = {}
    for key in read:
        if key[1] in _READ_LABELS and key[0].startswith(_LOOSE) and key[0] not in linked:
            loose.setdefault(key[0], []).append(" ".join(key))
        else:
            kept.append(" ".join(key))
    labels = tuple((node, _digest("\n".join(lines))) for node, lines in sorted(loose.items()))
    return _digest("\n".join(kept)), labels, tuple(sorted(linked))


def _readable(keys: list[tuple[str, str, str, str]]) -> list[tuple[str, str, str, str]]:
    """The quads (by their terms' ``str``) the analytics' and the report's queries can match.

    Those with :data:`kg.analyse.READ_PREDICATES` or
    :data:`kg.report.READ_PREDICATES`, ``rdf:type`` ones only with an object
    in :data:`kg.analyse.READ_TYPES` (tests/test_analyse.py and
    tests/test_report.py hold the queries to these sets).
    """
    return [key for key in keys if key[1] in _READ_PREDICATES and (key[1] != _TYPE or key[2] in _READ_TYPES)]


class _SharedParts:
    """The reference graph's part of the graph files, with the analytics' Turtle: one part per subject.

    A subject's TriG run and Turtle block make a part named by a digest of
    its reference quads; the Turtle block of a subject the analytics
    describe (it holds their triples too) is a part of its own, named by
    those quads and its analytics quads, since the analytics change with
    any partner. So a rebuild serialises only the subjects whose quads
    changed: a part asked for is made with the next :data:`_SHARED_BATCH`
    parts (in the order of :meth:`names`, the order the graph files ask
    them in) that the last graph files do not hold (``held``), in one
    serialisation: a few at a time, so a large corpus's never fill memory.
    """

    def __init__(self, reference: list[tuple[str, str, str, str]], analytics: list, held: set[str]) -> None:
        self.reference = reference
        self.analytics = analytics
        self.held = held
        self._subjects: dict[str, tuple] | None = None  # part name -> its subject's reference and analytics pairs
        self._made: dict[str, Fragment] = {}
        self._given: set[str] = set()
        self._orders: dict[bool, tuple[list[str], dict[str, int]]] = {}  # held ones too? -> names, their places

    def names(self) -> list[str]:
        """Every part's name."""
        return list(self._by_name())

    def part(self, name: str) -> Fragment:
        """The part ``name``, made with the next parts not held (or held too, if it is: the files changed)."""
        if name not in self._made:
            names, places = self._order(name in self.held)
            at = places[name]
            batch = [n for n in names[at : at + _SHARED_BATCH] if n not in self._made and n not in self._given]
            self._made.update(self._make(batch))
        self._given.add(name)
        return self._made.pop(name)

    def _order(self, held_too: bool) -> tuple[list[str], dict[str, int]]:
        if held_too not in self._orders:
            names = [n for n in self._by_name() if held_too or n not in self.held]
            self._orders[held_too] = names, {n: i for i, n in enumerate(names)}
        return self._orders[held_too]

    def _by_name(self) -> dict[str, tuple]:
        if self._subjects is None:
            self._subjects = _shared_subjects(self.reference, self.analytics)
        return self._subjects

    def _make(self, names: list[str]) -> dict[str, Fragment]:
        """The parts ``names``, from one serialisation of their runs and one of their blocks with analytics."""
        by_name = self._by_name()
        runs = _with_quads(sorted(pair for name in names if name.startswith("run ") for pair in by_name[name][1]))
        blocks = _with_quads(sorted(pair for name in names if name.startswith("block ") for pair in by_name[name][1]))
        alone = fragment([q for _k, q in runs], [k for k, _q in runs])
        both = fragment([q for _k, q in blocks], [k for k, _q in blocks])
        trig = {subject: (subject, graph, text) for subject, graph, text in alone.trig}
        ttl = dict(alone.ttl) | dict(both.ttl)
        header = (alone.header[0] or both.header[0], both.header[1] or alone.header[1])
        made = {}
        for name in names:
            subject, pairs, described = by_name[name]
            triples = len({key[:3] for key, _quad in pairs})
            if name.startswith("run "):
                run, block = [trig[subject]], [] if described else [(subject, ttl[subject])]
                made[name] = Fragment(run, block, 0 if described else triples, header)
            else:
                made[name] = Fragment([], [(subject, ttl[subject])], triples, header)
        return made


def _shared_subjects(reference: list[tuple[str, str, str, str]], analytics: list) -> dict[str, tuple]:
    """Part name -> ``(subject, its (key, quad) pairs, described)``: see :class:`_SharedParts`.

    A reference quad is None until a part holding it is made (:func:`_with_quads`).
    """
    described: dict[str, list] = {}
    for quad in analytics:
        key = (str(quad.subject), str(quad.predicate), str(quad.object), str(quad.graph_name))
        described.setdefault(key[0], []).append((key, quad))
    found: dict[str, tuple] = {}
    pairs = [(key, None) for key in reference]
    for subject, group in groupby(pairs, key=lambda pair: pair[0][0]):
        own = list(group)
        digest = _digest("\n".join(" ".join(key) for key, _quad in own))
        found[f"run {digest}"] = (subject, own, subject in described)
        if subject in described:
            both = sorted(own + described.pop(subject))
            found[f"block {_digest(digest + ' '.join(' '.join(key) for key, _q in both))}"] = (subject, both, True)
    for subject, extra in sorted(described.items()):  # described, not in the reference graph
        both = sorted(extra)
        found[f"block {_digest(' '.join(' '.join(key) for key, _q in both))}"] = (subject, both, True)
    return found


def _with_quads(pairs: list[tuple[tuple, ox.Quad | None]]) -> list[tuple[tuple, ox.Quad]]:
    """``(key, quad)`` pairs, the missing quads parsed from their keys."""
    parsed = iter(_parsed_quads([key for key, quad in pairs if quad is None]))
    return [(key, quad if quad is not None else next(parsed)) for key, quad in pairs]


def _organisations(reference: list[tuple[str, str, str, str]]) -> dict[str, str]:
    """Organisation IRI -> label, of the reference graph's quads (as keys)."""
    orgs = {key[0] for key in reference if key[1] == _TYPE and key[2] == _ORGANIZATION}
    labelled = [key for key in reference if key[1] == _PREF_LABEL and key[0] in orgs]
    labels = {str(quad.subject)[1:-1]: quad.object.value for quad in _parsed_quads(labelled)}
    return {iri: labels.get(iri, "") for iri in sorted(key[1:-1] for key in orgs)}


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _settings(privacy: Pseudonymiser) -> str:
    """What of the pseudonymiser outputs depend on, without its key: on or off, and a keyed token."""
    return f"{privacy.enabled}:{privacy.person('portfolio-kg cache settings')}"


def _same_inputs(previous: dict | None, inputs: list[tuple[Path, str]], hashes: tuple[str | None, ...]) -> bool:
    if previous is None or None in hashes:
        return False
    forms = previous.get("forms", {})
    return len(forms) == len(inputs) and all(
        forms.get(shown, {}).get("sha256") == sha for (_, shown), sha in zip(inputs, hashes, strict=True)
    )


def _unchanged(
    cache: BuildCache, out_dir: Path, timings: dict[str, float], start: float, stats: dict[str, list[int]]
) -> BuildResult:
    """Nothing changed since the last build: keep its outputs, rewrite the manifest (times, changes).

    Files touched but not changed get their new size and time (``stats``) in the index.
    """
    manifest = json.loads((out_dir / "manifest.json").read_text(encoding="utf-8"))
    records = [FileRecord(**entry) for entry in manifest["files"]]
    summary = manifest["summary"]
    figures = {
        "cache": {
            "files_hashed": cache.hashed,
            "forms_extracted": 0,
            "forms_reused": len(records),
            "store": "kept",
            "outputs": "kept",
        },
        "privacy": summary.get("privacy", {}),
    }
    result = BuildResult(
        out_dir,
        records,
        summary["triples"],
        summary["organisations"],
        summary["partnerships"],
        timings,
        changes(cache.previous, cache.previous),
        figures,
    )
    timings["total"] = time.perf_counter() - start
    _write_manifest(result, out_dir)
    for shown, entry in cache.previous["forms"].items():
        entry["stat"] = stats[shown]
    kept = ("forms", "store", "organisations", "partnerships", "insights")
    cache.save({key: cache.previous[key] for key in kept if key in cache.previous})
    return result


def _room_to_fork() -> bool:
    """Whether the machine has room for a second copy of this process (one forked may copy what it touches).

    A large corpus's build holds gigabytes when the views are written: a
    process forked then, copying the pages it touches, could exhaust the
    machine's memory. Where the figures are unknown (not Linux), there is room.
    """
    available, used = _meminfo_kib("/proc/meminfo", "MemAvailable:"), _meminfo_kib("/proc/self/status", "VmRSS:")
    return available is None or used is None or available > used


def _meminfo_kib(path: str, field: str) -> int | None:
    """The kibibytes in the line of ``path`` (a /proc file) starting with ``field``; None if there is none."""
    try:
        with open(path, encoding="ascii") as lines:
            return next((int(line.split()[1]) for line in lines if line.startswith(field)), None)
    except (OSError, ValueError, IndexError):
        return None


def _give_back_memory() -> None:
    """Return the heap's free pages to the system (glibc's ``malloc_trim``; nothing elsewhere).

    glibc keeps memory freed by Python and by pyoxigraph's threads for
    reuse: after a stage that made and dropped a lot (the workers' results,
    the store's batches) a large corpus's build keeps gigabytes it no longer
    uses, which a process forked then would count as its own once touched.
    """
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@lru_cache(maxsize=1)
def _malloc_trim():
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None).malloc_trim  # glibc's; musl has none (AttributeError)
    except (OSError, AttributeError):
        return None


@contextmanager
def _paused_gc():
    """Pause the cyclic garbage collector: a build makes millions of small objects and no cycles worth a pass.

    Each pass walks every live object (the forms' text, the graph's terms):
    left on, the collector takes a third of the graph stage. Turned on again,
    its next pass would walk every object made meanwhile (0.5 s after a
    rebuild): they go to the oldest generation instead, whose full passes
    are rare, and cycles among them (matplotlib's parser leaves some, holding
    the build's frames) are freed by the next one.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.freeze()  # moves every tracked object out of the young generations...
            gc.unfreeze()  # ...into the oldest one
            gc.enable()


def _write_views(
    analysis: Analysis,
    out_dir: Path,
    store: ox.Store | None = None,
    drawn: dict[str, bytes] | None = None,
    draw: Callable[[report.Chart], bytes] | None = None,
) -> None:
    """Write ecosystem.html (whole portfolio) and report.md/report.html (from ``store``, or OUT's).

    ``drawn`` holds charts drawn before and ``draw`` draws the others (see :func:`kg.report.write_report`).
    """
    from kg.visualise import portfolio_view, write_html

    write_html(portfolio_view(analysis), out_dir / "ecosystem.html")
    report.write_report(out_dir, analysis=analysis, store=store, drawn=drawn, draw=draw)


@contextmanager
def _chart_process(jobs: int | None) -> Iterator[_ChartProcess | None]:
    """A :class:`_ChartProcess` while the build runs, with more than one job and ``fork`` (else None)."""
    drawer = _ChartProcess() if _CAN_FORK and max(1, jobs or os.cpu_count() or 1) > 1 else None
    try:
        yield drawer
    finally:
        if drawer is not None:
            drawer.close()


class _ChartProcess:
    """A process that draws the report's charts, forked when the build starts.

    It imports matplotlib (half a second, most of drawing a chart) at once,
    on a core the build leaves idle while it reads and resolves, so the
    report's process later finds it ready; its PNGs are those
    :meth:`kg.report.Chart.draw` gives here. Closed at the build's end
    (or it ends by itself when this process ends).
    """

    def __init__(self) -> None:
        context = multiprocessing.get_context("fork")
        self._connection, theirs = context.Pipe()
        self._process = context.Process(target=_serve_charts, args=(theirs, self._connection), daemon=True)
        self._process.start()
        theirs.close()

    def draw(self, chart: report.Chart) -> bytes:
        """The chart's PNG, drawn by the process (or here, if it failed)."""
        try:
            self._connection.send((chart.kind, chart.data))
            ok, png = self._connection.recv()
        except (OSError, EOFError):
            ok, png = False, b""
        return png if ok else chart.draw()

    def close(self) -> None:
        """Stop the process."""
        try:
            self._connection.send(None)
        except OSError:
            pass
        self._process.join(timeout=10)
        if self._process.is_alive():
            self._process.terminate()
        self._connection.close()


def _serve_charts(connection, parents: object) -> None:
    """In the process :class:`_ChartProcess` forks: get ready to draw, then draw each chart asked for."""
    parents.close()
    report.prepare_drawing()
    while True:
        try:
            asked = connection.recv()
        except (EOFError, OSError):  # the build ended
            return
        if asked is None:
            return
        try:
            connection.send((True, report.Chart(*asked).draw()))
        except Exception:  # noqa: BLE001 - the build draws it itself, and sees the error there
            connection.send((False, b""))


class _Charts(dict):
    """The report's charts by key: those of ``previous`` asked for, and those drawn now (counted in ``drawn``).

    Only these are kept for the next build, so charts no report shows any
    more are dropped.
    """

    def __init__(self, previous: dict[str, bytes]) -> None:
        super().__init__()
        self.previous = previous
        self.drawn = 0

    def __contains__(self, key: object) -> bool:
        if not super().__contains__(key) and key in self.previous:
            self[key] = self.previous[key]
        return super().__contains__(key)

    def __setitem__(self, key: str, png: bytes) -> None:
        self.drawn += key not in self.previous
        super().__setitem__(key, png)


def _walk(source: Path) -> Iterator[tuple[Path, str]]:
    """Form files under ``source`` (symbolic links to folders not followed) with their path relative to it."""
    if source.is_file():
        yield source, source.name
        return
    for root, folders, files in os.walk(source):
        folders.sort()
        relative = Path(root).relative_to(source).as_posix()
        for name in sorted(files):
            # A file named just ".md" is a form too (the archive has one): compare the ending, not the suffix.
            if name.lower().endswith(FORM_SUFFIXES) and os.path.isfile(path := os.path.join(root, name)):
                yield Path(path), name if relative == "." else f"{relative}/{name}"


def _read_all(
    inputs: list[tuple[Path, str]],
    hashes: list[str | None],
    jobs: int | None,
    progress: Progress | None,
    cache: BuildCache,
) -> tuple[list[FileRecord], list[Extraction], dict[int, str], dict]:
    """Every form's record and extraction: from the cache when its bytes are unchanged, else read and extracted.

    Forms to extract go to ``jobs`` worker processes (default: one per core)
    in chunks of :data:`_CHUNK`, one spaCy batch each; each worker loads the
    model once and skips texts the cache's NER memo already holds. The
    workers start first: the main process loads the cached forms (and the
    cached graphs, :meth:`BuildCache.preload`) while they work and
    load spaCy. Returns the records, the extractions, the display
    path of each extraction (by ``id``) and figures of the work done.
    """
    results: list = [None] * len(inputs)
    keys = [cache.form_key(shown, sha) for (_path, shown), sha in zip(inputs, hashes, strict=True)]
    cached = [cache.has_form(key) for key in keys]
    todo = [index for index, found in enumerate(cached) if not found]
    late: list[int] = []  # cached entries that turn out damaged

    def load_cached() -> None:
        for index, key in enumerate(keys):
            if cached[index]:
                found = cache.cached_form(key)
                if found is None:
                    late.append(index)
                else:
                    results[index] = (FileRecord(**found[0]), found[1])
        work.done = len(inputs) - len(todo) - len(late)
        if progress:
            progress(work.done, len(inputs))

    memo = cache.ner_memo() if todo else {}
    work = _Extracted(results, progress, cache.enabled)
    workers = max(1, jobs or os.cpu_count() or 1)
    if todo and sum(cached) >= 2 * _CHUNK:  # the workers start first (and load spaCy) while the main process loads

        def meanwhile() -> None:
            load_cached()
            cache.preload()

        work.add(todo, _extract([inputs[i] for i in todo], memo, workers, meanwhile))
    else:
        load_cached()
        work.add(todo, _extract([inputs[i] for i in todo], memo, workers))
    if late:
        memo = memo or cache.ner_memo()
        work.add(late, _extract([inputs[i] for i in late], memo, workers))
    cache.extracted, cache.reused = len(todo) + len(late), len(inputs) - len(todo) - len(late)
    if not work.missing:
        cache.remember_ner(memo, work.additions)
        for index, data in work.fresh:
            cache.remember_form(keys[index], data)
    records = [record for record, _ in results]
    extractions = [extraction for _, extraction in results if extraction is not None]
    origins = {
        id(extraction): (record.path, key)
        for (record, extraction), key in zip(results, keys, strict=True)
        if extraction is not None
    }
    figures = {
        "cpu": work.cpu,
        "ner": {
            "texts": work.asked,
            "texts_read": len(work.additions),
            "words_in_texts_read": sum(len(text.split()) for text in work.additions),
            "words_read": sum(ner.words_read(text) for text in work.additions),
            "model_missing": work.missing,
        },
    }
    return records, extractions, origins, figures


class _Extracted:
    """What the extraction workers gave: results in place, pickled entries for the cache, CPU and NER figures.

    Each extraction's items are kept pickled (:class:`kg.cache.LazyItems`):
    held as objects, a large corpus's would not fit in memory.
    """

    def __init__(self, results: list, progress: Progress | None, caching: bool) -> None:
        self.results = results
        self.caching = caching  # whether to make the cache's entries (:attr:`fresh`)
        self.progress = progress
        self.done = 0
        self.cpu = {"read_parse": 0.0, "extract": 0.0, "ner": 0.0}
        self.asked = 0
        self.missing = 0
        self.additions: dict = {}
        self.fresh: list[tuple[int, bytes]] = []

    def add(self, indices: list[int], chunks: Iterator[tuple[int, tuple]]) -> None:
        """Take the chunks' results, for the inputs at ``indices``."""
        for chunk, (pairs, figure, added) in chunks:
            for index, pair in zip(indices[chunk : chunk + len(pairs)], pairs, strict=True):
                if pair[1] is not None:
                    pair[1].items = LazyItems(pickled_items(pair[1]))
                self.results[index] = pair
                if self.caching:
                    self.fresh.append((index, form_entry(asdict(pair[0]), pair[1])))
            for key in self.cpu:
                self.cpu[key] += figure["cpu_seconds"][key]
            self.asked += figure["ner"]["texts"]
            self.missing = max(self.missing, figure["ner"]["model_missing"])
            self.additions.update(added)
            self.done += len(pairs)
            if self.progress:
                self.progress(self.done, len(self.results))


def _extract(
    inputs: list[tuple[Path, str]], memo: dict, jobs: int, meanwhile: Callable[[], None] | None = None
) -> Iterator[tuple[int, tuple]]:
    """``(offset, chunk result)`` of every chunk of ``inputs``, in order, in worker processes if worth it.

    ``meanwhile`` runs once the workers have their tasks (before the first
    result): with ``jobs`` > 1 the main process does it while they work.
    """
    chunks = [inputs[i : i + _CHUNK] for i in range(0, len(inputs), _CHUNK)]
    offsets = range(0, len(inputs), _CHUNK)
    if jobs == 1 or not chunks or (len(inputs) < 2 * _CHUNK and meanwhile is None):
        if meanwhile is not None:
            meanwhile()
        _start_worker(memo)
        try:
            yield from zip(offsets, map(_read_chunk, chunks), strict=True)
        finally:
            gc.disable()
        return
    workers = min(jobs, len(chunks))
    with ProcessPoolExecutor(max_workers=workers, initializer=_start_worker, initargs=(memo,)) as pool:
        done = pool.map(_read_chunk, chunks)
        if meanwhile is not None:
            meanwhile()
        yield from zip(offsets, done, strict=True)


def _start_worker(memo: dict) -> None:
    """Give a process reading forms the NER memo, and its garbage collector back (spaCy makes cycles)."""
    ner.use_memo(memo)
    gc.enable()


def _read_chunk(pairs: list[tuple[Path, str]]) -> tuple[list, dict, dict]:
    """Read a chunk of forms and extract them in one spaCy batch; a failure falls back to one form at a time.

    Returns the ``(record, extraction)`` pairs, CPU seconds and NER counts, and the texts spaCy read.
    """
    ner.ner_stats(reset=True)
    clock = time.process_time()
    try:
        records = [FileRecord(path=shown) for _, shown in pairs]
        opened = [_open(pair, record) for pair, record in zip(pairs, records, strict=True)]
        reading = time.process_time() - clock
        found = iter(extract_many([form for form, _ in opened if form is not None]))
        results = [
            _close(record, messages, next(found) if form is not None else None)
            for record, (form, messages) in zip(records, opened, strict=True)
        ]
    except Exception:  # noqa: BLE001 - find the form at fault: the others must still build
        reading = 0.0
        results = [_read_one(pair) for pair in pairs]
    stats = ner.ner_stats(reset=True)
    spent = time.process_time() - clock
    figures = {
        "cpu_seconds": {"read_parse": reading, "extract": spent - reading - stats["seconds"], "ner": stats["seconds"]},
        "ner": {k: v for k, v in stats.items() if k != "seconds"},
    }
    return results, figures, ner.memo_additions()


def _read_one(pair: tuple[Path, str]) -> tuple[FileRecord, Extraction | None]:
    """Read and extract one form; any failure becomes an error record."""
    record = FileRecord(path=pair[1])
    try:
        form, messages = _open(pair, record)
        extraction = extract(form) if form is not None else None
    except Exception as exc:  # noqa: BLE001 - one bad file must not stop the build
        where = traceback.extract_tb(exc.__traceback__)[-1]
        text = f"internal error {type(exc).__name__}: {exc} (at {Path(where.filename).name}:{where.lineno})"
        messages = [Message("error", "internal", text)]
        extraction = None
    return _close(record, messages, extraction)


def _open(pair: tuple[Path, str], record: FileRecord) -> tuple[Form | None, list[Message]]:
    """Read one form into ``record``: the form if it has content to extract, and its messages."""
    path, shown = pair
    form = read_form(path, shown)
    record.sha256, record.encoding = form.sha256, form.encoding
    messages = list(form.messages)
    if any(m.level == "error" for m in messages):
        return None, messages
    if form.n_lines and (form.items or form.tags or form.title):
        return form, messages
    messages.append(Message("error", "empty", "no form content: nothing to build"))
    return None, messages


def _close(
    record: FileRecord, messages: list[Message], extraction: Extraction | None
) -> tuple[FileRecord, Extraction | None]:
    """Finish a form's record: its extraction's family, document and messages, and its status."""
    if extraction is not None:
        messages = messages + extraction.messages
        record.family = extraction.family
        record.document = str(_document_iri(record.path))
    record.messages = [asdict(m) for m in sorted(messages, key=lambda m: (m.line, m.level, m.code, m.text))]
    record.status = _status(messages)
    return record, extraction


def _status(messages: list[Message]) -> str:
    levels = {m.level for m in messages}
    return "error" if "error" in levels else "warning" if "warning" in levels else "ok"


def _flag_duplicates(records: list[FileRecord]) -> None:
    first: dict[str, str] = {}
    for record in records:
        if not record.sha256:
            continue
        if record.sha256 in first:
            text = f"same content as {first[record.sha256]}"
            record.messages.append(asdict(Message("warning", "duplicate-content", text)))
            if record.status == "ok":
                record.status = "warning"
        else:
            first[record.sha256] = record.path


def _protect(
    privacy: Pseudonymiser,
    extractions: list[Extraction],
    records: list[FileRecord],
    cache: BuildCache | None = None,
    origins: dict[int, tuple[str, str | None]] | None = None,
) -> Protection:
    """Find personal values, pseudonymise names in file names and in the records' messages.

    Records keep the input path (the cache knows files by it) and, when it
    spells a person's name, the pseudonymised one (``published``, the path the
    manifest shows); their document IRI follows the extraction's path.
    With ``cache`` (and the display path and entry key of each extraction,
    ``origins``), what the pseudonymiser reads of each form comes from the
    cache for unchanged forms (see :func:`_privacy_inputs`).
    """
    originals = [doc.path for doc in extractions]
    facts, counts = _privacy_inputs(privacy, extractions, cache, origins)
    protection = privacy.protect(extractions, facts, counts)
    renamed = {old: doc.path for old, doc in zip(originals, extractions, strict=True)}
    for record in records:
        path = renamed.get(record.path, record.path)
        if path != record.path:
            record.published = path
        if record.document:
            record.document = str(_document_iri(path))
        for message in record.messages:
            known = protection.known.get(path, ())
            message["text"] = privacy.message(message["code"], message["text"], known, protection.names)
    return protection


def _privacy_inputs(
    privacy: Pseudonymiser,
    docs: list[Extraction],
    cache: BuildCache | None,
    origins: dict[int, tuple[str, str | None]] | None,
) -> tuple[list[FormFacts] | None, WordCounts | None]:
    """Each form's privacy facts and the build's word counts: cached ones kept, new and changed forms read.

    Returns ``(None, None)`` (``protect`` reads every form) without a usable
    cache. Call it before ``protect`` renames the extractions.
    """
    if cache is None or origins is None or not (cache.enabled and privacy.enabled):
        return None, None
    keys = [origins[id(doc)][1] for doc in docs]
    if None in keys:
        return None, None
    known, counts = cache.privacy_state() or ({}, None)
    facts = []
    for key, doc in zip(keys, docs, strict=True):
        found = known.get(key)
        facts.append(found if found is not None else privacy.form_facts(doc))
    counts = _word_counts(counts, dict(zip(keys, docs, strict=True)), cache)
    cache.remember_privacy(dict(zip(keys, facts, strict=True)), counts)
    return facts, counts


def _word_counts(counts: WordCounts | None, docs: dict[str, Extraction], cache: BuildCache) -> WordCounts:
    """``counts`` of the last build made the counts of ``docs`` (by entry key), or counted anew.

    The words of forms gone are taken back (their entries are read again
    from the cache), those of new forms added. With more than half the forms
    gone, or an entry gone missing, every form is counted again.
    """
    gone = sorted(counts.members - docs.keys()) if counts is not None else []
    if counts is not None and len(gone) <= len(docs) // 2:
        for key in gone:
            found = cache.cached_form(key)
            if found is None or found[1] is None:
                counts = None
                break
            counts.remove(key, form_words(found[1]))
    else:
        counts = None
    if counts is None:
        counts = WordCounts()
    for key in sorted(docs.keys() - counts.members):
        counts.add(key, form_words(docs[key]))
    return counts


def _count_triples(entries: dict[str, GraphEntry], records: list[FileRecord]) -> None:
    by_doc = {r.document: r for r in records if r.document}
    for entry in entries.values():
        record = by_doc.get(entry.graph)
        if record is not None:
            record.triples = entry.triples


def _privacy_figures(privacy: Pseudonymiser, protection: Protection) -> dict:
    """The manifest's privacy summary: whether personal data was pseudonymised, and what each rule found (counts)."""
    if not privacy.enabled:
        return {"pseudonymised": False}
    return {"pseudonymised": True, "found_by_rule": protection.found}


def _write_manifest(result: BuildResult, out_dir: Path) -> None:
    statuses = Counter(r.status for r in result.records)
    codes = Counter(m["code"] for r in result.records for m in r.messages)
    manifest = {
        "tool": "portfolio-kg",
        "version": __version__,
        "built_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "reference_graph": str(REFERENCE_GRAPH),
        "summary": {
            "files": len(result.records),
            "status": dict(sorted(statuses.items())),
            "families": dict(sorted(Counter(r.family or "none" for r in result.records).items())),
            "messages_by_code": dict(sorted(codes.items())),
            "triples": result.triples,
            "organisations": result.organisations,
            "partnerships": result.partnerships,
            "seconds": {k: round(v, 3) for k, v in result.seconds.items()},
            **_rounded(result.figures),
        },
        "changes": result.changes,
    }
    head = json.dumps(manifest, indent=2, ensure_ascii=False)  # ends with "\n}"
    # One line per file: quicker to write (json's C encoder) and to grep. asdict's deep copy is not needed.
    files = ",\n".join("    " + json.dumps(_manifest_entry(r), ensure_ascii=False) for r in result.records)
    text = head[:-2] + ',\n  "files": [\n' + files + "\n  ]\n}\n"
    (out_dir / "manifest.json").write_text(text, encoding="utf-8")


def _manifest_entry(record: FileRecord) -> dict:
    """A record as the manifest shows it: under its published path, which names nobody."""
    entry = dict(vars(record))
    published = entry.pop("published")
    if published:
        entry["path"] = published
    return entry


def _rounded(figures: dict) -> dict:
    return {
        group: {k: round(v, 3) if isinstance(v, float) else v for k, v in values.items()}
        for group, values in figures.items()
    }
