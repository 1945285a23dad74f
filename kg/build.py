"""``kg build``: the pipeline of :mod:`kg.pipeline`, run by the engine (:mod:`kg.engine`).

``build`` reads every ``*.md`` and ``*.txt`` form under the sources, parses
and extracts them (in worker processes with ``jobs`` > 1), resolves
organisations over the whole set, builds the RDF dataset and writes
``graph.ttl`` (every triple), ``graph.trig`` (one named graph per form plus
the reference graph and the analytics graph that :mod:`kg.analyse` computes
from the store), ``analysis.json``, ``ecosystem.html``, ``report.md``,
``report.html`` and ``manifest.json`` (every input file with its
status, messages, triple count and sha256). With the cache, a rebuild redoes
only what changed; the outputs are byte-identical to :func:`kg.pipeline.run`'s.
It raises only for unusable arguments; a bad form is recorded in the
manifest and the build goes on.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path

from kg import pipeline
from kg.engine.cache import BuildCache, Spill, changes
from kg.engine.charts import ChartProcess, chart_process
from kg.engine.memory import give_back_memory, paused_gc
from kg.engine.outputs import Outputs, Resolved
from kg.engine.readable import Readable
from kg.engine.reading import Progress, read_all
from kg.engine.steps import cached_links, cached_privacy_inputs, cached_resolution
from kg.errors import InputError
from kg.inputs import FileRecord, collect_inputs
from kg.manifest import BuildResult, count_triples, flag_duplicates, form_folders, privacy_figures, write_manifest
from kg.privacy import Pseudonymiser
from kg.visualise import FormFiles

__all__ = ["build"]


def build(
    sources: list[Path],
    out_dir: Path,
    jobs: int | None = None,
    pseudonymiser: Pseudonymiser | None = None,
    progress: Progress | None = None,
    cache: bool = True,
    cache_dir: Path | None = None,
) -> BuildResult:
    """Build the knowledge graph of every form under ``sources`` into ``out_dir``.

    With ``cache`` (the default) a cache keeps what every form gave
    (:mod:`kg.engine.cache`; in ``cache_dir``, by default ``.kg-cache/<OUT name>``
    beside ``out_dir``): a rebuild reads and extracts only new and changed
    forms, serialises only their graphs and updates the store in place; with
    nothing changed it rewrites the manifest alone. Outputs are byte-identical
    to a cold build's. The result and the manifest say what changed since the
    last build of ``out_dir``.
    """
    timings: dict[str, float] = {}
    start = time.perf_counter()
    inputs = collect_inputs(sources)
    if not inputs:
        raise InputError("no *.md or *.txt forms found in " + ", ".join(map(str, sources)))
    out_dir.mkdir(parents=True, exist_ok=True)
    privacy = pseudonymiser or Pseudonymiser()
    with paused_gc():  # the build's objects die inside: the collector never walks them
        return _build(inputs, out_dir, jobs, privacy, progress, cache, cache_dir, timings, start)


def _build(
    inputs: list[tuple[Path, str]],
    out_dir: Path,
    jobs: int | None,
    privacy: Pseudonymiser,
    progress: Progress | None,
    cache: bool,
    cache_dir: Path | None,
    timings: dict[str, float],
    start: float,
) -> BuildResult:
    """The stages of :func:`build`, which pauses the garbage collector around it."""
    build_cache = BuildCache(out_dir, _settings(privacy, inputs, out_dir), enabled=cache, root=cache_dir)
    hashes, stats = zip(*(build_cache.input_sha256(path, shown) for path, shown in inputs), strict=True)
    timings["hash"] = time.perf_counter() - start
    previous = build_cache.previous
    if previous is not None and build_cache.outputs_untouched() and _same_inputs(previous, inputs, hashes):
        stats_by_file = dict(zip((shown for _, shown in inputs), stats, strict=True))
        return _unchanged(build_cache, previous, out_dir, timings, start, stats_by_file)
    with chart_process(jobs) as drawer:
        return _rebuild(inputs, hashes, stats, out_dir, jobs, privacy, progress, build_cache, timings, start, drawer)


def _rebuild(
    inputs: list[tuple[Path, str]],
    hashes: tuple[str | None, ...],
    stats: tuple[list[int], ...],
    out_dir: Path,
    jobs: int | None,
    privacy: Pseudonymiser,
    progress: Progress | None,
    build_cache: BuildCache,
    timings: dict[str, float],
    start: float,
    drawer: ChartProcess | None,
) -> BuildResult:
    """The stages of :func:`_build` once something changed: read, protect, resolve, link, make, analyse and write."""
    records, extractions, origins, figures = read_all(inputs, hashes, jobs, progress, build_cache)
    readable = Readable(build_cache)  # loads the last build's readable quads while resolution runs
    timings.update((f"cpu_{stage}", seconds) for stage, seconds in figures.pop("cpu").items())
    flag_duplicates(records)
    facts, counts = cached_privacy_inputs(privacy, extractions, build_cache, origins)
    protection = pipeline.protect(privacy, pipeline.Extracted(records, extractions), facts, counts)
    timings["read_extract"] = time.perf_counter() - start - timings["hash"]

    mark = time.perf_counter()
    give_back_memory()  # the workers' results, unpickled and dropped: before the graph workers fork
    resolution, resolution_key = cached_resolution(extractions, build_cache)
    links = cached_links(extractions, build_cache, origins)
    timings["resolve"] = time.perf_counter() - mark

    build_cache.forget()
    folders = [] if privacy.enabled else form_folders(inputs, out_dir)
    forms = None if privacy.enabled else FormFiles.under(out_dir, folders)
    with tempfile.TemporaryDirectory(prefix="kg-graphs-") as folder, Spill(folder) as spill:
        resolved = Resolved(extractions, origins, privacy, protection, resolution, resolution_key, links, forms)
        outputs = Outputs(out_dir, build_cache, resolved, readable, spill, drawer)
        n_triples = outputs.write(timings, max(1, jobs or os.cpu_count() or 1))
    readable.wait()  # done by now, used or not: no thread outlives the build
    count_triples({entry.graph: entry.triples for entry in outputs.entries.values()}, records)
    index = outputs.index(records, hashes, stats)
    figures["cache"] = {
        "files_hashed": build_cache.hashed,
        "forms_extracted": build_cache.extracted,
        "forms_reused": build_cache.reused,
        "graphs_made": build_cache.graphs_made,
        "graphs_reused": build_cache.graphs_reused,
        "graph_workers": outputs.graph_workers,
        "store": outputs.store_mode,
        "insights": "made" if outputs.analysis is not None else "kept",
        "charts_drawn": outputs.charts_drawn,
        "readable_graphs": {"kept": readable.kept, "loaded": readable.loaded},
        **{step.replace("-", "_"): done for step, done in sorted(build_cache.steps.items())},
    }
    figures["privacy"] = privacy_figures(privacy, protection, folders)
    result = BuildResult(
        out_dir,
        records,
        n_triples,
        len(resolution.organisations),
        sum(len(d.partnerships) for d in extractions),
        timings,
        changes(build_cache.previous, index),
        figures,
        retained=(extractions, origins, protection, resolution, outputs, build_cache, readable),
    )
    timings["total"] = time.perf_counter() - start
    write_manifest(result, out_dir)
    build_cache.save(index)
    return result


def _settings(privacy: Pseudonymiser, inputs: list[tuple[Path, str]], out_dir: Path) -> str:
    """What of the pseudonymiser outputs depend on, without its key: on or off, and a keyed token.

    Without pseudonyms the pages link the forms, so where they are (:func:`form_folders`) counts too.
    """
    where = "" if privacy.enabled else ":" + json.dumps(form_folders(inputs, out_dir))
    return f"{privacy.enabled}:{privacy.person('portfolio-kg cache settings')}{where}"


def _same_inputs(previous: dict, inputs: list[tuple[Path, str]], hashes: tuple[str | None, ...]) -> bool:
    if None in hashes:
        return False
    forms = previous.get("forms", {})
    return len(forms) == len(inputs) and all(
        forms.get(shown, {}).get("sha256") == sha for (_, shown), sha in zip(inputs, hashes, strict=True)
    )


def _unchanged(
    cache: BuildCache,
    previous: dict,
    out_dir: Path,
    timings: dict[str, float],
    start: float,
    stats: dict[str, list[int]],
) -> BuildResult:
    """Nothing changed since the last build: keep its outputs, rewrite the manifest (times, changes).

    ``previous`` is the last build's cache index (``cache.previous``); files
    touched but not changed get their new size and time (``stats``) in it.
    """
    manifest = json.loads((out_dir / "manifest.json").read_text(encoding="utf-8"))
    records = [FileRecord(**entry) for entry in manifest["files"]]
    summary = manifest["summary"]
    figures = {
        "cache": {
            "files_hashed": cache.hashed,
            "forms_extracted": 0,
            "forms_reused": len(records),
            "store": "kept",
            "outputs": "kept",
        },
        "privacy": summary.get("privacy", {}),
    }
    result = BuildResult(
        out_dir,
        records,
        summary["triples"],
        summary["organisations"],
        summary["partnerships"],
        timings,
        changes(previous, previous),
        figures,
    )
    timings["total"] = time.perf_counter() - start
    write_manifest(result, out_dir)
    for shown, entry in previous["forms"].items():
        entry["stat"] = stats[shown]
    kept = ("forms", "store", "organisations", "partnerships", "insights")
    cache.save({key: previous[key] for key in kept if key in previous})
    return result
