"""`orsync audit --format junit`: the audit as JUnit XML (orsync.render.junit_xml).

Each live destination is a test case, failing once per policy rule it breaks; each rule checked
once per workspace (`required_types`) is a test case too.
"""

from __future__ import annotations

from orsync.findings import AuditReport
from orsync.render.junit_xml import JUnitReport


def render_audit_junit(report: AuditReport) -> str:
    """The document; `color` is not used."""
    junit = JUnitReport("orsync audit")
    for workspace in report.workspaces:
        name = f" {workspace.name!r}" if workspace.name else ""
        junit.workspace(workspace.id, f"{workspace.label}{name}")
        for ref in workspace.listed:
            junit.destination(ref)
        for rule in report.workspace_rules:
            junit.rule(workspace.id, rule)
    junit.violations(report.violations)
    return junit.xml()
