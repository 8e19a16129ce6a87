"""`orsync audit`: the config's `policy:` against live state alone, across workspaces.

The workspaces: every one the key can see (`--all-workspaces`), those named by UUID or slug
(`--workspace`), else the config's own entries, else the key's default workspace. They are read
concurrently (orsync.live.read_live); nothing is changed.
"""

from __future__ import annotations

from collections.abc import Sequence

from orsync.commands.inputs import LiveSource, load_desired
from orsync.errors import ConfigError, UsageError
from orsync.findings import AuditedWorkspace, AuditReport, DestinationRef, Violation
from orsync.model import DesiredState, LiveWorkspace, Policy
from orsync.workspaces import WorkspaceInfo


def run_audit(
    config_path: str,
    source: LiveSource,
    *,
    all_workspaces: bool = False,
    workspaces: Sequence[str] = (),
) -> AuditReport:
    """Check the policy of the config at `config_path` against the live workspaces chosen."""
    from orsync.policy import live_violations, workspace_label, workspace_rules

    if all_workspaces and workspaces:
        raise UsageError("give --all-workspaces or --workspace, not both")
    desired = load_desired(config_path)
    policy = _policy_of(desired)
    targets = _targets(desired, source, all_workspaces, workspaces)
    live = source.read([t.id if t is not None else None for t in targets])
    audited: list[AuditedWorkspace] = []
    violations: list[Violation] = []
    for target, current in zip(targets, live.workspaces, strict=True):
        workspace_id = current.id or _id_from_items(current)
        slug = target.slug if target is not None else None
        label = target.label if target is not None else workspace_label(workspace_id)
        name = target.name if target is not None else None
        count = len(current.destinations)
        listed = tuple(
            DestinationRef(d.workspace_id or workspace_id, d.name, d.type, d.id)
            for d in current.destinations
        )
        audited.append(AuditedWorkspace(workspace_id, slug, name, count, label, listed))
        violations += live_violations(policy, current, label)
    return AuditReport(
        desired.path,
        tuple(audited),
        tuple(violations),
        desired.warnings,
        workspace_rules=workspace_rules(policy),
    )


def _policy_of(desired: DesiredState) -> Policy:
    if desired.policy is None:
        raise ConfigError(
            "no `policy:` block: audit checks the policy, so the file needs one "
            "(docs/config.md, Policy)",
            file=desired.path,
        )
    return desired.policy


def _targets(
    desired: DesiredState, source: LiveSource, all_workspaces: bool, names: Sequence[str]
) -> list[WorkspaceInfo | None]:
    """The workspaces to audit, each once; None is the key's default workspace."""
    from orsync.workspaces import choose_workspaces, find_named

    if all_workspaces:
        found: list[WorkspaceInfo | None] = list(source.all_workspaces())
        if not found:
            raise UsageError("--all-workspaces: the key can see no workspace")
    elif names:
        found = find_named(names, source.find_workspaces, look_up_uuids=True)
    elif desired.workspaces:
        entries = choose_workspaces(desired, (), source.find_workspaces).workspaces
        found = [WorkspaceInfo(w.id, w.slug) if w.id else None for w in entries]
    else:
        found = [None]
    unique: dict[str | None, WorkspaceInfo | None] = {}
    for target in found:
        unique.setdefault(target.id if target is not None else None, target)
    return list(unique.values())


def _id_from_items(workspace: LiveWorkspace) -> str | None:
    """The default workspace's id, known from its destinations (None when it has none)."""
    return next((d.workspace_id for d in workspace.destinations), None)
