"""The build on hostile input: every file accounted for, no traceback, a valid graph, labels kept.

The corpus in ``tests/data/hostile`` (written byte by byte, see each file):

* ``empty.md``, ``whitespace_only.md``: no content; ``image_named_md.md``: a PNG;
* ``latin1_crlf.md``, ``cp1252_crlf.md``, ``latin1_c1_bytes.md`` (bytes cp1252 leaves undefined),
  ``utf8_bom.md``, ``old_mac_cr.md`` (CR line ends only);
* ``control_chars.md``: ``\\x02`` inside words (PDF soft hyphens, as in 26 corpus forms), ``\\x0b``, DEL;
* ``broken_tags.md``: ``[[year:twenty]]``, ``[[country:]]``, unclosed ``[[``, unknown countries,
  bad ``latlng``, an unknown type;
* ``hostile_labels.md``, ``path_like_names.md``, ``long_names.md``, ``emoji_combining.md``,
  ``html_and_markup.md``: quotes, backslashes, ``<script>``, Turtle and SPARQL syntax,
  ``../../etc/passwd``, 1,000-character names, emoji, combining marks, bidi controls, HTML soup;
* ``duplicate_a.md``, ``duplicate_b.md``, ``sub/duplicate_a.md``: the same bytes three times;
* awkward names: ``.md`` (only a suffix, like one corpus form), ``name with spaces & 'quotes'.md``, ``UPPER_SUFFIX.MD``, ``plain_text_form.txt``;
  ``not_a_form.csv`` is not a form and must be ignored.

Generated at test time (too big to commit): a 10 MB form and a form with a NUL byte past 64 KB.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest
from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, SKOS

from kg.namespaces import PKG, mint

pytestmark = pytest.mark.slow  # builds the hostile corpus (a 10 MB form) and corpus samples as `python -m kg build` child processes

ROOT = Path(__file__).resolve().parents[1]
HOSTILE = Path(__file__).resolve().parent / "data" / "hostile"
EXAMPLES = ROOT / "examples"

BROKEN_TAG_MESSAGES = [
    ("bad-year", 3),
    ("empty-tag", 4),
    ("empty-tag", 5),
    ("bad-tag", 6),
    ("bad-tag", 7),
    ("unclosed-tag", 8),
    ("unclosed-tag", 9),
    ("unknown-country", 11),
    ("unknown-country", 12),
    ("bad-latlng", 13),
    ("bad-latlng", 14),
    ("null-latlng", 15),
    ("bad-latlng", 16),
    ("bad-latlng", 17),
    ("bad-latlng", 18),
    ("null-latlng", 19),
    ("bad-sdg", 20),
    ("empty-tag", 21),
    ("unknown-type", 22),
]

# path -> (status, message codes), checked by hand against each file.
EXPECTED = {
    ".md": ("ok", set()),
    "UPPER_SUFFIX.MD": ("ok", set()),
    "broken_tags.md": ("warning", {code for code, _ in BROKEN_TAG_MESSAGES}),
    "control_chars.md": ("ok", set()),
    "cp1252_crlf.md": ("warning", {"legacy-encoding"}),
    "duplicate_a.md": ("ok", set()),
    "duplicate_b.md": ("warning", {"duplicate-content"}),
    "emoji_combining.md": ("ok", set()),
    "empty.md": ("error", {"empty"}),
    "generated/late_nul.md": ("ok", set()),
    "generated/ten_megabytes.md": ("ok", set()),
    "hostile_labels.md": ("ok", set()),
    "html_and_markup.md": ("ok", set()),
    "image_named_md.md": ("error", {"binary"}),
    "latin1_c1_bytes.md": ("warning", {"legacy-encoding"}),
    "latin1_crlf.md": ("warning", {"legacy-encoding"}),
    "long_names.md": ("ok", set()),
    "name with spaces & 'quotes'.md": ("ok", set()),
    "no_type_no_title.md": ("warning", {"no-title", "no-type"}),
    "old_mac_cr.md": ("ok", set()),
    "path_like_names.md": ("ok", set()),
    "plain_text_form.txt": ("ok", set()),
    "sub/duplicate_a.md": ("warning", {"duplicate-content"}),
    "unclosed_group.md": ("warning", {"nested-group", "unclosed-group"}),
    "utf8_bom.md": ("ok", set()),
    "whitespace_only.md": ("error", {"empty"}),
}

HOSTILE_TITLE = '"Quoted" \\ title with <script>alert("x")</script> and @prefix evil: <http://evil.example/> .'
HOSTILE_PARTNERS = [
    "\"Double\" and 'single' quotes Ltd",
    "Back\\slash\\\\ Foundation \\u0041 \\n",
    "<script>alert(1)</script> Cooperative",
    "@prefix evil: <http://evil.example/> . Institute",
    '""" triple quoted """ University',
    "''' also triple ''' Ministry",
    "Agency > . } UNION { ?s ?p ?o } # comment",
    "Company <b>entity</b> & Sons",  # entities decoded
]


def kg(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kg", *args], capture_output=True, text=True, cwd=ROOT)


def write_generated(folder: Path) -> None:
    """The 10 MB form (1,000 answers of 10 KB and a 1 MB line) and a form with a NUL past 64 KB."""
    folder.mkdir(parents=True, exist_ok=True)
    paragraph = "The cooperative of farmers grows maize, beans and hope in the dry season. " * 137
    parts = ["# A ten megabyte form\n\n[[year:2022]]\n\n[[type:solution]]\n\n[[country:Kenya]]\n## Answers\n"]
    parts += [f"> Question number {i}\n\n{paragraph}\n\n" for i in range(1000)]
    parts.append("> One very long line\n\n" + "x" * 1_000_000 + "\n")
    (folder / "ten_megabytes.md").write_text("".join(parts), encoding="utf-8")
    late = "# NUL far down\n\n[[type:solution]]\n\n> Padding\n\n" + "padding line\n" * 6000 + "a \x00 NUL\n"
    (folder / "late_nul.md").write_text(late, encoding="utf-8")


@pytest.fixture(scope="module")
def hostile_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("hostile") / "in"
    shutil.copytree(HOSTILE, folder)
    write_generated(folder / "generated")
    return folder


@pytest.fixture(scope="module")
def hostile_build(hostile_dir) -> tuple[Path, subprocess.CompletedProcess]:
    out = hostile_dir.parent / "out"
    return out, kg("build", str(hostile_dir), "-o", str(out), "--jobs", "1")


@pytest.fixture(scope="module")
def manifest(hostile_build) -> dict:
    out, result = hostile_build
    assert result.returncode == 0, result.stderr
    return json.loads((out / "manifest.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def dataset(hostile_build) -> Dataset:
    out, _ = hostile_build
    data = Dataset(default_union=True)
    data.parse(out / "graph.trig", format="trig")
    return data


def test_the_ten_megabyte_form_is_ten_megabytes(hostile_dir):
    assert (hostile_dir / "generated" / "ten_megabytes.md").stat().st_size >= 10_000_000


def test_build_succeeds_without_traceback(hostile_build):
    _, result = hostile_build
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_every_file_has_a_status_and_a_reason(manifest, hostile_dir):
    inputs = {
        p.relative_to(hostile_dir).as_posix()
        for p in hostile_dir.rglob("*")
        if p.is_file() and (p.suffix.lower() in (".md", ".txt") or p.name.lower() in (".md", ".txt"))
    }
    entries = {entry["path"]: entry for entry in manifest["files"]}
    assert set(entries) == inputs == set(EXPECTED)
    for path, entry in entries.items():
        codes = {m["code"] for m in entry["messages"]}
        assert (entry["status"], codes) == EXPECTED[path], path
        assert all(m["text"] and m["level"] in ("warning", "error") for m in entry["messages"])
        if entry["status"] != "error":
            assert entry["triples"] > 0 and len(entry["sha256"]) == 64, path


def test_no_internal_errors(manifest):
    assert "internal" not in manifest["summary"]["messages_by_code"]


def test_broken_tags_are_reported_line_by_line(manifest):
    entry = next(e for e in manifest["files"] if e["path"] == "broken_tags.md")
    assert [(m["code"], m["line"]) for m in entry["messages"]] == BROKEN_TAG_MESSAGES


def test_graph_parses_with_rdflib(hostile_build, dataset):
    out, _ = hostile_build
    assert len(Graph().parse(out / "graph.ttl", format="turtle")) > 1000
    assert len(list(dataset.quads())) > 1000


def test_graph_validates(hostile_build):
    out, _ = hostile_build
    result = kg("validate", str(out))
    assert result.returncode == 0, result.stdout + result.stderr


def test_strict_exits_non_zero(hostile_dir, tmp_path):
    result = kg("build", str(hostile_dir), "-o", str(tmp_path / "strict"), "--strict", "--jobs", "1")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr


def title_of(dataset: Dataset, path: str) -> list[str]:
    return [str(o) for o in dataset.objects(mint("doc", path), DCTERMS.title)]


def test_legacy_encodings_are_decoded(dataset, manifest):
    assert title_of(dataset, "latin1_crlf.md") == ["Agua segura en Perú: señales débiles"]
    assert title_of(dataset, "latin1_c1_bytes.md") == ["Agua latin-1 en Perú: señales débiles"]
    assert title_of(dataset, "cp1252_crlf.md") == ["Agua “segura” en Perú: señales débiles"]
    assert title_of(dataset, "utf8_bom.md") == ["Agua con BOM en Perú: señales débiles"]
    assert title_of(dataset, "old_mac_cr.md") == ["Agua CR en Perú: señales débiles"]
    answers = {str(o) for o in dataset.objects(None, PKG.answer)}
    assert "“Filtros” de cerámica – 5 € para familias de Perú; costo: 20 soles." in answers
    encodings = {e["path"]: e["encoding"] for e in manifest["files"]}
    assert encodings["latin1_c1_bytes.md"] == "latin-1"
    assert encodings["cp1252_crlf.md"] == "cp1252"
    peru = mint("country", "PER")
    for path in ("latin1_crlf.md", "cp1252_crlf.md", "utf8_bom.md", "old_mac_cr.md"):
        assert (mint("doc", path), DCTERMS.spatial, peru) in dataset, path


def test_stray_control_characters_are_dropped_and_separators_become_spaces(dataset):
    assert title_of(dataset, "control_chars.md") == ["Control characters"]
    answers = {str(o) for o in dataset.objects(None, PKG.answer)}
    assert "National Scientific and Technical Research Council Second part end" in answers


def test_hostile_labels_are_kept_exactly(dataset):
    assert title_of(dataset, "hostile_labels.md") == [HOSTILE_TITLE]
    answers = {str(o) for o in dataset.objects(None, PKG.answer)}
    for label in HOSTILE_PARTNERS:
        assert label in answers, label
    themes = {str(o) for o in dataset.objects(None, SKOS.prefLabel)}
    assert "<script>alert(1)</script>" in themes
    assert '""" ; @prefix x: <y> .' in themes


def test_hostile_title_comes_back_exactly_from_the_query_store(hostile_build):
    out, _ = hostile_build
    doc = mint("doc", "hostile_labels.md")
    result = kg("query", "--sparql", f"SELECT ?t WHERE {{ <{doc}> dcterms:title ?t }}", "-g", str(out), "-f", "json")
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)["results"]["bindings"]
    assert [row["t"]["value"] for row in rows] == [HOSTILE_TITLE]


def test_path_like_names_stay_text_and_write_no_files(hostile_build, dataset):
    out, _ = hostile_build
    assert title_of(dataset, "path_like_names.md") == ["../../etc/passwd"]
    answers = {str(o) for o in dataset.objects(None, PKG.answer)}
    assert {"../../etc/passwd", "..\\..\\windows\\system32", "C:\\Users\\Public NGO"} <= answers
    root = out.parent
    # .kg-cache: kg build's rebuild cache, named after OUT (never after an input), kept out of OUT (kg.cache).
    assert sorted(p.name for p in root.iterdir()) == [".kg-cache", "in", "out"]
    assert [p.name for p in (root / ".kg-cache").iterdir()] == ["out"]
    for path in out.rglob("*"):
        assert path.resolve().is_relative_to(out.resolve())
        if path.relative_to(out).parts[0] != "store":
            assert not any(bad in path.name for bad in ("passwd", "..", "<", ">", '"', "\\", "script")), path


def test_long_names_are_kept_but_iris_stay_short(hostile_build, dataset):
    out, _ = hostile_build
    assert title_of(dataset, "long_names.md") == ["L" * 1000]
    answers = {str(o) for o in dataset.objects(None, PKG.answer)}
    assert any(len(a) == 1000 and a.startswith("Cooperativa muy larga") for a in answers)
    iris = {str(t) for quad in dataset.quads() for t in quad if isinstance(t, URIRef)}
    assert max(len(iri) for iri in iris) < 250


def test_emoji_and_combining_marks_are_kept_in_nfc(dataset):
    assert title_of(dataset, "emoji_combining.md") == ["Agua 💧 para todos 🌍🏳️‍🌈 — café naïve"]
    answers = {str(o) for o in dataset.objects(None, PKG.answer)}
    assert "Café Andino Cooperative" in answers  # written once decomposed, once composed
    assert "Cafe\u0301 Andino Cooperative" not in answers
    assert {"\u202eevil\u202c RTL Override Association", "中华人民共和国农业部", "وزارة الزراعة"} <= answers
    literals = [o for o in dataset.objects() if isinstance(o, Literal)]
    assert all(unicodedata.is_normalized("NFC", str(o)) for o in literals)


def test_ten_megabyte_form_is_built_whole(manifest, dataset):
    entry = next(e for e in manifest["files"] if e["path"] == "generated/ten_megabytes.md")
    assert entry["triples"] > 8000
    answers = [str(o) for o in dataset.objects(None, PKG.answer)]
    assert "x" * 1_000_000 in answers


@pytest.fixture(scope="module")
def corpus_sample(corpus_dir, tmp_path_factory) -> Path:
    """Every 250th corpus form, plus real forms with lone CRs, decomposed accents and an empty tag."""
    folder = tmp_path_factory.mktemp("sample") / "corpus"
    folder.mkdir()
    odd = [
        "ladrillos_de_tierra_comprimidos.md",  # lone CRs inside answers, decomposed accents
        "exact_farming.md",  # a lone CR inside a tag value
        "reinventing_access_to_justice_in_guinea_bissau.md",  # [[datasources:]]
    ]
    for path in sorted(corpus_dir.glob("*.md"))[::250] + [corpus_dir / name for name in odd]:
        if path.is_file():
            shutil.copy(path, folder / path.name)
    return folder


def test_hostile_next_to_real_forms_and_examples(hostile_dir, corpus_sample, tmp_path):
    out = tmp_path / "mixed"
    result = kg("build", str(hostile_dir), str(EXAMPLES), str(corpus_sample), "-o", str(out), "--jobs", "2")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    n_inputs = len(EXPECTED) + len(list(EXAMPLES.glob("*.md"))) + len(list(corpus_sample.glob("*.md")))
    assert len(manifest["files"]) == n_inputs
    assert "internal" not in manifest["summary"]["messages_by_code"]
    statuses = {e["path"]: e["status"] for e in manifest["files"]}
    assert {p: s for p, s in statuses.items() if s == "error"} == {
        "empty.md": "error",
        "image_named_md.md": "error",
        "whitespace_only.md": "error",
    }
    Dataset().parse(out / "graph.trig", format="trig")
    validated = kg("validate", str(out))
    assert validated.returncode == 0, validated.stdout
    assert kg("build", str(hostile_dir), str(EXAMPLES), "-o", str(tmp_path / "s"), "--strict").returncode == 1


def test_html_outputs_never_hold_hostile_markup_raw(hostile_build):
    """Labels holding HTML reach the HTML outputs escaped (escaping itself is tested with the views)."""
    out, _ = hostile_build
    pages = sorted(out.glob("*.html"))
    for page in pages:
        text = page.read_text(encoding="utf-8")
        for raw in ("<b>entity</b>", "<script>alert(1)</script>", '<script>alert("x")</script>'):
            assert raw not in text, (page.name, raw)
    assert any("entity" in page.read_text(encoding="utf-8") for page in pages)  # the label is there, escaped
