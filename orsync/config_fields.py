"""Checks of the compared top-level fields a destination or `defaults` may set, and of `ignore`.

Values are kept as written (after `${VAR}` expansion): filling in API defaults, such as a filter
group's `logic: and`, is the diff's normalization, so that the plan shows what the file says.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from orsync import destination_types as types
from orsync.config_node import ConfigNode, describe, unknown

COMPARED_FIELDS: tuple[str, ...] = (*types.FIELD_DEFAULTS, "regions")
"""Every field `defaults` may set; `regions` is compared only when declared."""

FILTER_LOGIC = ("and", "or")


def check_field(name: str, node: ConfigNode) -> Any:
    """The checked value of compared field `name` (one of COMPARED_FIELDS)."""
    return _CHECKS[name](node)


def _boolean(node: ConfigNode) -> bool:
    return node.boolean()


def _sampling_rate(node: ConfigNode) -> int | float:
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
    items = node.items(f"a list of regions ({', '.join(types.REGIONS)})")
    if not items:
        raise node.error("expected at least one region; leave `regions` out for the API default")
    return [item.choice(types.REGIONS, "region") for item in items]


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
        group["logic"] = fields["logic"].choice(FILTER_LOGIC, "logic")
    group["rules"] = [_filter_rule(rule) for rule in fields["rules"].items()]
    return group


def _filter_rule(node: ConfigNode) -> dict[str, Any]:
    fields = node.fields(("field", "operator", "value"), required=("field", "operator"))
    rule: dict[str, Any] = {
        "field": fields["field"].choice(types.FILTER_FIELDS, "field"),
        "operator": fields["operator"].choice(types.FILTER_OPERATORS, "operator"),
    }
    if "value" in fields:
        rule["value"] = _rule_value(fields["value"])
    return rule


def _rule_value(node: ConfigNode) -> str | int | float:
    if isinstance(node.value, str):
        return node.text(non_empty=False)
    if isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        return node.value
    raise node.error(f"expected a string or a number, got {describe(node.value)}")


_CHECKS: dict[str, Callable[[ConfigNode], Any]] = {
    "enabled": _boolean,
    "sampling_rate": _sampling_rate,
    "privacy_mode": _boolean,
    "api_key_hashes": _api_key_hashes,
    "filter_rules": _filter_rules,
    "regions": _regions,
    **{flag: _boolean for flag in types.BROADCAST_FLAGS},
}


def check_ignore(node: ConfigNode, type_name: str) -> tuple[str, ...]:
    """The `ignore` list: paths whose head is a compared field, `name`, or `config[.<key>]`."""
    return tuple(_ignore_path(item, type_name) for item in node.items("a list of field paths"))


def _ignore_path(node: ConfigNode, type_name: str) -> str:
    path = node.text()
    head, _, rest = path.partition(".")
    heads = ("name", *COMPARED_FIELDS, "config")
    if head not in heads:
        raise node.error(unknown(f"cannot ignore {path!r}: unknown field", head, heads))
    if head == "config" and path != "config":
        key = rest.partition(".")[0]
        if not key:
            raise node.error(f"cannot ignore {path!r}: write `config` or `config.<key>`")
        known = types.TYPES.get(type_name)
        keys = (*known.keys, types.HEADERS_KEY) if known is not None else (key,)
        if key not in keys:
            what = f"cannot ignore {path!r}: unknown config key for type {type_name}"
            raise node.error(unknown(what, key, keys))
    return path
