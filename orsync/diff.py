"""Desired state + live state -> Plan. A pure function: no I/O, no printing.

Live destinations are matched to declared ones by pinned `id`, else by (workspace, name). Values
are compared in their normalized forms (normalize.py), secrets by mask (masking.py).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from orsync import masking
from orsync.errors import OrsyncError
from orsync.model import (
    DesiredDestination,
    DesiredState,
    LiveDestination,
    LiveState,
    LiveWorkspace,
    Secret,
    SecretOrigin,
    WorkspaceConfig,
)
from orsync.normalize import normalize_field, normalize_value
from orsync.plan import Action, Change, FieldChange, Plan
from orsync.schema import HEADERS_KEY, documented_default


class AmbiguousMatchError(OrsyncError):
    """Two live destinations carry one declared name, and no `id` is pinned to choose."""


@dataclass
class _Findings:
    """What comparing one destination found: the differences and the warnings."""

    fields: list[FieldChange] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def plan_changes(desired: DesiredState, live: LiveState) -> Plan:
    """Compare every configured workspace with its live destinations and return the plan."""
    changes: list[Change] = []
    warnings: list[str] = list(desired.warnings)
    unchanged = 0
    for workspace in desired.workspaces:
        live_workspace = live.workspace(workspace.id)
        if live_workspace is None:
            label = workspace.id or "the default workspace"
            raise OrsyncError(f"the live state has no destinations list for {label}")
        found, same, notes = _plan_workspace(workspace, live_workspace)
        changes.extend(found)
        unchanged += same
        warnings.extend(notes)
    return Plan(
        changes=tuple(changes),
        unchanged=unchanged,
        warnings=tuple(warnings),
        live_fingerprint=live.fingerprint(),
        config_path=desired.path,
    )


def _plan_workspace(
    workspace: WorkspaceConfig, live: LiveWorkspace
) -> tuple[list[Change], int, list[str]]:
    changes: list[Change] = []
    warnings: list[str] = []
    unchanged = 0
    matches, claimed = _match(workspace, live)
    for desired in workspace.destinations:
        current = matches.get(id(desired))
        if current is None and desired.id is not None:
            warnings.append(
                f"{desired.source}: {desired.name}: pinned id {desired.id} is not live; "
                "it will be created anew"
            )
        change, notes = _compare(desired, current)
        warnings.extend(notes)
        if change is None:
            unchanged += 1
        else:
            changes.append(change)
    leftovers = [d for d in live.destinations if d.id not in claimed]
    for stray in sorted(leftovers, key=lambda d: (d.name or "", d.id)):
        change = _unclaimed(stray, workspace.unmanaged)
        if change is not None:
            changes.append(change)
    return changes, unchanged, warnings


def _match(
    workspace: WorkspaceConfig, live: LiveWorkspace
) -> tuple[dict[int, LiveDestination], set[str]]:
    """Pair declared destinations with live ones: pinned ids first, then names."""
    by_id = {d.id: d for d in live.destinations}
    matches: dict[int, LiveDestination] = {}
    claimed: set[str] = set()
    for desired in workspace.destinations:
        if desired.id is not None and desired.id in by_id:
            matches[id(desired)] = by_id[desired.id]
            claimed.add(desired.id)
    by_name: dict[str, list[LiveDestination]] = defaultdict(list)
    for candidate in live.destinations:
        if candidate.id not in claimed and candidate.name is not None:
            by_name[candidate.name].append(candidate)
    for desired in workspace.destinations:
        if desired.id is not None:
            continue
        found = by_name.get(desired.name, [])
        if len(found) > 1:
            ids = " and ".join(d.id for d in found)
            raise AmbiguousMatchError(
                f"{desired.source}: two live destinations are named {desired.name!r} "
                f"({ids}); pin one with `id:`"
            )
        if found:
            matches[id(desired)] = found[0]
            claimed.add(found[0].id)
    return matches, claimed


def _compare(
    desired: DesiredDestination, current: LiveDestination | None
) -> tuple[Change | None, list[str]]:
    """The change that makes `current` match `desired`, or None when they match."""
    if current is None:
        return _change(Action.CREATE, desired, None, list(_create_fields(desired))), []
    findings = _Findings()
    if current.type != desired.type:
        findings.fields.append(FieldChange("type", current.type, desired.type))
    if desired.id is not None and current.name != desired.name:
        findings.fields.append(FieldChange("name", current.name, desired.name))
    _compare_fields(desired, current, findings)
    _compare_config(desired, current, findings)
    kept = [f for f in findings.fields if not _ignored(f.path, desired.ignore)]
    if current.type != desired.type:
        return _change(Action.REPLACE, desired, current, kept), findings.warnings
    if not kept:
        return None, findings.warnings
    return _change(Action.UPDATE, desired, current, kept), findings.warnings


def _change(
    action: Action,
    desired: DesiredDestination,
    current: LiveDestination | None,
    fields: list[FieldChange],
) -> Change:
    return Change(
        action=action,
        workspace_id=desired.workspace_id if current is None else current.workspace_id,
        name=desired.name,
        type=desired.type,
        id=None if current is None else current.id,
        fields=tuple(fields),
        source=str(desired.source),
        protect=desired.protect,
        desired=desired,
        live=current,
    )


def _create_fields(desired: DesiredDestination) -> Iterator[FieldChange]:
    for name, value in desired.fields.items():
        yield FieldChange(name, None, value)
    for path, value in _flatten_config(desired.config):
        yield FieldChange(path, None, value, isinstance(value, Secret))


def _flatten_config(config: Mapping[str, Any]) -> Iterator[tuple[str, Any]]:
    for key, value in config.items():
        if key == HEADERS_KEY and isinstance(value, Mapping):
            for header, header_value in value.items():
                yield f"config.{HEADERS_KEY}.{header}", header_value
        else:
            yield f"config.{key}", value


def _compare_fields(
    desired: DesiredDestination, current: LiveDestination, findings: _Findings
) -> None:
    for name, wanted in desired.fields.items():
        actual = current.fields.get(name)
        if normalize_field(name, wanted) != normalize_field(name, actual):
            findings.fields.append(FieldChange(name, actual, wanted))


def _compare_config(
    desired: DesiredDestination, current: LiveDestination, findings: _Findings
) -> None:
    live_config = current.config
    for key, wanted in desired.config.items():
        path = f"config.{key}"
        if key == HEADERS_KEY and isinstance(wanted, Mapping):
            live_headers = live_config.get(key)
            if not isinstance(live_headers, Mapping):
                live_headers = {}
            for header, value in wanted.items():
                _compare_value(
                    desired, f"{path}.{header}", value, live_headers.get(header), findings
                )
            continue
        actual = live_config.get(key)
        if key not in live_config and not isinstance(wanted, Secret):
            has_default, default = documented_default(desired.type, key)
            if has_default and normalize_value(wanted) == normalize_value(default):
                continue
        _compare_value(desired, path, wanted, actual, findings)


def _compare_value(
    desired: DesiredDestination, path: str, wanted: Any, actual: Any, findings: _Findings
) -> None:
    if isinstance(wanted, Secret):
        _compare_secret(desired, path, wanted, actual, findings)
    elif normalize_value(wanted) != normalize_value(actual):
        findings.fields.append(FieldChange(path, actual, wanted))


def _compare_secret(
    desired: DesiredDestination, path: str, wanted: Secret, actual: Any, findings: _Findings
) -> None:
    where = f"{desired.source}: {desired.name}: {path}"
    if _ignored(path, desired.ignore):
        return
    if wanted.value is None:
        findings.warnings.append(f"{where} not verified: {wanted.mask()}")
        return
    live_text = actual.value if isinstance(actual, Secret) else actual
    if not isinstance(live_text, str):
        findings.fields.append(FieldChange(path, actual, wanted, sensitive=True))
        return
    if wanted.origin is SecretOrigin.PIN:
        verdict = masking.compare_pin(wanted.value, live_text)
    else:
        verdict = masking.compare_clear(wanted.value, live_text)
    if verdict is masking.Verdict.UNVERIFIABLE:
        findings.warnings.append(f"{where} not verified: the API hides it completely")
    elif verdict is masking.Verdict.DIFFER:
        findings.fields.append(FieldChange(path, actual, wanted, sensitive=True))


def _ignored(path: str, ignore: Iterable[str]) -> bool:
    return any(path == rule or path.startswith(rule + ".") for rule in ignore)


def _unclaimed(current: LiveDestination, policy: str) -> Change | None:
    """A live destination no declaration claims: deleted, reported or ignored, by policy."""
    if policy == "ignore":
        return None
    action = Action.DELETE if policy == "delete" else Action.UNMANAGED
    fields = [FieldChange(name, value, None) for name, value in current.fields.items()]
    fields += [
        FieldChange(path, value, None, isinstance(value, Secret))
        for path, value in _flatten_config(current.config)
    ]
    return Change(
        action=action,
        workspace_id=current.workspace_id,
        name=current.name,
        type=current.type,
        id=current.id,
        fields=tuple(fields),
        live=current,
    )
