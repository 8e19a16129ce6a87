"""`plan --format junit`: the plan as JUnit XML, for CI test reports (orsync.render.junit_xml).

Each destination is a test case: an unchanged declared one passes; drift (create, update,
replace, delete, unmanaged) is a failure holding the field changes as the text plan shows them,
secrets masked; each policy violation of what apply would leave is a failure of its own.
"""

from __future__ import annotations

from orsync.findings import DestinationRef
from orsync.plan import Change, Plan
from orsync.render.junit_xml import Failure, JUnitReport
from orsync.render.text import verb
from orsync.render.values import change_facts, change_rows


def render_junit(plan: Plan) -> str:
    report = JUnitReport("orsync plan")
    for workspace_id in plan.workspaces:
        report.workspace(workspace_id)
    for change in plan.changes:
        ref = DestinationRef(change.workspace_id, change.name, change.type, change.id)
        report.destination(ref, [drift_failure(change)])
    for unchanged in plan.unchanged_destinations:
        report.destination(unchanged)
    report.violations(plan.violations or ())
    if not plan.workspaces:
        reason = f"{plan.config_path} declares no workspaces: nothing was compared with live"
        report.skipped("orsync plan", "nothing planned", reason)
    return report.xml()


def drift_failure(change: Change) -> Failure:
    """The change as a failure: what happens, then its facts, risks and field rows."""
    lines = change_facts(change)
    lines += [f"! {risk.kind}: {risk.message}" for risk in change.risks]
    lines += [f"{mark} {path} = {text}" for mark, path, text in change_rows(change)]
    return Failure(change.action.value, f"{change.action.value}: {verb(change)}", "\n".join(lines))
