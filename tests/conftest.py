"""Shared fixtures: the real corpus (skipped when absent), the bundled examples, fixture forms, a headless Chromium."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from kg.forms import Form, read_form
from tests.browser import Chromium

REPO_ROOT = Path(__file__).resolve().parents[1]
CORPUS_DIR = REPO_ROOT.parent / "shared" / "corpus"
EXAMPLES_DIR = REPO_ROOT / "examples"
FORM_FIXTURES_DIR = Path(__file__).resolve().parent / "data" / "forms"


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    """The read-only corpus of real forms (``../shared/corpus``); skips the test when absent."""
    if not CORPUS_DIR.is_dir():
        pytest.skip("../shared/corpus not present")
    return CORPUS_DIR


@pytest.fixture(scope="session")
def examples_dir() -> Path:
    """The bundled fictional example forms (``examples/``)."""
    assert EXAMPLES_DIR.is_dir(), f"examples folder missing: {EXAMPLES_DIR}"
    return EXAMPLES_DIR


@pytest.fixture(scope="session")
def fixture_forms_dir() -> Path:
    """Small synthetic fixture forms written for the tests (``tests/data/forms``)."""
    return FORM_FIXTURES_DIR


@pytest.fixture(scope="session")
def corpus_form(corpus_dir: Path) -> Callable[[str], Form]:
    """Read a corpus form by file name; skips the test when that file is absent."""

    def read(name: str) -> Form:
        path = corpus_dir / name
        if not path.is_file():
            pytest.skip(f"corpus form {name} not present")
        return read_form(path, display_path=name)

    return read


@pytest.fixture(scope="session")
def example_form(examples_dir: Path) -> Callable[[str], Form]:
    """Read a bundled example form by file name."""

    def read(name: str) -> Form:
        return read_form(examples_dir / name, display_path=name)

    return read


THREE_GRAPHS = ("http://example.org/g1", "http://example.org/g2", "http://example.org/g3")
"""The named graphs of :func:`three_graph_build`.

Graph gN holds one triple: ``<http://example.org/only-in-gN> a <http://example.org/Thing>``.
"""


@pytest.fixture(scope="session")
def three_graph_build(tmp_path_factory) -> Path:
    """A build folder whose store holds three named graphs of one triple each, to check dataset rules by hand."""
    import pyoxigraph as ox

    out = tmp_path_factory.mktemp("three-graphs")
    store = ox.Store(str(out / "store"))
    kind = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
    thing = ox.NamedNode("http://example.org/Thing")
    for graph in THREE_GRAPHS:
        subject = ox.NamedNode(graph.replace("/g", "/only-in-g"))
        store.add(ox.Quad(subject, kind, thing, ox.NamedNode(graph)))
    store.flush()
    del store
    return out


def chromium() -> str | None:
    """Chromium or Chrome on the PATH, for the browser tests (they skip without it)."""
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


@pytest.fixture(scope="session")
def browser(tmp_path_factory) -> Iterator[Chromium]:
    """One headless Chromium (tests/browser.py) for every test that opens tabs in it; skips without Chromium."""
    binary = chromium()
    if binary is None:
        pytest.skip("Chromium is not installed")
    running = Chromium(binary, tmp_path_factory.mktemp("chromium-profile"))
    try:
        yield running
    finally:
        running.close()
