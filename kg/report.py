"""The portfolio insights report: ``report.md`` and a self-contained ``report.html``.

Portfolio analysts want the headline findings without writing SPARQL: how
big the portfolio is by country, year and type; who the top partners and
the brokers between countries are; the sector mix; the methods and SDGs of
each country; unusual partners; partners shared across countries; how
closed work was handed over; for each closing form linked to the plan it
closes (``pkg:closes``), which planned partners were kept or dropped and
which are new; and what changed year by year (new partners by year and
sector, the labs whose ecosystems grew or shrank most, the partners that
recur across years, from the analysis' years). This module gathers those from an
:class:`~kg.analyse.Analysis` plus the SPARQL queries of
``kg/queries/report/`` (SDGs by country, handover outcomes, linked pairs and
what their forms name), then writes them as Markdown and as one HTML file
whose charts (matplotlib, Agg backend) are embedded as base64 PNG.

Both files are deterministic for a given graph: rows are sorted with
explicit tie-breaks, PNGs carry no software or date metadata, and no build
time is printed. Text from forms is escaped for Markdown and HTML.
Placeholder partner names (``NA``, ``none``...) are left out of the
rankings and listed in a note: they are extraction artefacts, not partners.
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import re
import textwrap
import warnings
from collections import Counter, defaultdict
from collections.abc import Callable, MutableMapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from kg.analyse import Analysis, analyse, format_decimal
from kg.errors import InputError
from kg.namespaces import PREFIX_IRIS
from kg.query import packaged_query
from kg.store import open_store
from kg.vocab import fold, sector_labels

__all__ = [
    "Block",
    "Report",
    "Chart",
    "collect_report",
    "draw_charts",
    "prepare_drawing",
    "render_markdown",
    "render_html",
    "write_report",
    "LinkedPair",
    "linked_pairs",
    "is_placeholder",
    "md_escape",
    "SUGGESTED_COUNTRIES",
    "SUGGESTED_PARTNERS",
    "QUERIES",
]

_TOP = 20
SUGGESTED_COUNTRIES = 5
"""How many countries (those with the most forms) the report lists suggested partners of."""
SUGGESTED_PARTNERS = 5
"""How many suggested partners of each of those countries the report lists."""
_OUTCOMES = ("kept", "dropped", "new")  # what became of a pair's partners (LinkedPair's properties)
_PLACEHOLDERS = frozenset(
    {
        "na",
        "n a",
        "n.a",
        "n/a",
        "none",
        "nil",
        "null",
        "tbd",
        "tbc",
        "not applicable",
        "no",
        "yes",
        "other",
        "others",
        "unknown",
        "various",
        "etc",
        "-",
        "x",
    }
)
_Q_SDGS = packaged_query("report", "sdgs")
_Q_HANDOVER = packaged_query("report", "handover")
_Q_CLOSES = packaged_query("report", "closes")
_Q_CLOSES_NAMED = packaged_query("report", "closes_named")
QUERIES = (_Q_SDGS, _Q_HANDOVER, _Q_CLOSES, _Q_CLOSES_NAMED)
"""The queries the report runs besides :data:`kg.analyse.QUERIES`: the files of ``kg/queries/report/``."""
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|&~#])")


@dataclass
class Block:
    """One piece of the report: a heading, a paragraph, a table or a chart."""

    kind: str
    text: str = ""
    headers: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    png: bytes = b""
    chart: Chart | None = None


@dataclass(frozen=True)
class Chart:
    """What a chart shows: ``barh`` (labels, values) or ``stacked`` (years, types, counts per year and type).

    Sections describe their charts; :func:`draw_charts` draws them (the
    slow part of the report: matplotlib), or takes the PNG drawn for the
    same chart before.
    """

    kind: str
    data: tuple

    def key(self) -> str:
        """A digest of the chart's kind and data: equal keys draw equal PNGs (with the same matplotlib)."""
        return hashlib.sha256(repr((self.kind, self.data)).encode("utf-8")).hexdigest()

    def draw(self) -> bytes:
        """The chart as PNG bytes."""
        return _barh(*self.data) if self.kind == "barh" else _stacked(*self.data)


@dataclass(frozen=True)
class LinkedPair:
    """A closing form and the learning plan it closes (``pkg:closes``), with what each of them names.

    Partners are resolved organisations (``pkg:partner`` IRIs) and actions
    are counted as the canned query ``plan-outcomes`` counts them, so its
    rows and the report agree: kept partners are named by both forms,
    dropped ones by the plan only, new ones by the closing form only.
    """

    closing: str
    plan: str
    planned: frozenset[str] = frozenset()
    reported: frozenset[str] = frozenset()
    planned_actions: int = 0
    reported_actions: int = 0
    planned_methods: frozenset[str] = frozenset()
    used_methods: frozenset[str] = frozenset()

    @property
    def kept_methods(self) -> frozenset[str]:
        """Methods of the plan the closing form says it used too."""
        return self.planned_methods & self.used_methods

    @property
    def kept(self) -> frozenset[str]:
        """Partners of the plan the closing form names too."""
        return self.planned & self.reported

    @property
    def dropped(self) -> frozenset[str]:
        """Partners of the plan the closing form does not name."""
        return self.planned - self.reported

    @property
    def new(self) -> frozenset[str]:
        """Partners of the closing form the plan does not name."""
        return self.reported - self.planned


@dataclass
class Report:
    """The report as an ordered list of blocks, rendered to Markdown or HTML."""

    title: str
    blocks: list[Block]


def write_report(
    graph_dir: Path,
    out_dir: Path | None = None,
    analysis: Analysis | None = None,
    charts: bool = True,
    store: ox.Store | None = None,
    drawn: MutableMapping[str, bytes] | None = None,
    draw: Callable[[Chart], bytes] | None = None,
) -> tuple[Path, Path]:
    """Write ``report.md`` and ``report.html`` for the build in ``graph_dir`` (into ``out_dir``, default the same).

    Args:
        graph_dir: a build's output folder (its store, or its graph.trig).
        out_dir: where to write; defaults to ``graph_dir``.
        analysis: the build's analysis when the caller already has it.
        charts: draw the charts (matplotlib) into the HTML.
        store: the store to query instead of ``graph_dir``'s (one holding at
            least the quads :data:`kg.engine.readable.REPORT_READS` name, as ``kg build`` gives).
        drawn: PNGs drawn before, by :meth:`Chart.key`: charts found there
            are not drawn again, and those drawn are added (see :func:`draw_charts`).
        draw: what draws a chart (default :meth:`Chart.draw`; ``kg build`` has another process draw them).

    Raises:
        InputError: if ``graph_dir`` holds no build.
    """
    if not graph_dir.is_dir():
        raise InputError(f"no such build folder: {graph_dir}")
    out_dir = out_dir or graph_dir
    out_dir.mkdir(parents=True, exist_ok=True)
    store = open_store(graph_dir) if store is None else store  # an empty store is falsy
    try:
        report = collect_report(store, analysis or analyse(store), charts=charts, drawn=drawn, draw=draw)
    finally:
        del store
    md_path, html_path = out_dir / "report.md", out_dir / "report.html"
    md_path.write_text(render_markdown(report), encoding="utf-8")
    html_path.write_text(render_html(report), encoding="utf-8")
    return md_path, html_path


def collect_report(
    store: ox.Store,
    analysis: Analysis,
    charts: bool = True,
    drawn: MutableMapping[str, bytes] | None = None,
    draw: Callable[[Chart], bytes] | None = None,
) -> Report:
    """Gather every section of the report from ``analysis`` and ``store``, its charts drawn (:func:`draw_charts`)."""
    iso = {iri: info["iso3"] for iri, info in analysis.projections.countries.items()}
    sdgs = _sdgs_by_country(store, iso)
    handover = _handover(store)
    pairs = linked_pairs(store)
    blocks: list[Block] = [Block("p", _headline(analysis))]
    for section in (
        _size_section(analysis, charts),
        _partner_section(analysis, charts),
        _sector_section(analysis, charts),
        _methods_section(analysis, sdgs),
        _unusual_section(analysis),
        _shared_section(analysis),
        _suggestion_section(analysis),
        _structure_section(analysis),
        _handover_section(handover, charts),
        _outcome_section(analysis, pairs, charts),
        _change_section(analysis, charts),
        _notes_section(analysis),
    ):
        blocks.extend(section)
    draw_charts(blocks, {} if drawn is None else drawn, draw or Chart.draw)
    return Report("Portfolio insights", blocks)


def draw_charts(
    blocks: list[Block], drawn: MutableMapping[str, bytes], draw: Callable[[Chart], bytes] = Chart.draw
) -> None:
    """Give each chart block its PNG: from ``drawn`` (PNGs by :meth:`Chart.key`) or drawn now and added to it."""
    for block in blocks:
        if block.chart is not None:
            key = block.chart.key()
            if key not in drawn:
                drawn[key] = draw(block.chart)
            block.png = drawn[key]


def prepare_drawing() -> None:
    """Import what drawing a chart needs (matplotlib: half a second), so that the first chart drawn is quick."""
    _figure(1, 1)


def render_markdown(report: Report) -> str:
    """The report as Markdown (charts are in the HTML only)."""
    lines = [f"# {md_escape(report.title)}", ""]
    for block in report.blocks:
        if block.kind == "h2":
            lines += [f"## {md_escape(block.text)}", ""]
        elif block.kind == "h3":
            lines += [f"### {md_escape(block.text)}", ""]
        elif block.kind == "p":
            lines += [md_escape(block.text), ""]
        elif block.kind == "table":
            lines += [*_md_table(block), ""]
        elif block.kind == "chart":
            lines += [f"*Chart in report.html: {md_escape(block.text)}.*", ""]
    return "\n".join(lines).rstrip("\n") + "\n"


def render_html(report: Report) -> str:
    """The report as one HTML page with its charts inlined as base64 PNG (no external resource)."""
    body = []
    for block in report.blocks:
        if block.kind in ("h2", "h3", "p"):
            body.append(f"<{block.kind}>{html.escape(block.text)}</{block.kind}>")
        elif block.kind == "table":
            body.append(_html_table(block))
        elif block.kind == "chart":
            data = base64.b64encode(block.png).decode("ascii")
            body.append(
                f'<figure><img alt="{html.escape(block.text)}" src="data:image/png;base64,{data}">'
                f"<figcaption>{html.escape(block.text)}</figcaption></figure>"
            )
    title = html.escape(report.title)
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{title}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n<h1>{title}</h1>\n"
        + "\n".join(body)
        + "\n</body>\n</html>\n"
    )


def linked_pairs(store: ox.Store) -> list[LinkedPair]:
    """Every closing form linked to the plan it closes, with the partners and actions of both (sorted by their IRIs).

    The report's plan against outcome: the same pairs and counts as the
    canned query ``plan-outcomes`` (``tests/test_report.py`` holds them together).
    """
    named: dict[tuple[str, str], dict[tuple[str, str], set[str]]] = {}
    for solution in _query(store, _Q_CLOSES):
        named[(solution["closing"].value, solution["plan"].value)] = defaultdict(set)
    for solution in _query(store, _Q_CLOSES_NAMED):
        found = named.setdefault((solution["closing"].value, solution["plan"].value), defaultdict(set))
        found[(solution["side"].value, solution["kind"].value)].add(solution["node"].value)
    return [
        LinkedPair(
            closing,
            plan,
            planned=frozenset(found[("plan", "partner")]),
            reported=frozenset(found[("closing", "partner")]),
            planned_actions=len(found[("plan", "action")]),
            reported_actions=len(found[("closing", "action")]),
            planned_methods=frozenset(found[("plan", "method")]),
            used_methods=frozenset(found[("closing", "method")]),
        )
        for (closing, plan), found in sorted(named.items())
    ]


def is_placeholder(label: str) -> bool:
    """True for partner names that are form filler rather than organisations (``NA``, ``none``, ``-``...)."""
    folded = fold(label).strip(" .:;,-_/()")
    return folded in _PLACEHOLDERS or not any(ch.isalpha() for ch in folded)


def md_escape(text: str) -> str:
    """``text`` on one line with Markdown's active characters (and HTML's ``<``, ``&``) backslash-escaped."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))


# --------------------------------------------------------------------------
# sections


def _headline(analysis: Analysis) -> str:
    proj = analysis.projections
    types = Counter(d["type"] for d in proj.documents.values())
    kinds = ", ".join(f"{n} {_type_name(t, n)}" for t, n in sorted(types.items(), key=lambda kv: (-kv[1], kv[0])))
    return (
        f"{len(proj.documents)} forms ({kinds}) from {sum(1 for c in analysis.countries.values() if c['documents'])} "
        f"countries name {len(proj.partnerships)} partnerships with {len(proj.organisations)} partner organisations; "
        f"{_count(len(analysis.shared_partners), 'partner works', 'partners work')} in more than one country."
    )


def _size_section(analysis: Analysis, charts: bool) -> list[Block]:
    proj = analysis.projections
    by_country = sorted(
        ((c["label"], c["iso3"], c["documents"], c["partners"]) for c in analysis.countries.values() if c["documents"]),
        key=lambda r: (-r[2], r[0]),
    )
    years: dict[str, Counter] = defaultdict(Counter)
    for doc in proj.documents.values():
        years[str(doc["year"]) or "no year"][doc["type"]] += 1
    types = sorted({d["type"] for d in proj.documents.values()})
    blocks = [Block("h2", "Portfolio size"), Block("h3", f"By country (top {_TOP} of {len(by_country)})")]
    blocks.append(
        Block(
            "table",
            headers=["country", "ISO3", "forms", "partners"],
            rows=[[a, b, str(c), str(d)] for a, b, c, d in by_country[:_TOP]],
        )
    )
    if charts and by_country:
        top = by_country[:_TOP][::-1]
        chart = _bars([r[0] for r in top], [r[2] for r in top])
        blocks.append(Block("chart", "Forms by country (top 20)", chart=chart))
    blocks.append(Block("h3", "By year and type"))
    year_rows = [[y] + [str(years[y][t]) for t in types] + [str(sum(years[y].values()))] for y in sorted(years)]
    blocks.append(Block("table", headers=["year", *types, "total"], rows=year_rows))
    if charts and years:
        chart = Chart("stacked", _stack_data(sorted(years), types, years))
        blocks.append(Block("chart", "Forms by year and type", chart=chart))
    return blocks


def _partner_section(analysis: Analysis, charts: bool) -> list[Block]:
    labels = sector_labels()
    ranked = [p for p in analysis.top_partners(len(analysis.partners)) if not is_placeholder(p["label"])][:_TOP]
    brokers = [p for p in analysis.brokers(len(analysis.partners)) if not is_placeholder(p["label"])][:_TOP]
    blocks = [
        Block("h2", "Top partners"),
        Block("p", "Partners named in the most forms (ties: more countries and actions first)."),
    ]
    blocks.append(
        Block(
            "table",
            headers=["partner", "sector", "forms", "countries", "degree"],
            rows=[
                [
                    p["label"],
                    labels.get(p["sector"], p["sector"]),
                    str(p["documents"]),
                    " ".join(p["countries"]),
                    str(p["degree"]),
                ]
                for p in ranked
            ],
        )
    )
    if charts and ranked:
        top = ranked[::-1]
        chart = _bars([p["label"] for p in top], [p["documents"] for p in top])
        blocks.append(Block("chart", "Top partners by forms", chart=chart))
    blocks += [
        Block("h2", "Brokers"),
        Block(
            "p",
            "Partners with the highest betweenness centrality in the ecosystem graph (countries, actions and "
            f"partners; {analysis.betweenness_method}): they connect countries and actions that share no other "
            "partner.",
        ),
        Block(
            "table",
            headers=["partner", "betweenness", "countries", "community"],
            rows=[
                [p["label"], format_decimal(p["betweenness"]), " ".join(p["countries"]), str(p["community"])]
                for p in brokers
            ],
        ),
    ]
    if charts and brokers:
        top = brokers[::-1]
        chart = _bars([p["label"] for p in top], [p["betweenness"] for p in top])
        blocks.append(Block("chart", "Brokers by betweenness", chart=chart))
    return blocks


def _sector_section(analysis: Analysis, charts: bool) -> list[Block]:
    labels = sector_labels()
    total = sum(analysis.sector_mix.values()) or 1
    mix = sorted(analysis.sector_mix.items(), key=lambda kv: (-kv[1], kv[0]))
    blocks = [
        Block("h2", "Sector mix"),
        Block("p", "Partnerships by the partner's sector, as the form gives it or a rule infers it."),
    ]
    blocks.append(
        Block(
            "table",
            headers=["sector", "partnerships", "share"],
            rows=[[labels.get(s, s), str(n), f"{100 * n / total:.1f}%"] for s, n in mix],
        )
    )
    if charts and mix:
        blocks.append(
            Block(
                "chart",
                "Partnerships by sector",
                chart=_bars([labels.get(s, s) for s, _n in mix][::-1], [n for _s, n in mix][::-1]),
            )
        )
    countries = sorted(
        (c for c in analysis.countries.values() if c["partnerships"]), key=lambda c: (-c["partnerships"], c["label"])
    )
    sectors = sorted({s for c in countries for s in c["sector_mix"]})
    blocks.append(Block("h3", f"By country (top {_TOP} by partnerships)"))
    blocks.append(
        Block(
            "table",
            headers=["country", "partnerships"] + [labels.get(s, s) for s in sectors],
            rows=[
                [c["label"], str(c["partnerships"])] + [str(c["sector_mix"].get(s, 0)) for s in sectors]
                for c in countries[:_TOP]
            ],
        )
    )
    return blocks


def _methods_section(analysis: Analysis, sdgs: dict[str, Counter]) -> list[Block]:
    countries = sorted(
        (c for c in analysis.countries.values() if c["documents"]), key=lambda c: (-c["documents"], c["label"])
    )
    rows = []
    for country in countries[:_TOP]:
        methods = sorted(country["methods"].items(), key=lambda kv: (-kv[1], kv[0]))[:3]
        goals = sorted(sdgs.get(country["iso3"], Counter()).items(), key=lambda kv: (-kv[1], kv[0]))[:3]
        rows.append(
            [
                country["label"],
                "; ".join(f"{m} ({n})" for m, n in methods) or "-",
                "; ".join(f"SDG {g} ({n})" for g, n in goals) or "-",
            ]
        )
    blocks = [
        Block("h2", "Methods and SDGs by country"),
        Block(
            "p",
            f"The three most used methods and SDGs of the {min(_TOP, len(countries))} countries with the most forms "
            "(forms per method or goal in brackets).",
        ),
    ]
    blocks.append(Block("table", headers=["country", "top methods", "top SDGs"], rows=rows))
    if analysis.method_co_use:
        blocks.append(Block("h3", "Methods used together"))
        blocks.append(
            Block(
                "table",
                headers=["method", "with method", "forms"],
                rows=[[r["a"], r["b"], str(r["documents"])] for r in analysis.method_co_use[:10]],
            )
        )
    return blocks


def _unusual_section(analysis: Analysis) -> list[Block]:
    rows = [[r["label"], r["name"], " ".join(r["countries"]), r["source"]] for r in analysis.unusual_partners]
    blocks = [
        Block("h2", "Unusual partners"),
        Block("p", f"{_count(len(rows), 'partnership', 'partnerships')} the forms call new and unusual for UNDP."),
    ]
    if rows:
        blocks.append(Block("table", headers=["partner", "as named", "countries", "form"], rows=rows))
    return blocks


def _shared_section(analysis: Analysis) -> list[Block]:
    shared = [p for p in analysis.shared_partners if not is_placeholder(p["label"])]
    blocks = [
        Block("h2", "Partners shared across countries"),
        Block("p", f"{_count(len(shared), 'partner is', 'partners are')} named by forms of more than one country."),
    ]
    if shared:
        blocks.append(
            Block(
                "table",
                headers=["partner", "countries", "which"],
                rows=[[p["label"], str(len(p["countries"])), " ".join(p["countries"])] for p in shared[: 2 * _TOP]],
            )
        )
    similar = [r for r in analysis.country_similarity.get("partners", []) if r["shared"] > 0][:10]
    if similar:
        blocks.append(Block("h3", "Countries with the most alike partners (Jaccard)"))
        blocks.append(
            Block(
                "table",
                headers=["country", "country", "Jaccard", "shared partners"],
                rows=[[r["a"], r["b"], f"{r['jaccard']:.3f}", str(r["shared"])] for r in similar],
            )
        )
    return blocks


def _suggestion_section(analysis: Analysis) -> list[Block]:
    """The first suggested partners (``analysis.suggestions``) of the countries with the most forms.

    :data:`SUGGESTED_COUNTRIES` countries with partnerships, the most forms
    first (ties by label), :data:`SUGGESTED_PARTNERS` suggestions each, with
    their score and short explanation (``summary``: three labs, one SDG, method
    and theme; docs/suggestions.md).
    """
    by_country: dict[str, list[dict]] = defaultdict(list)
    for row in analysis.suggestions:
        by_country[row["country"]].append(row)
    countries = sorted(
        (c for c in by_country if c in analysis.countries),
        key=lambda c: (-analysis.countries[c]["documents"], analysis.countries[c]["label"], c),
    )[:SUGGESTED_COUNTRIES]
    blocks = [
        Block("h2", "Suggested partners"),
        Block(
            "p",
            "Organisations a country's forms do not name yet that other labs partner, the most popular among the "
            "other labs first (ties by their SDGs, methods and themes shared with the country), for the "
            f"{_count(len(countries), 'country', 'countries')} with the most forms (kg suggest; "
            "docs/suggestions.md). The score is in [0, 1].",
        ),
    ]
    rows = [
        [analysis.countries[c]["label"], str(r["rank"]), r["label"], f"{r['score']:.3f}", r["summary"]]
        for c in countries
        for r in sorted(by_country[c], key=lambda r: r["rank"])[:SUGGESTED_PARTNERS]
    ]
    if rows:
        blocks.append(Block("table", headers=["country", "rank", "partner", "score", "why"], rows=rows))
    return blocks


def _structure_section(analysis: Analysis) -> list[Block]:
    eco = analysis.components.get("ecosystem", {})
    co = analysis.components.get("cooccurrence", {})
    blocks = [
        Block("h2", "Ecosystem structure"),
        Block(
            "p",
            f"The ecosystem graph has {analysis.ecosystem.number_of_nodes()} nodes and "
            f"{analysis.ecosystem.number_of_edges()} links in {eco.get('count', 0)} connected components "
            f"(the largest holds {eco.get('largest', 0)} nodes); the partner co-occurrence graph has "
            f"{co.get('count', 0)} components, the largest of {co.get('largest', 0)} partners. "
            f"Louvain (seed {analysis.seed}) finds {len(analysis.communities)} communities of two or more nodes.",
        ),
    ]
    if analysis.communities:
        blocks.append(
            Block(
                "table",
                headers=["community", "nodes", "countries", "most central partners"],
                rows=[
                    [
                        str(c["community"]),
                        str(c["size"]),
                        " ".join(c["countries"][:8]) + (" ..." if len(c["countries"]) > 8 else ""),
                        "; ".join(x for x in c["top_partners"] if not is_placeholder(x)),
                    ]
                    for c in analysis.communities[:10]
                ],
            )
        )
    methods = analysis.country_similarity.get("methods", [])[:10]
    if methods:
        blocks.append(Block("h3", "Countries with the most alike methods (Jaccard)"))
        blocks.append(
            Block(
                "table",
                headers=["country", "country", "Jaccard", "shared methods"],
                rows=[[r["a"], r["b"], f"{r['jaccard']:.3f}", str(r["shared"])] for r in methods],
            )
        )
    return blocks


def _handover_section(handover: list[tuple[str, int]], charts: bool) -> list[Block]:
    blocks = [
        Block("h2", "Handover outcomes"),
        Block("p", "How closed learning plans say their work was handed over (forms per outcome)."),
    ]
    if not handover:
        blocks.append(Block("p", "No form in this build states a handover outcome."))
        return blocks
    blocks.append(Block("table", headers=["outcome", "forms"], rows=[[label, str(n)] for label, n in handover]))
    if charts:
        blocks.append(
            Block(
                "chart",
                "Handover outcomes",
                chart=_bars([_wrap(label) for label, _n in handover][::-1], [n for _label, n in handover][::-1]),
            )
        )
    return blocks


def _outcome_section(analysis: Analysis, pairs: list[LinkedPair], charts: bool) -> list[Block]:
    """Plan against outcome: how many closing forms are linked, and the partners kept, dropped and new (issue 17)."""
    closing_forms = _documents_of_type(analysis, "ClosingForm")
    plans = _documents_of_type(analysis, "LearningPlan")
    blocks = [Block("h2", "Plan against outcome")]
    if not pairs:
        blocks.append(
            Block(
                "p",
                f"No closing form in this build is linked to the learning plan it closes "
                f"({_count(len(closing_forms), 'closing form', 'closing forms')}, "
                f"{_count(len(plans), 'learning plan', 'learning plans')}).",
            )
        )
        return blocks
    linked, closed = {p.closing for p in pairs}, {p.plan for p in pairs}
    kept, dropped, new = (sum(len(getattr(p, what)) for p in pairs) for what in _OUTCOMES)
    blocks += [
        Block(
            "p",
            f"{len(linked)} of {_count(len(closing_forms), 'closing form', 'closing forms')} "
            f"({_share(len(linked), len(closing_forms))}) are linked to the learning plan they close, closing "
            f"{len(closed)} of {_count(len(plans), 'learning plan', 'learning plans')} "
            f"({_share(len(closed), len(plans))}). Over the {_count(len(pairs), 'linked pair', 'linked pairs')}: "
            f"planned partners kept {kept}, dropped {dropped} ({_share(kept, kept + dropped)} kept); new partners "
            f"{new}; methods planned {_total(pairs, 'planned_methods')}, used {_total(pairs, 'used_methods')}, "
            f"planned and used {_total(pairs, 'kept_methods')}; actions planned "
            f"{sum(p.planned_actions for p in pairs)}, reported {sum(p.reported_actions for p in pairs)}.",
        ),
        Block(
            "p",
            "A closing form is linked to the plan it reports on by kg.links (pkg:closes). Partners are resolved "
            "organisations, counted per pair as the canned query plan-outcomes counts them: kept, named by the plan "
            "and its closing form; dropped, by the plan only; new, by the closing form only. A partner of several "
            "pairs counts in each.",
        ),
    ]
    return blocks + _outcome_by_sector(analysis, pairs, charts) + _outcome_by_country(analysis, pairs)


def _outcome_by_sector(analysis: Analysis, pairs: list[LinkedPair], charts: bool) -> list[Block]:
    """Partners kept, dropped and new by the organisation's sector (as in the top partners), most first."""
    labels = sector_labels()
    organisations = analysis.projections.organisations
    counts: dict[str, Counter] = defaultdict(Counter)
    for pair in pairs:
        for what in _OUTCOMES:
            for org in getattr(pair, what):
                sector = organisations.get(org, {}).get("sector", "unknown")
                counts[labels.get(sector, sector)][what] += 1
    order = sorted(counts, key=lambda label: (-sum(counts[label].values()), label))
    rows = [[label, *(str(counts[label][what]) for what in _OUTCOMES), _kept_share(counts[label])] for label in order]
    blocks = [
        Block("h3", "By the partner's sector"),
        Block("table", headers=["sector", *_OUTCOMES, "planned partners kept"], rows=rows),
    ]
    if charts and order:
        chart = Chart("stacked", _stack_data(order, list(_OUTCOMES), counts))
        blocks.append(Block("chart", "Planned partners kept and dropped, and new partners, by sector", chart=chart))
    return blocks


def _outcome_by_country(analysis: Analysis, pairs: list[LinkedPair]) -> list[Block]:
    """Per country of the closing form: forms linked, plans closed, partners kept, dropped and new, actions."""
    proj = analysis.projections
    by_country: dict[str, list[LinkedPair]] = defaultdict(list)
    for pair in pairs:
        for country in _countries_of(analysis, pair.closing):
            by_country[country].append(pair)
    forms = {
        kind: Counter(c for doc in _documents_of_type(analysis, kind) for c in _countries_of(analysis, doc))
        for kind in ("ClosingForm", "LearningPlan")
    }
    rows = []
    for country, found in by_country.items():
        info = proj.countries.get(country, {"label": "no country", "iso3": ""})
        counts = Counter({what: sum(len(getattr(p, what)) for p in found) for what in _OUTCOMES})
        rows.append(
            (
                -len(found),
                -(counts["kept"] + counts["dropped"]),
                info["label"],
                [
                    info["label"],
                    info["iso3"],
                    f"{len({p.closing for p in found})} of {forms['ClosingForm'][country]}",
                    f"{len({p.plan for p in found})} of {forms['LearningPlan'][country]}",
                    *(str(counts[what]) for what in _OUTCOMES),
                    _kept_share(counts),
                    f"{_total(found, 'kept_methods')} of {_total(found, 'planned_methods')}",
                    str(sum(p.planned_actions for p in found)),
                    str(sum(p.reported_actions for p in found)),
                ],
            )
        )
    rows.sort(key=lambda row: row[:3])
    headers = ["country", "ISO3", "closing forms linked", "plans closed", *_OUTCOMES, "planned partners kept"]
    return [
        Block("h3", f"By country (top {_TOP} of {len(rows)}, by linked pairs)"),
        Block(
            "table",
            headers=[*headers, "planned methods used", "actions planned", "actions reported"],
            rows=[r[3] for r in rows[:_TOP]],
        ),
    ]


def _documents_of_type(analysis: Analysis, kind: str) -> list[str]:
    """The forms of one type (``ClosingForm``, ``LearningPlan``...), by IRI."""
    return sorted(doc for doc, info in analysis.projections.documents.items() if info["type"] == kind)


def _countries_of(analysis: Analysis, doc: str) -> list[str]:
    """The countries of a form (``dcterms:spatial``), or ``[""]`` for a form with none."""
    graph = analysis.projections.document_country
    return sorted(graph.neighbors(doc)) if doc in graph and graph.degree(doc) else [""]


def _change_section(analysis: Analysis, charts: bool) -> list[Block]:
    """What changed: new partners by year and sector, the labs that grew or shrank most, partners that recur."""
    blocks = [Block("h2", "What changed")]
    if not analysis.years:
        return [*blocks, Block("p", "No partnership in this build has a year.")]
    first = analysis.years[0]["year"]
    blocks.append(
        Block(
            "p",
            "A partnership is active in the years of its form (from its first to its last year, where the form gives "
            "a range). A partner is new in the first year it is active in, anywhere; it is lost in a year when it was "
            "active in the year before (the last earlier year with partnerships) and is not in this one. In the first "
            f"year, {first}, every partner is new.",
        )
    )
    return blocks + _new_by_year(analysis, charts) + _grew_and_shrank(analysis) + _recurring(analysis)


def _new_by_year(analysis: Analysis, charts: bool) -> list[Block]:
    """Partners, new and lost by year, the new ones by their sector (the organisation's): a table and a chart."""
    labels = sector_labels()
    organisations = analysis.projections.organisations
    counts = {
        str(row["year"]): Counter(
            labels.get(sector, sector)
            for sector in (organisations.get(org, {}).get("sector", "unknown") for org in row["new_partners"])
        )
        for row in analysis.years
    }
    sectors = sorted({s for c in counts.values() for s in c}, key=lambda s: (-sum(c[s] for c in counts.values()), s))
    rows = [
        [str(row["year"]), str(row["partners"]), str(row["new"]), str(row["lost"])]
        + [str(counts[str(row["year"])][s]) for s in sectors]
        for row in analysis.years
    ]
    blocks = [
        Block("h3", "New partners by year and sector"),
        Block("table", headers=["year", "partners", "new", "lost", *(f"new: {s}" for s in sectors)], rows=rows),
    ]
    if charts and sectors:
        chart = Chart("stacked", _stack_data(list(counts), sectors, counts))
        blocks.append(Block("chart", "New partners by year and sector", chart=chart))
    return blocks


def _grew_and_shrank(analysis: Analysis) -> list[Block]:
    """The countries whose partners grew or shrank most between their first and last year with partnerships."""
    changes = _country_changes(analysis)
    grew = sorted((c for c in changes if c[0] > 0), key=lambda c: (-c[0], c[1]))
    shrank = sorted((c for c in changes if c[0] < 0), key=lambda c: (c[0], c[1]))
    blocks = [Block("h3", "Labs whose ecosystems grew or shrank most")]
    if not changes:
        return [*blocks, Block("p", "No country has partnerships in two years or more.")]
    blocks.append(
        Block(
            "p",
            "Partners in a country's first and last year with partnerships. Of the "
            f"{_count(len(changes), 'country', 'countries')} with partnerships in two years or more, {len(grew)} grew, "
            f"{len(shrank)} shrank and {len(changes) - len(grew) - len(shrank)} kept as many partners.",
        )
    )
    headers = ["country", "ISO3", "first year", "partners", "last year", "partners", "change"]
    for title, found in (("Grew most", grew), ("Shrank most", shrank)):
        if found:
            rows = [
                [
                    label,
                    first["iso3"],
                    str(first["year"]),
                    str(first["partners"]),
                    str(last["year"]),
                    str(last["partners"]),
                    f"{change:+d}",
                ]
                for change, label, first, last in found[:10]
            ]
            blocks += [Block("p", f"{title}:"), Block("table", headers=headers, rows=rows)]
    return blocks


def _country_changes(analysis: Analysis) -> list[tuple[int, str, dict, dict]]:
    """``(change, label, first, last)`` of each country with partnerships in two years or more.

    ``first`` and ``last`` are its rows of ``analysis.country_years`` for its
    first and last year; ``change`` is the last year's partners less the first's.
    """
    rows_of: dict[str, list[dict]] = defaultdict(list)
    for row in analysis.country_years:
        rows_of[row["country"]].append(row)
    changes = []
    for rows in rows_of.values():
        first, last = min(rows, key=lambda r: r["year"]), max(rows, key=lambda r: r["year"])
        if first is not last:
            changes.append((last["partners"] - first["partners"], first["country_label"], first, last))
    return changes


def _recurring(analysis: Analysis) -> list[Block]:
    """The partners active in the most distinct years (two or more), with their years and countries."""
    labels = sector_labels()
    partners = analysis.partners
    recurring = sorted(
        (
            (iri, years)
            for iri, years in analysis.partner_years.items()
            if len(years) > 1 and iri in partners and not is_placeholder(partners[iri]["label"])
        ),
        key=lambda item: (-len(item[1]), partners[item[0]]["label"], item[0]),
    )
    blocks = [Block("h3", "Partners that recur across years")]
    if not recurring:
        return [*blocks, Block("p", "No partner is active in more than one year.")]
    blocks.append(
        Block(
            "p",
            f"{_count(len(recurring), 'partner is', 'partners are')} active in more than one year; "
            f"the {min(_TOP, len(recurring))} active in the most years (ties by name), with their forms' countries:",
        )
    )
    rows = [
        [
            partners[iri]["label"],
            labels.get(partners[iri]["sector"], partners[iri]["sector"]),
            str(len(years)),
            " ".join(str(y) for y in years),
            " ".join(partners[iri]["countries"]),
        ]
        for iri, years in recurring[:_TOP]
    ]
    return [*blocks, Block("table", headers=["partner", "sector", "years", "which", "countries"], rows=rows)]


def _notes_section(analysis: Analysis) -> list[Block]:
    left_out = sorted(
        (p for p in analysis.partners.values() if is_placeholder(p["label"])),
        key=lambda p: (-p["documents"], p["label"]),
    )
    text = (
        f"Analyses are seeded (seed {analysis.seed}); betweenness is {analysis.betweenness_method}. "
        "Per-partner figures are in analysis.json and, for SPARQL, in the analytics named graph."
    )
    blocks = [Block("h2", "Notes"), Block("p", text)]
    if left_out:
        names = ", ".join(f"{p['label']} ({_count(p['documents'], 'form', 'forms')})" for p in left_out[:10])
        blocks.append(Block("p", f"Left out of the rankings as placeholder names rather than organisations: {names}."))
    return blocks


# --------------------------------------------------------------------------
# queries


def _sdgs_by_country(store: ox.Store, iso: dict[str, str]) -> dict[str, Counter]:
    found: dict[str, Counter] = defaultdict(Counter)
    for solution in _query(store, _Q_SDGS):
        country = solution["country"].value
        goal = solution["sdg"].value.rstrip("/").rsplit("/", 1)[-1]
        if goal.isdigit():
            found[iso.get(country, country)][int(goal)] += int(solution["n"].value)
    return found


def _handover(store: ox.Store) -> list[tuple[str, int]]:
    rows = []
    for solution in _query(store, _Q_HANDOVER):
        label = solution["label"].value if solution["label"] is not None else solution["outcome"].value
        rows.append((label, int(solution["n"].value)))
    return sorted(rows, key=lambda r: (-r[1], r[0]))


def _query(store: ox.Store, query: str) -> list[ox.QuerySolution]:
    answer = store.query(query, use_default_graph_as_union=True, prefixes=PREFIX_IRIS)
    assert isinstance(answer, ox.QuerySolutions), "the report's queries are all SELECTs"
    return list(answer)


# --------------------------------------------------------------------------
# rendering helpers


def _total(pairs: list[LinkedPair], what: str) -> int:
    """The sum over ``pairs`` of the size of one of their sets (``kept_methods``...): a pair counts apart."""
    return sum(len(getattr(pair, what)) for pair in pairs)


def _share(n: int, total: int) -> str:
    """``n`` as a percentage of ``total`` (one decimal), or ``-`` when there is no total."""
    return f"{100 * n / total:.1f}%" if total else "-"


def _kept_share(counts: Counter) -> str:
    """The share of planned partners kept: kept over kept and dropped."""
    return _share(counts["kept"], counts["kept"] + counts["dropped"])


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _type_name(kind: str, n: int) -> str:
    names = {
        "LearningPlan": "learning plan",
        "ClosingForm": "closing form",
        "Experiment": "experiment",
        "Solution": "solution",
        "Document": "untyped form",
    }
    name = names.get(kind, kind)
    return name if n == 1 else name + "s"


def _md_table(block: Block) -> list[str]:
    lines = [
        "| " + " | ".join(md_escape(h) for h in block.headers) + " |",
        "|" + "|".join("---" for _h in block.headers) + "|",
    ]
    lines += ["| " + " | ".join(md_escape(cell) for cell in row) + " |" for row in block.rows]
    return lines


def _html_table(block: Block) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in block.headers)
    rows = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>\n" for row in block.rows)
    return f"<table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n{rows}</tbody>\n</table>"


def _wrap(text: str, width: int = 60) -> str:
    return text if len(text) <= width else text[: width - 1] + "\u2026"


def _bars(labels: list[str], values: Sequence[float]) -> Chart:
    return Chart("barh", (tuple(labels), tuple(values)))


def _stack_data(years: list[str], types: list[str], counts: dict[str, Counter]) -> tuple:
    return tuple(years), tuple(types), tuple(tuple(counts[y][kind] for kind in types) for y in years)


def _barh(labels: tuple[str, ...], values: tuple[float, ...]) -> bytes:
    shown = [_wrap(label, 50) for label in labels]
    fig, ax = _figure(8.0, 0.3 * len(labels) + 0.8)
    # Fixed margins (no tight_layout: it costs a second draw): room for the longest label at 8 pt.
    height = fig.get_figheight()
    fig.subplots_adjust(
        left=min(0.55, 0.03 + 0.0082 * max(map(len, shown), default=1)),
        right=0.97,
        bottom=0.45 / height,
        top=1 - 0.2 / height,
    )
    ax.barh(range(len(labels)), values, color="#1f77b4")
    ax.set_yticks(range(len(labels)), shown, fontsize=8)
    ax.set_ylim(-0.6, len(labels) - 0.4)
    ax.tick_params(axis="x", labelsize=8)
    ax.spines[["top", "right"]].set_visible(False)
    return _png(fig)


def _stacked(years: tuple[str, ...], types: tuple[str, ...], counts: tuple[tuple[int, ...], ...]) -> bytes:
    ticks = [textwrap.fill(label, 14) for label in years]  # long labels (sectors) on two lines, years unchanged
    fig, ax = _figure(8.0, 3.5)
    fig.subplots_adjust(left=0.08, right=0.98, bottom=0.14 if any("\n" in t for t in ticks) else 0.1, top=0.96)
    bottom = [0] * len(years)
    for column, kind in enumerate(types):
        heights = [row[column] for row in counts]
        ax.bar(ticks, heights, bottom=bottom, label=kind)
        bottom = [b + h for b, h in zip(bottom, heights, strict=True)]
    ax.legend(fontsize=8, frameon=False)
    ax.tick_params(labelsize=8)
    ax.spines[["top", "right"]].set_visible(False)
    return _png(fig)


def _figure(width: float, height: float):
    """A matplotlib figure drawn by the Agg backend (no pyplot state, nothing to close)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height))
    FigureCanvasAgg(fig)
    return fig, fig.subplots()


def _png(fig) -> bytes:
    """The figure as PNG bytes with no software or date metadata (deterministic)."""
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # missing glyphs in some partner names
        fig.savefig(buffer, format="png", dpi=90, metadata={"Software": None})
    return buffer.getvalue()


_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 24px auto; max-width: 1000px;
       color: #212121; padding: 0 16px; }
h1 { font-size: 26px; } h2 { font-size: 20px; margin-top: 32px; border-bottom: 1px solid #e0e0e0; }
h3 { font-size: 16px; }
table { border-collapse: collapse; margin: 8px 0 16px 0; font-size: 13px; display: block; overflow-x: auto; }
th, td { border: 1px solid #e0e0e0; padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #f5f5f5; }
figure { margin: 8px 0 16px 0; } figure img { max-width: 100%; } figcaption { color: #616161; font-size: 12px; }
"""
