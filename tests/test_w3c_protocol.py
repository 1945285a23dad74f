"""The W3C SPARQL 1.1 Protocol test suite, read from its manifest and run against ``kg serve``.

The suite is vendored unchanged in ``tests/data/w3c-protocol/`` (see its
README for origin and licence). ``manifest.ttl`` is read as RDF with rdflib;
every entry of its ``mf:entries`` list becomes one test, in manifest order,
named by the entry's local name (``query_post_form``...). A test sends the
entry's ``ht:Request``s in order on one HTTP/1.1 connection to a server made
with :func:`kg.serve.make_server` over a store holding every data file the
manifest's ``ut:graphData`` names (``data1.nt`` to ``data3.nt``), each in the
named graph its ``rdfs:label`` gives.

How the manifest is read:

* ``ht:absolutePath`` starts with ``/sparql/``; that prefix becomes ``/sparql``
  (our endpoint). The ``Host`` header is the server's ``host:port``, not the
  manifest's ``ht:connectionAuthority`` (``www.example``).
* ``ht:body`` is ``cnt:chars`` encoded in its ``cnt:characterEncoding``
  (``UTF-16`` gives Python's UTF-16: a byte-order mark, then the text).
* ``mf:expectedStatus`` may name several classes (``hts:StatusCode2xx``...);
  any of them is accepted. Redirects are not followed (the endpoint sends none;
  a 3xx answer would fail the format check).
* ``mf:expectedFormat`` ``"boolean"``: the answer is a SPARQL results document
  (JSON or XML) holding a boolean, equal to ``mf:expectedBoolean`` when the
  manifest gives one. Unless the manifest gives an Accept header, such
  requests are sent with ``Accept: application/sparql-results+json,
  application/sparql-results+xml``. ``"tabular"``: a SELECT results document
  in JSON, XML, CSV or TSV, by its Content-Type. ``"RDF"``: an RDF graph in
  Turtle, N-Triples or RDF/XML, by its Content-Type. Documents are parsed with
  rdflib, not with pyoxigraph, which writes them.

The endpoint is read-only, so the update tests (``update_*``, ``bad_update_*``
and ``bad_multiple_updates``) follow their own rule, whatever the manifest
expects: every update request must be refused with a 4xx status, with a
complete answer (not a reset or closed connection). A query an update test
sends afterwards (``application/sparql-query``) asks whether the update took
effect; it must be answered as the manifest says, except that its boolean must
be the opposite of ``mf:expectedBoolean`` (the manifest expects the update to
have run). All other tests (``query_*``, ``bad_query_*``,
``bad_multiple_queries``) are checked as the manifest says.
"""

from __future__ import annotations

import http.client
import io
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit
from urllib.request import url2pathname

import pyoxigraph as ox
import pytest
from rdflib import RDF, RDFS, Graph, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.query import Result

from kg.serve import make_server

SUITE_DIR = Path(__file__).resolve().parent / "data" / "w3c-protocol"
MANIFEST = SUITE_DIR / "manifest.ttl"
ENTRY_COUNT = 34
MANIFEST_PREFIX = "/sparql/"
ENDPOINT_PATH = "/sparql"
BOOLEAN_ACCEPT = "application/sparql-results+json, application/sparql-results+xml"

MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = Namespace("http://www.w3.org/2011/http#")
CNT = Namespace("http://www.w3.org/2011/content#")
UT = Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
HTS_STATUS = "http://www.w3.org/2011/http-statusCodes#StatusCode"

BOOLEAN_MEDIA = ("application/sparql-results+json", "application/sparql-results+xml")
TABULAR_MEDIA = (*BOOLEAN_MEDIA, "text/csv", "text/tab-separated-values")
RDF_MEDIA = {"text/turtle": "turtle", "application/n-triples": "nt", "application/rdf+xml": "xml"}

QUERY_TESTS = ("query_", "bad_query", "bad_multiple_queries")
UPDATE_TESTS = ("update_", "bad_update", "bad_multiple_updates")


@dataclass(frozen=True)
class Request:
    """One ``ht:Request`` of the manifest, ready to send, with its expected response."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes | None
    statuses: tuple[str, ...]  # "2xx", "3xx"... as the manifest names them
    format: str | None
    boolean: bool | None

    def header(self, name: str) -> str | None:
        """The value of a request header, by case-insensitive name."""
        return next((v for k, v in self.headers.items() if k.lower() == name.lower()), None)

    def sends_query(self) -> bool:
        """Whether the request carries a query (a SPARQL query body or a ``query`` parameter)."""
        media = (self.header("content-type") or "").split(";")[0].strip().lower()
        if media == "application/sparql-query" or "query" in parse_qs(urlsplit(self.path).query):
            return True
        form = parse_qs((self.body or b"").decode("utf-8", "replace"))
        return media == "application/x-www-form-urlencoded" and "query" in form


@dataclass(frozen=True)
class Case:
    """One manifest entry: its local name, its ``mf:name`` and its requests in order."""

    name: str
    title: str
    requests: tuple[Request, ...]

    @property
    def is_update(self) -> bool:
        """Whether this is an update test (refused by the read-only endpoint)."""
        if self.name.startswith(UPDATE_TESTS):
            return True
        assert self.name.startswith(QUERY_TESTS), f"{self.name}: neither a query nor an update test"
        return False


@dataclass(frozen=True)
class Answer:
    """A response: status, media type (no parameters) and body."""

    status: int
    media: str
    body: bytes

    def describe(self) -> str:
        """The answer for a failure message (body cut at 500 characters)."""
        return f"{self.status} {self.media or '(no Content-Type)'}: {self.body.decode('utf-8', 'replace')[:500]!r}"


# Reading the manifest


def read_manifest() -> tuple[Graph, URIRef]:
    """The manifest graph and its ``mf:Manifest`` node."""
    graph = Graph().parse(MANIFEST, format="turtle", publicID=MANIFEST.as_uri())
    return graph, graph.value(predicate=RDF.type, object=MF.Manifest, any=False)


def rdf_list(graph: Graph, head) -> list:
    """The members of an RDF list (empty for a missing list)."""
    return list(Collection(graph, head)) if head is not None else []


def one(graph: Graph, subject, predicate, required: bool = True):
    """The single object of ``subject predicate``, None if absent and not required."""
    value = graph.value(subject, predicate, any=False)
    assert value is not None or not required, f"{subject} has no {predicate}"
    return value


def local_name(iri: URIRef) -> str:
    """The part of an IRI after its ``#``."""
    return str(iri).rpartition("#")[2]


def read_status(iri: URIRef) -> str:
    """An ``hts:StatusCode...`` term as a pattern: ``2xx``, or an exact code such as ``404``."""
    assert str(iri).startswith(HTS_STATUS), f"unknown expected status {iri}"
    return str(iri)[len(HTS_STATUS) :].lower()


def read_body(graph: Graph, node) -> bytes | None:
    """The bytes of an ``ht:body``: its ``cnt:chars`` in its ``cnt:characterEncoding``."""
    if node is None:
        return None
    encoding = str(one(graph, node, CNT.characterEncoding))
    return str(one(graph, node, CNT.chars)).encode(encoding)


def read_request(graph: Graph, node) -> Request:
    """One ``ht:Request`` with its ``ht:resp`` expectations."""
    path = str(one(graph, node, HT.absolutePath))
    assert path.startswith(MANIFEST_PREFIX), f"path {path!r} does not start with {MANIFEST_PREFIX}"
    version = one(graph, node, HT.httpVersion, required=False)
    assert version is None or str(version) == "1.1", f"HTTP version {version} (http.client speaks 1.1)"
    headers = {
        str(one(graph, h, HT.fieldName)): str(one(graph, h, HT.fieldValue))
        for h in rdf_list(graph, one(graph, node, HT.headers, required=False))
    }
    response = one(graph, node, HT.resp)
    statuses = sorted(read_status(s) for s in graph.objects(response, MF.expectedStatus))
    assert statuses, f"{node}: no mf:expectedStatus"
    fmt = one(graph, response, MF.expectedFormat, required=False)
    boolean = one(graph, response, MF.expectedBoolean, required=False)
    return Request(
        method=str(one(graph, node, HT.methodName)),
        path=ENDPOINT_PATH + path[len(MANIFEST_PREFIX) :],
        headers=headers,
        body=read_body(graph, one(graph, node, HT.body, required=False)),
        statuses=tuple(statuses),
        format=None if fmt is None else str(fmt),
        boolean=None if boolean is None else bool(boolean.toPython()),
    )


def read_case(graph: Graph, entry: URIRef) -> Case:
    """One manifest entry as a test case."""
    action = one(graph, entry, MF.action)
    requests = tuple(read_request(graph, r) for r in rdf_list(graph, one(graph, action, HT.requests)))
    assert requests, f"{entry}: no requests"
    return Case(local_name(entry), str(one(graph, entry, MF.name)), requests)


def read_graph_data(graph: Graph) -> dict[Path, str]:
    """Every ``ut:graphData`` of the manifest: data file -> the graph IRI its ``rdfs:label`` gives."""
    names: dict[Path, str] = {}
    for node in graph.objects(None, UT.graphData):
        path = Path(url2pathname(urlsplit(str(one(graph, node, UT.graph))).path))
        label = str(one(graph, node, RDFS.label))
        assert names.setdefault(path, label) == label, f"{path.name} is labelled both {names[path]} and {label}"
    return names


MANIFEST_GRAPH, MANIFEST_NODE = read_manifest()
ENTRIES = rdf_list(MANIFEST_GRAPH, one(MANIFEST_GRAPH, MANIFEST_NODE, MF.entries))
CASES = [read_case(MANIFEST_GRAPH, entry) for entry in ENTRIES]
GRAPH_DATA = read_graph_data(MANIFEST_GRAPH)


# The endpoint


def write_store(location: Path, graphs: dict[Path, str]) -> None:
    """An on-disk pyoxigraph store at ``location`` with each N-Triples file in its named graph, then closed."""
    store = ox.Store(str(location))
    for path, name in graphs.items():
        store.load(path=str(path), format=ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode(name))
    store.flush()
    del store


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory) -> Iterator[tuple[str, int]]:
    """``(host, port)`` of a ``kg serve`` server over a build output holding the suite's data."""
    out = tmp_path_factory.mktemp("w3c-protocol")
    write_store(out / "store", GRAPH_DATA)
    server = make_server(out, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[:2]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def send(connection: http.client.HTTPConnection, request: Request) -> Answer:
    """Send ``request`` as the manifest describes it; fail if the server gives no complete answer."""
    headers = {"Host": f"{connection.host}:{connection.port}", **request.headers}
    if request.format == "boolean" and request.header("accept") is None:
        headers["Accept"] = BOOLEAN_ACCEPT
    try:
        connection.request(request.method, request.path, body=request.body, headers=headers)
        response = connection.getresponse()
        body = response.read()
    except (OSError, http.client.HTTPException) as exc:
        pytest.fail(f"{request.method} {request.path}: no answer, the connection failed ({exc!r})")
    media = (response.getheader("Content-Type") or "").split(";")[0].strip().lower()
    return Answer(response.status, media, body)


# Checking answers


def status_matches(status: int, pattern: str) -> bool:
    """Whether ``status`` fits a pattern such as ``2xx`` or ``404``."""
    return len(pattern) == 3 and all(p in ("x", s) for p, s in zip(pattern, str(status), strict=True))


def parse_results(answer: Answer, offered: tuple[str, ...]) -> Result:
    """The SPARQL results document of an answer, parsed by rdflib as its Content-Type says."""
    assert answer.media in offered, f"not a results type in {offered}: {answer.describe()}"
    try:
        return Result.parse(io.BytesIO(answer.body), content_type=answer.media)
    except Exception as exc:  # noqa: BLE001 - any parser error means the document is broken
        pytest.fail(f"the results do not parse ({exc!r}): {answer.describe()}")


def check_format(request: Request, answer: Answer, boolean: bool | None) -> None:
    """The answer has the manifest's ``mf:expectedFormat``, and the boolean ``boolean`` if not None."""
    if request.format == "boolean":
        result = parse_results(answer, BOOLEAN_MEDIA)
        assert result.type == "ASK", f"not a boolean result: {answer.describe()}"
        assert boolean is None or result.askAnswer is boolean, f"expected {boolean}: {answer.describe()}"
    elif request.format == "tabular":
        result = parse_results(answer, TABULAR_MEDIA)
        assert result.type == "SELECT", f"not a table of solutions: {answer.describe()}"
    elif request.format == "RDF":
        assert answer.media in RDF_MEDIA, f"not an RDF type in {sorted(RDF_MEDIA)}: {answer.describe()}"
        try:
            Graph().parse(data=answer.body, format=RDF_MEDIA[answer.media])
        except Exception as exc:  # noqa: BLE001 - any parser error means the document is broken
            pytest.fail(f"the RDF does not parse ({exc!r}): {answer.describe()}")
    else:
        assert request.format is None, f"unknown mf:expectedFormat {request.format!r}"


def check_query(request: Request, answer: Answer, boolean: bool | None) -> None:
    """A query answer: a status in the manifest's classes, then the expected format and boolean."""
    statuses = ", ".join(request.statuses)
    assert any(status_matches(answer.status, s) for s in request.statuses), f"expected {statuses}: {answer.describe()}"
    check_format(request, answer, boolean)


def check_refused(request: Request, answer: Answer) -> None:
    """An update request to the read-only endpoint: refused with a 4xx status."""
    refused = status_matches(answer.status, "4xx")
    assert refused, f"{request.method} {request.path}: update not refused with 4xx: {answer.describe()}"


def check(case: Case, request: Request, answer: Answer) -> None:
    """Check one answer by the module's rules (the manifest's, or the read-only rule for updates)."""
    if not case.is_update:
        check_query(request, answer, request.boolean)
    elif request.sends_query():
        check_query(request, answer, None if request.boolean is None else not request.boolean)
    else:
        check_refused(request, answer)


# The tests


def test_manifest_has_every_entry():
    """A truncated or damaged manifest fails here, not by running fewer tests."""
    assert len(ENTRIES) == ENTRY_COUNT
    assert len({case.name for case in CASES}) == ENTRY_COUNT


def test_manifest_graph_data_names_every_data_file():
    """The manifest's ``ut:graphData`` names every vendored .nt file, so the fixture loads them all."""
    assert sorted(GRAPH_DATA) == sorted(SUITE_DIR.glob("*.nt"))


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_protocol(endpoint, case: Case):
    """Send the entry's requests in order on one connection; check each answer."""
    connection = http.client.HTTPConnection(*endpoint, timeout=30)
    try:
        for request in case.requests:
            check(case, request, send(connection, request))
    finally:
        connection.close()
