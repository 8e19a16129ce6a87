"""The table of destination types and their config keys, and the top-level destination fields.

Data, not branches: the table itself is `destination_types.toml`, and everything type-specific
in orsync (the loader, the diff, apply) reads it from here. Defaults are the ones the API
documentation names; whether the server fills them in is not known, so a declared default
matches an absent key and a filled-in default matches a key the file leaves out
(docs/config.md).
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any


@dataclass(frozen=True)
class ConfigKey:
    """One `config` key of a destination type.

    `default` is the documented default (`has_default` tells it from None); `values` is a
    closed list of allowed values (empty: any); `server_made` keys are made by the server:
    compared when declared, never sent.
    """

    name: str
    required: bool = False
    secret: bool = False
    default: Any = None
    has_default: bool = False
    values: tuple[str, ...] = ()
    server_made: bool = False


@dataclass(frozen=True)
class DestinationType:
    """A destination type and its config keys."""

    name: str
    keys: Mapping[str, ConfigKey] = field(default_factory=dict)

    def required_keys(self) -> tuple[str, ...]:
        return self._required

    @cached_property
    def _required(self) -> tuple[str, ...]:
        return tuple(k.name for k in self.keys.values() if k.required)


_KEY_FIELDS = frozenset({"required", "secret", "default", "values", "server_made"})


def _config_key(type_name: str, name: str, spec: Mapping[str, Any]) -> ConfigKey:
    unknown = set(spec) - _KEY_FIELDS
    if unknown:
        raise ValueError(f"destination_types.toml: {type_name}.{name}: unknown {sorted(unknown)}")
    return ConfigKey(
        name,
        required=bool(spec.get("required", False)),
        secret=bool(spec.get("secret", False)),
        default=spec.get("default"),
        has_default="default" in spec,
        values=tuple(spec.get("values", ())),
        server_made=bool(spec.get("server_made", False)),
    )


def _load_types() -> dict[str, DestinationType]:
    """The table in destination_types.toml, beside this module: data a person reads at a glance."""
    path = os.path.join(os.path.dirname(__file__), "destination_types.toml")
    with open(path, encoding="utf-8") as stream:
        table = tomllib.loads(stream.read())
    return {
        type_name: DestinationType(
            type_name, {name: _config_key(type_name, name, spec) for name, spec in keys.items()}
        )
        for type_name, keys in table.items()
    }


# Every type also takes `headers` (string map, values treated as secret); see HEADERS_KEY.
HEADERS_KEY = "headers"

TYPES: Mapping[str, DestinationType] = _load_types()

# For types orsync does not know, a key whose name has one of these words is treated as secret,
# so that a new type's credentials are never printed.
_SECRET_WORDS = (
    "key",
    "secret",
    "token",
    "pass",
    "dsn",
    "cred",
    "auth",
    "bearer",
    "private",
    "cert",
    "signature",
    "connection",
    "json",
)


def looks_secret(name: str) -> bool:
    """Whether a key's name suggests it holds a credential (for types orsync does not know)."""
    lowered = name.lower()
    return any(word in lowered for word in _SECRET_WORDS)


def is_secret_key(type_name: str, key: str) -> bool:
    """Whether `config.<key>` of a destination of `type_name` holds a secret."""
    known = TYPES.get(type_name)
    if known is not None and key in known.keys:
        return known.keys[key].secret
    # A key the table does not list (an unknown type's, or one the API added to a known type)
    # is secret when its name suggests a credential: the table may lag behind the API.
    return looks_secret(key)


def is_server_made(type_name: str, key: str) -> bool:
    """Whether `config.<key>` is made by the server: compared when declared, never sent."""
    known = TYPES.get(type_name)
    return known is not None and key in known.keys and known.keys[key].server_made


def documented_default(type_name: str, key: str) -> tuple[bool, Any]:
    """`(True, value)` when the documentation names a default for `config.<key>`."""
    known = TYPES.get(type_name)
    if known is None or key not in known.keys:
        return False, None
    spec = known.keys[key]
    return spec.has_default, spec.default


# Top-level destination fields compared by the diff, and the API's create defaults.
BROADCAST_FLAGS = (
    "broadcast_generation_cost",
    "broadcast_generation_identity",
    "broadcast_generation_request_context",
    "broadcast_generation_cost_allocation",
)
FIELD_DEFAULTS: Mapping[str, Any] = {
    "enabled": True,
    "sampling_rate": 1,
    "privacy_mode": False,
    "api_key_hashes": None,
    "filter_rules": None,
    **{flag: False for flag in BROADCAST_FLAGS},
}
# `regions` is compared only when declared; absent live it means the API default.
REGIONS_DEFAULT = ("global",)
REGIONS = ("global", "europe", "us")
# Names the API takes for a region and stores as another.
REGION_ALIASES: Mapping[str, str] = {"eu": "europe"}
FILTER_FIELDS = (
    "model",
    "provider",
    "session_id",
    "user_id",
    "api_key_name",
    "finish_reason",
    "input",
    "output",
    "total_cost",
    "total_tokens",
    "prompt_tokens",
    "completion_tokens",
)
FILTER_OPERATORS = (
    "equals",
    "not_equals",
    "contains",
    "not_contains",
    "regex",
    "starts_with",
    "ends_with",
    "gt",
    "lt",
    "gte",
    "lte",
    "exists",
    "not_exists",
)
SAMPLING_MIN = 0.0001
