"""How the Python process is set for a run of the `orsync` program (not for the library)."""

from __future__ import annotations

import atexit
import functools
import gc


def start_of_run() -> bool:
    """No automatic garbage collection during a run; `end_of_run` brings it back. Returns
    whether it was on.

    A run builds its data (config, live state, plan) and keeps it to its end, and that data
    holds no reference cycles, so counting references frees all that is dropped; the
    collector, made for long-running programs, would only scan it all again and again (a
    tenth of a big plan's CPU). httpx leaves a few dozen objects in cycles per request: what
    a run makes is freed at its end.
    """
    collecting = gc.isenabled()
    gc.disable()
    _freeze_at_exit()
    return collecting


def end_of_run(collecting: bool) -> None:
    """Collection as it was before `start_of_run` (a run may share the process, in tests)."""
    if collecting:
        gc.enable()


@functools.cache
def _freeze_at_exit() -> None:
    # At exit the interpreter takes every module apart and collects, again and again, all it
    # can reach: some 30 ms for nothing, as the process ends. Frozen objects are passed over.
    atexit.register(gc.freeze)
