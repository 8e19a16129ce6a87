"""Read YAML into plain Python values, keeping the line of every mapping key and list item.

PyYAML's loaders drop line numbers and let a repeated key silently replace the first one, so this
module composes the node tree and converts it itself. Scalars go through the safe constructor (ints,
floats, bools and null resolve as usual), except timestamps, which stay text: a config holds no
dates, and `2024-01-01` written as a name means the text. Anchors, aliases and merge keys (`<<`)
work; an explicit key overrides a merged one, as YAML says.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import yaml

from orsync.defaults import MAX_NESTING
from orsync.errors import ConfigError

YamlPath = tuple[Hashable, ...]
"""Where a value sits: mapping keys and list indexes from the top, e.g. `("workspaces", 0)`."""

_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"
_MERGE_TAG = "tag:yaml.org,2002:merge"
_TEXT_TAGS = frozenset({"tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:value", _MERGE_TAG})
# Aliases copy what they point to; this bounds what a few lines of nested aliases can expand to.
_MAX_VALUES = 1_000_000


class _NodeLoader(Protocol):
    def get_single_node(self) -> yaml.Node | None: ...

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any: ...

    def dispose(self) -> None: ...


_LOADER: Callable[[str], _NodeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class LineMap:
    """The 1-based line of every mapping key and list item, by path."""

    lines: Mapping[YamlPath, int]

    def line(self, path: YamlPath) -> int:
        """The line of `path`, or of its nearest ancestor that has one (a key left out)."""
        for end in range(len(path), -1, -1):
            found = self.lines.get(path[:end])
            if found is not None:
                return found
        return 1


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


def load_located(text: str, file: str) -> Located | None:
    """Parse one YAML document; None when it holds nothing (empty, or only comments).

    Raises ConfigError, located by `file` and line, for a syntax error, a duplicate key, or a
    construct a config file has no use for (complex keys, unknown tags, recursive aliases).
    """
    try:
        return _compose(text, file)
    except yaml.MarkedYAMLError as exc:
        raise _syntax_error(exc, file) from None
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1 if isinstance(exc.position, int) else None
        raise ConfigError(f"invalid YAML: {exc.reason}", file=file, line=line) from None
    except yaml.YAMLError as exc:  # pragma: no cover - every PyYAML error above carries a place
        raise ConfigError(f"invalid YAML: {type(exc).__name__}", file=file) from None


def _compose(text: str, file: str) -> Located | None:
    loader = _LOADER(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        builder = _Builder(loader, file)
        builder.lines[()] = _line(node.start_mark) or 1
        value = builder.convert(node, (), builder.lines)
        return Located(value, LineMap(builder.lines))
    finally:
        loader.dispose()


def _syntax_error(exc: yaml.MarkedYAMLError, file: str) -> ConfigError:
    # Only the parser's own words: its snippet of the line could show a secret.
    mark = exc.problem_mark or exc.context_mark
    problem = exc.problem or exc.context or "not valid YAML"
    if exc.problem and exc.context:
        where = f" at line {exc.context_mark.line + 1}" if exc.context_mark else ""
        if exc.problem.startswith("but "):
            problem = f"{exc.context}{where}, {exc.problem}"
        else:
            problem = f"{exc.problem} ({exc.context}{where})"
    return ConfigError(f"invalid YAML: {problem}", file=file, line=_line(mark))


def _line(mark: yaml.Mark | None) -> int | None:
    return None if mark is None else mark.line + 1


class _Builder:
    """Converts a node tree to plain values, recording lines as it goes."""

    def __init__(self, loader: _NodeLoader, file: str) -> None:
        self.loader = loader
        self.file = file
        self.lines: dict[YamlPath, int] = {}
        self.open_nodes: set[int] = set()
        self.count = 0

    def error(self, problem: str, node: yaml.Node, path: YamlPath) -> ConfigError:
        return ConfigError(
            problem, file=self.file, line=_line(node.start_mark), path=format_path(path)
        )

    def convert(self, node: yaml.Node, path: YamlPath, lines: dict[YamlPath, int]) -> Any:
        """Convert `node` found at `path`; its own line is recorded by whoever holds it."""
        self.count += 1
        if self.count > _MAX_VALUES:
            raise self.error(f"the document expands to over {_MAX_VALUES} values", node, path)
        if len(path) > MAX_NESTING:
            # libyaml goes 1000 levels deep: too deep for what later walks over the values.
            problem = f"lists and mappings nested over {MAX_NESTING} levels deep"
            raise self.error(problem, node, path[:MAX_NESTING])
        if isinstance(node, yaml.ScalarNode):
            return self.scalar(node, path)
        if id(node) in self.open_nodes:
            raise self.error("an alias refers to a mapping or list that contains it", node, path)
        self.open_nodes.add(id(node))
        try:
            if isinstance(node, yaml.MappingNode) and node.tag == _MAP_TAG:
                return self.mapping(node, path, lines)
            if isinstance(node, yaml.SequenceNode) and node.tag == _SEQ_TAG:
                return self.sequence(node, path, lines)
            tag = node.tag.replace("tag:yaml.org,2002:", "!!")
            raise self.error(f"unsupported YAML tag {tag!r}", node, path)
        finally:
            self.open_nodes.discard(id(node))

    def scalar(self, node: yaml.ScalarNode, path: YamlPath) -> Any:
        if node.tag in _TEXT_TAGS:
            return self.text(str(node.value), node, path)
        try:
            value = self.loader.construct_object(node)
        except (ValueError, TypeError, OverflowError, yaml.YAMLError):
            # The value is not quoted: it may be a secret given an explicit tag by mistake.
            tag = node.tag.replace("tag:yaml.org,2002:", "!!")
            raise self.error(f"the value does not fit its YAML tag {tag!r}", node, path) from None
        return self.text(value, node, path) if isinstance(value, str) else value

    def text(self, value: str, node: yaml.Node, path: YamlPath) -> str:
        """A string that can be sent: the pure-Python loader lets an escape such as `\\udcff`
        write half of a UTF-16 pair, which is no character and cannot be encoded (libyaml
        refuses it)."""
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            problem = (
                "an escape such as \\udcff writes half a surrogate pair, which is no character"
            )
            raise self.error(problem, node, path) from None
        return value

    def sequence(
        self, node: yaml.SequenceNode, path: YamlPath, lines: dict[YamlPath, int]
    ) -> list[Any]:
        items: list[Any] = []
        for index, item in enumerate(node.value):
            item_path = (*path, index)
            lines[item_path] = _line(item.start_mark) or 1
            items.append(self.convert(item, item_path, lines))
        return items

    def mapping(
        self, node: yaml.MappingNode, path: YamlPath, lines: dict[YamlPath, int]
    ) -> dict[Any, Any]:
        result: dict[Any, Any] = {}
        first_line: dict[Any, int] = {}
        merge_sources: list[yaml.MappingNode] = []
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                merge_sources.extend(self.merge_sources(value_node, path))
                continue
            key = self.key(key_node, path)
            line = _line(key_node.start_mark) or 1
            if key in first_line:
                problem = f"duplicate key {key!r} (first at line {first_line[key]})"
                raise self.error(problem, key_node, (*path, key))
            first_line[key] = line
            lines[(*path, key)] = line
            result[key] = self.convert(value_node, (*path, key), lines)
        for source in merge_sources:
            self.merge(source, path, result, lines)
        return result

    def key(self, node: yaml.Node, path: YamlPath) -> Hashable:
        if not isinstance(node, yaml.ScalarNode):
            raise self.error(
                "a mapping key must be a single value, not a list or mapping", node, path
            )
        key: Hashable = self.scalar(node, path)
        return key

    def merge_sources(self, node: yaml.Node, path: YamlPath) -> list[yaml.MappingNode]:
        candidates = node.value if isinstance(node, yaml.SequenceNode) else [node]
        if not all(isinstance(c, yaml.MappingNode) for c in candidates):
            raise self.error("'<<' merges a mapping or a list of mappings", node, path)
        return list(candidates)

    def merge(
        self,
        source: yaml.MappingNode,
        path: YamlPath,
        result: dict[Any, Any],
        lines: dict[YamlPath, int],
    ) -> None:
        """Add the keys of a merged mapping that `result` does not have yet, with their lines."""
        scratch: dict[YamlPath, int] = {}
        merged = self.convert(source, path, scratch)
        depth = len(path)
        for key, value in merged.items():
            if key in result:
                continue
            result[key] = value
            lines.update(
                (sub, line) for sub, line in scratch.items() if sub[depth : depth + 1] == (key,)
            )
