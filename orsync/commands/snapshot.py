"""`orsync snapshot`: save the live state as JSON, for offline plans and reviews."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass

from orsync.commands.inputs import LiveSource, choose_desired
from orsync.findings import counted
from orsync.workspaces import find_named


@dataclass(frozen=True)
class SnapshotOutcome:
    """What was saved, and where."""

    path: str
    destinations: int
    workspaces: int

    def summary(self) -> str:
        spaces = counted(self.workspaces, "workspace")
        return f"Saved {counted(self.destinations, 'destination')} of {spaces} to {self.path}."


def snapshot_workspaces(
    config_path: str, workspaces: Sequence[str], source: LiveSource
) -> tuple[list[str | None], dict[str, str]]:
    """The workspaces to save: the config's (when the file exists), else those named, else
    the key's default workspace (`default` names it too); and the slug of each one named by
    slug, by UUID."""
    if os.path.exists(config_path):
        desired = choose_desired(config_path, workspaces, source)
        slugs = {w.id: w.slug for w in desired.workspaces if w.id and w.slug}
        # A config of only a policy declares no workspace: the key's default one, then.
        return desired.live_workspace_ids() or [None], slugs
    named = find_named(workspaces, source.find_workspaces)
    named_slugs = {w.id: w.slug for w in named if w is not None and w.slug}
    return [None if w is None else w.id for w in named] or [None], named_slugs


def run_snapshot(
    config_path: str, source: LiveSource, output: str, workspaces: Sequence[str] = ()
) -> SnapshotOutcome:
    """Read the live state of the chosen workspaces and write it to `output`."""
    from orsync.snapshot import write_snapshot

    with source.session():  # one client for all the calls
        workspace_ids, slugs = snapshot_workspaces(config_path, workspaces, source)
        live = source.read(workspace_ids)
    write_snapshot(live, output, slugs)
    count = sum(len(w.destinations) for w in live.workspaces)
    return SnapshotOutcome(output, count, len(workspace_ids))
