"""The reference and analytics graphs' parts of the graph files, one per subject, made a few at a time.

See :class:`SharedParts`: a rebuild serialises only the subjects whose quads changed.
"""

from __future__ import annotations

from itertools import groupby

import pyoxigraph as ox

from kg.engine.keys import Key, digest, parsed_quads
from kg.engine.splice import Fragment, fragment

__all__ = ["SharedParts"]

_SHARED_BATCH = 20_000  # parts serialised together


class SharedParts:
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

    def __init__(self, reference: list[Key], analytics: list, held: set[str]) -> None:
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


def _shared_subjects(reference: list[Key], analytics: list) -> dict[str, tuple]:
    """Part name -> ``(subject, its (key, quad) pairs, described)``: see :class:`SharedParts`.

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
        own_digest = digest("\n".join(" ".join(key) for key, _quad in own))
        found[f"run {own_digest}"] = (subject, own, subject in described)
        if subject in described:
            both = sorted(own + described.pop(subject))
            found[f"block {digest(own_digest + ' '.join(' '.join(key) for key, _q in both))}"] = (subject, both, True)
    for subject, extra in sorted(described.items()):  # described, not in the reference graph
        both = sorted(extra)
        found[f"block {digest(' '.join(' '.join(key) for key, _q in both))}"] = (subject, both, True)
    return found


def _with_quads(pairs: list[tuple[tuple, ox.Quad | None]]) -> list[tuple[tuple, ox.Quad]]:
    """``(key, quad)`` pairs, the missing quads parsed from their keys."""
    parsed = iter(parsed_quads([key for key, quad in pairs if quad is None]))
    return [(key, quad if quad is not None else next(parsed)) for key, quad in pairs]
