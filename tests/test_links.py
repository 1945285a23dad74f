"""kg.links: closing forms linked to the learning plans they close, on tiny hand-made forms."""

from __future__ import annotations

from collections import Counter

import pytest

from kg.extract import Action, CountryRef, Extraction, Partnership, extract
from kg.links import confidence, evidence, evidence_of, link_plans, stem_counts


def _form(path: str, family: str, title: str, year: int, country: str = "ECU", **facts) -> Extraction:
    doc = Extraction(path=path, sha256="", family=family, doc_type="", title=title, year=year)
    doc.countries = [CountryRef(country, country, country, 1)] if country else []
    doc.actions = [Action(i, name, 1) for i, name in enumerate(facts.get("actions", []), start=1)]
    doc.partnerships = [Partnership(name, 1, "q") for name in facts.get("partners", [])]
    doc.methods = [(name, 1) for name in facts.get("methods", [])]
    doc.focal_point = facts.get("focal", "")
    return doc


CLOSING = _form(
    "waste-closing.md", "closing_form_2023", "Waste pickers portfolio - closing form", 2023,
    actions=["Recycling app", "Savings groups"], partners=["Ministry of Environment", "Red Cross"],
    methods=["Co-creation"], focal="lab@example.org",
)
PLAN = _form(
    "waste-plan.md", "learning_plan", "Waste pickers portfolio", 2022,
    actions=["Recycling App", "Microcredit"], partners=["Ministry of Environment"],
    methods=["Co-creation", "Surveys"], focal="lab@example.org",
)
OTHER = _form("digital.md", "learning_plan", "Digital governance", 2022, actions=["Open data portal"],
              partners=["Ministry of Finance"], methods=["Surveys"])
LATER = _form("waste-2024.md", "learning_plan", "Waste pickers portfolio", 2024, actions=["Recycling app"])
ABROAD = _form("waste-peru.md", "learning_plan", "Waste pickers portfolio", 2022, country="PER",
               actions=["Recycling app"])


def test_the_evidence_a_reader_would_weigh_computed_by_hand() -> None:
    found = evidence(CLOSING, PLAN)
    # titles: {waste, pickers, portfolio} both ("closing", "form" are template words); one of two actions matches
    # ("Savings groups" matches neither "Recycling App" nor "Microcredit"); one of two partners; the one method
    assert found["title"] == 1.0 and found["actions"] == 0.5 and found["partners"] == 0.5 and found["methods"] == 1.0
    assert found["focal_point"] == 1.0 and found["same_year"] == 0.0
    assert 0.0 < found["text"] <= 1.0
    unrelated = evidence(CLOSING, OTHER)
    assert unrelated["title"] == unrelated["actions"] == unrelated["partners"] == unrelated["methods"] == 0.0
    assert unrelated["focal_point"] == 0.0  # the plan gives no focal point
    assert unrelated["text"] == unrelated["stems"] == 0.0  # no word in common: "digital governance", "open data"...
    both = evidence_of([CLOSING, PLAN, OTHER])  # with the leads over the other candidate
    assert confidence(both[("waste-closing.md", "waste-plan.md")]) > 0.5 > confidence(both[("waste-closing.md", "digital.md")])


def test_titles_that_differ_only_by_their_year_are_not_the_same_title() -> None:
    later = _form("plan-2023.md", "learning_plan", "Action plan 2023 - Renewable energies", 2023)
    closing = _form("closing.md", "closing_form_2021", "Closing action plan 2022 - Renewable energies", 2023)
    plan = _form("plan-2022.md", "learning_plan", "Action plan 2022 - Renewable energies", 2023)
    # words {renewable, energies} shared by all three ("action plan", "closing" are template words); 2022 or 2023
    assert evidence(closing, plan)["title"] == 1.0
    assert evidence(closing, later)["title"] == 2 / 4  # {renewable, energies} of {renewable, energies, 2022, 2023}


def test_stems_meet_a_word_s_forms_and_cognates_across_languages() -> None:
    spanish = stem_counts(Counter({"financiacion": 2, "innovadora": 1, "desarrollo": 1}))
    english = stem_counts(Counter({"financing": 1, "innovative": 3, "development": 1}))
    assert spanish == Counter({"finan": 2, "innov": 1, "desar": 1})
    assert set(spanish) & set(english) == {"finan", "innov"}


def test_a_closing_form_is_linked_to_its_plan_and_not_to_one_written_later_or_abroad() -> None:
    links = link_plans([LATER, ABROAD, OTHER, PLAN, CLOSING])
    assert [(link.closing, link.plan) for link in links] == [("waste-closing.md", "waste-plan.md")]
    assert dict(links[0].evidence)["title"] == 1.0 and links[0].confidence >= 0.5


@pytest.mark.parametrize("plans", [[OTHER], [LATER, ABROAD], []])
def test_a_closing_form_whose_plan_is_missing_closes_nothing(plans) -> None:
    assert link_plans([CLOSING, *plans]) == []


def test_a_closing_form_without_a_country_is_linked_to_nothing() -> None:
    lost = _form("lost.md", "closing_form_2021", "Waste pickers portfolio - closing form", 2023, country="",
                 actions=["Recycling app"])
    assert link_plans([lost, PLAN]) == []


def test_a_link_is_in_the_closing_form_s_graph_with_its_confidence_and_evidence_and_conforms() -> None:
    from rdflib import Graph, Literal
    from rdflib.namespace import PROV, RDF, XSD

    from kg.forms import parse_form
    from kg.graph import build_dataset, document_iri
    from kg.namespaces import PKG
    from kg.privacy import Pseudonymiser
    from kg.resolve import resolve
    from kg.validate import validate_graph

    head = "[[type:learningplan]]\n[[country:Bolivia]]\n"
    plan = parse_form(
        f"# Waste pickers portfolio\n\n{head}[[year:2022]]\n\n## Challenge\n\n> What is your frontier challenge?\n\n"
        "Waste pickers in El Alto earn little from the plastic bottles they collect and sort.\n",
        "waste-plan.md",
    )
    other = parse_form(
        f"# Digital government services\n\n{head}[[year:2022]]\n\n## Challenge\n\n> What is your frontier challenge?\n\n"
        "Citizens queue for days to renew an identity card at the civil registry.\n",
        "digital-plan.md",
    )
    closing = parse_form(
        f"# Waste pickers portfolio - closing form\n\n{head}[[year:2023]]\n\n## Learnings\n\n"
        "> What are the top key insights you generated about your learning challenge?\n\n"
        "Waste pickers in El Alto sold their sorted plastic bottles together and earned more.\n",
        "waste-closing.md",
    )
    docs = [extract(form, ner=False) for form in (plan, other, closing)]
    assert [doc.family for doc in docs] == ["learning_plan", "learning_plan", "closing_form_2023"]
    links = {link.closing: link for link in link_plans(docs)}
    assert list(links) == ["waste-closing.md"] and links["waste-closing.md"].plan == "waste-plan.md"

    dataset = build_dataset(docs, resolve(docs), Pseudonymiser(), links=links)
    closing_iri, plan_iri = document_iri("waste-closing.md"), document_iri("waste-plan.md")
    graph = dataset.graph(closing_iri)
    assert (closing_iri, PKG.closes, plan_iri) in graph
    node = graph.value(closing_iri, PROV.qualifiedInfluence)
    assert (node, RDF.type, PKG.ClosingLink) in graph and (node, PROV.influencer, plan_iri) in graph
    confidence = graph.value(node, PKG.confidence)
    assert confidence.datatype == XSD.decimal and float(confidence) == links["waste-closing.md"].confidence
    assert "title 1.00" in str(graph.value(node, PKG.evidence))  # the same title words, once "closing form" is left out
    assert graph.value(node, PKG.evidence) == Literal(str(graph.value(node, PKG.evidence)))
    union = Graph()
    for s, p, o, _g in dataset.quads():
        union.add((s, p, o))
    report = validate_graph(union)
    assert report.conforms, report.violations
