"""Train the closing-form linker's weights (:mod:`kg.links`) from the hand-made links of ``tests/gold/links/train``.

Every plan a gold closing form could close (:func:`kg.links.candidates`) is
an example, labelled by whether the form closes it, described by
:func:`kg.links.evidence`. A logistic regression learns the weights; its
regularisation and the confidence a closing form's best plan needs to be
linked are chosen by cross-validation over countries (a lab's forms are
never split across folds), for the best link F1 and then the higher
threshold. Only the ``train`` split is read. The same gold, corpus and seed
give the same file, byte for byte.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from kg.errors import InputError
from kg.evaluate import load_gold
from kg.evaluate_links import country_forms
from kg.links import FEATURES, LINK_MODEL, candidates, evidence_of, logistic
from kg.train import save_model

__all__ = ["LinkTrainingReport", "train_links"]

C_GRID = (0.3, 1.0, 3.0, 10.0, 30.0)
PRECISION_TARGET = 0.96
THRESHOLDS = tuple(round(0.05 * i, 2) for i in range(1, 15))
WEIGHT_DIGITS = 5


@dataclass
class LinkTrainingReport:
    """What the training read and chose: closing forms, candidate plans, links, C, threshold, cross-validated F1."""

    forms: int
    candidates: int
    links: int
    c: float
    threshold: float
    cv_f1: float
    cv_precision: float = 0.0
    cv_recall: float = 0.0


def train_links(gold_dir: Path, corpus_dir: Path, out: Path = LINK_MODEL, seed: int = 20261205) -> LinkTrainingReport:
    """Fit the linker's weights to the train links of ``gold_dir`` and write them to ``out``.

    Raises:
        InputError: if a gold closing form is missing from the corpus.
    """
    gold = load_gold(gold_dir, "train")
    examples = _examples(gold, corpus_dir)
    countries = sorted({country for country, _form, _rows in examples})
    scored = [(c, t, found) for c in C_GRID for t, found in _cross_validated(examples, countries, c, seed).items()]
    c, threshold, (precision, recall) = max(
        scored, key=lambda s: (s[2][0] >= PRECISION_TARGET, round(s[2][1], 6), round(s[2][0], 6), s[1], -s[0])
    )
    cv_f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    weights, bias = _fit([row for _c, _f, rows in examples for row in rows], c, seed)
    model = {
        "features": list(FEATURES),
        "weights": {name: round(w, WEIGHT_DIGITS) for name, w in zip(FEATURES, weights, strict=True)},
        "bias": round(bias, WEIGHT_DIGITS),
        "threshold": threshold,
        "trained_on": {"closing_forms": len(examples), "countries": len(countries), "c": c, "seed": seed},
    }
    save_model(model, out)
    rows = [row for _c, _f, rows in examples for row in rows]
    links = sum(label for _x, label in rows)
    return LinkTrainingReport(len(examples), len(rows), links, c, threshold, cv_f1, precision, recall)


def _examples(gold: list[dict], corpus_dir: Path) -> list[tuple[str, str, list[tuple[list[float], int]]]]:
    """Per gold closing form: its country, file, and each candidate plan's evidence with its label."""
    docs = {doc.path: doc for doc in country_forms(corpus_dir, {g["country"] for g in gold})}
    plans = [doc for doc in docs.values() if doc.family == "learning_plan"]
    found = evidence_of(list(docs.values()))
    examples = []
    for entry in gold:
        closing = docs.get(entry["file"])
        if closing is None:
            raise InputError(f"gold closing form {entry['file']} is not in {corpus_dir}")
        rows = [
            ([found[(closing.path, plan.path)][name] for name in FEATURES], int(plan.path in entry["closes"]))
            for plan in candidates(closing, plans)
        ]
        examples.append((entry["country"], entry["file"], rows))
    return examples


def _cross_validated(examples: list, countries: list[str], c: float, seed: int) -> dict[float, tuple[float, float]]:
    """Link precision and recall at each threshold; each closing form linked by weights fitted without its country."""
    counts = {threshold: [0, 0, 0] for threshold in THRESHOLDS}  # right, wrong, missed
    for country in countries:
        weights, bias = _fit([row for k, _f, rows in examples if k != country for row in rows], c, seed)
        for _k, _file, rows in (e for e in examples if e[0] == country):
            for threshold, tally in counts.items():
                for i, n in enumerate(_decide(rows, weights, bias, threshold)):
                    tally[i] += n
    return {
        threshold: ((tp / (tp + fp) if tp + fp else 1.0), (tp / (tp + fn) if tp + fn else 1.0))
        for threshold, (tp, fp, fn) in counts.items()
    }


def _decide(rows: list[tuple[list[float], int]], weights: list[float], bias: float, threshold: float):
    """Link the best candidate if sure enough: right, wrong and missed links."""
    gold = sum(label for _x, label in rows)
    if not rows:
        return 0, 0, gold
    scores = [logistic(bias + sum(w * x for w, x in zip(weights, xs, strict=True))) for xs, _y in rows]
    best = max(range(len(rows)), key=lambda i: scores[i])  # the first of equals: candidates come in path order
    score, label = scores[best], rows[best][1]
    if score < threshold:
        return 0, 0, gold
    return label, 1 - label, gold - label


def _fit(rows: list[tuple[list[float], int]], c: float, seed: int) -> tuple[list[float], float]:
    from sklearn.linear_model import LogisticRegression  # the train extra

    labels = [label for _x, label in rows]
    if len(set(labels)) < 2:
        return [0.0] * len(FEATURES), -10.0
    fit = LogisticRegression(C=c, solver="lbfgs", random_state=seed, max_iter=5000)
    fit.fit([x for x, _label in rows], labels)
    return [float(w) for w in fit.coef_[0]], float(fit.intercept_[0])
