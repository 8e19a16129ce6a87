"""The JSON Schema of the config file agrees with `orsync validate`.

Each config here is checked twice: by the loader (what `validate` runs) and by the schema, read
by the `jsonschema` package. Configs the loader accepts, the schema accepts; configs the loader
rejects for a reason JSON Schema can say, the schema rejects too. The committed copy in
`schema/orsync.schema.json` is the generated one.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT, Orsync
from fake_api import FakeApi
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match
from programs import program, run

from orsync import destination_types as types
from orsync.commands.schema import schema_text
from orsync.config import load_config_text
from orsync.config_schema import config_schema
from orsync.errors import ConfigError
from orsync.yamlsource import load_located

COMMITTED = ROOT / "schema" / "orsync.schema.json"
WORKSPACE = "550e8400-e29b-41d4-a716-446655440000"
ENVIRON = {
    "WS": WORKSPACE,
    "MODE": "delete",
    "NAME": "hook",
    "KEY": "k-0123456789",
    "M": "PUT",
    "IGN": "headers",
}


@pytest.fixture(scope="module")
def validator() -> Draft202012Validator:
    schema = config_schema()
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def read(text: str) -> Any:
    """The document as the loader reads it (YAML 1.1, dates as text)."""
    located = load_located(text, "orsync.yaml")
    assert located is not None
    return located.value


def schema_errors(validator: Draft202012Validator, text: str) -> list[str]:
    return [error.message for error in validator.iter_errors(read(text))]


def config(body: str) -> str:
    return "version: 1\n" + textwrap.dedent(body).lstrip("\n")


def destination(lines: str, kind: str = "webhook", cfg: str = "{url: https://h.example}") -> str:
    """A one-destination file; `lines` are more keys of the destination."""
    extra = textwrap.indent(textwrap.dedent(lines).strip("\n"), "    ")
    text = f"destinations:\n  - name: a\n    type: {kind}\n    config: {cfg}\n"
    return config(text + (extra + "\n" if extra else ""))


# --- the committed file and the command ------------------------------------------------------


def test_committed_schema_is_the_generated_one() -> None:
    assert COMMITTED.read_text(encoding="utf-8") == schema_text(), (
        "schema/orsync.schema.json is out of date: regenerate it with "
        "`orsync schema > schema/orsync.schema.json`"
    )


def test_schema_command_needs_no_key_no_network_no_config(orsync: Orsync, fake: FakeApi) -> None:
    # No key, a base URL nothing listens on, and no orsync.yaml in the directory.
    result = orsync("schema", key=None, env={"ORSYNC_BASE_URL": "https://127.0.0.1:9"})
    assert result.code == 0, result.output
    assert result.stderr == ""
    assert result.stdout == COMMITTED.read_text(encoding="utf-8")
    assert json.loads(result.stdout)["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert not (orsync.cwd / "orsync.yaml").exists()
    assert fake.requests == []


def test_schema_text_is_stable_pretty_json() -> None:
    text = schema_text()
    assert text == schema_text()
    assert text.endswith("}\n")
    assert text == json.dumps(json.loads(text), indent=2) + "\n"


# --- examples ---------------------------------------------------------------------------------

EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))


def test_there_are_examples() -> None:
    assert [path.name for path in EXAMPLES] == ["orsync.yaml"]


@pytest.mark.parametrize("path", EXAMPLES, ids=[path.name for path in EXAMPLES])
def test_every_example_config_is_valid_for_both(
    validator: Draft202012Validator, path: Path
) -> None:
    text = path.read_text(encoding="utf-8")
    load_config_text(text, str(path), {})
    assert schema_errors(validator, text) == []


def test_example_config_names_the_schema_for_editors() -> None:
    first = (ROOT / "examples" / "orsync.yaml").read_text(encoding="utf-8").splitlines()[0]
    assert first == "# yaml-language-server: $schema=../schema/orsync.schema.json"
    assert (ROOT / "examples" / "../schema/orsync.schema.json").resolve() == COMMITTED


# --- what validate accepts, the schema accepts ----------------------------------------------

ACCEPTED = {
    "workspaces form, every workspace key": config(
        f"""
        workspaces:
          - id: {WORKSPACE.upper()}
            unmanaged: ignore
            destinations: []
          - destinations:
              - {{name: a, type: webhook, config: {{url: https://h.example, method: PUT}}}}
        """
    ),
    "empty shorthand": config("destinations: []\n"),
    "a policy alone, every rule": config(
        """
        policy:
          privacy_mode: required
          max_sampling_rate: 0.5
          allowed_types: [langfuse, s3]
          required_types: [s3]
          allowed_hosts: ["*.langfuse.com"]
          allowed_regions: [europe]
          api_key_allowlist: required
          identity_broadcast: forbid
          plaintext_secrets: forbid
        """
    ),
    "workspace by slug": config("workspaces:\n  - {id: prod-eu, destinations: []}\n"),
    "defaults with every compared field": config(
        """
        defaults:
          enabled: false
          sampling_rate: 0.0001
          privacy_mode: true
          api_key_hashes: [h1]
          filter_rules: null
          regions: [global]
          broadcast_generation_cost: true
          broadcast_generation_identity: true
          broadcast_generation_request_context: true
          broadcast_generation_cost_allocation: true
        destinations: []
        """
    ),
    "every destination key": destination(
        """
        id: 0a9b8c7d-6e5f-4a3b-9c2d-1e0f2a3b4c5d
        enabled: true
        sampling_rate: 1
        privacy_mode: false
        api_key_hashes: null
        filter_rules:
          enabled: true
          groups:
            - logic: or
              rules:
                - {field: model, operator: equals, value: gpt-4o}
                - {field: total_cost, operator: gt, value: 0.5}
                - {field: user_id, operator: exists}
        regions: [global, europe, us]
        broadcast_generation_cost: false
        broadcast_generation_identity: false
        broadcast_generation_request_context: false
        broadcast_generation_cost_allocation: false
        ignore: [config.headers.X-Debug, enabled, name, filter_rules.groups, config]
        protect: true
        """
    ),
    "sampling_rate 1e-4, which YAML 1.1 reads as text": destination("sampling_rate: 1e-4"),
    "sampling_rate as quoted number text": destination("sampling_rate: '0.25'"),
    "variables anywhere text goes": config(
        """
        workspaces:
          - id: ${WS}
            unmanaged: ${MODE}
            destinations:
              - name: ${NAME}
                type: webhook
                id: ${NAME}-id
                api_key_hashes: ['${KEY}']
                regions: ['${NAME}']
                config: {url: 'https://u:${KEY}@h.example', method: '${M}'}
                ignore: ['config.${IGN}']
        """
    ),
    "literal dollar-brace": destination("", cfg="{url: 'https://h.example/$${x}'}"),
    "secrets: variable, masked pin, stars, plain text": destination(
        "",
        kind="datadog",
        cfg="{apiKey: dd-a...9f3K, mlApp: app, headers: {A: '${KEY}', B: '********', C: x}}",
    ),
    "config: every key of a known type, defaults as written": destination(
        "",
        kind="s3",
        cfg=(
            "{bucketName: b, accessKeyId: '${KEY}', secretAccessKey: '${KEY}', "
            "sessionToken: '${KEY}', authMode: access_keys, provider: gcs, roleArn: r, "
            "externalId: e, region: us-east-1, endpoint: null, prefix: openrouter-traces, "
            "pathTemplate: '{prefix}/{date}'}"
        ),
    ),
    "config: required keys left out (a warning)": destination("", kind="langfuse", cfg="{}"),
    "config: scalar values of any kind": destination(
        "", kind="clickhouse", cfg="{host: h, database: 7, shouldIncludeCacheWriteTokens: true}"
    ),
    "open lists: unknown type, region, filter field, operator, logic": config(
        """
        destinations:
          - name: a
            type: brand-new-type
            regions: [mars, eu]
            filter_rules:
              groups:
                - logic: xor
                  rules: [{field: colour, operator: matches, value: blue}]
            config:
              nested: {deep: [1, {token: '${KEY}'}]}
            ignore: [config.anything.below]
        """
    ),
    "closed lists: each value": config(
        """
        destinations:
          - {name: a, type: webhook, config: {url: https://h.example, method: POST}}
          - {name: b, type: newrelic, config: {licenseKey: '${KEY}', region: eu}}
          - {name: c, type: s3, config: {bucketName: b, authMode: iam_role, provider: other}}
        """
    ),
}


@pytest.mark.parametrize("text", ACCEPTED.values(), ids=ACCEPTED)
def test_what_validate_accepts_the_schema_accepts(
    validator: Draft202012Validator, text: str
) -> None:
    load_config_text(text, "orsync.yaml", ENVIRON)
    assert schema_errors(validator, text) == []


# --- what validate rejects, where JSON Schema can say it, the schema rejects ------------------

REJECTED = {
    "policy rule typo": (config("policy:\n  privacy_mod: required\n"), "unknown key"),
    "policy value typo": (config("policy:\n  identity_broadcast: forbidden\n"), "forbid"),
    "policy allowed_types empty": (config("policy:\n  allowed_types: []\n"), "at least one"),
    "missing version": ("destinations: []\n", "missing key 'version'"),
    "version 2": ("version: 2\ndestinations: []\n", "unsupported version 2"),
    "neither workspaces nor destinations": ("version: 1\n", "declare `workspaces` or"),
    "both workspaces and destinations": (
        config("workspaces: []\ndestinations: []\n"),
        "not both",
    ),
    "unknown top-level key": (config("destinations: []\nworkspace: []\n"), "unknown key"),
    "unknown key in defaults": (
        config("defaults: {protect: true}\ndestinations: []\n"),
        "unknown key",
    ),
    "unknown workspace key": (
        config("workspaces:\n  - {zone: x, destinations: []}\n"),
        "unknown key",
    ),
    "workspace entry without destinations": (
        config("workspaces:\n  - {unmanaged: report}\n"),
        "missing required key 'destinations'",
    ),
    "workspace id neither a UUID nor a slug": (
        config("workspaces:\n  - {id: Prod Space, destinations: []}\n"),
        "expected a workspace UUID",
    ),
    "unmanaged mode typo": (
        config("workspaces:\n  - {unmanaged: remove, destinations: []}\n"),
        "unknown unmanaged mode 'remove'",
    ),
    "destinations null": (config("destinations:\n"), "expected a list of destinations"),
    "unknown destination key": (destination("sampling_rat: 0.5"), "unknown key"),
    "missing name": (
        config("destinations:\n  - {type: webhook}\n"),
        "missing required key 'name'",
    ),
    "missing type": (config("destinations:\n  - {name: a}\n"), "missing required key 'type'"),
    "blank name": (
        config("destinations:\n  - {name: ' ', type: webhook}\n"),
        "expected a non-empty string",
    ),
    "sampling_rate 0": (destination("sampling_rate: 0"), "must be between 0.0001 and 1"),
    "sampling_rate 1.5": (destination("sampling_rate: 1.5"), "must be between 0.0001 and 1"),
    "sampling_rate negative text": (
        destination("sampling_rate: '-0.5'"),
        "must be between 0.0001 and 1",
    ),
    "sampling_rate true": (destination("sampling_rate: true"), "expected a number"),
    "sampling_rate from a variable": (destination("sampling_rate: '${RATE}'"), "expected a number"),
    "enabled as text": (destination("enabled: 'yes'"), "expected true or false"),
    "api_key_hashes empty": (destination("api_key_hashes: []"), "non-empty list"),
    "api_key_hashes bare number": (destination("api_key_hashes: [123]"), "expected a string"),
    "regions empty": (destination("regions: []"), "expected at least one region"),
    "region not text": (destination("regions: [3]"), "expected one of: global"),
    "filter_rules without groups": (
        destination("filter_rules: {enabled: true}"),
        "missing required key 'groups'",
    ),
    "filter rule unknown key": (
        destination("filter_rules: {groups: [{rules: [{field: model, operator: eq, val: x}]}]}"),
        "unknown key",
    ),
    "filter rule without operator": (
        destination("filter_rules: {groups: [{rules: [{field: model}]}]}"),
        "missing required key 'operator'",
    ),
    "filter value null": (
        destination("filter_rules: {groups: [{rules: [{field: a, operator: b, value: null}]}]}"),
        "expected a string or a number",
    ),
    "protect as text": (destination("protect: 'true'"), "expected true or false"),
    "ignore unknown field": (destination("ignore: [colour]"), "unknown field"),
    "ignore unknown config key of a known type": (
        destination("ignore: [config.bucket_name]", kind="s3", cfg="{bucketName: b}"),
        "unknown config key for type 's3'",
    ),
    "ignore config with an empty key": (destination("ignore: [config.]"), "write `config`"),
    "unknown config key of a known type": (
        destination("", kind="s3", cfg="{bucket_name: b}"),
        "did you mean 'bucketName'? (the API wants camelCase)",
    ),
    "config not a mapping": (destination("", cfg="[url]"), "expected a mapping"),
    "config value a list for a known type": (
        destination("", cfg="{url: [a, b]}"),
        "expected a single value",
    ),
    "closed list typo: webhook method": (
        destination("", cfg="{url: https://h.example, method: PATCH}"),
        "unknown webhook method 'PATCH'",
    ),
    "closed list typo: newrelic region": (
        destination("", kind="newrelic", cfg="{licenseKey: '${KEY}', region: europe}"),
        "unknown newrelic region 'europe'",
    ),
    "closed list typo: s3 authMode": (
        destination("", kind="s3", cfg="{bucketName: b, authMode: iam-role}"),
        "did you mean 'iam_role'?",
    ),
    "closed list typo: s3 provider": (
        destination("", kind="s3", cfg="{bucketName: b, provider: AWS}"),
        "did you mean 'aws'?",
    ),
    "secret not text": (
        destination("", kind="datadog", cfg="{apiKey: 12345, mlApp: a}"),
        "expected a string (a secret)",
    ),
    "secret empty": (destination("", kind="datadog", cfg="{apiKey: '', mlApp: a}"), "empty"),
    "header value not text": (
        destination("", cfg="{url: https://h.example, headers: {X: 1}}"),
        "expected a string (a secret)",
    ),
    "malformed variable reference": (destination("", cfg="{url: 'https://${HOST'}"), "never"),
    "variable reference to no name": (
        config("destinations:\n  - {name: 'a${}', type: webhook}\n"),
        "names no environment variable",
    ),
}


@pytest.mark.parametrize(("text", "problem"), REJECTED.values(), ids=REJECTED)
def test_what_validate_rejects_the_schema_rejects(
    validator: Draft202012Validator, text: str, problem: str
) -> None:
    with pytest.raises(ConfigError) as info:
        load_config_text(text, "orsync.yaml", ENVIRON)
    assert problem in info.value.problem
    errors = list(validator.iter_errors(read(text)))
    assert errors != [], "the schema accepts what validate rejects"
    # The schema points at the same place, or at the mapping that holds it (a missing key).
    where = best_match(errors).json_path.removeprefix("$").removeprefix(".")
    assert info.value.path.startswith(where), (where, info.value.path)


# --- the schema is made from the type table -------------------------------------------------


def known_type_config(text_type: str, cfg: str) -> str:
    return destination("", kind=text_type, cfg=cfg)


@pytest.mark.parametrize("kind", types.TYPES.values(), ids=list(types.TYPES))
def test_every_key_of_a_known_type_and_no_other(
    validator: Draft202012Validator, kind: types.DestinationType
) -> None:
    for key, spec in kind.keys.items():
        value = spec.values[0] if spec.values else "${KEY}"
        text = known_type_config(kind.name, json.dumps({key: value}))
        load_config_text(text, "orsync.yaml", ENVIRON)
        assert schema_errors(validator, text) == [], key
    stray = known_type_config(kind.name, "{notAKeyOfAnyType: x}")
    with pytest.raises(ConfigError, match="unknown config key"):
        load_config_text(stray, "orsync.yaml", ENVIRON)
    assert schema_errors(validator, stray) != []


CLOSED_KEYS = [
    pytest.param(kind, spec, id=f"{kind.name}.{spec.name}")
    for kind in types.TYPES.values()
    for spec in kind.keys.values()
    if spec.values
]


def test_the_closed_lists_are_the_ones_users_are_told_of() -> None:
    assert [param.id for param in CLOSED_KEYS] == [
        "newrelic.region",
        "s3.authMode",
        "s3.provider",
        "webhook.method",
    ]


@pytest.mark.parametrize(("kind", "spec"), CLOSED_KEYS)
def test_closed_list_values_pass_and_others_fail_in_both(
    validator: Draft202012Validator, kind: types.DestinationType, spec: types.ConfigKey
) -> None:
    for value in spec.values:
        text = known_type_config(kind.name, json.dumps({spec.name: value}))
        load_config_text(text, "orsync.yaml", ENVIRON)
        assert schema_errors(validator, text) == []
    for typo in (spec.values[0] + "x", spec.values[0].swapcase(), 1, None):
        text = known_type_config(kind.name, json.dumps({spec.name: typo}))
        with pytest.raises(ConfigError, match=f"config.{spec.name}"):
            load_config_text(text, "orsync.yaml", ENVIRON)
        assert schema_errors(validator, text) != [], typo


def test_editors_can_complete_open_lists_and_read_defaults() -> None:
    definitions = config_schema()["$defs"]
    destination_type = definitions["destination"]["properties"]["type"]
    assert destination_type["anyOf"][0] == {"enum": list(types.TYPES)}
    assert "langfuse" in destination_type["description"]
    region = definitions["destination"]["properties"]["regions"]["items"]
    assert region["anyOf"][0] == {"enum": ["global", "europe", "us", "eu"]}
    rule = definitions["filterRule"]["properties"]
    assert rule["operator"]["anyOf"][0] == {"enum": list(types.FILTER_OPERATORS)}
    assert definitions["config-webhook"]["properties"]["method"]["default"] == "POST"
    fields = definitions["defaults"]["properties"]
    assert {key: fields[key]["default"] for key in types.FIELD_DEFAULTS} == dict(
        types.FIELD_DEFAULTS
    )


def test_a_key_the_schema_describes_but_the_loader_does_not_read_fails_the_generator() -> None:
    from orsync.config_schema import _properties

    with pytest.raises(KeyError, match="not read by the loader"):
        _properties(("name",), {"name": {}, "colour": {}})
    with pytest.raises(KeyError):
        _properties(("name", "colour"), {"name": {}})


# --- generated files: the loader and the schema give the same verdict -----------------------

# Values of every kind, right and wrong, for each place; none that only `validate` can judge
# (two equal names or ids, variables, quoted numbers out of range, blank secrets of unknown types).
FIELD_VALUES: dict[str, list[Any]] = {
    "enabled": [True, False, "yes", None, 1],
    "sampling_rate": [0.5, 1, 0.0001, 0, 0.00009, 2, -1, "0.5", "1e-4", "-0.5", "x", True, None],
    "privacy_mode": [False, 0],
    "api_key_hashes": [None, ["h"], [], [""], [1], "h"],
    "regions": [["eu"], ["mars", "us"], [], [1], [""], None, "global"],
    "filter_rules": [
        None,
        {},
        {"groups": []},
        {"groups": None},
        {"enabled": False, "groups": [{"rules": []}]},
        {"enabled": None, "groups": []},
        {"groups": [{"logic": "xor", "rules": [{"field": "f", "operator": "o", "value": 1}]}]},
        {"groups": [{"logic": None, "rules": []}]},
        {"groups": [{"rules": [{"field": "model", "operator": "equals", "value": None}]}]},
        {"groups": [{"rules": [{"field": "model", "operator": "equals", "value": True}]}]},
        {"groups": [{"rules": [{"field": "", "operator": "exists"}]}]},
        {"groups": [{"rules": [{"field": "model"}]}]},
        {"groups": [{"rules": [{"field": "model", "operator": "gt", "other": 1}]}]},
    ],
    "broadcast_generation_cost": [True, "false"],
    "ignore": [
        [],
        ["enabled", "name.x", "config"],
        ["config.headers.X"],
        ["config.bogusKey"],
        ["config."],
        ["colour"],
        [""],
        [1],
        "enabled",
    ],
    "protect": [True, None, "true"],
    "colour": ["red"],
}
CONFIG_VALUES: list[Any] = [None, "", "x", 1, 1.5, True, [1], {"a": 1}, "sk-l...AbCd", "${", "$${"]
HEADERS: list[Any] = [{}, {"A": "b"}, {"A": ""}, {"A": 1}, None, "A: b"]


@st.composite
def configs(draw: st.DrawFn, kind: str) -> Any:
    known = types.TYPES.get(kind)
    keys = [*known.keys] if known is not None else ["endpoint", "nested", "region"]
    if draw(st.integers(0, 9)) == 0:
        return draw(st.sampled_from([None, [], "x"]))
    result: dict[str, Any] = {}
    for key in draw(st.lists(st.sampled_from([*keys, *keys, "headers", "bogusKey"]), max_size=3)):
        closed = list(known.keys[key].values) if known is not None and key in known.keys else []
        pool = HEADERS if key == "headers" else [*CONFIG_VALUES, *closed, *closed]
        result[key] = draw(st.sampled_from(pool))
    return result


@st.composite
def destination_items(draw: st.DrawFn, index: int) -> Any:
    kind = draw(st.sampled_from([*types.TYPES, "brand-new", "", 3]))
    item: dict[str, Any] = {"name": draw(st.sampled_from([*[f"d{index}"] * 12, "", " ", 1]))}
    if draw(st.integers(0, 19)):
        item["type"] = kind
    if draw(st.booleans()):
        item["id"] = draw(st.sampled_from([f"id{index}", "", 7]))
    for key in draw(st.lists(st.sampled_from(sorted(FIELD_VALUES)), max_size=2)):
        item[key] = draw(st.sampled_from(FIELD_VALUES[key]))
    if draw(st.booleans()):
        item["config"] = draw(configs(kind if isinstance(kind, str) else ""))
    return item


@st.composite
def documents(draw: st.DrawFn) -> Any:
    items = [draw(destination_items(index)) for index in range(draw(st.integers(0, 2)))]
    document: dict[str, Any] = {"version": draw(st.sampled_from([*[1] * 12, 2, "1", None]))}
    if draw(st.booleans()):
        document["defaults"] = {
            key: draw(st.sampled_from(FIELD_VALUES[key]))
            for key in draw(st.lists(st.sampled_from(["enabled", "sampling_rate", "protect"])))
        }
    entry: dict[str, Any] = {"destinations": items}
    if draw(st.booleans()):
        entry["id"] = draw(st.sampled_from([WORKSPACE, WORKSPACE.upper(), "prod", 5]))
    if draw(st.booleans()):
        entry["unmanaged"] = draw(st.sampled_from(["report", "ignore", "delete", "Delete", None]))
    form = draw(st.sampled_from([*["workspaces", "destinations"] * 6, "both", "neither", "two"]))
    if form in ("workspaces", "both"):
        document["workspaces"] = [entry]
    if form == "two":
        document["workspaces"] = [entry, {"destinations": []}]
    if form in ("destinations", "both"):
        document["destinations"] = items
    return document


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(document=documents())
def test_loader_and_schema_agree_on_generated_files(
    validator: Draft202012Validator, document: Any
) -> None:
    try:
        load_config_text(json.dumps(document), "orsync.yaml", {})
        loader = "valid"
    except ConfigError as error:
        loader = f"invalid: {error}"
    schema = "valid" if validator.is_valid(document) else "invalid"
    event(schema)
    assert loader.split(":")[0] == schema, (loader, list(validator.iter_errors(document))[:1])


# --- as an editor reads it (YAML 1.2), through check-jsonschema -----------------------------


def test_example_passes_the_committed_schema_as_editors_read_yaml(tmp_path: Path) -> None:
    tool = program("check-jsonschema")
    if tool is None:
        pytest.skip("check-jsonschema is not installed (pip install -e '.[test]')")
    schema = str(COMMITTED)
    done = run(tool, "--schemafile", schema, str(ROOT / "examples" / "orsync.yaml"), cwd=ROOT)
    assert done.returncode == 0, done.stdout
    typo = tmp_path / "orsync.yaml"
    typo.write_text(destination("", cfg="{url: https://h.example, method: PATCH}"))
    done = run(tool, "--schemafile", schema, str(typo), cwd=ROOT)
    assert done.returncode == 1, done.stdout
    assert "$.destinations[0].config.method: 'PATCH' is not one of ['POST', 'PUT']" in done.stdout
