"""Tests of :mod:`kg.countries`: hand-checked names, the alias file, the corpus."""

import csv
import re
from pathlib import Path

import pycountry
import pytest

from kg.countries import Country, known_aliases, resolve_country
from kg.countries import _normalise  # noqa: PLC2701 - audit helper
from kg.paths import ontology_dir

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
ALIAS_TSV = ontology_dir() / "country_aliases.tsv"
_COUNTRY_TAG = re.compile(r"^\[\[country:(.*?)\]\]", re.MULTILINE)


@pytest.mark.parametrize(
    ("name", "iso3"),
    [
        ("Ecuador", "ECU"),
        ("Viet Nam", "VNM"),
        ("Vietnam", "VNM"),
        ("Bolivia (Plurinational State of)", "BOL"),
        ("Türkiye", "TUR"),
        ("Turkey", "TUR"),
        ("Kosovo", "XKX"),
        ("Palestine, State of", "PSE"),
        ("England", "GBR"),
        ("Honshu", "JPN"),
        ("Galápagos Province", "ECU"),
        ("  ecuador ", "ECU"),
        ("Perú", "PER"),
        ("Côte d’Ivoire", "CIV"),
        ("Cote d'Ivoire", "CIV"),
        ("Antarctica", "ATA"),
        ("Democratic Republic of the Congo", "COD"),
        ("Republic of the Congo", "COG"),
        ("Federation of Bosnia and Herzegovina", "BIH"),
        ("Kurdistan Region", "IRQ"),
        ("Somaliland", "SOM"),
        ("Gaza Strip", "PSE"),
        ("Trinidad", "TTO"),
        ("Antigua", "ATG"),
        ("Cape Verde", "CPV"),
        ("East Timor", "TLS"),
        ("Swaziland", "SWZ"),
        ("Micronesia", "FSM"),
        ("ecu", "ECU"),
        ("EC", "ECU"),
        ("United   States\tof America", "USA"),
    ],
)
def test_resolves_hand_checked_names(name, iso3):
    country = resolve_country(name)
    assert country is not None, name
    assert country.iso3 == iso3


@pytest.mark.parametrize(
    "name",
    ["", "   ", "Atlantis", "Narnia Province", "Unknown", "N/A", "xyzzy", "Africa"],
)
def test_unplaceable_names_resolve_to_none(name):
    assert resolve_country(name) is None


def test_non_string_input_resolves_to_none():
    assert resolve_country(None) is None  # type: ignore[arg-type]


def test_country_fields_and_via():
    assert resolve_country("Ecuador") == Country("ECU", "EC", "Ecuador", "iso")
    assert resolve_country("Kosovo") == Country("XKX", "XK", "Kosovo", "alias")
    assert resolve_country("England") == Country("GBR", "GB", "United Kingdom", "alias")
    bolivia = resolve_country("Bolivia (Plurinational State of)")
    assert bolivia == Country("BOL", "BO", "Bolivia", "alias")


def test_name_prefers_common_name():
    for record in pycountry.countries:
        country = resolve_country(record.alpha_3)
        assert country is not None
        assert country.name == (getattr(record, "common_name", None) or record.name)


def test_every_iso_country_resolves_to_itself():
    for record in pycountry.countries:
        for field in ("alpha_2", "alpha_3", "name", "common_name", "official_name"):
            value = getattr(record, field, None)
            if value:
                country = resolve_country(value)
                assert country is not None and country.iso3 == record.alpha_3, value


def test_fuzzy_accepts_exact_subdivision_names_only():
    # "Vlaams-Brabant" and "Pichincha" are ISO 3166-2 names, not in the alias file.
    assert "pichincha" not in known_aliases()
    pichincha = resolve_country("Pichincha")
    assert pichincha == Country("ECU", "EC", "Ecuador", "fuzzy")
    assert resolve_country("Vlaams-Brabant").iso3 == "BEL"
    # A substring of a subdivision name is not enough.
    assert resolve_country("Pichinch") is None


def test_normalisation_is_accent_case_and_space_insensitive():
    assert _normalise("  Côte   d’Ivoire ") == "cote d'ivoire"
    assert resolve_country("PERU") == resolve_country("Perú")


def test_resolution_is_cached():
    assert resolve_country("Viet Nam") is resolve_country("Viet Nam")


def test_alias_file_header_and_codes():
    with ALIAS_TSV.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))
    assert rows[0] == ["alias", "iso3", "note"]
    valid = {record.alpha_3 for record in pycountry.countries} | {"XKX"}
    bad = [row for row in rows[1:] if len(row) < 2 or row[1] not in valid]
    assert not bad, f"alias rows with unknown iso3: {bad}"


def test_known_aliases_are_real_codes_and_agree_with_iso():
    aliases = known_aliases()
    assert aliases["england"] == "GBR"
    valid = {record.alpha_3 for record in pycountry.countries} | {"XKX"}
    assert set(aliases.values()) <= valid
    # An alias shadowed by an exact ISO name must not disagree with it.
    for alias, iso3 in aliases.items():
        country = resolve_country(alias)
        assert country is not None and country.iso3 == iso3, alias


def test_known_aliases_returns_a_copy():
    known_aliases().clear()
    assert known_aliases()


@pytest.mark.slow
def test_every_corpus_country_resolves():
    if not CORPUS.is_dir():
        pytest.skip(f"corpus folder {CORPUS} is absent")
    values: set[str] = set()
    for path in sorted(CORPUS.glob("*.md")):
        values.update(_COUNTRY_TAG.findall(path.read_text(encoding="utf-8")))
    if not values:
        pytest.skip(f"no [[country:...]] tags in {CORPUS}")
    unresolved = sorted(value for value in values if resolve_country(value) is None)
    assert not unresolved, f"{len(unresolved)} corpus countries unresolved: {unresolved}"
