"""SHACL validation of a build against ``ontology/shapes.ttl`` (pySHACL).

The data graph is the union of the build's named graphs, the ontology in
``ontology/portfolio.ttl`` and ``ontology/sectors.ttl`` is passed as the
ontology graph so class hierarchies are known, and no further inference is
run (the builder states every type it relies on).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Graph
from rdflib.namespace import SH

from kg.errors import InputError
from kg.paths import ontology_dir

__all__ = ["Violation", "ValidationReport", "validate_build", "validate_graph", "load_shapes", "load_ontology"]


@dataclass(frozen=True)
class Violation:
    """One SHACL result: the node, the property path, the severity and the message."""

    focus: str
    path: str
    severity: str
    message: str


@dataclass
class ValidationReport:
    """The outcome of a validation."""

    conforms: bool
    triples: int
    violations: list[Violation] = field(default_factory=list)


def validate_build(graph_dir: Path) -> ValidationReport:
    """Validate ``graph_dir/graph.ttl``.

    Raises:
        InputError: if there is no graph.ttl or it does not parse.
    """
    path = graph_dir / "graph.ttl"
    if not path.is_file():
        raise InputError(f"{graph_dir} holds no graph.ttl; run 'kg build' first")
    data = Graph()
    try:
        data.parse(path, format="turtle")
    except Exception as exc:
        raise InputError(f"{path} does not parse as Turtle: {exc}") from exc
    return validate_graph(data)


def validate_graph(data: Graph) -> ValidationReport:
    """Validate an rdflib graph against the project's shapes."""
    from pyshacl import validate

    conforms, results, _text = validate(
        data,
        shacl_graph=load_shapes(),
        ont_graph=load_ontology(),
        inference="none",
        advanced=True,
        allow_warnings=True,
    )
    return ValidationReport(bool(conforms), len(data), _violations(results))


def load_shapes() -> Graph:
    """The SHACL shapes graph."""
    return Graph().parse(ontology_dir() / "shapes.ttl", format="turtle")


def load_ontology() -> Graph:
    """The ontology and its vocabularies (every ``*.ttl`` in ``ontology/`` but the shapes)."""
    graph = Graph()
    for path in sorted(ontology_dir().glob("*.ttl")):
        if path.name != "shapes.ttl":
            graph.parse(path, format="turtle")
    return graph


def _violations(results: Graph) -> list[Violation]:
    found = []
    for result in results.subjects(SH.resultSeverity, None):
        found.append(
            Violation(
                focus=str(results.value(result, SH.focusNode) or ""),
                path=str(results.value(result, SH.resultPath) or ""),
                severity=str(results.value(result, SH.resultSeverity) or "").rsplit("#", 1)[-1],
                message=str(results.value(result, SH.resultMessage) or ""),
            )
        )
    return sorted(found, key=lambda v: (v.severity, v.focus, v.path, v.message))
