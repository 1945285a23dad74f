"""kg.links: closing forms linked to the learning plans they close, on tiny hand-made forms."""

from __future__ import annotations

import pytest

from kg.extract import Action, CountryRef, Extraction, Partnership
from kg.links import confidence, evidence, link_plans


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
    assert confidence(found) > 0.5 > confidence(unrelated)


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
