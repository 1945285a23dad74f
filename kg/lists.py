"""Read lists of organisations written in prose-like lines: labels, shared heads, names that hold commas.

Partner answers list names in every way a person writes a list, and three
habits defeat a plain split on commas:

* **A label before the list** ("Private Lead Companies: Narella, High Low,
  Pilar"; "Academia partners: (1) ..."; "... guilds, including: ...").
* **A name that holds commas**: "Ministry of Gender, Labour and Social
  Development", "Chamber of Commerce, Industry and Services of Ñeembucu".
  The parts after the first are its continuation when they name no
  organisation of their own and the run ends with "and" / "y" / "et".
* **A head shared by the items**: "Municipalities of Yaguarón, Pilar and
  Mariano Roque Alonso", "University of Buea, Dschang and Yaoundé", "Adama,
  Bisheftu and Bahirdar municipalities". A plural head is always shared; a
  singular one only by a head that takes places (a university, a
  municipality, a committee) over items that are places, never over topics
  ("Ministry of Health and Education" is one ministry).

The word lists (heads and their plurals, topic words, list introducers and
conjunctions, per language) are in ``ontology/lexicon/``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

from kg.lexicon import table
from kg.vocab import fold

__all__ = ["drop_label", "join_continuations", "distribute_heads", "split_run_on", "split_items", "split_described"]

_CONNECTOR = r"(?:of|de|del|de la|de los|de las|du|des|d['’]|do|da|dos|das)"
_CAPITAL = re.compile(r"^[^\W\d_a-zß-ÿ]|^[\"«“„]")


def drop_label(text: str, is_label: Callable[[str], bool]) -> str:
    """``text`` without a leading label ("Private companies: A, B" gives "A, B") that ``is_label`` accepts.

    A label also ends with an introducer ("..., including: A, B", "Partners such as A").
    """
    match = re.match(r"^\s*([^:;]{2,80}?)\s*:\s+(\S.*)$", text)
    if match and (is_label(match.group(1)) or _ends_with_introducer(match.group(1))):
        return match.group(2)
    introduced = _patterns()["introduced"].match(text)
    if introduced and is_label(introduced.group(1)):
        return introduced.group(2)  # "local authorities such as A, B and C"
    return text


def split_run_on(text: str) -> list[str]:
    """Names run together on one line: "A (ACR) and B (ACR)", "Unit A. Commission B", "A plus B"."""
    pieces = re.split(r"(?<=\))\s+(?:and|y|et|&|plus|más)\s+(?=[^\W\d_a-zß-ÿ])", text)
    out: list[str] = []
    for piece in pieces:
        out.extend(_split_sentences(piece))
    return [p for p in (p.strip(" ,;") for p in out) if p]


def split_described(text: str) -> list[str]:
    """Items that each carry a description, run together with slashes: "A - did X / B - did Y".

    Slashes otherwise join alternatives ("UNICEF / ЮНИСЕФ"), so they split
    only when at least two of the pieces carry a " - " description.
    """
    pieces = [p.strip() for p in re.split(r"\s*/\s+(?=[^\W\d_a-zß-ÿ])", text)]
    described = sum(1 for p in pieces if re.search(r"\s[-–—]\s", p))
    return pieces if len(pieces) > 1 and described >= 2 else [text]


def join_continuations(parts: list[str], names_one: Callable[[str], bool]) -> list[str]:
    """Rejoin comma parts that continue a name: "Ministry of Gender" + "Labour and Social Development".

    A part continues the name before it when that name has a head and "of"
    ("Ministry of ...", "Chamber of ..."), the part names no organisation of
    its own (``names_one`` is false), and the run of such parts ends with a
    part holding "and" / "y" / "et" / "&".
    """
    out: list[str] = []
    i = 0
    while i < len(parts):
        current = parts[i]
        j = i + 1
        if _has_head_of(current):
            run = []
            while j < len(parts) and _continues(parts[j], names_one):
                run.append(parts[j])
                if _has_conjunction(parts[j]):
                    break
                j += 1
            if run and _has_conjunction(run[-1]):
                current = ", ".join([current, *run])
                j = i + 1 + len(run)
            else:
                j = i + 1
        out.append(current)
        i = j
    return out


def distribute_heads(text: str, names_one: Callable[[str], bool] = lambda _: False) -> list[str]:
    """The names a shared head makes of a list: "Municipalities of A, B and C" gives three municipalities.

    An item that ``names_one`` says is an organisation of its own ("the
    Itapua Regional Government") keeps its name. Returns ``[text]`` when no
    head is shared.
    """
    return (
        _plural_before(text, names_one)
        or _plural_after(text, names_one)
        or _singular_over_places(text, names_one)
        or [text]
    )


def split_items(text: str) -> list[str]:
    """Split a list on commas and a final conjunction: "A, B, and C" gives A, B, C."""
    items = re.split(
        r"\s*,\s*(?:(?:and|y|e|et|&|plus)\s+)?|\s+(?:and|y|et|&|plus|as well as|así como|ainsi que)\s+", text
    )
    return [i.strip(" .") for i in items if i.strip(" .")]


def _plural_before(text: str, names_one: Callable[[str], bool]) -> list[str]:
    match = _patterns()["plural_before"].match(text)
    if not match:
        return []
    head = f"{match.group('pre')}{_plurals()[fold(match.group('head'))]}"
    head = head[:1].upper() + head[1:]
    items = split_items(_cut_aside(match.group("rest")))
    if len(items) < 2:
        return []
    return [_strip_article(item) if names_one(item) else f"{head} {match.group('conn')} {item}" for item in items]


def _plural_after(text: str, names_one: Callable[[str], bool]) -> list[str]:
    """ "A agency, B, C and D municipalities": the head is shared by the places that end the list."""
    match = _patterns()["plural_after"].match(_cut_aside(text))
    if not match:
        return []
    items = split_items(match.group("rest"))
    places = 0
    while places < len(items) and _is_place(items[-1 - places]) and not names_one(items[-1 - places]):
        places += 1
    if places < 2:
        return []
    singular = _match_case(_plurals()[fold(match.group("head"))], match.group("head"))
    return items[: len(items) - places] + [f"{item} {singular}" for item in items[len(items) - places :]]


def _singular_over_places(text: str, names_one: Callable[[str], bool]) -> list[str]:
    match = _patterns()["singular"].match(text)
    if not match:
        return []
    items = split_items(_cut_aside(match.group("rest")))
    if len(items) < 2 or not all(_is_place(item) and not names_one(item) for item in items):
        return []
    return [f"{match.group('head')} {match.group('conn')} {item}" for item in items]


def _is_place(item: str) -> bool:
    """A proper name of one to four words and no topic word ("Mariano Roque Alonso", not "Social Development")."""
    words = item.split()
    if not 1 <= len(words) <= 4 or not _CAPITAL.match(item):
        return False
    return not any(fold(w).strip(".,'’") in _topic_words() for w in words)


def _continues(part: str, names_one: Callable[[str], bool]) -> bool:
    part = _name_part(part)
    words = part.split()
    return 0 < len(words) <= 7 and not names_one(part) and not re.fullmatch(r"[A-Z0-9&\-]{2,}", part.strip())


def _has_head_of(text: str) -> bool:
    return re.search(rf"\b[^\W\d_][\w’'-]+\s+{_CONNECTOR}\s+\S", text) is not None and bool(_CAPITAL.match(text))


def _has_conjunction(text: str) -> bool:
    return re.search(r"(?:^|\s)(?:and|y|e|et|&)\s", f"{_name_part(text)} ") is not None


def _name_part(text: str) -> str:
    """An item without its " - description"."""
    return re.split(r"\s[-–—]\s", text, maxsplit=1)[0].strip()


def _split_sentences(text: str) -> list[str]:
    """ "Presidential Delivery Unit. National SDG Commission": two short capitalised names, not a sentence."""
    parts = re.split(r"(?<=[^\W\d_]{3})\.\s+(?=[^\W\d_a-zß-ÿ])", text)
    if len(parts) > 1 and all(len(p.split()) <= 8 and _title_case(p) for p in parts):
        return parts
    return [text]


def _title_case(text: str) -> bool:
    """Every word of four letters or more starts with a capital: a name, not a sentence."""
    return all(not w[:1].isalpha() or w[:1].isupper() for w in text.split() if len(w) > 3) and bool(
        _CAPITAL.match(text)
    )


def _strip_article(text: str) -> str:
    return re.sub(r"^(?:the|la|el|le|les|los|las|l['’])\s+", "", text, flags=re.I)


def _cut_aside(text: str) -> str:
    """Drop parenthesised asides ("(in Local)"), which name no item."""
    return re.sub(r"\s*\([^()]*\)", "", text).strip()


def _ends_with_introducer(label: str) -> bool:
    folded = fold(label).strip(" ,")
    return any(folded.endswith(f" {word}") or folded == word for word in _introducers())


def _match_case(word: str, like: str) -> str:
    return word[:1].upper() + word[1:] if like[:1].isupper() else word


def _alternation(words) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=lambda w: (-len(w), w)))


@lru_cache(maxsize=1)
def _patterns() -> dict[str, re.Pattern[str]]:
    """The list patterns, built once from the word lists."""
    plurals, heads, introducers = (
        _alternation(_plurals()),
        _alternation(_distributive_singulars()),
        _alternation(_introducers()),
    )
    return {
        "introduced": re.compile(rf"^\s*([^:;,]{{2,60}}?)[\s,]+(?:{introducers})\s+(\S.*)$", re.I),
        "plural_before": re.compile(
            rf"^(?P<pre>(?:[^\W\d_][\w’'-]*\s+){{0,3}}?)(?P<head>{plurals})\s+(?P<conn>{_CONNECTOR})\s+(?P<rest>.+)$",
            re.I,
        ),
        "plural_after": re.compile(rf"^(?P<rest>.+?)\s+(?P<head>{plurals})$", re.I),
        "singular": re.compile(rf"^(?P<head>.*?\b(?:{heads}))\s+(?P<conn>{_CONNECTOR})\s+(?P<rest>.+)$", re.I),
    }


@lru_cache(maxsize=1)
def _plurals() -> dict[str, str]:
    return {fold(row["plural"]): row["singular"] for row in table("list_heads")}


@lru_cache(maxsize=1)
def _distributive_singulars() -> tuple[str, ...]:
    return tuple(sorted({row["singular"] for row in table("list_heads") if row["distributive"] == "1"}))


@lru_cache(maxsize=1)
def _topic_words() -> frozenset[str]:
    return frozenset(fold(row["term"]) for row in table("topic_words"))


@lru_cache(maxsize=1)
def _introducers() -> tuple[str, ...]:
    return tuple(fold(row["term"]) for row in table("list_introducers"))
