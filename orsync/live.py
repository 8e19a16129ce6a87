"""Live state: API items checked and typed into `LiveDestination`s, and read for each workspace."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from orsync import defaults
from orsync.destination_types import BROADCAST_FLAGS, FIELD_DEFAULTS, REGIONS_DEFAULT
from orsync.errors import ApiError
from orsync.model import LiveDestination, LiveState, LiveWorkspace
from orsync.sensitive import wrap_live_config

if TYPE_CHECKING:
    from orsync.api import ApiClient

# Fields the API may leave out (newer ones); absent means the API's default.
_OPTIONAL_FIELDS: Mapping[str, Any] = {
    **{flag: False for flag in BROADCAST_FLAGS},
    "regions": list(REGIONS_DEFAULT),
}
_BOOL_FIELDS = ("enabled", "privacy_mode", *BROADCAST_FLAGS)


class _Shape:
    """Checks one item and names it in every complaint."""

    def __init__(self, item: Mapping[str, Any], where: str) -> None:
        self.item = item
        self.where = where

    def fail(self, problem: str) -> ApiError:
        return ApiError(f"unexpected API answer: {self.where}: {problem}")

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
        if not math.isfinite(value):
            raise self.fail(f"`{key}` is not a finite number")
        return value

    def string_list(self, key: str, *, nullable: bool) -> list[str] | None:
        value = self.item.get(key) if nullable else self.optional(key)
        if value is None and nullable:
            return None
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(f"`{key}` is not a list of strings")
        return list(value)

    def mapping(self, key: str, *, nullable: bool) -> Mapping[str, Any] | None:
        value = self.item.get(key)
        if value is None and nullable:
            return None
        if not isinstance(value, Mapping):
            raise self.fail(f"`{key}` is not an object")
        return value


def _nested_too_deep(value: Any) -> bool:
    """Whether lists and objects nest deeper than MAX_NESTING levels (walked without recursion:
    a JSON reader takes about 1000 levels, more than the recursive walks that follow can)."""
    stack = [(value, 0)]
    while stack:
        current, depth = stack.pop()
        if not isinstance(current, (Mapping, list)):
            continue
        if depth >= defaults.MAX_NESTING:
            return True
        children = current.values() if isinstance(current, Mapping) else current
        stack.extend((child, depth + 1) for child in children)
    return False


def parse_destination(item: Any, where: str) -> LiveDestination:
    """Check one destination item from the API and type it; raise ApiError naming what is wrong."""
    if not isinstance(item, Mapping):
        raise ApiError(f"unexpected API answer: {where} is not an object")
    if _nested_too_deep(item):
        raise ApiError(
            f"unexpected API answer: {where} nests lists and objects over "
            f"{defaults.MAX_NESTING} levels deep"
        )
    shape = _Shape(item, where)
    identifier = shape.string("id")
    assert identifier is not None
    shape.where = f"destination {identifier}"
    type_name = shape.string("type")
    assert type_name is not None
    fields: dict[str, Any] = {name: shape.boolean(name) for name in _BOOL_FIELDS}
    fields["sampling_rate"] = shape.number("sampling_rate")
    fields["api_key_hashes"] = shape.string_list("api_key_hashes", nullable=True)
    fields["filter_rules"] = shape.mapping("filter_rules", nullable=True)
    fields["regions"] = shape.string_list("regions", nullable=False)
    ordered = {name: fields[name] for name in (*FIELD_DEFAULTS, "regions")}
    config = shape.mapping("config", nullable=False)
    assert config is not None
    return LiveDestination(
        id=identifier,
        workspace_id=shape.string("workspace_id", optional=True),
        name=shape.string("name", optional=True),
        type=type_name,
        fields=ordered,
        config=wrap_live_config(type_name, config),
        raw=dict(item),
    )


def parse_workspace(workspace_id: str | None, items: Sequence[Any]) -> LiveWorkspace:
    """Type the list of items of one workspace."""
    label = workspace_id or "default workspace"
    parsed = tuple(
        parse_destination(item, f"{label}, item {index}") for index, item in enumerate(items)
    )
    return LiveWorkspace(workspace_id, parsed)


def read_live(
    client: ApiClient,
    workspace_ids: Sequence[str | None],
    *,
    concurrency: int = defaults.CONCURRENCY,
) -> LiveState:
    """List the destinations of every workspace, several workspaces at a time."""
    if len(workspace_ids) <= 1 or concurrency <= 1:
        lists = [client.list_destinations(w) for w in workspace_ids]
    else:
        with ThreadPoolExecutor(max_workers=min(concurrency, len(workspace_ids))) as pool:
            lists = list(pool.map(client.list_destinations, workspace_ids))
    pairs = zip(workspace_ids, lists, strict=True)
    return LiveState(tuple(parse_workspace(w, items) for w, items in pairs))
