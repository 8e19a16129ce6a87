"""The `policy:` block of the config file: every rule read, every mistake an error at its line."""

from __future__ import annotations

import pytest

from orsync.config import load_config_text
from orsync.errors import ConfigError
from orsync.model import Policy, Source

FULL = """\
version: 1
policy:
  privacy_mode: required
  max_sampling_rate: 0.5
  allowed_types: [langfuse, datadog, s3, s3]
  required_types: [s3]
  allowed_hosts: ["*.Langfuse.com", "api.datadoghq.com"]
  allowed_regions: [eu, europe]
  api_key_allowlist: required
  identity_broadcast: forbid
  plaintext_secrets: forbid
"""


def test_every_rule_is_read() -> None:
    desired = load_config_text(FULL, "orsync.yaml", {})
    assert desired.workspaces == ()
    assert desired.policy == Policy(
        source=Source("orsync.yaml", 2),
        privacy_mode_required=True,
        max_sampling_rate=0.5,
        allowed_types=("langfuse", "datadog", "s3"),
        required_types=("s3",),
        allowed_hosts=("*.langfuse.com", "api.datadoghq.com"),
        allowed_regions=("europe",),
        api_key_allowlist_required=True,
        identity_broadcast_forbidden=True,
        plaintext_secrets_forbidden=True,
    )


def test_rules_can_be_switched_off_and_left_out() -> None:
    text = (
        "version: 1\ndestinations: []\npolicy:\n  privacy_mode: optional\n"
        "  identity_broadcast: allow\n  plaintext_secrets: allow\n"
    )
    policy = load_config_text(text, "orsync.yaml", {}).policy
    assert policy == Policy(source=Source("orsync.yaml", 3))


def test_a_file_without_policy_has_none() -> None:
    assert load_config_text("version: 1\ndestinations: []\n", "f.yaml", {}).policy is None


@pytest.mark.parametrize(
    ("rules", "line", "path", "problem"),
    [
        (
            "  privacy: required\n",
            4,
            "policy.privacy",
            "unknown key, did you mean 'privacy_mode'?",
        ),
        (
            "  privacy_mode: true\n",
            4,
            "policy.privacy_mode",
            "expected one of: required, optional; got a boolean",
        ),
        (
            "  identity_broadcast: forbidden\n",
            4,
            "policy.identity_broadcast",
            "unknown value for identity_broadcast 'forbidden', did you mean 'forbid'?",
        ),
        (
            "  max_sampling_rate: 2\n",
            4,
            "policy.max_sampling_rate",
            "must be between 0.0001 and 1, got 2",
        ),
        (
            "  allowed_types: []\n",
            4,
            "policy.allowed_types",
            "expected at least one type; leave the rule out to allow every type",
        ),
        (
            "  allowed_types: [s3]\n  required_types:\n    - s3\n    - langfuse\n",
            7,
            "policy.required_types[1]",
            "required type 'langfuse' is not in allowed_types: no workspace could keep both rules",
        ),
        (
            # A type named twice: the line is the one of the type not allowed.
            "  allowed_types: [s3]\n  required_types:\n    - s3\n    - s3\n    - langfuse\n",
            8,
            "policy.required_types[2]",
            "required type 'langfuse' is not in allowed_types: no workspace could keep both rules",
        ),
        (
            "  allowed_hosts: ['https://cloud.langfuse.com']\n",
            4,
            "policy.allowed_hosts[0]",
            "expected a host or host pattern such as *.langfuse.com (no scheme, port or path), "
            "got 'https://cloud.langfuse.com'",
        ),
        (
            "  allowed_hosts: []\n",
            4,
            "policy.allowed_hosts",
            "expected at least one host; leave the rule out to allow every host",
        ),
        (
            "  allowed_regions: []\n",
            4,
            "policy.allowed_regions",
            "expected at least one region; leave `regions` out for the API default",
        ),
        ("  allowed_hosts: api.example.com\n", 4, "policy.allowed_hosts", "expected a list"),
    ],
)
def test_a_bad_rule_is_an_error_at_its_line(rules: str, line: int, path: str, problem: str) -> None:
    text = "version: 1\ndestinations: []\npolicy:\n" + rules
    with pytest.raises(ConfigError) as raised:
        load_config_text(text, "orsync.yaml", {})
    assert str(raised.value).startswith(f"orsync.yaml:{line}: {path}: {problem}")


def test_policy_must_be_a_mapping() -> None:
    with pytest.raises(ConfigError) as raised:
        load_config_text("version: 1\npolicy:\n", "orsync.yaml", {})
    assert str(raised.value) == (
        "orsync.yaml:2: policy: expected a mapping of policy rules, got null (leave `policy` out)"
    )


def test_unknown_types_and_regions_are_warnings() -> None:
    text = "version: 1\npolicy:\n  allowed_types: [bigquery]\n  allowed_regions: [mars]\n"
    desired = load_config_text(text, "orsync.yaml", {})
    assert desired.policy is not None
    assert desired.policy.allowed_types == ("bigquery",)
    assert desired.policy.allowed_regions == ("mars",)
    # A policy is never sent: the warning says what the policy does with the value.
    assert list(desired.warnings) == [
        "orsync.yaml:3: policy.allowed_types[0]: unknown type 'bigquery': "
        "the policy keeps it as written",
        "orsync.yaml:4: policy.allowed_regions[0]: unknown region 'mars': "
        "the policy keeps it as written",
    ]


def test_a_file_needs_destinations_or_a_policy() -> None:
    with pytest.raises(ConfigError) as raised:
        load_config_text("version: 1\n", "orsync.yaml", {})
    assert "declare `workspaces` or `destinations` (or a `policy` to audit)" in str(raised.value)
