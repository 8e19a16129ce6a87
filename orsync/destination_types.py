"""The table of destination types and their config keys, and the top-level destination fields.

Data, not branches: everything type-specific in orsync (the loader, the diff, apply) reads this
table. Defaults are the ones the API documentation names; whether the server fills them in is
not known, so a declared default matches an absent key and a filled-in default matches a key
the file leaves out (docs/config.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ConfigKey:
    """One `config` key of a destination type.

    `default` is the documented default (`has_default` tells it from None); `values` is a
    closed list of allowed values (empty: any); `server_made` keys are made by the server:
    compared when declared, never sent.
    """

    name: str
    required: bool = False
    secret: bool = False
    default: Any = None
    has_default: bool = False
    values: tuple[str, ...] = ()
    server_made: bool = False


@dataclass(frozen=True)
class DestinationType:
    """A destination type and its config keys."""

    name: str
    keys: Mapping[str, ConfigKey] = field(default_factory=dict)

    def required_keys(self) -> tuple[str, ...]:
        return tuple(k.name for k in self.keys.values() if k.required)


def _required(name: str, *, secret: bool = False) -> ConfigKey:
    return ConfigKey(name, required=True, secret=secret)


def _secret(name: str) -> ConfigKey:
    return ConfigKey(name, secret=True)


def _optional(name: str, *values: str) -> ConfigKey:
    return ConfigKey(name, values=values)


def _default(name: str, default: Any, *values: str) -> ConfigKey:
    return ConfigKey(name, default=default, has_default=True, values=values)


def _type(name: str, *keys: ConfigKey) -> DestinationType:
    return DestinationType(name, {key.name: key for key in keys})


_TYPE_LIST = (
    _type(
        "arize",
        _required("apiKey", secret=True),
        _required("spaceKey", secret=True),
        _required("modelId"),
        _default("baseUrl", "https://otlp.arize.com"),
    ),
    _type(
        "braintrust",
        _required("apiKey", secret=True),
        _required("projectId"),
        _default("baseUrl", "https://api.braintrust.dev"),
    ),
    _type(
        "clickhouse",
        _required("host"),
        _required("database"),
        _required("username"),
        _required("password", secret=True),
        _default("table", "OPENROUTER_TRACES"),
        _default("shouldIncludeCacheWriteTokens", False),
    ),
    _type(
        "datadog",
        _required("apiKey", secret=True),
        _required("mlApp"),
        _default("url", "https://api.datadoghq.com"),
    ),
    _type(
        "grafana",
        _required("apiKey", secret=True),
        _required("instanceId"),
        _default("baseUrl", "https://otlp-gateway-prod-us-west-0.grafana.net"),
    ),
    _type(
        "langfuse",
        _required("publicKey", secret=True),
        _required("secretKey", secret=True),
        _default("baseUrl", "https://us.cloud.langfuse.com"),
    ),
    _type(
        "langsmith",
        _required("apiKey", secret=True),
        _default("endpoint", "https://api.smith.langchain.com"),
        _default("project", "main"),
        _optional("workspaceId"),
    ),
    _type(
        "newrelic",
        _required("licenseKey", secret=True),
        _default("region", "us", "us", "eu"),
    ),
    _type(
        "opik",
        _required("apiKey", secret=True),
        _required("workspace"),
        _required("projectName"),
    ),
    _type("otel-collector", _required("endpoint")),
    _type(
        "posthog",
        _required("apiKey", secret=True),
        _default("endpoint", "https://us.i.posthog.com"),
    ),
    _type(
        "ramp",
        _required("apiKey", secret=True),
        _default("baseUrl", "https://api.ramp.com/developer/v1/ai-usage/openrouter"),
    ),
    _type(
        "s3",
        _required("bucketName"),
        _secret("accessKeyId"),
        _secret("secretAccessKey"),
        _secret("sessionToken"),
        _default("authMode", "access_keys", "access_keys", "iam_role"),
        _optional("provider", "aws", "cloudflare_r2", "gcs", "other"),
        _optional("roleArn"),
        # Made by OpenRouter when the destination is saved; an IAM trust policy depends on
        # it, so it is worth comparing, but it cannot be set.
        ConfigKey("externalId", server_made=True),
        _optional("region"),
        _optional("endpoint"),
        _default("prefix", "openrouter-traces"),
        _default("pathTemplate", "{prefix}/{date}"),
    ),
    _type("sentry", _required("dsn", secret=True), _required("otlpEndpoint")),
    _type(
        "snowflake",
        _required("account"),
        _required("token", secret=True),
        _default("database", "SNOWFLAKE_LEARNING_DB"),
        _default("schema", "PUBLIC"),
        _default("table", "OPENROUTER_TRACES"),
        _default("warehouse", "COMPUTE_WH"),
        _default("shouldIncludeCacheWriteTokens", False),
    ),
    _type(
        "weave",
        _required("apiKey", secret=True),
        _required("entity"),
        _required("project"),
        _default("baseUrl", "https://trace.wandb.ai"),
    ),
    _type("webhook", _required("url"), _default("method", "POST", "POST", "PUT")),
)

# Every type also takes `headers` (string map, values treated as secret); see HEADERS_KEY.
HEADERS_KEY = "headers"

TYPES: Mapping[str, DestinationType] = {kind.name: kind for kind in _TYPE_LIST}

# For types orsync does not know, a key whose name has one of these words is treated as secret,
# so that a new type's credentials are never printed.
_SECRET_WORDS = (
    "key",
    "secret",
    "token",
    "pass",
    "dsn",
    "cred",
    "auth",
    "bearer",
    "private",
    "cert",
    "signature",
    "connection",
    "json",
)


def looks_secret(name: str) -> bool:
    """Whether a key's name suggests it holds a credential (for types orsync does not know)."""
    lowered = name.lower()
    return any(word in lowered for word in _SECRET_WORDS)


def is_secret_key(type_name: str, key: str) -> bool:
    """Whether `config.<key>` of a destination of `type_name` holds a secret."""
    known = TYPES.get(type_name)
    if known is not None and key in known.keys:
        return known.keys[key].secret
    return known is None and looks_secret(key)


def is_server_made(type_name: str, key: str) -> bool:
    """Whether `config.<key>` is made by the server: compared when declared, never sent."""
    known = TYPES.get(type_name)
    return known is not None and key in known.keys and known.keys[key].server_made


def documented_default(type_name: str, key: str) -> tuple[bool, Any]:
    """`(True, value)` when the documentation names a default for `config.<key>`."""
    known = TYPES.get(type_name)
    if known is None or key not in known.keys:
        return False, None
    spec = known.keys[key]
    return spec.has_default, spec.default


# Top-level destination fields compared by the diff, and the API's create defaults.
BROADCAST_FLAGS = (
    "broadcast_generation_cost",
    "broadcast_generation_identity",
    "broadcast_generation_request_context",
    "broadcast_generation_cost_allocation",
)
FIELD_DEFAULTS: Mapping[str, Any] = {
    "enabled": True,
    "sampling_rate": 1,
    "privacy_mode": False,
    "api_key_hashes": None,
    "filter_rules": None,
    **{flag: False for flag in BROADCAST_FLAGS},
}
# `regions` is compared only when declared; absent live it means the API default.
REGIONS_DEFAULT = ("global",)
REGIONS = ("global", "europe", "us")
FILTER_FIELDS = (
    "model",
    "provider",
    "session_id",
    "user_id",
    "api_key_name",
    "finish_reason",
    "input",
    "output",
    "total_cost",
    "total_tokens",
    "prompt_tokens",
    "completion_tokens",
)
FILTER_OPERATORS = (
    "equals",
    "not_equals",
    "contains",
    "not_contains",
    "regex",
    "starts_with",
    "ends_with",
    "gt",
    "lt",
    "gte",
    "lte",
    "exists",
    "not_exists",
)
SAMPLING_MIN = 0.0001
