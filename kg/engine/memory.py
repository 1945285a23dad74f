"""Memory helpers of the build: room to fork, heap pages given back, the garbage collector paused.

A build of the whole archive holds gigabytes at its peak; these keep a
forked process from doubling that, and the collector from walking millions
of objects that hold no cycles worth freeing.
"""

from __future__ import annotations

import ctypes
import gc
import sys
from contextlib import contextmanager
from functools import lru_cache

__all__ = ["room_to_fork", "give_back_memory", "paused_gc"]


def room_to_fork() -> bool:
    """Whether the machine has room for a second copy of this process (one forked may copy what it touches).

    A large corpus's build holds gigabytes when the views are written: a
    process forked then, copying the pages it touches, could exhaust the
    machine's memory. Where the figures are unknown (not Linux), there is room.
    """
    available, used = _meminfo_kib("/proc/meminfo", "MemAvailable:"), _meminfo_kib("/proc/self/status", "VmRSS:")
    return available is None or used is None or available > used


def give_back_memory() -> None:
    """Return the heap's free pages to the system (glibc's ``malloc_trim``; nothing elsewhere).

    glibc keeps memory freed by Python and by pyoxigraph's threads for
    reuse: after a stage that made and dropped a lot (the workers' results,
    the store's batches) a large corpus's build keeps gigabytes it no longer
    uses, which a process forked then would count as its own once touched.
    """
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@contextmanager
def paused_gc():
    """Pause the cyclic garbage collector: a build makes millions of small objects and no cycles worth a pass.

    Each pass walks every live object (the forms' text, the graph's terms):
    left on, the collector takes a third of the graph stage. Turned on again,
    its next pass would walk every object made meanwhile (0.5 s after a
    rebuild): they go to the oldest generation instead, whose full passes
    are rare, and cycles among them (matplotlib's parser leaves some, holding
    the build's frames) are freed by the next one.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.freeze()  # moves every tracked object out of the young generations...
            gc.unfreeze()  # ...into the oldest one
            gc.enable()


def _meminfo_kib(path: str, field: str) -> int | None:
    """The kibibytes in the line of ``path`` (a /proc file) starting with ``field``; None if there is none."""
    try:
        with open(path, encoding="ascii") as lines:
            return next((int(line.split()[1]) for line in lines if line.startswith(field)), None)
    except (OSError, ValueError, IndexError):
        return None


@lru_cache(maxsize=1)
def _malloc_trim():
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None).malloc_trim  # glibc's; musl has none (AttributeError)
    except (OSError, AttributeError):
        return None
