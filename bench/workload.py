"""Config files that declare what `tests/fake_api.py` seeds, so the benchmarks plan real work.

The fake seeds each workspace alike (`seed_destinations`: names `<type>-<n>`, each type's
required keys), so the config is written from the same seeds, without asking the API. Secrets
are declared as a user copying them from a plan would: by their masks (pins), a Sentry DSN by
its masked URL, and the ClickHouse password (which the API hides completely) from an unset
`${VAR}`. Every `drift_every`-th destination declares another sampling rate, so the plan has
updates to show, not only matches.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from fake_api import DESTINATION_TYPES, SECRET_KEYS, mask_secret, sample_config

from orsync.masking import mask_url


def _scalar(value: Any) -> str:
    # JSON strings and numbers are YAML too, and quoting keeps any value what it is.
    return json.dumps(value)


def _secret(dest_type: str, key: str, value: str) -> str:
    if dest_type == "clickhouse" and key == "password":
        return "${CLICKHOUSE_PASSWORD}"
    if dest_type == "sentry" and key == "dsn":
        return mask_url(value)
    return str(mask_secret(value, "prefix"))


def destination_lines(index: int, drift: bool) -> list[str]:
    """The YAML lines of the `index`-th seeded destination of a workspace (a list item)."""
    dest_type = DESTINATION_TYPES[index % len(DESTINATION_TYPES)]
    lines = [
        f"  - name: {dest_type}-{index:05d}",
        f"    type: {dest_type}",
        "    enabled: true",
        f"    sampling_rate: {0.5 if drift else 1}",
        "    privacy_mode: false",
        "    config:",
    ]
    for key, value in sample_config(dest_type, index).items():
        if key == "headers":
            lines.append("      headers:")
            lines += [
                f"        {name}: {_scalar(mask_secret(text, 'prefix'))}"
                for name, text in value.items()
            ]
        elif key in SECRET_KEYS[dest_type] or key == "dsn":
            lines.append(f"      {key}: {_scalar(_secret(dest_type, key, value))}")
        else:
            lines.append(f"      {key}: {_scalar(value)}")
    return lines


def config_text(workspaces: list[str | None], per_workspace: int, drift_every: int = 0) -> str:
    """A config declaring `per_workspace` seeded destinations in each of `workspaces` (None:
    the key's default workspace, declared with the `destinations:` shorthand)."""
    lines = ["version: 1"]
    if workspaces == [None]:
        lines.append("destinations:")
        indent = ""
    else:
        lines.append("workspaces:")
        indent = "    "
    for workspace_id in workspaces:
        if workspace_id is not None:
            lines += [f"  - id: {workspace_id}", "    destinations:"]
        for index in range(per_workspace):
            drift = drift_every > 0 and index % drift_every == drift_every - 1
            lines += [indent + line for line in destination_lines(index, drift)]
    return "\n".join(lines) + "\n"


def write_config(
    path: Path, workspaces: list[str | None], per_workspace: int, drift_every: int = 0
) -> Path:
    path.write_text(config_text(workspaces, per_workspace, drift_every), encoding="utf-8")
    return path
