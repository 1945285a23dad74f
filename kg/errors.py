"""The exception hierarchy of portfolio-kg.

The library raises and never prints; the CLI maps these classes to exit codes
(0 ok, 1 invalid data, 2 input or usage error), as pySHACL does.
"""

__all__ = ["KGError", "InputError", "InvalidDataError", "QueryError"]


class KGError(Exception):
    """Base class of every error raised on purpose by portfolio-kg."""

    exit_code = 2


class InputError(KGError):
    """A missing or unreadable input: a path, a graph folder, a query file."""

    exit_code = 2


class QueryError(InputError):
    """A SPARQL query that is malformed, refused (SERVICE) or unknown."""


class InvalidDataError(KGError):
    """Data that was read but does not conform (e.g. SHACL violations)."""

    exit_code = 1
