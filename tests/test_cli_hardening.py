"""Hostile and half-broken situations, end to end: odd input, odd answers, runs cut short."""

from __future__ import annotations

import json

import pytest
from conftest import Orsync, Result
from fake_api import MANAGEMENT_KEY, FakeApi

PASSWORD = "hunter2-very-secret-pw"
TOKEN = "Bearer team-token-0123456789-WxYz"
SECRET = "sk-lf-secret-0123456789-AbCd"


def apply(orsync: Orsync, *args: str, env: dict[str, str] | None = None) -> Result:
    result = orsync("apply", "--auto-approve", *args, env=env)
    result.assert_hides([PASSWORD, TOKEN, SECRET])
    return result


def test_a_rich_destination_converges_and_plans_clean(orsync: Orsync, fake: FakeApi) -> None:
    orsync.write_config("""
        version: 1
        destinations:
          - name: Rich
            type: webhook
            enabled: false
            sampling_rate: 0.125
            privacy_mode: true
            api_key_hashes: [h2, h1]
            regions: [us, europe]
            broadcast_generation_cost: true
            filter_rules:
              groups:
                - rules:
                    - {field: model, operator: starts_with, value: openai/}
                    - {field: total_cost, operator: gt, value: 0.5}
                - logic: or
                  rules:
                    - {field: user_id, operator: exists}
            config:
              url: https://user:${PW}@Hooks.Example.com/in/
              method: PUT
              headers:
                X-Team: ${TEAM_TOKEN}
        """)
    env = {"PW": PASSWORD, "TEAM_TOKEN": TOKEN}
    assert apply(orsync, env=env).code == 0
    again = orsync("plan", env=env)
    assert again.code == 0, again.output
    again.assert_hides([PASSWORD, TOKEN])
    # A snapshot of it keeps no password, and plans the same offline.
    assert orsync("snapshot", "-o", "live.json", env=env).code == 0
    saved = (orsync.cwd / "live.json").read_text()
    assert PASSWORD not in saved and TOKEN not in saved
    offline = orsync("plan", "--snapshot", "live.json", env=env, key=None)
    assert offline.code == 0, offline.output


def test_a_url_password_in_an_unmanaged_destination_is_never_printed(
    orsync: Orsync, fake: FakeApi
) -> None:
    url = f"https://bot:{PASSWORD}@exfil.example.net/collect"
    fake.add_destination({"name": "stray", "type": "webhook", "config": {"url": url}})
    orsync.write_config("version: 1\ndestinations: []\n")
    for output_format in ("text", "json", "markdown"):
        result = orsync("plan", "--format", output_format, "--out", "p.plan")
        assert result.code == 2
        result.assert_hides([PASSWORD])
        assert "exfil.example.net" in result.stdout  # where it sends is what a reviewer needs
    assert PASSWORD not in (orsync.cwd / "p.plan").read_text()


def test_half_done_replace_of_a_pinned_destination_is_finished(
    orsync: Orsync, fake: FakeApi
) -> None:
    old = fake.add_destination(
        {"name": "Hook", "type": "webhook", "config": {"url": "https://a.example"}}
    )
    orsync.write_config(f"""
        version: 1
        destinations:
          - name: Hook
            id: {old["id"]}
            type: otel-collector
            config: {{endpoint: "https://otel.example"}}
        """)
    fake.fail(method="DELETE", status=500, times=10)
    first = apply(orsync)
    assert first.code == 1
    assert (
        "done: replace otel-collector 'Hook'" in first.stderr and "create the new" in first.stderr
    )
    assert (
        "failed: replace otel-collector 'Hook'" in first.stderr and "delete the old" in first.stderr
    )
    fake.reset_faults()
    second = apply(orsync)
    assert second.code == 0, second.output
    assert [d["type"] for d in fake.destinations()] == ["otel-collector"]
    assert [r.method for r in fake.mutating_requests()].count("POST") == 1


@pytest.mark.parametrize(
    ("policy", "code", "remaining"), [("report", 2, 2), ("ignore", 0, 2), ("delete", 2, 1)]
)
def test_two_live_with_a_declared_name_and_one_of_its_type(
    orsync: Orsync, fake: FakeApi, policy: str, code: int, remaining: int
) -> None:
    keep = fake.add_destination(
        {"name": "Prod", "type": "webhook", "config": {"url": "https://a.example"}}
    )
    other = fake.add_destination(
        {"name": "Prod", "type": "otel-collector", "config": {"endpoint": "https://o.example"}}
    )
    orsync.write_config(f"""
        version: 1
        workspaces:
          - unmanaged: {policy}
            destinations:
              - {{name: Prod, type: webhook, config: {{url: "https://a.example"}}}}
        """)
    result = orsync("plan")
    assert result.code == code, result.output
    # Matched by type; the other is left to the workspace's policy, never deleted beyond it.
    assert keep["id"] in result.stderr and other["id"] in result.stderr
    assert "matched the webhook one" in result.stderr
    assert apply(orsync).code == 0
    assert len(fake.destinations()) == remaining
    assert keep["id"] in [d["id"] for d in fake.destinations()]


def test_two_live_of_the_declared_type_and_name_is_an_error_naming_both(
    orsync: Orsync, fake: FakeApi
) -> None:
    first = fake.add_destination(
        {"name": "Prod", "type": "webhook", "config": {"url": "https://a.example"}}
    )
    second = fake.add_destination(
        {"name": "Prod", "type": "webhook", "config": {"url": "https://b.example"}}
    )
    orsync.write_config("""
        version: 1
        destinations:
          - {name: Prod, type: webhook, config: {url: "https://a.example"}}
        """)
    result = orsync("plan")
    assert result.code == 1
    assert first["id"] in result.stderr and second["id"] in result.stderr and "pin" in result.stderr


def test_half_done_replace_by_name_is_finished_by_a_second_apply(
    orsync: Orsync, fake: FakeApi
) -> None:
    fake.add_destination({"name": "obs", "type": "webhook", "config": {"url": "https://a.example"}})
    orsync.write_config("""
        version: 1
        workspaces:
          - unmanaged: delete
            destinations:
              - {name: obs, type: otel-collector, config: {endpoint: "https://o.example"}}
        """)
    fake.fail(method="DELETE", status=500, times=10)
    assert apply(orsync).code == 1
    fake.reset_faults()
    assert apply(orsync).code == 0
    assert [d["type"] for d in fake.destinations()] == ["otel-collector"]


def test_the_default_workspace_declared_twice_is_refused_even_when_selected(
    orsync: Orsync, fake: FakeApi
) -> None:
    fake.add_destination({"name": "A", "type": "webhook", "config": {"url": "https://a.example"}})
    fake.add_destination({"name": "B", "type": "webhook", "config": {"url": "https://b.example"}})
    default_id = fake.destinations()[0]["workspace_id"]
    orsync.write_config(f"""
        version: 1
        workspaces:
          - unmanaged: delete
            destinations:
              - {{name: A, type: webhook, config: {{url: "https://a.example"}}}}
          - id: {default_id}
            destinations:
              - {{name: B, type: webhook, config: {{url: "https://b.example"}}}}
        """)
    for args in ((), ("--workspace", "default"), ("--workspace", default_id)):
        result = orsync("plan", *args)
        assert result.code == 1 and "declares again" in result.stderr, result.output
    assert apply(orsync).code == 1
    assert len(fake.destinations()) == 2 and fake.mutating_requests() == []


def test_a_variable_holding_a_mask_is_a_pin_never_sent(orsync: Orsync, fake: FakeApi) -> None:
    orsync.write_config("""
        version: 1
        destinations:
          - name: LF
            type: langfuse
            config: {publicKey: "${PK}", secretKey: "${SK}"}
        """)
    result = apply(orsync, env={"PK": "pk-l...EfGh", "SK": SECRET})
    assert result.code == 1
    assert "config.publicKey is pk-l...EfGh" in result.stderr
    assert fake.mutating_requests() == []


def test_api_errors_echoing_a_secret_are_cut_after_redaction(orsync: Orsync, fake: FakeApi) -> None:
    orsync.write_config("""
        version: 1
        destinations:
          - name: LF
            type: langfuse
            config: {publicKey: "${PK}", secretKey: "${SK}"}
        """)
    message = "x" * 185 + f" invalid secretKey {SECRET}"
    body = json.dumps({"error": {"code": 400, "message": message, "metadata": None}})
    fake.fail(method="POST", status=400, body=body)
    result = apply(orsync, env={"PK": "pk-lf-public-0000000000-EfGh", "SK": SECRET})
    assert result.code == 1
    assert SECRET[:10] not in result.output
    assert "fix what the API refused" in result.stderr


def test_a_create_over_the_type_limit_says_what_to_do(orsync: Orsync) -> None:
    with FakeApi(type_limit=1) as api:
        api.add_destination(
            {"name": "old", "type": "webhook", "config": {"url": "https://o.example"}}
        )
        orsync.write_config("""
            version: 1
            workspaces:
              - unmanaged: delete
                destinations:
                  - {name: new, type: webhook, config: {url: "https://n.example"}}
            """)
        result = orsync("apply", "--auto-approve", env={"ORSYNC_BASE_URL": api.base_url})
        assert result.code == 1
        assert "409" in result.stderr and "delete a webhook destination first" in result.stderr


def test_the_key_passed_as_a_variable_name_is_not_echoed(orsync: Orsync) -> None:
    orsync.write_config("version: 1\ndestinations: []\n")
    result = orsync("plan", "--api-key-env", MANAGEMENT_KEY)
    assert result.code == 1 and "takes the NAME" in result.stderr
    result.assert_hides([])
    result = orsync("plan", "--base-url", f"https://me:{PASSWORD}@api.example.com/v1")
    assert result.code == 1 and "must not hold a user name or password" in result.stderr
    result.assert_hides([PASSWORD])


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ('{"data": [], "total_count": -1}', "total_count is -1"),
        (
            '{"data": [{"id": "a", "name": "a", "type": "webhook", "enabled": true, '
            '"sampling_rate": 1, "privacy_mode": false, "config": {}}], "total_count": 10000000}',
            # The same page whatever the offset: the listing would never end.
            "a page held only destinations already listed",
        ),
    ],
)
def test_implausible_lists_fail_fast(
    orsync: Orsync, fake: FakeApi, body: str, fragment: str
) -> None:
    orsync.write_config("version: 1\ndestinations: []\n")
    fake.fail(method="GET", status=200, body=body, times=100)
    result = orsync("plan")
    assert result.code == 1 and fragment in result.stderr, result.output
    assert len(fake.requests) <= 15


@pytest.mark.parametrize("merge", [True, False])
def test_headers_change_converges_whether_patch_merges_or_replaces_them(
    orsync: Orsync, merge: bool
) -> None:
    with FakeApi(headers_merge=merge) as api:
        env = {
            "AUTH": "Bearer auth-0123456789-AbCd",
            "TEAM": TOKEN,
            "ORSYNC_BASE_URL": api.base_url,
        }
        orsync.write_config("""
            version: 1
            destinations:
              - name: Hook
                type: webhook
                config:
                  url: https://hooks.example.com/in
                  headers: {Authorization: "${AUTH}", X-Team: "${TEAM}"}
            """)
        assert apply(orsync, env=env).code == 0
        env["TEAM"] = "Bearer team-token-rotated-999-QrSt"
        assert apply(orsync, env=env).code == 0
        assert orsync("plan", env=env).code == 0
        (stored,) = api.destinations()
        assert stored["config"]["headers"] == {"Authorization": env["AUTH"], "X-Team": env["TEAM"]}


def test_a_header_known_only_by_its_mask_blocks_a_headers_update_up_front(
    orsync: Orsync, fake: FakeApi
) -> None:
    fake.add_destination(
        {
            "name": "Hook",
            "type": "webhook",
            "config": {
                "url": "https://h.example",
                "headers": {
                    "Authorization": "Bearer a-0123456789-AbCd",
                    "X-Extra": "kept-0123456789",
                },
            },
        }
    )
    orsync.write_config("""
        version: 1
        destinations:
          - name: Hook
            type: webhook
            config:
              url: https://h.example
              headers: {Authorization: "Bear...AbCd", X-Team: "${TEAM}"}
        """)
    result = apply(orsync, env={"TEAM": TOKEN})
    assert result.code == 1
    assert "cannot update config.headers" in result.stderr
    assert fake.mutating_requests() == []
    assert fake.destinations()[0]["config"]["headers"]["X-Extra"] == "kept-0123456789"


def test_a_masked_url_copied_into_the_config_is_a_pin(orsync: Orsync, fake: FakeApi) -> None:
    url = f"https://default:{PASSWORD}@ch.example.com:8443"
    fake.add_destination(
        {
            "name": "CH",
            "type": "clickhouse",
            "config": {
                "host": url,
                "database": "llm",
                "username": "u",
                "password": "pw-0123456789",
            },
        }
    )
    orsync.write_config("""
        version: 1
        destinations:
          - name: CH
            type: clickhouse
            sampling_rate: 0.5
            config: {host: "https://default:****@ch.example.com:8443", database: llm}
        """)
    plan = orsync("plan", "--format", "json")
    assert plan.code == 2
    assert [f["path"] for f in json.loads(plan.stdout)["changes"][0]["fields"]] == ["sampling_rate"]
    assert apply(orsync).code == 0
    assert fake.destinations()[0]["config"]["host"] == url
    assert [r.body for r in fake.mutating_requests()] == [{"sampling_rate": 0.5}]


def test_a_list_of_mappings_in_an_unknown_type_is_sent_whole(orsync: Orsync, fake: FakeApi) -> None:
    fake.add_destination(
        {
            "name": "BQ",
            "type": "bigquery",
            "config": {"endpoints": [{"url": "https://a.example", "token": "tok-old-0123456789"}]},
        }
    )
    orsync.write_config("""
        version: 1
        destinations:
          - name: BQ
            type: bigquery
            config:
              endpoints: [{url: "https://a.example", token: "${TOK}"}]
        """)
    result = orsync("plan", env={"TOK": "tok-new-0123456789"})
    assert result.code == 2 and "config.endpoints[0].token" in result.stdout
    result.assert_hides(["tok-new-0123456789", "tok-old-0123456789"])
    # The fake cannot store unknown types through PATCH: only the body is checked here.
    fake.fail(method="PATCH", status=200, body='{"data": {}}')
    apply(orsync, env={"TOK": "tok-new-0123456789"})
    (patch,) = [r for r in fake.mutating_requests() if r.method == "PATCH"]
    assert patch.body == {
        "config": {"endpoints": [{"url": "https://a.example", "token": "tok-new-0123456789"}]}
    }


def test_error_messages_keep_names_and_lose_passwords(orsync: Orsync, fake: FakeApi) -> None:
    orsync.write_config("""
        version: 1
        destinations:
          - name: hook
            type: webhook
            config: {url: "https://bot:${PW}@hooks.example.com/in", method: POST}
        """)
    message = f"password '{PASSWORD}' rejected for hook at hooks.example.com; must be POST or PUT"
    body = json.dumps({"error": {"code": 400, "message": message, "metadata": None}})
    fake.fail(method="POST", status=400, body=body)
    result = apply(orsync, env={"PW": PASSWORD})
    assert result.code == 1
    assert "rejected for hook at hooks.example.com; must be POST or PUT" in result.stderr


def test_a_base_url_with_credentials_is_refused_without_echo(orsync: Orsync) -> None:
    orsync.write_config("version: 1\ndestinations: []\n")
    for url in (f"https://u:{PASSWORD}@h:99999/v1", f"https:/ops:{PASSWORD}@api.example.com/v1"):
        result = orsync("plan", "--base-url", url)
        assert result.code == 1 and "must not hold a user name or password" in result.stderr
        result.assert_hides([PASSWORD])


def nested_item(fake: FakeApi, config: dict[str, object]) -> None:
    fake.add_destination({"name": "BQ", "type": "bigquery", "config": config})


def patch_bodies(fake: FakeApi) -> list[object]:
    return [r.body for r in fake.mutating_requests() if r.method == "PATCH"]


def test_nested_live_entries_are_never_dropped(orsync: Orsync, fake: FakeApi) -> None:
    nested_item(
        fake,
        {
            "credentials": {
                "serviceAccount": {"clientEmail": "old@p1", "privateKey": "pk-0123456789"}
            }
        },
    )
    orsync.write_config("""
        version: 1
        destinations:
          - name: BQ
            type: bigquery
            config: {credentials: {serviceAccount: {clientEmail: new@p1}}}
        """)
    result = apply(orsync)
    assert result.code == 1
    assert "config.credentials.serviceAccount.privateKey" in result.stderr
    assert patch_bodies(fake) == []


def test_an_ignored_entry_inside_a_whole_sent_key_blocks_the_update(
    orsync: Orsync, fake: FakeApi
) -> None:
    fake.add_destination(
        {
            "name": "Hook",
            "type": "webhook",
            "config": {
                "url": "https://h.example",
                "headers": {"Authorization": "old-0123456789", "X-Rotated": "by-vault-0123"},
            },
        }
    )
    orsync.write_config("""
        version: 1
        destinations:
          - name: Hook
            type: webhook
            ignore: [config.headers.X-Rotated]
            config:
              url: https://h.example
              headers: {Authorization: "${AUTH}", X-Rotated: "${ROT}"}
        """)
    result = apply(orsync, env={"AUTH": "new-0123456789", "ROT": "initial-0123"})
    assert result.code == 1 and "ignores config.headers.X-Rotated" in result.stderr
    assert fake.destinations()[0]["config"]["headers"]["X-Rotated"] == "by-vault-0123"


def test_keys_holding_dots_get_their_own_patch(orsync: Orsync, fake: FakeApi) -> None:
    nested_item(fake, {"opts": {"region": "us"}, "opts.region": "eu"})
    orsync.write_config("""
        version: 1
        destinations:
          - name: BQ
            type: bigquery
            config: {opts: {region: eu}, opts.region: eu}
        """)
    fake.fail(method="PATCH", status=200, body='{"data": {}}')
    apply(orsync)
    assert patch_bodies(fake) == [{"config": {"opts": {"region": "eu"}}}]


def test_a_clear_secret_changed_is_seen_offline_too(orsync: Orsync, fake: FakeApi) -> None:
    dsn_live = "https://a1b2c3d4e5f6NEWKEY0042@o11.ingest.sentry.io/42"
    fake.add_destination(
        {
            "name": "S",
            "type": "sentry",
            "config": {"dsn": dsn_live, "otlpEndpoint": "https://o.example"},
        }
    )
    orsync.write_config("""
        version: 1
        destinations:
          - {name: S, type: sentry, config: {dsn: "${DSN}", otlpEndpoint: "https://o.example"}}
        """)
    env = {"DSN": "https://0000oldkey11110042@o11.ingest.sentry.io/42"}
    assert orsync("plan", env=env).code == 2
    assert orsync("snapshot", "-o", "s.json", env=env).code == 0
    offline = orsync("plan", "--snapshot", "s.json", env=env, key=None)
    # The snapshot keeps nothing of the key: not verified offline, never "in sync" by chance.
    assert offline.code == 0 and "config.dsn not verified" in offline.stderr, offline.output
    offline.assert_hides([dsn_live, env["DSN"], "NEWKEY"])


def test_an_unpinned_replace_left_half_done_says_what_remains(
    orsync: Orsync, fake: FakeApi
) -> None:
    old = fake.add_destination(
        {"name": "obs", "type": "webhook", "config": {"url": "https://a.example"}}
    )
    orsync.write_config("""
        version: 1
        destinations:
          - {name: obs, type: otel-collector, config: {endpoint: "https://o.example"}}
        """)
    fake.fail(method="DELETE", status=500, times=10)
    result = apply(orsync)
    assert result.code == 1
    assert f"the old webhook {old['id']} was not deleted" in result.stderr
    assert "pin this destination's `id` to the old one" in result.stderr
    fake.reset_faults()
    orsync.write_config(f"""
        version: 1
        destinations:
          - {{name: obs, id: {old["id"]}, type: otel-collector, config: {{endpoint: "https://o.example"}}}}
        """)
    assert apply(orsync).code == 0
    assert [d["type"] for d in fake.destinations()] == ["otel-collector"]


def test_an_empty_default_beside_an_empty_workspace_warns(orsync: Orsync) -> None:
    other = "7a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
    with FakeApi(workspaces=[other]) as api:
        orsync.write_config(f"""
            version: 1
            workspaces:
              - destinations: [{{name: a, type: webhook, config: {{url: "https://a.example"}}}}]
              - id: {other}
                destinations: [{{name: b, type: webhook, config: {{url: "https://b.example"}}}}]
            """)
        result = orsync("plan", env={"ORSYNC_BASE_URL": api.base_url})
        assert result.code == 2 and "cannot tell whether" in result.stderr


def test_tokens_in_url_paths_and_queries_are_never_printed(orsync: Orsync, fake: FakeApi) -> None:
    fake.add_destination(
        {
            "name": "tap",
            "type": "webhook",
            "config": {"url": "https://exfil.example.net/in?token=QUERYTOKEN555"},
        }
    )
    fake.add_destination(
        {
            "name": "slack",
            "type": "webhook",
            "config": {"url": "https://hooks.slack.example/services/SECRETPATH77"},
        }
    )
    orsync.write_config("""
        version: 1
        destinations:
          - {name: slack, type: webhook, config: {url: "${SLACK_URL}"}}
        """)
    env = {"SLACK_URL": "https://hooks.slack.example/services/SECRETPATH88"}
    for output_format in ("text", "json", "markdown"):
        result = orsync("plan", "--format", output_format, env=env)
        assert result.code == 2
        result.assert_hides(["QUERYTOKEN555", "SECRETPATH77", "SECRETPATH88"])
        assert "exfil.example.net" in result.stdout and "hooks.slack.example" in result.stdout


def test_header_names_compare_without_case(orsync: Orsync, fake: FakeApi) -> None:
    fake.add_destination(
        {
            "name": "Hook",
            "type": "webhook",
            "config": {"url": "https://h.example", "headers": {"Authorization": "old-0123456789"}},
        }
    )
    orsync.write_config("""
        version: 1
        destinations:
          - name: Hook
            type: webhook
            config: {url: "https://h.example", headers: {authorization: "${AUTH}"}}
        """)
    assert orsync("plan", env={"AUTH": "old-0123456789"}).code == 0
    assert apply(orsync, env={"AUTH": "new-0123456789"}).code == 0
    assert fake.destinations()[0]["config"]["headers"] == {"Authorization": "new-0123456789"}


def test_header_names_twice_in_any_case(orsync: Orsync, fake: FakeApi) -> None:
    orsync.write_config("""
        version: 1
        destinations:
          - name: Hook
            type: webhook
            config:
              url: https://h.example
              headers: {Authorization: "${A}", authorization: "${B}"}
        """)
    result = orsync("validate")
    assert result.code == 1 and "declared twice" in result.stderr
    fake.add_destination(
        {
            "name": "Hook",
            "type": "webhook",
            "config": {
                "url": "https://h.example",
                "headers": {"authorization": "one-0123456789", "Authorization": "two-0123456789"},
            },
        }
    )
    orsync.write_config("""
        version: 1
        destinations:
          - name: Hook
            type: webhook
            config: {url: "https://h.example", headers: {Authorization: "${A}"}}
        """)
    result = apply(orsync, env={"A": "new-0123456789"})
    assert result.code == 1 and "differ only in case" in result.stderr
    assert fake.mutating_requests() == []


def test_a_url_password_holding_a_slash_is_never_printed(orsync: Orsync, fake: FakeApi) -> None:
    url = f"https://bot:{PASSWORD}/1x@hook.example.com/x"
    fake.add_destination({"name": "stray", "type": "webhook", "config": {"url": url}})
    orsync.write_config("version: 1\ndestinations: []\n")
    result = orsync("plan")
    assert result.code == 2 and "hook.example.com" in result.stdout
    result.assert_hides([PASSWORD])
    assert orsync("snapshot", "-o", "s.json").code == 0
    assert PASSWORD not in (orsync.cwd / "s.json").read_text()
    result = orsync("plan", "--base-url", "https://127.0.0.1:9/api/v1?token=secretpw")
    assert result.code == 1 and "query" in result.stderr and "secretpw" not in result.output
