"""The destination-type table as the loader, the diff and apply read it: defaults, closed
value lists, and keys the server makes."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from builders import declared, live_item, plan_of
from conftest import Orsync
from fake_api import FakeApi

from orsync.config import load_config_text
from orsync.destination_types import TYPES, ConfigKey
from orsync.errors import ConfigError

# --- documented defaults -------------------------------------------------------------------

DEFAULTED: dict[str, dict[str, str | None]] = {
    "snowflake": {"account": "acme-x1", "token": None},
    "s3": {"bucketName": "traces"},
}


@pytest.mark.parametrize(
    ("type_name", "key", "value"),
    [
        ("snowflake", "database", "SNOWFLAKE_LEARNING_DB"),
        ("snowflake", "schema", "PUBLIC"),
        ("snowflake", "table", "OPENROUTER_TRACES"),
        ("snowflake", "warehouse", "COMPUTE_WH"),
        ("snowflake", "shouldIncludeCacheWriteTokens", False),
        ("s3", "authMode", "access_keys"),
    ],
)
def test_a_declared_default_matches_whether_or_not_the_server_filled_it(
    type_name: str, key: str, value: object
) -> None:
    base = {k: v for k, v in DEFAULTED[type_name].items() if v is not None}
    wanted = declared("D", type_name, {**base, key: value})
    assert plan_of([wanted], [live_item("D", type_name, dict(base))]).in_sync
    assert plan_of([wanted], [live_item("D", type_name, {**base, key: value})]).in_sync
    # Left out of the file, a value the server filled in is not compared either.
    assert plan_of(
        [declared("D", type_name, base)], [live_item("D", type_name, {**base, key: value})]
    ).in_sync
    other = "OTHER" if isinstance(value, str) else True
    assert not plan_of([wanted], [live_item("D", type_name, {**base, key: other})]).in_sync


def test_every_default_is_of_a_key_that_is_not_required() -> None:
    for kind in TYPES.values():
        for key in kind.keys.values():
            assert not (key.required and key.has_default), f"{kind.name}.{key.name}"
            assert not key.values or not key.secret, f"{kind.name}.{key.name}"


def _documented_keys(spec: ConfigKey) -> str:
    """A key as docs/config.md lists it: `*` required, **S** secret, `= value` its default."""
    shown = f"`{spec.name}`" + ("\\*" if spec.required else "") + (" **S**" if spec.secret else "")
    if spec.server_made:
        shown += " (made by OpenRouter)"
    if spec.has_default:
        default = str(spec.default).lower() if isinstance(spec.default, bool) else spec.default
        shown += f" = `{default}`"
    return shown


def test_the_documented_type_table_is_the_type_table() -> None:
    docs = (Path(__file__).resolve().parent.parent / "docs" / "config.md").read_text()
    for type_name, known in TYPES.items():
        keys = ", ".join(_documented_keys(spec) for spec in known.keys.values())
        assert f"| `{type_name}` | {keys} |\n" in docs, type_name


def test_the_table_has_explicit_fields_not_a_spelling() -> None:
    # A key whose name ends in letters that once were flags is still that name.
    key = ConfigKey("useTLS")
    assert (key.name, key.required, key.secret) == ("useTLS", False, False)
    assert TYPES["s3"].keys["externalId"].server_made
    assert TYPES["webhook"].keys["method"].values == ("POST", "PUT")


# --- closed value lists --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("type_name", "config", "typo", "hint"),
    [
        ("webhook", "url: https://h.example.com", "method: PSOT", "'POST'"),
        ("newrelic", "licenseKey: ${NR_KEY}", "region: euu", "'eu'"),
        ("s3", "bucketName: b", "authMode: iam-role", "'iam_role'"),
        ("s3", "bucketName: b", "provider: cloudflare", "'cloudflare_r2'"),
    ],
)
def test_a_typo_in_a_closed_list_is_a_located_error_with_a_hint(
    type_name: str, config: str, typo: str, hint: str
) -> None:
    text = textwrap.dedent(f"""\
        version: 1
        destinations:
          - name: d
            type: {type_name}
            config:
              {config}
              {typo}
        """)
    with pytest.raises(ConfigError) as caught:
        load_config_text(text, "orsync.yaml", {"NR_KEY": "nr-key-0123456789"})
    message = str(caught.value)
    assert message.startswith("orsync.yaml:7: destinations[0].config.")
    assert f"did you mean {hint}?" in message


def test_closed_list_values_are_accepted_and_a_variable_is_checked_where_used() -> None:
    text = textwrap.dedent("""\
        version: 1
        destinations:
          - name: d
            type: webhook
            config: {url: "https://h.example.com", method: "${METHOD}"}
          - name: s
            type: s3
            config: {bucketName: b, authMode: iam_role, provider: gcs}
        """)
    state = load_config_text(text, "orsync.yaml", {"METHOD": "PUT"})
    assert state.workspaces[0].destinations[1].config["provider"] == "gcs"


def test_validate_names_the_typo_and_its_place(orsync: Orsync) -> None:
    orsync.write_config("""
        version: 1
        destinations:
          - name: hook
            type: webhook
            config: {url: "https://h.example.com", method: PUTT}
        """)
    result = orsync("validate")
    assert result.code == 1
    assert "orsync.yaml:5: destinations[0].config.method: unknown webhook method 'PUTT'" in (
        result.stderr
    )
    assert "did you mean 'PUT'?" in result.stderr


# --- keys the server makes -----------------------------------------------------------------

S3 = """
    version: 1
    destinations:
      - name: archive
        type: s3
        config:
          bucketName: traces
          {extra}
    """


def seed_s3(fake: FakeApi) -> str:
    """An S3 destination as the server keeps it, with the external id it made."""
    made = "or-ext-5f1d2c3b4a69"
    fake.add_destination(
        {"type": "s3", "name": "archive", "config": {"bucketName": "traces", "externalId": made}}
    )
    return made


def test_a_declared_external_id_is_compared(orsync: Orsync, fake: FakeApi) -> None:
    made = seed_s3(fake)
    orsync.write_config(S3.format(extra=f"externalId: {made}"))
    assert orsync("plan").code == 0
    orsync.write_config(S3.format(extra="externalId: or-ext-000000000000"))
    result = orsync("plan", "--format", "json")
    assert result.code == 2
    assert '"path": "config.externalId"' in result.stdout


def test_apply_never_sends_an_external_id(orsync: Orsync, fake: FakeApi) -> None:
    seed_s3(fake)
    orsync.write_config(S3.format(extra="externalId: or-ext-000000000000"))
    result = orsync("apply", "--auto-approve")
    assert result.code == 1
    assert "config.externalId is made by OpenRouter and cannot be changed" in result.stderr
    assert fake.mutating_requests() == []


def test_apply_refuses_to_create_with_an_external_id(orsync: Orsync, fake: FakeApi) -> None:
    orsync.write_config(S3.format(extra="externalId: or-ext-000000000000"))
    result = orsync("apply", "--auto-approve")
    assert result.code == 1
    assert "config.externalId is made by OpenRouter when the destination is saved" in result.stderr
    assert fake.mutating_requests() == []


def test_an_update_beside_a_matching_external_id_leaves_it_out(
    orsync: Orsync, fake: FakeApi
) -> None:
    made = seed_s3(fake)
    orsync.write_config(S3.format(extra=f"externalId: {made}\n          prefix: other-prefix"))
    assert orsync("apply", "--auto-approve").code == 0
    [patch] = fake.mutating_requests()
    assert patch.body == {"config": {"prefix": "other-prefix"}}
