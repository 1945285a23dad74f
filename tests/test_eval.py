"""Tests of :mod:`kg.evaluate` and ``kg eval``: scoring extraction against gold annotations.

The score arithmetic and the counts on the bundled example form were worked
out by hand: ``examples/solar_irrigation_experiment.md`` lists three partners
(Konya Provincial Directorate of Agriculture and Forestry, Selçuk University
Faculty of Agriculture, Güneşli Tarım Teknolojileri A.Ş.) and no actions; the
gold file written below keeps two of them and adds one the form never names.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kg.errors import InputError
from kg.evaluate import Score, evaluate, load_gold

ROOT = Path(__file__).resolve().parents[1]
FORM = "solar_irrigation_experiment.md"
GOLD = {
    "file": FORM,
    "family": "experiment",
    "country": "TUR",
    "actions": [{"number": 1, "name": "Solar irrigation pilot", "aliases": []}],
    "partners": [
        {"name": "Konya Provincial Directorate of Agriculture and Forestry", "aliases": [], "action": None,
         "role": "lead", "sector": "government"},
        # without the accent: names are compared after normalisation
        {"name": "Selcuk University Faculty of Agriculture", "aliases": [], "action": None, "role": "",
         "sector": "academia"},
        {"name": "Konya Water User Association", "aliases": [], "action": None, "role": "", "sector": "civil-society"},
    ],
}


def kg(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kg", *args], capture_output=True, text=True, cwd=ROOT, check=False)


@pytest.fixture
def tiny(tmp_path: Path) -> tuple[Path, Path]:
    """A gold folder with one annotation and a corpus folder with the one form it annotates."""
    gold, corpus = tmp_path / "gold", tmp_path / "corpus"
    gold.mkdir()
    corpus.mkdir()
    shutil.copy(ROOT / "examples" / FORM, corpus / FORM)
    (gold / "solar_irrigation_experiment.json").write_text(json.dumps(GOLD, ensure_ascii=False), encoding="utf-8")
    (gold / "README.md").write_text("not a gold file\n", encoding="utf-8")
    return gold, corpus


# ---------------------------------------------------------------------------
# Score arithmetic
# ---------------------------------------------------------------------------


def test_score_precision_recall_f1_by_hand():
    score = Score(tp=6, fp=2, fn=4)
    assert score.precision == pytest.approx(6 / 8)  # 0.75
    assert score.recall == pytest.approx(6 / 10)  # 0.6
    assert score.f1 == pytest.approx(2 * 0.75 * 0.6 / 1.35)  # 0.6667


def test_score_edge_cases():
    assert (Score().precision, Score().recall) == (1.0, 1.0)  # nothing predicted, nothing to find
    assert Score(tp=0, fp=3, fn=0).precision == 0.0
    assert Score(tp=0, fp=3, fn=0).recall == 1.0
    assert Score(tp=0, fp=1, fn=1).f1 == 0.0
    assert Score(tp=4, fp=0, fn=0).f1 == 1.0


def test_score_add():
    total = Score(1, 2, 3)
    total.add(Score(10, 20, 30))
    assert (total.tp, total.fp, total.fn) == (11, 22, 33)


# ---------------------------------------------------------------------------
# evaluate() on a tiny gold set
# ---------------------------------------------------------------------------


def test_evaluate_counts_on_one_hand_written_form(tiny):
    gold, corpus = tiny
    result = evaluate(gold, corpus, use_ner=False)
    assert len(result.forms) == 1
    partners = result.partners
    assert (partners.tp, partners.fp, partners.fn) == (2, 1, 1)
    assert partners.precision == pytest.approx(2 / 3)
    assert partners.recall == pytest.approx(2 / 3)
    assert partners.f1 == pytest.approx(2 / 3)
    # gold action 1 is not in the form: nothing predicted, one missed
    assert (result.actions.tp, result.actions.fp, result.actions.fn) == (0, 0, 1)
    # gold role "lead" of Konya is not in the form; no partner has an action
    assert (result.roles.tp, result.roles.fp, result.roles.fn) == (0, 0, 1)
    # Konya -> government, Selçuk -> academia (name rules)
    assert (result.sectors_right, result.sectors_total) == (2, 2)
    [form] = result.forms
    assert form.false_partners == ["Güneşli Tarım Teknolojileri A.Ş."]
    assert form.missed_partners == ["Konya Water User Association"]
    assert form.wrong_sectors == []
    summary = result.as_dict()
    assert summary["partners"] == {"tp": 2, "fp": 1, "fn": 1, "precision": 0.6667, "recall": 0.6667, "f1": 0.6667}
    assert summary["errors"][FORM]["missed"] == ["Konya Water User Association"]


def test_evaluate_a_gold_form_missing_from_the_corpus(tiny, tmp_path):
    gold, _ = tiny
    empty = tmp_path / "empty_corpus"
    empty.mkdir()
    with pytest.raises(InputError, match=FORM):
        evaluate(gold, empty, use_ner=False)


def test_load_gold_without_files(tmp_path):
    with pytest.raises(InputError, match="no gold annotations"):
        load_gold(tmp_path)


# ---------------------------------------------------------------------------
# The command line
# ---------------------------------------------------------------------------


def test_cli_prints_the_table(tiny):
    gold, corpus = tiny
    result = kg("eval", str(gold), "--corpus", str(corpus), "--no-ner")
    assert result.returncode == 0, result.stderr
    assert "1 gold forms" in result.stdout
    rows = {line.split("│")[1].strip(): [c.strip() for c in line.split("│")[2:-1]]
            for line in result.stdout.splitlines() if line.count("│") == 8}
    assert rows["partners"] == ["0.667", "0.667", "0.667", "2", "1", "1"]
    assert rows["actions"] == ["1.000", "0.000", "0.000", "0", "0", "1"]
    assert rows["roles"] == ["1.000", "0.000", "0.000", "0", "0", "1"]
    assert "sector accuracy: 1.000 (2/2)" in result.stdout


def test_cli_json(tiny):
    gold, corpus = tiny
    result = kg("eval", str(gold), "--corpus", str(corpus), "--no-ner", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert (data["forms"], data["partners"]["tp"], data["partners"]["fp"], data["partners"]["fn"]) == (1, 2, 1, 1)


def test_cli_empty_gold_dir_exits_2(tmp_path):
    result = kg("eval", str(tmp_path), "--corpus", str(tmp_path), "--no-ner")
    assert result.returncode == 2
    assert "no gold annotations" in result.stderr


# ---------------------------------------------------------------------------
# The real gold set (tests/gold) on the corpus
# ---------------------------------------------------------------------------


def test_gold_set_reaches_the_targets(corpus_dir):
    result = evaluate(ROOT / "tests" / "gold", corpus_dir)
    p, a, r = result.partners, result.actions, result.roles
    scores = (f"partners P={p.precision:.3f} R={p.recall:.3f} F1={p.f1:.3f} (tp={p.tp} fp={p.fp} fn={p.fn}); "
              f"actions F1={a.f1:.3f}; roles F1={r.f1:.3f}; sector accuracy={result.sector_accuracy:.3f}")
    assert p.precision >= 0.95 and p.recall >= 0.90 and a.f1 >= 0.90 and r.f1 >= 0.90, scores
