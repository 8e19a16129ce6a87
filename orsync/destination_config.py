"""Checks of a destination's `config` mapping against its type, turning secrets into `Secret`s.

A known type's keys come from `types.TYPES` (plus `headers`); an unknown type's config is kept
as written, since the API adds types faster than orsync learns them. Secret positions are
`types.is_secret_key` and every value of `headers`. A secret is never empty: a variable set to
nothing (as CI sets a secret it does not have) is an error naming it. A key whose values the API
keeps closed (`ConfigKey.values`) takes one of them: a typo is an error with a hint.
"""

from __future__ import annotations

import re
from typing import Any

from orsync import destination_types as types
from orsync import masking
from orsync.config_node import ConfigNode, kind_of, message_with_hint
from orsync.model import Secret, SecretOrigin
from orsync.sensitive import ConfigPath, is_secret_path, remember_secret

PLAIN_SECRET_WARNING = "secret written in plain text; use ${VAR}"

_SNAKE_TAIL = re.compile(r"_([a-z0-9])")


def read_destination_config(
    node: ConfigNode | None, type_name: str, owner: ConfigNode
) -> dict[str, Any]:
    """The declared `config` of a destination of `type_name`; `owner` is the destination.

    `node` is None when the destination has no `config`. A required key of a known type that
    is left out draws a warning, not an error: users may declare only what they want compared.
    """
    known = types.TYPES.get(type_name)
    entries = {} if node is None else node.entries()
    config: dict[str, Any] = {}
    for key, child in entries.items():
        if key == types.HEADERS_KEY:
            config[key] = _headers(child)
        elif known is not None and key not in known.keys:
            raise child.error(_unknown_key(key, known, owner.child("type").quoted()))
        elif known is None:
            config[key] = _unknown_type_value(child, type_name, (key,))
        elif (spec := known.keys[key]).secret:
            config[key] = read_secret(child)
        else:
            _check_closed_list(child, type_name, spec)
            config[key] = _single_value(child)
    for key in known.required_keys() if known is not None else ():
        if key not in config:
            (node or owner).warn(
                f"config.{key} is not declared: it is not compared, "
                "and apply will refuse to create this destination without it"
            )
    return config


def read_secret(node: ConfigNode) -> Secret:
    """A value at a secret position: from `${VAR}`, a masked pin, or plain text (warned)."""
    if not isinstance(node.value, str):
        raise node.error(f"expected a string (a secret), got {kind_of(node.value)}")
    expansion = node.expansion()
    if expansion.blank:
        name = expansion.blank[0]
        raise node.error(f"environment variable {name} is empty: a secret cannot be empty")
    text = expansion.text
    if text is not None and not text.strip():
        raise node.error("expected a secret, got an empty string")
    if text is not None and masking.is_pin(text):
        # A mask (written here, or held by the variable) is a pin: compared, never sent.
        return Secret(SecretOrigin.PIN, text, expansion.variables)
    if expansion.variables or text is None:
        # An unset variable is no error here: plan reports the secret "not verified".
        return Secret(SecretOrigin.ENV, text, expansion.variables)
    node.warn(PLAIN_SECRET_WARNING)
    remember_secret(text)
    return Secret(SecretOrigin.PLAIN, text)


def _headers(node: ConfigNode) -> dict[str, Secret]:
    """`headers`: a mapping of header name to value; values are treated as secrets.

    Header names are case-insensitive: two names that differ only in case are one header.
    """
    headers: dict[str, Secret] = {}
    seen: dict[str, str] = {}
    for name, value in node.entries().items():
        if name.lower() in seen:
            raise value.error(
                f"header {name!r} is declared twice (also as {seen[name.lower()]!r}): "
                "header names do not depend on case"
            )
        seen[name.lower()] = name
        headers[name] = read_secret(value)
    return headers


def _plain_or_environment(node: ConfigNode) -> Any:
    """A value at a position that is not secret.

    A string built from `${VAR}` is still kept as a secret (`https://user:${PASSWORD}@host`):
    the environment is where secrets live, so what comes from it is never printed.
    """
    if not isinstance(node.value, str):
        return node.plain()
    expansion = node.expansion()
    if expansion.text is not None and masking.is_masked_url(expansion.text):
        return Secret(SecretOrigin.PIN, expansion.text, expansion.variables)
    if expansion.variables:
        return Secret(SecretOrigin.ENV, expansion.text, expansion.variables)
    if expansion.text is not None and masking.has_url_credentials(expansion.text):
        node.warn("credentials written in plain text in a URL; use ${VAR} for them")
        remember_secret(expansion.text)
        return Secret(SecretOrigin.PLAIN, expansion.text)
    return expansion.text


def _check_closed_list(node: ConfigNode, type_name: str, spec: types.ConfigKey) -> None:
    """A key whose values the API keeps closed (webhook `method`) takes one of them.

    A value from an unset variable is left to plan, as every `config` value is.
    """
    if not spec.values:
        return
    if isinstance(node.value, str) and node.expansion().text is None:
        return
    node.choice(spec.values, f"{type_name} {spec.name}")


def _single_value(node: ConfigNode) -> Any:
    if isinstance(node.value, (list, dict)):
        kind = kind_of(node.value)
        raise node.error(f"expected a single value (text, number, true/false or null), got {kind}")
    return _plain_or_environment(node)


def _unknown_type_value(node: ConfigNode, type_name: str, path: ConfigPath) -> Any:
    """A config value of an unknown type, as written, with secrets found at any depth."""
    if isinstance(node.value, dict):
        return {
            key: _unknown_type_value(child, type_name, (*path, key))
            for key, child in node.entries().items()
        }
    if isinstance(node.value, list):
        return [_unknown_type_value(item, type_name, path) for item in node.items()]
    if isinstance(node.value, str) and is_secret_path(type_name, path):
        return read_secret(node)
    return _plain_or_environment(node)


def _unknown_key(key: str, known: types.DestinationType, type_shown: str) -> str:
    what = f"unknown config key for type {type_shown}"
    camel = _SNAKE_TAIL.sub(lambda found: found.group(1).upper(), key)
    if camel != key and camel in known.keys:
        return f"{what}, did you mean {camel!r}? (the API wants camelCase)"
    return message_with_hint(what, key, (*known.keys, types.HEADERS_KEY))
