"""The text plan, in the spirit of Terraform: one block per destination, then a summary line."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import click

from orsync.plan import Action, Change, Plan
from orsync.render.values import (
    change_rows,
    live_age,
    show_stamp,
    show_value,
    workspace_label,
)
from orsync.render.violations import violation_lines

_SYMBOL = {
    Action.CREATE: "+",
    Action.UPDATE: "~",
    Action.REPLACE: "-/+",
    Action.DELETE: "-",
    Action.UNMANAGED: "?",
}
_COLOR = {
    Action.CREATE: "green",
    Action.UPDATE: "yellow",
    Action.REPLACE: "magenta",
    Action.DELETE: "red",
    Action.UNMANAGED: "cyan",
}
_VERB = {
    Action.CREATE: "will be created",
    Action.UPDATE: "will be updated in place",
    Action.REPLACE: "must be replaced (type changed: created anew, then the old one deleted)",
    Action.DELETE: "will be destroyed (not in the config; unmanaged: delete)",
    Action.UNMANAGED: "is live but not in the config (unmanaged)",
}


def render_text(plan: Plan, *, color: bool = False, now: datetime | None = None) -> str:
    """The whole plan as text; `color` adds ANSI colors (for a terminal only). `now` (default:
    the clock) is what "last changed live ... ago" counts from."""
    now = now or datetime.now(UTC)
    lines: list[str] = []
    workspace: object = object()
    for change in plan.changes:
        if change.workspace_id != workspace:
            workspace = change.workspace_id
            lines.append(_paint(f"{workspace_label(change.workspace_id)}:", "bright_white", color))
        lines.extend(_block(change, color, now))
        lines.append("")
    if plan.violations is not None and (plan.violations or plan.workspaces):
        # With no workspace planned, "No policy violations." would vouch for what was not checked.
        lines.extend([*violation_lines(plan.violations, color=color), ""])
    lines.append(summary_line(plan))
    return "\n".join(lines) + "\n"


def summary_line(plan: Plan) -> str:
    if not plan.workspaces:
        # A file of `policy:` alone, or `workspaces: []`: "No changes" would say live matches.
        return f"Nothing planned: {plan.config_path} declares no workspaces."
    if plan.in_sync:
        return f"No changes. Live destinations match {plan.config_path}."
    counts = plan.summary()
    return (
        f"Plan: {counts['create']} to add, {counts['update']} to change, "
        f"{counts['replace']} to replace, {counts['delete']} to destroy, "
        f"{counts['unmanaged']} unmanaged."
    )


def verb(change: Change) -> str:
    """What happens to the destination: `will be updated in place`."""
    if change.action is Action.DELETE and change.source:
        # Not an undeclared destination: the declaration there replaces it.
        return "will be destroyed (the old half of a replace: the declaration here is live anew)"
    return _VERB[change.action]


def _block(change: Change, color: bool, now: datetime) -> Iterator[str]:
    symbol = _SYMBOL[change.action]
    name = change.name if change.name is not None else "(unnamed)"
    where = f"  ({change.source})" if change.source else ""
    yield _paint(f"  # {change.type} {name!r} {verb(change)}{where}", "bright_black", color)
    if change.live_updated_at is not None:
        yield _paint(f"  # {_last_changed(change.live_updated_at, now)}", "bright_black", color)
    for risk in change.risks:
        yield _paint(f"  ! {risk.kind}: {risk.message}", "red", color)
    yield _paint(f"  {symbol} destination {show_value(name)} {{", _COLOR[change.action], color)
    rows = list(change_rows(change))
    width = max((len(path) for _, path, _ in rows), default=0)
    if change.id:
        width = max(width, 2)
        yield f"        {'id'.ljust(width)} = {show_value(change.id)}"
    for mark, path, text in rows:
        line = f"      {mark} {path.ljust(width)} = {text}"
        yield _paint(line, _COLOR[change.action], color) if mark.strip() else line
    yield "    }"


def _last_changed(stamp: str, now: datetime) -> str:
    age = live_age(stamp, now)
    return f"last changed live {show_stamp(stamp)}" + (f" ({age})" if age else "")


def _paint(text: str, color_name: str, color: bool) -> str:
    return click.style(text, fg=color_name) if color else text
