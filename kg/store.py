"""The pyoxigraph store of a build (``OUT/store``): written, extended, updated in place and opened.

:mod:`kg.query`, :mod:`kg.serve`, :mod:`kg.analyse` and :mod:`kg.report`
answer from it. The graph files (graph.ttl, graph.trig) are written by
:mod:`kg.serialise`.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

import pyoxigraph as ox
from rdflib import BNode, Literal, URIRef

from kg.errors import InputError
from kg.namespaces import PREFIX_IRIS

__all__ = [
    "to_ox_term",
    "to_ox_quads",
    "write_store",
    "extend_store",
    "update_store",
    "open_store",
    "select_rows",
    "row_key",
    "STORE_DIR",
]

STORE_DIR = "store"


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


def select_rows(
    store: ox.Store, query: str, plain: Callable[[ox.NamedNode | ox.BlankNode | ox.Literal], object] | None = None
) -> list[dict]:
    """The rows of a SELECT over the union of ``store``'s graphs, as dicts of plain values (None when unbound).

    ``plain`` turns a term into its value (default: its text, an IRI's or a literal's).

    Raises:
        TypeError: if ``query`` is not a SELECT.
    """
    answer = store.query(query, use_default_graph_as_union=True, prefixes=PREFIX_IRIS)
    if not isinstance(answer, ox.QuerySolutions):
        raise TypeError("select_rows runs SELECT queries only")
    names = [v.value for v in answer.variables]
    value = plain or (lambda term: term.value)
    return [{name: None if solution[name] is None else value(solution[name]) for name in names} for solution in answer]


def row_key(row: dict) -> tuple:
    """A sort key of a row of :func:`select_rows`: its values as text, unbound ones last."""
    return tuple((v is None, str(v)) for v in row.values())
