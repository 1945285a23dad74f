"""Tests of :mod:`kg.questions`: partner questions by template wording and by meaning.

The template wordings are the archive's (counted in ../shared/corpus: "Please
state the name of the Parter:" 692 times, the experiments' list question 227
times); the other questions are wordings no template uses, in English, Spanish
and French, each read by hand for what it asks.
"""

from __future__ import annotations

import pytest

from kg.questions import free_sector_of, partner_question_kind


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("Please state the name of the Parter:", "name"),
        ("Please state the name of the partner:", "name"),
        ("Please list the names of partners mentioned in the previous question:", "list"),
        ("Who are your top 5 partners for this challenge? Please submit from most to least important", "top"),
        ("If applicable, what government partners (and related institutions) did you actually work with and what "
         "did you do with them?", "free-sector"),
        ("Relating to your answers above: who of the partners listed were new and unusual partners for UNDP, and "
         "what made them special?", "mention"),
    ],
)
def test_template_wordings(question, kind):
    assert partner_question_kind(question) == kind


@pytest.mark.parametrize(
    "question",
    [
        "Who did you collaborate with on this?",
        "Which organisations did you engage?",
        "Partners",
        "Key partners:",
        "¿Con qué socios trabajaron?",
        "Quels partenaires avez-vous impliqués ?",
        "Quem são os parceiros da iniciativa?",
        "Please indicate what partners you have actually worked with for this learning challenge.",
    ],
)
def test_other_wordings_count_by_meaning(question):
    assert partner_question_kind(question) == "meaning"


@pytest.mark.parametrize(
    "question",
    [
        "What sector does our partner belong to?",
        "Is this a new and unusual partner for UNDP?",
        "Please provide a brief description of the collaboration.",
        "Is this experiment planned to scale? How? With whom?",
        "Organization",  # a solution holder's own organisation, not a partner
        "Bonus question: how did the interplay of innovation methods, new forms of data and unusual partners enable "
        "you to learn",
        "Background: what is the history of your challenge? What is causing or driving it? Who is involved?",
        "What is the name of your solution?",
        # the respondent's own organisation, not its partners
        "Si representas a alguna organización ¿Cuáles son sus acciones clave y qué problema(s) buscan solucionar?",
        "Si estás llenando la encuesta como organización ¿Cuáles de estas categorías la define mejor?",
    ],
)
def test_questions_about_something_else_do_not_count(question):
    assert partner_question_kind(question) == ""


def test_free_sector_word():
    assert free_sector_of("If applicable, which UN internal partners did you actually work with and what did you do "
                          "with them?") == "un internal"
    assert free_sector_of("Please state the name of the Parter:") == ""
