"""Live state: API items checked and typed into `LiveDestination`s, and read for each workspace."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from orsync import defaults
from orsync.destination_types import (
    BROADCAST_FLAGS,
    FIELD_DEFAULTS,
    REGION_ALIASES,
    REGIONS_DEFAULT,
)
from orsync.errors import UnexpectedAnswer
from orsync.model import LiveDestination, LiveState, LiveWorkspace
from orsync.sensitive import wrap_live_config

if TYPE_CHECKING:
    from orsync.api import ApiClient, Listing

# Fields the API may leave out (newer ones); absent means the API's default.
_OPTIONAL_FIELDS: Mapping[str, Any] = {
    **{flag: False for flag in BROADCAST_FLAGS},
    "regions": list(REGIONS_DEFAULT),
}
_BOOL_FIELDS = ("enabled", "privacy_mode", *BROADCAST_FLAGS)
# A destination is a few levels deep (filter_rules.groups[].rules[].value is 6): far deeper is
# no destination, and would only exhaust the recursion of what compares it.
_MAX_DEPTH = defaults.MAX_NESTING
# Beyond this an integer is no longer exact as a JSON number (a double), and it compares as a
# float: far beyond, converting it overflows. The config refuses the same (config_node).
_MAX_EXACT_INTEGER = defaults.MAX_EXACT_INTEGER


def _is_text(value: str) -> bool:
    """Whether a string can be written out: JSON's `\\ud800` escapes decode to lone halves
    of a surrogate pair, which no terminal, file or request can carry."""
    if value.isascii():
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _value_problem(value: Any) -> str | None:
    """What makes a JSON value unfit to compare, naming where, not the value (it may be secret).

    Python's json reads NaN, Infinity and integers of any length, none of which a destination
    holds. Walked without recursion, so that no depth can crash it.
    """
    stack: list[tuple[Any, str, int]] = [(value, "", 0)]
    while stack:
        current, path, depth = stack.pop()
        where = f"`{path}`" if path else "the value"
        if depth >= _MAX_DEPTH and isinstance(current, (Mapping, list)):
            # Named by its first key only: the whole path would be as long as the nesting.
            top = re.split(r"[.\[]", path, maxsplit=1)[0]
            return f"`{top}` nests lists and objects over {_MAX_DEPTH} levels deep"
        if isinstance(current, float) and not math.isfinite(current):
            return f"{where} is not a finite number"
        if isinstance(current, int) and not -_MAX_EXACT_INTEGER <= current <= _MAX_EXACT_INTEGER:
            return f"{where} is a number too large to compare exactly"
        if isinstance(current, str) and not _is_text(current):
            return f"{where} holds text that is not valid Unicode (a lone surrogate escape)"
        if isinstance(current, Mapping):
            if not all(_is_text(str(k)) for k in current):
                return f"a key in {where} is not valid Unicode (a lone surrogate escape)"
            children = [(v, f"{path}.{k}" if path else str(k)) for k, v in current.items()]
        elif isinstance(current, list):
            children = [(v, f"{path}[{i}]") for i, v in enumerate(current)]
        else:
            continue
        stack.extend((child, child_path, depth + 1) for child, child_path in reversed(children))
    return None


def _whole_floats_read_back(value: Any, depth: int = 0) -> Any:
    """`value` with each integer beyond 2**53 that a 64-bit float holds exactly read as that
    float: a server that writes JSON as JavaScript does answers the float 1.5e+20 that orsync
    sent as 150000000000000000000. Any other such integer is left for `_value_problem` to name,
    and so is what nests too deep."""
    if depth > _MAX_DEPTH:
        return value
    if type(value) is dict:
        return {key: _whole_floats_read_back(item, depth + 1) for key, item in value.items()}
    if type(value) is list:
        return [_whole_floats_read_back(item, depth + 1) for item in value]
    if type(value) is int and not -_MAX_EXACT_INTEGER <= value <= _MAX_EXACT_INTEGER:
        try:
            whole = float(value)
        except OverflowError:
            return value
        return whole if int(whole) == value else value
    return value


def _fits(value: Any, depth: int = 0) -> bool:
    """Whether `_value_problem` would find nothing: the quick check every item goes through,
    so that the walk naming a problem (and building every path it could name) runs only for
    an item that has one. Anything it does not know for sure is left to that walk."""
    kind = type(value)
    if depth >= _MAX_DEPTH and (kind is dict or kind is list):
        return False
    if kind is str:
        return value.isascii() or _is_text(value)
    if kind is dict:
        if depth == _MAX_DEPTH:
            return not value  # anything inside would be too deep
        for key, item in value.items():
            if type(key) is not str or not (key.isascii() or _is_text(key)):
                return False
            # Text, true/false and null, the most of what an item holds, without a call.
            if type(item) is str:
                if not (item.isascii() or _is_text(item)):
                    return False
            elif not (item is None or type(item) is bool or _fits(item, depth + 1)):
                return False
        return True
    if kind is list:
        return all(_fits(item, depth + 1) for item in value)
    if kind is float:
        return math.isfinite(value)
    if kind is int:
        return bool(-_MAX_EXACT_INTEGER <= value <= _MAX_EXACT_INTEGER)
    return kind is bool or value is None


class _Shape:
    """Checks one item and names it in every complaint: by its id once that can be shown,
    else by its place in the list (`where`, or `where, item <index>`)."""

    def __init__(self, item: Mapping[str, Any], where: str, index: int | None = None) -> None:
        self.item = item
        self.place = where
        self.index = index
        self.identifier: str | None = None

    @property
    def where(self) -> str:
        if self.identifier is not None:
            return f"destination {self.identifier}"
        return self.place if self.index is None else f"{self.place}, item {self.index}"

    def fail(self, problem: str) -> UnexpectedAnswer:
        return UnexpectedAnswer(f"{self.where}: {problem}")

    def optional(self, key: str) -> Any:
        """The value, or the API's default when a newer field is absent or null."""
        value = self.item.get(key)
        return _OPTIONAL_FIELDS.get(key) if value is None else value

    def string(self, key: str, *, optional: bool = False) -> str | None:
        value = self.item.get(key)
        if value is None and optional:
            return None
        if not isinstance(value, str) or not (value or optional):
            raise self.fail(f"`{key}` is not a non-empty string")
        return value

    def boolean(self, key: str) -> bool:
        value = self.optional(key)
        if not isinstance(value, bool):
            raise self.fail(f"`{key}` is not true or false")
        return value

    def number(self, key: str) -> float | int:
        value = self.item.get(key)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.fail(f"`{key}` is not a number")
        return value  # finite and in range: parse_destination checked every value first

    def string_list(self, key: str, *, nullable: bool = False) -> list[str] | None:
        value = self.item.get(key) if nullable else self.optional(key)
        if value is None and nullable:
            return None
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(f"`{key}` is not a list of strings")
        return list(value)

    def key_hashes(self, key: str) -> list[str] | None:
        return self.string_list(key, nullable=True)

    def regions(self, key: str) -> list[str]:
        """The regions as the API stores them, should it ever answer with an alias."""
        regions = self.string_list(key, nullable=False) or []
        return [REGION_ALIASES.get(region, region) for region in regions]

    def filter_rules(self, key: str) -> Mapping[str, Any] | None:
        return self.mapping(key, nullable=True)

    def mapping(self, key: str, *, nullable: bool) -> Mapping[str, Any] | None:
        value = self.item.get(key)
        if value is None and nullable:
            return None
        if not isinstance(value, Mapping):
            raise self.fail(f"`{key}` is not an object")
        return value


def parse_destination(item: Any, where: str) -> LiveDestination:
    """Check one destination item from the API and type it; raise UnexpectedAnswer naming
    what is wrong."""
    return _parse(item, _Shape(item, where))


def _parse(item: Any, shape: _Shape) -> LiveDestination:
    if type(item) is not dict and not isinstance(item, Mapping):
        raise UnexpectedAnswer(f"{shape.where} is not an object")
    identifier = shape.string("id")
    assert identifier is not None
    if _is_text(identifier):
        # Else the id itself is the problem the check below names, and it cannot be shown.
        shape.identifier = identifier
    if not _fits(item):
        item = shape.item = _whole_floats_read_back(item)
        problem = _value_problem(item)
        if problem:
            raise shape.fail(problem)
    type_name = shape.string("type")
    assert type_name is not None
    fields: dict[str, Any] = {}
    for name, read in _FIELD_READERS:
        value = item.get(name)
        # true or false where a flag is, the most of the fields: taken without a call.
        fields[name] = value if type(value) is bool and name in _FLAGS else read(shape, name)
    config = shape.mapping("config", nullable=False)
    assert config is not None
    return LiveDestination(
        id=identifier,
        workspace_id=shape.string("workspace_id", optional=True),
        name=shape.string("name", optional=True),
        type=type_name,
        fields=fields,
        config=wrap_live_config(type_name, config),
        raw=item if type(item) is dict else dict(item),  # read only: no copy needed
        updated_at=_text_or_none(item.get("updated_at")),
    )


# How each compared field is read, in the order of FIELD_DEFAULTS, then `regions`.
_READERS: Mapping[str, Callable[[_Shape, str], Any]] = {
    **{flag: _Shape.boolean for flag in _BOOL_FIELDS},
    "sampling_rate": _Shape.number,
    "api_key_hashes": _Shape.key_hashes,
    "filter_rules": _Shape.filter_rules,
    "regions": _Shape.regions,
}
_FIELD_READERS = tuple((name, _READERS[name]) for name in (*FIELD_DEFAULTS, "regions"))
_FLAGS = frozenset(_BOOL_FIELDS)


def _text_or_none(value: Any) -> str | None:
    """A timestamp only shown to people: one of another type is dropped, never an error."""
    return value if isinstance(value, str) else None


def parse_workspace(
    workspace_id: str | None, items: Sequence[Any], warnings: Sequence[str] = ()
) -> LiveWorkspace:
    """Type the list of items of one workspace; `warnings` are what reading it found."""
    label = workspace_id or "default workspace"
    parsed = tuple(_parse(item, _Shape(item, label, index)) for index, item in enumerate(items))
    return LiveWorkspace(workspace_id, parsed, tuple(warnings))


def read_live(
    client: ApiClient,
    workspace_ids: Sequence[str | None],
    *,
    progress: Callable[[int, int], None] | None = None,
    arrived: Callable[[LiveWorkspace], None] | None = None,
) -> LiveState:
    """List the destinations of every workspace, several at a time (as many requests in flight
    as the client allows); `progress(done, total)` hears of each workspace read.

    Each workspace is typed as soon as it is read, while the requests of others are in flight,
    and handed to `arrived`, in this thread, for what can be done with it then.
    """
    typed: dict[int, LiveWorkspace] = {}

    def came(index: int, listing: Listing) -> None:
        workspace = parse_workspace(workspace_ids[index], listing.items, listing.warnings)
        typed[index] = workspace
        if arrived is not None:
            arrived(workspace)

    client.read_workspaces(workspace_ids, progress=progress, arrived=came)
    return LiveState(tuple(typed[index] for index in range(len(workspace_ids))))
