"""Pseudonymise personal data before it reaches any output.

Forms name people: focal points (an e-mail tag), experimenters, innovators,
solution holders and their contacts (names, e-mails, phone numbers, profile
links). Outputs are meant to be shared, so by default every such value is
replaced by a stable pseudonym: ``person-`` and the first 12 hex digits of an
HMAC-SHA256 of the folded value under a key. The same value gets the same
pseudonym in every form and every build with the same key; the key comes
from ``--pseudonym-key`` or ``KG_PSEUDONYM_KEY``.

What is replaced:

* every e-mail address, and every phone number written in international
  form (``+507 6982-6759``) or after a label (``Tel: 0991 234 567``),
  anywhere in a form;
* the whole answer to a question that names or reaches a person (see
  :func:`is_personal_question`), unless the answer is only a category
  ("private sector") or a placeholder ("N/A"), which name nobody;
* the names, phone numbers and links such answers give, wherever they recur
  in the same form: its title, its other answers, partner descriptions and
  its file name (the document's IRI and ``dcterms:source`` use a
  pseudonymised file name, see :meth:`Pseudonymiser.protect`);
* the people a form names outside its personal questions (:mod:`kg.people`):
  after a label in a heading or an answer line (``## Solution holder:
  NAME``, ``Contact: NAME``), after "written by" and its kin, beside a role
  ("Head of Exploration, NAME"), and the names e-mail addresses spell (the
  focal point's ``first.last@`` above all), wherever they recur in the form,
  so a title that is only such a name is replaced too;
* people's names from name questions and from :mod:`kg.people` wherever they
  recur in any form, and in the IRIs and labels of organisations found in
  text, when each of their words is a proper noun in the build's other text
  (so an organisation entered as an innovator's name is not struck from
  every form).

:meth:`Pseudonymiser.protect` also counts what each rule found
(:data:`PRIVACY_RULES`), for the manifest: counts only, never the values.

Single-word answers ("Moses") are pseudonymised where they are given but not
hunted elsewhere: a lone first name is a weak identifier, and the same field
often holds common nouns ("Agriculture") that would be struck from the text.

:meth:`Pseudonymiser.protect` is global (a name found in one form is hunted in
all), but what it reads of each form is not: :meth:`Pseudonymiser.form_facts`
and :func:`form_words` give it per form, so a rebuild can keep them with the
form and :class:`WordCounts` can be updated form by form instead of
re-reading every text of the build.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
from collections import Counter
from collections.abc import Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache, lru_cache
from typing import TypeAlias

from rdflib import Literal, URIRef
from rdflib.namespace import XSD

from kg import lexicon
from kg.lexicon import alternation
from kg.namespaces import ID
from kg.people import RULES as PEOPLE_RULES
from kg.people import people_in
from kg.vocab import fold, sector_from_label, unaccented

__all__ = [
    "Pseudonymiser",
    "Protection",
    "FormFacts",
    "FormWords",
    "WordCounts",
    "form_words",
    "DEFAULT_KEY",
    "PRIVACY_RULES",
    "PSEUDONYM_PREFIX",
    "email_pattern",
    "is_personal_question",
    "phone_spans",
]

DEFAULT_KEY = "portfolio-kg"
PSEUDONYM_PREFIX = "person-"
PRIVACY_RULES = ("email", "phone", "personal-answer", "name-question", *PEOPLE_RULES)
"""What the manifest counts, by rule: e-mail addresses and phone numbers (each time one is written), answers to
personal questions replaced whole, people's names from name questions, and the values of each :mod:`kg.people`
rule (once per form)."""

_PERSONAL_QUESTION = re.compile(
    r"name of the (experimenter|innovator|solution holder|focal point|applicant|participant|team lead|reviewer)"
    r"|\b(prepared|reported|submitted|filled in|filled out|completed) by\b"
    r"|\binnovator\b|who lead the solution|who led the solution"
    r"|(contact|information about|name of) the solution holder|solution owner"
    r"|owners? of the (identified )?(local )?solution"
    r"|^contact\b|contact (person|details|information|info)\b|(way|how) to contact|\bcontacto\b"
    r"|\be-?mail\b|\bcorreo\b|\bcourriel\b|phone\b|mobile number|\btelefono\b|\bcelular\b|whatsapp"
    r"|\b(full|last|first|sur) ?name\b|reviewer'?s name|\bauthor\b|\bautor\b|\bauteur\b"
    r"|nombre (de la persona|del? (creador|autor|innovador|responsable|contacto)|completo)|persona creadora"
    r"|\bnom (du|de la|de l') ?(porteur|innovateur|responsable|auteur|createur)|porteur de (la )?solution"
)
_NAME_QUESTION = re.compile(
    r"name of the (experimenter|innovator|solution holder|focal point|applicant|participant|team lead|reviewer)"
    r"|\b(prepared|reported|submitted|filled in|filled out|completed) by\b|innovator'?s name|^innovator$"
    r"|contact person|\b(full|last|first|sur) ?name\b|reviewer'?s name|^author\b|persona creadora"
    r"|nombre (de la persona|del? (creador|autor|innovador|responsable|contacto)|completo)"
    r"|\bnom (du|de la|de l') ?(porteur|innovateur|responsable|auteur|createur)"
)
_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")
_INTL_PHONE = re.compile(r"(?<![\w+])\+\d[\d \t().\-]{6,}\d(?!\w)")
_PHONE_LABELS = lexicon.words("phone_labels")  # a text holds one of them (lower case) when the regex can match
_LABELLED_PHONE = re.compile(
    rf"\b({alternation(_PHONE_LABELS)})\b" r"([^\d\n+]{0,12})(\+?\d[\d \t().\-]{5,}\d)",
    re.I,
)
_PERSON_MESSAGES = frozenset({"person-as-partner"})  # kg.extract messages that quote a person's name first
_QUOTED = re.compile(r"""^(['"])(.+?)\1""")
_PHONE_ONLY = re.compile(r"^\+?\d[\d \t().\-]{5,}\d$")
_URL = re.compile(r"https?://\S+")
_WORD = re.compile(r"[^\W_]+")
_NAME_WORD = re.compile(r"[^\W\d_]+(?:['’.\-][^\W\d_]+)*")
_PARTS = re.compile(rf"[/|;,\n()]| - | – | \+ | (?:{alternation(lexicon.words('conjunctions', use='pair'))}) ", re.I)
_LABEL = re.compile(r"^[^:]{0,30}:\s*")
_HONORIFIC = re.compile(rf"^(?:{alternation(lexicon.words('honorifics', use='strip'))})\.?\s+", re.I)
_PLACEHOLDERS = lexicon.word_set("no_partner", use="placeholder")
_CATEGORY_WORDS = lexicon.word_set("generic_words", use="category")
_NOT_NAME_WORDS = (  # no word of a person's name is one of these
    _CATEGORY_WORDS
    | lexicon.word_set("generic_words", use="not_name")
    | lexicon.word_set("person_roles", use="not_name")
)


ID_BASE = str(ID)
_NAMED_IRIS = (ID_BASE + "org/", ID_BASE + "merge/")  # minted from names, not from (protected) file paths
_TEXT_TYPES = (XSD.string, XSD.anyURI)

_IrregularText: TypeAlias = tuple[frozenset[str], dict[str, tuple[int, int]]]
"""A text whose blanked addresses make words it did not spell: ``(the text's words, their counts)``."""


@dataclass(frozen=True)
class Protection:
    """What :meth:`Pseudonymiser.protect` found: per-document personal values and names hunted everywhere."""

    known: dict[str, tuple[str, ...]]
    names: tuple[str, ...]
    found: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class FormFacts:
    """What :meth:`Pseudonymiser.protect` needs of one form's items and file name, found in that form alone.

    ``names`` are :meth:`Pseudonymiser.person_names` and the names
    :mod:`kg.people` finds, ``known`` :meth:`Pseudonymiser.known_values`,
    ``path`` the form's file name with its own personal values (and e-mails,
    phones) pseudonymised, ``found`` how many values each rule found
    (:data:`PRIVACY_RULES`) and ``staff`` the names the focal point's
    address spells: a person's for sure, hunted everywhere even when a word
    of it is a common noun ("Sandy").
    """

    names: tuple[str, ...]
    known: tuple[str, ...]
    path: str
    found: tuple[tuple[str, int], ...] = ()
    staff: tuple[str, ...] = ()


@dataclass(frozen=True)
class FormWords:
    """How one form writes its words, in its title and non-personal answers (see :func:`form_words`).

    ``words`` maps a casefolded word to ``(uses, uses in lower case)`` over
    the texts that contain it. ``irregular`` holds the rare texts where
    blanking addresses makes a word the text did not spell (``xhttp://...``
    leaves ``x``): ``(the text's words, their counts)``, counted only when
    the text holds a wanted word, as :func:`_proper_names` does.
    """

    words: dict[str, tuple[int, int]]
    irregular: tuple[_IrregularText, ...] = ()


@dataclass
class WordCounts:
    """:class:`FormWords` summed over a set of forms (``members``, each added once)."""

    words: dict[str, tuple[int, int]] = field(default_factory=dict)
    irregular: dict[Hashable, tuple] = field(default_factory=dict)
    members: set = field(default_factory=set)

    def add(self, member: Hashable, found: FormWords) -> None:
        """Count one form's words (``member`` names it)."""
        _add_words(self.words, found.words)
        if found.irregular:
            self.irregular[member] = found.irregular
        self.members.add(member)

    def proper(self, wanted: set[str]) -> set[str]:
        """The ``wanted`` words that are proper nouns: in lower case fewer than three times, or in a quarter of uses."""
        total = {word: self.words.get(word, (0, 0))[0] for word in wanted}
        lower = {word: self.words.get(word, (0, 0))[1] for word in wanted}
        for texts in self.irregular.values():
            for seen, counts in texts:
                if wanted.isdisjoint(seen):
                    continue
                for word in wanted.intersection(counts):
                    total[word] += counts[word][0]
                    lower[word] += counts[word][1]
        return {word for word in wanted if lower[word] < 3 or lower[word] * 4 <= total[word]}


def _add_words(counts: dict[str, tuple[int, int]], words: dict[str, tuple[int, int]]) -> None:
    """Add a form's word counts (uses, uses in lower case) to ``counts``."""
    for word, (uses, lower) in words.items():
        before = counts.get(word, (0, 0))
        counts[word] = (before[0] + uses, before[1] + lower)


def email_pattern() -> re.Pattern:
    """The pattern of an e-mail address that :meth:`Pseudonymiser.text` replaces."""
    return _EMAIL


def phone_spans(text: str) -> Iterator[tuple[int, str]]:
    """Where ``text`` holds a phone number :meth:`Pseudonymiser.text` replaces, and the number."""
    if "+" in text:
        for match in _INTL_PHONE.finditer(text):
            if sum(ch.isdigit() for ch in match.group(0)) >= 7:
                yield match.start(), match.group(0)
    lowered = text.lower()
    if any(label in lowered for label in _PHONE_LABELS):
        for match in _LABELLED_PHONE.finditer(text):
            if sum(ch.isdigit() for ch in match.group(3)) >= 7:
                yield match.start(3), match.group(3)


@lru_cache(maxsize=4096)
def is_personal_question(question: str) -> bool:
    """True when the answer to ``question`` names or reaches a person (accents and case ignored)."""
    return bool(_PERSONAL_QUESTION.search(fold(question)))


class Pseudonymiser:
    """Replace personal values by keyed, stable pseudonyms (or keep them, if disabled)."""

    def __init__(self, key: str | None = None, enabled: bool = True) -> None:
        self.key = (key or os.environ.get("KG_PSEUDONYM_KEY") or DEFAULT_KEY).encode("utf-8")
        self.enabled = enabled

    def person(self, value: str) -> str:
        """The pseudonym of a person's name, e-mail or contact (case and spacing folded)."""
        if not self.enabled or not value.strip():
            return value
        folded = " ".join(value.casefold().split())
        digest = hmac.new(self.key, folded.encode("utf-8"), hashlib.sha256).hexdigest()
        return f"{PSEUDONYM_PREFIX}{digest[:12]}"

    def text(self, value: str, known: tuple[str, ...] = ()) -> str:
        """``value`` with e-mails, phone numbers and the ``known`` personal values pseudonymised."""
        if not self.enabled or not value:
            return value
        if "@" in value:
            value = _EMAIL.sub(lambda m: self.person(m.group(0)), value)
        if "+" in value:
            value = _INTL_PHONE.sub(self._phone, value)
        lowered = value.lower()
        if any(label in lowered for label in _PHONE_LABELS):
            value = _LABELLED_PHONE.sub(lambda m: m.group(1) + m.group(2) + self._phone_text(m.group(3)), value)
        if known:
            words = set(_WORD.findall(unaccented(value).casefold()))
            present = tuple(v for v in known if _value_words(v) <= words)  # compile only what may match
            pattern, canonical = _known_pattern(present) if present else (None, {})
            if pattern is not None:
                value = _replace(pattern, canonical, value, self.person)
        return value

    def answer(self, question: str, value: str, known: tuple[str, ...] = ()) -> str:
        """An answer as it may be published: pseudonymised whole if the question is personal.

        Answers that are only a category or a placeholder are kept (they name
        nobody). ``known`` lists the form's personal values (see
        :meth:`personal_values`); they are replaced wherever they recur.
        """
        if self.enabled and value.strip() and is_personal_question(question) and not _is_public(value):
            return self.person(value)
        return self.text(value, known)

    def message(self, code: str, text: str, known: tuple[str, ...] = (), names: tuple[str, ...] = ()) -> str:
        """A build message as the manifest may show it.

        Like :meth:`text` with the form's ``known`` values and the ``names``
        hunted everywhere; a message saying a quoted name is a person's
        (``person-as-partner``) gets that name pseudonymised too.
        """
        if not self.enabled:
            return text
        text = _hunter(names).sub(self.text(text, known), self.person)
        quoted = _QUOTED.match(text) if code in _PERSON_MESSAGES else None
        if quoted:
            text = self.person(quoted.group(2)) + text[quoted.end() :]
        return text

    def personal_values(self, items: Iterable, extra: Iterable[str] = ()) -> tuple[str, ...]:
        """The names, phone numbers and links a form's personal answers give (and ``extra``), longest first.

        ``items`` are :class:`kg.forms.Item` objects (anything with
        ``question``, ``content_lines()`` and ``urls``).
        """
        if not self.enabled:
            return ()
        values: set[str] = set(extra)
        for item in items:
            if not is_personal_question(item.question):
                continue
            for line in item.content_lines():
                if line.kind != "image":
                    values.update(_identifiers(line.text))
            values.update(url for url in item.urls if len(_WORD.findall(url)) >= 4)
        return tuple(sorted(values, key=lambda v: (-len(v), v)))

    def known_values(self, doc) -> tuple[str, ...]:
        """Every personal value of one form: its personal answers' and the people :mod:`kg.people` finds."""
        if not self.enabled:
            return ()
        return self.personal_values(doc.items, (found.value for found in people_in(doc, is_personal_question)))

    def person_names(self, items: Iterable) -> tuple[str, ...]:
        """The people's names (two to four words) that a form's name questions give.

        These are hunted in every form, not only their own (see :meth:`protect`).
        """
        if not self.enabled:
            return ()
        names = {
            part
            for item in items
            if _is_name_question(item.question)
            for line in item.content_lines()
            if line.kind in ("text", "option")
            for part in _identifiers(line.text)
            if _is_name_like(part) and len(_NAME_WORD.findall(part)) <= 4
        }
        return tuple(sorted(names, key=lambda v: (-len(v), v)))

    def form_facts(self, doc) -> FormFacts:
        """What :meth:`protect` needs of one extraction (its path, title, sections and items), before renaming it."""
        people = people_in(doc, is_personal_question)
        known = self.personal_values(doc.items, (found.value for found in people))
        asked = self.person_names(doc.items)
        named = {found.value for found in people if _is_name_like(found.value)}
        names = tuple(sorted(set(asked) | named, key=lambda v: (-len(v), v)))
        staff = tuple(sorted({found.value for found in people if found.rule == "focal-point-name"}))
        found = _found_by_rule(doc, people, len(asked))
        return FormFacts(names, known, self.text(doc.path, known), found, staff)

    def protect(
        self,
        extractions: Iterable,
        facts: Sequence[FormFacts] | None = None,
        counts: WordCounts | None = None,
    ) -> Protection:
        """Find the build's personal values and pseudonymise names in the extractions' file names.

        Returns each (new) document path's personal values, the people's
        names to hunt in every form and what each rule found. The names are
        those of name questions and :mod:`kg.people` whose every word is a
        proper noun in the build's other text (see :func:`_proper_names`),
        so "Practical Action" or "Fab Lab" given as an innovator's name are
        not struck from other forms, and every name a focal point's address
        spells.

        An extraction whose ``path`` spells a personal value
        (``jane_doe_solar.md``) gets a pseudonymised path
        (``person-…_solar.md``); IRIs and ``dcterms:source`` follow from it.
        Call this before organisations are resolved: they are keyed by path.

        ``facts`` (one per extraction, :meth:`form_facts`) and ``counts``
        (:func:`form_words` of exactly these extractions, summed) may come
        from a cache; the result is the same as without them.
        """
        docs = list(extractions)
        if not self.enabled:
            return Protection({doc.path: () for doc in docs}, ())
        if facts is None:
            facts = [self.form_facts(doc) for doc in docs]
        if counts is None:
            counts = WordCounts()
            for index, doc in enumerate(docs):
                counts.add(index, form_words(doc))
        candidates = {name for form in facts for name in form.names}
        staff = {name for form in facts for name in form.staff}
        names = tuple(sorted(set(_proper_names(candidates, counts)) | staff, key=lambda v: (-len(v), v)))
        hunter = _NameHunter(names)
        known_by_path: dict[str, tuple[str, ...]] = {}
        taken = {doc.path for doc in docs}
        for doc, form in zip(docs, facts, strict=True):
            public = hunter.sub(form.path, self.person)
            if public != doc.path:
                if public in taken:
                    public = f"{self.person(doc.path)}.md"
                taken.add(public)
                doc.path = public
            known_by_path[doc.path] = form.known
        found = Counter({rule: 0 for rule in PRIVACY_RULES})
        for form in facts:
            found.update(dict(form.found))
        found["hunted-names"] = len(names)
        return Protection(known_by_path, names, dict(found))

    def scrub_graphs(
        self,
        graphs: Mapping[URIRef, list[tuple]],
        known_by_graph: Mapping[URIRef, tuple[str, ...]],
        names: tuple[str, ...] = (),
    ) -> dict[URIRef, list[tuple]]:
        """Every graph with personal values pseudonymised in every string literal and minted IRI.

        Literals lose e-mails, phones, their form's ``known`` values and the
        ``names`` hunted everywhere; IRIs minted from text (organisations
        named after a person) lose the ``names``, the same way in every
        graph so links hold. The last line of defence: whatever field a
        value reached (title, partner, insight, metafield, link), it leaves here.
        """
        if not self.enabled:
            return dict(graphs)
        hunter = _NameHunter(names)
        iris: dict = {}
        texts: dict = {}
        return {
            self._iri(graph, hunter, iris): self._scrub_graph(
                triples, known_by_graph.get(graph, ()), hunter, iris, texts
            )
            for graph, triples in graphs.items()
        }

    def _scrub_graph(self, triples: list[tuple], known: tuple[str, ...], hunter: _NameHunter, iris: dict, texts: dict):
        pattern, canonical = _known_pattern(known)
        literals: dict = {}
        scrubbed = []
        for s, p, o in triples:
            if isinstance(o, Literal):
                found = literals.get(o)
                if found is None:
                    found = literals[o] = self._literal(o, hunter, texts, pattern, canonical)
                o = found
            else:
                o = self._iri(o, hunter, iris)
            scrubbed.append((self._iri(s, hunter, iris), p, o))
        return scrubbed

    def _literal(self, term: Literal, hunter: _NameHunter, texts: dict, pattern, canonical: dict) -> Literal:
        if term.datatype is not None and term.datatype not in _TEXT_TYPES:
            return term
        value = str(term)
        new = texts.get(value)
        if new is None:
            new = texts[value] = hunter.sub(self.text(value), self.person)
        if pattern is not None:
            new = _replace(pattern, canonical, new, self.person)
        return term if new == value else Literal(new, lang=term.language, datatype=term.datatype)

    def _iri(self, term, hunter: _NameHunter, cache: dict):
        if not hunter or not isinstance(term, URIRef) or not str.startswith(term, _NAMED_IRIS):
            return term
        found = cache.get(term)
        if found is None:
            local = term[len(ID_BASE) :]
            new = hunter.sub(local, self.person)
            found = cache[term] = term if new == local else URIRef(ID_BASE + new)
        return found

    def _phone(self, match: re.Match) -> str:
        return self._phone_text(match.group(0))

    def _phone_text(self, number: str) -> str:
        if sum(ch.isdigit() for ch in number) < 7:
            return number
        return self.person(re.sub(r"\D", "", number))


def _found_by_rule(doc, people, asked: int) -> tuple[tuple[str, int], ...]:
    """How many values each rule of :data:`PRIVACY_RULES` finds in one form (e-mails and phones each time written)."""
    texts = [doc.title, *(s if isinstance(s, str) else s.title for s in getattr(doc, "sections", ()))]
    texts += [line.text for item in doc.items for line in item.content_lines()]
    found = Counter(found.rule for found in people)
    joined = "\n".join(texts)
    found["email"] = len(_EMAIL.findall(joined)) if "@" in joined else 0
    found["email"] += bool(getattr(doc, "focal_point", ""))
    found["phone"] = sum(1 for _ in phone_spans(joined))
    found["personal-answer"] = sum(
        1
        for item in doc.items
        if is_personal_question(item.question)
        for line in item.content_lines()
        if line.kind in ("text", "option") and line.text.strip() and not _is_public(line.text)
    )
    found["name-question"] = asked
    return tuple((rule, found[rule]) for rule in PRIVACY_RULES if found[rule])


@lru_cache(maxsize=4096)
def _is_name_question(question: str) -> bool:
    """True when ``question`` asks for a person's name (see :meth:`Pseudonymiser.person_names`)."""
    return bool(_NAME_QUESTION.search(fold(question)))


@lru_cache(maxsize=4096)
def _is_public(value: str) -> bool:
    """True for answers that name nobody: placeholders and categories ("Private Sector Led")."""
    key = fold(value).strip(" .:;-/")
    if not key or key in _PLACEHOLDERS:
        return True
    if sector_from_label(value):
        return True
    words = _NAME_WORD.findall(key)
    return bool(words) and all(word in _CATEGORY_WORDS for word in words)


def _identifiers(text: str) -> set[str]:
    """The names, phone numbers and links in one line of a personal answer."""
    text = text.strip()
    if not text or _is_public(text):
        return set()
    found = {url.rstrip(".,;)") for url in _URL.findall(text) if len(_WORD.findall(url)) >= 4}
    rest = _URL.sub(" ", text)
    for part in [rest, *_PARTS.split(rest)]:
        part = _HONORIFIC.sub("", _LABEL.sub("", part.strip())).strip(" .:-–")
        if _is_name_like(part) or (_PHONE_ONLY.match(part) and sum(c.isdigit() for c in part) >= 7):
            found.add(part)
    return found


def _is_name_like(text: str) -> bool:
    """Two to six words, no digits, no function, role or category words."""
    if not text or len(text) > 60 or any(ch.isdigit() for ch in text) or "@" in text:
        return False
    words = _NAME_WORD.findall(text)
    if not 2 <= len(words) <= 6 or _is_public(text):
        return False
    return not any(fold(word) in _NOT_NAME_WORDS for word in words)


def _key(text: str) -> str:
    """A value's words, casefolded: how the word counts of :func:`_proper_names` spell it."""
    return " ".join(word.casefold() for word in _WORD.findall(text))


def _match_key(text: str) -> str:
    """A value's words, casefolded and unaccented: what a recurrence must spell, whatever the separators."""
    return " ".join(_WORD.findall(unaccented(text).casefold()))


@lru_cache(maxsize=1 << 16)
def _value_words(value: str) -> frozenset[str]:
    """The words a recurrence of ``value`` must hold (see :func:`_match_key`)."""
    return frozenset(_match_key(value).split())


@lru_cache(maxsize=1024)
def _known_pattern(known: tuple[str, ...]) -> tuple[re.Pattern | None, dict[str, str]]:
    """One regex matching any known value in unaccented text, words separated by anything but letters and digits."""
    canonical: dict[str, str] = {}
    pieces = []
    for value in known:
        words = _WORD.findall(unaccented(value))
        key = _match_key(value)
        if not words or key in canonical:
            continue
        canonical[key] = value
        pieces.append(r"[\W_]+".join(map(re.escape, words)))
    if not pieces:
        return None, canonical
    return re.compile(r"(?<![^\W_])(?:" + "|".join(pieces) + r")(?![^\W_])", re.I), canonical


def _replace(pattern: re.Pattern, canonical: dict[str, str], value: str, person) -> str:
    """``value`` with each match of ``pattern`` (found in its unaccented form) replaced by ``person(value)``."""
    pieces, last = [], 0
    for match in pattern.finditer(unaccented(value)):
        pieces += [value[last : match.start()], person(canonical.get(_match_key(match.group(0)), match.group(0)))]
        last = match.end()
    return "".join(pieces) + value[last:] if pieces else value


class _NameHunter:
    """Finds the hunted names in any text cheaply: a word-set test first, a regex only on a hit."""

    def __init__(self, names: tuple[str, ...]) -> None:
        self.by_first: dict[str, list[tuple[str, frozenset[str]]]] = {}
        for name in names:
            words = _match_key(name).split()
            if words:
                self.by_first.setdefault(words[0], []).append((name, frozenset(words)))
        self.firsts = frozenset(self.by_first)

    def __bool__(self) -> bool:
        return bool(self.by_first)

    def sub(self, value: str, person) -> str:
        """``value`` with every hunted name replaced by ``person(name)``, accents aside."""
        if not self.by_first or not value:
            return value
        words = set(_WORD.findall(unaccented(value).casefold()))
        firsts = words & self.firsts
        if not firsts:
            return value
        found = tuple(
            sorted(
                (name for first in firsts for name, needed in self.by_first[first] if needed <= words),
                key=lambda v: (-len(v), v),
            )
        )
        if not found:
            return value
        pattern, canonical = _known_pattern(found)
        if pattern is None:  # none of the names found has a word to match
            return value
        return _replace(pattern, canonical, value, person)


@lru_cache(maxsize=8)
def _hunter(names: tuple[str, ...]) -> _NameHunter:
    return _NameHunter(names)


def _proper_names(candidates: set[str], counts: WordCounts) -> tuple[str, ...]:
    """The candidate names whose every word is a proper noun in the build's other text.

    A word is taken for a common noun when it is written in lower case
    three times or more and in more than a quarter of its uses
    (:meth:`WordCounts.proper`; ``counts`` covers every form of the build).
    """
    wanted = {word for name in candidates for word in _key(name).split()}
    proper = counts.proper(wanted)
    names = [name for name in candidates if all(word in proper for word in _key(name).split())]
    return tuple(sorted(names, key=lambda v: (-len(v), v)))


def form_words(doc) -> FormWords:
    """How often one extraction writes each word, and in lower case, in its title and non-personal answers.

    A text counts its words once addresses are blanked (they are lower case
    whatever they spell). Summed over a build (:class:`WordCounts`), these
    say which words are proper nouns. Texts with no address, and no character
    whose casefolding changes what a word is, are counted in one pass.
    """
    words: dict[str, list[int]] = {}
    irregular: list[_IrregularText] = []
    plain = []
    for text in _public_texts([doc]):
        if "@" in text or "http" in text or not _plain_chars(text):
            _count_text(text, words, irregular)
        else:
            plain.append(text)
    _add_counts(words, _counts("\n".join(plain)))
    return FormWords({word: (pair[0], pair[1]) for word, pair in words.items()}, tuple(irregular))


def _public_texts(docs: list) -> Iterable[str]:
    """Every title and non-personal answer line of ``docs``."""
    for doc in docs:
        yield doc.title
        for item in doc.items:
            if not is_personal_question(item.question):
                for line in item.content_lines():
                    yield line.text


def _count_text(text: str, words: dict[str, list[int]], irregular: list[_IrregularText]) -> None:
    """Count one text's words as :func:`_proper_names` would: only those the text spells count for themselves."""
    seen = set(_WORD.findall(text.casefold()))
    if not seen:
        return
    counted = _counts(_EMAIL.sub(" ", _URL.sub(" ", text)))
    odd = {word: (pair[0], pair[1]) for word, pair in counted.items() if word not in seen}
    if odd:
        irregular.append((frozenset(seen), odd))
    _add_counts(words, {word: pair for word, pair in counted.items() if word in seen})


def _counts(text: str) -> dict[str, list[int]]:
    """Casefolded word -> [uses, uses in lower case] in ``text``."""
    counted: dict[str, list[int]] = {}
    for word, uses in Counter(_WORD.findall(text)).items():
        folded = word.casefold()
        pair = counted.get(folded)
        if pair is None:
            pair = counted[folded] = [0, 0]
        pair[0] += uses
        if word == folded:
            pair[1] += uses
    return counted


def _add_counts(words: dict[str, list[int]], counted: dict[str, list[int]]) -> None:
    for word, pair in counted.items():
        total = words.get(word)
        if total is None:
            words[word] = pair
        else:
            total[0] += pair[0]
            total[1] += pair[1]


def _plain_chars(text: str) -> bool:
    """True when casefolding ``text`` keeps its words (each word's casefold is a word of the text's casefold)."""
    return text.isascii() or all(_plain_char(ch) for ch in set(text))


@cache
def _plain_char(ch: str) -> bool:
    """True when ``ch`` casefolds to characters that are all word characters if it is one, and none if it is not."""
    folded = ch.casefold()
    if _WORD.fullmatch(ch):
        return bool(_WORD.fullmatch(folded))
    return bool(folded) and not _WORD.search(folded)
