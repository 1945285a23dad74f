"""The inputs of a build: form files found under the sources, read and extracted, each with its record.

A bad file never stops a build: what cannot be read, or breaks the
extractor, becomes an error record naming the file (and the line, where the
form reader knows it), and the other forms go on.
"""

from __future__ import annotations

import os
import traceback
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

from kg.errors import InputError
from kg.extract import Extraction, extract_many
from kg.forms import Form, Message, read_form

__all__ = ["FORM_SUFFIXES", "FileRecord", "ReadForm", "collect_inputs", "read_input", "extract_read", "status_of"]

FORM_SUFFIXES = (".md", ".txt")


@dataclass
class FileRecord:
    """What the build did with one input file (one manifest entry)."""

    path: str
    sha256: str = ""
    status: str = "ok"
    family: str = ""
    document: str = ""
    triples: int = 0
    encoding: str = ""
    messages: list[dict] = field(default_factory=list)
    published: str = ""  # the file name as outputs show it, when it spells a person's name (the manifest's "path")


@dataclass
class ReadForm:
    """One input file read: its record, its form (None when there is nothing to extract) and its messages."""

    record: FileRecord
    form: Form | None
    messages: list[Message]


def collect_inputs(sources: list[Path]) -> list[tuple[Path, str]]:
    """Every form file under ``sources`` as ``(path, display path)``, sorted by display path.

    The display path is relative to the folder given (a file given directly
    shows its name), so outputs do not depend on where the corpus lies.

    Raises:
        InputError: if a source does not exist.
    """
    found: dict[str, Path] = {}
    for source in sources:
        if not source.exists():
            raise InputError(f"no such file or folder: {source}")
        for path, shown in _walk(source):
            if shown in found and found[shown].resolve() != path.resolve():
                shown = f"{source.name}/{shown}"
            found.setdefault(shown, path)
    return sorted(((path, shown) for shown, path in found.items()), key=lambda pair: pair[1])


def read_input(pair: tuple[Path, str]) -> ReadForm:
    """Read one input file ``(path, display path)`` into a form and its record; a failure is an error record."""
    record = FileRecord(path=pair[1])
    try:
        form, messages = _open(pair, record)
    except Exception as exc:  # noqa: BLE001 - one bad file must not stop the build
        form, messages = None, [_internal_error(exc)]
    return ReadForm(record, form, messages)


def extract_read(read: list[ReadForm], entities: Callable | None = None) -> list[tuple[FileRecord, Extraction | None]]:
    """Extract the forms read, in one batch, and finish their records: ``(record, extraction or None)`` each.

    ``entities`` reads spaCy's entities of texts (:data:`kg.ner.EntityReader`;
    by default the model runs). If the batch fails, each form is extracted
    alone, so only the form at fault becomes an error record.
    """
    try:
        found = iter(extract_many([r.form for r in read if r.form is not None], entities=entities))
        return [_close(r.record, r.messages, next(found) if r.form is not None else None) for r in read]
    except Exception:  # noqa: BLE001 - find the form at fault: the others must still build
        return [_extract_alone(r, entities) for r in read]


def status_of(messages: list[Message]) -> str:
    """A file's status: ``error`` if a message is an error, else ``warning`` if one warns, else ``ok``."""
    levels = {m.level for m in messages}
    return "error" if "error" in levels else "warning" if "warning" in levels else "ok"


def _extract_alone(read: ReadForm, entities: Callable | None) -> tuple[FileRecord, Extraction | None]:
    """Extract one form; a failure becomes an error record."""
    try:
        extraction = extract_many([read.form], entities=entities)[0] if read.form is not None else None
        messages = read.messages
    except Exception as exc:  # noqa: BLE001 - one bad file must not stop the build
        extraction, messages = None, [_internal_error(exc)]
    return _close(read.record, messages, extraction)


def _internal_error(exc: Exception) -> Message:
    where = traceback.extract_tb(exc.__traceback__)[-1]
    text = f"internal error {type(exc).__name__}: {exc} (at {Path(where.filename).name}:{where.lineno})"
    return Message("error", "internal", text)


def _walk(source: Path) -> Iterator[tuple[Path, str]]:
    """Form files under ``source`` (symbolic links to folders not followed) with their path relative to it."""
    if source.is_file():
        yield source, source.name
        return
    for root, folders, files in os.walk(source):
        folders.sort()
        relative = Path(root).relative_to(source).as_posix()
        for name in sorted(files):
            # A file named just ".md" is a form too (the archive has one): compare the ending, not the suffix.
            if name.lower().endswith(FORM_SUFFIXES) and os.path.isfile(path := os.path.join(root, name)):
                yield Path(path), name if relative == "." else f"{relative}/{name}"


def _open(pair: tuple[Path, str], record: FileRecord) -> tuple[Form | None, list[Message]]:
    """Read one form into ``record``: the form if it has content to extract, and its messages."""
    path, shown = pair
    form = read_form(path, shown)
    record.sha256, record.encoding = form.sha256, form.encoding
    messages = list(form.messages)
    if any(m.level == "error" for m in messages):
        return None, messages
    if form.n_lines and (form.items or form.tags or form.title):
        return form, messages
    messages.append(Message("error", "empty", "no form content: nothing to build"))
    return None, messages


def _close(
    record: FileRecord, messages: list[Message], extraction: Extraction | None
) -> tuple[FileRecord, Extraction | None]:
    """Finish a form's record: its extraction's family and messages, and its status."""
    if extraction is not None:
        messages = messages + extraction.messages
        record.family = extraction.family
    record.messages = [asdict(m) for m in sorted(messages, key=lambda m: (m.line, m.level, m.code, m.text))]
    record.status = status_of(messages)
    return record, extraction
