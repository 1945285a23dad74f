"""What the benchmark scripts share: their printed lines, kept for ``--out``.

A benchmark prints its figures as it goes with :func:`say`; run inside
``with saved_to(args.out):``, every line said is also written to that file
when the run ends, failed or not (a log then shows how far it came).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

__all__ = ["say", "saved_to"]

_lines: list[str] = []


def say(text: str = "") -> None:
    """Print a line and keep it for ``--out``."""
    print(text, flush=True)
    _lines.append(text)


@contextlib.contextmanager
def saved_to(out: str | Path | None) -> Iterator[None]:
    """On leaving, write every line said so far to ``out`` (nothing when it is None or empty)."""
    try:
        yield
    finally:
        if out:
            Path(out).write_text("\n".join(_lines) + "\n", encoding="utf-8")
