"""`orsync audit`: the config's policy against live state alone, across many workspaces."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from conftest import Orsync, Result
from fake_api import DEFAULT_WORKSPACE_ID, FakeApi
from junitparser import JUnitXml

from orsync.commands.audit import run_audit
from orsync.commands.inputs import ApiSource, Connection

# Four workspaces beside the key's default one: uuid, slug, name.
SPACES = [
    (f"a0000000-0000-4000-8000-00000000000{n}", f"team-{n}", f"Team {n}") for n in range(1, 5)
]
POLICY = """
    version: 1
    policy:
      privacy_mode: required
      allowed_hosts: ["*.example.com"]
    """
DSN_KEY = "0123456789abcdef0123456789abcdef"


def hook(name: str, **fields: Any) -> dict[str, Any]:
    url = fields.pop("url", f"https://{name}.example.com/in")
    return {"name": name, "type": "webhook", "privacy_mode": True, "config": {"url": url}, **fields}


@pytest.fixture
def org(fake: FakeApi) -> FakeApi:
    """The default workspace (clean) and four teams: team-2 and team-4 break the policy."""
    fake.add_destination(hook("base"))
    for workspace_id, slug, name in SPACES:
        fake.add_workspace(workspace_id, slug, name)
        fake.add_destination(hook(f"{slug}-ok"), workspace_id)
    fake.add_destination(hook("leaky", privacy_mode=False), SPACES[1][0])
    fake.add_destination(
        {
            "name": "errors",
            "type": "sentry",
            "privacy_mode": True,
            "config": {"dsn": f"https://{DSN_KEY}@o1.ingest.evil.test/42", "otlpEndpoint": "x"},
        },
        SPACES[3][0],
    )
    return fake


def audit_json(orsync: Orsync, *args: str) -> tuple[Result, dict[str, Any]]:
    result = orsync("audit", "--format", "json", *args)
    result.assert_hides([DSN_KEY])
    return result, json.loads(result.stdout) if result.stdout else {}


def test_all_workspaces(orsync: Orsync, org: FakeApi) -> None:
    orsync.write_config(POLICY)
    result, report = audit_json(orsync, "--all-workspaces")
    assert result.code == 3, result.output
    assert report["clean"] is False
    assert report["summary"] == {"workspaces": 5, "destinations": 7, "violations": 2}
    assert [(w["id"], w["slug"], w["violations"]) for w in report["workspaces"]] == [
        (DEFAULT_WORKSPACE_ID, "default", 0),
        (SPACES[0][0], "team-1", 0),
        (SPACES[1][0], "team-2", 1),
        (SPACES[2][0], "team-3", 0),
        (SPACES[3][0], "team-4", 1),
    ]
    leaky, errors = report["violations"]
    assert leaky["rule"] == "privacy_mode" and leaky["name"] == "leaky"
    assert leaky["message"].startswith(
        f"workspace {SPACES[1][0]} (team-2): webhook 'leaky' (live, id {leaky['id']}): "
    )
    assert errors["rule"] == "allowed_hosts"
    assert errors["message"].endswith(
        "config.dsn sends to host o1.ingest.evil.test, not in the policy's allowed_hosts "
        "(*.example.com)"
    )
    assert (
        result.stderr == "Error: 2 policy violations (allowed_hosts, privacy_mode) in live state\n"
    )


@pytest.mark.parametrize(
    "selectors",
    [
        ("team-2", "team-3"),
        (SPACES[1][0], SPACES[2][0]),
        ("team-2", SPACES[2][0].upper()),
        ("team-2", "team-3", SPACES[1][0]),
    ],
)
def test_workspaces_by_uuid_and_slug(
    orsync: Orsync, org: FakeApi, selectors: tuple[str, ...]
) -> None:
    orsync.write_config(POLICY)
    args = [arg for selector in selectors for arg in ("--workspace", selector)]
    result, report = audit_json(orsync, *args)
    assert result.code == 3, result.output
    assert [(w["slug"], w["name"]) for w in report["workspaces"]] == [
        ("team-2", "Team 2"),
        ("team-3", "Team 3"),
    ]
    assert [v["name"] for v in report["violations"]] == ["leaky"]
    listed = {r.query.get("workspace_id") for r in org.requests if "destinations" in r.path}
    assert listed == {SPACES[1][0], SPACES[2][0]}


def test_a_clean_audit_exits_0(orsync: Orsync, org: FakeApi) -> None:
    orsync.write_config(POLICY)
    result = orsync("audit", "--workspace", "team-1", "--workspace", "default")
    assert result.code == 0, result.output
    assert result.stdout.splitlines() == [
        "Audited 2 workspaces (2 destinations) against the policy of orsync.yaml:",
        f"  workspace {SPACES[0][0]} (team-1) 'Team 1': 1 destination, clean",
        f"  workspace {DEFAULT_WORKSPACE_ID} (default) 'Default Workspace': 1 destination, clean",
        "",
        "No policy violations.",
    ]


def test_text_lists_each_violation(orsync: Orsync, org: FakeApi) -> None:
    orsync.write_config(POLICY)
    result = orsync("audit", "--workspace", "team-4")
    assert result.code == 3
    lines = result.stdout.splitlines()
    assert f"  workspace {SPACES[3][0]} (team-4) 'Team 4': 2 destinations, 1 violation" in lines
    assert lines[-2] == "1 policy violation (allowed_hosts):"
    assert lines[-1].startswith(f"  ! workspace {SPACES[3][0]} (team-4): sentry 'errors' (live, id")
    result.assert_hides([DSN_KEY])


def test_without_a_choice_the_config_workspaces_are_audited(orsync: Orsync, org: FakeApi) -> None:
    orsync.write_config(
        POLICY
        + """
    workspaces:
      - id: team-2
        destinations: []
    """
    )
    result, report = audit_json(orsync)
    assert result.code == 3
    assert [w["id"] for w in report["workspaces"]] == [SPACES[1][0]]
    orsync.write_config(POLICY)
    only_policy, report = audit_json(orsync)
    assert only_policy.code == 0, only_policy.output
    assert [w["id"] for w in report["workspaces"]] == [DEFAULT_WORKSPACE_ID]


def suite_names(orsync: Orsync, *args: str) -> list[str]:
    result = orsync("audit", "--format", "junit", *args)
    return [str(suite.name) for suite in JUnitXml.fromstring(result.stdout)]


TEAM_2 = SPACES[1][0]
# Ways of choosing the default workspace and team-2, beside --all-workspaces.
CHOICES: dict[str, tuple[str, tuple[str, ...]]] = {
    "--workspace default": (POLICY, ("--workspace", "default", "--workspace", TEAM_2)),
    "--workspace uuid": (POLICY, ("--workspace", DEFAULT_WORKSPACE_ID, "--workspace", "team-2")),
    "config entries": (
        POLICY
        + f"workspaces:\n      - destinations: []\n      - {{id: {TEAM_2}, destinations: []}}\n",
        (),
    ),
    "config entry by slug": (POLICY + "workspaces:\n      - {id: team-2, destinations: []}\n", ()),
    "the default one": (POLICY, ()),
}


@pytest.mark.parametrize("choice", CHOICES)
def test_a_workspace_is_named_alike_however_chosen(
    orsync: Orsync, org: FakeApi, choice: str
) -> None:
    """The label, the JSON entry and the JUnit suite of a workspace are those
    --all-workspaces gives it: its slug and name looked up where choosing it did not."""
    orsync.write_config(POLICY)
    _, everything = audit_json(orsync, "--all-workspaces")
    every_suite = suite_names(orsync, "--all-workspaces")
    config, args = CHOICES[choice]
    orsync.write_config(config)
    result, chosen = audit_json(orsync, *args)
    assert result.code in (0, 3), result.output
    entries = {w["id"]: w for w in everything["workspaces"]}
    assert chosen["workspaces"], result.output
    assert chosen["workspaces"] == [entries[w["id"]] for w in chosen["workspaces"]]
    messages = {v["id"]: v["message"] for v in everything["violations"]}
    assert [v["message"] for v in chosen["violations"]] == [
        messages[v["id"]] for v in chosen["violations"]
    ]
    suites = suite_names(orsync, *args)
    assert len(suites) == len(chosen["workspaces"])
    assert set(suites) <= set(every_suite), (suites, every_suite)
    if any(w["id"] == DEFAULT_WORKSPACE_ID for w in chosen["workspaces"]):
        text = orsync("audit", *args).stdout
        assert f"  workspace {DEFAULT_WORKSPACE_ID} (default) 'Default Workspace': " in text


def test_the_default_workspace_named_twice_is_audited_once(orsync: Orsync, org: FakeApi) -> None:
    orsync.write_config(POLICY)
    result, report = audit_json(
        orsync, "--workspace", "default", "--workspace", DEFAULT_WORKSPACE_ID
    )
    assert result.code == 0, result.output
    assert [w["id"] for w in report["workspaces"]] == [DEFAULT_WORKSPACE_ID]
    assert report["summary"] == {"workspaces": 1, "destinations": 1, "violations": 0}


def test_an_empty_default_workspace_is_named_by_what_is_known(
    orsync: Orsync, fake: FakeApi
) -> None:
    """No destination tells the default workspace's id, so nothing can be looked up."""
    orsync.write_config(POLICY)
    result, report = audit_json(orsync, "--workspace", "default")
    assert result.code == 0, result.output
    assert report["workspaces"] == [
        {"id": None, "slug": None, "name": None, "destinations": 0, "violations": 0}
    ]
    assert "  default workspace: 0 destinations, clean" in orsync("audit").stdout
    assert [r.path for r in fake.requests if "/workspaces" in r.path] == []


# Each rule a live destination can break (plaintext_secrets is about the file alone).
LIVE_RULES: dict[str, tuple[str, dict[str, Any], dict[str, Any]]] = {
    "privacy_mode": ("privacy_mode: required", {"privacy_mode": True}, {}),
    "max_sampling_rate": ("max_sampling_rate: 0.5", {"sampling_rate": 0.5}, {"sampling_rate": 1}),
    "allowed_types": ("allowed_types: [webhook]", {}, {"type": "otel-collector"}),
    "required_types": ("required_types: [webhook]", {}, {"enabled": False}),
    "allowed_hosts": ("allowed_hosts: [h.example.com]", {}, {"config": {"url": "http://x.test"}}),
    "allowed_regions": (
        "allowed_regions: [europe, us]",
        {"regions": ["europe"]},
        {"regions": ["europe", "global"]},
    ),
    "api_key_allowlist": ("api_key_allowlist: required", {"api_key_hashes": ["h1"]}, {}),
    "identity_broadcast": (
        "identity_broadcast: forbid",
        {},
        {"broadcast_generation_identity": True},
    ),
}


@pytest.mark.parametrize("rule", LIVE_RULES)
@pytest.mark.parametrize("breaking", [False, True], ids=["holds", "fails"])
def test_each_rule_against_live(orsync: Orsync, fake: FakeApi, rule: str, breaking: bool) -> None:
    policy, keeps, breaks = LIVE_RULES[rule]
    orsync.write_config(f"version: 1\npolicy:\n  {policy}\n")
    base = {"name": "Hook", "type": "webhook", "config": {"url": "https://h.example.com"}}
    seeded = fake.add_destination({**base, **(breaks if breaking else keeps)})
    result, report = audit_json(orsync)
    if not breaking:
        assert result.code == 0, result.output
        assert report["violations"] == []
        return
    assert result.code == 3, result.output
    [violation] = report["violations"]
    assert violation["rule"] == rule
    assert violation["workspace_id"] == DEFAULT_WORKSPACE_ID
    assert violation["message"].startswith(f"workspace {DEFAULT_WORKSPACE_ID} (default): ")
    assert rule in violation["message"]
    if rule != "required_types":
        assert (violation["name"], violation["id"]) == ("Hook", seeded["id"])
        assert f"'Hook' (live, id {seeded['id']})" in violation["message"]


@pytest.mark.parametrize(
    ("args", "config", "message"),
    [
        (("--all-workspaces", "--workspace", "team-1"), POLICY, "give --all-workspaces or"),
        (("--workspace", "team-9"), POLICY, "--workspace team-9: no workspace has this id or slug"),
        (("--workspace", "Team_1"), POLICY, "--workspace 'Team_1': expected a workspace UUID"),
        ((), "version: 1\ndestinations: []\n", "orsync.yaml: no `policy:` block"),
        ((), "version: 1\npolicy: {privacy: required}\n", "unknown key, did you mean"),
    ],
)
def test_errors_exit_1(
    orsync: Orsync, org: FakeApi, args: tuple[str, ...], config: str, message: str
) -> None:
    orsync.write_config(config)
    result = orsync("audit", *args)
    assert result.code == 1, result.output
    assert message in result.stderr
    assert result.stdout == ""


def test_live_urls_with_credentials_are_named_by_host(orsync: Orsync, fake: FakeApi) -> None:
    password = "live-pass-0123456789"
    fake.add_destination(hook("tap", url=f"https://user:{password}@tap.evil.test/private-path"))
    orsync.write_config(POLICY)
    for output in ("text", "json"):
        result = orsync("audit", "--format", output)
        assert result.code == 3
        result.assert_hides([password, "private-path"])
        assert "config.url sends to host tap.evil.test" in result.stdout


def test_an_api_failure_exits_1(orsync: Orsync, org: FakeApi) -> None:
    orsync.write_config(POLICY)
    org.fail(method="GET", path_contains="/workspaces", status=500, times=10)
    result = orsync("audit", "--all-workspaces")
    assert result.code == 1
    assert "the API answered 500" in result.stderr


def test_workspaces_are_read_concurrently(orsync: Orsync, org: FakeApi) -> None:
    orsync.write_config(POLICY)
    delay = 0.4
    org.fail(
        method="GET", path_contains="/observability/destinations", status=200, delay=delay, times=5
    )
    started = time.monotonic()
    result = orsync("audit", "--all-workspaces")
    elapsed = time.monotonic() - started
    assert result.code == 3
    # One at a time, the five reads would take 5 * delay.
    assert elapsed < 3 * delay


def test_run_audit_in_process(orsync: Orsync, org: FakeApi) -> None:
    path = orsync.write_config(POLICY)
    source = ApiSource(lambda: Connection(org.base_url).open(orsync.environ()))
    report = run_audit(str(path), source, workspaces=["team-2"])
    assert [v.rule for v in report.violations] == ["privacy_mode"]
    assert report.workspaces[0].label == f"workspace {SPACES[1][0]} (team-2)"
