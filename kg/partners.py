"""Split partner answers into organisation names, roles, acronyms and actions.

Partner answers come as one name per group, or as lists: numbered, bulleted,
comma- or semicolon-separated, grouped under ``ACTION N: NAME`` headers, with
roles in parentheses ("(lead)"), acronyms in parentheses ("(UMSA)") and a
description after " - ", ":" or " – ". These rules turn such answers into
:class:`PartnerName` records and refuse what is not a name: headings,
instructions, sector words, "None", sentence fragments.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kg.forms import AnswerLine
from kg.vocab import cut_unbalanced, fold, initials, sector_from_label

__all__ = [
    "PartnerName",
    "parse_partner_lines",
    "parse_action_header",
    "looks_like_name",
    "is_no_partner",
    "split_conjunction",
    "split_heads",
    "is_self",
    "is_generic",
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


def parse_partner_lines(lines: list[AnswerLine], free_text: bool = False) -> list[PartnerName]:
    """Read partner names out of an answer's lines, in order, without repeats.

    ``free_text`` marks narrative answers (the 2021-23 "what partners did you
    actually work with" questions): only list-like segments that look like an
    organisation's name are kept there, never prose.
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
            name = _parse_segment(segment, ln.line, action, free_text)
            if name and fold(name.name) not in seen:
                seen.add(fold(name.name))
                names.append(PartnerName(**{**name.__dict__, "sector": sector}) if sector else name)
    return names


def is_self(text: str) -> bool:
    """True for UNDP itself ("UNDP", "PNUD", "UNDP's"): the lab's own organisation, not a partner in prose."""
    return fold(text).strip(" .'’s") in {"undp", "pnud", "the undp", "undp co", "undp country office"}


def is_no_partner(text: str) -> bool:
    """True for answers that say there is no partner: "N/A", "None", "N.A.", "Not yet"..."""
    folded = fold(text).strip(" .;:,-–—!*()[]")
    compact = re.sub(r"[\s./\\-]", "", folded)
    return not compact or compact in _NO_PARTNER_COMPACT or bool(_NO_PARTNER.match(folded))


def looks_like_name(text: str) -> bool:
    """True when ``text`` reads as an organisation's name, not prose or a label."""
    words = text.split()
    if not words or len(words) > 14 or len(text) > 140 or len(text) < 2:
        return False
    if text.endswith(("?", ":")) or _NOT_A_NAME.match(fold(text)) or is_no_partner(text) or _DANGLING.search(text):
        return False  # a question, a label, a sentence opener or a name cut short ("The Ministry of")
    if not (text[0].isupper() or text[0].isdigit() or _LOWER_START_OK.match(text)):
        return False
    if sector_from_label(text) or fold(text) in _GENERIC or _is_sector_word(text) or is_generic(text):
        return False
    if _NOT_ORG_TAIL.search(text):
        return False
    if text.isupper() and len(words) >= 2 and not _has_org_keyword(text) and all(len(w) >= 3 for w in words) \
            and any(len(w) >= 6 for w in words):
        return False  # an all-caps heading ("DEPOPULATION PORTFOLIO"), not acronyms ("UN SGP")
    keywords = [w for w in re.findall(r"[\w'-]+", text) if _KEYWORD_WORD.fullmatch(w.lower())]
    if keywords and all(w[0].islower() for w in keywords):
        before = text[: text.find(keywords[0])].split()
        if not before or _ACRONYM.fullmatch(before[-1]) and len(before) == 1 or any(w[0].islower() for w in before):
            return False  # "IT agency", "promotion agency": a description, not a name ("Legal Bar association" is one)
    lower = [w for w in words if w[:1].islower() and fold(w).strip(",.()") not in _CONNECTORS]
    if len(words) == 2 and lower == words[1:] and not _has_org_keyword(text) and not _ACRONYM.fullmatch(words[0]):
        return False  # "Technical collaboration", "Spotlight initiative": a phrase, not a name
    if len(words) > 3 and any(re.search(r"(ed|ing)$", w) for w in lower):
        return False
    return len(lower) <= max(1, len(words) // 4)


_ACTION = re.compile(r"^\s*(?:action|acci[óo]n|acao|ação)\s*(?:n[°ºo.]\s*)?(\d{1,2})\s*[:.\-–—)]\s*(.+)$", re.I)
_ACTION_NAME_END = re.compile(r",|\.\s|\s(?:was|is|were|has|will|which|that|fue|est|a été)\s", re.I)
_MARKER = re.compile(r"^\s*(?:[-*•·▪●+]+|\(?\d{1,2}\s*[.)\-–]|\(?[a-h][.)])\s*")
_INLINE_NUMBER = re.compile(r"\s(?:\d{1,2}[.)\-]|\(\d{1,2}\))\s+(?=[A-Z])")
_PARENS = re.compile(r"[(\[]([^()\[\]]*)[)\]]")
_DESC_SPLIT = re.compile(
    r"\s+[-–—]\s+|\s*[–—]\s*|:\s+|\s+-$|(?<=[^\W\d])-\s+(?=[A-ZÀ-Ý])|(?<=[A-Z]{2})-\s+(?=[a-z])|\s+(?:within|under|inside)\s+(?=[A-ZÀ-Ý])"
)
_ACRONYM = re.compile(r"^[A-Z][A-Za-z0-9&.\-]*[A-Z0-9][A-Za-z0-9&.\-]*$")
_LOWER_START_OK = re.compile(r"^(?:[a-z]+[A-Z]|i[A-Z]|e[A-Z]|de\s|la\s|le\s|el\s|l['’])")
_CONNECTORS = {
    "of", "and", "for", "the", "in", "on", "at", "to", "de", "del", "la", "las", "los", "el", "y", "e", "et",
    "des", "du", "le", "les", "da", "do", "dos", "das", "para", "pour", "en", "a", "an", "&", "-", "und",
    "di", "della", "al", "by", "with", "sur", "por", "l'", "d'",
}
_NO_PARTNER = re.compile(
    r"^(?:n/?a|none|nil|no|non|nothing|not applicable|not yet|not available|no partners?|tbd|tbc|"
    r"to be (?:determined|confirmed|defined|identified)|ninguno|ninguna|aucun|aucune|neant|sin|pending|idem|same|"
    r"see above|as above|yes|si|oui|no aplica|non applicable|sans objet)\b"
)
_NO_PARTNER_COMPACT = {"na", "nil", "none", "no", "non", "tbd", "tbc", "nd", "ne", "nap", "noneyet", "notyet"}
_NOT_A_NAME = re.compile(
    r"^(?:other|others|otros|autres|etc|please|what|who|how|why|which|describe the|list the|list of|state the|"
    r"if applicable|top \d|partners?\b|socios?\b|partenaires?\b|action \d|this|these|those|we|our|they|their|it|its|"
    r"he|she|through|also|during|after|before|since|thanks|all|both|each|many|some|nous|nos|ils|elles|nosotros|a|an|"
    r"the partners|regarding|concerning|including|such as|as well as|for (?:our|the|this|instance|example)|"
    r"in (?:our|the|this|addition)|with|within|via|"
    r"(?:on|in|at|for|from|by|to) (?:several|some|many|most|all|each|our|the|this|these|those|a|an))\b"
)
_DANGLING = re.compile(r"\s(?:of|for|and|the|de|del|des|du|la|las|los|le|les|y|et|en|&)$", re.I)
_SECTOR_WORDS = (
    "government", "goverment", "governments", "public sector", "private sector", "academia", "academic",
    "civil society", "ngo", "ngos", "un agencies", "un agency", "media", "donors", "international organizations",
)
_GENERIC = {
    "government", "governments", "private sector", "academia", "civil society", "ngo", "ngos", "un agencies",
    "local government", "local governments", "universities", "local universities", "schools", "communities",
    "community", "citizens", "youth", "women", "private companies", "startups", "municipalities", "ministries",
    "donors", "media", "experts", "students", "public sector", "undp", "innovators", "ngo", "ngos",
    "undp co", "undp country office", "country office", "the government", "local authorities", "private sector actors",
    "academic institutions", "civil society organizations", "civil society organisations", "cso", "csos",
}
_KEYWORD_WORDS = (
    r"ministry|agency|university|municipality|foundation|association|company|department|institute|organi[sz]ation|"
    r"council|office|bank|network|cooperative|secretariat|authority|commission"
)
_KEYWORD_WORD = re.compile(rf"(?:{_KEYWORD_WORDS})s?")
_LABELLED_LIST = re.compile(r"^(.*?)\s*[\[(]([^\])]*[;,][^\])]*)[\])]\s*$")
_SLASH = r"\s+/\s+"
_AND_THE = r"\s+(?:and|y|et)\s+(?:the|la|el|le|les|los|las)\s+(?=[A-ZÀ-Ý])"
_NOT_ORG_TAIL = re.compile(
    r"\b(?:project|projects|proyecto|projet|campaign|campaña|campagne|challenge|forum|conference|"
    r"summit|workshop|event|festival|fair|hackathon|meeting|webinar)$",
    re.I,
)
_INLINE_LABEL = re.compile(
    r"(?:^|\s)(?:NGOs?|CSOs?|INGOs?|Government|Gov't|Private sector|Academia|Academic|UN|Civil society|Donors?)\s*:\s+"
)
_HEAD = re.compile(
    r"\b(?:Ministry|Ministries|Ministerio|Ministère|Ministério|Secretariat|Secretaría|Municipality|Embassy|"
    r"Mairie|Alcaldía|Gobierno)\s+(?:of|for|de|du|des|del|da|do)\b|\b(?:State|National|Federal)\s+(?=[A-Z])"
)
_HEAD_START = re.compile(r"^(?:Ministry|Ministerio|Ministère|University|Universidad|Université|Municipality|Embassy)\b")
_JOINERS = (" and", " of", " for", " de", " del", " y", " et", " &", " the")
_HEAD_BREAK = {"of", "for", "in", "on", "at", "de", "del", "des", "du", "en", "and", "y", "et", "connected", "working"}
_PERSON_AT = re.compile(
    r"^(?:[\w-]+\s+){0,2}(?:intern|volunteer|student|professor|researcher|expert|consultant|specialist|staff|team|"
    r"mentors?|officials?|representatives?)\s+(?:\w+\s+)?(?:at|from|of)\s+(?:the\s+)?([A-ZÀ-Ý].+)$",
    re.I,
)
_NAMED_AFTER = re.compile(r"\b(?:from|of|at|with|by|de|del|du)\s+((?:[A-ZÀ-Ý][\w’'.&\-]*\s*)+)$")
_GENERIC_HEADS = {
    "banks", "companies", "entrepreneurs", "farmers", "associations", "institutes", "universities", "agencies",
    "organizations", "organisations", "ngos", "csos", "cooperatives", "communities", "municipalities", "ministries",
    "schools", "startups", "start-ups", "businesses", "enterprises", "firms", "partners", "donors", "ifis", "mfis",
    "governments", "authorities", "operators", "groups", "networks", "unions", "centers", "centres", "hubs",
    "leaders", "women", "youth", "students", "teachers", "experts", "citizens", "families", "households",
    "producers", "artisans", "vendors", "traders", "fishers", "fishermen", "members", "officials", "institutions",
    "actors", "stakeholders", "platforms", "sectors", "sponsors", "investors", "innovators", "researchers",
    "volunteers", "journalists", "activists", "specialists", "consultants", "ecosystem", "ecosystems",
}
_PERSON_HEADS = {
    "specialist", "consultant", "expert", "coordinator", "officer", "advisor", "adviser", "manager", "director",
    "facilitator", "researcher", "minister", "president", "mayor", "governor", "ambassador", "intern", "volunteer",
    "scientist", "academician", "professor", "teacher", "doctor", "engineer", "lawyer", "architect", "designer",
}
_URL = re.compile(r"(?:https?://|www\.)\S+", re.I)
_KEEP_FINAL_DOT = re.compile(r"(?:\b\w\.\w+|\b(?:Inc|Ltd|Co|Corp|Bhd|Pvt|Cía|Cia|Jr|Ltda|Sdn))\.$")


def _is_sector_word(text: str) -> bool:
    """A sector word, even misspelt ("Goverment"), is not an organisation's name."""
    from rapidfuzz import fuzz, process

    folded = fold(text).strip(" .:;-")
    if len(folded.split()) > 3:
        return False
    match = process.extractOne(folded, _SECTOR_WORDS, scorer=fuzz.ratio, score_cutoff=88)
    return match is not None


def _sector_heading(text: str) -> tuple[str, str]:
    """``("government", rest)`` for a line such as "Government:" or "Private sector: Acme Ltd"."""
    head, sep, rest = text.partition(":")
    if not sep or len(head.split()) > 4:
        return "", text
    sector = sector_from_label(head)
    return (sector, rest.strip()) if sector else ("", text)


def _strip_marker(text: str) -> str:
    return _MARKER.sub("", text, count=1).strip()


def _segments(text: str, free_text: bool) -> list[str]:
    """Split one answer line into candidate name segments."""
    text = _INLINE_NUMBER.sub(" ; ", " " + text).strip(" ;")
    text = _INLINE_LABEL.sub(" ; ", text).strip(" ;")
    pieces: list[str] = []
    for part in _split_outside_parens(text, r";|\s\|\s"):
        part = _strip_marker(part)
        if not part:
            continue
        listed = _LABELLED_LIST.match(part)
        if listed and (is_generic(listed.group(1)) or sector_from_label(listed.group(1))):
            pieces.extend(p for p in re.split(r"[;,]", listed.group(2)) if p.strip())
            continue
        for piece in _split_commas(part) if "," in part else [part]:
            for head_piece in split_heads(piece):
                for joined in _split_outside_parens(head_piece, _AND_THE):
                    slashed = _split_outside_parens(joined, _SLASH)
                    if len(slashed) > 1 and not all(looks_like_name(p) for p in slashed):
                        slashed = [joined]
                    slashed = _acronym_pair(slashed)
                    for piece_ in slashed:
                        pieces.extend(split_conjunction(piece_))
    if free_text:
        pieces = [p for p in pieces if len(_PARENS.sub(" ", p).split()) <= 12]  # a remark in brackets may be long
    return pieces


def _acronym_pair(parts: list[str]) -> list[str]:
    """"FARN / Fundación Ambiente y Recursos Naturales" is one name and its acronym: ["Fundación ... (FARN)"]."""
    if len(parts) == 2:
        for acronym, name in (parts, parts[::-1]):
            if _ACRONYM.fullmatch(acronym) and initials(name) == acronym.upper():
                return [f"{name} ({acronym})"]
    return parts


def split_conjunction(text: str) -> list[str]:
    """Split "UNICEF and WFP" / "UNFPA & UNICEF" when both sides are organisations by themselves."""
    parts = _split_outside_parens(text, r"\s+(?:and|&|y|et)\s+")
    if len(parts) == 2 and all(_ACRONYM.fullmatch(p) or _has_org_keyword(p) and looks_like_name(p) for p in parts):
        if all(_ACRONYM.fullmatch(p) for p in parts) or all(_HEAD_START.match(p) for p in parts):
            return parts
    return [text]


def _split_outside_parens(text: str, separator: str) -> list[str]:
    """Split ``text`` on ``separator`` where it is not inside parentheses."""
    masked = _PARENS.sub(lambda m: "\0" * len(m.group(0)), text)
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
        if before and (_has_org_keyword(before) or is_generic(before)) and not before.endswith(_JOINERS):
            pieces.append(before)
            start = cut
    pieces.append(text[start:].strip())
    return [p for p in pieces if not is_generic(p)] or pieces[-1:]


def _has_org_keyword(text: str) -> bool:
    from kg.ner import looks_like_organisation

    return looks_like_organisation(text)


def is_generic(text: str) -> bool:
    """A collective rather than an organisation: "Commercial Banks", "NGOs (in youth)", "Farmers"."""
    bare = _PARENS.sub(" ", text)
    words = [w for w in re.split(r"[\s/]+", fold(bare).strip(" .,;:")) if w]
    if not words or " ".join(words) in _GENERIC:
        return True
    head, size = words[0], 1
    for i, word in enumerate(words):
        if word in _HEAD_BREAK and i > 0:
            break
        head, size = word, i + 1
    head = head.strip("'’")
    if len(words) <= 3 and words[-1].removesuffix("s") in _PERSON_HEADS:
        return True  # "Prime Minister", "GIS specialist": a person's role
    original = [w for w in re.split(r"[\s/]+", bare.strip(" .,;:")) if w]
    english_head = size == len(words) or words[size] in ("of", "for", "in", "at")
    if english_head and head.removesuffix("s") in _PERSON_HEADS and not _has_org_keyword(" ".join(original[:size])):
        return True  # "Chief Heat Officer of Athens", "University Professors in MKD", not "Universidad Mayor de ..."
    return head in _GENERIC_HEADS or bool(re.fullmatch(r"[a-z]{2,5}s", head) and bare.strip()[:1].isupper()
                                          and re.search(r"\b[A-Z]{2,5}s\b", bare))


def _split_commas(text: str) -> list[str]:
    """Split a comma list of names, but keep "Ministry of Youth, Sports and ..." whole."""
    parts = _split_outside_parens(text, ",")
    if len(parts) < 2:
        return parts
    head = _split_outside_parens(text, r"\s[-–—]\s")[0]
    if _is_enumerated_name(parts) or head != text and _is_enumerated_name(_split_outside_parens(head, ",")):
        return [text]  # "Ministry of Science, Technology, and Innovation - Cities of A, B and C"
    parts = [re.sub(r"^(?:and|y|et|e|&)\s+", "", p) for p in parts]
    parts = [re.sub(r"\s+(?:among others|etc\.?|and others|entre otros|entre autres)$", "", p) for p in parts]
    parts = [_named_in(p) for p in parts if p]
    roles = {name: role for name, role in parts}
    parts = [name for name, _ in parts]
    names = [p for p in parts if looks_like_name(p) or _ACRONYM.fullmatch(p)]
    if not names:
        return [text]
    return [f"{n} ({roles[n]})" if roles.get(n) else n for n in names]


def _named_in(text: str) -> tuple[str, str]:
    """The organisation a described item names, and the role words before it.

    "mentors associated from Codeando México" gives ("Codeando México", "mentors").
    """
    bare = re.sub(r"^(?:the|la|el|le|les|los|las)\s+", "", text.strip(), flags=re.I)
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
    has_connector = re.search(r"\s(of|for|de|del|des|du|pour|para)\s", first) is not None
    tail_short = all(len(p.split()) <= 3 for p in parts[1:])
    joined_last = re.match(r"^(and|&|y|et|e)\s", fold(parts[-1])) is not None
    return has_connector and tail_short and (joined_last or len(parts) == 2 and len(parts[1].split()) == 1)


def _parse_segment(segment: str, line: int, action: int | None, free_text: bool) -> PartnerName | None:
    surface = segment.strip()
    text = cut_unbalanced(" ".join(_URL.sub(" ", surface).replace("()", " ").split())).strip(" ;,:-–—")
    text = re.sub(r"[:;,]?\s+(?:The|A|An|La|Le|El|Les|Los|Las|Our|We|They)$", "", text).strip(" ;,")
    if text.endswith(".") and not _KEEP_FINAL_DOT.search(text):
        text = text.rstrip(". ")
    text, description = _split_description(text)
    label_sector = sector_from_label(text) if description else None
    if label_sector or description and _is_sector_word(text):
        text, description = description, ""  # "Private Sector- RM enterprise": a sector label, then the name
    text, acronym, role = _split_parentheses(text)
    text = re.sub(r"^(?:the|la|el|le|les|los|las)\s+(?=[A-Z])", "", text, flags=re.I).strip(" ;,:-")
    if acronym and not text:
        text, acronym = acronym, ""
    if not looks_like_name(text) and not _acceptable_acronym(text):
        return None
    if _is_place(text) or _NOT_ORG_TAIL.search(text):
        return None
    stated_sector = label_sector or ""
    if role and (sector_from_label(role) or _is_sector_word(role)):
        role, stated_sector = "", sector_from_label(role) or ""
    return PartnerName(text, line, surface, role, acronym, description, action, stated_sector)


def _is_place(text: str) -> bool:
    """A bare country or province name ("Catamarca", "Kenya") is a place, not a partner."""
    from kg.countries import resolve_country

    return len(text.split()) <= 3 and not _has_org_keyword(text) and resolve_country(text) is not None


def _acceptable_acronym(text: str) -> bool:
    """A bare acronym ("CITEC") is a name unless it says "none" or names a sector or UNDP itself."""
    return (
        bool(_ACRONYM.match(text or ""))
        and len(text) <= 12
        and not is_no_partner(text)
        and fold(text) not in _GENERIC
        and not _is_sector_word(text)
        and not is_generic(text)
    )


def _split_description(text: str) -> tuple[str, str]:
    """Split "NAME - description"; a label before an organisation ("Flowers in the air: X Office") gives X."""
    masked = _PARENS.sub(lambda m: "\0" * len(m.group(0)), text)
    match = _DESC_SPLIT.search(masked)
    parts = [text[: match.start()], text[match.end() :]] if match else [text]
    if len(parts) == 2 and parts[0].strip():
        head, tail = parts[0].strip(), parts[1].strip()
        tail_name = _PARENS.sub(" ", tail).strip()
        if not _has_org_keyword(head) and _has_org_keyword(tail_name) and looks_like_name(tail_name):
            return tail, head
        return head, tail
    return text, ""


def _split_parentheses(text: str) -> tuple[str, str, str]:
    """Take acronyms and roles out of parentheses: ("Name", "ACR", "role")."""
    acronym = role = ""
    for inner in _PARENS.findall(text):
        inner_s = inner.strip()
        if _ACRONYM.match(inner_s) and len(inner_s) <= 15 and not acronym:
            acronym = inner_s
        elif inner_s and inner_s[:1].islower() and len(inner_s.split()) <= 5 and not role:
            role = inner_s
        elif looks_like_name(inner_s) and _ACRONYM.match(_PARENS.sub("", text).strip()):
            acronym, text = _PARENS.sub("", text).strip(), f"{inner_s}"
            return text, acronym, role
    name = _PARENS.sub(" ", text)
    return " ".join(name.split()), acronym, role
