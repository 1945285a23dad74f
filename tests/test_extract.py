"""Tests of :mod:`kg.extract` and :mod:`kg.partners`.

Expected values were written by hand: from the founding form read line by
line, from ``tests/data/examples_expected.md`` (hand-written by a colleague
from the bundled examples), and from the hand-made inputs below. None was
copied from the code's output.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from kg.extract import Extraction, extract
from kg.forms import AnswerLine, parse_form, read_form
from kg.names import looks_like_name
from kg.partners import parse_action_header, parse_partner_lines, strip_quotes


def lines(*texts: str, kind: str = "text", first: int = 1) -> list[AnswerLine]:
    """Hand-made answer lines, numbered from ``first``."""
    return [AnswerLine(kind, text, first + i) for i, text in enumerate(texts)]


def names(parsed) -> list[str]:
    return [p.name for p in parsed]


def codes(doc: Extraction) -> list[str]:
    return [m.code for m in doc.messages]


def partner(doc: Extraction, name: str):
    found = [p for p in doc.partnerships if p.name == name]
    assert len(found) == 1, f"partner {name!r}: found {len(found)} in {[p.name for p in doc.partnerships]}"
    return found[0]


# ---------------------------------------------------------------------------
# The founding form: strong_institutions_portfolio___closing_form.md (Ecuador)
# ---------------------------------------------------------------------------

FOUNDING = "strong_institutions_portfolio___closing_form.md"


@pytest.fixture(scope="module")
def founding(corpus_form) -> Extraction:
    return extract(corpus_form(FOUNDING))


def test_founding_form_type_year_country(founding):
    assert founding.family == "closing_form_2023"
    assert founding.doc_type == "ClosingForm"
    assert founding.title == "Strong institutions portfolio - closing form"
    assert founding.year == 2023
    assert founding.country == "ECU"
    assert [(c.name, c.iso3, c.line) for c in founding.countries] == [("Ecuador", "ECU", 17)]
    assert [(loc.lat, loc.lng, loc.country_iso3, loc.line) for loc in founding.locations] == [
        (Decimal("-1.4262414736102795"), Decimal("-78.77228231120488"), "ECU", 18)
    ]
    assert founding.focal_point == "ana.grijalva@undp.org"


def test_founding_form_methods_and_datasources(founding):
    assert founding.methods == [
        ("Human Centered Design", 14),
        ("Collective Intelligence", 15),
        ("Co-creation", 16),
    ]
    assert [v for v, _ in founding.datasources] == [
        "collective intelligence",
        "consultative workshop",
        "quantitative and qualitative data",
        "participatory and collective approach",
        "collective imagination",
    ]
    assert founding.sdgs == []
    assert founding.themes == []


def test_founding_form_key_insights(founding):
    assert [(i.rank, i.line) for i in founding.insights] == [(1, 23), (2, 25), (3, 29)]
    first, second, third = (i.text for i in founding.insights)
    assert first.startswith("CULTIVATE A CULTURE OF COLLABORATION")
    assert second.startswith("LACK OF ADAPTIVE GOVERNANCE STRUCTURE.")
    # the paragraph after the blank line (line 27) still belongs to insight 2
    assert "government counterparts to adopt, implement, and scale" in second
    assert third.startswith("LACK OF RESOURCES.")
    assert third.endswith("Thinkia – citizen lab & My Future is Today.")  # &amp; decoded


def test_founding_form_handover(founding):
    assert founding.handover == [
        ("Our work has led to a significant change in public policy at a national or local level", 33)
    ]


def test_founding_form_actions(founding):
    assert [(a.number, a.name, a.line) for a in founding.actions] == [
        (1, "THINKIA - CITIZEN LAB", 37),
        (2, "MY FUTURE IS TODAY", 41),
        (3, "Digital Readiness Assessment", 45),
    ]
    assert "DRA" in founding.actions[2].aliases


def test_founding_form_partners(founding):
    got = [(p.name, p.role, p.action, p.line) for p in founding.partnerships]
    assert got == [
        ("Secreatariat of Higher Education", "lead", 1, 102),
        ("Ombudsman's Office", "consortium of actors", 1, 104),
        ("Association of Ecuadorian Municipalities", "counterpart", 1, 106),
        ("San José Municipal Patronage Unit", "counterpart", 1, 108),
        ("Ministry of Labor", "", 2, 112),
        ("Ministry of Telecommunications", "", 3, 116),
        ("CITEC", "", 3, 118),
        ("Cluster Financiero", "", 3, 120),
    ]
    assert all(p.question == "Please state the name of the partner:" for p in founding.partnerships)
    assert all(p.repeat == 0 for p in founding.partnerships)
    assert all(p.unusual is None for p in founding.partnerships)  # the "new and unusual" group is empty
    assert "unknown-action" not in codes(founding)


def test_founding_form_ministries_are_government(founding):
    for name in ("Ministry of Labor", "Ministry of Telecommunications"):
        assert partner(founding, name).sector == "government"


# ---------------------------------------------------------------------------
# The bundled examples (expectations: tests/data/examples_expected.md)
# ---------------------------------------------------------------------------

EXAMPLES = {
    "coastal_resilience_portfolio___closing_form.md": {
        "title": "Coastal resilience portfolio - closing form",
        "family": "closing_form_2023",
        "doc_type": "ClosingForm",
        "year": 2024,
        "iso3": "VNM",
        "focal_point": "thuha.le@example.org",
        "latlng": ("16.64218260604241", "106.30093523600311"),
        "methods": ["Collective Intelligence", "Participatory Design", "Prototyping", "System Thinking"],
        "datasources": ["Geospatial data", "citizen-generated data", "household survey", "participatory mapping"],
        "themes": ["coastal protection", "climate adaptation", "mangroves", "early warning"],
        "sdgs": [11, 13, 14],
        "insights": 4,
        "handover": [
            "Our work has led to significant changes in our UNDP Country Office programming",
            "Our work has been picked up by UNDP or the government and has now expanded geographically in our country",
        ],
        "actions": [(1, "MANGROVE CO-MANAGEMENT", "MANGROVES"), (2, "COMMUNITY FLOOD SIGNALS", "CFS")],
    },
    "informal_waste_pickers___closing_form.md": {
        "title": "Informal waste pickers - closing form",
        "family": "closing_form_2021",
        "doc_type": "ClosingForm",
        "year": 2022,
        "iso3": "BOL",
        "focal_point": "mariela.choque@example.org",
        "latlng": ("-16.7068768105592", "-64.68475372880839"),
        "methods": ["Solutions Mapping", "Ethnography", "Co-creation"],
        "datasources": ["surveys", "participatory observation", "in-depth interviews", "Geospatial data", "user journeys"],
        "themes": [],
        "sdgs": [],
        "insights": 3,
        "handover": [],
        "actions": [],
    },
    "youth_employment_learning_plan.md": {
        "title": "Green and digital jobs for young people in secondary towns",
        "family": "learning_plan",
        "doc_type": "LearningPlan",
        "year": 2024,
        "iso3": "KEN",
        "focal_point": "wanjiru.kamau@example.org",
        "latlng": ("0.5507660771276834", "37.82243990624841"),
        "methods": ["Solutions Mapping", "Behavioral Insights", "Prototyping"],
        "datasources": ["surveys", "focus group", "Open data", "job platform data"],
        "themes": ["youth", "employment", "digital skills", "green jobs"],
        "sdgs": [4, 8, 10],
        "insights": 0,
        "handover": [],
        "actions": [],
    },
    "solar_irrigation_experiment.md": {
        "title": "Solar-powered drip irrigation for smallholder farmers in the Konya plain",
        "family": "experiment",
        "doc_type": "Experiment",
        "year": 2023,
        "iso3": "TUR",
        "focal_point": "elif.demirtas@example.org",
        "latlng": ("39.06108059786125", "35.167239386750786"),
        "methods": ["Prototyping", "Pilots", "Human Centered Design"],
        "datasources": ["sensor data", "surveys", "observation"],
        "themes": ["agriculture", "irrigation", "solar energy", "water scarcity"],
        "sdgs": [2, 6, 7, 13],
        "insights": 0,
        "handover": [],
        "actions": [],
    },
    "community_water_filter_solution.md": {
        "title": "Clay and sand water filter made by a community potters' group",
        "family": "solution",
        "doc_type": "Solution",
        "year": 2022,
        "iso3": "MWI",
        "focal_point": "grace.phiri@example.org",
        "latlng": ("-13.21722586468616", "34.28990780344176"),
        "methods": [],
        "datasources": [],
        "themes": ["water purification", "clean water", "low-cost technology"],
        "sdgs": [3, 6],
        "insights": 0,
        "handover": [],
        "actions": [],
    },
    "recycled_plastic_bricks_innovation.md": {
        "title": "Des briques en plastique recyclé pour construire des salles de classe",
        "family": "innovation",
        "doc_type": "Solution",
        "year": 2025,
        "iso3": "CIV",
        "focal_point": "koffi.yao@example.org",
        "latlng": ("7.627966516559824", "-5.569000185937268"),
        "methods": [],
        "datasources": [],
        "themes": ["recycling", "plastic waste", "construction materials", "education"],
        "sdgs": [4, 11, 12],
        "insights": 0,
        "handover": [],
        "actions": [],
    },
}


@pytest.fixture(scope="module")
def examples(examples_dir) -> dict[str, Extraction]:
    return {name: extract(read_form(examples_dir / name, display_path=name)) for name in EXAMPLES}


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_example_document_facts(examples, name):
    want = EXAMPLES[name]
    doc = examples[name]
    assert doc.path == name
    assert doc.title == want["title"]
    assert doc.family == want["family"]
    assert doc.doc_type == want["doc_type"]
    assert doc.year == want["year"]
    assert doc.focal_point == want["focal_point"]
    assert [c.iso3 for c in doc.countries] == [want["iso3"]]  # exactly one country, tags repeated or not
    assert doc.country == want["iso3"]
    lat, lng = want["latlng"]
    assert [(loc.lat, loc.lng, loc.country_iso3) for loc in doc.locations] == [
        (Decimal(lat), Decimal(lng), want["iso3"])
    ]
    assert [v for v, _ in doc.methods] == want["methods"]
    assert [v for v, _ in doc.datasources] == want["datasources"]
    assert [v for v, _ in doc.themes] == want["themes"]
    assert [n for n, _ in doc.sdgs] == want["sdgs"]
    assert len(doc.insights) == want["insights"]
    assert [i.rank for i in doc.insights] == list(range(1, want["insights"] + 1))
    assert [v for v, _ in doc.handover] == want["handover"]
    assert [a.number for a in doc.actions] == [n for n, _, _ in want["actions"]]
    for action, (number, action_name, alias) in zip(doc.actions, want["actions"]):
        assert (action.number, action.name) == (number, action_name)
        assert alias in action.aliases
    assert not [m for m in doc.messages if m.code in ("bad-year", "bad-sdg", "bad-latlng", "unknown-country")]


def test_example_country_names_resolve_from_un_short_names(examples):
    got = {name: [(c.name, c.iso3) for c in doc.countries] for name, doc in examples.items()}
    assert got == {
        "coastal_resilience_portfolio___closing_form.md": [("Viet Nam", "VNM")],
        "informal_waste_pickers___closing_form.md": [("Bolivia (Plurinational State of)", "BOL")],
        "youth_employment_learning_plan.md": [("Kenya", "KEN")],
        "solar_irrigation_experiment.md": [("Türkiye", "TUR")],
        "community_water_filter_solution.md": [("Malawi", "MWI")],
        "recycled_plastic_bricks_innovation.md": [("Côte d'Ivoire", "CIV")],
    }


def test_example_experiment_metafields(examples):
    doc = examples["solar_irrigation_experiment.md"]
    meta: dict[str, list[str]] = {}
    for key, value, _ in doc.metafields:
        meta.setdefault(key, []).append(value)
    assert meta == {
        "assignment_type": ["non-random assignment"],
        "control_group": ["Yes, a different group entirely"],
        "experiment_status": ["Completed"],
        "experiment_type": ["Quasi Experimental (Analytical, observations, etc)"],
        "partnering_sector": ["Academia", "Private Sector", "Public Sector"],
        "quality_check": [
            "The hypothesis is clearly stated",
            "This activity is relevant to a CPD outcome",
            "This activity offers a high potential for scaling",
        ],
        "sample_size": ["10-49"],
        "scaling": ["led to partnerships"],
        "total_cost": ["Between 10,000- and 20,000 USD"],
    }


def test_example_solution_metafields(examples):
    water = {k: v for k, v, _ in examples["community_water_filter_solution.md"].metafields}
    assert water["consent"] == "https://example.org/solutions/clay-water-filter"
    bricks = {k: v for k, v, _ in examples["recycled_plastic_bricks_innovation.md"].metafields}
    assert bricks["gender"] == "female"


# Partners of the examples whose partners are written as names -------------

# (name, role, acronym, action) from examples_expected.md
EXAMPLE_PARTNERS = {
    "coastal_resilience_portfolio___closing_form.md": [
        ("Ca Mau Provincial Department of Agriculture and Rural Development", "lead", "", 1),
        ("Vietnam National University of Agriculture", "", "VNUA", 1),
        ("Mekong Mangrove Women's Cooperative", "community partner", "", 1),
        ("Viet Nam Disaster and Dyke Management Authority", "counterpart", "", 2),
        ("SongXanh Data JSC", "data partner", "", 2),
    ],
    "youth_employment_learning_plan.md": [
        ("State Department for Youth Affairs", "", "", None),
        ("Strathmore University", "", "", None),
        ("Kenyatta University", "", "", None),
        ("KaziLink Africa Ltd", "", "", None),
    ],
    "solar_irrigation_experiment.md": [
        ("Konya Provincial Directorate of Agriculture and Forestry", "", "", None),
        ("Selçuk University Faculty of Agriculture", "", "", None),
        ("Güneşli Tarım Teknolojileri A.Ş.", "", "", None),
    ],
    "community_water_filter_solution.md": [],
    "recycled_plastic_bricks_innovation.md": [],
}

# sector ids for the expected.md vocabulary (government, private sector, academia, civil society)
EXAMPLE_SECTORS = {
    "coastal_resilience_portfolio___closing_form.md": [
        "government",
        "academia",
        "civil-society",
        "government",
        "private-sector",
    ],
    "youth_employment_learning_plan.md": ["government", "academia", "academia", "private-sector"],
    "solar_irrigation_experiment.md": ["government", "academia", "private-sector"],
}


def _partner_rows(doc: Extraction):
    return [(p.name, p.role, p.acronym, p.action) for p in doc.partnerships]


@pytest.mark.parametrize(
    "name",
    [
        "coastal_resilience_portfolio___closing_form.md",
        "youth_employment_learning_plan.md",
        "community_water_filter_solution.md",
        "recycled_plastic_bricks_innovation.md",
    ],
)
def test_example_partners(examples, name):
    assert _partner_rows(examples[name]) == EXAMPLE_PARTNERS[name]


def test_example_experiment_partners_are_the_bullets_not_the_sector_options(examples):
    doc = examples["solar_irrigation_experiment.md"]
    got = [p.name for p in doc.partnerships]
    assert len(got) == 3
    assert not {"Public Sector", "Academia", "Private Sector"} & set(got)
    assert got[:2] == [
        "Konya Provincial Directorate of Agriculture and Forestry",
        "Selçuk University Faculty of Agriculture",
    ]
    assert got[2].startswith("Güneşli Tarım Teknolojileri A.Ş")


def test_example_experiment_partner_keeps_final_dot_of_company_suffix(examples):
    assert _partner_rows(examples["solar_irrigation_experiment.md"]) == EXAMPLE_PARTNERS["solar_irrigation_experiment.md"]


def test_example_coastal_action_headers_are_never_partners(examples):
    doc = examples["coastal_resilience_portfolio___closing_form.md"]
    for p in doc.partnerships:
        assert parse_action_header(p.surface) is None
        assert not p.name.upper().startswith("ACTION")


def test_example_youth_group_two_is_split_and_ranked(examples):
    doc = examples["youth_employment_learning_plan.md"]
    assert [(p.name, p.repeat) for p in doc.partnerships] == [
        ("State Department for Youth Affairs", 0),
        ("Strathmore University", 1),
        ("Kenyatta University", 1),
        ("KaziLink Africa Ltd", 2),
    ]
    assert all(p.unusual is None for p in doc.partnerships)  # the unusual groups are all empty


def test_example_partner_sectors_obvious_from_the_name(examples):
    """Sectors the name alone gives (Ministry/Department/Authority, University, Cooperative, Ltd)."""
    coastal = examples["coastal_resilience_portfolio___closing_form.md"]
    assert partner(coastal, "Ca Mau Provincial Department of Agriculture and Rural Development").sector == "government"
    assert partner(coastal, "Vietnam National University of Agriculture").sector == "academia"
    assert partner(coastal, "Mekong Mangrove Women's Cooperative").sector == "civil-society"
    assert partner(coastal, "Viet Nam Disaster and Dyke Management Authority").sector == "government"
    youth = examples["youth_employment_learning_plan.md"]
    assert partner(youth, "Strathmore University").sector == "academia"
    assert partner(youth, "Kenyatta University").sector == "academia"
    assert partner(youth, "KaziLink Africa Ltd").sector == "private-sector"
    solar = examples["solar_irrigation_experiment.md"]
    assert partner(solar, "Konya Provincial Directorate of Agriculture and Forestry").sector == "government"
    assert partner(solar, "Selçuk University Faculty of Agriculture").sector == "academia"


@pytest.mark.parametrize("name", sorted(EXAMPLE_SECTORS))
def test_example_partner_sectors_all(examples, name):
    assert [p.sector for p in examples[name].partnerships] == EXAMPLE_SECTORS[name]


# The 2021-23 example names its partners in prose -------------------------

WASTE = "informal_waste_pickers___closing_form.md"

WASTE_PARTNERS = [
    ("Asociación de Recicladoras Manos Verdes", "civil-society"),
    ("Fundación Ciudad Circular", "civil-society"),
    ("Universidad Mayor de San Andrés", "academia"),
    ("Recicla & Crea S.R.L.", "private-sector"),
    ("EcoPlast Andina", "private-sector"),
    ("Gobierno Autónomo Municipal de El Alto", "government"),
    ("Ministerio de Medio Ambiente y Agua", "government"),
]


def test_example_2021_prose_gives_no_sentence_fragment_as_partner(examples):
    doc = examples[WASTE]
    for p in doc.partnerships:
        assert looks_like_name(p.name), p.name
        assert len(p.name.split()) <= 8, p.name
        assert p.name.strip().lower() not in {"n/a", "na", "none"}
    # the UN-internal question is answered "N/A": no partner comes from it
    assert not [p for p in doc.partnerships if "UN internal" in p.question]
    # the person named in the civil-society answer is not a partner
    assert "Rosa Mamani Quispe" not in [p.name for p in doc.partnerships]


def test_example_2021_stray_div_does_not_glue_sentences(examples):
    doc = examples[WASTE]
    private = [i for i in doc.items if i.question.startswith("If applicable, what private sector partners")]
    assert len(private) == 1
    text = private[0].text
    assert "pilot.EcoPlast" not in text
    assert "Recicla & Crea S.R.L., a small plastics recycling company" in text
    assert "<div>" not in text and "<br>" not in text


def test_example_2021_prose_partners(examples_dir):
    doc = extract(read_form(examples_dir / WASTE, display_path=WASTE), decision="rules")
    assert [(p.name, p.sector) for p in doc.partnerships] == WASTE_PARTNERS
    assert partner(doc, "Universidad Mayor de San Andrés").acronym == "UMSA"
    unusual = {p.name for p in doc.partnerships if p.unusual}
    assert unusual == {"Asociación de Recicladoras Manos Verdes", "Recicla & Crea S.R.L."}


def test_example_2021_prose_partners_kept_by_the_learned_decision(examples):
    """The shipped models keep the seven partners of the form's prose answers and no false one, among them
    "EcoPlast Andina", a two-word name without an organisation word that the span model reads as a partner. The
    president named beside her association ("whose president, Rosa Mamani Quispe,") is a person: the rules that
    find people for pseudonymisation veto her, whatever the keep/drop model says."""
    kept = [(p.name, p.sector) for p in examples[WASTE].partnerships]
    assert kept == WASTE_PARTNERS
    assert partner(examples[WASTE], "EcoPlast Andina").span_found


# ---------------------------------------------------------------------------
# kg.partners with hand-made inputs
# ---------------------------------------------------------------------------


def test_numbered_list():
    got = parse_partner_lines(lines("1. Ministry of Health", "2) Kenya Red Cross Society", "(3) University of Nairobi"))
    assert [(p.name, p.line) for p in got] == [
        ("Ministry of Health", 1),
        ("Kenya Red Cross Society", 2),
        ("University of Nairobi", 3),
    ]


def test_numbered_list_on_one_line():
    got = parse_partner_lines(lines("1. Ministry of Health 2. Kenya Red Cross Society 3. University of Nairobi"))
    assert names(got) == ["Ministry of Health", "Kenya Red Cross Society", "University of Nairobi"]


def test_bulleted_list_as_options_and_as_text():
    as_options = parse_partner_lines(lines("Ministry of Health", "Kenya Red Cross Society", kind="option"))
    assert names(as_options) == ["Ministry of Health", "Kenya Red Cross Society"]
    as_text = parse_partner_lines(lines("• Ministry of Health", "* Kenya Red Cross Society", "+ University of Nairobi"))
    assert names(as_text) == ["Ministry of Health", "Kenya Red Cross Society", "University of Nairobi"]


def test_comma_list_of_names():
    got = parse_partner_lines(lines("Universidad del Cauca, Universidad San Buenaventura de Cali, SENA Cauca"))
    assert names(got) == ["Universidad del Cauca", "Universidad San Buenaventura de Cali", "SENA Cauca"]


def test_semicolon_list_of_names():
    got = parse_partner_lines(lines("Ministry of Health; Kenya Red Cross Society; University of Nairobi"))
    assert names(got) == ["Ministry of Health", "Kenya Red Cross Society", "University of Nairobi"]


def test_comma_inside_one_name_is_kept_whole():
    got = parse_partner_lines(lines("Ministry of Youth, Sports, and Community Empowerment"))
    assert names(got) == ["Ministry of Youth, Sports, and Community Empowerment"]


def test_action_headers_assign_actions_and_are_not_partners():
    got = parse_partner_lines(
        lines("ACTION 1: THINKIA - CITIZEN LAB", "Ministry of Labor", "Action 2: DRA", "CITEC", "Cluster Financiero")
    )
    assert [(p.name, p.action, p.line) for p in got] == [
        ("Ministry of Labor", 1, 2),
        ("CITEC", 2, 4),
        ("Cluster Financiero", 2, 5),
    ]


def test_no_action_before_the_first_header():
    got = parse_partner_lines(lines("Ministry of Labor", "ACTION 2: SECOND", "CITEC"))
    assert [(p.name, p.action) for p in got] == [("Ministry of Labor", None), ("CITEC", 2)]


def test_role_in_parentheses():
    (p,) = parse_partner_lines(lines("Secretariat of Higher Education (lead)"))
    assert (p.name, p.role, p.acronym) == ("Secretariat of Higher Education", "lead", "")
    assert p.surface == "Secretariat of Higher Education (lead)"


def test_acronym_in_parentheses():
    (p,) = parse_partner_lines(lines("Universidad Mayor de San Andrés (UMSA)"))
    assert (p.name, p.acronym, p.role) == ("Universidad Mayor de San Andrés", "UMSA", "")


def test_acronym_first_then_name_in_parentheses():
    (p,) = parse_partner_lines(lines("TGSD (Turkish Clothing Industry Association)"))
    assert (p.name, p.acronym) == ("Turkish Clothing Industry Association", "TGSD")


def test_acronym_and_role_together():
    (p,) = parse_partner_lines(lines("Vietnam National University of Agriculture (VNUA) (technical partner)"))
    assert (p.name, p.acronym, p.role) == ("Vietnam National University of Agriculture", "VNUA", "technical partner")


@pytest.mark.parametrize(
    ("text", "name", "description"),
    [
        ("Fundación Ciudad Circular - training on safety equipment", "Fundación Ciudad Circular", "training on safety equipment"),
        ("Kenya Red Cross Society – first responders", "Kenya Red Cross Society", "first responders"),
        ("Kenya Red Cross Society: first responders", "Kenya Red Cross Society", "first responders"),
    ],
)
def test_description_after_dash_or_colon_is_split_off(text, name, description):
    (p,) = parse_partner_lines(lines(text))
    assert (p.name, p.description) == (name, description)


def test_final_period_after_a_plain_name_is_dropped():
    assert names(parse_partner_lines(lines("Ministry of Health."))) == ["Ministry of Health"]


@pytest.mark.parametrize("text", ["Güneşli Tarım Teknolojileri A.Ş.", "Recicla & Crea S.R.L.", "Acme Holdings Inc."])
def test_final_period_of_a_company_suffix_is_kept(text):
    assert names(parse_partner_lines(lines(text))) == [text]


def test_comma_list_with_one_word_middle_item():
    got = names(parse_partner_lines(lines("UN SGP, Goverment, Coopérative Badelli")))
    assert "UN SGP" in got and "Coopérative Badelli" in got
    assert not any("," in n for n in got)


def test_hyphen_inside_a_name_is_not_a_description():
    (p,) = parse_partner_lines(lines("Coca-Cola Beverages Africa"))
    assert (p.name, p.description) == ("Coca-Cola Beverages Africa", "")


ACRONYM_BYPASS = pytest.mark.xfail(
    strict=True,
    reason="bug: an all-caps word that is refused as a name ('NA', 'NONE', 'TBD', 'NGO', 'UNDP') is let "
    "through by the acronym fallback of partners._parse_segment",
)


@pytest.mark.parametrize(
    "text",
    [
        "N/A",
        "n/a",
        "None",
        "none.",
        "Not applicable",
        "Nil",
        "-",
        "Ninguno",
        "NA",
        "NONE",
        "TBD",
    ],
)
def test_no_partner_words_give_no_partner(text):
    assert parse_partner_lines(lines(text)) == []


def test_corpus_na_partner_answer_gives_no_partner(corpus_form):
    doc = extract(corpus_form("urban_waste_behaviours.md"))
    assert doc.partnerships == []


def test_dotted_na_gives_no_partner():
    assert parse_partner_lines(lines("N.A.")) == []


@pytest.mark.parametrize(
    "text",
    [
        "We worked closely with many local youth groups to co-design the pilot and test it.",
        "the project was put on hold for the time being",
    ],
)
def test_sentence_gives_no_partner(text):
    assert parse_partner_lines(lines(text)) == []


@pytest.mark.parametrize(
    "text",
    [
        "Please state the name of the partner:",
        "What sector does your partner belong to?",
        "List the names of partners mentioned above",
        "Partners:",
    ],
)
def test_question_or_instruction_line_gives_no_partner(text):
    assert parse_partner_lines(lines(text)) == []


@pytest.mark.parametrize(
    "text",
    [
        "Public Sector",
        "Private sector",
        "Academia",
        "Civil society",
        "Government",
        "local universities",
        "NGO",
        "NGOs",
        "UNDP",
    ],
)
def test_sector_word_gives_no_partner(text):
    assert parse_partner_lines(lines(text)) == []


def test_repeated_name_is_kept_once():
    got = parse_partner_lines(lines("Ministry of Labor", "ministry of labor", "Ministry of Labor (lead)"))
    assert names(got) == ["Ministry of Labor"]


def test_images_links_and_blanks_are_ignored():
    answer = [
        AnswerLine("image", "Missing alt text", 1, "https://example.org/a.png"),
        AnswerLine("link", "https://example.org", 2, "https://example.org"),
        AnswerLine("blank", "", 3),
        AnswerLine("text", "Ministry of Labor", 4),
    ]
    assert [(p.name, p.line) for p in parse_partner_lines(answer)] == [("Ministry of Labor", 4)]


def test_free_text_mode_drops_long_prose():
    text = (
        "We hired a private company Watergunz to run a communication campaign for us during the whole "
        "period of the contest"
    )
    assert parse_partner_lines(lines(text), free_text=True) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ACTION 2: MY FUTURE IS TODAY", (2, "MY FUTURE IS TODAY")),
        ("ACTION 3: DRA", (3, "DRA")),
        ("Action 1 - MANGROVES", (1, "MANGROVES")),
        ("Acción 2: Laboratorio ciudadano", (2, "Laboratorio ciudadano")),
        (
            "Action 3: Digital Readiness Assessment, was deployed with the Ministry of Telecommunications to provide",
            (3, "Digital Readiness Assessment"),
        ),
        ("Action plan for 2023", None),
        ("Actions taken: many", None),
        ("Ministry of Labor", None),
    ],
)
def test_parse_action_header(text, expected):
    assert parse_action_header(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Ministry of Labor", True),
        ("Universidad del Cauca", True),
        ("iHub Kenya", True),
        ("CITEC", True),
        ("", False),
        ("N/A", False),
        ("Please state the name of the partner:", False),
        ("What sector does your partner belong to?", False),
        ("Public Sector", False),
        ("local universities", False),
        ("we worked with them to design the pilot", False),
        ("The project was put on hold for the time being", False),
        ("Министерство экономики", True),
        ("ЮНИСЕФ", True),
        ("وزارة الصحة", True),
        ("საქართველოს ბანკი", True),
        ("«Fundación Pachamama»", True),
        ('NGO "Eco Life"', True),
        ("министерство экономики", False),
        ("Нет", False),
    ],
)
def test_looks_like_name(text, expected):
    assert looks_like_name(text) is expected


# ---------------------------------------------------------------------------
# Names in any script, and names in quotes
# ---------------------------------------------------------------------------


def test_names_in_scripts_without_capitals_or_in_sentence_case_are_partners():
    got = parse_partner_lines(lines(
        "1. Министерство экономики",
        "2. وزارة الصحة",
        "3. 清华大学",
        "4. მცხეთის მუნიციპალიტეტი",
        "5. มหาวิทยาลัยเชียงใหม่",
        "6. Министерство экономического развития и торговли",
    ))
    assert [(p.name, p.line) for p in got] == [
        ("Министерство экономики", 1),
        ("وزارة الصحة", 2),
        ("清华大学", 3),
        ("მცხეთის მუნიციპალიტეტი", 4),
        ("มหาวิทยาลัยเชียงใหม่", 5),
        ("Министерство экономического развития и торговли", 6),
    ]


def test_numbered_non_latin_names_on_one_line_are_split():
    got = parse_partner_lines(lines("1. Министерство экономики 2. ЮНИСЕФ 3. Ассоциация «Города Украины»"))
    assert names(got) == ["Министерство экономики", "ЮНИСЕФ", "Ассоциация «Города Украины»"]


def test_quotes_around_a_whole_name_are_taken_off():
    got = parse_partner_lines(lines("«Fundación Pachamama», \"Green Hub\", “Centro Ágil”, 'Lab X'", "„Verein Wien“"))
    assert [(p.name, p.surface) for p in got] == [
        ("Fundación Pachamama", "«Fundación Pachamama»"),
        ("Green Hub", '"Green Hub"'),
        ("Centro Ágil", "“Centro Ágil”"),
        ("Lab X", "'Lab X'"),
        ("Verein Wien", "„Verein Wien“"),
    ]


def test_a_kind_of_organisation_around_a_quoted_name_is_not_part_of_it():
    # the gold rules' reading (three rounds of annotators): 'Start-up "Groupe Service Universel"' names
    # Groupe Service Universel; quotes that are part of a name stay ("Faculty of Law 'Justinijan Prvi'")
    got = parse_partner_lines(lines(
        "ТОО «Компания» (lead)",
        'NGO "Eco Life" - environmental education for schools',
        '"Kameda" public fund',
        "Faculty of Law 'Justinijan Prvi'",
        '4- Start-up "Groupe Service Universel";',
        "Centro de Ayuda Mutua “Salud para Todos”",
    ))
    assert [(p.name, p.role, p.description) for p in got] == [
        ("ТОО «Компания»", "lead", ""),
        ("Eco Life", "", "environmental education for schools"),
        ("Kameda", "", "public fund"),
        ("Faculty of Law 'Justinijan Prvi'", "", ""),
        ("Groupe Service Universel", "", "Start-up"),
        ("Centro de Ayuda Mutua “Salud para Todos”", "", ""),
    ]


def test_a_comma_inside_quotes_does_not_split_a_name():
    got = parse_partner_lines(lines('«Министерство образования, науки и молодёжи», NGO "Reduce, Reuse, Recycle"'))
    assert names(got) == ["Министерство образования, науки и молодёжи", "Reduce, Reuse, Recycle"]


def test_a_stray_quote_at_either_end_is_dropped():
    got = parse_partner_lines(lines("(i) Development Communications and Policy Advocacy Hub’", "“Centro de Ayuda"))
    assert names(got) == ["Development Communications and Policy Advocacy Hub", "Centro de Ayuda"]


def test_a_quoted_project_is_not_a_partner():
    assert parse_partner_lines(lines('UNDP Project "Innovation Action for Competitiveness"')) == []


def test_a_name_in_two_scripts_is_one_partner():
    got = parse_partner_lines(lines("UNICEF / ЮНИСЕФ", "Ministry of Economy (Министерство экономики)"))
    assert [(p.name, p.acronym, p.description) for p in got] == [
        ("UNICEF", "ЮНИСЕФ", ""),
        ("Ministry of Economy", "", "Министерство экономики"),
    ]


@pytest.mark.parametrize("text", ["Нет", "нет партнеров", "Немає", "لا يوجد"])
def test_no_partner_in_other_languages(text):
    assert parse_partner_lines(lines(text)) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("“Centro Ágil”", "Centro Ágil"),
        ("«Fundación Pachamama»", "Fundación Pachamama"),
        ("'Lab X'", "Lab X"),
        ("»Name«", "Name"),
        ("ТОО «Компания»", "ТОО «Компания»"),
        ('"Women Peace Bank" Public Foundation', '"Women Peace Bank" Public Foundation'),
        ("Advocacy Hub’", "Advocacy Hub"),
        ("Women Farmers'", "Women Farmers'"),
        ("Centro de Ayuda Mutua “", "Centro de Ayuda Mutua"),
    ],
)
def test_strip_quotes(text, expected):
    assert strip_quotes(text) == expected


QUOTED_FORM = """# Quoted and non-Latin partners
[[type:learningplan]]
[[year:2023]]
[[country:Kazakhstan]]
## Partners

> Please indicate what partners you have actually worked with for this learning challenge.

<div class="group">

> Please state the name of the partner:

ТОО «Зелёный город»

</div>

<div class="group">

> Please state the name of the partner:

Sanad team for development

فريق سند التنموي

</div>

<div class="group">

> Please state the name of the partner:

“Centro Ágil”

</div>

## Closing

> If applicable, what civil society organisations did you actually work with and what did you do with them?

We worked with NGO “Eco Life” on waste sorting, and with a foundation called 'Green Steppe' on the survey.
"""


def test_quoted_and_non_latin_partners_in_groups_and_prose():
    """The candidates the form proposes (whoever decides later): quoted names in groups and in prose."""
    doc = extract(parse_form(QUOTED_FORM, "quoted.md"), ner=False, decision="none")
    assert [(p.name, p.line, p.description) for p in doc.partnerships] == [
        ("ТОО «Зелёный город»", 13, ""),
        # one partner named on two lines in two scripts: a list item is kept even in lower case ("team for
        # development"), and the Arabic line is its other spelling
        ("Sanad team for development", 21, "فريق سند التنموي"),
        ("Centro Ágil", 31, ""),
        ("Eco Life", 39, ""),
        ("Green Steppe", 39, ""),
    ]
    assert partner(doc, "Green Steppe").sector == "civil-society"


def test_a_group_name_given_in_two_scripts_on_two_lines_is_one_partner():
    text = QUOTED_FORM.replace("Sanad team for development", "Sanad Development Team")
    doc = extract(parse_form(text, "quoted.md"), ner=False, decision="none")
    sanad = partner(doc, "Sanad Development Team")
    assert (sanad.line, sanad.description) == (21, "فريق سند التنموي")
    assert len(doc.partnerships) == 5


# ---------------------------------------------------------------------------
# Tag facts: SDGs, year, latlng, country
# ---------------------------------------------------------------------------


def doc_of(*tag_lines: str, kind: str = "solution") -> Extraction:
    """Extract a one-heading form whose tags start on line 3 (line 2 is the type tag)."""
    body = "\n".join(tag_lines)
    return extract(parse_form(f"# T\n[[type:{kind}]]\n{body}\n"))


@pytest.mark.parametrize(
    ("value", "number"),
    [
        ("4. Quality education", 4),
        ("17. Partnerships for the goals", 17),
        ("SDG 13", 13),
        ("Goal 6: clean water", 6),
        ("  8. Decent work and economic growth", 8),
    ],
)
def test_sdg_number(value, number):
    doc = doc_of(f"[[sdgs:{value}]]")
    assert doc.sdgs == [(number, 3)]
    assert "bad-sdg" not in codes(doc)


@pytest.mark.parametrize("value", ["Quality education", "18. Not a goal", "0. Nothing", "100. Far too many"])
def test_bad_sdg_warns(value):
    doc = doc_of(f"[[sdgs:{value}]]")
    assert doc.sdgs == []
    assert [(m.code, m.line) for m in doc.messages] == [("bad-sdg", 3)]


def test_repeated_sdg_counted_once():
    doc = doc_of("[[sdgs:4. Quality education]]", "[[sdgs:SDG 4]]", "[[sdgs:5. Gender equality]]")
    assert doc.sdgs == [(4, 3), (5, 5)]


@pytest.mark.parametrize("value", ["twenty twenty", "2023-2024", "23", "1850", "2023/24"])
def test_bad_year_warns(value):
    doc = doc_of(f"[[year:{value}]]")
    assert doc.year is None
    assert [(m.code, m.line) for m in doc.messages] == [("bad-year", 3)]


def test_first_good_year_wins():
    doc = doc_of("[[year:2021]]", "[[year:2022]]")
    assert doc.year == 2021


@pytest.mark.parametrize("value", ["abc", "1.5", "1,2,3", "north,east", "95,10", "10,-181"])
def test_bad_latlng_warns(value):
    doc = doc_of("[[country:Peru]]", f"[[latlng:{value}]]")
    assert doc.locations == []
    assert [(m.code, m.line) for m in doc.messages] == [("bad-latlng", 4)]


def test_zero_zero_latlng_warns():
    doc = doc_of("[[country:Peru]]", "[[latlng:0,0]]")
    assert doc.locations == []
    assert [(m.code, m.line) for m in doc.messages] == [("null-latlng", 4)]


@pytest.mark.parametrize("value", ["NaN,NaN", "nan,10", "10,sNaN"])
def test_nan_latlng_warns_not_raises(value):
    doc = doc_of("[[country:Peru]]", f"[[latlng:{value}]]")
    assert doc.locations == []
    assert [(m.code, m.line) for m in doc.messages] == [("bad-latlng", 4)]


def test_good_latlng_follows_its_country():
    doc = doc_of("[[country:Peru]]", "[[latlng:-9.19,-75.01]]", "[[country:Chile]]", "[[latlng:-33.4,-70.6]]")
    assert [(loc.lat, loc.lng, loc.country_iso3, loc.line) for loc in doc.locations] == [
        (Decimal("-9.19"), Decimal("-75.01"), "PER", 4),
        (Decimal("-33.4"), Decimal("-70.6"), "CHL", 6),
    ]
    assert doc.messages == []


def test_unknown_country_warns_and_keeps_the_name():
    doc = doc_of("[[country:Atlantis]]")
    assert [(c.name, c.iso3, c.line) for c in doc.countries] == [("Atlantis", "", 3)]
    assert doc.countries[0].iso3 == ""
    assert doc.country == ""
    assert [(m.code, m.line) for m in doc.messages] == [("unknown-country", 3)]


def test_same_country_under_two_names_is_one_country():
    doc = doc_of("[[country:Viet Nam]]", "[[country:Vietnam]]")
    assert [c.iso3 for c in doc.countries] == ["VNM"]


# ---------------------------------------------------------------------------
# Family, type and the fixture closing form
# ---------------------------------------------------------------------------


def test_missing_and_unknown_type_tags():
    assert codes(extract(parse_form("# T\n[[year:2020]]\n"))) == ["no-type"]
    doc = extract(parse_form("# T\n[[type:blogpost]]\n"))
    assert (doc.family, doc.doc_type) == ("unknown", "Document")
    assert [(m.code, m.line) for m in doc.messages] == [("unknown-type", 2)]


def test_title_falls_back_to_file_name():
    doc = extract(parse_form("[[type:solution]]\n", "some/dir/clay_water_filter.md"))
    assert doc.title == "clay water filter"


def test_fixture_closing_form(fixture_forms_dir):
    doc = extract(read_form(fixture_forms_dir / "mini_closing_2023.md", display_path="mini_closing_2023.md"))
    assert (doc.family, doc.doc_type, doc.year, doc.country) == ("closing_form_2023", "ClosingForm", 2024, "PER")
    assert [(i.rank, i.text, i.line) for i in doc.insights] == [
        (1, "FIRST INSIGHT. Farmers trust neighbours.", 18),
        (2, "SECOND INSIGHT. Data travels by word of mouth.", 20),
    ]
    assert doc.handover == [("Other", 24)]
    assert [(p.name, p.role, p.acronym, p.repeat, p.line) for p in doc.partnerships][:2] == [
        ("Ministerio de Agricultura", "lead", "", 0, 36),
        ("Universidad Nacional Agraria La Molina", "", "UNALM", 1, 58),
    ]
    third = doc.partnerships[2]
    assert (third.repeat, third.line) == (2, 80)
    assert third.name.startswith("Café Andino & Co")
    assert len(doc.partnerships) == 3
    assert doc.actions == []


# ---------------------------------------------------------------------------
# Real forms beyond the founding one
# ---------------------------------------------------------------------------


def test_corpus_learning_plan_partners(corpus_form):
    """textile_waste.md: three "Parter" groups; the first is written 'TGSD (Turkish Clothing Industry Association)'."""
    doc = extract(corpus_form("textile_waste.md"))
    assert (doc.family, doc.doc_type, doc.year, doc.country) == ("learning_plan", "LearningPlan", 2022, "TUR")
    tgsd = doc.partnerships[0]
    assert (tgsd.name, tgsd.acronym, tgsd.line, tgsd.repeat) == ("Turkish Clothing Industry Association", "TGSD", 91, 0)
    assert [(p.line, p.repeat) for p in doc.partnerships[-1:]] == [(181, 2)]
    assert doc.partnerships[-1].name == "Yariyo"


def test_corpus_experiment_comma_list_is_split(corpus_form):
    doc = extract(corpus_form("hydroponic_agriculture_technology_experimentation.md"))
    got = [p.name for p in doc.partnerships]
    assert "UN SGP" in got
    assert "Coopérative Badelli" in got
    assert not any("," in n for n in got)


BULLETED_2021 = """\
[[type:learningplan]]

[[country:Ecuador]]
## Partners

> If applicable, what civil society organisations did you actually work with and what did you do with them?

-Casa Luz Verde (Women's shelter- they knew the families; joined the walks, gave local support in hard cases)

-Red Andina de Jóvenes- Youth network revived by this work

> If applicable, what private sector partners did you actually work with and what did you do with them?

Defensoría (the first stop was their office and staff walked with us.

If applicable, which UN internal partners did you actually work with and what did you do with them?

UNFPA- now using the contents in training for journalists.
"""


def test_free_text_bullets_with_long_bracketed_remarks_give_the_name():
    doc = extract(parse_form(BULLETED_2021, "bulleted.md"))
    got = [(p.name, p.line) for p in doc.partnerships]
    assert got[:2] == [("Casa Luz Verde", 8), ("Red Andina de Jóvenes", 10)]


def test_an_unclosed_bracket_ends_the_name():
    doc = extract(parse_form(BULLETED_2021, "bulleted.md"))
    assert ("Defensoría", 14) in [(p.name, p.line) for p in doc.partnerships]
    assert not any("(" in p.name for p in doc.partnerships)


def test_a_question_pasted_without_its_marker_names_no_partner():
    doc = extract(parse_form(BULLETED_2021, "bulleted.md"))
    assert "UN" not in [p.name for p in doc.partnerships]
    unfpa = partner(doc, "UNFPA")
    assert (unfpa.line, unfpa.description) == (18, "now using the contents in training for journalists")


def test_corpus_2021_civil_society_bullets(corpus_form):
    """Read by hand: six bullets under the civil-society question (lines 98-108), one private partner (line 112).

    The sixth bullet, "Spotlight initiative (UN agencies and ...)", is the UN-EU initiative, which acts through its
    own programme office: a partner under tests/gold/README.md, as round 5's annotator of this form decided.
    """
    doc = extract(corpus_form("1__creating_conditions_to_produce_positive_effects_in_communities_and_diffe_.md"))
    got = [(p.name, p.line) for p in doc.partnerships]
    assert got == [
        ("Fundación Aldea", 98),
        ("Casa María Amor", 100),
        ("Nuevos Horizontes", 102),
        ("Red FAVIVE", 104),
        ("Federación de Mujeres Sucumbíos", 106),
        ("Spotlight initiative", 108),
        ("Fiscalía", 112),
        ("UNFPA", 120),
    ]


@pytest.mark.parametrize(
    "text",
    ["Technical collaboration", "The Ministry of", "On several of the Dream Labs", "Regarding the #Heat initiative",
     "Chief HEAT officer of Athens", "University Professors", "Furthermore", "Municipality", "The Ministry"],
)
def test_phrases_cut_names_and_people_are_not_names(text):
    assert parse_partner_lines(lines(text)) == []


@pytest.mark.parametrize("text", ["Universidad Mayor de San Andrés", "Alcaldía Mayor de Bogotá", "Impact Hub"])
def test_names_that_hold_a_person_word_in_another_language_are_kept(text):
    assert names(parse_partner_lines(lines(text))) == [text]


def test_a_name_and_its_acronym_across_a_slash_are_one_partner():
    parsed = parse_partner_lines(lines("FARN / Fundación Ambiente y Recursos Naturales"))
    assert [(p.name, p.acronym) for p in parsed] == [("Fundación Ambiente y Recursos Naturales", "FARN")]


def test_comma_name_before_a_description_with_commas_is_one_name():
    text = "National Ministry of Science, Technology, and Innovation - Cities of Quilmes, Balcarce and Mercedes"
    parsed = parse_partner_lines(lines(text))
    assert [(p.name, p.description) for p in parsed] == [
        ("National Ministry of Science, Technology, and Innovation", "Cities of Quilmes, Balcarce and Mercedes")
    ]


def test_a_name_broken_across_lines_is_joined():
    form = parse_form(
        "[[type:learningplan]]\n> Please state the name of the partner:\n\nThe Ministry of\n\n"
        "Environment and Natural Resources\n",
        "broken.md",
    )
    assert [(p.name, p.line) for p in extract(form).partnerships] == [("Ministry of Environment and Natural Resources", 4)]


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Returning Point (https://tackapovratka.rs/en/)", "Returning Point"),
        ("Santo Domingo Este Municipality- https://ayuntamientosde.gob.do/", "Santo Domingo Este Municipality"),
        ("Acme Ltd (www.acme.example)", "Acme Ltd"),
    ],
)
def test_links_are_neither_names_nor_roles(text, name):
    assert [(p.name, p.role) for p in parse_partner_lines(lines(text))] == [(name, "")]


def test_a_sentence_run_on_after_a_name_is_cut_at_its_pronoun():
    doc = extract(parse_form(
        "[[type:learningplan]]\n> If applicable, what government partners (and related institutions) did you "
        "actually work with and what did you do with them?\n\nMinistry of Justice We worked with the ministry on "
        "access to justice for women.\n",
        "runon.md",
    ))
    assert [p.name for p in doc.partnerships] == ["Ministry of Justice"]


def test_corpus_quoted_name_with_its_kind_in_a_group_answer(corpus_form):
    """lnob__accessibility_assessment_for_pwd.md, line 184: the "Parter" group answer is '"Kameda" public fund'."""
    doc = extract(corpus_form("lnob__accessibility_assessment_for_pwd.md"), ner=False)
    kameda = [(p.name, p.line, p.description) for p in doc.partnerships if p.line == 184]
    assert kameda == [("Kameda", 184, "public fund")]  # the kind around a quoted name is not part of it


def test_corpus_arabic_partner_name(corpus_form):
    """mapping_the_entrepreneurial_ecosystem_in_syria.md: the partner group answers "Sanad team for development"
    (line 167) and "فريق سند التنموي" (line 169): one partner in two scripts, the Arabic its other spelling.

    Read as a build reads it (with the span model, whose finding the keep/drop model weighs)."""
    doc = extract(corpus_form("mapping_the_entrepreneurial_ecosystem_in_syria.md"), ner=True)
    assert [(p.name, p.line, p.description) for p in doc.partnerships] == [
        ("Sanad team for development", 167, "فريق سند التنموي")
    ]


@pytest.mark.xfail(strict=True, reason="the shipped keep/drop model drops 'Ecological initiative' (probability 0.17): "
                   "a name made of a generic word and a topic word, quoted in the form")
def test_corpus_quoted_ngos_run_together_on_one_line(corpus_form):
    """systemic_and_complex_mapping_of_the_green_economy_in_belarus.md, line 81: four NGOs named with quotes,
    each followed by " – " and what was done, on one line (the last one's quotes are unbalanced in the form).

    The export wrote the answer's line breaks as a no-break space and a space: the line opens with a header
    "NGO" (as "Private sector", "Ministries" and "Sister agencies" head the later items), then
    "Establishment “Center for Environmental Solutions”" on a line of its own."""
    doc = extract(corpus_form("systemic_and_complex_mapping_of_the_green_economy_in_belarus.md"), ner=False)
    got = [p.name for p in doc.partnerships if p.line == 81]
    assert got[:4] == [
        "Establishment “Center for Environmental Solutions”",
        "Ecological initiative",
        "Society for Innovative Business Support",
        "Foundation Dobra",
    ]


@pytest.mark.slow
def test_whole_corpus_extracts_without_exception(corpus_dir):
    from collections import Counter

    families: Counter[str] = Counter()
    no_country = 0
    problems: list[str] = []
    for path in sorted(corpus_dir.glob("*.md")):
        doc = extract(read_form(path, display_path=path.name), ner=False)  # NER over the corpus: benchmarks/
        families[doc.family] += 1
        no_country += not doc.countries
        if doc.year is None:
            problems.append(f"{path.name}: no year")
        problems.extend(m.format(path.name) for m in doc.messages if m.level == "error")
    # counts from grep over the 6,484 files (the hidden file ".md", a solution, included): 256
    # [[type:experiment]], 957 [[type:learningplan]], 5271 [[type:solution]] of which 1840 have a
    # "> Name of the Innovator" question; every file has a year tag, 7 have no country tag
    assert sum(families.values()) == 6484
    assert families["experiment"] == 256
    assert families["solution"] + families["innovation"] == 5271
    assert families["innovation"] == 1840
    assert families["learning_plan"] + families["closing_form_2021"] + families["closing_form_2023"] == 957
    assert families["unknown"] == 0
    assert no_country == 7
    assert problems == []


# ---------------------------------------------------------------------------
# Names that hold collective words, and names the rules alone refuse
# ---------------------------------------------------------------------------


def test_un_entities_whose_names_hold_a_collective_are_split_and_kept():
    # a learning plan's "name of the partner" answer (train split)
    got = parse_partner_lines(lines("UN Women and UNFPA"), candidates=True)
    assert [(p.name, p.rule_ok) for p in got] == [("UN Women", True), ("UNFPA", True)]


def test_a_name_ending_in_an_event_word_is_a_candidate_for_the_model_only():
    # "Forum" often ends an event's name, so the rules refuse it; the learned decision judges it
    got = parse_partner_lines(lines("Commonwealth Local Government Forum (CLGF)"), candidates=True)
    assert [(p.name, p.acronym, p.rule_ok) for p in got] == [("Commonwealth Local Government Forum", "CLGF", False)]
    assert parse_partner_lines(lines("Commonwealth Local Government Forum (CLGF)")) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # train-split answers: a plural collective or a sector, then the one organisation it means in brackets
        ("Unites Nations agencies (ILO)", ["ILO"]),
        ("GOUVERNEMENT (ministère de l'agriculture)", ["ministère de l'agriculture"]),
        # a singular head is part of the name, a person's role is no label, and brackets without a name give none
        ("GIS specialist (UNDP HQ/BMS/ITM)", []),
        ("NGOs (in youth and entrepreneurship; in environment sector)", []),
        ("Youth (15-24)", []),
        ("Ministry of Health (MoH)", ["Ministry of Health"]),
    ],
)
def test_a_collective_label_with_one_name_in_brackets(text, expected):
    assert names(parse_partner_lines(lines(text), candidates=True)) == expected
