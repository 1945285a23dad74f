"""The read-only SPARQL endpoint (kg.serve), run in a thread on a free loopback port."""

from __future__ import annotations

import csv
import io
import json
import multiprocessing
import os
import re
import socket
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.error import HTTPError
from urllib.parse import urlencode
from urllib.request import ProxyHandler, Request, build_opener

import pytest
from rdflib import Graph

from kg.build import build
from kg.serve import MAX_BODY_BYTES, make_server
from tests.browser import Chromium, Tab
from tests.conftest import THREE_GRAPHS

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
    yield from _running(make_server(built, "127.0.0.1", 0))


def _running(server) -> Iterator[str]:
    """Serve in a thread; yield the server's URL; stop it."""
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


def test_query_page_loads_nothing_from_elsewhere(base):
    status, media, body = call(f"{base}/")
    assert (status, media) == (200, "text/html; charset=utf-8")
    assert '<script src="/query.js" defer></script>' in body and '<link rel="stylesheet" href="/query.css">' in body
    assert not re.search(r'(src|href)="(https?:)?//', body)  # no external assets
    assert "<script>" not in body and "style=" not in body  # nothing inline: the policy forbids it
    for path, media_type in (("/query.js", "text/javascript"), ("/query.css", "text/css")):
        status, media, _ = call(base + path)
        assert (status, media.split(";")[0]) == (200, media_type)


def test_every_answer_carries_a_strict_content_security_policy(base):
    request = Request(f"{base}/")
    with _open(request, timeout=30) as response:
        policy = response.headers["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["default-src"] == "'none'"
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
    assert directives["connect-src"] == "'self'"
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy and "http" not in policy


def test_canned_queries_are_listed_for_the_page(base):
    status, media, body = call(f"{base}/queries.json")
    assert (status, media) == (200, "application/json")
    listing = json.loads(body)
    names = [q["name"] for q in listing["queries"]]
    assert {"partners", "brokers", "mentions"} <= set(names)
    partners = listing["queries"][names.index("partners")]
    assert "?country_param" in partners["text"]
    assert listing["prefixes"]["pkg"] == "https://w3id.org/portfolio-kg/ontology#"


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


# --- the dataset, on three graphs of one triple each (tests/conftest.py) --------------------------------

G1, G2, G3 = THREE_GRAPHS


@pytest.fixture(scope="module")
def three(three_graph_build) -> Iterator[str]:
    yield from _running(make_server(three_graph_build, "127.0.0.1", 0, timeout=1.0, workers=2))


def column(base: str, query: str, **dataset: str | list[str]) -> list[str]:
    """The first column of a SELECT answer, sorted; ``dataset`` holds protocol parameters."""
    params = [("query", query)]
    for name, values in dataset.items():
        params += [(name.replace("_", "-"), v) for v in ([values] if isinstance(values, str) else values)]
    status, _, body = call(f"{base}/sparql?" + urlencode(params))
    assert status == 200, body
    answer = json.loads(body)
    return sorted(b[answer["head"]["vars"][0]]["value"] for b in answer["results"]["bindings"])


SUBJECTS = "SELECT ?s WHERE { ?s a ?t }"
GRAPHS = "SELECT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"


def test_without_a_dataset_the_default_graph_is_the_union(three):
    assert column(three, SUBJECTS) == [f"http://example.org/only-in-g{n}" for n in (1, 2, 3)]
    assert column(three, GRAPHS) == [G1, G2, G3]


def test_named_graph_uri_alone_leaves_the_default_graph_empty(three):
    assert column(three, SUBJECTS, named_graph_uri=G1) == []
    assert column(three, GRAPHS, named_graph_uri=G1) == [G1]


def test_default_graph_uri_alone_names_no_graph(three):
    assert column(three, SUBJECTS, default_graph_uri=G1) == ["http://example.org/only-in-g1"]
    assert column(three, GRAPHS, default_graph_uri=G1) == []
    assert column(three, SUBJECTS, default_graph_uri=[G1, G3]) == [
        "http://example.org/only-in-g1", "http://example.org/only-in-g3"]  # fmt: skip


def test_from_applies_without_a_protocol_dataset(three):
    ask = "ASK FROM <http://example.org/g1> { <http://example.org/only-in-g2> a ?t }"
    assert json.loads(get(three, ask)[2])["boolean"] is False
    assert column(three, "SELECT ?g FROM NAMED <http://example.org/g2> { GRAPH ?g { ?s ?p ?o } }") == [G2]


def test_a_protocol_dataset_replaces_from(three):
    query = "SELECT ?s FROM <http://example.org/g2> FROM NAMED <http://example.org/g3> WHERE { ?s a ?t }"
    assert column(three, query, default_graph_uri=G1) == ["http://example.org/only-in-g1"]
    graphs = "SELECT ?g FROM NAMED <http://example.org/g3> WHERE { GRAPH ?g { ?s ?p ?o } }"
    assert column(three, graphs, named_graph_uri=G2) == [G2]


def test_relative_iris_resolve_against_the_endpoint_url(three):
    status, media, body = get(three, "CONSTRUCT { <s> <p> 1 } WHERE {}", "application/n-triples")
    assert (status, media) == (200, "application/n-triples")
    assert body.strip() == f'<{three}/s> <{three}/p> "1"^^<http://www.w3.org/2001/XMLSchema#integer> .'


def test_a_bad_graph_iri_is_400(three):
    status, _, body = call(f"{three}/sparql?" + urlencode({"query": SUBJECTS, "default-graph-uri": "not an iri"}))
    assert status == 400 and "graph IRI" in body


# --- strict input -----------------------------------------------------------------------------------------


def exchange(base: str, data: bytes, responses: int = 1, heads: tuple[int, ...] = ()) -> list[tuple[int, dict, bytes]]:
    """Send raw bytes on one connection and read ``responses`` answers: (status, headers, body) each.

    ``heads`` are the positions of answers to HEAD requests, which have headers and no body.
    """
    host, port = base.removeprefix("http://").rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(data)
        reader = sock.makefile("rb")
        return [_read_response(reader, n in heads) for n in range(responses)]


def _read_response(reader, head: bool) -> tuple[int, dict, bytes]:
    status = int(reader.readline().split()[1])
    headers = {}
    while (line := reader.readline().strip()) != b"":
        name, _, value = line.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    return status, headers, b"" if head else reader.read(int(headers.get("content-length", 0)))


def request_bytes(method: str, target: str, body: bytes = b"", **headers: str) -> bytes:
    lines = [f"{method} {target} HTTP/1.1", "Host: 127.0.0.1"]
    lines += [f"{name.replace('_', '-')}: {value}" for name, value in headers.items()]
    if body and "Transfer_Encoding" not in headers:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


@pytest.mark.parametrize(
    "target",
    [
        "/sparql?query=ASK%20%7B%7D%FF%FE",  # bytes that are no UTF-8
        "/sparql?query=ASK%20%7B%7D%23%ED%A0%80",  # a lone surrogate, encoded
        "/sparql?query=ASK%20%7B%7D%23%C3",  # a sequence cut short
    ],
)
def test_invalid_utf8_in_the_url_is_400(three, target):
    [(status, _, body)] = exchange(three, request_bytes("GET", target))
    assert status == 400 and b"not UTF-8" in body


def test_raw_non_utf8_bytes_are_400(three):
    [(status, _, body)] = exchange(three, request_bytes("GET", "/sparql?query=ASK{}").replace(b"{}", b"{}\xff"))
    assert status == 400 and b"not UTF-8" in body
    direct = request_bytes("POST", "/sparql", b"ASK {} # \xe9t\xe9", Content_Type="application/sparql-query")
    [(status, _, body)] = exchange(three, direct)
    assert status == 400 and b"request body is not UTF-8" in body


def test_utf8_is_read_as_utf8(three):
    query = "ASK { FILTER('ŝpaço' = \"\\u015dpa\\u00e7o\") }".encode()
    [(status, _, body)] = exchange(three, request_bytes("POST", "/sparql", query,
                                                        Content_Type="application/sparql-query; charset=UTF-8",
                                                        Accept="application/sparql-results+json"))
    assert (status, json.loads(body)["boolean"]) == (200, True)


@pytest.mark.parametrize("kind", ["application/sparql-query", "application/x-www-form-urlencoded"])
def test_another_charset_is_415(three, kind):
    body = b"ASK {}" if kind.endswith("query") else b"query=ASK%20%7B%7D"
    data = request_bytes("POST", "/sparql", body, Content_Type=f"{kind}; charset=ISO-8859-1")
    [(status, _, text)] = exchange(three, data)
    assert status == 415 and b"only UTF-8" in text


@pytest.mark.parametrize(
    ("target", "body", "kind"),
    [
        ("/sparql?query=ASK%7B%7D&query=ASK%7B%7D", b"", None),
        ("/sparql?query=ASK%7B%7D", b"query=ASK%7B%7D", "application/x-www-form-urlencoded"),
        ("/sparql", b"query=ASK%7B%7D&query=ASK%7B%7D", "application/x-www-form-urlencoded"),
        ("/sparql?query=ASK%7B%7D", b"ASK {}", "application/sparql-query"),
    ],
)
def test_a_query_given_twice_is_400(three, target, body, kind):
    headers = {"Content_Type": kind} if kind else {}
    [(status, _, text)] = exchange(three, request_bytes("POST" if kind else "GET", target, body, **headers))
    assert status == 400 and b"given 2 times" in text


def test_head_and_options_are_answered(three):
    get_answer, head_answer, options = exchange(
        three,
        request_bytes("GET", "/sparql?query=ASK%7B%7D") + request_bytes("HEAD", "/sparql?query=ASK%7B%7D")
        + request_bytes("OPTIONS", "/sparql"),
        responses=3,
        heads=(1,),
    )
    assert get_answer[0] == 200 and get_answer[2] == b'{"head":{},"boolean":true}'
    # HEAD: the same status and headers, no body (the next response follows at once).
    assert head_answer[0] == 200 and head_answer[2] == b""
    assert head_answer[1]["content-length"] == get_answer[1]["content-length"]
    assert options[0] == 204
    assert set(options[1]["allow"].split(", ")) == {"GET", "HEAD", "POST", "OPTIONS"}


def test_a_chunked_post_keeps_the_connection_in_step(three):
    chunked = (
        request_bytes("POST", "/sparql", Content_Type="application/sparql-query", Transfer_Encoding="chunked",
                      Accept="text/csv")
        + b"9\r\nSELECT (4\r\n" + b"11;ext=1\r\n2 AS ?n) WHERE {}\r\n" + b"0\r\n\r\n"
    )
    follow = request_bytes("GET", "/sparql?query=SELECT%20(7%20AS%20%3Fn)%20%7B%7D", Accept="text/csv")
    first, second = exchange(three, chunked + follow, responses=2)
    assert (first[0], first[2]) == (200, b"n\r\n42\r\n")
    assert (second[0], second[2]) == (200, b"n\r\n7\r\n")


def test_an_unread_body_never_becomes_the_next_request(three):
    """A body sent to a wrong path or with a refused type is read anyway, so the next request is parsed as one."""
    smuggled = b"GET /sparql?query=ASK%7B%7D HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    wrong_path = request_bytes("POST", "/nothing", smuggled, Content_Type="application/sparql-query")
    wrong_type = request_bytes("POST", "/sparql", smuggled, Content_Type="text/plain")
    follow = request_bytes("GET", "/sparql?query=SELECT%20(7%20AS%20%3Fn)%20%7B%7D", Accept="text/csv")
    answers = exchange(three, wrong_path + wrong_type + follow, responses=3)
    assert [a[0] for a in answers] == [404, 415, 200]
    assert answers[2][2] == b"n\r\n7\r\n"


@pytest.mark.parametrize("chunked", [False, True])
def test_an_over_long_body_gets_a_413_the_client_reads(three, chunked):
    body = b"query=" + b"%20" * (MAX_BODY_BYTES // 3 + 1000)  # over the limit
    if chunked:
        data = request_bytes("POST", "/sparql", Content_Type="application/x-www-form-urlencoded",
                             Transfer_Encoding="chunked") + f"{len(body):x}\r\n".encode() + body + b"\r\n0\r\n\r\n"
    else:
        data = request_bytes("POST", "/sparql", body, Content_Type="application/x-www-form-urlencoded")
    [(status, headers, text)] = exchange(three, data)
    assert status == 413 and headers["connection"] == "close"
    assert f"at most {MAX_BODY_BYTES} bytes".encode() in text


def test_an_announced_over_long_body_is_refused_before_it_is_sent(three):
    head = request_bytes("POST", "/sparql", Content_Type="application/sparql-query", Expect="100-continue",
                         Content_Length=str(MAX_BODY_BYTES + 1))
    [(status, _, _)] = exchange(three, head)
    assert status == 413


def test_conflicting_framing_is_refused(three):
    data = request_bytes("POST", "/sparql", Content_Type="application/sparql-query", Transfer_Encoding="chunked",
                         Content_Length="6") + b"ASK {}"
    [(status, headers, _)] = exchange(three, data)
    assert status == 400 and headers["connection"] == "close"


# --- load and time limits ---------------------------------------------------------------------------------


def test_fifty_simultaneous_requests_are_all_answered(three):
    start = threading.Barrier(50)

    def ask(n: int) -> tuple[int, str]:
        start.wait(timeout=30)
        status, _, body = get(three, f"SELECT (?n * 2 AS ?double) WHERE {{ VALUES ?n {{ {n} }} }}", "text/csv")
        return status, body

    with ThreadPoolExecutor(max_workers=50) as pool:
        answers = list(pool.map(ask, range(50), timeout=120))
    assert answers == [(200, f"double\r\n{2 * n}\r\n") for n in range(50)]


_SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?o ?p . ?q ?r ?s }"


@pytest.mark.slow
def test_a_query_past_the_time_limit_gets_503_and_its_process_is_stopped(built):
    server = make_server(built, "127.0.0.1", 0, timeout=1.0, workers=1)
    for base in _running(server):
        before = {child.pid for child in multiprocessing.active_children()}
        started = time.monotonic()
        status, _, body = get(base, _SLOW)
        elapsed = time.monotonic() - started
        assert status == 503 and "time limit of 1 s" in body
        assert 1.0 <= elapsed <= 2.0
        stopped = before - {child.pid for child in multiprocessing.active_children()}
        assert len(stopped) == 1 and not _alive(stopped.pop())  # its core is free
        # The server keeps answering, from a fresh process.
        status, _, body = get(base, COUNTRIES, "text/csv")
        assert (status, body.split()) == (200, ["n", *ISO3])


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


# --- the query page in a browser ---------------------------------------------------------------------------
# Headless Chromium, driven over the DevTools protocol on a pipe (tests/browser.py, with the standard library
# only). Clicks are real mouse events; the page's scripts do the rest. Skipped when Chromium is not installed.


# Injected before the page's own script (DevTools scripts are not subject to the page's policy): it records the
# policy violations the page meets, any alert() (which an injected element would call) and how many response
# bodies the page has read as text (one per answer of /sparql).
_WATCH = """
window.__kgViolations = [];
document.addEventListener("securitypolicyviolation",
  (event) => window.__kgViolations.push(`${event.violatedDirective} ${event.blockedURI}`));
window.__kgAlerts = [];
window.alert = (message) => window.__kgAlerts.push(String(message));
window.__kgAnswers = 0;
const kgReadText = Response.prototype.text;
Response.prototype.text = function () { return kgReadText.call(this).finally(() => { window.__kgAnswers += 1; }); };
"""

# What the page shows: the status line, the results table (header and cells) and the results' markup.
_SNAPSHOT = """(() => {
  const status = document.getElementById("status");
  const results = document.getElementById("results");
  const table = results.querySelector("table");
  return {
    status: status.textContent,
    error: status.className === "error",
    head: table ? [...table.tHead.rows[0].cells].map((cell) => cell.textContent) : null,
    rows: table ? [...table.tBodies[0].rows].map((row) => [...row.cells].map((cell) => cell.textContent)) : null,
    text: results.textContent,
    html: results.innerHTML,
    images: document.getElementsByTagName("img").length,
    alerts: window.__kgAlerts,
  };
})()"""


# Ready: the page has loaded (not an earlier document) and listed its canned queries and prefixes.
_LOADED = (
    "location.pathname === '/' && document.querySelectorAll('button.canned').length > 0"
    " && document.getElementById('prefix-list').textContent !== ''"
)


class _QueryPage(Tab):
    """A tab showing the query page of ``base``, loaded, with its canned queries listed and :data:`_WATCH` on."""

    def __init__(self, browser: Chromium, base: str) -> None:
        super().__init__(browser, f"{base}/", _LOADED, _WATCH)

    def click(self, selector: str) -> None:
        """A left click with the mouse in the middle of the element."""
        x, y = self.evaluate(
            f"(() => {{ const element = document.querySelector({json.dumps(selector)});"
            " element.scrollIntoView({block: 'center'}); const box = element.getBoundingClientRect();"
            " return [box.x + box.width / 2, box.y + box.height / 2]; })()"
        )
        for kind in ("mousePressed", "mouseReleased"):
            self.command("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left", clickCount=1)

    def type(self, query: str) -> None:
        """Replace the text of the query box by ``query``, typed."""
        self.evaluate("(() => { const box = document.getElementById('query'); box.value = ''; box.focus(); })()")
        self.command("Input.insertText", text=query)

    def run(self, query: str | None = None, button: str = "#run") -> dict:
        """Type ``query`` into the box (if given), click ``button`` and wait for the answer; what the page shows."""
        if query is not None:
            self.type(query)
        # The status line is emptied here so that the answer waited for is this click's.
        self.evaluate("document.getElementById('status').textContent = ''")
        self.click(button)
        self.wait_for("(text => text !== '' && text !== 'running…')(document.getElementById('status').textContent)")
        return self.evaluate(_SNAPSHOT)

    def problems(self) -> list[str]:
        """Policy violations, exceptions and security messages the page met so far; none is expected."""
        found = [f"violation: {v}" for v in self.evaluate("window.__kgViolations")]
        for event in self._events():
            if event["method"] == "Runtime.exceptionThrown":
                found.append(f"exception: {event['params']['exceptionDetails']}")
            elif event["method"] == "Log.entryAdded":
                entry = event["params"]["entry"]
                text = entry.get("text", "")
                if entry.get("source") == "security" or "Content Security Policy" in text or "Refused to" in text:
                    found.append(f"console: {text}")
        return found


@pytest.fixture
def page(browser, base) -> Iterator[_QueryPage]:
    """The query page in a new tab of the session's Chromium (tests/conftest.py), closed after the test."""
    tab = _QueryPage(browser, base)
    try:
        yield tab
    finally:
        tab.close()


@pytest.mark.slow
def test_the_page_runs_a_select_and_draws_a_table(page):
    shown = page.run(COUNTRIES)
    # The examples name six countries: Viet Nam, Malawi, Bolivia, Côte d'Ivoire, Türkiye, Kenya.
    assert shown["head"] == ["n"]
    assert shown["rows"] == [["BOL"], ["CIV"], ["KEN"], ["MWI"], ["TUR"], ["VNM"]]
    assert re.fullmatch(r"6 rows, in \d+\.\d\d s", shown["status"]) and not shown["error"]
    assert page.problems() == []


@pytest.mark.slow
def test_the_page_answers_ask_and_construct(page):
    assert page.run("ASK { ?c skos:notation 'KEN' }")["text"] == "ASK: yes (true)"
    assert page.run("ASK { ?c skos:notation 'ECU' }")["text"] == "ASK: no (false)"
    shown = page.run("CONSTRUCT WHERE { ?c a pkg:Country }")
    assert re.fullmatch(r"text/turtle, in \d+\.\d\d s", shown["status"])
    assert shown["html"].startswith("<pre>")
    assert len(Graph().parse(data=shown["text"], format="turtle")) == 6
    assert page.problems() == []


@pytest.mark.slow
def test_a_refused_query_is_shown_as_an_error(page):
    shown = page.run("SELEC ?x WHERE { ?x ?y ?z }")
    assert shown["error"] and shown["status"].startswith("400 ") and "malformed SPARQL" in shown["status"]
    assert shown["text"] == ""
    assert page.problems() == []


@pytest.mark.slow
def test_the_page_lists_one_button_per_canned_query(page):
    from kg.query import canned_queries

    canned = canned_queries()
    listed = page.evaluate(
        "[...document.querySelectorAll('#canned li')].map((item) => {"
        " const button = item.querySelector('button.canned');"
        " return [button.dataset.name, button.textContent, item.textContent]; })"
    )
    assert [name for name, _, _ in listed] == list(canned)
    for name, label, text in listed:
        assert label == name and text.startswith(f"{name}: {canned[name].description}")
    assert page.problems() == []


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "columns"),
    [
        # As in the SELECT clauses of kg/queries/documents.rq and partners.rq.
        ("documents", ["year", "type", "family", "documents"]),
        ("partners", ["file", "country", "action", "partner", "partner_iri", "role", "sector", "unusual", "line"]),
    ],
)
def test_a_canned_query_runs_from_its_button(page, name, columns):
    from kg.query import canned_queries

    shown = page.run(button=f'button.canned[data-name="{name}"]')
    assert page.evaluate("document.getElementById('query').value") == canned_queries()[name].text
    assert shown["head"] == columns and not shown["error"]
    assert shown["status"].startswith(f"{len(shown['rows'])} rows, in ")
    if name == "documents":
        # One row per form: the six examples' [[year:...]] are 2024, 2022, 2022, 2025, 2023 and 2024.
        assert [row[0] for row in shown["rows"]] == ["2022", "2022", "2023", "2024", "2024", "2025"]
        assert [row[3] for row in shown["rows"]] == ["1"] * 6
    else:
        examples = {path.name for path in (ROOT / "examples").glob("*.md")}
        assert shown["rows"] and {row[0] for row in shown["rows"]} <= examples
        assert {row[1] for row in shown["rows"]} <= set(ISO3)
    assert page.problems() == []


@pytest.mark.slow
def test_hostile_values_stay_text_in_the_page(page):
    markup = "<img src=x onerror=alert(1)>"
    shown = page.run(f'SELECT ("{markup}" AS ?x) {{}}')
    assert shown["head"] == ["x"] and shown["rows"] == [[markup]]
    assert "&lt;img src=x onerror=alert(1)&gt;" in shown["html"]
    assert shown["images"] == 0 and shown["alerts"] == []
    closing = "</pre><img src=x onerror=alert(2)>"
    shown = page.run(f'CONSTRUCT {{ <http://example.org/s> <http://example.org/p> "{closing}" }} WHERE {{}}')
    assert closing in shown["text"] and "&lt;/pre&gt;&lt;img" in shown["html"]
    assert shown["images"] == 0 and shown["alerts"] == []
    assert page.problems() == []  # an injected onerror would also have been refused by the policy, and reported


@pytest.mark.slow
def test_the_browser_check_sees_a_policy_violation(page):
    """The check of the tests above is not blind: what the policy refuses is reported, both ways."""
    page.evaluate(
        "(() => { const picture = document.createElement('img'); picture.src = 'http://example.invalid/x.png';"
        " document.body.append(picture);"
        " const holder = document.createElement('div'); holder.innerHTML = '<img src=x onerror=alert(3)>';"
        " document.body.append(holder); })()"
    )
    page.wait_for("window.__kgViolations.length >= 2")
    time.sleep(0.2)
    problems = page.problems()
    assert "violation: img-src http://example.invalid/x.png" in problems
    assert "violation: script-src-attr inline" in problems
    assert any(p.startswith("console: ") and "Content Security Policy" in p for p in problems)
    assert page.evaluate("window.__kgAlerts") == []


@pytest.mark.slow
def test_an_earlier_answer_never_replaces_a_later_one(page):
    """A query still running when the next one is started: only the answer of the later one is shown."""
    answers = page.evaluate("window.__kgAnswers")
    page.type("SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f }")  # about a second on the examples
    page.click("#run")
    fast = page.run("SELECT (1 AS ?fast) {}")
    assert fast["head"] == ["fast"] and fast["rows"] == [["1"]]
    assert page.evaluate("window.__kgAnswers") == answers + 1, "the first query was answered before the second: nothing raced"
    page.wait_for(f"window.__kgAnswers === {answers + 2}", timeout=60)  # the first answer came, and was read
    assert page.evaluate(_SNAPSHOT) == fast
    assert page.evaluate("document.getElementById('query').value") == "SELECT (1 AS ?fast) {}"
    assert page.problems() == []
