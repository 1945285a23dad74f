"""Tests of ``kg train``: the shipped models come back from the training command and its seed.

Training reads the train split of tests/gold and the archive in
../shared/corpus (about three minutes on 2 cores), so the test skips without
the archive. Weights are compared to 3 decimals: a newer scikit-learn or BLAS
may move the fifth. The span model's pipeline is compared file by file, byte
for byte.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # trains the models over the corpus, in `python -m kg` child processes

ROOT = Path(__file__).resolve().parents[1]


def test_training_reproduces_the_shipped_models(corpus_dir, tmp_path):
    pytest.importorskip("sklearn")
    done = _train("tests/gold", corpus_dir, tmp_path)
    assert done.returncode == 0, done.stderr
    assert "train forms" in done.stderr
    shipped_spans = ROOT / "kg" / "models" / "partner_spans"
    files = sorted(p.relative_to(shipped_spans) for p in shipped_spans.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(tmp_path / "partner_spans") for p in (tmp_path / "partner_spans").rglob("*")
                           if p.is_file())
    for name in files:
        assert (tmp_path / "partner_spans" / name).read_bytes() == (shipped_spans / name).read_bytes(), name
    for name in ("partner_decision.json", "partner_sector.json"):
        made = json.loads((tmp_path / name).read_text(encoding="utf-8"))
        shipped = json.loads((ROOT / "kg" / "models" / name).read_text(encoding="utf-8"))
        assert made["classes"] == shipped["classes"]
        assert made.get("threshold") == shipped.get("threshold")
        for label in shipped["classes"]:
            assert made["bias"][label] == pytest.approx(shipped["bias"][label], abs=1e-3)
            features = set(made["weights"][label]) | set(shipped["weights"][label])
            for feature in features:
                mine, theirs = made["weights"][label].get(feature, 0.0), shipped["weights"][label].get(feature, 0.0)
                assert mine == pytest.approx(theirs, abs=1e-3), (name, label, feature)


def test_training_without_a_train_split_exits_2(tmp_path):
    pytest.importorskip("sklearn")
    done = subprocess.run([sys.executable, "-m", "kg", "train", str(tmp_path), "--corpus", str(tmp_path),
                           "--out", str(tmp_path / "models")], capture_output=True, text=True, cwd=ROOT, check=False)
    assert done.returncode == 2
    assert "has no train/ folder" in " ".join(done.stderr.split())


def test_training_the_linker_reproduces_the_shipped_link_model(corpus_dir, tmp_path):
    pytest.importorskip("sklearn")
    done = _train("tests/gold/links", corpus_dir, tmp_path)
    assert done.returncode == 0, done.stderr
    trained = json.loads((tmp_path / "links.json").read_text(encoding="utf-8"))
    shipped = json.loads((ROOT / "kg" / "models" / "links.json").read_text(encoding="utf-8"))
    assert trained["threshold"] == shipped["threshold"] and trained["trained_on"] == shipped["trained_on"]
    assert trained["weights"].keys() == shipped["weights"].keys()
    for name, weight in shipped["weights"].items():
        assert trained["weights"][name] == pytest.approx(weight, abs=1e-3), name


def _train(gold: str, corpus_dir: Path, out: Path) -> subprocess.CompletedProcess:
    """``kg train GOLD`` in a child process, writing its models to ``out``."""
    return subprocess.run(
        [sys.executable, "-m", "kg", "train", gold, "--corpus", str(corpus_dir), "--out", str(out)],
        capture_output=True, text=True, cwd=ROOT, check=False,
    )
