"""Steps of the build kept in the cache between builds: resolution, links, and what the pseudonymiser reads.

Each is redone only when what it reads changed; the results are those of
:func:`kg.pipeline.resolve`, :func:`kg.pipeline.link` and
:func:`kg.pipeline.protect` made anew.
"""

from __future__ import annotations

from kg.engine.cache import BuildCache
from kg.engine.keys import digest
from kg.extract import Extraction
from kg.links import Link, is_linked, link_plans
from kg.privacy import FormFacts, FormWords, Pseudonymiser, WordCounts, form_words
from kg.resolve import NameMemo, Resolution, resolution_inputs, resolve_inputs

__all__ = ["cached_resolution", "cached_privacy_inputs", "cached_links", "take_back"]


def cached_resolution(extractions: list[Extraction], cache: BuildCache) -> tuple[Resolution, str]:
    """The organisations of ``extractions`` and the digest of what resolution read of them.

    The last build's resolution is kept when that digest is unchanged (an
    edit that names no new partner or mention, in no other country).
    """
    inputs = resolution_inputs(extractions)
    key = digest(repr(inputs))
    resolution = cache.cached_step("resolution", key)
    if resolution is None:
        memo = cache.cached_step("resolution-names", "")  # what each name gave alone, in the last build
        memo = memo if isinstance(memo, NameMemo) else NameMemo()
        resolution = resolve_inputs(inputs, memo)
        cache.remember_step("resolution", key, resolution)
        cache.remember_step("resolution-names", "", memo.kept())
    return resolution, key


def cached_links(
    extractions: list[Extraction], cache: BuildCache, origins: dict[int, tuple[str, str | None]]
) -> dict[str, Link]:
    """The closing forms' links (:func:`kg.pipeline.link`), country by country: the last build's where unchanged.

    A closing form's link reads only its country's plans and closing forms
    (their cache entries and published paths), so each country's links are
    kept while those are unchanged: a one-form edit relinks one country.
    """
    forms = [doc for doc in extractions if is_linked(doc)]
    entries = [origins.get(id(doc), ("", None))[1] for doc in forms]
    if not cache.enabled or None in entries:
        return {link.closing: link for link in link_plans(forms)}
    by_country: dict[str, list[tuple[Extraction, str | None]]] = {}
    for doc, entry in zip(forms, entries, strict=True):
        by_country.setdefault(doc.country, []).append((doc, entry))
    kept = cache.cached_step("links", "")
    kept = kept if isinstance(kept, dict) else {}
    now: dict[str, list[Link]] = {}
    for country, pairs in sorted(by_country.items()):
        key = digest("\n".join([country, *sorted(f"{doc.path} {entry}" for doc, entry in pairs)]))
        now[key] = kept[key] if key in kept else link_plans([doc for doc, _entry in pairs])
    if now.keys() != kept.keys():
        cache.remember_step("links", "", now)
    return {link.closing: link for links in now.values() for link in links}


def cached_privacy_inputs(
    privacy: Pseudonymiser,
    docs: list[Extraction],
    cache: BuildCache | None,
    origins: dict[int, tuple[str, str | None]] | None,
) -> tuple[list[FormFacts] | None, WordCounts | None]:
    """Each form's privacy facts and the build's word counts: cached ones kept, new and changed forms read.

    Returns ``(None, None)`` (``protect`` reads every form) without a usable
    cache. Call it before ``protect`` renames the extractions.
    """
    if cache is None or origins is None or not (cache.enabled and privacy.enabled):
        return None, None
    entries = [origins[id(doc)][1] for doc in docs]
    keys = [key for key in entries if key is not None]
    if len(keys) != len(entries):
        return None, None
    known, last = cache.privacy_state() or ({}, None)
    facts = []
    for key, doc in zip(keys, docs, strict=True):
        found = known.get(key)
        facts.append(found if found is not None else privacy.form_facts(doc))
    last_counts = last if isinstance(last, WordCounts) else None
    counts = _word_counts(last_counts, dict(zip(keys, docs, strict=True)), cache)
    cache.remember_privacy(dict(zip(keys, facts, strict=True)), counts)
    return facts, counts


def _word_counts(counts: WordCounts | None, docs: dict[str, Extraction], cache: BuildCache) -> WordCounts:
    """``counts`` of the last build made the counts of ``docs`` (by entry key), or counted anew.

    The words of forms gone are taken back (their entries are read again
    from the cache), those of new forms added. With more than half the forms
    gone, or an entry gone missing, every form is counted again.
    """
    gone = sorted(counts.members - docs.keys()) if counts is not None else []
    if counts is not None and len(gone) <= len(docs) // 2:
        for key in gone:
            found = cache.cached_form(key)
            if found is None or found[1] is None:
                counts = None
                break
            take_back(counts, key, form_words(found[1]))
    else:
        counts = None
    if counts is None:
        counts = WordCounts()
    for key in sorted(docs.keys() - counts.members):
        counts.add(key, form_words(docs[key]))
    return counts


def take_back(counts: WordCounts, member: str, found: FormWords) -> None:
    """Take back the words :meth:`kg.privacy.WordCounts.add` counted for ``member``: the counts of a sum without it."""
    for word, (uses, lower) in found.words.items():
        before = counts.words.get(word, (0, 0))
        counts.words[word] = (before[0] - uses, before[1] - lower)
    counts.irregular.pop(member, None)
    counts.members.discard(member)
