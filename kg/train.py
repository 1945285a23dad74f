"""Train the three models of extraction from hand-annotated forms and the archive itself.

* **Spans.** The span model of :mod:`kg.spans` learns the partner names in
  every partner answer line of the ``train`` gold forms
  (:mod:`kg.span_training`). It is trained once on every form, to ship, and
  once per fold of forms (``SPAN_FOLDS``) on the other folds, so that each
  form's span candidates for the keep/drop model come from a model that never
  saw it.
* **Keep/drop.** Every candidate partner that the rules, the gazetteer and
  NER propose in a ``train`` gold form is labelled by matching it to the
  form's gold partners (as ``kg eval`` matches them). A logistic regression
  over :func:`kg.decide.candidate_features` learns which to keep; its
  regularisation and threshold are chosen by cross-validation over train
  forms (grouped by form), for the best partner F1 (see :func:`_choose`).
* **Sector.** Names with a sector come from the archive (the 2021-23
  per-sector answers, experiments that partner with one sector, group
  descriptions opening "Public sector - ...") and from the train gold. A
  multinomial logistic regression over :func:`kg.extract.sector_features`
  learns the sector from the name's words and its description.

Forms of the ``dev`` and ``test`` splits, and every form the draws list for
them, are never read for training. scikit-learn is needed only here (the
``train`` extra); the keep/drop and sector models are written as weight
tables that :class:`kg.decide.LinearModel` reads, the span model as a spaCy
pipeline. The same data and seed give the same files, byte for byte.
"""

from __future__ import annotations

import csv
import json
import random
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from kg.decide import MODEL_DIR, LinearModel
from kg.errors import InputError
from kg.evaluate import _match, load_gold
from kg.extract import extract_many, partner_candidates, sector_features, template_family
from kg.forms import read_form
from kg.span_training import span_examples, train_span_models
from kg.spans import SPAN_MODEL_DIR, use_span_model
from kg.vocab import gazetteer_entry, infer_sector

__all__ = ["TrainingReport", "train", "save_model", "DEFAULT_SEED"]

DEFAULT_SEED = 20261204
C_GRID = (0.03, 0.1, 0.3, 1.0, 3.0)
THRESHOLDS = tuple(round(0.2 + 0.05 * i, 2) for i in range(13))
FOLDS = 5
SPAN_FOLDS = 3
CV_TOLERANCE = 0.01
WEIGHT_DIGITS = 5
SECTOR_C = 1.0
SECTOR_CLASS_WEIGHT = None
KNOWN_WEIGHT = 0.2


@dataclass
class TrainingReport:
    """What training saw and chose."""

    forms: int
    candidates: int
    positives: int
    c: float
    threshold: float
    cv_f1: float
    sector_examples: int
    sector_classes: dict[str, int]
    span_lines: int
    spans: int


def train(gold_dir: Path, corpus_dir: Path, out_dir: Path = MODEL_DIR, seed: int = DEFAULT_SEED) -> TrainingReport:
    """Train both models on ``gold_dir``'s train split and the archive in ``corpus_dir``; write them to ``out_dir``.

    Raises:
        InputError: if scikit-learn is missing or a gold form is not in the corpus.
    """
    try:
        import sklearn  # noqa: F401
    except ImportError as exc:
        raise InputError("training needs scikit-learn: pip install -e '.[train]'") from exc
    gold = load_gold(gold_dir, "train")
    held_out = _held_out(gold_dir)
    forms = _read_forms(gold, corpus_dir)
    lines = _span_lines(gold, forms)
    with tempfile.TemporaryDirectory() as work:
        spans = Path(work) / SPAN_MODEL_DIR.name
        docs = _out_of_fold_candidates(forms, lines, seed, spans)
        rows, groups, labels, train_forms = _decision_examples(gold, forms, docs)
        c, threshold, cv_f1 = _choose(rows, labels, groups, seed, sum(len(entry.get("partners", [])) for entry in gold))
        decision = _fit_binary(rows, labels, c, seed)
        rows_s, sectors, weights = _sector_examples(train_forms, corpus_dir, held_out)
        sector = _fit_multiclass(rows_s, sectors, weights, seed)
        out_dir.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(out_dir / spans.name, ignore_errors=True)
        shutil.copytree(spans, out_dir / spans.name)
    save_model({**decision, "threshold": threshold}, out_dir / "partner_decision.json")
    save_model(sector, out_dir / "partner_sector.json")
    counts = {s: sectors.count(s) for s in sorted(set(sectors))}
    every_line = [doc for per_form in lines for doc in per_form]
    return TrainingReport(
        len(gold),
        len(rows),
        sum(labels),
        c,
        threshold,
        cv_f1,
        len(rows_s),
        counts,
        len(every_line),
        sum(len(doc.ents) for doc in every_line),
    )


def save_model(model: dict, path: Path) -> None:
    """Write a weight table as sorted, rounded JSON, so the same fit gives the same bytes."""
    path.write_text(json.dumps(model, sort_keys=True, ensure_ascii=False, indent=0) + "\n", encoding="utf-8")


def _held_out(gold_dir: Path) -> set[str]:
    """Files never read for training, by their file names only.

    They are the dev and test splits, and every form a draw put in dev or test
    unless it has since been moved to train (a retired test split is train).
    """
    names = {p.stem + ".md" for split in ("dev", "test") for p in (gold_dir / split).glob("*.json")}
    in_train = {p.stem + ".md" for p in (gold_dir / "train").glob("*.json")}
    draws = gold_dir / "draws"
    for table in sorted(draws.glob("round*.tsv")) if draws.is_dir() else []:
        with table.open(encoding="utf-8") as handle:
            for row in csv.DictReader(handle, delimiter="\t"):
                if row.get("split", "train") != "train" and row["file"] not in in_train:
                    names.add(row["file"])
    return names


def _read_forms(gold: list[dict], corpus_dir: Path) -> list:
    forms = []
    for entry in gold:
        path = corpus_dir / entry["file"]
        if not path.is_file():
            raise InputError(f"gold form {entry['file']} is not in {corpus_dir}")
        forms.append(read_form(path, entry["file"]))
    return forms


def _span_lines(gold: list[dict], forms: list) -> list[list]:
    """Each train form's partner answer lines with their gold spans (:func:`kg.span_training.span_examples`)."""
    import spacy

    nlp = spacy.blank("en")
    return [span_examples(entry, form, nlp) for entry, form in zip(gold, forms, strict=True)]


def _out_of_fold_candidates(forms: list, lines: list[list], seed: int, shipped: Path) -> list:
    """Every form's candidates, its span candidates found by a span model trained on the other folds' forms.

    A span model reading the lines it was trained on finds their partners
    almost perfectly; the keep/drop model must learn how far to trust it on
    forms it never saw, so each fold of forms is read by a model fitted to
    the others (cross-fitting, ``SPAN_FOLDS`` folds). The model fitted to
    every form is trained alongside them and written to ``shipped``.
    """
    folds = _folds(list(range(len(forms))), seed, SPAN_FOLDS)
    docs: list = [None] * len(forms)
    with tempfile.TemporaryDirectory() as work:
        places = [Path(work) / f"fold{index}" for index in range(len(folds))]
        jobs = [
            ([d for i, per_form in enumerate(lines) if i not in fold for d in per_form], place)
            for fold, place in zip(folds, places, strict=True)
        ]
        train_span_models([*jobs, ([d for per_form in lines for d in per_form], shipped)], seed)
        for fold, place in zip(folds, places, strict=True):
            before = use_span_model(place)
            try:
                ordered = sorted(fold)
                for index, doc in zip(ordered, extract_many([forms[i] for i in ordered], decision="none"), strict=True):
                    docs[index] = doc
            finally:
                use_span_model(before)
    return docs


def _decision_examples(gold: list[dict], forms: list, docs: list) -> tuple[list[dict], list[int], list[int], list]:
    rows, groups, labels = [], [], []
    for index, (entry, form, doc) in enumerate(zip(gold, forms, docs, strict=True)):
        candidates = partner_candidates(form, doc)
        pairs, _false, _missed = _match([fact for fact, _ in candidates], entry.get("partners", []))
        matched = {id(fact) for fact, _ in pairs}
        for fact, features in candidates:
            rows.append(features)
            labels.append(int(id(fact) in matched))
            groups.append(index)
    return rows, groups, labels, list(zip(gold, forms, docs, strict=True))


def _choose(
    rows: list[dict], labels: list[int], groups: list[int], seed: int, partners: int
) -> tuple[float, float, float]:
    """The regularisation and threshold, by cross-validated partner F1 over folds of forms.

    ``partners`` is the number of gold partners: those no candidate found count as missed.

    With a few hundred candidates the best C wins by noise, so the strongest
    regularisation whose F1 is within ``CV_TOLERANCE`` of the best is taken
    (the one-standard-error habit), with its best threshold.
    """
    folds = _folds(sorted(set(groups)), seed)
    results: list[tuple[float, float, float]] = []  # (c, threshold, f1): each C's best threshold
    for c in C_GRID:
        scored: list[tuple[float, int]] = []
        for fold in folds:
            train_idx = [i for i, g in enumerate(groups) if g not in fold]
            test_idx = [i for i, g in enumerate(groups) if g in fold]
            model = _as_model(_fit_binary([rows[i] for i in train_idx], [labels[i] for i in train_idx], c, seed))
            scored += [(model.probability(rows[i]), labels[i]) for i in test_idx]
        f1, threshold = max((_f1(scored, t, partners), -t) for t in THRESHOLDS)
        results.append((c, -threshold, f1))
    best = max(f1 for _, _, f1 in results)
    c, threshold, f1 = next(r for r in results if r[2] >= best - CV_TOLERANCE)
    return c, threshold, round(f1, 4)


def _folds(groups: list[int], seed: int, count: int = FOLDS) -> list[set[int]]:
    order = list(groups)
    random.Random(seed).shuffle(order)
    return [set(order[i::count]) for i in range(count)]


def _f1(scored: list[tuple[float, int]], threshold: float, positives: int) -> float:
    """Partner F1 of keeping candidates at ``threshold`` (gold partners no candidate found count as missed too)."""
    tp = sum(1 for p, y in scored if p >= threshold and y)
    fp = sum(1 for p, y in scored if p >= threshold and not y)
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / positives if positives else 1.0
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def _fit_binary(rows: list[dict], labels: list[int], c: float, seed: int) -> dict:
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression

    vectoriser = DictVectorizer(sort=True)
    matrix = vectoriser.fit_transform(rows)
    fit = LogisticRegression(C=c, solver="lbfgs", random_state=seed, max_iter=2000).fit(matrix, labels)
    weights = _table(vectoriser.get_feature_names_out(), fit.coef_[0])
    return {
        "classes": ["yes"],
        "weights": {"yes": weights},
        "bias": {"yes": round(float(fit.intercept_[0]), WEIGHT_DIGITS)},
    }


def _fit_multiclass(rows: list[dict], labels: list[str], weights: list[float], seed: int) -> dict:
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression

    vectoriser = DictVectorizer(sort=True)
    matrix = vectoriser.fit_transform(rows)
    fit = LogisticRegression(
        C=SECTOR_C, solver="lbfgs", class_weight=SECTOR_CLASS_WEIGHT, random_state=seed, max_iter=3000
    ).fit(matrix, labels, sample_weight=weights)
    names = vectoriser.get_feature_names_out()
    classes = [str(c) for c in fit.classes_]
    return {
        "classes": classes,
        "weights": {c: _table(names, fit.coef_[i]) for i, c in enumerate(classes)},
        "bias": {c: round(float(fit.intercept_[i]), WEIGHT_DIGITS) for i, c in enumerate(classes)},
    }


def _table(names, coefficients) -> dict[str, float]:
    table = {}
    for name, weight in zip(names, coefficients, strict=True):
        rounded = round(float(weight), WEIGHT_DIGITS)
        if rounded:
            table[str(name)] = rounded
    return table


def _as_model(model: dict) -> LinearModel:
    return LinearModel(tuple(model["classes"]), model["weights"], model["bias"])


def _sector_examples(train_forms: list, corpus_dir: Path, held_out: set[str]) -> tuple[list, list, list]:
    """Features and sectors of the partners the sector model will be asked about, one example per name and context.

    The examples are the train gold's partners, and the archive's partners
    whose form states their sector (the 2021-23 per-sector answers, an
    experiment's one partnering sector, a "Public sector - ..." description),
    read with their sentence or description. The model is asked only about
    partners whose form states no sector and whom neither the gazetteer nor
    the sector rules know; names those know weigh ``KNOWN_WEIGHT``, so their
    distribution (many UN acronyms) does not swamp the one the model meets.
    """
    examples: dict[tuple[str, str], tuple[dict, str, float]] = {}
    for entry, _form, doc in train_forms:
        pairs, _false, _missed = _match(doc.partnerships, entry.get("partners", []))
        for fact, partner in pairs:
            if partner.get("sector", "unknown") != "unknown":
                examples[(fact.name, fact.context)] = (sector_features(fact), partner["sector"], _weight(fact))
    paths = [p for p in sorted(corpus_dir.glob("*.md")) if p.name not in held_out]
    forms = [read_form(p, p.name) for p in paths]
    wanted = [f for f in forms if _states_sectors(f)]
    for doc in extract_many(wanted, decision="rules"):  # the rules read no span: the shipped span model has no say
        for fact in doc.partnerships:
            if fact.sector_source.startswith("form") and fact.sector != "unknown":
                examples.setdefault((fact.name, fact.context), (sector_features(fact), fact.sector, _weight(fact)))
    keys = sorted(examples)
    return [examples[k][0] for k in keys], [examples[k][1] for k in keys], [examples[k][2] for k in keys]


def _weight(fact) -> float:
    """1 for a partner neither the gazetteer nor the sector rules know (what the model is asked about), else less."""
    name = f"{fact.name} {fact.acronym}".strip()
    return 1.0 if gazetteer_entry(fact.name) is None and infer_sector(name) is None else KNOWN_WEIGHT


def _states_sectors(form) -> bool:
    """Forms whose partner answers state a sector: 2021-23 closing forms, experiments and 2023-25 groups."""
    return template_family(form) in ("closing_form_2021", "closing_form_2023", "experiment", "learning_plan")
