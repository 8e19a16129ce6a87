"""Risk flags on changes: each kind raised where it should be, and not where it should not."""

from __future__ import annotations

import json
from typing import Any

import pytest
from builders import declared, env, live_item, plan_of
from conftest import Orsync
from fake_api import FakeApi

from orsync.findings import Risk
from orsync.model import LiveState
from orsync.risks import RISK_KINDS

FILTER = {"groups": [{"rules": [{"field": "model", "operator": "equals", "value": "gpt-4o"}]}]}
OTHER_GROUP = {"logic": "or", "rules": [{"field": "provider", "operator": "exists"}]}


def risks_of(
    wanted: dict[str, Any], live: dict[str, Any], *, config: dict[str, Any] | None = None
) -> list[str]:
    """The kinds of risk of the one change of Hook: `wanted` fields against `live` fields."""
    plan = plan_of([declared(config=config, **wanted)], [live_item(**live)])
    (change,) = plan.changes
    return [risk.kind for risk in change.risks]


# Updates: (declared fields, live fields, the risks expected)
UPDATES: dict[str, tuple[dict[str, Any], dict[str, Any], list[str]]] = {
    "privacy turned off": ({"privacy_mode": False}, {"privacy_mode": True}, ["privacy_off"]),
    "privacy turned on": ({"privacy_mode": True}, {"privacy_mode": False}, []),
    "keys to null": ({"api_key_hashes": None}, {"api_key_hashes": ["h1"]}, ["keys_widened"]),
    "keys to a superset": (
        {"api_key_hashes": ["h1", "h2"]},
        {"api_key_hashes": ["h1"]},
        ["keys_widened"],
    ),
    "keys to a subset": ({"api_key_hashes": ["h1"]}, {"api_key_hashes": ["h1", "h2"]}, []),
    "keys swapped": ({"api_key_hashes": ["h2"]}, {"api_key_hashes": ["h1"]}, []),
    "keys from null to a list": ({"api_key_hashes": ["h1"]}, {}, []),
    "sampling raised": ({"sampling_rate": 1}, {"sampling_rate": 0.25}, ["sampling_raised"]),
    "sampling lowered": ({"sampling_rate": 0.1}, {"sampling_rate": 0.25}, []),
    "filter removed": ({"filter_rules": None}, {"filter_rules": FILTER}, ["filter_loosened"]),
    "filter emptied": (
        {"filter_rules": {"groups": []}},
        {"filter_rules": FILTER},
        ["filter_loosened"],
    ),
    "filter disabled": (
        {"filter_rules": {**FILTER, "enabled": False}},
        {"filter_rules": FILTER},
        ["filter_loosened"],
    ),
    "filter group removed": (
        {"filter_rules": FILTER},
        {"filter_rules": {"groups": [*FILTER["groups"], OTHER_GROUP]}},
        ["filter_loosened"],
    ),
    "filter group added": (
        {"filter_rules": {"groups": [*FILTER["groups"], OTHER_GROUP]}},
        {"filter_rules": FILTER},
        [],
    ),
    "filter added": ({"filter_rules": FILTER}, {}, []),
    "filter enabled": (
        {"filter_rules": FILTER},
        {"filter_rules": {**FILTER, "enabled": False}},
        [],
    ),
    "identity on": ({"broadcast_generation_identity": True}, {}, ["identity_on"]),
    "identity off": (
        {"broadcast_generation_identity": False},
        {"broadcast_generation_identity": True},
        [],
    ),
    "regions widened": (
        {"regions": ["europe", "us"]},
        {"regions": ["europe"]},
        ["regions_widened"],
    ),
    "regions from the default": ({"regions": ["global", "us"]}, {}, ["regions_widened"]),
    "regions narrowed": ({"regions": ["europe"]}, {"regions": ["europe", "us"]}, []),
    "several at once": (
        {"privacy_mode": False, "sampling_rate": 1, "broadcast_generation_identity": True},
        {"privacy_mode": True, "sampling_rate": 0.5},
        ["privacy_off", "sampling_raised", "identity_on"],
    ),
}


@pytest.mark.parametrize("case", UPDATES)
def test_update_risks(case: str) -> None:
    wanted, live, expected = UPDATES[case]
    assert risks_of(wanted, live) == expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://hooks.example.com/other", []),  # a host live uses already
        ("https://HOOKS.example.com:8443/x", []),
        ("https://new.example.net/in", ["new_host"]),
        ("http://hooks.example.com/in", ["plain_http"]),
        ("http://new.example.net/in", ["new_host", "plain_http"]),
    ],
)
def test_a_url_change(url: str, expected: list[str]) -> None:
    assert risks_of({}, {}, config={"url": url}) == expected


def test_creates() -> None:
    items = [live_item("Existing", config={"url": "https://hooks.example.com/a"})]
    wanted = [
        declared("Existing", config={"url": "https://hooks.example.com/a"}),
        declared("Same host", config={"url": "https://hooks.example.com/b"}),
        declared("New host", config={"url": "https://collector.example.net/b"}),
        declared("Plain", config={"url": "http://hooks.example.com/b"}),
        declared("Identity", broadcast_generation_identity=True),
        # Not risks on a create: these are no wider than nothing.
        declared("Quiet", privacy_mode=False, sampling_rate=1, api_key_hashes=None),
    ]
    plan = plan_of(wanted, items)
    assert {c.name: [r.kind for r in c.risks] for c in plan.changes} == {
        "Same host": [],
        "New host": ["new_host"],
        "Plain": ["plain_http"],
        "Identity": ["identity_on"],
        "Quiet": [],
    }


def test_a_create_counts_its_documented_default_host() -> None:
    langfuse = declared("Traces", "langfuse", {"publicKey": env("pk-lf-1"), "secretKey": env("x")})
    (change,) = plan_of([langfuse], []).changes
    assert change.risks == (
        Risk("new_host", "config.baseUrl sends to us.cloud.langfuse.com, a host new to this "
             "workspace"),
    )  # fmt: skip


def test_a_replace_is_checked_as_update_and_create() -> None:
    wanted = declared(
        type_name="otel-collector",
        config={"endpoint": "http://otel.example.net"},
        privacy_mode=False,
    )
    (change,) = plan_of([wanted], [live_item(privacy_mode=True)]).changes
    assert [r.kind for r in change.risks] == ["privacy_off", "new_host", "plain_http"]


def test_deletes_and_unmanaged_have_no_risks() -> None:
    plan = plan_of([], [live_item(privacy_mode=False, config={"url": "http://x.example"})])
    assert [c.risks for c in plan.changes] == [()]


def test_secret_urls_give_their_host_only() -> None:
    password = "pw-0123456789-SECRET"
    secret_url = env(f"http://bot:{password}@new.example.net/path?token=abc", "HOOK_URL")
    (change,) = plan_of([declared(config={"url": secret_url})], [live_item()]).changes
    messages = [r.message for r in change.risks]
    assert messages == [
        "config.url sends to new.example.net, a host new to this workspace",
        "config.url sends to new.example.net over plain http (unencrypted)",
    ]


def test_every_kind_is_documented_in_order() -> None:
    seen = {kind for case in UPDATES.values() for kind in case[2]} | {"new_host", "plain_http"}
    assert seen == set(RISK_KINDS)


def test_hosts_are_known_per_workspace() -> None:
    from orsync.live import parse_workspace

    other = "ws-other"
    live = LiveState(
        (
            parse_workspace(None, [live_item()]),
            parse_workspace(
                other,
                [live_item("Far", config={"url": "https://far.example"}, workspace_id=other)],
            ),
        )
    )
    (change,) = plan_of([declared(config={"url": "https://far.example/x"})], live).changes
    # far.example is live, but in another workspace than the default one, where Hook goes.
    assert change.workspace_id == "ws-default"
    assert [r.kind for r in change.risks] == ["new_host"]


# End to end: every format shows the risks --------------------------------------------------


def seed(fake: FakeApi) -> None:
    fake.add_destination(
        {
            "name": "Hook",
            "type": "webhook",
            "privacy_mode": True,
            "config": {"url": "https://hooks.example.com/in"},
        }
    )


CONFIG = """
    version: 1
    destinations:
      - {name: Hook, type: webhook, privacy_mode: false, config: {url: 'https://hooks.example.com/in'}}
      - name: New
        type: webhook
        config: {url: '${NEW_URL}'}
    """
NEW_URL = "http://bot:pw-0123456789-SECRET@collector.example.net/secret-path"


def test_every_format_shows_the_risks(orsync: Orsync, fake: FakeApi) -> None:
    seed(fake)
    orsync.write_config(CONFIG)
    outputs = {
        output: orsync("plan", "--format", output, env={"NEW_URL": NEW_URL})
        for output in ("json", "text", "markdown")
    }
    for result in outputs.values():
        assert result.code == 2, result.output
        result.assert_hides(["pw-0123456789-SECRET", "secret-path"])
    changes = json.loads(outputs["json"].stdout)["changes"]
    assert [c["risks"] for c in changes] == [
        [{"kind": "privacy_off", "message": "privacy_mode turned off: prompts and completions "
          "will be sent"}],
        [
            {"kind": "new_host", "message": "config.url sends to collector.example.net, a host "
             "new to this workspace"},
            {"kind": "plain_http", "message": "config.url sends to collector.example.net over "
             "plain http (unencrypted)"},
        ],
    ]  # fmt: skip
    text = outputs["text"].stdout.splitlines()
    hook = text.index("  # webhook 'Hook' will be updated in place  (orsync.yaml:3)")
    # Under the header and the line saying when it last changed live.
    assert text[hook + 1].startswith("  # last changed live ")
    assert text[hook + 2] == (
        "  ! privacy_off: privacy_mode turned off: prompts and completions will be sent"
    )
    new = text.index("  # webhook 'New' will be created  (orsync.yaml:4)")
    assert text[new + 1 : new + 3] == [
        "  ! new_host: config.url sends to collector.example.net, a host new to this workspace",
        "  ! plain_http: config.url sends to collector.example.net over plain http (unencrypted)",
    ]
    markdown = outputs["markdown"].stdout
    assert "| action | workspace | name | type | changed fields | risks |" in markdown
    assert "| update | `" in markdown and "| `Hook` | `webhook` | `privacy_mode` |" in markdown
    assert "! `privacy_off`: `privacy_mode turned off" in markdown
    assert "! `new_host`:" in markdown and "<br>! `plain_http`:" in markdown
