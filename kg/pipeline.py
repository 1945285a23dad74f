"""The pipeline in one page: from a folder of forms to a knowledge graph, its insights and its report.

    read → extract → protect → resolve → link → graph → store → analyse → write → views → manifest

Each stage is a function over plain data that calls the stage's module:

* :func:`read`: every ``*.md``/``*.txt`` form under the sources, parsed (:mod:`kg.forms`), one record per file;
* :func:`extract`: each form's facts: tags, actions, partners with role and sector, mentions (:mod:`kg.extract`);
* :func:`protect`: the people the forms name, found and pseudonymised (:mod:`kg.privacy`);
* :func:`resolve`: partners and mentions resolved to organisations across forms (:mod:`kg.resolve`);
* :func:`link`: each closing form linked to the learning plan it closes, if any (:mod:`kg.links`);
* :func:`graph`: the RDF dataset, one named graph per form plus the reference graph (:mod:`kg.graph`);
* :func:`store`: the pyoxigraph store the queries answer from (:mod:`kg.store`);
* :func:`analyse`: the partner ecosystem's analytics, read from the store (:mod:`kg.analyse`);
* :func:`write`: the analytics graph added, graph.ttl and graph.trig written (:mod:`kg.serialise`);
* :func:`views`: analysis.json, the HTML view (:mod:`kg.visualise`) and the report (:mod:`kg.report`);
* :func:`kg.manifest.write_manifest`: every input accounted for.

:func:`run` runs them in order, in one process, with no cache. ``kg build``
(:mod:`kg.build`) runs the same stages through the engine (:mod:`kg.engine`:
cache, worker processes, spliced files) and writes byte-identical outputs.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from kg.analyse import Analysis, analyse_build, analytics_quads, write_analysis
from kg.errors import InputError
from kg.extract import Extraction
from kg.graph import document_iri, named_graphs
from kg.inputs import FileRecord, ReadForm, collect_inputs, extract_read, read_input
from kg.links import Link, link_plans
from kg.manifest import BuildResult, count_triples, flag_duplicates, form_folders, privacy_figures, write_manifest
from kg.privacy import FormFacts, Protection, Pseudonymiser, WordCounts
from kg.report import write_report
from kg.resolve import NameMemo, Resolution, resolution_inputs, resolve_inputs
from kg.serialise import write_graph_files
from kg.store import extend_store, to_ox_quads, write_store
from kg.visualise import FormFiles, portfolio_view, write_html

__all__ = [
    "Options",
    "Extracted",
    "run",
    "read",
    "extract",
    "protect",
    "resolve",
    "link",
    "graph",
    "store",
    "analyse",
    "write",
    "views",
]


@dataclass
class Options:
    """Where a build writes, and how it treats personal data (pseudonymised by default)."""

    out_dir: Path
    pseudonymiser: Pseudonymiser = field(default_factory=Pseudonymiser)


@dataclass
class Extracted:
    """The forms extracted: every input file's record, and the extraction of each usable form (input order)."""

    records: list[FileRecord]
    extractions: list[Extraction]


def run(paths: list[Path], options: Options) -> BuildResult:
    """Build the knowledge graph of the forms under ``paths`` into ``options.out_dir``, stage by stage.

    Raises:
        InputError: if a path does not exist or holds no form.
    """
    seconds: dict[str, float] = {}
    clock = _Clock(seconds)
    out, privacy = options.out_dir, options.pseudonymiser
    out.mkdir(parents=True, exist_ok=True)
    extracted = extract(read(paths))
    protection = protect(privacy, extracted)
    clock.lap("read_extract")
    resolution = resolve(extracted.extractions)
    links = link(extracted.extractions)
    clock.lap("resolve")
    quads = graph(extracted.extractions, resolution, privacy, protection, links)
    clock.lap("graph")
    store(quads, out)
    clock.lap("store")
    analysis, analytics = analyse(out)
    clock.lap("analytics")
    triples = write(quads, analytics, out)
    clock.lap("serialise")
    folders = [] if privacy.enabled else form_folders(collect_inputs(paths), out)
    views(analysis, out, None if privacy.enabled else FormFiles.under(out, folders))
    clock.lap("html_report")
    named = (quad.graph_name for quad in quads if not isinstance(quad.graph_name, ox.DefaultGraph))  # graph() names all
    count_triples(Counter(name.value for name in named), extracted.records)
    partnerships = sum(len(doc.partnerships) for doc in extracted.extractions)
    figures = {"privacy": privacy_figures(privacy, protection, folders)}
    result = BuildResult(
        out, extracted.records, triples, len(resolution.organisations), partnerships, seconds, figures=figures
    )
    clock.lap("total", since_start=True)
    write_manifest(result, out)
    return result


def read(paths: list[Path]) -> list[ReadForm]:
    """Every form file under ``paths``, read and parsed, in display-path order (a bad file is an error record).

    Raises:
        InputError: if a path does not exist or holds no form.
    """
    inputs = collect_inputs(paths)
    if not inputs:
        raise InputError("no *.md or *.txt forms found in " + ", ".join(map(str, paths)))
    return [read_input(pair) for pair in inputs]


def extract(read: list[ReadForm]) -> Extracted:
    """Extract the forms read (one spaCy batch) and finish every record; files with the same bytes are flagged."""
    pairs = extract_read(read)
    records = [record for record, _ in pairs]
    flag_duplicates(records)
    return Extracted(records, [extraction for _, extraction in pairs if extraction is not None])


def protect(
    privacy: Pseudonymiser,
    extracted: Extracted,
    facts: list[FormFacts] | None = None,
    counts: WordCounts | None = None,
) -> Protection:
    """Find the personal values of the forms; pseudonymise names in file names and in the records' messages.

    Records keep the input path and, when it spells a person's name, the
    pseudonymised one (``published``, the path the manifest shows); each
    record of an extracted form gets its document IRI, from that path.
    ``facts`` and ``counts`` are what the pseudonymiser reads of the forms,
    when the caller has them already (the engine keeps them between builds).
    """
    originals = [doc.path for doc in extracted.extractions]
    protection = privacy.protect(extracted.extractions, facts, counts)
    renamed = {old: doc.path for old, doc in zip(originals, extracted.extractions, strict=True)}
    for record in extracted.records:
        path = renamed.get(record.path, record.path)
        if path != record.path:
            record.published = path
        if record.path in renamed:
            record.document = str(document_iri(path))
        known = protection.known.get(path, ())
        for message in record.messages:
            message["text"] = privacy.message(message["code"], message["text"], known, protection.names)
    return protection


def resolve(extractions: list[Extraction]) -> Resolution:
    """Resolve every partner and mention to an organisation, across all forms."""
    return resolve_inputs(resolution_inputs(extractions), NameMemo())


def link(extractions: list[Extraction]) -> dict[str, Link]:
    """Each closing form's link to the plan it closes, by the closing form's (published) path."""
    return {found.closing: found for found in link_plans(extractions)}


def graph(
    extractions: list[Extraction],
    resolution: Resolution,
    privacy: Pseudonymiser,
    protection: Protection,
    links: dict[str, Link] | None = None,
) -> list[ox.Quad]:
    """The dataset's quads, sorted: a named graph per form and the reference graph, personal values scrubbed."""
    known = {document_iri(path): values for path, values in protection.known.items()}
    graphs = named_graphs(extractions, resolution, privacy, links)
    return to_ox_quads(privacy.scrub_graphs(graphs, known, protection.names))


def store(quads: list[ox.Quad], out_dir: Path) -> None:
    """Write the pyoxigraph store ``OUT/store`` holding ``quads``."""
    write_store(quads, out_dir)


def analyse(out_dir: Path) -> tuple[Analysis, list[ox.Quad]]:
    """The partner ecosystem's analytics, read from the store, and the analytics graph's quads."""
    analysis = analyse_build(out_dir)
    return analysis, analytics_quads(analysis)


def write(quads: list[ox.Quad], analytics: list[ox.Quad], out_dir: Path) -> int:
    """Add the analytics graph to the store and write graph.trig and graph.ttl; return the triples written."""
    extend_store(analytics, out_dir)
    return write_graph_files(quads + analytics, out_dir)


def views(analysis: Analysis, out_dir: Path, forms: FormFiles | None = None) -> None:
    """Write analysis.json, ecosystem.html (the whole portfolio, its forms linked if ``forms``) and the report."""
    write_analysis(analysis, out_dir / "analysis.json")
    write_html(portfolio_view(analysis), out_dir / "ecosystem.html", forms)
    write_report(out_dir, analysis=analysis)


class _Clock:
    """Seconds spent per stage, into ``seconds``."""

    def __init__(self, seconds: dict[str, float]) -> None:
        self.seconds = seconds
        self.start = self.mark = time.perf_counter()

    def lap(self, stage: str, since_start: bool = False) -> None:
        now = time.perf_counter()
        self.seconds[stage] = now - (self.start if since_start else self.mark)
        self.mark = now
