"""Tests of :mod:`kg.lists`: labels, names holding commas and shared heads, on lists written by hand."""

from __future__ import annotations

from kg.lists import distribute_heads, drop_label, join_continuations, split_items, split_run_on


def _generic(label: str) -> bool:
    return label.lower().endswith(("companies", "partners"))


def _names_one(part: str) -> bool:
    return part.isupper() or "Foundation" in part


def test_labels_are_dropped_only_when_generic_or_introducing():
    assert drop_label("Private companies: Acme, Beta Ltd", _generic) == "Acme, Beta Ltd"
    assert drop_label("Academic partners: University of Mars", _generic) == "University of Mars"
    assert drop_label("Guilds of the region, including: Chamber of Trade of Vale", _generic) == "Chamber of Trade of Vale"
    assert drop_label("Ministry of Health: data provider", _generic) == "Ministry of Health: data provider"


def test_names_holding_commas_stay_whole():
    assert join_continuations(["Ministry of Gender", "Labour and Social Development"], _names_one) == [
        "Ministry of Gender, Labour and Social Development"
    ]
    assert join_continuations(["Chamber of Commerce", "Industry and Services of Vale"], _names_one) == [
        "Chamber of Commerce, Industry and Services of Vale"
    ]
    assert join_continuations(["Ministry of Land", "Urban Planning", "Housing and Urban Policy"], _names_one) == [
        "Ministry of Land, Urban Planning, Housing and Urban Policy"
    ]


def test_a_list_of_organisations_is_not_joined():
    # UNICEF names an organisation of its own, so nothing after it continues the ministry's name
    assert join_continuations(["Ministry of Health", "UNICEF", "Red Cross and WFP"], _names_one) == [
        "Ministry of Health", "UNICEF", "Red Cross and WFP"
    ]
    # no "and" closes the run: three separate names
    assert join_continuations(["Ministry of Health", "Acme", "Beta"], _names_one) == ["Ministry of Health", "Acme", "Beta"]


def test_plural_heads_are_shared():
    assert distribute_heads("Municipalities of Alto, Bajo, and Medio Rio (in phase 1) plus Sur") == [
        "Municipality of Alto", "Municipality of Bajo", "Municipality of Medio Rio", "Municipality of Sur"
    ]
    assert distribute_heads("Ministries of Health and Education") == ["Ministry of Health", "Ministry of Education"]
    assert distribute_heads("Alto, Bajo and Norte municipalities") == [
        "Alto municipality", "Bajo municipality", "Norte municipality"
    ]
    assert distribute_heads("Health and Education ministries") == ["Health and Education ministries"]  # topics
    assert distribute_heads("Vale water agency, Alto, Bajo and Norte municipalities") == [
        "Vale water agency", "Alto municipality", "Bajo municipality", "Norte municipality"
    ]


def test_singular_heads_are_shared_over_places_not_topics():
    assert distribute_heads("University of Buea, Dschang and Yaoundé") == [
        "University of Buea", "University of Dschang", "University of Yaoundé"
    ]
    assert distribute_heads("Regional Executive Committee of Alto, Bajo and Sur") == [
        "Regional Executive Committee of Alto", "Regional Executive Committee of Bajo", "Regional Executive Committee of Sur"
    ]
    assert distribute_heads("Ministry of Health and Education") == ["Ministry of Health and Education"]
    assert distribute_heads("Ministry of Gender, Labour and Social Development") == [
        "Ministry of Gender, Labour and Social Development"
    ]
    assert distribute_heads("Acme Foundation") == ["Acme Foundation"]


def test_run_on_names():
    assert split_run_on("Ministry of Trade (MoT) and Ministry of Labour (MoL)") == [
        "Ministry of Trade (MoT)", "Ministry of Labour (MoL)"
    ]
    assert split_run_on("Delivery Unit. National Planning Commission") == ["Delivery Unit", "National Planning Commission"]
    assert split_run_on("We met the unit. Then we left") == ["We met the unit. Then we left"]


def test_split_items():
    assert split_items("A, B, and C") == ["A", "B", "C"]
    assert split_items("Alto y Bajo") == ["Alto", "Bajo"]
