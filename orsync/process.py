"""How the Python process is set for a run of the `orsync` program (not for the library)."""

from __future__ import annotations

import atexit
import functools
import gc


def tune_for_a_run() -> None:
    """Garbage collection for a process that builds its data once and keeps it to the end."""
    # A run keeps what it builds (config, live state, plan) to its end: the collector of
    # cycles, tuned for long-running programs, would scan it all again and again.
    gc.set_threshold(50_000, 20, 100)
    _freeze_at_exit()


@functools.cache
def _freeze_at_exit() -> None:
    # At exit the interpreter takes every module apart and collects, again and again, all it
    # can reach: some 30 ms for nothing, as the process ends. Frozen objects are passed over.
    atexit.register(gc.freeze)
