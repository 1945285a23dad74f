"""Which learning plan each closing form closes: evidence, a confidence and the link.

A lab writes a learning plan for a challenge, then a closing form reporting on
it. Nothing in the forms says which plan a closing form closes, so this
stage weighs the evidence a reader would use, for every plan of the same
country written before or in the closing form's year:

* ``title``: the content words and years the two titles share (template words such as
  "closing", "form", "learning plan" left out, ``ontology/lexicon/template_words.tsv``);
* ``text``: how alike the two forms' words are (tf-idf cosine over the forms of the country);
* ``stems``: the same over the words' first five letters, so that cognates
  across languages ("financiación", "financing") and a word's forms meet;
* ``actions``: the share of the closing form's actions named like an action of the plan;
* ``partners`` and ``methods``: the share of the closing form's partners and methods the plan names too;
* ``focal_point``: both forms give the same focal point (compared as given, or
  as pseudonymised: the same address gives the same pseudonym);
* ``same_year``: the plan is of the closing form's year (else of an earlier one);
* ``usual_gap``: the years are those the template usually reports on (a
  2021-23 closing form on the year before's plan, a 2023-25 one on its own
  year's);
* ``title_lead``, ``text_lead`` and ``stems_lead``: how far the plan's title,
  text and stems evidence lead the best other candidate's (a plan much more
  alike than the others is the one, even when a translation or a new title
  keeps the words apart);
* ``plan_lead``: how far the closing form's text evidence leads that of the
  plan's best other closing form (a plan is usually closed once: by the
  closing form most like it).

Weights learnt from hand-made links (``kg train tests/gold/links``,
:mod:`kg.train_links`; kept in ``kg/models/links.json``) turn the evidence
into a confidence (a logistic function); a closing form is linked to its
most likely plan when the confidence reaches the model's threshold, else to
none.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from rapidfuzz import fuzz

from kg import lexicon
from kg.extract import Extraction
from kg.function_words import is_function_word
from kg.vocab import fold

__all__ = [
    "Link",
    "link_plans",
    "evidence",
    "evidence_of",
    "candidates",
    "confidence",
    "logistic",
    "content_words",
    "stem_counts",
    "is_linked",
    "FEATURES",
    "LINK_MODEL",
]

FEATURES = (
    "title",
    "text",
    "actions",
    "partners",
    "methods",
    "focal_point",
    "same_year",
    "usual_gap",
    "title_lead",
    "text_lead",
    "plan_lead",
    "stems",
    "stems_lead",
)
LINK_MODEL = Path(__file__).resolve().parent / "models" / "links.json"
STEM_LETTERS = 5
ACTION_MATCH = 80.0  # rapidfuzz token_set_ratio from which two action names are the same action


@dataclass(frozen=True)
class Link:
    """A closing form (``closing``, its path) that closes a learning plan (``plan``), how sure, and why."""

    closing: str
    plan: str
    confidence: float
    evidence: tuple[tuple[str, float], ...]


def link_plans(extractions: Iterable[Extraction], words: dict[str, Counter[str]] | None = None) -> list[Link]:
    """Link each closing form of ``extractions`` to the learning plan it most likely closes, if any.

    Plans are looked for among ``extractions`` of the same country, written
    in or before the closing form's year (:func:`candidates`). ``words``
    holds forms' :func:`content_words` by path, when the caller has them.
    Links are sorted by closing form.
    """
    docs = sorted(extractions, key=lambda d: d.path)
    found = evidence_of(docs, words)
    by_closing: dict[str, list[tuple[float, str]]] = {}
    for (closing, plan), pair in found.items():  # candidates in path order, closing forms too
        by_closing.setdefault(closing, []).append((confidence(pair), plan))
    threshold = _model()["threshold"]
    links = []
    for closing, scored in sorted(by_closing.items()):
        best, path = max(scored, key=lambda pair: pair[0])  # the first of equals: plans come in path order
        if best >= threshold:
            links.append(Link(closing, path, round(best, 4), tuple(sorted(found[(closing, path)].items()))))
    return links


def evidence_of(
    extractions: list[Extraction], known: dict[str, Counter[str]] | None = None
) -> dict[tuple[str, str], dict[str, float]]:
    """The evidence (:func:`evidence`) of every closing form for each of its candidate plans, by their paths.

    Words are weighed (tf-idf) over the forms of the closing form's country;
    ``known`` holds forms' :func:`content_words` by path, when the caller has them.
    """
    plans = [d for d in extractions if d.family == "learning_plan"]
    closing = [d for d in extractions if d.family.startswith("closing_form")]
    known = known or {}
    words = {d.path: known[d.path] if d.path in known else content_words(d) for d in plans + closing}
    by_country: dict[str, _Weights] = {}
    found = {}
    for doc in closing:
        if doc.country not in by_country:
            same = [words[d.path] for d in plans + closing if d.country == doc.country]
            by_country[doc.country] = _Weights(same)
        mine = {plan.path: evidence(doc, plan, by_country[doc.country], words) for plan in candidates(doc, plans)}
        for path, pair in mine.items():
            others = [other for key, other in mine.items() if key != path]
            for name in ("title", "text", "stems"):
                pair[f"{name}_lead"] = pair[name] - max((other[name] for other in others), default=0.0)
            found[(doc.path, path)] = pair
    _add_plan_leads(found)
    return found


def _add_plan_leads(found: dict[tuple[str, str], dict[str, float]]) -> None:
    """How far each closing form's text evidence for a plan leads the plan's best other closing form's.

    A plan is usually closed by one closing form: the one that reads most like it is the likelier.
    """
    by_plan: dict[str, list[tuple[str, float]]] = {}
    for (closing, plan), pair in found.items():
        by_plan.setdefault(plan, []).append((closing, pair["text"]))
    for (closing, plan), pair in found.items():
        others = [text for other, text in by_plan[plan] if other != closing]
        pair["plan_lead"] = pair["text"] - max(others, default=0.0)


def is_linked(doc: Extraction) -> bool:
    """Whether the linker reads ``doc``: a learning plan or a closing form."""
    return doc.family == "learning_plan" or doc.family.startswith("closing_form")


def evidence(
    closing: Extraction, plan: Extraction, weights: _Weights | None = None, words: dict[str, Counter[str]] | None = None
) -> dict[str, float]:
    """Each kind of evidence that ``closing`` reports on ``plan``, from 0 to 1 (the leads: :func:`evidence_of`).

    ``weights`` weighs words over the forms being linked (default: these two)
    and ``words`` holds each form's content words by path, when known.
    """
    mine = words[closing.path] if words else content_words(closing)
    theirs = words[plan.path] if words else content_words(plan)
    weights = weights or _Weights([mine, theirs])
    return {
        "title": _jaccard(_title_words(closing.title), _title_words(plan.title)),
        "text": weights.words.cosine(mine, theirs),
        "stems": weights.stems.cosine(weights.stems_of(mine), weights.stems_of(theirs)),
        "actions": _shared_actions(closing, plan),
        "partners": _covered({fold(p.name) for p in closing.partnerships}, {fold(p.name) for p in plan.partnerships}),
        "methods": _covered({fold(m) for m, _ in closing.methods}, {fold(m) for m, _ in plan.methods}),
        "focal_point": float(bool(closing.focal_point) and fold(closing.focal_point) == fold(plan.focal_point)),
        "same_year": float(closing.year is not None and closing.year == plan.year),
        "usual_gap": float(_usual_gap(closing, plan)),
    }


def confidence(found: dict[str, float]) -> float:
    """The probability of a link given its evidence: the logistic function of the model's weighted evidence."""
    model = _model()
    return logistic(model["bias"] + sum(weight * found.get(name, 0.0) for name, weight in model["weights"].items()))


def logistic(score: float) -> float:
    """The logistic function: log-odds to a probability."""
    return 1.0 / (1.0 + math.exp(-score))


def candidates(closing: Extraction, plans: list[Extraction]) -> list[Extraction]:
    """The plans ``closing`` may close: those of its country, not written after it (none without a country)."""
    if not closing.country:
        return []
    return [
        plan
        for plan in plans
        if plan.country == closing.country and (closing.year is None or plan.year is None or plan.year <= closing.year)
    ]


@lru_cache(maxsize=1)
def _model() -> dict:
    """The linker's weights, bias and threshold (``kg/models/links.json``)."""
    return json.loads(LINK_MODEL.read_text(encoding="utf-8"))


def _usual_gap(closing: Extraction, plan: Extraction) -> bool:
    """A 2021-23 closing form with the year before's plan, or a 2023-25 one with its own year's."""
    if closing.year is None or plan.year is None:
        return False
    return closing.year - plan.year == (1 if closing.family == "closing_form_2021" else 0)


def _shared_actions(closing: Extraction, plan: Extraction) -> float:
    """The share of the closing form's actions named like the plan's title or one of its actions.

    Learning plans name no actions (they ask learning questions), but a plan
    is often named after the action its closing form reports: "THINKIA -
    CITIZEN LAB" closes the plan "Thinkia: citizen lab".
    """
    names = [fold(a.name) for a in closing.actions if a.name]
    theirs = [fold(name) for name in (plan.title, *(a.name for a in plan.actions)) if name]
    if not names or not theirs:
        return 0.0
    same = sum(1 for name in names if max(fuzz.token_set_ratio(name, other) for other in theirs) >= ACTION_MATCH)
    return same / len(names)


def _covered(mine: set[str], theirs: set[str]) -> float:
    """The share of ``mine`` that ``theirs`` holds too (0 when either is empty)."""
    return len(mine & theirs) / len(mine) if mine and theirs else 0.0


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def _title_words(title: str) -> set[str]:
    """A title's content words and the years it names ("Action plan 2022" is not "Action plan 2023")."""
    words = {word for word in _content_words(title) if word not in _template_words()}
    return words | set(_YEAR.findall(title))


def content_words(doc: Extraction) -> Counter[str]:
    """The content words of a form (its title, answers and action names) and how often it writes each."""
    texts = [doc.title, *(a.name for a in doc.actions)]
    texts.extend(line.text for item in doc.items for line in item.content_lines())
    return Counter(word for text in texts for word in _content_words(text) if word not in _template_words())


def stem_counts(words: Counter[str]) -> Counter[str]:
    """Content words cut to their first five letters: cognates across languages and a word's forms meet."""
    stems: Counter[str] = Counter()
    for word, count in words.items():
        stems[word[:STEM_LETTERS]] += count
    return stems


def _content_words(text: str) -> list[str]:
    return [word for word in _WORD.findall(fold(text)) if len(word) > 2 and not is_function_word(word)]


@lru_cache(maxsize=1)
def _template_words() -> frozenset[str]:
    return frozenset(fold(word) for word in lexicon.words("template_words"))


_WORD = re.compile(r"[^\W\d_]+")
_YEAR = re.compile(r"\b20[1-3]\d\b")


class _Weights:
    """The word and stem weights of one country's forms, and each form's stems, made once."""

    def __init__(self, forms: list[Counter[str]]) -> None:
        self._stems = {id(words): stem_counts(words) for words in forms}
        self.words = _TfIdf(forms)
        self.stems = _TfIdf(list(self._stems.values()))

    def stems_of(self, words: Counter[str]) -> Counter[str]:
        """The stems (:func:`stem_counts`) of the words of a form weighed here: one object per form, kept."""
        return self._stems[id(words)]


class _TfIdf:
    """Word weights over a set of forms: a word many forms write says little about which forms belong together."""

    def __init__(self, forms: list[Counter[str]]) -> None:
        seen = Counter(word for words in forms for word in words)
        self.idf = {word: math.log((1 + len(forms)) / (1 + n)) + 1.0 for word, n in seen.items()}
        self.top = max(self.idf.values(), default=1.0)  # the weight of a word none of the forms writes
        self._vectors: dict[int, tuple[dict[str, float], float]] = {}  # by id of a form's words: vector, norm

    def cosine(self, a: Counter[str], b: Counter[str]) -> float:
        """The cosine of two forms' tf-idf vectors (0 when either is empty)."""
        (va, na), (vb, nb) = self._vector(a), self._vector(b)
        dot = sum(weight * vb[word] for word, weight in va.items() if word in vb)
        return dot / (na * nb) if na and nb else 0.0

    def _vector(self, words: Counter[str]) -> tuple[dict[str, float], float]:
        """A form's tf-idf vector and its norm, made once per form (a closing form meets every candidate)."""
        found = self._vectors.get(id(words))
        if found is None:
            vector = {word: (1 + math.log(n)) * self.idf.get(word, self.top) for word, n in words.items()}
            found = self._vectors[id(words)] = (vector, math.sqrt(sum(w * w for w in vector.values())))
        return found
