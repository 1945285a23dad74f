"""The years of a partnership: its form's year, or the span of years its timeline answer gives (kg.extract, kg.graph).

A partnership is active from ``pkg:fromYear`` to ``pkg:toYear``: both the form's ``[[year:...]]`` normally, the first
and last year a timeline answer names where it names two different ones ("November 2021 - January 2022").
"""

from __future__ import annotations

import pytest

from kg.extract import extract, year_span
from kg.forms import parse_form

PARTNERS = "> Please list the names of partners mentioned in the previous question:\n\nMinistry of Health, Red Cross\n"


def _form(answer: str | None, year: str | None = "2022", question: str = "What is the timeline of the experimental "
          "activity? (Months/Days)", more: str = ""):  # fmt: skip
    """An experiment form of Kenya with the given timeline answer (none when ``answer`` is None) and two partners."""
    head = "# Testing a chatbot\n\n[[type:experiment]]\n[[country:Kenya]]\n" + (f"[[year:{year}]]\n" if year else "")
    timeline = f"> {question}\n\n{answer}\n\n" if answer is not None else ""
    return parse_form(f"{head}\n## Overview\n\n{timeline}{more}{PARTNERS}", "chatbot.md")


@pytest.mark.parametrize(
    ("answer", "span"),
    [
        ("November 2021 - January 2022", (2021, 2022)),  # two years: the span
        ("From August 2020 to August 2021.", (2020, 2021)),
        ("2020-2023, continuing cooperation", (2020, 2023)),
        ("11/11/2021 - 16/6/2022", (2021, 2022)),  # years inside dates count
        ("Preparation in 2019, the pilot in 2020, results in 2021", (2019, 2021)),  # the first to the last
        ("From May to November 2023", None),  # one year: the form's year
        ("Apr 2021 to Jan 2021", None),  # the same year twice
        ("Planned for 2023, it ran in 2022", None),  # the last before the first: not a span
        ("From 2010 to 2012", None),  # before 2015: not a year of the archive's activities
        ("Since 1999, and again in 2021", None),  # one plausible year only
        ("6 months, 2000 participants in 2021", None),  # 2000 is no plausible year
        ("3 months", None),
    ],
)
def test_the_span_a_timeline_answer_gives(answer, span):
    form = _form(answer)
    assert year_span(form) == span
    doc = extract(form, ner=False)
    assert doc.year == 2022 and doc.year_span == span
    assert doc.years == (span or (2022, 2022))


def test_only_a_timeline_question_gives_a_span():
    on_date = _form("10/01/2024 (experiment completed on 1/06/2021)", question="On date (Day/Month/Year)")
    assert year_span(on_date) is None
    other = "From design to results, how long did this activity take? (Time in months)"
    assert year_span(_form("12 months, from July 2020 to June 2021", question=other)) == (2020, 2021)
    assert year_span(_form("2020 - 2021", question="What was the total time it took to implement")) == (2020, 2021)


def test_the_first_timeline_answer_that_gives_a_span_wins():
    second = "> From design to results, how long did this activity take?\n\nFrom 2020 August to 2021 July\n\n"
    assert year_span(_form("From January-2021 to July 2021", more=second)) == (2020, 2021)
    third = "> What was the total time it took to implement\n\n2022 - 2024\n\n"
    assert year_span(_form("November 2021 - January 2022", more=third)) == (2021, 2022)


def test_a_form_without_a_year_gives_no_year():
    doc = extract(_form(None, year=None), ner=False)
    assert doc.year is None and doc.year_span is None and doc.years is None


def _union(docs):
    """The union of the named graphs kg.graph makes of ``docs``, as rdflib Graph."""
    from rdflib import Graph

    from kg.graph import build_dataset
    from kg.privacy import Pseudonymiser
    from kg.resolve import resolve

    union = Graph()
    for s, p, o, _g in build_dataset(docs, resolve(docs), Pseudonymiser()).quads():
        union.add((s, p, o))
    return union


def _extracted(**forms):
    """The extractions of ``forms`` (name -> form), each read from ``name.md``."""
    docs = []
    for name, form in forms.items():
        form.path = f"{name}.md"
        docs.append(extract(form, ner=False))
    assert [len(doc.partnerships) for doc in docs] == [2] * len(forms)  # the Ministry of Health and the Red Cross
    return docs


def test_the_partnerships_carry_their_years_in_the_graph_and_conform():
    from rdflib import Literal
    from rdflib.namespace import DCTERMS, XSD

    from kg.namespaces import PKG
    from kg.validate import validate_graph

    docs = _extracted(
        range=_form("November 2021 - January 2022"), year=_form("3 months", year="2023"), none=_form(None, year=None)
    )
    union = _union(docs)
    years: dict[str, set] = {}
    for partnership in union.subjects(PKG.partner, None):
        source = str(union.value(union.value(partnership, PKG.document), DCTERMS.source))
        span = (union.value(partnership, PKG.fromYear), union.value(partnership, PKG.toYear))
        years.setdefault(source, set()).add(span)
    gyear = {y: Literal(y, datatype=XSD.gYear) for y in ("2021", "2022", "2023")}
    assert years == {
        "range.md": {(gyear["2021"], gyear["2022"])},
        "year.md": {(gyear["2023"], gyear["2023"])},
        "none.md": {(None, None)},
    }
    report = validate_graph(union)
    assert report.conforms, report.violations


def test_the_shapes_want_both_years_or_neither_and_one_of_each():
    from rdflib import Literal
    from rdflib.namespace import XSD

    from kg.namespaces import PKG
    from kg.validate import validate_graph

    union = _union(_extracted(year=_form("3 months", year="2023")))
    one, two = sorted(union.subjects(PKG.partner, None))
    union.remove((one, PKG.toYear, None))  # a first year and no last
    union.add((two, PKG.toYear, Literal("2024", datatype=XSD.gYear)))  # two last years
    report = validate_graph(union)
    # the first breaks the "both or neither" sh:or (a result with no path), the second toYear's sh:maxCount
    assert {(v.focus, v.path) for v in report.violations} == {(str(one), ""), (str(two), str(PKG.toYear))}


def test_a_real_form_that_gives_a_range(corpus_form):
    # "What is the timeline of the experimental activity? (Months/Days)" -> "November 2021 - January 2022" (line 79);
    # the form is of 2022 (line 5).
    doc = extract(corpus_form("accessibility_of_websites_and_applications.md"), ner=False)
    assert doc.year == 2022 and doc.years == (2021, 2022)
    # "From May to November 2023, the project was carried out in several stages...": one year, so the form's (2024).
    doc = extract(corpus_form("ai__argentine_intelligence.md"), ner=False)
    assert doc.year_span is None and doc.years == (2024, 2024)
