"""`orsync plan` end to end: the real command against the fake API over HTTP."""

from __future__ import annotations

import json
from typing import Any

import pytest
from conftest import Orsync
from fake_api import DEFAULT_WORKSPACE_ID, FakeApi

PUBLIC = "pk-lf-public-0000000000-EfGh"
SECRET = "sk-lf-secret-0123456789-AbCd"
ROTATED = "sk-lf-secret-9999999999-WxYz"
SECRETS = {"LF_PUBLIC": PUBLIC, "LF_SECRET": SECRET}

LANGFUSE_YAML = """
version: 1
destinations:
  - name: Production Langfuse
    type: langfuse
    sampling_rate: 0.5
    privacy_mode: true
    config:
      publicKey: ${LF_PUBLIC}
      secretKey: ${LF_SECRET}
      baseUrl: https://us.cloud.langfuse.com
  - name: Audit hook
    type: webhook
    api_key_hashes: [h1, h2]
    config:
      url: https://hooks.example.com/audit
"""


def seed(fake: FakeApi, **overrides: Any) -> None:
    """The live twin of LANGFUSE_YAML, with `overrides` on the Langfuse destination."""
    langfuse: dict[str, Any] = {
        "name": "Production Langfuse",
        "type": "langfuse",
        "sampling_rate": 0.5,
        "privacy_mode": True,
        "config": {
            "publicKey": PUBLIC,
            "secretKey": SECRET,
            "baseUrl": "https://us.cloud.langfuse.com",
        },
    }
    langfuse.update(overrides)
    fake.add_destination(langfuse)
    fake.add_destination(
        {
            "name": "Audit hook",
            "type": "webhook",
            "api_key_hashes": ["h2", "h1"],
            "config": {"url": "https://hooks.example.com/audit"},
        }
    )


def plan_json(orsync: Orsync, *args: str) -> tuple[int, dict[str, Any]]:
    result = orsync("plan", "--format", "json", *args, env=SECRETS)
    result.assert_hides([SECRET, PUBLIC, ROTATED])
    return result.code, json.loads(result.stdout)


def test_in_sync_exits_0(orsync: Orsync, fake: FakeApi) -> None:
    orsync.write_config(LANGFUSE_YAML)
    seed(fake)
    result = orsync("plan", env=SECRETS)
    assert result.code == 0, result.output
    assert "No changes. Live destinations match orsync.yaml." in result.stdout
    assert "Traceback" not in result.output
    result.assert_hides([SECRET, PUBLIC])


@pytest.mark.parametrize(
    ("override", "path", "before", "after"),
    [
        ({"enabled": False}, "enabled", False, True),
        ({"sampling_rate": 1}, "sampling_rate", 1, 0.5),
        ({"privacy_mode": False}, "privacy_mode", False, True),
        ({"api_key_hashes": ["x"]}, "api_key_hashes", ["x"], None),
        (
            {
                "filter_rules": {
                    "groups": [{"rules": [{"field": "model", "operator": "equals", "value": "a"}]}]
                }
            },
            "filter_rules",
            {"groups": [{"rules": [{"field": "model", "operator": "equals", "value": "a"}]}]},
            None,
        ),
    ],
)
def test_each_field_drift_is_reported(
    orsync: Orsync, fake: FakeApi, override: dict[str, Any], path: str, before: Any, after: Any
) -> None:
    orsync.write_config(LANGFUSE_YAML)
    seed(fake, **override)
    code, plan = plan_json(orsync)
    assert code == 2
    assert plan["summary"]["update"] == 1 and plan["in_sync"] is False
    (change,) = plan["changes"]
    assert change["name"] == "Production Langfuse" and change["source"] == "orsync.yaml:3"
    assert change["fields"] == [
        {"path": path, "before": before, "after": after, "sensitive": False}
    ]


def test_config_key_and_secret_drift(orsync: Orsync, fake: FakeApi) -> None:
    orsync.write_config(LANGFUSE_YAML)
    seed(
        fake,
        config={
            "publicKey": PUBLIC,
            "secretKey": ROTATED,
            "baseUrl": "https://eu.cloud.langfuse.com",
        },
    )
    code, plan = plan_json(orsync)
    assert code == 2
    fields = {f["path"]: f for f in plan["changes"][0]["fields"]}
    assert fields["config.baseUrl"]["before"] == "https://eu.cloud.langfuse.com"
    assert fields["config.secretKey"] == {
        "path": "config.secretKey",
        "before": "sk-l...WxYz",
        "after": "...AbCd",
        "sensitive": True,
    }
    text = orsync("plan", env=SECRETS)
    assert "~ config.secretKey = (sensitive) sk-l...WxYz -> ...AbCd" in text.stdout
    text.assert_hides([SECRET, ROTATED, PUBLIC])


def test_normalization_gives_no_false_drift(orsync: Orsync, fake: FakeApi) -> None:
    orsync.write_config(
        LANGFUSE_YAML.replace("sampling_rate: 0.5", "sampling_rate: 1").replace(
            "https://us.cloud.langfuse.com", "https://US.cloud.langfuse.com/"
        )
    )
    seed(fake, sampling_rate=1.0)
    code, plan = plan_json(orsync)
    assert (code, plan["in_sync"]) == (0, True), plan


def test_create_unmanaged_report_and_ignore(orsync: Orsync, fake: FakeApi) -> None:
    orsync.write_config(LANGFUSE_YAML)
    fake.add_destination(
        {"name": "debug-tap", "type": "webhook", "config": {"url": "https://x.example"}}
    )
    code, plan = plan_json(orsync)
    assert code == 2
    assert [(c["action"], c["name"]) for c in plan["changes"]] == [
        ("create", "Production Langfuse"),
        ("create", "Audit hook"),
        ("unmanaged", "debug-tap"),
    ]
    created = {f["path"]: f for f in plan["changes"][0]["fields"]}
    assert created["config.secretKey"]["after"] == "...AbCd"
    assert created["sampling_rate"]["after"] == 0.5
    text = orsync("plan", env=SECRETS)
    assert "Plan: 2 to add, 0 to change, 0 to replace, 0 to destroy, 1 unmanaged." in text.stdout
    assert '? destination "debug-tap"' in text.stdout


@pytest.mark.parametrize(
    ("policy", "code", "actions"), [("ignore", 0, []), ("delete", 2, ["delete"])]
)
def test_unmanaged_policies(
    orsync: Orsync, fake: FakeApi, policy: str, code: int, actions: list[str]
) -> None:
    fake.add_destination(
        {"name": "debug-tap", "type": "webhook", "config": {"url": "https://x.example"}}
    )
    orsync.write_config(f"""
        version: 1
        workspaces:
          - unmanaged: {policy}
            destinations: []
        """)
    got, plan = plan_json(orsync)
    assert got == code
    assert [c["action"] for c in plan["changes"]] == actions


def test_type_change_is_a_replace(orsync: Orsync, fake: FakeApi) -> None:
    seed(fake)  # "Audit hook" is live as a webhook
    orsync.write_config(
        LANGFUSE_YAML.replace("type: webhook", "type: otel-collector").replace("url:", "endpoint:")
    )
    code, plan = plan_json(orsync)
    assert code == 2
    (change,) = plan["changes"]
    assert change["action"] == "replace"
    assert change["fields"][0] == {
        "path": "type",
        "before": "webhook",
        "after": "otel-collector",
        "sensitive": False,
    }
    assert "-/+ destination" in orsync("plan", env=SECRETS).stdout


@pytest.mark.parametrize(("pin", "code"), [("sk-l...AbCd", 0), ("sk-l...Zz99", 2)])
def test_masked_pins(orsync: Orsync, fake: FakeApi, pin: str, code: int) -> None:
    orsync.write_config(LANGFUSE_YAML.replace("${LF_SECRET}", pin))
    seed(fake)
    got, plan = plan_json(orsync)
    assert got == code
    if code == 2:
        assert plan["changes"][0]["fields"] == [
            {"path": "config.secretKey", "before": "sk-l...AbCd", "after": pin, "sensitive": True}
        ]


def test_unset_secret_variable_warns_and_exits_0(orsync: Orsync, fake: FakeApi) -> None:
    orsync.write_config(LANGFUSE_YAML)
    seed(
        fake,
        config={
            "publicKey": PUBLIC,
            "secretKey": ROTATED,
            "baseUrl": "https://us.cloud.langfuse.com",
        },
    )
    result = orsync("plan", env={"LF_PUBLIC": PUBLIC})
    assert result.code == 0, result.output
    assert "config.secretKey not verified: ${LF_SECRET} (not set)" in result.stderr
    result.assert_hides([SECRET, ROTATED, PUBLIC])


@pytest.mark.parametrize("page_size", [100, 7])
def test_many_destinations_over_several_pages(orsync: Orsync, page_size: int) -> None:
    with FakeApi(max_page_size=page_size) as api:
        lines = ["version: 1", "destinations:"]
        for n in range(230):
            lines += [
                f"  - name: hook-{n:03d}",
                "    type: webhook",
                "    config:",
                f"      url: https://hooks.example.com/{n}",
            ]
            api.add_destination(
                {
                    "name": f"hook-{n:03d}",
                    "type": "webhook",
                    "config": {"url": f"https://hooks.example.com/{n}"},
                }
            )
        orsync.write_config("\n".join(lines) + "\n")
        result = orsync("plan", "--format", "json", env={"ORSYNC_BASE_URL": api.base_url})
        assert result.code == 0, result.stderr
        assert json.loads(result.stdout)["summary"]["unchanged"] == 230
        pages = [r for r in api.requests if r.path.endswith("/observability/destinations")]
        assert len(pages) >= -(-230 // page_size)


WORKSPACE_B = "7a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"


def test_two_workspaces(orsync: Orsync) -> None:
    with FakeApi(workspaces=[WORKSPACE_B]) as api:
        api.add_destination(
            {"name": "A", "type": "webhook", "config": {"url": "https://a.example"}}
        )
        api.add_destination(
            {
                "name": "B",
                "type": "webhook",
                "enabled": False,
                "config": {"url": "https://b.example"},
            },
            workspace_id=WORKSPACE_B,
        )
        orsync.write_config(f"""
            version: 1
            workspaces:
              - destinations:
                  - {{name: A, type: webhook, config: {{url: "https://a.example"}}}}
              - id: {WORKSPACE_B}
                destinations:
                  - {{name: B, type: webhook, config: {{url: "https://b.example"}}}}
            """)
        result = orsync("plan", "--format", "json", env={"ORSYNC_BASE_URL": api.base_url})
        assert result.code == 2, result.stderr
        (change,) = json.loads(result.stdout)["changes"]
        assert (change["workspace_id"], change["name"]) == (WORKSPACE_B, "B")
        only_a = orsync("plan", "--workspace", "default", env={"ORSYNC_BASE_URL": api.base_url})
        assert only_a.code == 0, only_a.output
        assert "workspace_id" not in api.requests[-1].query


def test_markdown_format(orsync: Orsync, fake: FakeApi) -> None:
    orsync.write_config(LANGFUSE_YAML)
    seed(
        fake,
        config={
            "publicKey": PUBLIC,
            "secretKey": ROTATED,
            "baseUrl": "https://us.cloud.langfuse.com",
        },
    )
    result = orsync("plan", "--format", "markdown", env=SECRETS)
    assert result.code == 2
    lines = result.stdout.splitlines()
    assert lines[0] == "**Plan: 0 to add, 1 to change, 0 to replace, 0 to destroy, 0 unmanaged.**"
    assert (
        f"| update | `{DEFAULT_WORKSPACE_ID}` | `Production Langfuse` | `langfuse` "
        "| `config.secretKey` |  |"
    ) in lines
    assert lines[6].startswith("<details><summary><b>update</b> <code>Production Langfuse</code>")
    stamp = fake.destinations()[0]["updated_at"]
    assert lines[8].endswith(f" · last changed live `{stamp}`")
    assert "| `config.secretKey` | `(sensitive) sk-l...WxYz -> ...AbCd` |" in lines
    result.assert_hides([SECRET, ROTATED, PUBLIC])


def test_each_change_says_when_live_last_changed(orsync: Orsync, fake: FakeApi) -> None:
    orsync.write_config(LANGFUSE_YAML)
    seed(fake, enabled=False, updated_at="2026-11-27T10:02:11.000Z")
    fake.add_destination({"name": "Stray", "type": "webhook", "config": {"url": "https://s.io"}})
    code, plan = plan_json(orsync)
    assert code == 2
    stray_stamp = fake.destinations()[2]["updated_at"]
    assert [(c["name"], c["live_updated_at"]) for c in plan["changes"]] == [
        ("Production Langfuse", "2026-11-27T10:02:11.000Z"),
        ("Stray", stray_stamp),
    ]
    text = orsync("plan", env=SECRETS)
    assert "  # last changed live 2026-11-27T10:02:11.000Z (" in text.stdout
    assert f"  # last changed live {stray_stamp} (less than a minute ago)" in text.stdout


@pytest.mark.parametrize("stamp", [1732702931, None, {"at": "2026-11-27"}])
def test_a_live_updated_at_that_is_not_text_is_ignored(
    orsync: Orsync, fake: FakeApi, stamp: Any
) -> None:
    orsync.write_config(LANGFUSE_YAML)
    seed(fake, enabled=False, updated_at=stamp)
    code, plan = plan_json(orsync)
    assert code == 2 and plan["changes"][0]["live_updated_at"] is None
    for output_format in ("text", "markdown"):
        result = orsync("plan", "--format", output_format, env=SECRETS)
        assert result.code == 2, result.output
        assert "last changed live" not in result.stdout and "Traceback" not in result.output


def test_default_workspace_id_known_from_live(orsync: Orsync, fake: FakeApi) -> None:
    orsync.write_config(LANGFUSE_YAML)
    seed(fake, enabled=False)
    _, plan = plan_json(orsync)
    assert plan["changes"][0]["workspace_id"] == DEFAULT_WORKSPACE_ID


def test_plan_exits_3_when_apply_would_refuse(orsync: Orsync, fake: FakeApi) -> None:
    fake.add_destination(
        {"name": "Keep", "type": "webhook", "config": {"url": "https://k.example"}}
    )
    orsync.write_config("""
        version: 1
        destinations:
          - {name: Keep, type: otel-collector, protect: true, config: {endpoint: "https://o.example"}}
        """)
    result = orsync("plan", "--out", "refused.plan")
    assert result.code == 3, result.output
    assert "-/+ destination" in result.stdout and "protect" in result.stderr
    assert not (orsync.cwd / "refused.plan").exists()
    for n in range(3):
        fake.add_destination(
            {"name": f"old-{n}", "type": "webhook", "config": {"url": "https://x.example"}}
        )
    orsync.write_config("version: 1\nworkspaces:\n  - unmanaged: delete\n    destinations: []\n")
    assert orsync("plan").code == 3
    assert orsync("plan", "--max-deletes", "4").code == 2
