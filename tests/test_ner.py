"""Tests of :mod:`kg.ner`: organisations found in prose by rules, the gazetteer and spaCy NER.

Sentences are hand-made in English, Spanish and French; the names expected in
each were decided by a person reading the sentence, never copied from the
code's output. Most tests use ``use_model=False`` (rules and gazetteer only);
the model tests skip when the spaCy model is not installed. Tests marked
``xfail(strict=True)`` show bugs.
"""

from __future__ import annotations

import pytest

from kg.ner import OrgSpan, find_organisations, gazetteer_spans, model_status


def found(text: str, use_model: bool = False) -> list[OrgSpan]:
    [spans] = find_organisations([text], use_model=use_model)
    for span in spans:  # offsets always point at the span's words
        assert text[span.start : span.end] == span.text
    return spans


def names(text: str, use_model: bool = False) -> list[str]:
    return [s.text for s in found(text, use_model)]


# ---------------------------------------------------------------------------
# Rules and gazetteer (no model)
# ---------------------------------------------------------------------------


def test_spanish_name_in_an_english_sentence_without_the_person():
    text = "We worked with the Asociación de Recicladoras Manos Verdes, whose president, Rosa Mamani Quispe, opened it."
    [span] = found(text)
    assert (span.text, span.source, span.acronym) == ("Asociación de Recicladoras Manos Verdes", "rule", "")
    assert span.start == text.index("Asociación")


def test_acronym_in_parentheses_after_the_name():
    text = "Trabajamos con la Universidad Mayor de San Andrés (UMSA) en La Paz."
    [span] = found(text)
    assert (span.text, span.acronym) == ("Universidad Mayor de San Andrés", "UMSA")


def test_two_ministries_joined_by_and_are_two_names():
    assert names("The Ministry of Labour and the Ministry of Health co-designed the pilot.") == [
        "Ministry of Labour", "Ministry of Health"]


def test_and_inside_one_name_does_not_split_it():
    assert names("The Ministry of Labour and Social Security hosted the workshop.") == [
        "Ministry of Labour and Social Security"]


def test_an_assessment_is_not_an_organisation():
    text = "We ran the Digital Readiness Assessment and the Ministry of Telecommunications joined later."
    assert names(text) == ["Ministry of Telecommunications"]


def test_gazetteer_hits_in_any_language():
    spans = found("We met UNCDF and ONU Mujeres in Quito.")
    assert [(s.text, s.source) for s in spans] == [("UNCDF", "gazetteer"), ("ONU Mujeres", "gazetteer")]


def test_spanish_sentence():
    text = "Trabajamos con la Fundación Avina y el Banco Mundial en la Secretaría de Educación del Distrito."
    assert names(text) == ["Fundación Avina", "Banco Mundial", "Secretaría de Educación del Distrito"]


def test_french_sentence():
    text = "Nous avons travaillé avec le Ministère de la Santé et la Fondation Orange à Dakar."
    assert names(text) == ["Ministère de la Santé", "Fondation Orange"]


def test_french_acronym():
    text = "Les étudiants de l'Université Cheikh Anta Diop (UCAD) ont participé."
    [span] = found(text)
    assert (span.text, span.acronym) == ("Université Cheikh Anta Diop", "UCAD")


def test_an_all_caps_heading_gives_nothing():
    assert names("LESSONS LEARNED FROM THE MINISTRY OF HEALTH PILOT") == []


@pytest.mark.parametrize(
    "text",
    [
        "We interviewed 40 farmers in three villages during the dry season.",
        "Nos reunimos con productores y vecinos del barrio durante la temporada seca.",
        "Nous avons interrogé des agriculteurs dans trois villages.",
        "The Ministry supported the project.",  # a generic word, no name
    ],
)
def test_sentences_without_organisations_give_nothing(text):
    assert names(text) == []


def test_french_elided_article_inside_a_name():
    text = "Nous avons travaillé avec le Ministère de l'Agriculture et la Fondation Orange."
    assert names(text) == ["Ministère de l'Agriculture", "Fondation Orange"]


@pytest.mark.parametrize("text", ["Le Ministère a soutenu le projet.", "La Fundación apoyó el proyecto."])
def test_french_and_spanish_generic_words_give_nothing(text):
    assert names(text) == []


def test_a_short_all_caps_heading_gives_nothing():
    assert names("PARTNER NETWORK") == []


# ---------------------------------------------------------------------------
# With the spaCy model
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def model() -> None:
    problem = model_status()
    if problem:
        pytest.skip(problem)


def test_model_finds_a_company_the_rules_miss(model):
    text = "EcoPlast Andina lent a baling press to the recyclers."
    assert names(text) == []
    spans = found(text, use_model=True)
    assert [(s.text, s.source, s.start) for s in spans] == [("EcoPlast Andina", "ner", 0)]


def test_model_does_not_return_a_person_introduced_by_a_role(model):
    # spaCy tags "Rosa Mamani Quispe" as ORG here; the person-context filter must drop it.
    text = "We worked with the Asociación de Recicladoras Manos Verdes, whose president, Rosa Mamani Quispe, opened it."
    assert names(text, use_model=True) == ["Asociación de Recicladoras Manos Verdes"]


def test_model_keeps_rule_and_gazetteer_spans(model):
    text = "We met UNCDF and ONU Mujeres. The Ministry of Health joined."
    assert [(s.text, s.source) for s in found(text, use_model=True)] == [
        ("UNCDF", "gazetteer"), ("ONU Mujeres", "gazetteer"), ("Ministry of Health", "rule")]


def test_model_drops_a_possessive(model):
    assert names("We borrowed EcoPlast Andina's baling press for a week.", use_model=True) == ["EcoPlast Andina"]


def test_model_sentence_without_organisations_gives_nothing(model):
    assert names("Farmers shared three pumps and kept a logbook of irrigation hours.", use_model=True) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Fiscalía (the first", "Fiscalía"),
        ("Horizontes (Local", "Horizontes"),
        ("Universidad Mayor de San Andrés (UMSA)", "Universidad Mayor de San Andrés (UMSA)"),
        ("Red FAVIVE)", "Red FAVIVE"),
        ("Fundación Pies (Descalzos) (Bogotá", "Fundación Pies (Descalzos)"),
    ],
)
def test_a_span_is_cut_at_its_first_unmatched_bracket(text, expected):
    from kg.vocab import cut_unbalanced

    assert cut_unbalanced(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("UNFPA- now training journalists", ["UNFPA"]),
        ("-UNICEF (lead)", ["UNICEF"]),
        ("UN-Habitat and the UN", ["UN-Habitat", "UN"]),
        ("UNDP-led teams and pre-UNICEF work", []),
    ],
)
def test_gazetteer_names_next_to_hyphens(text, expected):
    assert [span.text for span in gazetteer_spans(text)] == expected


def test_a_group_of_an_organisation_is_not_the_organisation():
    assert [s.text for s in gazetteer_spans("UN agencies and UNDP staff met UNICEF")] == ["UNICEF"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "extended to partners like the Ministry of Rural, Maritime Development and Disaster Management in Fiji.",
            ["Ministry of Rural, Maritime Development and Disaster Management"],
        ),
        ("We met the Ministry of Health, UNICEF and FAO.", "Ministry of Health"),
        ("with the Ministry of Youth, Sports and Culture and the Ministry of Health.",
         ["Ministry of Youth, Sports and Culture", "Ministry of Health"]),
    ],
)
def test_a_ministry_named_with_commas_is_one_span_unless_the_list_names_others(text, expected):
    found = [span.text for span in find_organisations([text], use_model=False)[0]]
    if isinstance(expected, str):
        assert found[0] == expected
    else:
        assert found == expected


def test_spacy_reads_only_sentences_that_may_name_an_organisation(monkeypatch):
    """A blank pipeline with an entity ruler stands in for the model: it sees the reduced text,
    and its entities come back at their offsets in the original text."""
    import spacy

    from kg import ner

    seen = []
    nlp = spacy.blank("en")
    nlp.add_pipe("entity_ruler").add_patterns(
        [{"label": "ORG", "pattern": "Kijani Trust"}, {"label": "ORG", "pattern": "Nuru"}]
    )
    original_pipe = nlp.pipe

    def pipe(texts, **kwargs):
        texts = list(texts)
        seen.extend(texts)
        return original_pipe(texts, **kwargs)

    monkeypatch.setattr(nlp, "pipe", pipe)
    monkeypatch.setattr(ner, "_load_model", lambda: nlp)
    text = "we met many groups. nuru was there. Then the Kijani Trust joined us. it went well."
    start = text.index("Kijani Trust")
    assert ner.model_entities([text]) == [((start, start + len("Kijani Trust")),)]
    assert seen == ["Then the Kijani Trust joined us."]


def test_model_drops_a_lower_case_article_before_a_name(model):
    # a real 2021-23 answer (train split): spaCy's span is "the Presidential Delivery Unit"
    text = ("As we progressively broadened this challenge to include our work with ENI in Wendá, we also partnered "
            "with the Presidential Delivery Unit (UGPR).")
    assert "Presidential Delivery Unit" in names(text, use_model=True)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # sentences of real 2021-23 and 2023-25 answers (train and dev splits): the kind of organisation stands
        # next to a name that holds no organisation word
        ("For the third stage we worked with Tesaireka Paraguay, a network of organizations that work on health.",
         "Tesaireka Paraguay"),
        ("In Wendá, we partnered with a large textile company, Fenix S.A., in the implementation.", "Fenix S.A."),
        ("We began to collaborate with an environmental organization called EcoHouse, which showed interest.",
         "EcoHouse"),
        ("Also, we have maintained preparatory meetings with EcoAndina, an organization based in the Andes.",
         "EcoAndina"),
    ],
)
def test_a_name_with_its_kind_in_apposition(text, expected):
    assert names(text) == [expected]


def test_a_span_that_opens_like_a_sentence_is_no_organisation():
    # spaCy's ORG span on a 2021-23 answer line (train split) begins with the verb
    from kg.ner import _plausible_ner

    assert not _plausible_ner("Collaborated with Inclusive")
    assert _plausible_ner("Legal Design Turkey")


def test_a_person_s_role_after_and_is_cut_from_the_name():
    # a 2021-23 answer of the dev split names the council and, after "and the", a person's office
    text = "We worked with the Khomas Regional Council and the Constituency Councillor on the pilot."
    assert names(text) == ["Khomas Regional Council"]
    assert names("The Ministry of Youth and Sports helped.") == ["Ministry of Youth and Sports"]
