"""The config's `policy:` in `validate`, `plan` and `apply`, against the fake API over HTTP.

Each rule holds and fails, in the file alone (`validate`) and in what apply would leave
(`plan`: declared destinations with the values they will have, live ones left alone).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from conftest import Orsync, Result
from fake_api import DEFAULT_WORKSPACE_ID, FakeApi
from junitparser import JUnitXml

WS_B = "b0000000-0000-4000-8000-00000000000b"
TOKEN = "tok-0123456789-plaintext-SECRET"
HOOK_PASSWORD = "hunter2-hook-password-XYZ"

# rule: (policy lines, a destination that keeps it, one that breaks it, what the message says)
RULES: dict[str, tuple[str, str, str, str]] = {
    "privacy_mode": (
        "privacy_mode: required",
        "{name: Hook, type: webhook, privacy_mode: true, config: {url: 'https://h.example.com'}}",
        "{name: Hook, type: webhook, config: {url: 'https://h.example.com'}}",
        "privacy_mode is off (policy privacy_mode: required)",
    ),
    "max_sampling_rate": (
        "max_sampling_rate: 0.5",
        "{name: Hook, type: webhook, sampling_rate: 0.5, config: {url: 'https://h.example.com'}}",
        "{name: Hook, type: webhook, sampling_rate: 0.8, config: {url: 'https://h.example.com'}}",
        "sampling_rate 0.8 is above the policy's max_sampling_rate 0.5",
    ),
    "allowed_types": (
        "allowed_types: [webhook, s3]",
        "{name: Hook, type: webhook, config: {url: 'https://h.example.com'}}",
        "{name: Hook, type: otel-collector, config: {endpoint: 'https://h.example.com'}}",
        "type 'otel-collector' is not in the policy's allowed_types (webhook, s3)",
    ),
    "required_types": (
        "required_types: [webhook]",
        "{name: Hook, type: webhook, config: {url: 'https://h.example.com'}}",
        "{name: Hook, type: webhook, enabled: false, config: {url: 'https://h.example.com'}}",
        "no enabled destination of type 'webhook' (policy required_types)",
    ),
    "allowed_hosts": (
        "allowed_hosts: ['*.example.com']",
        "{name: Hook, type: webhook, config: {url: 'https://h.example.com/in'}}",
        "{name: Hook, type: webhook, config: {url: 'https://evil.test/in'}}",
        "config.url sends to host evil.test, not in the policy's allowed_hosts (*.example.com)",
    ),
    "allowed_regions": (
        "allowed_regions: [europe]",
        "{name: Hook, type: webhook, regions: [eu], config: {url: 'https://h.example.com'}}",
        "{name: Hook, type: webhook, config: {url: 'https://h.example.com'}}",
        "regions global outside the policy's allowed_regions (europe)",
    ),
    "api_key_allowlist": (
        "api_key_allowlist: required",
        "{name: Hook, type: webhook, api_key_hashes: [h1], config: {url: 'https://h.example.com'}}",
        "{name: Hook, type: webhook, config: {url: 'https://h.example.com'}}",
        "api_key_hashes is null: the traffic of every API key is sent "
        "(policy api_key_allowlist: required)",
    ),
    "identity_broadcast": (
        "identity_broadcast: forbid",
        "{name: Hook, type: webhook, config: {url: 'https://h.example.com'}}",
        "{name: Hook, type: webhook, broadcast_generation_identity: true, "
        "config: {url: 'https://h.example.com'}}",
        "broadcast_generation_identity is on (policy identity_broadcast: forbid)",
    ),
    "plaintext_secrets": (
        "plaintext_secrets: forbid",
        "{name: Hook, type: webhook, "
        "config: {url: 'https://h.example.com', headers: {Authorization: '${TOKEN}'}}}",
        "{name: Hook, type: webhook, "
        f"config: {{url: 'https://h.example.com', headers: {{Authorization: '{TOKEN}'}}}}}}",
        "config.headers.Authorization is a secret written in plain text in the file; "
        "use ${VAR} or a masked pin (policy plaintext_secrets: forbid)",
    ),
}


def declared_as(rule: str) -> str:
    """How a message names the destination that breaks `rule` in RULES."""
    if rule == "required_types":
        return ""
    type_name = "otel-collector" if rule == "allowed_types" else "webhook"
    return f"{type_name} 'Hook' (orsync.yaml:7): "


def config(policy: str, destination: str, workspace: str = "acme-b") -> str:
    return f"""
        version: 1
        policy:
          {policy}
        workspaces:
          - id: {workspace}
            destinations:
              - {destination}
        """


@pytest.fixture
def spaces(fake: FakeApi) -> FakeApi:
    fake.add_workspace(WS_B, "acme-b")
    return fake


def violations_of(result: Result) -> list[dict[str, Any]]:
    document = json.loads(result.stdout)
    found: list[dict[str, Any]] = document["violations"]
    return found


@pytest.mark.parametrize("rule", RULES)
def test_validate_checks_each_rule_in_the_file(orsync: Orsync, rule: str) -> None:
    policy, keeps, breaks, problem = RULES[rule]
    orsync.write_config(config(policy, keeps))
    held = orsync("validate", key=None, env={"TOKEN": TOKEN})
    assert held.code == 0, held.output
    assert "No policy violations." in held.stdout
    orsync.write_config(config(policy, breaks))
    broken = orsync("validate", key=None, env={"TOKEN": TOKEN})
    assert broken.code == 3, broken.output
    # Offline, the workspace is named as the file names it.
    [line] = [line for line in broken.stdout.splitlines() if line.startswith("  ! ")]
    assert line == f"  ! workspace acme-b: {declared_as(rule)}{problem}"
    assert f"Error: 1 policy violation ({rule}) in orsync.yaml\n" in broken.stderr
    broken.assert_hides([TOKEN])


@pytest.mark.parametrize("rule", RULES)
def test_plan_checks_each_rule_and_exits_3(orsync: Orsync, spaces: FakeApi, rule: str) -> None:
    policy, keeps, breaks, problem = RULES[rule]
    orsync.write_config(config(policy, keeps))
    held = orsync("plan", "--format", "json", env={"TOKEN": TOKEN})
    assert held.code == 2, held.output
    assert violations_of(held) == []
    orsync.write_config(config(policy, breaks))
    broken = orsync("plan", "--format", "json", env={"TOKEN": TOKEN})
    assert broken.code == 3, broken.output
    [violation] = violations_of(broken)
    declared = rule != "required_types"
    assert violation == {
        "rule": rule,
        "workspace_id": WS_B,
        "name": "Hook" if declared else None,
        "id": None,
        "message": violation["message"],
    }
    where = f"workspace {WS_B} (acme-b): " + (
        "webhook 'Hook' (orsync.yaml:7): " if declared else ""
    )
    if rule == "allowed_types":
        where = where.replace("webhook", "otel-collector")
    assert violation["message"] == where + problem
    assert broken.stderr.startswith(f"Error: 1 policy violation ({rule}); apply would refuse")
    broken.assert_hides([TOKEN])


def test_without_a_policy_the_plan_has_no_violations_key(orsync: Orsync, spaces: FakeApi) -> None:
    orsync.write_config("version: 1\ndestinations: []\n")
    result = orsync("plan", "--format", "json")
    assert result.code == 0
    assert "violations" not in json.loads(result.stdout)
    text = orsync("plan")
    assert "policy" not in text.stdout.lower()


def seed_hook(fake: FakeApi, workspace: str | None = None, **fields: Any) -> dict[str, Any]:
    item = {"name": "Hook", "type": "webhook", "config": {"url": "https://h.example.com"}}
    return fake.add_destination({**item, **fields}, workspace)


def test_a_violation_the_plan_repairs_is_none(orsync: Orsync, fake: FakeApi) -> None:
    seed_hook(fake, privacy_mode=False)
    orsync.write_config(
        """
        version: 1
        policy: {privacy_mode: required}
        destinations:
          - {name: Hook, type: webhook, privacy_mode: true, config: {url: 'https://h.example.com'}}
        """
    )
    result = orsync("plan", "--format", "json")
    assert result.code == 2, result.output
    assert violations_of(result) == []


@pytest.mark.parametrize(
    ("mode", "code", "count"), [("report", 3, 1), ("ignore", 3, 1), ("delete", 2, 0)]
)
def test_live_destinations_left_alone_are_checked(
    orsync: Orsync, fake: FakeApi, mode: str, code: int, count: int
) -> None:
    stray = fake.add_destination(
        {"name": "stray", "type": "webhook", "config": {"url": "https://evil.test/x"}}
    )
    orsync.write_config(
        f"""
        version: 1
        policy: {{allowed_hosts: [h.example.com]}}
        workspaces:
          - unmanaged: {mode}
            destinations: []
        """
    )
    result = orsync("plan", "--format", "json")
    assert result.code == code, result.output
    found = violations_of(result)
    assert len(found) == count
    if found:
        assert found[0]["id"] == stray["id"] and found[0]["name"] == "stray"
        assert found[0]["message"] == (
            f"workspace {DEFAULT_WORKSPACE_ID}: webhook 'stray' (live, id {stray['id']}): "
            "config.url sends to host evil.test, not in the policy's allowed_hosts (h.example.com)"
        )


def test_an_ignored_field_keeps_its_live_value(orsync: Orsync, fake: FakeApi) -> None:
    live = seed_hook(fake, privacy_mode=False)
    orsync.write_config(
        """
        version: 1
        policy: {privacy_mode: required}
        destinations:
          - name: Hook
            type: webhook
            privacy_mode: true
            ignore: [privacy_mode]
            config: {url: 'https://h.example.com'}
        """
    )
    result = orsync("plan", "--format", "json")
    assert result.code == 3, result.output
    [violation] = violations_of(result)
    assert (violation["rule"], violation["id"]) == ("privacy_mode", live["id"])


def test_hosts_count_undeclared_keys_live_and_documented_defaults(
    orsync: Orsync, fake: FakeApi
) -> None:
    fake.add_destination(
        {
            "name": "Old",
            "type": "langfuse",
            "config": {
                "publicKey": "pk-lf-0000",
                "secretKey": "sk-lf-0000",
                "baseUrl": "https://evil.test",
            },
        }
    )
    orsync.write_config(
        """
        version: 1
        policy: {allowed_hosts: [eu.cloud.langfuse.com]}
        destinations:
          - {name: Old, type: langfuse, config: {publicKey: pk-l...0000}}
          - {name: New, type: langfuse, config: {publicKey: '${PK}', secretKey: '${SK}'}}
        """
    )
    result = orsync("plan", "--format", "json", env={"PK": "pk-lf-1", "SK": "sk-lf-1"})
    assert result.code == 3, result.output
    assert [(v["name"], v["message"].split(": ", 3)[-1]) for v in violations_of(result)] == [
        ("Old", "config.baseUrl sends to host evil.test, not in the policy's allowed_hosts "
         "(eu.cloud.langfuse.com)"),
        ("New", "config.baseUrl sends to host us.cloud.langfuse.com, not in the policy's "
         "allowed_hosts (eu.cloud.langfuse.com)"),
    ]  # fmt: skip


def test_secret_urls_are_checked_by_host_and_never_shown(orsync: Orsync, fake: FakeApi) -> None:
    dsn_key = "0123456789abcdef0123456789abcdef"
    fake.add_destination(
        {
            "name": "Errors",
            "type": "sentry",
            # The API returns a Sentry dsn in clear.
            "config": {"dsn": f"https://{dsn_key}@o1.ingest.evil.test/42", "otlpEndpoint": "x"},
        }
    )
    orsync.write_config(
        """
        version: 1
        policy: {allowed_hosts: ['*.example.com']}
        destinations:
          - name: Hook
            type: webhook
            config: {url: 'https://bot:${HOOK_PASSWORD}@hooks.evil.test/secret-path?token=abc'}
        """
    )
    for output in ("json", "text", "markdown"):
        result = orsync("plan", "--format", output, env={"HOOK_PASSWORD": HOOK_PASSWORD})
        assert result.code == 3, result.output
        result.assert_hides([HOOK_PASSWORD, dsn_key, "secret-path", "token=abc"])
        assert "config.url sends to host hooks.evil.test" in result.stdout
        assert "config.dsn sends to host o1.ingest.evil.test" in result.stdout


def test_text_and_markdown_show_the_violations(orsync: Orsync, spaces: FakeApi) -> None:
    policy, _, breaks, problem = RULES["privacy_mode"]
    orsync.write_config(config(policy, breaks))
    text = orsync("plan")
    assert text.code == 3
    lines = text.stdout.splitlines()
    heading = lines.index("1 policy violation (privacy_mode):")
    assert lines[heading + 1] == (
        f"  ! workspace {WS_B} (acme-b): webhook 'Hook' (orsync.yaml:7): {problem}"
    )
    assert lines[-1].startswith("Plan: 1 to add") and heading < len(lines) - 1
    markdown = orsync("plan", "--format", "markdown")
    assert markdown.code == 3
    assert "#### 1 policy violation (privacy_mode)" in markdown.stdout
    assert "| rule | workspace | destination | message |" in markdown.stdout
    assert f"| `privacy_mode` | `{WS_B}` | `Hook` |" in markdown.stdout


def test_violations_in_several_workspaces_are_each_named(orsync: Orsync, spaces: FakeApi) -> None:
    seed_hook(spaces, WS_B, sampling_rate=0.9)
    seed_hook(spaces, None, sampling_rate=1)
    orsync.write_config(
        f"""
        version: 1
        policy: {{max_sampling_rate: 0.5}}
        workspaces:
          - unmanaged: report
            destinations: []
          - id: {WS_B}
            unmanaged: report
            destinations: []
        """
    )
    result = orsync("plan", "--format", "json")
    assert result.code == 3
    assert sorted((v["workspace_id"], v["rule"]) for v in violations_of(result)) == sorted(
        [(DEFAULT_WORKSPACE_ID, "max_sampling_rate"), (WS_B, "max_sampling_rate")]
    )


def test_apply_refuses_what_would_break_the_policy(orsync: Orsync, spaces: FakeApi) -> None:
    policy, _, breaks, _ = RULES["allowed_hosts"]
    orsync.write_config(config(policy, breaks))
    result = orsync("apply", "--auto-approve")
    assert result.code == 3, result.output
    assert "1 policy violation (allowed_hosts):" in result.stdout
    assert result.stderr.startswith(
        "Error: refusing to apply: 1 policy violation (allowed_hosts) in what apply would leave"
    )
    assert spaces.mutating_requests() == []
    saved = orsync("plan", "--out", "change.plan")
    assert saved.code == 3
    assert not (orsync.cwd / "change.plan").exists()


def test_a_safety_refusal_and_violations_are_both_said(orsync: Orsync, fake: FakeApi) -> None:
    seed_hook(fake)
    orsync.write_config(
        """
        version: 1
        policy: {privacy_mode: required}
        destinations:
          - {name: Hook, type: otel-collector, protect: true, config: {endpoint: 'https://o.example'}}
        """
    )
    result = orsync("plan")
    assert result.code == 3
    assert "apply would refuse this plan: protect forbids" in result.stderr
    assert "; and 1 policy violation (privacy_mode)" in result.stderr


def test_validate_names_secret_urls_by_host_only(orsync: Orsync) -> None:
    orsync.write_config(
        """
        version: 1
        policy: {allowed_hosts: ['*.example.com']}
        destinations:
          - name: From a variable
            type: webhook
            config: {url: 'https://bot:${HOOK_PASSWORD}@hooks.evil.test/secret-path'}
          - name: Written out
            type: webhook
            config: {url: 'https://bot:plain-pass-0123456789@plain.evil.test/other-path'}
        """
    )
    result = orsync("validate", key=None, env={"HOOK_PASSWORD": HOOK_PASSWORD})
    assert result.code == 3, result.output
    result.assert_hides([HOOK_PASSWORD, "plain-pass-0123456789", "secret-path", "other-path"])
    assert "config.url sends to host hooks.evil.test" in result.stdout
    assert "config.url sends to host plain.evil.test" in result.stdout


def test_apply_with_nothing_to_do_still_fails_a_broken_policy(
    orsync: Orsync, fake: FakeApi
) -> None:
    """As plan does: a gate on `apply` must not pass a workspace that breaks the policy."""
    fake.add_destination(
        {"type": "webhook", "name": "hook", "config": {"url": "https://h.example"}}
    )
    orsync.write_config("""
        version: 1
        policy: {required_types: [s3]}
        destinations:
          - {name: hook, type: webhook, config: {url: "https://h.example"}}
        """)
    assert orsync("plan").code == 3
    result = orsync("apply", "--auto-approve")
    assert result.code == 3
    assert "required_types" in result.output
    assert fake.mutating_requests() == []


def test_export_and_snapshot_of_a_policy_only_config_read_the_default_workspace(
    orsync: Orsync, fake: FakeApi
) -> None:
    fake.add_destination(
        {"type": "webhook", "name": "hook", "config": {"url": "https://h.example"}}
    )
    orsync.write_config("version: 1\npolicy: {privacy_mode: required}\n")
    saved = orsync("snapshot", "-o", "live.json")
    assert (saved.code, saved.stdout) == (0, "Saved 1 destination of 1 workspace to live.json.\n")
    exported = orsync("export")
    assert exported.code == 0 and exported.stderr == ""
    assert "name: hook" in exported.stdout


NOTHING_PLANNED = (
    "orsync.yaml declares no workspaces (no `destinations:` or `workspaces:` entry), "
    "so plan checked nothing against live"
)


def test_plan_of_a_policy_only_config_says_it_checked_nothing(
    orsync: Orsync, fake: FakeApi
) -> None:
    """Live breaks the policy, but plan compares only the workspaces the file declares: it
    must not vouch for live ("No policy violations.", "Live destinations match")."""
    seed_hook(fake)  # privacy_mode off
    orsync.write_config("version: 1\npolicy: {privacy_mode: required}\n")
    result = orsync("plan")
    assert result.code == 0, result.output
    assert result.stdout == "Nothing planned: orsync.yaml declares no workspaces.\n"
    assert result.stderr == (
        f"Warning: {NOTHING_PLANNED}, its `policy:` included; `orsync audit` checks the policy "
        "against live state\n"
    )
    document = json.loads(orsync("plan", "--format", "json").stdout)
    assert document["in_sync"] is True
    assert document["warnings"] == [
        f"{NOTHING_PLANNED}, its `policy:` included; `orsync audit` checks the policy against "
        "live state"
    ]
    markdown = orsync("plan", "--format", "markdown").stdout
    assert markdown.startswith("**Nothing planned: orsync.yaml declares no workspaces.**\n")
    page = orsync("plan", "--format", "html").stdout
    assert "Nothing planned: the config declares no workspaces." in page
    assert "Not checked: the config declares no workspaces" in page
    for shown in (markdown, page):
        assert "No changes" not in shown and "No policy violations" not in shown
    junit = JUnitXml.fromstring(orsync("plan", "--format", "junit").stdout)
    (suite,) = list(junit)
    (case,) = list(suite)
    assert (suite.name, case.name, suite.tests, suite.skipped) == (
        "orsync plan",
        "nothing planned",
        1,
        1,
    )
    assert [r.message for r in case.result] == [
        "orsync.yaml declares no workspaces: nothing was compared with live"
    ]
    assert orsync("audit").code == 3  # where the violation is found


def test_plan_of_no_workspaces_without_a_policy_says_it_checked_nothing(
    orsync: Orsync, fake: FakeApi
) -> None:
    seed_hook(fake)
    orsync.write_config("version: 1\nworkspaces: []\n")
    result = orsync("plan")
    assert result.code == 0, result.output
    assert result.stdout == "Nothing planned: orsync.yaml declares no workspaces.\n"
    assert result.stderr == f"Warning: {NOTHING_PLANNED}\n"


@pytest.mark.parametrize(
    ("config", "host"),
    [
        (
            '{publicKey: "${PK}", secretKey: "${SK}", baseUrl: "https://evil.example\\\\@us.cloud.langfuse.com"}',
            "evil.example",
        ),
        (
            '{host: "clickhouse.evil.example:8443", database: d, username: u, password: "${SK}"}',
            "clickhouse.evil.example",
        ),
    ],
    ids=["backslash before @", "host without a scheme"],
)
def test_allowed_hosts_cannot_be_sidestepped(orsync: Orsync, config: str, host: str) -> None:
    kind = "langfuse" if "publicKey" in config else "clickhouse"
    orsync.write_config(f"""
        version: 1
        policy: {{allowed_hosts: ["*.langfuse.com"]}}
        destinations:
          - {{name: d, type: {kind}, config: {config}}}
        """)
    result = orsync("validate", env={"PK": "pk-lf-0123456789", "SK": "sk-lf-0123456789"})
    assert result.code == 3
    assert host in result.output and "allowed_hosts" in result.output
