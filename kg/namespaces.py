"""Every namespace IRI of portfolio-kg, and the one function that mints IRIs.

Namespaces are defined here and nowhere else. Resource IRIs are minted by
:func:`mint` from a *kind* and a stable key; raw form text is never pasted
into an IRI. The key is normalised into a readable slug and, whenever the slug
does not spell the key exactly, a short hash of the key is appended so that
distinct keys never share an IRI.
"""

import hashlib
import re
import unicodedata

from rdflib import Namespace, URIRef
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, SKOS, XSD

__all__ = [
    "BASE",
    "PKG",
    "ID",
    "ORG",
    "GEO",
    "SDG",
    "SH",
    "WD",
    "DCTERMS",
    "OWL",
    "PROV",
    "RDF",
    "RDFS",
    "SKOS",
    "XSD",
    "KINDS",
    "PREFIXES",
    "PREFIX_IRIS",
    "mint",
    "slugify",
    "sdg_iri",
    "local_name",
]

BASE = "https://w3id.org/portfolio-kg/"
PKG = Namespace(BASE + "ontology#")
ID = Namespace(BASE + "id/")
ORG = Namespace("http://www.w3.org/ns/org#")
GEO = Namespace("http://www.w3.org/2003/01/geo/wgs84_pos#")
SDG = Namespace("http://metadata.un.org/sdg/")
SH = Namespace("http://www.w3.org/ns/shacl#")
WD = Namespace("http://www.wikidata.org/entity/")

PREFIXES = {
    "pkg": PKG,
    "id": ID,
    "org": ORG,
    "geo": GEO,
    "sdg": SDG,
    "wd": WD,
    "dcterms": DCTERMS,
    "owl": OWL,
    "prov": PROV,
    "rdf": RDF,
    "rdfs": RDFS,
    "skos": SKOS,
    "xsd": XSD,
}

PREFIX_IRIS: dict[str, str] = {prefix: str(namespace) for prefix, namespace in PREFIXES.items()}
""":data:`PREFIXES` as plain strings, in the same order: what pyoxigraph's ``prefixes=`` arguments take."""

KINDS = frozenset(
    {
        "doc",
        "item",
        "country",
        "location",
        "action",
        "org",
        "partnership",
        "mention",
        "merge",
        "method",
        "datasource",
        "theme",
        "sector",
        "handover",
        "insight",
        "link",
        "person",
        "graph",
        "metafield",
        "ecosystem",
        "suggestion",
    }
)

_SLUG_MAX = 60
_NON_SLUG = re.compile(r"[^a-z0-9]+")
# Kept as written: letters, digits, "._-", not ending in a dot (Turtle writes a final dot as "\." and rdflib's
# parser does not read that back).
_SAFE_KEY = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._\-]{0,78}[A-Za-z0-9_\-])?")


def mint(kind: str, *key: str | int) -> URIRef:
    """Return the IRI of a resource of ``kind`` identified by ``key``.

    The key parts are joined with ``/`` into one stable key. The IRI is
    ``ID + kind + "/" + slug``; a hash suffix keeps lossy slugs unique.

    Raises:
        ValueError: if ``kind`` is not one of :data:`KINDS` or the key is empty.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown IRI kind {kind!r}")
    parts = [str(part) for part in key]
    if not parts or not any(part.strip() for part in parts):
        raise ValueError(f"empty key for IRI kind {kind!r}")
    full_key = "/".join(parts)
    slug = "/".join(part if _SAFE_KEY.fullmatch(part) else slugify(part) or "x" for part in parts)
    if slug != full_key:
        slug = f"{slug}-{_short_hash(full_key)}"
    return ID[f"{kind}/{slug}"]


def slugify(text: str) -> str:
    """Return a lowercase ASCII slug of ``text`` (accents folded, at most 60 chars)."""
    folded = unicodedata.normalize("NFKD", text)
    ascii_text = folded.encode("ascii", "ignore").decode("ascii").lower()
    return _NON_SLUG.sub("-", ascii_text).strip("-")[:_SLUG_MAX].strip("-")


def sdg_iri(number: int) -> URIRef:
    """Return the UN SDG KOS IRI of goal ``number`` (1-17)."""
    if not 1 <= number <= 17:
        raise ValueError(f"no SDG number {number}")
    return SDG[str(number)]


def local_name(iri: str) -> str:
    """The last segment of an IRI ("ECU" of ``id:country/ECU``, "degree" of ``pkg:degree``)."""
    return iri.rstrip("/").rsplit("/", 1)[-1].rsplit("#", 1)[-1]


def _short_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:10]
