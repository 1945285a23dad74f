"""Forked worker processes: they share the build's memory as it was at the fork, so only results are pickled.

Where ``fork`` is missing (not Linux or macOS) or one job is asked for,
the work runs in this process instead, with the same results.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager

__all__ = ["CAN_FORK", "forked_pool", "call_inherited", "aside"]

CAN_FORK = "fork" in multiprocessing.get_all_start_methods()
_INHERITED: Callable | None = None  # what the processes of forked_pool run: a function of the build's objects


@contextmanager
def forked_pool(workers: int, inherited: Callable) -> Iterator[ProcessPoolExecutor]:
    """A pool of ``workers`` processes forked from this one, whose tasks :func:`call_inherited` runs ``inherited``.

    Forked, they share this process's memory (extractions, resolution,
    analysis) without pickling it; only their tasks' arguments and results
    are pickled. No thread may run when the pool forks (at its first task).
    """
    global _INHERITED
    _INHERITED = inherited
    try:
        with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork")) as pool:
            yield pool
    finally:
        _INHERITED = None


@contextmanager
def aside(task: Callable[[], tuple], jobs: int) -> Iterator[Callable[[], tuple]]:
    """Run ``task`` in a forked process while the body runs; yield a function that gives its result.

    The process shares this one's memory as it was at the fork, so only the
    task's result is pickled. With one job or no ``fork`` the task runs
    here, before the body. Either way its result is there once the body ends.
    """
    if jobs < 2 or not CAN_FORK:
        done = task()
        yield lambda: done
        return
    with forked_pool(1, task) as pool:
        future = pool.submit(call_inherited)
        yield future.result
        future.result()


def call_inherited(*args):
    """In a process of :func:`forked_pool`: run the function it inherited on ``args``."""
    return _INHERITED(*args)
