"""The one exception hierarchy: every error knows its exit code and says what and where."""

from __future__ import annotations

import os

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_DRIFT = 2
EXIT_POLICY = 3


class OrsyncError(Exception):
    """Base of every error orsync reports to a user; `str()` is the one line shown on stderr."""

    exit_code: int = EXIT_ERROR


class UsageError(OrsyncError):
    """A flag or argument combination that cannot work."""


class ConfigError(OrsyncError):
    """A problem in the config file, located by file, line and path."""

    def __init__(self, problem: str, *, file: str, line: int | None = None, path: str = "") -> None:
        self.problem = problem
        self.file = file
        self.line = line
        self.path = path
        super().__init__(format_location(file, line, path, problem))


class SnapshotError(OrsyncError):
    """A snapshot file that cannot be read or is not a live state."""


class ExportError(OrsyncError):
    """An exported config file that cannot be written."""


class ApiError(OrsyncError):
    """The API could not be reached or answered something orsync cannot use."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        self.status = status
        super().__init__(message)


class UnexpectedAnswer(ApiError):
    """An answer orsync cannot use; `problem` says what is wrong with it, and where."""

    def __init__(self, problem: str) -> None:
        self.problem = problem
        super().__init__(f"unexpected API answer: {problem}")


class AuthError(ApiError):
    """The key is missing, refused, or not a management key."""


class PlanningError(OrsyncError):
    """Config and live state that cannot be planned as they stand (e.g. an ambiguous match)."""


class AmbiguousMatchError(PlanningError):
    """Two live destinations carry one declared name, and no `id` is pinned to choose."""


class PlanFileError(OrsyncError):
    """A plan file that cannot be read or written, or is not a plan file."""


class StalePlanError(OrsyncError):
    """A saved plan no longer matches the live state or the config file."""


class SafetyError(OrsyncError):
    """A safety rule (protect, max deletes) forbids the plan; nothing was changed."""

    exit_code = EXIT_POLICY


class PolicyError(OrsyncError):
    """The config's `policy:` is violated (plan, validate, audit) or would be (apply)."""

    exit_code = EXIT_POLICY


class ApplyError(OrsyncError):
    """A step of apply failed; the message reports what was and was not done."""


def format_location(file: str, line: int | None, path: str, problem: str) -> str:
    """Render `file:line: path: problem`, leaving out the parts that are unknown."""
    where = file if line is None else f"{file}:{line}"
    return f"{where}: {path}: {problem}" if path else f"{where}: {problem}"


def internal_error_message(exc: BaseException) -> str:
    """An unexpected exception as its type and where it was raised, never its arguments
    (they may hold a request body, and so secrets): `internal error: KeyError at
    orsync/diff.py:120`, the place being the last frame inside orsync."""
    import traceback  # only on this rare path: the module is loaded by every run

    package = os.path.dirname(os.path.abspath(__file__))
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in frames if os.path.abspath(f.filename).startswith(package + os.sep)]
    where = ""
    if ours:
        relative = os.path.relpath(os.path.abspath(ours[-1].filename), os.path.dirname(package))
        where = f" at {relative}:{ours[-1].lineno}"
    return f"internal error: {type(exc).__name__}{where} (run with -v for details)"
