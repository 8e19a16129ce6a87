"""The installed `orsync` program, run as a user runs it: a subprocess against the fake API.

Most tests run the command in-process; these keep the real executable honest for what only a
process shows: each exit code, each output format, secrets on the way out, tracebacks.
"""

from __future__ import annotations

import json

import pytest
from conftest import SECRET, Orsync
from fake_api import MANAGEMENT_KEY, FakeApi

HOOK_URL = "https://hooks.example.com/in"
CONFIG = """
    version: 1
    destinations:
      - name: LF
        type: langfuse
        sampling_rate: 0.5
        config: {publicKey: "${LF_PUBLIC}", secretKey: "${LF_SECRET}"}
      - name: hook
        type: webhook
        protect: true
        config: {url: "https://hooks.example.com/in"}
    """
PUBLIC = "pk-lf-public-0000000000-EfGh"
ENV = {"LF_PUBLIC": PUBLIC, "LF_SECRET": SECRET}


def seed_in_sync(fake: FakeApi) -> None:
    config = {"publicKey": PUBLIC, "secretKey": SECRET}
    fake.add_destination({"type": "langfuse", "name": "LF", "sampling_rate": 0.5, "config": config})
    fake.add_destination({"type": "webhook", "name": "hook", "config": {"url": HOOK_URL}})


def test_exit_0_when_live_matches(orsync: Orsync, fake: FakeApi) -> None:
    seed_in_sync(fake)
    orsync.write_config(CONFIG)
    result = orsync.executable("plan", env=ENV)
    assert (result.code, result.stderr) == (0, "")
    assert "No changes. Live destinations match orsync.yaml." in result.stdout


def test_exit_1_on_a_bad_config_with_one_line_and_no_traceback(orsync: Orsync) -> None:
    orsync.write_config("version: 1\ndestinations:\n  - name: x\n    typo: webhook\n")
    result = orsync.executable("plan")
    assert result.code == 1
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert (
        result.stderr
        == "Error: orsync.yaml:4: destinations[0].typo: unknown key, did you mean 'type'?\n"
    )
    assert "Traceback" not in result.output


def test_exit_1_on_a_refused_key_says_so_without_the_key(orsync: Orsync, fake: FakeApi) -> None:
    orsync.write_config(CONFIG)
    result = orsync.executable("plan", env=ENV, key="sk-or-v1-not-a-valid-key-000000")
    assert result.code == 1
    assert "the API refused the key in OPENROUTER_MANAGEMENT_KEY (401" in result.stderr
    assert "sk-or-v1-not-a-valid-key" not in result.output


def test_exit_1_for_a_usage_error_not_clicks_2(orsync: Orsync) -> None:
    result = orsync.executable("plan", "--format", "yaml")
    assert result.code == 1
    assert "Invalid value for '--format'" in result.stderr


@pytest.mark.parametrize("output_format", ["text", "json", "markdown"])
def test_exit_2_on_drift_in_every_format_and_no_secret_printed(
    orsync: Orsync, fake: FakeApi, output_format: str
) -> None:
    seed_in_sync(fake)
    fake.add_destination({"type": "webhook", "name": "stray", "config": {"url": HOOK_URL}})
    orsync.write_config(CONFIG.replace("sampling_rate: 0.5", "sampling_rate: 0.25"))
    rotated = {**ENV, "LF_SECRET": "sk-lf-secret-9999999999-ZzYy"}
    result = orsync.executable("plan", "--format", output_format, "--out", "p.plan", env=rotated)
    assert result.code == 2
    result.assert_hides([SECRET, PUBLIC, rotated["LF_SECRET"], MANAGEMENT_KEY])
    saved = (orsync.cwd / "p.plan").read_text(encoding="utf-8")
    for secret in (SECRET, PUBLIC, rotated["LF_SECRET"], MANAGEMENT_KEY):
        assert secret not in saved
    if output_format == "json":
        document = json.loads(result.stdout)
        assert document["summary"]["update"] == 1 and document["summary"]["unmanaged"] == 1
        [secret_field] = [f for c in document["changes"] for f in c["fields"] if f["sensitive"]]
        assert secret_field["path"] == "config.secretKey"
    elif output_format == "markdown":
        assert (
            result.stdout.startswith("**Plan: 0 to add, 1 to change,")
            and "`stray`" in result.stdout
        )
    else:
        assert "Plan: 0 to add, 1 to change, 0 to replace, 0 to destroy, 1 unmanaged." in (
            result.stdout
        )
        assert "(sensitive)" in result.stdout


def test_exit_3_when_a_safety_rule_forbids_the_plan(orsync: Orsync, fake: FakeApi) -> None:
    seed_in_sync(fake)
    fake.add_destination({"type": "webhook", "name": "stray", "config": {"url": HOOK_URL}})
    orsync.write_config(
        CONFIG.replace("type: webhook", "type: otel-collector").replace(
            'url: "https://hooks.example.com/in"', 'endpoint: "https://otel.example.com"'
        )
    )
    plan = orsync.executable("plan", env=ENV)
    assert plan.code == 3
    assert "protect forbids deleting or replacing 'hook'" in plan.stderr
    apply = orsync.executable("apply", "--auto-approve", env=ENV)
    assert apply.code == 3
    assert "refusing to apply" in apply.stderr
    assert fake.mutating_requests() == []


def test_apply_converges_and_exits_0(orsync: Orsync, fake: FakeApi) -> None:
    orsync.write_config(CONFIG)
    result = orsync.executable("apply", "--auto-approve", env=ENV)
    assert result.code == 0, result.output
    assert "Apply complete: live matches orsync.yaml." in result.stdout
    result.assert_hides([SECRET, PUBLIC])
    assert orsync.executable("plan", env=ENV).code == 0


def test_validate_and_snapshot_through_the_program(orsync: Orsync, fake: FakeApi) -> None:
    seed_in_sync(fake)
    orsync.write_config(CONFIG)
    assert orsync.executable("validate", key=None).code == 0
    saved = orsync.executable("snapshot", "-o", "live.json")
    assert saved.code == 0 and "Saved 2 destinations of 1 workspace to live.json." in saved.stdout
    assert SECRET not in (orsync.cwd / "live.json").read_text(encoding="utf-8")
    offline = orsync.executable("plan", "--snapshot", "live.json", env=ENV, key=None)
    assert offline.code == 0


def test_version_and_help_start_without_a_key(orsync: Orsync) -> None:
    assert orsync.executable("--version", key=None).stdout.startswith("orsync, version ")
    shown = orsync.executable("--help", key=None)
    assert shown.code == 0
    for command in ("plan", "apply", "snapshot", "validate"):
        assert command in shown.stdout
