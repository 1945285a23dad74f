"""kg.pipeline.run (one process, no cache) and kg build (the engine) write the same bytes.

The engine (kg.engine: cache, worker processes, spliced graph files, the
readable store) is only allowed to make the build faster: every output file
and every manifest record must be what the plain pipeline writes, on the
bundled examples and on a sample of real forms, cold and after an edit.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from kg import pipeline
from kg.build import build

OUTPUTS = ("graph.ttl", "graph.trig", "analysis.json", "ecosystem.html", "report.md", "report.html")


@pytest.mark.slow
def test_the_pipeline_and_the_engine_build_the_examples_alike(examples_dir: Path, tmp_path: Path) -> None:
    plain = pipeline.run([examples_dir], pipeline.Options(tmp_path / "plain"))
    built = build([examples_dir], tmp_path / "engine", jobs=2)
    _assert_same_outputs(tmp_path / "plain", tmp_path / "engine")
    # examples/ holds six well-formed forms: each is read, none is an error
    assert [r.status for r in plain.records].count("error") == 0 and len(plain.records) == 6
    assert [r.path for r in plain.records] == [r.path for r in built.records]
    assert plain.partnerships == built.partnerships > 0 and plain.triples == built.triples > 0


@pytest.mark.slow
def test_the_pipeline_and_the_engine_build_real_forms_alike(corpus_dir: Path, tmp_path: Path) -> None:
    """Every 80th real form (81 of them, all template families), cold and after an edit that adds a partner."""
    forms = tmp_path / "forms"
    forms.mkdir()
    for path in sorted(corpus_dir.glob("*.md"))[::80]:
        shutil.copy(path, forms / path.name)
    build([forms], tmp_path / "engine", jobs=2)
    pipeline.run([forms], pipeline.Options(tmp_path / "plain"))
    _assert_same_outputs(tmp_path / "plain", tmp_path / "engine")

    edited = sorted(forms.glob("*closing*"))[0]
    text = edited.read_text(encoding="utf-8")
    edited.write_text(text + "\n\nWe also worked with the Ministry of Digital Economy.\n", encoding="utf-8")
    rebuilt = build([forms], tmp_path / "engine", jobs=2)
    assert rebuilt.figures["cache"]["forms_extracted"] == 1  # the engine redid one form...
    pipeline.run([forms], pipeline.Options(tmp_path / "plain-2"))
    _assert_same_outputs(tmp_path / "plain-2", tmp_path / "engine")  # ...and wrote what the pipeline writes


@pytest.mark.slow
def test_the_pipeline_and_the_engine_link_closing_forms_alike(corpus_dir: Path, tmp_path: Path) -> None:
    """Every learning plan and closing form of two labs: the links (pkg:closes) made both ways, cold and relinked."""
    forms = tmp_path / "forms"
    forms.mkdir()
    for path in sorted(corpus_dir.glob("*.md")):
        text = path.read_text(encoding="utf-8")
        if "[[type:learningplan]]" in text and ("[[country:Colombia]]" in text or "[[country:Jordan]]" in text):
            shutil.copy(path, forms / path.name)
    build([forms], tmp_path / "engine", jobs=2)
    pipeline.run([forms], pipeline.Options(tmp_path / "plain"))
    _assert_same_outputs(tmp_path / "plain", tmp_path / "engine")
    assert "pkg:closes" in (tmp_path / "engine" / "graph.ttl").read_text(encoding="utf-8")

    (forms / sorted(forms.glob("*closing*"))[0].name).unlink()  # a closing form gone: its country is relinked
    rebuilt = build([forms], tmp_path / "engine", jobs=2)
    assert rebuilt.figures["cache"]["links"] == "made"
    pipeline.run([forms], pipeline.Options(tmp_path / "plain-2"))
    _assert_same_outputs(tmp_path / "plain-2", tmp_path / "engine")


def _assert_same_outputs(plain: Path, engine: Path) -> None:
    for name in OUTPUTS:
        assert (plain / name).read_bytes() == (engine / name).read_bytes(), name
    ours, theirs = (json.loads((folder / "manifest.json").read_text(encoding="utf-8")) for folder in (plain, engine))
    assert ours["files"] == theirs["files"]
    for key in ("files", "status", "families", "messages_by_code", "triples", "organisations", "partnerships"):
        assert ours["summary"][key] == theirs["summary"][key], key
