"""The read-only SPARQL endpoint (kg.serve), run in a thread on a free loopback port."""

from __future__ import annotations

import csv
import io
import json
import re
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from urllib.error import HTTPError
from urllib.parse import urlencode
from urllib.request import ProxyHandler, Request, build_opener

import pytest
from rdflib import Graph

from kg.build import build
from kg.serve import make_server

ROOT = Path(__file__).resolve().parents[1]
COUNTRIES = "SELECT ?n WHERE { ?c a pkg:Country ; skos:notation ?n } ORDER BY ?n"
ISO3 = ["BOL", "CIV", "KEN", "MWI", "TUR", "VNM"]
_open = build_opener(ProxyHandler({})).open  # loopback only: never through a proxy


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("serve-build")
    build([ROOT / "examples"], out, jobs=1)
    return out


@pytest.fixture(scope="module")
def base(built) -> Iterator[str]:
    server = make_server(built, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.url.rstrip("/")
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def call(url: str, data: bytes | None = None, headers: dict[str, str] | None = None, method: str | None = None):
    """(status, content type, body text) of a request; HTTP errors are answers too."""
    request = Request(url, data=data, headers=headers or {}, method=method)
    try:
        with _open(request, timeout=30) as response:
            return response.status, response.headers.get("Content-Type", ""), response.read().decode("utf-8")
    except HTTPError as exc:
        return exc.code, exc.headers.get("Content-Type", ""), exc.read().decode("utf-8")


def get(base: str, query: str, accept: str | None = None, **extra: str):
    headers = {"Accept": accept} if accept else {}
    return call(f"{base}/sparql?" + urlencode({"query": query, **extra}), headers=headers)


def test_get_returns_sparql_json_by_default(base):
    status, media, body = get(base, COUNTRIES)
    assert status == 200
    assert media.startswith("application/sparql-results+json")
    answer = json.loads(body)
    assert answer["head"]["vars"] == ["n"]
    assert [b["n"]["value"] for b in answer["results"]["bindings"]] == ISO3


def test_post_form_encoded(base):
    data = urlencode({"query": COUNTRIES}).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "text/csv"}
    status, media, body = call(f"{base}/sparql", data, headers)
    assert (status, media) == (200, "text/csv; charset=utf-8")
    assert body.splitlines() == ["n", *ISO3]


def test_post_sparql_query_body(base):
    headers = {"Content-Type": "application/sparql-query", "Accept": "application/sparql-results+json"}
    status, _, body = call(f"{base}/sparql", b"ASK { ?p a pkg:Partnership }", headers)
    assert status == 200
    assert json.loads(body) == {"head": {}, "boolean": True}


@pytest.mark.parametrize(
    ("accept", "media"),
    [
        ("application/sparql-results+xml", "application/sparql-results+xml"),
        ("text/csv", "text/csv"),
        ("text/tab-separated-values", "text/tab-separated-values"),
        ("text/html,application/xhtml+xml,*/*;q=0.8", "application/sparql-results+json"),
        ("text/csv;q=0.4, application/sparql-results+xml;q=0.9", "application/sparql-results+xml"),
        ("image/png", "application/sparql-results+json"),
    ],
)
def test_accept_header_chooses_the_format(base, accept, media):
    status, content_type, body = get(base, COUNTRIES, accept)
    assert status == 200
    assert content_type.split(";")[0] == media
    if media.endswith("+xml"):
        namespace = "{http://www.w3.org/2005/sparql-results#}"
        root = ET.fromstring(body)
        assert [e.text for e in root.iter(f"{namespace}literal")] == ISO3
    elif media == "text/csv":
        assert [row[0] for row in csv.reader(io.StringIO(body))] == ["n", *ISO3]
    elif media == "text/tab-separated-values":
        assert body.splitlines() == ["?n", *(f'"{code}"' for code in ISO3)]


def test_format_parameter_of_the_query_page(base):
    status, media, body = get(base, COUNTRIES, format="csv")
    assert (status, media.split(";")[0]) == (200, "text/csv")
    assert body.splitlines()[1] == "BOL"


def test_construct_gives_turtle(base):
    status, media, body = get(base, "CONSTRUCT WHERE { ?c a pkg:Country }", "application/sparql-results+json, */*")
    assert status == 200
    assert media.startswith("text/turtle")
    assert len(Graph().parse(data=body, format="turtle")) == 6


def test_default_graph_uri_limits_the_dataset(base):
    reference = "https://w3id.org/portfolio-kg/id/graph/reference"
    query = "SELECT (COUNT(*) AS ?n) WHERE { ?d a pkg:Experiment }"
    assert json.loads(get(base, query)[2])["results"]["bindings"][0]["n"]["value"] == "1"
    only_reference = json.loads(get(base, query, **{"default-graph-uri": reference})[2])
    assert only_reference["results"]["bindings"][0]["n"]["value"] == "0"


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * WHERE { SERVICE <http://127.0.0.1:1/sparql> { ?s ?p ?o } }",
        "SELECT * WHERE { BIND(<http://127.0.0.1:1/> AS ?x) FILTER(1<2)SERVICE?x#>\n{ ?a ?b ?c } }",
    ],
)
def test_service_is_refused(base, query):
    status, media, body = get(base, query)
    assert status == 400
    assert media.startswith("text/plain")
    assert "SERVICE" in body


def test_updates_are_refused(base, built):
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    status, _, body = call(f"{base}/sparql", urlencode({"update": "CLEAR ALL"}).encode(), form)
    assert status == 403 and "read-only" in body
    status, _, _ = call(f"{base}/sparql", b"CLEAR ALL", {"Content-Type": "application/sparql-update"})
    assert status == 403
    assert call(f"{base}/sparql?" + urlencode({"update": "CLEAR ALL"}))[0] == 403
    # An update sent as a query is not a query.
    status, _, body = get(base, "INSERT DATA { <http://e/s> <http://e/p> <http://e/o> }")
    assert status == 400 and "malformed SPARQL" in body
    assert call(f"{base}/sparql", b"x", method="PUT")[0] == 405
    assert json.loads(get(base, "ASK { <http://e/s> ?p ?o }")[2])["boolean"] is False


def test_malformed_and_missing_queries_are_400(base):
    status, media, body = get(base, "SELEC ?x WHERE { ?x ?y ?z }")
    assert status == 400 and media.startswith("text/plain")
    assert "malformed SPARQL" in body and "1:" in body
    assert call(f"{base}/sparql")[0] == 400
    status, _, _ = call(f"{base}/sparql", b"query=x", {"Content-Type": "text/plain"})
    assert status == 415


def test_unknown_path_is_404(base):
    assert call(f"{base}/nothing-here")[0] == 404


def test_query_page_is_static_and_escaped(base):
    status, media, body = call(f"{base}/")
    assert (status, media) == (200, "text/html; charset=utf-8")
    assert '<form method="get" action="/sparql">' in body
    assert "brokers" in body and "partners" in body
    assert "src=" not in body and not re.search(r'href="(https?:)?//', body)  # no external assets
    # Query text is shown escaped: '<' of IRIs never opens a tag.
    assert "PREFIX pkg: &lt;https://w3id.org/portfolio-kg/ontology#&gt;" in body
    assert "<https://" not in body


def test_server_binds_loopback_by_default(built):
    server = make_server(built, port=0)
    try:
        assert server.server_address[0] == "127.0.0.1"
    finally:
        server.server_close()


def test_requests_for_other_host_names_are_refused(base):
    """A page of another site whose name resolves to 127.0.0.1 (DNS rebinding) gets nothing."""
    status, _, body = call(f"{base}/sparql?" + urlencode({"query": COUNTRIES}), headers={"Host": "evil.example:7878"})
    assert status == 403 and "evil.example" in body
    assert call(f"{base}/", headers={"Host": f"localhost:{base.rsplit(':', 1)[1]}"})[0] == 200
