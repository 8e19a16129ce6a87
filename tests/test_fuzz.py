"""Property-based fuzzing: whatever the config file, the API or the live state hold, orsync
answers with an OrsyncError (a clean message and exit code) or a result, and never shows a
secret.

Seeded and small by default (the "ci" profile of conftest.py); `HYPOTHESIS_PROFILE=release`
searches far wider. Secrets are made distinctive (a marker and letters that are no hex digits,
so no id or hash can hold a piece of one) and are looked for in every output, whole, escaped
and by every piece of 8 characters.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from builders import live_item
from conftest import Orsync
from fake_api import DEFAULT_WORKSPACE_ID, MANAGEMENT_KEY, FakeApi
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from orsync import defaults, masking
from orsync import destination_types as types
from orsync.api import ApiClient, RetryPolicy
from orsync.config import load_config_text
from orsync.diff import plan_changes
from orsync.errors import (
    ApiError,
    ConfigError,
    OrsyncError,
    PlanFileError,
    SnapshotError,
    StalePlanError,
)
from orsync.live import parse_workspace, read_live
from orsync.model import DesiredState, LiveState
from orsync.plan import Action, Plan
from orsync.planfile import check_fresh, read_plan_file, write_plan_file
from orsync.render import FORMATS, render_plan
from orsync.request_bodies import create_body, update_body
from orsync.safety import check_feasible, safety_problem
from orsync.sensitive import is_secret_path, secrets_in
from orsync.snapshot import read_snapshot, snapshot_document, write_snapshot

ROOT = Path(__file__).resolve().parent.parent
SLOW_DATA = [HealthCheck.too_slow, HealthCheck.data_too_large]

# Letters only, and none a hex digit: a window of a secret can never be part of a uuid.
_SECRET_LETTERS = "ghijkmnpqrstuvwxyzGHJKLMNPQRSTUVWXYZ"


def distinctive(kind: str, seed: int) -> str:
    """A secret no output could hold by chance: `zzLIVE` plus 16 letters derived from `seed`."""
    digest = hashlib.sha256(f"{kind}:{seed}".encode()).digest()
    letters = "".join(_SECRET_LETTERS[b % len(_SECRET_LETTERS)] for b in digest[:16])
    return f"zz{kind}{letters}"


def stable(label: str) -> int:
    """A number derived from `label`, the same in every run (unlike `hash`)."""
    return int.from_bytes(hashlib.sha256(label.encode()).digest()[:4], "big")


def deep(depth: int, leaf: str = "0") -> str:
    """JSON (and YAML flow) text nested `depth` levels: `[[[0]]]`."""
    return "[" * depth + leaf + "]" * depth


# Config files: mutated from valid ones -------------------------------------------------------

VARIABLES = ("A", "B", "SECRET_1", "SECRET_2", "LANGFUSE_PUBLIC_KEY", "CLICKHOUSE_PASSWORD")
# The values of these are secrets: never shown in a message or a warning.
SECRET_ENV = {name: distinctive("ENV", index) for index, name in enumerate(VARIABLES)}

BUILT_CONFIG = """\
version: 1
defaults: &defaults
  enabled: true
  sampling_rate: 0.5
  regions: [eu, us]
workspaces:
  - id: 550E8400-e29b-41d4-a716-446655440000
    unmanaged: delete
    destinations:
      - name: Hook
        type: webhook
        id: 11111111-1111-4111-8111-111111111111
        api_key_hashes: [h1, h2]
        ignore: [config.headers]
        protect: true
        filter_rules:
          enabled: true
          groups:
            - logic: or
              rules:
                - {field: model, operator: starts_with, value: openai/}
                - {field: total_cost, operator: gt, value: 1e-4}
                - {field: user_id, operator: exists}
        config:
          url: https://bot:${SECRET_1}@hooks.example.com/in?token=${SECRET_2}
          method: PUT
          headers:
            Authorization: Bearer ${A}
            X-Pin: sk-l...AbCd
  - unmanaged: report
    destinations:
      - name: Archive
        type: s3
        <<: *defaults
        config:
          bucketName: traces
          accessKeyId: ${A}
          secretAccessKey: ${B}
          sessionToken: plain-text-token-value
          prefix: openrouter-traces
      - name: New kind
        type: brand-new-type
        config:
          nested: {apiToken: "${SECRET_1}", list: [1, {password: "$${literal}"}]}
      - name: Warehouse
        type: clickhouse
        broadcast_generation_cost: true
        config:
          host: https://CH.example.com/
          database: llm
          username: bot
          password: ${CLICKHOUSE_PASSWORD}
"""

SEED_CONFIGS = ((ROOT / "examples" / "orsync.yaml").read_text(encoding="utf-8"), BUILT_CONFIG)

SPECIAL_SCALARS = (
    "9" * 400,
    "-" + "9" * 5000,
    "1e999",
    "-1.0e+999",
    ".nan",
    ".inf",
    "-.inf",
    "0x1F",
    "0o17",
    "1_000",
    "1e-4",
    "~",
    "null",
    "true",
    "[]",
    "{}",
    "''",
    '"\\udcff"',
    '"\\ud800x"',
    "!!binary aGVsbG8=",
    "!!python/object:os.system",
    "!!set {a}",
    "!!timestamp 2024-01-01",
    "!!int abc",
    "!!float x",
    "!Ref thing",
    "2024-01-01",
    "&anchor [1, 2]",
    "*anchor",
    "*nowhere",
    "${A}",
    "${SECRET_1}${SECRET_2}",
    "${UNSET_VARIABLE}",
    "https://u:${SECRET_1}@host.example/p",
    "${",
    "${}",
    "${1BAD}",
    "$${A}",
    "${A",
    "'unterminated",
    "|\n  block text",
    "? complex",
    "[a, [b, [c]]]",
    "{a: {b: {c: d}}}",
    "- - -",
    "sk-l...AbCd",
    "********",
    "https://bot:****@hooks.example.com/…",
    "\t",
    "é\u202e\u0000\x85",
    deep(50),
    deep(999),
    "{a: " * 300 + "x" + "}" * 300,
)

scalar_texts = st.one_of(
    st.sampled_from(SPECIAL_SCALARS),
    st.integers().map(str),
    st.floats().map(str),
    st.text(max_size=12).map(lambda text: json.dumps(text)),
    st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\r"), max_size=12),
)


@st.composite
def mutated_config(draw: st.DrawFn) -> str:
    """A valid config with a few lines deleted, doubled, moved, re-indented or rewritten."""
    lines = draw(st.sampled_from(SEED_CONFIGS)).splitlines()
    for _ in range(draw(st.integers(1, 6))):
        if not lines:
            break
        at = draw(st.integers(0, len(lines) - 1))
        operation = draw(st.sampled_from(("delete", "double", "indent", "value", "insert", "swap")))
        if operation == "delete":
            del lines[at]
        elif operation == "double":
            lines.insert(at, lines[at])
        elif operation == "indent":
            shift = draw(st.integers(-4, 4))
            lines[at] = " " * max(0, shift) + lines[at][max(0, -shift) :]
        elif operation == "value":
            lines[at] = _with_value(lines[at], draw(scalar_texts))
        elif operation == "insert":
            indent = " " * draw(st.integers(0, 10))
            key = draw(st.sampled_from(("name", "type", "config", "id", "x", "<<", "- name")))
            lines.insert(at, f"{indent}{key}: {draw(scalar_texts)}")
        else:
            other = draw(st.integers(0, len(lines) - 1))
            lines[at], lines[other] = lines[other], lines[at]
    return "\n".join(lines) + "\n"


def _with_value(line: str, value: str) -> str:
    """The line with its value (after `key:` or `- `) replaced; else the value appended."""
    key, colon, _ = line.partition(": ")
    if colon:
        return f"{key}: {value}"
    stripped = line.lstrip()
    if stripped.startswith("- "):
        return line[: len(line) - len(stripped)] + "- " + value
    return f"{line} {value}"


env_values = st.one_of(
    st.sampled_from(list(SECRET_ENV.values())),
    st.sampled_from(("", "   ", "sk-l...AbCd", "********", "x\udcffy", "\udc80", "${A}", "1e999")),
    # An environment cannot hold a NUL.
    st.text(alphabet=st.characters(exclude_characters="\x00"), max_size=10),
)
environments = st.dictionaries(st.sampled_from(VARIABLES), env_values, max_size=len(VARIABLES))


def load_or_refuse(text: str, environ: Mapping[str, str]) -> DesiredState | None:
    """The loaded config, or None for a ConfigError that names the file and shows no secret."""
    try:
        desired = load_config_text(text, "fuzz.yaml", environ)
    except OrsyncError as exc:
        assert isinstance(exc, ConfigError), f"{type(exc).__name__} from the config loader"
        assert str(exc).startswith("fuzz.yaml"), "a config error names its file first"
        assert_hides_environment(str(exc), environ, "the error")
        return None
    for warning in desired.warnings:
        assert_hides_environment(warning, environ, "a warning")
    return desired


def assert_hides_environment(message: str, environ: Mapping[str, str], where: str) -> None:
    """Messages name a value from the environment by its variable, never by its value."""
    for name, value in environ.items():
        if value in SECRET_ENV.values():
            assert value not in message, f"${{{name}}}'s value is shown in {where}"


@given(mutated_config(), environments)
@settings(suppress_health_check=SLOW_DATA)
@example(f"version: 1\ndestinations: {deep(999)}\n", {})
@example(
    "version: 1\ndestinations:\n  - name: x\n    type: webhook\n    config: {url: '\\udcff'}\n", {}
)
@example("version: 1\ndestinations:\n  - {name: '${A}', type: '${A}', regions: ['${B}']}\n",
         {"A": SECRET_ENV["A"], "B": SECRET_ENV["B"]})  # fmt: skip
def test_mutated_configs_load_or_fail_cleanly(text: str, environ: dict[str, str]) -> None:
    desired = load_or_refuse(text, environ)
    if desired is not None:
        plan_everything(desired, LiveState(tuple(_empty_workspaces(desired))))


def _empty_workspaces(desired: DesiredState) -> Iterator[Any]:
    for workspace_id in desired.live_workspace_ids():
        yield parse_workspace(workspace_id, [])


# Config files: generated documents ----------------------------------------------------------

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=10**300, max_value=10**310),
    st.floats(),
    st.text(max_size=10),
    st.sampled_from(("${A}", "${SECRET_1}", "eu", "webhook", "https://x.example/", "sk-l...AbCd")),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


def known_or(keys: tuple[str, ...]) -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(keys), st.text(max_size=8))


def loose_mapping(keys: tuple[str, ...], values: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.dictionaries(known_or(keys), values, max_size=len(keys) + 1)


destination_keys = ("name", "type", "id", *types.FIELD_DEFAULTS, "regions", "config", "ignore")
all_config_keys = tuple(sorted({k for t in types.TYPES.values() for k in t.keys} | {"headers"}))
documents = st.fixed_dictionaries(
    {"version": st.sampled_from((1, 1, 1, 2, "1", 1.0, None, True))},
    optional={
        "defaults": loose_mapping(tuple(types.FIELD_DEFAULTS), json_values),
        "destinations": st.lists(
            st.fixed_dictionaries(
                {
                    "name": st.text(max_size=6) | json_values,
                    "type": st.sampled_from((*types.TYPES, "new-type")) | json_values,
                },
                optional={
                    "config": loose_mapping(all_config_keys, json_values),
                    **{k: json_values for k in destination_keys[2:] if k != "config"},
                },
            ),
            max_size=4,
        ),
    },
)


@given(documents, environments)
@settings(suppress_health_check=SLOW_DATA)
def test_generated_documents_load_or_fail_cleanly(document: Any, environ: dict[str, str]) -> None:
    text = yaml.safe_dump(document, allow_unicode=True)
    desired = load_or_refuse(text, environ)
    if desired is not None:
        plan_everything(desired, LiveState(tuple(_empty_workspaces(desired))))


# API answers: items, and whole bodies through the client -------------------------------------

FIELD_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "id": st.uuids().map(str),
    "workspace_id": st.just(DEFAULT_WORKSPACE_ID),
    "name": st.text(max_size=8),
    "type": st.sampled_from((*types.TYPES, "new-type")),
    "enabled": st.booleans(),
    "privacy_mode": st.booleans(),
    "sampling_rate": st.floats(0.0001, 1),
    "api_key_hashes": st.none() | st.lists(st.text(max_size=6), min_size=1, max_size=3),
    "filter_rules": st.none()
    | st.just({"groups": [{"rules": [{"field": "model", "operator": "exists"}]}]}),
    "regions": st.lists(st.sampled_from(types.REGIONS), min_size=1, max_size=3),
    "config": st.dictionaries(st.sampled_from(all_config_keys), json_values, max_size=4),
    **{flag: st.booleans() for flag in types.BROADCAST_FLAGS},
}
odd_values = st.one_of(
    json_values,
    st.sampled_from((float("nan"), float("inf"), -float("inf"), 10**400, [["id"]], {"id": "x"})),
    st.integers(1, 80).map(lambda depth: json.loads(deep(depth))),
)
raw_items = st.fixed_dictionaries(
    {},
    optional={name: values | odd_values for name, values in FIELD_VALUES.items()},
)


def list_of(item: str) -> str:
    """A list answer, as JSON text, holding one item given as JSON text."""
    return '{"data": [' + item + '], "total_count": 1}'


def deep_item(depth: int) -> str:
    """A valid item, as JSON text, whose config holds a value nested `depth` levels."""
    item = {
        "id": "x",
        "type": "webhook",
        "enabled": True,
        "sampling_rate": 1,
        "privacy_mode": False,
        "config": {"url": "https://h/"},
    }
    return json.dumps(item).replace('"https://h/"', deep(depth))


# Items as the API sends them, as JSON text: as deep as a JSON reader goes, and never deeper
# than the test's own stack can show in a report.
item_texts = st.one_of(
    (raw_items | odd_values).map(json.dumps),
    st.integers(1, 900).map(deep_item),
)


@given(st.lists(item_texts, max_size=4))
@settings(suppress_health_check=SLOW_DATA)
@example([deep_item(900)])
@example([deep_item(defaults.MAX_NESTING - 3)])
def test_random_items_parse_or_fail_with_api_error(texts: list[str]) -> None:
    items = json.loads("[" + ", ".join(texts) + "]")
    try:
        workspace = parse_workspace(None, items)
    except ApiError as exc:
        assert str(exc).startswith("unexpected API answer: ")
        return
    # Whatever parses must plan, render, snapshot and read back.
    live = LiveState((workspace,))
    desired = load_config_text("version: 1\ndestinations: []\n", "fuzz.yaml", {})
    plan_everything(desired, live)


list_bodies = st.fixed_dictionaries(
    {
        "data": st.lists(raw_items | odd_values, max_size=3) | odd_values,
        "total_count": st.sampled_from((0, 1, 2, 3, 250, -1, 10**400, 1.5, True, "2", None)),
    }
)
bodies = st.one_of(
    list_bodies.map(json.dumps),
    json_values.map(json.dumps),
    st.sampled_from(
        (
            "",
            "null",
            "{",
            deep(5000),
            deep(900),
            list_of(deep_item(900)),
            "9" * 5000,
            "<html>502</html>",
            '{"data": NaN}',
        )
    ),
    st.text(max_size=30),
)
answers = st.tuples(
    st.sampled_from((200, 200, 200, 201, 204, 301, 400, 401, 403, 404, 429, 500, 502)),
    bodies,
    st.sampled_from(("application/json", "text/html", "")),
)
NO_WAIT = RetryPolicy(attempts=2, base_delay=0.0, max_delay=0.0)


def test_random_list_answers_through_the_client_raise_only_orsync_errors() -> None:
    with FakeApi() as fake, ApiClient(fake.base_url, MANAGEMENT_KEY, retry=NO_WAIT) as client:

        @given(st.lists(answers, min_size=1, max_size=4), st.booleans())
        @settings(suppress_health_check=SLOW_DATA)
        @example(
            [(200, json.dumps({"data": [{"id": [1]}, {"id": [1]}], "total_count": 2}), "")], False
        )
        @example([(200, json.dumps({"data": [{"id": "a"}], "total_count": 10**400}), "")], False)
        @example([(200, deep(5000), "application/json")], False)
        @example([(500, '{"error": ' + deep(5000) + "}", "application/json")], False)
        def check(pages: list[tuple[int, str, str]], other_workspace: bool) -> None:
            fake.reset_faults()
            for status, body, content_type in pages:
                fake.fail(method="GET", status=status, body=body, content_type=content_type)
            workspaces = [None, DEFAULT_WORKSPACE_ID] if other_workspace else [None]
            try:
                live = read_live(client, workspaces)
            except OrsyncError as exc:
                assert isinstance(exc, ApiError), f"{type(exc).__name__} from reading live"
                assert MANAGEMENT_KEY not in str(exc)
            else:
                assert len(live.workspaces) == len(workspaces)

        check()
    assert fake.server_errors == []


@given(bodies)
@settings(suppress_health_check=SLOW_DATA)
@example(
    '{"orsync_snapshot": 1, "workspaces": [{"workspace_id": null, "data": ['
    + deep_item(900)
    + "]}]}"
)
@example(list_of(deep_item(900)))
@example("9" * 5000)
def test_random_snapshot_files_read_or_fail_cleanly(text: str) -> None:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory, "live.json")
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        try:
            live = read_snapshot(str(path), [None])
        except SnapshotError as exc:
            assert str(exc).startswith(str(path)), "a snapshot error names its file first"
        else:
            assert [w.id for w in live.workspaces] == [None]


plan_documents = st.fixed_dictionaries(
    {"orsync_plan": st.sampled_from((1, 1, 2, "1", None))},
    optional={
        "workspaces": st.lists(json_values, max_size=2) | json_values,
        "config_path": st.sampled_from(("orsync.yaml", "missing.yaml")) | json_values,
        "config_abspath": json_values,
        "config_sha256": json_values,
        "live_fingerprint": json_values,
        "plan": st.fixed_dictionaries({}, optional={"changes": json_values}) | json_values,
    },
)


@given(plan_documents.map(json.dumps) | bodies)
@settings(suppress_health_check=SLOW_DATA)
@example("9" * 5000)
@example(deep(5000))
def test_random_plan_files_are_refused_cleanly(text: str) -> None:
    with tempfile.TemporaryDirectory() as directory:
        path, config = Path(directory, "saved.plan"), Path(directory, "orsync.yaml")
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        config.write_text("version: 1\ndestinations: []\n", encoding="utf-8")
        desired = load_config_text(config.read_text(), str(config), {})
        current = plan_changes(desired, LiveState((parse_workspace(None, []),)))
        try:
            check_fresh(read_plan_file(str(path)), str(path), current)
        except (PlanFileError, StalePlanError) as exc:
            assert str(path) in str(exc), "a plan file error names the file"


# Plans of random configs against random live states ----------------------------------------


@dataclass
class Scenario:
    """A config and environment, the live items they meet, and every secret involved."""

    config: str
    environ: dict[str, str]
    items: list[dict[str, Any]]
    secrets: dict[str, str] = field(default_factory=dict)  # secret -> what it is, for messages
    live_secrets: set[str] = field(default_factory=set)


NAMES = ("alpha", "beta", "gamma", "delta")
# Characters that end a part of a URL, escape, quote, or look like a mask: in a secret, each
# is a chance for a display to cut it at the wrong place or to spell it otherwise.
infixes = st.sampled_from(
    ("", "", "/", "@", ":", "?", "#", "%", "...", "***", " ", '"', "\\", "|", "`", "é", "\t", "\n")
)


# Where a URL carries a secret; the API returns URLs in clear.
URL_FORMS = st.sampled_from(
    (
        "https://bot:{}@hooks.example.com/in",
        "https://{}@hooks.example.com/in",
        "https://hooks.example.com/in?token={}",
        "https://hooks.example.com/in#access_token={}",
    )
)


def url_carrying(written: str, form: str, value: str) -> str:
    """The URL of `form` holding a secret as written (`${VAR}`, or in clear) of value `value`."""
    if form.startswith("https://{}@") and ":" in value:
        # In `https://tok:en@host` the part before `:` is a user name, shown by design.
        form = "https://bot:{}@hooks.example.com/in"
    return form.format(written)


def with_infix(secret: str, infix: str) -> str:
    return secret[:10] + infix + secret[10:]


UNKNOWN_TYPE = "brand-new-type"


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    """Declared destinations of every type with secrets from `${VAR}`, pins and plain text;
    live ones of the same names (or not), of the same type (or not), their secrets the same
    (or not), masked as the API masks them, or in clear where it does not."""
    seed = draw(st.integers(0, 2**32))
    scenario = Scenario("", {}, [])
    type_names = st.sampled_from((*types.TYPES, UNKNOWN_TYPE))
    declared: list[dict[str, Any]] = []
    for index, name in enumerate(draw(st.lists(st.sampled_from(NAMES), unique=True))):
        label = f"{seed}-d{index}"
        entry, known = _declared(draw, scenario, label, draw(type_names), name)
        declared.append(entry)
        twin = draw(st.sampled_from(("none", "same type", "same type", "other type")))
        if twin != "none":
            type_name = entry["type"] if twin == "same type" else draw(type_names)
            scenario.items.append(_live(draw, scenario, f"{label}-twin", type_name, name, known))
    for index in range(draw(st.integers(0, 2))):
        name = draw(st.sampled_from((*NAMES, "stray")))
        scenario.items.append(_live(draw, scenario, f"{seed}-l{index}", draw(type_names), name, {}))
    pinned = [item["id"] for item in scenario.items]
    for entry in declared:
        if pinned and draw(st.integers(0, 3)) == 0:
            # Each live id may be pinned once.
            entry["id"] = pinned.pop(draw(st.integers(0, len(pinned) - 1)))
    policy = draw(st.sampled_from(("report", "ignore", "delete")))
    document = {"version": 1, "workspaces": [{"unmanaged": policy, "destinations": declared}]}
    scenario.config = yaml.safe_dump(document, sort_keys=False)
    return scenario


def _secret(
    draw: st.DrawFn, scenario: Scenario, label: str, key: str, known: dict[str, str]
) -> str:
    """The secret at `key` as the config writes it: `${VAR}` (set or not), a pin, or in plain
    text; its clear value, when the config has it, goes into `known[key]`."""
    form = draw(st.sampled_from(("env", "env", "unset", "pin", "plain")))
    value = with_infix(distinctive("CONF", stable(f"{label}-{key}")), draw(infixes))
    if form == "pin":
        return f"{value[:4]}...{value[-4:]}"
    if form == "plain":
        scenario.secrets[value] = f"config {key} of {label} (plain text)"
        known[key] = value
        return value
    variable = f"V_{stable(f'{label}-{key}')}"
    if form == "env":
        scenario.environ[variable] = value
        scenario.secrets[value] = f"config {key} of {label} (${{{variable}}})"
        known[key] = value
    return f"${{{variable}}}"


def _declared(
    draw: st.DrawFn, scenario: Scenario, label: str, type_name: str, name: str
) -> tuple[dict[str, Any], dict[str, str]]:
    """A destination of the config, and its secrets in clear by key (`headers`, `url`...)."""
    entry: dict[str, Any] = {"name": name, "type": type_name}
    for key, values in _TOP_FIELDS.items():
        if draw(st.booleans()):
            entry[key] = draw(values)
    known: dict[str, str] = {}
    config: dict[str, Any] = {}
    for key, spec in _keys_of(type_name).items():
        if spec.secret:
            config[key] = _secret(draw, scenario, label, key, known)
        elif spec.required or draw(st.booleans()):
            config[key] = _plain_value(type_name, key, spec)
    if draw(st.booleans()):
        config["headers"] = {"Authorization": _secret(draw, scenario, label, "headers", known)}
    if "url" in config and draw(st.booleans()):
        written = _secret(draw, scenario, label, "url", known)
        config["url"] = url_carrying(written, draw(URL_FORMS), known.get("url", written))
    if type_name == UNKNOWN_TYPE:
        token = _secret(draw, scenario, label, "nested", known)
        config["nested"] = {"apiToken": token, "list": [{"password": token}]}
    entry["config"] = config
    return entry, known


def _live(
    draw: st.DrawFn,
    scenario: Scenario,
    label: str,
    type_name: str,
    name: str,
    known: Mapping[str, str],
) -> dict[str, Any]:
    """A live item; where `known` has the config's secret for a key, it may hold the same."""
    ident = hashlib.md5(label.encode()).hexdigest()
    item = live_item(name, type_name, {}, ident=ident, workspace_id=DEFAULT_WORKSPACE_ID)
    for key, values in _TOP_FIELDS.items():
        if draw(st.booleans()):
            item[key] = draw(values)

    def secret(key: str, *, clear: bool = False) -> str:
        same = known.get(key) if draw(st.booleans()) else None
        return _live_secret(draw, scenario, f"{label}-{key}", same, clear=clear)

    config: dict[str, Any] = {}
    for key, spec in _keys_of(type_name).items():
        if spec.secret:
            config[key] = secret(key)
        elif spec.required or draw(st.booleans()):
            config[key] = _plain_value(type_name, key, spec)
    if draw(st.booleans()):
        config["headers"] = {"authorization": secret("headers")}
    if "url" in config and draw(st.booleans()):
        written = secret("url", clear=True)
        config["url"] = url_carrying(written, draw(URL_FORMS), written)
    if type_name == UNKNOWN_TYPE:
        token = secret("nested", clear=True)
        config["nested"] = {"apiToken": token, "list": [{"password": token}]}
    item["config"] = config
    return item


def _live_secret(
    draw: st.DrawFn, scenario: Scenario, label: str, same: str | None, *, clear: bool
) -> str:
    """A secret as the API lists it: masked (prefix, stars, or wholly), or in clear.
    `same`: the config's own secret, which the API then shows."""
    value = same or with_infix(distinctive("LIVE", stable(label)), draw(infixes))
    style = "clear" if clear else draw(st.sampled_from(("prefix", "stars", "full", "clear")))
    if style == "prefix":
        return f"{value[:4]}...{value[-4:]}"
    if style == "stars":
        return f"****...{value[-4:]}"
    if style == "full":
        return "********"
    if same is None:
        scenario.secrets[value] = f"a live secret in clear ({label})"
        scenario.live_secrets.add(value)
    return value


_TOP_FIELDS: dict[str, st.SearchStrategy[Any]] = {
    "enabled": st.booleans(),
    "sampling_rate": st.sampled_from((0.0001, 0.5, 1)),
    "privacy_mode": st.booleans(),
    "api_key_hashes": st.none() | st.lists(st.sampled_from(("h1", "h2", "h3")), min_size=1),
    "regions": st.lists(st.sampled_from(types.REGIONS), min_size=1, max_size=2),
    "filter_rules": st.none()
    | st.just({"groups": [{"logic": "or", "rules": [{"field": "model", "operator": "exists"}]}]}),
    "broadcast_generation_cost": st.booleans(),
}


def _keys_of(type_name: str) -> Mapping[str, types.ConfigKey]:
    known = types.TYPES.get(type_name)
    if known is not None:
        return known.keys
    return {"endpoint": types.ConfigKey("endpoint", required=True)}


def _plain_value(type_name: str, key: str, spec: types.ConfigKey) -> Any:
    if spec.values:
        return spec.values[-1]
    if spec.has_default:
        return spec.default
    if key in ("url", "host", "endpoint", "otlpEndpoint"):
        return f"https://{type_name}.example.com/{key}"
    return f"{key}-value"


@dataclass
class Outputs:
    """Everything a plan produced that a person or a file may see, by where it went."""

    texts: dict[str, str] = field(default_factory=dict)

    def add(self, where: str, text: str) -> None:
        self.texts[where] = self.texts.get(where, "") + text + "\n"


def plan_everything(desired: DesiredState, live: LiveState) -> Outputs:
    """Plan, render every format, snapshot, save the plan, build every request body; the texts
    a person or a file would see. Only OrsyncErrors may stop it, and their messages count too."""
    outputs = Outputs()
    with tempfile.TemporaryDirectory() as scratch:
        where = Path(scratch)
        # The plan file hashes the config file: one must exist where the plan says.
        config = where / "orsync.yaml"
        config.write_text("version: 1\n", encoding="utf-8")
        desired = dataclasses.replace(desired, path=str(config))
        try:
            _plan_into(desired, live, where, outputs)
        except OrsyncError as exc:
            outputs.add("an error message", str(exc))
    return outputs


def _plan_into(desired: DesiredState, live: LiveState, where: Path, outputs: Outputs) -> None:
    outputs.add("the snapshot", json.dumps(snapshot_document(live)))
    write_snapshot(live, str(where / "live.json"))
    outputs.add("the snapshot file", (where / "live.json").read_text(encoding="utf-8"))
    read_snapshot(str(where / "live.json"), [w.id for w in live.workspaces])
    plan = plan_changes(desired, live)
    for output_format in FORMATS:
        outputs.add(f"the {output_format} plan", render_plan(plan, output_format, color=True))
    outputs.add("the warnings", "\n".join(plan.warnings))
    outputs.add("a safety refusal", safety_problem(plan) or "")
    write_plan_file(plan, str(where / "out.plan"), ())
    outputs.add("the plan file", (where / "out.plan").read_text(encoding="utf-8"))
    _bodies(plan, outputs)
    try:
        check_feasible(plan)
    except OrsyncError as exc:
        outputs.add("an apply refusal", str(exc))


def _bodies(plan: Plan, outputs: Outputs) -> None:
    """Build each request body: JSON-ready, secrets only in clear from the config."""
    for change in plan.changes:
        try:
            if change.action in (Action.CREATE, Action.REPLACE):
                assert change.desired is not None
                body = create_body(change.desired)
            elif change.action is Action.UPDATE:
                body, unsendable = update_body(change)
                outputs.add("an unsendable update", "\n".join(unsendable))
            else:
                continue
        except OrsyncError as exc:
            outputs.add("a request body error", str(exc))
            continue
        assert list(secrets_in(body)) == []
        sent = json.dumps(body, allow_nan=False)
        outputs.add("a request body", sent)
        for path, value in _config_leaves(body.get("config", {}), ()):
            if is_secret_path(change.type, path) and isinstance(value, str):
                assert not masking.is_pin(value), f"a mask sent at {path}"


def _config_leaves(value: Any, path: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], Any]]:
    if isinstance(value, Mapping):
        for key, item in value.items():
            yield from _config_leaves(item, (*path, str(key)))
    elif isinstance(value, list):
        for item in value:
            yield from _config_leaves(item, path)
    else:
        yield path, value


def spellings(secret: str) -> Iterator[str]:
    """A secret as an output could hold it: as is, escaped for JSON, a Markdown cell, `repr`;
    and each piece of it 8 characters long."""
    whole = {secret, json.dumps(secret)[1:-1], secret.replace("|", "\\|"), repr(secret)[1:-1]}
    for text in whole:
        yield text
        yield from (text[i : i + 8] for i in range(len(text) - 7))


def assert_no_secret(outputs: Outputs, secrets: Mapping[str, str], live_secrets: set[str]) -> None:
    """No secret in any output, not even a piece; request bodies may send the config's own
    secrets, never one read from live."""
    for where, text in outputs.texts.items():
        allowed = set(secrets) - live_secrets if where == "a request body" else set()
        for secret, what in secrets.items():
            if secret not in allowed:
                shown = any(piece in text for piece in spellings(secret))
                assert not shown, f"{what} is shown in {where}"


@given(scenarios())
@settings(suppress_health_check=SLOW_DATA)
def test_random_plans_never_show_a_secret(scenario: Scenario) -> None:
    try:
        desired = load_config_text(scenario.config, "orsync.yaml", scenario.environ)
        live = LiveState((parse_workspace(None, scenario.items),))
    except OrsyncError as exc:
        pytest.fail(f"a generated scenario should load and parse: {exc}")
    outputs = plan_everything(desired, live)
    assert_no_secret(outputs, scenario.secrets, scenario.live_secrets)


# End to end, through the command -------------------------------------------------------------

COMMANDS = (
    ("validate",),
    ("plan",),
    ("plan", "--format", "json", "--out", "p.plan"),
    ("plan", "--format", "markdown"),
    ("apply", "--auto-approve", "--max-deletes", "10"),
    ("snapshot", "-o", "live.json"),
)


@given(
    st.one_of(mutated_config(), scenarios().map(lambda s: s.config)),
    environments,
    st.sampled_from(COMMANDS),
    st.lists(st.sampled_from((*types.TYPES, UNKNOWN_TYPE)), max_size=3),
)
@settings(max_examples=12, suppress_health_check=SLOW_DATA)
def test_the_command_exits_cleanly_whatever_the_config(
    text: str, environ: dict[str, str], command: tuple[str, ...], live_types: list[str]
) -> None:
    with FakeApi() as fake, tempfile.TemporaryDirectory() as directory:
        for index, type_name in enumerate(live_types):
            config = {"url": "https://hooks.example.com/in", "apiKey": distinctive("E2E", index)}
            fake.add_destination({"name": NAMES[index], "type": type_name, "config": config})
        orsync = Orsync(Path(directory), fake)
        (Path(directory) / "orsync.yaml").write_text(text, encoding="utf-8", errors="surrogatepass")
        result = orsync(*command, env=environ)
        assert result.code in (0, 1, 2, 3), result.output
        assert "Traceback" not in result.output and "internal error" not in result.output, (
            result.output
        )
        assert MANAGEMENT_KEY not in result.output
        # Names may come from variables and are shown in a plan; messages never show them.
        assert_hides_environment(result.stderr, environ, f"the messages of {command}")
        assert fake.server_errors == []


# What the fuzzers found, each kept as a plain test of the command's message and exit code ------

DEEP_CONFIG = f"version: 1\ndestinations: {deep(999)}\n"


def test_a_config_nested_beyond_the_limit_is_refused_with_its_line(orsync: Orsync) -> None:
    orsync.write_config(DEEP_CONFIG)
    result = orsync("validate")
    assert result.code == 1
    assert result.stderr.startswith("Error: orsync.yaml:2: destinations[0][0]")
    assert f"lists and mappings nested over {defaults.MAX_NESTING} levels deep" in result.stderr
    orsync.write_config(f"version: 1\ndestinations: {deep(defaults.MAX_NESTING - 1)}\n")
    assert "expected a mapping, got a list" in orsync("validate").stderr


def plan_against(orsync: Orsync, fake: FakeApi, body: str, status: int = 200) -> str:
    """The error line of `orsync plan` when the list endpoint answers `body`."""
    orsync.write_config("version: 1\ndestinations: []\n")
    fake.fail(method="GET", path_contains="/observability/destinations", status=status, body=body)
    result = orsync("plan")
    assert result.code == 1
    assert "Traceback" not in result.stderr
    return result.stderr.strip()


def test_an_answer_nested_beyond_what_json_reads_is_an_api_error(
    orsync: Orsync, fake: FakeApi
) -> None:
    assert plan_against(orsync, fake, deep(5000)) == (
        "Error: unexpected API answer to GET /api/v1/observability/destinations: "
        "JSON nested too deeply"
    )


def test_an_error_answer_nested_too_deep_still_reports_the_status(
    orsync: Orsync, fake: FakeApi
) -> None:
    body = '{"error": ' + deep(5000) + "}"
    assert plan_against(orsync, fake, body, status=400).endswith(
        "the API answered 400: a JSON body nested too deeply"
    )


def test_an_item_nested_beyond_the_limit_is_an_api_error(orsync: Orsync, fake: FakeApi) -> None:
    item = json.loads(deep_item(200))
    ident = fake.add_destination({**item, "name": "deep"})["id"]
    orsync.write_config("version: 1\ndestinations: []\n")
    result = orsync("plan")
    assert (result.code, result.stderr.strip()) == (
        1,
        f"Error: unexpected API answer: destination {ident}: `config` nests lists and objects "
        f"over {defaults.MAX_NESTING} levels deep",
    )


def test_ids_that_are_not_text_are_refused_not_a_crash(orsync: Orsync, fake: FakeApi) -> None:
    body = json.dumps({"data": [{"id": [1]}, {"id": [1]}], "total_count": 2})
    assert plan_against(orsync, fake, body) == (
        "Error: unexpected API answer: default workspace, item 0: `id` is not a non-empty string"
    )


def test_a_total_count_beyond_any_float_is_refused(orsync: Orsync, fake: FakeApi) -> None:
    body = json.dumps({"data": [{"id": "a"}], "total_count": 10**400})
    assert plan_against(orsync, fake, body).endswith("total_count is not a plausible count")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (list_of(deep_item(900)), "nests lists and objects over 64"),
        (deep(5000), "the snapshot nests lists and objects too deeply"),
        ("9" * 5000, "the snapshot holds a number too long to read"),
    ],
    ids=["deep item", "deep document", "huge number"],
)
def test_snapshots_too_deep_or_too_long_to_read_are_refused(
    orsync: Orsync, text: str, problem: str
) -> None:
    orsync.write_config("version: 1\ndestinations: []\n")
    (orsync.cwd / "live.json").write_text(text, encoding="utf-8")
    result = orsync("plan", "--snapshot", "live.json", key=None)
    assert result.code == 1
    assert result.stderr.startswith("Error: live.json") and problem in result.stderr


@pytest.mark.parametrize("text", [deep(5000), "9" * 5000], ids=["deep", "huge number"])
def test_plan_files_too_deep_or_too_long_to_read_are_refused(orsync: Orsync, text: str) -> None:
    orsync.write_config("version: 1\ndestinations: []\n")
    (orsync.cwd / "saved.plan").write_text(text, encoding="utf-8")
    result = orsync("apply", "saved.plan")
    assert result.code == 1
    assert result.stderr.strip() == "Error: saved.plan: not a plan file (not JSON)"


def test_a_secret_in_clear_shaped_like_a_mask_is_never_shown_whole(
    orsync: Orsync, fake: FakeApi
) -> None:
    # The API returns these in clear: a URL (its query carries a token) and, for a type orsync
    # does not know, a key whose name says credential (the fake masks fewer names).
    token, certificate = "tok...abcdefghij", "hunter2...0123456789"
    url = f"https://hooks.example.com/in?token={token}"
    fake.add_destination({"name": "hook", "type": "webhook", "config": {"url": url}})
    config = {"privateCert": certificate, "endpoint": "https://x.example/"}
    fake.add_destination({"name": "new", "type": "brand-new", "config": config})
    orsync.write_config("version: 1\ndestinations: []\n")
    for output_format in ("text", "json", "markdown"):
        result = orsync("plan", "--format", output_format)
        assert result.code == 2
        result.assert_hides([token, certificate, certificate[-12:]])
    assert "https://hooks.example.com/…" in result.stdout
    assert "hunt...6789" in result.stdout  # no more than the API's own masks keep
    assert orsync("snapshot", "-o", "live.json").code == 0
    saved = (orsync.cwd / "live.json").read_text(encoding="utf-8")
    assert token not in saved and certificate not in saved and certificate[-12:] not in saved


def test_a_token_holding_a_slash_before_a_url_host_is_never_shown(
    orsync: Orsync, fake: FakeApi
) -> None:
    # `/`, `?` or `#` in a token, not escaped, ends the URL's authority early: what is left
    # before it is no host name, and must not be shown as one.
    declared, stray = "tok/en-from-variable-0123", "lost?token-in-clear-4567"
    url = f"https://{stray}@strays.example.com/in"
    fake.add_destination({"name": "stray", "type": "webhook", "config": {"url": url}})
    orsync.write_config("""
        version: 1
        destinations:
          - name: hook
            type: webhook
            config:
              url: https://${HOOK_TOKEN}@hooks.example.com/in
        """)
    for output_format in ("text", "json", "markdown"):
        result = orsync("plan", "--format", output_format, env={"HOOK_TOKEN": declared})
        assert result.code == 2
        result.assert_hides([declared, stray, declared[:6], stray[:5]])
        assert "https://****@hooks.example.com" in result.stdout
        assert "https://****@strays.example.com" in result.stdout
