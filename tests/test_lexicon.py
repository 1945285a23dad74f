"""Tests of :mod:`kg.lexicon` and of the word lists in ``ontology/lexicon/``.

Every file must parse, name a known language on each row and list a term
once; a few hand-picked words must load; and no module of ``kg`` may keep a
large word list in its code (lists are data, read through ``kg.lexicon``).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import kg
from kg import lexicon
from kg.errors import InvalidDataError

ISO_639_1 = set(
    """aa ab ae af ak am an ar as av ay az ba be bg bi bm bn bo br bs ca ce ch co cr cs cu cv cy da de dv dz ee el en
    eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht hu hy hz ia id ie ig ii ik io is it iu ja jv
    ka kg ki kj kk kl km kn ko kr ks ku kv kw ky la lb lg li ln lo lt lu lv mg mh mi mk ml mn mr ms mt my na nb nd ne
    ng nl nn no nr nv ny oc oj om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg si sk sl sm sn so sq sr ss st
    su sv sw ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi vo wa wo xh yi yo za zh zu""".split()
)
NAMES = [path.stem for path in lexicon.files()]
KG_DIR = Path(kg.__file__).resolve().parent

# Literals of 15 or more strings that may stay in code, and why.
ALLOWED_LITERALS = {
    ("namespaces.py", "KINDS"): "the kinds of IRI kg.namespaces.mint makes: identifiers, not words",
    ("report.py", "_PLACEHOLDERS"): "the report's placeholder answers: not moved yet (kg.report), for no_partner.tsv",
    ("resolve.py", "_BLOCK_STOP"): "the resolver's blocking stop words: not moved yet (kg.resolve)",
    ("suggest.py", "SUGGESTION_COLUMNS"): "the column names of kg suggest's output: identifiers, not words",
    ("suggest.py", "cells"): "one suggestion's cells keyed by those column names: identifiers, not words",
}
# Regexes with 15 or more word alternatives that may stay in code, and why.
ALLOWED_PATTERNS = {
    ("forms.py", "_FORMAT_TAGS"): "HTML tag names, not words",
    ("privacy.py", "_PERSONAL_QUESTION"): "question phrases, a grammar of questions (as kg.questions reads them)",
    ("privacy.py", "_NAME_QUESTION"): "question phrases, a grammar of questions (as kg.questions reads them)",
    ("resolve.py", "_NATIONAL"): "the resolver's national-scope words: not moved yet (kg.resolve)",
}


@pytest.mark.parametrize("name", NAMES)
def test_every_file_parses_with_a_language_first(name):
    rows = lexicon.table(name)
    assert rows, f"{name}.tsv is empty"
    assert list(rows[0])[0] == "lang"
    for row in rows:
        assert all(value == value.strip() for value in row.values()), row
        assert row.get("term", row.get("pattern", "x")), row


@pytest.mark.parametrize("name", NAMES)
def test_every_row_has_a_known_language_code(name):
    unknown = {row["lang"] for row in lexicon.table(name)} - ISO_639_1 - {"*"}
    assert not unknown, f"{name}.tsv: unknown language codes {sorted(unknown)}"


@pytest.mark.parametrize("name", NAMES)
def test_no_term_is_listed_twice_in_a_language(name):
    keys = [tuple(v for k, v in row.items() if k != "use") for row in lexicon.table(name)]
    repeated = sorted({key for key in keys if keys.count(key) > 1})
    assert not repeated, f"{name}.tsv repeats {repeated}"


@pytest.mark.parametrize("name", [n for n in NAMES if "use" in lexicon.table(n)[0]])
def test_a_term_s_uses_are_on_one_row(name):
    terms = [row["term"] for row in lexicon.table(name)]
    repeated = sorted({term for term in terms if terms.count(term) > 1})
    assert not repeated, f"{name}.tsv lists {repeated} on several rows"
    assert all(row["use"].split() for row in lexicon.table(name)), f"{name}.tsv has a row serving no rule"


def test_hand_picked_words_load():
    assert {"dr", "sra", "mme"} <= lexicon.word_set("honorifics")
    assert {"dr", "sra", "eng"} <= lexicon.word_set("honorifics", use="strip")
    assert "eng" not in lexicon.word_set("honorifics", use="person")
    assert {"of", "de", "del", "l'", "&"} <= lexicon.word_set("connectors", use="name")
    assert {"ministry", "fundación", "s.r.l.", "unicef"} <= lexicon.word_set("org_keywords", use="finder")
    assert {"n/a", "not yet", "нет", "отсутству*"} <= lexicon.word_set("no_partner", use="opening")
    assert {"private sector", "local authorities"} <= lexicon.word_set("generic_collectives", use="collective")
    assert {"specialist", "ambassador"} <= lexicon.word_set("person_roles", use="head")
    assert {"hackathon", "campaña"} <= lexicon.word_set("event_words", use="tail")
    assert lexicon.words("articles", use="after_and") == ("the", "la", "el", "le")
    assert lexicon.words("typo_keywords")[:3] == ("ministry", "ministerio", "secretariat")
    assert {row["term"]: row["spelling"] for row in lexicon.table("spellings")}["fondation"] == "foundation"


def test_words_by_language_keep_language_neutral_terms():
    spanish = lexicon.word_set("connectors", lang="es")
    assert {"de", "del", "y", "&"} <= spanish
    assert "of" not in spanish


def test_alternation_escapes_and_puts_the_longest_first():
    assert lexicon.alternation(["a", "s.a.", "chair*", "a"]) == r"chair\w*|s\.a\.|a"
    pattern = re.compile(rf"^(?:{lexicon.alternation(['no', 'non', 'chair*'])})$")
    assert pattern.match("chairperson") and pattern.match("non") and not pattern.match("nona")


def test_a_malformed_file_or_an_unknown_use_is_refused(tmp_path, monkeypatch):
    (tmp_path / "test_broken.tsv").write_text("lang\tterm\nen\tone\textra\n", encoding="utf-8")
    (tmp_path / "test_plain.tsv").write_text("lang\tterm\nen\tone\n", encoding="utf-8")
    monkeypatch.setattr(lexicon, "lexicon_dir", lambda: tmp_path)
    with pytest.raises(InvalidDataError, match="test_broken.tsv:2"):
        lexicon.table("test_broken")
    with pytest.raises(InvalidDataError, match="no 'use' column"):
        lexicon.words("test_plain", use="any")
    with pytest.raises(InvalidDataError):
        lexicon.words("test_missing")


def test_no_module_keeps_a_large_word_list_in_code():
    found = set()
    for path in sorted(KG_DIR.glob("*.py")):
        for name, node in _named_nodes(ast.parse(path.read_text(encoding="utf-8"))):
            if name != "__all__" and _string_count(node) >= 15:
                found.add((path.name, name))
    allowed = set(ALLOWED_LITERALS)
    assert not found - allowed, f"word lists in code, for ontology/lexicon/: {found - allowed}"
    assert not allowed - found, f"allowed but gone, drop them from ALLOWED_LITERALS: {allowed - found}"


def test_no_module_keeps_a_large_word_alternation_in_a_regex():
    found = set()
    for path in sorted(KG_DIR.glob("*.py")):
        for name, node in _named_nodes(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and _word_alternatives(node.value) >= 15:
                found.add((path.name, name))
    allowed = set(ALLOWED_PATTERNS)
    assert not found - allowed, f"word lists in regexes, for ontology/lexicon/: {found - allowed}"
    assert not allowed - found, f"allowed but gone, drop them from ALLOWED_PATTERNS: {allowed - found}"


def _named_nodes(tree: ast.AST):
    """Every node of ``tree`` with the name it is assigned to ('' outside an assignment)."""
    def visit(node: ast.AST, name: str):
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            name = next((t.id for t in targets if isinstance(t, ast.Name)), name)
        yield name, node
        for child in ast.iter_child_nodes(node):
            yield from visit(child, name)

    yield from visit(tree, "")


def _string_count(node: ast.AST) -> int:
    """How many string constants a set, tuple, list or dict literal holds (0 for anything else)."""
    if isinstance(node, (ast.Set, ast.Tuple, ast.List)):
        items = node.elts
    elif isinstance(node, ast.Dict):
        items = [key for key in node.keys if key is not None]
    else:
        return 0
    return sum(isinstance(item, ast.Constant) and isinstance(item.value, str) for item in items)


def _word_alternatives(text: str) -> int:
    """How many alternatives of a regex are plain words or phrases ("ministry", "civil society")."""
    pieces = (re.sub(r"^[(?:\\b^]+|[)\\b$?*+]+$", "", piece.strip()) for piece in text.split("|"))
    return sum(bool(re.fullmatch(r"[^\W\d_]{2,}(?: [^\W\d_]+)*", piece)) for piece in pieces)
