"""Tell the language a form's answers are written in, from the share of each language's stop words.

The archive's forms are in English, Spanish, French and Portuguese, often
with English questions over answers in another language, so only the answers
are read. The stop words live in ``ontology/lexicon/stopwords.tsv``; a word
that is a stop word in several languages counts for none of them.
"""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache

from kg.forms import Form
from kg.lexicon import table

__all__ = ["detect_language", "detect_text_language"]

_WORD = re.compile(r"[^\W\d_]+")


def detect_language(form: Form) -> str:
    """The ISO 639-1 code of the language most of ``form``'s answers are in ("en" when it cannot tell)."""
    return detect_text_language(" ".join(line.text for item in form.items for line in item.content_lines()))


def detect_text_language(text: str) -> str:
    """The ISO 639-1 code of the language ``text`` is mostly in ("en" when it cannot tell)."""
    words = _stop_words()
    counts = Counter(words[w] for w in _WORD.findall(text.lower()) if w in words)
    if not counts:
        return "en"
    return min(counts, key=lambda lang: (-counts[lang], lang))


@lru_cache(maxsize=1)
def _stop_words() -> dict[str, str]:
    """Each stop word and its language, less words shared by two languages."""
    seen: dict[str, set[str]] = {}
    for row in table("stopwords"):
        seen.setdefault(row["term"], set()).add(row["lang"])
    return {term: langs.pop() for term, langs in seen.items() if len(langs) == 1}
