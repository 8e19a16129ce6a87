"""Corners of comparison against the real service, end to end: apply, then plan is empty."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from conftest import Orsync, Result
from fake_api import FakeApi

from orsync.render import FORMATS

# Secrets whose last 4 characters, the part the API keeps in its mask, hold dots.
DOTTED_SECRETS = (
    "sk-lf-0123456789-b.cd",
    "sk-lf-0123456789-xyz.",
    "sk-lf-0123456789-yz..",
    "sk-lf-0123456789-...x",
)


def run(orsync: Orsync, *args: str, env: dict[str, str], hides: list[str]) -> Result:
    result = orsync(*args, env=env)
    result.assert_hides(hides)
    assert "Traceback" not in result.output
    return result


@pytest.mark.parametrize("mask_style", ["prefix", "stars"])
def test_secrets_whose_kept_tail_holds_dots_converge(orsync: Orsync, mask_style: str) -> None:
    with FakeApi(mask_style=mask_style) as api:
        env = {"ORSYNC_BASE_URL": api.base_url}
        lines = ["version: 1", "destinations:"]
        for index, secret in enumerate(DOTTED_SECRETS):
            env[f"PK{index}"] = "pk" + secret[2:]
            env[f"SK{index}"] = secret
            lines += [
                f"  - name: lf{index}",
                "    type: langfuse",
                "    config:",
                f"      publicKey: ${{PK{index}}}",
                f"      secretKey: ${{SK{index}}}",
            ]
        orsync.write_config("\n".join(lines) + "\n")
        secrets = [v for k, v in env.items() if k != "ORSYNC_BASE_URL"]
        applied = run(orsync, "apply", "--auto-approve", env=env, hides=secrets)
        assert applied.code == 0, applied.output
        assert len(api.destinations()) == len(DOTTED_SECRETS)
        again = run(orsync, "plan", env=env, hides=secrets)
        assert again.code == 0, again.output
        assert "No changes." in again.stdout


def test_a_pinned_mask_whose_tail_holds_dots_is_a_pin(orsync: Orsync, fake: FakeApi) -> None:
    secret = "dd-api-0123456789-b.cd"
    fake.add_destination(
        {"name": "Hook", "type": "datadog", "config": {"apiKey": secret, "mlApp": "app"}}
    )
    orsync.write_config("""
        version: 1
        destinations:
          - name: Hook
            type: datadog
            config: {apiKey: "dd-a...b.cd", mlApp: app}
        """)
    planned = run(orsync, "plan", env={}, hides=[secret])
    assert planned.code == 0, planned.output
    assert "plain text" not in planned.stderr
    # A replace must create anew: the mask is no credential, so apply refuses to send it.
    orsync.write_config("""
        version: 1
        destinations:
          - name: Hook
            type: posthog
            config: {apiKey: "dd-a...b.cd"}
        """)
    applied = run(orsync, "apply", "--auto-approve", env={}, hides=[secret])
    assert applied.code == 1, applied.output
    assert "config.apiKey is dd-a...b.cd: set it from a variable to create" in applied.stderr
    assert fake.mutating_requests() == []


# A header whose last 4 characters, the part its mask keeps, start with a space.
SPACED = "Bearer 0123456789 xyz"
SPACED_MASK = "Bear... xyz"


@pytest.mark.parametrize("mask_style", ["prefix", "stars"])
def test_a_secret_whose_kept_tail_holds_a_space_converges(orsync: Orsync, mask_style: str) -> None:
    with FakeApi(mask_style=mask_style) as api:
        orsync.write_config("""
            version: 1
            destinations:
              - name: Hook
                type: webhook
                config: {url: "https://hooks.example.com/in", headers: {Authorization: "${AUTH}"}}
            """)
        env = {"AUTH": SPACED, "ORSYNC_BASE_URL": api.base_url}
        applied = run(orsync, "apply", "--auto-approve", env=env, hides=[SPACED])
        assert applied.code == 0, applied.output
        again = run(orsync, "plan", env=env, hides=[SPACED])
        assert again.code == 0 and "No changes." in again.stdout, again.output


def test_a_pinned_mask_whose_tail_holds_a_space_is_a_pin(orsync: Orsync, fake: FakeApi) -> None:
    fake.add_destination(
        {
            "name": "Hook",
            "type": "webhook",
            "config": {"url": "https://hooks.example.com/in", "headers": {"Authorization": SPACED}},
        }
    )
    pinned = f"""
        version: 1
        destinations:
          - name: Hook
            type: TYPE
            config:
              url: https://hooks.example.com/in
              headers: {{Authorization: "{SPACED_MASK}"}}
        """
    orsync.write_config(pinned.replace("TYPE", "webhook"))
    planned = run(orsync, "plan", env={}, hides=[SPACED])
    assert planned.code == 0 and "No changes." in planned.stdout, planned.output
    assert "plain text" not in planned.stderr
    applied = run(orsync, "apply", "--auto-approve", env={}, hides=[SPACED])
    assert applied.code == 0, applied.output
    # A replace creates anew: the mask is no credential, so apply refuses to send it.
    orsync.write_config(pinned.replace("TYPE", "otel-collector").replace("url:", "endpoint:"))
    applied = run(orsync, "apply", "--auto-approve", env={}, hides=[SPACED])
    assert applied.code == 1, applied.output
    assert (
        f"config.headers.Authorization is {SPACED_MASK}: set it from a variable to create"
        in applied.stderr
    )
    assert fake.mutating_requests() == []


def test_a_secret_url_is_normalized_before_it_is_compared(orsync: Orsync, fake: FakeApi) -> None:
    password = "pw-0123456789-secret"
    live = fake.add_destination(
        {
            "name": "Hook",
            "type": "webhook",
            "config": {"url": f"https://user:{password}@hooks.example.com/x"},
        }
    )
    orsync.write_config("""
        version: 1
        destinations:
          - name: Hook
            type: webhook
            config: {url: "https://user:${PW}@Hooks.Example.com/x/"}
        """)
    env = {"PW": password}
    planned = run(orsync, "plan", env=env, hides=[password])
    assert planned.code == 0, planned.output
    fake.add_destination(
        {**live, "id": None, "name": "Other", "config": {"url": f"https://user:{password}@h.ex/y"}}
    )
    orsync.write_config("""
        version: 1
        destinations:
          - name: Hook
            type: webhook
            config: {url: "https://user:${PW}@Hooks.Example.com/x/"}
          - name: Other
            type: webhook
            config: {url: "https://user:${PW}@H.ex/z/"}
        """)
    planned = run(orsync, "plan", "--format", "json", env=env, hides=[password])
    assert planned.code == 2, planned.output
    (change,) = json.loads(planned.stdout)["changes"]
    assert change["name"] == "Other"
    assert [(f["path"], f["sensitive"]) for f in change["fields"]] == [("config.url", True)]


# URLs whose credentials are not a password: (the secret part, the URL, its host).
URL_CREDENTIALS = [
    ("AzFnCode0123", "https://fn.azurewebsites.net/api/hook?code=AzFnCode0123", "fn."),
    ("SasSig0123", "https://acct.blob.core.windows.net/c/b?sv=2022-11-02&sig=SasSig0123", "acct."),
    ("Signature0123", "https://h1.example.com/in?signature=Signature0123", "h1."),
    ("QueryKey0123", "https://h2.example.com/in?key=QueryKey0123", "h2."),
    ("AccessTok0123", "https://h3.example.com/in?x=1&access_token=AccessTok0123", "h3."),
    ("ApiKeyParam0123", "https://h4.example.com/in?api_key=ApiKeyParam0123", "h4."),
    (
        "SlackPath0123",
        "https://hooks.slack.com/services/T000/B000/SlackPath0123",
        "hooks.slack.com",
    ),
    ("DiscordTok0123", "https://discord.com/api/webhooks/1234/DiscordTok0123", "discord.com"),
    ("DiscordApp0123", "https://discordapp.com/api/webhooks/1234/DiscordApp0123", "discordapp.com"),
    ("DiscordV10Tok0123", "https://ptb.discord.com/api/v10/webhooks/1/DiscordV10Tok0123", "ptb."),
    ("UserOnly0123", "https://UserOnly0123@h5.example.com/in", "h5."),
    (
        "TeamsTok0123",
        "https://acme.webhook.office.com/webhookb2/0f1e2d3c-aaaa@9a8b7c6d-bbbb"
        "/IncomingWebhook/TeamsTok0123/5e6f7a8b-cccc",
        "acme.webhook.office.com",
    ),
    ("ZapierTok0123", "https://hooks.zapier.com/hooks/catch/123456/ZapierTok0123/", "zapier"),
    (
        "123456:TelegramTok0123",
        "https://api.telegram.org/bot123456:TelegramTok0123/sendMessage?chat_id=42",
        "api.telegram.org",
    ),
    ("SemicolonTok0123", "https://h6.example.com/in?a=1;token=SemicolonTok0123", "h6."),
]


def test_credentials_in_urls_are_masked_in_every_output(orsync: Orsync, fake: FakeApi) -> None:
    for index, (_, url, _) in enumerate(URL_CREDENTIALS):
        fake.add_destination({"name": f"tap-{index}", "type": "webhook", "config": {"url": url}})
    orsync.write_config("version: 1\ndestinations: []\n")
    secrets = [secret for secret, _, _ in URL_CREDENTIALS]
    for output_format in FORMATS:
        result = run(orsync, "plan", "--format", output_format, env={}, hides=secrets)
        assert result.code == 2, result.output
        for _, _, host in URL_CREDENTIALS:
            assert host in result.stdout
    saved = run(orsync, "snapshot", "-o", "live.json", env={}, hides=secrets)
    assert saved.code == 0, saved.output
    text = (orsync.cwd / "live.json").read_text()
    for secret, _, host in URL_CREDENTIALS:
        assert secret not in text and host in text
    exported = run(orsync, "export", "-o", "exported.yaml", env={}, hides=secrets)
    assert exported.code == 0, exported.output
    text = (orsync.cwd / "exported.yaml").read_text()
    for secret, _, host in URL_CREDENTIALS:
        assert secret not in text and host in text
    # The same, about to be deleted, and in a saved plan.
    orsync.write_config("version: 1\nworkspaces:\n  - unmanaged: delete\n    destinations: []\n")
    result = run(orsync, "plan", "--max-deletes", "20", "--out", "p.plan", env={}, hides=secrets)
    assert result.code == 2 and "will be destroyed" in result.stdout, result.output
    assert not any(secret in (orsync.cwd / "p.plan").read_text() for secret in secrets)


def url_hooks(value: Callable[[int, str], str]) -> str:
    """A config declaring a webhook per URL of URL_CREDENTIALS, its `url` as `value` writes it."""
    lines = ["version: 1", "destinations:"]
    for index, (_, url, _) in enumerate(URL_CREDENTIALS):
        quoted = value(index, url).replace("'", "''")
        lines.append(f"  - {{name: tap-{index}, type: webhook, config: {{url: '{quoted}'}}}}")
    return "\n".join(lines) + "\n"


def test_urls_holding_credentials_plan_clean_when_declared_as_live(
    orsync: Orsync, fake: FakeApi
) -> None:
    for index, (_, url, _) in enumerate(URL_CREDENTIALS):
        fake.add_destination({"name": f"tap-{index}", "type": "webhook", "config": {"url": url}})
    secrets = [secret for secret, _, _ in URL_CREDENTIALS]
    env = {f"URL{index}": url for index, (_, url, _) in enumerate(URL_CREDENTIALS)}
    orsync.write_config(url_hooks(lambda index, _: f"${{URL{index}}}"))
    planned = run(orsync, "plan", env=env, hides=secrets)
    assert planned.code == 0 and "No changes." in planned.stdout, planned.output
    # Written in clear, each draws a warning, and is compared in full all the same.
    orsync.write_config(url_hooks(lambda _, url: url))
    planned = run(orsync, "plan", env={}, hides=secrets)
    assert planned.code == 0 and "No changes." in planned.stdout, planned.output
    warned = planned.stderr.count("credentials written in plain text in a URL")
    assert warned == len(URL_CREDENTIALS), planned.stderr


@pytest.mark.parametrize("empty_filter_as_groups", [False, True])
def test_no_filter_plans_clean_after_apply_however_the_api_answers_it(
    orsync: Orsync, empty_filter_as_groups: bool
) -> None:
    with FakeApi(empty_filter_as_groups=empty_filter_as_groups) as api:
        api.add_destination(
            {
                "name": "Filtered",
                "type": "webhook",
                "filter_rules": {"groups": [{"rules": [{"field": "model", "operator": "exists"}]}]},
                "config": {"url": "https://hooks.example.com/f"},
            }
        )
        orsync.write_config("""
            version: 1
            destinations:
              - {name: Plain, type: webhook, config: {url: "https://hooks.example.com/p"}}
              - name: No groups
                type: webhook
                filter_rules: {groups: []}
                config: {url: "https://hooks.example.com/n"}
              - {name: Filtered, type: webhook, config: {url: "https://hooks.example.com/f"}}
            """)
        env = {"ORSYNC_BASE_URL": api.base_url}
        applied = run(orsync, "apply", "--auto-approve", env=env, hides=[])
        assert applied.code == 0, applied.output
        assert "No changes." in run(orsync, "plan", env=env, hides=[]).stdout
        # The filter of `Filtered` was cleared, and is answered as the switch says.
        assert run(orsync, "snapshot", "-o", "live.json", env=env, hides=[]).code == 0
        (saved,) = json.loads((orsync.cwd / "live.json").read_text())["workspaces"]
        shown = {item["name"]: item["filter_rules"] for item in saved["data"]}
        empty = {"enabled": True, "groups": []} if empty_filter_as_groups else None
        assert shown["Plain"] == shown["Filtered"] == empty


AUTH = "Bearer auth-0123456789-AbCd"
COPY = "https://exfil.example.net/tap-0123456789"


@pytest.mark.parametrize("headers_merge", [True, False])
def test_a_header_added_live_is_drift_and_apply_removes_it(
    orsync: Orsync, headers_merge: bool
) -> None:
    with FakeApi(headers_merge=headers_merge) as api:
        api.add_destination(
            {
                "name": "Hook",
                "type": "webhook",
                "config": {
                    "url": "https://hooks.example.com/in",
                    "headers": {"Authorization": AUTH, "X-Copy-To": COPY},
                },
            }
        )
        config = """
            version: 1
            destinations:
              - name: Hook
                type: webhook
                IGNORE
                config:
                  url: https://hooks.example.com/in
                  headers: {Authorization: "${AUTH}"}
            """
        env = {"AUTH": AUTH, "ORSYNC_BASE_URL": api.base_url}
        # Ignored by name, the extra header is not compared.
        orsync.write_config(config.replace("IGNORE", "ignore: [config.headers.X-Copy-To]"))
        assert run(orsync, "plan", env=env, hides=[AUTH, COPY]).code == 0
        orsync.write_config(config.replace("IGNORE", ""))
        planned = run(orsync, "plan", "--format", "json", env=env, hides=[AUTH, COPY])
        assert planned.code == 2, planned.output
        (change,) = json.loads(planned.stdout)["changes"]
        (field,) = change["fields"]
        assert field["path"] == "config.headers.X-Copy-To" and field["sensitive"] is True
        assert field["after"] is None and field["before"] == "http...6789"
        text = run(orsync, "plan", env=env, hides=[AUTH, COPY])
        assert "config.headers.X-Copy-To = (sensitive) http...6789 -> (none)" in text.stdout
        applied = run(orsync, "apply", "--auto-approve", env=env, hides=[AUTH, COPY])
        assert applied.code == 0, applied.output
        (stored,) = api.destinations()
        assert stored["config"]["headers"] == {"Authorization": AUTH}
        assert run(orsync, "plan", env=env, hides=[AUTH, COPY]).code == 0
