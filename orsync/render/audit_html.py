"""`orsync audit --format html`: the audit as one self-contained page (orsync.render.html_page):
a tile per workspace, clean or with violations, then the violations and the warnings."""

from __future__ import annotations

from orsync.findings import AuditedWorkspace, AuditReport, counted, violations_summary
from orsync.render.html_page import Tile, render_page, violation_rows


def render_audit_html(report: AuditReport) -> str:
    """The page; `color` is not used."""
    total = sum(w.destinations for w in report.workspaces)
    summary = (
        f"Audited {counted(len(report.workspaces), 'workspace')} "
        f"({counted(total, 'destination')}): "
        + (violations_summary(report.violations) if report.violations else "no policy violations")
        + "."
    )
    return render_page(
        "audit.html.j2",
        title="orsync audit",
        config_path=report.config_path,
        summary=summary,
        tiles=[_tile(report, workspace) for workspace in report.workspaces],
        violations=violation_rows(report.violations),
        warnings=list(report.warnings),
    )


def _tile(report: AuditReport, workspace: AuditedWorkspace) -> Tile:
    found = report.count(workspace.id)
    label = workspace.label + (f" ({workspace.name})" if workspace.name else "")
    facts = f"{counted(workspace.destinations, 'destination')}, {counted(found, 'violation')}"
    return Tile(label, "violations" if found else "clean", facts)
