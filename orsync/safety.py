"""Checks made before apply changes anything: safety rules, and what apply could not carry out.

Pure functions of the plan. Safety rules (protect, max deletes) and the config's policy (the
violations orsync.policy found in what apply would leave) refuse with exit 3; a plan that
cannot be carried out in full (a secret known only by its mask, a missing required key) is
refused with exit 1. Both run before the first request, so a refusal changes nothing.
"""

from __future__ import annotations

from orsync import defaults
from orsync import destination_types as types
from orsync.errors import ApplyError, PolicyError, SafetyError
from orsync.findings import violations_summary
from orsync.plan import Action, Plan
from orsync.request_bodies import SERVER_MADE_CREATE, unknown_secrets, update_body


def safety_problem(plan: Plan, max_deletes: int = defaults.MAX_DELETES) -> str | None:
    """Which safety rule the plan breaks (protect, max deletes), or None."""
    destructive = [c for c in plan.changes if c.action in (Action.DELETE, Action.REPLACE)]
    protected = [c for c in destructive if c.protect]
    if protected:
        names = ", ".join(f"{c.name!r} ({c.source})" for c in protected)
        return f"protect forbids deleting or replacing {names}"
    if len(destructive) > max_deletes:
        names = ", ".join(repr(c.name) for c in destructive)
        return (
            f"{len(destructive)} destinations would be deleted or replaced ({names}), "
            f"more than --max-deletes {max_deletes}"
        )
    return None


def check_safety(plan: Plan, max_deletes: int = defaults.MAX_DELETES) -> None:
    """Refuse (exit 3) a plan that deletes too many destinations or touches a protected one."""
    problem = safety_problem(plan, max_deletes)
    if problem:
        raise SafetyError(f"refusing to apply: {problem}; nothing was changed")


def check_policy(plan: Plan) -> None:
    """Refuse (exit 3) a plan that would leave a workspace breaking the config's policy."""
    if plan.violations:
        raise PolicyError(
            f"refusing to apply: {violations_summary(plan.violations)} in what apply would "
            "leave (listed above); nothing was changed"
        )


def check_feasible(plan: Plan) -> None:
    """Refuse (exit 1), before any change, what apply could not carry out in full.

    A create needs every secret in clear and every required config key; an update cannot
    send a secret the file holds only as a mask or an unset variable.
    """
    problems: list[str] = []
    for change in plan.changes:
        if change.desired is None:
            continue
        desired = change.desired
        where = f"{desired.source}: {desired.name}"
        if change.action in (Action.CREATE, Action.REPLACE):
            for unknown in unknown_secrets(desired.config):
                problems.append(f"{where}: {unknown}: set it from a variable to create")
            spec = types.TYPES.get(desired.type)
            for key in spec.required_keys() if spec else ():
                if key not in desired.config:
                    problems.append(f"{where}: config.{key} is required to create: declare it")
            for key in desired.config:
                if types.is_server_made(desired.type, key):
                    problems.append(f"{where}: config.{key} {SERVER_MADE_CREATE}")
        elif change.action is Action.UPDATE:
            problems.extend(f"{where}: {issue}" for issue in update_body(change)[1])
    if problems:
        raise ApplyError("cannot apply: " + "; ".join(problems) + "; nothing was changed")
