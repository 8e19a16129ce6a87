"""Builders of plain values for the tests: declared and live destinations, states, plans.

One home, so that a change of a core value's shape is mended here, not in every test file.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from orsync.destination_types import FIELD_DEFAULTS
from orsync.diff import plan_changes
from orsync.live import parse_workspace
from orsync.model import (
    DesiredDestination,
    DesiredState,
    LiveState,
    Secret,
    SecretOrigin,
    Source,
    UnmanagedPolicy,
    WorkspaceConfig,
)
from orsync.plan import Plan

CONFIG = "orsync.yaml"
URL = "https://hooks.example.com/in"
LIVE_ID = "11111111-1111-4111-8111-111111111111"
DECLARED_AT = Source(CONFIG, 3)
ENTRY_AT = Source(CONFIG, 1)


def env(value: str | None, variable: str = "VAR") -> Secret:
    """A secret from `${variable}`; None: the variable is unset."""
    return Secret(SecretOrigin.ENV, value, (variable,))


def pin(value: str) -> Secret:
    """The mask the fake shows for `value` (prefix style), copied into a config file."""
    return Secret(SecretOrigin.PIN, f"{value[:4]}...{value[-4:]}")


def declared(
    name: str = "Hook",
    type_name: str = "webhook",
    config: dict[str, Any] | None = None,
    *,
    workspace: str | None = None,
    pinned: str | None = None,
    ignore: tuple[str, ...] = (),
    protect: bool = False,
    source: Source = DECLARED_AT,
    **fields: Any,
) -> DesiredDestination:
    """A declared destination with the API's create defaults for every field not given."""
    return DesiredDestination(
        workspace_id=workspace,
        name=name,
        type=type_name,
        fields={**FIELD_DEFAULTS, **fields},
        config=config if config is not None else {"url": URL},
        source=source,
        id=pinned,
        ignore=ignore,
        protect=protect,
    )


def live_item(
    name: str | None = "Hook",
    type_name: str = "webhook",
    config: dict[str, Any] | None = None,
    *,
    ident: str = LIVE_ID,
    **fields: Any,
) -> dict[str, Any]:
    """A destination as the API lists it."""
    return {
        "id": ident,
        "workspace_id": "ws-default",
        "name": name,
        "type": type_name,
        "enabled": True,
        "sampling_rate": 1,
        "privacy_mode": False,
        "api_key_hashes": None,
        "filter_rules": None,
        "config": config if config is not None else {"url": URL},
        **fields,
    }


def workspace_entry(
    wanted: Sequence[DesiredDestination],
    unmanaged: UnmanagedPolicy = UnmanagedPolicy.REPORT,
    *,
    source: Source = ENTRY_AT,
) -> WorkspaceConfig:
    """The entry of the key's default workspace, declaring `wanted`."""
    return WorkspaceConfig(None, unmanaged, tuple(wanted), source)


def desired_state(
    wanted: Sequence[DesiredDestination],
    unmanaged: UnmanagedPolicy = UnmanagedPolicy.REPORT,
    *,
    path: str = CONFIG,
) -> DesiredState:
    """A config of one entry (the default workspace) declaring `wanted`."""
    return DesiredState(path, (workspace_entry(wanted, unmanaged, source=Source(path, 1)),))


def plan_of(
    wanted: Sequence[DesiredDestination],
    live: Sequence[dict[str, Any]] | LiveState,
    unmanaged: UnmanagedPolicy = UnmanagedPolicy.REPORT,
    *,
    path: str = CONFIG,
) -> Plan:
    """The plan of `wanted` against live items of the default workspace (or a live state)."""
    state = live if isinstance(live, LiveState) else LiveState((parse_workspace(None, live),))
    return plan_changes(desired_state(wanted, unmanaged, path=path), state)
