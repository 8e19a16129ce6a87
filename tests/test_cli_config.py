"""Config corners as a user meets them: `orsync validate`, `plan` and `apply` on the real command.

Region aliases, values of lists the API keeps open, numbers YAML 1.1 reads as text, numbers and
variables that cannot be sent, and values from `${VAR}` that messages must not quote.
"""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import Orsync, Result
from fake_api import MANAGEMENT_KEY, FakeApi

HOOK = {"name": "hook", "type": "webhook", "config": {"url": "https://hooks.example.com/in"}}
SECRET = "sk-lf-0123456789-very-secret"


def failed_at(result: Result, where: str, problem: str) -> None:
    """Exit 1 with one `Error:` line, `<file>:<line>: <path>: <problem>`, no traceback."""
    assert result.code == 1, result.output
    assert "Traceback" not in result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert errors == [f"Error: orsync.yaml:{where}: {problem}"], result.stderr


# --- `regions: [eu]` ---------------------------------------------------------------------------


def test_region_eu_plans_clean_against_the_europe_the_api_stores(
    orsync: Orsync, fake: FakeApi
) -> None:
    fake.add_destination({**HOOK, "regions": ["europe", "us"]})
    orsync.write_config(
        """
        version: 1
        destinations:
          - name: hook
            type: webhook
            regions: [eu, us]
            config: {url: https://hooks.example.com/in}
        """
    )
    result = orsync("plan")
    assert result.code == 0, result.output
    assert "Warning" not in result.output


def test_region_eu_is_created_as_europe_and_then_in_sync(orsync: Orsync, fake: FakeApi) -> None:
    orsync.write_config(
        """
        version: 1
        destinations:
          - {name: hook, type: webhook, regions: [eu], config: {url: https://hooks.example.com}}
        """
    )
    result = orsync("apply", "--auto-approve")
    assert result.code == 0, result.output
    assert [body["regions"] for body in fake.sent_bodies("POST")] == [["europe"]]
    assert fake.destinations()[0]["regions"] == ["europe"]
    assert orsync("plan").code == 0


# --- lists the API keeps open ------------------------------------------------------------------

UNLISTED_CONFIG = """
version: 1
destinations:
  - name: hook
    type: webhook
    regions: [global, mars]
    config: {url: https://hooks.example.com/in}
    filter_rules:
      groups:
        - logic: xor
          rules:
            - {field: cost_center, operator: near, value: ops}
"""
UNLISTED_WARNINGS = [
    "Warning: orsync.yaml:9: destinations[0].filter_rules.groups[0].logic: "
    "unknown filter logic 'xor' (did you mean 'or'?): kept and sent as written",
    "Warning: orsync.yaml:11: destinations[0].filter_rules.groups[0].rules[0].field: "
    "unknown filter field 'cost_center': kept and sent as written",
    "Warning: orsync.yaml:11: destinations[0].filter_rules.groups[0].rules[0].operator: "
    "unknown filter operator 'near': kept and sent as written",
    "Warning: orsync.yaml:5: destinations[0].regions[1]: unknown region 'mars': "
    "kept and sent as written",
]
UNLISTED_SENT = {
    "regions": ["global", "mars"],
    "filter_rules": {
        "groups": [
            {
                "logic": "xor",
                "rules": [{"field": "cost_center", "operator": "near", "value": "ops"}],
            }
        ]
    },
}


def test_values_orsync_does_not_know_are_warnings(orsync: Orsync) -> None:
    orsync.write_config(UNLISTED_CONFIG)
    result = orsync("validate")
    assert result.code == 0, result.output
    assert result.stderr.splitlines() == UNLISTED_WARNINGS


@pytest.fixture(params=[True, False], ids=["API accepts them", "API refuses them"])
def open_api(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Orsync]:
    with FakeApi(open_lists=request.param) as api:
        yield Orsync(tmp_path, api)
        assert api.server_errors == []


def test_values_orsync_does_not_know_are_sent_as_written(open_api: Orsync) -> None:
    open_api.write_config(UNLISTED_CONFIG)
    result = open_api("apply", "--auto-approve")
    [body] = open_api.fake.sent_bodies("POST")
    assert {key: body[key] for key in UNLISTED_SENT} == UNLISTED_SENT
    if open_api.fake.open_lists:
        assert result.code == 0, result.output
        assert open_api("plan").code == 0
    else:
        # The API's refusal is reported as such: orsync did not refuse the value itself.
        assert result.code == 1, result.output
        assert "filter group 'logic' must be 'and' or 'or'" in result.stderr
        assert open_api.fake.destinations() == []


# --- numbers -----------------------------------------------------------------------------------


def test_sampling_rate_in_exponent_notation_plans_clean(orsync: Orsync, fake: FakeApi) -> None:
    fake.add_destination({**HOOK, "sampling_rate": 0.1})
    orsync.write_config(
        """
        version: 1
        destinations:
          - name: hook
            type: webhook
            sampling_rate: 1e-1
            config: {url: https://hooks.example.com/in}
        """
    )
    result = orsync("plan")
    assert result.code == 0, result.output


INEXACT_INTEGER = (
    "an integer beyond ±9007199254740992 (2^53) cannot be compared exactly once sent (the API "
    "may hold it as a 64-bit float): write a smaller number, or the number as a string"
)
UNSENDABLE_NUMBERS = {
    "filter value .nan": (
        "filter_rules: {groups: [{rules: [{field: total_cost, operator: gt, value: .nan}]}]}",
        "destinations[0].filter_rules.groups[0].rules[0].value",
        "expected a number, got .nan (not a number)",
    ),
    "filter value -.inf": (
        "filter_rules: {groups: [{rules: [{field: total_cost, operator: gt, value: -.inf}]}]}",
        "destinations[0].filter_rules.groups[0].rules[0].value",
        "infinite, or too large (beyond ±1.8e+308): it cannot be sent",
    ),
    "config value of 400 digits": (
        f"config: {{url: {'7' * 400}}}",
        "destinations[0].config.url",
        INEXACT_INTEGER,
    ),
    # What the API may hold as a 64-bit float would come back other than sent, and every
    # later plan would fail on it.
    "filter value beyond 2^53": (
        "filter_rules: {groups: [{rules: [{field: total_tokens, operator: gt, "
        "value: 123456789012345678901}]}]}",
        "destinations[0].filter_rules.groups[0].rules[0].value",
        INEXACT_INTEGER,
    ),
    "sampling_rate .inf": (
        "sampling_rate: .inf",
        "destinations[0].sampling_rate",
        "infinite, or too large (beyond ±1.8e+308): it cannot be sent",
    ),
}


@pytest.mark.parametrize(
    ("line", "path", "problem"), UNSENDABLE_NUMBERS.values(), ids=UNSENDABLE_NUMBERS
)
@pytest.mark.parametrize("command", ["validate", "plan"])
def test_number_that_cannot_be_sent_is_a_config_error(
    orsync: Orsync, fake: FakeApi, command: str, line: str, path: str, problem: str
) -> None:
    fake.add_destination(HOOK)
    orsync.write_config(
        f"version: 1\ndestinations:\n  - name: hook\n    type: webhook\n    {line}\n"
    )
    result = orsync(command)
    failed_at(result, f"5: {path}", problem)
    assert "7777777777" not in result.output
    assert fake.requests == []


def test_an_integer_beyond_2_53_of_an_unknown_type_is_refused_before_anything_is_sent(
    orsync: Orsync,
) -> None:
    declared = "version: 1\ndestinations:\n  - name: n\n    type: newtype\n    config: {n: VALUE}\n"
    with FakeApi(extra_types=["newtype"]) as api:
        env = {"ORSYNC_BASE_URL": api.base_url}
        orsync.write_config(declared.replace("VALUE", "9007199254740993"))
        for command in (("validate",), ("apply", "--auto-approve")):
            result = orsync(*command, env=env)
            failed_at(result, "5: destinations[0].config.n", INEXACT_INTEGER)
        assert api.requests == []
        # As a string it is sent as written, and plans clean once applied.
        orsync.write_config(declared.replace("VALUE", "'9007199254740993'"))
        applied = orsync("apply", "--auto-approve", env=env)
        assert applied.code == 0, applied.output
        (stored,) = api.destinations()
        assert stored["config"] == {"n": "9007199254740993"}
        assert orsync("plan", env=env).code == 0


LARGE_FLOAT_FILTER = """\
version: 1
destinations:
  - name: hook
    type: webhook
    config: {url: https://h.example.com/in}
    filter_rules: {groups: [{rules: [{field: total_tokens, operator: gt, value: 1.5e+20}]}]}
"""


@pytest.mark.parametrize("js_numbers", [False, True], ids=["as-sent", "as-javascript-writes"])
def test_a_large_float_plans_clean_however_the_server_writes_it_back(
    orsync: Orsync, js_numbers: bool
) -> None:
    with FakeApi(js_numbers=js_numbers) as api:
        env = {"ORSYNC_BASE_URL": api.base_url}
        orsync.write_config(LARGE_FLOAT_FILTER)
        applied = orsync("apply", "--auto-approve", env=env)
        assert applied.code == 0, applied.output
        listing = urllib.request.Request(
            f"{api.base_url}/observability/destinations",
            headers={"Authorization": f"Bearer {MANAGEMENT_KEY}"},
        )
        with urllib.request.urlopen(listing) as answer:
            written = answer.read().decode()
        assert ("150000000000000000000" in written) is js_numbers
        planned = orsync("plan", env=env)
        assert planned.code == 0, planned.output
        exported = orsync("export", "-o", "exported.yaml", env=env)
        assert (exported.code, exported.stderr) == (0, "")
        assert orsync("plan", "-c", "exported.yaml", env=env).code == 0


# --- variables whose value cannot be used ------------------------------------------------------

LANGFUSE_CONFIG = """
version: 1
destinations:
  - name: lf
    type: langfuse
    config:
      publicKey: ${LF_PUBLIC}
      secretKey: ${LF_SECRET}
"""


@pytest.mark.parametrize("command", [("validate",), ("plan",), ("apply", "--auto-approve")])
def test_empty_secret_variable_is_a_config_error(
    orsync: Orsync, fake: FakeApi, command: tuple[str, ...]
) -> None:
    orsync.write_config(LANGFUSE_CONFIG)
    result = orsync(*command, env={"LF_PUBLIC": "pk-lf-public-0123456789", "LF_SECRET": ""})
    failed_at(
        result,
        "7: destinations[0].config.secretKey",
        "environment variable LF_SECRET is empty: a secret cannot be empty",
    )
    assert fake.requests == []


@pytest.mark.parametrize("command", [("validate",), ("apply", "--auto-approve")])
def test_variable_that_is_not_utf8_is_a_config_error_that_shows_nothing_of_it(
    orsync: Orsync, fake: FakeApi, command: tuple[str, ...]
) -> None:
    orsync.write_config(LANGFUSE_CONFIG)
    # A byte that is not UTF-8 in the environment reaches Python as a lone surrogate.
    secret = "sk-lf-SECRETPART\udcffOTHERPART"
    result = orsync(*command, env={"LF_PUBLIC": "pk-lf-public-0123456789", "LF_SECRET": secret})
    failed_at(
        result,
        "7: destinations[0].config.secretKey",
        "environment variable LF_SECRET holds bytes that are not UTF-8 text",
    )
    result.assert_hides(["SECRETPART", "OTHERPART", "pk-lf-public"])
    assert fake.mutating_requests() == []


# --- values from ${VAR} are named, never quoted ------------------------------------------------

QUOTING_PLACES = {
    "unmanaged": "workspaces:\n  - unmanaged: ${V}\n    destinations: []\n",
    # A value of the form of a slug is a valid id: named twice, it is an error.
    "workspace id": "workspaces:\n  - id: ${V}\n    destinations: []\n"
    "  - id: ${V}\n    destinations: []\n",
    "ignore": "destinations:\n  - {name: a, type: webhook, ignore: ['${V}']}\n",
    "region": "destinations:\n  - {name: a, type: webhook, regions: ['${V}']}\n",
    "filter field": "destinations:\n  - name: a\n    type: webhook\n"
    "    filter_rules: {groups: [{rules: [{field: '${V}', operator: exists}]}]}\n",
    "type": "destinations:\n  - {name: a, type: '${V}'}\n",
}


@pytest.mark.parametrize("text", QUOTING_PLACES.values(), ids=QUOTING_PLACES)
def test_validate_names_a_variable_and_never_shows_its_value(orsync: Orsync, text: str) -> None:
    orsync.write_config("version: 1\n" + text)
    result = orsync("validate", env={"V": SECRET})
    result.assert_hides([SECRET, "very-secret"])
    [message] = [line for line in result.stderr.splitlines() if "'${V}' (value not shown)" in line]
    assert message.startswith(("Error: orsync.yaml:", "Warning: orsync.yaml:"))
