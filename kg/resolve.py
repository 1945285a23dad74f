"""Entity resolution: one organisation node per real-world organisation.

Partner names from every form are grouped under a stable organisation key.
National bodies (government sector) are scoped by country, so Kenya's
"Ministry of Health" is not Colombia's; other organisations are global.
Names are compared after normalisation (case, accents, punctuation, leading
articles). Each organisation keeps every surface form it was written as.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from kg.extract import Extraction
from kg.vocab import fold

__all__ = ["Organisation", "Resolution", "resolve", "normalise_name", "org_key"]


@dataclass
class Organisation:
    """A resolved organisation: its key, label, variants, sector and scope."""

    key: str
    label: str
    scope: str
    sector: str
    surface_forms: list[str] = field(default_factory=list)
    acronyms: list[str] = field(default_factory=list)
    rule: str = "normalised-name"


@dataclass
class Resolution:
    """The organisations and, per (document path, partnership index), an org key."""

    organisations: dict[str, Organisation] = field(default_factory=dict)
    assignments: dict[tuple[str, int], str] = field(default_factory=dict)

    def key_of(self, path: str, index: int) -> str:
        """The organisation key of partnership ``index`` of the form at ``path``."""
        return self.assignments[(path, index)]


def resolve(extractions: list[Extraction]) -> Resolution:
    """Group every partnership of ``extractions`` under an organisation key."""
    result = Resolution()
    labels: dict[str, Counter] = defaultdict(Counter)
    sectors: dict[str, Counter] = defaultdict(Counter)
    for doc in sorted(extractions, key=lambda d: d.path):
        for index, fact in enumerate(doc.partnerships):
            key = org_key(fact.name, fact.sector, doc.country)
            result.assignments[(doc.path, index)] = key
            labels[key][fact.name] += 1
            if fact.sector != "unknown":
                sectors[key][fact.sector] += 1
            org = result.organisations.get(key)
            if org is None:
                scope = key.split("/", 1)[0] if "/" in key else ""
                org = result.organisations[key] = Organisation(key, fact.name, scope, "unknown")
            if fact.surface and fact.surface not in org.surface_forms:
                org.surface_forms.append(fact.surface)
            if fact.acronym and fact.acronym not in org.acronyms:
                org.acronyms.append(fact.acronym)
    for key, org in result.organisations.items():
        org.label = _most_common(labels[key])
        org.sector = _most_common(sectors[key]) if sectors[key] else "unknown"
        org.surface_forms.sort()
        org.acronyms.sort()
    return result


def normalise_name(name: str) -> str:
    """Fold case, accents, punctuation and a leading article: the comparison form."""
    text = fold(name).replace("&", " and ")
    text = re.sub(r"[^\w\s]", " ", text)
    text = re.sub(r"^(the|la|el|le|les|los|las|l)\s+", "", " ".join(text.split()))
    return text


def org_key(name: str, sector: str, country_iso3: str) -> str:
    """The organisation key of a partner: country-scoped for government bodies."""
    norm = normalise_name(name) or fold(name) or name
    if sector == "government" and country_iso3:
        return f"{country_iso3}/{norm}"
    return norm


def _most_common(counter: Counter) -> str:
    """The most frequent value; ties go to the alphabetically first (deterministic)."""
    return min(counter.items(), key=lambda kv: (-kv[1], kv[0]))[0]
