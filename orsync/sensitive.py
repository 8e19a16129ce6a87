"""Which `config` values are secret, and the walks over config trees that keep them hidden.

A value is secret when it sits under a secret key of its type (destination_types.py), anywhere under
`headers`, or, for a type orsync does not know, under any key whose name suggests a
credential. The same rule serves the live side (values wrapped as `Secret`s), snapshots (values
masked) and the plan (trees flattened into `config.a.b` paths), so they cannot disagree.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from orsync import masking
from orsync.destination_types import HEADERS_KEY, TYPES, is_secret_key, looks_secret
from orsync.model import Secret, SecretOrigin

ConfigPath = tuple[str, ...]


def is_secret_path(type_name: str, path: ConfigPath) -> bool:
    """Whether the config value at `path` (`("headers", "Authorization")`) is secret."""
    if not path:
        return False
    if path[0] == HEADERS_KEY or is_secret_key(type_name, path[0]):
        return True
    return type_name not in TYPES and any(looks_secret(segment) for segment in path)


def _map_secrets(
    type_name: str, config: Mapping[str, Any], secret: Callable[[str], Any]
) -> dict[str, Any]:
    """A copy of the config with `secret(text)` in place of every secret string, at any depth.

    Secret strings are those at a secret path, and URLs that carry credentials wherever they
    are. Numbers and booleans stay as they are: they are settings (`tokenTtl: 3600`).
    """

    def walk(path: ConfigPath, value: Any) -> Any:
        if isinstance(value, Mapping):
            return {str(k): walk((*path, str(k)), v) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(path, item) for item in value]
        if isinstance(value, str) and (
            is_secret_path(type_name, path) or masking.has_url_credentials(value)
        ):
            return secret(value)
        return value

    return {str(k): walk((str(k),), v) for k, v in config.items()}


def wrap_live_config(type_name: str, config: Mapping[str, Any]) -> dict[str, Any]:
    """The live config with every secret wrapped as a LIVE `Secret`, so it cannot be printed."""
    return _map_secrets(type_name, config, lambda text: Secret(SecretOrigin.LIVE, text))


def mask_config(type_name: str, config: Mapping[str, Any]) -> dict[str, Any]:
    """The config with every secret replaced by its mask, for files kept on disk."""
    return _map_secrets(type_name, config, masking.mask_for_file)


def flatten_config(config: Mapping[str, Any]) -> Iterator[tuple[str, Any]]:
    """`("config.headers.Authorization", value)` for every leaf under the config's mappings."""

    def walk(prefix: str, value: Any) -> Iterator[tuple[str, Any]]:
        if isinstance(value, Mapping) and value:
            for key, item in value.items():
                yield from walk(f"{prefix}.{key}", item)
        else:
            yield prefix, value

    for key, value in config.items():
        yield from walk(f"config.{key}", value)


def has_secret(value: Any) -> bool:
    """Whether a value holds a `Secret` anywhere inside."""
    if isinstance(value, Secret):
        return True
    if isinstance(value, Mapping):
        return any(has_secret(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(has_secret(v) for v in value)
    return False
