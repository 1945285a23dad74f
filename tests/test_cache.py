"""The build cache (kg.engine.cache): rebuilds redo only what changed and write the same bytes as a cold build."""

from __future__ import annotations

import ast
import json
import os
import pickle
import shutil
import subprocess
import sys
import time
import zlib
from pathlib import Path
from types import SimpleNamespace

import pytest

import kg.engine.cache
from kg.build import build
from kg.engine.cache import INSIGHT_FILES, default_cache_dir
from kg.engine.readable import reads
from kg.engine.steps import take_back
from kg.forms import parse_form
from kg.graph import document_iri
from kg.namespaces import ID
from kg.privacy import Pseudonymiser, WordCounts, form_words
from kg.store import open_store

ROOT = Path(__file__).resolve().parents[1]
COMPARED = ("graph.ttl", "graph.trig", "analysis.json", "ecosystem.html", "report.md")
EDITED = "informal_waste_pickers___closing_form.md"
DELETED = "coastal_resilience_portfolio___closing_form.md"


HOUR_AGO = time.time_ns() - 3600 * 10**9


@pytest.fixture()
def sources(tmp_path: Path, examples_dir: Path) -> Path:
    """A private copy of the example forms, free to edit, last changed an hour ago (as an archive's forms were)."""
    folder = tmp_path / "forms"
    shutil.copytree(examples_dir, folder)
    for path in folder.iterdir():
        os.utime(path, ns=(HOUR_AGO, HOUR_AGO))
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


@pytest.mark.slow
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
    assert kept.figures["cache"] == {
        "files_hashed": 0,  # their size and time are as the last build recorded them
        "forms_extracted": 0,
        "forms_reused": 6,
        "store": "kept",
        "outputs": "kept",
    }
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


@pytest.mark.slow
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


@pytest.mark.slow
def test_a_file_is_hashed_again_when_its_size_or_time_changed_or_was_too_close_to_the_last_build(
    sources: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    build([sources], out)
    # The same size, another letter, an old time unlike the recorded one: read, hashed, found changed.
    path = sources / EDITED
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("Households are willing", "Households are wilting", 1), encoding="utf-8")
    os.utime(path, ns=(HOUR_AGO + 10**9, HOUR_AGO + 10**9))
    result = build([sources], out)
    assert result.figures["cache"]["files_hashed"] == 1
    assert result.changes["forms"]["changed"] == [EDITED]
    # A file whose recorded time is no earlier than two seconds before that build ended is hashed every time:
    # a coarse file clock could hide an edit made just after it was hashed.
    future = time.time_ns() + 60 * 10**9
    os.utime(path, ns=(future, future))
    build([sources], out)
    again = build([sources], out)
    assert again.figures["cache"]["files_hashed"] == 1
    assert again.changes["forms"]["changed"] == []


@pytest.mark.slow
def test_an_edit_no_global_step_reads_keeps_the_resolution_and_the_reference_graph(
    sources: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    first = build([sources], out).figures["cache"]
    assert (first["resolution"], first["reference_part"]) == ("made", "made")
    _reword_insight(sources)
    kept = build([sources], out).figures["cache"]
    assert (kept["resolution"], kept["reference_part"], kept["shared"]) == ("kept", "kept", "kept")
    _same_outputs(_cold(sources, tmp_path / "cold"), out)
    _add_partner(sources)
    made = build([sources], out).figures["cache"]
    assert (made["resolution"], made["reference_part"], made["shared"]) == ("made", "made", "made")
    _same_outputs(_cold(sources, tmp_path / "cold2"), out)


def test_lazy_items_hold_only_the_pickle_and_behave_as_the_list() -> None:
    items = [["question", 1], ["other", 2]]
    lazy = kg.engine.cache.LazyItems(zlib.compress(pickle.dumps(items)))
    assert lazy == items and list(lazy) == items and len(lazy) == 2 and lazy[1] == ["other", 2]
    assert lazy[0] is not lazy[0]  # unpickled afresh at each read: no object is held between reads
    assert lazy == kg.engine.cache.LazyItems(zlib.compress(pickle.dumps(items))) and lazy != items[:1]
    again = pickle.loads(pickle.dumps(lazy))
    assert again == items and type(again) is kg.engine.cache.LazyItems and again.data == lazy.data  # still compressed


@pytest.mark.slow
def test_the_manifest_lists_one_file_per_line(sources: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    build([sources], out)
    lines = (out / "manifest.json").read_text(encoding="utf-8").splitlines()
    listed = [line for line in lines if line.startswith('    {"path": ')]
    assert len(listed) == 6 and len(_manifest(out)["files"]) == 6


@pytest.mark.slow
def test_deleting_a_form_drops_its_named_graph(sources: Path, tmp_path: Path) -> None:
    # The form shares its focal point with another, so deleting it changes no name hunted across the build
    # (the focal point's name is one): the other forms' graphs stay as they are and the store is updated in place.
    deleted = sources / DELETED
    own = "[[focal_point:thuha.le@example.org]]"
    deleted.write_text(deleted.read_text(encoding="utf-8").replace(own, "[[focal_point:grace.phiri@example.org]]"))
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


@pytest.mark.slow
def test_a_code_version_change_invalidates_the_cache(
    sources: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    build([sources], out)
    monkeypatch.setattr(kg.engine.cache, "extract_version", lambda: "a different extractor")
    result = build([sources], out)
    cache = result.figures["cache"]
    assert cache["forms_extracted"] == 6 and cache["forms_reused"] == 0
    assert cache["graphs_reused"] == 0 and cache["store"] == "full"
    # spaCy's answers do not depend on kg's code: the memo spares the model every text it read before.
    assert result.figures["ner"]["texts_read"] == 0 and result.figures["ner"]["texts"] > 0
    _same_outputs(_cold(sources, tmp_path / "cold"), out)


@pytest.mark.slow
def test_a_damaged_cache_entry_is_read_again(sources: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    build([sources], out)
    entries = sorted((default_cache_dir(out) / "forms").glob("*.pkl"))
    assert len(entries) == 6
    entries[0].write_bytes(b"not a pickle")
    pack = default_cache_dir(out) / "forms.pack"
    pack.write_bytes(pickle.dumps({**pickle.loads(pack.read_bytes()), entries[0].stem: b"not a pickle"}))
    os.utime(out / "graph.ttl", ns=(0, 0))
    result = build([sources], out)
    assert result.figures["cache"]["forms_extracted"] == 1
    _same_outputs(_cold(sources, tmp_path / "cold"), out)


@pytest.mark.slow
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


# -- the analytics, the HTML view and the report ------------------------------------


def _reword_insight(sources: Path) -> None:
    """Reword a key insight of the waste pickers' form: text no analysis reads."""
    path = sources / EDITED
    text = path.read_text(encoding="utf-8")
    edited = text.replace("Households are willing to separate", "Households readily separate", 1)
    assert edited != text
    path.write_text(edited, encoding="utf-8")


def _stamps(out: Path) -> dict[str, int]:
    return {name: (out / name).stat().st_mtime_ns for name in INSIGHT_FILES}


def _same_insights(a: Path, b: Path) -> None:
    for name in INSIGHT_FILES:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


@pytest.mark.slow
def test_the_insights_are_kept_when_nothing_they_read_changed(sources: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert build([sources], out).figures["cache"]["insights"] == "made"
    stamps = _stamps(out)
    _reword_insight(sources)
    result = build([sources], out)
    assert result.figures["cache"]["insights"] == "kept"
    assert result.figures["cache"]["graphs_made"] >= 1
    assert _stamps(out) == stamps  # analysis.json, ecosystem.html and the report are not written again
    cold = _cold(sources, tmp_path / "cold")
    _same_outputs(cold, out)
    _same_insights(cold, out)


@pytest.mark.slow
def test_a_new_partner_makes_the_insights_again(sources: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    charts = build([sources], out).figures["cache"]["charts_drawn"]
    assert charts == (out / "report.html").read_text(encoding="utf-8").count("<figure>")
    _add_partner(sources)
    result = build([sources], out)
    assert result.figures["cache"]["insights"] == "made"
    assert 0 < result.figures["cache"]["charts_drawn"] < charts  # only the charts whose data changed
    # the last build's readable quads are kept but for the edited form's graph and the reference graph's
    assert result.figures["cache"]["readable_graphs"] == {"kept": 5, "loaded": 2}
    cold = _cold(sources, tmp_path / "cold")
    _same_outputs(cold, out)
    _same_insights(cold, out)
    assert "UNICEF" in (out / "analysis.json").read_text(encoding="utf-8")


@pytest.mark.slow
def test_an_insight_file_changed_since_the_last_build_is_written_again(sources: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    build([sources], out)
    (out / "report.md").write_text("edited by hand\n", encoding="utf-8")
    _reword_insight(sources)
    result = build([sources], out)
    assert result.figures["cache"]["insights"] == "made"
    assert result.figures["cache"]["charts_drawn"] == 0  # the same charts as last time, not drawn again
    _same_insights(_cold(sources, tmp_path / "cold"), out)


@pytest.mark.slow
def test_a_damaged_snapshot_of_the_readable_quads_is_loaded_anew(sources: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert build([sources], out).figures["cache"]["readable_graphs"] == {"kept": 0, "loaded": 7}
    (default_cache_dir(out) / "readable.pkl").write_bytes(b"not a pickle")
    _add_partner(sources)
    result = build([sources], out)
    assert result.figures["cache"]["readable_graphs"] == {"kept": 0, "loaded": 7}
    _same_insights(_cold(sources, tmp_path / "cold"), out)


@pytest.mark.slow
def test_a_rebuild_reads_no_unchanged_graph_s_bulk_and_remakes_a_lost_one(
    sources: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    build([sources], out)
    bulk = default_cache_dir(out) / "graph-data"
    assert len(list(bulk.iterdir())) == 6  # one per form: their fragments and readable quads
    shutil.rmtree(bulk)  # unneeded: the graph files and the readable snapshot hold all of it
    read: list[str] = []
    pair = kg.engine.cache.GraphBulk._pair
    monkeypatch.setattr(kg.engine.cache.GraphBulk, "_pair", lambda self: read.append(self._path) or pair(self))
    _add_partner(sources)
    build([sources], out)
    assert read  # the edited form's graph, from where its worker left it...
    assert not [path for path in read if path is not None and path.startswith(str(bulk))]  # ...none from the cache
    monkeypatch.undo()
    _same_outputs(_cold(sources, tmp_path / "cold"), out)
    _same_insights(tmp_path / "cold", out)
    assert len(list(bulk.iterdir())) == 1  # the edited form's graph, made again
    # Now the graph files and the snapshot are of no use, and five forms' bulk is lost: they are made again.
    (out / "graph.ttl").write_text("edited by hand\n", encoding="utf-8")
    (default_cache_dir(out) / "readable.pkl").unlink()
    _reword_insight(sources)
    result = build([sources], out)
    assert result.figures["cache"]["graphs_reused"] == 5
    _same_outputs(_cold(sources, tmp_path / "cold2"), out)


@pytest.mark.slow
def test_a_rebuild_reads_the_entries_from_their_packs_or_else_from_their_files(sources: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    build([sources], out)
    cache = default_cache_dir(out)
    assert len(pickle.loads((cache / "forms.pack").read_bytes())) == 6
    assert len(pickle.loads((cache / "graphs.pack").read_bytes())) == 6  # made by the graph workers: read back
    shutil.rmtree(cache / "forms")  # the packs hold every entry
    shutil.rmtree(cache / "graphs")
    _reword_insight(sources)
    result = build([sources], out).figures["cache"]
    assert (result["forms_reused"], result["graphs_reused"]) == (5, 5)
    _same_outputs(_cold(sources, tmp_path / "cold"), out)
    other = tmp_path / "other"
    build([sources], other)
    cache = default_cache_dir(other)
    pack = pickle.loads((cache / "graphs.pack").read_bytes())
    (cache / "graphs.pack").write_bytes(pickle.dumps(dict.fromkeys(pack, b"damaged")))  # each entry's file serves
    _add_partner(sources)
    assert build([sources], other).figures["cache"]["graphs_reused"] == 5
    (cache / "forms.pack").write_bytes(b"damaged")  # a damaged pack: the entries' own files serve
    os.utime(other / "graph.ttl", ns=(0, 0))
    assert build([sources], other).figures["cache"]["forms_reused"] == 6
    _same_outputs(_cold(sources, tmp_path / "cold2"), other)


@pytest.mark.slow
def test_a_cache_without_the_analytics_graph_makes_the_insights_again(sources: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    build([sources], out)
    (default_cache_dir(out) / "insights.pkl").write_bytes(b"not a pickle")
    _reword_insight(sources)
    assert build([sources], out).figures["cache"]["insights"] == "made"
    _same_outputs(_cold(sources, tmp_path / "cold"), out)


def test_labels_of_nodes_no_readable_quad_links_are_left_out_of_what_the_analytics_read() -> None:
    org, mention, doc = (f"<{ID}org/x-1>", f"<{ID}mention/a.md/0>", f"<{ID}doc/a.md>")
    label = "<http://www.w3.org/2004/02/skos/core#prefLabel>"
    document = "<https://w3id.org/portfolio-kg/ontology#document>"
    partner = "<https://w3id.org/portfolio-kg/ontology#partner>"
    answer = "<https://w3id.org/portfolio-kg/ontology#answer>"
    graph = f"<{ID}graph/a>"
    keys = sorted(
        [
            (org, label, '"X"', graph),
            (mention, document, doc, graph),
            (doc, answer, '"anything"', graph),
        ]
    )
    digest, loose, linked = reads(keys)
    assert [node for node, _ in loose] == [mention, org] and linked == ()
    assert reads([(doc, answer, '"else"', graph)])[0] == digest  # pkg:answer is read by no query
    renamed = sorted([(org, label, '"Y"', graph), (mention, document, doc, graph)])
    assert reads(renamed)[0] == digest and reads(renamed)[1] != loose
    partnership = f"<{ID}partnership/a.md/1>"
    digest, loose, linked = reads(sorted(keys + [(partnership, partner, org, graph)]))
    assert [node for node, _ in loose] == [mention] and linked == (org,)


# -- the privacy pass -------------------------------------------------------------------


def _doc(path: str, text: str) -> SimpleNamespace:
    form = parse_form(text, path)
    return SimpleNamespace(path=path, title=form.title, items=form.items)


def _privacy_docs() -> list[SimpleNamespace]:
    return [
        _doc("amara_okonkwo-diallo.md", "# A\n\n> Prepared by (Name of the experimenter)\n\nAmara Okonkwo-Diallo\n"),
        _doc("b.md", "# B\n\n> Name of the Innovator\n\nPractical Action\n\n> Key insights\n\nİstanbul met Amara\n"),
        _doc(
            "c.md",
            "# C\n\n> Key insights\n\nAmara Okonkwo-Diallo and Practical Action took action; the action plan needs "
            "action. See xhttp://example.org/amara and amara@example.org, Okonkwo-diallo.\n",
        ),
    ]


def test_privacy_facts_and_word_counts_kept_form_by_form_give_the_same_protection() -> None:
    privacy = Pseudonymiser("k")
    expected_docs = _privacy_docs()
    expected = privacy.protect(expected_docs)
    assert expected.names == ("Amara Okonkwo-Diallo",)

    docs = _privacy_docs()
    facts = [privacy.form_facts(doc) for doc in docs]
    counts = WordCounts()
    for key, doc in zip("abc", docs):
        counts.add(key, form_words(doc))
    counts.add("gone", form_words(_doc("d.md", "# D\n\n> Key insights\n\namara amara amara okonkwo-diallo\n")))
    assert privacy.protect(_privacy_docs(), facts, counts).names == ()  # "amara" a common word while d counts
    take_back(counts, "gone", form_words(_doc("d.md", "# D\n\n> Key insights\n\namara amara amara okonkwo-diallo\n")))
    assert counts.members == {"a", "b", "c"}
    assert privacy.protect(docs, facts, pickle.loads(pickle.dumps(counts))) == expected
    assert [doc.path for doc in docs] == [doc.path for doc in expected_docs]
    assert docs[0].path != "amara_okonkwo-diallo.md"


@pytest.mark.slow
def test_a_name_made_common_by_an_edit_is_no_longer_hunted_after_a_rebuild(sources: Path, tmp_path: Path) -> None:
    """The rebuild updates the capitalisation counts of the changed form only, and matches a cold build."""
    out = tmp_path / "out"
    path = sources / EDITED
    original = path.read_text(encoding="utf-8")
    # An innovator's name, from a name question of another form (a focal point's name would be hunted whatever).
    path.write_text(original.replace("## End", "Awa Kouassi visited the pickers.\n## End", 1), encoding="utf-8")
    build([sources], out)
    assert (default_cache_dir(out) / "privacy.pkl").is_file()
    assert "Kouassi" not in (out / "graph.trig").read_text(encoding="utf-8")

    common = "awa kouassi, awa kouassi and awa kouassi visited the pickers. Awa Kouassi"
    path.write_text(original.replace("## End", f"{common}\n## End", 1), encoding="utf-8")
    result = build([sources], out)
    assert result.figures["cache"]["forms_extracted"] == 1
    _same_outputs(_cold(sources, tmp_path / "cold"), out)
    assert "Awa Kouassi" in (out / "graph.trig").read_text(encoding="utf-8")


@pytest.mark.slow
def test_every_module_extraction_imports_is_in_its_cache_key(examples_dir: Path) -> None:
    """A module that extraction runs but the key omits would leave stale cached extractions after an edit.

    A fresh interpreter reads and extracts an example form as a build's worker does; every kg module it then
    holds must be keyed.
    """
    from kg.engine import cache

    form = examples_dir / "solar_irrigation_experiment.md"
    script = (
        "import sys; from pathlib import Path; from kg.engine.reading import _read_chunk; "
        f"[(record, doc)] = _read_chunk([(Path({str(form)!r}), 'solar.md')])[0]; assert doc.partnerships; "
        "print('\\n'.join(sorted(m for m in sys.modules if m == 'kg' or m.startswith('kg.'))))"
    )
    loaded = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout.split()
    ran = {cache._module_file(name) for name in loaded}
    assert {"extract.py", "partners.py", "decide.py", "inputs.py", "engine/reading.py"} <= ran  # the run did extract
    assert ran - set(cache.extract_modules()) == set()


def test_the_extraction_key_follows_imports_hidden_in_functions(tmp_path: Path) -> None:
    from kg.engine.cache import _kg_imports

    source = "import os\nfrom kg import lists\n\ndef f():\n    from kg.ner import find\n    import kg.engine.cache as c\n"
    assert sorted(_kg_imports(ast.parse(source))) == ["kg", "kg.engine.cache", "kg.lists", "kg.ner"]
