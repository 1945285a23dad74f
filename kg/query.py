"""Answer SPARQL over a build: canned queries by name, query files or text.

Canned queries are ``.rq`` files in ``kg/queries/`` with a header comment
(``# name:``, ``# description:``, ``# parameters:``). Parameters are bound to
the variable ``?NAME_param`` through a ``VALUES`` block made of terms that
pyoxigraph serialises (and so escapes); raw parameter text never becomes
query syntax.
Queries run on the build's pyoxigraph store with the union of all named
graphs as the default graph. Federated ``SERVICE`` clauses are refused: they
would make the tool call out to the network.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from kg.errors import QueryError
from kg.namespaces import PREFIXES
from kg.store import open_store

__all__ = [
    "CannedQuery",
    "QueryResult",
    "canned_queries",
    "load_query",
    "run_query",
    "format_result",
    "parse_param",
]

_QUERY_DIR = Path(__file__).resolve().parent / "queries"
_HEADER = re.compile(r"^#\s*(name|description|parameters):\s*(.*)$")
_STRINGS_AND_COMMENTS = re.compile(
    r'"""[\s\S]*?"""|\'\'\'[\s\S]*?\'\'\'|"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'|<[^<>\s]*>|#[^\n]*'
)
_SERVICE = re.compile(r"\bSERVICE\b", re.I)


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
    """Every canned query by name, sorted by name."""
    queries = {}
    for path in sorted(_QUERY_DIR.glob("*.rq")):
        query = _read_canned(path)
        queries[query.name] = query
    return dict(sorted(queries.items()))


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
        return path.read_text(encoding="utf-8")
    names = ", ".join(canned)
    raise QueryError(f"no canned query or file named {name_or_file!r} (canned queries: {names})")


def parse_param(text: str) -> tuple[str, ox.NamedNode | ox.Literal]:
    """Parse ``name=value`` into a parameter; ``<iri>`` values are IRIs, others plain literals.

    Raises:
        QueryError: if the text is not ``name=value`` with a valid name.
    """
    name, sep, value = text.partition("=")
    if not sep or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name.strip()):
        raise QueryError(f"parameter {text!r} is not name=value")
    value = value.strip()
    if value.startswith("<") and value.endswith(">"):
        try:
            return name.strip(), ox.NamedNode(value[1:-1])
        except ValueError as exc:
            raise QueryError(f"parameter {name}: {exc}") from exc
    return name.strip(), ox.Literal(value)


def run_query(graph_dir: Path, query: str, params: dict[str, ox.NamedNode | ox.Literal] | None = None) -> QueryResult:
    """Run ``query`` over the build in ``graph_dir``.

    Raises:
        QueryError: for a SERVICE clause or a malformed query.
        InputError: if ``graph_dir`` holds no build.
    """
    refuse_service(query)
    query = bind_params(query, params or {})
    store = open_store(graph_dir)
    try:
        answer = store.query(
            query,
            use_default_graph_as_union=True,
            prefixes={p: str(ns) for p, ns in PREFIXES.items()},
        )
    except SyntaxError as exc:
        raise QueryError(f"malformed SPARQL: {exc}") from exc
    return _to_result(answer)


def bind_params(query: str, params: dict[str, ox.NamedNode | ox.Literal]) -> str:
    """Bind ``?NAME_param`` variables with a VALUES block at the start of the WHERE clause.

    Raises:
        QueryError: if the query has no such variable or no WHERE clause.
    """
    if not params:
        return query
    code = _mask(query)
    for name in params:
        if not re.search(rf"\?{re.escape(name)}_param\b", code):
            raise QueryError(f"this query takes no parameter {name!r}")
    where = re.search(r"\bWHERE\s*\{", code, re.I) or re.search(r"\{", code)
    if where is None:
        raise QueryError("cannot bind parameters: the query has no WHERE clause")
    names = " ".join(f"?{name}_param" for name in params)
    values = " ".join(str(term) for term in params.values())
    block = f" VALUES ({names}) {{ ({values}) }} "
    return query[: where.end()] + block + query[where.end() :]


def refuse_service(query: str) -> None:
    """Raise QueryError if ``query`` holds a federated SERVICE clause."""
    if _SERVICE.search(_mask(query)):
        raise QueryError("SERVICE (federated query) is refused: it would send requests to other endpoints")


def format_result(result: QueryResult, fmt: str) -> str:
    """Render a result as ``csv``, ``tsv`` or ``json`` (SPARQL 1.1 Query Results JSON).

    CONSTRUCT and DESCRIBE results are Turtle whatever ``fmt`` says.
    """
    if result.triples is not None:
        prefixes = {p: str(n) for p, n in PREFIXES.items()}
        return ox.serialize(result.triples, format=ox.RdfFormat.TURTLE, prefixes=prefixes).decode()
    if fmt == "json":
        return json.dumps(_json_result(result), indent=2, ensure_ascii=False) + "\n"
    if result.boolean is not None:
        return ("true" if result.boolean else "false") + "\n"
    if fmt in ("csv", "tsv"):
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter="," if fmt == "csv" else "\t", lineterminator="\n")
        writer.writerow(result.variables)
        writer.writerows([[plain(term) for term in row] for row in result.rows])
        return buffer.getvalue()
    raise QueryError(f"unknown format {fmt!r}")


def plain(term) -> str:
    """A term's plain text: the IRI, the literal's value, or '' when unbound."""
    return "" if term is None else term.value


def _mask(query: str) -> str:
    """``query`` with strings, IRIs and comments blanked out (same length)."""
    return _STRINGS_AND_COMMENTS.sub(lambda m: " " * len(m.group(0)), query)


def _read_canned(path: Path) -> CannedQuery:
    header = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        match = _HEADER.match(line)
        if match:
            header[match.group(1)] = match.group(2).strip()
        elif line.strip() and not line.startswith("#"):
            break
    text = path.read_text(encoding="utf-8")
    return CannedQuery(header.get("name", path.stem), header.get("description", ""), header.get("parameters", ""), text)


def _to_result(answer) -> QueryResult:
    if isinstance(answer, ox.QueryBoolean):
        return QueryResult("ask", [], [], boolean=bool(answer))
    if isinstance(answer, ox.QueryTriples):
        return QueryResult("graph", [], [], triples=list(answer))
    variables = [v.value for v in answer.variables]
    rows = [[solution[v] for v in variables] for solution in answer]
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
    out = {"type": "literal", "value": term.value}
    if term.language:
        out["xml:lang"] = term.language
    elif term.datatype and term.datatype.value != "http://www.w3.org/2001/XMLSchema#string":
        out["datatype"] = term.datatype.value
    return out
