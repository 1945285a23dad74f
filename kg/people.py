"""People a form names outside its personal questions, found so that they can be pseudonymised.

:mod:`kg.privacy` pseudonymises the answers to questions that ask for a
person. Forms also name people where no question asks:

* a heading or an answer line that a label opens: ``## Solution holder:
  NAME``, ``Contact: NAME, Head of ...``, ``Auteur : NAME``
  (``labelled-heading``, ``labelled-line``);
* a name after "written by", "authored by", "elaborado por", "rédigé par"
  in any answer (``by-line``);
* a name beside a role with a comma: "our Head of Exploration, NAME",
  "whose president, NAME,", "NAME, Head of Solutions Mapping" (``role-line``);
* the name an e-mail address spells: ``first.last@...``, ``first_last@``
  and, for the form's focal point only, ``flast@`` or ``firstlast@`` when
  exactly one name in the form spells it (``focal-point-name`` for the
  form's focal point, ``email-name`` for others). Besides the focal
  point's, only addresses given where a person is asked for or labelled
  count (an answer to a personal question, a labelled heading or line): an
  organisation's address in prose would make its name a person's.

:func:`people_in` returns every such value with the rule that found it. The
words these rules read (labels, role heads, name particles, shared-mailbox
words) are in ``ontology/lexicon/person_labels.tsv``.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from kg import lexicon
from kg.lexicon import alternation
from kg.vocab import fold, unaccented

__all__ = ["RULES", "Found", "email_name", "people_in"]

RULES = ("labelled-heading", "labelled-line", "by-line", "role-line", "focal-point-name", "email-name")
"""The rules of this module, in the order :func:`people_in` applies them."""

_LABEL = re.compile(
    rf"^[\W_]*(?:{alternation(lexicon.words('person_labels', use='label'))})[\s*_]*:[\s*_]*(?P<rest>\S.*)$", re.I
)
_BY_TERMS = tuple(term.casefold() for term in lexicon.words("person_labels", use="by"))
_BY = re.compile(rf"(?<![^\W_])(?:{alternation(_BY_TERMS)})\s+(?P<rest>.+)", re.I)
_ROLE_TERMS = tuple(term.casefold() for term in lexicon.words("person_labels", use="role"))
_ROLE = alternation(_ROLE_TERMS)
_ROLE_THEN_NAME = re.compile(rf"(?<![^\W_])(?:{_ROLE})(?:\s+[^,.;:()\n]{{1,60}}?)?,\s+(?P<rest>.+)", re.I)
_NAME_THEN_ROLE = re.compile(
    rf"(?P<before>[^,;:()\n]{{3,80}}),\s+(?:(?:our|the|nuestr[oa]|notre)\s+)?(?:{_ROLE})\s", re.I
)
_PARTICLES = lexicon.word_set("person_labels", use="particle")
_MAILBOX = lexicon.word_set("person_labels", use="mailbox")
_LEADING = re.compile(
    rf"^(?:(?:our|the|nuestr[oa]|notre|el|la|le)\s+)?"
    rf"(?:(?:{alternation(lexicon.words('honorifics', use='strip'))})\.?\s+)?",
    re.I,
)
_NOT_NAME = (
    lexicon.word_set("generic_words", use="category")
    | lexicon.word_set("generic_words", use="not_name")
    | lexicon.word_set("person_roles", use="not_name")
    | {fold(word) for word in lexicon.words("org_keywords")}
    | {fold(word) for word in lexicon.words("org_kinds")}
)
_PARTS = re.compile(
    rf"\s*(?:[,;/|&]|\s\+\s|\s-\s|\s–\s|\s(?:{alternation(lexicon.words('conjunctions', use='pair'))})\s)\s*", re.I
)
_PHONE = re.compile(r"^\+?\d[\d \t().\-]{5,}\d$")
_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")
_TOKEN = re.compile(r"\S+")
_WORD = re.compile(r"[^\W\d_]+")
_TRAILING = ",.;:)(\"'”’!?"
_ACRONYM_NEXT = re.compile(r"^\s*\([A-Z][A-Z0-9&.\-]+\)")  # "Name (ABC)": an organisation, not a person
_MAX_NAME_WORDS = 4


@dataclass(frozen=True)
class Found:
    """A person's name (or phone number) a form gives, and the rule that found it."""

    rule: str
    value: str


def people_in(doc, personal: Callable[[str], bool] = lambda question: False) -> tuple[Found, ...]:
    """The people named in ``doc``'s headings, answer lines and e-mails, by the rules of this module.

    ``doc`` is a form or an extraction: anything with ``title``, ``sections``
    (titles, or objects with a ``title``; optional), ``items`` (with
    ``question`` and ``content_lines()``) and, optionally, ``focal_point``
    (an e-mail). ``personal`` tells the questions that ask for a person
    (:func:`kg.privacy.is_personal_question`). Values are unique per rule and
    in the order found.
    """
    headings = [section if isinstance(section, str) else section.title for section in getattr(doc, "sections", ())]
    lines = [line.text for item in doc.items for line in item.content_lines() if line.kind != "image"]
    found: dict[Found, None] = {}
    for heading in headings:
        found.update(dict.fromkeys(_labelled(heading, "labelled-heading")))
    for text in lines:
        if ":" in text:
            found.update(dict.fromkeys(_labelled(text, "labelled-line")))
    for text in [doc.title, *lines]:
        lowered = text.casefold()
        if any(term in lowered for term in _BY_TERMS):
            found.update(dict.fromkeys(Found("by-line", name) for name in _after_by(text)))
        if "," in text and any(term in lowered for term in _ROLE_TERMS):
            found.update(dict.fromkeys(Found("role-line", name) for name in _beside_role(text)))
    texts = [doc.title, *headings, *lines]
    asked = [line.text for item in doc.items if personal(item.question) for line in item.content_lines()]
    labelled = [text for text in [*headings, *lines] if ":" in text and _LABEL.match(text.strip())]
    emails = sorted({email for text in asked + labelled for email in _EMAIL.findall(text)})
    focal = getattr(doc, "focal_point", "")
    if focal:
        found.update(dict.fromkeys(Found("focal-point-name", name) for name in email_name(focal, texts, own=True)))
    for email in emails:
        if email.casefold() != focal.casefold():
            found.update(dict.fromkeys(Found("email-name", name) for name in email_name(email, texts)))
    return tuple(found)


def email_name(email: str, texts: Iterable[str], own: bool = False) -> list[str]:
    """The person's name ``email`` spells, as ``texts`` write it.

    The local part's words (split at dots, underscores and hyphens, digits
    and one-letter words dropped) must be two to four and none a shared
    mailbox's word (info, contacto...). Each capitalised run of ``texts``
    that spells them, accents and case aside, is returned; for the form's
    own focal point (``own``) the name written from the address ("Paula
    Mosera") comes first even if no text spells it, and a local part of one
    word is read as first initial and last name, or first and last name run
    together, when exactly one capitalised name of ``texts`` spells it.
    """
    local = email.partition("@")[0].casefold()
    words = [w for w in re.split(r"[._\-+]+", re.sub(r"\d+", "", local)) if len(w) >= 2]
    texts = list(texts)
    if len(words) == 1 and own:
        run_together = _run_together(words[0], texts)
        return [run_together] if run_together else []
    if not 2 <= len(words) <= _MAX_NAME_WORDS or any(fold(w) in _MAILBOX for w in words):
        return []
    spelled = list(dict.fromkeys(_spellings(words, texts)))
    if own:
        return list(dict.fromkeys([" ".join(w.capitalize() for w in words), *spelled]))
    return spelled


def _labelled(text: str, rule: str) -> Iterator[Found]:
    """The names and phone numbers after a person label and its colon."""
    match = _LABEL.match(text.strip())
    if not match:
        return
    for part in _PARTS.split(match.group("rest")):
        part = _LEADING.sub("", part.strip(" .*_\t")).strip(" .*_\t")
        if _is_person_name(part, _MAX_NAME_WORDS + 1) or (_PHONE.match(part) and sum(ch.isdigit() for ch in part) >= 7):
            yield Found(rule, part)


def _after_by(text: str) -> Iterator[str]:
    """Names after "written by" and its kin, and a second one joined by "and"."""
    for match in _BY.finditer(text):
        name, rest = _leading_name(match.group("rest"))
        if name:
            yield name
            second = re.match(rf"\s+(?:{alternation(lexicon.words('conjunctions', use='pair'))})\s+(.+)", rest, re.I)
            if second:
                other, _ = _leading_name(second.group(1))
                if other:
                    yield other


def _beside_role(text: str) -> Iterator[str]:
    """Names given with a role and a comma: "Head of X, NAME" and "NAME, Head of X"."""
    for match in _ROLE_THEN_NAME.finditer(text):
        name, _ = _leading_name(match.group("rest"))
        if name:
            yield name
    for match in _NAME_THEN_ROLE.finditer(text):
        name = _trailing_name(match.group("before"))
        if name:
            yield name


def _leading_name(text: str) -> tuple[str, str]:
    """The person's name that opens ``text`` (after "our", "the", an honorific), and the text after it."""
    text = _LEADING.sub("", text, count=1)
    words: list[str] = []
    end = 0
    for token in _TOKEN.finditer(text):
        word = token.group(0).rstrip(_TRAILING)
        if not _name_word(word, first=not words) or len(words) == _MAX_NAME_WORDS:
            break
        words.append(word)
        end = token.start() + len(word)
        if word != token.group(0):
            break
    while words and words[-1].casefold() in _PARTICLES:
        words.pop()
    name = " ".join(words)
    if not _is_person_name(name, _MAX_NAME_WORDS) or _ACRONYM_NEXT.match(text[end:]):
        return "", text
    return name, text[end:]


def _trailing_name(text: str) -> str:
    """The person's name that ends ``text`` ("... facilitated by Lorena Moscovich")."""
    words: list[str] = []
    for word in reversed(text.split()):
        if len(words) == _MAX_NAME_WORDS or not _name_word(word, first=False) or word != word.strip(_TRAILING):
            break
        words.insert(0, word)
    while words and words[0].casefold() in _PARTICLES:
        words.pop(0)
    name = " ".join(words)
    return name if _is_person_name(name, _MAX_NAME_WORDS) else ""


def _name_word(word: str, first: bool) -> bool:
    """A capitalised word of letters (with ' ’ - .), or a lower-case particle inside a name."""
    if not word or not _WORD.fullmatch(word.replace("'", "").replace("’", "").replace("-", "").replace(".", "")):
        return False
    return word[0].isupper() or (not first and word in _PARTICLES)


def _is_person_name(text: str, most: int) -> bool:
    """Two to ``most`` words, capitalised but for particles, none a role, category or organisation word."""
    words = text.split()
    if not 2 <= len(words) <= most or any(ch.isdigit() for ch in text) or "@" in text:
        return False
    if not all(word[0].isupper() or word in _PARTICLES for word in words) or not words[-1][0].isupper():
        return False
    return not any(fold(part) in _NOT_NAME for word in words for part in _WORD.findall(word))


def _spellings(words: list[str], texts: list[str]) -> Iterator[str]:
    """Capitalised runs of ``texts`` whose words are ``words`` (or the first and the last), accents and case aside."""
    wanted = [fold(w) for w in words]
    shapes = [wanted] + ([[wanted[0], wanted[-1]]] if len(wanted) > 2 else [])
    for text in texts:
        if wanted[-1] not in unaccented(text).casefold():
            continue
        tokens = list(_WORD.finditer(text))
        folded = [fold(t.group(0)) for t in tokens]
        for shape in shapes:
            for start in range(len(tokens) - len(shape) + 1):
                if folded[start : start + len(shape)] == shape:
                    span = text[tokens[start].start() : tokens[start + len(shape) - 1].end()]
                    if all(w[0].isupper() for w in _WORD.findall(span)):
                        yield span


def _run_together(local: str, texts: list[str]) -> str:
    """The one capitalised two-word name of ``texts`` that ``local`` spells as ``flast`` or ``firstlast``."""
    matches = set()
    for text in texts:
        tokens = _WORD.findall(text)
        for first, last in itertools.pairwise(tokens):
            if not (first[0].isupper() and last[0].isupper()) or len(first) < 2 or len(last) < 2:
                continue
            key_first, key_last = fold(first), fold(last)
            if local in (key_first[0] + key_last, key_first + key_last) and _is_person_name(f"{first} {last}", 2):
                matches.add(f"{first} {last}")
    return matches.pop() if len(matches) == 1 else ""
