"""`orsync export`: write a config file from the live state (onboarding).

Reads the chosen workspaces from a live source, builds the file (`orsync.export`), checks that it
loads and plans clean against what was read, and writes it whole or not at all.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from orsync import defaults
from orsync.commands.inputs import LiveSource, SnapshotSource, choose_desired
from orsync.errors import ExportError, OrsyncError
from orsync.export import (
    ExportedConfig,
    ExportHeader,
    api_origin,
    export_config,
    snapshot_origin,
)
from orsync.export_secrets import SecretsMode
from orsync.findings import counted
from orsync.model import LiveState
from orsync.workspaces import WorkspaceInfo

# `-o -` is standard output, as with most tools.
STDOUT = "-"


@dataclass(frozen=True)
class ExportOutcome:
    """The file written (its text, and where: None for standard output) and what to tell."""

    exported: ExportedConfig
    output: str | None
    warnings: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        return self.exported.text

    def summary(self) -> str:
        exported = self.exported
        where = self.output or "standard output"
        return (
            f"Exported {counted(exported.destinations, 'destination')} of "
            f"{counted(exported.workspaces, 'workspace')} to {where}."
        )

    def variables_block(self) -> str:
        """The placeholders of `--secrets env`, as shell lines to fill in ("" when none)."""
        if not self.exported.variables:
            return ""
        lines = [
            f"# Set the {counted(len(self.exported.variables), 'secret')} of the exported file "
            "(plan reports them not verified until then):",
            *(f"export {name}=" for name in self.exported.variables),
        ]
        return "\n".join(lines) + "\n"


def export_workspaces(
    config_path: str, workspaces: Sequence[str], source: LiveSource
) -> list[WorkspaceInfo | None]:
    """The workspaces to export (None: the key's default one), each with its slug where it is
    known already: those named (`default`: the key's own), else the config's when the file
    exists, else every workspace of a snapshot, else the key's default one."""
    from orsync.workspaces import find_named

    if workspaces:
        found = find_named(workspaces, source.find_workspaces)
        return list({None if w is None else w.id: w for w in found}.values())
    if os.path.exists(config_path):
        # Slugs in the file are resolved to the workspaces' ids.
        entries = choose_desired(config_path, (), source).workspaces
        if entries:  # a config of only a policy declares none
            return [None if w.id is None else WorkspaceInfo(w.id, w.slug) for w in entries]
    if isinstance(source, SnapshotSource):
        from orsync.snapshot import snapshot_workspaces

        return snapshot_workspaces(source.path)
    return [None]


def run_export(
    config_path: str,
    source: LiveSource,
    *,
    base_url: str = defaults.BASE_URL,
    output: str | None = None,
    workspaces: Sequence[str] = (),
    secrets: SecretsMode = SecretsMode.PIN,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> ExportOutcome:
    """Export the live destinations of the chosen workspaces to `output` (None or `-`:
    only return the text, for standard output). `base_url` is named in the header when
    `source` is the API; `now` is the header's clock."""
    with source.session():  # one client for all the calls
        chosen = export_workspaces(config_path, workspaces, source)
        live = source.read([None if w is None else w.id for w in chosen])
        slugs = _slugs(chosen, source) if secrets is SecretsMode.ENV else {}
    if isinstance(source, SnapshotSource):
        origin = snapshot_origin(source.path)
    else:
        origin = api_origin(base_url)
    exported = export_config(live, ExportHeader(now(), origin), secrets, slugs)
    target = None if output in (None, STDOUT) else output
    warnings = (*exported.notes, *verify(exported.text, live, target or "the exported file"))
    if target is not None:
        _write(target, exported.text)
    return ExportOutcome(exported, target, tuple(warnings))


def _slugs(chosen: Sequence[WorkspaceInfo | None], source: LiveSource) -> dict[str, str]:
    """The slug of each workspace that has one, to name the placeholders of `--secrets env`:
    those not known yet are looked up."""
    known = {w.id: w.slug for w in chosen if w is not None and w.slug}
    unknown = [w.id for w in chosen if w is not None and not w.slug]
    found = source.find_workspaces(unknown) if unknown else {}
    looked_up = {i: w.slug for i, w in found.items() if w is not None and w.slug}
    return {**known, **looked_up}


def verify(text: str, live: LiveState, file: str) -> list[str]:
    """What stands between the file and a clean plan against `live` (empty: nothing).

    Read with no environment, as a user without the secrets would: placeholders are then
    "not verified", which is not drift.
    """
    from orsync.config import load_config_text
    from orsync.diff import plan_changes

    try:
        plan = plan_changes(load_config_text(text, file, environ={}), live)
    except OrsyncError as exc:
        return [f"{file} does not plan against live as it should ({exc}); please report this"]
    return [
        f"{file} does not plan clean against live: {change.action.value} "
        f"{change.type} {change.id or change.name!r} "
        f"({', '.join(f.path for f in change.fields) or 'whole'}); please report this"
        for change in plan.changes
    ]


def _write(path: str, text: str) -> None:
    from orsync.atomic import write_text_atomically

    try:
        write_text_atomically(path, text)
    except OSError as exc:
        raise ExportError(f"{path}: cannot write the exported config: {exc.strerror}") from exc
