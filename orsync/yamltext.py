"""YAML text for people to read and orsync to read back: block style, comments, safe quoting.

The counterpart of `orsync.yamlsource`, which reads it. PyYAML's safe dumper writes the values;
this module adds what it lacks: comments, lists indented under their key, no anchors, no line
folding, and quotes around text that some YAML reader could take for something else.
"""

from __future__ import annotations

import re
import textwrap
from typing import Any

import yaml

# Plain text that a YAML reader, of version 1.1 or 1.2, could take for something else: numbers
# (with `_`, exponents, bases, sexagesimal), booleans, null, infinities and dates. PyYAML quotes
# the forms it reads itself; these are quoted too, for every other reader of the file.
_AMBIGUOUS = re.compile(
    r"[-+]?(\.[0-9]+|[0-9][0-9_]*(\.[0-9_]*)?)([eE][-+]?[0-9]+)?"
    r"|[-+]?0[bB][01_]+|[-+]?0[oO]?[0-7_]+|[-+]?0[xX][0-9a-fA-F_]+"
    r"|[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)?"
    r"|[-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN)"
    r"|[yY]|[yY]es|YES|[nN]|[nN]o|NO|[tT]rue|TRUE|[fF]alse|FALSE|[oO]n|ON|[oO]ff|OFF"
    r"|~|[nN]ull|NULL|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([Tt ].*)?"
)


class _Dumper(yaml.SafeDumper):
    """Block style with lists indented under their key, no anchors, ambiguous text quoted."""

    def ignore_aliases(self, data: Any) -> bool:
        return True

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


# Line breaks beyond \n and \r: PyYAML writes them raw inside single quotes, where a reader
# folds them to a space; in double quotes they are escaped (`\N`, `\L`, `\P`).
_UNICODE_BREAKS = frozenset("\x85\u2028\u2029")


def _represent_text(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    style = None
    if _UNICODE_BREAKS.intersection(text):
        style = '"'
    elif _AMBIGUOUS.fullmatch(text):
        style = "'"
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


_Dumper.add_representer(str, _represent_text)


def dump_block(value: Any) -> str:
    """`value` as block YAML, without a final line break; a long value stays on one line."""
    text: str = yaml.dump(
        value,
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=1_000_000,
    )
    return text.rstrip("\n")


def indent(text: str, spaces: int) -> str:
    """Every line of `text` moved right by `spaces`."""
    return "\n".join(" " * spaces + line for line in text.split("\n"))


def comment_lines(text: str, spaces: int = 0, width: int | None = None) -> list[str]:
    """`text` as comment lines, wrapped at `width` (None: one line). Anything that could end a
    comment early or not show (a line break, a control character) is written `?`."""
    safe = "".join(c if c.isprintable() else "?" for c in text)
    lines = [safe]
    if width is not None:
        wrapped = textwrap.wrap(safe, width, break_long_words=False, break_on_hyphens=False)
        lines = wrapped or [""]
    return [f"{' ' * spaces}# {line}" for line in lines]
