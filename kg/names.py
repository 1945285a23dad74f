"""Word checks on the names of organisations and people, shared by the finders.

Both finders of partners ask the same questions of a candidate name:
:mod:`kg.partners`, which splits answers that list partners, and
:mod:`kg.ner`, which finds organisations in prose. Does it read as an
organisation's name or as prose? Does a keyword (Ministry, Fundación, Ltd)
or an acronym say it is an organisation? Is it a collective ("NGOs",
"Farmers") or a person's role ("Prime Minister")? A sector word, an event,
a "None" answer, a name cut short? The checks live here, below both finders,
so that neither imports the other.

The words they read (organisation keywords, generic collectives, person
roles, event words, "none" answers...) are data in ``ontology/lexicon/``,
read through :mod:`kg.lexicon`.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from kg import lexicon
from kg.lexicon import alternation
from kg.vocab import fold, gazetteer_entry, sector_from_label

__all__ = [
    "looks_like_name",
    "looks_like_organisation",
    "has_org_keyword",
    "is_org_keyword",
    "is_generic",
    "is_no_partner",
    "is_cut_short",
    "is_sector_word",
    "ends_in_event_word",
    "has_event_word",
    "starts_like_name",
    "is_acronym",
    "is_latin",
    "is_lower_word",
    "is_caseless",
    "PARENTHESES",
    "QUOTED",
    "OPENING_QUOTES",
]

PARENTHESES = re.compile(r"[(\[]([^()\[\]]*)[)\]]")
"""A part in parentheses or brackets with none nested inside; group 1 is its inside."""
QUOTED = re.compile(r'"[^"]*"|«[^«»]*»|“[^“”]*”|„[^„“”]*[“”]|‹[^‹›]*›|「[^「」]*」|『[^『』]*』')
"""A part in double quotes or guillemets, in any of the quoting styles forms use."""
OPENING_QUOTES = "\"'«»‹“„‘‚「『”"
"""The quote marks that may open a quoted name."""


def looks_like_name(text: str) -> bool:
    """True when ``text`` reads as an organisation's name, not prose or a label."""
    words = text.split()
    if not words or len(words) > 14 or len(text) > 140 or len(text) < 2:
        return False
    if text.endswith(("?", ":")) or _NOT_A_NAME.match(fold(text)) or is_no_partner(text) or is_cut_short(text):
        return False  # a question, a label, a sentence opener or a name cut short ("The Ministry of")
    if not (starts_like_name(text) or _LOWER_START_OK.match(text)):
        return False
    if sector_from_label(text) or fold(text) in _GENERIC or is_sector_word(text) or is_generic(text):
        return False
    if ends_in_event_word(text):
        return False
    if (
        text.isupper()
        and len(words) >= 2
        and not looks_like_organisation(text)
        and all(len(w) >= 3 for w in words)
        and any(len(w) >= 6 for w in words)
    ):
        return False  # an all-caps heading ("DEPOPULATION PORTFOLIO"), not acronyms ("UN SGP")
    quoted = _quoted_name(text)
    if quoted is not None:
        return quoted  # NGO "Eco Life", "Kameda" public fund: the quotes hold the name
    keywords = [w for w in re.findall(r"[\w'-]+", text) if _KEYWORD_WORD.fullmatch(w.lower())]
    if keywords and all(w[0].islower() for w in keywords):
        before = text[: text.find(keywords[0])].split()
        if not before or (is_acronym(before[-1]) and len(before) == 1) or any(w[0].islower() for w in before):
            return False  # "IT agency", "promotion agency": a description, not a name ("Legal Bar association" is one)
    if not is_latin(text) and any(ch.isalpha() for ch in text):
        return len(words) <= 10  # Cyrillic, Greek, Arabic...: sentence case is how names are written
    lower = [w for w in words if is_lower_word(w) and fold(w).strip(",.()") not in _CONNECTORS]
    if len(words) == 2 and lower == words[1:] and not looks_like_organisation(text) and not is_acronym(words[0]):
        return False  # "Technical collaboration", "Spotlight initiative": a phrase, not a name
    if len(words) > 3 and any(re.search(r"(ed|ing)$", w) for w in lower):
        return False
    return len(lower) <= max(1, len(words) // 4)


def looks_like_organisation(text: str) -> bool:
    """True when a name says it is an organisation: a keyword (Ministry, Fundación, Ltd...) or an acronym."""
    return has_org_keyword(text) or bool(re.fullmatch(r"[A-Z][A-Z0-9&\-]{1,9}", text.strip()))


def has_org_keyword(text: str) -> bool:
    """True when a word of ``text``, past punctuation and an elided article ("l'", "d'"), is an organisation keyword."""
    return any(is_org_keyword(re.sub(r"^[lLdD]['’]", "", w.strip(".,;:()"))) for w in text.split())


def is_org_keyword(word: str) -> bool:
    """True when ``word`` is an organisation keyword of the finders (Ministry, Universidad, S.R.L., ...)."""
    return _KEYWORD.match(word) is not None


def is_generic(text: str) -> bool:
    """A collective rather than an organisation: "Commercial Banks", "NGOs (in youth)", "Farmers"."""
    bare = PARENTHESES.sub(" ", text)
    words = [w for w in re.split(r"[\s/]+", fold(bare).strip(" .,;:")) if w]
    if not words or " ".join(words) in _GENERIC:
        return True
    if gazetteer_entry(bare.strip(" .,;:")) is not None:
        return False  # "UN Women", "UN Volunteers": a known organisation whose name holds a collective
    head, size = words[0], 1
    for i, word in enumerate(words):
        if word in _HEAD_BREAK and i > 0:
            break
        head, size = word, i + 1
    head = head.strip("'’")
    original = [w for w in re.split(r"[\s/]+", bare.strip(" .,;:")) if w]
    if size < len(words) and gazetteer_entry(" ".join(original[:size])) is not None:
        return False  # "UN Women and UNFPA"
    if len(words) <= 3 and words[-1].removesuffix("s") in _PERSON_HEADS:
        return True  # "Prime Minister", "GIS specialist": a person's role
    english_head = size == len(words) or words[size] in _AFTER_ROLE
    if (
        english_head
        and head.removesuffix("s") in _PERSON_HEADS
        and not looks_like_organisation(" ".join(original[:size]))
    ):
        return True  # "Chief Heat Officer of Athens", "University Professors in MKD", not "Universidad Mayor de ..."
    return head in _GENERIC_HEADS or bool(
        re.fullmatch(r"[a-z]{2,5}s", head) and bare.strip()[:1].isupper() and re.search(r"\b[A-Z]{2,5}s\b", bare)
    )


def is_no_partner(text: str) -> bool:
    """True for answers that say there is no partner: "N/A", "None", "N.A.", "Not yet"..."""
    folded = fold(text).strip(" .;:,-–—!*()[]")
    compact = re.sub(r"[\s./\\-]", "", folded)
    return not compact or compact in _NO_PARTNER_COMPACT or bool(_NO_PARTNER.match(folded))


def is_cut_short(text: str) -> bool:
    """True when ``text`` breaks off after a connector ("The Ministry of"): the rest of the name is elsewhere."""
    return _DANGLING.search(text) is not None


def is_sector_word(text: str) -> bool:
    """A sector word, even misspelt ("Goverment"), is not an organisation's name."""
    from rapidfuzz import fuzz, process

    folded = fold(text).strip(" .:;-")
    if len(folded.split()) > 3:
        return False
    match = process.extractOne(folded, _SECTOR_WORDS, scorer=fuzz.ratio, score_cutoff=88)
    return match is not None


def ends_in_event_word(text: str) -> bool:
    """True when ``text`` ends as a project's or an event's name does ("... Forum", "... Challenge")."""
    return _NOT_ORG_TAIL.search(text) is not None


def has_event_word(text: str) -> bool:
    """True when ``text`` holds a word that makes a quoted title a project, campaign or event, not an organisation."""
    return _NOT_ORG_WORD.search(text) is not None


def starts_like_name(text: str) -> bool:
    """True when ``text``, past any opening quotes, starts as a name does.

    That is with a capital, a digit or a letter of a script without case
    (Arabic, Chinese, Thai, Georgian...).
    """
    bare = text.lstrip(OPENING_QUOTES + "¿¡(").lstrip()
    return bool(bare) and (bare[0].isupper() or bare[0].isdigit() or is_caseless(bare[0]))


def is_acronym(text: str) -> bool:
    """True for an acronym in any script: "UNDP", "AfDB", "ЮНИСЕФ", "ТОО".

    It opens with a capital and holds another capital or a digit; Latin
    acronyms use unaccented letters only.
    """
    if len(text) < 2 or not text[0].isupper() or text[-1] in ".&-":
        return False
    if not all((ch.isalnum() and (ch.isascii() or not _latin_letter(ch))) or ch in "&.-" for ch in text):
        return False
    return any(ch.isupper() or ch.isdigit() for ch in text[1:])


def is_latin(text: str) -> bool:
    """True when most letters of ``text`` are Latin (False when it has no letters)."""
    letters = [ch for ch in text if ch.isalpha()]
    return bool(letters) and 2 * sum(map(_latin_letter, letters)) > len(letters)


def is_lower_word(word: str) -> bool:
    """True for a word written in lower case (past opening quotes); caseless scripts are never lower."""
    bare = word.lstrip(OPENING_QUOTES)
    return bare[:1].islower() and not is_caseless(bare[0])


@lru_cache(maxsize=4096)
def is_caseless(ch: str) -> bool:
    """A letter of a script written without capitals: Arabic, Chinese, Thai, Hebrew, Georgian (Mkhedruli)..."""
    if not ch.isalpha():
        return False
    return not (ch.isupper() or ch.islower()) or unicodedata.name(ch, "").startswith("GEORGIAN LETTER")


_KEYWORD = re.compile(rf"^(?:{alternation(lexicon.words('org_keywords', use='finder'))})$", re.I)
_KEYWORD_WORD = re.compile(rf"(?:{alternation(lexicon.words('org_keywords', use='lowercase'))})s?")
_NOT_ORG_WORD = re.compile(rf"\b(?:{alternation(lexicon.words('event_words', use='quoted'))})\b", re.I)
_NOT_ORG_TAIL = re.compile(rf"\b(?:{alternation(lexicon.words('event_words', use='tail'))})$", re.I)
_LOWER_START_OK = re.compile(
    rf"^(?:[a-z]+[A-Z]|i[A-Z]|e[A-Z]|(?:{alternation(lexicon.words('connectors', use='lower_start'))})\s|l['’])"
)
_CONNECTORS = lexicon.word_set("connectors", use="name")
_NO_PARTNER = re.compile(rf"^(?:{alternation(lexicon.words('no_partner', use='opening'))})(?!\w)")
_NO_PARTNER_COMPACT = lexicon.word_set("no_partner", use="compact")
_NOT_A_NAME = re.compile(
    rf"^(?:{alternation(lexicon.words('not_a_name', use='opening'))}|top \d|action \d"
    rf"|(?:{alternation(lexicon.words('not_a_name', use='preposition'))})"
    rf" (?:{alternation(lexicon.words('not_a_name', use='determiner'))}))\b"
)
_DANGLING = re.compile(rf"\s(?:{alternation(lexicon.words('connectors', use='dangling'))})$", re.I)
_SECTOR_WORDS = lexicon.words("sector_words", use="fuzzy")
_GENERIC = lexicon.word_set("generic_collectives", use="collective")
_HEAD_BREAK = lexicon.word_set("connectors", use="head_break")
_AFTER_ROLE = lexicon.word_set("connectors", use="after_role")
_GENERIC_HEADS = lexicon.word_set("generic_heads")
_PERSON_HEADS = lexicon.word_set("person_roles", use="head")


def _quoted_name(text: str) -> bool | None:
    """Whether a name built round one quoted name reads as a name; None when there is no such quoted name.

    'NGO "Eco Life"', 'ТОО «Компания»' and '"Kameda" public fund' are names:
    the quotes hold the name and up to four words around them say what kind
    of organisation it is. A project, campaign or event in quotes is not one.
    """
    match = QUOTED.search(text)
    if match is None or QUOTED.search(text, match.end()):
        return None
    inner = match.group(0)[1:-1].strip()
    outside = f"{text[: match.start()]} {text[match.end() :]}"
    if not inner or not starts_like_name(inner) or len(outside.split()) > 4:
        return None
    return not has_event_word(outside) and not ends_in_event_word(inner)


@lru_cache(maxsize=4096)
def _latin_letter(ch: str) -> bool:
    """A letter of the Latin script, accented or not."""
    return ch.isalpha() and (ch.isascii() or unicodedata.name(ch, "").startswith("LATIN"))
