"""Score extraction against hand-made gold annotations (``tests/gold/*.json``).

Each gold file lists a form's partners (name, aliases, action, role, sector)
and actions, as a person read them. A predicted partner matches a gold one
when their names (or a gold alias, or the predicted acronym) are equal after
:func:`kg.resolve.normalise_name`, or close (rapidfuzz ratio >= 90); matching
is one-to-one. Scores are micro-averaged over all forms:

* partners, actions and roles: precision, recall and F1 (a role counts on a
  matched partner; an action by its number and name);
* sectors: accuracy over matched partners.

A gold folder may be split into ``train/``, ``dev/`` and ``test/``. The test
split is frozen: it is read only when asked for by name (``split="test"``);
otherwise train and dev are scored. Every figure is also given per template
family and per language, with a 95 % bootstrap interval over forms (seeded,
so the same gold and predictions give the same interval).
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from pathlib import Path

from rapidfuzz import fuzz

from kg.errors import InputError
from kg.extract import Extraction, extract
from kg.forms import read_form
from kg.language import detect_language
from kg.resolve import normalise_name

__all__ = [
    "Score",
    "FormResult",
    "Evaluation",
    "Interval",
    "evaluate",
    "load_gold",
    "SPLITS",
    "bootstrap",
    "percentile_interval",
]

NAME_THRESHOLD = 90.0
SPLITS = ("train", "dev", "test")
DEFAULT_SPLITS = ("train", "dev")
BOOTSTRAP_SAMPLES = 1000
BOOTSTRAP_SEED = 20261204


@dataclass
class Score:
    """True positives, false positives and false negatives, with P/R/F1."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        """tp / (tp + fp); 1.0 when nothing was predicted."""
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        """tp / (tp + fn); 1.0 when there was nothing to find."""
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        """The harmonic mean of precision and recall."""
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def add(self, other: Score) -> None:
        """Add another score's counts to this one."""
        self.tp, self.fp, self.fn = self.tp + other.tp, self.fp + other.fp, self.fn + other.fn


@dataclass
class FormResult:
    """The scores of one form and its errors, for people to read."""

    file: str
    family: str
    language: str
    partners: Score
    actions: Score
    roles: Score
    sectors_right: int
    sectors_total: int
    false_partners: list[str] = field(default_factory=list)
    missed_partners: list[str] = field(default_factory=list)
    wrong_sectors: list[str] = field(default_factory=list)


@dataclass
class Evaluation:
    """Scores over a gold set."""

    forms: list[FormResult]
    partners: Score
    actions: Score
    roles: Score
    sectors_right: int
    sectors_total: int

    @property
    def sector_accuracy(self) -> float:
        """Share of matched partners whose sector is right."""
        return self.sectors_right / self.sectors_total if self.sectors_total else 1.0

    def by(self, attribute: str) -> dict[str, Evaluation]:
        """The evaluation of each group of forms sharing ``attribute`` ("family" or "language")."""
        groups: dict[str, list[FormResult]] = {}
        for form in self.forms:
            groups.setdefault(getattr(form, attribute), []).append(form)
        return {key: _total(forms) for key, forms in sorted(groups.items())}

    def intervals(self) -> dict[str, Interval]:
        """95 % bootstrap intervals of partner P, R, F1 and sector accuracy, resampling forms."""
        return bootstrap(self.forms)

    def as_dict(self) -> dict:
        """A JSON-ready summary with intervals, per-family and per-language scores, and per-form errors."""
        return {
            **self._summary(),
            "by_family": {k: v._summary() for k, v in self.by("family").items()},
            "by_language": {k: v._summary() for k, v in self.by("language").items()},
            "errors": {
                f.file: {"false": f.false_partners, "missed": f.missed_partners, "sector": f.wrong_sectors}
                for f in self.forms
                if f.false_partners or f.missed_partners or f.wrong_sectors
            },
        }

    def _summary(self) -> dict:
        def score(s: Score) -> dict:
            return {
                "tp": s.tp,
                "fp": s.fp,
                "fn": s.fn,
                "precision": round(s.precision, 4),
                "recall": round(s.recall, 4),
                "f1": round(s.f1, 4),
            }

        return {
            "forms": len(self.forms),
            "intervals": {k: [round(v.low, 4), round(v.high, 4)] for k, v in self.intervals().items()},
            "partners": score(self.partners),
            "actions": score(self.actions),
            "roles": score(self.roles),
            "sector_accuracy": round(self.sector_accuracy, 4),
            "sectors": {"right": self.sectors_right, "total": self.sectors_total},
        }


@dataclass(frozen=True)
class Interval:
    """A 95 % bootstrap interval."""

    low: float
    high: float


def bootstrap(
    forms: list[FormResult], samples: int = BOOTSTRAP_SAMPLES, seed: int = BOOTSTRAP_SEED
) -> dict[str, Interval]:
    """95 % percentile intervals of partner precision, recall, F1 and sector accuracy.

    Forms are resampled with replacement (a form's partners stay together, as
    they are not independent of each other); each resample is micro-averaged.
    """
    if not forms:
        return {}
    rng = random.Random(seed)
    draws: dict[str, list[float]] = {"precision": [], "recall": [], "f1": [], "sector_accuracy": []}
    for _ in range(samples):
        total = _total([rng.choice(forms) for _ in forms])
        draws["precision"].append(total.partners.precision)
        draws["recall"].append(total.partners.recall)
        draws["f1"].append(total.partners.f1)
        draws["sector_accuracy"].append(total.sector_accuracy)
    return {key: percentile_interval(values) for key, values in draws.items()}


def load_gold(gold_dir: Path, split: str | None = None) -> list[dict]:
    """The gold annotations of ``split`` (default: train and dev) in ``gold_dir``, sorted by file.

    A folder without split subfolders is one set, read whole. The test split
    is read only when it is asked for by name.

    Raises:
        InputError: if the split is unknown, or the folder holds no gold files, or one does not parse.
    """
    if split is not None and split not in SPLITS:
        raise InputError(f"unknown split {split!r}; choose one of {', '.join(SPLITS)}")
    if any((gold_dir / name).is_dir() for name in SPLITS):
        chosen = (split,) if split else DEFAULT_SPLITS
        files = sorted(p for name in chosen for p in (gold_dir / name).glob("*.json"))
    elif split is not None:
        raise InputError(f"{gold_dir} has no {split}/ folder")
    else:
        files = sorted(gold_dir.glob("*.json"))
    if not files:
        raise InputError(f"no gold annotations (*.json) in {gold_dir}")
    gold = []
    for path in files:
        try:
            gold.append(json.loads(path.read_text(encoding="utf-8")))
        except json.JSONDecodeError as exc:
            raise InputError(f"{path}: not valid JSON: {exc}") from exc
    return gold


def evaluate(
    gold_dir: Path, corpus_dir: Path, use_ner: bool = True, split: str | None = None, decision: str = "model"
) -> Evaluation:
    """Extract every annotated form of ``split`` from ``corpus_dir`` and score it against its gold.

    ``decision`` is passed to :func:`kg.extract.extract`: ``"model"`` or ``"rules"``.

    Raises:
        InputError: if an annotated form is missing from ``corpus_dir``.
    """
    results = []
    for gold in load_gold(gold_dir, split):
        path = corpus_dir / gold["file"]
        if not path.is_file():
            raise InputError(f"gold form {gold['file']} is not in {corpus_dir}")
        form = read_form(path, gold["file"])
        results.append(
            _score_form(
                gold, extract(form, ner=use_ner, decision=decision), gold.get("language") or detect_language(form)
            )
        )
    return _total(results)


def _total(results: list[FormResult]) -> Evaluation:
    total = Evaluation(results, Score(), Score(), Score(), 0, 0)
    for result in results:
        total.partners.add(result.partners)
        total.actions.add(result.actions)
        total.roles.add(result.roles)
        total.sectors_right += result.sectors_right
        total.sectors_total += result.sectors_total
    return total


def percentile_interval(values: list[float]) -> Interval:
    """The 95 % percentile interval of bootstrap draws."""
    ordered = sorted(values)
    return Interval(ordered[int(0.025 * (len(ordered) - 1))], ordered[round(0.975 * (len(ordered) - 1))])


def _score_form(gold: dict, doc: Extraction, language: str) -> FormResult:
    pairs, false, missed = _match(doc.partnerships, gold.get("partners", []))
    result = FormResult(
        gold["file"],
        gold.get("family") or doc.family,
        language,
        Score(len(pairs), len(false), len(missed)),
        _score_actions(doc, gold),
        _score_roles(doc, gold, pairs),
        0,
        len(pairs),
    )
    result.false_partners = [p.name for p in false]
    result.missed_partners = [g["name"] for g in missed]
    for predicted, expected in pairs:
        if predicted.sector == expected.get("sector", "unknown"):
            result.sectors_right += 1
        else:
            result.wrong_sectors.append(f"{predicted.name}: {predicted.sector} != {expected.get('sector')}")
    return result


def _match(predicted: list, expected: list[dict]) -> tuple[list, list, list]:
    """Greedy one-to-one matching of predicted partners to gold partners, best score first."""
    candidates = []
    for i, p in enumerate(predicted):
        for j, g in enumerate(expected):
            score = _name_score(p, g)
            if score >= NAME_THRESHOLD:
                candidates.append((-score, i, j))
    used_p, used_g, pairs = set(), set(), []
    for _, i, j in sorted(candidates):
        if i not in used_p and j not in used_g:
            used_p.add(i)
            used_g.add(j)
            pairs.append((predicted[i], expected[j]))
    false = [p for i, p in enumerate(predicted) if i not in used_p]
    missed = [g for j, g in enumerate(expected) if j not in used_g]
    return pairs, false, missed


def _name_score(predicted, gold: dict) -> float:
    mine = {normalise_name(predicted.name)} | ({normalise_name(predicted.acronym)} if predicted.acronym else set())
    theirs = {normalise_name(gold["name"])} | {normalise_name(a) for a in gold.get("aliases", [])}
    if mine & theirs:
        return 100.0
    return max(fuzz.ratio(a, b) for a in mine for b in theirs)


def _score_actions(doc: Extraction, gold: dict) -> Score:
    expected = {a["number"]: a for a in gold.get("actions", [])}
    score = Score()
    for action in doc.actions:
        target = expected.pop(action.number, None)
        names = {normalise_name(n) for n in [action.name, *action.aliases]}
        wanted = {normalise_name(n) for n in [target["name"], *target.get("aliases", [])]} if target else set()
        if target and (names & wanted or max(fuzz.ratio(a, b) for a in names for b in wanted) >= 85):
            score.tp += 1
        else:
            score.fp += 1
            if target:
                score.fn += 1
    score.fn += len(expected)
    return score


def _score_roles(doc: Extraction, gold: dict, pairs: list) -> Score:
    """Roles and actions of matched partners: a (partner, role, action) fact is right or wrong."""
    score = Score()
    for predicted, expected in pairs:
        for mine, theirs in ((predicted.role, expected.get("role", "")), (predicted.action, expected.get("action"))):
            mine_n = normalise_name(str(mine)) if mine not in (None, "") else ""
            theirs_n = normalise_name(str(theirs)) if theirs not in (None, "") else ""
            if mine_n and mine_n == theirs_n:
                score.tp += 1
            else:
                score.fp += bool(mine_n)
                score.fn += bool(theirs_n)
    matched_gold = {id(g) for _, g in pairs}
    for g in gold.get("partners", []):
        if id(g) not in matched_gold:
            score.fn += bool(g.get("role")) + (g.get("action") is not None)
    return score
