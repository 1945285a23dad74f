"""Forms read and extracted by worker processes, or taken from the cache when their bytes are unchanged.

Each worker loads spaCy once and reads a chunk of forms per task (one
spaCy batch), with the cache's NER memo (:class:`kg.engine.ner_memo.NerMemo`)
so that texts read by an earlier build are not read again. The results are
those of :func:`kg.inputs.read_input` and :func:`kg.inputs.extract_read`,
which the pipeline runs in one process.
"""

from __future__ import annotations

import gc
import os
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict
from pathlib import Path

from kg import ner
from kg.engine.cache import BuildCache, LazyItems, form_entry, pickled_items
from kg.engine.ner_memo import NerMemo
from kg.extract import Extraction
from kg.inputs import FileRecord, extract_read, read_input

__all__ = ["Progress", "read_all"]

Progress = Callable[[int, int], None]

_CHUNK = 32  # forms per worker task: one spaCy batch
_WORKER_MEMO = NerMemo({})  # the NER memo of this process, when it reads forms (see _start_worker)


def read_all(
    inputs: list[tuple[Path, str]],
    hashes: Sequence[str | None],
    jobs: int | None,
    progress: Progress | None,
    cache: BuildCache,
) -> tuple[list[FileRecord], list[Extraction], dict[int, tuple[str, str | None]], dict]:
    """Every form's record and extraction: from the cache when its bytes are unchanged, else read and extracted.

    Forms to extract go to ``jobs`` worker processes (default: one per core)
    in chunks of :data:`_CHUNK`, one spaCy batch each; each worker loads the
    model once and skips texts the cache's NER memo already holds. The
    workers start first: the main process loads the cached forms (and the
    cached graphs, :meth:`BuildCache.preload`) while they work and
    load spaCy. Returns the records, the extractions, the display
    path and cache entry key of each extraction (by ``id``; the key is None
    if the file could not be hashed) and figures of the work done.
    """
    results: list = [None] * len(inputs)
    keys = [cache.form_key(shown, sha) for (_path, shown), sha in zip(inputs, hashes, strict=True)]
    cached = [cache.has_form(key) for key in keys]
    todo = [index for index, found in enumerate(cached) if not found]
    late: list[int] = []  # cached entries that turn out damaged

    def load_cached() -> None:
        for index, key in enumerate(keys):
            if cached[index]:
                found = cache.cached_form(key)
                if found is None:
                    late.append(index)
                else:
                    results[index] = (FileRecord(**found[0]), found[1])
        work.done = len(inputs) - len(todo) - len(late)
        if progress:
            progress(work.done, len(inputs))

    memo = cache.ner_memo() if todo else {}
    work = _Extracted(results, progress, cache.enabled)
    workers = max(1, jobs or os.cpu_count() or 1)
    if todo and sum(cached) >= 2 * _CHUNK:  # the workers start first (and load spaCy) while the main process loads

        def meanwhile() -> None:
            load_cached()
            cache.preload()

        work.add(todo, _extract([inputs[i] for i in todo], memo, workers, meanwhile))
    else:
        load_cached()
        work.add(todo, _extract([inputs[i] for i in todo], memo, workers))
    if late:
        memo = memo or cache.ner_memo()
        work.add(late, _extract([inputs[i] for i in late], memo, workers))
    cache.extracted, cache.reused = len(todo) + len(late), len(inputs) - len(todo) - len(late)
    if not work.missing:
        cache.remember_ner(memo, work.additions)
        for index, data in work.fresh:
            cache.remember_form(keys[index], data)
    records = [record for record, _ in results]
    extractions = [extraction for _, extraction in results if extraction is not None]
    origins = {
        id(extraction): (record.path, key)
        for (record, extraction), key in zip(results, keys, strict=True)
        if extraction is not None
    }
    figures = {
        "cpu": work.cpu,
        "ner": {
            "texts": work.asked,
            "texts_read": len(work.additions),
            "words_in_texts_read": sum(len(text.split()) for text in work.additions),
            "words_read": sum(ner.words_read(text) for text in work.additions),
            "model_missing": work.missing,
        },
    }
    return records, extractions, origins, figures


class _Extracted:
    """What the extraction workers gave: results in place, pickled entries for the cache, CPU and NER figures.

    Each extraction's items are kept pickled (:class:`kg.engine.cache.LazyItems`):
    held as objects, a large corpus's would not fit in memory.
    """

    def __init__(self, results: list, progress: Progress | None, caching: bool) -> None:
        self.results = results
        self.caching = caching  # whether to make the cache's entries (:attr:`fresh`)
        self.progress = progress
        self.done = 0
        self.cpu = {"read_parse": 0.0, "extract": 0.0, "ner": 0.0}
        self.asked = 0
        self.missing = 0
        self.additions: dict = {}
        self.fresh: list[tuple[int, bytes]] = []

    def add(self, indices: list[int], chunks: Iterator[tuple[int, tuple]]) -> None:
        """Take the chunks' results, for the inputs at ``indices``."""
        for chunk, (pairs, figure, added) in chunks:
            for index, pair in zip(indices[chunk : chunk + len(pairs)], pairs, strict=True):
                if pair[1] is not None:
                    pair[1].items = LazyItems(pickled_items(pair[1]))
                self.results[index] = pair
                if self.caching:
                    self.fresh.append((index, form_entry(asdict(pair[0]), pair[1])))
            for key in self.cpu:
                self.cpu[key] += figure["cpu_seconds"][key]
            self.asked += figure["ner"]["texts"]
            self.missing = max(self.missing, figure["ner"]["model_missing"])
            self.additions.update(added)
            self.done += len(pairs)
            if self.progress:
                self.progress(self.done, len(self.results))


def _extract(
    inputs: list[tuple[Path, str]], memo: dict, jobs: int, meanwhile: Callable[[], None] | None = None
) -> Iterator[tuple[int, tuple]]:
    """``(offset, chunk result)`` of every chunk of ``inputs``, in order, in worker processes if worth it.

    ``meanwhile`` runs once the workers have their tasks (before the first
    result): with ``jobs`` > 1 the main process does it while they work.
    """
    chunks = [inputs[i : i + _CHUNK] for i in range(0, len(inputs), _CHUNK)]
    offsets = range(0, len(inputs), _CHUNK)
    if jobs == 1 or not chunks or (len(inputs) < 2 * _CHUNK and meanwhile is None):
        if meanwhile is not None:
            meanwhile()
        _start_worker(memo)
        try:
            yield from zip(offsets, map(_read_chunk, chunks), strict=True)
        finally:
            gc.disable()
        return
    workers = min(jobs, len(chunks))
    with ProcessPoolExecutor(max_workers=workers, initializer=_start_worker, initargs=(memo,)) as pool:
        done = pool.map(_read_chunk, chunks)
        if meanwhile is not None:
            meanwhile()
        yield from zip(offsets, done, strict=True)


def _start_worker(memo: dict) -> None:
    """Give a process reading forms the NER memo, and its garbage collector back (spaCy makes cycles)."""
    global _WORKER_MEMO
    _WORKER_MEMO = NerMemo(memo)
    gc.enable()


def _read_chunk(pairs: list[tuple[Path, str]]) -> tuple[list, dict, dict]:
    """Read a chunk of forms and extract them in one spaCy batch (:func:`kg.inputs.extract_read`).

    Returns the ``(record, extraction)`` pairs, CPU seconds and NER counts, and the texts spaCy read.
    """
    ner.ner_stats(reset=True)
    clock = time.process_time()
    read = [read_input(pair) for pair in pairs]
    reading = time.process_time() - clock
    results = extract_read(read, entities=_WORKER_MEMO)
    stats = ner.ner_stats(reset=True)
    spent = time.process_time() - clock
    figures = {
        "cpu_seconds": {"read_parse": reading, "extract": spent - reading - stats["seconds"], "ner": stats["seconds"]},
        "ner": {k: v for k, v in stats.items() if k != "seconds"},
    }
    return results, figures, _WORKER_MEMO.take_additions()
