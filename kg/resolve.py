"""Entity resolution: one organisation node per real-world organisation.

Every partner and mention of every form is a *name* seen in a *country*.
Names are resolved in four steps, each recorded with the rule that fired
and its score, so a reader of the graph can see why two names were merged:

1. ``gazetteer``: the name (or its acronym) is a known alias of an
   international or UN organisation in ``ontology/organisations.jsonl``
   (multilingual: "PNUD" = "UNDP", "ONU Mujeres" = "UN Women"); such
   organisations are global.
2. ``normalised-name``: names equal after folding case, accents,
   punctuation, leading articles and spelling variants (labour/labor).
3. ``acronym``: a bare acronym that a form defines for a longer name
   ("Universidad Mayor de San Andrés (UMSA)"), or the initials of a longer
   name in the same scope ("CDO" = "Chief Digital Office").
4. ``fuzzy``: typo tolerance (rapidfuzz ratio >= 92 on normalised names that
   share a blocking token and the same digits), within one scope.

Names in every script are compared as written (see
:func:`kg.vocab.normalise_name`), so two Cyrillic or Arabic names never share
a key unless they are spelled alike, and "ТОО «Компания»" is "ТОО Компания".
National bodies (ministries, municipalities, anything national or of the
government sector, named in English, Spanish, French, Russian, Ukrainian or
Arabic) are scoped by country, so Kenya's "Ministry of Health" is not
Colombia's; other organisations are global. ``ontology/resolution_decisions.tsv``
holds manual decisions (same / not-same) that override the automatic ones.
Candidate pairs come only from blocks sharing a token: never all pairs.
"""

from __future__ import annotations

import csv
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from rapidfuzz import fuzz

from kg.extract import Extraction
from kg.names import is_acronym, is_latin
from kg.paths import ontology_dir
from kg.vocab import (
    GazetteerEntry,
    fold,
    gazetteer,
    gazetteer_case_index,
    gazetteer_index,
    infer_sector,
    initials,
    normalise_name,
)

__all__ = [
    "Organisation",
    "Merge",
    "Resolution",
    "GazetteerEntry",
    "resolve",
    "resolution_inputs",
    "resolve_inputs",
    "NameMemo",
    "normalise_name",
    "gazetteer",
    "FUZZY_THRESHOLD",
]

FUZZY_THRESHOLD = 92.0


@dataclass(frozen=True)
class Merge:
    """Why a surface form belongs to an organisation."""

    surface: str
    rule: str
    score: float


@dataclass
class Organisation:
    """A resolved organisation."""

    key: str
    label: str
    scope: str
    sector: str
    surface_forms: list[str] = field(default_factory=list)
    acronyms: list[str] = field(default_factory=list)
    merges: list[Merge] = field(default_factory=list)
    wikidata: str = ""
    rule: str = "normalised-name"


@dataclass
class Resolution:
    """Organisations, and the organisation key of every partnership and mention."""

    organisations: dict[str, Organisation] = field(default_factory=dict)
    assignments: dict[tuple[str, int], str] = field(default_factory=dict)
    mention_assignments: dict[tuple[str, int], str] = field(default_factory=dict)

    def key_of(self, path: str, index: int) -> str:
        """The organisation key of partnership ``index`` of the form at ``path``."""
        return self.assignments[(path, index)]

    def mention_key_of(self, path: str, index: int) -> str | None:
        """The organisation key of mention ``index``, or None if it names one of the form's partners."""
        return self.mention_assignments.get((path, index))


def resolve(extractions: list[Extraction]) -> Resolution:
    """Resolve every partner and mention of ``extractions`` to organisations."""
    return resolve_inputs(resolution_inputs(extractions))


def resolution_inputs(extractions: list[Extraction]) -> list[tuple]:
    """All that resolution reads of ``extractions``, form by form in path order.

    Each form gives ``(path, country, partners, mentions)``: partners as
    ``(name, acronym, sector)``, mentions as ``(name, acronym)``. Equal
    inputs resolve alike (with the same code and ontology data), so a build
    keeps the last resolution while the digest of these is unchanged.
    """
    return [
        (
            doc.path,
            doc.country,
            tuple((fact.name, fact.acronym, fact.sector) for fact in doc.partnerships),
            tuple((mention.name, mention.acronym) for mention in doc.mentions),
        )
        for doc in sorted(extractions, key=lambda d: d.path)
    ]


def resolve_inputs(inputs: list[tuple], memo: NameMemo | None = None) -> Resolution:
    """Resolve the partners and mentions that :func:`resolution_inputs` gave.

    ``memo`` (see :class:`NameMemo`) saves working out again what each name
    gives alone; the resolution is the same with or without it.
    """
    memo = memo if memo is not None else NameMemo()
    names = _collect_names(inputs, memo)
    decisions = _decisions()
    forbidden = [(normalise_name(a), normalise_name(b)) for d, a, b, _ in decisions if d == "not-same"]
    clusters = _Clusters(names, forbidden, memo)
    clusters.link_gazetteer()
    clusters.link_equal_keys()
    clusters.link_acronyms()
    clusters.link_fuzzy()
    clusters.link_manual([(a, b, scope) for d, a, b, scope in decisions if d == "same"])
    return clusters.result(names)


_NATIONAL = re.compile(
    r"\b(national|nacional|nationale|ministry|ministerio|ministere|municipal\w*|municipio|city|ciudad|ville|county|"
    r"district|province|provincial|state|estado|local|regional|region|governorate|prefecture|department|ombudsman|"
    r"parliament|congress|senate|police|chamber of commerce|camara de comercio|chambre de commerce|mayor|alcaldia|"
    r"gobierno|government|gouvernement|presidency|president|secretariat|secretaria|agency|agencia|agence|office|"
    r"council|commission|authority|autoridad|directorate|direccion|"
    r"министерств\w*|міністерств\w*|государствен\w*|державн\w*|национальн\w*|національн\w*|республик\w*|"
    r"областн\w*|обласн\w*|районн\w*|городск\w*|міськ\w*|администраци\w*|адміністраці\w*|акимат\w*|мэри\w*|"
    r"агентств\w*|комитет\w*|комітет\w*|вазорат\w*|وزارة|بلدية|محافظة|هيئة|حكومة|الحكومة|الوطني\w*)\b"
)
_BLOCK_STOP = {
    "of",
    "and",
    "for",
    "de",
    "del",
    "la",
    "des",
    "du",
    "et",
    "y",
    "the",
    "ministry",
    "national",
    "university",
    "municipality",
    "foundation",
    "association",
    "center",
    "office",
    "department",
    "council",
    "agency",
    "institute",
    "program",
    "development",
    "union",
    "network",
    "group",
    "bank",
    "company",
    "secretariat",
    "government",
    "on",
}


@dataclass
class _Name:
    """One occurrence of a name: a partnership or a mention of a form."""

    surface: str
    norm: str
    scope: str
    sector: str
    acronym: str
    path: str
    index: int
    is_mention: bool
    country: str


class NameMemo:
    """What resolution works out of each name alone, by surface form: its normal form, whether that reads as a
    national body, its inferred sector, its gazetteer entry as a country office ("UNICEF Tanzania").

    These depend on the name and the code and data only, so a build keeps the
    memo of the last one (:meth:`kept`: the names it used) and works out only
    new names: most of resolution's time on an archive whose forms barely changed.
    """

    def __init__(self, found: dict[str, list] | None = None) -> None:
        self.found = found or {}
        self.used: dict[str, list] = {}

    def facts(self, surface: str) -> list:
        """``[normal form, national by its words, inferred sector, gazetteer entry or "", initials, bare acronym]``.

        The last four are None until asked for (:meth:`sector`, :meth:`country_office`, :meth:`acronym`).
        """
        found = self.used.get(surface)
        if found is None:
            found = self.found.get(surface)
            if found is None:
                norm = normalise_name(surface)
                found = [norm, bool(_NATIONAL.search(norm or fold(surface) or surface)), None, None, None, None]
            self.used[surface] = found
        return found

    def norm(self, surface: str) -> str:
        """:func:`normalise_name` of the name."""
        return self.facts(surface)[0]

    def acronym(self, surface: str) -> tuple[str, bool]:
        """The name's initials and whether the name (stripped) is an acronym only (:func:`_bare_acronym`)."""
        facts = self.facts(surface)
        if facts[4] is None:
            facts[4], facts[5] = initials(surface), _bare_acronym(surface.strip())
        return facts[4], facts[5]

    def sector(self, surface: str) -> str:
        """The sector the name's words suggest ("unknown" if none)."""
        facts = self.facts(surface)
        if facts[2] is None:
            facts[2] = _inferred_sector(surface)
        return facts[2]

    def country_office(self, surface: str, index: dict[str, str], sensitive: dict[str, str]) -> str | None:
        """:func:`_gazetteer_with_country` of the name."""
        facts = self.facts(surface)
        if facts[3] is None:
            facts[3] = _gazetteer_with_country(surface, index, sensitive) or ""
        return facts[3] or None

    def kept(self) -> NameMemo:
        """A memo of the names used since this one was made, for the next build."""
        return NameMemo(dict(self.used))


def _collect_names(inputs: list[tuple], memo: NameMemo) -> list[_Name]:
    names = []
    for path, country, partners, mentions in inputs:
        for index, (name, acronym, sector) in enumerate(partners):
            names.append(_name(name, acronym, sector, country, path, index, False, memo))
        for index, (name, acronym) in enumerate(mentions):
            names.append(_name(name, acronym, "unknown", country, path, index, True, memo))
    return names


def _name(
    surface: str, acronym: str, sector: str, country: str, path: str, index: int, is_mention: bool, memo: NameMemo
) -> _Name:
    norm, national_words = memo.facts(surface)[:2]
    norm = norm or fold(surface) or surface
    kind = sector if sector != "unknown" else memo.sector(surface)
    national = kind == "government" or national_words
    scope = country if national and country else ""
    return _Name(surface, norm, scope, sector, acronym, path, index, is_mention, country)


class _Clusters:
    """Union-find over names, remembering the rule and score of each link."""

    def __init__(self, names: list[_Name], forbidden: list[tuple[str, str]], memo: NameMemo) -> None:
        self.names = names
        self.memo = memo
        self.parent = list(range(len(names)))
        self.how: dict[int, tuple[str, float]] = {i: ("normalised-name", 100.0) for i in range(len(names))}
        self.gazetteer_id: dict[int, str] = {}
        self.forbidden = forbidden
        self.norms: dict[int, set[str]] = {i: {name.norm} for i, name in enumerate(names)}

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, keep: int, other: int, rule: str, score: float) -> None:
        a, b = self.find(keep), self.find(other)
        if a == b or self._forbids(a, b):
            return
        if self.how[other][0] not in ("gazetteer", "manual"):
            self.how[other] = (rule, round(score, 1))
        self.parent[b] = a
        self.norms[a] |= self.norms.pop(b)

    def link_gazetteer(self) -> None:
        index = _gazetteer_index()
        sensitive = _gazetteer_case_index()
        anchors: dict[str, int] = {}
        for i, name in enumerate(self.names):
            gid = index.get(name.norm) or sensitive.get(name.surface.strip()) or sensitive.get(name.acronym)
            if gid is None and name.acronym:
                gid = index.get(normalise_name(name.acronym))
            if gid is None:
                gid = self.memo.country_office(name.surface, index, sensitive)
            if gid is None:
                continue
            name.scope = ""
            self.gazetteer_id[i] = gid
            self.how[i] = ("gazetteer", 100.0)
            if gid in anchors:
                self.union(anchors[gid], i, "gazetteer", 100.0)
            else:
                anchors[gid] = i

    def link_equal_keys(self) -> None:
        first: dict[tuple[str, str], int] = {}
        for i, name in enumerate(self.names):
            key = (name.scope, name.norm)
            if key in first:
                self.union(first[key], i, "normalised-name", 100.0)
            else:
                first[key] = i

    def link_acronyms(self) -> None:
        defined: dict[tuple[str, str], int] = {}
        by_initials: dict[tuple[str, str], list[int]] = defaultdict(list)
        for i, name in enumerate(self.names):
            if name.acronym:
                defined.setdefault((name.scope, name.acronym.upper()), i)
            spelled = self.memo.acronym(name.surface)[0]
            if len(spelled) >= 3:
                by_initials[(name.scope, spelled)].append(i)
        for i, name in enumerate(self.names):
            surface = name.surface.strip()
            if not self.memo.acronym(name.surface)[1] or i in self.gazetteer_id:
                continue
            for scope in sorted({name.scope, name.country, ""}, reverse=True):
                target = defined.get((scope, surface.upper()))
                if target is not None and target != i:
                    self.union(target, i, "acronym", 100.0)
                    break
                candidates = {self.find(j) for j in by_initials.get((scope, surface.upper()), [])}
                if len(candidates) == 1:
                    self.union(candidates.pop(), i, "acronym-initials", 90.0)
                    break

    def link_fuzzy(self) -> None:
        blocks: dict[tuple[str, str], set[str]] = defaultdict(set)
        for name in self.names:
            for token in set(name.norm.split()) - _BLOCK_STOP:
                if len(token) > 2:
                    blocks[(name.scope, token)].add(name.norm)
        representative: dict[tuple[str, str], int] = {}
        for i, name in enumerate(self.names):
            representative.setdefault((name.scope, name.norm), i)
        for (scope, _token), norms in sorted(blocks.items()):
            if len(norms) < 2 or len(norms) > 200:
                continue
            ordered = sorted(norms)
            digits = [re.findall(r"\d+", norm) for norm in ordered]  # "Ward 12" is not "Ward 13"
            for x, a in enumerate(ordered):
                for y in range(x + 1, len(ordered)):
                    b = ordered[y]
                    score = _similarity(a, b) if digits[x] == digits[y] else 0.0
                    if score >= FUZZY_THRESHOLD:
                        self.union(representative[(scope, a)], representative[(scope, b)], "fuzzy", score)

    def link_manual(self, decisions: list[tuple[str, str, str]]) -> None:
        """Merge what a person decided is the same organisation.

        A decision limited to a country applies to that country's forms; an
        unlimited one applies within each country (and across countries only
        where one side is a global organisation).
        """
        by_norm: dict[str, list[int]] = defaultdict(list)
        for i, name in enumerate(self.names):
            by_norm[name.norm].append(i)
        for a, b, scope in decisions:
            left = [i for i in by_norm.get(normalise_name(a), []) if not scope or self.names[i].country == scope]
            right = [j for j in by_norm.get(normalise_name(b), []) if not scope or self.names[j].country == scope]
            for j in right:
                partner = next((i for i in left if self.names[i].country == self.names[j].country), None)
                if partner is None:
                    partner = next((i for i in left if not self.names[i].scope or not self.names[j].scope), None)
                if partner is not None:
                    self.how[j] = ("manual", 100.0)
                    self.union(partner, j, "manual", 100.0)

    def result(self, names: list[_Name]) -> Resolution:
        members: dict[int, list[int]] = defaultdict(list)
        for i in range(len(names)):
            members[self.find(i)].append(i)
        resolution = Resolution()
        gaz = {entry.id: entry for entry in gazetteer()}
        for root in sorted(members, key=lambda r: min(members[r])):
            org = self._organisation(members[root], gaz)
            if org.key in resolution.organisations:
                _absorb(resolution.organisations[org.key], org)
            else:
                resolution.organisations[org.key] = org
            for i in members[root]:
                target = resolution.mention_assignments if names[i].is_mention else resolution.assignments
                target[(names[i].path, names[i].index)] = org.key
        _drop_partner_mentions(resolution)
        _keep_used(resolution)
        return resolution

    def _organisation(self, group: list[int], gaz: dict[str, GazetteerEntry]) -> Organisation:
        names = [self.names[i] for i in group]
        gid = next((self.gazetteer_id[i] for i in group if i in self.gazetteer_id), "")
        labels = Counter(n.surface for n in names if not n.is_mention) or Counter(n.surface for n in names)
        label = min(labels.items(), key=lambda kv: (-kv[1], -len(kv[0]), kv[0]))[0]
        scopes = {n.scope for n in names if n.scope}
        scope = "" if gid or len(scopes) != 1 else scopes.pop()
        sectors = Counter(n.sector for n in names if n.sector != "unknown")
        if gid:
            entry = gaz[gid]
            key, label, sector = f"global/{gid}", entry.label, entry.sector
        else:
            key = f"{scope or 'global'}/{self.memo.norm(label)}"
            sector = _most_common(sectors) if sectors else self.memo.sector(label)
        org = Organisation(key, label, scope, sector, wikidata=gaz[gid].wikidata if gid else "")
        org.surface_forms = sorted({n.surface for n in names})
        org.acronyms = sorted({n.acronym for n in names if n.acronym})
        seen: dict[str, Merge] = {}
        for i in group:
            rule, score = self.how[i]
            surface = self.names[i].surface
            if surface not in seen or score < seen[surface].score:
                seen[surface] = Merge(surface, rule, score)
        org.merges = [seen[s] for s in sorted(seen)]
        org.rule = "gazetteer" if gid else min((m.rule for m in org.merges), key=_RULE_ORDER.index)
        return org

    def _forbids(self, a: int, b: int) -> bool:
        """True when a not-same decision names one side in each cluster."""
        left, right = self.norms[a], self.norms[b]
        return any((x in left and y in right) or (y in left and x in right) for x, y in self.forbidden)


_RULE_ORDER = ["manual", "gazetteer", "normalised-name", "acronym", "acronym-initials", "fuzzy"]


def _gazetteer_with_country(surface: str, index: dict[str, str], sensitive: dict[str, str]) -> str | None:
    """ "UNICEF Tanzania", "UNDP in Jordan", "PNUD Bolivia": a known organisation's country office."""
    from kg.countries import resolve_country

    match = re.match(r"^(.+?)\s+(?:in\s+|en\s+|au\s+|-\s*)?([A-Z][\w' -]+)$", surface.strip())
    if not match or resolve_country(match.group(2)) is None:
        return None
    head = match.group(1).strip(" -,")
    return index.get(normalise_name(head)) or sensitive.get(head)


def _similarity(a: str, b: str) -> float:
    """Typo-tolerant similarity; 0 when a name is short (names that differ in digits are never compared)."""
    if min(len(a), len(b)) < 8:
        return 0.0
    return fuzz.ratio(a, b)


def _bare_acronym(surface: str) -> bool:
    """A name that is an acronym only: "UMSA", "CDO", or one in another script ("ЮНИСЕФ", "ТОО")."""
    if re.fullmatch(r"[A-Z][A-Za-z0-9&\-]{1,11}", surface):
        return True
    return not is_latin(surface) and len(surface) <= 12 and is_acronym(surface)


_gazetteer_index = gazetteer_index
_gazetteer_case_index = gazetteer_case_index


def _decisions() -> list[tuple[str, str, str, str]]:
    """Manual decisions: (same | not-same, name a, name b, scope ISO3 or '')."""
    path = ontology_dir() / "resolution_decisions.tsv"
    if not path.is_file():
        return []
    rows = csv.DictReader((line for line in path.open(encoding="utf-8") if not line.startswith("#")), delimiter="\t")
    return [(r["decision"].strip(), r["name_a"], r["name_b"], (r.get("scope") or "").strip()) for r in rows]


def _inferred_sector(label: str) -> str:
    inferred = infer_sector(label)
    return inferred[0] if inferred else "unknown"


def _absorb(target: Organisation, other: Organisation) -> None:
    target.surface_forms = sorted(set(target.surface_forms) | set(other.surface_forms))
    target.acronyms = sorted(set(target.acronyms) | set(other.acronyms))
    merges = {m.surface: m for m in target.merges}
    for merge in other.merges:
        merges.setdefault(merge.surface, merge)
    target.merges = [merges[s] for s in sorted(merges)]


def _drop_partner_mentions(resolution: Resolution) -> None:
    """A mention of one of the form's own partners is not kept as a mention."""
    partners: dict[str, set[str]] = defaultdict(set)
    for (path, _), key in resolution.assignments.items():
        partners[path].add(key)
    for where, key in list(resolution.mention_assignments.items()):
        if key in partners[where[0]]:
            del resolution.mention_assignments[where]


def _keep_used(resolution: Resolution) -> None:
    used = set(resolution.assignments.values()) | set(resolution.mention_assignments.values())
    resolution.organisations = {k: v for k, v in sorted(resolution.organisations.items()) if k in used}


def _most_common(counter: Counter) -> str:
    """The most frequent value; ties go to the alphabetically first (deterministic)."""
    return min(counter.items(), key=lambda kv: (-kv[1], kv[0]))[0]
