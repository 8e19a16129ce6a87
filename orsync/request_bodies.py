"""Request bodies for apply: what a create or an update sends, and what cannot be sent.

Only what differs is sent. A secret is sent only when orsync knows it in clear: a masked pin or
an unset variable never reaches the API (PATCH keeps the current value of a key left out). A
key the server makes (`s3.externalId`) is compared, never sent.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from orsync import destination_types as types
from orsync.errors import ApplyError
from orsync.model import DesiredDestination
from orsync.normalize import align_header_names, names_twice_in_any_case
from orsync.plan import Change
from orsync.sensitive import clear_value, flatten_config, has_unknown_secret, public_value

SERVER_MADE_UPDATE = (
    "is made by OpenRouter and cannot be changed: write the live value (the plan shows it) "
    "in the file, or leave the key out"
)
SERVER_MADE_CREATE = (
    "is made by OpenRouter when the destination is saved and cannot be set: leave it out to "
    "create the destination, then copy the live value from `orsync plan`"
)


def unknown_secrets(config: Mapping[str, Any]) -> list[str]:
    """`config.x is <mask>` for every secret inside that orsync does not know in clear."""
    return [
        f"{path} is {public_value(value)}"
        for path, value in flatten_config(config)
        if has_unknown_secret(value)
    ]


def create_body(desired: DesiredDestination) -> dict[str, Any]:
    """The POST body for a declared destination; refuses to send a mask or an unset secret."""
    unknown = unknown_secrets(desired.config)
    if unknown:
        raise ApplyError(f"{desired.source}: {desired.name}: {unknown[0]}")
    body: dict[str, Any] = {"type": desired.type, "name": desired.name}
    if desired.workspace_id is not None:
        body["workspace_id"] = desired.workspace_id
    body.update({k: clear_value(v) for k, v in desired.fields.items()})
    sendable = {
        k: v for k, v in desired.config.items() if not types.is_server_made(desired.type, k)
    }
    body["config"] = clear_value(sendable)
    return body


def update_body(change: Change) -> tuple[dict[str, Any], list[str]]:
    """The PATCH body: only the differing fields and config keys; and what cannot be sent.

    The API merges `config` key by key and keeps a key left out, so only differing keys are
    sent. A key holding a mapping (`headers`) or a list is sent whole: whether PATCH merges or
    replaces inside it is not documented. So it is sent only when every value in it is known
    in clear and it covers every entry live has; otherwise it is reported as unsendable rather
    than sent with masks, or sent in part and left to lose entries. `headers` is compared
    whole, so a live header the file leaves out is drift: it is sent as null, to go.
    """
    assert change.desired is not None
    desired = change.desired
    live_config = change.live.raw.get("config") if change.live is not None else None
    live_config = live_config if isinstance(live_config, Mapping) else {}
    body: dict[str, Any] = {}
    config: dict[str, Any] = {}
    unsendable: list[str] = []
    seen: set[str] = set()
    for diff in change.fields:
        if diff.config_key is None:
            body[diff.path] = desired.name if diff.path == "name" else desired.fields[diff.path]
            continue
        key = diff.config_key
        if key in seen:
            continue
        seen.add(key)
        if types.is_server_made(desired.type, key):
            unsendable.append(f"config.{key} {SERVER_MADE_UPDATE}")
            continue
        live_value = live_config.get(key)
        if key == types.HEADERS_KEY:
            live_value = align_header_names(desired.config[key], live_value)
        problem = _unsendable(key, desired.config[key], live_value, desired.ignore)
        if problem:
            unsendable.append(f"cannot update config.{key}: {problem}")
        elif key == types.HEADERS_KEY and isinstance(live_config.get(key), Mapping):
            config[key] = _headers_body(desired.config[key], live_config[key])
        else:
            config[key] = desired.config[key]
    if config:
        body["config"] = config
    return clear_value(body), unsendable


def _headers_body(wanted: Mapping[str, Any], live: Mapping[str, Any]) -> dict[str, Any]:
    """`headers` as sent: under the names live uses, so that a name in another case replaces
    it, and null for each live header the file leaves out, which removes it whether PATCH
    merges headers or replaces them."""
    sent = dict(align_header_names(live, wanted))
    sent.update({name: None for name in live if name not in sent})
    return sent


def _unsendable(key: str, wanted: Any, live: Any, ignore: tuple[str, ...]) -> str:
    """Why a declared config value cannot be sent as it is, or "" when it can."""
    if has_unknown_secret(wanted):
        unknown = "; ".join(unknown_secrets({key: wanted}))
        return (
            f"{unknown}, not the secret itself (set it from a variable to change it; a pinned "
            "mask only checks it)"
        )
    if not isinstance(wanted, (Mapping, list)):
        return ""
    if key == types.HEADERS_KEY and isinstance(live, Mapping) and names_twice_in_any_case(live):
        return "live holds header names that differ only in case; fix them by hand first"
    inside = [rule for rule in ignore if rule.startswith((f"config.{key}.", f"config.{key}["))]
    if inside:
        return (
            f"it is sent whole, and the file ignores {', '.join(inside)} inside it, which the "
            "update would overwrite"
        )
    # Headers are compared whole: those the file leaves out are removed, not kept.
    missing = [] if key == types.HEADERS_KEY else list(_undeclared(wanted, live, f"config.{key}"))
    if missing:
        return (
            f"it is sent whole, and live also has {', '.join(missing)}, which the file does "
            "not declare (declare them too, with their values)"
        )
    return ""


def _undeclared(wanted: Any, live: Any, path: str) -> Iterator[str]:
    """The paths of live entries inside a value that the declared value leaves out."""
    if isinstance(wanted, Mapping) and isinstance(live, Mapping):
        for key, value in live.items():
            if key not in wanted:
                yield f"{path}.{key}"
            else:
                yield from _undeclared(wanted[key], value, f"{path}.{key}")
    elif isinstance(wanted, list) and isinstance(live, list):
        for index, (item, value) in enumerate(zip(wanted, live, strict=False)):
            yield from _undeclared(item, value, f"{path}[{index}]")
