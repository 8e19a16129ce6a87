"""What goes to stderr beside the plan: warnings, errors, and the progress line.

Every warning and error passes through the run's redactor (`orsync.sensitive.redact`), loaded
with the first message, so that `orsync --version` never loads it. The progress line shows
while many workspaces are read, on a terminal only: CI logs and piped output never get it,
since a line rewritten in place is only noise there. It is rewritten in place (`\\r`) as each
workspace is read, and erased when reading ends, so that what is printed next starts on a
clean line.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Mapping, Sequence
from typing import TextIO

import click

from orsync.errors import OrsyncError, internal_error_message

# Erases from the cursor to the end of the line.
_ERASE = "\x1b[K"


def render_warnings(messages: Sequence[str], *, color: bool = False) -> str:
    """`Warning: ...` lines (the word in yellow with `color`), secrets taken out."""
    from orsync.sensitive import redact

    prefix = click.style("Warning:", fg="yellow") if color else "Warning:"
    return "".join(f"{prefix} {redact(message)}\n" for message in messages)


def render_error(error: Exception, *, verbose: bool = False) -> str:
    """`Error: ...`, after the traceback with `verbose`; secrets taken out. An error that is not
    orsync's own is shown by its type and place only: its arguments may hold secrets."""
    import traceback

    from orsync.sensitive import redact

    message = str(error) if isinstance(error, OrsyncError) else internal_error_message(error)
    shown = traceback.format_exception(error) if verbose else []
    return redact("".join(shown)) + f"Error: {redact(message)}\n"


def progress_text(done: int, total: int) -> str:
    """`Reading live destinations: 37/200 workspaces`."""
    return f"Reading live destinations: {done}/{total} workspaces"


class ProgressLine:
    """One line on a terminal, rewritten as workspaces are read (from any thread)."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._lock = threading.Lock()
        self._shown = False

    def update(self, done: int, total: int) -> None:
        if total < 2:
            return  # one workspace: nothing to follow
        with self._lock:
            self._stream.write(f"\r{progress_text(done, total)}{_ERASE}")
            self._stream.flush()
            self._shown = True

    def end(self) -> None:
        """Erase the line, if one was shown."""
        with self._lock:
            if self._shown:
                self._stream.write(f"\r{_ERASE}")
                self._stream.flush()
                self._shown = False


def terminal_progress(
    stream: TextIO | None = None, environ: Mapping[str, str] | None = None
) -> ProgressLine | None:
    """A progress line on `stream` (default stderr) when it is a terminal outside CI, else None."""
    stream = sys.stderr if stream is None else stream
    environ = os.environ if environ is None else environ
    if environ.get("CI") or environ.get("TERM") == "dumb":
        return None
    try:
        return ProgressLine(stream) if stream.isatty() else None
    except ValueError:  # a closed stream
        return None
