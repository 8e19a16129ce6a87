"""`orsync export`: the file it writes plans clean, holds no secret, and is stable.

The end-to-end tests seed the fake API with realistic destinations of every type, export them,
then run `orsync plan`, `validate` and `apply` on the file, with the fake storing documented
defaults (`fill_defaults`) and not.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from builders import live_item
from conftest import Orsync, Result
from fake_api import (
    CONFIG_DEFAULTS,
    DEFAULT_WORKSPACE_ID,
    DESTINATION_TYPES,
    MANAGEMENT_KEY,
    SECRET_KEYS,
    FakeApi,
    mask_destination,
    sample_config,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orsync.commands.export import ExportOutcome, run_export, verify
from orsync.commands.inputs import SnapshotSource
from orsync.config import load_config
from orsync.destination_types import FILTER_FIELDS, FILTER_OPERATORS, REGIONS, TYPES
from orsync.errors import UsageError
from orsync.export import ExportHeader, export_config, snapshot_origin
from orsync.export_secrets import SecretsMode
from orsync.live import parse_workspace
from orsync.model import DesiredDestination, LiveState, Secret, SecretOrigin
from orsync.yamltext import comment_lines, dump_block

OTHER = "11111111-2222-4333-8444-555555555555"
UNKNOWN_TYPE = "bigquery"
EXPORTED = "exported.yaml"
CLOCK = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)


# Realistic destinations -------------------------------------------------------------------


def hook(name: str | None, ident: str | None = None, **fields: Any) -> dict[str, Any]:
    """A webhook as the fake stores it: its id made by the fake unless given."""
    item = {"name": name, "type": "webhook", "config": {"url": "https://h.example.com/in"}}
    return {**item, **({"id": ident} if ident else {}), **fields}


NAMES = ("Production", "Staging traces", "EU — archive", "team:ml", "nightly #2", "ops/alerts")


def _hex(rng: random.Random, length: int) -> str:
    return "".join(rng.choice("0123456789abcdef") for _ in range(length))


def _secret(rng: random.Random, key: str) -> str:
    return f"{key[:3]}-{_hex(rng, 24)}{rng.choice(['AbCd', 'WxYz', 'Q9r8'])}"


def _filter_rules(rng: random.Random) -> Any:
    rule = {"field": "model", "operator": "equals", "value": rng.choice(["gpt-4o", "claude"])}
    return rng.choice(
        [
            None,
            {"groups": [{"rules": [rule]}]},
            {"enabled": True, "groups": [{"logic": "and", "rules": [rule]}]},
            {
                "enabled": rng.choice([True, False]),
                "groups": [
                    {"logic": "or", "rules": [rule, {"field": "user_id", "operator": "exists"}]},
                    {"rules": [{"field": "total_cost", "operator": "gt", "value": 0.5}]},
                ],
            },
            {"enabled": True, "groups": []},
        ]
    )


def _config(rng: random.Random, type_name: str) -> dict[str, Any]:
    """Required keys (secrets random), and documented defaults: as default, other, or absent."""
    config = sample_config(type_name, rng.randrange(10**6))
    for key in SECRET_KEYS[type_name]:
        if key in config and key != "dsn":
            config[key] = _secret(rng, key)
    if type_name == "sentry":
        config["dsn"] = f"https://{_hex(rng, 32)}@o{rng.randrange(999)}.ingest.sentry.io/42"
    for key, default in CONFIG_DEFAULTS.get(type_name, {}).items():
        choice = rng.choice(["default", "other", "absent"])
        if choice == "default":
            config[key] = default
        elif choice == "other":
            config[key] = (not default) if isinstance(default, bool) else f"{default}-x"
    if type_name == "webhook" and "method" in config:
        config["method"] = rng.choice(["POST", "PUT"])
    if type_name == "newrelic" and "region" in config:
        config["region"] = rng.choice(["us", "eu"])
    if type_name == "s3":
        config.update(accessKeyId=_secret(rng, "akid"), externalId=f"or-ext-{_hex(rng, 12)}")
        config["authMode"] = rng.choice(["access_keys", "iam_role", None])
        config.update(provider=rng.choice(["aws", "gcs"]), region=None)
    if rng.random() < 0.6:
        config["headers"] = {"Authorization": f"Bearer {_hex(rng, 20)}", "X-Team": _hex(rng, 14)}
    return config


def _unknown_config(rng: random.Random) -> dict[str, Any]:
    return {
        "projectId": f"proj-{_hex(rng, 6)}",
        "credentialsJson": json.dumps({"private_key": _hex(rng, 40)}),
        "dataset": {"name": "traces", "token": _hex(rng, 24), "retentionDays": 30},
        "tags": ["a", "b"],
        "unset": None,
    }


def realistic(rng: random.Random, type_name: str, index: int) -> dict[str, Any]:
    """A destination of `type_name` with random-ish fields, as it would be seeded."""
    item: dict[str, Any] = {
        "name": f"{NAMES[index % len(NAMES)]} {type_name} {index}",
        "type": type_name,
        "enabled": rng.choice([True, True, False]),
        "sampling_rate": rng.choice([1, 1.0, 0.5, 0.25, 0.0001, 0.333]),
        "privacy_mode": rng.choice([True, False]),
        "api_key_hashes": rng.choice([None, [_hex(rng, 16)], [_hex(rng, 16), _hex(rng, 16)]]),
        "filter_rules": _filter_rules(rng),
        "config": _unknown_config(rng) if type_name == UNKNOWN_TYPE else _config(rng, type_name),
    }
    regions = rng.choice([None, ["global"], ["europe"], ["us", "europe"], ["global", "us"]])
    if regions is not None:
        item["regions"] = regions
    for flag in ("broadcast_generation_cost", "broadcast_generation_identity"):
        if rng.random() < 0.5:
            item[flag] = rng.choice([True, False])
    return item


def clear_secrets(item: dict[str, Any]) -> list[str]:
    """Every secret of a seeded item as it is in clear, and the parts that give one away."""
    config = item["config"]
    secret_keys = SECRET_KEYS.get(item["type"], frozenset())
    found = [str(v) for k, v in config.items() if k in secret_keys and v is not None]
    found += list(config.get("headers", {}).values())
    if item["type"] == "sentry":
        found.append(config["dsn"].split("//")[1].split("@")[0])
    if item["type"] == UNKNOWN_TYPE:
        found += [config["credentialsJson"], config["dataset"]["token"]]
        found.append(json.loads(config["credentialsJson"])["private_key"])
    return found


# Runs ---------------------------------------------------------------------------------------


@pytest.fixture(params=[False, True], ids=["defaults absent", "defaults filled"])
def filling(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Orsync]:
    with FakeApi(fill_defaults=request.param, workspaces=[OTHER]) as api:
        yield Orsync(tmp_path, api)
        assert api.server_errors == []


def export(orsync: Orsync, *args: str, env: dict[str, str] | None = None) -> tuple[Result, str]:
    """Run `orsync export -o exported.yaml ARGS`; the result and the file's text."""
    result = orsync("export", "-o", EXPORTED, *args, env=env)
    assert result.code == 0, result.output
    return result, (orsync.cwd / EXPORTED).read_text(encoding="utf-8")


def assert_round_trip(
    orsync: Orsync, env: dict[str, str] | None = None, hides: Sequence[str] = ()
) -> Result:
    """The exported file validates, plans clean, and apply sends nothing; no run prints any
    of `hides`."""
    validated = orsync("validate", "-c", EXPORTED, env=env)
    assert validated.code == 0, validated.output
    planned = orsync("plan", "-c", EXPORTED, env=env)
    assert planned.code == 0, planned.output
    assert f"No changes. Live destinations match {EXPORTED}." in planned.stdout
    before = len(orsync.fake.mutating_requests())
    applied = orsync("apply", "-c", EXPORTED, "--auto-approve", env=env)
    assert applied.code == 0, applied.output
    assert orsync.fake.mutating_requests()[before:] == []
    for result in (validated, planned, applied):
        result.assert_hides(hides)
    return planned


def declared(orsync: Orsync) -> dict[str, DesiredDestination]:
    desired = load_config(str(orsync.cwd / EXPORTED), environ={})
    return {d.name: d for w in desired.workspaces for d in w.destinations}


def assert_complete(orsync: Orsync, items: list[dict[str, Any]]) -> None:
    """Every live `config` value that is not null nor a documented default is in the file:
    as itself, or as a pin where it is secret."""
    by_name = declared(orsync)
    for item in items:
        wanted = by_name[item["name"]].config
        defaults = CONFIG_DEFAULTS.get(item["type"], {})
        for key, value in item["config"].items():
            if value is None or (key in defaults and defaults[key] == value):
                assert key not in wanted, (item["name"], key)
            elif key in SECRET_KEYS.get(item["type"], ()) or key == "headers":
                pins = wanted[key].values() if key == "headers" else [wanted[key]]
                assert all(isinstance(p, Secret) and p.origin is SecretOrigin.PIN for p in pins)
            elif item["type"] == UNKNOWN_TYPE:
                assert key in wanted, (item["name"], key)
            else:
                assert wanted[key] == value, (item["name"], key)


# Every type, both answers of the server -------------------------------------------------------


@pytest.mark.parametrize("type_name", [*DESTINATION_TYPES, UNKNOWN_TYPE])
def test_every_type_exports_a_file_that_plans_clean(filling: Orsync, type_name: str) -> None:
    rng = random.Random(f"{type_name}-{filling.fake.fill_defaults}")
    items = [realistic(rng, type_name, index) for index in range(3)]
    stored = [filling.fake.add_destination(item) for item in items]
    result, text = export(filling)
    assert result.stdout == f"Exported 3 destinations of 1 workspace to {EXPORTED}.\n"
    secrets = [s for item in stored for s in clear_secrets(item)]
    assert secrets and not [s for s in secrets if s in text], "a secret was written in clear"
    result.assert_hides(secrets)
    assert_complete(filling, stored)
    for item in stored:
        assert f"# id {item['id']}" in text
    planned = assert_round_trip(filling)
    planned.assert_hides(secrets)


def seed_two_workspaces(api: FakeApi, seed: str) -> list[dict[str, Any]]:
    """Every type and an unknown one in the default workspace and in another, a destination
    without a name in each, and in the other two that share a name; as stored."""
    rng = random.Random(seed)
    stored = []
    for offset, workspace in ((0, None), (40, OTHER)):
        for index, type_name in enumerate((*DESTINATION_TYPES, UNKNOWN_TYPE)):
            item = realistic(rng, type_name, offset + index)
            stored.append(api.add_destination(item, workspace))
        nameless = {**realistic(rng, "webhook", offset + 30), "name": None}
        stored.append(api.add_destination(nameless, workspace))
    for index in (80, 81):
        shared = {**realistic(rng, "langfuse", index), "name": "Shared"}
        stored.append(api.add_destination(shared, OTHER))
    return stored


def listed_variables(stderr: str) -> list[str]:
    """The names of the `export NAME=` block that `--secrets env` prints."""
    return re.findall(r"^export (\w+)=$", stderr, re.M)


def placeholder_values(text: str, stored: list[dict[str, Any]]) -> dict[str, Any]:
    """Each `${NAME}` of the exported file, with the live value it stands for: the stored
    value at the same place in the same destination (found by its pinned id, else its name)."""
    by_id = {item["id"]: item for item in stored}
    by_name = {(item["workspace_id"], item["name"]): item for item in stored}
    values: dict[str, Any] = {}
    for entry in yaml.safe_load(text)["workspaces"]:
        workspace = entry.get("id", DEFAULT_WORKSPACE_ID)
        for written in entry["destinations"]:
            pinned = written.get("id")
            live = by_id[pinned] if pinned else by_name[workspace, written["name"]]
            _placeholders(written.get("config", {}), live["config"], values)
    return values


def _placeholders(written: Any, live: Any, values: dict[str, Any]) -> None:
    if isinstance(written, dict):
        for key, value in written.items():
            _placeholders(value, live[key], values)
    elif isinstance(written, str) and (found := re.fullmatch(r"\$\{(\w+)\}", written)):
        values[found[1]] = live
    else:
        assert "${" not in str(written), written  # a placeholder stands for a whole value


def hidden_completely(stored: list[dict[str, Any]], mask_style: str) -> int:
    """How many secrets the API shows as stars alone: no value can be compared to them."""
    shown = [mask_destination(item, mask_style)["config"] for item in stored]
    return sum(
        value == "********"
        for config in shown
        for value in [*config.values(), *config.get("headers", {}).values()]
    )


def test_two_workspaces_of_every_type_export_and_plan_clean_in_both_secrets_modes(
    filling: Orsync,
) -> None:
    stored = seed_two_workspaces(filling.fake, f"two workspaces {filling.fake.fill_defaults}")
    secrets = [s for item in stored for s in clear_secrets(item)]
    both = ("--workspace", "default", "--workspace", OTHER)
    # Masked pins.
    result, text = export(filling, *both)
    assert result.stdout == f"Exported {len(stored)} destinations of 2 workspaces to {EXPORTED}.\n"
    assert not [s for s in secrets if s in text], "a secret was written in clear"
    result.assert_hides(secrets)
    assert text.count("# pinned by id: no name live") == 2
    assert text.count("# pinned by id: 2 live destinations are named 'Shared'") == 2
    assert_round_trip(filling, hides=secrets)
    # Placeholders, unset then set to the live values.
    result, text = export(filling, "--secrets", "env", *both)
    assert not [s for s in secrets if s in text], "a secret was written in clear"
    result.assert_hides(secrets)
    names = listed_variables(result.stderr)
    values = placeholder_values(text, stored)
    assert sorted(values) == sorted(names) and len(names) >= len(stored)
    unset = assert_round_trip(filling, hides=secrets)
    assert unset.stderr.count("not verified") == len(names)
    filled = assert_round_trip(filling, env={k: str(v) for k, v in values.items()}, hides=secrets)
    unverified = [line for line in filled.stderr.splitlines() if "not verified" in line]
    assert len(unverified) == hidden_completely(stored, filling.fake.mask_style), unverified
    assert all(line.endswith("its live value is hidden completely") for line in unverified)


@pytest.mark.parametrize("mask_style", ["prefix", "stars", "full"])
def test_every_mask_style_plans_clean(tmp_path: Path, mask_style: str) -> None:
    with FakeApi(mask_style=mask_style) as api:
        orsync = Orsync(tmp_path, api)
        rng = random.Random(mask_style)
        for index, type_name in enumerate(DESTINATION_TYPES):
            api.add_destination(realistic(rng, type_name, index))
        _, text = export(orsync)
        assert_round_trip(orsync)
    assert ("...AbCd" in text) == (mask_style != "full")


def test_same_live_same_bytes(orsync: Orsync) -> None:
    rng = random.Random("stable")
    for index, type_name in enumerate((*DESTINATION_TYPES, UNKNOWN_TYPE)):
        orsync.fake.add_destination(realistic(rng, type_name, index))
        orsync.fake.add_destination(realistic(rng, type_name, index + 20), OTHER)
    first = export(orsync, "--workspace", OTHER, "--workspace", "default")[1].splitlines()
    second = export(orsync, "--workspace", "default", "--workspace", OTHER)[1].splitlines()
    assert first[0].startswith("# Written by `orsync export` at ")
    assert first[1:] == second[1:]


def test_a_workspace_named_by_slug_exports_as_by_its_uuid(orsync: Orsync) -> None:
    rng = random.Random("slug")
    orsync.fake.add_workspace(OTHER, "acme-prod")
    for index, type_name in enumerate(DESTINATION_TYPES[:3]):
        orsync.fake.add_destination(realistic(rng, type_name, index), OTHER)
    orsync.fake.add_destination(realistic(rng, "webhook", 9))  # the default workspace's
    by_slug = export(orsync, "--workspace", "acme-prod")[1].splitlines()
    by_uuid = export(orsync, "--workspace", OTHER.upper())[1].splitlines()
    assert by_slug[1:] == by_uuid[1:]
    assert f"  - id: {OTHER}" in by_slug
    assert sum(line.startswith("      - name:") for line in by_slug) == 3
    assert_round_trip(orsync)


@pytest.mark.parametrize(
    ("args", "looked_up"),
    [
        (("--workspace", OTHER), []),  # pins: a slug names nothing
        (("--workspace", OTHER, "--secrets", "env"), [OTHER]),
        (("--workspace", "acme-prod", "--secrets", "env"), ["acme-prod"]),  # once, by its slug
    ],
)
def test_workspaces_are_looked_up_only_to_name_placeholders_and_once(
    orsync: Orsync, args: tuple[str, ...], looked_up: list[str]
) -> None:
    orsync.fake.add_workspace(OTHER, "acme-prod")
    orsync.fake.add_destination(realistic(random.Random("once"), "langfuse", 1), OTHER)
    export(orsync, *args)
    asked = [r.path.rpartition("/")[2] for r in orsync.fake.requests if "/workspaces/" in r.path]
    assert asked == looked_up


def test_a_workspace_without_a_known_slug_names_its_placeholders_by_its_id() -> None:
    config = {"url": "https://h.example.com/in", "headers": {"X-Key": "k" * 16}}
    items = [live_item("Hook", config=config, workspace_id=OTHER)]
    live = LiveState((parse_workspace(OTHER, items),))
    header = ExportHeader(CLOCK, "the snapshot s.json")
    by_id = export_config(live, header, SecretsMode.ENV).variables
    by_slug = export_config(live, header, SecretsMode.ENV, {OTHER: "acme-prod"}).variables
    assert (by_id, by_slug) == (
        ("ORSYNC_11111111_HOOK_HEADERS_X_KEY",),
        ("ORSYNC_ACME_PROD_HOOK_HEADERS_X_KEY",),
    )


def test_same_live_in_another_order_same_text() -> None:
    rng = random.Random("order")
    items = [
        {**realistic(rng, t, i), "id": f"id-{i:02d}", "workspace_id": "ws"}
        for i, t in enumerate((*DESTINATION_TYPES, UNKNOWN_TYPE))
    ]
    shuffled = [
        {
            **dict(reversed(list(item.items()))),
            "config": dict(reversed(list(item["config"].items()))),
            "api_key_hashes": list(reversed(item["api_key_hashes"] or [])) or None,
        }
        for item in reversed(items)
    ]
    header = ExportHeader(CLOCK, "x")
    for mode in SecretsMode:
        first, second = (
            export_config(LiveState((parse_workspace(None, these),)), header, mode)
            for these in (items, shuffled)
        )
        assert first == second


# Any live state: hypothesis draws adversarial ones --------------------------------------------

_text = st.text(max_size=12)
_scalar = st.one_of(
    st.none(), st.booleans(), st.integers(-(10**6), 10**6), st.floats(0, 1e6, width=32), _text
)
_json = st.recursive(
    _scalar,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(_text, inner, max_size=3)),
    max_leaves=6,
)
_rule = st.fixed_dictionaries(
    {"field": st.sampled_from(FILTER_FIELDS), "operator": st.sampled_from(FILTER_OPERATORS)},
    optional={"value": st.one_of(st.none(), _text, st.integers(0, 100))},
)
_group = st.fixed_dictionaries(
    {"rules": st.lists(_rule, max_size=2)},
    optional={"logic": st.sampled_from(["and", "or", None])},
)
_filter_rules_drawn = st.one_of(
    st.none(),
    st.fixed_dictionaries(
        {"groups": st.lists(_group, max_size=2)},
        optional={"enabled": st.one_of(st.none(), st.booleans())},
    ),
)
# Hashes are hex live; `${` and blanks stand for any text that must be escaped or quoted.
_hashes = st.lists(st.text("ab${} 1", min_size=1).filter(str.strip), min_size=1, max_size=3)


@st.composite
def _drawn_config(draw: st.DrawFn, type_name: str) -> dict[str, Any]:
    known = TYPES.get(type_name)
    if known is None:
        return draw(st.dictionaries(_text, _json, max_size=4))
    keys = draw(st.lists(st.sampled_from(list(known.keys)), unique=True, max_size=5))
    # A closed list's key holds one of its values (the API refuses others).
    config: dict[str, Any] = {
        key: draw(st.sampled_from(known.keys[key].values) if known.keys[key].values else _scalar)
        for key in keys
    }
    if draw(st.booleans()):
        # Header names are one name whatever their case: live never holds two such.
        headers = st.dictionaries(st.text(min_size=1, max_size=8), _text)
        config["headers"] = draw(headers.filter(lambda h: len({n.lower() for n in h}) == len(h)))
    return config


@st.composite
def _drawn_item(draw: st.DrawFn, index: int) -> dict[str, Any]:
    type_name = draw(st.sampled_from([*TYPES, UNKNOWN_TYPE]))
    item = {
        "id": f"id-{index}-{draw(st.text(max_size=4))}",
        "workspace_id": "ws",
        "name": draw(st.one_of(st.none(), _text, st.sampled_from(["dup", "dup (2)"]))),
        "type": type_name,
        "enabled": draw(st.booleans()),
        "sampling_rate": draw(st.one_of(st.just(1), st.floats(0.0001, 1))),
        "privacy_mode": draw(st.booleans()),
        "api_key_hashes": draw(st.one_of(st.none(), _hashes)),
        "filter_rules": draw(_filter_rules_drawn),
        "config": draw(_drawn_config(type_name)),
    }
    if draw(st.booleans()):
        item["regions"] = draw(st.lists(st.sampled_from(REGIONS), min_size=1, max_size=3))
    return item


@st.composite
def _drawn_items(draw: st.DrawFn) -> list[dict[str, Any]]:
    return [draw(_drawn_item(index)) for index in range(draw(st.integers(0, 6)))]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_drawn_items(), st.sampled_from(list(SecretsMode)))
def test_any_live_state_exports_to_a_file_that_plans_clean(
    items: list[dict[str, Any]], mode: SecretsMode
) -> None:
    live = LiveState((parse_workspace(None, items),))
    exported = export_config(live, ExportHeader(CLOCK, "x"), mode)
    assert verify(exported.text, live, EXPORTED) == []


# Secrets --------------------------------------------------------------------------------------


def _variable(*words: str) -> str:
    return re.sub(r"[^A-Z0-9]+", "_", "_".join(("ORSYNC", *words)).upper()).strip("_")


def test_secrets_env_placeholders_and_their_names(orsync: Orsync) -> None:
    lf = {"publicKey": "pk-lf-1111111111-AbCd", "secretKey": "sk-lf-2222222222-WxYz"}
    orsync.fake.add_destination({"name": "Prod Langfuse", "type": "langfuse", "config": lf})
    twin = {"publicKey": "pk-lf-3333333333-Q1w2", "secretKey": "sk-lf-4444444444-E3r4"}
    orsync.fake.add_destination({"name": "prod-langfuse", "type": "langfuse", "config": twin})
    webhook: dict[str, Any] = {
        "url": "https://bot:hunter2-pass@hooks.example.com/in",
        "headers": {"X-Key": "k" * 16},
    }
    orsync.fake.add_workspace(OTHER, "acme-prod")
    orsync.fake.add_destination({"name": "Hook", "type": "webhook", "config": webhook}, OTHER)
    ch = {**sample_config("clickhouse", 1), "password": "clickhouse-password-1"}
    orsync.fake.add_destination({"name": "CH", "type": "clickhouse", "config": ch})
    args = ("--secrets", "env", "--workspace", "default", "--workspace", OTHER)
    result, text = export(orsync, *args)
    names = {
        _variable("CH", "password"): ch["password"],
        _variable("Prod Langfuse", "publicKey"): lf["publicKey"],
        _variable("Prod Langfuse", "secretKey"): lf["secretKey"],
        _variable("Prod Langfuse", "publicKey") + "_2": twin["publicKey"],
        _variable("Prod Langfuse", "secretKey") + "_2": twin["secretKey"],
        _variable("acme-prod", "Hook", "url"): webhook["url"],
        _variable("acme-prod", "Hook", "headers", "X-Key"): webhook["headers"]["X-Key"],
    }
    assert list(names)[1] == "ORSYNC_PROD_LANGFUSE_PUBLICKEY"
    assert list(names)[5] == "ORSYNC_ACME_PROD_HOOK_URL"
    block = result.stderr.splitlines()
    assert block[0].startswith("# Set the 7 secrets of the exported file")
    assert block[1:] == [f"export {name}=" for name in names]
    for name in names:
        assert "${" + name + "}" in text
    result.assert_hides(names.values())
    assert not [value for value in names.values() if value in text]
    unset = assert_round_trip(orsync)
    assert unset.stderr.count("not verified") == 7
    # Filled in, the placeholders compare: only the secret the API hides stays unverified.
    filled = assert_round_trip(orsync, env=names)
    assert filled.stderr.count("not verified") == 1
    assert "CH: config.password not verified" in filled.stderr
    filled.assert_hides(names.values())


def test_secrets_pin_writes_masks_and_nothing_in_clear(orsync: Orsync) -> None:
    items: list[dict[str, Any]] = [
        {"name": "Sentry", "type": "sentry", "config": {
            "dsn": "https://0123456789abcdef0123456789abcdef@o7.ingest.sentry.io/42",
            "otlpEndpoint": "https://o7.ingest.sentry.io/api/42/otlp?sentry_key=feedfacecafe1234",
        }},
        {"name": "Hook", "type": "webhook", "config": {
            "url": "https://bot:pa55word-hunter@hooks.example.com/in?x=1",
            "headers": {"authorization": "Bearer x1", "X-Long": "x-long-secret-value-9876"},
        }},
        {"name": "Token URL", "type": "webhook", "config": {
            "url": "https://hooks.example.com/in?token=tok-0123456789-secret",
        }},
        {"name": "CH", "type": "clickhouse", "config": sample_config("clickhouse", 3)},
    ]  # fmt: skip
    for item in items:
        orsync.fake.add_destination(item)
    result, text = export(orsync)
    clear = [
        "0123456789abcdef0123456789abcdef", "feedfacecafe1234", "pa55word-hunter",
        "tok-0123456789-secret", "Bearer x1", "x-long-secret-value-9876",
        items[3]["config"]["password"],
    ]  # fmt: skip
    assert not [value for value in clear if value in text]
    result.assert_hides(clear)
    assert "dsn: https://****@o7.ingest.sentry.io/…" in text
    assert "url: https://bot:****@hooks.example.com/…" in text
    assert "authorization: '********'" in text
    assert "X-Long: x-lo...9876" in text
    assert "password: '********'" in text
    planned = assert_round_trip(orsync)
    assert "CH: config.password not verified: its live value is hidden completely" in (
        planned.stderr
    )


def test_server_made_external_id_is_exported_and_compared(orsync: Orsync) -> None:
    orsync.write_config(
        """
        version: 1
        destinations:
          - name: Archive
            type: s3
            config: {bucketName: traces, authMode: iam_role, roleArn: "arn:aws:iam::1:role/or"}
        """
    )
    assert orsync("apply", "--auto-approve").code == 0
    [stored] = orsync.fake.destinations()
    external_id = stored["config"]["externalId"]
    _, text = export(orsync)
    assert f"externalId: {external_id}" in text
    assert_round_trip(orsync)
    # Compared, so a new one made by the server is drift.
    path = orsync.cwd / EXPORTED
    path.write_text(text.replace(external_id, "or-ext-000000000000"), encoding="utf-8")
    planned = orsync("plan", "-c", EXPORTED)
    assert planned.code == 2 and "config.externalId" in planned.stdout


# Names, ids and text that must read back as it is ----------------------------------------------


def test_missing_and_shared_names_are_pinned_by_id(orsync: Orsync) -> None:
    twins = [orsync.fake.add_destination(hook("dup")) for _ in range(2)]
    taken = orsync.fake.add_destination(hook("dup (2)"))
    nameless = orsync.fake.add_destination(hook(None))
    blank = orsync.fake.add_destination(hook("   "))
    _, text = export(orsync)
    by_name = declared(orsync)
    first, second = sorted(twins, key=lambda d: str(d["id"]))
    assert by_name["dup"].id == first["id"] and by_name["dup"].ignore == ()
    assert by_name["dup (3)"].id == second["id"] and by_name["dup (3)"].ignore == ("name",)
    assert by_name["dup (2)"].id is None and f"# id {taken['id']}" in text
    for live in (nameless, blank):
        [entry] = [d for d in by_name.values() if d.id == live["id"]]
        assert entry.name == f"(unnamed webhook {live['id'][:8]})"
        assert entry.ignore == ("name",)
    assert "# pinned by id: no name live: the name below is this file's own" in text
    assert "# pinned by id: 2 live destinations are named 'dup'" in text
    assert_round_trip(orsync)
    # Without `ignore: [name]`, the file's name is applied: a rename.
    (orsync.cwd / EXPORTED).write_text(text.replace("ignore:\n          - name\n", ""), "utf-8")
    planned = orsync("plan", "-c", EXPORTED)
    assert planned.code == 2 and planned.stdout.count("~ name") == 3, planned.stdout


AMBIGUOUS = ["yes", "No", "on", "OFF", "y", "null", "~", "1e-1", "0o17", "0x1F", "1_000", ".5",
             "12:30", "2024-01-01", "true", "+1", ".inf", "", " padded ", "two\nlines",
             "# not a comment", "key: value", "- item", "'quoted'", "*alias", "&anchor", "!tag",
             "@at", "`tick", "%percent", "ümlaut ✓", "tab\there"]  # fmt: skip


def test_strings_are_written_to_read_back_as_they_are(orsync: Orsync) -> None:
    for index, value in enumerate(AMBIGUOUS):
        config = {"url": f"https://h.example.com/{index}", "headers": {"X": "header-value-1234"}}
        extra = {"filter_rules": {"groups": [{"rules": [
            {"field": "model", "operator": "equals", "value": value},
        ]}]}} if value else {}  # fmt: skip
        orsync.fake.add_destination(
            {"name": f"n{index} {value}", "type": "otel-collector", "config": config, **extra}
        )
        opik = {**sample_config("opik", index), "workspace": value or "w", "projectName": "p"}
        orsync.fake.add_destination({"name": value or "empty", "type": "opik", "config": opik})
    _, text = export(orsync)
    for value in ("yes", "No", "on", "OFF", "y", "null", "1e-1", "0o17", "1_000", ".5"):
        assert f"name: '{value}'" in text, value
        assert f"value: '{value}'" in text, value
    assert_round_trip(orsync)


def test_references_in_live_values_are_escaped(orsync: Orsync) -> None:
    orsync.fake.add_destination(
        {
            "name": "costs ${TEAM}",
            "type": "webhook",
            "api_key_hashes": ["${HASH}"],
            "config": {"url": "https://h.example.com/${URL_PART}/$${x}", "method": "POST"},
        }
    )
    _, text = export(orsync)
    assert "name: costs $${TEAM}" in text
    assert "url: https://h.example.com/$${URL_PART}/$$${x}" in text
    # The variables are set: written unescaped, they would be expanded and show as drift.
    assert_round_trip(orsync, env={"TEAM": "ops", "HASH": "h", "URL_PART": "p", "x": "y"})


# What is left out -----------------------------------------------------------------------------


def test_api_defaults_are_left_out(orsync: Orsync) -> None:
    config = {**sample_config("s3", 1), **CONFIG_DEFAULTS["s3"], "region": None}
    orsync.fake.add_destination(
        {
            "name": "All defaults",
            "type": "s3",
            "enabled": True,
            "sampling_rate": 1.0,
            "privacy_mode": False,
            "api_key_hashes": None,
            "filter_rules": None,
            "regions": ["global"],
            "broadcast_generation_cost": False,
            "config": config,
        }
    )
    _, text = export(orsync)
    entry = text[text.index("- name: All defaults") :]
    assert entry.split("\n")[1:] == [
        "        type: s3",
        "        config:",
        f"          bucketName: {config['bucketName']}",
        "",
    ]
    assert_round_trip(orsync)


def test_filter_rules_keep_what_their_own_defaults_do_not_say(orsync: Orsync) -> None:
    rules = {"field": "model", "operator": "exists", "value": None}
    empty = {"enabled": True, "groups": []}
    full = {"enabled": False, "groups": [{"logic": "and", "rules": [rules]}]}
    for name, value in (("empty", empty), ("full", full)):
        orsync.fake.add_destination(
            {"name": name, "type": "webhook", "filter_rules": value, "config": {"url": "u"}}
        )
    _, text = export(orsync)
    # A filter with no groups is no filter: left out, as null would be.
    assert "groups: []" not in text
    assert (
        "filter_rules:\n          enabled: false\n          groups:\n            - rules:\n"
        "                - field: model\n                  operator: exists\n"
    ) in text
    assert_round_trip(orsync)


def test_keys_orsync_cannot_write_are_left_out_with_a_note(orsync: Orsync) -> None:
    config = {**sample_config("s3", 2), "newSetting": "x", "prefix": ["a", "b"]}
    stored = orsync.fake.add_destination({"name": "Archive", "type": "s3", "config": config})
    result, text = export(orsync)
    assert "newSetting" not in declared(orsync)["Archive"].config
    assert "# config.newSetting is live but left out: orsync cannot write it" in text
    assert "# config.prefix is live but left out: orsync cannot write it" in text
    assert result.stderr.splitlines() == [
        f"Warning: s3 {stored['id']}: config.{key} left out (not a key orsync knows of s3, "
        "or not a single value)"
        for key in ("prefix", "newSetting")
    ]
    assert_round_trip(orsync)


# Workspaces, header, sources ------------------------------------------------------------------


def test_header_names_time_source_and_workspaces_never_the_key(orsync: Orsync) -> None:
    orsync.fake.add_destination(hook("Hook"), OTHER)
    result, text = export(orsync, "--workspace", OTHER, "--workspace", "default")
    lines = text.splitlines()
    assert re.fullmatch(
        r"# Written by `orsync export` at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\.", lines[0]
    )
    assert lines[1:3] == [
        f"# From the API at {orsync.fake.base_url}.",
        f"# Workspaces: default, {OTHER}.",
    ]
    assert MANAGEMENT_KEY not in text
    result.assert_hides([])
    assert "  - destinations: []" in text and f"  - id: {OTHER}\n    destinations:" in text


def test_to_standard_output_the_text_alone(orsync: Orsync) -> None:
    orsync.fake.add_destination(hook("Hook"))
    for args in ((), ("-o", "-")):
        result = orsync("export", *args)
        assert result.code == 0 and result.stderr == ""
        assert yaml.safe_load(result.stdout)["workspaces"][0]["destinations"][0]["name"] == "Hook"


def test_workspaces_default_to_the_config_then_the_default_one(orsync: Orsync) -> None:
    orsync.fake.add_destination(hook("Default hook"))
    orsync.fake.add_destination(hook("Other hook", ident="o1"), OTHER)
    _, text = export(orsync)
    assert "Default hook" in text and "Other hook" not in text
    orsync.write_config(f"version: 1\nworkspaces:\n  - id: {OTHER.upper()}\n    destinations: []\n")
    _, text = export(orsync)
    assert "Default hook" not in text and "Other hook" in text
    assert f"- id: {OTHER}\n" in text


def test_default_workspace_asked_for_twice_is_written_once(orsync: Orsync) -> None:
    orsync.fake.add_destination(hook("Hook"))
    result, text = export(orsync, "--workspace", "default", "--workspace", DEFAULT_WORKSPACE_ID)
    assert text.count("- name: Hook") == 1 and f"- id: {DEFAULT_WORKSPACE_ID}" in text
    assert "Warning: the key's default workspace is" in result.stderr
    assert_round_trip(orsync)


def test_export_from_a_snapshot_offline(orsync: Orsync) -> None:
    rng = random.Random("snapshot")
    for index, type_name in enumerate(DESTINATION_TYPES):
        orsync.fake.add_destination(realistic(rng, type_name, index))
        orsync.fake.add_destination(realistic(rng, type_name, index + 40), OTHER)
    args = ("--workspace", "default", "--workspace", OTHER)
    assert orsync("snapshot", "-o", "snap.json", *args).code == 0
    result = orsync("export", "--snapshot", "snap.json", "-o", EXPORTED, key=None)
    assert result.code == 0, result.output
    text = (orsync.cwd / EXPORTED).read_text(encoding="utf-8")
    assert text.splitlines()[1:3] == [
        "# From the snapshot snap.json.",
        f"# Workspaces: default, {OTHER}.",
    ]
    planned = orsync("plan", "-c", EXPORTED, "--snapshot", "snap.json", key=None)
    assert planned.code == 0, planned.output
    assert_round_trip(orsync)


def test_run_export_in_process_with_a_clock(tmp_path: Path) -> None:
    snapshot = tmp_path / "snap.json"
    items = [live_item("Hook"), live_item(None, ident="22222222-0000-4000-8000-000000000000")]
    snapshot.write_text(json.dumps({"data": items, "total_count": 2}), encoding="utf-8")
    outcome = run_export(
        str(tmp_path / "absent.yaml"), SnapshotSource(str(snapshot)), now=lambda: CLOCK
    )
    assert isinstance(outcome, ExportOutcome) and outcome.output is None
    assert outcome.text.startswith("# Written by `orsync export` at 2025-01-02T03:04:05Z.\n")
    assert outcome.summary() == "Exported 2 destinations of 1 workspace to standard output."
    assert outcome.warnings == () and outcome.variables_block() == ""
    assert snapshot_origin(str(snapshot)) in outcome.text.replace("\n# ", " ")


# Errors ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--workspace", "Prod X"), "Error: --workspace 'Prod X': expected a workspace UUID like "),
        (("--workspace", "prod"), "Error: --workspace prod: no workspace has this id or slug"),
        (("-o", "missing/dir/out.yaml"), "Error: missing/dir/out.yaml: cannot write the exported"),
        (("--snapshot", "absent.json"), "Error: absent.json: no such snapshot file"),
        (("--secrets", "plain"), "Invalid value for '--secrets'"),
    ],
)
def test_errors(orsync: Orsync, args: tuple[str, ...], message: str) -> None:
    result = orsync("export", *args)
    assert result.code == 1
    assert message in result.stderr
    assert not (orsync.cwd / "missing").exists()


def test_error_without_a_key(orsync: Orsync) -> None:
    result = orsync("export", key=None)
    assert result.code == 1
    assert "OPENROUTER_MANAGEMENT_KEY" in result.stderr


def test_error_in_the_config_it_takes_workspaces_from(orsync: Orsync) -> None:
    orsync.write_config("version: 1\nworkspaces:\n  - id: Not A Slug\n    destinations: []\n")
    result = orsync("export")
    assert result.code == 1
    assert result.stderr.startswith("Error: orsync.yaml:3: workspaces[0].id: expected a workspace")
    orsync.write_config("version: 1\nworkspaces:\n  - id: nope\n    destinations: []\n")
    unknown = orsync("export")
    assert unknown.code == 1
    assert "orsync.yaml:3: workspace 'nope' was not found: no workspace has this slug" in (
        unknown.stderr
    )


def test_usage_error_in_process(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="--workspace '4 2'"):
        run_export(str(tmp_path / "c.yaml"), SnapshotSource("s.json"), workspaces=["4 2"])


def test_a_live_region_alias_is_read_as_the_region_it_names(orsync: Orsync) -> None:
    snapshot = {"data": [live_item("Odd", regions=["eu"])], "total_count": 1}
    (orsync.cwd / "odd.json").write_text(json.dumps(snapshot), encoding="utf-8")
    result = orsync("export", "--snapshot", "odd.json", "-o", EXPORTED)
    assert (result.code, result.stderr) == (0, "")
    assert "regions:\n          - europe\n" in (orsync.cwd / EXPORTED).read_text(encoding="utf-8")
    assert orsync("plan", "-c", EXPORTED, "--snapshot", "odd.json").code == 0


@pytest.mark.parametrize(
    ("fields", "warning"),
    [({"sampling_rate": 0}, "does not plan against live as it should (")],
    ids=["not loadable"],
)
def test_a_file_that_would_not_plan_clean_is_reported(
    orsync: Orsync, fields: dict[str, Any], warning: str
) -> None:
    # Live values the API refuses, so only a snapshot can hold them.
    snapshot = {"data": [live_item("Odd", **fields)], "total_count": 1}
    (orsync.cwd / "odd.json").write_text(json.dumps(snapshot), encoding="utf-8")
    result = orsync("export", "--snapshot", "odd.json", "-o", EXPORTED)
    assert result.code == 0
    assert f"Warning: {EXPORTED} {warning}" in result.stderr
    assert "please report this" in result.stderr
    assert (orsync.cwd / EXPORTED).exists()


# The plan points at export -------------------------------------------------------------------


def test_plan_ends_with_the_command_that_adopts_unmanaged_destinations(orsync: Orsync) -> None:
    orsync.fake.add_destination(hook("Stray one"))
    orsync.fake.add_destination(hook("Stray two", ident="s2"))
    orsync.fake.add_destination(hook("Elsewhere", ident="s3"), OTHER)
    orsync.write_config(
        f"version: 1\nworkspaces:\n  - destinations: []\n  - id: {OTHER}\n    destinations: []\n"
    )
    planned = orsync("plan")
    assert planned.code == 2
    hint = (
        f"To adopt the 3 unmanaged destinations: orsync export --workspace default "
        f"--workspace {OTHER}, then copy their entries into orsync.yaml."
    )
    assert planned.stdout.splitlines()[-2:] == [
        "Plan: 0 to add, 0 to change, 0 to replace, 0 to destroy, 3 unmanaged.",
        hint,
    ]
    assert "To adopt" not in orsync("plan", "--format", "json").stdout
    assert "To adopt" not in orsync("plan", "--format", "markdown").stdout
    # The command it names exports them.
    command = hint.split(": ", 1)[1].split(",")[0].split()[2:]
    exported = orsync("export", *command)
    assert exported.code == 0 and all(n in exported.stdout for n in ("Stray two", "Elsewhere"))


def test_plan_hint_names_the_snapshot(orsync: Orsync) -> None:
    orsync.fake.add_destination(hook("Stray"))
    orsync.write_config("version: 1\ndestinations: []\n")
    assert orsync("snapshot", "-o", "my snap.json").code == 0
    planned = orsync("plan", "--snapshot", "my snap.json", key=None)
    assert planned.stdout.splitlines()[-1] == (
        "To adopt the 1 unmanaged destination: orsync export --workspace default "
        "--snapshot 'my snap.json', then copy its entry into orsync.yaml."
    )


def test_no_hint_without_unmanaged_destinations(orsync: Orsync) -> None:
    orsync.fake.add_destination(hook("Stray"))
    orsync.write_config("version: 1\nworkspaces:\n  - unmanaged: ignore\n    destinations: []\n")
    planned = orsync("plan")
    assert planned.code == 0 and "To adopt" not in planned.output


def test_yaml_text_reads_back_as_written() -> None:
    values = [*AMBIGUOUS, "a\x85b", "x\u2028", "\u2029", "long " * 40, {"k": ["a", "b"]}]
    shared = ["same"]
    document = {"values": values, "again": shared, "and again": shared}
    text = dump_block(document)
    assert yaml.safe_load(text) == document
    assert "&id" not in text and "*id" not in text  # no anchors, even for a shared list
    assert "\n  - 'yes'\n" in text and "\n  - '1e-1'\n" in text and "\n  - 'y'\n" in text
    assert comment_lines("a\nb\x85c", 2) == ["  # a?b?c"]
