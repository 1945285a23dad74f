"""Partner suggestions (kg.suggest, ``kg suggest``): signals, scores, evidence and the back-test, by hand.

The unit tests run on portfolios written here (:func:`portfolio`): a few
countries, organisations, SDGs, methods and forms, whose graph, signals and
scores are worked out by hand in the comments. The command is run on a build
of the bundled examples, whose partners, lines and tags were read from the
forms in ``examples/``.
"""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kg.backtest import backtest, new_partners, popularity_ranking
from kg.build import build
from kg.cli import app
from kg.errors import InputError
from kg.namespaces import mint, sdg_iri
from kg.suggest import (
    POPULARITY_WEIGHTS,
    SIGNAL_WEIGHTS,
    SIGNALS,
    Concept,
    Country,
    Form,
    Organisation,
    Partnership,
    Portfolio,
    candidates,
    combine,
    rank_normalise,
    signals,
    suggest,
    suggest_kinds,
    suggestion_graph,
    suggestion_result,
)

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
NAMES = {"ECU": "Ecuador", "PER": "Peru", "COL": "Colombia", "KEN": "Kenya"}


def country(iso3: str) -> str:
    return str(mint("country", iso3))


def org(key: str) -> str:
    return str(mint("org", key))


def concept(name: str) -> str:
    """An SDG ("13") or a method's IRI."""
    return str(sdg_iri(int(name))) if name.isdigit() else str(mint("method", name.lower()))


def portfolio(forms: list[tuple], scopes: dict[str, str] | None = None) -> Portfolio:
    """A portfolio of ``(name, ISO3 codes, year, concepts, [(organisation key, line), ...])`` forms.

    Each organisation is labelled by its key; ``scopes`` gives the ISO3 code some are scoped to.
    """
    scopes = scopes or {}
    found = Portfolio({}, {}, {}, {}, [])
    for name, codes, year, tags, partners in forms:
        doc = str(mint("doc", name))
        for code in codes:
            found.countries[country(code)] = Country(country(code), code, NAMES[code])
        for tag in tags:
            kind = "sdg" if tag.isdigit() else "method"
            found.concepts[concept(tag)] = Concept(concept(tag), kind, f"SDG {tag}" if tag.isdigit() else tag)
        countries = tuple(sorted(country(code) for code in codes))
        found.forms[doc] = Form(doc, f"{name}.md", year, countries, tuple(sorted(concept(t) for t in tags)))
        for index, (key, line) in enumerate(partners):
            found.organisations[org(key)] = Organisation(org(key), key, "academia", scopes.get(key, ""))
            found.partnerships.append(Partnership(f"{doc}/p{index}", org(key), doc, line, year, year))
    return found


# The hand-built graph of eight nodes: countries ECU, PER, COL; organisations X, Y, Z; SDG 13 and Sensemaking (M).
#
#   ecu (2021, ECU): SDG 13, M; partner X (line 10)
#   per (2022, PER): SDG 13;    partners X (line 20), Y (line 21)
#   col (2024, COL): M;         partner Z (line 30)
#   col-plan (2023, COL): SDG 13; no partner
#
# Edges (a partnership links its organisation to its form's country; a form's SDGs and methods link to its
# countries and to the organisations it names; two organisations of one form are linked):
#   ECU-X, PER-X, PER-Y, COL-Z; ECU-13, ECU-M, PER-13, COL-M, COL-13; X-13, X-M, Y-13, Z-M; X-Y
# Neighbours and degrees:
#   ECU {X, 13, M} 3; PER {X, Y, 13} 3; COL {Z, M, 13} 3; X {ECU, PER, 13, M, Y} 5; Y {PER, 13, X} 3;
#   Z {COL, M} 2; 13 {ECU, PER, COL, X, Y} 5; M {ECU, COL, X, Z} 4
EIGHT = [
    ("ecu", ["ECU"], 2021, ["13", "Sensemaking"], [("X", 10)]),
    ("per", ["PER"], 2022, ["13"], [("X", 20), ("Y", 21)]),
    ("col", ["COL"], 2024, ["Sensemaking"], [("Z", 30)]),
    ("col-plan", ["COL"], 2023, ["13"], []),
]

# ECU's candidates are Y and Z (X is its partner). By hand:
#   common neighbours: ECU-Y {X, 13}; ECU-Z {M}
#   Adamic-Adar: Y 1/ln 5 + 1/ln 5 = 1.2426698; Z 1/ln 4 = 0.7213475
#   resource allocation: Y 1/5 + 1/5 = 0.4; Z 1/4 = 0.25
#   Jaccard: Y |{X, 13}| / |{X, 13, M, PER}| = 2/4 = 0.5; Z |{M}| / |{X, 13, M, COL}| = 1/4 = 0.25
#   peers: countries' SDGs and methods: ECU {13, M}, PER {13}, COL {13, M}; similarity ECU-PER 1/2, ECU-COL 2/2 = 1;
#          Y is partnered by PER: 0.5; Z by COL: 1.0
#   bridges: ECU's partner X is named beside Y in one form: Y 1, Z 0
#   recency: Y's latest year 2022, Z's 2024; labs: one each
HAND_SIGNALS = {
    org("Y"): {
        "adamic_adar": 2 / math.log(5),
        "resource_allocation": 0.4,
        "jaccard": 0.5,
        "peers": 0.5,
        "bridges": 1.0,
        "recency": 2022.0,
        "labs": 1.0,
    },
    org("Z"): {
        "adamic_adar": 1 / math.log(4),
        "resource_allocation": 0.25,
        "jaccard": 0.25,
        "peers": 1.0,
        "bridges": 0.0,
        "recency": 2024.0,
        "labs": 1.0,
    },
}


def test_rank_normalise_is_the_share_of_the_others_below():
    # [3, 1, 3, 0]: 3 has two values below it of the three others: 2/3; 1 has one: 1/3; 0 none.
    assert rank_normalise([3, 1, 3, 0]) == pytest.approx([2 / 3, 1 / 3, 2 / 3, 0.0])
    assert rank_normalise([5.0]) == [1.0]
    assert rank_normalise([0.0]) == [0.0]


def test_the_eight_node_graph_is_the_one_written_by_hand():
    graph = suggestion_graph(portfolio(EIGHT)).graph
    assert graph.number_of_nodes() == 8
    degrees = {graph.nodes[n]["label"]: d for n, d in graph.degree()}
    expected = {"Ecuador": 3, "Peru": 3, "Colombia": 3, "X": 5, "Y": 3, "Z": 2, "SDG 13": 5, "Sensemaking": 4}
    assert degrees == expected
    assert graph.number_of_edges() == 14
    assert graph[org("X")][concept("13")]["weight"] == 2  # two forms name X and carry SDG 13


def test_the_signals_on_the_eight_node_graph_match_the_hand_computation():
    found = suggestion_graph(portfolio(EIGHT))
    ecu = country("ECU")
    assert candidates(found, ecu) == [org("Y"), org("Z")]
    raw = signals(found, ecu, [org("Y"), org("Z")])
    for organisation, values in HAND_SIGNALS.items():
        assert raw[organisation] == pytest.approx(values, abs=1e-9)


def test_the_score_on_the_eight_node_graph_matches_the_hand_computation():
    raw = signals(suggestion_graph(portfolio(EIGHT)), country("ECU"), [org("Y"), org("Z")])
    # Two candidates: a signal's larger value normalises to 1, the smaller (or a tie) to 0.
    #   Y: adamic_adar 1, resource_allocation 1, jaccard 1, bridges 1; Z: peers 1, recency 1; labs tie (0, 0).
    # SIGNAL_WEIGHTS (adamic_adar 1, resource_allocation 1, peers 2, recency 2; total 6): Y 2/6, Z 4/6.
    assert combine(raw, SIGNAL_WEIGHTS) == pytest.approx({org("Y"): 1 / 3, org("Z"): 2 / 3})
    # Every signal weighing 1 (total 7): Y 4/7, Z 2/7.
    assert combine(raw, dict.fromkeys(SIGNALS, 1.0)) == pytest.approx({org("Y"): 4 / 7, org("Z"): 2 / 7})
    # Popularity: the labs signal alone, a tie at 0.
    assert combine(raw, POPULARITY_WEIGHTS) == {org("Y"): 0.0, org("Z"): 0.0}
    with pytest.raises(ValueError):
        combine(raw, {})


def test_suggestions_are_ranked_by_the_score_and_popularity_ties_by_the_signals():
    found = suggestion_graph(portfolio(EIGHT))
    mixed = suggest(found, "ECU", ranking_by="signals")
    assert [(s.label, s.rank, s.score) for s in mixed] == [("Z", 1, 0.666667), ("Y", 2, 0.333333)]
    popular = suggest(found, "ecuador")  # the default: popularity (a tie at 0 here), then the signals' mix
    assert [(s.label, s.score, s.signal_score) for s in popular] == [("Z", 0.0, 0.666667), ("Y", 0.0, 0.333333)]
    assert suggest(found, "ECU", top=1, ranking_by=[dict.fromkeys(SIGNALS, 1.0)])[0].label == "Y"
    assert popular[1].signals["bridges"] == 1.0 and popular[0].signals["recency"] == 2024.0


def test_an_explanation_names_exactly_the_shared_sdgs_and_methods():
    # ECU's form carries SDG 13, SDG 6, Sensemaking and Prototyping. Q is named by Peru on a form of SDG 13, SDG 2,
    # Sensemaking and Ethnography, and by Colombia on one of SDG 13 and Prototyping. Shared: SDG 13 (both forms),
    # Prototyping and Sensemaking (one each, so by name); not SDG 2 or Ethnography (not ECU's), nor SDG 6 (not Q's).
    # Similarity to ECU: Peru |{13, Sensemaking}| / |{13, 6, Sensemaking, Prototyping, 2, Ethnography}| = 1/3;
    # Colombia |{13, Prototyping}| / |{13, 6, Sensemaking, Prototyping}| = 1/2: Colombia first.
    found = suggestion_graph(
        portfolio(
            [
                ("ecu", ["ECU"], 2023, ["13", "6", "Sensemaking", "Prototyping"], [("R", 5)]),
                ("per", ["PER"], 2022, ["13", "2", "Sensemaking", "Ethnography"], [("Q", 40)]),
                ("col", ["COL"], 2023, ["13", "Prototyping"], [("Q", 12)]),
            ]
        )
    )
    (suggestion,) = suggest(found, "ECU")
    evidence = suggestion.evidence
    assert evidence.sdgs == (13,)
    assert evidence.methods == ("Prototyping", "Sensemaking")
    assert [(lab.iso3, lab.years, lab.similarity) for lab in evidence.labs] == [
        ("COL", (2023,), 0.5),
        ("PER", (2022,), 0.333333),
    ]
    assert [(f.source, f.line) for f in evidence.forms] == [("col.md", 12), ("per.md", 40)]
    assert suggestion.explanation == (
        "works with 2 labs (Colombia 2023, Peru 2022) on forms that share SDG 13, Prototyping and Sensemaking "
        "with yours; last active 2023"
    )


def test_a_bridge_and_the_years_of_a_lab_show_in_the_explanation():
    # In the eight-node portfolio, Y is named beside ECU's partner X on Peru's 2022 form of SDG 13.
    (_z, y) = suggest(suggestion_graph(portfolio(EIGHT)), "ECU")
    assert y.explanation == (
        "works with 1 lab (Peru 2022) on forms that share SDG 13 with yours; alongside your partner X; last active 2022"
    )


MINISTRIES = [
    ("ecu", ["ECU"], 2023, ["13"], [("U", 3)]),
    ("per", ["PER"], 2022, ["13"], [("Ministry of Environment", 7), ("V", 8)]),
    ("col", ["COL"], 2023, ["13"], [("Ministry of Environment ", 9)]),
]
"""Peru's and Colombia's ministries of environment, each scoped to its country (the same kind once folded)."""
MINISTRY_SCOPES = {"Ministry of Environment": "PER", "Ministry of Environment ": "COL"}


def test_a_national_body_of_another_country_is_never_suggested_but_its_kind_is():
    found = suggestion_graph(portfolio(MINISTRIES, MINISTRY_SCOPES))
    assert [s.label for s in suggest(found, "ECU", top=None)] == ["V"]
    (kind,) = suggest_kinds(found, "ECU")
    assert (kind.kind, kind.label, kind.organisation) == (True, "ministry of environment", "")
    assert [lab.iso3 for lab in kind.evidence.labs] == ["COL", "PER"]  # each as alike to ECU (SDG 13 alone): by code
    assert [(f.source, f.line) for f in kind.evidence.forms] == [("col.md", 9), ("per.md", 7)]
    assert kind.explanation.startswith("2 labs work with their own ministry of environment (Colombia 2023, Peru 2022)")
    result = suggestion_result([kind])
    row = dict(zip(result.variables, result.rows[0], strict=True))
    assert row["organisation_iri"] is None and row["kind"].value == "kind"
    assert row["forms"].value == "col.md:9; per.md:7" and row["labs"].value == "COL 2023; PER 2022"


def test_a_kind_the_country_already_works_with_is_not_suggested():
    forms = [*MINISTRIES, ("ecu-2", ["ECU"], 2024, ["13"], [("ministry of environment", 4)])]
    scopes = {**MINISTRY_SCOPES, "ministry of environment": "ECU"}
    assert suggest_kinds(suggestion_graph(portfolio(forms, scopes)), "ECU") == []


FILTERED = [
    ("ecu", ["ECU"], 2023, ["13"], [("U", 3)]),
    ("per", ["PER"], 2022, ["2", "Ethnography"], [("Q", 40)]),
    ("col", ["COL"], 2023, ["13", "Prototyping"], [("Q", 12), ("R", 13)]),
]


def test_sdg_and_method_keep_the_partners_of_forms_carrying_them():
    found = suggestion_graph(portfolio(FILTERED))
    # SDG 2: only Peru's form carries it, and it names Q alone; its evidence is that form alone.
    (q,) = suggest(found, "ECU", sdg=2)
    assert q.label == "Q" and [f.source for f in q.evidence.forms] == ["per.md"]
    assert q.signals["labs"] == 1.0  # Peru alone, on SDG 2
    # Prototyping (any case): Colombia's form, naming Q and R.
    assert sorted(s.label for s in suggest(found, "ECU", method="PROTOTYPING")) == ["Q", "R"]
    assert suggest(found, "ECU", sdg=2, method="Prototyping") == []
    with pytest.raises(InputError, match="no method"):
        suggest(found, "ECU", method="Astrology")
    with pytest.raises(InputError, match="SDG"):
        suggest(found, "ECU", sdg=18)
    with pytest.raises(InputError, match="no country"):
        suggest(found, "ZZZ")
    with pytest.raises(InputError, match="no ranking"):
        suggest(found, "ECU", ranking_by="astrology")


# The back-test's portfolio. Up to 2022: ECU names X; PER names X, Y, W; COL names W.
# In 2023 ECU names X again, Y (new, and known to the graph of 2022) and Z (new, never named before: unreachable).
BACKTEST = [
    ("ecu-2022", ["ECU"], 2022, ["13"], [("X", 1)]),
    ("per-2022", ["PER"], 2022, ["13"], [("X", 1), ("Y", 2), ("W", 3)]),
    ("col-2022", ["COL"], 2022, ["2"], [("W", 1)]),
    ("ecu-2023", ["ECU"], 2023, ["13"], [("X", 1), ("Y", 2), ("Z", 3)]),
]


def test_the_graph_until_a_year_holds_the_partnerships_up_to_it():
    found = portfolio(BACKTEST)
    assert {org("X"), org("Y"), org("W")} == set(suggestion_graph(found, until_year=2022).org_partnerships)
    assert org("Z") in suggestion_graph(found).org_partnerships
    assert new_partners(found, country("ECU"), 2022, 2023) == {org("Y"), org("Z")}
    assert new_partners(found, country("PER"), 2022, 2023) == set()


def test_the_backtest_scores_popularity_as_worked_out_by_hand():
    # ECU's candidates in 2022: Y (one lab: PER) and W (two: PER, COL). Popularity ranks W, then Y: the new
    # partner Y is second: a hit in the top 10, reciprocal rank 1/2. Z is unreachable: 2 targets, 1 reachable.
    found = portfolio(BACKTEST)
    graph = suggestion_graph(found, until_year=2022)
    assert popularity_ranking(graph, candidates(graph, country("ECU"))) == [org("W"), org("Y")]
    (result,) = backtest(found, [(2022, 2023)], samples=50)
    assert (result.countries, result.targets, result.reachable_targets, result.no_history) == (1, 2, 1, 0)
    popularity = result.all["popularity"]
    assert (popularity.hits.value, popularity.mrr.value) == (1.0, 0.5)
    assert (popularity.mrr.low, popularity.mrr.high) == (0.5, 0.5)  # one country: every draw is the same
    # kg suggest's default ranks by popularity too (W two labs, Y one): the same ranks.
    assert (result.all["default"].hits.value, result.all["default"].mrr.value) == (1.0, 0.5)
    # The reachable countries are the same one here; the figures with them alone are the same.
    assert result.reachable["popularity"].mrr.value == 0.5 and result.reachable["popularity"].countries == 1


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("examples-build")
    build([EXAMPLES], out, jobs=1)
    return out


def run(*args: str):
    result = CliRunner().invoke(app, ["suggest", *args])
    assert result.exit_code == 0, result.output
    return result.output


# Kenya's form (youth_employment_learning_plan.md, 2024) names KaziLink Africa Ltd, Kenyatta University, Strathmore
# University and the State Department for Youth Affairs (scoped to Kenya). The candidates are the other forms'
# organisations not scoped to a country: Bolivia's (2022) Asociación de Recicladoras Manos Verdes (line 90),
# EcoPlast Andina and Recicla & Crea S.R.L. (line 98); Türkiye's (2023) Selçuk University Faculty of Agriculture
# (line 76) and Güneşli Tarım Teknolojileri A.Ş. (77); Viet Nam's (2024) Mekong Mangrove Women's Cooperative (95)
# and SongXanh Data JSC (101). Each has one lab, so popularity ties (0) and the signals' mix orders them:
#   Kenya shares Solutions Mapping with Bolivia's form (degree 12: 2 countries, 4 + 6 partners) and Prototyping
#   with Türkiye's and Viet Nam's (degree 15: 3 countries, 4 + 3 + 5 partners), so Bolivia's organisations lead on
#   Adamic-Adar and resource allocation (normalised 4/6 among 7, the others 0), and on peers (Kenya's 10 SDGs,
#   methods and themes against Bolivia's 3: 1/12; against Türkiye's and Viet Nam's 11: 1/20 each);
#   recency: Bolivia 2022 (0), Türkiye 2023 (3/6), Viet Nam 2024 (5/6).
#   Mix (1, 1, peers 2, recency 2; total 6): Bolivia (4/6 + 4/6 + 2 * 4/6) / 6 = 0.4444; Viet Nam 2 * 5/6 / 6 =
#   0.2778; Türkiye 2 * 3/6 / 6 = 0.1667.
KENYA = {
    "Asociación de Recicladoras Manos Verdes": ("BOL", 90),
    "EcoPlast Andina": ("BOL", 98),
    "Recicla & Crea S.R.L.": ("BOL", 98),
    "Mekong Mangrove Women's Cooperative": ("VNM", 95),
    "SongXanh Data JSC": ("VNM", 101),
    "Selçuk University Faculty of Agriculture": ("TUR", 76),
    "Güneşli Tarım Teknolojileri A.Ş.": ("TUR", 77),
}
LABS = {  # country -> its form, year, label, the method it shares with Kenya's form and the signals' mix
    "BOL": ("informal_waste_pickers___closing_form.md", 2022, "Bolivia", "Solutions Mapping", "0.4444"),
    "VNM": ("coastal_resilience_portfolio___closing_form.md", 2024, "Vietnam", "Prototyping", "0.2778"),
    "TUR": ("solar_irrigation_experiment.md", 2023, "Türkiye", "Prototyping", "0.1667"),
}


@pytest.mark.slow
def test_the_command_gives_ranked_rows_with_score_and_evidence_as_csv(built):
    rows = list(csv.DictReader(io.StringIO(run("--country", "KEN", "--graph", str(built), "--format", "csv"))))
    assert [row["rank"] for row in rows] == [str(n) for n in range(1, 8)]
    assert {row["organisation"] for row in rows} == set(KENYA)
    assert [row["signal_score"] for row in rows] == ["0.4444"] * 3 + ["0.2778"] * 2 + ["0.1667"] * 2
    for row in rows:
        iso3, line = KENYA[row["organisation"]]
        form, year, label, method, mix = LABS[iso3]
        assert (row["kind"], row["score"], row["signal_score"]) == ("organisation", "0.0000", mix)
        assert (row["labs"], row["sdgs"], row["methods"], row["partners"]) == (f"{iso3} {year}", "", method, "")
        assert row["forms"] == f"{form}:{line}"
        assert row["organisation_iri"].startswith("https://w3id.org/portfolio-kg/id/org/")
        assert row["explanation"] == (
            f"works with 1 lab ({label} {year}) on forms that share {method} with yours; last active {year}"
        )


@pytest.mark.slow
def test_the_command_as_json_and_as_a_table(built):
    answer = json.loads(run("--country", "KEN", "--graph", str(built), "--format", "json", "--top", "2"))
    assert answer["head"]["vars"][:6] == ["rank", "kind", "organisation", "organisation_iri", "sector", "score"]
    bindings = answer["results"]["bindings"]
    assert [b["rank"]["value"] for b in bindings] == ["1", "2"]
    assert {b["organisation"]["value"] for b in bindings} <= set(KENYA)
    assert all(b["organisation_iri"]["type"] == "uri" for b in bindings)
    again = json.loads(run("--country", "KEN", "--graph", str(built), "--format", "json", "--top", "2"))
    assert again == answer  # the same build gives the same suggestions
    table = run("--country", "Kenya", "--graph", str(built), "--top", "3", "--ranking", "signals").splitlines()
    assert table[0].split() == ["rank", "kind", "organisation", "sector", "score", "explanation"]
    assert len(table) == 2 + 3


@pytest.mark.slow
def test_the_command_refuses_an_unknown_country(built):
    result = CliRunner().invoke(app, ["suggest", "--country", "ECU", "--graph", str(built)])
    assert isinstance(result.exception, InputError) and "no country 'ECU'" in str(result.exception)
