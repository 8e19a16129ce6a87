"""What the policy and the risk checks find: plain values that plans, audits and renderers share.

A `Violation` breaks a rule of the config's `policy:` block (its `rule` is the rule's key); a
`Risk` marks a change a reviewer should look at twice. Neither ever holds a secret: a URL is
named by its host and the path of its key.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from orsync.errors import PolicyError


@dataclass(frozen=True)
class Violation:
    """One destination (or workspace, for `required_types`) that breaks one policy rule."""

    rule: str
    workspace_id: str | None
    name: str | None
    id: str | None
    message: str


@dataclass(frozen=True)
class DestinationRef:
    """A destination named without its values: for the reports that list every destination,
    the unchanged ones too (JUnit, HTML)."""

    workspace_id: str | None
    name: str | None
    type: str
    id: str | None


@dataclass(frozen=True)
class Risk:
    """Why a change deserves a second look; `kind` is one of orsync.risks.RISK_KINDS."""

    kind: str
    message: str


def violation_to_json(violation: Violation) -> dict[str, Any]:
    return {
        "rule": violation.rule,
        "workspace_id": violation.workspace_id,
        "name": violation.name,
        "id": violation.id,
        "message": violation.message,
    }


def risk_to_json(risk: Risk) -> dict[str, Any]:
    return {"kind": risk.kind, "message": risk.message}


def counted(count: int, noun: str) -> str:
    """`1 destination`, `3 destinations`."""
    return f"{count} {noun}" + ("" if count == 1 else "s")


def violations_summary(violations: Sequence[Violation]) -> str:
    """`3 policy violations (allowed_hosts, privacy_mode)`."""
    rules = ", ".join(sorted({v.rule for v in violations}))
    return f"{counted(len(violations), 'policy violation')} ({rules})"


@dataclass(frozen=True)
class AuditedWorkspace:
    """One workspace `orsync audit` read: its id (None: the key's default one, when no live
    destination tells its id), slug and name where known, and how many destinations it has."""

    id: str | None
    slug: str | None
    name: str | None
    destinations: int
    label: str
    # The destinations themselves (`destinations` counts them), for the reports that list
    # each one; not in the JSON form.
    listed: tuple[DestinationRef, ...] = ()


@dataclass(frozen=True)
class AuditReport:
    """What `orsync audit` found: the policy of `config_path` against live state alone."""

    config_path: str
    workspaces: tuple[AuditedWorkspace, ...]
    violations: tuple[Violation, ...]
    warnings: tuple[str, ...] = ()
    # The rules of the policy checked once per workspace rather than per destination
    # (`required_types`, when the policy sets it): a report can show them passing.
    workspace_rules: tuple[str, ...] = ()

    @property
    def clean(self) -> bool:
        return not self.violations

    def count(self, workspace_id: str | None) -> int:
        """The violations found in one workspace."""
        return sum(1 for v in self.violations if v.workspace_id == workspace_id)

    def error(self) -> PolicyError | None:
        """Why the audit exits 3 (None: live keeps the policy)."""
        if not self.violations:
            return None
        return PolicyError(f"{violations_summary(self.violations)} in live state")


def audit_to_json(report: AuditReport) -> dict[str, Any]:
    """The audit as the JSON document `orsync audit --format json` prints (docs/audit.md)."""
    return {
        "format_version": 1,
        "clean": report.clean,
        "config_path": report.config_path,
        "summary": {
            "workspaces": len(report.workspaces),
            "destinations": sum(w.destinations for w in report.workspaces),
            "violations": len(report.violations),
        },
        "workspaces": [
            {
                "id": w.id,
                "slug": w.slug,
                "name": w.name,
                "destinations": w.destinations,
                "violations": report.count(w.id),
            }
            for w in report.workspaces
        ],
        "violations": [violation_to_json(v) for v in report.violations],
        "warnings": list(report.warnings),
    }
