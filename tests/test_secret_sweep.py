"""One sweep for leaked secrets: every command, in every format, with --verbose, over a config
holding every secret key of every type, against a workspace with something of each kind to do
and with failures on the way; then every output and every file written is searched for the
management key and for each secret, whole and by every 8-character piece of it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from conftest import Orsync
from fake_api import MANAGEMENT_KEY, FakeApi

from orsync import destination_types as types

OTHER_WORKSPACE = "0c0c0c0c-0000-4000-8000-00000000000c"
WINDOW = 8
MAX_DELETES = ("--max-deletes", "50")
# Letters only, none a hex digit, so no id or hash in an output can hold a piece of a secret.
_LETTERS = "ghijkmnpqrstuvwxyzGHJKLMNPQRSTUVWXYZ"


def distinctive(label: str) -> str:
    """A secret of 24 letters derived from `label`."""
    digest = hashlib.sha256(label.encode()).digest()
    return "".join(_LETTERS[b % len(_LETTERS)] for b in digest[:24])


def variable(type_name: str, key: str) -> str:
    return f"{type_name}_{key}".upper().replace("-", "_")


def secret_keys(type_name: str) -> list[str]:
    """Every secret key of a type, and `headers` (its values are secret for every type)."""
    return [k for k, spec in types.TYPES[type_name].keys.items() if spec.secret] + ["headers"]


# The kind of change each type's destination gets, in turn.
ROLES = ("update", "create", "replace", "unchanged")
ROLE_OF = {name: ROLES[index % len(ROLES)] for index, name in enumerate(types.TYPES)}


@dataclass
class Secrets:
    """Every secret of the sweep by what it is called in a failure message (never its value)."""

    values: dict[str, str] = field(default_factory=dict)

    def add(self, name: str, value: str) -> str:
        self.values[name] = value
        return value

    def environ(self) -> dict[str, str]:
        return {name[2:-1]: value for name, value in self.values.items() if name.startswith("${")}


def _value_of(type_name: str, key: str, secret: str) -> str:
    """How a secret stands in a config value: a DSN and a header around it, else alone."""
    if key == "dsn":
        return f"https://{secret}@o1.ingest.sentry.io/42"
    if key == "headers":
        return f"Bearer {secret}"
    return secret


def _plain_keys(type_name: str) -> dict[str, str]:
    """The required keys that are not secret, with ordinary values."""
    plain: dict[str, str] = {}
    for key in types.TYPES[type_name].required_keys():
        if not types.TYPES[type_name].keys[key].secret:
            plain[key] = f"https://{type_name}.example.com/in" if key in _URL_KEYS else f"v-{key}"
    return plain


_URL_KEYS = ("url", "host", "endpoint", "otlpEndpoint")
URL_PASSWORD = "WEBHOOK_URL_PASSWORD"


def config_text(secrets: Secrets) -> str:
    """Every type once in the default workspace, each secret key from `${VAR}`; a webhook's URL
    carries a password from a variable too. A second workspace deletes what it does not declare."""
    lines = ["version: 1", "workspaces:", "  - unmanaged: report", "    destinations:"]
    for type_name in types.TYPES:
        lines += [
            f"      - name: {type_name} sink",
            f"        type: {type_name}",
            "        config:",
        ]
        for key, value in _plain_keys(type_name).items():
            if key == "url":
                secrets.add(f"${{{URL_PASSWORD}}}", distinctive(URL_PASSWORD))
                value = f"https://bot:${{{URL_PASSWORD}}}@hooks.example.com/in"
            lines.append(f"          {key}: {value}")
        for key in secret_keys(type_name):
            name = variable(type_name, key)
            secrets.add(f"${{{name}}}", distinctive(name))
            reference = _value_of(type_name, key, f"${{{name}}}")
            if key == "headers":
                lines += ["          headers:", f"            Authorization: {reference}"]
            else:
                lines.append(f"          {key}: {reference}")
    lines += [f"  - id: {OTHER_WORKSPACE}", "    unmanaged: delete", "    destinations: []"]
    return "\n".join(lines) + "\n"


def live_config(type_name: str, secret: Callable[[str], str]) -> dict[str, Any]:
    """A config of `type_name` as stored live, each secret key given by `secret(key)`."""
    config: dict[str, Any] = dict(_plain_keys(type_name))
    if "url" in config:
        config["url"] = f"https://bot:{secret('url')}@hooks.example.com/in"
    for key in secret_keys(type_name):
        value = _value_of(type_name, key, secret(key))
        config[key] = {"Authorization": value} if key == "headers" else value
    return config


def seed(fake: FakeApi, secrets: Secrets) -> dict[str, str]:
    """Live destinations for every role, strays to report and to delete; returns the ids of
    the updates by type."""

    def same(type_name: str) -> Callable[[str], str]:
        """The config's own secrets: live matches the file."""

        def secret(key: str) -> str:
            name = URL_PASSWORD if key == "url" else variable(type_name, key)
            return secrets.values[f"${{{name}}}"]

        return secret

    def old(label: str) -> Callable[[str], str]:
        """Secrets of their own, held live only."""
        return lambda key: secrets.add(f"the live {label} {key}", distinctive(f"old {label} {key}"))

    updates: dict[str, str] = {}
    for type_name, role in ROLE_OF.items():
        name = f"{type_name} sink"
        if role == "update":
            config = live_config(type_name, old(type_name))
            item = {"name": name, "type": type_name, "enabled": False, "config": config}
            updates[type_name] = fake.add_destination(item)["id"]
        elif role == "replace":
            other = "webhook" if type_name != "webhook" else "posthog"
            config = live_config(other, old(f"{type_name} replaced"))
            fake.add_destination({"name": name, "type": other, "config": config})
        elif role == "unchanged":
            fake.add_destination(
                {"name": name, "type": type_name, "config": live_config(type_name, same(type_name))}
            )
    # Strays to report: a webhook whose URL carries a password (the API shows URLs in clear),
    # a type orsync does not know; to delete, in the other workspace: a Sentry DSN (in clear too).
    stray = old("stray")
    hook = live_config("webhook", stray)
    fake.add_destination({"name": "stray hook", "type": "webhook", "config": hook})
    unknown = {"apiToken": stray("apiToken"), "endpoint": "https://x.example/"}
    fake.add_destination({"name": "stray new", "type": "brand-new", "config": unknown})
    doomed = old("doomed")
    for type_name in ("sentry", "webhook"):
        config = live_config(type_name, doomed)
        item = {"name": f"doomed {type_name}", "type": type_name, "config": config}
        fake.add_destination(item, OTHER_WORKSPACE)
    return updates


@dataclass
class Sweep:
    """The runs of the sweep and what they printed."""

    orsync: Orsync
    env: dict[str, str]
    outputs: dict[str, str] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)

    def run(self, *args: str, expect: int, saying: str = "") -> None:
        """Run `orsync ARGS --verbose`; check its exit code and that stderr says `saying`.

        A failure names the run only: its output may hold the very secret being looked for.
        """
        result = self.orsync(*args, "--verbose", env=self.env)
        where = f"run {len(self.outputs) // 2 + 1} (`orsync {' '.join(args)}`)"
        code, said = result.code, saying in result.stderr
        assert code == expect, f"{where} exited {code}, not {expect}"
        assert said, f"{where} does not say {saying!r}"
        self.outputs[f"the stdout of {where}"] = result.stdout
        self.outputs[f"the stderr of {where}"] = result.stderr

    def file(self, name: str) -> None:
        self.files[f"the file {name}"] = (self.orsync.cwd / name).read_text(encoding="utf-8")


def windows(secret: str) -> Iterator[str]:
    for start in range(len(secret) - WINDOW + 1):
        yield secret[start : start + WINDOW]


# What to look for: a secret whole, and its pieces.
Sought = dict[str, tuple[str, list[str]]]


def sought(secrets: Secrets) -> Sought:
    """Each secret and its every 8-character piece; the management key and those of its pieces
    that hold a letter (its run of zeros also makes up the fake's workspace ids)."""
    found: Sought = {name: (value, list(windows(value))) for name, value in secrets.values.items()}
    key_pieces = [piece for piece in windows(MANAGEMENT_KEY) if any(c.isalpha() for c in piece)]
    found["the management key"] = (MANAGEMENT_KEY, key_pieces)
    return found


def leaks(outputs: dict[str, str], secrets: Sought) -> list[str]:
    """Which secret showed where, by name: never the secret itself."""
    found = []
    for name, (whole, pieces) in secrets.items():
        for where, text in outputs.items():
            if whole in text:
                found.append(f"{name} leaked whole in {where}")
            elif any(piece in text for piece in pieces):
                found.append(f"{name} leaked in part ({WINDOW} characters or more) in {where}")
    return found


def test_no_command_ever_shows_a_secret(orsync: Orsync, fake: FakeApi) -> None:
    secrets = Secrets()
    orsync.write_config(config_text(secrets))
    updates = seed(fake, secrets)
    sweep = Sweep(orsync, secrets.environ())
    sweep.run("validate", expect=0)
    for output_format in ("text", "json", "markdown"):
        plan_file = f"{output_format}.plan"
        sweep.run("plan", "--format", output_format, "--out", plan_file, *MAX_DELETES, expect=2)
        sweep.file(plan_file)
    sweep.run("snapshot", "-o", "live.json", expect=0)
    sweep.file("live.json")
    for output_format in ("text", "json", "markdown"):
        offline = ("--snapshot", "live.json", "--format", output_format)
        sweep.run("plan", *offline, *MAX_DELETES, expect=2)
    # An API that echoes in an error what it was sent: every secret of the config.
    echo = " ".join(v for k, v in secrets.values.items() if k.startswith("${"))
    fake.fail(method="POST", status=400, body=json.dumps({"error": {"message": echo}}))
    sweep.run("apply", "--auto-approve", *MAX_DELETES, expect=1, saying="failed: create")
    # A server failing one update on every try: apply stops half-way and says so.
    fake.fail(method="PATCH", path_contains=next(iter(updates.values())), status=500, times=10)
    sweep.run("apply", "text.plan", *MAX_DELETES, expect=1, saying="answered 500 after 4 tries")
    fake.reset_faults()
    sweep.run("apply", "json.plan", *MAX_DELETES, expect=1, saying="saved plan is stale")
    sweep.run("apply", "--auto-approve", *MAX_DELETES, expect=0)
    sweep.run("plan", "--format", "json", expect=2)  # the strays, reported
    assert (len(sweep.outputs), len(sweep.files)) == (2 * 13, 4)
    found = leaks({**sweep.outputs, **sweep.files}, sought(secrets))
    assert not found, "secrets leaked:\n" + "\n".join(found)
