"""Where each value of a YAML document sits: its path from the top, and the line it is on."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import Any

YamlPath = tuple[Hashable, ...]
"""Where a value sits: mapping keys and list indexes from the top, e.g. `("workspaces", 0)`."""

# The lines of one mapping's keys, or of one list's items.
Lines = dict[Hashable, int] | list[int]


class LineMap:
    """The 1-based line of every mapping key and list item of a document.

    Kept beside each mapping and list, not by path: the paths would be tuples made for every
    key of the file, a good part of the cost of reading it.
    """

    def __init__(self, root: Any, root_line: int, tables: Mapping[int, Lines]) -> None:
        self._root = root  # keeps the values alive, so that their ids stay theirs
        self._root_line = root_line
        self._tables = tables

    def line(self, path: YamlPath) -> int:
        """The line of `path`, or of its nearest ancestor that has one (a key left out)."""
        value, line = self._root, self._root_line
        for key in path:
            found = self.line_in(value, key)
            if found is None:
                break
            line, value = found, value[key]
        return line

    def line_in(self, holder: Any, key: Hashable) -> int | None:
        """The line of `key` in `holder`, a mapping or list of the document (None: none)."""
        table = self._tables.get(id(holder))
        if isinstance(table, dict):
            return table.get(key)
        if table is not None and type(key) is int and 0 <= key < len(table):
            return table[key]
        return None

    @property
    def lines(self) -> dict[YamlPath, int]:
        """Every path that has a line, and its line."""
        lines: dict[YamlPath, int] = {(): self._root_line}
        todo: list[tuple[YamlPath, Any]] = [((), self._root)]
        while todo:
            path, value = todo.pop()
            table = self._tables.get(id(value))
            keys = table.items() if isinstance(table, dict) else enumerate(table or ())
            for key, line in keys:
                lines[(*path, key)] = line
                todo.append(((*path, key), value[key]))
        return lines


@dataclass(frozen=True)
class Located:
    """A YAML document as plain values (dict, list, str, int, float, bool, None) and its lines."""

    value: Any
    lines: LineMap


def format_path(path: YamlPath) -> str:
    """Render a path the way messages show it: `workspaces[0].destinations[2].name`."""
    text = ""
    for key in path:
        if isinstance(key, int) and not isinstance(key, bool):
            text += f"[{key}]"
        else:
            text += f".{key}" if text else str(key)
    return text
