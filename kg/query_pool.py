"""Processes that answer SPARQL queries for the endpoint, each stoppable at a time limit.

pyoxigraph cannot interrupt a running query, so a query that must stop at a
deadline cannot run in the server's own process. :class:`QueryPool` keeps a
few child processes (spawned: safe beside the server's threads), each with
the build's store open read-only. A request takes an idle process, sends it a
:class:`Job` and waits for its :class:`Reply` until the limit. A process that
passes the limit is killed, which frees its core at once, and a fresh one
takes its place in the background. A process that dies is replaced the same
way.

The child both runs the query and serialises its answer in the media type the
request asked for, so the server only moves bytes.
"""

from __future__ import annotations

import multiprocessing
import queue
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from kg.errors import KGError, QueryError
from kg.namespaces import PREFIX_IRIS
from kg.query import execute
from kg.serialise import returned_bytes

__all__ = [
    "GRAPH_TYPES",
    "RESULT_TYPES",
    "Job",
    "PoolBusy",
    "QueryPool",
    "QueryTimeout",
    "Reply",
    "answer_job",
    "choose_media",
]

RESULT_TYPES = {
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
    "application/json": ox.QueryResultsFormat.JSON,
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
    "application/xml": ox.QueryResultsFormat.XML,
    "text/xml": ox.QueryResultsFormat.XML,
    "text/csv": ox.QueryResultsFormat.CSV,
    "text/tab-separated-values": ox.QueryResultsFormat.TSV,
}
"""Media types of SELECT and ASK answers, the first one the default."""

GRAPH_TYPES = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
}
"""Media types of CONSTRUCT and DESCRIBE answers, the first one the default."""

_FORMAT_NAMES = {
    "json": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
    "turtle": "text/turtle",
}
_START_SECONDS = 120


class QueryTimeout(QueryError):
    """A query ran past the pool's time limit and was stopped."""


class PoolBusy(QueryError):
    """No query process became free within the time limit."""


@dataclass(frozen=True)
class Job:
    """One query to answer, with its protocol dataset and the client's wishes for the media type."""

    query: str
    default_graphs: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()
    base_iri: str = ""
    accept: str = ""
    format_name: str = ""


@dataclass(frozen=True)
class Reply:
    """A query's answer: its media type and body, or the error that stopped it."""

    media: str = ""
    body: bytes = b""
    error: str = ""


@dataclass
class _Process:
    process: multiprocessing.process.BaseProcess
    pipe: multiprocessing.connection.Connection


class QueryPool:
    """``size`` query processes over the build in ``graph_dir``, each query limited to ``timeout`` seconds."""

    def __init__(self, graph_dir: Path, size: int, timeout: float) -> None:
        if size < 1:
            raise ValueError(f"a query pool needs at least one process, not {size}")
        if timeout <= 0:
            raise ValueError(f"the time limit must be positive, not {timeout:g}")
        self.graph_dir = graph_dir
        self.timeout = timeout
        self._context = multiprocessing.get_context("spawn")
        self._idle: queue.Queue[_Process] = queue.Queue()
        self._closed = threading.Event()
        for _ in range(size):
            self._idle.put(self._start())

    def answer(self, job: Job) -> Reply:
        """Run ``job`` in a free process and return its reply.

        Raises:
            PoolBusy: if no process is free within the time limit.
            QueryTimeout: if the query runs past the limit; its process is killed.
        """
        try:
            worker = self._idle.get(timeout=self.timeout)
        except queue.Empty:
            raise PoolBusy(f"every query process stayed busy for {self.timeout:g} s; try again later") from None
        started = time.monotonic()
        try:
            worker.pipe.send(job)
            if not worker.pipe.poll(self.timeout):
                self._replace(worker)
                raise QueryTimeout(
                    f"the query ran past the time limit of {self.timeout:g} s and was stopped "
                    f"(after {time.monotonic() - started:.1f} s)"
                )
            reply = worker.pipe.recv()
        except (EOFError, OSError, BrokenPipeError):
            self._replace(worker)
            raise QueryError("the query process died; it has been replaced") from None
        self._idle.put(worker)
        return reply

    def close(self) -> None:
        """Stop every process."""
        self._closed.set()
        while True:
            try:
                worker = self._idle.get_nowait()
            except queue.Empty:
                break
            _stop(worker)

    def _start(self) -> _Process:
        receiver, sender = self._context.Pipe()
        process = self._context.Process(target=_serve_jobs, args=(sender, str(self.graph_dir)), daemon=True)
        process.start()
        sender.close()
        if not receiver.poll(_START_SECONDS):
            process.kill()
            raise QueryError(f"a query process did not start within {_START_SECONDS} s")
        message = receiver.recv()
        if message != "ready":
            process.join()
            raise QueryError(f"a query process could not open the build: {message}")
        return _Process(process, receiver)

    def _replace(self, worker: _Process) -> None:
        """Kill ``worker`` now and start its successor in the background."""
        _stop(worker)
        threading.Thread(target=self._start_successor, daemon=True).start()

    def _start_successor(self) -> None:
        if self._closed.is_set():
            return
        successor = self._start()
        if self._closed.is_set():
            _stop(successor)
        else:
            self._idle.put(successor)


def answer_job(store: ox.Store, job: Job) -> Reply:
    """Answer ``job`` on ``store``: run it and serialise the answer in the chosen media type.

    Errors of the query (syntax, evaluation) come back in ``Reply.error``.
    """
    try:
        answer = execute(store, job.query, job.default_graphs, job.named_graphs, job.base_iri)
        media = choose_media(isinstance(answer, ox.QueryTriples), job.accept, job.format_name)
        return Reply(*_serialise(answer, media))
    except KGError as exc:
        return Reply(error=str(exc))


def choose_media(graph: bool, accept: str, format_name: str = "") -> str:
    """The response media type: the ``format`` parameter, else the best Accept match, else the default."""
    offered = GRAPH_TYPES if graph else RESULT_TYPES
    named = _FORMAT_NAMES.get(format_name.lower())
    if named is not None and named in offered:
        return named
    return _negotiate(accept, offered, next(iter(offered)))


def _serve_jobs(pipe, graph_dir: str) -> None:
    """Child process: open the store, then answer jobs until the pipe closes."""
    from kg.store import open_store

    try:
        store = open_store(Path(graph_dir))
    except Exception as exc:  # noqa: BLE001 - the parent reports why the process could not start
        pipe.send(f"{type(exc).__name__}: {exc}")
        return
    pipe.send("ready")
    while True:
        try:
            job = pipe.recv()
        except (EOFError, OSError):
            return
        pipe.send(answer_job(store, job))


def _stop(worker: _Process) -> None:
    worker.pipe.close()
    if worker.process.is_alive():
        worker.process.kill()
    worker.process.join()


def _serialise(answer, media: str) -> tuple[str, bytes]:
    """The response's Content-Type and body."""
    try:
        if isinstance(answer, ox.QueryTriples):
            prefixes = PREFIX_IRIS if media == "text/turtle" else None
            body = returned_bytes(ox.serialize(answer, format=GRAPH_TYPES[media], prefixes=prefixes))
        else:
            body = returned_bytes(answer.serialize(format=RESULT_TYPES[media]))
    except (OSError, RuntimeError, ValueError) as exc:
        raise QueryError(f"query failed: {exc}") from exc
    charset = "; charset=utf-8" if media.startswith("text/") or media.endswith(("+json", "+xml")) else ""
    return media + charset, body


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
