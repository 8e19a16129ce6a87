"""`plan --format html`: the plan as one self-contained page, for someone who never used the CLI.

The summary; a tile per workspace colored by its status (in sync, drift, violations); each
change with its field diffs (secrets masked as the text plan shows them); the policy
violations; the risks; the warnings. Shared pieces are in orsync.render.html_page.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from orsync.findings import counted
from orsync.plan import Change, Plan
from orsync.render.html_page import Tile, render_page, violation_rows
from orsync.render.text import summary_line, verb
from orsync.render.values import change_facts, change_rows, show_value, workspace_label


@dataclass(frozen=True)
class ChangeView:
    """A change as the page shows it: every value already text, secrets masked."""

    action: str
    title: str
    workspace: str
    verb: str
    facts: tuple[str, ...]
    risks: tuple[tuple[str, str], ...]
    rows: tuple[tuple[str, str, str], ...]


@dataclass(frozen=True)
class RiskRow:
    destination: str
    workspace: str
    kind: str
    message: str


def render_html(plan: Plan) -> str:
    changes = [_change_view(c) for c in plan.changes]
    return render_page(
        "plan.html.j2",
        title="orsync plan",
        config_path=plan.config_path,
        summary=summary_line(plan),
        # With no workspace planned, neither "live matches" nor "no violations" is known.
        planned=bool(plan.workspaces),
        counts=plan.summary(),
        tiles=_tiles(plan),
        changes=changes,
        violations=None if plan.violations is None else violation_rows(plan.violations),
        risks=[
            RiskRow(view.title, view.workspace, kind, message)
            for view in changes
            for kind, message in view.risks
        ],
        warnings=list(plan.warnings),
    )


def _tiles(plan: Plan) -> list[Tile]:
    """One tile per workspace: violations first among statuses, then drift, else in sync."""
    changed = Counter(c.workspace_id for c in plan.changes)
    same = Counter(d.workspace_id for d in plan.unchanged_destinations)
    broken = Counter(v.workspace_id for v in plan.violations or ())
    order = dict.fromkeys([*plan.workspaces, *changed, *same, *broken])
    tiles = []
    for workspace_id in order:
        facts = [counted(changed[workspace_id], "change"), f"{same[workspace_id]} unchanged"]
        if plan.violations is not None:
            facts.append(counted(broken[workspace_id], "violation"))
        status = _status(broken[workspace_id], changed[workspace_id])
        tiles.append(Tile(workspace_label(workspace_id), status, ", ".join(facts)))
    return tiles


def _status(violations: int, changes: int) -> str:
    if violations:
        return "violations"
    return "drift" if changes else "in-sync"


def _change_view(change: Change) -> ChangeView:
    name = show_value(change.name) if change.name is not None else "(unnamed)"
    facts = change_facts(change)
    return ChangeView(
        action=change.action.value,
        title=f"{change.type} {name}",
        workspace=workspace_label(change.workspace_id),
        verb=verb(change),
        facts=tuple(facts),
        risks=tuple((r.kind, r.message) for r in change.risks),
        rows=tuple(change_rows(change)),
    )
