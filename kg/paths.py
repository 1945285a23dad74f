"""Where the package's data lives: the ontology folder, the installed copy first.

Its own module, importing nothing of kg, because the modules that read that
data import one another: :mod:`kg.vocab` reads word lists through
:mod:`kg.lexicon`, and both read files from the folder.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["ontology_dir"]


def ontology_dir() -> Path:
    """The folder of ontology and vocabulary data (installed copy first)."""
    here = Path(__file__).resolve().parent
    installed = here / "ontology"
    return installed if installed.is_dir() else here.parent / "ontology"
