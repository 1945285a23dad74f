"""Tell which questions ask for a form's partners, by their template wording or by their meaning.

The archive's templates ask for partners in a few fixed wordings (the
2023-25 groups' "Please state the name of the partner", the experiments'
"Please list the names of partners", the 2021-23 per-sector questions), kept
in ``ontology/lexicon/question_templates.tsv``. Labs also write their own
forms and questions ("Who did you collaborate with on this?", "Partenaires",
"¿Con qué socios trabajaron?"); such a question counts by its meaning when it
asks who or which (or lists, or names) partners or organisations, or who the
lab worked with, and does not ask about something else (their sector, their
role, how, why). The cue words, per language, are in
``ontology/lexicon/partner_questions.tsv``.
"""

from __future__ import annotations

import re
from functools import lru_cache

from kg.lexicon import table
from kg.vocab import fold

__all__ = ["partner_question_kind", "free_sector_of"]

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)?")


@lru_cache(maxsize=1 << 14)
def partner_question_kind(question: str) -> str:
    """What ``question`` asks for, as far as partners go.

    Returns ``"name"``, ``"list"``, ``"top"`` or ``"free-sector"`` for the
    templates' partner questions, ``"mention"`` for the "new and unusual
    partners" question (it names partners already listed), ``"meaning"`` for
    any other question that asks which partners the lab worked with, and
    ``""`` for everything else.
    """
    folded = fold(question).strip()
    for kind, pattern in _templates():
        if pattern.search(folded):
            return kind
    return "meaning" if _asks_for_partners(folded) else ""


def free_sector_of(question: str) -> str:
    """The sector word of a 2021-23 per-sector partner question ("government", "un internal"...), else ''."""
    folded = fold(question).strip()
    for kind, pattern in _templates():
        match = pattern.search(folded) if kind == "free-sector" else None
        if match:
            return match.group("sector")
    return ""


def _asks_for_partners(folded: str) -> bool:
    """True when a question in no template's wording asks which partners or organisations the lab worked with."""
    text = f" {' '.join(_WORD.findall(folded))} "
    cues = {cue: any(f" {term} " in text for term in terms) for cue, terms in _cues().items()}
    if cues["not"]:
        return False
    if text.strip() in _cues()["alone"]:
        return True  # a bare "Partners", "Key partners", "Partenaires" heading-question
    return (cues["noun"] and (cues["ask"] or cues["verb"])) or (cues["verb"] and cues["ask"])


@lru_cache(maxsize=1)
def _templates() -> tuple[tuple[str, re.Pattern[str]], ...]:
    return tuple((row["kind"], re.compile(row["pattern"])) for row in table("question_templates"))


@lru_cache(maxsize=1)
def _cues() -> dict[str, tuple[str, ...]]:
    cues: dict[str, list[str]] = {"noun": [], "verb": [], "ask": [], "not": [], "alone": []}
    for row in table("partner_questions"):
        cues[row["cue"]].append(" ".join(_WORD.findall(fold(row["term"]))))
    return {cue: tuple(dict.fromkeys(terms)) for cue, terms in cues.items()}
