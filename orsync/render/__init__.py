"""Renderers: each turns a Plan into one output format, and does nothing else."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from datetime import datetime

    from orsync.plan import Plan

FORMATS = ("text", "json", "markdown")


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
    from orsync.render.text import render_text

    return render_text(plan, color=color, now=now)
