"""Serialise the graph fast and deterministically, and keep a queryable store.

rdflib's Turtle writer needs minutes for the archive's ~700k triples, so the
build writes through pyoxigraph: quads are converted once, sorted (so the same
inputs give byte-identical files whatever their order), written as TriG and
Turtle with the project's prefixes, and bulk-loaded into a persistent
pyoxigraph store under ``OUT/store`` that :mod:`kg.query` answers from.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable, Mapping
from pathlib import Path

import pyoxigraph as ox
from rdflib import BNode, Literal, URIRef

from kg.errors import InputError
from kg.namespaces import PREFIXES

__all__ = ["to_ox_term", "to_ox_quads", "write_graph_files", "write_store", "extend_store", "open_store", "STORE_DIR"]

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
    ox.serialize(quads, out_dir / "graph.trig", ox.RdfFormat.TRIG, prefixes=_PREFIXES)
    triples = sorted({q.triple for q in quads}, key=str)
    ox.serialize(triples, out_dir / "graph.ttl", ox.RdfFormat.TURTLE, prefixes=_PREFIXES)
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
