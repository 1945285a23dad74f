"""The ``kg`` command line: a thin layer over the library.

Exit codes follow pySHACL: 0 ok, 1 invalid data (SHACL violations, or form
errors under ``--strict``), 2 input or usage error.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from kg.errors import KGError

__all__ = ["app", "main"]

app = typer.Typer(
    add_completion=False,
    pretty_exceptions_enable=False,
    no_args_is_help=True,
    help="Build and query knowledge graphs of UNDP Accelerator Labs forms.",
)
_out = Console()
_err = Console(stderr=True)

DEFAULT_OUT = Path("outputs")


class Format(str, Enum):
    """Output formats of ``kg query``."""

    table = "table"
    csv = "csv"
    tsv = "tsv"
    json = "json"


@app.command()
def build(
    sources: Annotated[
        list[Path], typer.Argument(help="Form files and folders (searched recursively for *.md, *.txt).")
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder.")] = DEFAULT_OUT,
    jobs: Annotated[int | None, typer.Option("--jobs", "-j", min=1, help="Worker processes (default: cores).")] = None,
    strict: Annotated[bool, typer.Option(help="Exit 1 when any file has an error.")] = False,
    include_personal_data: Annotated[bool, typer.Option(help="Keep names and e-mails instead of pseudonyms.")] = False,
    pseudonym_key: Annotated[
        str | None, typer.Option(envvar="KG_PSEUDONYM_KEY", help="Key of the pseudonyms (keep it secret).")
    ] = None,
    cache: Annotated[
        bool, typer.Option(help="Reuse the build cache: redo only changed forms (outputs are the same either way).")
    ] = True,
    cache_dir: Annotated[
        Path | None, typer.Option(help="The build cache's folder (default: .kg-cache/OUT-NAME beside OUT).")
    ] = None,
) -> None:
    """Build OUT/graph.ttl, graph.trig, store, manifest.json, analysis.json, ecosystem.html and report.md/.html.

    A rebuild into the same OUT reads and extracts only new and changed forms
    and says what changed since the last build. The cache (.kg-cache/OUT-NAME
    beside OUT) holds the forms' text before pseudonymisation: never share it.
    """
    from kg.build import build as run_build
    from kg.privacy import Pseudonymiser

    privacy = Pseudonymiser(pseudonym_key, enabled=not include_personal_data)
    with _progress() as progress:
        task = progress.add_task("reading forms", total=None)

        def advance(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        result = run_build(
            list(sources), out, jobs=jobs, pseudonymiser=privacy, progress=advance, cache=cache, cache_dir=cache_dir
        )
    for record in result.records:
        for message in record.messages:
            if message["level"] == "error":
                where = f"{record.path}:{message['line']}" if message["line"] else record.path
                _err.print(f"[red]error[/red] {where}: {message['text']} [{message['code']}]", highlight=False)
    _err.print(
        f"{len(result.records)} files: {len(result.records) - result.errors - result.warnings} ok, "
        f"{result.warnings} with warnings, {result.errors} with errors; {result.triples} triples, "
        f"{result.partnerships} partnerships, {result.organisations} organisations -> {out} "
        f"({result.seconds['total']:.1f} s; details in {out / 'manifest.json'})",
        highlight=False,
    )
    for line in _change_lines(result.changes, result.figures.get("cache", {})):
        _err.print(line, highlight=False, markup=False)
    if _KEPT is not None:
        _KEPT.append(result)  # main() ends the process without freeing it (a fifth of a second after a rebuild)
    if strict and result.errors:
        raise typer.Exit(1)


@app.command()
def validate(
    graph: Annotated[Path, typer.Argument(help="A build's output folder.")] = DEFAULT_OUT,
    limit: Annotated[int, typer.Option(help="How many violations to show.")] = 50,
) -> None:
    """Validate a build against the SHACL shapes in ontology/shapes.ttl."""
    from kg.validate import validate_build

    report = validate_build(graph)
    if report.conforms:
        _out.print(f"conforms: {report.triples} triples, no violations")
        return
    table = Table("severity", "focus node", "path", "message", title=f"{len(report.violations)} SHACL results")
    for violation in report.violations[:limit]:
        table.add_row(violation.severity, violation.focus, violation.path, violation.message)
    _out.print(table)
    raise typer.Exit(1)


@app.command("privacy-check")
def privacy_check(
    graph: Annotated[Path, typer.Argument(help="A build's output folder.")] = DEFAULT_OUT,
    inputs: Annotated[
        list[Path] | None, typer.Argument(help="The forms the build read, to look for their people's names too.")
    ] = None,
    pseudonym_key: Annotated[
        str | None, typer.Option(envvar="KG_PSEUDONYM_KEY", help="Key of the pseudonyms shown.")
    ] = None,
    limit: Annotated[int, typer.Option(help="How many findings to show.")] = 50,
) -> None:
    """Scan a finished build for e-mails, phone numbers and people's names of its inputs; exit 1 if any survive."""
    from kg.privacy_check import check_build

    report = check_build(graph, inputs or [], pseudonym_key)
    scanned = f"{report.files} files and {report.store_terms} store terms"
    names = f"{report.names} names from {report.forms_read} input forms" if inputs else "no names (give the inputs)"
    if report.clean:
        _out.print(f"clean: {scanned} scanned for e-mails, phone numbers and {names}", soft_wrap=True)
        return
    for finding in report.findings[:limit]:
        _out.print(finding.format(), highlight=False, markup=False, soft_wrap=True)
    found = f"{len(report.findings)} personal values found in {scanned} (checked: e-mails, phones, {names})"
    _out.print(found, soft_wrap=True)
    raise typer.Exit(1)


@app.command()
def query(
    name: Annotated[str | None, typer.Argument(help="A canned query's name or a .rq file.")] = None,
    sparql: Annotated[str | None, typer.Option("--sparql", help="Query text instead of NAME.")] = None,
    graph: Annotated[Path, typer.Option("--graph", "-g", help="A build's output folder.")] = DEFAULT_OUT,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.table,
    param: Annotated[list[str] | None, typer.Option("--param", "-p", help="name=value, bound safely.")] = None,
    timeout: Annotated[
        float | None, typer.Option("--timeout", min=0.001, help="Stop the query after SECONDS (exit 2).")
    ] = None,
) -> None:
    """Run a canned query, a query file or a query string over a build.

    The table format fits the terminal: IRIs as prefixed names, IRI columns
    beside their label hidden if need be, long cells cut with "…".
    """
    from kg.query import format_result, load_query, parse_param, run_query
    from kg.query_table import format_table

    if name is not None and sparql is None:
        text = load_query(name)
    elif sparql is not None and name is None:
        text = sparql
    else:
        raise typer.BadParameter("give either NAME (a canned query or .rq file) or --sparql TEXT")
    params = dict(parse_param(p) for p in param or [])
    result = run_query(graph, text, params, timeout=timeout)
    if fmt is Format.table and result.kind == "select":
        sys.stdout.write(format_table(result, shutil.get_terminal_size().columns))
    else:
        sys.stdout.write(format_result(result, "csv" if fmt is Format.table else fmt.value))


@app.command()
def queries() -> None:
    """List the canned queries, one per line, with a one-line description."""
    from kg.query import canned_queries

    for canned in canned_queries().values():
        sys.stdout.write(f"{canned.name}\t{canned.description}\n")


@app.command()
def serve(
    graph: Annotated[Path, typer.Option("--graph", "-g", help="A build's output folder.")] = DEFAULT_OUT,
    host: Annotated[str, typer.Option(help="Address to listen on (keep 127.0.0.1 unless you mean it).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port to listen on.")] = 7878,
    timeout: Annotated[
        float, typer.Option(min=0.001, help="Seconds a query may run; past it the query is stopped and gets 503.")
    ] = 30.0,
    workers: Annotated[
        int | None, typer.Option(min=1, help="Query processes (default: the number of cores, at least 2).")
    ] = None,
) -> None:
    """Serve a build as a read-only SPARQL 1.1 endpoint at /sparql, with a query page at /."""
    from kg.serve import make_server

    def log(line: str) -> None:
        _err.print(line, highlight=False, markup=False, soft_wrap=True)

    server = make_server(graph, host, port, log=log, timeout=timeout, workers=workers)
    if host not in ("127.0.0.1", "localhost", "::1"):
        _err.print(f"[yellow]warning:[/yellow] listening on {host}: other machines may reach this endpoint")
    log(f"SPARQL endpoint {server.endpoint} (query page {server.url}; queries stop after {timeout:g} s); Ctrl-C stops")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


@app.command()
def push(
    endpoint: Annotated[str, typer.Option(help="Graph Store Protocol URL, e.g. http://localhost:7878/store.")],
    graph: Annotated[Path, typer.Option("--graph", "-g", help="A build's output folder.")] = DEFAULT_OUT,
    timeout: Annotated[float, typer.Option(min=0.001, help="Seconds to wait for each response.")] = 60.0,
) -> None:
    """Load a build into a triple store: one PUT per named graph, replacing graphs of the same name."""
    from kg.push import push as run_push

    with _progress() as progress:
        task = progress.add_task("pushing graphs", total=None)

        def advance(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        result = run_push(graph, endpoint, timeout, advance)
    _err.print(f"pushed {len(result.graphs)} graphs, {result.triples} triples to {endpoint}", highlight=False)


@app.command(name="eval")
def evaluate(
    gold_dir: Annotated[
        Path, typer.Argument(help="Folder of gold annotations (*.json, or train/ dev/ test/ folders).")
    ],
    corpus: Annotated[Path, typer.Option(help="Folder holding the annotated forms.")] = Path("../shared/corpus"),
    split: Annotated[
        str | None, typer.Option(help="train, dev or test (default: train and dev; test only when named).")
    ] = None,
    details: Annotated[bool, typer.Option(help="List false, missed and wrongly-sectored partners.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the scores as JSON.")] = False,
    ner: Annotated[bool, typer.Option(help="Use spaCy NER for prose answers.")] = True,
    decision: Annotated[str, typer.Option(help="Who keeps candidate partners: model or rules.")] = "model",
) -> None:
    """Print P, R and F1 of partners, actions and roles, and sector accuracy, with 95 % intervals.

    Figures are given overall, per form family and per language.
    """
    import json

    from kg.evaluate import evaluate as run_eval
    from kg.evaluate_links import evaluate_links, is_link_gold

    if is_link_gold(gold_dir):
        links = evaluate_links(gold_dir, corpus, split)
        if as_json:
            sys.stdout.write(json.dumps(links.as_dict(), indent=2, ensure_ascii=False) + "\n")
        else:
            _print_links(links, details)
        return
    result = run_eval(gold_dir, corpus, use_ner=ner, split=split, decision=decision)
    if as_json:
        sys.stdout.write(json.dumps(result.as_dict(), indent=2, ensure_ascii=False) + "\n")
        return
    table = Table("facts", "precision", "recall", "F1", "tp", "fp", "fn", title=f"{len(result.forms)} gold forms")
    for name, score in (("partners", result.partners), ("actions", result.actions), ("roles", result.roles)):
        table.add_row(
            name,
            f"{score.precision:.3f}",
            f"{score.recall:.3f}",
            f"{score.f1:.3f}",
            str(score.tp),
            str(score.fp),
            str(score.fn),
        )
    _out.print(table)
    _out.print(f"sector accuracy: {result.sector_accuracy:.3f} ({result.sectors_right}/{result.sectors_total})")
    _out.print(_breakdown_table(result))
    if details:
        for form in result.forms:
            for label, names in (
                ("false", form.false_partners),
                ("missed", form.missed_partners),
                ("sector", form.wrong_sectors),
            ):
                for name in names:
                    _out.print(f"{form.file}: {label}: {name}", highlight=False, markup=False)


def _print_links(links, details: bool) -> None:
    """Link precision, recall and F1 with their 95 % intervals; with ``details``, every closing form's links."""
    total, ci = links.total, links.intervals
    table = Table(
        "links", "precision", "recall", "F1", "tp", "fp", "fn", title=f"{len(links.forms)} gold closing forms"
    )
    table.add_row(
        "closing form -> plan",
        f"{total.precision:.3f} [{ci['precision'].low:.2f}, {ci['precision'].high:.2f}]",
        f"{total.recall:.3f} [{ci['recall'].low:.2f}, {ci['recall'].high:.2f}]",
        f"{total.f1:.3f} [{ci['f1'].low:.2f}, {ci['f1'].high:.2f}]",
        str(total.tp),
        str(total.fp),
        str(total.fn),
    )
    _out.print(table)
    if details:
        for form in links.forms:
            if form.gold != form.predicted:
                evidence = "; ".join(f"{lk.plan} {lk.confidence:.2f} {dict(lk.evidence)}" for lk in form.links)
                _out.print(
                    f"{form.file}: gold {form.gold or 'none'}, linked {evidence or 'none'}",
                    highlight=False,
                    markup=False,
                )


def _breakdown_table(result) -> Table:
    """Partner P, R, F1 and sector accuracy with 95 % bootstrap intervals: overall, per family, per language."""
    table = Table(
        "group",
        "forms",
        "partners P",
        "partners R",
        "partners F1",
        "sector acc.",
        title="partners with 95 % bootstrap intervals",
    )
    rows = [("all", result)] + [(f"family {k}", v) for k, v in result.by("family").items()]
    rows += [(f"language {k}", v) for k, v in result.by("language").items()]
    for label, part in rows:
        ci = part.intervals()
        cells = [
            (part.partners.precision, "precision"),
            (part.partners.recall, "recall"),
            (part.partners.f1, "f1"),
            (part.sector_accuracy, "sector_accuracy"),
        ]
        table.add_row(
            label,
            str(len(part.forms)),
            *(f"{value:.3f} [{ci[key].low:.2f}, {ci[key].high:.2f}]" for value, key in cells),
        )
    return table


@app.command()
def train(
    gold_dir: Annotated[Path, typer.Argument(help="Gold folder with a train/ split.")] = Path("tests/gold"),
    corpus: Annotated[Path, typer.Option(help="Folder holding the archive's forms.")] = Path("../shared/corpus"),
    out: Annotated[Path | None, typer.Option(help="Folder for the model files (default: the package's).")] = None,
    seed: Annotated[int, typer.Option(help="Seed of the cross-validation folds and the solvers.")] = 20261204,
) -> None:
    """Train the partner span, keep/drop and sector models, or the closing-form linker (needs scikit-learn).

    Given the link gold (tests/gold/links), it trains the linker's weights instead.
    """
    from kg.decide import MODEL_DIR
    from kg.evaluate_links import is_link_gold
    from kg.train import train as run_train

    if is_link_gold(gold_dir):
        from kg.links import LINK_MODEL
        from kg.train_links import train_links

        links = train_links(gold_dir, corpus, out / LINK_MODEL.name if out else LINK_MODEL, seed)
        _err.print(
            f"links: {links.candidates} candidate plans of {links.forms} train closing forms ({links.links} links); "
            f"C={links.c}, threshold={links.threshold}, cross-validated P={links.cv_precision:.3f} "
            f"R={links.cv_recall:.3f} F1={links.cv_f1:.3f}",
            highlight=False,
            markup=False,
        )
        return

    report = run_train(gold_dir, corpus, out or MODEL_DIR, seed)
    _err.print(
        f"keep/drop: {report.candidates} candidates from {report.forms} train forms ({report.positives} partners); "
        f"C={report.c}, threshold={report.threshold}, cross-validated F1={report.cv_f1}\n"
        f"sector: {report.sector_examples} names {report.sector_classes}\n"
        f"spans: {report.spans} partner names in {report.span_lines} answer lines\n"
        f"models written to {out or MODEL_DIR}",
        highlight=False,
        markup=False,
    )


@app.command()
def viz(
    output: Annotated[Path, typer.Option("--output", "-o", help="The HTML file to write.")],
    graph: Annotated[Path, typer.Option("--graph", "-g", help="A build's output folder.")] = DEFAULT_OUT,
    country: Annotated[str | None, typer.Option(help="Draw one country's ecosystem (ISO3 code or name).")] = None,
    partner: Annotated[str | None, typer.Option(help="Draw one partner's ego network (its name).")] = None,
) -> None:
    """Draw the whole portfolio, one country's ecosystem or one partner's ego network as an offline HTML page."""
    from kg.analyse import analyse_build
    from kg.visualise import country_view, form_files, partner_view, portfolio_view, write_html

    if country and partner:
        raise typer.BadParameter("give --country or --partner, not both")
    analysis = analyse_build(graph)
    if country:
        view = country_view(analysis, country)
    elif partner:
        view = partner_view(analysis, partner)
    else:
        view = portfolio_view(analysis)
    write_html(view, output, form_files(graph))
    summary = f"{view.title}: {len(view.nodes)} nodes, {len(view.edges)} links -> {output}"
    _err.print(summary, highlight=False, markup=False)


class Ranking(str, Enum):
    """Rankings of ``kg suggest`` (:data:`kg.suggest.RANKINGS`)."""

    popularity = "popularity"
    signals = "signals"


@app.command()
def suggest(
    country: Annotated[str, typer.Option("--country", "-c", help="The lab's country: ISO3 code (or name).")],
    sdg: Annotated[
        int | None, typer.Option(min=1, max=17, help="Only partners other labs have on forms of this SDG.")
    ] = None,
    method: Annotated[
        str | None, typer.Option(help="Only partners other labs have on forms using this method.")
    ] = None,
    top: Annotated[int, typer.Option(min=1, help="How many organisations to suggest.")] = 10,
    kinds: Annotated[int, typer.Option(min=0, help="How many kinds of national body to suggest after them.")] = 3,
    ranking: Annotated[Ranking, typer.Option(help="popularity (the default) or signals.")] = Ranking.popularity,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.table,
    graph: Annotated[Path, typer.Option("--graph", "-g", help="A build's output folder.")] = DEFAULT_OUT,
) -> None:
    """Suggest partners a lab's forms do not name yet, ranked, each with the labs, SDGs, methods and forms behind it."""
    from kg.query import format_result
    from kg.query_table import format_table
    from kg.suggest import TABLE_COLUMNS, suggest_kinds, suggestion_graph, suggestion_result
    from kg.suggest import suggest as run_suggest

    found = suggestion_graph(graph)
    rows = run_suggest(found, country, sdg, method, top, ranking_by=ranking.value)
    if kinds:
        rows += suggest_kinds(found, country, sdg, method, kinds)
    if fmt is Format.table:
        sys.stdout.write(format_table(suggestion_result(rows, TABLE_COLUMNS), shutil.get_terminal_size().columns))
    else:
        sys.stdout.write(format_result(suggestion_result(rows), fmt.value))


@app.command()
def report(
    graph: Annotated[Path, typer.Option("--graph", "-g", help="A build's output folder.")] = DEFAULT_OUT,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Folder for report.md and report.html (default: the build's).")
    ] = None,
) -> None:
    """Regenerate the portfolio insights report (report.md and a self-contained report.html)."""
    from kg.report import write_report

    md_path, html_path = write_report(graph, out)
    _err.print(f"wrote {md_path} and {html_path}", highlight=False, markup=False)


_KEPT: list | None = None  # what a command made: main(), which ends the process at once, keeps it unfreed


def main() -> None:
    """Entry point: run the app, mapping library errors to exit codes.

    The process then ends at once (its output flushed): tearing down a
    build's millions of objects one by one took half a second, for nothing.
    Every file is written and every store closed by then.
    """
    global _KEPT
    _KEPT = []
    try:
        app()
        code = 0
    except KGError as exc:
        _err.print(f"[red]error:[/red] {exc}", highlight=False)
        code = exc.exit_code
    except SystemExit as exc:
        code = _exit_code(exc)
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError):  # a closed pipe (``kg query ... | head``): nothing more to say
            stream.flush()
    os._exit(code)


def _exit_code(exc: SystemExit) -> int:
    """The status ``sys.exit`` would give for ``exc``, its message (if any) printed as it would print it."""
    if exc.code is None or isinstance(exc.code, int):
        return exc.code or 0
    print(exc.code, file=sys.stderr)
    return 1


def _change_lines(changes: dict, cache: dict, shown: int = 3) -> list[str]:
    """The build's changes since the last build of its output folder, in two or three lines."""
    if not changes:
        return []
    reuse = f"{cache.get('forms_extracted', 0)} forms read and extracted, {cache.get('forms_reused', 0)} from the cache"
    if not changes.get("previous_build"):
        return [f"changes: first build of this folder ({reuse})"]
    forms = changes["forms"]
    if not any(forms.values()):
        return [f"changes since the last build: none ({reuse}; outputs {cache.get('outputs', 'rewritten')})"]
    said = [f"{len(forms[kind])} {kind} ({_some(forms[kind], shown)})" for kind in ("added", "changed", "removed")]
    lines = [f"changes since the last build: forms {', '.join(said)}; {reuse}"]
    for kind in ("organisations", "partnerships"):
        named = {
            sign: [_change_name(kind, item) for item in changes[kind][side]]
            for sign, side in (("+", "added"), ("-", "removed"))
        }
        said = [f"{sign}{len(items)} ({_some(items, shown)})" for sign, items in named.items()]
        lines.append(f"  {kind}: " + ", ".join(said))
    return lines


def _change_name(kind: str, item: dict) -> str:
    return item["label"] if kind == "organisations" else f"{item['form']} -> {item['organisation']}"


def _some(names: list[str], shown: int) -> str:
    if not names:
        return "none"
    more = f", +{len(names) - shown} more" if len(names) > shown else ""
    return ", ".join(names[:shown]) + more


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=_err,
        transient=True,
        disable=not _err.is_terminal,
    )
