"""Split partner answers into organisation names, roles, acronyms and actions.

Partner answers come as one name per group, or as lists: numbered, bulleted,
comma- or semicolon-separated, grouped under ``ACTION N: NAME`` headers, with
roles in parentheses ("(lead)"), acronyms in parentheses ("(UMSA)") and a
description after " - ", ":" or " – ". These rules turn such answers into
:class:`PartnerName` records and refuse what is not a name: headings,
instructions, sector words, "None", sentence fragments.

Names may be written in any script. Letters of scripts without case (Arabic,
Chinese, Thai, Georgian...) count as capitals, and names in Cyrillic, Greek
or Armenian may be in sentence case ("Министерство экономики"). Quotes and
guillemets around a whole name are taken off ("“Centro Ágil”" gives
"Centro Ágil"); quotes inside a name are part of it and kept as written
(``ТОО «Компания»``, ``NGO "Eco Life"``). A name given in two scripts side by
side ("UNICEF / ЮНИСЕФ", "Ministry of Economy (Министерство экономики)") is
one partner: the other spelling becomes its acronym when it is one, else its
description.

Whether a piece reads as a name at all (an organisation's, a collective, an
acronym, a sector word, a "None" answer...) is asked of :mod:`kg.names`,
which :mod:`kg.ner` asks too. The words these rules read (connectors,
organisation kinds, list endings...) are data in ``ontology/lexicon/``,
read through :mod:`kg.lexicon`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kg import lexicon
from kg.forms import AnswerLine
from kg.function_words import opens_like_prose
from kg.lexicon import alternation
from kg.lists import distribute_heads, drop_label, join_continuations, split_described, split_run_on
from kg.names import (
    OPENING_QUOTES,
    PARENTHESES,
    QUOTED,
    ends_in_event_word,
    has_event_word,
    is_acronym,
    is_caseless,
    is_generic,
    is_latin,
    is_lower_word,
    is_no_partner,
    is_sector_word,
    looks_like_name,
    looks_like_organisation,
    starts_like_name,
)
from kg.vocab import cut_unbalanced, fold, gazetteer_entry, infer_sector, initials, sector_from_label

__all__ = [
    "PartnerName",
    "parse_partner_lines",
    "parse_action_header",
    "split_conjunction",
    "joins_organisations",
    "split_heads",
    "is_self",
    "strip_quotes",
    "quoted_organisations",
    "in_two_scripts",
]


@dataclass(frozen=True)
class PartnerName:
    """One partner as named in an answer."""

    name: str
    line: int
    surface: str
    role: str = ""
    acronym: str = ""
    description: str = ""
    action: int | None = None
    sector: str = ""
    rule_ok: bool = True


def parse_action_header(text: str) -> tuple[int, str] | None:
    """``(number, name)`` if ``text`` is an ``ACTION N: NAME`` header, else None.

    A header's name ends at the first comma, period or " was/is ..." clause,
    so "Action 3: Digital Readiness Assessment, was deployed..." names
    "Digital Readiness Assessment".
    """
    match = _ACTION.match(text)
    if not match:
        return None
    name = match.group(2).strip()
    if len(name.split()) > 8 or ". " in name or ", " in name:
        name = _ACTION_NAME_END.split(name, maxsplit=1)[0]
    name = name.strip(" .:-–—")
    if not name or len(name) > 120:
        return None
    return int(match.group(1)), name


def parse_partner_lines(
    lines: list[AnswerLine], free_text: bool = False, candidates: bool = False
) -> list[PartnerName]:
    """Read partner names out of an answer's lines, in order, without repeats.

    ``free_text`` marks narrative answers (the 2021-23 "what partners did you
    actually work with" questions): only list-like segments that look like an
    organisation's name are kept there, never prose. With ``candidates``, an
    item of a list answer that the rules do not take for a name (a name in
    lower case, "Addis Ababa solid waste management agency") is kept too,
    marked ``rule_ok=False``, for the learned decision to judge.
    """
    names: list[PartnerName] = []
    seen: set[str] = set()
    action: int | None = None
    sector = ""
    for ln in lines:
        if ln.kind not in ("text", "option"):
            continue
        header = parse_action_header(_strip_marker(ln.text))
        if header:
            action = header[0]
            continue
        heading_sector, rest = _sector_heading(_strip_marker(ln.text))
        if heading_sector:
            sector = heading_sector
            if not rest:
                continue
        for segment in _segments(rest if heading_sector else ln.text, free_text):
            name = _parse_segment(segment, ln.line, action, free_text, candidates)
            if name and fold(name.name) not in seen:
                seen.add(fold(name.name))
                names.append(PartnerName(**{**name.__dict__, "sector": sector}) if sector else name)
    return names


def is_self(text: str) -> bool:
    """True for UNDP itself ("UNDP", "PNUD", "UNDP's"): the lab's own organisation, not a partner in prose."""
    return fold(text).strip(" .'’s") in _SELF


def strip_quotes(text: str) -> str:
    """``text`` without quotes around the whole of it, nor a stray quote at either end.

    "“Centro Ágil”" and "«Fundación Pachamama»" lose their quotes; quotes inside
    a name stay ("ТОО «Компания»", '"Kameda" public fund'). A stray closing
    apostrophe stays after a plural possessive ("Farmers'").
    """
    text = text.strip()
    while len(text) > 2 and _closer_of(text, 0) == len(text) - 1:
        text = text[1:-1].strip()
    if text[:1] in _DOUBLE_QUOTES and _closer_of(text, 0) is None:
        text = text[1:].strip()
    if (text[-1:] in _DOUBLE_QUOTES and not _is_closed(text, len(text) - 1)) or (
        text[-1:] in "’'" and not _is_closed(text, len(text) - 1) and not text[:-1].endswith(("s", "S"))
    ):
        text = text[:-1].strip()
    return text


def quoted_organisations(text: str) -> list[str]:
    """Organisations that a sentence names by a quoted name, in order.

    Three ways of writing them are read: a kind before the quotes ('NGO “Eco
    Life”', 'ТОО «Компания»', kept whole), a kind after them ('"Green Hub" and
    "Lab X" organisations'), and "an organisation called 'X'". Quoted titles of
    projects, campaigns and events are not organisations.
    """
    found: list[str] = []
    for match in _QUOTED_ANY.finditer(text):
        inner = strip_quotes(match.group(0))
        if not inner or not starts_like_name(inner) or len(inner.split()) > 10 or ends_in_event_word(inner):
            continue
        kind = _kind_before(text[: match.start()])
        if kind:
            name = unquote_kind(f"{kind} {match.group(0)}")[0]
        elif _called(text[: match.start()]) or _kind_after(text[match.end() :]):
            name = inner
        else:
            continue
        if looks_like_name(name) and fold(name) not in map(fold, found):
            found.append(name)
    return found


def in_two_scripts(first: str, second: str) -> bool:
    """True when one text is written in Latin letters and the other mostly in another script ("UNICEF", "ЮНИСЕФ")."""
    has_letters = any(ch.isalpha() for ch in first) and any(ch.isalpha() for ch in second)
    return has_letters and is_latin(first) != is_latin(second)


_ACTION = re.compile(
    rf"^\s*(?:{alternation(lexicon.words('action_words'))})\s*(?:n[°ºo.]\s*)?(\d{{1,2}})\s*[:.\-–—)]\s*(.+)$", re.I
)
_ACTION_NAME_END = re.compile(rf",|\.\s|\s(?:{alternation(lexicon.words('clause_words', use='action_end'))})\s", re.I)
_MARKER = re.compile(r"^\s*(?:[-*•·▪●+]+|\(?\d{1,2}\s*[.)\-–]|\(?[a-h][.)])\s*")
_INLINE_NUMBER = re.compile(r"\s(?:\d{1,2}[.)\-]|\(\d{1,2}\))\s+(?=\S)")
_DESC_SPLIT = re.compile(
    r"\s+[-–—]\s+|\s*[–—]\s*|:\s+|\s+-$|(?<=[^\W\d])-\s+(?=[A-ZÀ-Ý])|(?<=[A-Z]{2})-\s+(?=[a-z])|\s+(?:within|under|inside)\s+(?=[A-ZÀ-Ý])"
)
_DOUBLE_QUOTES = '"«»‹›“”„「」『』'
_CLOSERS = {
    '"': '"',
    "'": "'",
    "«": "»",
    "»": "«",
    "‹": "›",
    "“": "”“",
    "„": "“”",
    "‘": "’",
    "‚": "‘’",
    "「": "」",
    "『": "』",
    "”": "”",
}
_QUOTED_ANY = re.compile(rf"{QUOTED.pattern}|(?<!\w)'[^'\n]{{2,80}}'(?!\w)|‘[^‘’\n]{{2,80}}’(?!\w)")
_AFTER_QUOTES = re.compile(
    rf"^(?:\s*(?:,|{alternation(lexicon.words('conjunctions', use='quotes'))})\s*(?:{_QUOTED_ANY.pattern}))*"
    r"\s*([^\W\d_][\w-]*)"
)
_CALLED = lexicon.word_set("naming_verbs")
_KIND_WORDS = lexicon.word_set("org_kinds")
_ARTICLE_WORDS = frozenset(fold(w) for w in lexicon.words("articles", use="name"))
_GENERIC = lexicon.word_set("generic_collectives", use="collective")
_LABELLED_LIST = re.compile(r"^(.*?)\s*[\[(]([^\])]*[;,][^\])]*)[\])]\s*$")
_LABELLED_ONE = re.compile(r"^([^()\[\],;]+?)\s*[\[(]([^\])]+)[\])]\s*$")
_SLASH = r"\s+/\s+"
_ARTICLES = alternation(lexicon.words("articles", use="name"))
_AND_THE = (
    rf"\s+(?:{alternation(lexicon.words('conjunctions', use='before_article'))})\s+(?:{_ARTICLES})\s+(?=[A-ZÀ-Ý])"
)
_PAIR_AND = rf"\s+(?:{alternation(lexicon.words('conjunctions', use='pair'))})\s+"
_LIST_WORDS = alternation(lexicon.words("conjunctions", use="list"))
_LIST_AND = re.compile(rf"^(?:{_LIST_WORDS})\s+")
_JOINED_LAST = re.compile(rf"^(?:{_LIST_WORDS})\s")
_LIST_END = re.compile(rf"\s+(?:{alternation(lexicon.words('list_endings'))})$")
_ENUMERATED = re.compile(rf"\s(?:{alternation(lexicon.words('connectors', use='enumerated'))})\s")
_LEADING_ARTICLE = re.compile(rf"^(?:{_ARTICLES})\s+", re.I)
_ARTICLE_BEFORE_NAME = re.compile(rf"^(?:{_ARTICLES})\s+(?=[A-Z\"«“„‘])", re.I)
_TRAILING_OPENER = re.compile(rf"[:;,]?\s+(?:{alternation(lexicon.words('trailing_words', use='segment'))})$")
_INLINE_LABEL = re.compile(rf"(?:^|\s)(?:{alternation(lexicon.words('sector_words', use='inline_label'))})\s*:\s+")
_HEAD = re.compile(
    rf"\b(?:{alternation(lexicon.words('head_words', use='split'))})"
    rf"\s+(?:{alternation(lexicon.words('connectors', use='head'))})\b"
    rf"|\b(?:{alternation(lexicon.words('head_words', use='adjective'))})\s+(?=[A-Z])"
)
_HEAD_START = re.compile(rf"^(?:{alternation(lexicon.words('head_words', use='start'))})\b")
_JOINERS = tuple(f" {word}" for word in lexicon.words("connectors", use="joiner"))
_PERSON_AT = re.compile(
    rf"^(?:[\w-]+\s+){{0,2}}(?:{alternation(lexicon.words('person_roles', use='at'))})\s+(?:\w+\s+)?"
    rf"(?:{alternation(lexicon.words('connectors', use='person_at'))})\s+(?:the\s+)?([A-ZÀ-Ý].+)$",
    re.I,
)
_NAMED_AFTER = re.compile(
    rf"\b(?:{alternation(lexicon.words('connectors', use='named_after'))})\s+((?:[A-ZÀ-Ý][\w’'.&\-]*\s*)+)$"
)
_SELF = lexicon.word_set("self_names")
_URL = re.compile(r"(?:https?://|www\.)\S+", re.I)
_KEEP_FINAL_DOT = re.compile(rf"(?:\b\w\.\w+|\b(?:{alternation(lexicon.words('abbreviations'))}))\.$")


def _sector_heading(text: str) -> tuple[str, str]:
    """``("government", rest)`` for a line such as "Government:" or "Private sector: Acme Ltd"."""
    head, sep, rest = text.partition(":")
    if not sep and (named := _label_and_name(text)):
        head, rest = named  # "UN agencies (ILO)": the label, then the name
    elif not sep:
        head, rest = text.strip(), ""  # a header on a line of its own: "Ministries", "NGO", "Private sector"
    if len(head.split()) > 4:
        return "", text
    sector = sector_from_label(head) or _collective_sector(head)
    return (sector, rest.strip()) if sector else ("", text)


def _collective_sector(label: str) -> str:
    """The sector a collective label names ("Ministries", "Private Lead Companies", "Sister agencies"), else ''."""
    if not is_generic(label):
        return ""
    inferred = infer_sector(label)
    return inferred[0] if inferred else ""


def _strip_marker(text: str) -> str:
    return _MARKER.sub("", text, count=1).strip()


def _segments(text: str, free_text: bool) -> list[str]:
    """Split one answer line into candidate name segments."""
    text = _INLINE_NUMBER.sub(lambda m: " ; " if _capital_next(m.string[m.end() :]) else m.group(0), " " + text)
    text = text.strip(" ;")
    text = _INLINE_LABEL.sub(" ; ", text).strip(" ;")
    pieces: list[str] = []
    for part in _split_outside_parens(text, r";|\s\|\s"):
        part = _strip_marker(part)
        if not part:
            continue
        listed = _LABELLED_LIST.match(part)
        if listed and (is_generic(listed.group(1)) or sector_from_label(listed.group(1))):
            pieces.extend(_list_pieces(re.sub(r"\s+", " ", listed.group(2)).replace(";", ",")))
            continue
        if named := _label_and_name(part):
            pieces.append(named[1])
            continue
        for piece in _list_pieces(part):
            for head_piece in split_heads(piece):
                for joined in _split_outside_parens(head_piece, _AND_THE):
                    slashed = _split_outside_parens(joined, _SLASH)
                    if len(slashed) > 1 and (not all(looks_like_name(p) for p in slashed) or _two_scripts(joined)):
                        slashed = [joined]
                    slashed = _acronym_pair(slashed)
                    for piece_ in slashed:
                        pieces.extend(split_conjunction(piece_))
    if free_text:
        # a remark in brackets or a " - description" may be long; the name may not
        pieces = [
            p for p in pieces if len(PARENTHESES.sub(" ", re.split(r"\s[-–—]\s", p, maxsplit=1)[0]).split()) <= 12
        ]
    return pieces


def _label_and_name(text: str) -> tuple[str, str] | None:
    """``(label, name)`` for a collective or sector label with one name in brackets: "UN agencies (ILO)".

    The label is plural or a sector ("GOUVERNEMENT (ministère de l'agriculture)");
    a singular one is part of the name ("Municipality (Environment Secretariat)")
    or a person's role ("GIS specialist (UNDP HQ)").
    """
    match = _LABELLED_ONE.match(text.strip())
    if match is None:
        return None
    label, inner = match.group(1).strip(), match.group(2).strip()
    plural = label.endswith("s") and is_generic(label)
    if not (plural or sector_from_label(label) or is_sector_word(label)):
        return None
    if opens_like_prose(inner) or not (starts_like_name(inner) or is_acronym(inner) or looks_like_organisation(inner)):
        return None  # "NGOs (in youth)", "Youth (15-24)"
    return label, inner


def _list_pieces(part: str) -> list[str]:
    """A list item's names before the finer splits: its label dropped, run-on names apart, shared heads shared."""
    pieces = []
    runs = [run for item in split_described(drop_label(part, _is_list_label)) for run in split_run_on(item)]
    for run in runs:
        if _one_described_name(run):
            pieces.append(run)  # "Ministry of X – hearings, workshops": the commas are the description's
            continue
        shared = distribute_heads(run, _names_one)
        if len(shared) > 1:
            pieces.extend(shared)
        else:
            pieces.extend(_split_commas(run) if "," in run else [run])
    return pieces


def _one_described_name(text: str) -> bool:
    """One name and a description after a dash, with no other dash: "Acme Ltd – seeds, tools and training"."""
    parts = _split_outside_parens(text, r"\s[-–—]\s")
    return len(parts) == 2 and "," not in parts[0] and looks_like_name(parts[0].strip()) and "," in parts[1]


def _is_list_label(text: str) -> bool:
    """A label before a list ("Private companies", "Academia partners"): a generic collective or a sector."""
    return is_generic(text) or sector_from_label(text) is not None or is_generic(text.rsplit(" ", 1)[-1])


def _names_one(text: str) -> bool:
    """True when ``text`` names an organisation by itself (an organisation word or an acronym)."""
    return looks_like_organisation(text) or is_acronym(text.strip())


def _acronym_pair(parts: list[str]) -> list[str]:
    """ "FARN / Fundación Ambiente y Recursos Naturales" is one name and its acronym: ["Fundación ... (FARN)"]."""
    if len(parts) == 2:
        for acronym, name in (parts, parts[::-1]):
            if is_acronym(acronym) and initials(name) == acronym.upper():
                return [f"{name} ({acronym})"]
    return parts


def joins_organisations(name: str) -> bool:
    """True when "and"/"&"/"y"/"et" joins two organisations in ``name`` ("National Academy of Sciences and Institute
    of Economy"), whether or not the list rules split it."""
    parts = [p for p in _split_outside_parens(name, _PAIR_AND) if p.strip()]
    return len(parts) > 1 and all(looks_like_organisation(p) or is_acronym(p.strip()) for p in parts)


def split_conjunction(text: str) -> list[str]:
    """Split "UNICEF and WFP" / "UNFPA & UNICEF" when both sides are organisations by themselves."""
    parts = _split_outside_parens(text, _PAIR_AND)
    if len(parts) == 2 and all(_known(p) or (looks_like_organisation(p) and looks_like_name(p)) for p in parts):
        if all(_known(p) for p in parts) or all(gazetteer_entry(p) or _HEAD_START.match(p) for p in parts):
            return (
                parts  # "UNICEF and WFP", "Ministry of Education and UNICEF"; not "Ministry of Digitalization and IT"
            )
    return _split_before_heads(text)


def _split_before_heads(text: str) -> list[str]:
    """Split at an "and"/"&" that a new organisation's head word follows, after a complete name.

    "San Felipe Neri Market & Municipality of Panama", "CSM and Ministry of
    justice", "Ministry of environment & Ministry of Livestock, Agriculture and
    Fisheries"; "Ministry of Youth and Sports" stays whole.
    """
    parts, start = [], 0
    for match in re.finditer(_PAIR_AND, text):
        before, after = text[start : match.start()], text[match.end() :]
        if before.count("(") > before.count(")"):
            continue
        if _HEAD_START.match(after) and looks_like_organisation(after) and (_known(before) or looks_like_name(before)):
            parts.append(before)
            start = match.end()
    return [*parts, *split_conjunction(text[start:])] if parts else [text]


def _known(text: str) -> bool:
    """An acronym or an organisation of the gazetteer ("UN Women"): a name by itself."""
    return is_acronym(text) or gazetteer_entry(text.strip()) is not None


def _two_scripts(text: str) -> tuple[str, str] | None:
    """ "UNICEF / ЮНИСЕФ" -> ("UNICEF", "ЮНИСЕФ"): one name written in two scripts; None for anything else."""
    parts = _split_outside_parens(text, r"\s*/\s*")
    if len(parts) == 2 and in_two_scripts(*parts) and all(looks_like_name(p) or is_acronym(p) for p in parts):
        return parts[0], parts[1]
    return None


def _split_outside_parens(text: str, separator: str) -> list[str]:
    """Split ``text`` on ``separator`` where it is not inside parentheses or quotes."""
    masked = _mask(text)
    pieces, start = [], 0
    for match in re.finditer(separator, masked):
        pieces.append(text[start : match.start()])
        start = match.end()
    pieces.append(text[start:])
    return [p.strip() for p in pieces]


def split_heads(text: str) -> list[str]:
    """Cut names run together without separators before a head word ("... Agriculture Ministry of Justice").

    A cut is made before a head word (Ministry, Ministerio, Secretariat, ...)
    followed by "of"/"de", when what comes before is a name of its own (it has an
    organisation keyword) or a generic label ("Government Agencies").
    """
    cuts = [m.start() for m in _HEAD.finditer(text) if m.start() > 0]
    pieces, start = [], 0
    for cut in cuts:
        before = text[start:cut].strip()
        if before and (looks_like_organisation(before) or is_generic(before)) and not before.endswith(_JOINERS):
            pieces.append(before)
            start = cut
    pieces.append(text[start:].strip())
    return [p for p in pieces if not is_generic(p)] or pieces[-1:]


def _split_commas(text: str) -> list[str]:
    """Split a comma list of names, but keep "Ministry of Youth, Sports and ..." whole."""
    parts = join_continuations(_split_outside_parens(text, ","), _names_one)
    if len(parts) < 2:
        return parts
    head = _split_outside_parens(text, r"\s[-–—]\s")[0]
    if _is_enumerated_name(parts) or (head != text and _is_enumerated_name(_split_outside_parens(head, ","))):
        return [text]  # "Ministry of Science, Technology, and Innovation - Cities of A, B and C"
    parts = [_LIST_AND.sub("", p) for p in parts]
    parts = [_LIST_END.sub("", p) for p in parts]
    named = [_named_in(p) for p in parts if p]
    roles = {name: role for name, role in named}
    parts = [name for name, _ in named]
    names = [p for p in parts if looks_like_name(p) or is_acronym(p)]
    if not names:
        return [text]
    return [f"{n} ({roles[n]})" if roles.get(n) else n for n in names]


def _named_in(text: str) -> tuple[str, str]:
    """The organisation a described item names, and the role words before it.

    "mentors associated from Codeando México" gives ("Codeando México", "mentors").
    """
    bare = _LEADING_ARTICLE.sub("", text.strip())
    person = _PERSON_AT.match(bare)
    if person:
        return person.group(1), ""
    if looks_like_name(bare) or not bare[:1].islower():
        return bare, ""
    match = _NAMED_AFTER.search(bare)
    if not match:
        return text, ""
    role = bare[: match.start()].split()
    return match.group(1).strip(), role[0] if role and len(role) <= 3 else ""


def _is_enumerated_name(parts: list[str]) -> bool:
    """True for one name whose words are a comma list: "Ministry of Youth, Sports, and Community Empowerment"."""
    first = fold(parts[0])
    has_connector = _ENUMERATED.search(first) is not None
    tail_short = all(len(p.split()) <= 3 for p in parts[1:])
    joined_last = _JOINED_LAST.match(fold(parts[-1])) is not None
    return has_connector and tail_short and (joined_last or (len(parts) == 2 and len(parts[1].split()) == 1))


def _parse_segment(
    segment: str, line: int, action: int | None, free_text: bool, candidates: bool = False
) -> PartnerName | None:
    surface = segment.strip()
    text = cut_unbalanced(" ".join(_URL.sub(" ", surface).replace("()", " ").split())).strip(" ;,:-–—")
    text = _TRAILING_OPENER.sub("", text).strip(" ;,")
    if text.endswith(".") and not _KEEP_FINAL_DOT.search(text):
        text = text.rstrip(". ")
    text, description = _split_description(text)
    label_sector = sector_from_label(text) if description else None
    if label_sector or (description and is_sector_word(text)):
        text, description = description, ""  # "Private Sector- RM enterprise": a sector label, then the name
    text, acronym, role, spelling = _split_parentheses(text)
    if pair := _two_scripts(text):
        text, other = pair
        acronym, spelling = (other, spelling) if is_acronym(other) and not acronym else (acronym, spelling or other)
    description = description or spelling
    text = _ARTICLE_BEFORE_NAME.sub("", text).strip(" ;,:-")
    text, kind = unquote_kind(strip_quotes(text))
    description = description or kind
    if acronym and not text:
        text, acronym = acronym, ""
    rule_ok = looks_like_name(text) or _acceptable_acronym(text)
    if (not rule_ok and not (candidates and not free_text and _could_be_name(text))) or opens_like_prose(text):
        return None  # ... or a clause ("or any sector that wants ...", "Celebrating the UN Year of ...")
    if _is_place(text) or ends_in_event_word(text):
        if not candidates or free_text:
            return None
        rule_ok = False  # "Commonwealth Local Government Forum": the learned decision judges a place or an event word
    stated_sector = label_sector or ""
    if role and (sector_from_label(role) or is_sector_word(role)):
        role, stated_sector = "", sector_from_label(role) or ""
    return PartnerName(text, line, surface, role, acronym, description, action, stated_sector, rule_ok)


def _could_be_name(text: str) -> bool:
    """A list item the rules refuse but a reader might not: short, no question, placeholder or collective."""
    words = text.split()
    if not 1 <= len(words) <= 10 or text.endswith(("?", ":")) or "," in text or is_no_partner(text):
        return False
    folded = [fold(w).strip(".'’") for w in words]
    stop = lexicon.word_set("stopwords")
    if folded[-1] in stop or sum(w in stop for w in folded) * 2 >= len(folded) + (len(folded) == 1):
        return False  # a clause ("At this level, we are still"), not a name
    return not (is_generic(text) or is_sector_word(text) or sector_from_label(text))


def _is_place(text: str) -> bool:
    """A bare country or province name ("Catamarca", "Kenya") is a place, not a partner."""
    from kg.countries import resolve_country

    return len(text.split()) <= 3 and not looks_like_organisation(text) and resolve_country(text) is not None


def _acceptable_acronym(text: str) -> bool:
    """A bare acronym ("CITEC") is a name unless it says "none" or names a sector or UNDP itself."""
    return (
        is_acronym(text or "")
        and len(text) <= 12
        and not is_no_partner(text)
        and fold(text) not in _GENERIC
        and not is_sector_word(text)
        and not is_generic(text)
    )


def _split_description(text: str) -> tuple[str, str]:
    """Split "NAME - description"; a label before an organisation ("Flowers in the air: X Office") gives X."""
    masked = _mask(text)
    match = _DESC_SPLIT.search(masked)
    parts = [text[: match.start()], text[match.end() :]] if match else [text]
    if len(parts) == 2 and parts[0].strip():
        head, tail = parts[0].strip(), parts[1].strip()
        tail_name = PARENTHESES.sub(" ", tail).strip()
        if not looks_like_organisation(head) and looks_like_organisation(tail_name) and looks_like_name(tail_name):
            return tail, head
        return head, tail
    return text, ""


def _split_parentheses(text: str) -> tuple[str, str, str, str]:
    """Take acronyms, roles and spellings in another script out of parentheses.

    Returns ``("Name", "ACR", "role", "other spelling")``: "Ministry of Economy
    (Министерство экономики)" gives the Cyrillic name as the other spelling.
    """
    acronym = role = spelling = ""
    outer = PARENTHESES.sub(" ", text)
    for inner in PARENTHESES.findall(text):
        inner_s = strip_quotes(inner.strip())
        if is_acronym(inner_s) and len(inner_s) <= 15 and not acronym:
            acronym = inner_s
        elif inner_s and is_lower_word(inner_s) and len(inner_s.split()) <= 5 and not role:
            role = inner_s
        elif in_two_scripts(inner_s, outer) and looks_like_name(inner_s) and not spelling:
            spelling = inner_s
        elif looks_like_name(inner_s) and is_acronym(PARENTHESES.sub("", text).strip()):
            acronym, text = PARENTHESES.sub("", text).strip(), f"{inner_s}"
            return text, acronym, role, spelling
    return " ".join(outer.split()), acronym, role, spelling


def _mask(text: str) -> str:
    """``text`` with its parenthesised and quoted parts blanked (same length), so no separator cuts them."""
    masked = PARENTHESES.sub(lambda m: "\0" * len(m.group(0)), text)
    return QUOTED.sub(lambda m: "\0" * len(m.group(0)), masked)


def unquote_kind(text: str) -> tuple[str, str]:
    """``(name, kind)`` for a quoted name with a kind of organisation before or after it, else ``(text, "")``.

    'NGO “Eco Life”', 'Start-up "Groupe Service Universel"', 'The Social
    Initiative "Refuturism"' and '"Kameda" public fund' name Eco Life, Groupe
    Service Universel, Refuturism and Kameda: the kind says what they are.
    """
    match = QUOTED.search(text)
    if match is None:
        return text, ""
    opened = max(text.rfind(q, 0, match.start()) for q in '“«„"')
    if opened >= 0:  # 'NGO “Foundation “Dobra”': the name opens at the first quote
        kind, name = text[:opened].strip(), _unquoted(text[opened:])
        folded = [fold(w) for w in kind.split()]
        return (
            (name, kind) if folded and folded[-1].rstrip("s") in _KIND_WORDS and starts_like_name(name) else (text, "")
        )
    before = text[: match.start()].split()
    after = text[match.end() :].split()
    kind_words = before if before and not after else after if after and not before else []
    words = [fold(w).strip(".,;:") for w in kind_words if fold(w) not in _ARTICLE_WORDS]
    if not 1 <= len(words) <= 3 or words[-1].rstrip("s") not in _KIND_WORDS:
        return text, ""
    inner = _unquoted(match.group(0)[1:-1])
    return (inner, " ".join(kind_words)) if inner and starts_like_name(inner) else (text, "")


def _unquoted(text: str) -> str:
    """``text`` without any double quote mark, stripped."""
    return "".join(ch for ch in text if ch not in _DOUBLE_QUOTES).strip()


def _kind_before(before: str) -> str:
    """The fewest capitalised words just before a quote that say what kind of organisation it is ("NGO", "ТОО")."""
    chunk = re.split(r"\s{2,}|[,;:.()–—]\s|\s[-–—]\s", before)[-1]
    run: list[str] = []
    for word in reversed(chunk.split()[-3:]):
        if not starts_like_name(word):
            return ""
        run.insert(0, word)
        if has_event_word(word):
            return ""
        if any(is_acronym(w) for w in run) or looks_like_organisation(" ".join(run)):
            return " ".join(run)
    return ""


def _called(before: str) -> bool:
    """True for "an organisation called" / "una fundación llamada" just before a quote."""
    words = [fold(w) for w in before.split()[-3:]]
    return len(words) >= 2 and words[-1] in _CALLED and any(w.rstrip("s") in _KIND_WORDS for w in words[:-1])


def _kind_after(after: str) -> bool:
    """True when the quote (or a list of quotes) is followed by a kind of organisation ('"X" and "Y" organisations')."""
    match = _AFTER_QUOTES.match(after)
    return match is not None and fold(match.group(1)).rstrip("s") in _KIND_WORDS


def _closer_of(text: str, start: int) -> int | None:
    """The index of the quote that closes the one opening at ``start`` (None if it is not closed)."""
    closers = _CLOSERS.get(text[start : start + 1], "")
    if not closers or (text[start] in "'‘‚" and start + 1 < len(text) and not text[start + 1].isalnum()):
        return None
    for i in range(start + 1, len(text)):
        if text[i] in closers and (text[i] not in "'’" or i + 1 == len(text) or not text[i + 1].isalnum()):
            return i
    return None


def _is_closed(text: str, end: int) -> bool:
    """True when the quote at ``end`` closes one opened before it."""
    return any(_closer_of(text, i) == end for i in range(end) if text[i] in _CLOSERS)


def _capital_next(text: str) -> bool:
    """True when ``text``, past opening quotes, starts with a capital or a letter of a script without case."""
    bare = text.lstrip(OPENING_QUOTES)
    return bare[:1].isupper() or is_caseless(bare[:1])
