"""The year control of the ecosystem pages (kg/visualise.py, kg/templates/ecosystem.html), in headless Chromium.

A partnership is active from its ``from_year`` to its ``to_year``
(:func:`kg.analyse.active_years`). The page shows a partner, form or action
when one of its partnerships in the view is active in the years chosen, a
link to a partner when one of the partnerships behind it is, and, once years
are chosen, a country only with a link shown.

The hand-written forms of ``tests/data/years`` give, by hand:

    kenya_2021.md  Kenya 2021   Ministry of Health, Kenya Red Cross
    kenya_2022.md  Kenya 2022   Ministry of Health, Strathmore University
    peru_2022.md   Peru 2022    Ministry of Environment, Universidad de Lima (a timeline: November 2022 to
                                January 2023)
    peru_2023.md   Peru 2023    Ministry of Environment

    year  partners  partnerships  countries
    2021  2         2             1 (Kenya: the ministry and the Red Cross)
    2022  4         4             2 (Kenya's ministry and Strathmore; Peru's ministry and university)
    2023  2         3             1 (Peru's 2022 form is still active: its two partners, and the 2023 form's ministry)

and 2021-2022 together: 5 partners (all but none), 6 partnerships (the three forms of those years), 2 countries.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from test_analyse import TinyPortfolio

from kg.analyse import analyse, analyse_build
from kg.visualise import country_view, portfolio_view, write_html

ROOT = Path(__file__).resolve().parents[1]
YEAR_FORMS = ROOT / "tests" / "data" / "years"
EXAMPLES = ROOT / "examples"
BY_HAND = {2021: (2, 2, 1), 2022: (4, 4, 2), 2023: (2, 3, 1)}  # year: partners, partnerships, countries


def _tiny() -> tuple[dict, dict[str, str]]:
    """Two countries, three partners over three years, and a partnership of no year.

    d1 (AAA, 2021): P active 2021, Q 2021-2022; d2 (AAA, 2022): P 2022;
    d3 (BBB, 2023): P 2023 and R, of no year.
    """
    t = TinyPortfolio()
    ids = {"AAA": t.country("AAA", "Aland"), "BBB": t.country("BBB", "Borduria")}
    ids.update(P=t.org("p", "P", "government"), Q=t.org("q", "Q", "academia"), R=t.org("r", "R"))
    ids["d1"] = t.doc("d1.md", [ids["AAA"]], year="2021")
    ids["d2"] = t.doc("d2.md", [ids["AAA"]], year="2022")
    ids["d3"] = t.doc("d3.md", [ids["BBB"]], year="2023")
    t.partnership(ids["d1"], ids["P"], "government", years=("2021", "2021"))
    t.partnership(ids["d1"], ids["Q"], "academia", years=("2021", "2022"))
    t.partnership(ids["d2"], ids["P"], "government", years=("2022", "2022"))
    t.partnership(ids["d3"], ids["P"], "government", years=("2023", "2023"))
    t.partnership(ids["d3"], ids["R"])
    return analyse(t.store()), ids


def _by_iri(view) -> tuple[dict, dict]:
    nodes = {n["iri"]: n for n in view.nodes}
    iri = {n["id"]: n["iri"] for n in view.nodes}
    edges = {frozenset((iri[e["from"]], iri[e["to"]])): e for e in view.edges}
    return nodes, edges


def test_the_views_give_each_element_the_years_of_its_partnerships():
    analysis, ids = _tiny()
    view = portfolio_view(analysis)
    nodes, edges = _by_iri(view)
    assert view.years == [2021, 2022, 2023]
    assert nodes[ids["P"]]["yr"] == [2021, 2022, 2023] and nodes[ids["Q"]]["yr"] == [2021, 2022]
    assert nodes[ids["R"]]["yr"] == [] and "yr" not in nodes[ids["AAA"]]
    assert edges[frozenset((ids["AAA"], ids["P"]))]["yr"] == [2021, 2022]
    assert edges[frozenset((ids["BBB"], ids["P"]))]["yr"] == [2023]
    assert sorted(row[4:] for row in view.partnerships) == [
        [0, 0],
        [2021, 2021],
        [2021, 2022],
        [2022, 2022],
        [2023, 2023],
    ]
    # Aland's view: P stands for its partnerships in Aland's forms; its link to Borduria for those in Borduria.
    aland = country_view(analysis, "AAA")
    nodes, edges = _by_iri(aland)
    assert nodes[ids["P"]]["yr"] == [2021, 2022] and nodes[ids["d1"]]["yr"] == [2021, 2022]
    assert nodes[ids["d2"]]["yr"] == [2022] and edges[frozenset((ids["P"], ids["BBB"]))]["yr"] == [2023]
    assert "yr" not in edges[frozenset((ids["AAA"], ids["d1"]))]
    assert aland.years == [2021, 2022, 2023]


def test_a_view_without_years_has_no_year_control(tmp_path):
    t = TinyPortfolio()
    country = t.country("AAA", "Aland")
    t.partnership(t.doc("d.md", [country], year=None), t.org("o", "O"))
    view = portfolio_view(analyse(t.store()))
    assert view.years == []
    html = write_html(view, tmp_path / "p.html").read_text(encoding="utf-8")
    assert 'id="kg-play"' not in html and 'id="kg-n-partners"' in html


# --------------------------------------------------------------------------
# in a real browser


@pytest.fixture(scope="module")
def builds(tmp_path_factory) -> dict[str, Path]:
    """The examples and the hand-written forms of tests/data/years, built."""
    from kg.build import build

    root = tmp_path_factory.mktemp("year-builds")
    found = {}
    for name, source in (("examples", EXAMPLES), ("years", YEAR_FORMS)):
        build([source], root / name, jobs=1)
        found[name] = root / name
    return found


_PARTNER_NODES_SHOWN = "kg.nodes.get({filter: n => n.kind === 'partner' && !n.hidden}).length"


def _shown(tab, first, last) -> tuple[int, int, int, int]:
    """Set the years; the partners, partnerships and countries the legend counts, and the partner nodes not hidden."""
    counted = tab.evaluate(f"kg.setYears({first}, {last})")
    return counted["partners"], counted["partnerships"], counted["countries"], tab.evaluate(_PARTNER_NODES_SHOWN)


@pytest.mark.slow
def test_the_hand_written_forms_give_the_years_by_hand(builds):
    rows = analyse_build(builds["years"]).years
    assert {r["year"]: (r["partners"], r["partnerships"], r["countries"]) for r in rows} == BY_HAND


@pytest.mark.slow
@pytest.mark.parametrize("name", ["examples", "years"])
def test_chromium_a_year_shows_the_partners_the_analytics_count(builds, browser, name, tmp_path):
    analysis = analyse_build(builds[name])
    page = builds[name] / "ecosystem.html"
    tab = browser.open(page.as_uri())
    try:
        assert tab.evaluate("kg.years") == [row["year"] for row in analysis.years]
        for row in analysis.years:
            year = row["year"]
            assert _shown(tab, year, year) == (row["partners"], row["partnerships"], row["countries"], row["partners"])
            assert tab.evaluate("document.getElementById('kg-n-partners').textContent") == str(row["partners"])
        every = tab.evaluate("kg.setYears(null)")
        assert (every["partners"], every["partnerships"]) == (
            len(analysis.partners),
            len(analysis.projections.partnerships),
        )
        assert tab.errors() == [] and tab.requests() == [page.as_uri()]
    finally:
        tab.close()
    # Each country's view: its partners of a year are its row of country_years (none without a row).
    for iso3 in sorted({row["iso3"] for row in analysis.country_years}):
        rows = {r["year"]: r for r in analysis.country_years if r["iso3"] == iso3}
        page = write_html(country_view(analysis, iso3), tmp_path / f"{iso3}.html")
        tab = browser.open(page.as_uri())
        try:
            for row in analysis.years:
                year = row["year"]
                expected = rows[year]["partners"] if year in rows else 0
                partners, partnerships, _countries, nodes = _shown(tab, year, year)
                assert (partners, nodes) == (expected, expected), (iso3, year)
                assert partnerships == (rows[year]["partnerships"] if year in rows else 0), (iso3, year)
            assert tab.errors() == []
        finally:
            tab.close()


@pytest.mark.slow
def test_chromium_the_sliders_and_the_play_button(builds, browser):
    page = builds["years"] / "ecosystem.html"
    tab = browser.open(page.as_uri())
    try:
        slide = (
            "(id, v) => { const s = document.getElementById(id); s.value = v; s.dispatchEvent(new Event('input')); }"
        )
        tab.evaluate(f"({slide})('kg-to', 1)")  # 2021-2022
        assert tab.evaluate("document.getElementById('kg-years').textContent") == "2021\u20132022"
        assert tab.evaluate("[kg.shown().partners, kg.shown().partnerships, kg.shown().countries]") == [5, 6, 2]
        tab.evaluate(f"({slide})('kg-from', 2)")  # the first year after the last: both go to 2023
        assert tab.evaluate("[kg.years[document.getElementById('kg-to').value], kg.shown().partners]") == [2023, 2]
        # Play shows the first year at once, then steps a year every 1.5 s and stops on the last.
        tab.evaluate("document.getElementById('kg-play').click()")
        assert tab.evaluate("[document.documentElement.getAttribute('data-years'), kg.shown().partners]") == [
            "2021-2021",
            2,
        ]
        assert tab.evaluate("document.getElementById('kg-play').textContent") == "Pause"
        tab.wait_for("document.documentElement.getAttribute('data-years') === '2022-2022'", timeout=10)
        assert tab.evaluate("kg.shown().partners") == 4
        tab.wait_for("document.getElementById('kg-play').textContent === 'Play'", timeout=10)
        assert tab.evaluate("[document.documentElement.getAttribute('data-years'), kg.shown().partnerships]") == [
            "2023-2023",
            3,
        ]
        tab.evaluate("document.getElementById('kg-reset').click()")
        assert tab.evaluate("[document.getElementById('kg-years').textContent, kg.shown().partners]") == [
            "All years",
            5,
        ]
        assert tab.errors() == []
    finally:
        tab.close()
