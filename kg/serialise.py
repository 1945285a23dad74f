"""Write the graph files, graph.trig (named graphs) and graph.ttl (their union), fast and deterministically.

rdflib's Turtle writer needs minutes for the archive's ~700k triples, so the
files are written by pyoxigraph: quads sorted (the same inputs give
byte-identical files whatever their order), with the project's prefixes,
the ``@prefix`` block in :data:`kg.namespaces.PREFIXES` order.
"""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox

from kg.namespaces import PREFIX_IRIS

__all__ = ["write_graph_files", "serialise", "ordered_header", "returned_bytes"]


def write_graph_files(quads: list[ox.Quad], out_dir: Path) -> int:
    """Write ``graph.trig`` (named graphs) and ``graph.ttl`` (their union); return the union's size."""
    serialise(quads, out_dir / "graph.trig", ox.RdfFormat.TRIG)
    triples = sorted({q.triple for q in quads}, key=str)
    serialise(triples, out_dir / "graph.ttl", ox.RdfFormat.TURTLE)
    return len(triples)


def serialise(terms: list, path: Path, fmt: ox.RdfFormat) -> None:
    """Serialise with the project's prefixes, the ``@prefix`` block in :data:`PREFIXES` order.

    pyoxigraph writes the block in its hash map's order; rewriting it keeps
    the files byte-identical whatever the pyoxigraph version does there.
    """
    path.write_bytes(b"".join(ordered_header(returned_bytes(ox.serialize(terms, format=fmt, prefixes=PREFIX_IRIS)))))


def ordered_header(data: bytes) -> tuple[bytes, bytes]:
    """``data`` cut into its ``@prefix`` block, in :data:`PREFIXES` order, and the rest."""
    start = 0
    header = []
    while data.startswith(b"@prefix ", start):
        end = data.index(b"\n", start) + 1
        header.append(data[start:end])
        start = end
    rank = {prefix: index for index, prefix in enumerate(PREFIX_IRIS)}
    header.sort(key=lambda line: (rank.get(line[8 : line.index(b":")].decode(), len(rank)), line))
    return b"".join(header), data[start:]


def returned_bytes(data: bytes | None) -> bytes:
    """The bytes a pyoxigraph ``serialize`` returns when given no output.

    pyoxigraph's stubs type every ``serialize`` as returning ``bytes | None``
    (None when it writes to an output it is given); called without one, it
    returns the bytes.

    Raises:
        TypeError: if ``data`` is None (the call was given an output).
    """
    if data is None:
        raise TypeError("pyoxigraph wrote to an output instead of returning the bytes")
    return data
