"""`orsync plan`: the drift between the config and live, and whether apply would refuse it."""

from __future__ import annotations

import contextlib
import dataclasses
import shlex
from collections.abc import Sequence
from dataclasses import dataclass

from orsync import defaults
from orsync.commands.inputs import LiveSource, choose_desired
from orsync.errors import (
    EXIT_DRIFT,
    EXIT_OK,
    EXIT_POLICY,
    OrsyncError,
    PolicyError,
    SafetyError,
)
from orsync.findings import counted, violations_summary
from orsync.model import DesiredState, LiveState, LiveWorkspace
from orsync.plan import Action, Plan


@dataclass(frozen=True)
class PlanOutcome:
    """The plan, the safety rule apply would refuse it by (None: none), and the workspaces
    (`--workspace` values: ids, or `default`) holding unmanaged destinations it reports."""

    plan: Plan
    refusal: str | None = None
    unmanaged_in: tuple[str, ...] = ()

    @property
    def exit_code(self) -> int:
        if self.error() is not None:
            return EXIT_POLICY
        return EXIT_OK if self.plan.in_sync else EXIT_DRIFT

    def error(self) -> OrsyncError | None:
        """Why the plan exits 3, shown after it: a safety rule apply would refuse it by, and
        the policy violations of what apply would leave (None: neither)."""
        violations = self.plan.violations or ()
        if self.refusal is not None:
            also = f"; and {violations_summary(violations)}" if violations else ""
            return SafetyError(f"apply would refuse this plan: {self.refusal}{also}")
        if violations:
            return PolicyError(f"{violations_summary(violations)}; apply would refuse this plan")
        return None

    def adopt_hint(self, snapshot: str | None = None) -> str | None:
        """The `orsync export` command that writes the unmanaged destinations as config
        (None: there are none); `snapshot` when the plan was made against one."""
        count = self.plan.summary()["unmanaged"]
        if not count:
            return None
        args = [f"--workspace {workspace}" for workspace in self.unmanaged_in]
        if snapshot is not None:
            args.append(f"--snapshot {shlex.quote(snapshot)}")
        return (
            f"To adopt the {counted(count, 'unmanaged destination')}: "
            f"orsync export {' '.join(args)}, then copy "
            f"{'its entry' if count == 1 else 'their entries'} into "
            f"{self.plan.config_path}."
        )


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

    with source.session():  # one client for all the calls
        desired = choose_desired(config_path, workspaces, source)
        entries = {entry.id: entry for entry in desired.workspaces}
        ahead: list[WorkspacePlan] = []

        def arrived(live_workspace: LiveWorkspace) -> None:
            # Planned while other workspaces are read; plan_changes plans again, in its order,
            # any workspace whose planning failed here, so errors come as they would after.
            if live_workspace.id in entries:
                with contextlib.suppress(OrsyncError):
                    ahead.append(plan_workspace(entries[live_workspace.id], live_workspace))

        live = source.read(desired.live_workspace_ids(), arrived)
    plan = plan_changes(desired, live, ahead)
    if not desired.workspaces:
        plan = dataclasses.replace(plan, warnings=(*plan.warnings, _nothing_to_plan(desired)))
    unmanaged_in = _workspaces_with_unmanaged(plan, desired, live)
    return PlanOutcome(plan, safety_problem(plan, max_deletes), unmanaged_in)


def _nothing_to_plan(desired: DesiredState) -> str:
    """Why a plan of a file without workspaces says nothing about live, and what does."""
    policy = (
        ", its `policy:` included; `orsync audit` checks the policy against live state"
        if desired.policy is not None
        else ""
    )
    return (
        f"{desired.path} declares no workspaces (no `destinations:` or `workspaces:` entry), "
        f"so plan checked nothing against live{policy}"
    )


def _workspaces_with_unmanaged(
    plan: Plan, desired: DesiredState, live: LiveState
) -> tuple[str, ...]:
    """The entries holding an unmanaged destination, as `--workspace` names them."""
    unmanaged = {c.id for c in plan.changes if c.action is Action.UNMANAGED}
    found: list[str] = []
    for entry in desired.workspaces:
        destinations = live.workspace(entry.id)
        if destinations is not None and any(d.id in unmanaged for d in destinations.destinations):
            found.append(entry.id or "default")
    return tuple(found)


def save_plan(outcome: PlanOutcome, path: str, workspaces: Sequence[str] = ()) -> None:
    """Write the plan for `orsync apply PLANFILE`; a plan apply would refuse is not saved."""
    from orsync.planfile import write_plan_file

    if outcome.error() is None:
        write_plan_file(outcome.plan, path, tuple(workspaces))
