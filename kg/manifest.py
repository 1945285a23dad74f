"""Every input accounted for: one record per input file, and the build's ``manifest.json``.

A record says what the build did with a file: its status (ok, warning,
error), messages with line numbers, form family, document IRI, triple count
and sha256. The manifest lists every record under the path outputs show
(pseudonymised when a file name spells a person's name) with the build's
headline figures.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

from kg import __version__
from kg.forms import Message
from kg.graph import REFERENCE_GRAPH
from kg.inputs import FileRecord
from kg.privacy import Protection, Pseudonymiser

__all__ = [
    "BuildResult",
    "flag_duplicates",
    "count_triples",
    "privacy_figures",
    "form_folders",
    "write_manifest",
]


@dataclass
class BuildResult:
    """The outcome of a build: manifest records and headline figures."""

    out_dir: Path
    records: list[FileRecord]
    triples: int
    organisations: int
    partnerships: int
    seconds: dict[str, float]
    changes: dict = field(default_factory=dict)
    figures: dict = field(default_factory=dict)
    # The build's working data (forms, graphs, analytics), freed with the result rather than when the build returns:
    # freeing millions of objects takes a rebuild's fifth of a second, which `kg build` saves by exiting at once.
    retained: tuple = field(default=(), repr=False, compare=False)

    @property
    def errors(self) -> int:
        """How many files have status ``error``."""
        return sum(1 for r in self.records if r.status == "error")

    @property
    def warnings(self) -> int:
        """How many files have status ``warning``."""
        return sum(1 for r in self.records if r.status == "warning")


def flag_duplicates(records: list[FileRecord]) -> None:
    """Warn on every file whose bytes repeat an earlier one's (it still builds: both are accounted for)."""
    first: dict[str, str] = {}
    for record in records:
        if not record.sha256:
            continue
        if record.sha256 in first:
            text = f"same content as {first[record.sha256]}"
            record.messages.append(asdict(Message("warning", "duplicate-content", text)))
            if record.status == "ok":
                record.status = "warning"
        else:
            first[record.sha256] = record.path


def count_triples(triples: dict[str, int], records: list[FileRecord]) -> None:
    """Give each record the size of its document's named graph (``triples``: graph IRI -> triples)."""
    for record in records:
        if record.document in triples:
            record.triples = triples[record.document]


def privacy_figures(privacy: Pseudonymiser, protection: Protection, folders: list[str] | None = None) -> dict:
    """The manifest's privacy summary: whether personal data was pseudonymised, and what each rule found (counts).

    A build that keeps personal data records instead where its forms are
    (``forms``: ``folders``, see :func:`form_folders`), for the pages to link them.
    """
    if not privacy.enabled:
        return {"pseudonymised": False, "forms": list(folders or [])}
    return {"pseudonymised": True, "found_by_rule": protection.found}


def form_folders(inputs: list[tuple[Path, str]], out_dir: Path) -> list[str]:
    """The folders that hold the forms ``(path, display path)`` under their display paths, relative to ``out_dir``.

    A display path ends every input's path (:func:`kg.inputs.collect_inputs`),
    so the folder is what comes before it. POSIX paths, sorted, each once.
    """
    found = set()
    for path, shown in inputs:
        folder = path.parents[len(PurePosixPath(shown).parts) - 1]
        found.add(Path(os.path.relpath(folder, out_dir)).as_posix())
    return sorted(found)


def write_manifest(result: BuildResult, out_dir: Path) -> None:
    """Write ``OUT/manifest.json``: headline figures, then one line per input file."""
    statuses = Counter(r.status for r in result.records)
    codes = Counter(m["code"] for r in result.records for m in r.messages)
    manifest = {
        "tool": "portfolio-kg",
        "version": __version__,
        "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "reference_graph": str(REFERENCE_GRAPH),
        "summary": {
            "files": len(result.records),
            "status": dict(sorted(statuses.items())),
            "families": dict(sorted(Counter(r.family or "none" for r in result.records).items())),
            "messages_by_code": dict(sorted(codes.items())),
            "triples": result.triples,
            "organisations": result.organisations,
            "partnerships": result.partnerships,
            "seconds": {k: round(v, 3) for k, v in result.seconds.items()},
            **_rounded(result.figures),
        },
        "changes": result.changes,
    }
    head = json.dumps(manifest, indent=2, ensure_ascii=False)  # ends with "\n}"
    # One line per file: quicker to write (json's C encoder) and to grep. asdict's deep copy is not needed.
    files = ",\n".join("    " + json.dumps(_manifest_entry(r), ensure_ascii=False) for r in result.records)
    text = head[:-2] + ',\n  "files": [\n' + files + "\n  ]\n}\n"
    (out_dir / "manifest.json").write_text(text, encoding="utf-8")


def _manifest_entry(record: FileRecord) -> dict:
    """A record as the manifest shows it: under its published path, which names nobody."""
    entry = dict(vars(record))
    published = entry.pop("published")
    if published:
        entry["path"] = published
    return entry


def _rounded(figures: dict) -> dict:
    return {
        group: {k: round(v, 3) if isinstance(v, float) else v for k, v in values.items()}
        for group, values in figures.items()
    }
