"""Load a build into an external triple store over the SPARQL 1.1 Graph Store HTTP Protocol.

Each named graph of the build's store (one per form, the reference graph
and, when present, the analytics graph) is sent with one ``PUT`` to
``ENDPOINT?graph=IRI`` as N-Triples, which replaces the store's graph of the
same name: pushing twice gives the same data, not twice the data. Graphs of
other names in the external store are left alone.

ENDPOINT is the store's Graph Store Protocol URL: ``http://HOST:7878/store``
for an Oxigraph server, ``http://HOST:3030/DATASET/data`` for Fuseki. Only
the standard library's ``urllib`` is used.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode, urlsplit
from urllib.request import ProxyHandler, Request, build_opener

import pyoxigraph as ox

from kg.errors import InputError
from kg.serialise import returned_bytes
from kg.store import open_store

__all__ = ["PushResult", "graph_url", "push"]

CONTENT_TYPE = "application/n-triples"

Progress = Callable[[int, int], None]


@dataclass
class PushResult:
    """What a push sent: the endpoint, and triples per graph IRI (``""`` for the default graph)."""

    endpoint: str
    graphs: dict[str, int] = field(default_factory=dict)

    @property
    def triples(self) -> int:
        """Triples sent, summed over graphs."""
        return sum(self.graphs.values())


def push(graph_dir: Path, endpoint: str, timeout: float = 60.0, progress: Progress | None = None) -> PushResult:
    """PUT every graph of the build in ``graph_dir`` to the Graph Store Protocol ``endpoint``.

    Args:
        graph_dir: a build's output folder.
        endpoint: the store's Graph Store Protocol URL (http or https).
        timeout: seconds to wait for each response.
        progress: called with (graphs done, graphs in all) after each graph.

    Raises:
        InputError: if the build is missing, the URL is not http(s), the store
            cannot be reached, or it refuses a graph (the message names the URL
            and the HTTP status).
    """
    _check_endpoint(endpoint)
    store = open_store(graph_dir)
    graphs: list[ox.NamedNode | ox.BlankNode | ox.DefaultGraph] = sorted(store.named_graphs(), key=str)
    if _has_triples(store, ox.DefaultGraph()):
        graphs.insert(0, ox.DefaultGraph())
    if not graphs:
        raise InputError(f"{graph_dir} holds an empty graph: nothing to push")
    opener = _opener(endpoint)
    result = PushResult(endpoint)
    for done, graph in enumerate(graphs, start=1):
        triples = sorted((quad.triple for quad in store.quads_for_pattern(None, None, None, graph)), key=str)
        body = returned_bytes(ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES))
        _put(opener, endpoint, graph, body, timeout)
        result.graphs["" if isinstance(graph, ox.DefaultGraph) else graph.value] = len(triples)
        if progress:
            progress(done, len(graphs))
    return result


def graph_url(endpoint: str, graph: ox.NamedNode | ox.BlankNode | ox.DefaultGraph) -> str:
    """The Graph Store Protocol URL of ``graph``: ``?graph=IRI`` or ``?default``."""
    query = "default" if isinstance(graph, ox.DefaultGraph) else urlencode({"graph": graph.value})
    return endpoint + ("&" if "?" in endpoint else "?") + query


def _check_endpoint(endpoint: str) -> None:
    url = urlsplit(endpoint)
    if url.scheme not in ("http", "https") or not url.hostname:
        raise InputError(f"endpoint {endpoint!r} is not an http(s) URL such as http://localhost:7878/store")


def _has_triples(store: ox.Store, graph) -> bool:
    return next(iter(store.quads_for_pattern(None, None, None, graph)), None) is not None


def _opener(endpoint: str):
    """A URL opener; loopback endpoints bypass any proxy set in the environment."""
    host = urlsplit(endpoint).hostname or ""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    return build_opener(ProxyHandler({})) if loopback else build_opener()


def _put(opener, endpoint: str, graph, body: bytes, timeout: float) -> None:
    request = Request(graph_url(endpoint, graph), data=body, method="PUT", headers={"Content-Type": CONTENT_TYPE})
    name = "the default graph" if isinstance(graph, ox.DefaultGraph) else f"graph <{graph.value}>"
    try:
        with opener.open(request, timeout=timeout) as response:
            response.read()
    except HTTPError as exc:
        detail = exc.read(300).decode("utf-8", "replace").strip()
        detail = f" ({detail})" if detail else ""
        raise InputError(
            f"the triple store at {endpoint} refused {name}: HTTP {exc.code} {exc.reason}{detail}"
        ) from exc
    except (TimeoutError, URLError, ConnectionError) as exc:
        reason = getattr(exc, "reason", exc)
        raise InputError(f"cannot reach the triple store at {endpoint}: {reason}") from exc
