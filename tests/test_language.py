"""Tests of :mod:`kg.language` on sentences written by hand in each language."""

from __future__ import annotations

from kg.language import detect_text_language


def test_each_language():
    assert detect_text_language("We worked with the ministry and the municipality on this challenge.") == "en"
    assert detect_text_language("Trabajamos con el ministerio y la alcaldía en el reto de la basura.") == "es"
    assert detect_text_language("Nous avons travaillé avec les partenaires du ministère dans la région.") == "fr"
    assert detect_text_language("Trabalhamos com os parceiros da prefeitura e não com o ministério.") == "pt"


def test_no_stop_words_defaults_to_english():
    assert detect_text_language("UNICEF, FAO, WFP") == "en"
    assert detect_text_language("") == "en"
