"""Load ``kg serve`` with concurrent SPARQL queries against the Oxigraph server on the same store.

``kg serve`` is the project's endpoint: Python's ``http.server`` with a
thread per connection around a read-only pyoxigraph store. The baseline,
measured in the same run on the same build, is Oxigraph's own HTTP server
(``oxigraph serve-read-only --union-default-graph``, the ``oxigraph`` PyPI
package, Rust) opened read-only on the same ``OUT/store``: the same query
engine and store, so the difference is what the Python server around it
costs. Both run as subprocesses on free loopback ports for the whole run
and only one is under load at a time (their order alternates from one
repeat to the next).

The workload is a fixed mix of read queries both servers answer: a few of
the canned queries (``kg/queries/*.rq``), ``ASK {}`` and a COUNT. Every
text is sent with ``PREFIX`` declarations for ``kg.namespaces.PREFIX_IRIS``
prepended (``kg serve`` predeclares them, Oxigraph does not), so both run
the same text; queries are picked by a seeded random generator, the same
sequence for both servers. Requests are ``GET /sparql?query=`` (kg serve)
and ``GET /query?query=`` (Oxigraph) with ``Accept:
application/sparql-results+json``, made with ``http.client`` from
``--levels`` client threads (1, 10 and 50), ``--requests`` per level, one
connection per request unless ``--keep-alive``. Every answer must have
status 200 and parse as SPARQL results JSON; failures are counted by kind
(status, bad JSON, connection reset, other) and printed, never dropped.

Printed per server and level: requests per second, p50 and p99 latency of
the successful requests (ms, from opening the connection to the last byte
of the body), failures, the server's CPU time per request (when psutil is
installed) and, on Linux, the connections the kernel dropped because the
server's listen queue was full (a dropped connection is retried by the
client after 1 s, then 3 s: it shows as latency, not as a failure); then
kg / Oxigraph for requests per second and p50. The client runs on the same
machine and shares its cores with both servers; the load average is printed
at the start and the end, since other work skews every figure.

``--kg-source`` serves the kg package of another folder, for instance
``git archive HEAD | tar -x -C KG_HEAD`` to measure the committed
server while the working tree changes; the queries come from this checkout.
Usage::

    python benchmarks/bench_serve.py                            # builds examples/ into a temp folder
    python benchmarks/bench_serve.py --graph OUT --requests 100 # an existing build (not modified)
    python benchmarks/bench_serve.py --graph OUT --repeats 3 --out docs/bench/serve.txt
    python benchmarks/bench_serve.py --graph OUT --kg-source KG_HEAD --keep-alive
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import queue
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks._common import saved_to, say
from kg.namespaces import PREFIX_IRIS
from kg.query import canned_queries

HOST = "127.0.0.1"
ACCEPT = "application/sparql-results+json"
CANNED = ("brokers", "unusual-partners", "actions", "methods-by-country", "partners-by-sector", "documents",
          "organisations")
EXTRA = {
    "ask": "ASK {}",
    "count": "SELECT (COUNT(*) AS ?forms) WHERE { ?form pkg:templateFamily ?family }",
}
RESET = (ConnectionResetError, BrokenPipeError, ConnectionAbortedError)  # http.client.RemoteDisconnected is one
KINDS = ("status", "json", "reset", "other")


def main() -> None:
    """Build if no graph is given, start both servers, load them and print the figures."""
    args = _arguments()
    with saved_to(args.out):
        if args.graph is not None:
            _bench(args, args.graph)
        else:
            with tempfile.TemporaryDirectory(prefix="bench-serve-") as folder:
                out = Path(folder) / "out"
                started = time.perf_counter()
                command = [sys.executable, "-m", "kg", "build", str(args.corpus), "--out", str(out)]
                done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
                if done.returncode:
                    raise SystemExit(f"{' '.join(command)} failed:\n{done.stderr}")
                say(f"built {args.corpus.name}/ into a temporary folder in {time.perf_counter() - started:.1f} s")
                _bench(args, out)


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--graph", type=Path, help="a kg build's output folder, with store/ (default: build --corpus "
                                                   "into a temporary folder)")
    parser.add_argument("--corpus", type=Path, default=ROOT / "examples", help="built when --graph is not given")
    parser.add_argument("--requests", type=int, default=200, help="requests per server and concurrency level")
    parser.add_argument("--levels", default="1,10,50", help="concurrency levels: client threads")
    parser.add_argument("--repeats", type=int, default=1, help="runs of every level (each printed, then the median)")
    parser.add_argument("--queries", default=",".join(CANNED), help="canned queries in the mix, by name")
    parser.add_argument("--seed", type=int, default=7, help="seed of the query sequence")
    parser.add_argument("--keep-alive", action="store_true",
                        help="one persistent connection per client thread (default: a new connection per request)")
    parser.add_argument("--client-timeout", type=float, default=120.0, help="seconds a client waits for an answer")
    parser.add_argument("--server-timeout", type=float, default=60.0,
                        help="query timeout given to both servers, only if kg serve --help lists --timeout")
    parser.add_argument("--kg-source", type=Path, default=ROOT,
                        help="a folder holding the kg package to serve, e.g. a 'git archive' of another commit "
                             "(default: this checkout)")
    parser.add_argument("--out", help="write the printed text to this file too")
    args = parser.parse_args()
    args.levels = [int(level) for level in args.levels.split(",") if level.strip()]
    args.kg_source = args.kg_source.resolve()
    if not (args.kg_source / "kg" / "__main__.py").is_file():
        parser.error(f"--kg-source {args.kg_source} holds no kg package")
    return args


# -- the workload --------------------------------------------------------------


def _workload(names: str) -> dict[str, str]:
    """The queries of the mix by name, every text with the project's PREFIX declarations in front."""
    canned = canned_queries()
    prologue = "".join(f"PREFIX {prefix}: <{iri}>\n" for prefix, iri in PREFIX_IRIS.items())
    texts = {}
    for name in (n.strip() for n in names.split(",") if n.strip()):
        if name not in canned:
            raise SystemExit(f"no canned query {name!r} (there are: {', '.join(canned)})")
        texts[name] = canned[name].text
    texts.update(EXTRA)
    return {name: prologue + text for name, text in texts.items()}


def _sequence(names: list[str], count: int, seed: int, level: int) -> list[str]:
    """The query names of one level's requests: seeded, the same for both servers and every repeat."""
    rng = random.Random(seed * 1000 + level)
    return [rng.choice(names) for _ in range(count)]


# -- the servers -----------------------------------------------------------------


@dataclass
class Server:
    """A server subprocess and how to ask it a query."""

    name: str
    command: list[str]
    path: str
    port: int
    log: Path
    cwd: Path = ROOT
    process: subprocess.Popen | None = None
    rows: dict[str, int] = field(default_factory=dict)

    def start(self, wait: float = 180.0) -> float:
        """Start the server and wait until it answers ``ASK {}``: seconds taken."""
        started = time.perf_counter()
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(self.command, cwd=self.cwd, stdin=subprocess.DEVNULL,
                                            stdout=log, stderr=subprocess.STDOUT)
        while time.perf_counter() - started < wait:
            if self.process.poll() is not None:
                raise SystemExit(f"{self.name} exited with {self.process.returncode}:\n{self.tail()}")
            try:
                if _ask(HOST, self.port, self.target("ASK {}"), 5.0, None)[0] == "ok":
                    return time.perf_counter() - started
            except OSError:
                pass
            time.sleep(0.1)
        raise SystemExit(f"{self.name} did not answer within {wait:g} s:\n{self.tail()}")

    def target(self, query: str) -> str:
        return f"{self.path}?query={quote(query, safe='')}"

    def stop(self) -> str:
        """Terminate, kill after 10 s: how it ended."""
        if self.process is None or self.process.poll() is not None:
            return "not running" if self.process is None else f"had exited with {self.process.returncode}"
        self.process.terminate()
        try:
            self.process.wait(10)
            return f"terminated (exit code {self.process.returncode})"
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            return "killed after 10 s"

    def cpu_seconds(self) -> float | None:
        """CPU time of the server and its live child processes (kg serve answers in query processes)."""
        try:
            import psutil
        except ImportError:
            return None
        try:
            server = psutil.Process(self.process.pid)
            processes = [server, *server.children(recursive=True)]
            return sum(sum(p.cpu_times()[:2]) for p in processes)
        except psutil.Error:
            return None

    def tail(self) -> str:
        try:
            return "\n".join(self.log.read_text(encoding="utf-8", errors="replace").splitlines()[-20:])
        except OSError:
            return ""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def _kg_timeout_option(source: Path) -> bool:
    """Whether ``kg serve --help`` (of the kg package in ``source``) lists ``--timeout``."""
    shown = subprocess.run([sys.executable, "-m", "kg", "serve", "--help"], cwd=source, capture_output=True, text=True,
                           env={**os.environ, "COLUMNS": "200", "NO_COLOR": "1"})
    return "--timeout" in shown.stdout


def _servers(graph: Path, work: Path, timeout: float | None, source: Path) -> list[Server]:
    """kg serve (``python -m kg`` run in ``source``, so that its kg package is the one imported) and oxigraph."""
    oxigraph = shutil.which("oxigraph", path=str(Path(sys.executable).parent)) or shutil.which("oxigraph")
    if oxigraph is None:
        raise SystemExit("no oxigraph command next to this Python or on PATH: pip install oxigraph")
    kg_port, ox_port = _free_port(), _free_port()
    while ox_port == kg_port:
        ox_port = _free_port()
    kg = [sys.executable, "-m", "kg", "serve", "--graph", str(graph), "--host", HOST, "--port", str(kg_port)]
    ox = [oxigraph, "serve-read-only", "--location", str(graph / "store"), "--bind", f"{HOST}:{ox_port}",
          "--union-default-graph"]
    if timeout is not None:
        kg += ["--timeout", f"{timeout:g}"]
        ox += ["--timeout-s", f"{timeout:g}"]
    return [Server("kg serve", kg, "/sparql", kg_port, work / "kg-serve.log", source),
            Server("oxigraph", ox, "/query", ox_port, work / "oxigraph.log")]


# -- the client -------------------------------------------------------------------


def _ask(host: str, port: int, target: str, timeout: float, connection: http.client.HTTPConnection | None
         ) -> tuple[str, float, str, bytes, http.client.HTTPConnection | None]:
    """One GET: (kind, seconds, detail, body, connection to reuse). kind is "ok" or a failure in KINDS.

    With a ``connection`` the request goes over it (keep-alive) and the one
    to use next is returned; without, a new one is made and closed.
    """
    keep = connection is not None
    conn = connection or http.client.HTTPConnection(host, port, timeout=timeout)
    headers = {"Accept": ACCEPT} if keep else {"Accept": ACCEPT, "Connection": "close"}
    started = time.perf_counter()
    try:
        conn.request("GET", target, headers=headers)
        response = conn.getresponse()
        body = response.read()
        seconds = time.perf_counter() - started
    except RESET as exc:
        conn.close()
        return "reset", time.perf_counter() - started, f"{type(exc).__name__}: {exc}", b"", _fresh(conn, keep)
    except (OSError, http.client.HTTPException) as exc:
        conn.close()
        return "other", time.perf_counter() - started, f"{type(exc).__name__}: {exc}", b"", _fresh(conn, keep)
    if not keep or response.will_close:
        conn.close()
    if response.status != 200:
        return "status", seconds, f"HTTP {response.status}: {body[:200]!r}", body, conn if keep else None
    return "ok", seconds, "", body, conn if keep else None


def _fresh(conn: http.client.HTTPConnection, keep: bool) -> http.client.HTTPConnection | None:
    return http.client.HTTPConnection(conn.host, conn.port, timeout=conn.timeout) if keep else None


def _rows(body: bytes) -> int:
    """Rows of a SPARQL results JSON body (1 for ASK). Raises ValueError if it is not one."""
    answer = json.loads(body)
    if isinstance(answer, dict) and isinstance(answer.get("boolean"), bool):
        return 1
    bindings = answer["results"]["bindings"] if isinstance(answer, dict) else None
    if not isinstance(bindings, list):
        raise ValueError("no results.bindings")
    return len(bindings)


def _load(server: Server, texts: dict[str, str], sequence: list[str], level: int, args: argparse.Namespace) -> dict:
    """``sequence`` sent from ``level`` client threads: wall, latencies and failures."""
    work: queue.SimpleQueue[str] = queue.SimpleQueue()
    for name in sequence:
        work.put(name)
    targets = {name: server.target(text) for name, text in texts.items()}
    results: list[tuple[str, str, float, str]] = []
    lock = threading.Lock()
    barrier = threading.Barrier(level + 1)

    def client() -> None:
        conn = http.client.HTTPConnection(HOST, server.port, timeout=args.client_timeout) if args.keep_alive else None
        mine = []
        barrier.wait()
        while True:
            try:
                name = work.get_nowait()
            except queue.Empty:
                break
            kind, seconds, detail, body, conn = _ask(HOST, server.port, targets[name], args.client_timeout, conn)
            if kind == "ok":
                try:
                    _rows(body)
                except (ValueError, KeyError, TypeError) as exc:
                    kind, detail = "json", f"{type(exc).__name__}: {exc}; body {body[:120]!r}"
            mine.append((name, kind, seconds, detail))
        if conn is not None:
            conn.close()
        with lock:
            results.extend(mine)

    threads = [threading.Thread(target=client, daemon=True) for _ in range(level)]
    for thread in threads:
        thread.start()
    cpu_before = server.cpu_seconds()
    overflows_before = _listen_overflows()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    cpu_after = server.cpu_seconds()
    overflows_after = _listen_overflows()
    ok = sorted(seconds for _, kind, seconds, _ in results if kind == "ok")
    failures = {kind: [detail for _, k, _, detail in results if k == kind] for kind in KINDS}
    return {
        "wall": wall,
        "requests": len(results),
        "ok": len(ok),
        "rps": len(results) / wall if wall else float("nan"),
        "p50": _percentile(ok, 50) * 1000,
        "p99": _percentile(ok, 99) * 1000,
        "failures": failures,
        "cpu_ms": (cpu_after - cpu_before) * 1000 / len(results)
        if cpu_before is not None and cpu_after is not None and results else None,
        "overflows": overflows_after - overflows_before
        if overflows_before is not None and overflows_after is not None else None,
    }


def _listen_overflows() -> int | None:
    """Linux's count of connections dropped because a listen queue was full (TcpExt ListenOverflows), if readable.

    It counts every socket of the network namespace, but only the server under
    load is being connected to. A dropped SYN is sent again by the client's
    kernel after 1 s, then 3 s, ...: such requests show as latencies of a
    second or more, not as failures.
    """
    try:
        lines = [line.split() for line in Path("/proc/net/netstat").read_text().splitlines()
                 if line.startswith("TcpExt:")]
        return int(dict(zip(lines[0], lines[1]))["ListenOverflows"])
    except (OSError, IndexError, KeyError, ValueError):
        return None


def _percentile(values: list[float], percent: float) -> float:
    """The nearest-rank percentile of sorted ``values`` (nan for none)."""
    if not values:
        return float("nan")
    rank = max(1, -(-len(values) * percent // 100))
    return values[int(rank) - 1]


# -- the run ------------------------------------------------------------------------


def _bench(args: argparse.Namespace, graph: Path) -> None:
    if not (graph / "store").is_dir():
        raise SystemExit(f"{graph} has no store/: give a kg build's output folder")
    texts = _workload(args.queries)
    graph = graph.resolve()
    timeout = args.server_timeout if _kg_timeout_option(args.kg_source) else None
    work = Path(tempfile.mkdtemp(prefix="bench-serve-logs-"))
    servers = _servers(graph, work, timeout, args.kg_source)
    try:
        _header(args, graph, texts, servers, timeout)
        for server in servers:
            say(f"{server.name} answering after {server.start():.1f} s: {_shown(server.command, graph)}")
        _warm(servers, texts, args.client_timeout)
        runs = _levels(servers, texts, args)
        _summary(servers, runs, args)
        say(f"load average at the end: {_load_average()}")
    finally:
        for server in servers:
            say(f"{server.name} stopped: {server.stop()}")
        shutil.rmtree(work, ignore_errors=True)


def _header(args: argparse.Namespace, graph: Path, texts: dict[str, str], servers: list[Server],
            timeout: float | None) -> None:
    import pyoxigraph

    oxigraph = subprocess.run([servers[1].command[0], "--version"], capture_output=True, text=True).stdout.strip()
    say(f"# kg serve against oxigraph serve-read-only ({platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, pyoxigraph {pyoxigraph.__version__}, {oxigraph})")
    say(f"kg serve: {_describe(args.kg_source)}")
    say(f"load average at the start: {_load_average()} (other work on the machine skews every figure)")
    say("build OUT (the --graph folder); both servers open OUT/store read-only, default graph = union of the named graphs")
    connection = ("keep-alive: one persistent connection per client thread" if args.keep_alive
                  else "a new connection per request (Connection: close)")
    say(f"client: http.client, {connection}; GET with Accept: {ACCEPT}; the client shares the machine with the "
        f"servers")
    say(f"workload: {args.requests} requests per server and level, query picked by random.Random(seed {args.seed}), "
        f"the same sequence for both servers; every text has the {len(PREFIX_IRIS)} PREFIX_IRIS in front")
    say(f"queries: {', '.join(texts)}")
    limit = f"{timeout:g} s (kg serve --timeout, oxigraph --timeout-s)" if timeout else "none (kg serve --help " \
        "lists no --timeout)"
    say(f"server query timeout: {limit}")
    say("latency: successful requests only, connect to last byte of the body; failures counted by kind: "
        "status (not 200), json (not SPARQL results JSON), reset (connection reset/aborted/closed), other")
    say("cpu ms/req: the CPU time of the server and its child processes over the level / requests (psutil); SYN drops: connections "
        "the kernel dropped because the server's listen queue was full (Linux TcpExt ListenOverflows, during the "
        "level), each retried by the client after 1 s, 3 s, ...\n")


def _load_average() -> str:
    try:
        return " ".join(f"{value:.1f}" for value in os.getloadavg()) + f" (1, 5, 15 min; {os.cpu_count()} cores)"
    except OSError:
        return "unknown"


def _describe(source: Path) -> str:
    """Where the served kg package comes from: its folder, and its commit and uncommitted changes if a checkout."""
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=source, capture_output=True, text=True)
    if commit.returncode or Path(subprocess.run(["git", "rev-parse", "--show-toplevel"], cwd=source,
                                                capture_output=True, text=True).stdout.strip()) != source:
        return f"the kg package in {_place(source)} (not a git checkout)"
    changed = subprocess.run(["git", "status", "--porcelain", "--", "kg"], cwd=source, capture_output=True, text=True)
    files = [line[3:] for line in changed.stdout.splitlines()]
    local = f", with uncommitted changes to {', '.join(files)}" if files else ", no uncommitted changes to kg/"
    return f"the kg package in {_place(source)}, commit {commit.stdout.strip()}{local}"


def _place(source: Path) -> str:
    """``source`` as the log may name it: never a path of this machine."""
    return "this checkout" if source.resolve() == ROOT else "the --kg-source folder"


def _shown(command: list[str], graph: Path) -> str:
    """A server's command line without this machine's paths: python, oxigraph and OUT for the build folder."""
    words = [Path(word).name if i == 0 else word for i, word in enumerate(command)]
    return " ".join(word.replace(str(graph), "OUT") for word in words)


def _warm(servers: list[Server], texts: dict[str, str], timeout: float) -> None:
    """Every query once on each server (unmeasured); check both give the same number of rows."""
    say("warm-up: every query once per server, sequentially")
    say(f"  {'query':<22}" + "".join(f"{s.name + ' rows':>16}{'ms':>9}" for s in servers))
    for name, text in texts.items():
        cells = []
        for server in servers:
            kind, seconds, detail, body, _ = _ask(HOST, server.port, server.target(text), timeout, None)
            try:
                rows = _rows(body) if kind == "ok" else f"{kind}"
            except (ValueError, KeyError, TypeError):
                rows, detail = "json", f"body {body[:120]!r}"
            server.rows[name] = rows
            cells.append(f"{rows!s:>16}{seconds * 1000:>9.1f}")
            if detail:
                say(f"  {server.name} {name}: {detail}")
        say(f"  {name:<22}" + "".join(cells))
    differ = [name for name in texts if len({server.rows[name] for server in servers}) > 1]
    say(f"  row counts differ between the servers: {', '.join(differ)}" if differ
        else "  both servers give the same row counts")
    say()


def _levels(servers: list[Server], texts: dict[str, str], args: argparse.Namespace) -> dict:
    """Every level on both servers, ``--repeats`` times: runs[server][level] = list of figures."""
    runs: dict[str, dict[int, list[dict]]] = {server.name: {level: [] for level in args.levels} for server in servers}
    names = list(texts)
    width = max(len(s.name) for s in servers)
    say(f"{'run':>4} {'server':<{width}} {'clients':>7} {'rps':>8} {'p50 ms':>9} {'p99 ms':>9} {'ok':>5} "
        f"{'status':>6} {'json':>5} {'reset':>5} {'other':>5} {'cpu ms/req':>10} {'SYN drops':>9}")
    for repeat in range(args.repeats):
        order = servers if repeat % 2 == 0 else servers[::-1]
        for level in args.levels:
            sequence = _sequence(names, args.requests, args.seed, level)
            for server in order:
                figures = _load(server, texts, sequence, level, args)
                runs[server.name][level].append(figures)
                failures = figures["failures"]
                cpu = f"{figures['cpu_ms']:.1f}" if figures["cpu_ms"] is not None else "-"
                drops = figures["overflows"] if figures["overflows"] is not None else "-"
                say(f"{repeat + 1:>4} {server.name:<{width}} {level:>7} {figures['rps']:>8.1f} {figures['p50']:>9.1f} "
                    f"{figures['p99']:>9.1f} {figures['ok']:>5} " + " ".join(
                        f"{len(failures[kind]):>{max(5, len(kind))}}" for kind in KINDS) + f" {cpu:>10} {drops!s:>9}")
                for kind in KINDS:
                    for detail in sorted(set(failures[kind]))[:3]:
                        say(f"       {kind}: {detail} (x{failures[kind].count(detail)})")
                if server.process.poll() is not None:
                    raise SystemExit(f"{server.name} exited with {server.process.returncode}:\n{server.tail()}")
    say()
    return runs


def _summary(servers: list[Server], runs: dict, args: argparse.Namespace) -> None:
    kg, ox = (server.name for server in servers)
    what = f"median of {args.repeats} runs" if args.repeats > 1 else "one run"
    say(f"summary ({what}): kg serve / oxigraph; rps below 1 and p50 above 1 mean kg serve is slower")
    say(f"{'clients':>7} {'kg rps':>8} {'ox rps':>8} {'rps ratio':>10} {'kg p50':>8} {'ox p50':>8} {'p50 ratio':>10} "
        f"{'kg p99':>8} {'ox p99':>8} {'kg fail':>8} {'ox fail':>8}")
    for level in args.levels:
        m = {name: {key: _median([run[key] for run in runs[name][level]]) for key in ("rps", "p50", "p99")}
             for name in (kg, ox)}
        fails = {name: sum(len(v) for run in runs[name][level] for v in run["failures"].values()) for name in (kg, ox)}
        say(f"{level:>7} {m[kg]['rps']:>8.1f} {m[ox]['rps']:>8.1f} {m[kg]['rps'] / m[ox]['rps']:>9.2f}x "
            f"{m[kg]['p50']:>8.1f} {m[ox]['p50']:>8.1f} {m[kg]['p50'] / m[ox]['p50']:>9.2f}x "
            f"{m[kg]['p99']:>8.1f} {m[ox]['p99']:>8.1f} {fails[kg]:>8} {fails[ox]:>8}")
    total = {name: sum(len(v) for level in args.levels for run in runs[name][level] for v in run["failures"].values())
             for name in (kg, ox)}
    say(f"failed requests in all runs: kg serve {total[kg]}, oxigraph {total[ox]} "
        f"(of {args.requests * len(args.levels) * args.repeats} each)\n")


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


if __name__ == "__main__":
    main()
