"""Every error path of `orsync plan`: exit code, one-line message, no traceback, no secret."""

from __future__ import annotations

import json
import re
import time

import pytest
from conftest import Orsync, Result
from fake_api import MANAGEMENT_KEY, ORDINARY_KEY, FakeApi

SECRET = "sk-lf-secret-0123456789-AbCd"
CONFIG = """
version: 1
destinations:
  - name: Hook
    type: webhook
    config:
      url: https://hooks.example.com/in
      headers:
        Authorization: ${HOOK_TOKEN}
"""
ENV = {"HOOK_TOKEN": SECRET}


def failed(result: Result, *fragments: str) -> None:
    """Exit 1, one `Error:` line naming each fragment, no traceback, nothing secret."""
    assert result.code == 1, result.output
    assert "Traceback" not in result.output
    assert result.stdout == ""
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, result.stderr
    for fragment in fragments:
        assert fragment in errors[0], errors[0]
    result.assert_hides([SECRET])


@pytest.fixture
def configured(orsync: Orsync, fake: FakeApi) -> Orsync:
    orsync.write_config(CONFIG)
    fake.add_destination(
        {
            "name": "Hook",
            "type": "webhook",
            "config": {"url": "https://hooks.example.com/in", "headers": {"Authorization": SECRET}},
        }
    )
    return orsync


def test_the_happy_path_hides_the_header_secret(configured: Orsync) -> None:
    result = configured("plan", env=ENV)
    assert result.code == 0, result.output
    result.assert_hides([SECRET])


def test_missing_key(configured: Orsync) -> None:
    failed(configured("plan", env=ENV, key=None), "OPENROUTER_MANAGEMENT_KEY")


def test_key_from_another_variable(configured: Orsync) -> None:
    result = configured(
        "plan", "--api-key-env", "MY_KEY", env={**ENV, "MY_KEY": MANAGEMENT_KEY}, key=None
    )
    assert result.code == 0, result.output
    failed(configured("plan", "--api-key-env", "MY_KEY", env=ENV, key=None), "MY_KEY")


def test_refused_key_401(configured: Orsync) -> None:
    bad = "or-mgmt-wrong-key-1234567890"
    result = configured("plan", env=ENV, key=bad)
    failed(result, "refused the key", "401")
    assert bad not in result.output


def test_ordinary_key_403(configured: Orsync) -> None:
    result = configured("plan", env=ENV, key=ORDINARY_KEY)
    failed(result, "403", "management key")
    assert ORDINARY_KEY not in result.output


def test_unknown_workspace(orsync: Orsync) -> None:
    orsync.write_config("""
        version: 1
        workspaces:
          - id: 0badc0de-0000-4000-8000-000000000000
            destinations: []
        """)
    failed(orsync("plan"), "workspace 0badc0de-0000-4000-8000-000000000000", "not found")


@pytest.mark.parametrize(
    ("status", "body", "content_type", "fragment"),
    [
        (502, "<html><body>502 Bad Gateway</body></html>", "text/html", "502"),
        (200, "{not json", "application/json", "not JSON"),
        (200, "", "application/json", "not JSON"),
        (200, '{"data": "oops"}', "application/json", "unexpected API answer"),
        (
            200,
            '{"data": [{"id": 7}], "total_count": 1}',
            "application/json",
            "unexpected API answer",
        ),
    ],
)
def test_broken_answers(
    configured: Orsync, fake: FakeApi, status: int, body: str, content_type: str, fragment: str
) -> None:
    fake.fail(status=status, body=body, content_type=content_type, times=10)
    failed(configured("plan", env=ENV), fragment)


def test_rate_limit_is_retried_honouring_retry_after(configured: Orsync, fake: FakeApi) -> None:
    fake.fail(status=429, retry_after="1", times=1)
    started = time.monotonic()
    result = configured("plan", env=ENV)
    assert result.code == 0, result.output
    assert time.monotonic() - started >= 1.0
    assert len(fake.requests) == 2  # the 429, then the page (short, and total_count met)


def test_server_errors_are_retried_then_reported(configured: Orsync, fake: FakeApi) -> None:
    fake.fail(status=500, times=2)
    assert configured("plan", env=ENV).code == 0
    fake.fail(status=503, times=10)
    failed(configured("plan", env=ENV), "503", "after 4 tries")


def test_dropped_connections_are_retried(configured: Orsync, fake: FakeApi) -> None:
    fake.fail(drop_connection=True, times=2)
    assert configured("plan", env=ENV).code == 0
    fake.fail(drop_connection=True, times=10)
    failed(configured("plan", env=ENV), "could not reach the API")


def test_slow_api_times_out(configured: Orsync, fake: FakeApi) -> None:
    fake.fail(status=200, delay=2.0, times=10)
    failed(configured("plan", "--timeout", "0.3", env=ENV), "did not answer in time")


def test_plain_http_to_another_host_is_refused(configured: Orsync) -> None:
    failed(configured("plan", "--base-url", "http://api.example.com/v1", env=ENV), "plain http")
    failed(configured("plan", "--base-url", "ftp://127.0.0.1/", env=ENV), "not an http(s) URL")


def test_usage_errors_exit_1_not_2(configured: Orsync) -> None:
    result = configured("plan", "--format", "yaml", env=ENV)
    assert result.code == 1
    assert "Invalid value for '--format'" in result.stderr
    result = configured("plan", "--workspace", "nope", env=ENV)
    failed(result, "--workspace nope")


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        (
            "version: 1\ndestinations:\n  - name: A\n    type: webhook\n    sampling_rate: 2\n",
            "orsync.yaml:5: destinations[0].sampling_rate",
        ),
        (
            "version: 1\ndestinations:\n  - name: A\n    name: B\n    type: webhook\n",
            "orsync.yaml:4",
        ),
        (
            "version: 1\ndestinations:\n  - name: A\n    type: s3\n    config: {bucket_name: x}\n",
            "did you mean 'bucketName'",
        ),
        ("version: 2\ndestinations: []\n", "version"),
        (
            "version: 1\ndestinations:\n  - {name: A, type: webhook}\n  - {name: A, type: s3}\n",
            "orsync.yaml:4: destinations[1].name",
        ),
        (
            "version: 1\ndestinations:\n  - name: A\n    type: webhook\n    enabled: 'yes'\n",
            "expected true or false, got a string",
        ),
        (
            "version: 1\ndestinations:\n  - name: A\n    type: langfuse\n    config:\n"
            "      secretKey: !!int sk-lf-TOPSECRET-value\n",
            "orsync.yaml:6: destinations[0].config.secretKey: the value does not fit",
        ),
        ("", "empty"),
        ("- just\n- a list\n", "orsync.yaml"),
    ],
)
def test_config_errors(orsync: Orsync, text: str, fragment: str) -> None:
    orsync.write_config(text)
    failed(orsync("plan"), fragment)
    failed(orsync("validate"), fragment)


def test_missing_and_binary_config(orsync: Orsync) -> None:
    failed(orsync("plan", "-c", "nowhere.yaml"), "nowhere.yaml")
    (orsync.cwd / "orsync.yaml").write_bytes(b"version: 1\nname: \xff\xfe\n")
    failed(orsync("validate"), "UTF-8")


def test_secret_in_plain_text_warns_without_printing_it(orsync: Orsync) -> None:
    orsync.write_config(CONFIG.replace("${HOOK_TOKEN}", SECRET))
    result = orsync("validate")
    assert result.code == 0
    assert "plain text" in result.stderr
    result.assert_hides([SECRET])


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ("{", "not valid JSON"),
        ('{"something": 1}', "not a snapshot"),
        ('{"data": [{"id": "x"}], "total_count": 1}', "destination x"),
    ],
)
def test_snapshot_errors(configured: Orsync, content: str, fragment: str) -> None:
    (configured.cwd / "live.json").write_text(content)
    failed(configured("plan", "--snapshot", "live.json", env=ENV, key=None), "live.json", fragment)


def test_snapshot_round_trip_gives_the_same_plan(configured: Orsync, fake: FakeApi) -> None:
    fake.add_destination(
        {
            "name": "stray",
            "type": "sentry",
            "config": {
                "dsn": "https://abcdef0123456789@sentry.example/42",
                "otlpEndpoint": "https://o.example",
            },
        }
    )
    online = configured("plan", "--format", "json", env=ENV)
    saved = configured("snapshot", "-o", "live.json", env=ENV)
    assert saved.code == 0, saved.output
    offline = configured("plan", "--format", "json", "--snapshot", "live.json", env=ENV, key=None)
    assert (online.code, offline.code) == (2, 2)
    assert json.loads(online.stdout) == json.loads(offline.stdout)
    snapshot_text = (configured.cwd / "live.json").read_text()
    assert "abcdef0123456789" not in snapshot_text and SECRET not in snapshot_text
    offline.assert_hides(["abcdef0123456789"])
    online.assert_hides(["abcdef0123456789"])


def test_raw_list_response_as_snapshot(configured: Orsync) -> None:
    raw = {
        "data": [
            {
                "id": "d1",
                "name": "Hook",
                "type": "webhook",
                "enabled": False,
                "sampling_rate": 1,
                "privacy_mode": False,
                "api_key_hashes": None,
                "filter_rules": None,
                "config": {
                    "url": "https://hooks.example.com/in",
                    "headers": {"Authorization": "sk-l...AbCd"},
                },
            }
        ],
        "total_count": 1,
    }
    (configured.cwd / "raw.json").write_text(json.dumps(raw))
    result = configured("plan", "--snapshot", "raw.json", env=ENV, key=None)
    assert result.code == 2, result.output
    assert "~ enabled = false -> true" in result.stdout


def test_verbose_traceback_never_shows_the_key(configured: Orsync) -> None:
    key = "or-mgmt-not-known-to-the-fake-0123456789"
    result = configured("plan", "-v", env=ENV, key=key)
    assert result.code == 1
    assert "Traceback" in result.stderr  # -v asks for it
    assert key not in result.output
    result.assert_hides([SECRET])


def test_a_key_with_control_characters_is_refused_without_echo(configured: Orsync) -> None:
    key = "or-mgmt-0123456789\u200babcdef"
    result = configured("plan", env=ENV, key=key)
    failed(result, "OPENROUTER_MANAGEMENT_KEY", "cannot have")
    assert "0123456789" not in result.output


def test_malformed_base_url_is_one_clear_line(configured: Orsync) -> None:
    failed(configured("plan", "--base-url", "http://[::1:8080", env=ENV), "not a valid URL")


def test_an_internal_error_names_its_type_and_place_never_its_arguments(
    orsync: Orsync, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whatever an unexpected exception holds (a request body, say) never reaches the
    terminal: its type and place do, and `-v` adds a traceback cleaned of every secret."""
    import orsync.commands.plan as plan_command
    from orsync.commands.inputs import load_desired

    secret = "sk-lf-secret-internal-0123456789"
    orsync.write_config("""
        version: 1
        destinations:
          - name: LF
            type: langfuse
            config: {publicKey: "${LF_PUBLIC}", secretKey: "${LF_SECRET}"}
        """)

    def broken(config_path: str, *_: object, **__: object) -> None:
        load_desired(config_path)  # reads the secrets, as a real run does
        raise RuntimeError(f"could not send {{'secretKey': '{secret}'}}")

    monkeypatch.setattr(plan_command, "run_plan", broken)
    env = {"LF_PUBLIC": "pk-lf-public-0000000000", "LF_SECRET": secret}
    result = orsync("plan", env=env)
    assert result.code == 1
    assert re.fullmatch(
        r"Error: internal error: RuntimeError at orsync/cli\.py:\d+ \(run with -v for details\)\n",
        result.stderr,
    )
    verbose = orsync("plan", "-v", env=env)
    assert verbose.code == 1
    assert "Traceback" in verbose.stderr and "could not send {'secretKey': '***'}" in verbose.stderr
    verbose.assert_hides([secret])
