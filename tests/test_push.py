"""Pushing a build to a real Oxigraph server over the Graph Store HTTP Protocol (kg.push, ``kg push``).

The server (the ``oxigraph`` command of the ``oxigraph`` package, in the
``test`` extra) runs on a free loopback port in a temporary folder and is
always stopped at teardown. The tests skip when the command is missing.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.error import URLError
from urllib.parse import urlencode
from urllib.request import ProxyHandler, Request, build_opener

import pyoxigraph as ox
import pytest

from kg.build import build
from kg.errors import InputError
from kg.push import graph_url, push
from kg.serve import make_server

ROOT = Path(__file__).resolve().parents[1]
_open = build_opener(ProxyHandler({})).open  # loopback only: never through a proxy


def _oxigraph() -> str | None:
    beside_python = Path(sys.executable).with_name("oxigraph")
    return shutil.which("oxigraph") or (str(beside_python) if beside_python.is_file() else None)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("push-build")
    build([ROOT / "examples"], out, jobs=1)
    return out


@pytest.fixture
def oxigraph_server(tmp_path) -> Iterator[str]:
    """Base URL of a fresh Oxigraph server on loopback; stopped at teardown."""
    binary = _oxigraph()
    if binary is None:
        pytest.skip("the oxigraph server command is not installed (pip install oxigraph)")
    port = _free_port()
    process = subprocess.Popen(
        [binary, "serve", "--location", str(tmp_path / "oxigraph"), "--bind", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base, process)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        if process.stderr:
            process.stderr.close()


def sparql(base: str, query: str) -> list[dict]:
    """Bindings of a SELECT on the server's /query endpoint."""
    request = Request(
        f"{base}/query?" + urlencode({"query": query}), headers={"Accept": "application/sparql-results+json"}
    )
    with _open(request, timeout=30) as response:
        return json.load(response)["results"]["bindings"]


def count(base: str, query: str) -> int:
    return int(sparql(base, query)[0]["n"]["value"])


QUADS = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
TRIPLES = "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } } }"
PER_GRAPH = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"


def local_counts(built: Path) -> dict[str, int]:
    store = ox.Store.read_only(str(built / "store"))
    counts = {g.value: len(list(store.quads_for_pattern(None, None, None, g))) for g in store.named_graphs()}
    del store
    return counts


def remote_counts(base: str) -> dict[str, int]:
    return {b["g"]["value"]: int(b["n"]["value"]) for b in sparql(base, PER_GRAPH)}


@pytest.mark.slow
def test_push_sends_every_graph_and_every_triple(built, oxigraph_server):
    result = push(built, f"{oxigraph_server}/store")
    expected = local_counts(built)
    assert result.graphs == expected
    assert "https://w3id.org/portfolio-kg/id/graph/reference" in expected
    assert remote_counts(oxigraph_server) == expected
    assert count(oxigraph_server, QUADS) == sum(expected.values())
    union = ox.Store()
    union.bulk_load(path=str(built / "graph.ttl"), format=ox.RdfFormat.TURTLE)
    assert count(oxigraph_server, TRIPLES) == len(union) == len(set(ox.parse(path=str(built / "graph.ttl"))))


@pytest.mark.slow
def test_pushing_twice_replaces_rather_than_duplicates(built, oxigraph_server):
    endpoint = f"{oxigraph_server}/store"
    push(built, endpoint)
    first = remote_counts(oxigraph_server)
    # A stray triple in one of the build's graphs is replaced by the next push.
    reference = ox.NamedNode("https://w3id.org/portfolio-kg/id/graph/reference")
    stray = b"<http://example.org/stray> <http://example.org/p> <http://example.org/o> .\n"
    post = Request(
        graph_url(endpoint, reference), data=stray, method="POST", headers={"Content-Type": "application/n-triples"}
    )
    with _open(post, timeout=30):
        pass
    assert remote_counts(oxigraph_server)[reference.value] == first[reference.value] + 1
    push(built, endpoint)
    assert remote_counts(oxigraph_server) == first == local_counts(built)
    assert count(oxigraph_server, QUADS) == sum(first.values())


@pytest.mark.slow
def test_cli_push(built, oxigraph_server):
    result = subprocess.run(
        [sys.executable, "-m", "kg", "push", "--graph", str(built), "--endpoint", f"{oxigraph_server}/store"],
        check=False,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    assert f"pushed {len(local_counts(built))} graphs" in result.stderr
    assert remote_counts(oxigraph_server) == local_counts(built)


@pytest.mark.slow
def test_refusing_store_names_url_and_status(built, oxigraph_server):
    with pytest.raises(InputError) as caught:
        push(built, f"{oxigraph_server}/no-such-endpoint")
    assert f"{oxigraph_server}/no-such-endpoint" in str(caught.value)
    assert "HTTP 404" in str(caught.value)


@pytest.mark.slow
def test_read_only_endpoint_refuses_with_its_status(built):
    server = make_server(built, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        endpoint = f"{server.url}sparql"
        result = subprocess.run(
            [sys.executable, "-m", "kg", "push", "--graph", str(built), "--endpoint", endpoint],
            check=False,
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
    assert result.returncode == 2
    assert endpoint in result.stderr.replace("\n", "")
    assert "HTTP 405" in result.stderr
    assert "Traceback" not in result.stderr


def test_unreachable_store_is_an_input_error(built):
    endpoint = f"http://127.0.0.1:{_free_port()}/store"
    with pytest.raises(InputError, match="cannot reach the triple store at " + endpoint.replace(".", r"\.")):
        push(built, endpoint, timeout=5)


@pytest.mark.parametrize("endpoint", ["ftp://127.0.0.1/store", "localhost:7878/store", "http:///store"])
def test_non_http_endpoint_is_refused(built, endpoint):
    with pytest.raises(InputError, match="not an http"):
        push(built, endpoint)


def test_graph_url_encodes_the_graph_iri():
    graph = ox.NamedNode("https://w3id.org/portfolio-kg/id/doc/a b?.md".replace(" ", "%20"))
    assert graph_url("http://h:7878/store", graph) == (
        "http://h:7878/store?graph=https%3A%2F%2Fw3id.org%2Fportfolio-kg%2Fid%2Fdoc%2Fa%2520b%3F.md"
    )
    assert graph_url("http://h:3030/ds/data?x=1", ox.DefaultGraph()) == "http://h:3030/ds/data?x=1&default"


def _wait_until_up(base: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            error = process.stderr.read().decode("utf-8", "replace") if process.stderr else ""
            pytest.fail(f"oxigraph exited with {process.returncode}: {error}")
        try:
            sparql(base, "SELECT * WHERE { } LIMIT 1")
            return
        except (URLError, ConnectionError, OSError):
            time.sleep(0.1)
    pytest.fail(f"oxigraph did not answer at {base} within 30 s")
