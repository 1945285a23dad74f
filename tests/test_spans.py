"""Tests of the partner span model (kg/spans.py) and of its training examples (kg/span_training.py).

The examples are the bundled sample forms, written for the project; the
expected names were read off the forms by hand.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kg.extract import extract, partner_answer_lines
from kg.forms import read_form
from kg.span_training import span_examples
from kg.spans import SPAN_MODEL_DIR, balanced, find_partner_spans, use_span_model

ROOT = Path(__file__).resolve().parents[1]
WASTE_PICKERS = ROOT / "examples" / "informal_waste_pickers___closing_form.md"

spacy = pytest.importorskip("spacy")


@pytest.fixture(scope="module")
def waste_pickers():
    return read_form(WASTE_PICKERS, WASTE_PICKERS.name)


@pytest.fixture
def no_span_model():
    before = use_span_model(None)
    yield
    use_span_model(before)


def test_partner_answer_lines_are_every_line_under_a_partner_question(waste_pickers):
    lines = [(line.line, line.text[:20]) for _, line in partner_answer_lines(waste_pickers)]
    assert lines == [
        (90, "We worked with the A"),
        (94, "The Environmental En"),
        (98, "Recicla & Crea S.R.L"),
        (98, "EcoPlast Andina lent"),
        (102, "The Gobierno Autónom"),
        (110, "N/A"),
    ]


def test_training_examples_mark_the_gold_names_on_their_lines(waste_pickers):
    gold = {"partners": [
        {"name": "Asociación de Recicladoras Manos Verdes", "aliases": [], "line": 90},
        {"name": "Fundación Ciudad Circular", "aliases": [], "line": 90},
        {"name": "Gobierno Autónomo Municipal de El Alto", "aliases": [], "line": 102},
        {"name": "Ministerio de Medio Ambiente y Agua", "aliases": [], "line": 102},
    ]}
    examples = span_examples(gold, waste_pickers, spacy.blank("en"))
    marked = [[(e.text, e.label_) for e in doc.ents] for doc in examples]
    assert marked == [
        [("Asociación de Recicladoras Manos Verdes", "PARTNER"), ("Fundación Ciudad Circular", "PARTNER")],
        [],  # line 94 names a partner nobody annotated here: taught as no partner
        [],
        [],
        [("Gobierno Autónomo Municipal de El Alto", "PARTNER"), ("Ministerio de Medio Ambiente y Agua", "PARTNER")],
        [],
    ]


def test_a_line_whose_gold_name_is_not_written_on_it_is_left_out(waste_pickers):
    gold = {"partners": [{"name": "Universidad Mayor de San Andrés, Environmental Engineering", "aliases": ["UMSA"],
                          "line": 94},
                         {"name": "Recicla y Crea", "aliases": [], "line": 98}]}
    examples = span_examples(gold, waste_pickers, spacy.blank("en"))
    # line 94 holds the alias UMSA, so it stays; neither spelling of Recicla y Crea is on line 98, so both its lines go
    assert [doc.text[:20] for doc in examples] == [
        "We worked with the A", "The Environmental En", "The Gobierno Autónom", "N/A"]
    assert [e.text for e in examples[1].ents] == ["UMSA"]


def test_names_are_matched_in_any_case_but_as_whole_words_only(waste_pickers):
    gold = {"partners": [{"name": "umsa", "aliases": [], "line": 94}, {"name": "Plast", "aliases": [], "line": None}]}
    examples = span_examples(gold, waste_pickers, spacy.blank("en"))
    line_94 = examples[1]
    assert [(e.text, e.start_char) for e in line_94.ents] == [("UMSA", line_94.text.index("(UMSA") + 1)]
    assert [e.text for doc in examples for e in doc.ents] == ["UMSA"]  # "Plast" is no word of "EcoPlast"


def test_without_a_span_model_nothing_is_found(no_span_model):
    assert find_partner_spans(["We worked with Isla Urbana on rainwater harvesting."]) == [[]]


@pytest.mark.skipif(not (SPAN_MODEL_DIR / "meta.json").is_file(), reason="no shipped span model")
def test_the_shipped_span_model_reads_each_text_once_and_keeps_offsets():
    text = "EcoPlast Andina lent a baling press so that the association could store and sell larger volumes."
    first, again = find_partner_spans([text, text])
    assert first == again
    assert all(text[span.start:span.end] == span.text for span in first)


def test_span_candidates_are_judged_not_kept_blindly(waste_pickers, no_span_model):
    without = extract(waste_pickers, decision="none")
    assert not [p for p in without.partnerships if p.source == "span" or p.span_found]


def test_of_two_readings_of_one_stretch_the_likelier_stands():
    from kg.extract import Partnership, _one_reading_per_name

    line = "In our water initiative we worked with the Scouts Association in North Macedonia and Rock Resilience Center."
    short = Partnership("Scouts Association", 7, "q")
    long = Partnership("Scouts Association in North Macedonia", 7, "q")
    other = Partnership("Rock Resilience Center", 7, "q")
    elsewhere = Partnership("Scouts Association", 9, "q")  # the same words on another line are another reading
    kept = _one_reading_per_name([(short, 0.55), (long, 0.81), (other, 0.47), (elsewhere, 0.6)], {7: line})
    assert [(p.name, p.line) for p in kept] == [
        ("Scouts Association in North Macedonia", 7), ("Rock Resilience Center", 7), ("Scouts Association", 9)]


def test_readings_that_overlap_on_their_line_clash_even_when_neither_holds_the_other():
    from kg.extract import Partnership, _one_reading_per_name

    line = "Ministry of Labor, Employment, Veterans and Social Affairs"
    cut = Partnership("Ministry of Labor, Employment", 3, "q")
    tail = Partnership("Employment, Veterans and Social Affairs", 3, "q")
    kept = _one_reading_per_name([(cut, 0.42), (tail, 0.44)], {3: line})
    assert [p.name for p in kept] == ["Employment, Veterans and Social Affairs"]


def test_a_folder_without_a_pipeline_is_no_span_model(tmp_path):
    before = use_span_model(tmp_path)
    try:
        assert find_partner_spans(["Isla Urbana built the tanks."]) == [[]]
    finally:
        use_span_model(before)


@pytest.mark.slow
@pytest.mark.skipif(not (SPAN_MODEL_DIR / "meta.json").is_file(), reason="no shipped span model")
def test_the_shipped_span_model_keeps_no_word_of_its_training_lines():
    """Training adds the training lines' words (people's names among them) to the string store; they are removed."""
    from spacy.strings import StringStore

    from kg.ner import MODEL_NAME

    sourced = set(spacy.load(MODEL_NAME, exclude=["tagger", "parser", "attribute_ruler", "lemmatizer", "ner"]).vocab.strings)
    shipped = set(StringStore().from_disk(SPAN_MODEL_DIR / "vocab" / "strings.json"))
    assert shipped - sourced == {"PARTNER"}


@pytest.mark.parametrize(
    ("text", "start", "end", "expected"),
    [
        ("Municipality (Environment Secretariat)", 0, 37, "Municipality (Environment Secretariat)"),
        ("Lasta Woreda (district ) office", 0, 22, "Lasta Woreda (district )"),
        ("Fiscalía (the first one we met", 0, 30, "Fiscalía"),
        ("Ministry of Health (MoH)", 0, 24, "Ministry of Health (MoH)"),
    ],
)
def test_a_span_s_brackets_are_closed_by_the_line_or_cut(text, start, end, expected):
    span = balanced(text, start, end)
    assert span.text == expected == text[span.start : span.end]
