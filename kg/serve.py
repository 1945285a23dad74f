"""A read-only SPARQL 1.1 Protocol endpoint over a build, for local tools.

``/sparql`` answers queries sent as ``GET ?query=``, as a form-encoded
``POST`` (``query=``) or as a ``POST`` of ``application/sparql-query``.
SELECT and ASK results are SPARQL 1.1 Query Results JSON, XML, CSV or TSV,
chosen by the ``Accept`` header (or a ``format`` parameter, used by the
query page); CONSTRUCT and DESCRIBE give Turtle (or N-Triples / RDF/XML when
asked). ``/`` is a static HTML query page with no external assets.

The store is opened read-only and updates are refused (403), as are
federated ``SERVICE`` clauses (400): the endpoint never changes the build and
never calls out. It listens on 127.0.0.1 by default. It uses only the
standard library's ``http.server``; results are written by pyoxigraph's
serialisers.
"""

from __future__ import annotations

import html
import ipaddress
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

import pyoxigraph as ox

from kg.errors import QueryError
from kg.query import QUERY_PREFIXES, canned_queries, execute, refuse_service
from kg.store import open_store

__all__ = ["DEFAULT_HOST", "DEFAULT_PORT", "SparqlServer", "make_server", "serve"]

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 7878
MAX_BODY_BYTES = 1 << 20

_RESULT_TYPES = {
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
    "application/json": ox.QueryResultsFormat.JSON,
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
    "application/xml": ox.QueryResultsFormat.XML,
    "text/xml": ox.QueryResultsFormat.XML,
    "text/csv": ox.QueryResultsFormat.CSV,
    "text/tab-separated-values": ox.QueryResultsFormat.TSV,
}
_GRAPH_TYPES = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
}
_FORMAT_NAMES = {
    "json": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
    "turtle": "text/turtle",
}
_SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}

Log = Callable[[str], None]


class SparqlServer(ThreadingHTTPServer):
    """An HTTP server holding one read-only store and the query page."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], store: ox.Store, log: Log | None = None) -> None:
        super().__init__(address, _Handler)
        self.store = store
        self.page = _page().encode("utf-8")
        self.log = log

    @property
    def url(self) -> str:
        """The base URL the server listens on."""
        host, port = self.server_address[:2]
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{port}/"


def make_server(
    graph_dir: Path, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, log: Log | None = None
) -> SparqlServer:
    """A server for the build in ``graph_dir``, bound but not yet serving (port 0 picks a free port).

    Raises:
        InputError: if ``graph_dir`` holds no build.
        OSError: if the address cannot be bound.
    """
    return SparqlServer((host, port), open_store(graph_dir), log)


def serve(graph_dir: Path, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, log: Log | None = None) -> None:
    """Serve the build in ``graph_dir`` until interrupted."""
    server = make_server(graph_dir, host, port, log)
    try:
        server.serve_forever()
    finally:
        server.server_close()


class _Handler(BaseHTTPRequestHandler):
    server: SparqlServer
    server_version = "portfolio-kg"
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        if not self._host_allowed():
            return
        if url.path in ("/", "/index.html"):
            self._send(HTTPStatus.OK, "text/html; charset=utf-8", self.server.page)
        elif url.path == "/sparql":
            self._answer(parse_qs(url.query, keep_blank_values=True))
        else:
            self._error(HTTPStatus.NOT_FOUND, f"no such page: {url.path} (the endpoint is /sparql)")

    def do_POST(self) -> None:
        url = urlsplit(self.path)
        if not self._host_allowed():
            return
        if url.path != "/sparql":
            self._error(HTTPStatus.NOT_FOUND, f"no such endpoint: {url.path} (the endpoint is /sparql)")
            return
        body = self._body()
        if body is None:
            return
        params = parse_qs(url.query, keep_blank_values=True)
        kind = self.headers.get_content_type()
        if kind == "application/x-www-form-urlencoded":
            params.update(parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True))
        elif kind == "application/sparql-query":
            params["query"] = [body.decode("utf-8", "replace")]
        elif kind == "application/sparql-update":
            self._error(HTTPStatus.FORBIDDEN, "SPARQL Update is refused: this endpoint is read-only")
            return
        else:
            self._error(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, f"unsupported content type {kind}")
            return
        self._answer(params)

    def do_PUT(self) -> None:
        self._refuse_method()

    def do_DELETE(self) -> None:
        self._refuse_method()

    def do_PATCH(self) -> None:
        self._refuse_method()

    def log_message(self, format: str, *args) -> None:
        if self.server.log is not None:
            self.server.log(f"{self.address_string()} {format % args}")

    def _host_allowed(self) -> bool:
        """On a loopback address, refuse requests for other host names (DNS rebinding); answer 403."""
        bound = self.server.server_address[0]
        if not _is_loopback(bound):
            return True
        host = urlsplit("//" + self.headers.get("Host", "")).hostname or ""
        if host in ("", "localhost", bound) or _is_loopback(host):
            return True
        self._error(HTTPStatus.FORBIDDEN, f"host {host!r} is not this local endpoint")
        return False

    def _answer(self, params: dict[str, list[str]]) -> None:
        if "update" in params:
            self._error(HTTPStatus.FORBIDDEN, "SPARQL Update is refused: this endpoint is read-only")
            return
        queries = params.get("query", [])
        if len(queries) != 1 or not queries[0].strip():
            self._error(HTTPStatus.BAD_REQUEST, "give exactly one non-empty 'query' parameter")
            return
        try:
            refuse_service(queries[0])
            options = _dataset_options(params)
            answer = execute(self.server.store, queries[0], **options)
            media, body = _serialise(answer, self._choose(params, answer))
        except QueryError as exc:
            self._error(HTTPStatus.BAD_REQUEST, str(exc))
            return
        self._send(HTTPStatus.OK, media, body)

    def _choose(self, params: dict[str, list[str]], answer) -> str:
        """The response media type: the ``format`` parameter, else the best Accept match, else the default."""
        graph = isinstance(answer, ox.QueryTriples)
        offered = _GRAPH_TYPES if graph else _RESULT_TYPES
        named = _FORMAT_NAMES.get(params.get("format", [""])[0].lower())
        if named in offered:
            return named
        default = "text/turtle" if graph else "application/sparql-results+json"
        return _negotiate(self.headers.get("Accept", ""), offered, default)

    def _body(self) -> bytes | None:
        try:
            length = int(self.headers.get("Content-Length", "0"))
        except ValueError:
            length = -1
        if length < 0 or length > MAX_BODY_BYTES:
            self.close_connection = True
            self._error(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, f"a request body must be 0 to {MAX_BODY_BYTES} bytes")
            return None
        return self.rfile.read(length)

    def _refuse_method(self) -> None:
        self.close_connection = True
        self._error(HTTPStatus.METHOD_NOT_ALLOWED, "this endpoint is read-only: use GET or POST", allow="GET, POST")

    def _error(self, status: HTTPStatus, message: str, allow: str | None = None) -> None:
        headers = {"Allow": allow} if allow else {}
        self._send(status, "text/plain; charset=utf-8", (message + "\n").encode("utf-8"), headers)

    def _send(self, status: HTTPStatus, media: str, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", media)
        self.send_header("Content-Length", str(len(body)))
        for name, value in {**_SECURITY_HEADERS, **(headers or {})}.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def _dataset_options(params: dict[str, list[str]]) -> dict:
    """The protocol's ``default-graph-uri`` / ``named-graph-uri`` as pyoxigraph query options."""
    options = {}
    try:
        if params.get("default-graph-uri"):
            options["default_graph"] = [ox.NamedNode(iri) for iri in params["default-graph-uri"]]
        if params.get("named-graph-uri"):
            options["named_graphs"] = [ox.NamedNode(iri) for iri in params["named-graph-uri"]]
    except ValueError as exc:
        raise QueryError(f"bad graph IRI: {exc}") from exc
    return options


def _serialise(answer, media: str) -> tuple[str, bytes]:
    """The response's Content-Type and body."""
    try:
        if isinstance(answer, ox.QueryTriples):
            body = ox.serialize(answer, format=_GRAPH_TYPES[media], prefixes=_prefixes(media))
        else:
            body = answer.serialize(format=_RESULT_TYPES[media])
    except (OSError, RuntimeError, ValueError) as exc:
        raise QueryError(f"query failed: {exc}") from exc
    charset = "; charset=utf-8" if media.startswith("text/") or media.endswith(("+json", "+xml")) else ""
    return media + charset, body


def _prefixes(media: str) -> dict[str, str] | None:
    return QUERY_PREFIXES if media == "text/turtle" else None


def _negotiate(accept: str, offered: dict, default: str) -> str:
    """The offered media type the Accept header prefers (highest q, then first listed)."""
    best, best_q = default, 0.0
    for part in accept.split(","):
        media, _, rest = part.strip().partition(";")
        media = media.strip().lower()
        q = 1.0
        for param in rest.split(";"):
            key, _, value = param.strip().partition("=")
            if key.strip() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        wildcard = media == "*/*" or (media.endswith("/*") and default.startswith(media[:-1]))
        if (media in offered or wildcard) and q > best_q:
            best, best_q = (default if wildcard else media), q
    return best


def _page() -> str:
    """The static query page: a form and the canned queries as examples (everything escaped)."""
    examples = []
    for canned in canned_queries().values():
        link = "/sparql?format=csv&query=" + quote(canned.text, safe="")
        examples.append(
            f"<details><summary><b>{html.escape(canned.name)}</b>: {html.escape(canned.description)}"
            f' (<a href="{html.escape(link)}">CSV</a>)</summary><pre>{html.escape(canned.text)}</pre></details>'
        )
    prefixes = "\n".join(f"PREFIX {p}: <{iri}>" for p, iri in QUERY_PREFIXES.items())
    starter = "SELECT ?class (COUNT(*) AS ?n) WHERE { ?s a ?class } GROUP BY ?class ORDER BY DESC(?n)"
    options = "".join(f'<option value="{name}">{name}</option>' for name in ("json", "csv", "tsv", "xml"))
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>portfolio-kg SPARQL</title>
<style>body{{font-family:sans-serif;max-width:60em;margin:2em auto;padding:0 1em}}
textarea{{width:100%;font-family:monospace}}pre{{background:#f4f4f4;padding:.5em;overflow:auto}}</style></head>
<body><h1>portfolio-kg SPARQL endpoint</h1>
<p>Read-only SPARQL 1.1 queries over this build at <code>/sparql</code>. The default graph is the union of
all named graphs. These prefixes are predeclared:</p><pre>{html.escape(prefixes)}</pre>
<form method="get" action="/sparql"><textarea name="query" rows="12">{html.escape(starter)}</textarea>
<p><label>Results as <select name="format">{options}</select></label> <button type="submit">Run</button>
(CONSTRUCT and DESCRIBE give Turtle)</p></form>
<h2>Canned queries</h2>{"".join(examples)}
</body></html>
"""
