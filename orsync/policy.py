"""Policy checks: the config's `policy:` rules against destinations (docs/config.md, Policy).

Pure functions of the desired state, the live state and the plan, beside orsync.safety. Three
views of a workspace are checked:

- the file alone (`validate`): each declared destination as it would be created;
- what apply would leave (`plan`, `apply`): each declared destination with the values it will
  have (an ignored field keeps its live value; `config` keys the file leaves out keep theirs),
  and each live destination the config leaves alone (`unmanaged: report` or `ignore`);
- live alone (`audit`).

A destination is checked with its type's documented defaults filled in, since that is where
it sends: a Langfuse destination without `baseUrl` sends to us.cloud.langfuse.com. Messages
name the workspace, the destination and the rule, and a URL only by its host and the path of
its key, never in full: it may carry credentials.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from orsync import destination_types as types
from orsync import masking
from orsync.findings import Violation
from orsync.matching import match_destinations
from orsync.model import (
    DesiredDestination,
    DesiredState,
    LiveDestination,
    LiveState,
    LiveWorkspace,
    Policy,
    Secret,
    SecretOrigin,
    UnmanagedPolicy,
    WorkspaceConfig,
)
from orsync.sensitive import secrets_in


@dataclass(frozen=True)
class Subject:
    """A destination as the policy sees it: every field (`regions` too) and the config it
    sends with, documented defaults filled in. `where` says where it comes from."""

    workspace_id: str | None
    type: str
    name: str | None
    id: str | None
    fields: Mapping[str, Any]
    config: Mapping[str, Any]
    where: str
    declared: DesiredDestination | None = None

    def label(self) -> str:
        name = repr(self.name) if self.name is not None else "(unnamed)"
        return f"{self.type} {name} ({self.where})"


# Views of a destination ---------------------------------------------------------------------


def with_documented_defaults(type_name: str, config: Mapping[str, Any]) -> dict[str, Any]:
    """The config with each documented default the config lacks filled in."""
    spec = types.TYPES.get(type_name)
    filled = dict(config)
    for key in spec.keys.values() if spec is not None else ():
        if key.has_default and key.name not in filled:
            filled[key.name] = key.default
    return filled


def declared_subject(desired: DesiredDestination, workspace_id: str | None) -> Subject:
    """A declared destination as a create would make it (no `regions`: the API's default)."""
    fields = {"regions": list(types.REGIONS_DEFAULT), **desired.fields}
    return Subject(
        workspace_id,
        desired.type,
        desired.name,
        None,
        fields,
        with_documented_defaults(desired.type, desired.config),
        str(desired.source),
        desired,
    )


def live_subject(current: LiveDestination, workspace_id: str | None) -> Subject:
    """A live destination as it is."""
    return Subject(
        current.workspace_id or workspace_id,
        current.type,
        current.name,
        current.id,
        current.fields,
        with_documented_defaults(current.type, current.config),
        f"live, id {current.id}",
    )


def applied_subject(
    desired: DesiredDestination, current: LiveDestination | None, workspace_id: str | None
) -> Subject:
    """A declared destination as apply would leave it, matched with `current` (None: created;
    a live one of another type is replaced, so it is created anew too)."""
    if current is None or current.type != desired.type:
        return declared_subject(desired, workspace_id)
    fields = dict(desired.fields)
    for name, value in current.fields.items():
        # `regions` is compared (and so sent) only when declared.
        if name not in fields or _ignored(name, desired.ignore):
            fields[name] = value
    config = dict(current.config)
    if not _ignored("config", desired.ignore):
        for key, value in desired.config.items():
            if not _ignored(f"config.{key}", desired.ignore):
                config[key] = value
    return Subject(
        current.workspace_id or workspace_id,
        desired.type,
        desired.name,
        current.id,
        fields,
        with_documented_defaults(desired.type, config),
        str(desired.source),
        desired,
    )


def _ignored(path: str, ignore: Sequence[str]) -> bool:
    """Whether `ignore` leaves the value at `path` as it is live: a path ignored whole, or, for
    a config key, any part of it (the key then keeps much of its live value)."""
    for rule in ignore:
        if rule == path or (path.startswith("config.") and rule.startswith(path + ".")):
            return True
    return False


# Keys whose value is a host, with or without a scheme.
_HOST_KEYS = frozenset({"host", "endpoint"})


def url_values(config: Mapping[str, Any], prefix: str = "config") -> Iterator[tuple[str, str]]:
    """`(path, text)` of every URL-like text in a config, secrets included, at any depth.
    The text must never be shown: take its host with `masking.url_host`."""
    for key, value in config.items():
        yield from urls_in(f"{prefix}.{key}", value)


def urls_in(path: str, value: Any) -> Iterator[tuple[str, str]]:
    """`(path, text)` of every URL-like text in the value at `path`, at any depth."""
    if isinstance(value, Mapping):
        yield from url_values(value, path)
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            yield from urls_in(f"{path}[{index}]", item)
    else:
        text = value.value if isinstance(value, Secret) else value
        if not isinstance(text, str):
            return
        if masking.url_host(text) is not None:
            yield path, text
        elif path.rpartition(".")[2] in _HOST_KEYS and text.strip():
            # A host written without a scheme (clickhouse `host: ch.example.com:8443`).
            yield path, f"https://{text.strip()}"


def url_hosts(config: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """`(path, host)` of every URL-like value of a config."""
    for path, text in url_values(config):
        host = masking.url_host(text)
        if host is not None:
            yield path, host


def _plain_secrets(config: Mapping[str, Any], prefix: str = "config") -> Iterator[str]:
    """The paths of the secrets a config file writes in plain text."""
    for key, value in config.items():
        path = f"{prefix}.{key}"
        if isinstance(value, Mapping):
            yield from _plain_secrets(value, path)
        elif any(s.origin is SecretOrigin.PLAIN for s in secrets_in(value)):
            yield path


# The rules ----------------------------------------------------------------------------------


def destination_problems(policy: Policy, subject: Subject) -> Iterator[tuple[str, str]]:
    """`(rule, problem)` for each rule the destination breaks, in the rules' order."""
    fields = subject.fields
    if policy.privacy_mode_required and fields.get("privacy_mode") is not True:
        yield "privacy_mode", "privacy_mode is off (policy privacy_mode: required)"
    rate = fields.get("sampling_rate")
    limit = policy.max_sampling_rate
    if limit is not None and isinstance(rate, (int, float)) and rate > limit:
        yield (
            "max_sampling_rate",
            (f"sampling_rate {rate} is above the policy's max_sampling_rate {limit}"),
        )
    if policy.allowed_types is not None and subject.type not in policy.allowed_types:
        allowed = ", ".join(policy.allowed_types)
        yield (
            "allowed_types",
            (f"type {subject.type!r} is not in the policy's allowed_types ({allowed})"),
        )
    if policy.allowed_hosts is not None:
        yield from _host_problems(policy.allowed_hosts, subject)
    if policy.allowed_regions is not None:
        regions = fields.get("regions") or types.REGIONS_DEFAULT
        outside = [r for r in regions if r not in policy.allowed_regions]
        if outside:
            allowed = ", ".join(policy.allowed_regions)
            yield (
                "allowed_regions",
                (f"regions {', '.join(outside)} outside the policy's allowed_regions ({allowed})"),
            )
    if policy.api_key_allowlist_required and fields.get("api_key_hashes") is None:
        yield (
            "api_key_allowlist",
            (
                "api_key_hashes is null: the traffic of every API key is sent "
                "(policy api_key_allowlist: required)"
            ),
        )
    if policy.identity_broadcast_forbidden and fields.get("broadcast_generation_identity"):
        yield (
            "identity_broadcast",
            ("broadcast_generation_identity is on (policy identity_broadcast: forbid)"),
        )
    if policy.plaintext_secrets_forbidden and subject.declared is not None:
        for path in _plain_secrets(subject.declared.config):
            yield (
                "plaintext_secrets",
                (
                    f"{path} is a secret written in plain text in the file; use ${{VAR}} "
                    "or a masked pin (policy plaintext_secrets: forbid)"
                ),
            )


def _host_problems(allowed: Sequence[str], subject: Subject) -> Iterator[tuple[str, str]]:
    for path, host in url_hosts(subject.config):
        if not any(fnmatch.fnmatchcase(host, pattern) for pattern in allowed):
            yield (
                "allowed_hosts",
                (
                    f"{path} sends to host {host}, not in the policy's allowed_hosts "
                    f"({', '.join(allowed)})"
                ),
            )


def workspace_violations(
    policy: Policy, label: str, workspace_id: str | None, subjects: Sequence[Subject]
) -> list[Violation]:
    """The violations of the destinations of one workspace, and of `required_types`."""
    found = [
        Violation(rule, s.workspace_id or workspace_id, s.name, s.id, f"{label}: {s.label()}: {p}")
        for s in subjects
        for rule, p in destination_problems(policy, s)
    ]
    enabled = {s.type for s in subjects if s.fields.get("enabled") is True}
    for missing in (t for t in policy.required_types if t not in enabled):
        message = f"{label}: no enabled destination of type {missing!r} (policy required_types)"
        found.append(Violation("required_types", workspace_id, None, None, message))
    return found


def workspace_rules(policy: Policy) -> tuple[str, ...]:
    """The rules of `policy` checked once per workspace (by `workspace_violations`)."""
    return ("required_types",) if policy.required_types else ()


def workspace_label(workspace_id: str | None, slug: str | None = None) -> str:
    """`workspace <uuid> (<slug>)`, `workspace <slug>`, or `default workspace`."""
    if workspace_id is None:
        return "default workspace"
    if slug and slug != workspace_id:
        return f"workspace {workspace_id} ({slug})"
    return f"workspace {workspace_id}"


# The three views ----------------------------------------------------------------------------


def declared_violations(desired: DesiredState) -> list[Violation]:
    """The file alone, offline (`validate`): each declared destination as a create would
    make it; `required_types` among the destinations each entry declares."""
    if desired.policy is None:
        return []
    found: list[Violation] = []
    for entry in desired.workspaces:
        subjects = [declared_subject(d, entry.id) for d in entry.destinations]
        label = workspace_label(entry.id, entry.slug)
        found += workspace_violations(desired.policy, label, entry.id, subjects)
    return found


def plan_violations(desired: DesiredState, live: LiveState) -> list[Violation]:
    """What apply would leave (`plan`, `apply`): declared destinations with the values they
    will have, and the live ones the config leaves alone."""
    if desired.policy is None:
        return []
    found: list[Violation] = []
    for entry in desired.workspaces:
        current = live.workspace(entry.id)
        if current is None:
            continue
        workspace_id = entry.id or current.known_id
        subjects = _applied_workspace(entry, current, workspace_id)
        label = workspace_label(workspace_id, entry.slug)
        found += workspace_violations(desired.policy, label, workspace_id, subjects)
    return found


def _applied_workspace(
    entry: WorkspaceConfig, current: LiveWorkspace, workspace_id: str | None
) -> list[Subject]:
    matching = match_destinations(entry, current)
    subjects = [applied_subject(d, found, workspace_id) for d, found in matching.pairs]
    if entry.unmanaged is not UnmanagedPolicy.DELETE:
        left = [d for d in current.destinations if d.id not in matching.claimed]
        subjects += [live_subject(d, workspace_id) for d in left]
    return subjects


def live_violations(policy: Policy, current: LiveWorkspace, label: str) -> list[Violation]:
    """Live alone (`audit`): every live destination of the workspace as it is."""
    workspace_id = current.known_id
    subjects = [live_subject(d, workspace_id) for d in current.destinations]
    return workspace_violations(policy, label, workspace_id, subjects)
