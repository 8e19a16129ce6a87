"""A value of the config file together with its place, and typed reads of it.

Every read either returns a checked Python value or raises a ConfigError located by file, line
and path (`workspaces[0].destinations[2].sampling_rate`). Strings are returned with `${VAR}`
expanded. Messages say what was expected and what kind of value was found; the few that quote a
value (an unknown region, a duplicate name) quote it through `ConfigNode.quoted`, which shows a
value from the environment by its variables only, so a secret in the wrong place is not echoed.
Numbers are finite and within the range of a 64-bit float, and integers within ±2**53: what a
JSON reader holding numbers as 64-bit floats keeps exactly.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from orsync import defaults
from orsync.errors import ConfigError, format_location
from orsync.interpolate import Expansion, InterpolationError, expand, has_reference
from orsync.yaml_lines import LineMap, YamlPath, format_path


@dataclass
class ConfigContext:
    """What every node of one file shares: its name, lines, environment and warnings."""

    file: str
    lines: LineMap
    environ: Mapping[str, str]
    warnings: list[str] = field(default_factory=list)


def kind_of(value: object) -> str:
    """The kind of a value, for "expected ..., got ..." messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    kinds: dict[type, str] = {
        str: "a string",
        list: "a list",
        dict: "a mapping",
        bytes: "binary data",
    }
    return kinds.get(type(value), f"a {type(value).__name__}")


def _loose(word: str) -> str:
    return word.lower().replace("_", "").replace("-", "")


def did_you_mean(word: str, options: Iterable[str]) -> str | None:
    """The option `word` most likely meant, or None when nothing is close.

    In order: the same letters ignoring case, `_` and `-` (`samplingRate`); the one option that
    `word` begins (`data` for `datadog`); the closest difflib match.
    """
    candidates = list(options)
    for option in candidates:
        if _loose(option) == _loose(word):
            return option
    extending = [option for option in candidates if _loose(option).startswith(_loose(word))]
    if len(extending) == 1 and len(_loose(word)) >= 2:
        return extending[0]
    import difflib  # only ever needed for a message

    close = difflib.get_close_matches(word, candidates, n=1, cutoff=0.6)
    return close[0] if close else None


def message_with_hint(what: str, word: str, options: Sequence[str]) -> str:
    """`<what>, did you mean 'x'?`, or `<what> (expected one of: ...)` when nothing is close."""
    hint = did_you_mean(word, options)
    if hint is not None:
        return f"{what}, did you mean {hint!r}?"
    return f"{what} (expected one of: {', '.join(options)})"


@dataclass(slots=True)
class ConfigNode:
    """One value of the config file, its path from the top, and the file it comes from.

    Never changed once made. Not `frozen`: one is made for every key of the file, and a frozen
    dataclass takes twice as long to make.
    """

    value: Any
    path: YamlPath
    context: ConfigContext
    # The mapping or list that holds this value (None at the top): its line is then one look-up
    # away, not a walk down from the top of the file.
    holder: Any = None

    @property
    def line(self) -> int:
        """The line of this value's key or list item (of its nearest ancestor when absent)."""
        if self.path:
            found = self.context.lines.line_in(self.holder, self.path[-1])
            if found is not None:
                return found
        return self.context.lines.line(self.path)

    def error(self, problem: str) -> ConfigError:
        """An error located at this value."""
        return ConfigError(
            problem, file=self.context.file, line=self.line, path=format_path(self.path)
        )

    def warn(self, message: str) -> None:
        """Record a warning located at this value."""
        where = format_location(self.context.file, self.line, format_path(self.path), message)
        self.context.warnings.append(where)

    def child(self, key: Hashable) -> ConfigNode:
        """The node at `key` of this mapping or list (its value None when absent)."""
        value = self.value.get(key) if isinstance(self.value, dict) else self.value[key]
        return ConfigNode(value, (*self.path, key), self.context, self.value)

    def entries(self) -> dict[str, ConfigNode]:
        """The children of a mapping whose keys are all strings, in file order."""
        if not isinstance(self.value, dict):
            raise self.error(f"expected a mapping, got {kind_of(self.value)}")
        children: dict[str, ConfigNode] = {}
        path, context, holder = self.path, self.context, self.value
        for key, value in self.value.items():
            child = ConfigNode(value, (*path, key), context, holder)
            if not isinstance(key, str):
                raise child.error(f"expected a text key, got {kind_of(key)} (quote it)")
            children[key] = child
        return children

    def fields(self, allowed: Sequence[str], required: Sequence[str] = ()) -> dict[str, ConfigNode]:
        """The children of a mapping whose keys must be among `allowed` and include `required`."""
        children = self.entries()
        for key, child in children.items():
            if key not in allowed:
                raise child.error(message_with_hint("unknown key", key, allowed))
        for key in required:
            if key not in children:
                raise self.error(f"missing required key {key!r}")
        return children

    def items(self, what: str = "a list") -> list[ConfigNode]:
        """The items of a list."""
        if not isinstance(self.value, list):
            raise self.error(f"expected {what}, got {kind_of(self.value)}")
        return [self.child(index) for index in range(len(self.value))]

    def expansion(self) -> Expansion:
        """This string with `${VAR}` replaced (None when a variable is unset); a malformed
        reference, or a variable whose value cannot be sent, is an error."""
        if not isinstance(self.value, str):
            raise self.error(f"expected a string, got {kind_of(self.value)}")
        try:
            return expand(self.value, self.context.environ)
        except InterpolationError as exc:
            raise self.error(str(exc)) from None

    def expanded(self) -> str:
        """This string with `${VAR}` replaced; an unset variable is an error."""
        if type(self.value) is str and not has_reference(self.value):
            return self.value
        expansion = self.expansion()
        if expansion.text is None:
            raise self.error(f"environment variable {expansion.missing[0]} is not set")
        return expansion.text

    def text(self, *, non_empty: bool = True) -> str:
        """A string, `${VAR}` expanded; by default it must hold more than blanks."""
        text = self.expanded()
        if non_empty and not text.strip():
            raise self.error("expected a non-empty string")
        return text

    def quoted(self) -> str:
        """This string as a message may quote it: in quotes when the file spells it out; when it
        holds `${VAR}`, as written with the variable's name, since the environment is where
        secrets live. The one way messages quote a value."""
        if isinstance(self.value, str) and self.expansion().variables:
            return f"{self.value!r} (value not shown)"
        return repr(self.expanded() if isinstance(self.value, str) else self.value)

    def boolean(self) -> bool:
        """`true` or `false`."""
        if not isinstance(self.value, bool):
            raise self.error(f"expected true or false, got {kind_of(self.value)}")
        return self.value

    def number(self) -> int | float:
        """An int or a float that a JSON reader can hold; booleans are not numbers here."""
        if isinstance(self.value, bool) or not isinstance(self.value, (int, float)):
            raise self.error(f"expected a number, got {kind_of(self.value)}")
        problem = _number_problem(self.value)
        if problem is not None:
            raise self.error(problem)
        return self.value

    def choice(self, options: Sequence[str], what: str) -> str:
        """A string among `options`; `what` names it in messages ("unmanaged mode")."""
        word = self._word(options)
        if word not in options:
            raise self.error(message_with_hint(f"unknown {what} {self.quoted()}", word, options))
        return word

    def open_choice(
        self, options: Sequence[str], what: str, outcome: str = "kept and sent as written"
    ) -> str:
        """A string from a list the API keeps open (it adds values): one outside `options`
        is kept, with a warning saying `outcome`."""
        word = self._word(options)
        if word not in options:
            hint = did_you_mean(word, options)
            guess = f" (did you mean {hint!r}?)" if hint is not None else ""
            self.warn(f"unknown {what} {self.quoted()}{guess}: {outcome}")
        return word

    def _word(self, options: Sequence[str]) -> str:
        if not isinstance(self.value, str):
            expected = ", ".join(options)
            raise self.error(f"expected one of: {expected}; got {kind_of(self.value)}")
        return self.text()

    def plain(self) -> Any:
        """The value as written, every string in it `${VAR}` expanded; keys must be strings."""
        if isinstance(self.value, str):
            return self.expanded()
        if isinstance(self.value, (int, float)) and not isinstance(self.value, bool):
            return self.number()
        if isinstance(self.value, list):
            return [item.plain() for item in self.items()]
        if isinstance(self.value, dict):
            return {key: child.plain() for key, child in self.entries().items()}
        if self.value is None or isinstance(self.value, bool):
            return self.value
        kind = kind_of(self.value)
        raise self.error(
            f"expected text, a number, true/false, null, a list or a mapping, got {kind}"
        )


def _number_problem(value: int | float) -> str | None:
    """Why a number cannot be sent, or None: JSON has no NaN or infinity, and its readers hold
    numbers as 64-bit floats. An integer beyond 2**53 would be stored rounded, so what comes
    back could not be compared with what was sent: live state refuses it too (orsync.live)."""
    if isinstance(value, float) and math.isnan(value):
        return "expected a number, got .nan (not a number)"
    if isinstance(value, int) and abs(value) > defaults.MAX_EXACT_INTEGER:
        return (
            f"an integer beyond ±{defaults.MAX_EXACT_INTEGER} (2^53) cannot be compared exactly "
            "once sent (the API may hold it as a 64-bit float): write a smaller number, or the "
            "number as a string"
        )
    # PyYAML reads `1.0e+999` as infinity: so an infinity may have been written as a number.
    if abs(value) > sys.float_info.max:
        return f"infinite, or too large (beyond ±{sys.float_info.max:.1e}): it cannot be sent"
    return None
