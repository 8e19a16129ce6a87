"""Desired state + live state -> Plan. A pure function: no I/O, no printing.

Live destinations are paired with declared ones by matching.py; values are compared in their
normalized forms (normalize.py), secrets by mask (masking.py).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from orsync import masking
from orsync.destination_types import HEADERS_KEY, documented_default
from orsync.errors import PlanningError
from orsync.findings import DestinationRef
from orsync.matching import check_default_not_declared_twice, match_destinations
from orsync.model import (
    DesiredDestination,
    DesiredState,
    LiveDestination,
    LiveState,
    LiveWorkspace,
    Secret,
    SecretOrigin,
    UnmanagedPolicy,
    WorkspaceConfig,
)
from orsync.normalize import align_header_names, normalize_field, normalize_value
from orsync.plan import Action, Change, FieldChange, Plan
from orsync.policy import plan_violations
from orsync.risks import with_risks
from orsync.sensitive import flatten_config, has_secret

# Types whose values have one canonical form each (unlike a list, where `[True] == [1]`): two
# values of one of these types that are `==` are the same once normalized too.
_PLAIN = frozenset({bool, int, float, str, type(None)})


@dataclass
class _Findings:
    """What comparing found: the differences, the warnings, the secrets it could not check."""

    fields: list[FieldChange] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    unverified: list[str] = field(default_factory=list)

    def differ(
        self,
        path: str,
        before: Any,
        after: Any,
        sensitive: bool = False,
        config_key: str | None = None,
    ) -> None:
        self.fields.append(FieldChange(path, before, after, sensitive, config_key))

    def not_verified(self, where: str, reason: str) -> None:
        self.unverified.append(where)
        self.warnings.append(f"{where} not verified: {reason}")

    def take(self, other: _Findings) -> None:
        self.warnings.extend(other.warnings)
        self.unverified.extend(other.unverified)


@dataclass(frozen=True)
class WorkspacePlan:
    """One workspace planned on its own, from exactly `config` and `live` (by identity), as
    `plan_changes` would plan it: made while other workspaces are still being read."""

    config: WorkspaceConfig
    live: LiveWorkspace
    workspace_id: str | None
    changes: tuple[Change, ...]
    unchanged: tuple[DestinationRef, ...]
    notes: _Findings


def plan_workspace(workspace: WorkspaceConfig, live: LiveWorkspace) -> WorkspacePlan:
    """Plan one workspace entry against its live destinations."""
    # The default workspace's id is not in the config, but live items carry it.
    workspace_id = workspace.id or live.known_id
    notes = _Findings()
    found, same = _plan_workspace(workspace, live, workspace_id, notes)
    return WorkspacePlan(workspace, live, workspace_id, with_risks(found, live), tuple(same), notes)


def plan_changes(
    desired: DesiredState, live: LiveState, ready: Iterable[WorkspacePlan] = ()
) -> Plan:
    """Compare every configured workspace with its live destinations and return the plan.

    `ready` holds workspaces planned already (while others were read); one planned from
    other values than these is planned again, so the plan is the same either way.
    """
    changes: list[Change] = []
    notes = _Findings(warnings=list(desired.warnings))
    notes.warnings += check_default_not_declared_twice(desired, live)
    notes.warnings += live.warnings
    unchanged: list[DestinationRef] = []
    workspace_ids: list[str | None] = []
    parts = {id(part.config): part for part in ready}
    for workspace in desired.workspaces:
        live_workspace = live.workspace(workspace.id)
        if live_workspace is None:
            label = workspace.id or "the default workspace"
            raise PlanningError(f"the live state has no destinations list for {label}")
        # By id: a part keeps its entry alive, so no other entry can have that id.
        part = parts.get(id(workspace))
        if part is None or part.live is not live_workspace:
            part = plan_workspace(workspace, live_workspace)
        notes.take(part.notes)
        changes.extend(part.changes)
        unchanged.extend(part.unchanged)
        workspace_ids.append(part.workspace_id)
    # The policy's violations of what apply would leave (None: the config has no policy).
    violations = None if desired.policy is None else tuple(plan_violations(desired, live))
    return Plan(
        changes=tuple(changes),
        unchanged=len(unchanged),
        warnings=tuple(notes.warnings),
        live=live,
        config_path=desired.path,
        unverified=tuple(notes.unverified),
        violations=violations,
        workspaces=tuple(workspace_ids),
        unchanged_destinations=tuple(unchanged),
    )


def _plan_workspace(
    workspace: WorkspaceConfig, live: LiveWorkspace, workspace_id: str | None, notes: _Findings
) -> tuple[list[Change], list[DestinationRef]]:
    """The changes of one workspace and its unchanged destinations; notes gathered."""
    changes: list[Change] = []
    unchanged: list[DestinationRef] = []
    matching = match_destinations(workspace, live)
    notes.warnings.extend(matching.warnings)
    for desired, current in matching.pairs:
        change, found = _compare(desired, current, workspace_id)
        notes.take(found)
        if change is not None:
            changes.append(change)
        elif current is not None:  # no change: it is live, and matches
            unchanged.append(
                DestinationRef(current.workspace_id, desired.name, desired.type, current.id)
            )
    for desired, old in matching.superseded:
        changes.append(_superseded(desired, old))
    leftovers = [d for d in live.destinations if d.id not in matching.claimed]
    for stray in sorted(leftovers, key=lambda d: (d.name or "", d.id)):
        change = _unclaimed(stray, workspace.unmanaged)
        if change is not None:
            changes.append(change)
    return changes, unchanged


def _compare(
    desired: DesiredDestination, current: LiveDestination | None, workspace_id: str | None
) -> tuple[Change | None, _Findings]:
    """The change that makes `current` match `desired` (None when they match), and notes."""
    if current is None:
        fields = list(_create_fields(desired))
        return _change(Action.CREATE, desired, None, fields, workspace_id), _Findings()
    findings = _Findings()
    replace = current.type != desired.type
    if replace:
        findings.differ("type", current.type, desired.type)
    if desired.id is not None and current.name != desired.name:
        findings.differ("name", current.name, desired.name)
    _compare_fields(desired, current, findings)
    _compare_config(desired, current, findings)
    kept = [f for f in findings.fields if not _ignored(f.path, desired.ignore)]
    if replace:
        return _change(Action.REPLACE, desired, current, kept, workspace_id), findings
    if not kept:
        return None, findings
    return _change(Action.UPDATE, desired, current, kept, workspace_id), findings


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
        live_updated_at=None if current is None else current.updated_at,
    )


def _create_fields(desired: DesiredDestination) -> Iterator[FieldChange]:
    for path, value, sensitive in _values(desired.fields, desired.config):
        yield FieldChange(path, None, value, sensitive)


def _values(
    fields: Mapping[str, Any], config: Mapping[str, Any]
) -> Iterator[tuple[str, Any, bool]]:
    """`(path, value, sensitive)` of each field and each config leaf of a destination."""
    for name, value in fields.items():
        yield name, value, False
    for path, value in flatten_config(config):
        yield path, value, has_secret(value)


def _compare_fields(
    desired: DesiredDestination, current: LiveDestination, findings: _Findings
) -> None:
    for name, wanted in desired.fields.items():
        actual = current.fields.get(name)
        if type(wanted) is type(actual) and type(wanted) in _PLAIN and wanted == actual:
            continue  # the same plain value: its canonical form is the same too
        if normalize_field(name, wanted) != normalize_field(name, actual):
            findings.differ(name, actual, wanted)


def _compare_config(
    desired: DesiredDestination, current: LiveDestination, findings: _Findings
) -> None:
    """Compare the declared config keys; the server's own extra keys are not drift."""
    for key, wanted in desired.config.items():
        if key not in current.config:
            # A value from `${VAR}` at a key that is not secret still counts by its value.
            value = wanted.value if isinstance(wanted, Secret) and wanted.known else wanted
            has_default, default = documented_default(desired.type, key)
            if (
                has_default
                and not has_secret(value)
                and normalize_value(value) == normalize_value(default)
            ):
                continue
        actual = current.config.get(key)
        if key == HEADERS_KEY:
            actual = align_header_names(wanted, actual)
        _compare_tree(desired, key, f"config.{key}", wanted, actual, findings)
        if key == HEADERS_KEY:
            _compare_undeclared(key, wanted, actual, findings)


def _compare_undeclared(key: str, wanted: Any, actual: Any, findings: _Findings) -> None:
    """`headers` is compared whole: a live header the file leaves out (one that copies
    traffic elsewhere, say) is drift, for apply to remove. The server adds no headers of its
    own, unlike the config keys it adds (`externalId`), which are compared only as declared."""
    if not isinstance(wanted, Mapping) or not isinstance(actual, Mapping):
        return
    for name, value in actual.items():
        if name not in wanted:
            findings.differ(f"config.{key}.{name}", _hidden(value), None, True, key)


def _compare_tree(
    desired: DesiredDestination,
    key: str,
    path: str,
    wanted: Any,
    actual: Any,
    findings: _Findings,
) -> None:
    """Compare the declared value at `path` (under `config.<key>`) with the live one."""
    if _hidden_completely(actual) and not isinstance(wanted, Secret):
        # Stars alone where the file declares a setting (a number, a map) under a key named
        # like a credential: as with a secret hidden so, there is nothing to compare.
        if not _ignored(path, desired.ignore):
            where = f"{desired.source}: {desired.name}: {path}"
            findings.not_verified(where, "its live value is hidden completely")
        return
    if isinstance(wanted, Mapping):
        # Only what is declared is compared: `headers: {}` declares no header.
        live_map = actual if isinstance(actual, Mapping) else {}
        for name, value in wanted.items():
            _compare_tree(desired, key, f"{path}.{name}", value, live_map.get(name), findings)
    elif isinstance(wanted, Secret):
        _compare_secret(desired, key, path, wanted, actual, findings)
    elif isinstance(wanted, str) and isinstance(actual, Secret):
        # Live holds a secret here (a URL with a password) that the file writes in clear.
        plain = Secret(SecretOrigin.PLAIN, wanted)
        _compare_secret(desired, key, path, plain, actual, findings)
    elif isinstance(wanted, list) and has_secret(wanted):
        live_list = actual if isinstance(actual, list) else []
        if len(live_list) != len(wanted):
            findings.differ(path, _hidden(actual), wanted, True, key)
            return
        for index, (value, live_value) in enumerate(zip(wanted, live_list, strict=True)):
            _compare_tree(desired, key, f"{path}[{index}]", value, live_value, findings)
    elif normalize_value(wanted) != normalize_value(actual):
        findings.differ(path, actual, wanted, has_secret(actual), key)


def _hidden_completely(actual: Any) -> bool:
    """A live secret shown as stars alone (`********`), which keeps nothing to compare."""
    return isinstance(actual, Secret) and masking.is_stars(actual.value or "")


def _hidden(actual: Any) -> Any:
    """A live value shown where a secret is declared: only ever as a mask."""
    if isinstance(actual, str):
        return Secret(SecretOrigin.LIVE, actual)
    if isinstance(actual, (list, Mapping)) and not has_secret(actual):
        return Secret(SecretOrigin.LIVE, json.dumps(actual, sort_keys=True))
    return actual


def _compare_secret(
    desired: DesiredDestination,
    key: str,
    path: str,
    wanted: Secret,
    actual: Any,
    findings: _Findings,
) -> None:
    where = f"{desired.source}: {desired.name}: {path}"
    if _ignored(path, desired.ignore):
        return
    if wanted.value is None:
        findings.not_verified(where, wanted.mask())
        return
    live_text = actual.value if isinstance(actual, Secret) else actual
    if not isinstance(live_text, str):
        findings.differ(path, _hidden(actual), wanted, True, key)
        return
    if wanted.origin is SecretOrigin.PIN:
        verdict = masking.compare_pin(wanted.value, live_text)
    else:
        verdict = masking.compare_clear(wanted.value, live_text)
    if verdict is masking.Verdict.UNVERIFIABLE:
        findings.not_verified(where, "its live value is hidden completely")
    elif verdict is masking.Verdict.DIFFER:
        findings.differ(path, _hidden(actual), wanted, True, key)


def _ignored(path: str, ignore: Iterable[str]) -> bool:
    return any(path == rule or path.startswith((rule + ".", rule + "[")) for rule in ignore)


def _removal_fields(current: LiveDestination) -> tuple[FieldChange, ...]:
    """What a reviewer sees of a destination to be removed or reported: its live values."""
    values = _values(current.fields, current.config)
    return tuple(FieldChange(path, value, None, sensitive) for path, value, sensitive in values)


def _unclaimed(current: LiveDestination, policy: UnmanagedPolicy) -> Change | None:
    """A live destination no declaration claims: deleted, reported or ignored, by policy."""
    if policy is UnmanagedPolicy.IGNORE:
        return None
    action = Action.DELETE if policy is UnmanagedPolicy.DELETE else Action.UNMANAGED
    return _removal(action, current)


def _superseded(desired: DesiredDestination, old: LiveDestination) -> Change:
    """The old half of a replace that stopped before deleting it: delete it now."""
    return _removal(Action.DELETE, old, desired)


def _removal(
    action: Action, current: LiveDestination, desired: DesiredDestination | None = None
) -> Change:
    """A live destination to delete or report, shown by its live values; `desired` is the
    declaration it is the old half of, if any (its source and `protect` go with it)."""
    return Change(
        action=action,
        workspace_id=current.workspace_id,
        name=current.name,
        type=current.type,
        id=current.id,
        fields=_removal_fields(current),
        source=None if desired is None else str(desired.source),
        protect=desired is not None and desired.protect,
        live=current,
        live_updated_at=current.updated_at,
    )
