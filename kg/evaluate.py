"""Score extraction against hand-made gold annotations (``tests/gold/*.json``).

Each gold file lists a form's partners (name, aliases, action, role, sector)
and actions, as a person read them. A predicted partner matches a gold one
when their names (or a gold alias, or the predicted acronym) are equal after
:func:`kg.resolve.normalise_name`, or close (rapidfuzz ratio >= 90); matching
is one-to-one. Scores are micro-averaged over all forms:

* partners, actions and roles: precision, recall and F1 (a role counts on a
  matched partner; an action by its number and name);
* sectors: accuracy over matched partners.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from rapidfuzz import fuzz

from kg.errors import InputError
from kg.extract import Extraction, extract
from kg.forms import read_form
from kg.resolve import normalise_name

__all__ = ["Score", "FormResult", "Evaluation", "evaluate", "load_gold"]

NAME_THRESHOLD = 90.0


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

    def as_dict(self) -> dict:
        """A JSON-ready summary with per-form errors."""
        def score(s: Score) -> dict:
            return {"tp": s.tp, "fp": s.fp, "fn": s.fn, "precision": round(s.precision, 4),
                    "recall": round(s.recall, 4), "f1": round(s.f1, 4)}

        return {
            "forms": len(self.forms),
            "partners": score(self.partners),
            "actions": score(self.actions),
            "roles": score(self.roles),
            "sector_accuracy": round(self.sector_accuracy, 4),
            "sectors": {"right": self.sectors_right, "total": self.sectors_total},
            "errors": {
                f.file: {"false": f.false_partners, "missed": f.missed_partners, "sector": f.wrong_sectors}
                for f in self.forms
                if f.false_partners or f.missed_partners or f.wrong_sectors
            },
        }


def load_gold(gold_dir: Path) -> list[dict]:
    """Every gold annotation in ``gold_dir``, sorted by file.

    Raises:
        InputError: if the folder holds no gold files or one does not parse.
    """
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


def evaluate(gold_dir: Path, corpus_dir: Path, use_ner: bool = True) -> Evaluation:
    """Extract every annotated form from ``corpus_dir`` and score it against ``gold_dir``.

    Raises:
        InputError: if an annotated form is missing from ``corpus_dir``.
    """
    results = []
    for gold in load_gold(gold_dir):
        path = corpus_dir / gold["file"]
        if not path.is_file():
            raise InputError(f"gold form {gold['file']} is not in {corpus_dir}")
        results.append(_score_form(gold, extract(read_form(path, gold["file"]), ner=use_ner)))
    total = Evaluation(results, Score(), Score(), Score(), 0, 0)
    for result in results:
        total.partners.add(result.partners)
        total.actions.add(result.actions)
        total.roles.add(result.roles)
        total.sectors_right += result.sectors_right
        total.sectors_total += result.sectors_total
    return total


def _score_form(gold: dict, doc: Extraction) -> FormResult:
    pairs, false, missed = _match(doc.partnerships, gold.get("partners", []))
    result = FormResult(gold["file"], Score(len(pairs), len(false), len(missed)), _score_actions(doc, gold),
                        _score_roles(doc, gold, pairs), 0, len(pairs))
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
