"""``kg query``'s table: a SELECT result as plain text that fits a terminal's width.

A result's IRIs are long (``https://w3id.org/portfolio-kg/id/org/...``) and a
terminal is not: laid out at its natural width, a table squeezed into 80
columns wraps a name into one word per line. This layout keeps every row on
one line instead:

1. IRIs are written as prefixed names of :data:`kg.namespaces.PREFIX_IRIS`
   (``id:org/undp-...``); an IRI in no known namespace stays whole.
2. If the table is still too wide, the IRI columns that only identify a
   resource the row also names (``organisation_iri`` beside
   ``organisation``) are hidden, and a footer line says which.
3. If it is still too wide, the widest columns are cut to a common width,
   their cells ending in "…", while narrow ones (codes, counts) keep theirs.

Nothing wraps. CSV, TSV and JSON (:func:`kg.query.format_result`) keep every
column and full IRIs.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import pyoxigraph as ox
from rich.cells import cell_len, get_character_cell_size

from kg.namespaces import PREFIX_IRIS
from kg.query import QueryResult

__all__ = ["format_table", "prefixed_name"]

_GAP = "  "
_ELLIPSIS = "\u2026"
_RULE = "\u2500"
_IRI_SUFFIX = re.compile(r"_?(iri|uri)$")
_LABEL_SUFFIXES = ("", "_label", "label", "_name", "name")
_LONE_LABELS = ("label", "name", "title")
_NAMESPACES = sorted(PREFIX_IRIS.items(), key=lambda item: -len(item[1]))


@dataclass
class _Column:
    """One column of the result: its name, its terms and their display text."""

    name: str
    terms: list
    texts: list[str]

    @property
    def natural(self) -> int:
        """The width that shows the header and every cell whole."""
        return max([cell_len(self.name)] + [cell_len(text) for text in self.texts])

    @property
    def all_iris(self) -> bool:
        """Whether every bound cell is an IRI (and one is)."""
        bound = [term for term in self.terms if term is not None]
        return bool(bound) and all(isinstance(term, ox.NamedNode) for term in bound)


def format_table(result: QueryResult, width: int) -> str:
    """The rows of a SELECT ``result`` as a table no line of which is wider than ``width`` cells.

    A header, a rule, one line per row and, when IRI columns were hidden to
    make room, a footer naming them. Columns are two spaces apart.
    """
    width = max(width, 1)
    if not result.variables:
        return ""
    columns = [
        _Column(name, terms, [_text(term) for term in terms])
        for name, terms in zip(result.variables, _transpose(result), strict=True)
    ]
    shown, hidden = _visible(columns, width)
    widths = _widths([column.natural for column in shown], width - len(_GAP) * (len(shown) - 1))
    lines = [_line([column.name for column in shown], widths), _GAP.join(_RULE * w for w in widths)]
    lines += [_line([column.texts[row] for column in shown], widths) for row in range(len(result.rows))]
    if hidden:
        many = len(hidden) > 1
        names = ", ".join(column.name for column in hidden)
        lines.append(
            f"{len(hidden)} IRI column{'s' if many else ''} hidden ({names}): "
            f"use --format csv or json for {'them' if many else 'it'}"
        )
    return "".join(_cut(line, width) + "\n" for line in lines)


def prefixed_name(iri: str) -> str:
    """``iri`` as a prefixed name of :data:`~kg.namespaces.PREFIX_IRIS` (the longest namespace), else whole."""
    for prefix, namespace in _NAMESPACES:
        if iri.startswith(namespace):
            return f"{prefix}:{iri[len(namespace) :]}"
    return iri


def _transpose(result: QueryResult) -> list[list]:
    return [[row[index] for row in result.rows] for index in range(len(result.variables))]


def _text(term) -> str:
    """A term's text on one line: IRIs as prefixed names, whitespace runs as one space, no control characters."""
    if term is None:
        return ""
    if isinstance(term, ox.NamedNode):
        text = prefixed_name(term.value)
    elif isinstance(term, ox.BlankNode):
        text = f"_:{term.value}"
    elif isinstance(term, ox.Literal):
        text = term.value
    else:
        text = str(term)
    text = "".join(" " if unicodedata.category(char) == "Cc" else char for char in text)
    return " ".join(text.split())


def _visible(columns: list[_Column], width: int) -> tuple[list[_Column], list[_Column]]:
    """The columns to show and those hidden: IRI columns beside their label, only when all do not fit."""
    if sum(column.natural for column in columns) + len(_GAP) * (len(columns) - 1) <= width:
        return columns, []
    hidden = _hideable(columns)
    return [column for column in columns if column not in hidden], hidden


def _hideable(columns: list[_Column]) -> list[_Column]:
    """IRI columns whose resource has a label column, bound in every row where the IRI is.

    The label column of ``NAME_iri`` (or ``NAME_uri``, ``NAMEIri``) is
    ``NAME``, ``NAME_label`` or ``NAME_name``; that of ``NAME`` is
    ``NAME_label`` or ``NAME_name``; a result with one IRI column may also
    label it with ``label``, ``name`` or ``title``. A label column holds no IRI.
    """
    iri_columns = [column for column in columns if column.all_iris]
    labels = {column.name.lower(): column for column in columns if not _has_iri(column)}
    hideable = []
    for column in iri_columns:
        for name in _label_names(column.name, lone=len(iri_columns) == 1):
            label = labels.get(name)
            if label and all(label.texts[row] for row, term in enumerate(column.terms) if term is not None):
                hideable.append(column)
                break
    return hideable


def _has_iri(column: _Column) -> bool:
    return any(isinstance(term, ox.NamedNode) for term in column.terms)


def _label_names(name: str, lone: bool) -> list[str]:
    """The names (lower case) a label column of the IRI column ``name`` may have."""
    lowered = name.lower()
    base = _IRI_SUFFIX.sub("", lowered)
    names = [base + suffix for suffix in _LABEL_SUFFIXES if base and base + suffix != lowered]
    return names + list(_LONE_LABELS if lone else ())


def _widths(naturals: list[int], room: int) -> list[int]:
    """Widths summing to at most ``room`` (when it can): the widest columns cut to one common cap.

    Columns are taken narrowest first; one that fits in an equal share of
    the room left keeps its natural width. The rest share what is left: the
    cap, plus one cell for the first few (left to right) to use it all.
    """
    if sum(naturals) <= room:
        return list(naturals)
    left, count = room, len(naturals)
    for natural in sorted(naturals):
        if natural * count > left:
            break
        left -= natural
        count -= 1
    cap = max(left // count, 1)
    extra = max(left - cap * count, 0)
    widths = []
    for natural in naturals:
        if natural <= cap:
            widths.append(natural)
        else:
            widths.append(cap + (1 if extra > 0 else 0))
            extra -= 1
    return widths


def _line(texts: list[str], widths: list[int]) -> str:
    return _GAP.join(_pad(_cut(text, w), w) for text, w in zip(texts, widths, strict=True)).rstrip()


def _cut(text: str, width: int) -> str:
    """``text`` if it fits in ``width`` cells, else its start and "…" in exactly as many (or fewer) cells."""
    if cell_len(text) <= width:
        return text
    if width < 1:
        return ""
    kept, used = [], 0
    for char in text:
        size = get_character_cell_size(char)
        if used + size > width - 1:
            break
        kept.append(char)
        used += size
    return "".join(kept).rstrip() + _ELLIPSIS


def _pad(text: str, width: int) -> str:
    return text + " " * (width - cell_len(text))
