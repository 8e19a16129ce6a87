"""The table of destination types: config keys, which are required or secret, documented defaults.

Data, not branches: everything type-specific in orsync reads this table. Defaults are the ones the
documentation names; the API does not fill them in, so a declared default matches an absent key.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ConfigKey:
    """One `config` key of a destination type."""

    name: str
    required: bool = False
    secret: bool = False
    default: Any = None
    has_default: bool = False


@dataclass(frozen=True)
class DestinationType:
    """A destination type and its config keys."""

    name: str
    keys: Mapping[str, ConfigKey] = field(default_factory=dict)

    def required_keys(self) -> tuple[str, ...]:
        return tuple(k.name for k in self.keys.values() if k.required)


def _key(spec: str) -> ConfigKey:
    """Parse `name*S=default`: `*` required, `S` secret, `=...` documented default."""
    default: Any = None
    has_default = "=" in spec
    if has_default:
        spec, raw = spec.split("=", 1)
        default = {"false": False, "true": True}.get(raw, raw)
    name = spec.rstrip("*S")
    flags = spec[len(name) :]
    return ConfigKey(name, "*" in flags, "S" in flags, default, has_default)


# Every type also takes `headers` (string map, values treated as secret); see HEADERS_KEY.
_TYPES: dict[str, str] = {
    "arize": "apiKey*S spaceKey*S modelId* baseUrl=https://otlp.arize.com",
    "braintrust": "apiKey*S projectId* baseUrl=https://api.braintrust.dev",
    "clickhouse": "host* database* username* password*S table=OPENROUTER_TRACES "
    "shouldIncludeCacheWriteTokens=false",
    "datadog": "apiKey*S mlApp* url=https://api.datadoghq.com",
    "grafana": "apiKey*S instanceId* baseUrl=https://otlp-gateway-prod-us-west-0.grafana.net",
    "langfuse": "publicKey*S secretKey*S baseUrl=https://us.cloud.langfuse.com",
    "langsmith": "apiKey*S endpoint=https://api.smith.langchain.com project=main workspaceId",
    "newrelic": "licenseKey*S region=us",
    "opik": "apiKey*S workspace* projectName*",
    "otel-collector": "endpoint*",
    "posthog": "apiKey*S endpoint=https://us.i.posthog.com",
    "ramp": "apiKey*S baseUrl=https://api.ramp.com/developer/v1/ai-usage/openrouter",
    "s3": "bucketName* accessKeyIdS secretAccessKeyS sessionTokenS authMode provider roleArn "
    "externalId region endpoint prefix=openrouter-traces pathTemplate={prefix}/{date}",
    "sentry": "dsn*S otlpEndpoint*",
    "snowflake": "account* token*S database schema table warehouse shouldIncludeCacheWriteTokens",
    "weave": "apiKey*S entity* project* baseUrl=https://trace.wandb.ai",
    "webhook": "url* method=POST",
}

HEADERS_KEY = "headers"

TYPES: Mapping[str, DestinationType] = {
    name: DestinationType(name, {k.name: k for k in map(_key, spec.split())})
    for name, spec in _TYPES.items()
}

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
