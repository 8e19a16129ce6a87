"""`orsync plan`: the drift between the config and live, and whether apply would refuse it."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from orsync import defaults
from orsync.commands.inputs import LiveSource, load_desired
from orsync.errors import EXIT_DRIFT, EXIT_OK, EXIT_POLICY, OrsyncError
from orsync.plan import Plan

if TYPE_CHECKING:
    from orsync.model import LiveWorkspace


@dataclass(frozen=True)
class PlanOutcome:
    """The plan, and the safety rule apply would refuse it by (None: none)."""

    plan: Plan
    refusal: str | None = None

    @property
    def exit_code(self) -> int:
        if self.refusal is not None:
            return EXIT_POLICY
        return EXIT_OK if self.plan.in_sync else EXIT_DRIFT


def run_plan(
    config_path: str,
    source: LiveSource,
    *,
    workspaces: Sequence[str] = (),
    max_deletes: int = defaults.MAX_DELETES,
) -> PlanOutcome:
    """Plan the config at `config_path` against the live state `source` gives."""
    from orsync.diff import WorkspacePlan, plan_changes, plan_workspace
    from orsync.safety import safety_problem

    desired = load_desired(config_path, workspaces)
    entries = {entry.id: entry for entry in desired.workspaces}
    ahead: list[WorkspacePlan] = []

    def arrived(live: LiveWorkspace) -> None:
        # Planned while other workspaces are read; plan_changes plans again, in its order,
        # any workspace whose planning failed here.
        if live.id in entries:
            with contextlib.suppress(OrsyncError):
                ahead.append(plan_workspace(entries[live.id], live))

    plan = plan_changes(desired, source.read(desired.live_workspace_ids(), arrived), ahead)
    return PlanOutcome(plan, safety_problem(plan, max_deletes))


def save_plan(outcome: PlanOutcome, path: str, workspaces: Sequence[str] = ()) -> None:
    """Write the plan for `orsync apply PLANFILE`; a plan apply would refuse is not saved."""
    from orsync.planfile import write_plan_file

    if outcome.refusal is None:
        write_plan_file(outcome.plan, path, tuple(workspaces))
