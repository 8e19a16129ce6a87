"""The config's `policy:` block, checked into a `Policy` (docs/config.md, Policy).

Every rule is optional; a rule's value is checked here, with `file:line` errors like every other
key. What the rules mean, and the checks against destinations, are in orsync.policy.
"""

from __future__ import annotations

import re

from orsync import destination_types as types
from orsync.config_fields import check_field, read_regions
from orsync.config_node import ConfigNode
from orsync.model import Policy, Source

POLICY_KEYS = (
    "privacy_mode",
    "max_sampling_rate",
    "allowed_types",
    "required_types",
    "allowed_hosts",
    "allowed_regions",
    "api_key_allowlist",
    "identity_broadcast",
    "plaintext_secrets",
)
"""The rules, in the order of docs/config.md; each is the `rule` of its violations."""

REQUIRED, OPTIONAL = "required", "optional"
FORBID, ALLOW = "forbid", "allow"
# What becomes of a type or region orsync does not know, in a rule: a policy is never sent.
KEPT = "the policy keeps it as written"
# A host name, or a pattern of one: fnmatch's `*`, `?` and `[...]`, no scheme, port or path.
HOST_PATTERN = re.compile(r"[a-z0-9.*?\[\]!_-]+")


def read_policy(node: ConfigNode) -> Policy:
    """The checked `policy:` mapping; an unknown rule is an error with a hint."""
    if node.value is None:
        raise node.error("expected a mapping of policy rules, got null (leave `policy` out)")
    rules = node.fields(POLICY_KEYS)
    allowed_types = None
    if "allowed_types" in rules:
        allowed_types = _unique([t for _, t in _types(rules["allowed_types"], empty=False)])
    required_types: tuple[str, ...] = ()
    if "required_types" in rules:
        required = _types(rules["required_types"], empty=True)
        for item, type_name in required:
            if allowed_types is not None and type_name not in allowed_types:
                raise item.error(
                    f"required type {type_name!r} is not in allowed_types: no workspace could "
                    "keep both rules"
                )
        required_types = _unique([t for _, t in required])
    max_rate = rules.get("max_sampling_rate")
    hosts = rules.get("allowed_hosts")
    regions = rules.get("allowed_regions")
    return Policy(
        source=Source(node.context.file, node.line),
        privacy_mode_required=_switch(rules, "privacy_mode", REQUIRED, OPTIONAL),
        max_sampling_rate=None if max_rate is None else check_field("sampling_rate", max_rate),
        allowed_types=allowed_types,
        required_types=required_types,
        allowed_hosts=None if hosts is None else _hosts(hosts),
        allowed_regions=None if regions is None else _unique(read_regions(regions, KEPT)),
        api_key_allowlist_required=_switch(rules, "api_key_allowlist", REQUIRED, OPTIONAL),
        identity_broadcast_forbidden=_switch(rules, "identity_broadcast", FORBID, ALLOW),
        plaintext_secrets_forbidden=_switch(rules, "plaintext_secrets", FORBID, ALLOW),
    )


def _unique(values: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))


def _switch(rules: dict[str, ConfigNode], key: str, on: str, off: str) -> bool:
    """A rule that is on or off: `required`/`optional`, or `forbid`/`allow`."""
    if key not in rules:
        return False
    return rules[key].choice((on, off), f"value for {key}") == on


def _types(node: ConfigNode, *, empty: bool) -> list[tuple[ConfigNode, str]]:
    """Each item of a list of types, with the type it names."""
    items = node.items("a list of destination types")
    if not items and not empty:
        raise node.error("expected at least one type; leave the rule out to allow every type")
    return [(item, item.open_choice(tuple(types.TYPES), "type", KEPT)) for item in items]


def _hosts(node: ConfigNode) -> tuple[str, ...]:
    items = node.items("a list of hosts or host patterns such as *.langfuse.com")
    if not items:
        raise node.error("expected at least one host; leave the rule out to allow every host")
    return tuple(dict.fromkeys(_host(item) for item in items))


def _host(node: ConfigNode) -> str:
    pattern = node.text().strip().lower()
    if not HOST_PATTERN.fullmatch(pattern):
        raise node.error(
            f"expected a host or host pattern such as *.langfuse.com (no scheme, port or "
            f"path), got {node.quoted()}"
        )
    return pattern
