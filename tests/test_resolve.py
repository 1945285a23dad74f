"""Tests of :mod:`kg.resolve` (entity resolution) and of how its merges reach the RDF graph.

Every input is a tiny hand-built :class:`~kg.extract.Extraction`; every
expectation was decided by a person from the rules in the module docstring
(gazetteer, normalised name, acronym, fuzzy, country scoping, manual
decisions) and from ``ontology/organisations.jsonl`` read by eye, never
copied from the code's output. Tests marked ``xfail(strict=True)`` show bugs.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from rdflib import Literal, URIRef

import kg.ner
import kg.resolve
import kg.vocab
from kg.extract import CountryRef, Extraction, Mention, Partnership
from kg.graph import REFERENCE_GRAPH, build_dataset, document_iri
from kg.namespaces import ORG, OWL, PKG, RDF, WD, mint
from kg.privacy import Pseudonymiser
from kg.resolve import (
    FUZZY_THRESHOLD,
    NameMemo,
    Organisation,
    Resolution,
    normalise_name,
    resolution_inputs,
    resolve,
    resolve_inputs,
)

XSD_DECIMAL = URIRef("http://www.w3.org/2001/XMLSchema#decimal")
ONTOLOGY = Path(__file__).resolve().parents[1] / "ontology"
COUNTRY_NAMES = {
    "BOL": "Bolivia",
    "COL": "Colombia",
    "ECU": "Ecuador",
    "KEN": "Kenya",
    "MEX": "Mexico",
    "SEN": "Senegal",
}


# ---------------------------------------------------------------------------
# Hand-built inputs
# ---------------------------------------------------------------------------


def partner(name: str, acronym: str = "", sector: str = "unknown") -> Partnership:
    """A partnership as the extractor would give it (line and question do not matter here)."""
    return Partnership(name=name, line=10, question="Please state the name of the partner", sector=sector,
                       acronym=acronym)


def form(path: str, iso3: str, partners: list[str | Partnership] = (), mentions: list[str] = ()) -> Extraction:
    """A form of country ``iso3`` ('' = no country tag) naming ``partners`` and mentioning ``mentions``."""
    countries = [CountryRef(COUNTRY_NAMES[iso3], iso3, COUNTRY_NAMES[iso3], 1)] if iso3 else []
    return Extraction(
        path=path,
        sha256="0" * 64,
        family="closing_form_2023",
        doc_type="ClosingForm",
        title=f"Form {path}",
        countries=countries,
        partnerships=[p if isinstance(p, Partnership) else partner(p) for p in partners],
        mentions=[Mention(name=m, line=40 + i, question="What did you learn?") for i, m in enumerate(mentions)],
    )


def org_of(resolution: Resolution, path: str, index: int) -> Organisation:
    """The organisation that partnership ``index`` of ``path`` resolved to."""
    return resolution.organisations[resolution.key_of(path, index)]


def merge_of(org: Organisation, surface: str):
    found = [m for m in org.merges if m.surface == surface]
    assert len(found) == 1, f"no single merge record for {surface!r} in {org.merges}"
    return found[0]


def gazetteer_entry(entry_id: str) -> dict:
    """One line of ontology/organisations.jsonl, read directly (not through kg.vocab)."""
    for line in (ONTOLOGY / "organisations.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip() and json.loads(line)["id"] == entry_id:
            return json.loads(line)
    raise AssertionError(f"{entry_id} is not in the gazetteer file")


# ---------------------------------------------------------------------------
# 1. Gazetteer: multilingual aliases of international organisations, global scope
# ---------------------------------------------------------------------------


def test_gazetteer_file_gives_the_ids_asserted_below():
    # Read by eye in ontology/organisations.jsonl; the tests below rely on these.
    assert gazetteer_entry("unicef")["wikidata"] == "Q740308"
    assert gazetteer_entry("un-women")["wikidata"] == "Q641576"
    assert gazetteer_entry("undp")["wikidata"] == "Q161718"
    assert gazetteer_entry("world-bank")["wikidata"] == "Q7164"
    assert gazetteer_entry("aecid")["wikidata"] == ""


@pytest.mark.parametrize(
    ("spanish", "english", "entry_id"),
    [
        ("ONU Mujeres", "UN Women", "un-women"),
        ("PNUD", "UNDP", "undp"),
        ("Banco Mundial", "World Bank", "world-bank"),
        ("ПРООН", "UNDP", "undp"),
        ("ЮНИСЕФ", "UNICEF", "unicef"),
        ("منظمة الصحة العالمية", "WHO", "who"),
        ("Всемирный банк", "World Bank", "world-bank"),
    ],
)
def test_gazetteer_merges_languages_across_countries(spanish, english, entry_id):
    res = resolve([form("mex.md", "MEX", [spanish]), form("ken.md", "KEN", [english])])
    assert res.key_of("mex.md", 0) == res.key_of("ken.md", 0)
    org = org_of(res, "mex.md", 0)
    assert org.scope == ""
    assert org.key.startswith("global/")
    assert org.rule == "gazetteer"
    assert org.wikidata == gazetteer_entry(entry_id)["wikidata"]
    assert org.sector == gazetteer_entry(entry_id)["sector"]
    assert sorted(org.surface_forms) == sorted([spanish, english])
    assert {(m.surface, m.rule, m.score) for m in org.merges} == {(spanish, "gazetteer", 100.0),
                                                                  (english, "gazetteer", 100.0)}


def test_unicef_spellings_are_one_global_node_with_its_wikidata_id():
    res = resolve([
        form("bol.md", "BOL", ["UNICEF"]),
        form("ken.md", "KEN", ["Unicef"]),
        form("sen.md", "SEN", ["United Nations Children's Fund"]),
    ])
    keys = {res.key_of("bol.md", 0), res.key_of("ken.md", 0), res.key_of("sen.md", 0)}
    assert len(keys) == 1
    org = res.organisations[keys.pop()]
    assert org.scope == ""
    assert org.label == "UNICEF"  # the gazetteer's label, not the most frequent surface
    assert org.wikidata == "Q740308"
    assert org.surface_forms == ["UNICEF", "Unicef", "United Nations Children's Fund"]
    assert len(res.organisations) == 1


def test_gazetteer_entry_without_wikidata_gets_no_id():
    res = resolve([form("a.md", "ECU", ["Cooperación Española"]), form("b.md", "COL", ["AECID"])])
    assert res.key_of("a.md", 0) == res.key_of("b.md", 0)
    assert org_of(res, "a.md", 0).wikidata == ""


# ---------------------------------------------------------------------------
# 2. Normalisation
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("The Ministry of Labour", "ministry of labor"),
        ("ministry of labor", "ministry of labor"),
        ("MINISTRY OF LABOUR.", "ministry of labor"),
        ("Fundación  Pachamama", "foundation pachamama"),
        ("La Fundación Pachamama", "foundation pachamama"),
        ("Centre for Research & Innovation", "center for research and innovation"),
        ("Ministère de l'Éducation", "ministry de l education"),
        ("Organisation of the Blind", "organization of blind"),
        ("ТОО «Компания»", "тоо компания"),
        ("Министерство  Экономики.", "министерство экономики"),
        ("Мой дом", "мой дом"),  # Cyrillic й keeps its breve: it is not и
        ("وَزارة الصحة", "وزارة الصحة"),  # Arabic vowel points are optional
        ("नीति आयोग", "नीति आयोग"),  # Devanagari vowel signs are letters' spelling, not punctuation
        ("“Centro Ágil”", "centro agil"),
        ("Сo-creation Lab", "co creation lab"),  # a Cyrillic С typed in a Latin word
    ],
)
def test_normalise_name(name, expected):
    assert normalise_name(name) == expected


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("Мой дом", "Мои дом"),
        ("ไก่", "ไก้"),  # Thai words that differ only in their tone mark
        ("नीति आयोग", "नति आयोग"),
    ],
)
def test_non_latin_names_differing_in_a_mark_have_different_keys(first, second):
    assert normalise_name(first) != normalise_name(second)


def test_two_cyrillic_names_stay_two_organisations():
    res = resolve([
        form("a.md", "", ["Министерство экономики"]),
        form("b.md", "", ["Министерство здравоохранения"]),
    ])
    first, second = org_of(res, "a.md", 0), org_of(res, "b.md", 0)
    assert first.key != second.key
    assert (first.label, second.label) == ("Министерство экономики", "Министерство здравоохранения")
    assert mint("org", first.key) != mint("org", second.key)
    assert len(res.organisations) == 2


def test_names_in_scripts_without_latin_letters_get_distinct_iris():
    res = resolve([form("a.md", "", ["وزارة الصحة", "وزارة التعليم", "საქართველოს ბანკი"])])
    iris = {mint("org", org.key) for org in res.organisations.values()}
    assert len(iris) == 3


def test_non_latin_ministries_are_scoped_by_country():
    res = resolve([
        form("a.md", "KEN", ["Министерство здравоохранения", "وزارة الصحة"]),
        form("b.md", "COL", ["Министерство здравоохранения", "وزارة الصحة"]),
    ])
    assert res.key_of("a.md", 0) == "KEN/министерство здравоохранения"
    assert res.key_of("b.md", 0) == "COL/министерство здравоохранения"
    assert res.key_of("a.md", 1) == "KEN/وزارة الصحة"
    assert res.key_of("b.md", 1) == "COL/وزارة الصحة"


def test_a_bare_cyrillic_acronym_joins_the_name_a_form_defined_it_for():
    res = resolve([
        form("a.md", "", [partner("Казахстанская ассоциация экологов", acronym="КАЭ")]),
        form("b.md", "", ["КАЭ"]),
    ])
    assert res.key_of("a.md", 0) == res.key_of("b.md", 0)
    assert merge_of(org_of(res, "b.md", 0), "КАЭ").rule == "acronym"


def test_the_same_name_with_and_without_quotes_is_one_organisation():
    res = resolve([
        form("a.md", "", ["ТОО «Компания»"]),
        form("b.md", "", ['ТОО "Компания"']),
        form("c.md", "", ["ТОО Компания"]),
    ])
    keys = {res.key_of(path, 0) for path in ("a.md", "b.md", "c.md")}
    assert keys == {"global/тоо компания"}
    assert {m.rule for m in res.organisations["global/тоо компания"].merges} == {"normalised-name"}


def test_article_case_and_spelling_variants_are_one_national_node():
    res = resolve([form("a.md", "KEN", ["The Ministry of Labour"]), form("b.md", "KEN", ["ministry of labor"])])
    assert res.key_of("a.md", 0) == res.key_of("b.md", 0)
    org = org_of(res, "a.md", 0)
    assert org.scope == "KEN"
    assert org.rule == "normalised-name"
    assert org.surface_forms == ["The Ministry of Labour", "ministry of labor"]
    assert len(res.organisations) == 1


def test_accents_and_punctuation_are_one_node():
    res = resolve([
        form("a.md", "BOL", ["Fundación Pachamama"]),
        form("b.md", "BOL", ["FUNDACION PACHAMAMA."]),
        form("c.md", "COL", ["Fundacion Pachamama"]),
    ])
    keys = {res.key_of(p, 0) for p in ("a.md", "b.md", "c.md")}
    assert len(keys) == 1
    org = res.organisations[keys.pop()]
    assert org.scope == ""  # a foundation is not a national body: global, even across countries
    assert {m.rule for m in org.merges} == {"normalised-name"}


# ---------------------------------------------------------------------------
# 3. Typo tolerance
# ---------------------------------------------------------------------------


def test_a_typo_is_merged_by_the_fuzzy_rule():
    # The extractor gives both the sector "government" (infer_sector corrects "Secreatariat").
    res = resolve([
        form("a.md", "KEN", [partner("Secreatariat of Higher Education", sector="government")]),
        form("b.md", "KEN", [partner("Secretariat of Higher Education", sector="government")]),
    ])
    assert res.key_of("a.md", 0) == res.key_of("b.md", 0)
    org = org_of(res, "a.md", 0)
    assert org.scope == "KEN"
    fuzzy = [m for m in org.merges if m.rule == "fuzzy"]
    assert len(fuzzy) == 1
    assert FUZZY_THRESHOLD <= fuzzy[0].score < 100
    assert org.rule == "normalised-name"  # the strongest rule among its merges


def test_a_typo_without_a_sector_is_merged_too():
    # "Secretariat of Higher Educaton": the national word is intact, so both are Kenyan.
    res = resolve([form("a.md", "KEN", ["Secretariat of Higher Educaton"]),
                   form("b.md", "KEN", ["Secretariat of Higher Education"])])
    assert res.key_of("a.md", 0) == res.key_of("b.md", 0)
    assert merge_of(org_of(res, "a.md", 0), "Secretariat of Higher Educaton").rule == "fuzzy"


def test_a_typo_in_a_mention_keeps_the_country_scope():
    res = resolve([
        form("a.md", "KEN", [partner("Secretariat of Higher Education", sector="government")]),
        form("b.md", "KEN", ["Oceanic Global"], mentions=["Secreatariat of Higher Education"]),
    ])
    assert res.mention_key_of("b.md", 0) == res.key_of("a.md", 0)


# ---------------------------------------------------------------------------
# 4. Near names that are different organisations
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("Ministry of Health", "Ministry of Youth"),
        ("District 1 Council", "District 2 Council"),
        ("Ministry of Labour", "Ministry of Labour and Employment"),
    ],
)
def test_near_names_stay_apart(first, second):
    res = resolve([form("a.md", "KEN", [first]), form("b.md", "KEN", [second])])
    assert res.key_of("a.md", 0) != res.key_of("b.md", 0)
    assert len(res.organisations) == 2


# ---------------------------------------------------------------------------
# 5. Country scoping
# ---------------------------------------------------------------------------


def test_national_bodies_are_scoped_by_country():
    res = resolve([form("ken.md", "KEN", ["Ministry of Health"]), form("col.md", "COL", ["Ministry of Health"])])
    kenya, colombia = org_of(res, "ken.md", 0), org_of(res, "col.md", 0)
    assert kenya.key != colombia.key
    assert (kenya.scope, colombia.scope) == ("KEN", "COL")


def test_government_sector_makes_a_name_national():
    # No national keyword in the name, but the form says it is a government partner.
    res = resolve([form("ken.md", "KEN", [partner("Konza Technopolis", sector="government")]),
                   form("col.md", "COL", [partner("Konza Technopolis", sector="government")])])
    assert res.key_of("ken.md", 0) != res.key_of("col.md", 0)


def test_non_national_names_are_global():
    res = resolve([form("ken.md", "KEN", ["Oceanic Global"]), form("col.md", "COL", ["Oceanic Global"])])
    assert res.key_of("ken.md", 0) == res.key_of("col.md", 0)
    assert org_of(res, "ken.md", 0).scope == ""
    assert len(res.organisations) == 1


# ---------------------------------------------------------------------------
# 6. Acronyms
# ---------------------------------------------------------------------------


def test_a_bare_acronym_joins_the_name_a_form_defined_it_for():
    res = resolve([
        form("a.md", "BOL", [partner("Asociación de Recicladoras Manos Verdes", acronym="ARMV")]),
        form("b.md", "BOL", ["ARMV"]),
    ])
    assert res.key_of("a.md", 0) == res.key_of("b.md", 0)
    org = org_of(res, "a.md", 0)
    assert org.label == "Asociación de Recicladoras Manos Verdes"
    assert merge_of(org, "ARMV") == kg.resolve.Merge("ARMV", "acronym", 100.0)
    assert org.acronyms == ["ARMV"]


def test_initials_in_the_same_scope_join_the_long_name():
    # No country tag: both names have the same (global) scope.
    res = resolve([form("a.md", "", ["Chief Digital Office"]), form("b.md", "", ["CDO"])])
    assert res.key_of("a.md", 0) == res.key_of("b.md", 0)
    assert merge_of(org_of(res, "a.md", 0), "CDO").rule == "acronym-initials"


def test_ambiguous_initials_join_nothing():
    # "CDO" could be either office: no merge.
    res = resolve([form("a.md", "", ["Chief Digital Office", "Civil Defence Organisation"]),
                   form("b.md", "", ["CDO"])])
    assert res.key_of("b.md", 0) not in {res.key_of("a.md", 0), res.key_of("a.md", 1)}


def test_umsa_acronym_in_the_same_country():
    res = resolve([
        form("a.md", "BOL", [partner("Universidad Mayor de San Andrés", acronym="UMSA")]),
        form("b.md", "BOL", ["UMSA"]),
    ])
    assert res.key_of("a.md", 0) == res.key_of("b.md", 0)
    assert merge_of(org_of(res, "a.md", 0), "UMSA").rule == "acronym"


def test_cdo_initials_in_the_same_country():
    res = resolve([form("a.md", "BOL", ["Chief Digital Office"]), form("b.md", "BOL", ["CDO"])])
    assert res.key_of("a.md", 0) == res.key_of("b.md", 0)
    org = org_of(res, "a.md", 0)
    assert merge_of(org, "CDO").rule == "acronym-initials"
    assert org.scope == "BOL"


# ---------------------------------------------------------------------------
# 7. Manual decisions (ontology/resolution_decisions.tsv)
# ---------------------------------------------------------------------------


def _clear_caches() -> None:
    for cached in (kg.vocab.gazetteer, kg.vocab._rules, kg.vocab._sector_graph, kg.vocab._label_index,
                   kg.vocab._pref_labels, kg.resolve._gazetteer_index, kg.resolve._gazetteer_case_index,
                   kg.ner._gazetteer_index):
        cached.cache_clear()


@pytest.fixture
def decisions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[list[tuple[str, ...]]], None]]:
    """Point the ontology folder at a copy whose resolution_decisions.tsv the test writes."""
    folder = tmp_path / "ontology"
    folder.mkdir()
    for path in ONTOLOGY.iterdir():
        if path.is_file() and path.name != "resolution_decisions.tsv":
            shutil.copy(path, folder / path.name)
    monkeypatch.setattr(kg.vocab, "ontology_dir", lambda: folder)
    monkeypatch.setattr(kg.resolve, "ontology_dir", lambda: folder)
    _clear_caches()

    def write(rows: list[tuple[str, ...]]) -> None:
        lines = ["# test decisions", "decision\tname_a\tname_b\tscope\tnote"]
        lines += ["\t".join(row) for row in rows]
        (folder / "resolution_decisions.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")

    write([])
    yield write
    monkeypatch.undo()
    _clear_caches()


COCOA = "Asociación de Productores de Cacao del Alto Beni"
COFFEE = "Asociación de Productores de Café del Alto Beni"


def test_without_a_decision_near_names_merge(decisions):
    # The baseline for the not-same test below: the normalised names differ by "cacao"/"cafe" (ratio about 95)
    # and share the blocking token "productores".
    res = resolve([form("a.md", "BOL", [COCOA]), form("b.md", "BOL", [COFFEE])])
    assert res.key_of("a.md", 0) == res.key_of("b.md", 0)
    assert merge_of(org_of(res, "a.md", 0), COFFEE).rule == "fuzzy"


def test_not_same_keeps_fuzzy_similar_names_apart(decisions):
    decisions([("not-same", COCOA, COFFEE, "", "cocoa growers and coffee growers")])
    res = resolve([form("a.md", "BOL", [COCOA]), form("b.md", "BOL", [COFFEE])])
    assert res.key_of("a.md", 0) != res.key_of("b.md", 0)


def test_same_merges_unrelated_names(decisions):
    decisions([("same", "Mesa de Innovación", "Innovation Roundtable", "", "one body, two languages")])
    res = resolve([form("a.md", "BOL", ["Mesa de Innovación"]), form("b.md", "COL", ["Innovation Roundtable"])])
    assert res.key_of("a.md", 0) == res.key_of("b.md", 0)
    org = org_of(res, "a.md", 0)
    assert merge_of(org, "Innovation Roundtable").rule == "manual"
    assert org.rule == "manual"


def test_without_a_decision_unrelated_names_stay_apart(decisions):
    res = resolve([form("a.md", "BOL", ["Mesa de Innovación"]), form("b.md", "COL", ["Innovation Roundtable"])])
    assert res.key_of("a.md", 0) != res.key_of("b.md", 0)


def test_shipped_decision_merges_senescyt_names_in_ecuador():
    # ontology/resolution_decisions.tsv: same, "Secretariat of Higher Education and Innovation" /
    # "Secretariat of Higher Education", ECU.
    res = resolve([form("a.md", "ECU", ["Secretariat of Higher Education and Innovation"]),
                   form("b.md", "ECU", ["Secretariat of Higher Education"]),
                   form("c.md", "KEN", ["Secretariat of Higher Education and Innovation"]),
                   form("d.md", "KEN", ["Secretariat of Higher Education"])])
    assert res.key_of("a.md", 0) == res.key_of("b.md", 0)
    assert res.key_of("c.md", 0) != res.key_of("d.md", 0)  # the decision is limited to Ecuador


def test_scoped_same_decision_applies_to_non_national_names(decisions):
    decisions([("same", "Thinkia", "Laboratorio Ciudadano Thinkia", "ECU", "one lab")])
    res = resolve([form("a.md", "ECU", ["Thinkia"]), form("b.md", "ECU", ["Laboratorio Ciudadano Thinkia"])])
    assert res.key_of("a.md", 0) == res.key_of("b.md", 0)


def test_unscoped_same_decision_does_not_cross_countries(decisions):
    decisions([("same", "Ministry of ICT", "MinTIC", "", "")])
    forms = [form("a.md", "KEN", [partner("Ministry of ICT", sector="government")]),
             form("b.md", "KEN", [partner("MinTIC", sector="government")]),
             form("c.md", "COL", [partner("Ministry of ICT", sector="government")]),
             form("d.md", "COL", [partner("MinTIC", sector="government")])]
    res = resolve(forms)
    assert res.key_of("a.md", 0) == res.key_of("b.md", 0)
    assert res.key_of("c.md", 0) == res.key_of("d.md", 0)
    assert res.key_of("a.md", 0) != res.key_of("c.md", 0)


# ---------------------------------------------------------------------------
# 8. Mentions
# ---------------------------------------------------------------------------


def test_mentions_of_own_partners_are_dropped_others_get_keys():
    res = resolve([
        form("a.md", "BOL", ["Fundación Pachamama", "UNICEF"],
             mentions=["Fundación Pachamama", "Unicef", "World Bank", "Oceanic Global"]),
        form("b.md", "COL", ["Oceanic Global"]),
    ])
    assert res.mention_key_of("a.md", 0) is None  # its own partner
    assert res.mention_key_of("a.md", 1) is None  # its own partner, under another spelling
    world_bank = res.mention_key_of("a.md", 2)
    assert world_bank is not None
    assert res.organisations[world_bank].wikidata == gazetteer_entry("world-bank")["wikidata"]
    assert res.mention_key_of("a.md", 3) == res.key_of("b.md", 0)  # another form's partner


# ---------------------------------------------------------------------------
# 9. Determinism
# ---------------------------------------------------------------------------


def _varied_forms() -> list[Extraction]:
    return [
        form("c.md", "KEN", ["UNICEF", "Ministry of Health", "Secretariat of Higher Educaton"],
             mentions=["World Bank", "ARMV"]),
        form("a.md", "BOL", [partner("Asociación de Recicladoras Manos Verdes", acronym="ARMV"), "Unicef"]),
        form("b.md", "KEN", ["ministry of health", "Secretariat of Higher Education", "Oceanic Global"]),
        form("d.md", "COL", ["Oceanic Global", "Ministry of Health"], mentions=["Banco Mundial"]),
    ]


def _summary(res: Resolution) -> tuple:
    orgs = {k: (o.label, o.scope, o.rule, o.surface_forms, o.merges) for k, o in res.organisations.items()}
    return sorted(res.assignments.items()), sorted(res.mention_assignments.items()), orgs


def test_order_of_extractions_does_not_change_the_result():
    forms = _varied_forms()
    first = _summary(resolve(forms))
    assert _summary(resolve(list(reversed(forms)))) == first
    assert _summary(resolve([forms[2], forms[0], forms[3], forms[1]])) == first
    # and the hand-checked parts of that result:
    res = resolve(forms)
    assert res.key_of("c.md", 1) == res.key_of("b.md", 0) != res.key_of("d.md", 1)
    assert res.key_of("c.md", 2) == res.key_of("b.md", 1)
    assert res.mention_key_of("c.md", 1) == res.key_of("a.md", 0)
    assert res.mention_key_of("c.md", 0) == res.mention_key_of("d.md", 0)


# ---------------------------------------------------------------------------
# 10. The graph: merge records, owl:sameAs, shared organisation IRIs
# ---------------------------------------------------------------------------


def test_graph_writes_merge_records_sameas_and_shared_partner_iris():
    forms = [
        form("ken.md", "KEN", ["UNICEF", "Oceanic Global", "Ministry of Health"]),
        form("col.md", "COL", ["Unicef", "Oceanic Global", "Ministry of Health"]),
    ]
    res = resolve(forms)
    dataset = build_dataset(forms, res, Pseudonymiser())
    reference = dataset.graph(REFERENCE_GRAPH)

    orgs = set(reference.subjects(RDF.type, ORG.Organization))
    assert len(orgs) == 4  # UNICEF, Oceanic Global, Kenya's and Colombia's ministries
    for node in orgs:
        records = list(reference.objects(node, PKG.resolvedFrom))
        assert records, f"{node} has no merge record"
        for record in records:
            assert (record, RDF.type, PKG.MergeRecord) in reference
            assert len(list(reference.objects(record, PKG.rule))) == 1
            assert len(list(reference.objects(record, PKG.score))) == 1

    unicef = mint("org", res.key_of("ken.md", 0))
    assert set(reference.objects(unicef, OWL.sameAs)) == {WD["Q740308"]}
    assert WD["Q740308"] == URIRef("http://www.wikidata.org/entity/Q740308")
    unicef_rules = {str(reference.value(r, PKG.surfaceForm)): str(reference.value(r, PKG.rule))
                    for r in reference.objects(unicef, PKG.resolvedFrom)}
    assert unicef_rules == {"UNICEF": "gazetteer", "Unicef": "gazetteer"}
    assert {reference.value(r, PKG.score) for r in reference.objects(unicef, PKG.resolvedFrom)} == {
        Literal("100.0", datatype=XSD_DECIMAL)}
    oceanic = mint("org", res.key_of("ken.md", 1))
    assert list(reference.objects(oceanic, OWL.sameAs)) == []

    def partner_iri(path: str, index: int) -> URIRef:
        graph = dataset.graph(document_iri(path))
        return graph.value(mint("partnership", path, index), PKG.partner)

    assert partner_iri("ken.md", 0) == partner_iri("col.md", 0) == unicef
    assert partner_iri("ken.md", 1) == partner_iri("col.md", 1) == oceanic
    assert partner_iri("ken.md", 2) != partner_iri("col.md", 2)
    assert {partner_iri("ken.md", 2), partner_iri("col.md", 2)} <= orgs


def test_a_memo_of_the_names_gives_the_same_resolution_and_is_what_a_later_one_reads() -> None:
    docs = [
        form("a.md", "KEN", ["UNICEF Kenya", "Ministry of Health", "Blue Water Trust"]),
        form("b.md", "KEN", ["UNICEF", "Red Hill Cooperative"], mentions=["Blue Water Trust"]),
    ]
    inputs = resolution_inputs(docs)
    memo = NameMemo()
    fresh = resolve_inputs(inputs)
    assert resolve_inputs(inputs, memo) == fresh
    kept = memo.kept()
    assert set(kept.found) == {"UNICEF Kenya", "Ministry of Health", "Blue Water Trust", "UNICEF", "Red Hill Cooperative"}
    assert kept.found["UNICEF Kenya"][3] == "unicef"  # a country office of a known organisation, found once
    assert kept.found["UNICEF"][3] is None  # in the gazetteer as it is: never looked up as a country office
    assert resolve_inputs(inputs, kept) == fresh
    # What the memo holds is taken, not worked out again: a forged normal form joins two organisations.
    forged = NameMemo({**kept.found, "Red Hill Cooperative": ["blue water trust", False, None, None, None, None]})
    assert len(resolve_inputs(inputs, forged).organisations) == len(fresh.organisations) - 1
