"""Tests of ``ontology/organisations.jsonl`` and :func:`kg.vocab.gazetteer`.

The file is read directly for its format; names and acronyms are resolved
through :func:`kg.vocab.gazetteer_entry`, as extraction and resolution do.
Every expected id and Wikidata item below was written by hand from the UN
system chart and the file read by eye, never copied from the code's output.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from pathlib import Path

import pytest

from kg.vocab import gazetteer, gazetteer_case_index, gazetteer_entry, gazetteer_index, normalise_name

ROOT = Path(__file__).resolve().parents[1]
GAZETTEER = ROOT / "ontology" / "organisations.jsonl"
UN_LANGUAGES = ("en", "fr", "es", "ru", "ar", "zh")


def lines() -> list[str]:
    return [line for line in GAZETTEER.read_text(encoding="utf-8").splitlines() if line.strip()]


def entries() -> dict[str, dict]:
    return {data["id"]: data for data in map(json.loads, lines())}


# ---------------------------------------------------------------------------
# The file


def test_the_file_is_one_json_object_a_line_sorted_by_unique_id():
    rows = [json.loads(line) for line in lines()]
    ids = [row["id"] for row in rows]
    assert all(isinstance(row, dict) for row in rows)
    assert len(ids) == len(set(ids))
    assert ids == sorted(ids)
    assert all(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", i) for i in ids)


def test_the_file_is_written_as_utf8_without_escapes():
    text = GAZETTEER.read_text(encoding="utf-8")
    assert "\\u" not in text
    assert "Программа развития ООН" in text and "منظمة الصحة العالمية" in text


def test_every_entry_has_the_fields_the_loader_reads():
    sectors = {"united-nations", "international", "civil-society", "private-sector", "academia", "government"}
    for data in entries().values():
        assert data["label"].strip(), data["id"]
        assert data["sector"] in sectors, data["id"]
        assert re.fullmatch(r"(Q[1-9][0-9]*)?", data["wikidata"]), data["id"]
        assert set(data.get("names", {})) <= set(UN_LANGUAGES) | {"pt"}, data["id"]
        for key in ("aliases", "case_sensitive_aliases"):
            assert all(isinstance(a, str) and a.strip() for a in data.get(key, [])), data["id"]


def test_no_two_entries_share_a_wikidata_item():
    items = [data["wikidata"] for data in entries().values() if data["wikidata"]]
    assert len(items) == len(set(items))


def test_every_united_nations_entry_has_names_in_the_six_un_languages():
    un = [data for data in entries().values() if data["sector"] == "united-nations"]
    assert len(un) >= 100
    for data in un:
        for lang in UN_LANGUAGES:
            found = data.get("names", {}).get(lang, [])
            assert found and all(name.strip() for name in found), (data["id"], lang)


# ---------------------------------------------------------------------------
# Acronyms and names resolve to the right organisation

UN_ACRONYMS = {
    # principal organs
    "UN": "united-nations", "ONU": "united-nations", "ООН": "united-nations", "UNGA": "un-general-assembly",
    "UNSC": "un-security-council", "ECOSOC": "ecosoc", "ICJ": "icj",
    # Secretariat
    "DESA": "un-desa", "UNDESA": "un-desa", "OCHA": "ocha", "DPPA": "dppa", "DPKO": "un-dpo", "OHCHR": "ohchr",
    "ACNUDH": "ohchr", "UNOOSA": "unoosa", "UNODA": "unoda", "UNOCT": "unoct", "PBSO": "un-pbso",
    "PBF": "un-peacebuilding-fund", "OSAA": "osaa", "UN-OHRLLS": "un-ohrlls", "UNDSS": "undss", "UNOG": "unog",
    "UNOV": "unov", "UNON": "unon",
    # coordination
    "UNDCO": "un-dco", "UNCT": "un-country-team", "RCO": "un-rco", "UNSDG": "unsdg", "UNGC": "un-global-compact",
    "UNOSSC": "unossc", "UNMAS": "unmas",
    # funds and programmes
    "UNDP": "undp", "PNUD": "undp", "ПРООН": "undp", "开发署": "undp", "UNICEF": "unicef", "ЮНИСЕФ": "unicef",
    "UNFPA": "unfpa", "FNUAP": "unfpa", "WFP": "wfp", "PAM": "wfp", "UNEP": "unep", "PNUMA": "unep",
    "UN-Habitat": "un-habitat", "UNHCR": "unhcr", "ACNUR": "unhcr", "UNRWA": "unrwa", "UNCDF": "uncdf",
    "FENU": "uncdf", "UNV": "unv", "UNOPS": "unops",
    # specialised agencies
    "FAO": "fao", "ICAO": "icao", "OACI": "icao", "IFAD": "ifad", "FIDA": "ifad", "ILO": "ilo", "OIT": "ilo",
    "IMO": "imo", "OMI": "imo", "ITU": "itu", "UIT": "itu", "UNESCO": "unesco", "ЮНЕСКО": "unesco",
    "UNIDO": "unido", "ONUDI": "unido", "UPU": "upu", "WHO": "who", "OMS": "who", "ВОЗ": "who", "WIPO": "wipo",
    "OMPI": "wipo", "WMO": "wmo", "OMM": "wmo", "UNWTO": "unwto", "OMT": "unwto",
    # related organisations
    "IAEA": "iaea", "OIEA": "iaea", "МАГАТЭ": "iaea", "IOM": "iom", "OIM": "iom", "OPCW": "opcw", "WTO": "wto",
    "CTBTO": "ctbto", "ITLOS": "itlos", "PAHO": "paho", "OPS": "paho",
    # regional commissions
    "UNECA": "uneca", "UNECE": "unece", "ECLAC": "eclac", "CEPAL": "eclac", "ESCAP": "escap", "ESCWA": "escwa",
    # research and training
    "UNITAR": "unitar", "UNOSAT": "unosat", "UNRISD": "unrisd", "UNIDIR": "unidir", "UNICRI": "unicri",
    "UNSSC": "unssc", "UNU": "unu", "UNU-WIDER": "unu-wider", "UNU-MERIT": "unu-merit", "UNU-EHS": "unu-ehs",
    "UNU-IAS": "unu-ias",
    # other entities
    "UNAIDS": "unaids", "ONUSIDA": "unaids", "UNDRR": "undrr", "UNISDR": "undrr", "UNODC": "unodc",
    "UNCTAD": "unctad", "CNUCED": "unctad", "ITC": "itc", "UNFCCC": "unfccc", "UNCCD": "unccd",
    "SCBD": "cbd-secretariat",
}


def test_at_least_sixty_un_acronyms_are_listed():
    assert len(UN_ACRONYMS) >= 60


@pytest.mark.parametrize(("acronym", "entry_id"), sorted(UN_ACRONYMS.items()))
def test_un_acronyms_resolve_to_their_united_nations_entry(acronym, entry_id):
    entry = gazetteer_entry(acronym)
    assert entry is not None, acronym
    assert (entry.id, entry.sector) == (entry_id, "united-nations")


@pytest.mark.parametrize(
    ("name", "entry_id"),
    [
        ("International Maritime Organisation", "imo"),
        ("Organización Mundial de la Salud", "who"),
        ("Programme des Nations Unies pour le développement", "undp"),
        ("Программа развития ООН", "undp"),
        ("منظمة الصحة العالمية", "who"),
        ("Programa das Nações Unidas para o Desenvolvimento", "undp"),
        ("برنامج الأمم المتحدة الإنمائي", "undp"),
        ("联合国儿童基金会", "unicef"),
        ("国际海事组织", "imo"),
        ("Организация Объединенных Наций по вопросам образования, науки и культуры", "unesco"),  # е, not ё
        ("Организация Объединённых Наций по вопросам образования, науки и культуры", "unesco"),
        ("Всемирная продовольственная программа", "wfp"),
        ("Comisión Económica para América Latina y el Caribe", "eclac"),
        ("Office des Nations Unies contre la drogue et le crime", "unodc"),
        ("Union postale universelle", "upu"),
        ("Organisation de l'aviation civile internationale", "icao"),
        ("Fondo Internacional de Desarrollo Agrícola", "ifad"),
        ("Organización Internacional para las Migraciones", "iom"),
        ("Международное агентство по атомной энергии", "iaea"),
        ("UN Tourism", "unwto"),
        ("World Tourism Organization", "unwto"),
        ("United Nations Relief and Works Agency for Palestine Refugees in the Near East", "unrwa"),
        ("UN Country Team", "un-country-team"),
        ("Development Coordination Office", "un-dco"),
        ("Technology Bank for the Least Developed Countries", "un-technology-bank"),
        ("United Nations University World Institute for Development Economics Research", "unu-wider"),
        ("Secretariat of the Convention on Biological Diversity", "cbd-secretariat"),
        ("Unicef", "unicef"),  # an unambiguous acronym is matched in any case
    ],
)
def test_names_in_any_language_resolve_to_their_entry(name, entry_id):
    entry = gazetteer_entry(name)
    assert entry is not None, name
    assert entry.id == entry_id


@pytest.mark.parametrize(
    ("name", "entry_id"),
    [
        ("IMF", "imf"),
        ("Fondo Monetario Internacional", "imf"),
        ("Banco Mundial", "world-bank"),
        ("International Bank for Reconstruction and Development", "ibrd"),
        ("International Development Association", "ida"),
        ("IFC", "ifc"),
        ("MIGA", "miga"),
        ("CIADI", "icsid"),
        ("Global Environment Facility", "gef"),
        ("Fondo Verde para el Clima", "green-climate-fund"),
        ("Gavi, the Vaccine Alliance", "gavi"),
        ("Global Fund to Fight AIDS, Tuberculosis and Malaria", "global-fund"),
    ],
)
def test_bretton_woods_and_funds_outside_the_un_system_are_international(name, entry_id):
    entry = gazetteer_entry(name)
    assert entry is not None, name
    assert (entry.id, entry.sector) == (entry_id, "international")


# ---------------------------------------------------------------------------
# Ambiguous acronyms

CASE_SENSITIVE_ONLY = ["WHO", "ITC", "IMO", "ILO", "IOM", "ITU", "IMF", "IFC", "WTO", "UPU", "OMS", "OIT", "OMI",
                       "OMM", "OMT", "UIT", "PAM", "МОТ", "ВОЗ", "ВТО", "МВФ", "ВПП", "ЭКА"]
LEFT_OUT = ["ECA", "ISA", "CBD", "ODA", "IDA", "AID", "DCO", "DPO", "DOS", "DGC", "OLA", "BIRD", "CCI", "CEA", "CEPA",
            "CDB", "ICC", "CPI", "SFI", "CFI", "PMA", "GCF", "OMC", "VNU", "ODET", "OCAH", "OOPS", "UNHRC"]


@pytest.mark.parametrize("acronym", CASE_SENSITIVE_ONLY)
def test_acronyms_that_are_words_match_only_as_written(acronym):
    assert acronym in gazetteer_case_index()
    assert normalise_name(acronym) not in gazetteer_index()
    assert gazetteer_entry(acronym.lower()) is None
    assert gazetteer_entry(acronym.capitalize()) is None


@pytest.mark.parametrize("acronym", LEFT_OUT)
def test_too_ambiguous_acronyms_name_no_organisation(acronym):
    assert gazetteer_entry(acronym) is None


def test_examples_of_ordinary_words_are_not_organisations():
    assert gazetteer_entry("who") is None
    assert gazetteer_entry("Imo") is None  # Imo State, Nigeria
    assert gazetteer_entry("Ilo") is None  # Ilo, Peru


# ---------------------------------------------------------------------------
# No name is shared, and the loader keeps every field


def test_no_alias_of_one_entry_is_an_alias_of_another():
    owners: dict[str, set[str]] = defaultdict(set)
    for entry in gazetteer():
        for alias in entry.aliases + entry.case_sensitive_aliases:
            key = normalise_name(alias)
            assert key, (entry.id, alias)
            owners[key].add(entry.id)
    shared = {key: sorted(ids) for key, ids in owners.items() if len(ids) > 1}
    assert shared == {}


def test_names_are_aliases_and_kept_by_language():
    undp = {entry.id: entry for entry in gazetteer()}["undp"]
    names = dict(undp.names)
    assert set(names) == {"en", "fr", "es", "ru", "ar", "zh", "pt"}
    assert "Programme des Nations Unies pour le développement" in names["fr"]
    assert "Programme des Nations Unies pour le développement" in undp.aliases
    assert "UNDP Country Office" in undp.aliases  # an ``aliases`` entry still counts
    assert undp.label == "UNDP" and undp.wikidata == "Q161718"


def test_entries_without_names_still_resolve_by_their_aliases():
    data = entries()
    assert "names" not in data["aecid"] and "names" not in data["adb"]
    assert gazetteer_entry("Cooperación Española").id == "aecid"
    assert gazetteer_entry("Banque asiatique de développement").id == "adb"
    assert gazetteer_entry("ADB").id == "adb"  # case_sensitive_aliases
    assert dict({entry.id: entry for entry in gazetteer()}["aecid"].names) == {}


@pytest.mark.parametrize(
    ("entry_id", "wikidata"),
    [
        ("imo", "Q201054"), ("icao", "Q125761"), ("upu", "Q17495"), ("iaea", "Q41984"), ("wto", "Q7825"),
        ("opcw", "Q842490"), ("ibrd", "Q191384"), ("ida", "Q827525"), ("miga", "Q1043527"), ("icsid", "Q899770"),
        ("ecosoc", "Q170075"), ("un-secretariat", "Q220563"), ("unwto", "Q61923"), ("itc", "Q1184878"),
        ("ctbto", ""), ("unu-wider", ""), ("gef", ""),
    ],
)
def test_wikidata_items_checked_by_hand(entry_id, wikidata):
    assert entries()[entry_id]["wikidata"] == wikidata
