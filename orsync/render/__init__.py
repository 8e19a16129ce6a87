"""Renderers: each turns a Plan (or an audit report) into one output format, and does nothing else.

Plan formats are FORMATS (render_plan); audit formats are AUDIT_FORMATS (render_audit), one
module `orsync/render/audit_<format>.py` each, whose `render_audit_<format>(report)` returns
the whole output: a new format is a new module, a name in AUDIT_FORMATS, and a branch here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from datetime import datetime

    from orsync.findings import AuditReport
    from orsync.plan import Plan

FORMATS = ("text", "json", "markdown", "junit", "html")
AUDIT_FORMATS = ("text", "json", "junit", "html")


def render_plan(
    plan: Plan, output_format: str, *, color: bool = False, now: datetime | None = None
) -> str:
    """The plan in one of FORMATS; `color` and `now` (for "2 days ago"; default: the clock)
    apply to text only. Imports only that renderer."""
    if output_format == "json":
        from orsync.render.json import render_json

        return render_json(plan)
    if output_format == "markdown":
        from orsync.render.markdown import render_markdown

        return render_markdown(plan)
    if output_format == "junit":
        from orsync.render.junit import render_junit

        return render_junit(plan)
    if output_format == "html":
        from orsync.render.html import render_html

        return render_html(plan)
    from orsync.render.text import render_text

    return render_text(plan, color=color, now=now)


def render_audit(report: AuditReport, output_format: str, *, color: bool = False) -> str:
    """The audit report in one of AUDIT_FORMATS; `color` applies to text only. Imports only
    that renderer."""
    if output_format == "json":
        from orsync.render.audit_json import render_audit_json

        return render_audit_json(report)
    if output_format == "junit":
        from orsync.render.audit_junit import render_audit_junit

        return render_audit_junit(report)
    if output_format == "html":
        from orsync.render.audit_html import render_audit_html

        return render_audit_html(report)
    from orsync.render.audit_text import render_audit_text

    return render_audit_text(report, color=color)
