"""Spliced serialisation (kg.store): per-form fragments give the bytes of a whole-dataset serialisation."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox

from kg.analyse import ANALYTICS_GRAPH
from kg.build import build
from kg.store import fragment, write_fragments, write_graph_files

EX = "http://example.org/"


def _quads(rows: list[tuple[str, str, ox.NamedNode | ox.Literal]], graph: str = "g") -> tuple[list, list]:
    quads = sorted(
        (ox.Quad(ox.NamedNode(EX + s), ox.NamedNode(EX + p), o, ox.NamedNode(EX + graph)) for s, p, o in rows),
        key=lambda q: (str(q.subject), str(q.predicate), str(q.object), str(q.graph_name)),
    )
    keys = [(str(q.subject), str(q.predicate), str(q.object), str(q.graph_name)) for q in quads]
    return quads, keys


def test_the_build_s_graph_files_are_those_of_its_whole_dataset(examples_dir: Path, tmp_path: Path) -> None:
    out = build([examples_dir], tmp_path / "out", cache=False).out_dir
    quads = list(ox.parse((out / "graph.trig").read_bytes(), format=ox.RdfFormat.TRIG))
    analytics = [q for q in quads if str(q.graph_name) == f"<{ANALYTICS_GRAPH}>"]
    rest = sorted((q for q in quads if str(q.graph_name) != f"<{ANALYTICS_GRAPH}>"), key=str)
    assert analytics and rest
    (tmp_path / "whole").mkdir()
    write_graph_files(rest + analytics, tmp_path / "whole")
    for name in ("graph.trig", "graph.ttl"):
        assert (out / name).read_bytes() == (tmp_path / "whole" / name).read_bytes(), name


def test_a_one_graph_fragment_s_turtle_blocks_are_pyoxigraph_s() -> None:
    rows = [
        ("a", "label", ox.Literal("tab\there, line\nbreak and \u2028 separator")),
        ("a", "seeAlso", ox.NamedNode(EX + "b")),
        ("a", "seeAlso", ox.NamedNode(EX + "c")),
        ("b", "label", ox.Literal("b", language="en")),
    ]
    quads, keys = _quads(rows)
    made = fragment(quads, keys)
    assert [subject for subject, _text in made.ttl] == [f"<{EX}a>", f"<{EX}b>"] and len(made.trig) == 2
    turtle = ox.serialize([q.triple for q in quads], format=ox.RdfFormat.TURTLE)
    assert b"".join(text for _subject, text in made.ttl) == turtle


def test_fragments_splice_into_the_bytes_of_their_union(tmp_path: Path) -> None:
    first = _quads([("a", "p", ox.Literal("1")), ("c", "p", ox.Literal("3"))], "g1")
    second = _quads([("b", "p", ox.Literal("2")), ("d", "p", ox.NamedNode(EX + "a"))], "g2")
    spliced, whole = tmp_path / "spliced", tmp_path / "whole"
    spliced.mkdir()
    whole.mkdir()
    assert write_fragments([fragment(*first), fragment(*second)], spliced) == 4
    write_graph_files(sorted(first[0] + second[0], key=str), whole)
    for name in ("graph.trig", "graph.ttl"):
        assert (spliced / name).read_bytes() == (whole / name).read_bytes(), name
