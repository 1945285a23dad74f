"""Time ``kg build``: cold, rebuilt with no change, with one form changed; per stage; peak memory; growth.

Every build runs as its own ``python -m kg build`` process, watched every
0.1 s for the resident memory of its whole process tree (the build and its
workers) and every second for its proportional set size (PSS: pages the
forked workers share with the build counted once). Stage times come from the build's manifest. Baselines are measured
in the same run:

* **naive build**: :func:`kg.pipeline.run`, the pipeline without the
  engine (one process, no cache, spaCy over every text, every triple made
  as rdflib terms then converted to pyoxigraph, the store written before
  the serialisation, the garbage collector on); its outputs must be
  byte-identical to the cold build's;
* **NER over every answer** against the targeted NER: words, and seconds
  from a timed sample of each;
* **rdflib's Turtle serialiser** against the pyoxigraph path: a sample of
  the graph, scaled to its size, against pyoxigraph writing the whole
  dataset and against the build's spliced serialisation;
* the cold build against the cached rebuilds.

Each kind of one-form change (a sentence naming an organisation, a
reworded insight, a new partner) is made and rebuilt ``--repeats`` times
(3), a new edit each time, and the median is shown with every run: the
machines vary by tens of percent from one build to the next.

The growth curve builds synthetic corpora of 2, 5 and 10 times the archive
(``benchmarks/scale_corpus.py``) cold and gives each stage's time as a
multiple of its time on the archive (built without the cache, as they
are). Usage::

    python benchmarks/bench_build.py                       # everything (about 25 minutes on 2 cores)
    python benchmarks/bench_build.py --scales 2 --no-naive # quicker
    python benchmarks/bench_build.py --growth-only --scales 2,5,10
    python benchmarks/bench_build.py --growth-only --scales 10,100 --scaled-from /data/corpus100x
    python benchmarks/bench_build.py --json figures.json   # also keep the figures
    python benchmarks/bench_build.py --decision-only       # the learned partner decision against the rules alone
    python benchmarks/bench_build.py --against REV         # this checkout's kg build against REV's, same run

``--against REV`` checks out REV (a git revision) beside this checkout and
builds the archive with each, alternately, ``--repeats`` times: cold, then
with no change, then with one form changed; it prints the medians and this
checkout's as a ratio of REV's.

``--decision-only`` builds the archive cold with the rules alone deciding
which candidates are partners (``KG_DECISION=rules``) and cold with the
shipped model, alternately, ``--repeats`` times each, then rebuilds one
changed form with the model: the model's cold build as a ratio of the
rules' in the same run, and the one-form rebuild's wall.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from operator import itemgetter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

COMPARED = ("graph.ttl", "graph.trig", "analysis.json", "ecosystem.html", "report.md", "report.html")
STAGES = ("hash", "read_extract", "resolve", "graph", "store", "analytics", "serialise", "html_report", "total")
FOUNDING = "strong_institutions_portfolio___closing_form.md"


def main() -> None:
    """Run the scenarios and print the figures."""
    args = _arguments()
    if args.naive_build:
        _naive_build(Path(args.naive_build[0]), Path(args.naive_build[1]), args.jobs)
        return
    work = Path(args.work or tempfile.mkdtemp(prefix="bench-build-"))
    work.mkdir(parents=True, exist_ok=True)
    figures: dict = {"machine": _machine(), "jobs": args.jobs}
    try:
        _run(args, work, figures)
    finally:
        if args.json:
            Path(args.json).write_text(json.dumps(figures, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)


def _run(args: argparse.Namespace, work: Path, figures: dict) -> None:
    corpus = work / "corpus"
    shutil.copytree(args.corpus, corpus)
    out = work / "out"
    print(f"# kg build benchmark ({figures['machine']}; --jobs {args.jobs})\n", flush=True)

    builds = figures["builds"] = {}
    if args.decision_only:
        figures["decision"] = _decision(args, corpus, work)
        return
    if args.against:
        figures["against"] = _against(args, corpus, work)
        return
    if args.growth_only:
        builds["check_cold"] = _build(corpus, work / "check", args.jobs, cache=False)
        _say("cold build without the cache", builds["check_cold"])
        figures["growth"] = _growth(args, work, builds["check_cold"])
        return
    if not args.no_naive:
        builds["naive"] = _measure([sys.executable, __file__, "--naive-build", str(corpus), str(work / "naive")], None)
        builds["naive"]["seconds"] = json.loads((work / "naive" / "naive.json").read_text())
        _say("naive (pre-cache) build", builds["naive"])
    builds["cold"] = _build(corpus, out, args.jobs)
    _say("cold build", builds["cold"])
    if not args.no_naive:
        figures["naive_outputs_identical"] = _identical(work / "naive", out)
        print(f"  naive and cold outputs byte-identical: {figures['naive_outputs_identical']}", flush=True)
    builds["no_change"] = _build(corpus, out, args.jobs)
    _say("rebuild, no change", builds["no_change"])
    os.utime(out / "graph.ttl")
    builds["from_cache"] = _build(corpus, out, args.jobs)
    _say("rebuild from the cache, graph files rewritten (graph.ttl touched)", builds["from_cache"])
    builds["one_change_new_text"] = _one_change(
        corpus, out, args, _edit_narrative, "a sentence naming an organisation added"
    )
    builds["check_cold"] = _build(corpus, work / "check", args.jobs, cache=False)
    figures["one_change_identical_to_cold"] = _identical(work / "check", out)
    print(f"  one-change rebuild byte-identical to a cold build: {figures['one_change_identical_to_cold']}", flush=True)
    builds["one_change_insight"] = _one_change(
        corpus, out, args, _edit_insight, "a key insight reworded: no new text for spaCy"
    )
    builds["one_change_partner"] = _one_change(
        corpus, out, args, _edit_partner, "a partner added: analytics, HTML view and report redone"
    )
    builds["check_cold_2"] = _build(corpus, work / "check2", args.jobs, cache=False)
    figures["partner_change_identical_to_cold"] = _identical(work / "check2", out)
    print(f"  partner-change rebuild byte-identical to a cold build: {figures['partner_change_identical_to_cold']}",
          flush=True)
    _table(builds)

    figures["ner"] = _ner_baseline(args.corpus, builds["cold"], args.jobs)
    figures["serialiser"] = _serialiser_baseline(out, builds["cold"])
    figures["growth"] = _growth(args, work, builds["check_cold"])  # a cold build without the cache, as theirs


def _one_change(
    corpus: Path, out: Path, args: argparse.Namespace, edit: Callable[[Path, int], None], what: str
) -> dict:
    """Edit the founding form and rebuild, ``--repeats`` times (a new edit each): the median build, with every wall."""
    runs = []
    for turn in range(args.repeats):
        edit(corpus / FOUNDING, turn)
        runs.append(_build(corpus, out, args.jobs))
    median = sorted(runs, key=lambda run: run["wall"])[len(runs) // 2]
    median["walls"] = [run["wall"] for run in runs]
    _say(f"rebuild, one form changed ({what}; median of {len(runs)})", median)
    print(f"  every run: {', '.join(f'{wall:.1f}' for wall in median['walls'])} s wall", flush=True)
    return median


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--scales", default="2,5,10", help="growth curve sizes, times the archive ('' for none)")
    parser.add_argument("--no-naive", action="store_true", help="skip the naive (pre-cache) build")
    parser.add_argument("--repeats", type=int, default=3, help="rebuilds of each kind of one-form change (median)")
    parser.add_argument("--growth-only", action="store_true", help="only the growth curve (and its 1x build)")
    parser.add_argument("--decision-only", action="store_true",
                        help="only cold builds with the learned decision against the rules alone, and a one-form rebuild")
    parser.add_argument("--against", metavar="REV", help="time this checkout's kg build against REV's, same run")
    parser.add_argument("--work", help="keep the corpora and builds in this folder")
    parser.add_argument("--scaled-from", type=Path,
                        help="a corpus scale_corpus.py wrote (default seed and mix), at least as large as the largest "
                             "scale: each scale links its first copies instead of writing them (same files)")
    parser.add_argument("--json", help="write every figure to this file too")
    parser.add_argument("--naive-build", nargs=2, metavar=("SOURCE", "OUT"), help=argparse.SUPPRESS)
    return parser.parse_args()


# -- measuring a build -----------------------------------------------------


def _decision(args: argparse.Namespace, corpus: Path, work: Path) -> dict:
    """Cold builds deciding partners by the rules and by the model, alternately; then a one-form rebuild."""
    walls: dict[str, list[float]] = {"rules": [], "model": []}
    for turn in range(args.repeats):
        for decision in ("rules", "model"):
            built = _build(corpus, work / f"out-{decision}", args.jobs, cache=False, decision=decision)
            walls[decision].append(built["wall"])
            _say(f"cold build, partners decided by the {decision} (run {turn + 1})", built)
    medians = {k: sorted(v)[len(v) // 2] for k, v in walls.items()}
    print(f"  median cold build: rules {medians['rules']:.1f} s, model {medians['model']:.1f} s, "
          f"ratio {medians['model'] / medians['rules']:.2f}", flush=True)
    _build(corpus, work / "out-model", args.jobs, decision="model")
    rebuild = _one_change(corpus, work / "out-model", args, _edit_partner, "a partner added; model decision")
    return {"walls": walls, "medians": medians, "ratio": medians["model"] / medians["rules"],
            "one_form_rebuild": rebuild["wall"]}


def _build(
    source: Path, out: Path, jobs: int, cache: bool = True, decision: str = "model", env: dict | None = None
) -> dict:
    command = [sys.executable, "-m", "kg", "build", str(source), "-o", str(out), "--jobs", str(jobs)]
    env = {"KG_DECISION": decision, **(env or {})}
    return _measure(command + ([] if cache else ["--no-cache"]), out / "manifest.json", env)


def _against(args: argparse.Namespace, corpus: Path, work: Path) -> dict:
    """This checkout's kg build against REV's, alternately: cold, no change, one form changed (medians, ratios).

    REV is checked out in a git worktree and put first on ``PYTHONPATH``, so
    ``python -m kg`` imports its code; each side builds its own copy of the
    corpus, edited alike.
    """
    base = work / "base"
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(base), args.against],
                   check=True, capture_output=True)
    sides = {args.against: {"PYTHONPATH": str(base)}, "this checkout": {}}
    walls: dict = {side: {"cold": [], "no_change": [], "one_change": []} for side in sides}
    try:
        for index, side in enumerate(sides):
            shutil.copytree(corpus, work / f"corpus-{index}")
        for turn in range(args.repeats):
            for index, (side, env) in enumerate(sides.items()):
                source, out = work / f"corpus-{index}", work / f"out-{index}"
                shutil.rmtree(out, ignore_errors=True)
                shutil.rmtree(work / ".kg-cache", ignore_errors=True)
                walls[side]["cold"].append(_build(source, out, args.jobs, env=env)["wall"])
                walls[side]["no_change"].append(_build(source, out, args.jobs, env=env)["wall"])
                _edit_narrative(source / FOUNDING, turn)
                walls[side]["one_change"].append(_build(source, out, args.jobs, env=env)["wall"])
                print(f"run {turn + 1}, {side}: " + ", ".join(f"{k} {v[-1]:.1f} s" for k, v in walls[side].items()),
                      flush=True)
    finally:
        subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(base)], capture_output=True)
    medians = {side: {k: sorted(v)[len(v) // 2] for k, v in kinds.items()} for side, kinds in walls.items()}
    old, new = medians[args.against], medians["this checkout"]
    print(f"\nmedian wall, s ({args.repeats} runs each)  {args.against[:12]:>12}  this checkout  ratio")
    for kind in ("cold", "no_change", "one_change"):
        print(f"  {kind:<28}{old[kind]:>12.2f}  {new[kind]:>13.2f}  {new[kind] / old[kind]:>5.2f}", flush=True)
    return {"walls": walls, "medians": medians, "ratios": {k: new[k] / old[k] for k in old}}


def _measure(command: list[str], manifest: Path | None, env: dict[str, str] | None = None) -> dict:
    """Run ``command``, sampling its process tree's memory; its wall time, peaks and manifest figures."""
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, **(env or {})})
    peaks = {"tree": 0, "process": 0}
    watcher = threading.Thread(target=_watch, args=(process.pid, peaks), daemon=True)
    watcher.start()
    stdout, stderr = process.communicate()
    wall = time.perf_counter() - started
    watcher.join()
    if process.returncode:
        raise SystemExit(f"{' '.join(command)} failed:\n{stderr}")
    figures = {"wall": wall, "rss_tree_mb": peaks["tree"] / 2**20, "rss_process_mb": peaks["process"] / 2**20,
               "pss_tree_mb": peaks.get("pss", 0) / 2**20}
    if manifest is not None:
        summary = json.loads(manifest.read_text(encoding="utf-8"))["summary"]
        figures.update(
            files=summary["files"],
            triples=summary["triples"],
            seconds=summary["seconds"],
            cpu_seconds={k[4:]: v for k, v in summary["seconds"].items() if k.startswith("cpu_")},
            ner=summary.get("ner", {}),
            cache=summary.get("cache", {}),
        )
    figures["stderr"] = stderr.strip().splitlines()[-4:]
    return figures


def _watch(pid: int, peaks: dict) -> None:
    try:
        import psutil
    except ImportError:  # no psutil: no memory figures
        return
    try:
        root = psutil.Process(pid)
        ticks = 0
        while root.is_running() and root.status() != psutil.STATUS_ZOMBIE:
            sizes = []
            for process in [root, *root.children(recursive=True)]:
                try:
                    sizes.append(process.memory_info().rss)
                except psutil.Error:
                    pass
            peaks["tree"] = max(peaks["tree"], sum(sizes))
            peaks["process"] = max(peaks["process"], max(sizes, default=0))
            ticks += 1
            if ticks % 10 == 0:  # once a second: reading smaps costs more than the RSS
                peaks["pss"] = max(peaks.get("pss", 0), _tree_pss([root, *root.children(recursive=True)]))
            time.sleep(0.1)
    except psutil.Error:
        return


def _tree_pss(processes: list) -> int:
    """The proportional set size summed over ``processes`` (bytes): the memory they use, shared pages counted once.

    Forked workers share most of their parent's pages, so their RSS summed
    counts those pages once per process; PSS splits each page among its
    sharers. 0 where /proc/PID/smaps_rollup is missing (not Linux).
    """
    total = 0
    for process in processes:
        try:
            with open(f"/proc/{process.pid}/smaps_rollup", encoding="ascii") as handle:
                total += next((int(line.split()[1]) * 1024 for line in handle if line.startswith("Pss:")), 0)
        except OSError:
            pass
    return total


def _say(what: str, figures: dict) -> None:
    seconds = figures.get("seconds", {})
    files = figures.get("files")
    rate = f", {files / figures['wall']:.0f} forms/s" if files else ""
    print(
        f"{what}: {figures['wall']:.1f} s wall (build {seconds.get('total', float('nan')):.1f} s){rate}; "
        f"peak RSS {figures['rss_process_mb']:.0f} MB largest process, {figures['rss_tree_mb']:.0f} MB whole tree; "
        f"peak PSS {figures.get('pss_tree_mb', 0):.0f} MB whole tree",
        flush=True,
    )
    if figures.get("cache"):
        print(f"  cache: {figures['cache']}", flush=True)


def _table(builds: dict) -> None:
    names = [name for name in builds if builds[name].get("seconds")]
    print("\nseconds per stage (build's own clock; wall includes Python start-up)\n")
    print("stage".ljust(14) + "".join(name[:19].rjust(20) for name in names))
    for stage in ("wall", *STAGES):
        row = [builds[n]["wall"] if stage == "wall" else builds[n]["seconds"].get(stage) for n in names]
        print(stage.ljust(14) + "".join((f"{v:.2f}" if v is not None else "-").rjust(20) for v in row))
    cold = builds["cold"]["wall"]
    print("\nratios: " + "; ".join(f"cold / {n} = {cold / builds[n]['wall']:.1f}x" for n in names if n != "cold"))
    cpu = builds["cold"].get("cpu_seconds", {})
    if cpu:
        print(f"cold build CPU seconds in the workers: {cpu} (read+parse, extraction rules, spaCy)")
        print(f"cold build NER: {builds['cold'].get('ner')}")
    print(flush=True)


def _identical(a: Path, b: Path) -> bool:
    return all((a / name).read_bytes() == (b / name).read_bytes() for name in COMPARED)


# -- edits -------------------------------------------------------------------


_NEW_ORGANISATIONS = ("Ministerio de Telecomunicaciones", "Ministerio de Cultura y Patrimonio", "Instituto de Fomento")
_NEW_PARTNERS = ("Banco Central del Ecuador", "Superintendencia de Bancos", "Corporación Financiera Nacional")
_INSIGHT = "CULTIVATE A CULTURE OF COLLABORATION"
_REWORDED = ("CULTIVATE A LASTING CULTURE OF COLLABORATION", "GROW A LASTING CULTURE OF COLLABORATION",
             "GROW A LASTING CULTURE OF OPEN COLLABORATION")


def _edit_narrative(path: Path, turn: int = 0) -> None:
    """Add a sentence naming an organisation to the form's handover answer (a narrative, read by spaCy)."""
    lines = path.read_text(encoding="utf-8").split("\n")
    at = next(i for i, line in enumerate(lines) if line.startswith("> Can you provide more detail on your handover"))
    at = next(i for i in range(at + 1, len(lines)) if len(lines[i]) > 200)
    lines[at] += f" The lab also trained the staff of the {_NEW_ORGANISATIONS[turn % 3]} in {2023 + turn}."
    path.write_text("\n".join(lines), encoding="utf-8")


def _edit_partner(path: Path, turn: int = 0) -> None:
    """Name one more partner in the form's list of partners (what the analytics read changes)."""
    text = path.read_text(encoding="utf-8")
    edited = text.replace("\nCluster Financiero", f"\nCluster Financiero\n\n{_NEW_PARTNERS[turn % 3]}", 1)
    assert edited != text, "the partner list to edit is not in the form"
    path.write_text(edited, encoding="utf-8")


def _edit_insight(path: Path, turn: int = 0) -> None:
    """Reword the form's first key insight (not a text spaCy reads)."""
    text = path.read_text(encoding="utf-8")
    before = _INSIGHT if turn == 0 else _REWORDED[(turn - 1) % 3]
    edited = text.replace(before, _REWORDED[turn % 3], 1)
    assert edited != text, "the key insight to edit is not in the form"
    path.write_text(edited, encoding="utf-8")


# -- baselines ---------------------------------------------------------------


def _naive_build(source: Path, out: Path, jobs: int) -> None:
    """The pipeline without the engine (kg.pipeline.run: one process, no cache): its stage times go to OUT/naive.json."""
    import gc

    from kg import pipeline

    gc.enable()
    result = pipeline.run([source], pipeline.Options(out))
    (out / "naive.json").write_text(json.dumps(result.seconds), encoding="utf-8")


def _ner_baseline(corpus: Path, cold: dict, jobs: int) -> dict:
    """Words spaCy would read over every answer, against the targeted NER; seconds from timed samples."""
    from kg import ner
    from kg.inputs import collect_inputs
    from kg.forms import read_form

    answers = []
    for path, shown in collect_inputs([corpus]):
        answers.extend(item.text for item in read_form(path, shown).items if item.text.strip())
    every = sum(len(text.split()) for text in answers)
    targeted = cold["ner"].get("words_read", 0)
    nlp = ner._load_model()
    rng = random.Random(7)
    sample = rng.sample(answers, min(len(answers), 3000))
    sample_words = sum(len(text.split()) for text in sample)
    started = time.process_time()
    for _doc in nlp.pipe(sample, batch_size=64):
        pass
    rate = sample_words / (time.process_time() - started)
    figures = {
        "answers": len(answers),
        "words_every_answer": every,
        "words_targeted": targeted,
        "texts_targeted": cold["ner"].get("texts"),
        "texts_read": cold["ner"].get("texts_read"),
        "words_per_cpu_second_sample": rate,
        "cpu_seconds_every_answer_estimated": every / rate,
        "cpu_seconds_targeted_measured": cold.get("cpu_seconds", {}).get("ner"),
    }
    print("NER: spaCy (tok2vec + ner) over every answer against the targeted NER")
    print(f"  every answer: {len(answers)} texts, {every} words; at {rate:.0f} words per CPU second (a sample of "
          f"{sample_words} words) that is {every / rate:.0f} CPU s, {every / rate / jobs:.0f} s on {jobs} cores")
    print(f"  targeted: {figures['texts_targeted']} texts asked for, {figures['texts_read']} read (repeats once), "
          f"{targeted} words, {figures['cpu_seconds_targeted_measured']} CPU s measured")
    if targeted:
        cpu = figures["cpu_seconds_targeted_measured"]
        print(f"  ratio: {every / targeted:.1f}x the words, {every / rate / cpu:.1f}x the CPU time\n", flush=True)
    return figures


def _serialiser_baseline(out: Path, cold: dict) -> dict:
    """rdflib's Turtle serialiser on a sample, scaled up, against pyoxigraph on the whole dataset."""
    import gc

    import pyoxigraph as ox
    from rdflib import BNode, Graph, Literal, URIRef

    from kg.serialise import write_graph_files

    gc.disable()
    quads = list(ox.parse(path=str(out / "graph.trig"), format=ox.RdfFormat.TRIG))
    folder = out.parent / "serialise"
    folder.mkdir(exist_ok=True)
    started = time.perf_counter()
    quads.sort(key=str)
    triples = write_graph_files(quads, folder)
    whole = time.perf_counter() - started

    def term(t):
        if isinstance(t, ox.NamedNode):
            return URIRef(t.value)
        if isinstance(t, ox.BlankNode):
            return BNode(t.value)
        if t.language:
            return Literal(t.value, lang=t.language)
        if t.datatype.value.endswith("#string"):
            return Literal(t.value)
        return Literal(t.value, datatype=URIRef(t.datatype.value))

    size = min(100_000, len(quads))
    graph = Graph()
    for quad in random.Random(7).sample(quads, size):
        graph.add((term(quad.subject), term(quad.predicate), term(quad.object)))
    started = time.perf_counter()
    graph.serialize(format="turtle")
    sample = time.perf_counter() - started
    gc.enable()
    figures = {
        "triples": triples,
        "rdflib_sample_triples": size,
        "rdflib_sample_seconds": sample,
        "rdflib_estimated_seconds": sample * triples / size,
        "pyoxigraph_whole_dataset_seconds": whole,
        "build_serialise_seconds": cold["seconds"].get("serialise"),
    }
    print("serialisation: rdflib Turtle against pyoxigraph")
    print(f"  rdflib: {size} triples in {sample:.1f} s, so about {figures['rdflib_estimated_seconds']:.0f} s for "
          f"{triples} (Turtle only)")
    print(f"  pyoxigraph, whole dataset sorted and written as TriG and Turtle: {whole:.1f} s "
          f"({figures['rdflib_estimated_seconds'] / whole:.0f}x faster)")
    print(f"  the build's spliced serialisation (both files): {figures['build_serialise_seconds']:.1f} s "
          f"({figures['rdflib_estimated_seconds'] / figures['build_serialise_seconds']:.0f}x faster than rdflib)\n",
          flush=True)
    return figures


# -- growth --------------------------------------------------------------------


def _growth(args: argparse.Namespace, work: Path, cold: dict) -> dict:
    from benchmarks.scale_corpus import scale

    scales = [int(s) for s in args.scales.split(",") if s.strip()]
    rows = {1: cold}
    for times in scales:
        source = work / f"corpus{times}x"
        started = time.perf_counter()
        if args.scaled_from:
            files, size = _linked_copies(args.scaled_from, source, times)
            done = f"linked from {args.scaled_from}"
        else:
            files, size = scale(args.corpus, source, times)
            done = "written"
        print(f"{times}x corpus: {files} forms, {size / 1e6:.0f} MB {done} in {time.perf_counter() - started:.0f} s",
              flush=True)
        rows[times] = _build(source, work / f"out{times}x", args.jobs, cache=False)
        _say(f"{times}x cold build", rows[times])
        shutil.rmtree(work / f"out{times}x", ignore_errors=True)
        shutil.rmtree(source, ignore_errors=True)
    print("\ngrowth: seconds per stage, and as a multiple of the archive's (1x)\n")
    print("stage".ljust(14) + "".join(f"{t}x".rjust(18) for t in rows))
    for stage in ("wall", *STAGES):
        base = cold["wall"] if stage == "wall" else cold["seconds"].get(stage) or float("nan")
        cells = []
        for row in rows.values():
            value = row["wall"] if stage == "wall" else row["seconds"].get(stage, float("nan"))
            cells.append(f"{value:.1f} ({value / base:.1f}x)" if base else f"{value:.1f}")
        print(stage.ljust(14) + "".join(c.rjust(18) for c in cells))
    columns = (
        ("spaCy words", lambda row: row["ner"].get("words_read")),
        ("forms", itemgetter("files")),
        ("triples", itemgetter("triples")),
        ("peak RSS MB", itemgetter("rss_process_mb")),
        ("peak PSS MB", lambda row: row.get("pss_tree_mb", 0)),
    )
    for label, value_of in columns:
        values = [value_of(row) for row in rows.values()]
        cells = [f"{value:.0f}" if isinstance(value, float) else str(value) for value in values]
        print(label.ljust(14) + "".join(c.rjust(18) for c in cells))
    print(flush=True)
    return {str(times): row for times, row in rows.items()}


def _linked_copies(scaled: Path, out: Path, times: int) -> tuple[int, int]:
    """The first ``times`` copies of a corpus ``scale_corpus.py`` wrote, hard-linked into ``out``: files and bytes.

    A copy depends only on the archive, the seed and its number, so they
    are the copies a ``times``-fold corpus of the same seed would have.
    """
    files = size = 0
    for copy in range(times):
        folder = scaled / f"k{copy:03d}"
        if not folder.is_dir():
            raise SystemExit(f"{scaled} has no copy {folder.name}: write it with scale_corpus.py --times {times}")
        shutil.copytree(folder, out / folder.name, copy_function=os.link)
    for path in out.rglob("*"):
        if path.is_file():
            files += 1
            size += path.stat().st_size
    return files, size


def _machine() -> str:
    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


if __name__ == "__main__":
    main()
