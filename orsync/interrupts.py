"""Ctrl-C during apply: the first asks to stop after the current step, a second stops at once."""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Callable, Iterator


@contextlib.contextmanager
def stop_between_steps(on_first: Callable[[], None]) -> Iterator[Callable[[], bool]]:
    """Turn the first Ctrl-C into a request to stop after the current step.

    Yields the function apply polls between steps; `on_first` tells the user the request was
    heard. A second Ctrl-C raises KeyboardInterrupt where the program stands.
    """
    requested: list[bool] = []

    def on_interrupt(signum: int, frame: object) -> None:
        if requested:
            raise KeyboardInterrupt
        requested.append(True)
        on_first()

    previous = signal.signal(signal.SIGINT, on_interrupt)
    try:
        yield lambda: bool(requested)
    finally:
        signal.signal(signal.SIGINT, previous)
