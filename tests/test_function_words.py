"""Sentence openings that are not names, and sentences that are lists (kg.function_words).

The sentences are taken from real 2021-23 closing forms of the archive (train split).
"""

import pytest

from kg.extract import _free_text_names
from kg.forms import AnswerLine
from kg.function_words import is_function_word, opens_like_prose, reads_as_list


@pytest.mark.parametrize("opening", ["In Wendá", "Along the way", "Now", "In October 2022", "As UNDP", "In 2023",
                                     "Two of the interventions", "There"])
def test_openings_that_start_with_a_function_word_are_prose(opening):
    assert opens_like_prose(opening)


@pytest.mark.parametrize("opening", ["The Ministry of Health", "UNICEF", "Translait", "Grammarly", "2scale"])
def test_names_are_not_prose_openings(opening):
    assert not opens_like_prose(opening, " CAB Demeso")


def test_an_adverb_before_a_comma_is_prose_only_before_a_lower_case_word():
    assert opens_like_prose("Specifically", " the Ministry of Health supported the design.")
    assert opens_like_prose("Likewise", " we part")
    assert not opens_like_prose("Grammarly", " Retail Market, World of Communities, etc")


@pytest.mark.parametrize("sentence", [
    "Translait, CAB Demeso, 2scale",
    "Lebanese League For women in Business",
    "Institut supérieur du Génie Electrique (ISGE)",
    "Grammarly, Retail Market, World of Communities, etc",
])
def test_lists_of_names(sentence):
    assert reads_as_list(sentence)


@pytest.mark.parametrize("sentence", [
    "Now, the solutions mapping is currently growing collaboratively.",
    "In Wendá, we collaborated with the National Council on Science and Technology (CONACYT) to help them.",
    "The National Innovation Strategy, the Ministry of Industry and Commerce (MIC), and the National Profesional "
    "Promotion Service (SNPP) were key partners for the flexible manufacturing",
])
def test_prose_is_not_a_list(sentence):
    assert not reads_as_list(sentence)


def test_function_words_come_from_spacy_in_four_languages():
    assert all(is_function_word(w) for w in ["we", "nosotros", "nous", "nós", "The"])
    assert not is_function_word("Ministry")


def _names(sentence):
    names, _quoted, prose = _free_text_names(AnswerLine("text", sentence, 1))
    return [n.name for n in names], prose


def test_a_prose_opening_leaves_the_sentence_to_the_organisation_finder():
    sentence = "In Wendá, we partnered with a large textile company, Fenix S.A., in the implementation."
    assert _names(sentence) == ([], [sentence])


def test_a_name_described_after_its_comma_is_kept():
    sentence = "MASCIR, the only research center  in the fields of materials, biotechnology, and life sciences."
    assert _names(sentence) == (["MASCIR"], [])


def test_a_list_with_an_adverb_like_name_keeps_every_name():
    assert _names("Grammarly, Retail Market, World of Communities, etc")[0] == [
        "Grammarly", "Retail Market", "World of Communities"]


@pytest.mark.parametrize("opening", ["Celebrating the UN Year of Glass 2022", "Running the Future Fit Accelerator",
                                     "Collaborated with Inclusive", "or any sector that wants to collect data"])
def test_clauses_are_prose(opening):
    assert opens_like_prose(opening)


@pytest.mark.parametrize("name", ["Local government of Rocha", "Inclusive and Economic Growth Team",
                                  "Training Centre", "Nuevos Horizontes"])
def test_names_whose_first_word_another_language_lists_are_names(name):
    # "local", "inclusive" and "nuevos" are in spaCy's Spanish or Portuguese stop words
    assert not opens_like_prose(name)
