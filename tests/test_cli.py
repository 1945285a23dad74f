"""The ``kg`` command line, run as a user would, on the bundled example forms."""

import csv
import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from rdflib import Dataset, Graph

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"


def kg(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kg", *args], capture_output=True, text=True, cwd=cwd)


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("out")
    result = kg("build", str(EXAMPLES), "-o", str(out))
    assert result.returncode == 0, result.stderr
    return out


@pytest.mark.slow
def test_build_writes_graphs_and_manifest(built):
    for name in ("graph.ttl", "graph.trig", "manifest.json"):
        assert (built / name).is_file()
    manifest = json.loads((built / "manifest.json").read_text())
    files = sorted(entry["path"] for entry in manifest["files"])
    assert files == sorted(p.name for p in EXAMPLES.glob("*.md"))
    assert all(entry["status"] in ("ok", "warning") for entry in manifest["files"])
    assert all(len(entry["sha256"]) == 64 and entry["triples"] > 0 for entry in manifest["files"])


@pytest.mark.slow
def test_trig_has_one_named_graph_per_form_plus_reference(built):
    dataset = Dataset()
    dataset.parse(built / "graph.trig", format="trig")
    named = {str(g.identifier): len(g) for g in dataset.graphs() if len(g)}
    manifest = json.loads((built / "manifest.json").read_text())
    documents = {entry["document"] for entry in manifest["files"]}
    assert documents <= set(named)
    assert len(named) == len(documents) + 2  # + the reference graph and the analytics graph


@pytest.mark.slow
def test_count_query_matches_graph_ttl(built):
    graph = Graph().parse(built / "graph.ttl", format="turtle")
    result = kg("query", "--sparql", "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", "--graph", str(built), "--format", "json")
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["head"]["vars"] == ["n"]
    assert int(answer["results"]["bindings"][0]["n"]["value"]) == len(graph)


@pytest.mark.slow
def test_partners_query_columns_and_rows(built):
    result = kg("query", "partners", "--graph", str(built), "--format", "csv", "--param", "country=TUR")
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert list(rows[0])[:7] == ["file", "country", "action", "partner", "partner_iri", "role", "sector"]
    # solar_irrigation_experiment.md lists exactly these three partners (checked by hand).
    assert [r["partner"] for r in rows] == [
        "Konya Provincial Directorate of Agriculture and Forestry",
        "Selçuk University Faculty of Agriculture",
        "Güneşli Tarım Teknolojileri A.Ş.",
    ]
    assert {r["country"] for r in rows} == {"TUR"}
    assert all(r["partner_iri"].startswith("https://w3id.org/portfolio-kg/id/org/") for r in rows)


@pytest.mark.slow
def test_partners_query_keeps_actions_and_roles(built):
    result = kg("query", "partners", "--graph", str(built), "--format", "tsv", "--param", "country=VNM")
    rows = list(csv.DictReader(io.StringIO(result.stdout), delimiter="\t"))
    by_name = {r["partner"]: r for r in rows}
    lead = by_name["Ca Mau Provincial Department of Agriculture and Rural Development"]
    assert (lead["action"], lead["role"]) == ("MANGROVE CO-MANAGEMENT", "lead")
    assert by_name["Viet Nam Disaster and Dyke Management Authority"]["role"] == "counterpart"


@pytest.mark.slow
def test_queries_lists_canned_queries():
    result = kg("queries")
    assert result.returncode == 0
    names = [line.split("\t")[0] for line in result.stdout.splitlines()]
    assert {"partners", "mentions"} <= set(names)
    assert all("\t" in line and line.split("\t")[1] for line in result.stdout.splitlines())


@pytest.mark.slow
def test_mentions_query_has_fixed_columns(built):
    result = kg("query", "mentions", "--graph", str(built), "--format", "json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["head"]["vars"] == ["file", "country", "organization", "organization_iri"]


@pytest.mark.slow
@pytest.mark.parametrize(
    "args",
    [
        ("build", "/no/such/folder"),
        ("build", "--no-such-option", "examples"),
        ("query", "no-such-query"),
        ("query",),
    ],
)
def test_usage_and_input_errors_exit_2(args, built):
    extra = ("--graph", str(built)) if args[0] == "query" else ()
    result = kg(*args, *extra)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


@pytest.mark.slow
def test_service_clause_is_refused(built):
    query = "SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }"
    result = kg("query", "--sparql", query, "--graph", str(built))
    assert result.returncode == 2
    assert "SERVICE" in result.stderr


@pytest.mark.slow
def test_strict_exits_1_on_a_broken_file(tmp_path):
    shutil.copy(EXAMPLES / "solar_irrigation_experiment.md", tmp_path)
    (tmp_path / "broken.md").write_bytes(b"\x00\x01binary\x00")
    out = tmp_path / "out"
    relaxed = kg("build", str(tmp_path), "-o", str(out))
    assert relaxed.returncode == 0
    assert "broken.md" in relaxed.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    status = {entry["path"]: entry["status"] for entry in manifest["files"]}
    assert status == {"broken.md": "error", "solar_irrigation_experiment.md": "ok"}
    assert kg("build", str(tmp_path), "-o", str(out), "--strict").returncode == 1


@pytest.mark.slow
def test_outputs_do_not_depend_on_folder_or_jobs(tmp_path, built):
    moved = tmp_path / "somewhere" / "else"
    shutil.copytree(EXAMPLES, moved)
    out = tmp_path / "again"
    assert kg("build", str(moved), "-o", str(out), "--jobs", "2").returncode == 0
    for name in ("graph.ttl", "graph.trig"):
        assert (out / name).read_bytes() == (built / name).read_bytes()


@pytest.mark.slow
def test_personal_data_is_pseudonymised_by_default(built):
    text = (built / "graph.trig").read_text()
    assert "@example.org" not in text
    assert "person-" in text


def test_every_command_is_documented_in_the_readme():
    """Each command of ``kg --help`` has its row in the README's command table."""
    from kg.cli import app

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    names = sorted(command.name or command.callback.__name__ for command in app.registered_commands)
    assert "train" in names and "eval" in names
    undocumented = [name for name in names if f"| `kg {name}" not in readme]
    assert not undocumented, undocumented
