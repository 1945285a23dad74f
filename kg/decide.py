"""Decide which candidate partners are partners of the form, and the sector of each.

Rules, the gazetteer and spaCy NER propose candidates (kg.extract); this
module decides. Three things are never partners, whatever else is said of
them: the form's author (the lab, "Acc Lab", UNDP itself), a bare "UN" that
names no entity, and a country on its own; their wordings are in
``ontology/lexicon/not_partners.tsv``. Every other candidate is kept when a
logistic model, trained on hand-annotated forms by ``kg train``, gives it a
probability at or above the model's threshold. The model reads the
candidate's words, its shape, the question it answers, how it was proposed
and its line. A second model gives a sector to a partner whose form states
none and whom the gazetteer does not know, from the words of its name.

Both models are plain weight tables (``kg/models/*.json``), read without any
learning library, so a build needs nothing beyond the package and stays
deterministic.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

from kg import lexicon
from kg.countries import resolve_country
from kg.lexicon import table
from kg.names import is_acronym, is_cut_short, is_generic, looks_like_name, looks_like_organisation
from kg.partners import joins_organisations
from kg.vocab import fold, gazetteer_entry, infer_sector, sector_from_label

__all__ = [
    "MODEL_DIR",
    "LinearModel",
    "candidate_features",
    "name_features",
    "context_features",
    "is_author",
    "is_bare_kind",
    "is_bare_un",
    "is_country",
    "is_sector_list",
    "never_partner",
    "decision_model",
    "sector_model",
]

MODEL_DIR = Path(__file__).resolve().parent / "models"
_WORD = re.compile(r"[^\W_]+")
_AROUND = 80  # characters read on each side of a candidate: enough for two words, and fold() is slow on whole lines
_NEXT_WORD = re.compile(r"\s*([^\W\d_][\w'’-]*)")  # the word right after a name, no punctuation between
_LAST_WORD = re.compile(r"([^\W\d_][\w'’.-]*)\s*$")  # the word right before a name, no punctuation between
_SENTENCE_BEFORE = re.compile(r"(?:^|[.!?:;>]|^\s*[-*•·]|\d[.)])\s*(?:[\"“«‘]\s*)?$")  # a sentence opens here


@dataclass(frozen=True)
class LinearModel:
    """A logistic model as a weight table: one weight vector per class, or one vector for yes/no."""

    classes: tuple[str, ...]
    weights: dict[str, dict[str, float]]
    bias: dict[str, float]
    threshold: float = 0.5

    def probability(self, features: dict[str, float]) -> float:
        """P(yes) of a yes/no model."""
        return _sigmoid(self._score("yes", features))

    def best(self, features: dict[str, float]) -> tuple[str, float]:
        """The most probable class of a multi-class model and its probability (softmax)."""
        scores = {c: self._score(c, features) for c in self.classes}
        top = max(self.classes, key=lambda c: (scores[c], c))
        total = sum(math.exp(v - scores[top]) for v in scores.values())
        return top, 1.0 / total

    def _score(self, label: str, features: dict[str, float]) -> float:
        weights = self.weights[label]
        return self.bias[label] + sum(weights.get(name, 0.0) * value for name, value in features.items())

    @classmethod
    def load(cls, path: Path) -> LinearModel:
        """Read a model written by :func:`kg.train.save_model`."""
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(tuple(data["classes"]), data["weights"], data["bias"], data.get("threshold", 0.5))


def decision_model() -> LinearModel | None:
    """The shipped keep/drop model, or None when the package has none (rules alone decide)."""
    return _load("partner_decision.json")


def sector_model() -> LinearModel | None:
    """The shipped sector model, or None."""
    return _load("partner_sector.json")


def never_partner(name: str, country: str = "") -> str:
    """Why ``name`` can never be a partner of a form from ``country`` ("author", "bare-un", "country", "kind",
    "sectors"), else ''."""
    if is_author(name, country):
        return "author"
    if is_bare_un(name):
        return "bare-un"
    if is_country(name):
        return "country"
    if is_bare_kind(name):
        return "kind"
    if is_sector_list(name, country):
        return "sectors"
    return ""


def is_bare_kind(name: str) -> bool:
    """True for a kind of organisation alone ("ONG", "NGO", "Start-up", "Foundation"): it names none."""
    return _key(name).rstrip("s") in _kind_words() or _key(name) in _kind_words()


def is_sector_list(name: str, country: str = "") -> bool:
    """True for a sector word alone ("Gobierno", "Private sector") or sector words and the author run together
    ("UNDP/Government/Civil Society"): no organisation."""
    parts = [p.strip() for p in re.split(r"\s*[/,;&]\s*|\s+(?:and|y|et)\s+", name) if p.strip()]
    return bool(parts) and all(sector_from_label(p) or is_author(p, country) or is_bare_un(p) for p in parts)


def is_author(name: str, country: str = "") -> bool:
    """True for the lab itself or UNDP itself, the form's author; another country's lab is not the author."""
    key = _key(name)
    if _patterns()["lab"].fullmatch(key):
        return True
    head = key.rpartition(" ")[0]
    while head:
        if _patterns()["lab"].fullmatch(head):
            place = resolve_country(key[len(head) + 1 :])
            return place is not None and (not country or place.iso3 == country)
        head, _, _ = head.rpartition(" ")
    return False


def is_bare_un(name: str) -> bool:
    """True for "UN", "United Nations", "UN agencies"...: no particular entity."""
    return bool(_patterns()["bare-un"].fullmatch(_key(name)))


def is_country(name: str) -> bool:
    """True when the whole name is a country ("Antigua & Barbuda"), not an organisation of one."""
    words = name.split()
    if not 0 < len(words) <= 5 or looks_like_organisation(name):
        return False
    return resolve_country(name) is not None or resolve_country(name.replace("&", "and")) is not None


def candidate_features(
    name: str,
    source: str,
    question_kind: str,
    family: str,
    line_text: str,
    rule_ok: bool,
    on_line: int,
    has_sector: bool,
    span_found: bool = False,
) -> dict[str, float]:
    """The features the keep/drop model reads for one candidate partner.

    ``source`` says how it was proposed (a list answer, a quoted name, a NER
    span in prose...), ``question_kind`` which partner question it answers,
    ``line_text`` the line it stands on, ``on_line`` how many candidates
    that line gave and ``span_found`` whether the span model of
    :mod:`kg.spans` found it.
    """
    words = _WORD.findall(fold(name))
    raw = name.split()
    capitalised = sum(1 for w in raw if w[:1].isupper() or not w[:1].isalpha())
    line_key = _key(re.sub(r"^\s*(?:[-*•·]+|\d{1,2}[.)])\s*", "", line_text))
    at = line_text.find(name)
    before = fold(line_text[: max(at, 0)]).split()[-1:] or ["^"]
    after = _WORD.findall(fold(line_text[at + len(name) :]))[:1] if at >= 0 else []
    features = {
        f"source={source}": 1.0,
        f"question={question_kind}": 1.0,
        f"family={family}": 1.0,
        f"rule_ok={rule_ok}": 1.0,
        f"words={min(len(raw), 9)}": 1.0,
        "capitalised": capitalised / len(raw) if raw else 0.0,
        "whole_line": float(_key(name) == line_key),
        f"on_line={min(on_line, 6)}": 1.0,
        "acronym": float(is_acronym(name)),
        "gazetteer": float(gazetteer_entry(name) is not None),
        "org_keyword": float(looks_like_organisation(name)),
        "generic": float(is_generic(name)),
        "looks_like_name": float(looks_like_name(name)),
        "cut_short": float(is_cut_short(name)),
        "digit": float(any(c.isdigit() for c in name)),
        "lower_start": float(name[:1].islower()),
        "sector_known": float(has_sector),
        "rule_sector": float(infer_sector(name) is not None),
        f"before={before[0]}": 1.0,
        f"after={after[0] if after else '$'}": 1.0,
        f"span_found={span_found}": 1.0,
        f"span_found={span_found},source={source}": 1.0,
        "opens_sentence": float(at >= 0 and _SENTENCE_BEFORE.search(line_text[:at]) is not None),
    }
    for word in words:
        features[f"w={word}"] = 1.0
    if words:
        features[f"first={words[0]}"] = 1.0
        features[f"last={words[-1]}"] = 1.0
    if at >= 0:
        features.update(_surroundings(line_text[:at], line_text[at + len(name) :]))
    features["joined"] = float(joins_organisations(name))
    return features


def name_features(name: str) -> dict[str, float]:
    """The features the sector model reads: the name's words, word pairs and word endings."""
    words = _WORD.findall(fold(name))
    features: dict[str, float] = {}
    for i, word in enumerate(words):
        features[f"w={word}"] = 1.0
        if len(word) > 4:
            features[f"suffix={word[-4:]}"] = 1.0
        if i:
            features[f"pair={words[i - 1]}_{word}"] = 1.0
    if words:
        features[f"first={words[0]}"] = 1.0
        features[f"last={words[-1]}"] = 1.0
    if is_acronym(name):
        features["acronym"] = 1.0
    return features


def context_features(text: str, name: str) -> dict[str, float]:
    """The words around a name (its sentence or its description), less the name's own words, for the sector model.

    "Nama, a local start-up, ..." and "Private company that ..." say the
    sector where the name alone does not.
    """
    own = set(_WORD.findall(fold(name)))
    words = [w for w in _WORD.findall(fold(text))[:60] if w not in own and len(w) > 2]
    return {f"ctx={word}": 1.0 for word in words}


def _surroundings(before: str, after: str) -> dict[str, float]:
    """The words around a candidate on its line, and whether its ends cut a run of words.

    A name that a lowercase word continues ("Ministry of Economic Development
    and Poverty" | "reduction") or a capitalised word borders is likely cut
    at the wrong place; the two words on each side and the words just before
    it say how the line introduces it ("worked with", "such as").
    """
    left, right = _WORD.findall(fold(before[-_AROUND:])), _WORD.findall(fold(after[:_AROUND]))
    next_word = _NEXT_WORD.match(after)
    last_word = _LAST_WORD.search(before)
    features = {
        "after_lower": float(next_word is not None and next_word.group(1)[:1].islower()),
        "after_capital": float(next_word is not None and next_word.group(1)[:1].isupper()),
        "before_capital": float(last_word is not None and last_word.group(1)[:1].isupper()),
    }
    if len(left) >= 2:
        features[f"before2={left[-2]}_{left[-1]}"] = 1.0
    if len(right) >= 2:
        features[f"after2={right[0]}_{right[1]}"] = 1.0
    for word in _WORD.findall(fold(before[-40:])):
        features[f"near={word}"] = 0.5
    return features


@cache
def _load(name: str) -> LinearModel | None:
    path = MODEL_DIR / name
    return LinearModel.load(path) if path.is_file() else None


@lru_cache(maxsize=1)
def _kind_words() -> frozenset[str]:
    return frozenset(_key(w) for w in lexicon.words("org_kinds"))


@lru_cache(maxsize=1)
def _patterns() -> dict[str, re.Pattern[str]]:
    kinds: dict[str, list[str]] = {}
    for row in table("not_partners"):
        kinds.setdefault(row["kind"], []).append(row["pattern"])
    return {kind: re.compile("|".join(f"(?:{p})" for p in patterns)) for kind, patterns in kinds.items()}


def _key(text: str) -> str:
    """Folded words only, one space apart: the form the lexicon's patterns match."""
    return " ".join(_WORD.findall(fold(text)))


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x)) if x > -60 else 0.0
