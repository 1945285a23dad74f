"""Controlled vocabularies kept as data in ``ontology/``: sectors and sector rules.

Sectors are SKOS concepts in ``ontology/sectors.ttl``; the wordings forms use
for them are its alt and hidden labels. Rules that infer a sector from an
organisation's name live in ``ontology/sector_rules.jsonl`` (one JSON object
per line, with an ``id``), in the order they are tried. Both are loaded on
first use, never at import time.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from rdflib import Graph
from rdflib.namespace import SKOS

from kg import lexicon
from kg.paths import ontology_dir

__all__ = [
    "GazetteerEntry",
    "gazetteer",
    "SectorRule",
    "sector_from_label",
    "infer_sector",
    "sector_labels",
    "fold",
    "normalise_name",
    "cut_unbalanced",
    "initials",
    "gazetteer_entry",
    "gazetteer_index",
    "gazetteer_case_index",
]


@dataclass(frozen=True)
class SectorRule:
    """A rule that gives ``sector`` to names matching ``pattern``."""

    id: str
    sector: str
    pattern: re.Pattern[str]


@dataclass(frozen=True)
class GazetteerEntry:
    """A known international organisation with its multilingual names."""

    id: str
    label: str
    sector: str
    wikidata: str
    aliases: tuple[str, ...]
    case_sensitive_aliases: tuple[str, ...]
    names: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (language, names) pairs: ("fr", ("PNUD", ...))


@lru_cache(maxsize=1)
def gazetteer() -> tuple[GazetteerEntry, ...]:
    """The organisations of ``ontology/organisations.jsonl`` (empty if the file is missing).

    Each line holds an id, a label, a sector, a Wikidata id where known,
    ``names`` by language (``{"en": [...], "fr": [...]}``) and ``aliases``
    (both matched after normalisation: every name is an alias) and
    ``case_sensitive_aliases`` (acronyms such as "WHO", matched only as written).
    """
    path = ontology_dir() / "organisations.jsonl"
    if not path.is_file():
        return ()
    entries = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            data = json.loads(line)
            names = tuple((lang, tuple(found)) for lang, found in sorted(data.get("names", {}).items()))
            entries.append(
                GazetteerEntry(
                    data["id"],
                    data["label"],
                    data.get("sector", "unknown"),
                    data.get("wikidata", ""),
                    tuple(data.get("aliases", [])) + tuple(n for _, found in names for n in found) + (data["label"],),
                    tuple(data.get("case_sensitive_aliases", [])),
                    names,
                )
            )
    return tuple(entries)


@lru_cache(maxsize=1 << 16)  # resolution asks for the same names again and again
def normalise_name(name: str) -> str:
    """The comparison form of a name: folded, no punctuation or articles, one spelling.

    Letters of every script are kept, with the marks that spell them (Devanagari
    vowel signs, Thai tone marks), so two names in Cyrillic, Arabic or Thai
    never share a comparison form unless they are spelled alike. Quotes and
    guillemets are punctuation: ``ТОО «Компания»`` compares as ``тоо компания``.
    In a word mixing Latin with Cyrillic or Greek letters, the look-alike
    letters are read as Latin ("Сo-creation" typed with a Cyrillic "С").
    """
    text = fold(name).replace("&", " and ")
    text = "".join(ch if ch.isalnum() or ch.isspace() or unicodedata.category(ch)[0] == "M" else " " for ch in text)
    spelling, articles = _spelling(), lexicon.word_set("articles", use="key")
    inner = lexicon.word_set("articles", use="inner")
    words = [spelling.get(w, w) for w in map(_latin_lookalikes, text.split())]
    while words and words[0] in articles:
        words = words[1:]
    words = [w for i, w in enumerate(words) if not (w in inner and i > 0)]
    return " ".join(words)


def gazetteer_entry(name: str) -> GazetteerEntry | None:
    """The gazetteer organisation ``name`` is an alias of ("PNUD" -> UNDP), or None."""
    gid = gazetteer_index().get(normalise_name(name)) or gazetteer_case_index().get(name.strip())
    return {entry.id: entry for entry in gazetteer()}.get(gid) if gid else None


@lru_cache(maxsize=1)
def gazetteer_index() -> dict[str, str]:
    """Normalised alias -> gazetteer id, for the aliases matched in any case."""
    index: dict[str, str] = {}
    for entry in gazetteer():
        for alias in entry.aliases:
            index.setdefault(normalise_name(alias), entry.id)
    return index


@lru_cache(maxsize=1)
def gazetteer_case_index() -> dict[str, str]:
    """Exact alias -> gazetteer id, for ambiguous acronyms ("WHO", "CARE")."""
    return {alias: entry.id for entry in gazetteer() for alias in entry.case_sensitive_aliases}


@lru_cache(maxsize=1)
def _spelling() -> dict[str, str]:
    """One spelling per word of a name key: "organisation" -> "organization", "ministerio" -> "ministry"."""
    return {row["term"]: row["spelling"] for row in lexicon.table("spellings")}


_OPTIONAL_POINT = re.compile(r"[\u0591-\u05c7\u064b-\u065f\u0670\u06d6-\u06ed]")  # Hebrew and Arabic pointing
_LOOKALIKES = str.maketrans(  # casefolded Cyrillic and Greek letters whose lower or upper case looks Latin
    "аеорсухіјѕԁԛԝһвкмнтαβεζηικμνορτυχ", "aeopcyxijsdqwhbkmhtabezhikmnoptyx"
)


def _latin_lookalikes(word: str) -> str:
    """``word`` with Cyrillic and Greek look-alike letters read as Latin, if it also has Latin letters."""
    if word.isascii() or not any("a" <= ch <= "z" for ch in word):
        return word
    return word.translate(_LOOKALIKES)


@lru_cache(maxsize=4096)
def _accent_folds(ch: str) -> bool:
    """True for a letter whose accents :func:`fold` drops (Latin and Greek letters)."""
    return ch.isascii() or unicodedata.name(ch, "").startswith(("LATIN", "GREEK"))


def unaccented(text: str) -> str:
    """``text`` with Latin letters stripped of their accents, one character for one ("Durán" as "Duran").

    Unlike :func:`fold` it keeps case, spaces and length, so offsets into the result are offsets into ``text``,
    and it is a single ``str.translate``: cheap enough for every literal of a build.
    """
    return text if text.isascii() else text.translate(_UNACCENT)


def _unaccent_table() -> dict[int, str]:
    """Each accented Latin letter's plain letter, where it is one character."""
    table = {}
    for code in [*range(0xC0, 0x250), *range(0x1E00, 0x1F00)]:
        base = "".join(c for c in unicodedata.normalize("NFKD", chr(code)) if not unicodedata.combining(c))
        if len(base) == 1 and base != chr(code):
            table[code] = base
    return table


_UNACCENT = _unaccent_table()


def fold(text: str) -> str:
    """Casefold ``text``, drop accents and fold runs of white space.

    Accents are dropped from Latin and Greek letters ("Fundación" folds like
    "Fundacion"), and the optional vowel points of Arabic and Hebrew go too.
    Marks that spell a letter of another script stay: Cyrillic "й" is not
    "и", Thai tone marks and Devanagari signs are part of the word.
    """
    if text.isascii():
        return " ".join(text.casefold().split())
    kept, base_folds = [], False
    for ch in unicodedata.normalize("NFKD", text):
        if not unicodedata.combining(ch):
            base_folds = _accent_folds(ch)
            kept.append(ch)
        elif not (base_folds or _OPTIONAL_POINT.match(ch)):
            kept.append(ch)
    return " ".join(unicodedata.normalize("NFC", "".join(kept)).casefold().split())


def initials(name: str) -> str:
    """The acronym that a name of three or more capitalised words spells ("Fundación Ambiente y Recursos Naturales")."""
    words = [w for w in re.split(r"[\s\-]+", name) if w and w[0].isupper()]
    return "".join(w[0] for w in words).upper() if len(words) >= 3 else ""


def cut_unbalanced(text: str) -> str:
    """Cut a span at its first unmatched bracket: "Fiscalía (the first" gives "Fiscalía".

    spaCy sometimes runs an entity into a parenthetical remark that closes
    sentences later; the name is what comes before the bracket.
    """
    depth = 0
    for index, char in enumerate(text):
        if char in "([":
            depth += 1
        elif char in ")]":
            if depth == 0:
                return text[:index].rstrip(" -–,;:")
            depth -= 1
    if depth == 0:
        return text
    opened = [i for i, char in enumerate(text) if char in "(["]
    closed = sum(char in ")]" for char in text)
    return text[: opened[closed]].rstrip(" -–,;:") if closed < len(opened) else text


def sector_from_label(label: str) -> str | None:
    """The sector id (``government``, ``academia``...) a form's wording names, or None."""
    key = fold(label).strip(" .:;-/")
    key = re.sub(r"\s*/\s*", "/ ", key)
    return _label_index().get(key) or _label_index().get(key.replace("/ ", "/"))


@lru_cache(maxsize=1 << 16)
def infer_sector(name: str) -> tuple[str, str] | None:
    """Infer a sector from an organisation's name: ``(sector, rule id)`` or None.

    A misspelt keyword ("Secreatariat", "Minstry") is corrected first, so a typo
    does not cost the sector.
    """
    found = _match_rules(name, fold(name))
    if found is None:
        corrected = _correct_keywords(fold(name))
        if corrected != fold(name):
            found = _match_rules(name, corrected)
            return (found[0], f"{found[1]}~typo") if found else None
    return found


def _match_rules(name: str, folded: str) -> tuple[str, str] | None:
    for rule in _rules():
        target = name if rule.pattern.flags & re.IGNORECASE == 0 else folded
        if rule.pattern.search(target):
            return rule.sector, rule.id
    return None


def _correct_keywords(folded: str) -> str:
    from rapidfuzz import fuzz, process

    keywords = lexicon.words("typo_keywords")  # in order: the first of equally close keywords is taken
    words = []
    for word in folded.split():
        if len(word) >= 6 and word not in keywords:
            match = process.extractOne(word, keywords, scorer=fuzz.ratio, score_cutoff=85)
            word = match[0] if match else word
        words.append(word)
    return " ".join(words)


def sector_labels() -> dict[str, str]:
    """Sector id to its English preferred label."""
    return dict(_pref_labels())


@lru_cache(maxsize=1)
def _sector_graph() -> Graph:
    graph = Graph()
    graph.parse(ontology_dir() / "sectors.ttl", format="turtle")
    return graph


@lru_cache(maxsize=1)
def _label_index() -> dict[str, str]:
    index: dict[str, str] = {}
    graph = _sector_graph()
    for predicate in (SKOS.prefLabel, SKOS.altLabel, SKOS.hiddenLabel, SKOS.notation):
        for concept, label in graph.subject_objects(predicate):
            sector = str(concept).rsplit("/", 1)[-1]
            index.setdefault(fold(str(label)), sector)
    return index


@lru_cache(maxsize=1)
def _pref_labels() -> dict[str, str]:
    graph = _sector_graph()
    return {
        str(concept).rsplit("/", 1)[-1]: str(label)
        for concept, label in graph.subject_objects(SKOS.prefLabel)
        if getattr(label, "language", None) == "en" and "/sector/" in str(concept)
    }


@lru_cache(maxsize=1)
def _rules() -> tuple[SectorRule, ...]:
    rules = []
    path = ontology_dir() / "sector_rules.jsonl"
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        data = json.loads(line)
        flags = 0 if data.get("case_sensitive") else re.IGNORECASE
        pattern = data["pattern"] if flags == 0 else fold(data["pattern"])
        rules.append(SectorRule(data["id"], data["sector"], re.compile(pattern, flags)))
    return tuple(rules)
