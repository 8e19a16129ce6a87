"""Policy violations as text lines: the section of the text plan, of `validate` and of `audit`."""

from __future__ import annotations

from collections.abc import Sequence

import click

from orsync.findings import Violation, violations_summary


def violation_lines(violations: Sequence[Violation], *, color: bool = False) -> list[str]:
    """`N policy violations (rules):` and one `! message` line each; a line saying there are
    none when the list is empty."""
    if not violations:
        return ["No policy violations."]
    heading = f"{violations_summary(violations)}:"
    lines = [click.style(heading, fg="red", bold=True) if color else heading]
    for violation in violations:
        line = f"  ! {violation.message}"
        lines.append(click.style(line, fg="red") if color else line)
    return lines
