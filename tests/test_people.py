"""People named outside personal questions (kg.people): hand-written lines, then real forms of ../shared/corpus."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from kg.people import Found, email_name, people_in
from kg.privacy import is_personal_question


@dataclass
class Line:
    text: str
    kind: str = "text"


@dataclass
class Item:
    question: str
    texts: list[str]

    def content_lines(self) -> list[Line]:
        return [Line(text) for text in self.texts]


@dataclass
class Doc:
    title: str = "A form"
    sections: list[str] = field(default_factory=list)
    items: list[Item] = field(default_factory=list)
    focal_point: str = ""


def found(doc: Doc) -> list[tuple[str, str]]:
    return [(f.rule, f.value) for f in people_in(doc, is_personal_question)]


def prose(*texts: str) -> Doc:
    return Doc(items=[Item("What happened?", list(texts))])


def test_a_labelled_heading_gives_each_of_its_names():
    doc = Doc(sections=["", "Solution holder: Rabee Zureikat and Lama Al Khatib", "Solution holders: Ana Ruiz / Leo Paz"])
    assert found(doc) == [
        ("labelled-heading", "Rabee Zureikat"),
        ("labelled-heading", "Lama Al Khatib"),
        ("labelled-heading", "Ana Ruiz"),
        ("labelled-heading", "Leo Paz"),
    ]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Auteur : Jean-Pierre Dupont", ["Jean-Pierre Dupont"]),
        ("Contacto: Sra. Tania Sánchez; +593 99 123 4567", ["Tania Sánchez", "+593 99 123 4567"]),
        ("**Innovator:** Nchimunya Munyama", ["Nchimunya Munyama"]),
        ("Contact: 691 926 657", ["691 926 657"]),
        ("Contact:  Sanoussi, ONG Garkuwa", []),  # one word, and an organisation
        ("Innovators: Universidad Nacional Santiago Antúnez de Mayolo", []),  # an organisation
        ("Contact us for more information about the pilot", []),  # no colon: no label
    ],
)
def test_a_labelled_line_gives_its_names_and_phones(line, expected):
    assert [value for _rule, value in found(prose(line))] == expected


def test_written_by_and_a_role_beside_a_name():
    doc = prose(
        "The findings are in a blog post authored by Professor Vladimir Nikitovic and our Head of Exploration, "
        "Drasko Draskovic. The post discusses them.",
        "This was hard for the team (Kapi Capistrano, Head of Experimentation, tried to fill in).",
    )
    assert found(doc) == [
        ("by-line", "Vladimir Nikitovic"),
        ("role-line", "Drasko Draskovic"),
        ("role-line", "Kapi Capistrano"),
    ]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("We worked with the Asociación Manos Verdes, whose president, Rosa Mamani Quispe, co-led the pilot.",
         "Rosa Mamani Quispe"),
        ("La alcaldesa, Carmen Rojas Paz, abrió la feria.", "Carmen Rojas Paz"),
        ("Le projet a été présenté par notre coordinatrice, Awa Diallo, au ministère.", "Awa Diallo"),
        ("Ivanna Feldfeber, co-founder of the data collective, joined the panel.", "Ivanna Feldfeber"),
    ],
)
def test_an_office_right_before_or_after_a_name_with_a_comma(line, expected):
    assert found(prose(line)) == [("role-line", expected)]


@pytest.mark.parametrize(
    "line",
    [
        "A direct invitation was made to Her Excellency, President of the Republic, to open the forum.",
        "We met the director, Ministry of Environment staff and the mayor, and agreed on a pilot.",
        "Tunantal ha sido elaborado por Vivero de Iniciativas Ciudadanas (VIC), en el marco de un proyecto",
        "El manual fue elaborado por la Fundación Juan de Salazar.",
        "The report was written by the Ministry of Health and partners.",
        "Based on discussions with the head of the National Gender Commission, UNDP proposed a pilot.",
        "There are many books written by African and Zambian authors.",
    ],
)
def test_organisations_and_prose_give_no_name(line):
    assert found(prose(line)) == []


def test_the_focal_points_address_spells_a_name_even_unwritten():
    doc = Doc(title="Paula Mosera", focal_point="paula.mosera@undp.org")
    assert found(doc) == [("focal-point-name", "Paula Mosera")]


def test_an_address_finds_the_accented_spelling_of_its_name():
    texts = ["We met Aníbal Cárdenas and ANÍBAL CÁRDENAS again."]
    assert email_name("anibal.cardenas@undp.org", texts, own=True) == [
        "Anibal Cardenas", "Aníbal Cárdenas", "ANÍBAL CÁRDENAS"]  # fmt: skip


def test_a_one_word_address_is_read_only_when_one_name_spells_it():
    assert email_name("agupta@undp.org", ["Meeting with Anil Gupta."], own=True) == ["Anil Gupta"]
    assert email_name("agupta@undp.org", ["Anil Gupta met Asha Gupta."], own=True) == []
    assert email_name("cristiangils@gmail.com", ["by Cristian Gils"], own=True) == ["Cristian Gils"]
    assert email_name("cristiangils@gmail.com", ["by Cristian Gils"], own=False) == []  # only the focal point's


def test_other_addresses_count_only_where_a_person_is_asked_for():
    in_prose = prose("Write to María López (maria.lopez@example.org) for the data.")
    assert found(in_prose) == []
    asked = Doc(items=[Item("Contact details of the innovator", ["María López, maria.lopez@example.org"])])
    assert ("email-name", "María López") in found(asked)
    shared = Doc(items=[Item("Contact details of the innovator", ["Info Desk, info.desk@example.org"])])
    assert found(shared) == []  # a shared mailbox spells nobody


def test_found_values_are_unique_per_rule():
    doc = prose("Contact: Swetha Kolluri, Head of Experimentation, Accelerator Lab India for further queries.")
    assert found(doc) == [("labelled-line", "Swetha Kolluri"), ("role-line", "Swetha Kolluri")]
    assert people_in(doc)[0] == Found("labelled-line", "Swetha Kolluri")


# --- real forms (skipped without ../shared/corpus) ----------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("adventure___challenge_forest_camp.md", ("labelled-heading", "Thaer Ayyash")),
        ("paula_mosera.md", ("focal-point-name", "Paula Mosera")),
        ("geoai_platform_for_monitoring_air_pollution_hotspots.md", ("labelled-line", "Swetha Kolluri")),
        (
            "unraveling_the_big_bet__tackling_depopulation_in_serbia_through_a_data_challenge.md",
            ("role-line", "Drasko Draskovic"),
        ),
    ],
)
def test_real_forms_name_their_people(corpus_form, name, expected):
    form = corpus_form(name)
    focal = form.tag_values("focal_point")
    doc = Doc(form.title, [s.title for s in form.sections], form.items, focal[0].value if focal else "")
    assert expected in found(doc)


def test_a_real_organisation_given_as_solution_holder_is_no_person_elsewhere(corpus_form):
    """Practical Action answers "name of the solution holder": it is replaced there, by the question's rule,
    but no rule of kg.people takes it for a person in the form's prose."""
    form = corpus_form("proliferating_clean_cookstoves_in_bangladesh.md")
    doc = Doc(form.title, [s.title for s in form.sections], form.items)
    assert all("Practical Action" not in value for _rule, value in found(doc))
