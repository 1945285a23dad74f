"""Run the pipeline over files and folders and write the build's outputs.

``build`` reads every ``*.md`` and ``*.txt`` form under the sources, parses
and extracts them (in worker processes with ``jobs`` > 1), resolves
organisations over the whole set, builds the RDF dataset and writes
``graph.ttl`` (every triple), ``graph.trig`` (one named graph per form plus
the reference graph and the analytics graph that :mod:`kg.analyse` computes
from the store), ``analysis.json``, ``ecosystem.html``, ``report.md``,
``report.html`` and ``manifest.json`` (every input file with its
status, messages, triple count and sha256). It raises only for unusable
arguments; a bad form is recorded in the manifest and the build goes on.
"""

from __future__ import annotations

import json
import os
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from kg import __version__
from kg.analyse import Analysis, analyse_build, analytics_quads, write_analysis
from kg.errors import InputError
from kg.extract import Extraction, extract
from kg.forms import Message, read_form
from kg.graph import REFERENCE_GRAPH, document_iri, named_graphs
from kg.privacy import Protection, Pseudonymiser
from kg.resolve import resolve
from kg.store import extend_store, to_ox_quads, write_graph_files, write_store

__all__ = ["FileRecord", "BuildResult", "build", "collect_inputs", "FORM_SUFFIXES"]

FORM_SUFFIXES = (".md", ".txt")

Progress = Callable[[int, int], None]


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


@dataclass
class BuildResult:
    """The outcome of a build: manifest records and headline figures."""

    out_dir: Path
    records: list[FileRecord]
    triples: int
    organisations: int
    partnerships: int
    seconds: dict[str, float]

    @property
    def errors(self) -> int:
        """How many files have status ``error``."""
        return sum(1 for r in self.records if r.status == "error")

    @property
    def warnings(self) -> int:
        """How many files have status ``warning``."""
        return sum(1 for r in self.records if r.status == "warning")


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


def build(
    sources: list[Path],
    out_dir: Path,
    jobs: int | None = None,
    pseudonymiser: Pseudonymiser | None = None,
    progress: Progress | None = None,
) -> BuildResult:
    """Build the knowledge graph of every form under ``sources`` into ``out_dir``."""
    timings: dict[str, float] = {}
    start = time.perf_counter()
    inputs = collect_inputs(sources)
    if not inputs:
        raise InputError("no *.md or *.txt forms found in " + ", ".join(map(str, sources)))
    out_dir.mkdir(parents=True, exist_ok=True)
    records, extractions = _read_all(inputs, jobs, progress)
    _flag_duplicates(records)
    privacy = pseudonymiser or Pseudonymiser()
    protection = _protect(privacy, extractions, records)
    timings["read_extract"] = time.perf_counter() - start

    mark = time.perf_counter()
    resolution = resolve(extractions)
    timings["resolve"] = time.perf_counter() - mark

    mark = time.perf_counter()
    graphs = named_graphs(extractions, resolution, privacy)
    known = {document_iri(path): values for path, values in protection.known.items()}
    graphs = privacy.scrub_graphs(graphs, known, protection.names)
    _count_triples(graphs, records)
    quads = to_ox_quads(graphs)
    timings["graph"] = time.perf_counter() - mark

    mark = time.perf_counter()
    write_store(quads, out_dir)
    timings["store"] = time.perf_counter() - mark
    mark = time.perf_counter()
    analysis = analyse_build(out_dir)
    analytics = analytics_quads(analysis)
    extend_store(analytics, out_dir)
    timings["analytics"] = time.perf_counter() - mark

    mark = time.perf_counter()
    n_triples = write_graph_files(quads + analytics, out_dir)
    timings["serialise"] = time.perf_counter() - mark
    mark = time.perf_counter()
    _write_insights(analysis, out_dir)
    timings["html_report"] = time.perf_counter() - mark
    result = BuildResult(
        out_dir,
        records,
        n_triples,
        len(resolution.organisations),
        sum(len(d.partnerships) for d in extractions),
        timings,
    )
    timings["total"] = time.perf_counter() - start
    _write_manifest(result, out_dir)
    return result


def _write_insights(analysis: Analysis, out_dir: Path) -> None:
    """Write analysis.json, ecosystem.html (whole portfolio) and report.md/report.html."""
    from kg.report import write_report
    from kg.visualise import portfolio_view, write_html

    write_analysis(analysis, out_dir / "analysis.json")
    write_html(portfolio_view(analysis), out_dir / "ecosystem.html")
    write_report(out_dir, analysis=analysis)


def _walk(source: Path) -> Iterator[tuple[Path, str]]:
    if source.is_file():
        yield source, source.name
        return
    for path in sorted(source.rglob("*")):
        # A file named just ".md" has no suffix in pathlib's eyes, yet it is a form (the archive has one).
        if (path.suffix.lower() in FORM_SUFFIXES or path.name.lower() in FORM_SUFFIXES) and path.is_file():
            yield path, path.relative_to(source).as_posix()


def _read_all(
    inputs: list[tuple[Path, str]], jobs: int | None, progress: Progress | None
) -> tuple[list[FileRecord], list[Extraction]]:
    jobs = max(1, jobs or os.cpu_count() or 1)
    records: list[FileRecord] = []
    extractions: list[Extraction] = []
    if jobs == 1 or len(inputs) < 64:
        results: Iterator = map(_read_one, inputs)
        return _collect(results, len(inputs), progress)
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        results = pool.map(_read_one, inputs, chunksize=32)
        records, extractions = _collect(results, len(inputs), progress)
    return records, extractions


def _collect(results: Iterator, total: int, progress: Progress | None) -> tuple[list[FileRecord], list[Extraction]]:
    records: list[FileRecord] = []
    extractions: list[Extraction] = []
    for done, (record, extraction) in enumerate(results, start=1):
        records.append(record)
        if extraction is not None:
            extractions.append(extraction)
        if progress:
            progress(done, total)
    return records, extractions


def _read_one(pair: tuple[Path, str]) -> tuple[FileRecord, Extraction | None]:
    """Read and extract one form; any failure becomes an error record."""
    path, shown = pair
    record = FileRecord(path=shown)
    try:
        form = read_form(path, shown)
        record.sha256, record.encoding = form.sha256, form.encoding
        messages = list(form.messages)
        extraction = None
        if not any(m.level == "error" for m in messages) and form.n_lines and (form.items or form.tags or form.title):
            extraction = extract(form)
            messages.extend(extraction.messages)
            record.family = extraction.family
            record.document = str(document_iri(shown))
        elif not any(m.level == "error" for m in messages):
            messages.append(Message("error", "empty", "no form content: nothing to build"))
    except Exception as exc:  # noqa: BLE001 - one bad file must not stop the build
        where = traceback.extract_tb(exc.__traceback__)[-1]
        text = f"internal error {type(exc).__name__}: {exc} (at {Path(where.filename).name}:{where.lineno})"
        messages = [Message("error", "internal", text)]
        extraction = None
    record.messages = [asdict(m) for m in sorted(messages, key=lambda m: (m.line, m.level, m.code, m.text))]
    record.status = _status(messages)
    return record, extraction


def _status(messages: list[Message]) -> str:
    levels = {m.level for m in messages}
    return "error" if "error" in levels else "warning" if "warning" in levels else "ok"


def _flag_duplicates(records: list[FileRecord]) -> None:
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


def _protect(privacy: Pseudonymiser, extractions: list[Extraction], records: list[FileRecord]) -> Protection:
    """Find personal values, pseudonymise names in file names and in the records' messages.

    Records keep the input path (the manifest names files as they are on
    disk); their document IRI follows the extraction's pseudonymised path.
    """
    originals = [doc.path for doc in extractions]
    protection = privacy.protect(extractions)
    renamed = {old: doc.path for old, doc in zip(originals, extractions, strict=True)}
    for record in records:
        path = renamed.get(record.path, record.path)
        if record.document:
            record.document = str(document_iri(path))
        for message in record.messages:
            text = privacy.text(message["text"], protection.known.get(path, ()))
            message["text"] = privacy.text(text, protection.names)
    return protection


def _count_triples(graphs: dict, records: list[FileRecord]) -> None:
    by_doc = {r.document: r for r in records if r.document}
    for iri, triples in graphs.items():
        record = by_doc.get(str(iri))
        if record is not None:
            record.triples = len(set(triples))


def _write_manifest(result: BuildResult, out_dir: Path) -> None:
    statuses = Counter(r.status for r in result.records)
    codes = Counter(m["code"] for r in result.records for m in r.messages)
    manifest = {
        "tool": "portfolio-kg",
        "version": __version__,
        "built_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
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
        },
        "files": [asdict(r) for r in result.records],
    }
    text = json.dumps(manifest, indent=2, ensure_ascii=False, sort_keys=False) + "\n"
    (out_dir / "manifest.json").write_text(text, encoding="utf-8")
