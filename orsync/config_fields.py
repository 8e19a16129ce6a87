"""Checks of the compared top-level fields a destination or `defaults` may set, and of `ignore`.

Values are kept as written (after `${VAR}` expansion): filling in API defaults, such as a filter
group's `logic: and`, is the diff's normalization, so that the plan shows what the file says.
The API keeps its lists of regions, filter fields, operators and logic open (new values come), so
a value orsync does not know is kept and sent, with a warning; `eu` is the API's alias of
`europe`, and is read as `europe`, which is what the API stores.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from typing import Any

from orsync import destination_types as types
from orsync.config_node import ConfigNode, kind_of, message_with_hint

COMPARED_FIELDS: tuple[str, ...] = (*types.FIELD_DEFAULTS, "regions")
"""Every field `defaults` may set; `regions` is compared only when declared."""

FILTER_LOGIC = ("and", "or")
REGION_ALIASES = types.REGION_ALIASES
"""Region names the API accepts and stores under another name."""

# A number as YAML 1.2 and JSON write it. YAML 1.1 (PyYAML) reads a float only with a dot, so
# `1e-4` arrives as text.
NUMBER_TEXT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")


def check_field(name: str, node: ConfigNode) -> Any:
    """The checked value of compared field `name` (one of COMPARED_FIELDS)."""
    return _CHECKS[name](node)


def _boolean(node: ConfigNode) -> bool:
    return node.boolean()


def _sampling_rate(node: ConfigNode) -> int | float:
    if isinstance(node.value, str) and NUMBER_TEXT.fullmatch(node.value):
        # Only a number makes sense here, so text that reads as one is that number.
        node = dataclasses.replace(node, value=float(node.value))
    rate = node.number()
    if not types.SAMPLING_MIN <= rate <= 1:
        raise node.error(f"must be between {types.SAMPLING_MIN} and 1, got {rate}")
    return rate


def _api_key_hashes(node: ConfigNode) -> list[str] | None:
    if node.value is None:
        return None
    items = node.items("null (every key) or a list of API key hashes")
    if not items:
        raise node.error("expected null (every key) or a non-empty list; an empty list is refused")
    return [item.text() for item in items]


def _regions(node: ConfigNode) -> list[str]:
    return read_regions(node, "kept and sent as written")


def read_regions(node: ConfigNode, outcome: str) -> list[str]:
    """A non-empty list of regions, aliases read as what they stand for; a region orsync does
    not know is kept, with a warning saying `outcome` (what becomes of it)."""
    items = node.items(f"a list of regions ({', '.join(types.REGIONS)})")
    if not items:
        raise node.error("expected at least one region; leave `regions` out for the API default")
    return [_region(item, outcome) for item in items]


def _region(node: ConfigNode, outcome: str) -> str:
    region = node.open_choice((*types.REGIONS, *REGION_ALIASES), "region", outcome)
    return REGION_ALIASES.get(region, region)


def _filter_rules(node: ConfigNode) -> dict[str, Any] | None:
    if node.value is None:
        return None
    fields = node.fields(("enabled", "groups"), required=("groups",))
    rules: dict[str, Any] = {}
    if "enabled" in fields:
        rules["enabled"] = fields["enabled"].boolean()
    rules["groups"] = [_filter_group(group) for group in fields["groups"].items()]
    return rules


def _filter_group(node: ConfigNode) -> dict[str, Any]:
    fields = node.fields(("logic", "rules"), required=("rules",))
    group: dict[str, Any] = {}
    if "logic" in fields:
        group["logic"] = fields["logic"].open_choice(FILTER_LOGIC, "filter logic")
    group["rules"] = [_filter_rule(rule) for rule in fields["rules"].items()]
    return group


def _filter_rule(node: ConfigNode) -> dict[str, Any]:
    fields = node.fields(("field", "operator", "value"), required=("field", "operator"))
    rule: dict[str, Any] = {
        "field": fields["field"].open_choice(types.FILTER_FIELDS, "filter field"),
        "operator": fields["operator"].open_choice(types.FILTER_OPERATORS, "filter operator"),
    }
    if "value" in fields:
        rule["value"] = _rule_value(fields["value"])
    return rule


def _rule_value(node: ConfigNode) -> str | int | float:
    if isinstance(node.value, str):
        return node.text(non_empty=False)
    if isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        return node.number()
    raise node.error(f"expected a string or a number, got {kind_of(node.value)}")


_CHECKS: dict[str, Callable[[ConfigNode], Any]] = {
    "enabled": _boolean,
    "sampling_rate": _sampling_rate,
    "privacy_mode": _boolean,
    "api_key_hashes": _api_key_hashes,
    "filter_rules": _filter_rules,
    "regions": _regions,
    **{flag: _boolean for flag in types.BROADCAST_FLAGS},
}


def check_ignore(node: ConfigNode, type_node: ConfigNode) -> tuple[str, ...]:
    """The `ignore` list: paths whose head is a compared field, `name`, or `config[.<key>]`."""
    items = node.items("a list of field paths")
    return tuple(_ignore_path(item, type_node) for item in items)


def _ignore_path(node: ConfigNode, type_node: ConfigNode) -> str:
    path = node.text()
    head, _, rest = path.partition(".")
    heads = ("name", *COMPARED_FIELDS, "config")
    if head not in heads:
        raise node.error(
            message_with_hint(f"cannot ignore {node.quoted()}: unknown field", head, heads)
        )
    if head == "config" and path != "config":
        key = rest.partition(".")[0]
        if not key:
            raise node.error(f"cannot ignore {node.quoted()}: write `config` or `config.<key>`")
        known = types.TYPES.get(type_node.text())
        keys = (*known.keys, types.HEADERS_KEY) if known is not None else (key,)
        if key not in keys:
            what = (
                f"cannot ignore {node.quoted()}: unknown config key for type {type_node.quoted()}"
            )
            raise node.error(message_with_hint(what, key, keys))
    return path
