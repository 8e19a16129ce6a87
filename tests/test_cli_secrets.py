"""Secrets end to end: never printed, never echoed, pins compared and never sent."""

from __future__ import annotations

import json

import pytest
from conftest import PASSWORD, SECRET, Orsync, apply
from fake_api import MANAGEMENT_KEY, FakeApi


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


def test_the_key_passed_as_a_variable_name_is_not_echoed(orsync: Orsync) -> None:
    orsync.write_config("version: 1\ndestinations: []\n")
    result = orsync("plan", "--api-key-env", MANAGEMENT_KEY)
    assert result.code == 1 and "takes the NAME" in result.stderr
    result.assert_hides([])
    result = orsync("plan", "--base-url", f"https://me:{PASSWORD}@api.example.com/v1")
    assert result.code == 1 and "must not hold a user name or password" in result.stderr
    result.assert_hides([PASSWORD])


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


def test_an_api_error_quoting_only_the_credential_of_a_header_is_redacted(
    orsync: Orsync, fake: FakeApi
) -> None:
    """Servers quote an Authorization value's credential without its scheme: it is a secret too."""
    credential = "hdrsecret-ABCDEFGHIJKLMNOP"
    orsync.write_config("""
        version: 1
        destinations:
          - name: hook
            type: webhook
            config: {url: "https://h.example.com", headers: {Authorization: "${AUTH}"}}
        """)
    message = f"bad header: token {credential} refused"
    fake.fail(
        method="POST", status=400, body=json.dumps({"error": {"code": 400, "message": message}})
    )
    result = apply(orsync, "-v", env={"AUTH": f"Bearer {credential}"})
    assert result.code == 1
    assert "bad header: token *** refused" in result.stderr
    result.assert_hides([credential])


@pytest.mark.parametrize("nested", [False, True], ids=["top-level", "nested"])
def test_a_credential_named_key_a_known_type_does_not_list_is_secret(
    orsync: Orsync, fake: FakeApi, nested: bool
) -> None:
    """The API may add keys to a type before orsync's table knows them: one named like a
    credential, at the top or inside another key (`extra.apiToken`), is kept secret, in plans
    and in snapshots."""
    token = "newclearsecret-token-ABCDEFGHIJ"
    added = {"extra": {"apiToken": token}} if nested else {"apiToken": token}
    config = {"publicKey": "pk-l...EfGh", "secretKey": "sk-l...AbCd", **added}
    fake.add_destination({"type": "langfuse", "name": "LF", "config": config})
    orsync.write_config("version: 1\ndestinations: []\n")
    for output_format in ("text", "json", "markdown"):
        result = orsync("plan", "--format", output_format)
        assert result.code == 2
        result.assert_hides([token])
    assert orsync("snapshot", "-o", "live.json").code == 0
    assert token not in (orsync.cwd / "live.json").read_text(encoding="utf-8")


def test_a_masked_url_pin_is_not_verified_never_a_match(orsync: Orsync, fake: FakeApi) -> None:
    """A pin like `https://hooks.slack.com/…` shows only the host: a changed channel token
    behind it cannot be seen, so the plan says "not verified" rather than "No changes"."""
    slack = "https://hooks.slack.com/services/T0001/B0002/SECRETtoken0123456789"
    fake.add_destination({"type": "webhook", "name": "slack", "config": {"url": slack}})
    orsync.write_config("""
        version: 1
        destinations:
          - name: slack
            type: webhook
            config: {url: "https://hooks.slack.com/…"}
        """)
    result = orsync("plan")
    assert result.code == 0
    assert "slack: config.url not verified" in result.stderr
    result.assert_hides([slack, "SECRETtoken"])
