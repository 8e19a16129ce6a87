"""The core values: secrets, desired and live destinations, and the states they make up."""

from __future__ import annotations

import enum
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from orsync import masking

# `json.dumps(value, sort_keys=True, default=str)`, without making an encoder for each call.
_CANONICAL = json.JSONEncoder(sort_keys=True, default=str)


class SecretOrigin(enum.Enum):
    """Where a secret value came from."""

    ENV = "env"  # `${VAR}` in the config file
    PIN = "pin"  # a mask copied from the API, compared as a fingerprint
    PLAIN = "plain"  # written in clear in the config file (works, draws a warning)
    LIVE = "live"  # as the API returned it: usually masked, sometimes in clear


@dataclass(frozen=True)
class Secret:
    """A secret value whose `str()` and `repr()` are only its mask, so it cannot leak by accident.

    `value` is the clear text when known (ENV resolved, PLAIN), the mask for PIN, the value the
    API returned for LIVE, and None for an ENV secret whose variables are unset.
    """

    origin: SecretOrigin
    value: str | None = field(repr=False)
    variables: tuple[str, ...] = ()

    @property
    def known(self) -> bool:
        """Whether orsync knows the secret in clear, so it can compare it and send it."""
        return self.value is not None and self.origin in (SecretOrigin.ENV, SecretOrigin.PLAIN)

    def mask(self) -> str:
        """The only form of this secret that may be shown."""
        if self.value is None:
            names = ", ".join(f"${{{v}}}" for v in self.variables)
            return f"{names} (not set)"
        if self.origin is SecretOrigin.PIN:
            return self.value
        if self.origin is SecretOrigin.LIVE:
            return masking.display_live(self.value)
        return masking.display_known(self.value)

    def __str__(self) -> str:
        return self.mask()

    def __repr__(self) -> str:
        return f"Secret({self.mask()!r})"


@dataclass(frozen=True)
class Source:
    """Where a declaration stands in the config file."""

    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True)
class DesiredDestination:
    """A destination as the config file declares it, with defaults applied.

    `fields` holds every compared top-level field (enabled, sampling_rate, ...), resolved from the
    destination, then `defaults`, then the API's create default; `regions` only when declared.
    `config` holds only the declared keys; secret values are `Secret`s.
    """

    workspace_id: str | None
    name: str
    type: str
    fields: Mapping[str, Any]
    config: Mapping[str, Any]
    source: Source
    id: str | None = None
    ignore: tuple[str, ...] = ()
    protect: bool = False


class UnmanagedPolicy(enum.StrEnum):
    """What to do with a live destination the config does not declare."""

    REPORT = "report"  # show it in the plan, as drift (the default)
    IGNORE = "ignore"  # leave it out of the plan
    DELETE = "delete"  # delete it on apply


@dataclass(frozen=True)
class WorkspaceConfig:
    """One workspace entry of the config file; `id` None means the key's default workspace.

    `id` is a UUID or, until the API resolves it (orsync.workspaces), a slug; `slug` keeps the
    slug the file wrote once `id` holds the UUID.
    """

    id: str | None
    unmanaged: UnmanagedPolicy
    destinations: tuple[DesiredDestination, ...]
    source: Source
    slug: str | None = None


@dataclass(frozen=True)
class Policy:
    """The config's `policy:` block: rules every destination must keep (orsync.policy checks).

    A rule left out of the block is not checked: None (or False, or empty) here.
    """

    source: Source
    privacy_mode_required: bool = False
    max_sampling_rate: int | float | None = None
    allowed_types: tuple[str, ...] | None = None
    required_types: tuple[str, ...] = ()
    # Lower-case fnmatch patterns of hosts.
    allowed_hosts: tuple[str, ...] | None = None
    allowed_regions: tuple[str, ...] | None = None
    api_key_allowlist_required: bool = False
    identity_broadcast_forbidden: bool = False
    plaintext_secrets_forbidden: bool = False


@dataclass(frozen=True)
class DesiredState:
    """Everything the config file says, checked, with the warnings met while reading it;
    `policy` is its `policy:` block (None: the file has none)."""

    path: str
    workspaces: tuple[WorkspaceConfig, ...]
    warnings: tuple[str, ...] = ()
    # When `workspaces` is a selection (`--workspace`), the entries left out, for checks
    # that concern the whole file.
    unselected: tuple[WorkspaceConfig, ...] = ()
    policy: Policy | None = None

    def live_workspace_ids(self) -> list[str | None]:
        """The workspaces to read: those selected, and the default one whenever an entry
        without `id` exists beside entries with one (to tell whether they are the same)."""
        ids: list[str | None] = [w.id for w in self.workspaces]
        entries = self.workspaces + self.unselected
        has_default = any(w.id is None for w in entries)
        if has_default and None not in ids and any(w.id is not None for w in entries):
            ids.append(None)
        return ids


@dataclass(frozen=True)
class LiveDestination:
    """A destination as the API returned it, its shape checked.

    `fields` and `config` are the compared parts (secret config values wrapped as LIVE
    `Secret`s); `raw` is the item as returned (already masked by the API) for snapshots.
    `updated_at` is when it last changed live, as the API wrote it (None when not a string).
    """

    id: str
    workspace_id: str | None
    name: str | None
    type: str
    fields: Mapping[str, Any]
    config: Mapping[str, Any]
    raw: Mapping[str, Any]
    updated_at: str | None = None

    @cached_property
    def canonical(self) -> str:
        """The item as the live fingerprint hashes it: JSON, keys sorted. Worked out once, when
        a fingerprint is first asked for."""
        return _CANONICAL.encode(self.raw)


@dataclass(frozen=True)
class LiveWorkspace:
    """The live destinations of one workspace; `id` None is the key's default workspace."""

    id: str | None
    destinations: tuple[LiveDestination, ...]
    # What reading it found that the plan should say (a listing shorter than total_count).
    warnings: tuple[str, ...] = ()

    @property
    def known_id(self) -> str | None:
        """The workspace's id: its own, or for the key's default workspace (`id` None) the one
        its destinations carry (None when it has none)."""
        return self.id or next((d.workspace_id for d in self.destinations if d.workspace_id), None)


@dataclass(frozen=True)
class LiveState:
    """The live destinations of every workspace orsync looked at."""

    workspaces: tuple[LiveWorkspace, ...]

    @property
    def warnings(self) -> tuple[str, ...]:
        return tuple(w for workspace in self.workspaces for w in workspace.warnings)

    def workspace(self, workspace_id: str | None) -> LiveWorkspace | None:
        return self._by_id.get(workspace_id)

    @cached_property
    def _by_id(self) -> dict[str | None, LiveWorkspace]:
        by_id: dict[str | None, LiveWorkspace] = {}
        for workspace in self.workspaces:
            by_id.setdefault(workspace.id, workspace)
        return by_id

    def fingerprint(self) -> str:
        """A hash of every live item, independent of list order, to tell whether live changed."""
        import hashlib

        items = sorted((d.canonical, str(w.id)) for w in self.workspaces for d in w.destinations)
        digest = hashlib.sha256(json.dumps(items).encode())
        return "sha256:" + digest.hexdigest()
