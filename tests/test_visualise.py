"""Tests of kg/visualise.py: offline, safe, deterministic HTML views, checked in headless Chromium.

The views are drawn from the hand-made tiny portfolio of tests/test_analyse.py
whose partner labels are hostile: HTML that would run script if a page ever
put it into its markup, and a ``</script>`` that would end the data block.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlparse

import pyoxigraph as ox
import pytest
from test_analyse import PKG, TinyPortfolio, tiny_portfolio

from kg.analyse import analyse
from kg.errors import InputError
from kg.manifest import form_folders
from kg.visualise import (
    PHYSICS_MAX_NODES,
    FormFiles,
    country_view,
    find_partner,
    form_files,
    json_for_script,
    partner_view,
    portfolio_view,
    quote_of,
    remote_references,
    render_html,
    write_html,
)
from tests.conftest import chromium

IMG = "<img src=x onerror=alert(1)>"
SCRIPT = "</script><script>alert(1)</script>"
# Variants whose effect, if they ever ran, would be visible in the DOM.
IMG_MARK = "<img src=x onerror=\"document.documentElement.setAttribute('data-pwned','img')\">"
SCRIPT_MARK = "</script><script>document.documentElement.setAttribute('data-pwned','script')</script>"
ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"


@pytest.fixture(scope="module")
def hostile():
    portfolio, ids = tiny_portfolio(p_label=IMG, q_label=SCRIPT)
    extra_doc = portfolio.doc("d5.md", [ids["CCC"]], [])
    for key, label in (("img-mark", IMG_MARK), ("script-mark", SCRIPT_MARK), ("sep", "line\u2028sep\u2029para & <b>")):
        portfolio.partnership(extra_doc, portfolio.org(key, label))
    return analyse(portfolio.store()), ids


def _payload(html: str) -> dict:
    match = re.search(r'<script type="application/json" id="kg-data">(.*?)</script>', html, re.S)
    assert match, "no data block"
    return json.loads(match.group(1))


# --------------------------------------------------------------------------
# offline and safe, in the HTML text


def test_page_is_self_contained(hostile):
    analysis, _ids = hostile
    html = render_html(portfolio_view(analysis))
    assert remote_references(html) == []
    assert 'src="http' not in html and 'href="http' not in html
    assert "<script src" not in html and "<link" not in html
    assert "vis.Network" in html


def test_hostile_labels_appear_only_escaped(hostile):
    analysis, _ids = hostile
    html = render_html(portfolio_view(analysis))
    for raw in (IMG, SCRIPT, IMG_MARK, SCRIPT_MARK, "\u2028", "\u2029"):
        assert raw not in html
    start = html.index('id="kg-data">')
    block = html[start : html.index("</script>", start)]
    assert "<b>" not in block and "& " not in block
    assert "\\u003cimg src=x onerror=alert(1)\\u003e" in html
    assert "\\u003c/script\\u003e\\u003cscript\\u003ealert(1)\\u003c/script\\u003e" in html
    # The page's four script elements only: no label closed one early or opened another.
    assert html.count("</script>") == 4 and _tags(html)["script"] == 4
    # The data still say exactly what the forms say.
    titles = {n["title"].split("\n")[0] for n in _payload(html)["nodes"]}
    assert {IMG, SCRIPT, IMG_MARK, SCRIPT_MARK, "line\u2028sep\u2029para & <b>"} <= titles


def test_json_for_script_escapes_what_could_end_a_script():
    text = json_for_script({"a": "</script><!-- & \u2028\u2029 >"})
    assert text == '{"a":"\\u003c/script\\u003e\\u003c!-- \\u0026 \\u2028\\u2029 \\u003e"}'
    assert json.loads(text) == {"a": "</script><!-- & \u2028\u2029 >"}


def test_heading_is_escaped(hostile):
    analysis, ids = hostile
    html = render_html(partner_view(analysis, SCRIPT))
    assert "<title>Ego network of &lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;</title>" in html


# --------------------------------------------------------------------------
# what the views hold


def _iris(view) -> set[str]:
    return {n["iri"] for n in view.nodes}


def test_portfolio_view_nodes_edges_and_styles(hostile):
    analysis, ids = hostile
    view = portfolio_view(analysis)
    assert len(view.nodes) == 3 + 8  # countries + partners
    assert len(view.edges) == 6 + 3  # country-partner links of the tiny portfolio + d5's three partners
    node = {n["iri"]: n for n in view.nodes}
    assert node[ids["P"]]["color"] == "#d62728" and node[ids["P"]]["shape"] == "dot"  # government
    assert node[ids["AAA"]]["shape"] == "diamond" and node[ids["AAA"]]["cs"] == ["AAA"]
    assert node[ids["P"]]["cs"] == ["AAA", "BBB"] and node[ids["P"]]["sec"] == "government"
    assert node[ids["P"]]["size"] > node[ids["Q"]]["size"]  # the broker is drawn bigger
    assert "Source forms: d1.md, d2.md, d3.md" in node[ids["P"]]["title"]
    assert [m for m in view.methods] == ["Method one", "Method three", "Method two"]
    assert sorted(view.methods[i] for i in node[ids["P"]]["ms"]) == ["Method one", "Method three", "Method two"]
    assert view.physics is True


def test_country_view_by_hand(hostile):
    analysis, ids = hostile
    view = country_view(analysis, "aaa")
    # AAA, its forms with partners, their partners, and BBB where P also works.
    assert _iris(view) == {ids[k] for k in ("AAA", "d1", "d2", "P", "Q", "BBB")}
    assert country_view(analysis, "Carpania").title == "Partner ecosystem of Carpania"
    ccc = country_view(analysis, "CCC")
    assert ids["a1"] in _iris(ccc)  # actions come with their form
    with pytest.raises(InputError):
        country_view(analysis, "ZZZ")


def test_partner_view_by_hand(hostile):
    analysis, ids = hostile
    view = partner_view(analysis, IMG)
    assert _iris(view) == {ids[k] for k in ("P", "d1", "d2", "d3", "Q", "R", "AAA", "BBB")}


def test_find_partner():
    portfolio, ids = tiny_portfolio(p_label="Ministry of Health", q_label="Ministry of Finance")
    analysis = analyse(portfolio.store())
    assert find_partner(analysis, "ministry of health") == ids["P"]
    assert find_partner(analysis, "finance") == ids["Q"]
    with pytest.raises(InputError, match="2 partners match"):
        find_partner(analysis, "ministry")
    with pytest.raises(InputError, match="no partner"):
        find_partner(analysis, "nobody")


def test_large_views_switch_physics_off():
    portfolio = TinyPortfolio()
    country = portfolio.country("AAA", "Aland")
    doc = portfolio.doc("big.md", [country], [])
    for i in range(PHYSICS_MAX_NODES + 5):
        portfolio.partnership(doc, portfolio.org(f"o{i}", f"Org {i}"))
    view = portfolio_view(analyse(portfolio.store()))
    assert not view.physics
    options = _payload(render_html(view))["options"]
    assert options["physics"]["enabled"] is False and options["layout"]["improvedLayout"] is False
    assert options["edges"]["smooth"] is False


def test_rendering_is_deterministic(hostile, tmp_path):
    analysis, _ids = hostile
    a = write_html(portfolio_view(analysis), tmp_path / "a.html").read_bytes()
    b = write_html(portfolio_view(analysis), tmp_path / "b.html").read_bytes()
    assert a == b


@pytest.mark.slow
def test_viz_command_writes_the_three_views(tmp_path):
    from kg.build import build

    out = tmp_path / "out"
    build([EXAMPLES], out, jobs=1)
    html = (out / "ecosystem.html").read_text(encoding="utf-8")
    assert remote_references(html) == []
    for extra in ((), ("--country", "TUR"), ("--partner", "Selçuk University Faculty of Agriculture")):
        target = tmp_path / f"view{len(extra)}.html"
        result = subprocess.run(
            [sys.executable, "-m", "kg", "viz", "--graph", str(out), *extra, "-o", str(target)],
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
        assert result.returncode == 0, result.stderr
        assert remote_references(target.read_text(encoding="utf-8")) == []
    bad = subprocess.run(
        [sys.executable, "-m", "kg", "viz", "--graph", str(out), "--country", "ZZZ", "-o", str(tmp_path / "x.html")],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert bad.returncode == 2 and "Traceback" not in bad.stderr


# --------------------------------------------------------------------------
# in a real browser


def dump_dom(page: Path, profile: Path, budget_ms: int = 15000) -> str:
    """Load ``page`` from a file in headless Chromium, offline; the DOM after ``budget_ms`` of virtual time."""
    binary = chromium()
    if binary is None:
        pytest.skip("Chromium is not installed")
    command = [
        binary,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--proxy-server=127.0.0.1:9",
        f"--user-data-dir={profile}",
        "--window-size=1200,800",
        f"--virtual-time-budget={budget_ms}",
        "--dump-dom",
        page.resolve().as_uri(),
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    return result.stdout


def _tags(dom: str) -> Counter:
    """How many elements of each tag the DOM holds (attribute values and script text are not tags)."""

    class Counting(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.tags: Counter = Counter()

        def handle_starttag(self, tag, attrs) -> None:
            self.tags[tag] += 1

    parser = Counting()
    parser.feed(dom)
    return parser.tags


def _root_attributes(dom: str) -> dict[str, str]:
    match = re.search(r"<html([^>]*)>", dom)
    assert match, dom[:300]
    return dict(re.findall(r'([\w-]+)="([^"]*)"', match.group(1)))


def _drawn_dom(page: Path, tmp_path: Path) -> tuple[str, dict[str, str]]:
    for attempt in range(3):  # a loaded CI machine may need a second try to draw
        dom = dump_dom(page, tmp_path / f"profile{attempt}")
        attributes = _root_attributes(dom)
        if attributes.get("data-drawn") == "1":
            break
    return dom, attributes


@pytest.mark.slow
def test_chromium_draws_the_page_and_hostile_labels_stay_text(hostile, tmp_path):
    analysis, _ids = hostile
    page = write_html(portfolio_view(analysis), tmp_path / "hostile.html")
    dom, attributes = _drawn_dom(page, tmp_path)
    assert attributes.get("data-drawn") == "1", attributes
    assert re.fullmatch(r"[1-9]\d*x[1-9]\d*", attributes.get("data-canvas", "")), attributes
    assert "data-js-errors" not in attributes, re.search(r'<pre id="kg-errors"[^>]*>(.*?)</pre>', dom, re.S)
    assert "data-pwned" not in attributes  # the markers' script never ran
    assert "<canvas" in dom
    # No element was injected: the page has no <img> and its own four scripts only.
    tags = _tags(dom)
    assert tags["img"] == 0 and tags["script"] == 4, tags
    # The hostile names are there as inert text (the search list).
    assert "&lt;img src=x onerror=alert(1)&gt;" in dom
    assert "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in dom


@pytest.mark.slow
def test_chromium_draws_a_large_view_without_physics(tmp_path):
    portfolio = TinyPortfolio()
    countries = [portfolio.country(f"C{i:02d}", f"Country {i}") for i in range(20)]
    for d in range(60):
        doc = portfolio.doc(f"f{d}.md", [countries[d % 20]], [])
        for j in range(10):
            portfolio.partnership(doc, portfolio.org(f"o{(d * 7 + j * 13) % 400}", f"Org {(d * 7 + j * 13) % 400}"))
    view = portfolio_view(analyse(portfolio.store()))
    assert len(view.nodes) > 400 and not view.physics
    page = write_html(view, tmp_path / "large.html")
    _dom, attributes = _drawn_dom(page, tmp_path)
    assert attributes.get("data-drawn") == "1", attributes
    assert "data-js-errors" not in attributes
    assert attributes["data-nodes"] == str(len(view.nodes))


# --------------------------------------------------------------------------
# provenance: where each partnership was read


def test_quote_of_keeps_the_line_naming_the_partner():
    answer = "We worked with two partners.\n\nThe Ministry of Health gave data.\nACME   Ltd built the app."
    assert quote_of(answer, "acme ltd") == "ACME Ltd built the app."
    assert quote_of(answer, "ministry of HEALTH") == "The Ministry of Health gave data."
    assert quote_of(answer, "Nobody") == "We worked with two partners."
    assert quote_of("", "Nobody") == "" and quote_of("\n \n", "") == ""


def test_quote_of_cuts_a_long_line_around_the_name():
    # w000 ... w099, five characters apart; "Target Org" in place of w050 starts at 250, the line is 505 long.
    line = " ".join("Target Org" if i == 50 else f"w{i:03d}" for i in range(100))
    # 200 characters from 250 - 50 = 200, moved on to the next word (w041 at 205) and back to the
    # last whole word before 400 (w077 ends at 394).
    kept = [f"w{i:03d}" for i in range(41, 50)] + ["Target Org"] + [f"w{i:03d}" for i in range(51, 78)]
    assert quote_of(line, "target org") == "\u2026" + " ".join(kept) + "\u2026"
    # At the start of the line nothing is cut before it.
    assert quote_of(line, "w000") == " ".join(f"w{i:03d}" for i in range(40)) + "\u2026"


def test_form_folders_are_the_folders_before_the_display_paths(tmp_path):
    inputs = [
        (tmp_path / "forms" / "a.md", "a.md"),
        (tmp_path / "forms" / "sub" / "b.md", "sub/b.md"),
        (tmp_path / "more" / "c.md", "c.md"),
    ]
    assert form_folders(inputs, tmp_path / "out") == ["../forms", "../more"]
    assert form_folders(inputs[:1], tmp_path / "forms") == ["."]


def test_form_hrefs_are_relative_to_the_page_and_encoded(tmp_path):
    forms = tmp_path / "forms"
    forms.mkdir()
    for name in ("a b#1.md", "x.md", "javascript:alert(1).md"):
        (forms / name).write_text("# form\n", encoding="utf-8")
    files = FormFiles((tmp_path / "elsewhere", forms))
    found = files.hrefs(["a b#1.md", "x.md", "gone.md", "javascript:alert(1).md"], tmp_path / "out")
    assert found == {
        "a b#1.md": "../forms/a%20b%231.md",
        "x.md": "../forms/x.md",
        "javascript:alert(1).md": "../forms/javascript%3Aalert%281%29.md",
    }
    assert files.hrefs(["x.md", "javascript:alert(1).md"], forms) == {
        "x.md": "./x.md",
        "javascript:alert(1).md": "./javascript%3Aalert%281%29.md",
    }


def test_form_files_are_read_from_the_manifest(tmp_path):
    def manifest(privacy) -> Path:
        (tmp_path / "manifest.json").write_text(json.dumps({"summary": {"privacy": privacy}}), encoding="utf-8")
        return tmp_path

    assert form_files(tmp_path) is None  # no manifest
    assert form_files(manifest({"pseudonymised": True, "found_by_rule": {}})) is None
    assert form_files(manifest({"pseudonymised": False, "forms": ["../forms"]})) == FormFiles((tmp_path / "../forms",))
    assert form_files(manifest({"pseudonymised": False})) == FormFiles(())


def _read_from(portfolio: TinyPortfolio, partnership: str, doc: str, line: int, question: str, surface: str) -> None:
    """Give a hand-made partnership the line, question and surface form kg.graph writes."""
    integer = ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")
    portfolio.add(partnership, PKG + "line", ox.Literal(str(line), datatype=integer), doc)
    portfolio.add(partnership, PKG + "evidenceQuestion", ox.Literal(question), doc)
    portfolio.add(partnership, PKG + "surfaceForm", ox.Literal(surface), doc)


def _item(portfolio: TinyPortfolio, doc: str, number: int, line: int, question: str, answer: str) -> None:
    """A form's question and answer as kg.graph writes them (pkg:QuestionAnswer)."""
    node = doc.replace("/doc/", "/item/") + f"/{number}"
    integer = ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")
    portfolio.add(node, "http://www.w3.org/1999/02/22-rdf-syntax-ns#type", PKG + "QuestionAnswer", doc)
    portfolio.add(node, PKG + "document", doc, doc)
    portfolio.add(node, PKG + "line", ox.Literal(str(line), datatype=integer), doc)
    portfolio.add(node, PKG + "question", ox.Literal(question), doc)
    if answer:
        portfolio.add(node, PKG + "answer", ox.Literal(answer), doc)


NAME_Q = "Please state the name of the partner:"


@pytest.fixture(scope="module")
def read_from():
    """The tiny portfolio, d1's and d3's partnerships with where they were read.

    d1 asks NAME_Q twice (a repeated group): P at line 12 is read from the
    answer at line 10, Q at line 22 from the one at line 20. d3 names P and
    R in one answer, at line 31 after the question at line 30, and R's
    line quotes a hostile string. d2's partnership of P has no provenance.
    """
    portfolio, ids = tiny_portfolio(p_label="Ministry P", q_label="University Q")
    short = {iri: key for key, iri in ids.items()}
    facts: dict[str, dict[str, str]] = {}
    for quad in portfolio.quads:
        if quad.predicate.value in (PKG + "document", PKG + "partner"):
            facts.setdefault(quad.subject.value, {})[quad.predicate.value] = short.get(quad.object.value, "")
    by = {(f[PKG + "document"], f[PKG + "partner"]): p for p, f in facts.items() if PKG + "partner" in f}
    _read_from(portfolio, by[("d1", "P")], ids["d1"], 12, NAME_Q, "Ministry P")
    _read_from(portfolio, by[("d1", "Q")], ids["d1"], 22, NAME_Q, "University Q")
    _read_from(portfolio, by[("d3", "P")], ids["d3"], 31, "Who did you work with?", "Ministry P")
    _read_from(portfolio, by[("d3", "R")], ids["d3"], 31, "Who did you work with?", "R")
    _item(portfolio, ids["d1"], 1, 10, NAME_Q, "Ministry P")
    _item(portfolio, ids["d1"], 2, 20, NAME_Q, "University Q\n(since 2021)")
    _item(portfolio, ids["d1"], 3, 30, "Anything else?", "Ministry P again")
    _item(portfolio, ids["d3"], 1, 30, "Who did you work with?", "Ministry P and R: " + IMG)
    return analyse(portfolio.store()), ids, by


def test_provenance_is_the_answer_asked_last_before_the_line(read_from):
    analysis, _ids, by = read_from
    provenance = analysis.projections.provenance
    assert provenance[by[("d1", "P")]] == {
        "line": 12,
        "question": NAME_Q,
        "surface": "Ministry P",
        "answer": "Ministry P",
    }
    assert provenance[by[("d1", "Q")]]["answer"] == "University Q\n(since 2021)"
    assert provenance[by[("d3", "R")]]["answer"] == "Ministry P and R: " + IMG
    assert by[("d2", "P")] not in provenance and len(provenance) == 4


def _row(view, row: list) -> list:
    """A row of ``view.partnerships`` in words: [form, line, question, quote] (None where not known)."""
    source, line, question, quote = row[:4]
    pick = lambda table, i: table[i] if i >= 0 else None  # noqa: E731
    return [pick(view.sources, source), line, pick(view.questions, question), pick(view.quotes, quote)]


def test_partners_and_their_links_carry_their_partnerships(read_from):
    analysis, ids, _by = read_from
    view = portfolio_view(analysis)
    node = {n["iri"]: n for n in view.nodes}
    # The table lists partnerships by IRI; P's three partnerships are d1's, d2's and d3's.
    table = [_row(view, row) for row in view.partnerships]
    p_rows = sorted(table[i][:2] for i in node[ids["P"]]["pv"])
    assert p_rows == [["d1.md", 12], ["d2.md", 0], ["d3.md", 31]]
    assert table[node[ids["P"]]["pv"][0]][2:] == [NAME_Q, "Ministry P"]
    r_row = table[node[ids["R"]]["pv"][0]]
    assert r_row == ["d3.md", 31, "Who did you work with?", "Ministry P and R: " + IMG]
    # Country links carry the partnerships in that country's forms: P in AAA (d1, d2), in BBB (d3).
    index = {n["id"]: n["iri"] for n in view.nodes}
    links = {(index[e["from"]], index[e["to"]]): e for e in view.edges}
    aaa_p = links.get((ids["AAA"], ids["P"])) or links[(ids["P"], ids["AAA"])]
    bbb_p = links.get((ids["BBB"], ids["P"])) or links[(ids["P"], ids["BBB"])]
    assert sorted(table[i][0] for i in aaa_p["pv"]) == ["d1.md", "d2.md"]
    assert [table[i][0] for i in bbb_p["pv"]] == ["d3.md"]
    # A country's view stands for the country's forms only: P is d1's and d2's there.
    aaa = country_view(analysis, "AAA")
    p_node = next(n for n in aaa.nodes if n["iri"] == ids["P"])
    assert sorted(aaa.sources[aaa.partnerships[i][0]] for i in p_node["pv"]) == ["d1.md", "d2.md"]


@pytest.fixture(scope="module")
def example_builds(tmp_path_factory) -> Path:
    """The examples built under one folder: ``out`` (pseudonymised), ``personal`` (personal data kept) and
    ``personal-pipeline`` (the same by :func:`kg.pipeline.run`)."""
    from kg import pipeline
    from kg.build import build
    from kg.privacy import Pseudonymiser

    root = tmp_path_factory.mktemp("examples")
    build([EXAMPLES], root / "out", jobs=1)
    build([EXAMPLES], root / "personal", jobs=1, pseudonymiser=Pseudonymiser(enabled=False))
    pipeline.run([EXAMPLES], pipeline.Options(root / "personal-pipeline", Pseudonymiser(enabled=False)))
    return root


_NODE_NAMED = "(name => kg.nodes.get().filter(n => n.savedTitle.split('\\n')[0] === name)[0].id)"


@pytest.mark.slow
def test_the_examples_partners_are_read_from_their_own_answers(example_builds):
    from kg.analyse import analyse_build

    provenance = analyse_build(example_builds / "out").projections.provenance
    found = {row["surface"]: row for row in provenance.values()}
    # youth_employment_learning_plan.md asks the name question at lines 116, 166 and 216 (a repeated group).
    assert found["State Department for Youth Affairs"] == {
        "line": 120,
        "question": NAME_Q,
        "surface": "State Department for Youth Affairs",
        "answer": "State Department for Youth Affairs",
    }
    assert found["Strathmore University"]["line"] == 170
    assert found["Strathmore University"]["answer"] == "Strathmore University, Kenyatta University"
    manifest = json.loads((example_builds / "personal" / "manifest.json").read_text(encoding="utf-8"))
    folder = Path(manifest["summary"]["privacy"]["forms"][0])
    assert manifest["summary"]["privacy"]["pseudonymised"] is False
    assert (example_builds / "personal" / folder).resolve() == EXAMPLES.resolve()
    # A page drawn elsewhere from that build (as kg viz draws it) links the same forms, relative to itself.
    from kg.analyse import analyse_build as analysed

    page = write_html(
        country_view(analysed(example_builds / "personal"), "KEN"),
        example_builds / "pages" / "kenya.html",
        form_files(example_builds / "personal"),
    )
    forms = dict(_payload(page.read_text(encoding="utf-8"))["forms"])
    assert (page.parent / unquote(forms["youth_employment_learning_plan.md"])).resolve() == (
        EXAMPLES / "youth_employment_learning_plan.md"
    ).resolve()
    # Both ways of building write the same page, links and all (the two folders lie side by side).
    pages = [(example_builds / out / "ecosystem.html").read_bytes() for out in ("personal", "personal-pipeline")]
    assert pages[0] == pages[1]
    assert (
        f'["youth_employment_learning_plan.md","{folder.as_posix()}/youth_employment_learning_plan.md"]'
        in pages[0].decode()
    )


@pytest.mark.slow
def test_chromium_shows_where_a_partner_was_read_and_links_it_only_with_personal_data(example_builds, browser):
    form = "youth_employment_learning_plan.md"
    for build, linked in (("out", False), ("personal", True)):
        page = example_builds / build / "ecosystem.html"
        tab = browser.open(page.as_uri())
        try:
            tab.evaluate(f"kg.select('node', {_NODE_NAMED}('Strathmore University'))")
            text = tab.evaluate("document.getElementById('kg-info').innerText")
            assert f"{form}, line 170\n{NAME_Q}\n\u201cStrathmore University, Kenyatta University\u201d" in text
            hrefs = tab.evaluate("[...document.querySelectorAll('#kg-info a')].map(a => a.getAttribute('href'))")
            if linked:
                (href,) = hrefs
                target = urlparse(urljoin(page.as_uri(), href))
                assert Path(unquote(target.path)).resolve() == (EXAMPLES / form).resolve() and target.fragment == "L170"
                assert "pseudonymised" not in text
            else:
                assert hrefs == [] and "Quotes are pseudonymised" in text
            assert tab.errors() == [] and tab.requests() == [page.as_uri()]
        finally:
            tab.close()


@pytest.mark.slow
def test_a_person_an_example_names_in_prose_is_quoted_only_in_the_personal_build(example_builds):
    # informal_waste_pickers___closing_form.md, line 90: "... whose president, Rosa Mamani Quispe, co-led ..."
    for build, shown in (("out", False), ("personal", True)):
        for name in ("graph.ttl", "ecosystem.html"):
            text = (example_builds / build / name).read_text(encoding="utf-8")
            assert ("Mamani Quispe" in text) is shown, (build, name)


@pytest.mark.slow
def test_chromium_shows_a_hostile_quote_as_text(read_from, browser, tmp_path):
    analysis, _ids, _by = read_from
    page = write_html(portfolio_view(analysis), tmp_path / "quotes.html")
    tab = browser.open(page.as_uri())
    try:
        tab.evaluate(f"kg.select('node', {_NODE_NAMED}('R'))")
        assert tab.evaluate("document.getElementById('kg-info').innerText").endswith(
            f"d3.md, line 31\nWho did you work with?\n\u201cMinistry P and R: {IMG}\u201d\n\n"
            "Quotes are pseudonymised; forms are linked only in builds that keep personal data."
        )
        assert tab.evaluate("document.querySelectorAll('img').length") == 0
        edge = tab.evaluate("kg.edges.get().filter(e => e.pv && e.pv.length === 1)[0].id")
        tab.evaluate(f"kg.select('edge', {edge})")
        assert "Read from 1 partnership" in tab.evaluate("document.getElementById('kg-info').innerText")
        assert tab.errors() == []
    finally:
        tab.close()


def _graph_keys(out: Path) -> dict[str, list[tuple[str, str, str, str]]]:
    """The quads of a build's graph.trig by named graph, as the engine keys them (terms' ``str``)."""
    found: dict[str, list[tuple[str, str, str, str]]] = {}
    for quad in ox.parse(path=str(out / "graph.trig"), format=ox.RdfFormat.TRIG):
        found.setdefault(str(quad.graph_name), []).append(
            (str(quad.subject), str(quad.predicate), str(quad.object), str(quad.graph_name))
        )
    return found


@pytest.mark.slow
def test_the_readable_store_keeps_what_the_provenance_query_reads(example_builds):
    """The build's analytics read a store of readable_keys: the query must answer there as over every quad."""
    from kg.analyse import QUERIES
    from kg.engine.keys import nquads
    from kg.engine.readable import EVIDENCE_READS, REPORT_READS, readable_keys, reads
    from kg.namespaces import PREFIX_IRIS

    graphs = _graph_keys(example_builds / "out")
    stores = []
    for keep in (lambda keys: keys, readable_keys):
        store = ox.Store()
        text = "".join(line for keys in graphs.values() for line in nquads(keep(keys)))
        store.bulk_load(text.encode("utf-8"), format=ox.RdfFormat.N_QUADS)
        stores.append(store)
    (query,) = [q for q in QUERIES if "pkg:evidenceQuestion" in q]
    rows = [
        sorted(
            tuple(str(r[v]) for v in ("p", "line", "question", "surface", "at", "answer"))
            for r in store.query(query, use_default_graph_as_union=True, prefixes=PREFIX_IRIS)
        )
        for store in stores
    ]
    assert rows[0] == rows[1] and len(rows[0]) >= 18  # the examples' 18 partnerships, each with its answer
    assert not EVIDENCE_READS & REPORT_READS  # the report reads none of them: it would miss what is dropped
    # The youth plan's graph: a changed answer changes what the analytics read only if a partner was read from it.
    form = next(g for g in graphs if g.endswith("youth_employment_learning_plan.md>"))
    keys = graphs[form]
    answer = f"<{PKG}answer>"
    partner_answer = next(k for k in keys if k[1] == answer and k[2] == '"State Department for Youth Affairs"')
    asked = f"<{PKG}question>"
    naming = next(
        k[0] for k in keys if k[1] == asked and k[2] == '"Please provide a name for your action learning plan."'
    )
    other_answer = next(k for k in keys if k[1] == answer and k[0] == naming)  # the plan's name: no partner in it
    for changed, counts in ((partner_answer, True), (other_answer, False)):
        edited = [(s, p, '"edited"' if (s, p, o, g) == changed else o, g) for s, p, o, g in keys]
        assert (reads(edited)[0] != reads(keys)[0]) is counts
    kept = readable_keys(keys)
    assert len([k for k in kept if k[1] == answer]) == 3  # the three answers to the repeated name question
