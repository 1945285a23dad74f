"""Resolve free-text country names from forms to ISO 3166-1 countries.

Forms carry tags such as ``[[country:Viet Nam]]`` whose values come from
people and geocoders: ISO names, UN-style names ("Bolivia (Plurinational
State of)"), everyday names ("Laos"), names in Spanish or French ("Perú",
"Sénégal") and places that are not countries but lie in exactly one
("England", "Honshu", "Republika Srpska"). :func:`resolve_country` maps each
of them to one :class:`Country` so that the graph has a single node per
country.

Resolution is pure, offline and deterministic. It tries, in order:

1. an exact match on a pycountry code or name (``via="iso"``);
2. the curated table ``ontology/country_aliases.tsv`` (``via="alias"``);
3. ``pycountry.countries.search_fuzzy``, accepted only when it names exactly
   one country and the input is exactly the name of that country or of one of
   its ISO 3166-2 subdivisions (``via="fuzzy"``).

Anything else resolves to ``None``: a wrong country is worse than none.
Comparisons ignore case, accents, surrounding and repeated whitespace and
typographic quotes. Kosovo, absent from ISO 3166-1, gets the user-assigned
codes ``XKX``/``XK`` used by the UN and the World Bank.
"""

from __future__ import annotations

import csv
import functools
import re
import unicodedata
from dataclasses import dataclass

import pycountry

from kg.paths import ontology_dir

__all__ = ["Country", "resolve_country", "known_aliases"]

ALIAS_FILE = "country_aliases.tsv"


@dataclass(frozen=True)
class Country:
    """A country resolved from a form, and how it was resolved.

    Attributes:
        iso3: ISO 3166-1 alpha-3 code, e.g. ``"ECU"``; Kosovo is ``"XKX"``.
        iso2: ISO 3166-1 alpha-2 code, e.g. ``"EC"``; Kosovo is ``"XK"``.
        name: English short name: pycountry's ``common_name`` when it has
            one, else its ``name`` (so ``"Bolivia"``, ``"Vietnam"``,
            ``"Türkiye"``).
        via: ``"iso"`` (exact ISO code or name), ``"alias"`` (the alias
            file) or ``"fuzzy"`` (a checked ``search_fuzzy`` hit); kept so
            that doubtful resolutions can be audited.
    """

    iso3: str
    iso2: str
    name: str
    via: str


@functools.lru_cache(maxsize=65536)
def resolve_country(name: str) -> Country | None:
    """Return the country that ``name`` denotes, or ``None``.

    The input is normalised (see the module docstring) and then matched
    against ISO names and codes, the alias file, and finally a guarded fuzzy
    search. Results are cached because the builder calls this once per tag,
    about ten thousand times per corpus.

    Args:
        name: A country name, code or place name as written in a form.

    Returns:
        The resolved :class:`Country`, or ``None`` for empty input, non-string
        input and names that cannot be placed in exactly one country.
    """
    if not isinstance(name, str):
        return None
    return _resolve_normalised(_normalise(name))


def known_aliases() -> dict[str, str]:
    """Return the alias table as ``{normalised alias: iso3}``.

    Exposed so that tests and data checks can audit the curated table
    without parsing the TSV themselves. The returned dict is a copy.
    """
    return dict(_alias_index())


# --------------------------------------------------------------------------
# Private helpers
# --------------------------------------------------------------------------

# Codes that ISO 3166-1 does not assign but the UN system uses.
_USER_ASSIGNED = {"XKX": ("XK", "Kosovo")}

_WHITESPACE = re.compile(r"\s+")
_TYPOGRAPHIC = str.maketrans(
    {
        "\u2018": "'",  # left single quotation mark
        "\u2019": "'",  # right single quotation mark
        "\u02bc": "'",  # modifier letter apostrophe
        "\u00b4": "'",  # acute accent used as apostrophe
        "`": "'",
        "\u2010": "-",  # hyphen
        "\u2011": "-",  # non-breaking hyphen
        "\u2013": "-",  # en dash
        "\u2014": "-",  # em dash
    }
)


@functools.lru_cache(maxsize=4096)
def _normalise(text: str) -> str:
    """Fold ``text`` for comparison: quotes, accents, case and whitespace.

    Accents are dropped (NFKD, then combining marks removed) so that
    "Perú", "Peru" and "PERU" compare equal.
    """
    text = text.translate(_TYPOGRAPHIC)
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _WHITESPACE.sub(" ", stripped).strip().casefold()


@functools.cache
def _resolve_normalised(key: str) -> Country | None:
    """Resolve an already normalised key; cached separately so that spelling
    variants that normalise alike share one lookup."""
    if not key:
        return None
    record = _iso_index().get(key)
    if record is not None:
        return _make_country(record.alpha_3, "iso")
    iso3 = _alias_index().get(key)
    if iso3 is not None:
        return _make_country(iso3, "alias")
    iso3 = _fuzzy_iso3(key)
    if iso3 is not None:
        return _make_country(iso3, "fuzzy")
    return None


def _make_country(iso3: str, via: str) -> Country:
    """Build a :class:`Country` for a known alpha-3 code."""
    if iso3 in _USER_ASSIGNED:
        iso2, name = _USER_ASSIGNED[iso3]
        return Country(iso3=iso3, iso2=iso2, name=name, via=via)
    record = pycountry.countries.get(alpha_3=iso3)
    if record is None:  # guarded by _alias_index; kept for safety
        raise KeyError(f"unknown ISO 3166-1 alpha-3 code {iso3!r}")
    return Country(
        iso3=record.alpha_3,
        iso2=record.alpha_2,
        name=_display_name(record),
        via=via,
    )


def _display_name(record: pycountry.db.Country) -> str:
    """Return pycountry's ``common_name`` if set, else ``name``."""
    return getattr(record, "common_name", None) or record.name


@functools.cache
def _iso_index() -> dict[str, pycountry.db.Country]:
    """Map every normalised pycountry code and name to its country record.

    Built once, on first use, so importing the module stays cheap.
    """
    index: dict[str, pycountry.db.Country] = {}
    for record in pycountry.countries:
        for field in ("alpha_2", "alpha_3", "name", "common_name", "official_name"):
            value = getattr(record, field, None)
            if value:
                index.setdefault(_normalise(value), record)
    return index


@functools.cache
def _alias_index() -> dict[str, str]:
    """Load ``country_aliases.tsv`` into ``{normalised alias: iso3}``.

    Lines with an unknown code, or an alias that normalises to an alias
    already mapped to another country, are errors: the table is curated and
    a silent mistake there would misplace every form that uses the alias.

    Raises:
        ValueError: on a malformed header, an unknown iso3 or a conflict.
    """
    path = ontology_dir() / ALIAS_FILE
    index: dict[str, str] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        rows = csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        header = next(rows, None)
        if header is None or [h.strip() for h in header[:2]] != ["alias", "iso3"]:
            raise ValueError(f"{path}: header must start with 'alias<TAB>iso3'")
        for line_no, row in enumerate(rows, start=2):
            if not row or not row[0].strip() or row[0].lstrip().startswith("#"):
                continue
            if len(row) < 2:
                raise ValueError(f"{path}:{line_no}: expected alias<TAB>iso3")
            alias, iso3 = _normalise(row[0]), row[1].strip().upper()
            if iso3 not in _USER_ASSIGNED and pycountry.countries.get(alpha_3=iso3) is None:
                raise ValueError(f"{path}:{line_no}: unknown iso3 {iso3!r}")
            previous = index.setdefault(alias, iso3)
            if previous != iso3:
                raise ValueError(f"{path}:{line_no}: alias {row[0]!r} maps to {iso3} and {previous}")
    return index


def _fuzzy_iso3(key: str) -> str | None:
    """Return the iso3 of the one country with a subdivision named ``key``, or ``None``.

    This is what ``pycountry.countries.search_fuzzy`` would accept under our
    guard (an exact, normalised subdivision name of a single country), looked
    up in an index built once instead of a fuzzy scan of every record per
    call (80 ms each, which made resolving thousands of names take minutes).
    """
    return _subdivision_index().get(key)


@functools.lru_cache(maxsize=1)
def _subdivision_index() -> dict[str, str]:
    """Normalised subdivision name -> iso3; names shared by two countries are left out."""
    owners: dict[str, set[str]] = {}
    for sub in pycountry.subdivisions:
        country = pycountry.countries.get(alpha_2=sub.country_code)
        if country is not None:
            owners.setdefault(_normalise(sub.name), set()).add(country.alpha_3)
    return {name: next(iter(codes)) for name, codes in owners.items() if len(codes) == 1}
