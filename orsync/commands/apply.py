"""`orsync apply`: plan, show, check, ask, carry out, then plan again to verify.

The interactive parts (showing the plan, asking for `yes`, reporting progress, hearing Ctrl-C)
are callbacks, so the whole workflow runs in-process in tests.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from orsync import defaults
from orsync.apply import ApplyReport, actionable, apply_plan
from orsync.commands.inputs import (
    ClientOpener,
    Progress,
    load_desired,
    read_with_progress,
)
from orsync.errors import EXIT_DRIFT, EXIT_OK, ApplyError
from orsync.findings import counted
from orsync.plan import Plan

if TYPE_CHECKING:
    from orsync.api import ApiClient
    from orsync.model import DesiredState
    from orsync.planfile import SavedPlan


def _never() -> bool:
    return False


def _ignore(_: object) -> None:
    return None


@dataclass(frozen=True)
class ApplyCallbacks:
    """The interactive parts of apply, given by the caller.

    `approve` is asked only for a plan made now (a saved plan was reviewed already); it raises
    to refuse. `should_stop` is polled between steps (a first Ctrl-C). `reading` hears how
    reading the workspaces goes, before and after acting.
    """

    show_plan: Callable[[Plan], None] = _ignore
    approve: Callable[[], None] = lambda: None
    progress: Callable[[str], None] = _ignore
    should_stop: Callable[[], bool] = _never
    reading: Progress | None = None


@dataclass(frozen=True)
class ApplyOutcome:
    """The plan carried out, what was done, and the plan made afterwards (None: nothing to do)."""

    config_path: str
    before: Plan
    report: ApplyReport = field(default_factory=ApplyReport)
    after: Plan | None = None

    @property
    def remaining(self) -> bool:
        """Whether live still differs from the config after apply acted."""
        return self.after is not None and bool(actionable(self.after))

    @property
    def exit_code(self) -> int:
        return EXIT_DRIFT if self.remaining else EXIT_OK

    def summary(self) -> str:
        """The closing line: nothing to do, done, or live still differs."""
        if self.after is None:
            return "Nothing to apply."
        if self.remaining:
            return "Apply finished, but live does not match the config yet:"
        notes = []
        unmanaged = self.after.summary()["unmanaged"]
        if unmanaged:
            notes.append(f"{counted(unmanaged, 'unmanaged destination')} left as is")
        # A secret that cannot be compared was not found to differ, so it was not sent either.
        if self.after.unverified:
            notes.append(
                f"{counted(len(self.after.unverified), 'secret')} not verified, so not sent"
            )
        note = f" ({'; '.join(notes)})" if notes else ""
        return f"Apply complete: live matches {self.config_path}{note}."


def run_apply(
    config_path: str,
    open_client: ClientOpener,
    *,
    planfile: str | None = None,
    config_given: bool = False,
    auto_approve: bool = False,
    max_deletes: int = defaults.MAX_DELETES,
    callbacks: ApplyCallbacks | None = None,
) -> ApplyOutcome:
    """Make live match the config at `config_path` (or carry out the saved plan `planfile`).

    Refuses before any change: a stale saved plan (exit 1), a safety rule (exit 3), what
    cannot be sent (exit 1). `config_given`: the config path was chosen by the user, so it
    wins over the one a saved plan names.
    """
    from orsync.planfile import read_plan_file
    from orsync.workspaces import choose_workspaces, find_with_client

    calls = callbacks or ApplyCallbacks()
    saved = read_plan_file(planfile) if planfile else None
    if saved is not None and not config_given:
        config_path = saved.config_path
    desired = load_desired(config_path)
    with open_client() as client:
        names = saved.workspaces if saved else ()
        desired = choose_workspaces(desired, names, lambda n: find_with_client(client, n))
        return _apply(desired, client, saved, planfile, auto_approve, max_deletes, calls)


def _apply(
    desired: DesiredState,
    client: ApiClient,
    saved: SavedPlan | None,
    planfile: str | None,
    auto_approve: bool,
    max_deletes: int,
    calls: ApplyCallbacks,
) -> ApplyOutcome:
    from orsync.diff import plan_changes
    from orsync.planfile import check_fresh
    from orsync.safety import check_feasible, check_policy, check_safety

    workspace_ids = desired.live_workspace_ids()
    current = plan_changes(desired, read_with_progress(client, workspace_ids, calls.reading))
    if saved is not None and planfile is not None:
        check_fresh(saved, planfile, current)
    calls.show_plan(current)
    # A policy broken with nothing to change still fails, as it does for plan.
    check_policy(current)
    if not actionable(current):
        return ApplyOutcome(desired.path, current)
    check_safety(current, max_deletes)
    check_feasible(current)
    if saved is None and not auto_approve:
        calls.approve()
    report = ApplyReport()
    try:
        apply_plan(
            current, client, report=report, progress=calls.progress, should_stop=calls.should_stop
        )
    except KeyboardInterrupt:
        raise ApplyError(
            "apply interrupted twice, during a request: the step under way may or may "
            f"not have taken effect. done: {'; '.join(report.done) or 'nothing'}. Run "
            "`orsync plan` to see where live stands, and `orsync apply` to finish"
        ) from None
    if not report.complete:
        raise ApplyError(report.stopped_text())
    after = plan_changes(desired, read_with_progress(client, workspace_ids, calls.reading))
    return ApplyOutcome(desired.path, current, report, after)
