"""Time every canned query on the build's pyoxigraph store against rdflib in memory.

rdflib is the baseline, measured in the same run: its Dataset is parsed from
the build's ``graph.trig`` (union default graph, as ``kg query`` uses) and
asked the same query text with the same predeclared prefixes. The table
gives seconds and the ratio rdflib / store, for loading and for each query,
plus pyoxigraph with the same data in memory for reference. Row counts that
differ between the engines are listed below the table.

Each rdflib query runs in a forked child (sharing the parsed Dataset) that
is stopped after ``--rdflib-timeout`` seconds; such a query is shown as
``>N``, and one rdflib fails on as ``error`` (listed below the table). Usage::

    python benchmarks/bench_query.py OUT            # an existing build
    python benchmarks/bench_query.py --build        # builds ../shared/corpus into a temp dir first
    python benchmarks/bench_query.py --build OUT    # ... into OUT, kept for later runs
"""

from __future__ import annotations

import argparse
import math
import multiprocessing
import platform
import sys
import tempfile
import time
from pathlib import Path

import pyoxigraph as ox
import rdflib

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from kg.namespaces import PREFIX_IRIS
from kg.query import canned_queries, execute


def main() -> None:
    """Parse arguments, build if asked, run the benchmark and print the table."""
    args = _arguments()
    if args.build and args.graph is not None:
        print(f"built {args.corpus} in {_build(args.corpus, args.graph):.1f} s", flush=True)
        _bench(args.graph, args.repeat, args.rdflib_timeout)
    elif args.build:
        with tempfile.TemporaryDirectory(prefix="bench-query-") as folder:
            out = Path(folder)
            seconds = _build(args.corpus, out)
            print(f"built {args.corpus} in {seconds:.1f} s", flush=True)
            _bench(out, args.repeat, args.rdflib_timeout)
    else:
        _bench(args.graph or ROOT / "outputs", args.repeat, args.rdflib_timeout)


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("graph", nargs="?", type=Path, help="a build's output folder (default: outputs)")
    parser.add_argument("--build", action="store_true", help="build --corpus into a temporary folder and use that")
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    parser.add_argument("--repeat", type=int, default=3, help="runs per query on the store (best is kept)")
    parser.add_argument("--rdflib-timeout", type=float, default=300.0, help="seconds before an rdflib query is stopped")
    return parser.parse_args()


def _build(corpus: Path, out: Path) -> float:
    from kg.build import build

    start = time.perf_counter()
    build([corpus], out)
    return time.perf_counter() - start


def _bench(graph: Path, repeat: int, rdflib_timeout: float) -> None:
    trig = graph / "graph.trig"
    start = time.perf_counter()
    store = ox.Store.read_only(str(graph / "store"))
    open_seconds = time.perf_counter() - start
    start = time.perf_counter()
    memory = ox.Store()
    memory.bulk_load(path=str(trig), format=ox.RdfFormat.TRIG)
    memory_seconds = time.perf_counter() - start
    start = time.perf_counter()
    dataset = rdflib.Dataset(default_union=True)
    dataset.parse(trig, format="trig")
    rdflib_seconds = time.perf_counter() - start
    list(dataset.query("ASK { }"))  # rdflib builds its SPARQL parser on first use: not part of any query's time

    quads = sum(1 for _ in store.quads_for_pattern(None, None, None))
    print(
        f"build {graph}: {quads} quads in {sum(1 for _ in store.named_graphs())} named graphs; "
        f"pyoxigraph {getattr(ox, '__version__', '?')}, rdflib {rdflib.__version__}, "
        f"Python {platform.python_version()}, {platform.machine()}"
    )
    print(
        f"store = OUT/store (on disk, read-only); memory = pyoxigraph in memory, loaded from graph.trig; "
        f"rdflib = Dataset parsed from graph.trig.\npyoxigraph: best of {repeat} runs; rdflib: one run, "
        f"stopped after {rdflib_timeout:g} s. Seconds; ratio = rdflib / store.\n",
        flush=True,
    )
    header = f"{'step':<24} {'rows':>6} {'store s':>9} {'memory s':>9} {'rdflib s':>9} {'rdflib/store':>13}"
    print(header)
    print("-" * len(header))
    print(_line("load (open / parse)", "", open_seconds, memory_seconds, rdflib_seconds, rdflib_timeout))
    errors = []
    for canned in canned_queries().values():
        rows, seconds = _time_store(store, canned.text, repeat)
        _, memory_query_seconds = _time_store(memory, canned.text, repeat)
        rdflib_rows, rdflib_secs = _time_rdflib(dataset, canned.text, rdflib_timeout)
        if isinstance(rdflib_rows, str):
            errors.append(f"rdflib failed on {canned.name}: {rdflib_rows}")
            rdflib_secs = float("nan")
        elif rdflib_rows not in (rows, None):
            errors.append(f"{canned.name}: rdflib gives {rdflib_rows} rows, pyoxigraph {rows}")
        print(_line(canned.name, str(rows), seconds, memory_query_seconds, rdflib_secs, rdflib_timeout), flush=True)
    for error in errors:
        print(error)


def _line(step: str, rows: str, store_s: float, memory_s: float, rdflib_s: float | None, limit: float) -> str:
    head = f"{step:<24} {rows:>6} {store_s:>9.4f} {memory_s:>9.4f}"
    if rdflib_s is None:
        return f"{head} {'>' + format(limit, 'g'):>9} {'>' + _ratio(limit, store_s):>13}"
    if math.isnan(rdflib_s):  # rdflib failed
        return f"{head} {'error':>9} {'-':>13}"
    return f"{head} {rdflib_s:>9.4f} {_ratio(rdflib_s, store_s):>13}"


def _ratio(slow: float, fast: float) -> str:
    return f"{slow / fast:.1f}x" if fast > 0 else "inf"


def _time_store(store: ox.Store, text: str, repeat: int) -> tuple[int, float]:
    best, rows = float("inf"), 0
    for _ in range(max(1, repeat)):
        start = time.perf_counter()
        rows = sum(1 for _ in execute(store, text))
        best = min(best, time.perf_counter() - start)
    return rows, best


def _time_rdflib(dataset: rdflib.Dataset, text: str, timeout: float) -> tuple[int | str | None, float | None]:
    """(rows, seconds) of the query on rdflib in a forked child; (None, None) past ``timeout``; (error, None)."""
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_rdflib_child, args=(sender, dataset, text))
    process.start()
    sender.close()
    try:
        if not receiver.poll(timeout):
            return None, None
        try:
            return receiver.recv()
        except EOFError:
            return f"the child died (exit code {process.exitcode})", None
    finally:
        if process.is_alive():
            process.kill()
        process.join()
        receiver.close()


def _rdflib_child(sender, dataset: rdflib.Dataset, text: str) -> None:
    start = time.perf_counter()
    try:
        rows = sum(1 for _ in dataset.query(text, initNs=PREFIX_IRIS))
        sender.send((rows, time.perf_counter() - start))
    except Exception as exc:  # noqa: BLE001 - reported in the table
        sender.send((f"{type(exc).__name__}: {exc}", None))
    sender.close()


if __name__ == "__main__":
    main()
