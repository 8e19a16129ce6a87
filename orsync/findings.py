"""What the policy and the risk checks find: plain values that plans, audits and renderers share.

A `Violation` breaks a rule of the config's `policy:` block (its `rule` is the rule's key); a
`Risk` marks a change a reviewer should look at twice. Neither ever holds a secret: a URL is
named by its host and the path of its key.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Violation:
    """One destination (or workspace, for `required_types`) that breaks one policy rule."""

    rule: str
    workspace_id: str | None
    name: str | None
    id: str | None
    message: str


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


def violations_summary(violations: Sequence[Violation]) -> str:
    """`3 policy violations (allowed_hosts, privacy_mode)`."""
    count = len(violations)
    rules = ", ".join(sorted({v.rule for v in violations}))
    noun = "policy violation" if count == 1 else "policy violations"
    return f"{count} {noun} ({rules})"
