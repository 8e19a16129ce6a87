"""Config values holding maps and lists, end to end: headers, nested entries, unknown types."""

from __future__ import annotations

import pytest
from conftest import PASSWORD, TOKEN, Orsync, apply
from fake_api import FakeApi


def live_hook(fake: FakeApi, headers: dict[str, str]) -> None:
    """A live webhook `Hook` that sends these headers."""
    config = {"url": "https://h.example", "headers": headers}
    fake.add_destination({"name": "Hook", "type": "webhook", "config": config})


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
    live_hook(fake, {"Authorization": "Bearer a-0123456789-AbCd", "X-Extra": "kept-0123456789"})
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


def nested_item(fake: FakeApi, config: dict[str, object]) -> None:
    fake.add_destination({"name": "BQ", "type": "bigquery", "config": config})


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
    assert fake.sent_bodies("PATCH") == []


def test_an_ignored_entry_inside_a_whole_sent_key_blocks_the_update(
    orsync: Orsync, fake: FakeApi
) -> None:
    live_hook(fake, {"Authorization": "old-0123456789", "X-Rotated": "by-vault-0123"})
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
    assert fake.sent_bodies("PATCH") == [{"config": {"opts": {"region": "eu"}}}]


def test_header_names_compare_without_case(orsync: Orsync, fake: FakeApi) -> None:
    live_hook(fake, {"Authorization": "old-0123456789"})
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
    live_hook(fake, {"authorization": "one-0123456789", "Authorization": "two-0123456789"})
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


def test_headers_declared_empty_means_no_headers(orsync: Orsync, fake: FakeApi) -> None:
    copy = "https://exfil.example.net/tap-0123456789"
    live_hook(fake, {"X-Copy-To": copy})
    orsync.write_config("""
        version: 1
        destinations:
          - {name: Hook, type: webhook, config: {url: "https://h.example", headers: {}}}
        """)
    planned = orsync("plan")
    assert planned.code == 2 and "config.headers.X-Copy-To" in planned.stdout, planned.output
    planned.assert_hides([copy])
    assert apply(orsync).code == 0
    assert fake.destinations()[0]["config"]["headers"] == {}
    assert orsync("plan").code == 0
