"""Read YAML into plain Python values, keeping the line of every mapping key and list item.

PyYAML's loaders drop line numbers and let a repeated key silently replace the first one, so this
module builds the values itself, from the parser's events (libyaml's C parser when PyYAML has
it): composing PyYAML's node tree first, and resolving every scalar's tag through its resolver,
cost several times what parsing does. Plain scalars resolve as the safe loader resolves them
(ints, floats, bools and null), each distinct text once, except timestamps, which stay text: a
config holds no dates, and `2024-01-01` written as a name means the text. Anchors, aliases and
merge keys (`<<`) work; an explicit key overrides a merged one, as YAML says.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, Protocol

import yaml
from yaml.composer import ComposerError

from orsync.defaults import MAX_NESTING
from orsync.errors import ConfigError
from orsync.yaml_lines import LineMap, Lines, Located, format_path

_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"
_MERGE_TAG = "tag:yaml.org,2002:merge"
_TEXT_TAGS = frozenset({"tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:value", _MERGE_TAG})
# Aliases copy what they point to; this bounds what a few lines of nested aliases can expand to.
_MAX_VALUES = 1_000_000
_UNTAGGED = (None, "!")
_Scalar = yaml.ScalarEvent
_UNSEEN = object()


class _EventLoader(Protocol):
    def check_event(self, *choices: type) -> bool: ...

    def get_event(self) -> Any: ...

    def resolve(self, kind: type, value: Any, implicit: Any) -> str: ...

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any: ...

    def dispose(self) -> None: ...


_LOADER: Callable[[str], _EventLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_located(text: str, file: str) -> Located | None:
    """Parse one YAML document; None when it holds nothing (empty, or only comments).

    Raises ConfigError, located by `file` and line, for a syntax error, a duplicate key, or a
    construct a config file has no use for (complex keys, unknown tags, recursive aliases).
    """
    try:
        return _build(text, file)
    except yaml.MarkedYAMLError as exc:
        raise _syntax_error(exc, file) from None
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1 if isinstance(exc.position, int) else None
        raise ConfigError(f"invalid YAML: {exc.reason}", file=file, line=line) from None
    except RecursionError:
        raise ConfigError("invalid YAML: lists or mappings nested too deeply", file=file) from None
    except yaml.YAMLError as exc:  # pragma: no cover - every PyYAML error above carries a place
        raise ConfigError(f"invalid YAML: {type(exc).__name__}", file=file) from None


def _build(text: str, file: str) -> Located | None:
    loader = _LOADER(text)
    try:
        return _Builder(loader, file).document()
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


@dataclass(frozen=True)
class _Anchored:
    """A value an anchor names, for aliases to copy, and how many values it holds."""

    value: Any
    count: int


class _Builder:
    """Builds plain values from the parser's events, recording lines as it goes.

    `self.path` is where the value being built sits, for messages; each mapping and list gets
    its table of lines in `self.tables`, by its id.
    """

    def __init__(self, loader: _EventLoader, file: str) -> None:
        self.loader = loader
        self.next = loader.get_event
        self.file = file
        self.path: list[Hashable] = []
        self.tables: dict[int, Lines] = {}
        # None while the value it names is being built: an alias to it then is recursive.
        self.anchors: dict[str, _Anchored | None] = {}
        self.anchor_marks: dict[str, yaml.Mark] = {}
        # Each plain scalar's text resolves to the same value wherever it stands.
        self.plain: dict[str, Any] = {}
        self.count = 0

    def error(self, problem: str, mark: yaml.Mark, *more: Hashable) -> ConfigError:
        path = format_path((*self.path, *more))
        return ConfigError(problem, file=self.file, line=mark.line + 1, path=path)

    def document(self) -> Located | None:
        """The one document of the stream, as the composer of PyYAML takes it."""
        self.next()  # the stream's start
        if self.loader.check_event(yaml.StreamEndEvent):
            return None
        self.next()  # the document's start
        root = self.next()
        value = self.value(root)
        self.next()  # the document's end
        if not self.loader.check_event(yaml.StreamEndEvent):
            raise ComposerError(
                "expected a single document in the stream",
                root.start_mark,
                "but found another document",
                self.next().start_mark,
            )
        return Located(value, LineMap(value, root.start_mark.line + 1, self.tables))

    def counted(self, count: int, mark: yaml.Mark) -> None:
        self.count += count
        if self.count > _MAX_VALUES:
            raise self.error(f"the document expands to over {_MAX_VALUES} values", mark)

    def value(self, event: Any) -> Any:
        """The value that starts with `event`; its own line is recorded by whoever holds it
        (the key's line, for the value of a mapping)."""
        kind = type(event)
        if kind is _Scalar and event.anchor is None and event.tag is None:
            # The common case, first: a scalar as written, seen before.
            self.count += 1
            if self.count > _MAX_VALUES:
                self.counted(0, event.start_mark)
            if event.implicit[0]:
                value = self.plain.get(event.value, _UNSEEN)
                if value is not _UNSEEN:
                    return value
            return self.scalar(event)
        if kind is yaml.AliasEvent:
            return self.alias(event)
        self.counted(1, event.start_mark)
        anchor = event.anchor
        if anchor is None:
            if kind is _Scalar:
                return self.scalar(event)
            return self.collection(event)
        if anchor in self.anchor_marks:
            raise ComposerError(
                f"found duplicate anchor {anchor!r}; first occurrence",
                self.anchor_marks[anchor],
                "second occurrence",
                event.start_mark,
            )
        self.anchor_marks[anchor] = event.start_mark
        self.anchors[anchor] = None
        start = self.count
        value = self.scalar(event) if kind is _Scalar else self.collection(event)
        self.anchors[anchor] = _Anchored(value, self.count - start + 1)
        return self.copy(value)

    def copy(self, value: Any) -> Any:
        """A copy of a value built already, with its lines, so that no two places share a
        list or mapping."""
        if isinstance(value, dict):
            copied: Any = {key: self.copy(item) for key, item in value.items()}
        elif isinstance(value, list):
            copied = [self.copy(item) for item in value]
        else:
            return value
        if id(value) in self.tables:
            self.tables[id(copied)] = self.tables[id(value)]
        return copied

    def alias(self, event: Any) -> Any:
        if event.anchor not in self.anchors:
            raise ComposerError(
                None, None, f"found undefined alias {event.anchor!r}", event.start_mark
            )
        anchored = self.anchors[event.anchor]
        if anchored is None:
            problem = "an alias refers to a mapping or list that contains it"
            raise self.error(problem, event.start_mark)
        self.counted(anchored.count, event.start_mark)
        return self.copy(anchored.value)

    def collection(self, event: Any) -> Any:
        if len(self.path) > MAX_NESTING:
            # libyaml goes 1000 levels deep: too deep for what later walks over the values.
            problem = f"lists and mappings nested over {MAX_NESTING} levels deep"
            del self.path[MAX_NESTING:]
            raise self.error(problem, event.start_mark)
        tag = event.tag
        if type(event) is yaml.MappingStartEvent and (tag in _UNTAGGED or tag == _MAP_TAG):
            return self.mapping()
        if type(event) is yaml.SequenceStartEvent and (tag in _UNTAGGED or tag == _SEQ_TAG):
            return self.sequence()
        shown = str(tag).replace("tag:yaml.org,2002:", "!!")
        raise self.error(f"unsupported YAML tag {shown!r}", event.start_mark)

    def scalar(self, event: Any) -> Any:
        tag, text = event.tag, event.value
        if tag in _UNTAGGED:
            if not event.implicit[0]:
                return self.text(text, event)  # quoted: text whatever it looks like
            try:
                return self.plain[text]
            except KeyError:
                pass
            value = self.construct(
                self.loader.resolve(yaml.ScalarNode, text, event.implicit), event
            )
            self.plain[text] = value
            return value
        return self.construct(tag, event)

    def construct(self, tag: str, event: Any) -> Any:
        if tag in _TEXT_TAGS:
            return self.text(str(event.value), event)
        node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style)
        try:
            value = self.loader.construct_object(node)
        except (ValueError, TypeError, OverflowError, yaml.YAMLError):
            # The value is not quoted: it may be a secret given an explicit tag by mistake.
            shown = tag.replace("tag:yaml.org,2002:", "!!")
            problem = f"the value does not fit its YAML tag {shown!r}"
            raise self.error(problem, event.start_mark) from None
        return self.text(value, event) if isinstance(value, str) else value

    def text(self, value: str, event: Any) -> str:
        """A string that can be sent: the pure-Python loader lets an escape such as `\\udcff`
        write half of a UTF-16 pair, which is no character and cannot be encoded (libyaml
        refuses it)."""
        if not value.isascii():
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                problem = (
                    "an escape such as \\udcff writes half a surrogate pair, which is no character"
                )
                raise self.error(problem, event.start_mark) from None
        return value

    def sequence(self) -> list[Any]:
        items: list[Any] = []
        lines: list[int] = []
        path, following = self.path, self.next
        event = following()
        while type(event) is not yaml.SequenceEndEvent:
            lines.append(event.start_mark.line + 1)
            path.append(len(items))
            items.append(self.value(event))
            path.pop()
            event = following()
        self.tables[id(items)] = lines
        return items

    def mapping(self) -> dict[Any, Any]:
        result: dict[Any, Any] = {}
        lines: dict[Hashable, int] = {}
        merged: list[dict[Any, Any]] = []
        plain, path, following = self.plain, self.path, self.next
        event = following()
        while type(event) is not yaml.MappingEndEvent:
            key: Hashable
            if type(event) is _Scalar and event.tag is None and event.anchor is None:
                # The common case, first: a key as written, its text seen before.
                if not event.implicit[0]:
                    key = self.text(event.value, event)
                elif event.value == "<<":
                    merged.extend(self.merge_sources(following()))
                    event = following()
                    continue
                else:
                    key = plain.get(event.value, _UNSEEN)
                    if key is _UNSEEN:
                        key = self.scalar(event)
            elif self.is_merge(event):
                merged.extend(self.merge_sources(following()))
                event = following()
                continue
            else:
                key = self.key(event)
            if key in lines:  # merged keys come last: `lines` holds the written ones
                problem = f"duplicate key {key!r} (first at line {lines[key]})"
                raise self.error(problem, event.start_mark, key)
            lines[key] = event.start_mark.line + 1
            path.append(key)
            result[key] = self.value(following())
            path.pop()
            event = following()
        for source in merged:
            source_lines = self.tables.get(id(source))
            for key, value in source.items():
                if key not in result:
                    result[key] = value
                    if isinstance(source_lines, dict) and key in source_lines:
                        lines[key] = source_lines[key]
        self.tables[id(result)] = lines
        return result

    @staticmethod
    def is_merge(event: Any) -> bool:
        if type(event) is not _Scalar:
            return False
        if event.tag in _UNTAGGED:
            return event.value == "<<" and bool(event.implicit[0])
        return bool(event.tag == _MERGE_TAG)

    def key(self, event: Any) -> Hashable:
        key: Hashable
        if type(event) is _Scalar:
            # An anchored key is named for the aliases to come.
            key = self.scalar(event) if event.anchor is None else self.value(event)
            return key
        if type(event) is yaml.AliasEvent:
            return self.alias_key(event)
        raise self.error(
            "a mapping key must be a single value, not a list or mapping", event.start_mark
        )

    def alias_key(self, event: Any) -> Hashable:
        anchor: str = event.anchor
        if anchor not in self.anchors:
            raise ComposerError(None, None, f"found undefined alias {anchor!r}", event.start_mark)
        anchored = self.anchors[anchor]
        if anchored is None or isinstance(anchored.value, (dict, list)):
            raise self.error(
                "a mapping key must be a single value, not a list or mapping", event.start_mark
            )
        self.counted(1, event.start_mark)
        key: Hashable = anchored.value
        return key

    def merge_sources(self, event: Any) -> list[dict[Any, Any]]:
        """The mappings a `<<` merges, in order (each with its table of lines)."""
        # Built where the mapping stands, so that a problem inside is located there.
        value = self.value(event)
        if isinstance(value, dict):
            return [value]
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            return value
        raise self.error("'<<' merges a mapping or a list of mappings", event.start_mark)
