"""Check a finished build for personal data that survived pseudonymisation (``kg privacy-check``).

A user about to publish a build can check it first. Every output file
(``graph.ttl``, ``graph.trig``, ``analysis.json``, the HTML pages, the
report, ``manifest.json``) and every term of the store are scanned for:

* e-mail addresses;
* phone numbers, written in international form or after a phone label;
* people's names read again from the build's input forms: the names
  :meth:`kg.privacy.Pseudonymiser.protect` would hunt across the build, in
  every file; and each form's own personal values that look like names, in
  that form's named graph and manifest entry (an organisation given as an
  innovator's name is only replaced in its own form, so it may stand
  elsewhere).

Only the forms the build read (the same SHA-256 as in its manifest) are read.
Names are compared with accents and case folded, as whole words. A finding
says where (file and line, or the store's graph) and what kind, and shows
the value's pseudonym, never the value: the originals are never written.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from kg.errors import InputError
from kg.forms import read_form
from kg.inputs import collect_inputs
from kg.privacy import Pseudonymiser, email_pattern, phone_spans
from kg.store import STORE_DIR, open_store
from kg.vocab import unaccented

__all__ = ["Finding", "PrivacyReport", "check_build"]

_SKIPPED = (STORE_DIR,)
_WORDS = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class Finding:
    """Personal data found in an output: where, what kind, and the pseudonym of the value (never the value)."""

    where: str
    line: int
    kind: str
    pseudonym: str

    def format(self) -> str:
        """``where:line: kind person-…`` for people and logs."""
        place = f"{self.where}:{self.line}" if self.line else self.where
        return f"{place}: {self.kind} {self.pseudonym}"


@dataclass
class PrivacyReport:
    """What :func:`check_build` scanned and found."""

    findings: list[Finding] = field(default_factory=list)
    files: int = 0
    store_terms: int = 0
    forms_read: int = 0
    names: int = 0

    @property
    def clean(self) -> bool:
        """True when nothing personal was found."""
        return not self.findings


def check_build(out_dir: Path, inputs: Iterable[Path] = (), key: str | None = None) -> PrivacyReport:
    """Scan the build in ``out_dir`` for e-mails, phones and the people's names of its ``inputs``.

    Without ``inputs`` only e-mails and phone numbers are looked for.
    ``key`` is the pseudonym key (as for ``kg build``); it only changes the
    pseudonyms shown.

    Raises:
        InputError: if ``out_dir`` holds no build (no ``manifest.json``).
    """
    manifest = _manifest(out_dir)
    privacy = Pseudonymiser(key)
    report = PrivacyReport()
    forms = _build_forms(manifest, list(inputs))
    report.forms_read = len(forms)
    everywhere, per_graph = _names(privacy, forms, manifest)
    report.names = len(everywhere) + sum(len(names) for names in per_graph.values())
    finder = _Finder(privacy, everywhere)
    for path in _output_files(out_dir):
        report.files += 1
        text = path.read_text(encoding="utf-8", errors="replace")
        report.findings.extend(finder.scan(text, path.relative_to(out_dir).as_posix()))
    report.store_terms, found = _scan_store(out_dir, finder, per_graph, privacy)
    report.findings.extend(found)
    for record in manifest["files"]:
        names = per_graph.get(record.get("document", ""), ())
        if names:
            text = json.dumps(record, ensure_ascii=False)
            report.findings.extend(_Finder(privacy, names).scan(text, f"manifest.json ({record['path']})", lines=False))
    return report


class _Finder:
    """Finds e-mails, phone numbers and given names in text."""

    def __init__(self, privacy: Pseudonymiser, names: Iterable[str]) -> None:
        self.privacy = privacy
        self.by_word: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
        for name in names:
            words = tuple(_WORDS.findall(_folded(name)))
            if words:
                self.by_word.setdefault(words[0], []).append((name, words))

    def scan(self, text: str, where: str, lines: bool = True) -> Iterator[Finding]:
        """Every finding in ``text``, line by line, with line numbers when ``lines``."""
        folded = _folded(text) if self.by_word else ""
        folded_lines = folded.split("\n") if folded else []
        for number, line in enumerate(text.split("\n")):
            found = sorted(self._spans(line, folded_lines[number] if folded_lines else ""))
            for _start, kind, value in found:
                yield Finding(where, number + 1 if lines else 0, kind, self.privacy.person(value))

    def _spans(self, line: str, folded: str) -> Iterator[tuple[int, str, str]]:
        if "@" in line:
            for match in email_pattern().finditer(line):
                yield match.start(), "e-mail", match.group(0)
        for start, number in phone_spans(line.replace("\\n", "\n ")):  # an escaped line break ends a line too
            if not _inside_identifier(line, start, start + len(number)):
                yield start, "phone", number
        if folded:
            yield from self._names(folded)

    def _names(self, folded: str) -> Iterator[tuple[int, str, str]]:
        words = set(_WORDS.findall(folded))
        for first in words.intersection(self.by_word):
            for name, needed in self.by_word[first]:
                if words.issuperset(needed):
                    pattern = r"(?<![^\W_])" + r"[\W_]+".join(map(re.escape, needed)) + r"(?![^\W_])"
                    for match in re.finditer(pattern, folded):
                        yield match.start(), "name", name


def _manifest(out_dir: Path) -> dict:
    path = out_dir / "manifest.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"{out_dir} holds no readable build manifest ({path.name}): {exc}") from exc


def _build_forms(manifest: dict, inputs: list[Path]) -> list:
    """The input forms the build read (same SHA-256), each with its manifest record."""
    if not inputs:
        return []
    records = {record.get("sha256"): record for record in manifest["files"]}
    forms = []
    for path, shown in collect_inputs(inputs):
        form = read_form(path, display_path=shown)
        record = records.get(form.sha256)
        if record is not None:
            forms.append(_Doc(form, record))
    return forms


def _names(privacy: Pseudonymiser, forms: list, manifest: dict) -> tuple[tuple[str, ...], dict[str, tuple[str, ...]]]:
    """The names hunted across the build, and each form's own name-like personal values by its graph IRI."""
    if not forms:
        return (), {}
    facts = [privacy.form_facts(doc) for doc in forms]
    protection = privacy.protect(forms, facts)
    per_graph = {}
    for doc, found in zip(forms, facts, strict=True):
        own = tuple(value for value in found.known if _is_name(value))
        if own and doc.record.get("document"):
            per_graph[doc.record["document"]] = own
    return protection.names, per_graph


def _scan_store(out_dir: Path, finder: _Finder, per_graph: dict, privacy: Pseudonymiser) -> tuple[int, list[Finding]]:
    """Every literal and IRI of the store, scanned graph by graph."""
    if not (out_dir / STORE_DIR).is_dir():
        return 0, []
    store = open_store(out_dir)
    findings: list[Finding] = []
    terms = 0
    for graph in sorted(store.named_graphs(), key=str):
        texts, literals = [], []
        for quad in store.quads_for_pattern(None, None, None, graph):
            for term in (quad.subject, quad.object):
                if isinstance(term, ox.Literal):
                    literals.append(term.value)
                elif isinstance(term, ox.NamedNode):
                    texts.append(term.value)
        terms += len(texts) + len(literals)
        where = f"store graph <{graph.value}>"
        findings.extend(finder.scan("\n".join(texts + literals), where, lines=False))
        own = per_graph.get(graph.value)
        if own:  # a form's own values are replaced in its literals; IRIs are shared by every form
            findings.extend(_Finder(privacy, own).scan("\n".join(literals), where, lines=False))
    return terms, findings


def _output_files(out_dir: Path) -> Iterator[Path]:
    """The build's output files, the store's binary files aside (the store is read through pyoxigraph)."""
    for path in sorted(out_dir.rglob("*")):
        relative = path.relative_to(out_dir)
        if path.is_file() and relative.parts[0] not in _SKIPPED:
            yield path


def _inside_identifier(line: str, start: int, end: int) -> bool:
    """Whether digits at ``start:end`` belong to a minted identifier ("...-technology-563455954f"), not a phone."""
    before = line[start - 1] if start else " "
    after = line[end] if end < len(line) else " "
    return before in "-_/" or after.isalnum()


def _folded(text: str) -> str:
    """Lower case without accents; line breaks stay where they are (lines of it are lines of ``text``)."""
    return unaccented(text).casefold()


def _is_name(value: str) -> bool:
    words = _WORDS.findall(value)
    return len(words) >= 2 and not any(ch.isdigit() for ch in value) and "://" not in value


class _Doc:
    """A form as :class:`kg.privacy.Pseudonymiser` reads an extraction, with its manifest record."""

    def __init__(self, form, record: dict) -> None:
        self.path = form.path
        self.title = form.title
        self.sections = [section.title for section in form.sections]
        self.items = form.items
        focal = form.tag_values("focal_point")
        self.focal_point = focal[0].value if focal else ""
        self.record = record
