"""Quads by their terms' ``str`` (N-Triples syntax): how the engine keeps, compares and digests them.

A key ``(subject, predicate, object, graph)`` is cheap to hash, sort and
pickle, and parses back into the same pyoxigraph quad.
"""

from __future__ import annotations

import hashlib

import pyoxigraph as ox

__all__ = ["Key", "nquads", "parsed_quads", "digest"]

Key = tuple[str, str, str, str]


def nquads(keys: list[tuple[str, str, str, str]]) -> list[str]:
    """N-Quads lines of quads given by their terms' ``str`` (N-Triples syntax)."""
    return [f"{s} {p} {o} {g} .\n" for s, p, o, g in keys]


def parsed_quads(keys: list[tuple[str, str, str, str]]) -> list[ox.Quad]:
    """The quads whose terms' ``str`` are ``keys``, in their order."""
    return list(ox.parse("".join(nquads(keys)).encode("utf-8"), format=ox.RdfFormat.N_QUADS))


def digest(text: str) -> str:
    """The sha256 of ``text`` (UTF-8), in hex."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
