"""Tests of :mod:`kg.forms`, the Markdown form reader.

Every expected value below was checked by hand against the input text (the
inline strings, the fixture forms in ``tests/data/forms`` or the named corpus
file read with ``cat -A``), never copied from the reader's output.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from kg.forms import Form, Message, decode_bytes, parse_bytes, parse_form, read_form


def codes(form: Form, level: str | None = None) -> list[str]:
    """The message codes of ``form`` (of one level if given), in order."""
    return [m.code for m in form.messages if level is None or m.level == level]


def items_with(form: Form, question: str) -> list:
    """The items whose question is exactly ``question``."""
    return [item for item in form.items if item.question == question]


def only_item(form: Form, question: str):
    found = items_with(form, question)
    assert len(found) == 1, f"expected one item {question!r}, found {len(found)}"
    return found[0]


# ---------------------------------------------------------------------------
# Synthetic edge cases, inline
# ---------------------------------------------------------------------------

BASIC = """\
# Water kiosks for informal settlements

[[focal_point:someone@example.org]]

[[year:2022]]

[[type:solution]]

[[sdgs:6. Clean water and sanitation]]
[[country:Kenya]]
[[latlng:-1.28,36.82]]
[[country:Kenya]]
[[latlng:-1.28,36.82]]
## Overview
**This section is to explain the basics**

> What is the purpose of the solution?

Residents buy clean water by the litre.

Prices are set by the water committee.

> Which options apply?

- Product
- Available in market

> Please upload a picture.

![Kiosk photo](https://example.org/img/kiosk.png)

> Links

[Project page](https://example.org/kiosk)
https://example.org/bare
See https://example.org/inline, thanks.
"""


def test_title_and_title_line():
    form = parse_form(BASIC)
    assert form.title == "Water kiosks for informal settlements"
    assert form.title_line == 1


def test_tags_in_order_with_line_numbers_and_repeated_block_counted_once():
    form = parse_form(BASIC)
    assert [(t.key, t.value, t.line) for t in form.tags] == [
        ("focal_point", "someone@example.org", 3),
        ("year", "2022", 5),
        ("type", "solution", 7),
        ("sdgs", "6. Clean water and sanitation", 9),
        ("country", "Kenya", 10),
        ("latlng", "-1.28,36.82", 11),
    ]
    assert [t.line for t in form.tag_values("country")] == [10]
    assert form.first_tag("year").value == "2022"
    assert form.first_tag("methods") is None


def test_section_with_lead_line():
    form = parse_form(BASIC)
    assert [(s.index, s.title, s.line, s.lead) for s in form.sections] == [
        (0, "", 0, ""),
        (1, "Overview", 14, "This section is to explain the basics"),
    ]


def test_question_items_answers_options_images_links():
    form = parse_form(BASIC)
    assert [(i.question, i.line, i.section) for i in form.items] == [
        ("What is the purpose of the solution?", 17, 1),
        ("Which options apply?", 23, 1),
        ("Please upload a picture.", 28, 1),
        ("Links", 32, 1),
    ]
    purpose, options, picture, links = form.items
    # a blank line between paragraphs is kept as a paragraph break
    assert purpose.text == "Residents buy clean water by the litre.\n\nPrices are set by the water committee."
    assert [ln.line for ln in purpose.content_lines()] == [19, 21]
    assert options.options == ["Product", "Available in market"]
    assert options.text == ""
    assert [(im.text, im.url, im.line) for im in picture.images] == [
        ("Kiosk photo", "https://example.org/img/kiosk.png", 30)
    ]
    assert picture.text == ""
    assert [(ln.kind, ln.text, ln.url) for ln in links.lines] == [
        ("link", "Project page", "https://example.org/kiosk"),
        ("link", "https://example.org/bare", "https://example.org/bare"),
        ("text", "See https://example.org/inline, thanks.", ""),
    ]
    assert links.urls == ["https://example.org/kiosk", "https://example.org/bare", "https://example.org/inline"]
    assert picture.urls == ["https://example.org/img/kiosk.png"]
    assert not any(i.is_empty for i in form.items)
    assert form.messages == []


def test_no_messages_and_line_count():
    form = parse_form(BASIC)
    assert form.messages == []
    assert form.n_lines == 36


GROUPS = """\
# T

[[type:learningplan]]
## Partners

> Who are your top 5 partners for this challenge?


<div class="group">

> Please state the name of the Parter:

Alpha Foundation

</div>

<div class="group">

> What sector does our partner belong to?

</div>

<div class="group">

> Please state the name of the Parter:

Beta University

</div>

<div class="group">

> What sector does our partner belong to?

</div>

<div class="group">

> Please provide a brief description of the collaboration.

Gamma description

</div>

<div class="group">

> Please state the name of the Parter:

Gamma Ltd

</div>

<div class="group">

> What sector does our partner belong to?

</div>
## Next

> Please state the name of the Parter:

Delta
"""


def test_groups_are_numbered_and_repeats_count_per_section():
    form = parse_form(GROUPS)
    assert [(i.question, i.line, i.group, i.repeat) for i in form.items] == [
        ("Who are your top 5 partners for this challenge?", 6, None, 0),
        ("Please state the name of the Parter:", 11, 1, 0),
        ("What sector does our partner belong to?", 19, 2, 0),
        ("Please state the name of the Parter:", 25, 3, 1),
        ("What sector does our partner belong to?", 33, 4, 1),
        ("Please provide a brief description of the collaboration.", 39, 5, 0),
        ("Please state the name of the Parter:", 47, 6, 2),
        ("What sector does our partner belong to?", 55, 7, 2),
        # a new section starts counting again
        ("Please state the name of the Parter:", 60, None, 0),
    ]
    names = items_with(form, "Please state the name of the Parter:")
    assert [n.text for n in names] == ["Alpha Foundation", "Beta University", "Gamma Ltd", "Delta"]
    assert all(i.is_empty for i in items_with(form, "What sector does our partner belong to?"))
    assert form.messages == []


def test_group_with_empty_question_holds_free_text():
    form = parse_form('# T\n\n> Evidence\n\n<div class="group">\n\n> \n\nSome figures\n\n</div>\n')
    assert [(i.question, i.line, i.group, i.text) for i in form.items] == [
        ("Evidence", 3, None, ""),
        ("", 7, 1, "Some figures"),
    ]


def test_html_entities_decoded_everywhere():
    text = (
        "# Caf&eacute; &amp; Co\n"
        "[[thematic_areas:food &amp; drink]]\n"
        "## Learn &amp; grow\n"
        "> Methods &amp; tools?\n"
        "Tom &amp; Jerry &lt;3 &quot;quoted&quot; &#233;t&#233;\n"
        "- Yes &amp; no\n"
    )
    form = parse_form(text)
    assert form.title == "Café & Co"
    assert [(t.key, t.value) for t in form.tags] == [("thematic_areas", "food & drink")]
    assert form.sections[1].title == "Learn & grow"
    item = form.items[0]
    assert item.question == "Methods & tools?"
    assert item.text == 'Tom & Jerry <3 "quoted" été'
    assert item.options == ["Yes & no"]


def test_stray_div_br_removed_but_script_kept_as_text():
    text = (
        "# T\n"
        "> Q\n"
        "first sentence.<div><br></div>Second sentence.\n"
        "<div><br></div>\n"
        "<p>para</p> and <b>bold</b> <span style=\"x\">span</span>\n"
        "<script>alert('x')</script>\n"
    )
    form = parse_form(text)
    item = form.items[0]
    assert [(ln.kind, ln.text, ln.line) for ln in item.lines] == [
        ("text", "first sentence.", 3),  # a <br> breaks the line: two answer lines of line 3
        ("text", "Second sentence.", 3),
        ("blank", "", 4),
        ("text", "para and bold span", 5),
        ("text", "<script>alert('x')</script>", 6),
    ]


def test_line_of_only_stray_markup_gives_empty_answer():
    form = parse_form("# T\n> Q\n<div><br></div>\n> R\nr\n")
    assert [(i.question, i.is_empty) for i in form.items] == [("Q", True), ("R", False)]


def test_crlf_gives_same_result_as_lf():
    lf = BASIC + GROUPS.split("\n", 1)[1]
    crlf = lf.replace("\n", "\r\n")
    a, b = parse_form(lf), parse_form(crlf)
    assert (a.title, a.title_line, a.n_lines) == (b.title, b.title_line, b.n_lines)
    assert a.tags == b.tags
    assert a.sections == b.sections
    assert a.items == b.items
    assert a.messages == b.messages
    assert not any("\r" in ln.text for i in b.items for ln in i.lines)


def test_utf8_bom_is_dropped():
    data = "# Título\n[[country:Perú]]\n".encode()
    form = parse_bytes(b"\xef\xbb\xbf" + data, "bom.md")
    assert form.title == "Título"
    assert form.title_line == 1
    assert [(t.key, t.value, t.line) for t in form.tags] == [("country", "Perú", 2)]
    assert form.encoding == "utf-8"
    assert form.messages == []


def test_cp1252_bytes_decoded_with_legacy_encoding_warning():
    data = b"# Agua\n\n[[year:2021]]\n[[country:Per\xfa]]\n> Q\nCaf\xe9 \x96 bar\n"
    form = parse_bytes(data, "legacy.md")
    assert form.encoding == "cp1252"
    assert [(t.key, t.value, t.line) for t in form.tags] == [("year", "2021", 3), ("country", "Perú", 4)]
    assert form.items[0].text == "Café – bar"
    assert [(m.level, m.code, m.line) for m in form.messages] == [("warning", "legacy-encoding", 4)]
    assert "legacy.md:4: warning:" in form.messages[0].format("legacy.md")


def test_decode_bytes_reports_first_bad_line():
    text, encoding, messages = decode_bytes(b"ok\nstill ok\nPer\xfa\n")
    assert text == "ok\nstill ok\nPerú\n"
    assert encoding == "cp1252"
    assert [(m.code, m.line) for m in messages] == [("legacy-encoding", 3)]


def test_binary_gives_error_not_exception():
    form = parse_bytes(b"# T\n\x00\x00\x01PNG", "blob.md")
    assert [(m.level, m.code) for m in form.messages] == [("error", "binary")]
    assert "binary" in form.messages[0].text
    assert form.items == [] and form.tags == [] and form.title == ""
    assert form.sha256  # still fingerprinted


def test_empty_text_warns_empty():
    for text in ("", "\n\n", "   \n"):
        form = parse_form(text)
        assert codes(form) == ["empty"], repr(text)
        assert form.messages[0].level == "warning"


def test_no_title_warns():
    form = parse_form("[[year:2020]]\n> Q\nA\n")
    assert codes(form) == ["no-title"]
    assert form.title == ""


def test_unclosed_tag_warns_with_line_and_is_not_a_tag():
    form = parse_form("# T\n\n[[year:2020]]\n[[thematic_areas:foo\n> Q\nA\n")
    assert [(m.level, m.code, m.line) for m in form.messages] == [("warning", "unclosed-tag", 4)]
    assert [(t.key, t.value) for t in form.tags] == [("year", "2020")]
    assert [(i.question, i.text) for i in form.items] == [("Q", "A")]


def test_empty_tag_warns_and_is_dropped():
    form = parse_form("# T\n[[country:]]\n[[country:Chile]]\n")
    assert [(m.level, m.code, m.line) for m in form.messages] == [("warning", "empty-tag", 2)]
    assert [(t.key, t.value, t.line) for t in form.tags] == [("country", "Chile", 3)]


def test_tag_without_valid_key_warns_bad_tag():
    form = parse_form("# T\n[[:value]]\n[[two words:x]]\n")
    assert [(m.code, m.line) for m in form.messages] == [("bad-tag", 2), ("bad-tag", 3)]
    assert form.tags == []


def test_several_tags_on_one_line_and_key_case():
    form = parse_form("# T\n[[Year:2020]] [[country:Peru]]\n")
    assert [(t.key, t.value, t.line) for t in form.tags] == [("year", "2020", 2), ("country", "Peru", 2)]


def test_double_brackets_in_answer_text_are_not_tags():
    form = parse_form("# T\n> Q\n[[not a tag]] in a sentence\n")
    assert form.tags == []
    assert form.items[0].text == "[[not a tag]] in a sentence"


def test_bare_cr_inside_tag_line_is_not_a_line_break():
    text = "# T\n\n[[thematic_areas:Data Analysis\r Technology in Agriculture]]\n[[country:England]]\n"
    form = parse_form(text)
    assert form.n_lines == 4
    assert [(t.key, t.line) for t in form.tags] == [("thematic_areas", 3), ("country", 4)]
    value = form.tags[0].value
    assert "\r" not in value
    assert " ".join(value.split()) == "Data Analysis Technology in Agriculture"
    assert form.messages == []


def test_bare_cr_inside_answer_line():
    form = parse_form("# T\n> Q\nfirst\rsecond\n> R\n")
    assert [(ln.text, ln.line) for ln in form.items[0].lines] == [("first second", 3)]
    assert form.items[1].line == 4


def test_title_on_the_line_after_an_empty_h1():
    form = parse_form("# \nThe real title\n\n[[year:2020]]\n> Q\nA\n")
    assert form.title == "The real title"
    assert form.title_line == 2
    assert [(t.key, t.line) for t in form.tags] == [("year", 4)]
    assert [(i.question, i.text) for i in form.items] == [("Q", "A")]
    assert form.messages == []


def test_empty_h1_followed_by_tags_does_not_steal_an_answer_as_title():
    # regression: the reader used to take the first answer line anywhere later as the title
    form = parse_form("# \n\n[[year:2020]]\n\n> Q\n\nAnswer\n")
    assert [(i.question, i.text) for i in form.items] == [("Q", "Answer")]
    assert form.title == ""
    assert codes(form) == ["no-title"]


def test_heading_with_empty_title_starts_a_section():
    form = parse_form("# T\n## Overview\n> A\na\n## \n****\n## Design\n> B\nb\n")
    assert [(s.index, s.title, s.line, s.lead) for s in form.sections] == [
        (0, "", 0, ""),
        (1, "Overview", 2, ""),
        (2, "", 5, ""),
        (3, "Design", 7, ""),
    ]
    assert [(i.question, i.section) for i in form.items] == [("A", 1), ("B", 3)]


def test_lead_line_only_directly_under_heading_and_stars_only_lead_is_empty():
    form = parse_form("# T\n## One\n****\n> Q\n**bold answer**\n## Two\n**Lead two**\n")
    assert [(s.title, s.lead) for s in form.sections] == [("", ""), ("One", ""), ("Two", "Lead two")]
    assert form.items[0].text == "**bold answer**"


def test_solution_without_any_section_heading():
    text = (
        "# Rocket stove\n\n[[type:solution]]\n[[country:India]]\n\n"
        "> What is the name of the solution holder? (main contact person, if multiple)\n\n"
        "Someone\n\n"
        "> Is this solution a prototype or product?\n\n"
        "- Product\n"
    )
    form = parse_form(text)
    assert len(form.sections) == 1 and form.sections[0].title == ""
    assert [(i.question, i.line, i.section, i.group) for i in form.items] == [
        ("What is the name of the solution holder? (main contact person, if multiple)", 6, 0, None),
        ("Is this solution a prototype or product?", 10, 0, None),
    ]
    assert form.items[0].text == "Someone"
    assert form.items[1].options == ["Product"]
    assert form.section_of(form.items[1]).index == 0


def test_nested_group_warns_and_closes_the_first():
    text = '# T\n<div class="group">\n> A\na\n<div class="group">\n> B\nb\n</div>\n> C\n'
    form = parse_form(text)
    assert [(m.level, m.code, m.line) for m in form.messages] == [("warning", "nested-group", 5)]
    assert [(i.question, i.group) for i in form.items] == [("A", 1), ("B", 2), ("C", None)]


def test_unclosed_group_warns_with_its_opening_line():
    form = parse_form('# T\n> Q\n\n<div class="group">\n> A\na\n')
    assert [(m.level, m.code, m.line) for m in form.messages] == [("warning", "unclosed-group", 4)]
    assert [(i.question, i.group, i.text) for i in form.items] == [("Q", None, ""), ("A", 1, "a")]


def test_inner_divs_inside_a_group_do_not_close_it():
    text = '# T\n<div class="group">\n> A\n<div class="x">inner</div>\n<div>\nmore\n</div>\n</div>\n> B\n'
    form = parse_form(text)
    assert [(i.question, i.group) for i in form.items] == [("A", 1), ("B", None)]
    assert [ln.text for ln in form.items[0].content_lines()] == ["inner", "more"]
    assert form.messages == []


def test_stray_closing_div_outside_group_is_ignored():
    form = parse_form("# T\n> Q\n</div>\nanswer\n")
    assert [(i.question, i.text) for i in form.items] == [("Q", "answer")]
    assert form.messages == []


def test_answer_on_the_closing_div_line_stays_in_the_group():
    # regression: an answer on the group's closing '</div>' line used to be split off its question
    form = parse_form('# T\n<div class="group">\n> Q\nanswer</div>\n> R\n')
    assert [(i.question, i.group, i.text) for i in form.items] == [("Q", 1, "answer"), ("R", None, "")]


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("#StayathomeBIH", "#StayathomeBIH"),
        ("#1 Local government are key actors", "#1 Local government are key actors"),
        ("##SDGs and #GreenJobs", "##SDGs and #GreenJobs"),
    ],
)
def test_hashtag_answer_lines_are_not_headings(answer, expected):
    # regression: a line starting with '#' and no space (a hashtag) used to be read as an ATX heading
    form = parse_form(f"# T\n## Section\n> Q\n{answer}\n> R\n")
    assert [s.title for s in form.sections] == ["", "Section"]
    assert [(i.question, i.text) for i in form.items] == [("Q", expected), ("R", "")]


def test_second_h1_after_the_title_is_answer_text():
    form = parse_form("# T\n> Q\n# Big statement\n")
    assert form.title == "T"
    assert form.items[0].text == "Big statement"


def test_options_need_a_space_after_the_marker():
    form = parse_form("# T\n> Q\n  - indented option\n* star option\n-not an option\n")
    item = form.items[0]
    assert item.options == ["indented option", "star option"]
    assert item.text == "-not an option"


def test_control_characters_and_no_break_spaces_become_spaces():
    form = parse_form("# T\n> Q\xa0\nA\x0bB\u2028C\xa0\xa0D\n")
    assert form.items[0].question == "Q"
    assert form.items[0].text == "A B C\nD"  # two no-break spaces in a row are a lost line break


def test_nbsp_entity_is_folded_like_a_raw_no_break_space():
    # regression: '&nbsp;' used to decode to a U+00A0 left in the text, while a raw U+00A0 became a space
    form = parse_form("# T\n> Q\nEvery year&nbsp; they lend\n")
    assert form.items[0].text == "Every year they lend"


def test_message_format():
    assert Message("warning", "unclosed-tag", "tag line without ']]'", 4).format("a.md") == (
        "a.md:4: warning: tag line without ']]' [unclosed-tag]"
    )
    assert Message("error", "binary", "binary file", 0).format("a.md") == "a.md: error: binary file [binary]"


def test_read_form_of_missing_file_gives_error(tmp_path: Path):
    form = read_form(tmp_path / "nope.md", display_path="nope.md")
    assert form.path == "nope.md"
    assert [(m.level, m.code) for m in form.messages] == [("error", "unreadable")]


# ---------------------------------------------------------------------------
# Fixture forms in tests/data/forms
# ---------------------------------------------------------------------------

PARTNER_Q = "Please state the name of the partner:"
SECTOR_Q = "What sector does your partner belong to?"


def test_fixture_mini_closing_form(fixture_forms_dir: Path):
    form = read_form(fixture_forms_dir / "mini_closing_2023.md", display_path="mini_closing_2023.md")
    assert form.path == "mini_closing_2023.md"
    assert (form.title, form.title_line, form.n_lines, form.encoding) == (
        "Mini portfolio - closing form",
        1,
        111,
        "utf-8",
    )
    assert [(t.key, t.line) for t in form.tags] == [
        ("focal_point", 3),
        ("year", 5),
        ("type", 7),
        ("methods", 9),
        ("methods", 10),
        ("country", 11),
        ("latlng", 12),
    ]
    assert [(s.title, s.line, s.lead) for s in form.sections] == [
        ("", 0, ""),
        ("Learnings on your challenge", 13, ""),
        ("Partners", 25, ""),
        ("End", 95, ""),
    ]
    assert len(form.items) == 11
    names = items_with(form, PARTNER_Q)
    assert [(i.line, i.section, i.group, i.repeat, i.text) for i in names] == [
        (34, 2, 1, 0, "Ministerio de Agricultura (lead)"),
        (56, 2, 3, 1, "Universidad Nacional Agraria La Molina (UNALM)"),
        (78, 2, 5, 2, "Café Andino & Co."),
    ]
    sectors = items_with(form, SECTOR_Q)
    assert [(i.line, i.group, i.repeat, i.is_empty) for i in sectors] == [
        (46, 2, 0, True),
        (68, 4, 1, True),
        (90, 6, 2, True),
    ]
    insights = form.items[0]
    assert insights.line == 16
    assert [ln.line for ln in insights.content_lines()] == [18, 20]
    handover = form.items[1]
    assert (handover.line, handover.options) == (22, ["Other"])
    evidence = form.items[-1]
    assert (evidence.question, evidence.line, evidence.group, evidence.section) == ("", 104, 7, 3)
    assert [(im.url, im.line) for im in evidence.images] == [("https://example.org/images/mini.png", 107)]
    assert form.messages == []
    assert len(form.sha256) == 64


@pytest.mark.parametrize("variant", ["mini_closing_2023_crlf.md", "mini_closing_2023_bom.md"])
def test_fixture_crlf_and_bom_variants_read_like_the_original(fixture_forms_dir: Path, variant: str):
    original = read_form(fixture_forms_dir / "mini_closing_2023.md")
    other = read_form(fixture_forms_dir / variant)
    assert (other.title, other.title_line, other.n_lines) == (original.title, original.title_line, original.n_lines)
    assert other.tags == original.tags
    assert other.sections == original.sections
    assert other.items == original.items
    assert other.messages == []
    assert other.sha256 != original.sha256  # the bytes differ


def test_fixture_legacy_cp1252(fixture_forms_dir: Path):
    form = read_form(fixture_forms_dir / "legacy_cp1252.md", display_path="legacy_cp1252.md")
    assert form.encoding == "cp1252"
    assert form.title == "Agua segura en Perú"
    assert [(t.key, t.value, t.line) for t in form.tags] == [
        ("year", "2021", 3),
        ("type", "solution", 5),
        ("country", "Perú", 7),
    ]
    assert form.items[0].text == "José María Quiñones – Cusco"
    assert form.items[0].content_lines()[0].line == 11
    assert [(m.level, m.code, m.line) for m in form.messages] == [("warning", "legacy-encoding", 1)]
    assert form.messages[0].format(form.path).startswith("legacy_cp1252.md:1: warning:")


def test_fixture_binary(fixture_forms_dir: Path):
    form = read_form(fixture_forms_dir / "binary_blob.md")
    assert [(m.level, m.code) for m in form.messages] == [("error", "binary")]
    assert form.encoding == "binary"
    assert form.items == [] and form.tags == []


# ---------------------------------------------------------------------------
# Real forms of every template family (skipped without the corpus)
# ---------------------------------------------------------------------------


def test_corpus_learning_plan_2023(corpus_form):
    """textile_waste.md: 2023-25 learning plan, "Who are your top 5 partners", three "Parter" groups."""
    form = corpus_form("textile_waste.md")
    assert (form.title, form.title_line, form.n_lines) == ("Textile Waste", 1, 240)
    assert form.first_tag("year").line == 5 and form.first_tag("year").value == "2022"
    assert (form.first_tag("country").value, form.first_tag("country").line) == ("Turkey", 23)
    assert [t.value for t in form.tag_values("methods")] == [
        "Prototyping",
        "Proof of concept",
        "Design Thinking",
        "Co-creation",
        "Behavioral Insights",
    ]
    assert [(s.index, s.title, s.line) for s in form.sections] == [
        (0, "", 0),
        (1, "Title", 25),
        (2, "Challenge statement", 30),
        (3, "Challenge classification", 80),
        (4, "Partners", 81),
        (5, "Learning questions", 219),
        (6, "Closing", 236),
    ]
    top = only_item(form, "Who are your top 5 partners for this challenge? Please submit from MOST to LEAST "
                          "important and state Name, Sector and a brief description of the (intended) collaboration.")
    assert (top.line, top.section, top.group, top.is_empty) == (83, 4, None, True)
    names = items_with(form, "Please state the name of the Parter:")
    assert [(i.line, i.section, i.group, i.repeat, i.text) for i in names] == [
        (89, 4, 3, 0, "TGSD (Turkish Clothing Industry Association)"),
        (134, 4, 7, 1, "Joon and This is Mana"),
        (179, 4, 11, 2, "Yariyo"),
    ]
    sectors = items_with(form, "What sector does our partner belong to?")
    assert [(i.line, i.repeat, i.is_empty) for i in sectors] == [(101, 0, True), (146, 1, True), (191, 2, True)]
    assert len(items_with(form, "Is this a new and unusual partner for UNDP?")) == 3
    plan_name = only_item(form, "Please provide a name for your action learning plan.")
    assert plan_name.text == "Encouraging textile reuse through creation of an online marketplace"
    stages = only_item(form, "To what stage(s) in the learning cycle does your learning question relate?")
    assert stages.options == ["Test"]
    # the two evidence groups hold free text under an empty "> " question
    evidence = [i for i in form.items if i.question == "" and i.group is not None]
    assert [(i.line, i.group) for i in evidence] == [(51, 1), (65, 2)]
    assert form.messages == []


def test_corpus_closing_form_2021(corpus_form):
    """Museum of Georgian inventions: 2021-23 closing form with per-sector "If applicable" questions."""
    form = corpus_form("museum_of_georgian_inventions___mapping_the_energy_solutions.md")
    assert (form.title, form.title_line, form.n_lines) == (
        "Museum of Georgian Inventions - Mapping the energy solutions",
        1,
        102,
    )
    assert [(t.key, t.value, t.line) for t in form.tags if t.key in ("year", "country")] == [
        ("year", "2023", 6),
        ("country", "Georgia", 14),
    ]
    assert [(s.title, s.line) for s in form.sections] == [
        ("", 0),
        ("Learnings on your challenge", 16),
        ("Data and Methods", 74),
        ("Partners", 83),
        ("End", 100),
    ]
    per_sector = [i for i in form.items if i.question.startswith("If applicable, what")]
    assert [(i.line, i.section, i.text) for i in per_sector] == [
        (85, 3, "n.a"),
        (89, 3, "n.a"),
        (93, 3, "We hired a private company Watergunz to run a communication campaign for us"),
        (97, 3, "n.a."),
    ]
    gov = only_item(
        form,
        "If applicable, what government partners (and related institutions) did you actually work with "
        "and what did you do with them?",
    )
    assert gov.line == 97
    insights = only_item(
        form, "What are the top 5 key insights you generated about your frontier challenge during this Action Learning Plan?"
    )
    assert [ln.line for ln in insights.content_lines()] == [20, 21, 22, 23, 24]
    assert insights.content_lines()[4].text == (
        "5. People are still skeptical about public contests, as there is a fear that their IP rights might be violated."
    )
    stages = [i for i in form.items if i.question in ("Sense", "Explore", "Test", "Grow")]
    assert [(i.question, i.group, i.is_empty) for i in stages] == [
        ("Sense", 1, True),
        ("Explore", 2, True),
        ("Test", 3, True),
        ("Grow", 4, True),
    ]
    blog = only_item(form, "Please paste the link(s) to the blog(s) that articulate the learnings on your frontier challenge.")
    assert [ln.kind for ln in blog.content_lines()] == ["text"]  # Georgian page title, no URL
    last = form.items[-1]
    assert (last.line, last.section, last.is_empty) == (102, 4, True)
    assert form.messages == []


def test_corpus_closing_form_2023(corpus_form):
    """Bangladesh upskilling: 2023-25 closing form, two "name of the partner" groups and a handover question."""
    form = corpus_form("progress_on_upskilling_bangladeshi_youth_in_emerging_technologies.md")
    assert (form.title, form.n_lines) == ("Progress on upskilling Bangladeshi Youth in emerging Technologies", 137)
    assert (form.first_tag("country").value, form.first_tag("country").line) == ("Bangladesh", 17)
    assert [(s.title, s.line) for s in form.sections] == [
        ("", 0),
        ("Learnings on your challenge", 19),
        ("Data and Methods", 43),
        ("Partners", 44),
        ("End", 135),
    ]
    assert not any(i.section == 2 for i in form.items)  # "Data and Methods" is empty
    names = items_with(form, PARTNER_Q)
    assert [(i.line, i.section, i.group, i.repeat, i.text) for i in names] == [
        (52, 3, 1, 0, "ICT division, Government of bangladesh"),
        (96, 3, 5, 1, "Harvard University"),
    ]
    descriptions = items_with(form, "Please provide a brief description of the partnership.")
    assert [(i.group, i.repeat, i.text) for i in descriptions] == [
        (3, 0, "Co-design and possible implementation"),
        (7, 1, "Harvard will execute the training for the pilot and future scale-up"),
    ]
    handover = only_item(
        form,
        "Considering the outcomes of this learning challenge, which of the following best describe the "
        "handover process? (Please select all that apply)",
    )
    assert (handover.line, handover.options, handover.lines[0].line) == (36, ["Other"], 38)
    insights = only_item(
        form,
        "What are the top key insights you generated about your learning challenge during this Action "
        "Learning Plan? (Please list a maximum of 5 key insights)",
    )  # the trailing no-break space of the question is gone
    assert [ln.line for ln in insights.content_lines()] == [23, 26, 28, 30, 32, 34]
    assert insights.content_lines()[0].text.endswith("in the technology industry.")
    assert form.messages == []


def test_corpus_experiment(corpus_form):
    """Hydroponic experiment: metafield tags, ``**lead**`` lines and a real empty ``## `` heading."""
    form = corpus_form("hydroponic_agriculture_technology_experimentation.md")
    assert (form.title, form.n_lines) == ("Hydroponic Agriculture Technology Experimentation", 138)
    assert [(t.value, t.line) for t in form.tag_values("partnering_sector")] == [
        ("Civil Society/ NGOs", 31),
        ("United Nations agency", 32),
    ]
    assert [(t.value, t.line) for t in form.tag_values("experiment_type")] == [("Experimental (RCTs, etc.)", 30)]
    assert len(form.tag_values("quality_check")) == 5
    assert [(s.title, s.line, s.lead) for s in form.sections] == [
        ("", 0, ""),
        ("Overview", 40, "This section is to explain the basics of the activity"),
        ("", 77, ""),
        (
            "Design",
            79,
            (
                "Explain the design of the experimental activity. In general, experimental activities consist "
                "on trying to learn how results are connected to a stimuli."
            ),
        ),
        ("Results", 135, "Only complete this section when presenting results"),
        ("Learning", 137, "This section is aimed at presenting the learning outcomes from this activity."),
    ]
    sector = only_item(form, "Which sector are you partnering with for this activity? Please select all that apply")
    assert sector.options == ["United Nations agency", "Civil Society/ NGOs"]
    partners = only_item(form, "Please list the names of partners mentioned in the previous question:")
    assert (partners.line, partners.text) == (74, "UN SGP, Goverment, Coopérative Badelli")
    assert only_item(form, "Current status of experimental activity").is_empty
    assert only_item(form, "Quality Check").options == [
        "This activity is relevant to a CPD outcome",
        "The hypothesis is clearly stated",
        "This activity offers strong collaboration oportunities",
        "This activity offers a high potential for scaling",
        "This activity has a low risk",
    ]
    images = only_item(form, "Please upload any supporting images or visuals for this experiment.").images
    assert [im.line for im in images] == [131, 133]
    assert images[0].url.endswith("/blobs/experiments/b2a02bd8f493b04bd01b2f89f7aa76fe.png")
    assert form.messages == []


def test_corpus_solution_without_headings(corpus_form):
    """Rocket stove: solution-holder template, no ``##`` heading, country/latlng tags written twice."""
    form = corpus_form("rocket_stove.md")
    assert (form.title, form.n_lines) == ("Rocket Stove", 45)
    assert [(t.key, t.line) for t in form.tags if t.key in ("country", "latlng")] == [("country", 14), ("latlng", 15)]
    assert len(form.tags) == 10  # focal_point, year, type, sdgs, 4 thematic_areas, country, latlng
    assert len(form.sections) == 1
    assert [i.line for i in form.items] == [19, 23, 27, 31, 35, 39, 43]
    assert all(i.section == 0 and i.group is None for i in form.items)
    holder = only_item(form, "What is the name of the solution holder? (main contact person, if multiple)")
    assert holder.text == "Abdul Kareem"
    assert only_item(form, "Is this solution DIY / open source or IP protected?").options == ["IP protected"]
    assert only_item(form, "Is this solution a prototype or product?").options == ["Product"]
    market = only_item(
        form, "If this solution is a product, is it available in the market (off the shelf) or advance order has to be given?"
    )
    assert (market.options, market.lines[-1].line) == (["Available in market"], 45)
    assert form.messages == []


def test_corpus_innovation_challenge_solution(corpus_form):
    """For our sisters: innovation-challenge entry ("Name of the Innovator", "Age")."""
    form = corpus_form("for_our_sisters.md")
    assert (form.title, form.n_lines) == ("For our sisters", 59)
    assert [(t.value, t.line) for t in form.tag_values("gender")] == [("female", 14)]
    assert [t.value for t in form.tag_values("sdgs")] == [
        "1. No poverty",
        "3. Good health and well-being",
        "4. Quality education",
    ]
    assert len(form.sections) == 1
    assert [i.question for i in form.items] == [
        "Title of the innovation",
        "Brief description of the innovation",
        "Do you have a prototype for your innovation?",
        "Commercial Viability of the Innovation",
        "Technical Feasibility",
        "Anticipated Social Impact",
        "Additional image(s)",
        "Name of the Innovator",
        "Age",
        "Note",
    ]
    innovator = only_item(form, "Name of the Innovator")
    assert (innovator.line, innovator.text, innovator.content_lines()[0].line) == (49, "MILDRED SUKASHI", 51)
    assert only_item(form, "Age").options == ["19-35"]
    assert only_item(form, "Do you have a prototype for your innovation?").options == ["no"]
    viability = only_item(form, "Commercial Viability of the Innovation")
    assert [ln.line for ln in viability.content_lines()] == [30, 31]
    assert viability.text.count("\n") == 1
    assert len(only_item(form, "Additional image(s)").images) == 2
    assert only_item(form, "Note").urls == ["https://doi.org/10.5281/zenodo.4461265"]
    assert form.messages == []


def test_corpus_title_on_line_after_empty_h1(corpus_form):
    form = corpus_form("affidavit_of_health_to_go.md")
    assert (form.title, form.title_line) == ("affidavit of health to go", 2)
    assert [(t.key, t.line) for t in form.tags if t.key == "country"] == [("country", 15)]
    assert form.messages == []


def test_corpus_bare_cr_inside_tag(corpus_form):
    form = corpus_form("xfarm_academy_advanced.md")
    assert form.n_lines == 49
    themes = form.tag_values("thematic_areas")
    assert [t.line for t in themes] == [12]
    assert " ".join(themes[0].value.split()) == (
        "Digital Agriculture Precision Farming Data Analysis Technology in Agriculture"
    )
    assert (form.first_tag("country").value, form.first_tag("country").line) == ("England", 13)


def test_corpus_empty_tag_is_the_only_warning(corpus_form):
    form = corpus_form("reinventing_access_to_justice_in_guinea_bissau.md")
    assert [(m.level, m.code, m.line) for m in form.messages] == [("warning", "empty-tag", 17)]


def test_corpus_hashtag_answer_keeps_its_hash(corpus_form):
    # regression: the '#StayathomeBIH' answer line (line 16) was read as a heading and lost its '#'
    form = corpus_form("_stayathomebih.md")
    assert form.title == "#StayathomeBIH"
    assert only_item(form, "Title").text == "#StayathomeBIH"


# ---------------------------------------------------------------------------
# The whole corpus
# ---------------------------------------------------------------------------


@pytest.mark.slow
def test_whole_corpus_parses_without_errors(corpus_dir: Path):
    paths = sorted(corpus_dir.glob("*.md"))
    assert len(paths) > 6000
    started = time.perf_counter()
    errors: list[str] = []
    untitled: list[str] = []
    untagged: list[str] = []
    warnings = 0
    for path in paths:
        form = read_form(path, display_path=path.name)
        errors.extend(m.format(path.name) for m in form.messages if m.level == "error")
        warnings += sum(m.level == "warning" for m in form.messages)
        if not form.title:
            untitled.append(path.name)
        if not form.tags:
            untagged.append(path.name)
        assert form.first_tag("type") is not None, path.name
    elapsed = time.perf_counter() - started
    assert errors == []
    assert untitled == []
    assert untagged == []
    assert warnings >= 0  # warnings are allowed
    assert elapsed < 30, f"reading the corpus took {elapsed:.1f} s"


def test_line_breaks_the_export_wrote_as_no_break_spaces():
    """The export writes some answers' line breaks as a no-break space beside a space; a lone one is a space."""
    text = ("# T\n> Q\nAcme Ltd \u2013 seeds\u00a0 Beta Cooperative \u2013 tools\u00a0\u00a0Gamma\nIt is 10\u00a0km away.\n"
            "Delta Ltd\u00a0 - made seeds\u00a0 and tools\n")
    item = parse_form(text).items[0]
    assert [(ln.text, ln.line) for ln in item.lines] == [
        ("Acme Ltd \u2013 seeds", 3), ("Beta Cooperative \u2013 tools", 3), ("Gamma", 3), ("It is 10 km away.", 4),
        ("Delta Ltd - made seeds and tools", 5),  # no break before a dash or a lower-case word
    ]


def test_a_no_break_space_in_a_question_is_a_space():
    form = parse_form("# T\n> Who are your\u00a0 partners?\nAcme\n")
    assert form.items[0].question == "Who are your partners?"
