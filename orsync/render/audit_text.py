"""`orsync audit --format text`: the workspaces read, then the violations, then a closing line."""

from __future__ import annotations

from orsync.findings import AuditReport, counted
from orsync.render.violations import violation_lines


def render_audit_text(report: AuditReport, *, color: bool = False) -> str:
    """Each workspace read with its count of violations, then the violations."""
    total = sum(w.destinations for w in report.workspaces)
    lines = [
        f"Audited {counted(len(report.workspaces), 'workspace')} "
        f"({counted(total, 'destination')}) against the policy of {report.config_path}:"
    ]
    for workspace in report.workspaces:
        name = f" {workspace.name!r}" if workspace.name else ""
        found = report.count(workspace.id)
        verdict = counted(found, "violation") if found else "clean"
        lines.append(
            f"  {workspace.label}{name}: {counted(workspace.destinations, 'destination')}, "
            f"{verdict}"
        )
    lines.append("")
    lines.extend(violation_lines(report.violations, color=color))
    return "\n".join(lines) + "\n"
