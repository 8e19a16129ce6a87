"""`orsync.planfile`: saved plans written and read back, refused when stale or damaged."""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
from builders import plan_of

from orsync.destination_types import FIELD_DEFAULTS
from orsync.errors import PlanFileError, StalePlanError
from orsync.model import (
    DesiredDestination,
    Secret,
    SecretOrigin,
    Source,
)
from orsync.plan import Plan, plan_to_json
from orsync.planfile import check_fresh, read_plan_file, write_plan_file

PUBLIC = "pk-lf-public-0000000000-EfGh"
SECRET = "sk-lf-secret-0123456789-AbCd"
ROTATED = "sk-lf-secret-9876543210-ZzYy"
NEW_SECRET = "sk-lf-secret-1111111111-NpQr"
DSN = "https://0123456789abcdef@o77.ingest.sentry.io/4507"
CONFIG_TEXT = "version: 1\ndestinations: []  # the bytes are what counts, not the content\n"


def langfuse(name: str, secret: str, source: str, **fields: Any) -> DesiredDestination:
    config = {
        "publicKey": Secret(SecretOrigin.ENV, PUBLIC, ("LF_PUBLIC",)),
        "secretKey": Secret(SecretOrigin.ENV, secret, ("LF_SECRET",)),
    }
    return DesiredDestination(
        None, name, "langfuse", {**FIELD_DEFAULTS, **fields}, config, Source(source, 4)
    )


def live_items(**extra: Any) -> list[dict[str, Any]]:
    base = {"enabled": True, "sampling_rate": 1, "privacy_mode": False}
    return [
        {
            "id": "id-lf",
            "name": "LF",
            "type": "langfuse",
            **base,
            "config": {"publicKey": "pk-l...EfGh", "secretKey": "sk-l...WxYz"},
            **extra,
        },
        {
            "id": "id-sentry",
            "name": "Stray",
            "type": "sentry",
            **base,
            "config": {"dsn": DSN, "otlpEndpoint": "https://o77.ingest.sentry.io/otlp"},
        },
    ]


def make_plan(
    config: Path, *, secret: str = SECRET, source: str | None = None, **live_extra: Any
) -> Plan:
    """An update with a secret change, a create, and an unmanaged destination with a clear dsn."""
    where = source or str(config)
    wanted = (langfuse("LF", secret, where, sampling_rate=0.5), langfuse("New", NEW_SECRET, where))
    return plan_of(wanted, live_items(**live_extra), path=str(config))


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "orsync.yaml"
    path.write_text(CONFIG_TEXT, encoding="utf-8")
    return path


@pytest.fixture
def saved_path(tmp_path: Path, config: Path) -> str:
    path = str(tmp_path / "change.plan")
    write_plan_file(make_plan(config), path, ("ws-1",))
    return path


def edit(path: str, change: Any) -> None:
    """Rewrite a plan file's JSON document through `change(document)`."""
    with open(path, encoding="utf-8") as stream:
        document = json.load(stream)
    change(document)
    with open(path, "w", encoding="utf-8") as stream:
        json.dump(document, stream)


def test_round_trip(config: Path, saved_path: str) -> None:
    plan = make_plan(config)
    saved = read_plan_file(saved_path)
    assert saved.plan == plan_to_json(plan)
    assert saved.live_fingerprint == plan.live_fingerprint
    assert saved.workspaces == ("ws-1",)
    assert saved.config_path == os.path.abspath(config)
    assert saved.config_sha256 == "sha256:" + hashlib.sha256(config.read_bytes()).hexdigest()
    check_fresh(saved, saved_path, make_plan(config))


def test_the_config_may_be_named_by_another_path(config: Path, saved_path: str) -> None:
    # `source` is the only part of a change that names the file; the file itself is hashed.
    relative = make_plan(config, source="orsync.yaml")
    assert plan_to_json(relative)["changes"][0]["source"] == "orsync.yaml:4"
    check_fresh(read_plan_file(saved_path), saved_path, relative)


def test_a_file_without_live_updated_at_is_still_fresh(config: Path, saved_path: str) -> None:
    # When live last changed is shown, not acted on: a file written before the key existed
    # holds the same plan.
    def drop(document: dict[str, Any]) -> None:
        for change in document["plan"]["changes"]:
            del change["live_updated_at"]

    edit(saved_path, drop)
    check_fresh(read_plan_file(saved_path), saved_path, make_plan(config))


def test_no_secret_is_in_the_file(saved_path: str) -> None:
    text = Path(saved_path).read_text(encoding="utf-8")
    for clear in (PUBLIC, SECRET, NEW_SECRET, DSN):
        assert clear not in text and clear[5:-5] not in text
    assert "...AbCd" in text  # the changed secret is there, as its mask


def test_stale_when_the_config_bytes_change(config: Path, saved_path: str) -> None:
    saved = read_plan_file(saved_path)
    config.write_text(CONFIG_TEXT + "# a comment\n", encoding="utf-8")
    with pytest.raises(StalePlanError, match=re.escape(str(config))):
        check_fresh(saved, saved_path, make_plan(config))


def test_stale_when_live_changes(config: Path, saved_path: str) -> None:
    saved = read_plan_file(saved_path)
    # Live moved on in a way that leaves the plan the same: only the fingerprint tells.
    moved = make_plan(config, created_at="2030-01-01T00:00:00.000Z")
    assert plan_to_json(moved)["changes"] == saved.plan["changes"]
    with pytest.raises(StalePlanError, match="live destinations changed"):
        check_fresh(saved, saved_path, moved)


def test_stale_when_the_plan_differs(config: Path, saved_path: str) -> None:
    saved = read_plan_file(saved_path)
    rotated = make_plan(config, secret=ROTATED)  # an environment variable changed
    assert rotated.live_fingerprint == saved.live_fingerprint
    with pytest.raises(StalePlanError, match="different plan"):
        check_fresh(saved, saved_path, rotated)


@pytest.mark.parametrize(
    "tamper",
    [
        lambda d: d["plan"]["changes"][0].update(action="delete"),
        lambda d: d["plan"]["changes"].pop(),
        lambda d: d["plan"].pop("changes"),
        lambda d: d.update(live_fingerprint="sha256:" + "0" * 64),
    ],
    ids=["action", "dropped-change", "no-changes", "fingerprint"],
)
def test_an_edited_plan_is_refused_as_stale(config: Path, saved_path: str, tamper: Any) -> None:
    edit(saved_path, tamper)
    with pytest.raises(StalePlanError):
        check_fresh(read_plan_file(saved_path), saved_path, make_plan(config))


@pytest.mark.parametrize(
    ("tamper", "problem"),
    [
        (lambda d: d.update(orsync_plan=2), "not a plan file"),
        (lambda d: d.pop("orsync_plan"), "not a plan file"),
        (lambda d: d.pop("live_fingerprint"), "incomplete"),
        (lambda d: d.pop("config_sha256"), "incomplete"),
        (lambda d: d.update(plan=7), "incomplete"),
        (lambda d: d.update(plan="xx"), "incomplete"),
        (lambda d: d.update(workspaces=None), "incomplete"),
    ],
)
def test_a_damaged_plan_file(saved_path: str, tamper: Any, problem: str) -> None:
    edit(saved_path, tamper)
    with pytest.raises(PlanFileError, match=f"^{re.escape(saved_path)}: .*{problem}"):
        read_plan_file(saved_path)


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"Plan: 1 to add", "not JSON"),
        (b'{"orsync_plan": 1, "plan": {', "not JSON"),
        (b'{"orsync_plan": 1, "config_path": "caf\xe9"}', "not JSON"),
        (b"[]", "not a plan file"),
    ],
)
def test_not_a_plan_file(tmp_path: Path, content: bytes, problem: str) -> None:
    path = tmp_path / "x.plan"
    path.write_bytes(content)
    with pytest.raises(PlanFileError, match=f"^{re.escape(str(path))}: .*{problem}"):
        read_plan_file(str(path))
    absent = str(tmp_path / "absent.plan")
    with pytest.raises(PlanFileError, match=f"^{re.escape(absent)}: no such plan file"):
        read_plan_file(absent)


def test_a_deleted_config_cannot_be_checked(config: Path, saved_path: str) -> None:
    saved = read_plan_file(saved_path)
    plan = make_plan(config)
    config.unlink()
    with pytest.raises(PlanFileError, match=re.escape(str(config))):
        check_fresh(saved, saved_path, plan)


def test_a_failed_write_leaves_no_file_behind(tmp_path: Path, config: Path) -> None:
    target = tmp_path / "taken"
    target.mkdir()
    with pytest.raises(PlanFileError, match=re.escape(str(target))):
        write_plan_file(make_plan(config), str(target))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["orsync.yaml", "taken"]
