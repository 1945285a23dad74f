"""Score the closing-form links (:mod:`kg.links`) against hand-made gold links (``tests/gold/links/``).

Each gold file names a closing form and the learning plans it closes (often
one, sometimes none). Every form of the gold forms' countries is read from
the corpus and extracted, the linker links them, and each closing form's
predicted plans are compared with its gold ones: precision and recall over
links, with 95 % bootstrap intervals over closing forms. The test split is
read only when asked for by name (:func:`kg.evaluate.load_gold`).
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from pathlib import Path

from kg.evaluate import BOOTSTRAP_SAMPLES, BOOTSTRAP_SEED, Interval, Score, load_gold, percentile_interval
from kg.extract import Extraction, extract_many
from kg.forms import read_form
from kg.links import Link, link_plans

__all__ = ["LinkResult", "LinkEvaluation", "evaluate_links", "is_link_gold", "country_forms"]


@dataclass
class LinkResult:
    """One gold closing form: the plans it closes, the plans linked, and the links' evidence."""

    file: str
    gold: list[str]
    predicted: list[str]
    links: list[Link] = field(default_factory=list)

    @property
    def score(self) -> Score:
        """True and false links of this form, and the links missed."""
        right = set(self.gold) & set(self.predicted)
        return Score(len(right), len(set(self.predicted) - right), len(set(self.gold) - right))


@dataclass
class LinkEvaluation:
    """Links scored over every gold closing form, with 95 % bootstrap intervals over forms."""

    forms: list[LinkResult]
    total: Score
    intervals: dict[str, Interval]

    def as_dict(self) -> dict:
        """A JSON-ready summary: the scores, their intervals, and each closing form's gold and linked plans."""
        total = self.total
        return {
            "links": {
                "precision": total.precision,
                "recall": total.recall,
                "f1": total.f1,
                "tp": total.tp,
                "fp": total.fp,
                "fn": total.fn,
            },
            "intervals": {name: [i.low, i.high] for name, i in self.intervals.items()},
            "forms": [{"file": f.file, "gold": f.gold, "linked": f.predicted} for f in self.forms],
        }


def is_link_gold(gold_dir: Path) -> bool:
    """True when ``gold_dir`` holds link annotations (a ``closes`` list) rather than partner ones."""
    first = next(iter(sorted(gold_dir.glob("*/*.json")) + sorted(gold_dir.glob("*.json"))), None)
    if first is None:
        return False
    try:
        return "closes" in json.loads(first.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False


def evaluate_links(gold_dir: Path, corpus_dir: Path, split: str | None = None) -> LinkEvaluation:
    """Link every closing form and plan of the gold forms' countries and score the gold closing forms' links."""
    gold = load_gold(gold_dir, split)
    links = link_plans(country_forms(corpus_dir, {g["country"] for g in gold}))
    by_closing: dict[str, list[Link]] = {}
    for link in links:
        by_closing.setdefault(link.closing, []).append(link)
    results = [
        LinkResult(
            g["file"],
            sorted(g["closes"]),
            sorted(lk.plan for lk in by_closing.get(g["file"], [])),
            by_closing.get(g["file"], []),
        )
        for g in gold
    ]
    return LinkEvaluation(results, _sum(results), _intervals(results))


def country_forms(corpus_dir: Path, countries: set[str]) -> list[Extraction]:
    """Every learning-plan form (plans and closing forms) of ``countries`` in the corpus, extracted."""
    forms = []
    for path in sorted(corpus_dir.glob("*.md")):
        form = read_form(path, path.name)
        country, kind = form.first_tag("country"), form.first_tag("type")
        if country and country.value.strip() in countries and kind and kind.value.replace(" ", "") == "learningplan":
            forms.append(form)
    return extract_many(forms)


def _sum(results: list[LinkResult]) -> Score:
    total = Score()
    for result in results:
        total.add(result.score)
    return total


def _intervals(results: list[LinkResult]) -> dict[str, Interval]:
    """95 % percentile intervals of precision, recall and F1, resampling closing forms (seeded)."""
    rng = random.Random(BOOTSTRAP_SEED)
    samples: dict[str, list[float]] = {"precision": [], "recall": [], "f1": []}
    for _ in range(BOOTSTRAP_SAMPLES):
        total = _sum([rng.choice(results) for _ in results])
        samples["precision"].append(total.precision)
        samples["recall"].append(total.recall)
        samples["f1"].append(total.f1)
    return {name: percentile_interval(values) for name, values in samples.items()}
