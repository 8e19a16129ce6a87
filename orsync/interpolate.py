"""`${VAR}` references in config strings: find them and replace them from the environment.

`${NAME}` is replaced by the variable NAME; `$${` writes a literal `${`. Error messages never
quote the string itself: it may be a secret, and a mistyped reference may hold one. A variable
whose value cannot be encoded as UTF-8 is an error: such a value could never be sent.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from orsync.sensitive import remember_secret

# One scan, left to right: an escaped `$${`, a closed reference, or an opening never closed.
_TOKEN = re.compile(r"\$\$\{|\$\{(?P<name>[^}]*)\}|\$\{")
VARIABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class InterpolationError(ValueError):
    """A malformed `${...}` reference; the message names no part of the string."""


@dataclass(frozen=True)
class Expansion:
    """A string with its references replaced.

    `text` is None when a referenced variable is unset; `variables` lists every referenced name
    once, in order, `missing` the unset ones and `blank` those set to nothing but blanks.
    """

    text: str | None
    variables: tuple[str, ...]
    missing: tuple[str, ...]
    blank: tuple[str, ...] = ()


def has_reference(text: str) -> bool:
    """Whether the string holds `${`: a reference, an escape, or a malformed one."""
    return "${" in text


def expand(text: str, environ: Mapping[str, str]) -> Expansion:
    """Replace `${VAR}` from `environ` and `$${` by `${`; raise InterpolationError if malformed."""
    if not has_reference(text):
        return Expansion(text, (), ())
    pieces: list[str] = []
    variables: list[str] = []
    position = 0
    for token in _TOKEN.finditer(text):
        pieces.append(text[position : token.start()])
        position = token.end()
        if token.group(0) == "$${":
            pieces.append("${")
            continue
        name = _reference_name(token)
        if name not in variables:
            variables.append(name)
        pieces.append(_value(name, environ))
    pieces.append(text[position:])
    missing = tuple(name for name in variables if name not in environ)
    blank = tuple(name for name in variables if name in environ and not environ[name].strip())
    return Expansion(None if missing else "".join(pieces), tuple(variables), missing, blank)


def _value(name: str, environ: Mapping[str, str]) -> str:
    value = environ.get(name, "")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        # os.environ holds a byte that is not UTF-8 as a lone surrogate (`\udcff`): the value
        # cannot go into a request, and the message must not quote any of it.
        raise InterpolationError(
            f"environment variable {name} holds bytes that are not UTF-8 text"
        ) from None
    # Whatever the environment gives may be a secret: no message of this run may show it.
    remember_secret(value)
    return value


def _reference_name(token: re.Match[str]) -> str:
    name = token.group("name")
    if name is None:
        raise InterpolationError("'${' is never closed by '}' (write '$${' for a literal '${')")
    if not name:
        raise InterpolationError("'${}' names no environment variable")
    if not VARIABLE_NAME.fullmatch(name):
        raise InterpolationError(
            "'${...}' must hold an environment variable name "
            "(letters, digits and _, not starting with a digit)"
        )
    return name
