"""Graph files spliced from fragments: a rebuild serialises only the forms that changed.

Each part of the dataset (a form's graph) is serialised on its own and cut
into per-subject runs (:class:`Fragment`); :func:`write_fragments` splices
them, with runs copied from the last graph files for parts it holds (their
:class:`Layout`), into the bytes :func:`kg.serialise.write_graph_files`
writes for all the quads at once.
"""

from __future__ import annotations

import heapq
import mmap
import os
import pickle
import re
import tempfile
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import accumulate, chain, groupby
from operator import add, itemgetter
from pathlib import Path

import pyoxigraph as ox

from kg.namespaces import PREFIX_IRIS
from kg.serialise import ordered_header, returned_bytes, write_graph_files

__all__ = ["Fragment", "Layout", "Rows", "FragmentError", "fragment", "write_fragments"]


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


@dataclass
class Rows:
    """Runs (or blocks) of a graph file in file order, as columns.

    ``gap`` is the bytes between a row and the one before (the file's start
    for the first): graph lines in TriG. Lengths rather than places, so a
    range of rows copied elsewhere keeps all of them but its first gap.
    """

    subjects: list[str] = field(default_factory=list)
    graph: array = field(default_factory=lambda: array("l"))  # index in Layout.graphs (0 in graph.ttl)
    part: array = field(default_factory=lambda: array("l"))  # index in Layout.parts
    gap: array = field(default_factory=lambda: array("q"))
    size: array = field(default_factory=lambda: array("q"))

    def ends(self) -> list[int]:
        """Where each row ends in the file."""
        return list(accumulate(map(add, self.gap, self.size)))

    def __getstate__(self) -> dict:
        return {**vars(self), "subjects": "\n".join(self.subjects)}  # one string: a tenth of the time to pickle

    def __setstate__(self, state: dict) -> None:
        vars(self).update(state, subjects=state["subjects"].split("\n") if state["subjects"] else [])


@dataclass
class Layout:
    """Where the graph files last written hold each part's runs and blocks: what the next build splices from.

    ``parts`` are the parts' names (see :func:`write_fragments`) and
    ``triples`` their sizes; ``trig`` and ``ttl`` the runs of graph.trig and
    the blocks of graph.ttl; ``stats`` the files' size and time once
    written: others mean they changed since.
    """

    parts: list[str]
    triples: list[int]
    graphs: list[bytes]
    trig: Rows
    ttl: Rows
    header: tuple[bytes, bytes]
    stats: tuple = ()


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
    header, trig = ordered_header(returned_bytes(ox.serialize(quads, format=ox.RdfFormat.TRIG, prefixes=PREFIX_IRIS)))
    trig_runs = _cut_trig(trig.decode("utf-8"), [subject for subject, _graph in runs])
    if len(runs) == len({subject for subject, _graph in runs}) and _DERIVED_TURTLE.get("ok", True):
        blocks = [(subject, _UNTAB.sub("", text)) for subject, _graph, text in trig_runs]
        if "ok" not in _DERIVED_TURTLE:
            _DERIVED_TURTLE["ok"] = _turtle_fragment(quads, keys)[0] == blocks
            return fragment(quads, keys)
        return _encoded(trig_runs, blocks, len(quads), (header, header))
    blocks, triples, ttl_header = _turtle_fragment(quads, keys)
    return _encoded(trig_runs, blocks, triples, (header, ttl_header))


def write_fragments(
    parts: Mapping[str, Callable[[], Fragment]],
    out_dir: Path,
    tail: Sequence[ox.Quad] = (),
    previous: Layout | None = None,
    record: bool = True,
    spill_rows: int = 1 << 19,
) -> tuple[int, Layout]:
    """Write ``graph.trig`` and ``graph.ttl`` of the parts' quads, byte for byte as :func:`write_graph_files`.

    ``parts`` maps a name that changes whenever a part's quads do (the
    build uses the cache key of each form's graph) to a function giving its
    :class:`Fragment`. With ``previous``, the :class:`Layout` of the graph
    files in ``out_dir``, a part it holds is copied from them and its
    function is never called: a rebuild serialises and even loads only the
    fragments of what changed. ``graph.trig`` gets the parts' quads in
    sorted order, then ``tail`` in its own order (the build appends the
    analytics graph so); the parts' Turtle must already hold the tail's
    triples. Returns the number of triples of the union, and the layout of
    the files written (its rows only with ``record``: they take memory).

    Fragments are loaded a few at a time: once those loaded hold
    ``spill_rows`` runs, their runs are sorted and written to a temporary
    file, and the files are merged as the graph files are written (a build
    of a large corpus never holds its serialisation in memory).

    Raises:
        FragmentError: if two parts share a subject (their runs would interleave).
    """
    kept = _kept_parts(previous, parts, out_dir)
    names = list(parts)
    index = {name: i for i, name in enumerate(names)}
    sizes = dict(zip(previous.parts, previous.triples, strict=True)) if previous is not None and kept else {}
    with _Made(parts, kept, index, spill_rows if not kept else None) as made:
        sizes.update(made.sizes)
        triples = [sizes[name] for name in names]
        old = _Kept(previous, kept, index) if previous is not None and kept else None
        if not (made.any or (old is not None and old.any)):
            return write_graph_files(list(tail), out_dir), Layout(names, triples, [], Rows(), Rows(), (b"", b""))
        header = old.header if old is not None and old.any else made.header
        layout = Layout(names, triples, list(old.graphs) if old else [], Rows(), Rows(), header)
        with _Splice(out_dir / "graph.trig", old is not None, header[0]) as trig:
            layout.trig = _splice(trig, old.trig if old else None, made.runs(), layout.graphs, True, record)
            if tail:
                serialised = returned_bytes(ox.serialize(tail, format=ox.RdfFormat.TRIG, prefixes=PREFIX_IRIS))
                trig.write(ordered_header(serialised)[1])
        with _Splice(out_dir / "graph.ttl", old is not None, header[1]) as ttl:
            layout.ttl = _splice(ttl, old.ttl if old else None, made.blocks(), layout.graphs, False, record)
    layout.stats = (_file_stat(out_dir / "graph.trig"), _file_stat(out_dir / "graph.ttl"))
    return sum(triples), layout


def _kept_parts(previous: Layout | None, parts: Mapping[str, object], out_dir: Path) -> set[str]:
    """The parts the graph files in ``out_dir`` hold as ``previous`` says (none if the files changed since)."""
    if previous is None or not previous.stats:
        return set()
    if (_file_stat(out_dir / "graph.trig"), _file_stat(out_dir / "graph.ttl")) != tuple(previous.stats):
        return set()
    return set(previous.parts) & set(parts)


class _Kept:
    """The last files' rows of the kept parts: their ranges of consecutive rows, parts renumbered."""

    def __init__(self, previous: Layout, kept: set[str], index: dict[str, int]) -> None:
        self.header = previous.header
        self.graphs = previous.graphs
        renumbered = [index[name] if name in kept else -1 for name in previous.parts]
        self.trig = _KeptRows(previous.trig, renumbered)
        self.ttl = _KeptRows(previous.ttl, renumbered)
        self.any = bool(self.trig.ranges or self.ttl.ranges)


class _KeptRows:
    """One file's kept rows: ``rows``, the ``ranges`` of consecutive kept ones, each row's part renumbered."""

    def __init__(self, rows: Rows, renumbered: list[int]) -> None:
        self.rows = rows
        self.part = array("l", [renumbered[p] for p in rows.part])
        self.ends = rows.ends()
        self.ranges: list[tuple[int, int]] = []
        at = 0
        for kept, group in groupby(p >= 0 for p in self.part):
            size = sum(1 for _ in group)
            if kept:
                self.ranges.append((at, at + size))
            at += size

    def cut(self, subjects: list[str]) -> list[tuple[int, int, list[int]]]:
        """The kept ranges, cut where the new rows of ``subjects`` (sorted) go: ``(start, end, new rows before)``.

        Raises:
            FragmentError: if a new row's subject is a kept row's.
        """
        places = [bisect_left(self.rows.subjects, subject) for subject in subjects]
        for subject, place in zip(subjects, places, strict=True):
            end = bisect_right(self.rows.subjects, subject, place)
            if any(self.part[i] >= 0 for i in range(place, end)):
                raise FragmentError(f"{subject} is in a kept fragment and a new one")
        cuts: list[tuple[int, int, list[int]]] = []
        new = 0
        for start, end in self.ranges:
            while True:
                before = []
                while new < len(places) and places[new] <= start:
                    before.append(new)
                    new += 1
                if new < len(places) and places[new] < end:  # new rows go inside: cut the range there
                    cuts.append((start, places[new], before))
                    start = places[new]
                    continue
                cuts.append((start, end, before))
                break
        cuts.append((-1, -1, list(range(new, len(places)))))
        return cuts


def _splice(
    out: _Splice, old: _KeptRows | None, new: Iterable[tuple], graphs: list[bytes], opening: bool, record: bool = True
) -> Rows:
    """Write kept rows (copied a range at a time) and ``new`` rows (subject, graph, text, part) in subject order.

    A range of consecutive kept rows is copied with the graph lines between
    them; TriG (``opening``) gets a graph's opening (and the last one's
    closing) line where a run's graph differs from the run before it.
    Without ``old``, ``new`` may be any iterable (it is read once). The
    rows written are returned if ``record``.
    """
    rows = Rows()
    numbers = {name: i for i, name in enumerate(graphs)}
    current: int | None = None
    last_end = 0  # where the last row written ends
    if old is None:
        cuts: Iterable[tuple[int, int, Iterable]] = [(-1, -1, new)]
    else:
        new = list(new)
        cuts = [(start, end, [new[i] for i in before]) for start, end, before in old.cut([item[0] for item in new])]
    for start, end, before in cuts:
        for subject, name, text, part in before:
            graph = numbers.setdefault(name, len(numbers)) if opening else 0
            if opening and graph != current:
                out.write(_opening(current, name))
            at = out.write(text)
            current, gap, last_end = graph, at - last_end, at + len(text)
            if record:
                _append(rows, [subject], [graph], [part], [gap], [len(text)])
        if start < 0:
            break
        assert old is not None  # without it, the one cut starts at -1
        kept = old.rows
        if opening and kept.graph[start] != current:
            out.write(_opening(current, graphs[kept.graph[start]]))
        first = old.ends[start] - kept.size[start]
        at = out.copy(first, old.ends[end - 1])
        gaps = kept.gap[start:end]
        gaps[0] = at - last_end
        current, last_end = kept.graph[end - 1], at + old.ends[end - 1] - first
        _append(rows, kept.subjects[start:end], kept.graph[start:end], old.part[start:end], gaps, kept.size[start:end])
    if opening and current is not None:
        out.write(b"}\n")
    graphs[len(graphs) :] = list(numbers)[len(graphs) :]
    return rows


class _Made:
    """The runs and blocks of the parts made anew (not kept), in subject order, sorted in memory or on disk.

    Parts are made (their functions called) in order; with ``spill_rows``,
    every time those held reach that many runs they are sorted and written
    to a temporary file, and :meth:`runs` and :meth:`blocks` merge the
    files. :attr:`sizes` holds the triples of each part made.
    """

    def __init__(self, parts, kept: set[str], index: dict[str, int], spill_rows: int | None) -> None:
        self.sizes: dict[str, int] = {}
        self._folder: tempfile.TemporaryDirectory | None = None
        self._spilled: list[tuple[str, str]] = []
        self.header = (b"", b"")
        self.any = False
        try:
            self._make(parts, kept, index, spill_rows)
        except BaseException:
            self.__exit__()
            raise

    def _make(self, parts, kept: set[str], index: dict[str, int], spill_rows: int | None) -> None:
        runs: list[list[tuple]] = []
        blocks: list[list[tuple]] = []
        held = 0
        for name, make in parts.items():
            if name in kept:
                continue
            made = make()
            self.sizes[name] = made.triples
            if not self.any and (made.trig or made.ttl):
                self.header, self.any = made.header, True
            runs.append([(s, g, t, index[name]) for s, g, t in made.trig])
            blocks.append([(s, b"", t, index[name]) for s, t in made.ttl])
            held += len(made.trig)
            if spill_rows is not None and held >= spill_rows:
                self._spill(runs, blocks)
                runs, blocks, held = [], [], 0
        if self._spilled and runs:
            self._spill(runs, blocks)
            runs, blocks = [], []
        self._runs, self._blocks = _spliced(runs), _spliced(blocks)

    def runs(self) -> Iterable[tuple]:
        """The TriG runs, ``(subject, graph name, text, part)``, in subject order."""
        return self._merged(0) if self._spilled else self._runs

    def blocks(self) -> Iterable[tuple]:
        """The Turtle blocks, ``(subject, b"", text, part)``, in subject order."""
        return self._merged(1) if self._spilled else self._blocks

    def __enter__(self) -> _Made:
        return self

    def __exit__(self, *exc) -> None:
        if self._folder is not None:
            self._folder.cleanup()

    def _spill(self, runs: list[list[tuple]], blocks: list[list[tuple]]) -> None:
        if self._folder is None:
            self._folder = tempfile.TemporaryDirectory(prefix="kg-fragments-")
        stem = os.path.join(self._folder.name, str(len(self._spilled)))
        paths = (stem + ".trig", stem + ".ttl")
        for path, items in zip(paths, (_spliced(runs), _spliced(blocks)), strict=True):
            with open(path, "wb") as handle:
                for at in range(0, len(items), _SPILL_BATCH):
                    pickle.dump(items[at : at + _SPILL_BATCH], handle, protocol=pickle.HIGHEST_PROTOCOL)
        self._spilled.append(paths)

    def _merged(self, which: int) -> Iterator[tuple]:
        """The spilled items of one kind, merged; a subject found in two parts stops it (FragmentError)."""
        last: tuple = ("", -1)
        for item in heapq.merge(*(_read_spilled(paths[which]) for paths in self._spilled), key=itemgetter(0)):
            if item[0] == last[0] and item[3] != last[1]:
                raise FragmentError("a subject is in two fragments")
            last = (item[0], item[3])
            yield item


def _read_spilled(path: str) -> Iterator[tuple]:
    with open(path, "rb") as handle:
        while True:
            try:
                batch = pickle.load(handle)
            except EOFError:
                return
            yield from batch


def _append(rows: Rows, subjects, graph, part, gap, size) -> None:
    rows.subjects.extend(subjects)
    rows.graph.extend(graph)
    rows.part.extend(part)
    rows.gap.extend(gap)
    rows.size.extend(size)


def _opening(current: int | None, name: bytes) -> bytes:
    """The TriG lines between a run of graph ``current`` (None: the first run) and one of graph ``name``."""
    return (b"}\n" if current is not None else b"") + name + b" {\n"


class _Splice:
    """A graph file written anew beside the last one: new bytes, and ranges of the last one's copied."""

    def __init__(self, path: Path, copying: bool, header: bytes) -> None:
        self.path = path
        self.temporary = path.with_name(path.name + ".tmp")
        self.copying = copying
        self.header = header
        self.pos = 0  # bytes written so far, the pending range included
        self._span: tuple[int, int] | None = None  # the range of the last file waiting to be copied
        self._view: memoryview | None = None  # the last file's bytes, when copying

    def __enter__(self) -> _Splice:
        if self.copying:
            with open(self.path, "rb") as handle:
                self._map = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
            self._view = memoryview(self._map)
        self.handle = open(self.temporary, "wb", buffering=1 << 20)
        self.write(self.header)
        return self

    def write(self, data: bytes) -> int:
        """Write ``data``; return where it starts."""
        self._flush()
        at = self.pos
        self.handle.write(data)
        self.pos += len(data)
        return at

    def copy(self, start: int, end: int) -> int:
        """Copy the last file's bytes ``start:end`` (joined to the range before if it ends there); return where."""
        if self._span is not None and self._span[1] == start:
            self._span = (self._span[0], end)
        else:
            self._flush()
            self._span = (start, end)
        at = self.pos
        self.pos += end - start
        return at

    def _flush(self) -> None:
        if self._span is not None:
            start, end = self._span
            assert self._view is not None  # ranges are copied only when copying
            self.handle.write(self._view[start:end])
            self._span = None

    def __exit__(self, kind, value, traceback) -> None:
        try:
            if kind is None:
                self._flush()
            self.handle.close()
        finally:
            if self._view is not None:
                self._view.release()
                self._map.close()
        if kind is None:
            os.replace(self.temporary, self.path)
        else:
            self.temporary.unlink(missing_ok=True)


def _file_stat(path: Path) -> tuple[int, int]:
    try:
        found = os.stat(path)
    except OSError:
        return (-1, -1)
    return (found.st_size, found.st_mtime_ns)


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


_SPILL_BATCH = 4096  # runs pickled together when spilled (see _Made)
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
    header, ttl = ordered_header(
        returned_bytes(ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=PREFIX_IRIS))
    )
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
        texts = _RUN_START.split(body)
        if len(texts) == len(subjects) and body.startswith("\t") and not graph.startswith(("\t", "}")):
            return [(subject, graph, run) for subject, run in zip(subjects, texts, strict=True)]
        raise FragmentError("the TriG text does not cut into the runs of its quads")
    runs: list[tuple[str, str, list[str]]] = []
    current: str | None = None  # the graph open at the line
    for line in _lines(text):
        if line.startswith("\t\t") and runs:
            runs[-1][2].append(line)
        elif line.startswith("\t") and current is not None:
            if len(runs) == len(subjects):
                raise FragmentError("more runs than subjects")
            runs.append((subjects[len(runs)], current, [line]))
        elif line == "}\n" and current is not None:
            current = None
        elif line.endswith(" {\n") and not line.startswith(("\t", "}")) and current is None:
            current = line[:-3]
        else:
            raise FragmentError(f"unexpected TriG line {line[:80]!r}")
    if len(runs) != len(subjects) or current is not None:
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
