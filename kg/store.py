"""Serialise the graph fast and deterministically, and keep a queryable store.

rdflib's Turtle writer needs minutes for the archive's ~700k triples, so the
build writes through pyoxigraph: quads are converted once, sorted (so the same
inputs give byte-identical files whatever their order), written as TriG and
Turtle with the project's prefixes, and bulk-loaded into a persistent
pyoxigraph store under ``OUT/store`` that :mod:`kg.query` answers from.

For rebuilds the files are spliced from :class:`Fragment` objects, each
part of the dataset (a form's graph) serialised on its own and cut into
per-subject runs, so a form that did not change is not serialised again;
the store is written from N-Quads in a background thread
(:class:`StoreWriter`) or updated in place (:func:`update_store`).
"""

from __future__ import annotations

import queue
import re
import shutil
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from itertools import chain, groupby
from operator import itemgetter
from pathlib import Path

import pyoxigraph as ox
from rdflib import BNode, Literal, URIRef

from kg.errors import InputError
from kg.namespaces import PREFIXES

__all__ = [
    "to_ox_term",
    "to_ox_quads",
    "write_graph_files",
    "write_store",
    "extend_store",
    "update_store",
    "StoreWriter",
    "open_store",
    "Fragment",
    "FragmentError",
    "fragment",
    "write_fragments",
    "STORE_DIR",
]

STORE_DIR = "store"

_PREFIXES = {prefix: str(namespace) for prefix, namespace in PREFIXES.items()}


def to_ox_term(term: URIRef | Literal | BNode) -> ox.NamedNode | ox.Literal | ox.BlankNode:
    """Convert an rdflib term to the equivalent pyoxigraph term."""
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    return ox.BlankNode(str(term))


def to_ox_quads(graphs: Mapping[URIRef, Iterable[tuple]]) -> list[ox.Quad]:
    """Every triple of ``graphs`` (graph IRI -> triples) as sorted, unique pyoxigraph quads."""
    cache: dict = {}

    def convert(term):
        found = cache.get(term)
        if found is None:
            found = cache[term] = to_ox_term(term)
        return found

    quads = {
        ox.Quad(convert(s), convert(p), convert(o), ox.NamedNode(str(graph)))
        for graph, triples in graphs.items()
        for s, p, o in triples
    }
    return sorted(quads, key=str)


def write_graph_files(quads: list[ox.Quad], out_dir: Path) -> int:
    """Write ``graph.trig`` (named graphs) and ``graph.ttl`` (their union); return the union's size."""
    _serialize(quads, out_dir / "graph.trig", ox.RdfFormat.TRIG)
    triples = sorted({q.triple for q in quads}, key=str)
    _serialize(triples, out_dir / "graph.ttl", ox.RdfFormat.TURTLE)
    return len(triples)


def write_store(quads: list[ox.Quad], out_dir: Path) -> Path:
    """Replace ``OUT/store`` with a pyoxigraph store holding ``quads``."""
    location = out_dir / STORE_DIR
    if location.exists():
        shutil.rmtree(location)
    store = ox.Store(str(location))
    store.bulk_extend(quads)
    store.flush()
    store.optimize()
    del store
    return location


def extend_store(quads: list[ox.Quad], out_dir: Path) -> None:
    """Add ``quads`` to the existing ``OUT/store`` (e.g. the analytics graph, computed from the store)."""
    store = ox.Store(str(out_dir / STORE_DIR))
    store.bulk_extend(quads)
    store.flush()
    del store


@dataclass
class Fragment:
    """Part of a dataset serialised on its own, cut where :func:`write_fragments` can splice it.

    ``trig`` holds runs, one subject's quads in one graph: ``(subject as in
    str(quad), graph name as written, text)``; ``ttl`` holds each subject's
    block of the union (``(subject, text)``); graph names and texts are UTF-8
    bytes, so the splice only copies them. Fragments whose subjects differ
    splice into the same bytes as :func:`write_graph_files` writes for all
    their quads: the writer is a streaming one (a run's text depends only on
    the run) and every quad sorts by its subject first.
    """

    trig: list[tuple[str, bytes, bytes]]
    ttl: list[tuple[str, bytes]]
    triples: int
    header: tuple[bytes, bytes] = (b"", b"")


class FragmentError(ValueError):
    """pyoxigraph wrote something the splicer does not know how to cut (write the whole dataset instead)."""


def fragment(quads: list[ox.Quad], keys: list[tuple[str, str, str, str]]) -> Fragment:
    """Serialise ``quads`` (unique and sorted, ``keys`` their terms' ``str``) as TriG and Turtle, cut into runs.

    A fragment of one graph gets its Turtle from its TriG (the same text one
    tab less indented; checked once per process against pyoxigraph's Turtle).

    Raises:
        FragmentError: if the text does not cut into the runs the quads make.
    """
    if not quads:
        return Fragment([], [], 0)
    runs = _group(keys, lambda key: (key[0], key[3]))
    header, trig = _ordered_header(ox.serialize(quads, format=ox.RdfFormat.TRIG, prefixes=_PREFIXES))
    trig_runs = _cut_trig(trig.decode("utf-8"), [subject for subject, _graph in runs])
    if len(runs) == len({subject for subject, _graph in runs}) and _DERIVED_TURTLE.get("ok", True):
        blocks = [(subject, _UNTAB.sub("", text)) for subject, _graph, text in trig_runs]
        if "ok" not in _DERIVED_TURTLE:
            _DERIVED_TURTLE["ok"] = _turtle_fragment(quads, keys)[0] == blocks
            return fragment(quads, keys)
        return _encoded(trig_runs, blocks, len(quads), (header, header))
    blocks, triples, ttl_header = _turtle_fragment(quads, keys)
    return _encoded(trig_runs, blocks, triples, (header, ttl_header))


def write_fragments(fragments: Iterable[Fragment], out_dir: Path, tail: list[ox.Quad] = ()) -> int:
    """Write ``graph.trig`` and ``graph.ttl`` of the fragments' quads, byte for byte as :func:`write_graph_files`.

    ``graph.trig`` gets the fragments' quads in sorted order, then ``tail``
    in its own order (the build appends the analytics graph so); the
    fragments' Turtle must already hold the tail's triples. Returns the
    number of triples of the union.

    Raises:
        FragmentError: if two fragments share a subject (their runs would interleave).
    """
    fragments = [f for f in fragments if f.trig or f.ttl]
    runs = _spliced([f.trig for f in fragments])
    blocks = _spliced([f.ttl for f in fragments])
    if not fragments:
        return write_graph_files(list(tail), out_dir)
    with open(out_dir / "graph.trig", "wb", buffering=1 << 20) as trig:  # written piece by piece: never joined
        trig.write(fragments[0].header[0])
        for graph, group in groupby(runs, key=itemgetter(1)):
            trig.write(graph + b" {\n")
            trig.writelines(map(itemgetter(2), group))
            trig.write(b"}\n")
        if tail:
            trig.write(_ordered_header(ox.serialize(tail, format=ox.RdfFormat.TRIG, prefixes=_PREFIXES))[1])
    with open(out_dir / "graph.ttl", "wb", buffering=1 << 20) as ttl:
        ttl.write(fragments[0].header[1])
        ttl.writelines(map(itemgetter(1), blocks))
    return sum(f.triples for f in fragments)


def update_store(out_dir: Path, graphs: Iterable[str], remove: bytes, add: bytes) -> None:
    """Change ``OUT/store`` in place: drop the named ``graphs`` (IRIs), then the quads of ``remove``, add ``add``.

    ``remove`` and ``add`` are N-Quads. The store ends with the same quads as
    one written anew (not compacted: RocksDB does that in its own time).
    """
    store = ox.Store(str(out_dir / STORE_DIR))
    for graph in graphs:
        store.remove_graph(ox.NamedNode(graph))
    if remove:
        for quad in ox.parse(remove, ox.RdfFormat.N_QUADS):
            store.remove(quad)
    if add:
        store.bulk_load(add, ox.RdfFormat.N_QUADS)
    store.flush()
    del store


class StoreWriter:
    """Write a new ``OUT/store`` from N-Quads batches in a background thread while the caller goes on.

    pyoxigraph parses and writes N-Quads without holding the GIL, so on two
    cores the store costs the build almost nothing: the graph stage makes the
    next batch meanwhile. :meth:`close` waits for the last batch.
    """

    def __init__(self, out_dir: Path) -> None:
        location = out_dir / STORE_DIR
        if location.exists():
            shutil.rmtree(location)
        self._store = ox.Store(str(location))
        self._queue: queue.Queue = queue.Queue(maxsize=4)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="kg-store-writer", daemon=True)
        self._thread.start()

    def add(self, nquads: bytes) -> None:
        """Queue a batch of N-Quads (blocks while four batches wait)."""
        if nquads:
            self._queue.put(nquads)

    def close(self) -> None:
        """Load what is queued, flush and close the store; re-raise the writer's error, if any."""
        self._queue.put(None)
        self._thread.join()
        if self._error is not None:
            raise self._error

    def _run(self) -> None:
        while (data := self._queue.get()) is not None:
            if self._error is None:
                try:
                    self._store.bulk_load(data, ox.RdfFormat.N_QUADS)
                except BaseException as exc:  # noqa: BLE001 - handed to close()
                    self._error = exc
        try:
            self._store.flush()
            self._store.optimize()
        except BaseException as exc:  # noqa: BLE001 - handed to close()
            self._error = self._error or exc
        del self._store


def open_store(out_dir: Path) -> ox.Store:
    """Open the store of a build read-only; load ``graph.trig`` in memory if there is none.

    Raises:
        InputError: if ``out_dir`` holds neither a store nor a graph.trig.
    """
    location = out_dir / STORE_DIR
    if location.is_dir():
        return ox.Store.read_only(str(location))
    trig = out_dir / "graph.trig"
    if not trig.is_file():
        raise InputError(f"{out_dir} holds no built graph (no {STORE_DIR}/ and no graph.trig); run 'kg build' first")
    store = ox.Store()
    store.bulk_load(path=str(trig), format=ox.RdfFormat.TRIG)
    return store


def _encoded(trig: list[tuple[str, str, str]], ttl: list[tuple[str, str]], triples: int, header) -> Fragment:
    """A :class:`Fragment` of runs and blocks cut as text, their graph names and texts encoded."""
    runs = [(subject, graph.encode("utf-8"), text.encode("utf-8")) for subject, graph, text in trig]
    return Fragment(runs, [(subject, text.encode("utf-8")) for subject, text in ttl], triples, header)


def _spliced(lists: list[list[tuple]]) -> list[tuple]:
    """Every fragment's runs (or blocks) in subject order; a subject must belong to one fragment."""
    subject = itemgetter(0)
    items = sorted(chain.from_iterable(lists), key=subject)
    if len(set(map(subject, items))) != sum(len(set(map(subject, runs))) for runs in lists):
        raise FragmentError("a subject is in two fragments")
    return items


_DERIVED_TURTLE: dict[str, bool] = {}
_UNTAB = re.compile(r"^\t", re.MULTILINE)
_RUN_START = re.compile(r"(?<=\n)(?=\t[^\t])")
_NOT_IN_RUN = re.compile(r"\n[^\t]")


def _turtle_fragment(quads: list[ox.Quad], keys: list[tuple]) -> tuple[list[tuple[str, str]], int, bytes]:
    """The Turtle blocks of the quads' union (their triples), its size and its header."""
    triple_keys: list[tuple] = []
    triples: list[ox.Triple] = []
    for quad, key in zip(quads, keys, strict=True):
        if not triple_keys or triple_keys[-1] != key[:3]:
            triple_keys.append(key[:3])
            triples.append(quad.triple)
    header, ttl = _ordered_header(ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=_PREFIXES))
    return _cut_turtle(ttl.decode("utf-8"), _group(triple_keys, lambda key: key[0])), len(triples), header


def _group(keys: list, head) -> list:
    """The distinct consecutive values of ``head(key)``."""
    groups: list = []
    for key in keys:
        value = head(key)
        if not groups or groups[-1] != value:
            groups.append(value)
    return groups


def _cut_trig(text: str, subjects: list[str]) -> list[tuple[str, str, str]]:
    """TriG text -> ``(subject, graph, text)`` runs: a graph opens on ``NAME {``, a run on one tab."""
    first = text.find("\n") + 1
    graph, body = text[: first - 3], text[first:-2]
    if text[first - 3 : first] == " {\n" and text.endswith("\n}\n") and not _NOT_IN_RUN.search(body, 0, len(body) - 1):
        runs = _RUN_START.split(body)
        if len(runs) == len(subjects) and body.startswith("\t") and not graph.startswith(("\t", "}")):
            return [(subject, graph, run) for subject, run in zip(subjects, runs, strict=True)]
        raise FragmentError("the TriG text does not cut into the runs of its quads")
    runs: list[tuple[str, str, list[str]]] = []
    graph = None
    for line in _lines(text):
        if line.startswith("\t\t") and runs:
            runs[-1][2].append(line)
        elif line.startswith("\t") and graph is not None:
            if len(runs) == len(subjects):
                raise FragmentError("more runs than subjects")
            runs.append((subjects[len(runs)], graph, [line]))
        elif line == "}\n" and graph is not None:
            graph = None
        elif line.endswith(" {\n") and not line.startswith(("\t", "}")) and graph is None:
            graph = line[:-3]
        else:
            raise FragmentError(f"unexpected TriG line {line[:80]!r}")
    if len(runs) != len(subjects) or graph is not None:
        raise FragmentError("the TriG text does not cut into the runs of its quads")
    return [(subject, graph_name, "".join(lines)) for subject, graph_name, lines in runs]


def _cut_turtle(text: str, subjects: list[str]) -> list[tuple[str, str]]:
    """Turtle text -> ``(subject, text)`` blocks: a block starts at a line's first column."""
    blocks: list[tuple[str, list[str]]] = []
    for line in _lines(text):
        if line.startswith("\t") and blocks:
            blocks[-1][1].append(line)
        elif line.strip() and not line.startswith(("\t", " ", "@")):
            if len(blocks) == len(subjects):
                raise FragmentError("more Turtle blocks than subjects")
            blocks.append((subjects[len(blocks)], [line]))
        else:
            raise FragmentError(f"unexpected Turtle line {line[:80]!r}")
    if len(blocks) != len(subjects):
        raise FragmentError("the Turtle text does not cut into the subjects of its triples")
    return [(subject, "".join(lines)) for subject, lines in blocks]


def _lines(text: str) -> list[str]:
    """The lines of ``text``, each with its ``\\n`` (only ``\\n`` ends a line: literals may hold U+2028)."""
    lines = [line + "\n" for line in text.split("\n")]
    if lines[-1] != "\n":
        raise FragmentError("the text does not end with a new line")
    return lines[:-1]


def _serialize(terms: list, path: Path, fmt: ox.RdfFormat) -> None:
    """Serialise with the project's prefixes, the ``@prefix`` block in :data:`PREFIXES` order.

    pyoxigraph writes the block in its hash map's order; rewriting it keeps
    the files byte-identical whatever the pyoxigraph version does there.
    """
    path.write_bytes(b"".join(_ordered_header(ox.serialize(terms, format=fmt, prefixes=_PREFIXES))))


def _ordered_header(data: bytes) -> tuple[bytes, bytes]:
    """``data`` cut into its ``@prefix`` block, in :data:`PREFIXES` order, and the rest."""
    start = 0
    header = []
    while data.startswith(b"@prefix ", start):
        end = data.index(b"\n", start) + 1
        header.append(data[start:end])
        start = end
    rank = {prefix: index for index, prefix in enumerate(_PREFIXES)}
    header.sort(key=lambda line: (rank.get(line[8 : line.index(b":")].decode(), len(rank)), line))
    return b"".join(header), data[start:]
