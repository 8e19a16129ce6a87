"""Carry out a Plan through the API: creates, then updates, replaces and deletes, in that order.

The checks made before (safety.py) and the bodies sent (request_bodies.py) live apart. A
create is never retried, and never made for a name that is live or may be (create_check.py):
a create whose answer never came is checked by listing over a settle period, and reported as
unknown when it still cannot be told.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from orsync import defaults
from orsync.create_check import (
    CreatingApi,
    LiveNames,
    NameTakenError,
    OutcomeUnknownError,
    create_once,
)
from orsync.errors import ApiError, ApplyError, OrsyncError
from orsync.plan import Action, Change, Plan
from orsync.request_bodies import update_body
from orsync.sensitive import redact

_ORDER = (Action.CREATE, Action.UPDATE, Action.REPLACE, Action.DELETE)


class DestinationsApi(CreatingApi, Protocol):
    """What apply needs of the API client: what creating needs, and more."""

    def update_destination(
        self, destination_id: str, body: Mapping[str, Any]
    ) -> dict[str, Any]: ...
    def delete_destination(self, destination_id: str) -> bool: ...


@dataclass
class ApplyReport:
    """What apply did, what failed, what it cannot tell, and what it did not try."""

    done: list[str] = field(default_factory=list)
    failed: str | None = None
    # The step whose answer never came and whose effect the listings did not show.
    unknown: str | None = None
    not_tried: list[str] = field(default_factory=list)
    interrupted: bool = False
    next_step: str = "run `orsync apply` again to finish"

    @property
    def stopped(self) -> bool:
        return self.interrupted or self.failed is not None or self.unknown is not None

    @property
    def complete(self) -> bool:
        return not self.stopped and not self.not_tried

    def stopped_text(self) -> str:
        """One paragraph for a run that did not complete: done, failed or unknown, not tried,
        what next."""
        parts = ["apply stopped" + (" on interrupt" if self.interrupted else "")]
        parts.append("done: " + ("; ".join(self.done) or "nothing"))
        if self.failed:
            parts.append(f"failed: {self.failed}")
        if self.unknown:
            parts.append(self.unknown)
        parts.append("not tried: " + ("; ".join(self.not_tried) or "nothing"))
        parts.append(self.next_step)
        return ". ".join(parts)


def actionable(plan: Plan) -> list[Change]:
    """The changes apply carries out, in its order (unmanaged ones are only reported)."""
    return sorted(
        (c for c in plan.changes if c.action in _ORDER), key=lambda c: _ORDER.index(c.action)
    )


def change_label(change: Change) -> str:
    """`update webhook 'hook' in workspace ...`: a change as the apply report names it."""
    where = f" in workspace {change.workspace_id}" if change.workspace_id else ""
    return f"{change.action.value} {change.type} {change.name!r}{where}"


# Carrying out -----------------------------------------------------------------------------

Step = tuple[str, Callable[[], str]]
# Creates a destination unless its name is taken; returns a note for the report.
Creator = Callable[[Change], str]


def _steps(change: Change, client: DestinationsApi, create: Creator) -> list[Step]:
    """The requests of one change; a replace is two steps, so a report can say which ran."""
    desired, ident = change.desired, change.id
    if change.action is Action.CREATE:
        assert desired is not None
        return [(change_label(change), lambda: create(change))]
    if change.action is Action.UPDATE:
        assert ident is not None
        return [(change_label(change), lambda: _update(ident, change, client))]
    if change.action is Action.REPLACE:
        assert desired is not None and ident is not None and change.live is not None
        old_type = change.live.type
        return [
            (
                f"{change_label(change)}: create the new {desired.type}",
                lambda: create(change),
            ),
            (f"{change_label(change)}: delete the old {old_type}", lambda: _delete(ident, client)),
        ]
    assert ident is not None
    return [(change_label(change), lambda: _delete(ident, client))]


def apply_plan(
    plan: Plan,
    client: DestinationsApi,
    *,
    report: ApplyReport | None = None,
    progress: Callable[[str], None] = lambda _: None,
    should_stop: Callable[[], bool] = lambda: False,
    check_waits: Sequence[float] | None = None,
) -> ApplyReport:
    """Carry out every actionable change in order; stop at the first failure, at a create
    whose outcome is unknown, or on request.

    `report` is filled in as steps run, so a caller interrupted mid-way still has it.
    `check_waits`: seconds before each listing that looks for a create whose answer never
    came (default: defaults.CREATE_CHECK_WAITS).
    """
    report = ApplyReport() if report is None else report
    changes = actionable(plan)
    waits = defaults.CREATE_CHECK_WAITS if check_waits is None else check_waits
    names = LiveNames(client, [c.id for c in plan.changes if c.id is not None])

    def create(change: Change) -> str:
        assert change.desired is not None
        return create_once(change.desired, client, names, waits)

    for index, change in enumerate(changes):
        steps = _steps(change, client, create)
        for position, (label, run) in enumerate(steps):
            notes = ""
            if should_stop():
                report.interrupted = True
            else:
                try:
                    notes = run()
                except OutcomeUnknownError as exc:
                    report.unknown = f"{label}: unknown whether it took effect ({exc})"
                    report.next_step = _UNKNOWN_NEXT_STEP
                except (ApiError, ApplyError) as exc:
                    report.failed = f"{label}: {redact(str(exc))}"
                    report.next_step = _next_step(exc, change, position, changes[index + 1 :])
            if report.stopped:
                report.not_tried = _untried(change, steps, position, report.interrupted)
                report.not_tried += [change_label(c) for c in changes[index + 1 :]]
                return report
            report.done.append(label + (f" ({notes})" if notes else ""))
            progress(report.done[-1])
    return report


# A rerun at once could create the destination a second time, should the first land later.
_UNKNOWN_NEXT_STEP = (
    "the API may still be making it: run `orsync plan` in a minute to see whether it "
    "appeared before applying again"
)


def _next_step(error: OrsyncError, change: Change, position: int, later: list[Change]) -> str:
    """What a person should do after a failed step: a rerun only helps when nothing refused."""
    if isinstance(error, NameTakenError):
        return "run `orsync plan` again to see live as it is now, then apply"
    pinned = change.desired is not None and change.desired.id is not None
    if change.action is Action.REPLACE and position == 1 and not pinned:
        # Without a pin the next plan cannot tell the old half from a destination made
        # by hand, so it is left to the workspace's `unmanaged` policy.
        return (
            f"the new {change.type} is live; the old {change.live.type if change.live else ''} "
            f"{change.id} was not deleted: the next `orsync apply` deletes it only under "
            "`unmanaged: delete` (else it is reported as unmanaged): delete it by hand, "
            "or pin this destination's `id` to the old one and run `orsync apply` again"
        )
    if not isinstance(error, ApiError):
        return "give orsync what the message names, then run `orsync apply` again"
    status = error.status
    if status is None or status >= 500 or status == 429:
        return "run `orsync apply` again to finish"
    if status == 409 and any(c.action is Action.DELETE and c.type == change.type for c in later):
        return (
            f"the API refused (409: perhaps its limit of destinations per type); deletes come "
            f"after creates, so delete a {change.type} destination first, then run "
            "`orsync apply` again"
        )
    return "fix what the API refused, then run `orsync apply` again"


def _untried(change: Change, steps: list[Step], position: int, interrupted: bool) -> list[str]:
    """What of the current change did not run: itself, or its steps after a first one ran."""
    if position == 0:
        return [change_label(change)] if interrupted else []
    return [label for label, _ in steps[position if interrupted else position + 1 :]]


def _update(ident: str, change: Change, client: DestinationsApi) -> str:
    body, unsendable = update_body(change)
    if unsendable:
        # Sending the rest would leave the destination half-updated; check_feasible says why.
        raise ApplyError("; ".join(unsendable))
    if body:
        client.update_destination(ident, body)
    return ""


def _delete(ident: str, client: DestinationsApi) -> str:
    return "" if client.delete_destination(ident) else "it was already gone"
