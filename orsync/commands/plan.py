"""`orsync plan`: the drift between the config and live, and whether apply would refuse it."""

from __future__ import annotations

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
from orsync.findings import violations_summary
from orsync.plan import Plan


@dataclass(frozen=True)
class PlanOutcome:
    """The plan, and the safety rule apply would refuse it by (None: none)."""

    plan: Plan
    refusal: str | None = None

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


def run_plan(
    config_path: str,
    source: LiveSource,
    *,
    workspaces: Sequence[str] = (),
    max_deletes: int = defaults.MAX_DELETES,
) -> PlanOutcome:
    """Plan the config at `config_path` against the live state `source` gives."""
    from orsync.diff import plan_changes
    from orsync.safety import safety_problem

    desired = choose_desired(config_path, workspaces, source)
    plan = plan_changes(desired, source.read(desired.live_workspace_ids()))
    return PlanOutcome(plan, safety_problem(plan, max_deletes))


def save_plan(outcome: PlanOutcome, path: str, workspaces: Sequence[str] = ()) -> None:
    """Write the plan for `orsync apply PLANFILE`; a plan apply would refuse is not saved."""
    from orsync.planfile import write_plan_file

    if outcome.error() is None:
        write_plan_file(outcome.plan, path, tuple(workspaces))
