"""`orsync apply` end to end: converge, refuse safely, survive faults, never leak or clobber."""

from __future__ import annotations

import json
import os
import pty
import select
import signal
import subprocess
import sys
import time
from typing import Any

import pytest
from conftest import Orsync, Result
from fake_api import DEFAULT_WORKSPACE_ID, MANAGEMENT_KEY, FakeApi

from orsync import defaults

# A valid config for each documented type; `S:` marks a secret given through the environment.
TYPE_CONFIGS: dict[str, dict[str, str]] = {
    "arize": {"apiKey": "S:", "spaceKey": "S:", "modelId": "m-1"},
    "braintrust": {"apiKey": "S:", "projectId": "p-1"},
    "clickhouse": {
        "host": "https://ch.example.com",
        "database": "llm",
        "username": "or",
        "password": "S:",
    },
    "datadog": {"apiKey": "S:", "mlApp": "app", "url": "https://api.datadoghq.eu"},
    "grafana": {"apiKey": "S:", "instanceId": "stack-123"},
    "langfuse": {"publicKey": "S:", "secretKey": "S:", "baseUrl": "https://cloud.langfuse.com"},
    "langsmith": {"apiKey": "S:", "project": "main"},
    "newrelic": {"licenseKey": "S:", "region": "eu"},
    "opik": {"apiKey": "S:", "workspace": "w", "projectName": "p"},
    "otel-collector": {"endpoint": "https://otel.example.com/v1/traces"},
    "posthog": {"apiKey": "S:"},
    "ramp": {"apiKey": "S:"},
    "s3": {
        "bucketName": "traces",
        "accessKeyId": "S:",
        "secretAccessKey": "S:",
        "prefix": "openrouter-traces",
    },
    "sentry": {"dsn": "S:", "otlpEndpoint": "https://o1.ingest.sentry.io/api/1/otlp"},
    "snowflake": {"account": "acme", "token": "S:"},
    "weave": {"apiKey": "S:", "entity": "e", "project": "p"},
    "webhook": {"url": "https://hooks.example.com/in", "method": "PUT"},
}


URL = TYPE_CONFIGS["webhook"]["url"]


def type_config(type_name: str) -> tuple[str, dict[str, str]]:
    """YAML for one destination of `type_name`, and the environment its secrets come from."""
    env: dict[str, str] = {}
    lines = [
        f"  - name: {type_name} dest",
        f"    type: {type_name}",
        "    sampling_rate: 0.25",
        "    config:",
    ]
    for key, value in TYPE_CONFIGS[type_name].items():
        if value == "S:":
            variable = f"{type_name.upper().replace('-', '_')}_{key.upper()}"
            env[variable] = f"{type_name}-{key}-secret-value-{len(env):04d}"
            value = f"${{{variable}}}"
        lines.append(f"      {key}: {value}")
    return "\n".join(lines), env


def apply(orsync: Orsync, *args: str, env: dict[str, str] | None = None) -> Result:
    result = orsync("apply", *args, env=env)
    result.assert_hides((env or {}).values())
    return result


@pytest.mark.parametrize("type_name", sorted(TYPE_CONFIGS))
def test_apply_converges_for_every_type(orsync: Orsync, fake: FakeApi, type_name: str) -> None:
    block, env = type_config(type_name)
    orsync.write_config("version: 1\ndestinations:\n" + block + "\n")
    result = apply(orsync, "--auto-approve", env=env)
    assert result.code == 0, result.output
    assert "Apply complete: live matches orsync.yaml" in result.stdout
    if type_name == "clickhouse":  # its password comes back as ******** only
        assert "1 secret not verified, so not sent" in result.stdout
    (stored,) = fake.destinations()
    assert stored["type"] == type_name and stored["sampling_rate"] == 0.25
    for key, value in TYPE_CONFIGS[type_name].items():
        expected = (
            env[f"{type_name.upper().replace('-', '_')}_{key.upper()}"] if value == "S:" else value
        )
        assert stored["config"][key] == expected
    again = orsync("plan", env=env)
    assert again.code == 0, again.output
    # A change made by hand is put back by the next apply, and then plans clean again.
    _patch_live(fake, stored["id"], {"enabled": False, "sampling_rate": 1})
    assert orsync("plan", env=env).code == 2
    assert apply(orsync, "--auto-approve", env=env).code == 0
    assert orsync("plan", env=env).code == 0


def converged_config(orsync: Orsync, fake: FakeApi) -> dict[str, str]:
    block, env = type_config("langfuse")
    hook, _ = type_config("webhook")
    orsync.write_config("version: 1\ndestinations:\n" + block + "\n" + hook + "\n")
    assert apply(orsync, "--auto-approve", env=env).code == 0
    return env


def test_update_sends_only_what_differs_and_never_a_mask(orsync: Orsync, fake: FakeApi) -> None:
    env = converged_config(orsync, fake)
    langfuse = next(d for d in fake.destinations() if d["type"] == "langfuse")
    fake_patch = {"sampling_rate": 1, "enabled": False}
    _patch_live(fake, langfuse["id"], fake_patch)
    pinned = (
        (orsync.cwd / "orsync.yaml").read_text().replace("${LANGFUSE_PUBLICKEY}", "lang...0000")
    )
    orsync.write_config(pinned)
    before = len(fake.requests)
    result = apply(orsync, "--auto-approve", env=env)
    assert result.code == 0, result.output
    (patch,) = [r for r in fake.requests[before:] if r.method == "PATCH"]
    assert patch.body == {"enabled": True, "sampling_rate": 0.25}
    stored = next(d for d in fake.destinations() if d["type"] == "langfuse")
    assert stored["config"]["publicKey"] == env["LANGFUSE_PUBLICKEY"]


def test_a_rotated_secret_pinned_by_mask_is_never_overwritten(
    orsync: Orsync, fake: FakeApi
) -> None:
    env = converged_config(orsync, fake)
    text = (orsync.cwd / "orsync.yaml").read_text().replace("${LANGFUSE_SECRETKEY}", "lang...9999")
    orsync.write_config(text)
    before = len(fake.requests)
    result = apply(orsync, "--auto-approve", env=env)
    assert result.code == 1, result.output
    assert "cannot update config.secretKey" in result.stderr
    assert all("secretKey" not in json.dumps(r.body) for r in fake.requests[before:])
    stored = next(d for d in fake.destinations() if d["type"] == "langfuse")
    assert stored["config"]["secretKey"] == env["LANGFUSE_SECRETKEY"]


def _patch_live(fake: FakeApi, destination_id: str, body: dict[str, Any]) -> None:
    """Change a live destination through the fake's HTTP API, as a person in the UI would."""
    import httpx

    response = httpx.patch(
        f"{fake.base_url}/observability/destinations/{destination_id}",
        json=body,
        headers={"Authorization": f"Bearer {MANAGEMENT_KEY}"},
    )
    assert response.status_code == 200, response.text


def test_no_tty_and_no_auto_approve_changes_nothing(orsync: Orsync, fake: FakeApi) -> None:
    block, env = type_config("webhook")
    orsync.write_config("version: 1\ndestinations:\n" + block + "\n")
    result = apply(orsync, env=env)
    assert result.code == 1
    assert "--auto-approve" in result.stderr and "Traceback" not in result.output
    assert fake.mutating_requests() == []


def run_in_terminal(orsync: Orsync, answer: str, env: dict[str, str]) -> tuple[int, str]:
    """Run `orsync apply` with a real terminal on stdin/stdout, and type `answer`."""
    leader, follower = pty.openpty()
    environ = orsync.environ({**env, "NO_COLOR": "1"})
    process = subprocess.Popen(
        [sys.executable, "-m", "orsync", "apply"],
        cwd=orsync.cwd,
        env=environ,
        stdin=follower,
        stdout=follower,
        stderr=follower,
    )
    os.close(follower)
    output = b""
    answered = False
    while True:
        ready, _, _ = select.select([leader], [], [], 30)
        if not ready:
            break
        try:
            chunk = os.read(leader, 4096)
        except OSError:
            break
        if not chunk:
            break
        output += chunk
        if not answered and b"Only 'yes' will be accepted" in output:
            os.write(leader, answer.encode() + b"\n")
            answered = True
    os.close(leader)
    return process.wait(timeout=30), output.decode(errors="replace")


@pytest.mark.parametrize(("answer", "code", "created"), [("no", 1, 0), ("yes", 0, 1)])
def test_terminal_approval(
    orsync: Orsync, fake: FakeApi, answer: str, code: int, created: int
) -> None:
    block, env = type_config("webhook")
    orsync.write_config("version: 1\ndestinations:\n" + block + "\n")
    got, output = run_in_terminal(orsync, answer, env)
    assert got == code, output
    assert len(fake.destinations()) == created


def test_mass_delete_refused_with_exit_3(orsync: Orsync, fake: FakeApi) -> None:
    for n in range(4):
        fake.add_destination(
            {"name": f"old-{n}", "type": "webhook", "config": {"url": f"https://o{n}.example"}}
        )
    orsync.write_config("version: 1\nworkspaces:\n  - unmanaged: delete\n    destinations: []\n")
    result = apply(orsync, "--auto-approve")
    assert result.code == 3, result.output
    assert "--max-deletes 3" in result.stderr and "old-0" in result.stderr
    assert fake.mutating_requests() == []
    result = apply(orsync, "--auto-approve", "--max-deletes", "4")
    assert result.code == 0, result.output
    assert fake.destinations() == []


def test_protected_replace_refused_with_exit_3(orsync: Orsync, fake: FakeApi) -> None:
    fake.add_destination(
        {"name": "Keep", "type": "webhook", "config": {"url": "https://k.example"}}
    )
    orsync.write_config("""
        version: 1
        destinations:
          - name: Keep
            type: otel-collector
            protect: true
            config: {endpoint: "https://otel.example"}
        """)
    result = apply(orsync, "--auto-approve")
    assert result.code == 3, result.output
    assert "protect" in result.stderr and "'Keep'" in result.stderr
    assert fake.mutating_requests() == []


def test_replace_creates_the_new_one_first(orsync: Orsync, fake: FakeApi) -> None:
    old = fake.add_destination(
        {"name": "Swap", "type": "webhook", "config": {"url": "https://k.example"}}
    )
    orsync.write_config("""
        version: 1
        destinations:
          - {name: Swap, type: otel-collector, config: {endpoint: "https://otel.example"}}
        """)
    result = apply(orsync, "--auto-approve")
    assert result.code == 0, result.output
    assert [r.method for r in fake.mutating_requests()] == ["POST", "DELETE"]
    assert old["id"] in fake.mutating_requests()[1].path
    assert [d["type"] for d in fake.destinations()] == ["otel-collector"]


def test_saved_plan_stale_then_fresh(orsync: Orsync, fake: FakeApi) -> None:
    block, env = type_config("langfuse")
    orsync.write_config("version: 1\ndestinations:\n" + block + "\n")
    made = orsync("plan", "--out", "change.plan", env=env)
    assert made.code == 2, made.output
    saved = (orsync.cwd / "change.plan").read_text()
    for secret in env.values():
        assert secret not in saved
    assert json.loads(saved)["plan"]["summary"]["create"] == 1
    fake.add_destination(
        {"name": "new arrival", "type": "webhook", "config": {"url": "https://n.example"}}
    )
    stale = apply(orsync, "change.plan", env=env)
    assert stale.code == 1 and "saved plan is stale" in stale.stderr
    assert fake.mutating_requests() == []
    assert orsync("plan", "--out", "change.plan", env=env).code == 2
    orsync.write_config("version: 1\ndestinations:\n" + block.replace("0.25", "0.5") + "\n")
    stale = apply(orsync, "change.plan", env=env)
    assert stale.code == 1 and "orsync.yaml changed" in stale.stderr
    assert orsync("plan", "--out", "change.plan", env=env).code == 2
    fresh = apply(orsync, "change.plan", env=env)
    assert fresh.code == 0, fresh.output
    assert [d["sampling_rate"] for d in fake.destinations() if d["type"] == "langfuse"] == [0.5]


@pytest.mark.parametrize("drop", [False, True])
def test_create_that_failed_after_taking_effect_is_not_duplicated(
    orsync: Orsync, fake: FakeApi, drop: bool
) -> None:
    block, env = type_config("webhook")
    orsync.write_config("version: 1\ndestinations:\n" + block + "\n")
    fake.fail(method="POST", status=500, after_effect=True, drop_connection=drop)
    first = apply(orsync, "--auto-approve", env=env)
    assert first.code == 0, first.output
    second = apply(orsync, "--auto-approve", env=env)
    assert second.code == 0, second.output
    assert len(fake.destinations()) == 1
    assert [r.method for r in fake.mutating_requests()] == ["POST"]


def test_a_failed_step_reports_and_a_second_apply_finishes(orsync: Orsync, fake: FakeApi) -> None:
    hooks = [type_config("webhook")[0].replace("webhook dest", f"hook {n}") for n in range(3)]
    orsync.write_config("version: 1\ndestinations:\n" + "\n".join(hooks) + "\n")
    fake.add_destination({"name": "hook 1", "type": "webhook", "config": {"url": URL}})
    fake.fail(method="PATCH", status=503, times=10)
    first = apply(orsync, "--auto-approve")
    assert first.code == 1, first.output
    assert (
        "done: create webhook 'hook 0'" in first.stderr
        and "; create webhook 'hook 2'" in first.stderr
    )
    assert "failed: update webhook 'hook 1'" in first.stderr and "503" in first.stderr
    assert "not tried: nothing" in first.stderr and "run `orsync apply` again" in first.stderr
    fake.reset_faults()
    second = apply(orsync, "--auto-approve")
    assert second.code == 0, second.output
    assert sorted(d["name"] for d in fake.destinations()) == ["hook 0", "hook 1", "hook 2"]
    assert [d["config"]["method"] for d in fake.destinations()] == ["PUT"] * 3


@pytest.fixture
def quick_checks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Look for a create whose answer never came twice in 0.1 s, not over seconds."""
    monkeypatch.setattr(defaults, "CREATE_CHECK_WAITS", (0.0, 0.1))


def wait_for_destinations(fake: FakeApi) -> None:
    deadline = time.monotonic() + 10
    while not fake.destinations():
        assert time.monotonic() < deadline, "the late create never landed"
        time.sleep(0.02)


@pytest.mark.usefixtures("quick_checks")
def test_an_unanswered_create_is_unknown_and_a_rerun_that_sees_it_land_does_not_repeat_it(
    orsync: Orsync, fake: FakeApi
) -> None:
    block, env = type_config("webhook")
    orsync.write_config("version: 1\ndestinations:\n" + block + "\n")
    # The server makes the destination 3 s after the POST came, long after orsync gave up.
    fake.fail(method="POST", status=200, delay=3.0)
    first = apply(orsync, "--auto-approve", "--timeout", "0.3", env=env)
    assert first.code == 1, first.output
    assert "create webhook 'webhook dest': unknown whether it took effect (" in first.stderr
    assert "the API did not answer in time" in first.stderr
    assert "run `orsync plan` in a minute to see whether it appeared" in first.stderr
    assert "orsync apply` again" not in first.stderr
    # Run again: the late create lands after this run's plan read, before its check right
    # before creating, which finds it. Had it not landed by then, the rerun would make it a
    # second time (orsync keeps no state, so it cannot see a create still under way): that is
    # why the report above says to plan in a minute, not to apply again.
    fake.before_request(lambda: wait_for_destinations(fake), method="GET", nth=2)
    second = apply(orsync, "--auto-approve", env=env)
    assert second.code == 1, second.output
    assert (
        "failed: create webhook 'webhook dest': destination 'webhook dest' appeared in "
        f"workspace {DEFAULT_WORKSPACE_ID} since the plan was made" in second.stderr
    )
    assert "run `orsync plan` again" in second.stderr
    assert [r.method for r in fake.mutating_requests()] == ["POST"]
    assert orsync("plan", env=env).code == 0
    assert len(fake.destinations()) == 1


def test_type_limit_is_reported(orsync: Orsync, fake: FakeApi) -> None:
    hooks = [type_config("webhook")[0].replace("webhook dest", f"hook {n}") for n in range(6)]
    orsync.write_config("version: 1\ndestinations:\n" + "\n".join(hooks) + "\n")
    result = apply(orsync, "--auto-approve")
    assert result.code == 1
    assert "409" in result.stderr and "hook 5" in result.stderr
    assert len(fake.destinations()) == 5


def test_create_without_its_secret_is_refused_before_anything_runs(
    orsync: Orsync, fake: FakeApi
) -> None:
    block, env = type_config("langfuse")
    orsync.write_config("version: 1\ndestinations:\n" + block + "\n")
    result = apply(
        orsync, "--auto-approve", env={k: v for k, v in env.items() if "SECRET" not in k}
    )
    assert result.code == 1
    assert "config.secretKey is ${LANGFUSE_SECRETKEY} (not set)" in result.stderr
    assert fake.mutating_requests() == []


def start_apply(orsync: Orsync, fake: FakeApi) -> subprocess.Popen[str]:
    """`orsync apply` of three creates, the first slow to answer; returns once it is sent."""
    hooks = [type_config("webhook")[0].replace("webhook dest", f"hook {n}") for n in range(3)]
    orsync.write_config("version: 1\ndestinations:\n" + "\n".join(hooks) + "\n")
    fake.fail(method="POST", status=200, delay=1.5)
    environ = orsync.environ()
    process = subprocess.Popen(
        [sys.executable, "-m", "orsync", "apply", "--auto-approve"],
        cwd=orsync.cwd,
        env=environ,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 20
    while not fake.mutating_requests() and time.monotonic() < deadline:
        time.sleep(0.02)
    return process


def test_ctrl_c_stops_between_steps_with_a_report(orsync: Orsync, fake: FakeApi) -> None:
    process = start_apply(orsync, fake)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=30)
    assert process.returncode == 1, stdout + stderr
    assert "apply stopped on interrupt" in stderr and "Traceback" not in stderr
    assert "done: create webhook 'hook 0'" in stderr
    assert "not tried: create webhook 'hook 1'; create webhook 'hook 2'" in stderr
    assert [d["name"] for d in fake.destinations()] == ["hook 0"]
    again = apply(orsync, "--auto-approve")
    assert again.code == 0, again.output
    assert len(fake.destinations()) == 3


def test_a_second_ctrl_c_stops_at_once_and_says_what_is_unsure(
    orsync: Orsync, fake: FakeApi
) -> None:
    process = start_apply(orsync, fake)
    process.send_signal(signal.SIGINT)
    time.sleep(0.2)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=30)
    assert process.returncode == 1, stdout + stderr
    assert "interrupted twice" in stderr and "may or may not have taken effect" in stderr
    assert "Traceback" not in stderr
    again = apply(orsync, "--auto-approve")
    assert again.code == 0, again.output
    assert sorted(d["name"] for d in fake.destinations()) == ["hook 0", "hook 1", "hook 2"]


def test_a_saved_plan_follows_an_explicit_config_path(orsync: Orsync, fake: FakeApi) -> None:
    block, env = type_config("webhook")
    orsync.write_config("version: 1\ndestinations:\n" + block + "\n")
    assert orsync("plan", "--out", "change.plan", env=env).code == 2
    # Another checkout holds the same file elsewhere: -c points at it; its hash must match.
    (orsync.cwd / "orsync.yaml").rename(orsync.cwd / "moved.yaml")
    result = apply(orsync, "change.plan", "-c", "moved.yaml", env=env)
    assert result.code == 0, result.output
    assert [d["name"] for d in fake.destinations()] == ["webhook dest"]
