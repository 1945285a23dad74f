"""Turn a parsed :class:`~kg.forms.Form` into an :class:`Extraction` of facts.

An extraction holds what the graph needs about one document: its type and
template family, year (and the span of years its timeline gives), countries and locations, methods, data sources,
themes, SDGs, experiment metafields, actions, partnerships, key insights and
handover outcomes, each with the line it came from. Problems become messages
on the extraction; nothing here raises on odd input.
"""

from __future__ import annotations

import itertools
import os
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import TypeAlias

from kg import lexicon, vocab
from kg.countries import resolve_country
from kg.decide import (
    LinearModel,
    candidate_features,
    context_features,
    decision_model,
    name_features,
    never_partner,
    sector_model,
)
from kg.forms import AnswerLine, Form, Item, Message
from kg.function_words import opens_like_prose, reads_as_list
from kg.lexicon import alternation
from kg.lists import split_described
from kg.names import is_acronym, is_cut_short, is_no_partner, looks_like_name, looks_like_organisation
from kg.ner import EntityReader, OrgSpan, find_organisations
from kg.partners import (
    PartnerName,
    in_two_scripts,
    is_self,
    parse_action_header,
    parse_partner_lines,
    quoted_organisations,
    split_conjunction,
    split_heads,
    strip_quotes,
)
from kg.people import people_in
from kg.privacy import is_personal_question
from kg.questions import free_sector_of, partner_question_kind
from kg.spans import find_partner_spans
from kg.vocab import gazetteer_entry, infer_sector, sector_from_label

__all__ = [
    "CountryRef",
    "Location",
    "Action",
    "Partnership",
    "Insight",
    "Mention",
    "Extraction",
    "extract",
    "extract_many",
    "partner_candidates",
    "partner_answer_lines",
    "default_decision",
    "sector_features",
    "template_family",
    "year_span",
]


@dataclass(frozen=True)
class CountryRef:
    """A ``[[country:...]]`` tag: the name as written and its ISO3 code ('' if unknown)."""

    name: str
    iso3: str
    label: str
    line: int


@dataclass(frozen=True)
class Location:
    """A ``[[latlng:...]]`` point and the country tag it follows."""

    lat: Decimal
    lng: Decimal
    country_iso3: str
    line: int


@dataclass
class Action:
    """An initiative inside a portfolio, numbered as the form numbers it."""

    number: int
    name: str
    line: int
    aliases: list[str] = field(default_factory=list)


@dataclass
class Partnership:
    """A partner named by a form: who, in what role and sector, under which action."""

    name: str
    line: int
    question: str
    role: str = ""
    acronym: str = ""
    description: str = ""
    sector: str = "unknown"
    sector_source: str = "none"
    action: int | None = None
    unusual: bool | None = None
    surface: str = ""
    repeat: int = 0
    source: str = "list"
    context: str = ""
    rule_ok: bool = True
    span_found: bool = False


@dataclass(frozen=True)
class Mention:
    """An organisation named in a narrative answer: a mention, never a partner."""

    name: str
    line: int
    question: str
    acronym: str = ""
    source: str = "rule"


@dataclass(frozen=True)
class Insight:
    """One key insight of a closing form, ranked as listed."""

    rank: int
    text: str
    line: int


@dataclass
class Extraction:
    """Every fact extracted from one form."""

    path: str
    sha256: str
    family: str
    doc_type: str
    title: str
    year: int | None = None
    year_span: tuple[int, int] | None = None
    focal_point: str = ""
    countries: list[CountryRef] = field(default_factory=list)
    locations: list[Location] = field(default_factory=list)
    methods: list[tuple[str, int]] = field(default_factory=list)
    datasources: list[tuple[str, int]] = field(default_factory=list)
    themes: list[tuple[str, int]] = field(default_factory=list)
    sdgs: list[tuple[int, int]] = field(default_factory=list)
    metafields: list[tuple[str, str, int]] = field(default_factory=list)
    actions: list[Action] = field(default_factory=list)
    partnerships: list[Partnership] = field(default_factory=list)
    mentions: list[Mention] = field(default_factory=list)
    insights: list[Insight] = field(default_factory=list)
    handover: list[tuple[str, int]] = field(default_factory=list)
    items: list[Item] = field(default_factory=list)
    sections: list[str] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)

    @property
    def country(self) -> str:
        """The ISO3 code of the first resolved country, or ''."""
        return next((c.iso3 for c in self.countries if c.iso3), "")

    @property
    def years(self) -> tuple[int, int] | None:
        """The first and last year the form's partnerships are active in, or None when the form gives no year.

        The span of its timeline answer (:attr:`year_span`) where it gives one,
        else its year (``[[year:...]]``) both times.
        """
        if self.year_span is not None:
            return self.year_span
        return None if self.year is None else (self.year, self.year)

    def warn(self, code: str, text: str, line: int = 0) -> None:
        """Record a warning about the form."""
        self.messages.append(Message("warning", code, text, line))


fold = lru_cache(maxsize=1 << 16)(vocab.fold)  # forms repeat their questions: fold each one once

METAFIELD_KEYS = (
    "assignment_type",
    "control_group",
    "experiment_status",
    "experiment_type",
    "partnering_sector",
    "quality_check",
    "sample_size",
    "total_cost",
    "scaling",
    "gender",
    "consent",
)

_Prose: TypeAlias = tuple[Item, AnswerLine, tuple[str, str] | None, str]
"""A prose sentence of a partner answer for the organisation finder: its item, its line, the sector stated, the text."""
_Narrative: TypeAlias = tuple[Item, AnswerLine]
"""A narrative answer line, where the organisation finder looks for mentions."""

_GROUP_SECTOR_Q = re.compile(r"what sector does (our|your|the) partner belong")
_UNUSUAL_GROUP_Q = re.compile(r"is this a new and unusual partner")
_INSIGHT_Q = re.compile(r"key insights")
_HANDOVER_Q = re.compile(r"best describe(s)? the handover")
_DESCRIPTION_Q = re.compile(r"brief description of the (collaboration|partnership)")
_SECTOR_OPENING = re.compile(r"^\s*([A-Za-z][\w /]{2,30}?)\s*(?:sector)?\s*[-–—:]\s")
_HONORIFIC = re.compile(rf"^\s*(?:{alternation(lexicon.words('honorifics', use='person'))})\.?\s+[A-ZÀ-Ý]", re.I)
_PERSON_ROLE = re.compile(
    rf"(?:(?:{alternation(lexicon.words('person_roles', use='qualifier'))}) )?"
    rf"(?:{alternation(lexicon.words('person_roles', use='partner_role'))})"
)
_LEADING_NAME = re.compile(r"^\s*(?:[-*•]\s*)?([^\s].{1,118}?)(?:\s+[-–—:]|(?<=[^\W\d]{2})[-–—])\s")
_LEADING_CLAUSE = re.compile(
    r"^\s*((?:[^\W_a-zß-ÿ]|[\"«“„‘])[^,;]{1,100}?)\s*,?\s+"
    rf"(?:{alternation(lexicon.words('clause_words', use='clause'))}"
    rf"|(?i:{alternation(lexicon.words('clause_words', use='clause_any_case'))}))\b"
)
_STATED_ROLE = re.compile(
    rf"^[^.]{{0,20}}?\b(?:{alternation(lexicon.words('clause_words', use='role_verb'))})"
    rf"\s+(?:{alternation(lexicon.words('clause_words', use='role_determiner'))})\s+((?:[a-z]+\s+){{1,3}}partner)\b"
)
_PARENTHETICAL = re.compile(r"\([^()]*\)")
_SENTENCE = re.compile(r"(?<![A-Z])\.\s+(?=[^\W\d_a-zß-ÿ]|[\"«“„‘])")  # before a capital (any script) or a quote
_APPOSITION_OPENERS = lexicon.word_set("articles", use="apposition")
_LABEL_PREFIX = re.compile(rf"^(?:{alternation(lexicon.words('status_labels'))})\s*:\s*", re.I)
_YES = re.compile(rf"^(?:{alternation(lexicon.words('yes_no', use='yes'))})\b")
_NO = re.compile(rf"^(?:{alternation(lexicon.words('yes_no', use='no'))})\b")
_NONE_SAID = re.compile(rf"^(?:{alternation(lexicon.words('no_partner', use='unusual_none'))})\b")
_MENTION_Q = re.compile(
    r"handover|brief description of the (collaboration|partnership)|early leads|background|new and unusual partners|"
    r"benefit from the results|planned to scale|with whom|institutional affiliation|types of data, why|"
    r"what (official )?data sources"
)
_MENTION_SECTION = re.compile(r"^(partners|partnerships|data and methods|handover)$")
_PARTNERING_SECTOR_Q = re.compile(r"which sector are you partnering with")
_SDG = re.compile(r"^\s*(?:sdg\s*|goal\s*)?(\d{1,2})\b", re.I)
_YEAR = re.compile(r"^\s*((?:19|20)\d\d)\s*$")
_FOUR_DIGITS = re.compile(r"(?<!\d)(\d{4})(?!\d)")
_SPAN_YEARS = range(2015, 2031)  # the years a timeline may plausibly name (the archive's forms run 2020-2025)
_NUMBERED = re.compile(r"^\s*(?:\(?(\d{1,2})[.)]|(?:insight|key insight)\s*(\d{1,2})\s*[:.)-])\s*", re.I)
_BULLET = re.compile(r"^\s*[-*•·▪●]\s+")
_PARTNER_KINDS = ("name", "list", "top", "meaning", "free-sector")  # the questions whose answers name partners
_FREE_SECTOR_WORDS = {
    "government": "government",
    "civil society": "civil-society",
    "private sector": "private-sector",
    "academic": "academia",
    "un internal": "united-nations",
}


def extract(form: Form, ner: bool = True, decision: str | None = None) -> Extraction:
    """Extract the facts of one form.

    With ``ner`` the organisations named in prose (2021-23 partner answers and
    the narrative sections listed in ``_MENTION_Q``) are found with spaCy NER
    plus rules, and the span model of :mod:`kg.spans` reads every partner
    answer line (unless the rules decide, as they keep none of its spans);
    without it only list-like answers give partners and there are no
    mentions. ``decision`` says who decides which candidates are partners:
    ``"model"`` (the trained model of :mod:`kg.decide`), ``"rules"`` (the
    rules alone) or ``"none"`` (every candidate is kept, to train the model);
    by default, :func:`default_decision`.
    """
    return extract_many([form], ner, decision)[0]


def extract_many(
    forms: list[Form], ner: bool = True, decision: str | None = None, entities: EntityReader | None = None
) -> list[Extraction]:
    """Extract several forms, as :func:`extract` does one by one, with one organisation-finder batch.

    spaCy runs faster over one long batch than over many short ones, and
    texts repeated across forms then run once; every form's facts are the
    same as :func:`extract` gives. ``entities`` reads spaCy's entities (see
    :func:`kg.ner.find_organisations`; the build engine remembers them).
    """
    started = [_start(form) for form in forms]
    decision = decision or default_decision()
    if ner:
        texts = [_prose_texts(form, prose) for form, (_doc, prose) in zip(forms, started, strict=True)]
        every = [text for _, _, batch in texts for text in batch]
        found = iter(find_organisations(every, entities=entities) if every else [])
        for form, (doc, prose), (narrative, _, batch) in zip(forms, started, texts, strict=True):
            spans = [next(found) for _ in batch]
            if batch:
                _extract_prose_organisations(form, doc, prose, narrative, spans)
        if decision != "rules":  # the rules keep no span candidate
            _add_span_candidates(forms, [doc for doc, _ in started])
    for form, (doc, _prose) in zip(forms, started, strict=True):
        _finish(form, doc, decision)
    return [doc for doc, _ in started]


def default_decision() -> str:
    """Who decides which candidates are partners when a caller does not say: ``KG_DECISION``, else "model".

    ``KG_DECISION=rules kg build ...`` builds with the rules alone, to compare
    (the build cache keeps the two apart).
    """
    value = os.environ.get("KG_DECISION", "model")
    return value if value in ("model", "rules", "none") else "model"


def _start(form: Form) -> tuple[Extraction, list[_Prose]]:
    """Everything before the organisation finder: tags, actions, list-like partners (and the prose left)."""
    doc = Extraction(
        path=form.path,
        sha256=form.sha256,
        family=template_family(form),
        doc_type=_doc_type(form),
        title=form.title or _title_from_path(form.path),
        items=form.items,
        sections=[s.title for s in form.sections],
    )
    _extract_tags(form, doc)
    doc.year_span = year_span(form)
    _extract_actions(form, doc)
    return doc, _extract_partnerships(form, doc)


def _finish(form: Form, doc: Extraction, decision: str = "model") -> None:
    """Everything after the organisation finder."""
    _drop_people(form, doc)
    texts = _line_texts(form)
    if decision != "none":
        _decide_partners(form, doc, decision_model() if decision == "model" else None, texts)
    _order_by_position(doc, texts)
    _link_actions(doc)
    _mark_unusual_from_text(form, doc)
    _extract_insights_and_handover(form, doc)


def template_family(form: Form) -> str:
    """Name the template a form was written in (for reports and per-family rules).

    ``closing_form_2021`` has per-sector partner questions, ``closing_form_2023``
    repeated partner groups and a handover question; ``learning_plan``,
    ``experiment``, ``solution`` (mapping) and ``innovation`` (challenge
    entries) are told apart by their type tag and signature questions.
    """
    kind = _type_tag(form)
    questions = " ".join(fold(item.question) for item in form.items)
    if kind == "experiment":
        return "experiment"
    if kind == "solution":
        return "innovation" if "name of the innovator" in questions else "solution"
    if kind == "learningplan":
        per_sector = any(partner_question_kind(item.question) == "free-sector" for item in form.items)
        if per_sector or "top 5 key insights you generated about your frontier" in questions:
            return "closing_form_2021"
        if _HANDOVER_Q.search(questions) or "partners you have actually worked with" in questions:
            return "closing_form_2023"
        if "closing" in fold(form.title) or "closing" in fold(form.path):
            return "closing_form_2023" if "key insights" in questions else "closing_form_2021"
        return "learning_plan"
    return "unknown"


def _type_tag(form: Form) -> str:
    tag = form.first_tag("type")
    return fold(tag.value).replace(" ", "") if tag else ""


def _doc_type(form: Form) -> str:
    family = template_family(form)
    if family.startswith("closing_form"):
        return "ClosingForm"
    return {
        "learning_plan": "LearningPlan",
        "experiment": "Experiment",
        "solution": "Solution",
        "innovation": "Solution",
    }.get(family, "Document")


def _title_from_path(path: str) -> str:
    stem = path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    return stem.replace("_", " ").strip() or path


def _extract_tags(form: Form, doc: Extraction) -> None:
    type_tag = form.first_tag("type")
    if type_tag is None:
        if form.n_lines:
            doc.warn("no-type", "no [[type:...]] tag; typed as a plain document")
    elif doc.family == "unknown":
        doc.warn("unknown-type", f"unknown form type {type_tag.value!r}", type_tag.line)
    country_iso3 = ""
    for tag in form.tags:
        if tag.key == "year":
            _set_year(doc, tag.value, tag.line)
        elif tag.key == "focal_point" and not doc.focal_point:
            doc.focal_point = tag.value
        elif tag.key == "country":
            country_iso3 = _add_country(doc, tag.value, tag.line)
        elif tag.key == "latlng":
            _add_location(doc, tag.value, tag.line, country_iso3)
        elif tag.key == "methods":
            doc.methods.append((tag.value, tag.line))
        elif tag.key == "datasources":
            doc.datasources.append((tag.value, tag.line))
        elif tag.key == "thematic_areas":
            doc.themes.append((tag.value, tag.line))
        elif tag.key == "sdgs":
            _add_sdg(doc, tag.value, tag.line)
        elif tag.key != "type":
            doc.metafields.append((tag.key, tag.value, tag.line))


def _set_year(doc: Extraction, value: str, line: int) -> None:
    match = _YEAR.match(value)
    if not match:
        doc.warn("bad-year", f"year {value!r} is not a four-digit year; ignored", line)
    elif doc.year is None:
        doc.year = int(match.group(1))


def year_span(form: Form) -> tuple[int, int] | None:
    """The years a form's timeline answer spans, when it names two different ones; else None.

    A timeline question is one whose folded wording matches a pattern of
    ``ontology/lexicon/timeline_questions.tsv`` ("What is the timeline of the
    experimental activity?"). Its answer spans from the first four-digit
    year it names to the last ("November 2021 - January 2022": 2021-2022),
    counting only years from 2015 to 2030; one year ("From May to November
    2023"), or a last year before the first, gives no span. The first
    timeline answer that gives a span wins.
    """
    for item in form.items:
        if not item.question or not _is_timeline_question(item.question):
            continue
        named = [int(y) for y in _FOUR_DIGITS.findall(item.text) if int(y) in _SPAN_YEARS]
        if len(named) > 1 and named[0] < named[-1]:
            return named[0], named[-1]
    return None


@lru_cache(maxsize=1 << 12)
def _is_timeline_question(question: str) -> bool:
    folded = fold(question).strip()
    return any(pattern.search(folded) for pattern in _timeline_patterns())


@lru_cache(maxsize=1)
def _timeline_patterns() -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(row["pattern"]) for row in lexicon.table("timeline_questions"))


def _add_country(doc: Extraction, name: str, line: int) -> str:
    country = resolve_country(name)
    if country is None:
        doc.warn("unknown-country", f"unknown country {name!r}; kept as a name only", line)
        ref = CountryRef(name, "", name, line)
    else:
        ref = CountryRef(name, country.iso3, country.name, line)
    if all(c.iso3 != ref.iso3 or c.name != ref.name for c in doc.countries):
        if ref.iso3 and any(c.iso3 == ref.iso3 for c in doc.countries):
            return ref.iso3
        doc.countries.append(ref)
    return ref.iso3


def _add_location(doc: Extraction, value: str, line: int, country_iso3: str) -> None:
    parts = [p.strip() for p in value.split(",")]
    try:
        lat, lng = (Decimal(p) for p in parts)
    except (ValueError, InvalidOperation):
        doc.warn("bad-latlng", f"latlng {value!r} is not 'lat,lng'; ignored", line)
        return
    if not (lat.is_finite() and lng.is_finite()) or not (-90 <= lat <= 90 and -180 <= lng <= 180):
        doc.warn("bad-latlng", f"latlng {value!r} is out of range; ignored", line)
        return
    if lat == 0 and lng == 0:
        doc.warn("null-latlng", "latlng 0,0 is a placeholder, not a place; ignored", line)
        return
    point = Location(lat, lng, country_iso3, line)
    if all((p.lat, p.lng) != (lat, lng) for p in doc.locations):
        doc.locations.append(point)


def _add_sdg(doc: Extraction, value: str, line: int) -> None:
    match = _SDG.match(value)
    number = int(match.group(1)) if match else 0
    if not 1 <= number <= 17:
        doc.warn("bad-sdg", f"SDG tag {value!r} names no goal 1-17; ignored", line)
    elif all(n != number for n, _ in doc.sdgs):
        doc.sdgs.append((number, line))


def _extract_actions(form: Form, doc: Extraction) -> None:
    """Collect ``ACTION N: NAME`` headers anywhere; acronyms defined in text become aliases."""
    names: dict[int, list[tuple[str, int]]] = {}
    for item in form.items:
        for ln in item.content_lines():
            header = parse_action_header(ln.text)
            if header:
                names.setdefault(header[0], []).append((header[1], ln.line))
    for number in sorted(names):
        doc.actions.append(_choose_action_name(number, names[number]))
    _add_action_acronyms(form, doc)


def _choose_action_name(number: int, candidates: list[tuple[str, int]]) -> Action:
    """Prefer the first long-form name; shorter all-caps variants become aliases."""
    spelled = [(n, ln) for n, ln in candidates if not _is_acronym(n)] or candidates
    name = spelled[0][0]
    action = Action(number, name, candidates[0][1])
    for other, _ in candidates:
        if fold(other) != fold(name) and fold(other) not in {fold(a) for a in action.aliases}:
            action.aliases.append(other)
    return action


def _add_action_acronyms(form: Form, doc: Extraction) -> None:
    for action in doc.actions:
        pattern = re.compile(re.escape(action.name) + r"\s*\(([A-Z][A-Za-z0-9&\-]{1,11})\)")
        for item in form.items:
            match = pattern.search(item.text)
            if match and match.group(1) not in action.aliases:
                action.aliases.append(match.group(1))
                break


def _is_acronym(text: str) -> bool:
    return bool(re.fullmatch(r"[A-Z0-9&\-]{2,12}", text.strip()))


def _extract_partnerships(form: Form, doc: Extraction) -> list[_Prose]:
    """Partners from list-like answers; return the prose lines of partner answers for NER."""
    groups = _group_answers(form)
    prose: list[_Prose] = []
    for item in form.items:
        kind = partner_question_kind(item.question)
        if kind in ("name", "list", "top", "meaning"):
            sector = _item_sector(form, groups, item)
            unusual = _group_unusual(groups, item)
            names = parse_partner_lines(_joined_lines(item), candidates=True)
            described = _group_description(groups, item)
            for name in _one_name_in_two_scripts(names) if kind == "name" else names:
                fact = _partnership(name, item, sector, unusual, doc, kind)
                fact.context = described
                doc.partnerships.append(fact)
            named_lines = {p.line for p in doc.partnerships}
            for line in item.content_lines():
                text = _PARENTHETICAL.sub(" ", line.text)  # asides such as "(so we selected UN)" name no partner
                if line.line not in named_lines and line.kind == "text" and len(text.split()) > 8:
                    prose.extend((item, line, sector, s) for s in _SENTENCE.split(text) if len(s.split()) > 3)
                if line.kind == "text" and len(text.split()) > 8:
                    on_line = [p for p in doc.partnerships if p.line == line.line]
                    for name in _quoted_partners(text, line.line, on_line):
                        doc.partnerships.append(_partnership(name, item, sector, unusual, doc, "quoted"))
        elif kind == "free-sector":
            sector = _item_sector(form, groups, item)
            for line in _joined_lines(item):
                names, quoted, sentences = _free_text_names(line)
                prose.extend((item, line, sector, sentence) for sentence in sentences)
                for name in names:
                    source = "quoted" if any(name is q for q in quoted) else "free-list"
                    fact = _partnership(name, item, sector, None, doc, source)
                    fact.context = line.text
                    doc.partnerships.append(fact)
    return prose


def _item_sector(form: Form, groups: dict, item: Item) -> tuple[str, str] | None:
    """The sector a partner answer states for its partners: its per-sector question, its group or its experiment."""
    if partner_question_kind(item.question) == "free-sector":
        return _FREE_SECTOR_WORDS[free_sector_of(item.question)], "form:question"
    return _group_sector(groups, item) or _experiment_sector(form, item)


def _add_span_candidates(forms: list[Form], docs: list[Extraction]) -> None:
    """Add the span model's partner names in every partner answer line as candidates, and mark those already found.

    A span naming a candidate that the rules proposed marks it ``span_found``;
    any other span becomes a candidate of source "span", for the keep/drop
    model to judge.
    """
    lines = [partner_answer_lines(form) for form in forms]
    found = iter(find_partner_spans([line.text for per_form in lines for _, line in per_form]))
    for form, doc, per_form in zip(forms, docs, lines, strict=True):
        groups, by_key = _group_answers(form), _candidates_by_key(doc)
        for item, line in per_form:
            for span in next(found):
                _add_span_candidate(form, doc, groups, by_key, item, line, span)


def _candidates_by_key(doc: Extraction) -> dict[str, list[Partnership]]:
    """The form's candidates under the folded form of their name and of their acronym."""
    index: dict[str, list[Partnership]] = {}
    for fact in doc.partnerships:
        _index_candidate(index, fact)
    return index


def _index_candidate(index: dict[str, list[Partnership]], fact: Partnership) -> None:
    for key in dict.fromkeys([fold(fact.name), fold(fact.acronym) if fact.acronym else None]):
        if key is not None:
            index.setdefault(key, []).append(fact)


def partner_answer_lines(form: Form) -> list[tuple[Item, AnswerLine]]:
    """Every text or option line of the form's partner answers, with its item, less action headers ("ACTION 2: CFS")."""
    return [
        (item, line)
        for item in form.items
        if partner_question_kind(item.question) in _PARTNER_KINDS
        for line in item.content_lines()
        if line.kind in ("text", "option") and len(line.text.strip()) > 1 and not parse_action_header(line.text)
    ]


def _add_span_candidate(
    form: Form, doc: Extraction, groups: dict, by_key: dict[str, list[Partnership]], item: Item, line: AnswerLine, span
) -> None:
    """Mark the candidates the span names as ``span_found``; a span naming none becomes a candidate of source "span".

    ``by_key`` indexes the form's candidates by :func:`_candidates_by_key`; a new candidate joins it.
    """
    name = strip_quotes(span.text).strip(" .,;:-–")
    if not name or is_self(name):
        return
    key = fold(name)
    for fact in by_key.get(key, []):
        fact.span_found = True
    if key not in by_key:
        sector, unusual = _item_sector(form, groups, item), _group_unusual(groups, item)
        fact = _partnership(PartnerName(name, line.line, span.text), item, sector, unusual, doc, "span")
        fact.rule_ok, fact.span_found, fact.context = False, True, line.text
        doc.partnerships.append(fact)
        _index_candidate(by_key, fact)


def _joined_lines(item: Item) -> list[AnswerLine]:
    """The answer's lines, with a line that breaks off after "of", "de", "and"... joined to the next.

    Text pasted from PDFs breaks names across lines ("The Ministry of" /
    "Environment and Natural Resources"); the joined line keeps the first
    line's number.
    """
    return [joined for joined, _parts in _joined_runs(item)]


def _joined_runs(item: Item) -> list[tuple[AnswerLine, list[int]]]:
    """Each of :func:`_joined_lines`'s lines with the numbers of the answer lines it joins."""
    runs: list[tuple[AnswerLine, list[int]]] = []
    for line in item.content_lines():
        last = runs[-1][0] if runs else None
        if last and last.kind == line.kind == "text" and is_cut_short(last.text):
            runs[-1] = (AnswerLine("text", f"{last.text} {line.text}", last.line), [*runs[-1][1], line.line])
        else:
            runs.append((line, [line.line]))
    return runs


def _one_name_in_two_scripts(names: list[PartnerName]) -> list[PartnerName]:
    """A partner's name given on two lines in two scripts ("Sanad Development Team", then in Arabic) is one partner.

    The second spelling becomes the partner's acronym when it is one, else its description.
    """
    if len(names) != 2 or names[0].line == names[1].line or not in_two_scripts(names[0].name, names[1].name):
        return names
    first, other = names
    if is_acronym(other.name) and not first.acronym:
        return [PartnerName(**{**first.__dict__, "acronym": other.name})]
    return [PartnerName(**{**first.__dict__, "description": first.description or other.name})]


def _free_text_names(line: AnswerLine) -> tuple[list[PartnerName], list[PartnerName], list[str]]:
    """Partners listed in a free-text answer line, those of them named in quotes, and the prose sentences left for NER.

    The line is cut into sentences and at "Label:" prefixes; a sentence that is
    a list gives its names, and a sentence that opens with a name followed by a
    clause ("Viamo which uses...", "Acme Ltd – we worked on...") gives that name.
    Sentences that give no name this way are returned for the organisation finder.
    """
    names: list[PartnerName] = []
    quoted: list[PartnerName] = []
    prose: list[str] = []
    for sentence in (piece for text in _SENTENCE.split(line.text) for piece in split_described(text)):
        sentence = _LABEL_PREFIX.sub("", sentence.strip())
        if not sentence or is_no_partner(sentence) or sentence.endswith("?"):
            continue  # a question pasted without its "> " marker names no partner
        lead = _opening_name(sentence)
        text = lead.group(1) if lead else sentence
        if not lead and not (len(text.split()) <= 20 and reads_as_list(text)):
            text = _apposed_name(sentence)  # "MASCIR, the only research centre in ..."
        found = parse_partner_lines([AnswerLine("text", text, line.line)], True) if text else []
        role = _STATED_ROLE.search(sentence[lead.end(1) :]) if lead and len(found) == 1 else None
        if role and not sector_from_label(role.group(1).rsplit(" ", 1)[0]):
            found = [PartnerName(**{**found[0].__dict__, "role": role.group(1)})]
        elif lead and lead.re is _LEADING_NAME and len(found) == 1 and not found[0].description:
            what = sentence[lead.end() :].strip().rstrip(".")  # "UNFPA- now training journalists"
            found = [PartnerName(**{**found[0].__dict__, "description": what})]
        names.extend(found)
        in_quotes = _quoted_partners(sentence, line.line, names)
        names.extend(in_quotes)
        quoted.extend(in_quotes)
        if not found and len(sentence.split()) > 3:
            prose.append(sentence)
    return names, quoted, prose


def _opening_name(sentence: str) -> re.Match | None:
    """The name a sentence opens with before a dash or a clause ("Viamo which uses..."), if its opening is a name.

    Openings such as "In Wendá, we ..." or "Likewise, we ..." are not names, and
    the sentence is left to the organisation finder.
    """
    lead = _LEADING_NAME.match(sentence) or _LEADING_CLAUSE.match(sentence)
    if lead is None:
        return None
    after = sentence[lead.end(1) :].lstrip()
    return None if opens_like_prose(lead.group(1), after[1:] if after.startswith(",") else None) else lead


def _apposed_name(sentence: str) -> str:
    """The name before a prose sentence's first comma, when the words after it describe it.

    "MASCIR, the only research centre in ..." names MASCIR; "The Strategy, the
    Ministry (MIC) and ... were partners" is a list, left to the organisation finder.
    """
    opening, comma, rest = sentence.partition(",")
    words = rest.split()
    if not comma or len(words) < 2 or opens_like_prose(opening, rest) or not looks_like_name(opening.strip()):
        return ""
    return opening.strip() if words[0].lower() in _APPOSITION_OPENERS and words[1][0].islower() else ""


def _quoted_partners(text: str, line: int, known: list) -> list[PartnerName]:
    """The organisations a sentence names in quotes ('NGO “Eco Life”'), less those inside ``known`` partners' names."""
    seen = [f" {vocab.normalise_name(p.name)} " for p in known]
    return [
        PartnerName(strip_quotes(name), line, name)
        for name in quoted_organisations(text)
        if not any(f" {vocab.normalise_name(name)} " in other for other in seen)
    ]


def _prose_texts(form: Form, prose: list[_Prose]) -> tuple[list[_Narrative], list[_Prose], list[str]]:
    """The narrative answer lines, the prose sentences and every text for the organisation finder."""
    narrative = [
        (item, line)
        for item in form.items
        if _is_narrative(form, item)
        for line in item.content_lines()
        if line.kind == "text"
        and len(line.text) > 20
        and not line.text.isupper()
        and not parse_action_header(line.text)
    ]
    return narrative, prose, [sentence for _, _, _, sentence in prose] + [line.text for _, line in narrative]


def _extract_prose_organisations(
    form: Form, doc: Extraction, prose: list[_Prose], narrative: list[_Narrative], found: list[list[OrgSpan]]
) -> None:
    """Partners in prose partner answers and mentions in narrative answers, from the finder's spans."""
    for (item, line, sector, _sentence), spans in zip(prose, found[: len(prose)], strict=True):
        for span in spans:
            whole = _close_quote(_sentence, span.text, span.end)
            for text in (strip_quotes(t) for piece in split_heads(whole) for t in split_conjunction(piece)):
                if is_self(text) or not text.strip():
                    continue
                rule_ok = (looks_like_name(text) and not _lone_word(span)) or span.source == "gazetteer"
                name = PartnerName(text, line.line, span.text, acronym=span.acronym)
                if all(fold(p.name) != fold(name.name) for p in doc.partnerships):
                    fact = _partnership(name, item, sector, None, doc, f"prose-{span.source}")
                    fact.rule_ok, fact.context = rule_ok, _sentence
                    doc.partnerships.append(fact)
    partners = {fold(p.name) for p in doc.partnerships} | {fold(p.acronym) for p in doc.partnerships if p.acronym}
    partners |= {fold(n) for a in doc.actions for n in [a.name, *a.aliases]}
    seen: set[str] = set()
    for (item, line), spans in zip(narrative, found[len(prose) :], strict=True):
        for span in spans:
            key = fold(span.text)
            if span.source == "ner" and not looks_like_organisation(span.text):
                continue
            if key not in partners and key not in seen:
                seen.add(key)
                doc.mentions.append(Mention(span.text, line.line, item.question, span.acronym, span.source))


def _lone_word(span: OrgSpan) -> bool:
    """A lone word that only NER calls an organisation: too often not one ("PET", "Covid"), so rules drop it."""
    return span.source == "ner" and len(span.text.split()) == 1


def _close_quote(sentence: str, text: str, end: int) -> str:
    """``text`` run on to the quote that closes one it opens ('UNDP Project "Innovation Action' -> '... Action for X"').

    The organisation finder may stop inside a quoted name; the name is the whole quote.
    """
    opened = re.search(r'["«“„][^"«»“”„]*$', text)
    if opened is None or (text.count('"') % 2 == 0 and opened.group(0)[0] == '"'):
        return text
    closer = {'"': '"', "«": "»", "“": "”", "„": "“”"}[opened.group(0)[0]]
    rest = sentence[end : end + 120]
    found = next((i for i, ch in enumerate(rest) if ch in closer), None)
    return text + rest[: found + 1] if found is not None else text


def partner_candidates(
    form: Form, doc: Extraction, texts: dict[int, str] | None = None
) -> list[tuple[Partnership, dict[str, float]]]:
    """Each candidate partner of ``doc`` with the features the keep/drop model reads (see :mod:`kg.decide`).

    ``texts`` are the form's line texts (:func:`_line_texts`), when the caller has them already.
    """
    texts = _line_texts(form) if texts is None else texts
    on_line: dict[int, int] = {}
    for fact in doc.partnerships:
        on_line[fact.line] = on_line.get(fact.line, 0) + 1
    return [
        (
            fact,
            candidate_features(
                fact.name,
                fact.source,
                partner_question_kind(fact.question),
                doc.family,
                texts.get(fact.line, ""),
                fact.rule_ok,
                on_line[fact.line],
                fact.sector != "unknown",
                fact.span_found,
            ),
        )
        for fact in doc.partnerships
    ]


def _decide_partners(form: Form, doc: Extraction, model: LinearModel | None, texts: dict[int, str]) -> None:
    """Keep the candidates that are partners: the model or the rules decide, and never_partner has a veto.

    A person the form names as one (:func:`_people_found`) has a veto too.
    With the model, of two kept candidates reading the same words of a line
    the likelier stands (:func:`_one_reading_per_name`). A kept partner whose
    form states no sector and whom neither the gazetteer nor the sector rules
    know takes the sector model's sector, whoever decided to keep it.
    """
    people = _people_found(form) if doc.partnerships else set()  # most forms (solutions) have no candidate
    if model is None:
        doc.partnerships = [f for f in doc.partnerships if f.rule_ok and not _vetoed(f, doc, people)]
    else:
        scored = [(fact, model.probability(features)) for fact, features in partner_candidates(form, doc, texts)]
        allowed = [(f, p) for f, p in scored if p >= model.threshold and not _vetoed(f, doc, people)]
        doc.partnerships = _one_reading_per_name(allowed, texts, _joined_heads(form))
    _infer_sectors(doc)


def _vetoed(fact: Partnership, doc: Extraction, people: set[str]) -> bool:
    """Whether a candidate is never a partner: :func:`kg.decide.never_partner`, or a person the form names as one."""
    return bool(never_partner(fact.name, doc.country)) or fold(fact.name) in people


def _people_found(form: Form) -> set[str]:
    """The folded names of the people that :func:`kg.people.people_in` finds in the form ("whose president, NAME,").

    The same rules find the names that pseudonymisation hides; a name they
    find is a person's, never an organisation's. They veto at the decision,
    not in :func:`_drop_people` with the other people, so that the
    candidates the models are trained on stay those they were trained on.
    """
    return {fold(found.value) for found in people_in(form, is_personal_question)}


def _one_reading_per_name(
    scored: list[tuple[Partnership, float]], texts: dict[int, str], heads: dict[int, int] | None = None
) -> list[Partnership]:
    """The kept candidates less those that read the same words of a line as a likelier one.

    Two finders may read one name with different ends ("Scouts Association"
    and "Scouts Association in North Macedonia", "GEF SGP and Institute of
    Marine Affairs" and "GEF SGP", "Ministry of Labor, Employment" and the
    whole ministry's name); a line names each partner once, so the keep/drop
    model's likelier reading stands. Two candidates clash when one's words hold
    the other's or when they stand on overlapping stretches of their line. A
    line that continues one broken off inside a name ("The Ministry of" /
    "Environment and Natural Resources") is that line (``heads``:
    :func:`_joined_heads`).
    """
    heads = heads or {}
    chosen: list[tuple[Partnership, str, tuple[int, int] | None]] = []
    for fact, _p in sorted(scored, key=lambda pair: -pair[1]):
        words, where = f" {fold(fact.name)} ", _stretch(fact.name, texts.get(fact.line, ""))
        line = heads.get(fact.line, fact.line)
        if not any(
            heads.get(kept.line, kept.line) == line and _clash(words, where, other, place)
            for kept, other, place in chosen
        ):
            chosen.append((fact, words, where))
    ids = {id(fact) for fact, _, _ in chosen}
    return [fact for fact, _ in scored if id(fact) in ids]


def _joined_heads(form: Form) -> dict[int, int]:
    """Answer lines that continue a line broken off inside a name, each with its name's first line.

    The lines :func:`_joined_lines` joins: "The Ministry of" (line 4) and
    "Environment and Natural Resources" (line 6) give {6: 4}.
    """
    return {part: joined.line for item in form.items for joined, parts in _joined_runs(item) for part in parts[1:]}


def _stretch(name: str, text: str) -> tuple[int, int] | None:
    """Where ``name`` first stands in ``text``, ignoring case, or None."""
    at = text.lower().find(name.lower())
    return (at, at + len(name)) if at >= 0 else None


def _clash(words: str, where: tuple[int, int] | None, other: str, place: tuple[int, int] | None) -> bool:
    """Whether two readings (their folded, space-padded words and stretches of the line) read the same words."""
    held = words in other or other in words
    return held or (where is not None and place is not None and where[0] < place[1] and place[0] < where[1])


def _infer_sectors(doc: Extraction) -> None:
    """The sector model's sector for partners that no form statement, gazetteer entry or sector rule gives one."""
    model = sector_model()
    if model is None:
        return
    for fact in doc.partnerships:
        if fact.sector_source == "none":
            fact.sector, fact.sector_source = model.best(sector_features(fact))[0], "model"


def sector_features(fact: Partnership) -> dict[str, float]:
    """What the sector model reads of a partner: its name and acronym, and the words around it (its description)."""
    text = f"{fact.description} {fact.context}".strip()
    return {**name_features(f"{fact.name} {fact.acronym}".strip()), **context_features(text, fact.name)}


def _line_texts(form: Form) -> dict[int, str]:
    """Each line's text; a line the export wrote several answer lines into gives them all, in order."""
    texts: dict[int, str] = {}
    for item in form.items:
        for ln in item.lines:
            texts[ln.line] = f"{texts[ln.line]} {ln.text}" if ln.line in texts else ln.text
    return texts


def _order_by_position(doc: Extraction, texts: dict[int, str]) -> None:
    """List partnerships in the order the form names them (line, then place in the line)."""

    def position(fact: Partnership) -> tuple[int, int]:
        found = texts.get(fact.line, "").find(fact.surface or fact.name)
        return fact.line, found if found >= 0 else 10**6

    doc.partnerships.sort(key=position)


def _drop_people(form: Form, doc: Extraction) -> None:
    """A person given as a partner is not a partner.

    People are told by an honorific ("Dr. Ana Ruiz"), a person's role in the
    partner's parentheses ("Juan Pérez (coordinator)"), or because the form
    names them elsewhere as a person: the focal point's e-mail ("ana.ruiz@..."
    is Ana Ruiz) or the answer to a personal question (experimenter, innovator,
    solution holder). spaCy's PERSON label alone is too unreliable on short
    names ("Codeando México", "Demos Helsinki") to drop a partner.
    """
    people = _people_named(form)
    for fact in list(doc.partnerships):
        if _HONORIFIC.match(fact.surface) or _PERSON_ROLE.fullmatch(fold(fact.role)) or fold(fact.name) in people:
            doc.partnerships.remove(fact)
            doc.warn("person-as-partner", f"{fact.name!r} is a person, not an organisation; not kept", fact.line)


def _people_named(form: Form) -> set[str]:
    people = set()
    focal = form.first_tag("focal_point")
    if focal and "@" in focal.value:
        people.add(fold(re.sub(r"[._]+", " ", focal.value.split("@")[0])).strip())
    for item in form.items:
        if is_personal_question(item.question):
            people.update(fold(ln.text).strip(" .") for ln in item.content_lines() if len(ln.text.split()) <= 5)
    return people


def _is_narrative(form: Form, item: Item) -> bool:
    question = fold(item.question)
    if partner_question_kind(item.question) not in ("", "mention"):
        return False
    return bool(_MENTION_Q.search(question) or _MENTION_SECTION.search(fold(form.sections[item.section].title)))


def _partnership(
    name: PartnerName,
    item: Item,
    sector: tuple[str, str] | None,
    unusual: bool | None,
    doc: Extraction,
    source: str = "list",
) -> Partnership:
    fact = Partnership(
        source=source,
        name=name.name,
        line=name.line,
        question=item.question,
        role=name.role,
        acronym=name.acronym,
        description=name.description,
        action=name.action,
        unusual=unusual,
        surface=name.surface,
        repeat=item.repeat,
    )
    entry = gazetteer_entry(name.name) or (gazetteer_entry(name.acronym) if name.acronym else None)
    fact.rule_ok = name.rule_ok
    if sector and not (sector[1] == "form:question" and entry):
        fact.sector, fact.sector_source = sector  # a per-sector question's placement yields to the gazetteer
    elif name.sector:
        fact.sector, fact.sector_source = name.sector, "form"
    elif entry:
        fact.sector, fact.sector_source = entry.sector, "rule:gazetteer"
    else:
        inferred = infer_sector(f"{name.name} {name.acronym}".strip())
        if inferred:
            fact.sector, fact.sector_source = inferred[0], f"rule:{inferred[1]}"
    return fact


def _group_answers(form: Form) -> dict[tuple[int, int, str], Item]:
    """Index grouped sector / unusual answers by (section, repeat, kind)."""
    index: dict[tuple[int, int, str], Item] = {}
    for item in form.items:
        question = fold(item.question)
        if _GROUP_SECTOR_Q.search(question):
            index[(item.section, item.repeat, "sector")] = item
        elif _UNUSUAL_GROUP_Q.search(question):
            index[(item.section, item.repeat, "unusual")] = item
        elif _DESCRIPTION_Q.search(question):
            index[(item.section, item.repeat, "description")] = item
    return index


def _group_description(groups: dict, item: Item) -> str:
    """The text of the description answer in the partner's group ("A local start-up that..."), or ''."""
    description = groups.get((item.section, item.repeat, "description"))
    return description.text if description is not None and not description.is_empty else ""


def _group_sector(groups: dict, item: Item) -> tuple[str, str] | None:
    """The sector the partner's group states: its sector answer, else a "Sector - ..." description opening."""
    answer = groups.get((item.section, item.repeat, "sector"))
    for text in [*answer.options, answer.text] if answer is not None else []:
        sector = sector_from_label(text) if text else None
        if sector:
            return sector, "form"
    description = groups.get((item.section, item.repeat, "description"))
    if description is not None and not description.is_empty:
        opening = _SECTOR_OPENING.match(description.text)
        sector = sector_from_label(opening.group(1)) if opening else None
        if sector:
            return sector, "form:description"
    return None


def _group_unusual(groups: dict, item: Item) -> bool | None:
    answer = groups.get((item.section, item.repeat, "unusual"))
    if answer is None:
        return None
    said = fold(" ".join([*answer.options, answer.text]))
    if _YES.match(said):
        return True
    if _NO.match(said):
        return False
    return None


def _experiment_sector(form: Form, item: Item) -> tuple[str, str] | None:
    """An experiment that partners with exactly one sector gives that sector."""
    if partner_question_kind(item.question) != "list":
        return None
    sectors = {
        sector for tag in form.tag_values("partnering_sector") if (sector := sector_from_label(tag.value)) is not None
    }
    if len(sectors) == 1:
        return sectors.pop(), "form:partnering_sector"
    return None


def _link_actions(doc: Extraction) -> None:
    """Point partners at the action whose number or alias their header named."""
    known = {a.number for a in doc.actions}
    for fact in doc.partnerships:
        if fact.action is not None and fact.action not in known:
            doc.warn("unknown-action", f"partner {fact.name!r} is under ACTION {fact.action}, never named", fact.line)


def _mark_unusual_from_text(form: Form, doc: Extraction) -> None:
    """Flag partnerships whose partner the 'new and unusual' answer names."""
    for item in form.items:
        if partner_question_kind(item.question) != "mention" or item.is_empty:
            continue
        text = fold(item.text)
        if _NONE_SAID.match(text):
            continue
        for fact in doc.partnerships:
            names = [fact.name] + ([fact.acronym] if fact.acronym else [])
            if any(len(n) > 2 and fold(n) in text for n in names):
                fact.unusual = True


def _extract_insights_and_handover(form: Form, doc: Extraction) -> None:
    for item in form.items:
        question = fold(item.question)
        if _INSIGHT_Q.search(question) and not doc.insights:
            doc.insights.extend(_split_insights(item))
        elif _HANDOVER_Q.search(question):
            doc.handover.extend((ln.text, ln.line) for ln in item.lines if ln.kind == "option" and ln.text)


def _split_insights(item: Item) -> list[Insight]:
    """Split a key-insights answer on its numbering, else bullets, else paragraphs."""
    lines = [ln for ln in item.lines if ln.kind in ("text", "option", "blank", "link")]
    for starts in (_numbered_starts(lines), _bullet_starts(lines), _paragraph_starts(lines)):
        if starts:
            return _cut(lines, starts)
    return []


def _numbered_starts(lines: list) -> list[int]:
    starts = [i for i, ln in enumerate(lines) if ln.kind == "text" and _NUMBERED.match(ln.text)]
    return starts if len(starts) >= 2 or (starts and starts[0] == _first_content(lines)) else []


def _bullet_starts(lines: list) -> list[int]:
    return [i for i, ln in enumerate(lines) if ln.kind == "option"]


def _paragraph_starts(lines: list) -> list[int]:
    starts = []
    for i, ln in enumerate(lines):
        if ln.kind != "blank" and (i == 0 or lines[i - 1].kind == "blank"):
            starts.append(i)
    return starts


def _first_content(lines: list) -> int:
    return next((i for i, ln in enumerate(lines) if ln.kind != "blank"), -1)


def _cut(lines: list, starts: list[int]) -> list[Insight]:
    insights = []
    bounds = [*starts, len(lines)]
    for rank, (start, end) in enumerate(itertools.pairwise(bounds), start=1):
        chunk = [ln.text for ln in lines[start:end] if ln.kind != "blank"]
        text = " ".join(chunk).strip()
        text = _NUMBERED.sub("", text, count=1).strip()
        if text:
            insights.append(Insight(rank, text, lines[start].line))
    return insights
