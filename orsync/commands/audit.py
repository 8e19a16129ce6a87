"""`orsync audit`: the config's `policy:` against live state alone, across workspaces.

The workspaces: every one the key can see (`--all-workspaces`), those named by UUID or slug
(`--workspace`), else the config's own entries, else the key's default workspace. They are read
concurrently (orsync.live.read_live); nothing is changed. Each is named by what the API says of
it (slug, name), whichever way it was chosen.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

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
    from orsync.policy import live_violations, workspace_rules

    if all_workspaces and workspaces:
        raise UsageError("give --all-workspaces or --workspace, not both")
    desired = load_desired(config_path)
    policy = _policy_of(desired)
    with source.session():  # one client for all the calls
        targets, described = _targets(desired, source, all_workspaces, workspaces)
        read = _each_once(source.read(targets).workspaces)
        infos = _describe([workspace_id for workspace_id, _ in read], described, source)
    audited: list[AuditedWorkspace] = []
    violations: list[Violation] = []
    for (workspace_id, current), info in zip(read, infos, strict=True):
        workspace = _audited(workspace_id, current, info)
        audited.append(workspace)
        violations += live_violations(policy, current, workspace.label)
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
) -> tuple[list[str | None], dict[str, WorkspaceInfo]]:
    """The workspaces to audit, each once (None: the key's default workspace), and what the
    API said of those it was asked about while choosing them."""
    from orsync.workspaces import choose_workspaces, find_named

    described: list[WorkspaceInfo] = []
    if all_workspaces:
        described = source.all_workspaces()
        if not described:
            raise UsageError("--all-workspaces: the key can see no workspace")
        ids: list[str | None] = [w.id for w in described]
    elif names:
        found = find_named(names, source.find_workspaces, look_up_uuids=True)
        described = [w for w in found if w is not None]
        ids = [w.id if w is not None else None for w in found]
    elif desired.workspaces:
        ids = [w.id for w in choose_workspaces(desired, (), source.find_workspaces).workspaces]
    else:
        ids = [None]
    return list(dict.fromkeys(ids)), {w.id: w for w in described}


def _describe(
    ids: Sequence[str | None], described: Mapping[str, WorkspaceInfo], source: LiveSource
) -> list[WorkspaceInfo | None]:
    """Each workspace read as the API describes it (slug, name), however it was chosen, so
    that reports name it alike: one not described yet (an entry of the config, or the
    default workspace, whose id its destinations tell) is looked up. None: the id is
    unknown (the default workspace without a destination)."""
    missing = [i for i in dict.fromkeys(ids) if i is not None and i not in described]
    found = source.find_workspaces(missing) if missing else {}
    return [
        None if i is None else described.get(i) or found.get(i) or WorkspaceInfo(i) for i in ids
    ]


def _audited(
    workspace_id: str | None, current: LiveWorkspace, info: WorkspaceInfo | None
) -> AuditedWorkspace:
    """One workspace read, named as the API describes it: `workspace <uuid> (<slug>)`."""
    from orsync.policy import workspace_label

    slug, name = (info.slug, info.name) if info is not None else (None, None)
    listed = tuple(
        DestinationRef(d.workspace_id or workspace_id, d.name, d.type, d.id)
        for d in current.destinations
    )
    label = workspace_label(workspace_id, slug)
    return AuditedWorkspace(workspace_id, slug, name, len(current.destinations), label, listed)


def _each_once(
    workspaces: Sequence[LiveWorkspace],
) -> list[tuple[str | None, LiveWorkspace]]:
    """Each workspace read with its id, once: `--workspace default` and the default
    workspace's UUID name one workspace, known to be the same once its destinations are read."""
    seen: set[str] = set()
    kept: list[tuple[str | None, LiveWorkspace]] = []
    for current in workspaces:
        workspace_id = current.known_id
        if workspace_id is None or workspace_id not in seen:
            kept.append((workspace_id, current))
        if workspace_id is not None:
            seen.add(workspace_id)
    return kept
