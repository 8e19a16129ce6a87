"""`orsync audit --format json`: one JSON document on stdout (docs/audit.md)."""

from __future__ import annotations

import json

from orsync.findings import AuditReport, audit_to_json


def render_audit_json(report: AuditReport) -> str:
    """The document; `color` is not used (JSON has none)."""
    return json.dumps(audit_to_json(report), indent=2) + "\n"
