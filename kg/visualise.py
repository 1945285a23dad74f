"""Interactive HTML views of the partner ecosystem that open offline, fast and safely.

Three views of an :class:`~kg.analyse.Analysis`: the whole portfolio
(countries and partners), one country's ecosystem (its forms, actions,
partners and the other countries those partners work in) and one partner's
ego network (its forms, their countries and co-partners).

Why not ``pyvis.Network.write_html``: pyvis 0.3.2 links Bootstrap and
vis-network from CDNs even with ``cdn_resources="in_line"`` (so the page is
blank offline), and its ``add_node``/``add_edge`` slow down as graphs grow.
Here pyvis is the container and the asset source: its ``nodes``/``edges``
lists are filled directly, and the vis-network script and stylesheet that
pyvis ships are inlined into our own template (``kg/templates/ecosystem.html``).
The page needs no network at all.

Safety: every label and tooltip comes from forms. The data travel as JSON in
a ``<script type="application/json">`` block with ``<``, ``>``, ``&``,
U+2028 and U+2029 escaped, so no label can close the block; vis-network
draws labels on a canvas and shows string tooltips as text (``innerText``);
the page's own controls set text with ``textContent`` only.

Readability: node colour by kind and partner sector, size by betweenness
(brokerage) within each kind, a legend, search by name, filters by country,
sector and method, tooltips naming the source forms. Layouts are computed
here with networkx (seeded); physics is off above :data:`PHYSICS_MAX_NODES`.

Provenance: selecting a partner or a link to a partner lists the
partnerships behind it, each with its form, line, question and the answer
line it was read from (:attr:`kg.analyse.Projections.provenance`, cut to
:data:`QUOTE_MAX` characters). The quotes are the graph's, so pseudonymised
unless the build kept personal data; only then does the page link each form
file, relative to the page (:class:`FormFiles`, read from the manifest).
"""

from __future__ import annotations

import json
import math
import os
import re
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import networkx as nx

from kg.analyse import DEFAULT_SEED, Analysis, active_years
from kg.errors import InputError
from kg.vocab import fold, sector_labels

if TYPE_CHECKING:
    import numpy as np

__all__ = [
    "View",
    "FormFiles",
    "PHYSICS_MAX_NODES",
    "QUOTE_MAX",
    "SECTOR_COLOURS",
    "SUGGESTION_STYLE",
    "portfolio_view",
    "country_view",
    "partner_view",
    "find_country",
    "find_partner",
    "render_html",
    "write_html",
    "form_files",
    "quote_of",
    "json_for_script",
    "remote_references",
]

PHYSICS_MAX_NODES = 150
SPRING_MAX_NODES = 500
QUOTE_MAX = 200
"""The longest quote of an answer the page shows, in characters (the rest is cut, around the partner's name)."""

SECTOR_COLOURS = {
    "government": "#d62728",
    "private-sector": "#ff7f0e",
    "academia": "#9467bd",
    "civil-society": "#2ca02c",
    "united-nations": "#1f77b4",
    "international": "#17becf",
    "media": "#e377c2",
    "unknown": "#9e9e9e",
}
KIND_STYLE = {
    "country": {"shape": "diamond", "color": "#263238", "legend": "Country"},
    "document": {"shape": "square", "color": "#8d6e63", "legend": "Form (document)"},
    "action": {"shape": "triangle", "color": "#00897b", "legend": "Action"},
    "partner": {"shape": "dot", "color": "#9e9e9e", "legend": "Partner organisation"},
}
SUGGESTION_STYLE = {"shape": "star", "color": "#bcbd22", "legend": "Suggested partner (dashed link)"}
"""The suggestion layer's nodes: a shape and colour no other kind has."""
_SHAPE_SYMBOL = {"diamond": "\u25c6", "square": "\u25a0", "triangle": "\u25b2", "dot": "\u25cf", "star": "\u2605"}
_PETAL = 26.0
_LABEL_MAX = 40
_LIST_MAX = 12
_VIS_DIR = "vis-9.1.2"


@dataclass
class View:
    """One view ready to render: vis nodes and edges plus what the page's controls list."""

    title: str
    nodes: list[dict]
    edges: list[dict]
    countries: list[list[str]] = field(default_factory=list)
    sectors: list[list[str]] = field(default_factory=list)
    methods: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    questions: list[str] = field(default_factory=list)
    quotes: list[str] = field(default_factory=list)
    partnerships: list[list[int]] = field(default_factory=list)
    years: list[int] = field(default_factory=list)
    suggestions: list[dict] = field(default_factory=list)
    """The suggestion layer (a country's view only): vis nodes of its suggested partners (:func:`_suggestion_layer`)."""

    @property
    def physics(self) -> bool:
        """Whether the page runs vis-network physics (small views only)."""
        return len(self.nodes) <= PHYSICS_MAX_NODES


@dataclass(frozen=True)
class FormFiles:
    """Where a build's form files are, so that the page can link them: recorded only by builds keeping personal data.

    ``folders`` hold the forms under their display paths (the manifest's
    ``summary.privacy.forms``, relative to the build's folder): a form is
    linked in the first folder holding it, relative to the page.
    """

    folders: tuple[Path, ...]

    @classmethod
    def under(cls, out_dir: Path, folders: list[str]) -> FormFiles:
        """The forms in ``folders``, given relative to the build's folder ``out_dir``."""
        return cls(tuple(out_dir / folder for folder in folders))

    def hrefs(self, sources: list[str], page_dir: Path) -> dict[str, str]:
        """``source -> href`` of each form file found, relative to ``page_dir``, percent-encoded.

        A href always starts with ``./`` or ``../``, so no file name can make it name a scheme.
        """
        found = {}
        for source in sources:
            path = next((folder / source for folder in self.folders if (folder / source).is_file()), None)
            if path is not None:
                relative = Path(os.path.relpath(path, page_dir)).as_posix()
                found[source] = quote(relative if relative.startswith("../") else "./" + relative, safe="/")
        return found


def portfolio_view(analysis: Analysis, seed: int = DEFAULT_SEED) -> View:
    """Every country and every partner, partners linked to the countries whose forms name them.

    Layout: countries by a seeded spring layout of the graph of shared
    partners, pushed apart so that each country's partners fit around it
    (a sunflower, most central first); partners of several countries sit
    between them; partners of no country form a last group below.
    """
    proj = analysis.projections
    graph = nx.Graph()
    for iri in sorted(proj.countries):
        graph.add_node(iri, kind="country")
    for iri in sorted(proj.organisations):
        graph.add_node(iri, kind="partner")
    graph.add_weighted_edges_from(sorted((u, v, d["weight"]) for u, v, d in proj.country_partner.edges(data=True)))
    positions = _portfolio_layout(graph, analysis, seed)
    return _view(analysis, graph, positions, "Partner ecosystem of the portfolio")


def country_view(analysis: Analysis, iso3: str, seed: int = DEFAULT_SEED) -> View:
    """One country's ecosystem: its forms with partners, their actions and partners, and the
    other countries those partners also work in.

    Raises:
        InputError: if no country has that code or name.
    """
    proj = analysis.projections
    country = find_country(analysis, iso3)
    docs = sorted(d for d in _neighbours(proj.document_country, country) if d in proj.document_partner)
    graph = nx.Graph()
    graph.add_node(country, kind="country")
    for doc in docs:
        graph.add_node(doc, kind="document")
        graph.add_edge(country, doc, weight=1)
        for org in sorted(proj.document_partner.neighbors(doc)):
            graph.add_node(org, kind="partner")
            graph.add_edge(doc, org, weight=proj.document_partner[doc][org]["weight"])
    _add_actions(graph, proj, set(docs))
    for org in sorted(n for n, d in graph.nodes(data=True) if d["kind"] == "partner"):
        for other in sorted(_neighbours(proj.country_partner, org)):
            graph.add_node(other, kind="country")
            graph.add_edge(org, other, weight=proj.country_partner[org][other]["weight"])
    label = proj.countries[country]["label"]
    positions = _layout(graph, seed)
    view = _view(analysis, graph, positions, f"Partner ecosystem of {label}", set(docs))
    view.suggestions = _suggestion_layer(analysis, country, positions)
    origin = next(n["id"] for n in view.nodes if n["iri"] == country)
    for node in view.suggestions:
        node["from"] = origin
    return view


def _suggestion_layer(analysis: Analysis, country: str, positions: dict) -> list[dict]:
    """The country's suggested partners (``analysis.suggestions``) as vis nodes on a ring around the view.

    Each node has ``id`` ``"s<rank>"``, the organisation's label, its rank,
    score and explanation (``title``, shown on hover and click) and the
    evidence forms; the page links it to the country by a dashed edge. The
    ring lies just outside the view's nodes, the first rank at the top.
    """
    rows = sorted((r for r in analysis.suggestions if r["country"] == country), key=lambda r: r["rank"])
    cx, cy = positions[country]
    radius = 1.2 * max((math.hypot(x - cx, y - cy) for x, y in positions.values()), default=0.0) + 120.0
    layer = []
    for number, row in enumerate(rows):
        angle = 2 * math.pi * number / max(len(rows), 1) - math.pi / 2
        forms = [f["source"] if f["line"] is None else f"{f['source']}, line {f['line']}" for f in row["forms"]]
        title = "\n".join(
            [
                f"{row['label']} (suggested partner #{row['rank']}, score {row['score']:.3f})",
                f"Why: {row['explanation']}",
                *(["Evidence: " + "; ".join(forms)] if forms else []),
            ]
        )
        layer.append(
            {
                "id": f"s{row['rank']}",
                "iri": row["organisation"],
                "kind": "suggestion",
                "label": _short(row["label"]),
                "title": title,
                "shape": SUGGESTION_STYLE["shape"],
                "color": SUGGESTION_STYLE["color"],
                "size": 14,
                "x": round(cx + radius * math.cos(angle), 1),
                "y": round(cy + radius * math.sin(angle), 1),
                "rank": row["rank"],
                "score": row["score"],
                "font": {"size": 12},
            }
        )
    return layer


def partner_view(analysis: Analysis, name: str, seed: int = DEFAULT_SEED) -> View:
    """One partner's ego network: the forms naming it, their countries and the other partners in them.

    Raises:
        InputError: if no partner, or several, match ``name``.
    """
    proj = analysis.projections
    partner = find_partner(analysis, name)
    graph = nx.Graph()
    graph.add_node(partner, kind="partner")
    for doc in sorted(_neighbours(proj.document_partner, partner)):
        graph.add_node(doc, kind="document")
        graph.add_edge(partner, doc, weight=proj.document_partner[doc][partner]["weight"])
        for org in sorted(proj.document_partner.neighbors(doc)):
            graph.add_node(org, kind="partner")
            graph.add_edge(doc, org, weight=proj.document_partner[doc][org]["weight"])
        for country in sorted(_neighbours(proj.document_country, doc)):
            graph.add_node(country, kind="country")
            graph.add_edge(doc, country, weight=1)
    label = proj.organisations[partner]["label"]
    docs = {n for n, kind in graph.nodes(data="kind") if kind == "document"}
    return _view(analysis, graph, _layout(graph, seed), f"Ego network of {label}", docs)


def find_country(analysis: Analysis, text: str) -> str:
    """The IRI of the country whose ISO3 code, name or IRI is ``text`` (case and accents ignored).

    Raises:
        InputError: if there is none.
    """
    wanted = fold(text)
    for iri, info in sorted(analysis.projections.countries.items()):
        if wanted in (fold(info["iso3"]), fold(info["label"]), fold(iri)):
            return iri
    codes = sorted(i["iso3"] for i in analysis.projections.countries.values())
    known = ", ".join(codes[:40]) + (", ..." if len(codes) > 40 else "")
    raise InputError(f"no country {text!r} in this build (countries: {known or 'none'})")


def find_partner(analysis: Analysis, text: str) -> str:
    """The IRI of the partner named ``text``: an exact label or IRI first, else a unique part of a label.

    Raises:
        InputError: if no partner matches, or several match only in part.
    """
    orgs = analysis.projections.organisations
    wanted = fold(text)
    exact = sorted(iri for iri, o in orgs.items() if wanted in (fold(o["label"]), fold(iri)))
    if exact:
        return max(exact, key=lambda iri: (analysis.partners[iri]["documents"], [-ord(c) for c in iri]))
    partial = sorted((o["label"], iri) for iri, o in orgs.items() if wanted and wanted in fold(o["label"]))
    if len(partial) == 1:
        return partial[0][1]
    if not partial:
        raise InputError(f"no partner named {text!r} in this build")
    names = "; ".join(label for label, _iri in partial[:10])
    raise InputError(f"{len(partial)} partners match {text!r}, give the full name: {names}")


def render_html(view: View, hrefs: dict[str, str] | None = None) -> str:
    """The page of ``view``: one self-contained HTML file with vis-network inlined.

    ``hrefs`` link the form files (:meth:`FormFiles.hrefs`); without them the
    page names the forms as text.
    """
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    env = Environment(
        loader=FileSystemLoader(str(Path(__file__).resolve().parent / "templates")),
        autoescape=select_autoescape(default=True, default_for_string=True),
        keep_trailing_newline=True,
    )
    js, css = _vis_assets()
    network = _pyvis_network(view)
    data = {
        "title": view.title,
        "nodes": network.nodes,
        "edges": network.edges,
        "countries": view.countries,
        "sectors": view.sectors,
        "methods": view.methods,
        "options": _options(network, view),
        "forms": [[source, (hrefs or {}).get(source, "")] for source in view.sources],
        "questions": view.questions,
        "quotes": view.quotes,
        "partnerships": view.partnerships,
        "years": view.years,
        "linked": hrefs is not None,
        "suggestions": view.suggestions,
    }
    return env.get_template("ecosystem.html").render(
        title=view.title,
        n_nodes=len(view.nodes),
        n_edges=len(view.edges),
        legend_kinds=_legend_kinds(view),
        legend_sectors=[(label, colour) for _key, label, colour in view.sectors],
        years=view.years,
        suggestions=len(view.suggestions),
        suggestion_legend=(
            _SHAPE_SYMBOL[SUGGESTION_STYLE["shape"]],
            SUGGESTION_STYLE["color"],
            SUGGESTION_STYLE["legend"],
        ),
        vis_js=_markup(js),
        vis_css=_markup(css),
        data_json=_markup(json_for_script(data)),
    )


def write_html(view: View, path: Path, forms: FormFiles | None = None) -> Path:
    """Render ``view`` to ``path`` (UTF-8), its forms linked when ``forms`` says where they are; return the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    hrefs = forms.hrefs(view.sources, path.parent) if forms is not None else None
    path.write_text(render_html(view, hrefs), encoding="utf-8")
    return path


def form_files(out_dir: Path) -> FormFiles | None:
    """Where the forms of the build in ``out_dir`` are, if it kept personal data (its manifest says so); else None.

    The manifest's ``summary.privacy`` says ``"pseudonymised": false`` and
    lists the folders of the forms, relative to ``out_dir``, in ``forms``.
    """
    try:
        summary = json.loads((out_dir / "manifest.json").read_text(encoding="utf-8"))["summary"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    privacy = summary.get("privacy", {}) if isinstance(summary, dict) else {}
    if not isinstance(privacy, dict) or privacy.get("pseudonymised") is not False:
        return None
    return FormFiles.under(out_dir, [folder for folder in privacy.get("forms", []) if isinstance(folder, str)])


def quote_of(answer: str, surface: str) -> str:
    """The line of ``answer`` naming ``surface`` (any case; else its first line), cut to :data:`QUOTE_MAX` characters.

    A long line keeps the words around the name, with "\u2026" where it was cut.
    """
    lines = [" ".join(line.split()) for line in answer.split("\n")]
    lines = [line for line in lines if line]
    if not lines:
        return ""
    name = re.compile(re.escape(" ".join(surface.split())), re.IGNORECASE) if surface.strip() else None
    hits = [(line, match.start()) for line in lines if name is not None and (match := name.search(line))]
    line, at = hits[0] if hits else (lines[0], 0)
    if len(line) <= QUOTE_MAX:
        return line
    start = max(0, min(at - QUOTE_MAX // 4, len(line) - QUOTE_MAX))
    end = start + QUOTE_MAX
    if start > 0:
        start = line.find(" ", start, at) + 1 if " " in line[start:at] else start
    if end < len(line) and " " in line[max(at, start) : end]:
        end = line.rfind(" ", max(at, start), end)
    return ("\u2026" if start > 0 else "") + line[start:end].strip() + ("\u2026" if end < len(line) else "")


def json_for_script(data) -> str:
    """``data`` as compact, sorted JSON that is safe inside an HTML ``<script>`` element.

    ``<``, ``>`` and ``&`` become ``\\u003c``, ``\\u003e`` and ``\\u0026`` (so no
    string can end the script or open a comment), U+2028 and U+2029 become
    escapes (line terminators in older JavaScript).
    """
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False)
    for char, escape in (
        ("&", "\\u0026"),
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(char, escape)
    return text


def remote_references(html: str) -> list[str]:
    """Every ``src=``/``href=`` attribute value of ``html`` that points off the page (an offline check)."""
    import re

    found = re.findall(r"""\b(?:src|href)\s*=\s*["']?\s*((?:https?:)?//[^"'\s>]*)""", html, flags=re.I)
    return sorted(set(found))


# --------------------------------------------------------------------------
# nodes, edges and their descriptions


def _view(analysis: Analysis, graph: nx.Graph, positions: dict, title: str, docs: set[str] | None = None) -> View:
    """The view of ``graph``: its nodes and edges for vis, what the controls list and the partnerships behind it.

    ``docs`` are the forms the view draws (None: all); a partner stands for its partnerships in them.
    """
    proj = analysis.projections
    index = {node: number for number, node in enumerate(sorted(graph))}
    sizes = _sizes(analysis, graph)
    nodes = [
        _node(analysis, iri, graph.nodes[iri]["kind"], index[iri], positions[iri], sizes[iri]) for iri in sorted(graph)
    ]
    methods = sorted({m for n in nodes for m in n["ms"]})
    method_index = {label: i for i, label in enumerate(methods)}
    for node in nodes:
        node["ms"] = sorted(method_index[m] for m in set(node["ms"]))
    pairs = sorted(((min(u, v), max(u, v), d) for u, v, d in graph.edges(data=True)), key=lambda e: e[:2])
    edges = [
        {"from": index[a], "to": index[b], "width": round(1 + math.log2(max(d.get("weight", 1), 1)), 2)}
        for a, b, d in pairs
    ]
    countries = sorted({(proj.countries[n]["iso3"], proj.countries[n]["label"]) for n in graph if n in proj.countries})
    labels = sector_labels()
    sectors = sorted({n["sec"] for n in nodes if n["sec"]})
    view = View(
        title=title,
        nodes=nodes,
        edges=edges,
        countries=[list(c) for c in countries],
        sectors=[[s, labels.get(s, s), SECTOR_COLOURS.get(s, "#9e9e9e")] for s in sectors],
        methods=methods,
    )
    _add_partnerships(view, analysis, graph, [(a, b) for a, b, _d in pairs], docs)
    return view


def _add_partnerships(
    view: View, analysis: Analysis, graph: nx.Graph, pairs: list[tuple[str, str]], docs: set[str] | None
) -> None:
    """Give the view its partnerships: each element's rows (``pv``) and years (``yr``), and the years' list.

    A partner node stands for its partnerships in ``docs`` (None: every
    form), a form node for its partnerships and an action node for those
    with that action; an edge to a partner for the partner's partnerships in
    the form, the country or the action at its other end. ``pv`` numbers
    rows of ``view.partnerships``; ``yr`` lists the years those are active
    in (:func:`kg.analyse.active_years`, :func:`_years`).
    """
    proj = analysis.projections
    everywhere: dict[str, list[dict]] = defaultdict(list)
    for partnership in proj.partnerships:
        everywhere[partnership["org"]].append(partnership)
    by_org = {org: [p for p in found if docs is None or p["document"] in docs] for org, found in everywhere.items()}
    kinds = dict(graph.nodes(data="kind"))
    in_view = [p for org in sorted(by_org) if org in graph for p in by_org[org]]
    for_nodes = {}
    for node in view.nodes:
        if node["kind"] == "partner":
            for_nodes[node["id"]] = by_org.get(node["iri"], [])
        elif node["kind"] == "document":
            for_nodes[node["id"]] = [p for p in in_view if p["document"] == node["iri"]]
        elif node["kind"] == "action":
            for_nodes[node["id"]] = [p for p in in_view if p.get("action") == node["iri"]]
    for_edges = {}
    for number, (a, b) in enumerate(pairs):
        org, other = (a, b) if kinds[a] == "partner" else (b, a)
        if kinds[org] == "partner" and kinds[other] != "partner":
            for_edges[number] = [p for p in everywhere[org] if _behind(proj, p, other, kinds[other])]
    chosen = sorted({p["iri"] for found in (*for_nodes.values(), *for_edges.values()) for p in found})
    row = {iri: number for number, iri in enumerate(chosen)}
    _partnership_table(view, analysis, chosen)
    for node in view.nodes:
        if node["id"] in for_nodes:
            node["pv"] = sorted(row[p["iri"]] for p in for_nodes[node["id"]])
    for number, edge in enumerate(view.edges):
        if number in for_edges:
            edge["pv"] = sorted(row[p["iri"]] for p in for_edges[number])
    _years(view)


def _years(view: View) -> None:
    """Set ``yr`` on every node and edge with rows: the years its rows are active in; and ``view.years``, all of them.

    The page shows such an element in the years chosen when ``yr`` has one
    of them; an edge without rows when both its ends are shown, and a country
    when one of its edges is.
    """
    spans = [set(range(row[4], row[5] + 1)) if row[4] else set() for row in view.partnerships]
    for item in (*view.nodes, *view.edges):
        if "pv" in item:
            item["yr"] = sorted(set().union(*(spans[r] for r in item["pv"])))
    view.years = sorted(set().union(*spans))


def _behind(proj, partnership: dict, node: str, kind: str) -> bool:
    """Whether ``partnership`` is behind the edge from its partner to ``node`` (a form, country or action)."""
    if kind == "document":
        return partnership["document"] == node
    if kind == "action":
        return partnership.get("action") == node
    return node in _neighbours(proj.document_country, partnership["document"])


def _partnership_table(view: View, analysis: Analysis, chosen: list[str]) -> None:
    """Fill ``view.partnerships`` with a row per partnership in ``chosen``: [source, line, question, quote, from, to].

    Source, question and quote are numbers in ``view.sources``, ``view.questions``
    and ``view.quotes`` (each listed once, in order of first use); -1 or line 0 when not known.
    From and to are the first and last year it is active in (:func:`kg.analyse.active_years`), 0 for none.
    """
    proj = analysis.projections
    by_iri = {p["iri"]: p for p in proj.partnerships}
    tables: dict[str, dict[str, int]] = {"sources": {}, "questions": {}, "quotes": {}}

    def number(table: str, text: str) -> int:
        return tables[table].setdefault(text, len(tables[table])) if text else -1

    for iri in chosen:
        where = proj.provenance.get(iri, {})
        source = proj.documents.get(by_iri[iri]["document"], {}).get("source", "")
        years = active_years(by_iri[iri])
        view.partnerships.append(
            [
                number("sources", source),
                int(where.get("line") or 0),
                number("questions", where.get("question") or ""),
                number("quotes", quote_of(where.get("answer") or "", where.get("surface") or "")),
                years[0] if years else 0,
                years[-1] if years else 0,
            ]
        )
    view.sources, view.questions, view.quotes = (list(tables[t]) for t in ("sources", "questions", "quotes"))


def _node(analysis: Analysis, iri: str, kind: str, number: int, xy, size: float) -> dict:
    style = KIND_STYLE[kind]
    node: dict[str, Any] = {  # vis.js node options, written out as JSON
        "id": number,
        "iri": iri,
        "kind": kind,
        "shape": style["shape"],
        "color": style["color"],
        "size": size,
        "x": round(float(xy[0]), 1),
        "y": round(float(xy[1]), 1),
        "sec": "",
        "cs": [],
        "ms": [],
    }
    describe = {"partner": _partner_node, "country": _country_node, "document": _document_node, "action": _action_node}
    node.update(describe[kind](analysis, iri))
    node["label"] = _short(node["label"])
    if kind == "partner":
        node["color"] = SECTOR_COLOURS.get(node["sec"], SECTOR_COLOURS["unknown"])
    node["font"] = {"size": 36, "strokeWidth": 4, "bold": True} if kind == "country" else {"size": 12}
    return node


def _partner_node(analysis: Analysis, iri: str) -> dict:
    proj = analysis.projections
    partner = analysis.partners[iri]
    labels = sector_labels()
    countries = [_country_name(analysis, iso) for iso in partner["countries"]]
    lines = [
        partner["label"],
        f"Partner organisation, sector: {labels.get(partner['sector'], partner['sector'])}",
        f"Countries ({len(countries)}): {_listing(countries)}" if countries else "Countries: none tagged",
        f"Named in {partner['documents']} forms ({partner['partnerships']} partnerships); "
        f"degree {partner['degree']}, betweenness {partner['betweenness']:.4f}, community {partner['community']}",
        f"Source forms: {_listing(partner['sources'])}",
    ]
    methods = sorted(
        {
            proj.methods[m]["label"]
            for d in _neighbours(proj.document_partner, iri)
            for m in _neighbours(proj.document_method, d)
        }
    )
    return {
        "label": partner["label"],
        "title": "\n".join(lines),
        "sec": partner["sector"],
        "cs": partner["countries"],
        "ms": methods,
    }


def _country_node(analysis: Analysis, iri: str) -> dict:
    info = analysis.countries[iri]
    top = sorted(info["methods"].items(), key=lambda kv: (-kv[1], kv[0]))[:5]
    lines = [
        f"{info['label']} ({info['iso3']})",
        "Country",
        f"{info['documents']} forms, {info['partners']} partners, {info['partnerships']} partnerships",
    ]
    if top:
        lines.append("Top methods: " + ", ".join(f"{m} ({n})" for m, n in top))
    return {"label": info["label"], "title": "\n".join(lines), "cs": [info["iso3"]], "ms": list(info["methods"])}


def _document_node(analysis: Analysis, iri: str) -> dict:
    proj = analysis.projections
    info = proj.documents[iri]
    countries = sorted(proj.countries[c]["iso3"] for c in _neighbours(proj.document_country, iri))
    methods = sorted(proj.methods[m]["label"] for m in _neighbours(proj.document_method, iri))
    lines = [
        info["label"],
        " ".join(filter(None, [info["type"], str(info["year"])])),
        f"Source form: {info['source']}",
        f"Countries: {_listing([_country_name(analysis, c) for c in countries]) or 'none tagged'}",
    ]
    if methods:
        lines.append(f"Methods: {_listing(methods)}")
    return {"label": info["label"], "title": "\n".join(lines), "cs": countries, "ms": methods}


def _action_node(analysis: Analysis, iri: str) -> dict:
    proj = analysis.projections
    data = proj.action_partner.nodes[iri]
    doc = data.get("document") or ""
    source = proj.documents.get(doc, {}).get("source", "")
    countries = sorted(proj.countries[c]["iso3"] for c in _neighbours(proj.document_country, doc))
    lines = [data["label"], "Action", f"Source form: {source}" if source else "Source form: unknown"]
    return {"label": data["label"], "title": "\n".join(lines), "cs": countries}


def _add_actions(graph: nx.Graph, proj, docs: set[str]) -> None:
    ap = proj.action_partner
    for action in sorted(n for n, d in ap.nodes(data=True) if d["kind"] == "action" and d.get("document") in docs):
        graph.add_node(action, kind="action")
        graph.add_edge(ap.nodes[action]["document"], action, weight=1)
        for org in sorted(ap.neighbors(action)):
            graph.add_node(org, kind="partner")
            graph.add_edge(action, org, weight=ap[action][org]["weight"])


def _sizes(analysis: Analysis, graph: nx.Graph) -> dict[str, float]:
    """Node radius by betweenness in the ecosystem graph, scaled within each kind."""
    scores = {n: analysis.centrality.get(n, 0.0) for n in graph}
    top: dict[str, float] = defaultdict(float)
    for node, score in scores.items():
        top[graph.nodes[node]["kind"]] = max(top[graph.nodes[node]["kind"]], score)
    base = {"country": (14.0, 26.0), "partner": (7.0, 30.0), "document": (10.0, 0.0), "action": (10.0, 0.0)}
    sizes = {}
    for node, score in scores.items():
        kind = graph.nodes[node]["kind"]
        low, span = base[kind]
        sizes[node] = round(low + (span * math.sqrt(score / top[kind]) if top[kind] > 0 else 0.0), 1)
    return sizes


def _country_name(analysis: Analysis, iso3: str) -> str:
    for info in analysis.countries.values():
        if info["iso3"] == iso3:
            return info["label"]
    return iso3


def _listing(items: list[str]) -> str:
    shown = ", ".join(items[:_LIST_MAX])
    return shown + (f" and {len(items) - _LIST_MAX} more" if len(items) > _LIST_MAX else "")


def _short(label: str) -> str:
    label = " ".join(label.split())
    return label if len(label) <= _LABEL_MAX else label[: _LABEL_MAX - 1] + "\u2026"


def _neighbours(graph: nx.Graph, node: str) -> list[str]:
    return list(graph.neighbors(node)) if node in graph else []


# --------------------------------------------------------------------------
# layouts


def _layout(graph: nx.Graph, seed: int) -> dict:
    """Seeded spring layout scaled to pixels; a shell layout by kind for very large views."""
    n = graph.number_of_nodes()
    if n == 1:
        return {next(iter(graph)): (0.0, 0.0)}
    if n < SPRING_MAX_NODES:
        positions = nx.spring_layout(graph, seed=seed, iterations=100, weight=None)
    else:
        order = ["country", "document", "action", "partner"]
        shells = [sorted(v for v, d in graph.nodes(data=True) if d["kind"] == kind) for kind in order]
        positions = nx.shell_layout(graph, nlist=[s for s in shells if s])
    scale = 40.0 * math.sqrt(n)
    return {node: (xy[0] * scale, xy[1] * scale) for node, xy in positions.items()}


def _portfolio_layout(graph: nx.Graph, analysis: Analysis, seed: int) -> dict:
    countries = sorted(n for n, d in graph.nodes(data=True) if d["kind"] == "country")
    partners = sorted(n for n, d in graph.nodes(data=True) if d["kind"] == "partner")
    single: defaultdict[str, list[str]] = defaultdict(list)
    several: list[str] = []
    alone: list[str] = []
    for partner in partners:
        linked = sorted(graph.neighbors(partner))
        (single[linked[0]] if len(linked) == 1 else several if linked else alone).append(partner)
    radius = {c: _PETAL * (math.sqrt(len(single[c]) + 1) + 1) for c in countries}
    centres = _country_centres(graph, countries, radius, seed)
    positions = dict(centres)
    rank = lambda p: (-analysis.centrality.get(p, 0.0), -analysis.partners[p]["documents"], p)  # noqa: E731
    for country in countries:
        positions.update(_sunflower(centres[country], sorted(single[country], key=rank), start=1))
    import numpy as np  # here: importing kg.visualise stays cheap for a rebuild that draws nothing

    rng = np.random.default_rng(seed)
    for partner in several:
        mean = np.mean([centres[c] for c in sorted(graph.neighbors(partner))], axis=0)
        positions[partner] = tuple(mean + rng.normal(0.0, _PETAL, 2))
    if alone:
        bottom = max((xy[1] + radius.get(c, 0.0) for c, xy in centres.items()), default=0.0)
        r_alone = _PETAL * (math.sqrt(len(alone)) + 1)
        positions.update(_sunflower((0.0, bottom + 2 * _PETAL + r_alone), sorted(alone, key=rank), start=0))
    return positions


def _country_centres(graph: nx.Graph, countries: list[str], radius: dict, seed: int) -> dict:
    """Countries by a seeded spring layout of shared partners, then pushed apart until their petals fit."""
    if not countries:
        return {}
    shared = nx.Graph()
    shared.add_nodes_from(countries)
    for partner in sorted(n for n, d in graph.nodes(data=True) if d["kind"] == "partner"):
        linked = sorted(graph.neighbors(partner))
        for i, a in enumerate(linked):
            for b in linked[i + 1 :]:
                weight = shared[a][b]["weight"] + 1 if shared.has_edge(a, b) else 1
                shared.add_edge(a, b, weight=weight)
    if len(countries) < SPRING_MAX_NODES:
        start = nx.spring_layout(shared, seed=seed, iterations=100, weight="weight")
    else:
        start = nx.circular_layout(shared)
    import numpy as np

    radii = np.array([radius[c] for c in countries])
    spread = 1.1 * math.sqrt(float(np.sum((radii + _PETAL) ** 2)))
    xy = np.array([start[c] for c in countries], dtype=float) * spread
    xy = _separate(xy, radii + _PETAL / 2)
    return {c: (float(x), float(y)) for c, (x, y) in zip(countries, xy, strict=True)}


def _separate(xy: np.ndarray, radii: np.ndarray, rounds: int = 60) -> np.ndarray:
    """Push overlapping discs apart (deterministic; coincident centres split along a fixed angle)."""
    import numpy as np

    n = len(xy)
    if n < 2:
        return xy
    angles = np.arange(n) * 2.399963229728653
    fallback = np.stack([np.cos(angles), np.sin(angles)], axis=1)
    for _ in range(rounds):
        delta = xy[:, None, :] - xy[None, :, :]
        dist = np.sqrt((delta**2).sum(axis=2))
        need = radii[:, None] + radii[None, :]
        overlap = need - dist
        np.fill_diagonal(overlap, 0.0)
        if overlap.max() <= 0.5:
            break
        direction = np.where(dist[:, :, None] > 1e-9, delta / np.maximum(dist, 1e-9)[:, :, None], fallback[:, None, :])
        push = np.clip(overlap, 0.0, None)[:, :, None] * direction / 2
        xy = xy + push.sum(axis=1) / np.maximum((overlap > 0).sum(axis=1), 1)[:, None]
    return xy


def _sunflower(centre, nodes: list[str], start: int) -> dict:
    """Nodes on a sunflower spiral around ``centre``, the first closest."""
    cx, cy = centre
    placed = {}
    for i, node in enumerate(nodes, start=start):
        r = _PETAL * math.sqrt(i + 0.5)
        theta = i * 2.399963229728653
        placed[node] = (cx + r * math.cos(theta), cy + r * math.sin(theta))
    return placed


# --------------------------------------------------------------------------
# the page


def _pyvis_network(view: View):
    """A pyvis Network holding the view: node and edge lists filled directly (add_node is slow)."""
    from pyvis.network import Network

    network = Network(height="100%", width="100%", cdn_resources="in_line")
    network.nodes = view.nodes
    network.edges = view.edges
    network.toggle_physics(view.physics)
    return network


def _options(network, view: View) -> dict:
    options = json.loads(network.options.to_json())
    large = not view.physics
    options["edges"] = {
        "color": {"color": "#90a4ae", "highlight": "#37474f", "opacity": 0.6},
        "smooth": False if large else {"enabled": True, "type": "continuous"},
    }
    options["nodes"] = {"borderWidth": 1, "font": {"face": "sans-serif"}, "scaling": {"label": {"drawThreshold": 7}}}
    options["interaction"] = {
        "hover": True,
        "tooltipDelay": 150,
        "hideEdgesOnDrag": large,
        "hideEdgesOnZoom": large,
        "navigationButtons": False,
        "keyboard": False,
    }
    options["layout"] = {"improvedLayout": False, "randomSeed": DEFAULT_SEED}
    options["physics"] = {
        "enabled": view.physics,
        "solver": "barnesHut",
        "barnesHut": {"gravitationalConstant": -6000, "springLength": 140, "springConstant": 0.02, "avoidOverlap": 0.3},
        "stabilization": {"enabled": view.physics, "iterations": 150, "fit": True},
    }
    return options


def _legend_kinds(view: View) -> list[tuple[str, str, str]]:
    kinds = sorted({n["kind"] for n in view.nodes}, key=list(KIND_STYLE).index)
    return [(_SHAPE_SYMBOL[KIND_STYLE[k]["shape"]], KIND_STYLE[k]["color"], KIND_STYLE[k]["legend"]) for k in kinds]


def _markup(text: str):
    from markupsafe import Markup

    return Markup(text)


@lru_cache(maxsize=1)
def _vis_assets() -> tuple[str, str]:
    """vis-network's script and stylesheet as pyvis ships them, checked safe to inline.

    Raises:
        InputError: if pyvis's copy is missing or could end its own element.
    """
    import pyvis

    folder = Path(pyvis.__file__).resolve().parent / "templates" / "lib" / _VIS_DIR
    try:
        js = (folder / "vis-network.min.js").read_text(encoding="utf-8")
        css = (folder / "vis-network.css").read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"pyvis's vis-network copy is missing ({folder}): reinstall pyvis") from exc
    if "</script" in js.lower() or "<!--" in js or "</style" in css.lower() or "@import" in css:
        raise InputError(f"pyvis's vis-network copy in {folder} cannot be inlined safely")
    return js, css
