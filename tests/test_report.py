"""Tests of kg/report.py: the insights report of the tiny hand-made portfolio of tests/test_analyse.py.

Hand-checked figures: 7 partnerships (P three times, government; Q academia;
R civil society and unusual; S unknown; T private sector), P the only
partner shared across countries (AAA, BBB) and the top broker; two forms
state a handover outcome; d1 and d3 name SDG 5, d1 also SDG 13.

The plan against outcome is checked twice: on the tiny portfolio with d1
(Aland's closing form) closing d2 (its plan), and on the hand-written forms
of ``tests/data/linked/`` built by ``kg build`` (figures worked out in
:func:`test_plan_against_outcome_of_the_hand_written_forms`).
"""

from __future__ import annotations

import csv
import io
import re
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.analyse import analyse
from kg.build import build
from kg.namespaces import mint
from kg.query import format_result, load_query, run_query
from kg.report import (
    Block,
    Chart,
    LinkedPair,
    collect_report,
    draw_charts,
    is_placeholder,
    linked_pairs,
    md_escape,
    render_html,
    render_markdown,
    write_report,
)
from kg.store import open_store
from kg.visualise import remote_references
from test_analyse import PKG, SKOS, TinyPortfolio, tiny_portfolio

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
LINKED = ROOT / "tests" / "data" / "linked"
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


def _linked_portfolio():
    """The tiny portfolio with d1 (Aland's closing form: P, Q; M1, M2) closing d2 (Aland's plan: P, M1, one action)."""
    portfolio, ids = tiny_portfolio()
    portfolio.add(ids["d1"], PKG + "closes", ids["d2"], ids["d1"])
    portfolio.action(ids["d2"], 1, "Plan action")
    return portfolio.store(), ids


def _years_portfolio():
    """Partners of three countries over three years (figures in :func:`test_what_changed_by_hand`)."""
    t = TinyPortfolio()
    aaa, bbb, ccc = t.country("AAA", "Aland"), t.country("BBB", "Borduria"), t.country("CCC", "Carpania")
    p, q, r = t.org("p", "P", "government"), t.org("q", "Q", "academia"), t.org("r", "R", "civil-society")
    s, u = t.org("s", "S"), t.org("t", "T", "private-sector")
    forms = (
        ("e1.md", aaa, (p, q), ("2021", "2021")),
        ("e2.md", aaa, (p, r, u), ("2023", "2023")),
        ("e3.md", bbb, (p, q, r), ("2021", "2021")),
        ("e4.md", bbb, (p, q), ("2022", "2022")),
        ("e5.md", ccc, (s,), ("2021", "2022")),  # a form giving a range: S is active in both years
    )
    for path, country, orgs, years in forms:
        doc = t.doc(path, [country], year=years[1])
        for org in orgs:
            t.partnership(doc, org, years=years)
    return t.store()


@pytest.fixture(scope="module")
def linked_build(tmp_path_factory) -> Path:
    """``kg build tests/data/linked``: two plans and a closing form of Peru, a plan and one of Ghana, one of Kenya."""
    out = tmp_path_factory.mktemp("linked")
    build([LINKED], out, jobs=1)
    return out


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


def test_a_build_with_no_link_says_so(report):
    rep, _ids = report
    md = render_markdown(rep)
    # d1 and d4 are closing forms, d2 the one learning plan; nothing says pkg:closes
    assert "## Plan against outcome\n\nNo closing form in this build is linked to the learning plan it closes " in md
    assert "(2 closing forms, 1 learning plan).\n\n## What changed" in md
    assert "## What changed\n\nNo partnership in this build has a year.\n\n## Notes" in md  # none has pkg:fromYear


def test_plan_against_outcome_of_the_tiny_portfolio():
    store, ids = _linked_portfolio()
    [pair] = linked_pairs(store)
    assert (pair.closing, pair.plan) == (ids["d1"], ids["d2"])
    assert (pair.kept, pair.dropped, pair.new) == ({ids["P"]}, set(), {ids["Q"]})
    assert (pair.planned_actions, pair.reported_actions) == (1, 0)
    md = render_markdown(collect_report(store, analyse(store), charts=False))
    assert (
        "1 of 2 closing forms (50.0%) are linked to the learning plan they close, closing 1 of 1 learning plan "
        "(100.0%). Over the 1 linked pair: planned partners kept 1, dropped 0 (100.0% kept); new partners 1; "
        "methods planned 1, used 2, planned and used 1; actions planned 1, reported 0." in md
    )
    assert _table_after(md, "### By the partner's sector") == [
        ["Academia", "0", "0", "1", "-"],
        ["Government", "1", "0", "0", "100.0%"],
    ]
    assert _table_after(md, "### By country (top 20 of 1, by linked pairs)") == [
        ["Aland", "AAA", "1 of 1", "1 of 1", "1", "0", "1", "100.0%", "1 of 1", "1", "0"]
    ]


def test_a_linked_pair_sorts_its_partners():
    pair = LinkedPair("c", "p", planned=frozenset("abc"), reported=frozenset("bcd"))
    assert (pair.kept, pair.dropped, pair.new) == ({"b", "c"}, {"a"}, {"d"})


@pytest.mark.slow
def test_plan_against_outcome_of_the_hand_written_forms(linked_build):
    """tests/data/linked, read by hand.

    Peru: the water kiosks plan (UNICEF, Ministerio de Vivienda, Universidad
    Nacional de Ingeniería, Red Cross; actions KIOSK PRICING, RAINWATER
    HARVESTING) is closed by its closing form (UNICEF, the Universidad,
    Fundación Agua Viva; those two actions and WATER QUALITY SENSORS): kept
    UNICEF (United Nations) and the Universidad (academia), dropped the
    Ministerio (government) and the Red Cross (civil society), new the
    Fundación (civil society). The street vendors plan is closed by none.
    Ghana: the cocoa plan (Ministry of Food and Agriculture, Kwame Nkrumah
    University; FARM MAPPING) is closed by its closing form (the Ministry,
    Farmerline Ltd; FARM MAPPING, MOBILE PAYMENTS): kept the Ministry
    (government), dropped the University (academia), new Farmerline
    (private sector). Kenya's closing form has no plan to close. Methods:
    both Peru forms tag Solutions Mapping and Prototyping, both Ghana forms
    Participatory Design: 3 planned, 3 used, all 3 kept.
    """
    md = (linked_build / "report.md").read_text(encoding="utf-8")
    assert (
        "2 of 3 closing forms (66.7%) are linked to the learning plan they close, closing 2 of 3 learning plans "
        "(66.7%). Over the 2 linked pairs: planned partners kept 3, dropped 3 (50.0% kept); new partners 2; "
        "methods planned 3, used 3, planned and used 3; actions planned 3, reported 5." in md
    )
    assert _table_after(md, "### By the partner's sector") == [
        ["Academia", "1", "1", "0", "50.0%"],
        ["Civil society", "0", "1", "1", "0.0%"],
        ["Government", "1", "1", "0", "50.0%"],
        ["Private sector", "0", "0", "1", "-"],
        ["United Nations", "1", "0", "0", "100.0%"],
    ]
    assert _table_after(md, "### By country (top 20 of 2, by linked pairs)") == [
        ["Peru", "PER", "1 of 1", "1 of 2", "2", "2", "1", "50.0%", "2 of 2", "2", "3"],
        ["Ghana", "GHA", "1 of 1", "1 of 1", "1", "1", "1", "50.0%", "1 of 1", "1", "2"],
    ]
    html = (linked_build / "report.html").read_text(encoding="utf-8")
    assert 'alt="Planned partners kept and dropped, and new partners, by sector"' in html


@pytest.mark.slow
def test_the_report_and_the_plan_outcomes_query_agree(linked_build):
    """Each pair's counts in the report's data are those of ``kg query plan-outcomes``, and so are the countries'."""
    result = run_query(linked_build, load_query("plan-outcomes"), {})
    found = list(csv.DictReader(io.StringIO(format_result(result, "csv"))))
    assert len(found) == 2
    pairs = {(p.closing, p.plan): p for p in linked_pairs(open_store(linked_build))}
    assert set(pairs) == {(str(mint("doc", r["closing_file"])), str(mint("doc", r["plan_file"]))) for r in found}
    for row in found:
        pair = pairs[(str(mint("doc", row["closing_file"])), str(mint("doc", row["plan_file"])))]
        counts = (len(pair.kept), len(pair.dropped), len(pair.new), pair.planned_actions, pair.reported_actions)
        assert counts == tuple(int(row[k]) for k in ("kept", "dropped", "new", "planned_actions", "reported_actions"))
        methods = (len(pair.planned_methods), len(pair.used_methods), len(pair.kept_methods))
        assert methods == tuple(int(row[k]) for k in ("planned_methods", "used_methods", "kept_methods"))
    md = (linked_build / "report.md").read_text(encoding="utf-8")
    table = {r[1]: r for r in _table_after(md, "### By country (top 20 of 2, by linked pairs)")}
    for row in found:
        wanted = [row[k] for k in ("kept", "dropped", "new")] + [f"{row['kept_methods']} of {row['planned_methods']}"]
        assert table[row["country"]][4:7] + table[row["country"]][8:9] == wanted
        assert table[row["country"]][9:] == [row["planned_actions"], row["reported_actions"]]


def test_what_changed_by_hand():
    """By year: 2021 has P, Q (e1), P, Q, R (e3) and S (e5): 4 partners, all new; 2022 has P, Q (e4) and S (e5's
    range): 3, none new, R lost; 2023 has P, R, T (e2): 3, T new (private sector), Q and S lost. By country: Aland
    has 2 partners in 2021 and 3 in 2023 (+1), Borduria 3 in 2021 and 2 in 2022 (-1), Carpania S in 2021 and 2022
    (no change). P is active in 2021-2023 (Aland, Borduria); Q in 2021 and 2022, R in 2021 and 2023 (both countries);
    S in 2021 and 2022 (Carpania); T in 2023 only.
    """
    store = _years_portfolio()
    rep = collect_report(store, analyse(store))
    md = render_markdown(rep)
    assert "In the first year, 2021, every partner is new." in md
    assert _table_after(md, "### New partners by year and sector") == [
        ["2021", "4", "4", "0", "1", "1", "1", "0", "1"],
        ["2022", "3", "0", "1", "0", "0", "0", "0", "0"],
        ["2023", "3", "1", "2", "0", "0", "0", "1", "0"],
    ]
    assert "| year | partners | new | lost | new: Academia | new: Civil society | new: Government | new: Private " in md
    [chart] = [b.chart for b in rep.blocks if b.kind == "chart" and b.text == "New partners by year and sector"]
    assert chart is not None and chart.kind == "stacked"
    assert chart.data == (
        ("2021", "2022", "2023"),
        ("Academia", "Civil society", "Government", "Private sector", "Unknown"),
        ((1, 1, 1, 0, 1), (0, 0, 0, 0, 0), (0, 0, 0, 1, 0)),
    )
    assert "Of the 3 countries with partnerships in two years or more, 1 grew, 1 shrank and 1 kept as many" in md
    assert _table_after(md, "Grew most:") == [["Aland", "AAA", "2021", "2", "2023", "3", "+1"]]
    assert _table_after(md, "Shrank most:") == [["Borduria", "BBB", "2021", "3", "2022", "2", "-1"]]
    assert "4 partners are active in more than one year; the 4 active in the most years" in md
    assert _table_after(md, "### Partners that recur across years") == [
        ["P", "Government", "3", "2021 2022 2023", "AAA BBB"],
        ["Q", "Academia", "2", "2021 2022", "AAA BBB"],
        ["R", "Civil society", "2", "2021 2023", "AAA BBB"],
        ["S", "Unknown", "2", "2021 2022", "CCC"],
    ]


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
    # The examples by year (tests/data/examples_expected.md): 2022, Bolivia's closing form (El Alto's government, the
    # ministry of environment and water, UMSA, two civil-society partners, EcoPlast Andina and Recicla & Crea); 2023,
    # Türkiye's experiment (the Konya
    # directorate, Selçuk University, Güneşli Tarım); 2024, Kenya's plan (the State Department, Strathmore,
    # Kenyatta, KaziLink) and Viet Nam's closing form (two government bodies, VNUA, the cooperative, SongXanh).
    # No partner recurs, each year's partners are new, and each year loses the year before's.
    md = built_md.decode("utf-8")
    assert _table_after(md, "### New partners by year and sector") == [
        ["2022", "7", "7", "0", "2", "1", "2", "2"],
        ["2023", "3", "3", "7", "1", "1", "1", "0"],
        ["2024", "9", "9", "3", "3", "3", "2", "1"],
    ]
    # sectors by their number of new partners in all years: government 6, academia 5, private sector 5, civil society 3
    assert "| new: Government | new: Academia | new: Private sector | new: Civil society |" in md
    assert "No country has partnerships in two years or more." in md
    assert "No partner is active in more than one year." in md
