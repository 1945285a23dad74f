"""Which files a build reads (every form file is accounted for), and how it shares the work."""

import os
from pathlib import Path

import pyoxigraph as ox
import pytest

import kg.engine.charts
import kg.engine.memory
import kg.engine.outputs
import kg.engine.readable
import kg.engine.shared
import kg.engine.splice
import kg.engine.store_writer
import kg.store
from kg.build import build
from kg.inputs import collect_inputs
from kg.extract import extract
from kg.forms import read_form
from kg.graph import reference_part
from kg.privacy import Pseudonymiser
from kg.resolve import resolve


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


@pytest.mark.slow
def test_graphs_made_by_forked_workers_are_those_one_process_makes(examples_dir: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(kg.engine.outputs, "_GRAPH_CHUNK", 2)  # 6 forms: 3 chunks for 2 workers
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


def test_the_reference_graph_takes_the_units_made_before_and_makes_only_the_others(examples_dir: Path) -> None:
    docs = [extract(read_form(path, path.name)) for path in sorted(examples_dir.glob("*.md"))]
    privacy = Pseudonymiser(key="units")
    keys, units = reference_part(docs, resolve(docs), privacy)
    assert any(unit[0] == "org" for unit in units) and any(unit[0] == "country" for unit in units)
    fewer = docs[1:]
    _, units_before = reference_part(fewer, resolve(fewer), privacy)
    assert set(units) - set(units_before)  # the first form adds organisations, concepts or countries, or changes some
    assert reference_part(docs, resolve(docs), privacy, made=units_before) == (keys, units)
    # a unit found is taken as it is: marked ones show it
    marker = ("<x:taken>", "<x:p>", "<x:o>", "<x:g>")
    marked, _ = reference_part(docs, resolve(docs), privacy, made={unit: [marker] for unit in units_before})
    new = {key for unit, found in units.items() if unit not in units_before for key in found}
    assert set(marked) == new | {marker}


def test_the_chart_process_draws_what_the_report_would_and_stops_when_closed() -> None:
    from kg.report import Chart

    drawer = kg.engine.charts.ChartProcess()
    chart = Chart("barh", (("Ministry of Health", "UNICEF"), (3.0, 1.0)))
    try:
        png = drawer.draw(chart)
        assert png.startswith(b"\x89PNG") and png == chart.draw()
    finally:
        drawer.close()
    assert not drawer._process.is_alive()
    assert drawer.draw(chart) == chart.draw()  # closed: drawn here


@pytest.mark.slow
def test_a_build_holding_little_in_memory_writes_the_same_files(examples_dir: Path, tmp_path: Path, monkeypatch) -> None:
    whole = build([examples_dir], tmp_path / "whole", jobs=1, cache=False)
    monkeypatch.setattr(kg.engine.outputs, "_GRAPH_CHUNK", 2)  # forked workers keep the graphs' bulk in files
    monkeypatch.setattr(kg.engine.outputs, "_SPILL_ROWS", 50)  # the graph files' runs sorted on disk, 50 at a time
    monkeypatch.setattr(kg.engine.shared, "_SHARED_BATCH", 3)  # the reference graph serialised 3 subjects at a time
    monkeypatch.setattr(kg.engine.readable, "_READABLE_BATCH", 2)  # the analytics' store loaded 2 graphs at a time
    monkeypatch.setattr(kg.engine.store_writer, "_BATCH", 500)  # the store written 500 quads at a time
    spilled: list[int] = []
    spill = kg.engine.splice._Made._spill
    monkeypatch.setattr(kg.engine.splice._Made, "_spill", lambda self, runs, blocks: spilled.append(1) or spill(self, runs, blocks))
    monkeypatch.setattr(kg.engine.outputs, "room_to_fork", lambda: False)  # no room for the views' process...
    asides: list[int] = []
    aside = kg.engine.outputs.aside
    monkeypatch.setattr(kg.engine.outputs, "aside", lambda task, jobs: asides.append(jobs) or aside(task, jobs))
    little = build([examples_dir], tmp_path / "little", jobs=2, cache=False)
    assert little.figures["cache"]["graph_workers"] == 2 and little.triples == whole.triples > 0
    assert len(spilled) > 3
    assert asides == [1]  # ...so the views were written in the build's process
    # the store holds the quads of graph.trig (its decimals in canonical form), however they were batched
    in_file = list(ox.parse(path=tmp_path / "whole" / "graph.trig", format=ox.RdfFormat.TRIG))
    stored = _stored(tmp_path / "little")
    assert stored == _stored(tmp_path / "whole") and len(stored) == len(in_file) > 1000
    for name in ("graph.trig", "graph.ttl", "analysis.json", "ecosystem.html", "report.md", "report.html"):
        assert (tmp_path / "little" / name).read_bytes() == (tmp_path / "whole" / name).read_bytes(), name


def test_memory_figures_are_read_from_proc_style_files(tmp_path: Path) -> None:
    status = tmp_path / "status"
    status.write_text("Name:\tpython\nVmPeak:\t  900 kB\nVmRSS:\t  812 kB\n", encoding="ascii")
    assert kg.engine.memory._meminfo_kib(str(status), "VmRSS:") == 812
    assert kg.engine.memory._meminfo_kib(str(status), "MemAvailable:") is None
    assert kg.engine.memory._meminfo_kib(str(tmp_path / "missing"), "VmRSS:") is None


def _stored(out: Path) -> set[str]:
    store = ox.Store.read_only(str(out / "store"))
    try:
        return {str(quad) for quad in store}
    finally:
        del store
