"""The report's charts: drawn by a process forked when the build starts, and kept for the next build.

Drawing a chart is mostly importing matplotlib (half a second): a process
forked at the start imports it on a core the build leaves idle while it
reads and resolves. Charts are kept by a digest of what they show, so a
new report draws only those whose data changed.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from multiprocessing.connection import Connection

from kg import report
from kg.engine.workers import CAN_FORK

__all__ = ["ChartProcess", "chart_process", "Charts"]


@contextmanager
def chart_process(jobs: int | None) -> Iterator[ChartProcess | None]:
    """A :class:`ChartProcess` while the build runs, with more than one job and ``fork`` (else None)."""
    drawer = ChartProcess() if CAN_FORK and max(1, jobs or os.cpu_count() or 1) > 1 else None
    try:
        yield drawer
    finally:
        if drawer is not None:
            drawer.close()


class ChartProcess:
    """A process that draws the report's charts, forked when the build starts.

    It imports matplotlib (half a second, most of drawing a chart) at once,
    on a core the build leaves idle while it reads and resolves, so the
    report's process later finds it ready; its PNGs are those
    :meth:`kg.report.Chart.draw` gives here. Closed at the build's end
    (or it ends by itself when this process ends).
    """

    def __init__(self) -> None:
        context = multiprocessing.get_context("fork")
        self._connection, theirs = context.Pipe()
        self._process = context.Process(target=_serve_charts, args=(theirs, self._connection), daemon=True)
        self._process.start()
        theirs.close()

    def draw(self, chart: report.Chart) -> bytes:
        """The chart's PNG, drawn by the process (or here, if it failed)."""
        try:
            self._connection.send((chart.kind, chart.data))
            ok, png = self._connection.recv()
        except (OSError, EOFError):
            ok, png = False, b""
        return png if ok else chart.draw()

    def close(self) -> None:
        """Stop the process."""
        with suppress(OSError):
            self._connection.send(None)
        self._process.join(timeout=10)
        if self._process.is_alive():
            self._process.terminate()
        self._connection.close()


class Charts(dict):
    """The report's charts by key: those of ``previous`` asked for, and those drawn now (counted in ``drawn``).

    Only these are kept for the next build, so charts no report shows any
    more are dropped.
    """

    def __init__(self, previous: dict[str, bytes]) -> None:
        super().__init__()
        self.previous = previous
        self.drawn = 0

    def __contains__(self, key: object) -> bool:
        if not super().__contains__(key) and key in self.previous:
            self[key] = self.previous[key]
        return super().__contains__(key)

    def __setitem__(self, key: str, png: bytes) -> None:
        self.drawn += key not in self.previous
        super().__setitem__(key, png)


def _serve_charts(connection: Connection, parents: Connection) -> None:
    """In the process :class:`ChartProcess` forks: get ready to draw, then draw each chart asked for."""
    parents.close()
    report.prepare_drawing()
    while True:
        try:
            asked = connection.recv()
        except (EOFError, OSError):  # the build ended
            return
        if asked is None:
            return
        try:
            connection.send((True, report.Chart(*asked).draw()))
        except Exception:  # noqa: BLE001 - the build draws it itself, and sees the error there
            connection.send((False, b""))
