"""Desired state + live state -> Plan. A pure function: no I/O, no printing.

Live destinations are matched to declared ones by pinned `id`, else by (workspace, name). Values
are compared in their normalized forms (normalize.py), secrets by mask (masking.py).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from orsync import masking
from orsync.errors import AmbiguousMatchError, PlanningError
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
from orsync.schema import documented_default
from orsync.sensitive import flatten_config, has_secret


@dataclass
class _Findings:
    """What comparing one destination found: the differences and the warnings."""

    fields: list[FieldChange] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def plan_changes(desired: DesiredState, live: LiveState) -> Plan:
    """Compare every configured workspace with its live destinations and return the plan."""
    _check_default_not_declared_twice(desired, live)
    changes: list[Change] = []
    warnings: list[str] = list(desired.warnings)
    unchanged = 0
    for workspace in desired.workspaces:
        live_workspace = live.workspace(workspace.id)
        if live_workspace is None:
            label = workspace.id or "the default workspace"
            raise PlanningError(f"the live state has no destinations list for {label}")
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


def _check_default_not_declared_twice(desired: DesiredState, live: LiveState) -> None:
    """Refuse an entry without `id` whose default workspace another entry names by id.

    Each entry would see the other's destinations as unmanaged, and might delete them. The
    whole file is checked, also when `--workspace` selects one of the two entries; the
    default workspace's id is known from its live destinations (an empty one cannot tell).
    """
    entries = desired.workspaces + desired.unselected
    default_entry = next((w for w in entries if w.id is None), None)
    default_live = live.workspace(None)
    if default_entry is None or default_live is None:
        return
    default_ids = {d.workspace_id for d in default_live.destinations}
    for other in entries:
        if other.id is not None and other.id in default_ids:
            raise PlanningError(
                f"{default_entry.source}: the entry without `id` is the key's default "
                f"workspace {other.id}, which {other.source} declares again; merge the two"
            )


def _plan_workspace(
    workspace: WorkspaceConfig, live: LiveWorkspace
) -> tuple[list[Change], int, list[str]]:
    changes: list[Change] = []
    warnings: list[str] = []
    unchanged = 0
    # The default workspace's id is not in the config, but live items carry it.
    workspace_id = workspace.id or next((d.workspace_id for d in live.destinations), None)
    matching = _match(workspace, live)
    warnings.extend(matching.warnings)
    for desired in workspace.destinations:
        change, notes = _compare(desired, matching.pairs.get(id(desired)), workspace_id)
        warnings.extend(notes)
        if change is None:
            unchanged += 1
        else:
            changes.append(change)
    for desired, old in matching.superseded:
        changes.append(_superseded(desired, old))
    leftovers = [d for d in live.destinations if d.id not in matching.claimed]
    for stray in sorted(leftovers, key=lambda d: (d.name or "", d.id)):
        change = _unclaimed(stray, workspace.unmanaged)
        if change is not None:
            changes.append(change)
    return changes, unchanged, warnings


@dataclass
class _Matching:
    """Declared destinations paired with live ones, and what pairing left to say."""

    pairs: dict[int, LiveDestination] = field(default_factory=dict)
    claimed: set[str] = field(default_factory=set)
    # Live destinations of a declared name but another type, beside one of the declared
    # type: what a replace that stopped half-way leaves behind.
    superseded: list[tuple[DesiredDestination, LiveDestination]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def pair(self, desired: DesiredDestination, current: LiveDestination) -> None:
        self.pairs[id(desired)] = current
        self.claimed.add(current.id)


def _match(workspace: WorkspaceConfig, live: LiveWorkspace) -> _Matching:
    """Pair declared destinations with live ones: pinned ids first, then names."""
    by_id = {d.id: d for d in live.destinations}
    pinned_ids = {d.id for d in workspace.destinations if d.id is not None}
    matching = _Matching()
    retyped: list[DesiredDestination] = []
    by_name_only: list[DesiredDestination] = []
    for desired in workspace.destinations:
        if desired.id is None:
            by_name_only.append(desired)
        elif desired.id not in by_id:
            # Creating anew would never match the pin, and would create again on every apply.
            matching.warnings.append(
                f"{desired.source}: {desired.name}: pinned id {desired.id} is not live; "
                "matching by name instead (update or remove the `id`)"
            )
            by_name_only.append(desired)
        elif by_id[desired.id].type == desired.type:
            matching.pair(desired, by_id[desired.id])
        else:
            retyped.append(desired)
    for desired in retyped:
        _match_retyped(desired, by_id, pinned_ids, live, matching)
    by_name: dict[str, list[LiveDestination]] = defaultdict(list)
    for candidate in live.destinations:
        if candidate.id not in matching.claimed and candidate.id not in pinned_ids:
            by_name[candidate.name or ""].append(candidate)
    for desired in by_name_only:
        _match_by_name(desired, by_name.get(desired.name, []), workspace.unmanaged, matching)
    return matching


def _match_retyped(
    desired: DesiredDestination,
    by_id: Mapping[str, LiveDestination],
    pinned_ids: set[str],
    live: LiveWorkspace,
    matching: _Matching,
) -> None:
    """A pinned destination live with another type: a replace, or one already half done.

    A replace creates the new destination first: if deleting the pinned old one failed, the
    new one (same name, declared type, pinned by no one) is live, and must not be made twice.
    """
    assert desired.id is not None
    pinned = by_id[desired.id]
    halves = [
        d
        for d in live.destinations
        if d.name == desired.name
        and d.type == desired.type
        and d.id not in matching.claimed
        and d.id not in pinned_ids
    ]
    if len(halves) == 1:
        matching.pair(desired, halves[0])
        matching.superseded.append((desired, pinned))
        matching.claimed.add(pinned.id)
    else:
        matching.pair(desired, pinned)


def _match_by_name(
    desired: DesiredDestination,
    found: list[LiveDestination],
    unmanaged: str,
    matching: _Matching,
) -> None:
    if len(found) <= 1:
        if found:
            matching.pair(desired, found[0])
        return
    same_type = [d for d in found if d.type == desired.type]
    listed = ", ".join(f"{d.id} ({d.type})" for d in found)
    if len(same_type) != 1:
        raise AmbiguousMatchError(
            f"{desired.source}: {len(found)} live destinations are named {desired.name!r}: "
            f"{listed}; pin the one to keep with `id:`"
        )
    # One has the declared type: the others are most likely what a replace that stopped
    # half-way left behind. They stay unclaimed, so the workspace's `unmanaged` policy
    # decides: deleted under `delete`, reported under `report`.
    matching.pair(desired, same_type[0])
    matching.warnings.append(
        f"{desired.source}: {len(found)} live destinations are named {desired.name!r}: "
        f"{listed}; matched the {desired.type} one, the others are unmanaged ({unmanaged})"
    )


def _compare(
    desired: DesiredDestination, current: LiveDestination | None, workspace_id: str | None
) -> tuple[Change | None, list[str]]:
    """The change that makes `current` match `desired`, or None when they match."""
    if current is None:
        fields = list(_create_fields(desired))
        return _change(Action.CREATE, desired, None, fields, workspace_id), []
    findings = _Findings()
    if current.type != desired.type:
        findings.fields.append(FieldChange("type", current.type, desired.type))
    if desired.id is not None and current.name != desired.name:
        findings.fields.append(FieldChange("name", current.name, desired.name))
    _compare_fields(desired, current, findings)
    _compare_config(desired, current, findings)
    kept = [f for f in findings.fields if not _ignored(f.path, desired.ignore)]
    if current.type != desired.type:
        return _change(Action.REPLACE, desired, current, kept, workspace_id), findings.warnings
    if not kept:
        return None, findings.warnings
    return _change(Action.UPDATE, desired, current, kept, workspace_id), findings.warnings


def _change(
    action: Action,
    desired: DesiredDestination,
    current: LiveDestination | None,
    fields: list[FieldChange],
    workspace_id: str | None,
) -> Change:
    return Change(
        action=action,
        workspace_id=workspace_id if current is None else current.workspace_id,
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
    for path, value in flatten_config(desired.config):
        yield FieldChange(path, None, value, has_secret(value))


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
    """Compare the declared config keys; the server's own extra keys are not drift."""
    for key, wanted in desired.config.items():
        if key not in current.config:
            # A value from `${VAR}` at a key that is not secret still counts by its value.
            value = wanted.value if isinstance(wanted, Secret) and wanted.known else wanted
            has_default, default = documented_default(desired.type, key)
            if has_default and not has_secret(value) and _same(value, default):
                continue
        _compare_tree(desired, f"config.{key}", wanted, current.config.get(key), findings)


def _same(wanted: Any, actual: Any) -> bool:
    return bool(normalize_value(wanted) == normalize_value(actual))


def _compare_tree(
    desired: DesiredDestination, path: str, wanted: Any, actual: Any, findings: _Findings
) -> None:
    """Compare a declared value with the live one: mappings key by key, as declared."""
    if isinstance(wanted, Mapping):
        # Only what is declared is compared: `headers: {}` declares no header.
        live_map = actual if isinstance(actual, Mapping) else {}
        for key, value in wanted.items():
            _compare_tree(desired, f"{path}.{key}", value, live_map.get(key), findings)
    elif isinstance(wanted, Secret):
        _compare_secret(desired, path, wanted, actual, findings)
    elif isinstance(wanted, str) and isinstance(actual, Secret):
        # Live holds a secret here (a URL with a password) that the file writes in clear.
        _compare_secret(desired, path, Secret(SecretOrigin.PLAIN, wanted), actual, findings)
    elif isinstance(wanted, list) and has_secret(wanted):
        live_list = actual if isinstance(actual, list) else []
        if len(live_list) != len(wanted):
            findings.fields.append(FieldChange(path, _hidden(actual), wanted, sensitive=True))
            return
        for index, (value, live_value) in enumerate(zip(wanted, live_list, strict=True)):
            _compare_tree(desired, f"{path}[{index}]", value, live_value, findings)
    elif normalize_value(wanted) != normalize_value(actual):
        sensitive = has_secret(actual)
        findings.fields.append(FieldChange(path, actual, wanted, sensitive=sensitive))


def _hidden(actual: Any) -> Any:
    """A live value shown where a secret is declared: only ever as a mask."""
    if isinstance(actual, str):
        return Secret(SecretOrigin.LIVE, actual)
    if isinstance(actual, (list, Mapping)) and not has_secret(actual):
        return Secret(SecretOrigin.LIVE, json.dumps(actual, sort_keys=True))
    return actual


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
        findings.fields.append(FieldChange(path, _hidden(actual), wanted, sensitive=True))
        return
    if wanted.origin is SecretOrigin.PIN:
        verdict = masking.compare_pin(wanted.value, live_text)
    else:
        verdict = masking.compare_clear(wanted.value, live_text)
    if verdict is masking.Verdict.UNVERIFIABLE:
        findings.warnings.append(f"{where} not verified: the API hides it completely")
    elif verdict is masking.Verdict.DIFFER:
        findings.fields.append(FieldChange(path, _hidden(actual), wanted, sensitive=True))


def _ignored(path: str, ignore: Iterable[str]) -> bool:
    return any(path == rule or path.startswith((rule + ".", rule + "[")) for rule in ignore)


def _removal_fields(current: LiveDestination) -> tuple[FieldChange, ...]:
    """What a reviewer sees of a destination to be removed or reported: its live values."""
    fields = [FieldChange(name, value, None) for name, value in current.fields.items()]
    fields += [
        FieldChange(path, value, None, has_secret(value))
        for path, value in flatten_config(current.config)
    ]
    return tuple(fields)


def _unclaimed(current: LiveDestination, policy: str) -> Change | None:
    """A live destination no declaration claims: deleted, reported or ignored, by policy."""
    if policy == "ignore":
        return None
    return Change(
        action=Action.DELETE if policy == "delete" else Action.UNMANAGED,
        workspace_id=current.workspace_id,
        name=current.name,
        type=current.type,
        id=current.id,
        fields=_removal_fields(current),
        live=current,
    )


def _superseded(desired: DesiredDestination, old: LiveDestination) -> Change:
    """The old half of a replace that stopped before deleting it: delete it now."""
    return Change(
        action=Action.DELETE,
        workspace_id=old.workspace_id,
        name=old.name,
        type=old.type,
        id=old.id,
        fields=_removal_fields(old),
        source=str(desired.source),
        protect=desired.protect,
        live=old,
    )
