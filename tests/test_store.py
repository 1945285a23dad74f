"""Spliced serialisation (kg.store): per-form fragments give the bytes of a whole-dataset serialisation."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.analyse import ANALYTICS_GRAPH
from kg.build import build
from kg.engine.splice import FragmentError, fragment, write_fragments
from kg.serialise import write_graph_files

EX = "http://example.org/"


def _quads(rows: list[tuple[str, str, ox.NamedNode | ox.Literal]], graph: str = "g") -> tuple[list, list]:
    quads = sorted(
        (ox.Quad(ox.NamedNode(EX + s), ox.NamedNode(EX + p), o, ox.NamedNode(EX + graph)) for s, p, o in rows),
        key=lambda q: (str(q.subject), str(q.predicate), str(q.object), str(q.graph_name)),
    )
    keys = [(str(q.subject), str(q.predicate), str(q.object), str(q.graph_name)) for q in quads]
    return quads, keys


@pytest.mark.slow
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
    assert write_fragments(_parts(first=first, second=second), spliced)[0] == 4
    write_graph_files(sorted(first[0] + second[0], key=str), whole)
    _assert_same_files(spliced, whole)


def test_a_rebuild_copies_the_parts_the_last_files_hold_and_writes_the_same_bytes(tmp_path: Path) -> None:
    g1 = _quads([("a", "p", ox.Literal("1")), ("e", "p", ox.Literal("5"))], "g1")
    g2 = _quads([("b", "p", ox.Literal("2")), ("b", "q", ox.Literal("two"))], "g2")
    g3 = _quads([("c", "p", ox.Literal("3")), ("f", "p", ox.NamedNode(EX + "a"))], "g3")
    g3_edited = _quads([("c", "p", ox.Literal("three")), ("d", "p", ox.Literal("4"))], "g3")
    g4 = _quads([("aa", "p", ox.Literal("new"))], "g4")
    g5 = _quads([("ea", "p", ox.Literal("gone"))], "g5")
    tail = [ox.Quad(ox.NamedNode(EX + "a"), ox.NamedNode(EX + "score"), ox.Literal("9"), ox.NamedNode(EX + "z"))]
    spliced, whole = tmp_path / "spliced", tmp_path / "whole"
    spliced.mkdir()
    whole.mkdir()
    _, layout = write_fragments(_parts(g1=g1, g2=g2, g3=g3, g5=g5), spliced, tail)
    asked: list[str] = []
    parts = _parts(asked, g1=g1, g2=g2, g3=g3_edited, g4=g4)  # g3 changed, g4 new, g5 dropped
    triples, _ = write_fragments(parts, spliced, tail, layout)
    assert asked == ["g3", "g4"]  # g1's and g2's runs were copied from the last files
    assert triples == 2 + 2 + 2 + 1
    kept = sorted(g1[0] + g2[0] + g3_edited[0] + g4[0], key=str)
    write_graph_files(kept + tail, whole)
    assert (spliced / "graph.trig").read_bytes() == (whole / "graph.trig").read_bytes()
    write_graph_files(kept, whole)  # the tail's triples are the parts' to put in their Turtle
    assert (spliced / "graph.ttl").read_bytes() == (whole / "graph.ttl").read_bytes()


def test_a_rebuild_loads_every_part_when_the_last_files_changed_since(tmp_path: Path) -> None:
    g1 = _quads([("a", "p", ox.Literal("1"))], "g1")
    g2 = _quads([("b", "p", ox.Literal("2"))], "g2")
    spliced, whole = _folders(tmp_path, "spliced", "whole")
    _, layout = write_fragments(_parts(g1=g1, g2=g2), spliced)
    (spliced / "graph.ttl").write_bytes(b"# edited by hand\n")
    asked: list[str] = []
    write_fragments(_parts(asked, g1=g1, g2=g2), spliced, (), layout)
    assert asked == ["g1", "g2"]
    write_graph_files(sorted(g1[0] + g2[0], key=str), whole)
    _assert_same_files(spliced, whole)


def _parts(asked: list[str] | None = None, **graphs: tuple[list, list]) -> dict:
    """Parts named, as the build names them, by what changes with their quads; ``asked`` records which are made."""
    parts = {}
    for label, (quads, keys) in graphs.items():

        def make(quads=quads, keys=keys, label=label):
            if asked is not None:
                asked.append(label)
            return fragment(quads, keys)

        parts[f"{label} {keys!r}"] = make
    return parts


def _folders(root: Path, *names: str) -> list[Path]:
    """Folders ``names`` made under ``root``."""
    made = [root / name for name in names]
    for folder in made:
        folder.mkdir()
    return made


def _assert_same_files(a: Path, b: Path) -> None:
    for name in ("graph.trig", "graph.ttl"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


def test_a_new_part_naming_a_kept_part_s_subject_is_refused(tmp_path: Path) -> None:
    g1 = _quads([("a", "p", ox.Literal("1"))], "g1")
    g2 = _quads([("a", "q", ox.Literal("2"))], "g2")
    _, layout = write_fragments(_parts(g1=g1), tmp_path)
    with pytest.raises(FragmentError):
        write_fragments(_parts(g1=g1, g2=g2), tmp_path, (), layout)


def test_parts_sorted_on_disk_a_few_at_a_time_give_the_same_bytes(tmp_path: Path) -> None:
    g1 = _quads([("a", "p", ox.Literal("1")), ("e", "p", ox.Literal("5")), ("e", "q", ox.Literal("five"))], "g1")
    g2 = _quads([("b", "p", ox.Literal("2")), ("d", "p", ox.NamedNode(EX + "a"))], "g2")
    g3 = _quads([("c", "p", ox.Literal("3")), ("f", "p", ox.Literal("6"))], "g3")
    tail = [ox.Quad(ox.NamedNode(EX + "a"), ox.NamedNode(EX + "score"), ox.Literal("9"), ox.NamedNode(EX + "z"))]
    for spill_rows in (1, 2, 3):  # a file per part; the first two parts in one file; the same, runs counted
        spliced, whole = _folders(tmp_path, f"spliced{spill_rows}", f"whole{spill_rows}")
        triples, layout = write_fragments(_parts(g1=g1, g2=g2, g3=g3), spliced, tail, spill_rows=spill_rows)
        assert triples == 7
        assert layout.trig.subjects == [f"<{EX}{s}>" for s in "abcdef"]  # the runs' places, for the next splice
        write_graph_files(sorted(g1[0] + g2[0] + g3[0], key=str) + tail, whole)
        assert (spliced / "graph.trig").read_bytes() == (whole / "graph.trig").read_bytes()


def test_a_subject_in_two_parts_sorted_on_disk_is_refused_and_no_file_is_left(tmp_path: Path) -> None:
    g1 = _quads([("a", "p", ox.Literal("1"))], "g1")
    g2 = _quads([("a", "q", ox.Literal("2"))], "g2")
    with pytest.raises(FragmentError):
        write_fragments(_parts(g1=g1, g2=g2), tmp_path, spill_rows=1)
    assert not list(tmp_path.iterdir())  # neither graph file, nor a temporary one


def test_files_written_without_recording_have_no_rows_but_the_same_bytes(tmp_path: Path) -> None:
    g1 = _quads([("a", "p", ox.Literal("1"))], "g1")
    g2 = _quads([("b", "p", ox.Literal("2"))], "g2")
    recorded, unrecorded = _folders(tmp_path, "recorded", "unrecorded")
    _, layout = write_fragments(_parts(g1=g1, g2=g2), recorded)
    _, bare = write_fragments(_parts(g1=g1, g2=g2), unrecorded, record=False, spill_rows=1)
    assert len(layout.trig.subjects) == 2 and not bare.trig.subjects and not bare.ttl.subjects
    _assert_same_files(recorded, unrecorded)
