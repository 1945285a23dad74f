"""A new store written in a background thread while the build goes on, from N-Quads batches."""

from __future__ import annotations

import queue
import shutil
import threading
from pathlib import Path

import pyoxigraph as ox

from kg.store import STORE_DIR

__all__ = ["StoreWriter", "Batches"]

_BATCH = 100_000  # quads per N-Quads batch handed to the writer


class StoreWriter:
    """Write a new ``OUT/store`` from N-Quads batches in a background thread while the caller goes on.

    pyoxigraph parses and writes N-Quads without holding the GIL, so on two
    cores the store costs the build almost nothing: the graph stage makes the
    next batch meanwhile. :meth:`close` waits for the last batch.
    """

    def __init__(self, out_dir: Path) -> None:
        location = out_dir / STORE_DIR
        if location.exists():
            shutil.rmtree(location)
        self._store = ox.Store(str(location))
        self._queue: queue.Queue = queue.Queue(maxsize=4)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="kg-store-writer", daemon=True)
        self._thread.start()

    def add(self, nquads: bytes) -> None:
        """Queue a batch of N-Quads (blocks while four batches wait)."""
        if nquads:
            self._queue.put(nquads)

    def close(self) -> None:
        """Load what is queued, flush and close the store; re-raise the writer's error, if any."""
        self._queue.put(None)
        self._thread.join()
        if self._error is not None:
            raise self._error

    def _run(self) -> None:
        while (data := self._queue.get()) is not None:
            if self._error is None:
                try:
                    self._store.bulk_load(data, ox.RdfFormat.N_QUADS)
                except BaseException as exc:  # noqa: BLE001 - handed to close()
                    self._error = exc
        try:
            self._store.flush()
            self._store.optimize()
        except BaseException as exc:  # noqa: BLE001 - handed to close()
            self._error = self._error or exc
        del self._store


class Batches:
    """N-Quads text, handed to a store writer every :data:`_BATCH` quads (or kept, without one)."""

    def __init__(self, writer: StoreWriter | None) -> None:
        self.writer = writer
        self.pending: list[bytes] = []
        self.size = 0  # quads pending
        self.kept: list[bytes] = []

    def add_data(self, nquads: bytes) -> None:
        """Add N-Quads text (whole lines)."""
        self.pending.append(nquads)
        self.size += nquads.count(b"\n")
        if self.writer is not None and self.size >= _BATCH:
            self.flush()

    def add_lines(self, lines: list[str]) -> None:
        """Add N-Quads lines."""
        self.add_data("".join(lines).encode("utf-8"))

    def flush(self) -> None:
        data = b"".join(self.pending)
        self.pending, self.size = [], 0
        if self.writer is not None:
            self.writer.add(data)
        else:
            self.kept.append(data)

    def data(self) -> bytes:
        self.flush()
        return b"".join(self.kept)
