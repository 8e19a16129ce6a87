"""Tests of the config loader: both forms, defaults, `${VAR}`, secrets, and every error's place."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from pathlib import Path

import pytest

from orsync.config import load_config, load_config_text
from orsync.errors import ConfigError
from orsync.model import DesiredDestination, DesiredState, Secret, SecretOrigin, Source

WORKSPACE = "550e8400-e29b-41d4-a716-446655440000"
OTHER_WORKSPACE = "6ba7b810-9dad-11d1-80b4-00c04fd430c8"
SECRET = "sk-lf-0123456789abcdefSECRET"


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "orsync.yaml"
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return str(path)


def load(tmp_path: Path, text: str, environ: Mapping[str, str] | None = None) -> DesiredState:
    return load_config(write(tmp_path, text), {} if environ is None else environ)


def load_error(tmp_path: Path, text: str, environ: Mapping[str, str] | None = None) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        load(tmp_path, text, environ)
    return info.value


def only_destination(state: DesiredState) -> DesiredDestination:
    [workspace] = state.workspaces
    [destination] = workspace.destinations
    return destination


# --- the two forms ---------------------------------------------------------------------------


def test_workspaces_form(tmp_path: Path) -> None:
    state = load(
        tmp_path,
        f"""
        version: 1
        workspaces:
          - id: {WORKSPACE.upper()}
            unmanaged: delete
            destinations:
              - name: Production Langfuse
                type: langfuse
                id: 99999999-0000-0000-0000-000000000000
                sampling_rate: 0.5
                config:
                  publicKey: ${{LANGFUSE_PUBLIC_KEY}}
                  secretKey: ${{LANGFUSE_SECRET_KEY}}
                  baseUrl: https://us.cloud.langfuse.com
                ignore: [config.headers, enabled]
                protect: true
          - destinations: []
        """,
        {"LANGFUSE_PUBLIC_KEY": "pk-lf-public", "LANGFUSE_SECRET_KEY": SECRET},
    )
    first, default = state.workspaces
    assert (first.id, first.unmanaged, first.source) == (WORKSPACE, "delete", Source(state.path, 3))
    assert (default.id, default.unmanaged, default.destinations) == (None, "report", ())
    [destination] = first.destinations
    assert destination.workspace_id == WORKSPACE
    assert (destination.name, destination.type) == ("Production Langfuse", "langfuse")
    assert destination.id == "99999999-0000-0000-0000-000000000000"
    assert destination.source == Source(state.path, 6)
    assert destination.fields["sampling_rate"] == 0.5
    assert destination.config == {
        "publicKey": Secret(SecretOrigin.ENV, "pk-lf-public", ("LANGFUSE_PUBLIC_KEY",)),
        "secretKey": Secret(SecretOrigin.ENV, SECRET, ("LANGFUSE_SECRET_KEY",)),
        "baseUrl": "https://us.cloud.langfuse.com",
    }
    assert (destination.ignore, destination.protect) == (("config.headers", "enabled"), True)
    assert state.warnings == ()


def test_shorthand_form_is_one_workspace_without_id(tmp_path: Path) -> None:
    state = load(
        tmp_path,
        """
        version: 1
        destinations:
          - name: hook
            type: webhook
            config: {url: https://example.com/hook}
        """,
    )
    [workspace] = state.workspaces
    assert (workspace.id, workspace.unmanaged, workspace.source) == (
        None,
        "report",
        Source(state.path, 2),
    )
    destination = only_destination(state)
    assert (destination.workspace_id, destination.name, destination.id) == (None, "hook", None)
    assert (destination.ignore, destination.protect) == ((), False)
    assert destination.config == {"url": "https://example.com/hook"}


def test_empty_destination_list_is_valid(tmp_path: Path) -> None:
    state = load(tmp_path, "version: 1\ndestinations: []\n")
    assert state.workspaces[0].destinations == ()


def test_check_config_text_reads_os_environ_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ORSYNC_TEST_URL", "https://hooks.example.com")
    text = """
version: 1
destinations:
  - {name: a, type: webhook, config: {url: "${ORSYNC_TEST_URL}"}}
"""
    state = load_config_text(text, "inline.yaml")
    # Built from the environment, so kept as a secret: compared in clear, printed as a mask.
    url = Secret(SecretOrigin.ENV, "https://hooks.example.com", ("ORSYNC_TEST_URL",))
    assert only_destination(state).config == {"url": url}
    assert state.path == "inline.yaml"


# --- defaults ----------------------------------------------------------------------------------


def test_fields_resolve_destination_then_defaults_then_api(tmp_path: Path) -> None:
    state = load(
        tmp_path,
        """
        version: 1
        defaults:
          sampling_rate: 0.25
          privacy_mode: true
          api_key_hashes: [abc123]
        destinations:
          - name: own
            type: webhook
            sampling_rate: 0.5
            api_key_hashes: null
            broadcast_generation_cost: true
          - name: inherits
            type: webhook
        """,
    )
    own, inherits = state.workspaces[0].destinations
    assert own.fields == {
        "enabled": True,
        "sampling_rate": 0.5,
        "privacy_mode": True,
        "api_key_hashes": None,
        "filter_rules": None,
        "broadcast_generation_cost": True,
        "broadcast_generation_identity": False,
        "broadcast_generation_request_context": False,
        "broadcast_generation_cost_allocation": False,
    }
    assert inherits.fields["sampling_rate"] == 0.25
    assert inherits.fields["api_key_hashes"] == ["abc123"]
    assert inherits.fields["enabled"] is True


def test_regions_are_compared_only_when_declared(tmp_path: Path) -> None:
    without = load(tmp_path, "version: 1\ndestinations:\n  - {name: a, type: webhook}\n")
    assert "regions" not in only_destination(without).fields
    state = load(
        tmp_path,
        """
        version: 1
        defaults: {regions: [us]}
        destinations:
          - {name: a, type: webhook}
          - {name: b, type: webhook, regions: [europe, global]}
        """,
    )
    a, b = state.workspaces[0].destinations
    assert (a.fields["regions"], b.fields["regions"]) == (["us"], ["europe", "global"])


def test_filter_rules_are_kept_as_written(tmp_path: Path) -> None:
    state = load(
        tmp_path,
        """
        version: 1
        destinations:
          - name: a
            type: webhook
            filter_rules:
              enabled: true
              groups:
                - logic: or
                  rules:
                    - {field: model, operator: starts_with, value: openai/}
                    - {field: total_cost, operator: gt, value: 0.5}
                    - {field: user_id, operator: exists}
        """,
    )
    assert only_destination(state).fields["filter_rules"] == {
        "enabled": True,
        "groups": [
            {
                "logic": "or",
                "rules": [
                    {"field": "model", "operator": "starts_with", "value": "openai/"},
                    {"field": "total_cost", "operator": "gt", "value": 0.5},
                    {"field": "user_id", "operator": "exists"},
                ],
            }
        ],
    }


# --- ${VAR} and secrets ------------------------------------------------------------------------


def test_variables_expand_in_any_string_and_double_dollar_is_literal(tmp_path: Path) -> None:
    state = load(
        tmp_path,
        """
        version: 1
        destinations:
          - name: ${TEAM} hook
            type: webhook
            config:
              url: https://${HOST}/in?x=$${NOT_A_VAR}
              method: POST
        """,
        {"TEAM": "ops", "HOST": "hooks.example.com"},
    )
    destination = only_destination(state)
    assert destination.name == "ops hook"
    url = Secret(SecretOrigin.ENV, "https://hooks.example.com/in?x=${NOT_A_VAR}", ("HOST",))
    assert destination.config == {"url": url, "method": "POST"}


def test_secret_from_a_set_variable(tmp_path: Path) -> None:
    state = load(
        tmp_path,
        """
        version: 1
        destinations:
          - {name: a, type: posthog, config: {apiKey: "phc_${TEAM}_${KEY}"}}
        """,
        {"TEAM": "ops", "KEY": "abcdef123456"},
    )
    secret = only_destination(state).config["apiKey"]
    assert secret == Secret(SecretOrigin.ENV, "phc_ops_abcdef123456", ("TEAM", "KEY"))
    assert state.warnings == ()


def test_secret_from_an_unset_variable_is_not_an_error(tmp_path: Path) -> None:
    state = load(
        tmp_path,
        """
        version: 1
        destinations:
          - {name: a, type: posthog, config: {apiKey: "${SET}${UNSET}"}}
        """,
        {"SET": "x"},
    )
    secret = only_destination(state).config["apiKey"]
    assert secret == Secret(SecretOrigin.ENV, None, ("SET", "UNSET"))
    assert state.warnings == ()


def test_masked_pin_is_kept_as_its_mask(tmp_path: Path) -> None:
    state = load(
        tmp_path,
        """
        version: 1
        destinations:
          - {name: a, type: clickhouse, config: {password: "********"}}
          - {name: b, type: posthog, config: {apiKey: "phc_...AbCd"}}
        """,
    )
    a, b = state.workspaces[0].destinations
    assert a.config["password"] == Secret(SecretOrigin.PIN, "********")
    assert b.config["apiKey"] == Secret(SecretOrigin.PIN, "phc_...AbCd")
    assert not any("plain text" in warning for warning in state.warnings)


def test_plain_secret_warns_without_showing_it(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        f"""
        version: 1
        destinations:
          - name: a
            type: otel-collector
            config:
              endpoint: https://otel.example.com
              headers:
                Authorization: Bearer {SECRET}
        """,
    )
    state = load_config(path, {})
    assert only_destination(state).config["headers"] == {
        "Authorization": Secret(SecretOrigin.PLAIN, f"Bearer {SECRET}")
    }
    assert state.warnings == (
        f"{path}:8: destinations[0].config.headers.Authorization: "
        "secret written in plain text; use ${VAR}",
    )


# --- warnings ----------------------------------------------------------------------------------


def test_unknown_type_warns_and_keeps_config_as_written(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        version: 1
        destinations:
          - name: warehouse
            type: bigquery
            config:
              dataset: {project: p1, tables: [a, "${TABLE}"]}
              serviceAccountKey: ${SA_KEY}
              auth: {password: "${PW}"}
              batch_size: 10
        """,
    )
    environ = {"TABLE": "traces", "SA_KEY": "secret-json", "PW": "nested-secret"}
    state = load_config(path, environ)
    assert only_destination(state).config == {
        "dataset": {
            "project": "p1",
            "tables": ["a", Secret(SecretOrigin.ENV, "traces", ("TABLE",))],
        },
        "serviceAccountKey": Secret(SecretOrigin.ENV, "secret-json", ("SA_KEY",)),
        # A secret-looking key at any depth of an unknown type holds a secret.
        "auth": {"password": Secret(SecretOrigin.ENV, "nested-secret", ("PW",))},
        "batch_size": 10,
    }
    assert state.warnings == (
        f"{path}:4: destinations[0].type: unknown type 'bigquery': "
        "its config is kept as written and not checked",
    )


def test_unknown_type_close_to_a_known_one_suggests_it(tmp_path: Path) -> None:
    path = write(tmp_path, "version: 1\ndestinations:\n  - {name: a, type: langfuze}\n")
    state = load_config(path, {})
    assert state.warnings == (
        f"{path}:3: destinations[0].type: unknown type 'langfuze' (did you mean 'langfuse'?): "
        "its config is kept as written and not checked",
    )


def test_required_config_key_left_out_warns(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        version: 1
        destinations:
          - name: a
            type: langfuse
            config:
              publicKey: pk-l...AbCd
        """,
    )
    state = load_config(path, {})
    assert state.warnings == (
        f"{path}:5: destinations[0].config: config.secretKey is not declared: "
        "it is not compared, and apply will refuse to create this destination without it",
    )


def test_config_left_out_warns_for_each_required_key(tmp_path: Path) -> None:
    path = write(tmp_path, "version: 1\ndestinations:\n  - {name: a, type: opik}\n")
    warnings = load_config(path, {}).warnings
    assert [w.split(": ")[2] for w in warnings] == [
        "config.apiKey is not declared",
        "config.workspace is not declared",
        "config.projectName is not declared",
    ]
    assert all(w.startswith(f"{path}:3: destinations[0]: ") for w in warnings)


# --- errors in the content: file:line, path and problem ----------------------------------------

CONTENT_ERRORS = {
    "duplicate key": (
        """
        version: 1
        destinations:
          - name: a
            type: webhook
            name: b
        """,
        5,
        "destinations[0].name",
        "duplicate key 'name' (first at line 3)",
    ),
    "unknown key, close": (
        """
        version: 1
        destinations:
          - name: a
            type: webhook
            sampling_rat: 0.5
        """,
        5,
        "destinations[0].sampling_rat",
        "unknown key, did you mean 'sampling_rate'?",
    ),
    "unknown top-level key": (
        "version: 1\ndestinations: []\nworkspace: []\n",
        3,
        "workspace",
        "unknown key, did you mean 'workspaces'?",
    ),
    "unknown key in defaults": (
        "version: 1\ndefaults:\n  protect: true\ndestinations: []\n",
        3,
        "defaults.protect",
        "unknown key (expected one of: enabled, sampling_rate, privacy_mode, api_key_hashes, "
        "filter_rules, broadcast_generation_cost, broadcast_generation_identity, "
        "broadcast_generation_request_context, broadcast_generation_cost_allocation, regions)",
    ),
    "wrong type": (
        "version: 1\ndestinations:\n  - {name: a, type: webhook, enabled: 'yes'}\n",
        3,
        "destinations[0].enabled",
        "expected true or false, got a string",
    ),
    "sampling_rate 0": (
        "version: 1\ndestinations:\n  - name: a\n    type: webhook\n    sampling_rate: 0\n",
        5,
        "destinations[0].sampling_rate",
        "must be between 0.0001 and 1, got 0",
    ),
    "sampling_rate 1.5": (
        "version: 1\ndefaults:\n  sampling_rate: 1.5\ndestinations: []\n",
        3,
        "defaults.sampling_rate",
        "must be between 0.0001 and 1, got 1.5",
    ),
    "sampling_rate bool": (
        "version: 1\ndestinations:\n  - {name: a, type: webhook, sampling_rate: true}\n",
        3,
        "destinations[0].sampling_rate",
        "expected a number, got a boolean",
    ),
    "duplicate names": (
        """
        version: 1
        workspaces:
          - destinations:
              - name: same
                type: webhook
              - name: other
                type: webhook
              - name: same
                type: s3
        """,
        8,
        "workspaces[0].destinations[2].name",
        "duplicate name 'same' in this workspace (first at line 4)",
    ),
    "snake_case config key": (
        "version: 1\ndestinations:\n  - name: a\n    type: s3\n    config:\n      bucket_name: b\n",
        6,
        "destinations[0].config.bucket_name",
        "unknown config key for type 's3', did you mean 'bucketName'? (the API wants camelCase)",
    ),
    "config key, close": (
        "version: 1\ndestinations:\n  - {name: a, type: langfuse, config: {baseURL: x}}\n",
        3,
        "destinations[0].config.baseURL",
        "unknown config key for type 'langfuse', did you mean 'baseUrl'?",
    ),
    "config key, far": (
        "version: 1\ndestinations:\n  - {name: a, type: webhook, config: {zzz: x}}\n",
        3,
        "destinations[0].config.zzz",
        "unknown config key for type 'webhook' (expected one of: url, method, headers)",
    ),
    "config value a list": (
        "version: 1\ndestinations:\n  - {name: a, type: webhook, config: {url: [x]}}\n",
        3,
        "destinations[0].config.url",
        "expected a single value (text, number, true/false or null), got a list",
    ),
    "header value not text": (
        "version: 1\ndestinations:\n  - name: a\n    type: webhook\n    config:\n"
        "      headers: {X-Retries: 3}\n",
        6,
        "destinations[0].config.headers.X-Retries",
        "expected a string (a secret), got a number",
    ),
    "headers not a mapping": (
        "version: 1\ndestinations:\n  - {name: a, type: webhook, config: {headers: [x]}}\n",
        3,
        "destinations[0].config.headers",
        "expected a mapping, got a list",
    ),
    "two workspaces without id": (
        f"""
        version: 1
        workspaces:
          - destinations: []
          - id: {WORKSPACE}
            destinations: []
          - unmanaged: ignore
            destinations: []
        """,
        6,
        "workspaces[2]",
        "a second workspace entry without `id` (first at line 3): "
        "only one entry may stand for the key's default workspace",
    ),
    "neither uuid nor slug": (
        "version: 1\nworkspaces:\n  - id: Prod_EU\n    destinations: []\n",
        3,
        "workspaces[0].id",
        "expected a workspace UUID like 550e8400-e29b-41d4-a716-446655440000, "
        "or a slug (lower-case letters, digits and -), got 'Prod_EU'",
    ),
    "duplicate workspace id": (
        f"""
        version: 1
        workspaces:
          - id: {WORKSPACE}
            destinations: []
          - id: {OTHER_WORKSPACE}
            destinations: []
          - id: {WORKSPACE.upper()}
            destinations: []
        """,
        7,
        "workspaces[2].id",
        f"workspace {WORKSPACE.upper()!r} is declared twice (first at line 3)",
    ),
    "unmanaged mode": (
        "version: 1\nworkspaces:\n  - unmanaged: remove\n    destinations: []\n",
        3,
        "workspaces[0].unmanaged",
        "unknown unmanaged mode 'remove' (expected one of: report, ignore, delete)",
    ),
    "workspace without destinations": (
        f"version: 1\nworkspaces:\n  - id: {WORKSPACE}\n",
        3,
        "workspaces[0]",
        "missing required key 'destinations'",
    ),
    "destinations null": (
        "version: 1\ndestinations:\n",
        2,
        "destinations",
        "expected a list of destinations, got null (write [] for none)",
    ),
    "missing name": (
        "version: 1\ndestinations:\n  - type: webhook\n",
        3,
        "destinations[0]",
        "missing required key 'name'",
    ),
    "empty name": (
        "version: 1\ndestinations:\n  - {name: '  ', type: webhook}\n",
        3,
        "destinations[0].name",
        "expected a non-empty string",
    ),
    "filter rules without groups": (
        "version: 1\ndestinations:\n  - name: a\n    type: webhook\n"
        "    filter_rules: {enabled: false}\n",
        5,
        "destinations[0].filter_rules",
        "missing required key 'groups'",
    ),
    "filter value a boolean": (
        "version: 1\ndestinations:\n  - name: a\n    type: webhook\n    filter_rules:\n"
        "      groups: [{rules: [{field: model, operator: equals, value: true}]}]\n",
        6,
        "destinations[0].filter_rules.groups[0].rules[0].value",
        "expected a string or a number, got a boolean",
    ),
    "empty regions": (
        "version: 1\ndestinations:\n  - {name: a, type: webhook, regions: []}\n",
        3,
        "destinations[0].regions",
        "expected at least one region; leave `regions` out for the API default",
    ),
    "empty api_key_hashes": (
        "version: 1\ndestinations:\n  - {name: a, type: webhook, api_key_hashes: []}\n",
        3,
        "destinations[0].api_key_hashes",
        "expected null (every key) or a non-empty list; an empty list is refused",
    ),
    "ignore unknown field": (
        "version: 1\ndestinations:\n  - {name: a, type: webhook, ignore: [sampling]}\n",
        3,
        "destinations[0].ignore[0]",
        "cannot ignore 'sampling': unknown field, did you mean 'sampling_rate'?",
    ),
    "ignore unknown config key": (
        "version: 1\ndestinations:\n  - {name: a, type: webhook, ignore: [config.header]}\n",
        3,
        "destinations[0].ignore[0]",
        "cannot ignore 'config.header': unknown config key for type 'webhook', "
        "did you mean 'headers'?",
    ),
    "pinned id twice": (
        "version: 1\ndestinations:\n  - {name: a, type: webhook, id: d1}\n"
        "  - {name: b, type: webhook, id: d1}\n",
        4,
        "destinations[1].id",
        "id 'd1' is pinned twice (first at line 3)",
    ),
    "unset variable": (
        "version: 1\ndestinations:\n  - name: ${HOOK_TEAM}\n    type: webhook\n",
        3,
        "destinations[0].name",
        "environment variable HOOK_TEAM is not set",
    ),
    "reference never closed": (
        "version: 1\ndestinations:\n  - {name: '${TEAM', type: webhook}\n",
        3,
        "destinations[0].name",
        "'${' is never closed by '}' (write '$${' for a literal '${')",
    ),
    "empty reference": (
        "version: 1\ndestinations:\n  - {name: 'a ${}', type: webhook}\n",
        3,
        "destinations[0].name",
        "'${}' names no environment variable",
    ),
    "invalid variable name": (
        "version: 1\ndestinations:\n  - {name: '${1ST}', type: webhook}\n",
        3,
        "destinations[0].name",
        "'${...}' must hold an environment variable name "
        "(letters, digits and _, not starting with a digit)",
    ),
    "both forms": (
        "version: 1\nworkspaces: []\ndestinations: []\n",
        3,
        "destinations",
        "declare `workspaces` or `destinations`, not both "
        "(`destinations` is shorthand for one workspace entry without `id`)",
    ),
    "neither form": (
        "version: 1\ndefaults: {enabled: true}\n",
        1,
        "",
        "declare `workspaces` or `destinations` (or a `policy` to audit)",
    ),
    "top level not a mapping": (
        "- version: 1\n",
        1,
        "",
        "expected a mapping at the top level, got a list",
    ),
    "unknown version": (
        "destinations: []\nversion: 2\n",
        2,
        "version",
        "unsupported version 2: orsync reads version 1",
    ),
    "version as text": (
        "version: '1'\ndestinations: []\n",
        1,
        "version",
        "expected the number 1, got a string",
    ),
    "missing version": (
        "destinations: []\n",
        1,
        "",
        "missing key 'version' (write `version: 1`)",
    ),
    "YAML syntax": (
        "version: 1\ndestinations:\n  - name: a\n    type: [webhook\n",
        5,
        "",
        "invalid YAML: did not find expected ',' or ']' (while parsing a flow sequence at line 4)",
    ),
}


@pytest.mark.parametrize(
    ("text", "line", "path", "problem"), CONTENT_ERRORS.values(), ids=CONTENT_ERRORS
)
def test_content_error(tmp_path: Path, text: str, line: int, path: str, problem: str) -> None:
    error = load_error(tmp_path, text)
    assert (error.line, error.path, error.problem) == (line, path, problem)
    assert error.file == str(tmp_path / "orsync.yaml")


def test_error_renders_file_line_path_problem(tmp_path: Path) -> None:
    path = write(
        tmp_path, "version: 1\ndestinations:\n  - {name: a, type: webhook, sampling_rate: 0}\n"
    )
    with pytest.raises(ConfigError) as info:
        load_config(path, {})
    assert str(info.value) == (
        f"{path}:3: destinations[0].sampling_rate: must be between 0.0001 and 1, got 0"
    )


def test_unknown_key_with_no_close_match_lists_the_keys(tmp_path: Path) -> None:
    error = load_error(tmp_path, "version: 1\nworkspaces:\n  - zzz: 1\n    destinations: []\n")
    assert (error.line, error.path) == (3, "workspaces[0].zzz")
    assert error.problem == "unknown key (expected one of: id, unmanaged, destinations)"


# --- errors about the file itself --------------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    path = str(tmp_path / "nowhere.yaml")
    with pytest.raises(ConfigError) as info:
        load_config(path, {})
    assert str(info.value) == f"{path}: no such file"


def test_directory_is_not_a_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(str(tmp_path), {})
    assert str(info.value) == f"{tmp_path}: is a directory, not a file"


def test_unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, "version: 1\ndestinations: []\n")

    def refuse(self: Path) -> bytes:
        raise PermissionError(13, "Permission denied")

    # Permissions cannot be taken away from root, who may run these tests.
    monkeypatch.setattr(Path, "read_bytes", refuse)
    with pytest.raises(ConfigError) as info:
        load_config(path, {})
    assert str(info.value) == f"{path}: not readable (permission denied)"


@pytest.mark.parametrize("text", ["", "\n\n", "# nothing yet\n   # still nothing\n", "---\n"])
def test_empty_file(tmp_path: Path, text: str) -> None:
    path = tmp_path / "orsync.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(str(path), {})
    assert str(info.value) == f"{path}: the file is empty"


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "orsync.yaml"
    path.write_bytes(b"version: 1\ndestinations:\n  - name: caf\xe9\n")
    with pytest.raises(ConfigError) as info:
        load_config(str(path), {})
    assert str(info.value) == f"{path}:3: not UTF-8 text"


def test_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "orsync.yaml"
    path.write_bytes(b"\xef\xbb\xbfversion: 1\ndestinations: []\n")
    assert load_config(str(path), {}).workspaces[0].destinations == ()


# --- secrets never show ------------------------------------------------------------------------

SECRET_LEAKS = {
    "plain secret": f"config: {{apiKey: {SECRET}}}",
    "plain header": f"config: {{headers: {{Authorization: 'Bearer {SECRET}'}}}}",
    "secret as a variable name": f"config: {{apiKey: '${{{SECRET}}}'}}",
    "secret with an open reference": f"config: {{apiKey: '{SECRET}${{'}}",
    "secret in a list": f"config: {{apiKey: [{SECRET}]}}",
    "unknown type's secret": f"config: {{authToken: {SECRET}}}",
    "unterminated quote": f"config: {{apiKey: '{SECRET}",
}


@pytest.mark.parametrize("destination", SECRET_LEAKS.values(), ids=SECRET_LEAKS)
def test_no_message_shows_a_secret(tmp_path: Path, destination: str) -> None:
    type_name = "newtype" if "authToken" in destination else "posthog"
    text = f"version: 1\ndestinations:\n  - name: a\n    type: {type_name}\n    {destination}\n"
    try:
        messages = list(load(tmp_path, text).warnings)
    except ConfigError as error:
        messages = [str(error)]
    assert messages
    assert all(SECRET not in message for message in messages)


# --- lists the API keeps open, and the `eu` alias ---------------------------------------------


def test_region_eu_is_read_as_the_europe_the_api_stores(tmp_path: Path) -> None:
    state = load(
        tmp_path,
        """
        version: 1
        defaults: {regions: [eu]}
        destinations:
          - {name: a, type: webhook, config: {url: https://a.example}}
          - {name: b, type: webhook, config: {url: https://b.example}, regions: [us, eu]}
        """,
    )
    a, b = state.workspaces[0].destinations
    assert (a.fields["regions"], b.fields["regions"]) == (["europe"], ["us", "europe"])
    assert state.warnings == ()


OPEN_VALUES = {
    "region": (
        "regions: [global, mars]",
        "destinations[0].regions[1]",
        "unknown region 'mars': kept and sent as written",
    ),
    "region, close": (
        "regions: [Europe]",
        "destinations[0].regions[0]",
        "unknown region 'Europe' (did you mean 'europe'?): kept and sent as written",
    ),
    "filter field": (
        "filter_rules: {groups: [{rules: [{field: modle, operator: equals, value: x}]}]}",
        "destinations[0].filter_rules.groups[0].rules[0].field",
        "unknown filter field 'modle' (did you mean 'model'?): kept and sent as written",
    ),
    "filter operator": (
        "filter_rules: {groups: [{rules: [{field: model, operator: matches, value: x}]}]}",
        "destinations[0].filter_rules.groups[0].rules[0].operator",
        "unknown filter operator 'matches': kept and sent as written",
    ),
    "filter logic": (
        "filter_rules: {groups: [{logic: xor, rules: [{field: model, operator: exists}]}]}",
        "destinations[0].filter_rules.groups[0].logic",
        "unknown filter logic 'xor' (did you mean 'or'?): kept and sent as written",
    ),
}


@pytest.mark.parametrize(("line", "path", "warning"), OPEN_VALUES.values(), ids=OPEN_VALUES)
def test_unknown_value_of_an_open_list_warns_and_is_kept(
    tmp_path: Path, line: str, path: str, warning: str
) -> None:
    file = write(
        tmp_path,
        f"version: 1\ndestinations:\n  - name: a\n    type: otel-collector\n    {line}\n"
        "    config: {endpoint: https://otel.example}\n",
    )
    state = load_config(file, {})
    assert state.warnings == (f"{file}:5: {path}: {warning}",)
    fields = only_destination(state).fields
    unknown_word = warning.split("'")[1]
    assert unknown_word in repr(fields["regions" if "region" in path else "filter_rules"])


def test_open_list_value_of_the_wrong_kind_is_still_an_error(tmp_path: Path) -> None:
    error = load_error(
        tmp_path,
        "version: 1\ndestinations:\n  - name: a\n    type: webhook\n    filter_rules:\n"
        "      groups: [{rules: [{field: 3, operator: equals}]}]\n",
    )
    assert (error.line, error.path) == (6, "destinations[0].filter_rules.groups[0].rules[0].field")
    assert error.problem.startswith("expected one of: model, provider, ")
    assert error.problem.endswith("; got a number")


# --- secrets that can never match: empty ones ------------------------------------------------

EMPTY_SECRETS = {
    "variable set to nothing": (
        "config: {apiKey: '${KEY}'}",
        "destinations[0].config.apiKey",
        "environment variable KEY is empty: a secret cannot be empty",
    ),
    "variable set to blanks": (
        "config: {apiKey: '${BLANK}'}",
        "destinations[0].config.apiKey",
        "environment variable BLANK is empty: a secret cannot be empty",
    ),
    "empty part of a header": (
        "config: {headers: {Authorization: 'Bearer ${KEY}'}}",
        "destinations[0].config.headers.Authorization",
        "environment variable KEY is empty: a secret cannot be empty",
    ),
    "empty beside an unset one": (
        "config: {apiKey: '${UNSET}${KEY}'}",
        "destinations[0].config.apiKey",
        "environment variable KEY is empty: a secret cannot be empty",
    ),
    "unknown type's secret": (
        "config: {auth: {token: '${KEY}'}}",
        "destinations[0].config.auth.token",
        "environment variable KEY is empty: a secret cannot be empty",
    ),
    "written empty": (
        "config: {apiKey: ''}",
        "destinations[0].config.apiKey",
        "expected a secret, got an empty string",
    ),
}


@pytest.mark.parametrize(("line", "path", "problem"), EMPTY_SECRETS.values(), ids=EMPTY_SECRETS)
def test_empty_secret_is_an_error_naming_its_variable(
    tmp_path: Path, line: str, path: str, problem: str
) -> None:
    type_name = "newtype" if "auth" in line else "posthog"
    text = f"version: 1\ndestinations:\n  - name: a\n    type: {type_name}\n    {line}\n"
    error = load_error(tmp_path, text, {"KEY": "", "BLANK": "  \t"})
    assert (error.line, error.path, error.problem) == (5, path, problem)


def test_empty_variable_outside_a_secret_is_kept(tmp_path: Path) -> None:
    state = load(
        tmp_path,
        "version: 1\ndestinations:\n  - {name: 'hook${SUFFIX}', type: webhook}\n",
        {"SUFFIX": ""},
    )
    assert only_destination(state).name == "hook"


# --- numbers -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "rate"),
    [("1e-1", 0.1), ("1E-4", 0.0001), ("+5e-1", 0.5), ("'1e-1'", 0.1), ("0.5e0", 0.5)],
)
def test_sampling_rate_in_exponent_notation_is_a_number(
    tmp_path: Path, written: str, rate: float
) -> None:
    state = load(
        tmp_path,
        f"""
        version: 1
        defaults: {{sampling_rate: {written}}}
        destinations:
          - {{name: a, type: webhook}}
          - {{name: b, type: webhook, sampling_rate: {written}}}
        """,
    )
    a, b = state.workspaces[0].destinations
    assert a.fields["sampling_rate"] == b.fields["sampling_rate"] == rate


def test_exponent_notation_elsewhere_stays_text(tmp_path: Path) -> None:
    # A filter value or a config value may be text that looks like a number: kept as written.
    state = load(
        tmp_path,
        """
        version: 1
        destinations:
          - name: a
            type: newtype
            config: {build: 1e3}
            filter_rules:
              groups: [{rules: [{field: user_id, operator: equals, value: 1e-1}]}]
        """,
    )
    destination = only_destination(state)
    assert destination.config == {"build": "1e3"}
    rule = destination.fields["filter_rules"]["groups"][0]["rules"][0]
    assert rule["value"] == "1e-1"


def test_sampling_rate_text_that_is_no_number_is_an_error(tmp_path: Path) -> None:
    error = load_error(
        tmp_path, "version: 1\ndestinations:\n  - {name: a, type: webhook, sampling_rate: 1e}\n"
    )
    assert (error.line, error.problem) == (3, "expected a number, got a string")


HUGE = "9" * 400
TOO_LARGE = "infinite, or too large (beyond ±1.8e+308): it cannot be sent"
INEXACT_INTEGER = (
    "an integer beyond ±9007199254740992 (2^53) cannot be compared exactly once sent (the API "
    "may hold it as a 64-bit float): write a smaller number, or the number as a string"
)
NUMBER_PROBLEMS = {
    ".nan": "expected a number, got .nan (not a number)",
    ".inf": TOO_LARGE,
    "-.inf": TOO_LARGE,
    "1.0e+999": TOO_LARGE,
    HUGE: INEXACT_INTEGER,
    f"-{HUGE}": INEXACT_INTEGER,
    str(2**53 + 1): INEXACT_INTEGER,
    str(-(2**53 + 1)): INEXACT_INTEGER,
}
NUMBER_PLACES = {
    "sampling_rate": ("sampling_rate: {}", "destinations[0].sampling_rate"),
    "sampling_rate as text": ("sampling_rate: '{}'", "destinations[0].sampling_rate"),
    "filter value": (
        "filter_rules: {{groups: [{{rules: [{{field: total_cost, operator: gt, value: {}}}]}}]}}",
        "destinations[0].filter_rules.groups[0].rules[0].value",
    ),
    "known type's config": (
        "config: {{url: {}}}",
        "destinations[0].config.url",
    ),
    "unknown type's config": ("config: {{batch: [1, {}]}}", "destinations[0].config.batch[1]"),
}


def _as_text(number: str, problem: str) -> str | None:
    """The problem of `sampling_rate: '<number>'`, or None when there is none to test: in
    quotes, only digits read as a number (`.nan` stays text, refused as such), and as a float,
    so 400 digits are infinite and 2^53 + 1 is merely out of range."""
    if number.startswith(("-.", ".")):
        return None
    if problem == INEXACT_INTEGER:
        return TOO_LARGE if len(number) > 300 else None
    return problem


NUMBER_CASES = [
    pytest.param(number, expected, line, path, id=f"{place}, {number[:8]}")
    for number, problem in NUMBER_PROBLEMS.items()
    for place, (line, path) in NUMBER_PLACES.items()
    for expected in [_as_text(number, problem) if place.endswith("as text") else problem]
    if expected is not None
]


@pytest.mark.parametrize(("number", "problem", "line", "path"), NUMBER_CASES)
def test_number_that_cannot_be_sent_is_an_error(
    tmp_path: Path, number: str, problem: str, line: str, path: str
) -> None:
    type_name = "newtype" if "batch" in line else "webhook"
    declared = line.format(number)
    text = f"version: 1\ndestinations:\n  - name: a\n    type: {type_name}\n    {declared}\n"
    error = load_error(tmp_path, text)
    assert (error.line, error.path, error.problem) == (5, path, problem)
    assert HUGE not in str(error)


def test_largest_numbers_that_can_be_sent_are_kept(tmp_path: Path) -> None:
    # Integers up to 2^53 are exact as 64-bit floats; floats up to the largest one.
    state = load(
        tmp_path,
        f"version: 1\ndestinations:\n  - name: a\n    type: newtype\n"
        f"    config: {{n: [{2**53}, {-(2**53)}, 1.7e+308, -1.7e+308, 1.0e+300]}}\n",
    )
    assert only_destination(state).config == {"n": [2**53, -(2**53), 1.7e308, -1.7e308, 1e300]}


# --- values that cannot be sent: not UTF-8 -------------------------------------------------------

NOT_UTF8 = "sk-lf-HIDDENPART\udcffREST-OF-IT"
NOT_UTF8_PLACES = {
    "secret": ("config: {secretKey: '${VALUE}'}", "destinations[0].config.secretKey"),
    "header": ("config: {headers: {X-Key: 'k ${VALUE}'}}", "destinations[0].config.headers.X-Key"),
    "plain config value": ("config: {baseUrl: '${VALUE}'}", "destinations[0].config.baseUrl"),
    "name": ("{}", "destinations[0].name"),
}


@pytest.mark.parametrize(("line", "path"), NOT_UTF8_PLACES.values(), ids=NOT_UTF8_PLACES)
def test_variable_holding_bytes_that_are_not_utf8_is_an_error(
    tmp_path: Path, line: str, path: str
) -> None:
    name = "${VALUE}" if path.endswith("name") else "a"
    config = "" if path.endswith("name") else line
    text = f"version: 1\ndestinations:\n  - name: '{name}'\n    type: langfuse\n    {config}\n"
    error = load_error(tmp_path, text, {"VALUE": NOT_UTF8})
    expected_line = 3 if path.endswith("name") else 5
    assert (error.line, error.path) == (expected_line, path)
    assert error.problem == "environment variable VALUE holds bytes that are not UTF-8 text"
    assert "HIDDEN" not in str(error)


# --- values from ${VAR} are never quoted ---------------------------------------------------------

HIDDEN = "sk-or-hidden-value-0123456789"
QUOTING_PLACES = {
    "unmanaged": (
        "workspaces:\n  - unmanaged: '${V}'\n    destinations: []\n",
        3,
        "workspaces[0].unmanaged",
        "unknown unmanaged mode '${V}' (value not shown) (expected one of: report, ignore, delete)",
    ),
    "workspace id": (
        "workspaces:\n  - id: 'ws_${V}'\n    destinations: []\n",
        3,
        "workspaces[0].id",
        "expected a workspace UUID like 550e8400-e29b-41d4-a716-446655440000, "
        "or a slug (lower-case letters, digits and -), got 'ws_${V}' (value not shown)",
    ),
    "ignore": (
        "destinations:\n  - {name: a, type: webhook, ignore: ['${V}']}\n",
        3,
        "destinations[0].ignore[0]",
        "cannot ignore '${V}' (value not shown): unknown field (expected one of: name, ",
    ),
    "region": (
        "destinations:\n  - {name: a, type: otel-collector, regions: ['${V}'],\n"
        "     config: {endpoint: https://otel.example}}\n",
        3,
        "destinations[0].regions[0]",
        "unknown region '${V}' (value not shown): kept and sent as written",
    ),
    "filter field": (
        "destinations:\n  - name: a\n    type: otel-collector\n"
        "    config: {endpoint: https://otel.example}\n"
        "    filter_rules: {groups: [{rules: [{field: '${V}', operator: exists}]}]}\n",
        6,
        "destinations[0].filter_rules.groups[0].rules[0].field",
        "unknown filter field '${V}' (value not shown): kept and sent as written",
    ),
    "type": (
        "destinations:\n  - {name: a, type: '${V}'}\n",
        3,
        "destinations[0].type",
        "unknown type '${V}' (value not shown): its config is kept as written and not checked",
    ),
}


@pytest.mark.parametrize(
    ("text", "line", "path", "message"), QUOTING_PLACES.values(), ids=QUOTING_PLACES
)
def test_value_from_a_variable_is_named_never_quoted(
    tmp_path: Path, text: str, line: int, path: str, message: str
) -> None:
    file = write(tmp_path, "version: 1\n" + text)
    try:
        messages = list(load_config(file, {"V": HIDDEN}).warnings)
    except ConfigError as error:
        messages = [str(error)]
    [shown] = messages
    assert shown.startswith(f"{file}:{line}: {path}: {message}")
    assert HIDDEN not in shown
    assert "hidden" not in shown


def test_type_from_a_variable_is_not_quoted_in_other_messages(tmp_path: Path) -> None:
    text = """
        version: 1
        destinations:
          - name: a
            type: ${T}
            config: {hidden: x}
            ignore: [config.hidden]
        """
    error = load_error(tmp_path, text, {"T": "webhook"})
    assert error.problem == (
        "unknown config key for type '${T}' (value not shown) "
        "(expected one of: url, method, headers)"
    )
    error = load_error(tmp_path, text.replace("config: {hidden: x}", ""), {"T": "webhook"})
    assert error.problem.startswith(
        "cannot ignore 'config.hidden': unknown config key for type '${T}' (value not shown)"
    )


def test_duplicates_from_variables_are_named_never_quoted(tmp_path: Path) -> None:
    environ = {"N": HIDDEN, "W": WORKSPACE}
    cases = [
        (
            "destinations:\n  - {name: '${N}', type: webhook}\n  - {name: '${N}', type: s3}\n",
            "duplicate name '${N}' (value not shown) in this workspace (first at line 3)",
        ),
        (
            "destinations:\n  - {name: a, type: webhook, id: '${N}'}\n"
            "  - {name: b, type: webhook, id: '${N}'}\n",
            "id '${N}' (value not shown) is pinned twice (first at line 3)",
        ),
        (
            f"workspaces:\n  - id: {WORKSPACE}\n    destinations: []\n"
            "  - id: '${W}'\n    destinations: []\n",
            "workspace '${W}' (value not shown) is declared twice (first at line 3)",
        ),
    ]
    for text, problem in cases:
        error = load_error(tmp_path, "version: 1\n" + text, environ)
        assert (error.line, error.problem) == (4 if "id: '${W}'" not in text else 5, problem)
        assert HIDDEN not in str(error)


# --- config keys whose values the API keeps closed ----------------------------------------------

CLOSED_VALUES = {
    "webhook method": (
        "webhook",
        "{url: https://hooks.example.com, method: PATCH}",
        "method",
        "unknown webhook method 'PATCH' (expected one of: POST, PUT)",
    ),
    "webhook method, case": (
        "webhook",
        "{url: https://hooks.example.com, method: post}",
        "method",
        "unknown webhook method 'post', did you mean 'POST'?",
    ),
    "newrelic region": (
        "newrelic",
        "{licenseKey: '${K}', region: EU}",
        "region",
        "unknown newrelic region 'EU', did you mean 'eu'?",
    ),
    "s3 authMode": (
        "s3",
        "{bucketName: b, authMode: iam-role}",
        "authMode",
        "unknown s3 authMode 'iam-role', did you mean 'iam_role'?",
    ),
    "s3 provider": (
        "s3",
        "{bucketName: b, provider: azure}",
        "provider",
        "unknown s3 provider 'azure' (expected one of: aws, cloudflare_r2, gcs, other)",
    ),
    "not text": (
        "webhook",
        "{url: https://hooks.example.com, method: 5}",
        "method",
        "expected one of: POST, PUT; got a number",
    ),
    "from a variable": (
        "webhook",
        "{url: https://hooks.example.com, method: '${M}'}",
        "method",
        "unknown webhook method '${M}' (value not shown) (expected one of: POST, PUT)",
    ),
}


@pytest.mark.parametrize(
    ("kind", "config", "key", "problem"), CLOSED_VALUES.values(), ids=CLOSED_VALUES
)
def test_typo_in_a_closed_list_is_an_error_with_a_hint(
    tmp_path: Path, kind: str, config: str, key: str, problem: str
) -> None:
    text = f"version: 1\ndestinations:\n  - name: a\n    type: {kind}\n    config: {config}\n"
    error = load_error(tmp_path, text, {"M": "PATCH"})
    assert (error.line, error.path) == (5, f"destinations[0].config.{key}")
    assert error.problem == problem


def test_closed_list_values_are_accepted_and_kept(tmp_path: Path) -> None:
    state = load(
        tmp_path,
        """
        version: 1
        destinations:
          - {name: a, type: webhook, config: {url: https://a.example, method: PUT}}
          - {name: b, type: newrelic, config: {licenseKey: '${K}', region: eu}}
          - name: c
            type: s3
            config: {bucketName: b, authMode: iam_role, provider: cloudflare_r2}
          - {name: d, type: webhook, config: {url: https://d.example, method: '${UNSET}'}}
          - {name: e, type: webhook, config: {url: https://e.example, method: '${M}'}}
        """,
        {"M": "POST"},
    )
    a, b, c, d, e = state.workspaces[0].destinations
    assert a.config["method"] == "PUT"
    assert b.config["region"] == "eu"
    assert (c.config["authMode"], c.config["provider"]) == ("iam_role", "cloudflare_r2")
    # From a variable: kept as a secret, as every config value from the environment is.
    assert d.config["method"] == Secret(SecretOrigin.ENV, None, ("UNSET",))
    assert e.config["method"] == Secret(SecretOrigin.ENV, "POST", ("M",))
    assert state.warnings == ()
