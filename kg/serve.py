"""A read-only SPARQL 1.1 Protocol endpoint over a build, for local tools.

``/sparql`` answers queries sent as ``GET ?query=``, as a form-encoded
``POST`` (``query=``) or as a ``POST`` of ``application/sparql-query``, over
the dataset the protocol prescribes (see :func:`kg.query.dataset_options`).
Relative IRIs resolve against the endpoint's URL. SELECT and ASK results are
SPARQL 1.1 Query Results JSON, XML, CSV or TSV, chosen by the ``Accept``
header (or a ``format`` parameter); CONSTRUCT and DESCRIBE give Turtle,
N-Triples or RDF/XML. ``/`` is the query page, made of files in
``kg/web/`` that load nothing from elsewhere.

Input is strict: only UTF-8 (400 for invalid bytes, 415 for another
charset), one query per request (400 when given twice), bodies up to
:data:`MAX_BODY_BYTES` with ``Content-Length`` or chunked (413 beyond, sent
before the connection closes). Every request body is read before the answer,
so no request can desynchronise a kept-alive connection.

The store is read-only and updates are refused (403), as are federated
``SERVICE`` clauses (400): the endpoint never changes the build and never
calls out. It listens on 127.0.0.1 by default, and on a loopback address it
answers only requests for loopback host names (a guard against DNS
rebinding). Each query runs in a process of a :class:`kg.query_pool.QueryPool`
and is stopped at the time limit (503). The HTTP side is the standard
library's threading server with a listen backlog of 128.
"""

from __future__ import annotations

import ipaddress
import json
import os
import socket
import time
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote_to_bytes, urlsplit

from kg.errors import InputError, QueryError
from kg.namespaces import PREFIX_IRIS
from kg.query import canned_queries, refuse_service
from kg.query_pool import Job, PoolBusy, QueryPool, QueryTimeout
from kg.store import STORE_DIR

__all__ = [
    "DEFAULT_HOST",
    "DEFAULT_PORT",
    "DEFAULT_TIMEOUT",
    "MAX_BODY_BYTES",
    "SparqlServer",
    "make_server",
    "serve",
]

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 7878
DEFAULT_TIMEOUT = 30.0
"""Seconds a query may run before it is stopped with 503."""
MAX_BODY_BYTES = 1 << 20
"""The largest request body accepted (413 beyond)."""

_ALLOWED = "GET, HEAD, POST, OPTIONS"
_UTF8 = ("utf-8", "utf8")
_LINGER_SECONDS = 2.0
_LINGER_BYTES = 64 << 20
_MAX_CHUNK_LINE = 1024
_WEB_DIR = Path(__file__).resolve().parent / "web"
_PAGES = {
    "/": ("query.html", "text/html; charset=utf-8"),
    "/index.html": ("query.html", "text/html; charset=utf-8"),
    "/query.js": ("query.js", "text/javascript; charset=utf-8"),
    "/query.css": ("query.css", "text/css; charset=utf-8"),
}
_SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; "
        "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}

Log = Callable[[str], None]


class SparqlServer(ThreadingHTTPServer):
    """An HTTP server holding the query pool of one build and the query page."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], log: Log | None = None) -> None:
        self.pool: QueryPool | None = None  # set before binding: a failed bind calls server_close()
        self.log = log
        self.pages = _load_pages()
        super().__init__(address, _Handler)

    @property
    def host(self) -> str:
        """The address the server listens on (IPv4 or IPv6)."""
        host = self.server_address[0]
        assert isinstance(host, str)  # server_bind() sets it from getsockname(): a str for an IP socket
        return host

    @property
    def url(self) -> str:
        """The base URL the server listens on."""
        host, port = self.host, self.server_address[1]
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{port}/"

    @property
    def endpoint(self) -> str:
        """The endpoint's URL, which is also the base IRI of its queries."""
        return self.url + "sparql"

    def server_close(self) -> None:
        """Close the socket and stop the query processes."""
        super().server_close()
        if self.pool is not None:
            self.pool.close()


def make_server(
    graph_dir: Path,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    log: Log | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    workers: int | None = None,
) -> SparqlServer:
    """A server for the build in ``graph_dir``, bound but not yet serving (port 0 picks a free port).

    Args:
        timeout: seconds a query may run before it is stopped with 503.
        workers: query processes (default: the number of cores, at least 2).

    Raises:
        InputError: if ``graph_dir`` holds no build, or ``timeout`` or ``workers`` is not positive.
        QueryError: if a query process cannot open the build.
        OSError: if the address cannot be bound.
    """
    _check_build(graph_dir)
    size = workers if workers is not None else max(2, os.cpu_count() or 1)
    if timeout <= 0 or size < 1:
        raise InputError(f"the time limit and the number of query processes must be positive ({timeout:g}, {size})")
    server = SparqlServer((host, port), log)
    try:
        server.pool = QueryPool(graph_dir, size, timeout)
    except BaseException:
        server.server_close()
        raise
    return server


def serve(graph_dir: Path, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, **options) -> None:
    """Serve the build in ``graph_dir`` until interrupted (``options`` as for :func:`make_server`)."""
    server = make_server(graph_dir, host, port, **options)
    try:
        server.serve_forever()
    finally:
        server.server_close()


class _HttpError(Exception):
    """An error answer: its status and message, and whether the connection must close after it."""

    def __init__(self, status: HTTPStatus, message: str, close: bool = False) -> None:
        super().__init__(message)
        self.status = status
        self.close = close


class _Handler(BaseHTTPRequestHandler):
    server: SparqlServer
    server_version = "portfolio-kg"
    protocol_version = "HTTP/1.1"
    timeout = 60
    disable_nagle_algorithm = True  # headers and body go out as two writes; Nagle would hold the body ~40 ms

    def do_GET(self) -> None:
        self._handle(self._get)

    def do_HEAD(self) -> None:
        self._handle(self._get)

    def do_POST(self) -> None:
        self._handle(self._post)

    def do_OPTIONS(self) -> None:
        self._handle(self._options)

    def do_PUT(self) -> None:
        self._handle(self._refuse_method)

    def do_DELETE(self) -> None:
        self._handle(self._refuse_method)

    def do_PATCH(self) -> None:
        self._handle(self._refuse_method)

    def handle_expect_100(self) -> bool:
        """Refuse an announced over-long body before the client sends it."""
        try:
            self._declared_length()
        except _HttpError as exc:
            self._fail(exc)
            return False
        return super().handle_expect_100()

    def log_message(self, format: str, *args) -> None:
        if self.server.log is not None:
            self.server.log(f"{self.address_string()} {format % args}")

    def _handle(self, respond: Callable[[bytes], None]) -> None:
        """Read the whole request body, check the host, then answer; any _HttpError becomes the answer."""
        try:
            body = self._read_body()
            self._check_host()
            respond(body)
        except _HttpError as exc:
            self._fail(exc)

    def _get(self, body: bytes) -> None:
        path = urlsplit(self.path).path
        if path in self.server.pages:
            media, content = self.server.pages[path]
            self._send(HTTPStatus.OK, media, content)
        elif path == "/sparql":
            self._answer(self._url_params())
        else:
            raise _HttpError(HTTPStatus.NOT_FOUND, f"no such page: {path} (the endpoint is /sparql)")

    def _post(self, body: bytes) -> None:
        path = urlsplit(self.path).path
        if path != "/sparql":
            raise _HttpError(HTTPStatus.NOT_FOUND, f"no such endpoint: {path} (the endpoint is /sparql)")
        params = self._url_params()
        kind = self.headers.get_content_type()
        if kind == "application/sparql-update":
            raise _HttpError(HTTPStatus.FORBIDDEN, "SPARQL Update is refused: this endpoint is read-only")
        if kind not in ("application/x-www-form-urlencoded", "application/sparql-query"):
            raise _HttpError(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, f"unsupported content type {kind}")
        self._check_charset()
        if kind == "application/sparql-query":
            params.setdefault("query", []).append(_utf8(body, "the request body"))
        else:
            for name, values in _parse_form(body, "the request body").items():
                params.setdefault(name, []).extend(values)
        self._answer(params)

    def _options(self, body: bytes) -> None:
        self._send(HTTPStatus.NO_CONTENT, "text/plain; charset=utf-8", b"", {"Allow": _ALLOWED})

    def _refuse_method(self, body: bytes) -> None:
        raise _HttpError(HTTPStatus.METHOD_NOT_ALLOWED, f"this endpoint is read-only: {self.command} is refused")

    def _answer(self, params: dict[str, list[str]]) -> None:
        """Run the request's one query in the pool and send its answer."""
        if "update" in params:
            raise _HttpError(HTTPStatus.FORBIDDEN, "SPARQL Update is refused: this endpoint is read-only")
        queries = params.get("query", [])
        if len(queries) > 1:
            raise _HttpError(HTTPStatus.BAD_REQUEST, f"the query was given {len(queries)} times: give it once")
        if not queries or not queries[0].strip():
            raise _HttpError(HTTPStatus.BAD_REQUEST, "give one non-empty 'query' parameter")
        job = Job(
            query=queries[0],
            default_graphs=tuple(params.get("default-graph-uri", ())),
            named_graphs=tuple(params.get("named-graph-uri", ())),
            base_iri=self.server.endpoint,
            accept=self.headers.get("Accept", ""),
            format_name=params.get("format", [""])[0],
        )
        pool = self.server.pool
        if pool is None:  # a SparqlServer made without make_server()
            raise _HttpError(HTTPStatus.SERVICE_UNAVAILABLE, "the endpoint has no query processes")
        try:
            refuse_service(job.query)
            reply = pool.answer(job)
        except (QueryTimeout, PoolBusy) as exc:
            raise _HttpError(HTTPStatus.SERVICE_UNAVAILABLE, str(exc)) from exc
        except QueryError as exc:
            raise _HttpError(HTTPStatus.BAD_REQUEST, str(exc)) from exc
        if reply.error:
            raise _HttpError(HTTPStatus.BAD_REQUEST, reply.error)
        self._send(HTTPStatus.OK, reply.media, reply.body)

    def _url_params(self) -> dict[str, list[str]]:
        """The parameters of the request target, decoded as UTF-8 (400 otherwise)."""
        raw = self.path.encode("latin-1")  # http.server decoded the request line as Latin-1
        _, _, query = raw.partition(b"?")
        return _parse_form(query, "the URL")

    def _check_host(self) -> None:
        """On a loopback address, refuse requests for other host names (DNS rebinding)."""
        bound = self.server.host
        if not _is_loopback(bound):
            return
        host = urlsplit("//" + self.headers.get("Host", "")).hostname or ""
        if host not in ("", "localhost", bound) and not _is_loopback(host):
            raise _HttpError(HTTPStatus.FORBIDDEN, f"host {host!r} is not this local endpoint")

    def _check_charset(self) -> None:
        charset = self.headers.get_content_charset()
        if charset is not None and charset not in _UTF8:
            raise _HttpError(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, f"only UTF-8 is accepted, not charset={charset}")

    def _declared_length(self) -> int | None:
        """The Content-Length, None for a chunked body.

        Raises:
            _HttpError: for framing this server will not read (the connection then closes).
        """
        coding = self.headers.get("Transfer-Encoding")
        length = self.headers.get("Content-Length")
        if coding is not None:
            if length is not None:
                raise _HttpError(HTTPStatus.BAD_REQUEST, "give Content-Length or Transfer-Encoding, not both", True)
            if coding.strip().lower() != "chunked":
                raise _HttpError(HTTPStatus.NOT_IMPLEMENTED, f"transfer coding {coding!r} is not supported", True)
            return None
        if length is None:
            return 0
        if not length.strip().isdigit():
            raise _HttpError(HTTPStatus.BAD_REQUEST, f"bad Content-Length {length!r}", True)
        if int(length) > MAX_BODY_BYTES:
            raise _HttpError(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, _too_large(int(length)), True)
        return int(length)

    def _read_body(self) -> bytes:
        """The request's whole body (Content-Length or chunked), so the connection stays in step."""
        length = self._declared_length()
        if length is None:
            return self._read_chunked()
        body = self.rfile.read(length)
        if len(body) < length:
            raise _HttpError(HTTPStatus.BAD_REQUEST, "the request body ended early", True)
        return body

    def _read_chunked(self) -> bytes:
        chunks: list[bytes] = []
        total = 0
        while True:
            line = self.rfile.readline(_MAX_CHUNK_LINE)
            try:
                size = int(line.split(b";")[0].strip(), 16)
            except ValueError:
                raise _HttpError(HTTPStatus.BAD_REQUEST, "malformed chunked body", True) from None
            if size == 0:
                self._skip_trailers()
                return b"".join(chunks)
            total += size
            if total > MAX_BODY_BYTES:
                raise _HttpError(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, _too_large(total), True)
            chunk = self.rfile.read(size)
            if len(chunk) < size or self.rfile.readline(_MAX_CHUNK_LINE).strip():
                raise _HttpError(HTTPStatus.BAD_REQUEST, "malformed chunked body", True)
            chunks.append(chunk)

    def _skip_trailers(self) -> None:
        while True:
            line = self.rfile.readline(_MAX_CHUNK_LINE)
            if not line.strip():
                return

    def _fail(self, error: _HttpError) -> None:
        """Send ``error``; when the connection must close, let the client read it before closing."""
        if error.close:
            self.close_connection = True
        headers = {"Allow": _ALLOWED} if error.status == HTTPStatus.METHOD_NOT_ALLOWED else {}
        if error.close:
            headers["Connection"] = "close"
        self._send(error.status, "text/plain; charset=utf-8", (str(error) + "\n").encode("utf-8"), headers)
        if error.close:
            self._linger()

    def _linger(self) -> None:
        """Half-close, then read and drop what the client still sends for a moment.

        Closing a socket with unread input makes the kernel send a reset, and
        the client then loses the answer it has not read yet (a 413, say).
        """
        try:
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_WR)
            self.connection.settimeout(_LINGER_SECONDS)
            deadline, dropped = time.monotonic() + _LINGER_SECONDS, 0
            while time.monotonic() < deadline and dropped < _LINGER_BYTES:
                chunk = self.connection.recv(1 << 16)
                if not chunk:
                    return
                dropped += len(chunk)
        except OSError:
            return

    def _send(self, status: HTTPStatus, media: str, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", media)
        self.send_header("Content-Length", str(len(body)))
        for name, value in {**_SECURITY_HEADERS, **(headers or {})}.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


def _check_build(graph_dir: Path) -> None:
    if not (graph_dir / STORE_DIR).is_dir() and not (graph_dir / "graph.trig").is_file():
        raise InputError(f"{graph_dir} holds no built graph (no {STORE_DIR}/ and no graph.trig); run 'kg build' first")


def _parse_form(data: bytes, where: str) -> dict[str, list[str]]:
    """``application/x-www-form-urlencoded`` fields, each name and value decoded as UTF-8.

    Raises:
        _HttpError: 400 if a name or value is not UTF-8.
    """
    params: dict[str, list[str]] = {}
    for field in data.split(b"&"):
        if field:
            name, _, value = field.partition(b"=")
            params.setdefault(_unquote(name, where), []).append(_unquote(value, where))
    return params


def _unquote(raw: bytes, where: str) -> str:
    return _utf8(unquote_to_bytes(raw.replace(b"+", b" ")), where)


def _utf8(data: bytes, where: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _HttpError(HTTPStatus.BAD_REQUEST, f"{where} is not UTF-8 (byte {exc.start}): {exc.reason}") from None


def _too_large(length: int) -> str:
    return f"a request body may hold at most {MAX_BODY_BYTES} bytes, not {length}"


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def _load_pages() -> dict[str, tuple[str, bytes]]:
    """The query page's files, and ``/queries.json``: the canned queries and predeclared prefixes."""
    pages = {path: (media, (_WEB_DIR / name).read_bytes()) for path, (name, media) in _PAGES.items()}
    listing = {
        "prefixes": PREFIX_IRIS,
        "queries": [
            {"name": q.name, "description": q.description, "parameters": q.parameters, "text": q.text}
            for q in canned_queries().values()
        ],
    }
    pages["/queries.json"] = ("application/json", json.dumps(listing, ensure_ascii=False, indent=1).encode("utf-8"))
    return pages
