"""The installed `orsync` program, run as a user runs it: a subprocess against the fake API.

Most tests run the command in-process; these keep the real executable honest for what only a
process shows: each exit code, each output format, secrets on the way out, tracebacks.
"""

from __future__ import annotations

import json
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import PASSWORD, SECRET, TOKEN, Orsync
from fake_api import MANAGEMENT_KEY, FakeApi
from html_tree import parse

from orsync.render import AUDIT_FORMATS, FORMATS

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


# Drift of each kind a secret can hide in, for the output formats: `LF`'s secret rotated in the
# environment; `hook`'s header from a variable; `errors`' Sentry dsn from a variable here and
# another live, which the API returns in clear; `stray`, undeclared, its dsn in clear too.
DRIFTED = """
    version: 1
    destinations:
      - name: LF
        type: langfuse
        sampling_rate: 0.25
        config: {publicKey: "${LF_PUBLIC}", secretKey: "${LF_SECRET}"}
      - name: hook
        type: webhook
        protect: true
        config:
          url: "https://hooks.example.com/in"
          headers: {Authorization: "${HOOK_TOKEN}"}
      - name: errors
        type: sentry
        config: {dsn: "${SENTRY_DSN}", otlpEndpoint: "https://otel.example.com/v1"}
    """
LIVE_DSN_KEY = "live-dsn-key-0123456789-QrSt"
STRAY_DSN_KEY = "stray-dsn-key-9876543210-UvWx"
# The audit reads the same file with a policy live breaks: privacy off everywhere, and both
# Sentry dsns sending to a host it does not allow.
POLICY = """
    policy:
      privacy_mode: required
      allowed_hosts: ["*.example.com", "*.langfuse.com"]
    """
DRIFTED_ENV = {
    **ENV,
    "LF_SECRET": "sk-lf-secret-9999999999-ZzYy",
    "HOOK_TOKEN": TOKEN,
    "SENTRY_DSN": f"https://{PASSWORD}@o1.ingest.sentry.io/42",
}
# Every secret of the run: the config's variables, and those live holds (the key is sought too).
DRIFTED_SECRETS = [*DRIFTED_ENV.values(), PASSWORD, SECRET, LIVE_DSN_KEY, STRAY_DSN_KEY]


@pytest.fixture
def drifted(orsync: Orsync, fake: FakeApi) -> Orsync:
    seed_in_sync(fake)
    for name, host, key in (("errors", "o1", LIVE_DSN_KEY), ("stray", "o2", STRAY_DSN_KEY)):
        dsn = f"https://{key}@{host}.ingest.sentry.io/42"
        config = {"dsn": dsn, "otlpEndpoint": "https://otel.example.com/v1"}
        fake.add_destination({"type": "sentry", "name": name, "config": config})
    orsync.write_config(DRIFTED)
    return orsync


def read_text_plan(stdout: str) -> None:
    assert "Plan: 0 to add, 3 to change, 0 to replace, 0 to destroy, 1 unmanaged." in stdout
    assert stdout.count("(sensitive)") == 4


def read_json_plan(stdout: str) -> None:
    document = json.loads(stdout)
    assert document["summary"] == {
        "create": 0, "update": 3, "replace": 0, "delete": 0, "unmanaged": 1, "unchanged": 0
    }  # fmt: skip
    sensitive = [f["path"] for c in document["changes"] for f in c["fields"] if f["sensitive"]]
    # The dsn of `errors` (changed), then that of `stray` (its live value, reported).
    assert sensitive == ["config.secretKey", "config.headers.Authorization", *["config.dsn"] * 2]


def read_markdown_plan(stdout: str) -> None:
    assert stdout.startswith(
        "**Plan: 0 to add, 3 to change, 0 to replace, 0 to destroy, 1 unmanaged.**\n"
    )
    rows = [line for line in stdout.splitlines() if line.startswith("| ")]
    assert "| `config.dsn` | `(sensitive) https://****@o2.ingest.sentry.io/…` |" in rows


def read_junit_plan(stdout: str) -> None:
    root = ET.fromstring(stdout)
    assert (root.tag, root.get("tests"), root.get("failures")) == ("testsuites", "4", "4")
    failed = {case.get("name"): case.find("failure") for case in root.iter("testcase")}
    kinds = {name: failure.get("type") for name, failure in failed.items() if failure is not None}
    assert kinds == {
        'langfuse "LF"': "update", 'webhook "hook"': "update",
        'sentry "errors"': "update", 'sentry "stray"': "unmanaged",
    }  # fmt: skip


def read_html_plan(stdout: str) -> None:
    root = parse(stdout)
    [summary] = root.find("p", "summary")
    assert (
        summary.all_text()
        == "Plan: 0 to add, 3 to change, 0 to replace, 0 to destroy, 1 unmanaged."
    )
    assert len(root.find("section", "change")) == 4
    assert not root.find("script")


# How each plan format is read back: a format missing here fails its test.
PLAN_READERS: dict[str, Callable[[str], None]] = {
    "text": read_text_plan,
    "json": read_json_plan,
    "markdown": read_markdown_plan,
    "junit": read_junit_plan,
    "html": read_html_plan,
}


@pytest.mark.parametrize("output_format", FORMATS)
def test_plan_exits_2_on_drift_in_every_format_and_prints_no_secret(
    drifted: Orsync, output_format: str
) -> None:
    result = drifted.executable(
        "plan", "--format", output_format, "--out", "p.plan", env=DRIFTED_ENV
    )
    assert (result.code, result.stderr) == (2, ""), result.output
    PLAN_READERS[output_format](result.stdout)
    result.assert_hides(DRIFTED_SECRETS)
    saved = (drifted.cwd / "p.plan").read_text(encoding="utf-8")
    for secret in [*DRIFTED_SECRETS, MANAGEMENT_KEY]:
        assert secret not in saved


VIOLATIONS = "6 policy violations (allowed_hosts, privacy_mode)"


def read_text_audit(stdout: str) -> None:
    lines = stdout.splitlines()
    assert lines[0] == "Audited 1 workspace (4 destinations) against the policy of orsync.yaml:"
    assert f"{VIOLATIONS}:" in lines
    assert len([line for line in lines if line.startswith("  ! ")]) == 6


def read_json_audit(stdout: str) -> None:
    document = json.loads(stdout)
    assert document["clean"] is False
    assert document["summary"] == {"workspaces": 1, "destinations": 4, "violations": 6}
    hosts = [v["name"] for v in document["violations"] if v["rule"] == "allowed_hosts"]
    assert hosts == ["errors", "stray"]


def read_junit_audit(stdout: str) -> None:
    root = ET.fromstring(stdout)
    assert (root.tag, root.get("tests"), root.get("failures")) == ("testsuites", "4", "6")
    assert len([f for f in root.iter("failure") if f.get("type") == "policy"]) == 6


def read_html_audit(stdout: str) -> None:
    root = parse(stdout)
    [summary] = root.find("p", "summary")
    assert summary.all_text() == f"Audited 1 workspace (4 destinations): {VIOLATIONS}."
    [table] = root.find("table", "violations-table")
    assert len(table.find("tbody")[0].find("tr")) == 6
    assert not root.find("script")


AUDIT_READERS: dict[str, Callable[[str], None]] = {
    "text": read_text_audit,
    "json": read_json_audit,
    "junit": read_junit_audit,
    "html": read_html_audit,
}


@pytest.mark.parametrize("output_format", AUDIT_FORMATS)
def test_audit_exits_3_on_violations_in_every_format_and_prints_no_secret(
    drifted: Orsync, output_format: str
) -> None:
    drifted.write_config(DRIFTED + POLICY)
    result = drifted.executable("audit", "--format", output_format, env=DRIFTED_ENV)
    assert result.code == 3, result.output
    assert result.stderr == f"Error: {VIOLATIONS} in live state\n"
    AUDIT_READERS[output_format](result.stdout)
    result.assert_hides(DRIFTED_SECRETS)


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


def test_the_installed_console_script(orsync: Orsync, fake: FakeApi) -> None:
    """The `orsync` script pip writes from `[project.scripts]`, beside this Python. Its
    environment (conftest's `environ`) puts this checkout first on PYTHONPATH, so the script
    runs the code under test even where the installed package is another checkout."""
    script = Path(sys.executable).parent / "orsync"
    if not script.is_file():
        pytest.skip(f"no orsync console script beside {sys.executable}: pip install -e '.[test]'")
    version = orsync.executable("--version", key=None, program=[str(script)])
    assert (version.code, version.stderr) == (0, "")
    assert version.stdout.startswith("orsync, version ")
    seed_in_sync(fake)
    fake.add_destination({"type": "webhook", "name": "stray", "config": {"url": HOOK_URL}})
    orsync.write_config(CONFIG)
    plan = orsync.executable("plan", env=ENV, program=[str(script)])
    assert (plan.code, plan.stderr) == (2, ""), plan.output
    assert "Plan: 0 to add, 0 to change, 0 to replace, 0 to destroy, 1 unmanaged." in plan.stdout
    plan.assert_hides([SECRET, PUBLIC])
