"""`--format markdown`: the plan for a pull-request comment."""

from __future__ import annotations

import re
from collections.abc import Sequence

from orsync.findings import Violation, violations_summary
from orsync.plan import Action, Change, Plan
from orsync.render.text import summary_line
from orsync.render.values import (
    field_rows,
    show_single,
    workspace_label,
    worth_showing_when_removed,
)

_HEADING = {
    Action.CREATE: "Create",
    Action.UPDATE: "Update",
    Action.REPLACE: "Replace",
    Action.DELETE: "Delete",
    Action.UNMANAGED: "Unmanaged",
}


def _cell(text: str) -> str:
    """Code text in a table cell, shown as it is: a fence longer than any backtick run in it,
    pipes escaped (they would end the cell), line breaks as spaces."""
    text = text.replace("|", "\\|").replace("\n", " ")
    runs = [len(part) for part in re.findall(r"`+", text)]
    fence = "`" * (max(runs, default=0) + 1)
    padded = f" {text} " if "`" in text else text
    return f"{fence}{padded}{fence}"


def render_markdown(plan: Plan) -> str:
    lines = ["### orsync plan", "", f"**{summary_line(plan)}**", ""]
    lines.extend(_overview(plan))
    for change in plan.changes:
        lines.extend(_section(change))
    if plan.violations is not None:
        lines.extend(violations_table(plan.violations))
    if plan.warnings:
        lines.append("<details><summary>Warnings</summary>")
        lines.append("")
        lines.extend(f"- {_cell(w)}" for w in plan.warnings)
        lines.extend(["", "</details>", ""])
    return "\n".join(lines)


def _overview(plan: Plan) -> list[str]:
    """One row per change, with its risk flags: what a reviewer reads first."""
    if not plan.changes:
        return []
    lines = [
        "| action | destination | type | workspace | risks |",
        "| --- | --- | --- | --- | --- |",
    ]
    for change in plan.changes:
        name = _cell(change.name) if change.name is not None else "(unnamed)"
        workspace = _cell(change.workspace_id) if change.workspace_id else "default"
        risks = "<br>".join(f"! {_cell(r.kind)}: {_cell(r.message)}" for r in change.risks)
        lines.append(
            f"| {_HEADING[change.action]} | {name} | {_cell(change.type)} | {workspace} | {risks} |"
        )
    return [*lines, ""]


def violations_table(violations: Sequence[Violation]) -> list[str]:
    """The policy violations as a table: rule, workspace, destination, message."""
    if not violations:
        return ["**No policy violations.**", ""]
    lines = [
        f"#### {violations_summary(violations)}",
        "",
        "| rule | workspace | destination | message |",
        "| --- | --- | --- | --- |",
    ]
    for violation in violations:
        workspace = _cell(violation.workspace_id) if violation.workspace_id else "default"
        name = _cell(violation.name) if violation.name is not None else ""
        lines.append(
            f"| {_cell(violation.rule)} | {workspace} | {name} | {_cell(violation.message)} |"
        )
    return [*lines, ""]


def _section(change: Change) -> list[str]:
    name = change.name if change.name is not None else "(unnamed)"
    where = f" ({_cell(change.source)})" if change.source else ""
    lines = [
        f"#### {_HEADING[change.action]}: {_cell(name)} ({_cell(change.type)}, "
        f"{workspace_label(change.workspace_id)}){where}",
        "",
    ]
    if change.id:
        lines.extend([f"id: {_cell(change.id)}", ""])
    if change.action in (Action.UPDATE, Action.REPLACE, Action.CREATE):
        lines.extend(["| field | change |", "| --- | --- |"])
        for field in change.fields:
            if change.action is Action.CREATE:
                rows = [("+", field.path, show_single(field, field.after))]
            else:
                rows = field_rows(field)
            for mark, path, text in rows:
                shown = text if mark == "~" else f"{mark} {text}"
                lines.append(f"| {_cell(path)} | {_cell(shown)} |")
        lines.append("")
    else:
        lines.extend(["| field | live value |", "| --- | --- |"])
        for field in change.fields:
            if worth_showing_when_removed(field):
                shown = show_single(field, field.before)
                lines.append(f"| {_cell(field.path)} | {_cell(shown)} |")
        lines.append("")
    return lines
