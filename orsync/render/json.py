"""`--format json`: one JSON document on stdout, as docs/plan-json.md describes."""

from __future__ import annotations

import json

from orsync.plan import Plan, plan_to_json


def render_json(plan: Plan) -> str:
    return json.dumps(plan_to_json(plan), indent=2) + "\n"
