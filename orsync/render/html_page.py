"""The pieces the HTML plan and HTML audit share: the Jinja environment, the workspace tiles,
the violations table.

The page is self-contained (inline CSS, no script, nothing fetched), and rendered with
autoescape on, so that any name or message from the config or live is text, never markup. Jinja
is imported here only, and this module only when HTML is asked for: start-up stays fast.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import jinja2

from orsync.findings import Violation
from orsync.render.values import show_value, workspace_label


@dataclass(frozen=True)
class Tile:
    """One workspace at a glance: `status` is a CSS class and a badge (`in-sync`, `drift`,
    `violations`, `clean`)."""

    label: str
    status: str
    facts: str


@dataclass(frozen=True)
class ViolationRow:
    rule: str
    workspace: str
    destination: str
    message: str


STATUS_TEXT = {
    "in-sync": "in sync",
    "clean": "clean",
    "drift": "drift",
    "violations": "violations",
}


@functools.cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("orsync", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_page(template: str, **context: Any) -> str:
    """The page of `orsync/templates/<template>`, with `status_text` for the badges."""
    page = _environment().get_template(template)
    return page.render(status_text=STATUS_TEXT, **context) + "\n"


def violation_rows(violations: Sequence[Violation]) -> list[ViolationRow]:
    return [
        ViolationRow(
            rule=v.rule,
            workspace=workspace_label(v.workspace_id),
            destination=_destination(v),
            message=v.message,
        )
        for v in violations
    ]


def _destination(violation: Violation) -> str:
    if violation.name is not None:
        return show_value(violation.name)
    return f"(unnamed, id {violation.id})" if violation.id else "(the whole workspace)"
