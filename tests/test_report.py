"""Tests of kg/report.py: the insights report of the tiny hand-made portfolio of tests/test_analyse.py.

Hand-checked figures: 7 partnerships (P three times, government; Q academia;
R civil society and unusual; S unknown; T private sector), P the only
partner shared across countries (AAA, BBB) and the top broker; two forms
state a handover outcome; d1 and d3 name SDG 5, d1 also SDG 13.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.analyse import analyse
from kg.report import (
    Block,
    Chart,
    collect_report,
    draw_charts,
    is_placeholder,
    md_escape,
    render_html,
    render_markdown,
    write_report,
)
from kg.visualise import remote_references
from test_analyse import PKG, SKOS, tiny_portfolio

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
HOSTILE = "<img src=x onerror=alert(1)>"


def _portfolio(p_label: str = "P"):
    portfolio, ids = tiny_portfolio(p_label=p_label)
    outcome = str(ids["d1"]).replace("/doc/", "/handover/")
    portfolio.add(outcome, SKOS + "prefLabel", ox.Literal("Our work has not yet scaled"))
    portfolio.add(ids["d1"], PKG + "handoverOutcome", outcome, ids["d1"])
    portfolio.add(ids["d2"], PKG + "handoverOutcome", outcome, ids["d2"])
    for doc, goal in (("d1", 5), ("d1", 13), ("d3", 5)):
        portfolio.add(ids[doc], PKG + "sdg", f"http://metadata.un.org/sdg/{goal}", ids[doc])
    # A placeholder "partner" in d4: named in forms, left out of the rankings.
    portfolio.partnership(ids["d4"], portfolio.org("na", "NA"))
    return portfolio.store(), ids


@pytest.fixture(scope="module")
def report():
    store, ids = _portfolio()
    return collect_report(store, analyse(store)), ids


def _table_after(markdown: str, heading: str) -> list[list[str]]:
    """The body rows of the first table after ``heading``."""
    rows: list[str] = []
    for line in markdown.split(heading + "\n", 1)[1].splitlines():
        if line.startswith("|"):
            rows.append(line)
        elif rows:
            break
    return [[cell.strip() for cell in row.strip("|").split("|")] for row in rows[2:]]


def test_markdown_sections_and_hand_checked_rows(report):
    rep, _ids = report
    md = render_markdown(rep)
    for heading in (
        "## Portfolio size",
        "## Top partners",
        "## Brokers",
        "## Sector mix",
        "## Methods and SDGs by country",
        "## Unusual partners",
        "## Partners shared across countries",
        "## Handover outcomes",
    ):
        assert heading in md
    assert md.startswith(
        "# Portfolio insights\n\n4 forms (2 closing forms, 1 experiment, 1 learning plan) from 3 countries "
        "name 8 partnerships with 6 partner organisations; 1 partner works in more than one country."
    )
    top = _table_after(md, "## Top partners")
    assert top[0] == ["P", "Government", "3", "AAA BBB", "2"]
    assert [row[0] for row in top] == ["P", "S", "T", "Q", "R"]  # NA is left out
    brokers = _table_after(md, "## Brokers")
    assert [row[0] for row in brokers[:1]] == ["P"]
    mix = _table_after(md, "## Sector mix")
    assert mix[0] == ["Government", "3", "37.5%"] and mix[1] == ["Unknown", "2", "25.0%"]
    assert "| R | R as named | BBB | d3.md |" in md
    assert "| P | 2 | AAA BBB |" in md
    assert "| Our work has not yet scaled | 2 |" in md
    assert "| Aland | Method one (2); Method two (1) | SDG 5 (1); SDG 13 (1) |" in md
    assert "1 partnership the forms call new and unusual" in md and "1 partner is named by forms of more" in md
    assert "placeholder names rather than organisations: NA (1 form)." in md


def test_html_is_self_contained_with_charts(report):
    rep, _ids = report
    html = render_html(rep)
    assert remote_references(html) == []
    images = re.findall(r'<img [^>]*src="([^"]*)"', html)
    assert len(images) >= 5 and all(src.startswith("data:image/png;base64,") for src in images)
    assert "<script" not in html


def test_charts_drawn_before_are_taken_not_drawn_again(report):
    rep, _ids = report
    charts = [block for block in rep.blocks if block.kind == "chart"]
    drawn = {block.chart.key(): block.png for block in charts}
    assert len(drawn) == len(charts) and all(png.startswith(b"\x89PNG") for png in drawn.values())
    store, _ids = _portfolio()
    first = charts[0].chart.key()
    again = collect_report(store, analyse(store), drawn={first: b"kept"})
    pngs = [block.png for block in again.blocks if block.kind == "chart"]
    assert pngs[0] == b"kept" and pngs[1:] == [block.png for block in charts[1:]]
    assert Chart("barh", (("a",), (1,))).key() != Chart("barh", (("a",), (2,))).key()


def test_draw_charts_adds_what_it_draws():
    drawn: dict[str, bytes] = {}
    chart = Chart("barh", (("a", "b"), (1, 2)))
    draw_charts([Block("chart", "two bars", chart=chart), Block("p", "text")], drawn)
    assert list(drawn) == [chart.key()] and drawn[chart.key()].startswith(b"\x89PNG")


def test_form_text_is_escaped():
    store, _ids = _portfolio(p_label=HOSTILE)
    rep = collect_report(store, analyse(store), charts=False)
    html, md = render_html(rep), render_markdown(rep)
    assert HOSTILE not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert HOSTILE not in md and "\\<img src=x onerror=alert(1)\\>" in md


def test_md_escape_and_placeholders():
    assert md_escape("a|b *c* [d](e) <f> & g\nh") == "a\\|b \\*c\\* \\[d\\](e) \\<f\\> \\& g h"
    assert all(is_placeholder(x) for x in ("NA", "n/a", "N.A.", "None", "-", "TBD", "x"))
    assert not any(is_placeholder(x) for x in ("UNICEF", "FAO", "Ministry of Health", "UN"))


@pytest.mark.slow
def test_report_is_deterministic(tmp_path):
    store, _ids = _portfolio()
    first = render_html(collect_report(store, analyse(store)))
    second = render_html(collect_report(store, analyse(store)))
    assert first == second


@pytest.mark.slow
def test_report_command_regenerates_the_files(tmp_path):
    from kg.build import build

    out = tmp_path / "out"
    build([EXAMPLES], out, jobs=1)
    built_md = (out / "report.md").read_bytes()
    again = tmp_path / "again"
    result = subprocess.run(
        [sys.executable, "-m", "kg", "report", "--graph", str(out), "-o", str(again)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    assert (again / "report.md").read_bytes() == built_md
    assert (again / "report.html").read_bytes() == (out / "report.html").read_bytes()
    md_path, html_path = write_report(out)
    assert md_path.read_bytes() == built_md and html_path.stat().st_size > 0
