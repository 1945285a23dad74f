"""Partner names in partner answers, found by a trained span model.

The 2021-23 closing forms name their partners in prose and in lists without
separators ("Riziki Source, Action for Children with Disabilities Signs TV"),
where capitalised-run rules and a general NER model miss most of them. A
spaCy ``ner`` component with one label, ``PARTNER``, trained by
``kg train`` on the hand-annotated answer lines of the gold's train split
(:mod:`kg.span_training`), reads every line of a partner answer. Its spans
are candidates, like those of the rules and the gazetteer: the keep/drop
model of :mod:`kg.decide` judges them, and it knows which candidates the
span model also found.

The model ships in ``kg/models/partner_spans/`` and loads offline, once per
process. Without it (or without spaCy) :func:`find_partner_spans` finds
nothing and extraction falls back to the other candidates.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from kg.decide import MODEL_DIR
from kg.vocab import cut_unbalanced

__all__ = ["PartnerSpan", "balanced", "find_partner_spans", "use_span_model", "SPAN_MODEL_DIR", "LABEL"]

SPAN_MODEL_DIR = MODEL_DIR / "partner_spans"
LABEL = "PARTNER"
_BATCH = 128
_current: list[Path | None] = [SPAN_MODEL_DIR]  # the pipeline :func:`find_partner_spans` reads with


@dataclass(frozen=True)
class PartnerSpan:
    """A partner name the span model found in a line: its words and character offsets."""

    text: str
    start: int
    end: int


def find_partner_spans(texts: list[str]) -> list[list[PartnerSpan]]:
    """The partner names the span model finds in each of ``texts`` (each text read once)."""
    nlp = _pipeline(_current[0])
    if nlp is None:
        return [[] for _ in texts]
    unique = list(dict.fromkeys(texts))
    found = {
        text: [balanced(text, e.start_char, e.end_char) for e in doc.ents if e.label_ == LABEL]
        for text, doc in zip(unique, nlp.pipe(unique, batch_size=_BATCH), strict=True)
    }
    return [found[text] for text in texts]


def balanced(text: str, start: int, end: int) -> PartnerSpan:
    """The span ``text[start:end]`` with its brackets closed: taken to the closing one that follows it, else cut.

    Tokens end a span before a closing bracket: "Municipality (Environment
    Secretariat" is "Municipality (Environment Secretariat)" when the line
    goes on with ")", and "Municipality" when it does not.
    """
    words = text[start:end]
    if words.count("(") <= words.count(")"):
        return PartnerSpan(words, start, end)
    rest = text[end:]
    if rest.lstrip(" ").startswith(")"):
        end += len(rest) - len(rest.lstrip(" ")) + 1
        return PartnerSpan(text[start:end], start, end)
    words = cut_unbalanced(words)
    return PartnerSpan(words, start, start + len(words))


def use_span_model(path: Path | None) -> Path | None:
    """Read spans with the pipeline at ``path`` from now on (``None``: none); return the one used before.

    Training uses it to read each fold's forms with a model that never saw them.
    """
    before, _current[0] = _current[0], path
    return before


@lru_cache(maxsize=4)
def _pipeline(path: Path | None):
    if path is None or not (path / "meta.json").is_file():
        return None
    try:
        import spacy
    except ImportError:
        return None
    return spacy.load(path)
