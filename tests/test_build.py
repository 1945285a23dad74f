"""Which files a build reads (every form file is accounted for), and how it shares the work."""

import os
from pathlib import Path

import kg.build as build_module
from kg.build import build, collect_inputs


def test_collect_inputs_finds_every_form_file_recursively(tmp_path: Path):
    (tmp_path / "sub" / "deeper").mkdir(parents=True)
    for name in ("a.md", "b.txt", "C.MD", ".md", "sub/d.md", "sub/deeper/e.txt"):
        (tmp_path / name).write_text("# x\n", encoding="utf-8")
    (tmp_path / "notes.docx").write_text("not a form", encoding="utf-8")
    shown = [display for _, display in collect_inputs([tmp_path])]
    # ".md" (a hidden file the real archive holds) counts; notes.docx does not.
    assert shown == sorted([".md", "C.MD", "a.md", "b.txt", "sub/d.md", "sub/deeper/e.txt"])


def test_a_file_given_directly_is_named_by_its_file_name(tmp_path: Path):
    form = tmp_path / "one.md"
    form.write_text("# x\n", encoding="utf-8")
    assert collect_inputs([form]) == [(form, "one.md")]


def test_graphs_made_by_forked_workers_are_those_one_process_makes(examples_dir: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(build_module, "_GRAPH_CHUNK", 2)  # 6 forms: 3 chunks for 2 workers
    two = build([examples_dir], tmp_path / "two", jobs=2)
    one = build([examples_dir], tmp_path / "one", jobs=1, cache=False)
    assert (two.figures["cache"]["graph_workers"], one.figures["cache"]["graph_workers"]) == (2, 0)
    for name in ("graph.trig", "graph.ttl", "analysis.json", "report.md"):
        assert (tmp_path / "two" / name).read_bytes() == (tmp_path / "one" / name).read_bytes(), name
    assert two.triples == one.triples > 0
    # The workers cached the graphs they made, and the main process the forms: a rebuild reuses them all.
    os.utime(tmp_path / "two" / "graph.ttl")
    again = build([examples_dir], tmp_path / "two", jobs=2).figures["cache"]
    assert (again["forms_reused"], again["graphs_reused"], again["graphs_made"]) == (6, 6, 0)
    assert (tmp_path / "two" / "graph.ttl").read_bytes() == (tmp_path / "one" / "graph.ttl").read_bytes()
