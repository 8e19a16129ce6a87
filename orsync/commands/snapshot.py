"""`orsync snapshot`: save the live state as JSON, for offline plans and reviews."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass

from orsync.commands.inputs import LiveSource, counted, load_desired


@dataclass(frozen=True)
class SnapshotOutcome:
    """What was saved, and where."""

    path: str
    destinations: int
    workspaces: int

    def summary(self) -> str:
        spaces = counted(self.workspaces, "workspace")
        return f"Saved {counted(self.destinations, 'destination')} of {spaces} to {self.path}."


def snapshot_workspaces(config_path: str, workspaces: Sequence[str]) -> list[str | None]:
    """The workspaces to save: the config's (when the file exists), else those named, else
    the key's default workspace (`default` names it too)."""
    if os.path.exists(config_path):
        return load_desired(config_path, workspaces).live_workspace_ids()
    return [None if w == "default" else w for w in workspaces] or [None]


def run_snapshot(
    config_path: str, source: LiveSource, output: str, workspaces: Sequence[str] = ()
) -> SnapshotOutcome:
    """Read the live state of the chosen workspaces and write it to `output`."""
    from orsync.snapshot import write_snapshot

    workspace_ids = snapshot_workspaces(config_path, workspaces)
    live = source.read(workspace_ids)
    write_snapshot(live, output)
    count = sum(len(w.destinations) for w in live.workspaces)
    return SnapshotOutcome(output, count, len(workspace_ids))
