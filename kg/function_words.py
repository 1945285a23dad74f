"""Function words of the archive's languages, and the sentence openers that are not names.

A capitalised word at the start of a sentence is no evidence of a name: "In
Wendá, we ...", "Now, the mapping ...", "Likewise, we partnered ...". These
checks tell such openings from a name that opens its sentence ("UNICEF,
which ..."), and a sentence that is a list of names from one that is prose.
The stop words are spaCy's own language data for the archive's four
languages; adverb endings and discourse openers that spaCy does not list live
in ``ontology/lexicon/openers.tsv``.
"""

from __future__ import annotations

import importlib.util
import re
import runpy
from functools import cache, lru_cache
from pathlib import Path

from kg import lexicon

__all__ = ["is_function_word", "opens_like_prose", "reads_as_list"]

_LANGUAGES = ("en", "es", "fr", "pt")
_TOKEN = re.compile(r"\w[\w'’.-]*")
_PARENTHETICAL = re.compile(r"\([^()]*\)|\[[^\]]*\]")


def is_function_word(word: str) -> bool:
    """True when ``word`` (any case) is a stop word of English, Spanish, French or Portuguese."""
    return word.lower().strip("'’.") in _stop_words()


def opens_like_prose(text: str, after_comma: str | None = None) -> bool:
    """True when ``text``, the words a sentence opens with, are not a name.

    They are not when they start with a function word other than an article
    ("In Wendá", "Along the way", "As UNDP", "Two of the interventions"; a
    word that only another language's stop list holds counts before a
    lower-case word only, as "Nuevos Horizontes" is a name), when they open
    with a participle before a function word ("Collaborated with"), when
    they are only function words and numbers ("In 2022"), or when one word
    stands before a comma and is an adverb ("Likewise, we", "Specifically,
    the"). ``after_comma`` is the text after that comma, if one follows: an
    adverb is told by its ending only when a lower-case word follows it
    ("Grammarly, Retail Market" is a list).
    """
    words = _TOKEN.findall(text)
    if not words:
        return True
    first = words[0].lower()
    if _opening_function_word(first) and (
        first in _english_or_connector() or len(words) == 1 or not words[1][0].isupper()
    ):
        return True  # "In Wendá", "Along the way"; not "Nuevos Horizontes", whose first word Spanish lists
    if all(w.isdigit() or is_function_word(w) for w in words):
        return True
    if len(words) > 1 and words[1].islower() and is_function_word(words[1]) and _is_verb_form(words[0]):
        return True  # "Collaborated with ...", "Trabajando con ..."
    if len(words) > 1 and words[1].lower() in _articles() and _is_gerund(words[0]):
        return True  # "Celebrating the UN Year of Glass", "Running the Future Fit Accelerator"
    return after_comma is not None and len(words) == 1 and _is_adverb(words[0], after_comma)


def reads_as_list(sentence: str) -> bool:
    """True when ``sentence`` reads as a list of names, not prose.

    A list's function words are the ones names hold ("of", "and", "de", "du",
    "the"); prose has pronouns, auxiliaries and adverbs too ("Oxfam and CARE
    were consulted", "we worked with"). Lower-case content words do not tell
    (French and Spanish names are written in sentence case), nor do asides in
    parentheses. A sentence whose opening is not a name is prose.
    """
    text = _PARENTHETICAL.sub(" ", sentence)
    words = _TOKEN.findall(text)
    opening, comma, rest = text.partition(",")
    if not words or opens_like_prose(opening, rest if comma else None):
        return False
    inner = _name_words()
    return not any(is_function_word(w) and w.lower() not in inner for w in words if not w[0].isupper())


@lru_cache(maxsize=1)
def _stop_words() -> frozenset[str]:
    return frozenset().union(*(_spacy_stop_words(lang) for lang in _LANGUAGES))


@cache
def _spacy_stop_words(lang: str) -> frozenset[str]:
    """spaCy's stop words of ``lang``, read from its data file without importing spaCy (seconds a rebuild saves)."""
    spec = importlib.util.find_spec("spacy")
    if spec is None or not spec.submodule_search_locations:
        return frozenset()
    path = Path(next(iter(spec.submodule_search_locations))) / "lang" / lang / "stop_words.py"
    return frozenset(runpy.run_path(str(path))["STOP_WORDS"]) if path.is_file() else frozenset()


@lru_cache(maxsize=1)
def _english_or_connector() -> frozenset[str]:
    """Function words that open prose even before a capitalised word: English ones and connectors."""
    return _spacy_stop_words("en") | frozenset(w.lower() for w in lexicon.words("connectors", use="name"))


@lru_cache(maxsize=1)
def _name_words() -> frozenset[str]:
    """The function words names and lists hold: connectors, articles and list endings ("etc.", "entre otros")."""
    endings = {w.lower().strip(".") for term in lexicon.words("list_endings") for w in term.split()}
    return frozenset(w.lower() for w in lexicon.words("connectors", use="name")) | _articles() | endings


@lru_cache(maxsize=1)
def _articles() -> frozenset[str]:
    return frozenset(w.lower() for w in lexicon.words("articles", use="name"))


def _opening_function_word(word: str) -> bool:
    """A function word that opens prose: an English one, or a short one of another language ("con", "para").

    Longer stop words of Spanish, French and Portuguese are often the first
    word of a name ("Local government of Rocha", "Inclusive and ... Team").
    """
    if word in _articles() or not is_function_word(word) or word in lexicon.word_set("openers", use="not_opener"):
        return False  # ... or a clitic spaCy lists ("ca" of "can't"), which opens names such as "Ca Mau"
    return word in _english_or_connector() or len(word) <= 4


def _is_verb_form(word: str) -> bool:
    """A participle or gerund by its ending ("Collaborated", "Working", "Trabajando"), in any case."""
    lowered = word.lower()
    return len(lowered) > 4 and lowered.endswith(lexicon.words("openers", use="verb_ending"))


def _is_gerund(word: str) -> bool:
    lowered = word.lower()
    return len(lowered) > 5 and lowered.endswith(lexicon.words("openers", use="gerund_ending"))


def _is_adverb(word: str, after: str) -> bool:
    lowered = word.lower()
    following = after.split()
    return lowered in lexicon.word_set("openers", use="opener") or (
        word[1:].islower()
        and lowered.endswith(lexicon.words("openers", use="ending"))
        and bool(following)
        and following[0][0].islower()
    )
