"""The build cache (kg.cache): rebuilds redo only what changed and write the same bytes as a cold build."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import kg.cache
from kg.build import build
from kg.cache import default_cache_dir
from kg.graph import document_iri
from kg.store import open_store

ROOT = Path(__file__).resolve().parents[1]
COMPARED = ("graph.ttl", "graph.trig", "analysis.json", "ecosystem.html", "report.md")
EDITED = "informal_waste_pickers___closing_form.md"
DELETED = "coastal_resilience_portfolio___closing_form.md"


@pytest.fixture()
def sources(tmp_path: Path, examples_dir: Path) -> Path:
    """A private copy of the example forms, free to edit."""
    folder = tmp_path / "forms"
    shutil.copytree(examples_dir, folder)
    return folder


def _cold(sources: Path, out: Path) -> Path:
    build([sources], out, cache=False)
    return out


def _same_outputs(a: Path, b: Path) -> None:
    for name in COMPARED:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


def _add_partner(sources: Path) -> None:
    """Give the waste pickers' form a new UN partner (UNICEF, named nowhere else in the examples)."""
    path = sources / EDITED
    text = path.read_text(encoding="utf-8")
    edited = text.replace("\n\nN/A\n## End", "\n\nUNICEF ran the water point survey with us.\n## End")
    assert edited != text
    path.write_text(edited, encoding="utf-8")


def _manifest(out: Path) -> dict:
    return json.loads((out / "manifest.json").read_text(encoding="utf-8"))


def test_a_cached_rebuild_writes_the_same_bytes_as_a_cold_build(sources: Path, tmp_path: Path) -> None:
    cold = _cold(sources, tmp_path / "cold")
    out = tmp_path / "out"
    first = build([sources], out)
    assert first.figures["cache"]["forms_extracted"] == 6
    _same_outputs(cold, out)
    # The cache holds the forms as read, before pseudonymisation: beside OUT, never in it.
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in cold.iterdir())
    assert (default_cache_dir(out) / "index.json").is_file()

    # Nothing changed: the outputs are kept as they are, only the manifest is rewritten.
    stamp = (out / "graph.trig").stat().st_mtime_ns
    kept = build([sources], out)
    assert kept.figures["cache"] == {"forms_extracted": 0, "forms_reused": 6, "store": "kept", "outputs": "kept"}
    assert (out / "graph.trig").stat().st_mtime_ns == stamp
    assert kept.changes["forms"] == {"added": [], "changed": [], "removed": []}
    _same_outputs(cold, out)

    # An output touched since: everything is rewritten, from the cache (no form read again).
    os.utime(out / "graph.ttl", ns=(stamp, stamp))
    again = build([sources], out)
    assert again.figures["cache"]["forms_extracted"] == 0
    assert again.figures["cache"]["forms_reused"] == 6
    assert again.figures["ner"].get("texts_read", 0) == 0
    _same_outputs(cold, out)
    assert _manifest(out)["files"] == _manifest(cold)["files"]


def test_changing_one_form_re_extracts_only_that_form(sources: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    build([sources], out)
    _add_partner(sources)
    result = build([sources], out)

    cache = result.figures["cache"]
    assert (cache["forms_extracted"], cache["forms_reused"]) == (1, 5)
    assert cache["store"] == "incremental"
    assert cache["graphs_made"] < 6
    changes = _manifest(out)["changes"]
    assert changes["forms"] == {"added": [], "changed": [EDITED], "removed": []}
    unicef = [org for org in changes["organisations"]["added"] if org["label"] == "UNICEF"]
    assert len(unicef) == 1 and changes["organisations"]["removed"] == []
    assert {"form": EDITED, "organisation": unicef[0]["iri"]} in changes["partnerships"]["added"]
    _same_outputs(_cold(sources, tmp_path / "cold"), out)


def test_deleting_a_form_drops_its_named_graph(sources: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    build([sources], out)
    graph = str(document_iri(DELETED))
    assert f'"{DELETED}"' in (out / "graph.trig").read_text(encoding="utf-8")

    (sources / DELETED).unlink()
    result = build([sources], out)
    assert result.changes["forms"]["removed"] == [DELETED]
    assert result.figures["cache"]["store"] == "incremental"
    assert f'"{DELETED}"' not in (out / "graph.trig").read_text(encoding="utf-8")
    store = open_store(out)
    try:
        graphs = {node.value for node in store.named_graphs()}
    finally:
        del store
    assert graph not in graphs
    assert str(document_iri(EDITED)) in graphs
    _same_outputs(_cold(sources, tmp_path / "cold"), out)


def test_a_code_version_change_invalidates_the_cache(
    sources: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    build([sources], out)
    monkeypatch.setattr(kg.cache, "extract_version", lambda: "a different extractor")
    result = build([sources], out)
    cache = result.figures["cache"]
    assert cache["forms_extracted"] == 6 and cache["forms_reused"] == 0
    assert cache["graphs_reused"] == 0 and cache["store"] == "full"
    # spaCy's answers do not depend on kg's code: the memo spares the model every text it read before.
    assert result.figures["ner"]["texts_read"] == 0 and result.figures["ner"]["texts"] > 0
    _same_outputs(_cold(sources, tmp_path / "cold"), out)


def test_a_damaged_cache_entry_is_read_again(sources: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    build([sources], out)
    entries = sorted((default_cache_dir(out) / "forms").glob("*.pkl"))
    assert len(entries) == 6
    entries[0].write_bytes(b"not a pickle")
    os.utime(out / "graph.ttl", ns=(0, 0))
    result = build([sources], out)
    assert result.figures["cache"]["forms_extracted"] == 1
    _same_outputs(_cold(sources, tmp_path / "cold"), out)


def test_kg_build_names_the_changes(sources: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"

    def kg_build() -> str:
        command = [sys.executable, "-m", "kg", "build", str(sources), "-o", str(out)]
        done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
        assert done.returncode == 0, done.stderr
        return " ".join(done.stderr.split())

    assert "first build of this folder" in kg_build()
    _add_partner(sources)
    (sources / DELETED).unlink()
    said = kg_build()
    assert f"1 changed ({EDITED})" in said
    assert f"1 removed ({DELETED})" in said
    assert "organisations: +1 (UNICEF)" in said
    assert "1 forms read and extracted" in said
