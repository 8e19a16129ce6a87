"""`orsync audit --format text`: the workspaces read, then the violations, then a closing line."""

from __future__ import annotations

from orsync.findings import AuditReport
from orsync.render.violations import violation_lines


def _counted(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def render_audit_text(report: AuditReport, *, color: bool = False) -> str:
    """Each workspace read with its count of violations, then the violations."""
    total = sum(w.destinations for w in report.workspaces)
    lines = [
        f"Audited {_counted(len(report.workspaces), 'workspace')} "
        f"({_counted(total, 'destination')}) against the policy of {report.config_path}:"
    ]
    for workspace in report.workspaces:
        name = f" {workspace.name!r}" if workspace.name else ""
        found = report.count(workspace.id)
        verdict = _counted(found, "violation") if found else "clean"
        lines.append(
            f"  {workspace.label}{name}: {_counted(workspace.destinations, 'destination')}, "
            f"{verdict}"
        )
    lines.append("")
    lines.extend(violation_lines(report.violations, color=color))
    return "\n".join(lines) + "\n"
