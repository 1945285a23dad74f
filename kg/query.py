"""Answer SPARQL over a build: canned queries by name, query files or text.

Canned queries are ``.rq`` files in ``kg/queries/`` with a header comment
(``# name:``, ``# description:``, ``# parameters:``); the queries of the
analytics and the report live in its subfolders (``analyse/``, ``report/``),
read with :func:`packaged_query` and never listed as canned. Parameters are
bound to the variable ``?NAME_param`` through a ``VALUES`` block made of
terms that pyoxigraph serialises (and so escapes); raw parameter text never
becomes query syntax.

Queries run on the build's pyoxigraph store over the dataset the SPARQL 1.1
Protocol prescribes: a protocol dataset (``default-graph-uri``,
``named-graph-uri``) replaces everything; otherwise the query's own ``FROM``
and ``FROM NAMED`` apply; with neither, the default graph is the union of all
named graphs and every named graph can be reached with ``GRAPH``. Relative
IRIs resolve against a base IRI: the endpoint's URL in :mod:`kg.serve`, the
default endpoint's URL in ``kg query``. Queries may use the project's
prefixes (:data:`kg.namespaces.PREFIX_IRIS`: ``pkg:``, ``id:``, ``skos:``...)
without declaring them. Federated ``SERVICE`` clauses are refused: they would
make the tool call out to the network.

pyoxigraph cannot interrupt a query from another thread, so a query with a
``timeout`` runs in a child process (spawned, so it is safe from threaded
callers such as :mod:`kg.serve`) that is killed at the deadline.
"""

from __future__ import annotations

import csv
import io
import json
import multiprocessing
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from kg.errors import InputError, KGError, QueryError
from kg.namespaces import PREFIX_IRIS, XSD
from kg.serialise import returned_bytes
from kg.store import open_store

__all__ = [
    "DEFAULT_BASE_IRI",
    "CannedQuery",
    "QueryResult",
    "bind_params",
    "canned_queries",
    "dataset_options",
    "execute",
    "format_result",
    "has_dataset_clause",
    "load_query",
    "packaged_query",
    "parse_param",
    "plain",
    "refuse_service",
    "run_query",
]

DEFAULT_BASE_IRI = "http://127.0.0.1:7878/sparql"
"""The base IRI of ``kg query``: the URL of ``kg serve`` on its default address, so both resolve relative IRIs alike."""

_QUERY_DIR = Path(__file__).resolve().parent / "queries"
_HEADER = re.compile(r"^#\s*(name|description|parameters):\s*(.*)$")
_PARAM_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# Lexical pieces of SPARQL (https://www.w3.org/TR/sparql11-query/#grammar).
_IRIREF = re.compile(r'<[^<>"{}|^`\\\x00-\x20]*>')
_UNAMBIGUOUS_IRI = re.compile(r'<[A-Za-z][A-Za-z0-9+.\-]*://[^<>"{}|^`\\\x00-\x20]*>')
_LONG_STRING = {q: re.compile(rf"{q}{q}{q}(?:(?:{q}|{q}{q})?(?:[^{q}\\]|\\[\s\S]))*{q}{q}{q}") for q in "\"'"}
_SHORT_STRING = {q: re.compile(rf"{q}(?:[^{q}\\\n\r]|\\.)*{q}") for q in "\"'"}
_NEWLINE = re.compile(r"[\n\r]")
_SERVICE = re.compile(r"service", re.IGNORECASE)
_FROM = re.compile(r"\bfrom\b", re.IGNORECASE)
_NAME_CHAR = re.compile(r"[\w\u00B7\u0300-\u036F\u203F-\u2040]")
_STARTUP_SECONDS = 120
_XSD_STRING = str(XSD.string)


@dataclass(frozen=True)
class CannedQuery:
    """A query shipped with the tool."""

    name: str
    description: str
    parameters: str
    text: str


@dataclass
class QueryResult:
    """A query's answer: rows for SELECT, a boolean for ASK, triples for CONSTRUCT/DESCRIBE."""

    kind: str
    variables: list[str]
    rows: list[list[ox.NamedNode | ox.Literal | ox.BlankNode | None]]
    boolean: bool | None = None
    triples: list[ox.Triple] | None = None


def canned_queries() -> dict[str, CannedQuery]:
    """Every canned query by name, sorted by name: the ``.rq`` files of ``kg/queries/`` itself, not its subfolders."""
    queries = {}
    for path in sorted(_QUERY_DIR.glob("*.rq")):
        query = _read_canned(path)
        queries[query.name] = query
    return dict(sorted(queries.items()))


def packaged_query(folder: str, name: str) -> str:
    """The text of ``kg/queries/FOLDER/NAME.rq``, a query the tool itself runs (the analytics', the report's).

    They are files, like the canned queries, so that they can be read, tried
    and checked as SPARQL; being in a subfolder keeps them out of
    :func:`canned_queries`. They use the project's prefixes without
    declaring them (every query run here has them predeclared).

    Raises:
        FileNotFoundError: if the package holds no such file (a broken install).
    """
    return (_QUERY_DIR / folder / f"{name}.rq").read_text(encoding="utf-8")


def load_query(name_or_file: str) -> str:
    """The text of a canned query (by name) or of a ``.rq`` file.

    Raises:
        QueryError: if it is neither.
    """
    canned = canned_queries()
    if name_or_file in canned:
        return canned[name_or_file].text
    path = Path(name_or_file)
    if path.is_file():
        try:
            return path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise QueryError(f"cannot read query file {path}: {exc}") from exc
    names = ", ".join(canned)
    raise QueryError(f"no canned query or file named {name_or_file!r} (canned queries: {names})")


def parse_param(text: str) -> tuple[str, ox.NamedNode | ox.Literal]:
    """Parse ``name=value`` into a parameter; ``<iri>`` values are IRIs, others plain literals.

    Surrounding spaces of the value are dropped; everything else is kept as is.

    Raises:
        QueryError: if the text is not ``name=value`` with a valid name, or the IRI is invalid.
    """
    name, sep, value = text.partition("=")
    name = name.strip()
    if not sep or not _PARAM_NAME.fullmatch(name):
        raise QueryError(f"parameter {text!r} is not name=value")
    value = value.strip()
    if value.startswith("<") and value.endswith(">"):
        try:
            return name, ox.NamedNode(value[1:-1])
        except ValueError as exc:
            raise QueryError(f"parameter {name}: {exc}") from exc
    return name, ox.Literal(value)


def run_query(
    graph_dir: Path,
    query: str,
    params: dict[str, ox.NamedNode | ox.Literal] | None = None,
    timeout: float | None = None,
) -> QueryResult:
    """Run ``query`` over the build in ``graph_dir``.

    Args:
        graph_dir: a build's output folder (with ``store/`` or ``graph.trig``).
        query: SPARQL 1.1 query text.
        params: values of the query's ``?NAME_param`` variables.
        timeout: seconds the query may run (from when the store is open);
            ``None`` runs it in this process without a bound.

    Raises:
        QueryError: for a SERVICE clause, a malformed query, an evaluation
            error or a query that exceeds ``timeout``.
        InputError: if ``graph_dir`` holds no build.
    """
    refuse_service(query)
    query = bind_params(query, params or {})
    if timeout is not None:
        if timeout <= 0:
            raise QueryError(f"timeout must be positive, not {timeout:g}")
        return _run_in_child(graph_dir, query, timeout)
    return _to_result(execute(open_store(graph_dir), query))


def execute(
    store: ox.Store,
    query: str,
    default_graphs: Sequence[str] = (),
    named_graphs: Sequence[str] = (),
    base_iri: str = DEFAULT_BASE_IRI,
) -> ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples:
    """Run ``query`` (already checked with :func:`refuse_service`) on ``store``.

    ``default_graphs`` and ``named_graphs`` are a protocol dataset (graph
    IRIs); see :func:`dataset_options` for how they and the query's ``FROM``
    decide the dataset. The project's prefixes are predeclared. Solutions are
    lazy: evaluation errors may still arise while iterating.

    Raises:
        QueryError: for a malformed query or a bad graph IRI.
    """
    options = dataset_options(query, default_graphs, named_graphs)
    try:
        return store.query(query, base_iri=base_iri, prefixes=PREFIX_IRIS, **options)
    except SyntaxError as exc:
        raise QueryError(f"malformed SPARQL: {exc}") from exc
    except (OSError, RuntimeError, ValueError) as exc:
        raise QueryError(f"query failed: {exc}") from exc


def dataset_options(query: str, default_graphs: Sequence[str] = (), named_graphs: Sequence[str] = ()) -> dict:
    """pyoxigraph's options for the dataset of SPARQL 1.1 Protocol section 2.1.4.

    - A protocol dataset replaces everything: the default graph is the merge
      of ``default_graphs`` (empty if none is given) and only
      ``named_graphs`` can be reached with ``GRAPH`` (none if none is given).
    - Otherwise the query's ``FROM`` / ``FROM NAMED`` decide, as the query
      language says.
    - With neither, the default graph is the union of all named graphs (the
      build keeps every triple in a named graph) and all of them are named.

    Raises:
        QueryError: if a graph IRI is not an absolute IRI.
    """
    if default_graphs or named_graphs:
        return {"default_graph": _graph_nodes(default_graphs), "named_graphs": _graph_nodes(named_graphs)}
    if has_dataset_clause(query):
        return {}
    return {"use_default_graph_as_union": True}


def has_dataset_clause(query: str) -> bool:
    """Whether ``query`` has its own ``FROM`` or ``FROM NAMED`` clause.

    ``FROM`` is a keyword only in a dataset clause, so any ``from`` outside
    strings, IRIs, comments, variable names and prefixed names is one.
    """
    code = _mask(query)
    return any(not _inside_name(code, match.start()) for match in _FROM.finditer(code))


def _graph_nodes(iris: Sequence[str]) -> list[ox.NamedNode]:
    try:
        return [ox.NamedNode(iri) for iri in iris]
    except ValueError as exc:
        raise QueryError(f"bad graph IRI: {exc}") from exc


def bind_params(query: str, params: dict[str, ox.NamedNode | ox.Literal]) -> str:
    """Bind ``?NAME_param`` variables with a VALUES block at the start of every WHERE clause.

    Each value is a pyoxigraph term written in its own escaped syntax, so a
    parameter is always exactly one RDF term. Subqueries get the block too:
    their variables are not in the scope of the outer WHERE clause.

    Raises:
        QueryError: if the query has no such variable or no WHERE clause.
    """
    if not params:
        return query
    code = _mask(query)
    for name in params:
        if not _PARAM_NAME.fullmatch(name) or not re.search(rf"[?$]{name}_param\b", code):
            raise QueryError(f"this query takes no parameter {name!r}")
    wheres = list(re.finditer(r"\bWHERE\s*\{", code, re.IGNORECASE)) or list(re.finditer(r"\{", code))[:1]
    if not wheres:
        raise QueryError("cannot bind parameters: the query has no WHERE clause")
    names = " ".join(f"?{name}_param" for name in params)
    values = " ".join(str(term) for term in params.values())
    block = f" VALUES ({names}) {{ ({values}) }} "
    for where in reversed(wheres):
        query = query[: where.end()] + block + query[where.end() :]
    return query


def refuse_service(query: str) -> None:
    """Raise QueryError if ``query`` may hold a federated SERVICE clause.

    The check reads the query the way a SPARQL parser can: the word is
    ignored only inside strings, comments, absolute IRIs, variable names and
    prefixed names. Where ``<`` could start either an IRI or a comparison,
    both readings are checked, so a clause cannot hide behind the ambiguity.
    """
    code = _possible_code(query)
    for match in _SERVICE.finditer(query):
        start, end = match.span()
        if all(code[start:end]) and not _inside_name(query, start):
            raise QueryError("SERVICE (federated query) is refused: it would send requests to other endpoints")


def format_result(result: QueryResult, fmt: str) -> str:
    """Render a result as ``csv``, ``tsv`` (plain values) or ``json`` (SPARQL 1.1 Query Results JSON).

    CONSTRUCT and DESCRIBE results are Turtle whatever ``fmt`` says; ASK
    results are ``true``/``false`` in csv and tsv.

    Raises:
        QueryError: for an unknown format.
    """
    if result.triples is not None:
        return returned_bytes(ox.serialize(result.triples, format=ox.RdfFormat.TURTLE, prefixes=PREFIX_IRIS)).decode()
    if fmt == "json":
        return json.dumps(_json_result(result), indent=2, ensure_ascii=False) + "\n"
    if fmt not in ("csv", "tsv"):
        raise QueryError(f"unknown format {fmt!r}")
    if result.boolean is not None:
        return ("true" if result.boolean else "false") + "\n"
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter="," if fmt == "csv" else "\t", lineterminator="\n")
    writer.writerow(result.variables)
    writer.writerows([[plain(term) for term in row] for row in result.rows])
    return buffer.getvalue()


def plain(term) -> str:
    """A term's plain text: the IRI, the literal's value, or '' when unbound."""
    return "" if term is None else term.value


def _mask(query: str) -> str:
    """``query`` with strings, IRIs and comments blanked out (same length), for finding variables."""
    pieces = [_LONG_STRING['"'], _LONG_STRING["'"], _SHORT_STRING['"'], _SHORT_STRING["'"], _IRIREF]
    pattern = "|".join(p.pattern for p in pieces) + r"|#[^\n\r]*"
    return re.sub(pattern, lambda m: " " * len(m.group(0)), query)


def _possible_code(query: str) -> list[bool]:
    """For each character, whether some reading of ``query`` makes it query syntax (not data)."""
    code = [False] * len(query)
    seen: set[int] = set()
    starts = [0]
    while starts:
        position = starts.pop()
        while position < len(query) and position not in seen:
            seen.add(position)
            position = _step(query, position, code, starts)
    return code


def _step(query: str, position: int, code: list[bool], starts: list[int]) -> int:
    """Read one token-ish piece at ``position``; return where reading goes on."""
    char = query[position]
    if char == "#":
        newline = _NEWLINE.search(query, position)
        return newline.start() if newline else len(query)
    if char in "\"'":
        found = _LONG_STRING[char].match(query, position) or _SHORT_STRING[char].match(query, position)
        if found:
            return found.end()
    elif char == "<":
        iri = _IRIREF.match(query, position)
        if iri and _UNAMBIGUOUS_IRI.match(query, position):
            return iri.end()
        if iri:
            starts.append(iri.end())  # read as an IRI; below, read as "less than"
    code[position] = True
    return position + 1


def _inside_name(query: str, start: int) -> bool:
    """Whether the word at ``start`` ends a variable or prefixed name (``?service``, ``ex:service``).

    Both kinds of names are read greedily by SPARQL parsers, so the word is
    then no keyword. Only what comes before the word decides.
    """
    run = start
    while run > 0 and _NAME_CHAR.match(query[run - 1]):
        run -= 1
    if run > 0 and query[run - 1] in "?$":
        return True
    while run > 0 and (_NAME_CHAR.match(query[run - 1]) or query[run - 1] in ".-:"):
        run -= 1
        if query[run] == ":":
            return True
    return False


def _run_in_child(graph_dir: Path, query: str, timeout: float) -> QueryResult:
    context = multiprocessing.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(sender, str(graph_dir), query), daemon=True)
    process.start()
    sender.close()
    try:
        message = _receive(receiver, _STARTUP_SECONDS, process)
        if message is not None and message[0] == "started":
            message = _receive(receiver, timeout, process)
            if message is None:
                raise QueryError(f"query exceeded {timeout:g} s")
    finally:
        if process.is_alive():
            process.kill()
        process.join()
        receiver.close()
    if message is None:
        raise QueryError("the query process did not start")
    return _decode(message)


def _receive(receiver, seconds: float, process) -> tuple | None:
    """The child's next message, None at the deadline."""
    if not receiver.poll(seconds):
        return None
    try:
        return receiver.recv()
    except EOFError:
        process.join()
        raise QueryError(f"the query process died (exit code {process.exitcode})") from None


def _child(sender, graph_dir: str, query: str) -> None:
    """Child process: open the store, run the query, send back its serialised answer."""
    try:
        store = open_store(Path(graph_dir))
        sender.send(("started",))
        sender.send(("ok", *_encode(execute(store, query))))
    except KGError as exc:
        sender.send(("error", type(exc).__name__, str(exc)))
    except Exception as exc:  # noqa: BLE001 - every failure is reported to the parent
        sender.send(("error", "QueryError", f"query failed: {exc}"))
    finally:
        sender.close()


def _encode(answer) -> tuple[str, bytes]:
    if isinstance(answer, ox.QueryTriples):
        return "graph", returned_bytes(answer.serialize(format=ox.RdfFormat.N_TRIPLES))
    kind = "ask" if isinstance(answer, ox.QueryBoolean) else "select"
    return kind, returned_bytes(answer.serialize(format=ox.QueryResultsFormat.JSON))


def _decode(message: tuple) -> QueryResult:
    if message[0] == "error":
        raise (InputError if message[1] == "InputError" else QueryError)(message[2])
    _, kind, payload = message
    if kind == "graph":
        return QueryResult("graph", [], [], triples=[quad.triple for quad in ox.parse(payload, ox.RdfFormat.N_TRIPLES)])
    return _to_result(ox.parse_query_results(payload, ox.QueryResultsFormat.JSON))


def _read_canned(path: Path) -> CannedQuery:
    text = path.read_text(encoding="utf-8")
    header = {}
    for line in text.splitlines():
        match = _HEADER.match(line)
        if match:
            header[match.group(1)] = match.group(2).strip()
        elif line.strip() and not line.startswith("#"):
            break
    return CannedQuery(header.get("name", path.stem), header.get("description", ""), header.get("parameters", ""), text)


def _to_result(answer) -> QueryResult:
    try:
        if isinstance(answer, ox.QueryBoolean):
            return QueryResult("ask", [], [], boolean=bool(answer))
        if isinstance(answer, ox.QueryTriples):
            return QueryResult("graph", [], [], triples=list(answer))
        variables = [v.value for v in answer.variables]
        rows = [[solution[v] for v in variables] for solution in answer]
    except (OSError, RuntimeError, ValueError) as exc:
        raise QueryError(f"query failed: {exc}") from exc
    return QueryResult("select", variables, rows)


def _json_result(result: QueryResult) -> dict:
    if result.boolean is not None:
        return {"head": {}, "boolean": result.boolean}
    bindings = []
    for row in result.rows:
        binding = {}
        for name, term in zip(result.variables, row, strict=True):
            if term is not None:
                binding[name] = _json_term(term)
        bindings.append(binding)
    return {"head": {"vars": result.variables}, "results": {"bindings": bindings}}


def _json_term(term) -> dict:
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Triple):
        parts = zip(("subject", "predicate", "object"), (term.subject, term.predicate, term.object), strict=True)
        return {"type": "triple", "value": {k: _json_term(v) for k, v in parts}}
    out = {"type": "literal", "value": term.value}
    if term.language:
        out["xml:lang"] = term.language
    elif term.datatype and term.datatype.value != _XSD_STRING:
        out["datatype"] = term.datatype.value
    return out
