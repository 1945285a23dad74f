"""The language data of the extractor, read from ``ontology/lexicon/*.tsv`` in one place.

Word lists (organisation keywords, connectors, honorifics, person roles,
"none" answers, generic collectives...) are data, not code: each topic is
one tab-separated file with a header line, an ISO 639-1 language code (or
``*`` for language-neutral entries) in its first column and the term in
``term``. A list read by several rules that each take part of it has a
``use`` column naming, space-separated, the rules each term serves; a rule
asks for its part with ``words(name, use=...)``. ``ontology/lexicon/README.md``
says what each file holds and who reads it.

The rules themselves stay in Python: a regex is built from a list with
:func:`alternation`, which escapes the terms and puts the longest first.
Terms are matched as written (case and accents included); a term ending in
``*`` stands for any word starting with what comes before the star. Files
are read once per process, on first use.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from kg.errors import InvalidDataError
from kg.paths import ontology_dir

__all__ = ["words", "word_set", "alternation", "table", "files", "lexicon_dir"]

_NEUTRAL = "*"


def words(name: str, use: str | None = None, lang: str | None = None) -> tuple[str, ...]:
    """The terms of ``ontology/lexicon/<name>.tsv``, in file order.

    Args:
        name: the file's name without ``.tsv`` ("honorifics").
        use: only the terms whose ``use`` column names this rule.
        lang: only the terms of this language and the language-neutral ones.

    Raises:
        InvalidDataError: the file is missing, malformed, or has no ``use`` column when ``use`` is given.
    """
    return _words(name, use, lang)


@cache
def word_set(name: str, use: str | None = None, lang: str | None = None) -> frozenset[str]:
    """The terms of :func:`words` as a set, for membership tests."""
    return frozenset(_words(name, use, lang))


def alternation(terms) -> str:
    """A regex alternation of ``terms``: each escaped, longest first (ties in code-point order).

    A term ending in ``*`` matches any word starting with the rest ("chair*"
    gives ``chair\\w*``). The alternation has no group of its own: wrap it,
    as in ``rf"\\b(?:{alternation(terms)})\\b"``.
    """
    ordered = sorted(set(terms), key=lambda t: (-len(t), t))
    return "|".join(re.escape(t[:-1]) + r"\w*" if t.endswith("*") and len(t) > 1 else re.escape(t) for t in ordered)


def table(name: str) -> tuple[dict[str, str], ...]:
    """Every row of ``ontology/lexicon/<name>.tsv`` as a dict keyed by the header's column names."""
    return _rows(name)


def files() -> tuple[Path, ...]:
    """Every lexicon file, sorted by name."""
    return tuple(sorted(lexicon_dir().glob("*.tsv")))


def lexicon_dir() -> Path:
    """The folder of the lexicon files (the installed package's copy first, as :func:`kg.paths.ontology_dir`)."""
    return ontology_dir() / "lexicon"


@cache
def _words(name: str, use: str | None, lang: str | None) -> tuple[str, ...]:
    rows = _rows(name)
    if use is not None and rows and "use" not in rows[0]:
        raise InvalidDataError(f"lexicon {name}.tsv has no 'use' column (asked for use {use!r})")
    found = (
        row["term"]
        for row in rows
        if (use is None or use in row["use"].split()) and (lang is None or row["lang"] in (lang, _NEUTRAL))
    )
    return tuple(dict.fromkeys(found))


@cache
def _rows(name: str) -> tuple[dict[str, str], ...]:
    path = lexicon_dir() / f"{name}.tsv"
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise InvalidDataError(f"lexicon {name!r} cannot be read: {exc}") from exc
    if not lines or lines[0].split("\t")[0] != "lang":
        raise InvalidDataError(f"{path}: the first line must be a header starting with 'lang'")
    header = lines[0].split("\t")
    rows = []
    for number, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        cells = line.split("\t")
        if len(cells) != len(header) or not cells[0]:
            raise InvalidDataError(f"{path}:{number}: expected {len(header)} tab-separated cells, a language first")
        rows.append(dict(zip(header, cells, strict=True)))
    return tuple(rows)
