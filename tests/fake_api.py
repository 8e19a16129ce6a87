"""A fake OpenRouter management API (observability destinations and workspaces).

It serves real HTTP on 127.0.0.1 so tests and benchmarks exercise orsync's client end to end;
nothing is mocked. It follows OpenRouter's public API reference. Where the public material is
silent (masking of short secrets and headers, whether PATCH merges `config.headers`, the status of
the 5-per-type limit, whether regions and filter values outside the documented lists are
accepted, whether `total_count` counts destinations the listing hides, whether the server
stores documented defaults) the behaviour is a constructor option, so tests can cover each
plausible answer. Misbehaviour of the network and of proxies (slow, trickling, redirecting,
dropping `?workspace_id=`) is switched on by tests.

The type table is deliberately written out again here rather than imported from orsync: a fake
that shares orsync's table would hide a mistake in it.

Run it by hand or from a benchmark (it serves in its own process, so its CPU is not orsync's):
    python tests/fake_api.py [--port N] [--destinations N] [--workspaces M] [--latency S]
It prints `base_url=...`, `management_key=...`, the workspace ids, then `ready`; on SIGTERM it
stops and prints `requests=N max_in_flight=M`.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import json
import re
import signal
import socket
import socketserver
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import FrameType, TracebackType
from typing import Any, cast
from urllib.parse import parse_qsl, urlsplit

MANAGEMENT_KEY = "or-mgmt-test-key-0000000000000000"
ORDINARY_KEY = "or-ordinary-test-key-000000000000"
DEFAULT_WORKSPACE_ID = "00000000-0000-4000-8000-000000000001"
API_PREFIX = "/api/v1"

# Config keys per type, from OpenRouter's API reference: `*` marks a required key, `!` a secret one
# (`!` rather than the table's `S`, so that a key name can never be misread as a flag).
_TYPE_SPECS: dict[str, str] = {
    "arize": "apiKey*! spaceKey*! modelId* baseUrl",
    "braintrust": "apiKey*! projectId* baseUrl",
    "clickhouse": "host* database* username* password*! table shouldIncludeCacheWriteTokens",
    "datadog": "apiKey*! mlApp* url",
    "grafana": "apiKey*! instanceId* baseUrl",
    "langfuse": "publicKey*! secretKey*! baseUrl",
    "langsmith": "apiKey*! endpoint project workspaceId",
    "newrelic": "licenseKey*! region",
    "opik": "apiKey*! workspace* projectName*",
    "otel-collector": "endpoint*",
    "posthog": "apiKey*! endpoint",
    "ramp": "apiKey*! baseUrl",
    "s3": "bucketName* accessKeyId! secretAccessKey! sessionToken! authMode provider roleArn "
    "externalId region endpoint prefix pathTemplate",
    "sentry": "dsn*! otlpEndpoint*",
    "snowflake": "account* token*! database schema table warehouse shouldIncludeCacheWriteTokens",
    "weave": "apiKey*! entity* project* baseUrl",
    "webhook": "url* method",
}
DESTINATION_TYPES: tuple[str, ...] = tuple(_TYPE_SPECS)
# Documented config defaults (written out again, like the table above). Whether the real server
# stores them in a destination created without them is not known: see FakeApi(fill_defaults=).
CONFIG_DEFAULTS: dict[str, dict[str, Any]] = {
    "arize": {"baseUrl": "https://otlp.arize.com"},
    "braintrust": {"baseUrl": "https://api.braintrust.dev"},
    "clickhouse": {"table": "OPENROUTER_TRACES", "shouldIncludeCacheWriteTokens": False},
    "datadog": {"url": "https://api.datadoghq.com"},
    "grafana": {"baseUrl": "https://otlp-gateway-prod-us-west-0.grafana.net"},
    "langfuse": {"baseUrl": "https://us.cloud.langfuse.com"},
    "langsmith": {"endpoint": "https://api.smith.langchain.com", "project": "main"},
    "newrelic": {"region": "us"},
    "posthog": {"endpoint": "https://us.i.posthog.com"},
    "ramp": {"baseUrl": "https://api.ramp.com/developer/v1/ai-usage/openrouter"},
    "s3": {
        "authMode": "access_keys",
        "prefix": "openrouter-traces",
        "pathTemplate": "{prefix}/{date}",
    },
    "snowflake": {
        "database": "SNOWFLAKE_LEARNING_DB",
        "schema": "PUBLIC",
        "table": "OPENROUTER_TRACES",
        "warehouse": "COMPUTE_WH",
        "shouldIncludeCacheWriteTokens": False,
    },
    "weave": {"baseUrl": "https://trace.wandb.ai"},
    "webhook": {"method": "POST"},
}
# `headers` is not listed: its values are secret for every type and are masked separately.
SECRET_KEYS: dict[str, frozenset[str]] = {
    t: frozenset(tok.rstrip("*!") for tok in spec.split() if tok.endswith("!"))
    for t, spec in _TYPE_SPECS.items()
}
REQUIRED_KEYS: dict[str, frozenset[str]] = {
    t: frozenset(tok.rstrip("*!") for tok in spec.split() if "*" in tok)
    for t, spec in _TYPE_SPECS.items()
}

BROADCAST_FLAGS = (
    "broadcast_generation_cost",
    "broadcast_generation_identity",
    "broadcast_generation_request_context",
    "broadcast_generation_cost_allocation",
)
REGIONS = frozenset({"global", "europe", "us"})
# Accepted on input and stored under the other name.
REGION_ALIASES = {"eu": "europe"}
# Space-separated, like the type table, to keep these long lists readable.
_FILTER_FIELDS_TEXT = (
    "model provider session_id user_id api_key_name finish_reason input output total_cost "
    "total_tokens prompt_tokens completion_tokens"
)
_FILTER_OPERATORS_TEXT = (
    "equals not_equals contains not_contains regex starts_with ends_with gt lt gte lte exists "
    "not_exists"
)
FILTER_FIELDS = frozenset(_FILTER_FIELDS_TEXT.split())
FILTER_OPERATORS = frozenset(_FILTER_OPERATORS_TEXT.split())
_BOOL_FIELDS = ("enabled", "privacy_mode", *BROADCAST_FLAGS)
_UPDATABLE_FIELDS = frozenset(
    {"name", "sampling_rate", "api_key_hashes", "filter_rules", "config", "regions", *_BOOL_FIELDS}
)
_CREATE_FIELDS = _UPDATABLE_FIELDS | {"type", "workspace_id"}
MASK_STYLES = ("prefix", "stars", "full")
FULL_MASK = "********"
# Below this length, even the last 4 characters would give away most of the secret.
_MIN_REVEAL_LENGTH = 12
# For types not in the table, a key whose name holds one of these words is treated as secret.
_SECRET_WORDS = ("key", "secret", "token", "password", "dsn")
_MASKED_RE = re.compile(r"^.*\.\.\..{1,8}$")
_STARS_RE = re.compile(r"^\*+$")
_UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
_DIGITS_RE = re.compile(r"^[0-9]+$")
_MUTATING_METHODS = frozenset({"POST", "PATCH", "DELETE"})


@dataclass
class RecordedRequest:
    """One request as the fake received it."""

    method: str
    path: str
    query: dict[str, str]
    body: Any
    authorization: str | None
    # time.monotonic() when the request arrived, before any latency or fault delay.
    received_at: float = 0.0


@dataclass
class _Response:
    status: int
    body: bytes
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    # Seconds between single bytes of the answer (status line and headers too); 0: all at once.
    trickle: float = 0.0


@dataclass
class _Fault:
    method: str | None
    path_contains: str | None
    status: int
    remaining: int
    retry_after: str | None
    body: str | None
    content_type: str
    delay: float
    after_effect: bool
    drop_connection: bool
    location: str | None
    trickle: float
    workspace_id: str | None = None

    def matches(self, request: RecordedRequest) -> bool:
        if self.workspace_id is not None and request.query.get("workspace_id") != self.workspace_id:
            return False
        return _request_matches(self.method, self.path_contains, request.method, request.path)

    @property
    def only_slow(self) -> bool:
        # A 200 with no body of its own means "answer normally, only late".
        return self.status == 200 and self.body is None

    def response(self) -> _Response:
        headers = {} if self.retry_after is None else {"Retry-After": self.retry_after}
        if self.location is not None:
            headers["Location"] = self.location
        if self.body is None:
            try:
                phrase = HTTPStatus(self.status).phrase
            except ValueError:
                phrase = "Error"
            return _error(self.status, f"Injected fault: {phrase}", headers)
        return _Response(self.status, self.body.encode(), self.content_type, headers)


@dataclass
class _Hook:
    method: str | None
    path_contains: str | None
    # Matching requests still to arrive before the one the action runs before.
    remaining: int
    action: Callable[[], None]


def _request_matches(
    method: str | None, path_contains: str | None, got_method: str, got_path: str
) -> bool:
    return (method is None or method == got_method) and (
        path_contains is None or path_contains in got_path
    )


class _ApiError(Exception):
    """An error answer, raised from deep inside validation and turned into a response."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _as_javascript_writes(value: Any) -> Any:
    """`value` with each float that holds a whole number below 1e21 made that integer, as
    JavaScript's JSON writes it."""
    if isinstance(value, dict):
        return {key: _as_javascript_writes(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_as_javascript_writes(item) for item in value]
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e21:
        return int(value)
    return value


def _json(status: int, payload: Any, headers: dict[str, str] | None = None) -> _Response:
    return _Response(status, json.dumps(payload).encode(), headers=headers or {})


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> _Response:
    return _json(status, {"error": {"code": status, "message": message, "metadata": None}}, headers)


def _bad(message: str) -> _ApiError:
    return _ApiError(400, message)


def _now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


# --- masking ---------------------------------------------------------------------------------


def looks_masked(value: object) -> bool:
    """Whether a value looks like a mask the API returned (`sk-l...AbCd` or `********`)."""
    return isinstance(value, str) and bool(_MASKED_RE.match(value) or _STARS_RE.match(value))


def is_secret_key(dest_type: str, key: str) -> bool:
    """Whether `config.<key>` of a destination of `dest_type` is masked in responses."""
    if dest_type in SECRET_KEYS:
        return key in SECRET_KEYS[dest_type]
    return any(word in key.lower() for word in _SECRET_WORDS)


def mask_secret(value: object, style: str) -> object:
    """The form in which the API shows a secret value, under a mask style."""
    if value is None:
        return None
    if not isinstance(value, str) or len(value) < _MIN_REVEAL_LENGTH or style == "full":
        return FULL_MASK
    if style == "prefix":
        return f"{value[:4]}...{value[-4:]}"
    return f"****...{value[-4:]}"


def mask_destination(
    item: Mapping[str, Any], style: str, *, mask_non_strings: bool = True
) -> dict[str, Any]:
    """A stored destination with its secrets masked as the API shows them.

    Only what masking replaces is copied (the item and its config): an answer is serialised at
    once, under the fake's lock, so it can share the rest with what is stored.
    `mask_non_strings=False` shows a number, boolean, list or map under a secret-named key
    (`tokenTtl: 3600` of a type the fake knows only by key names) as it is.
    """
    masked = dict(item)
    config = masked.get("config")
    if not isinstance(config, dict):
        return masked
    config = masked["config"] = dict(config)
    dest_type = str(masked.get("type"))
    for key, value in config.items():
        if key == "headers" and isinstance(value, dict):
            config[key] = {name: mask_secret(v, style) for name, v in value.items()}
        elif dest_type == "sentry" and key == "dsn":
            continue  # The public docs show the Sentry dsn unmasked.
        elif dest_type == "clickhouse" and key == "password":
            config[key] = FULL_MASK  # The docs show the ClickHouse password as stars alone.
        elif is_secret_key(dest_type, key) and (mask_non_strings or isinstance(value, str)):
            config[key] = mask_secret(value, style)
    return masked


# --- validation of request bodies ------------------------------------------------------------


def _check_fields(body: Mapping[str, Any], *, open_lists: bool) -> None:
    """Validate the top-level fields that create and update share (those present only).

    With `open_lists`, a region, filter field, operator or logic outside the documented lists is
    accepted, as the SDK's open enums would allow; without it, refused.
    """
    if "name" in body and (not isinstance(body["name"], str) or not body["name"]):
        raise _bad("'name' must be a non-empty string")
    for name in _BOOL_FIELDS:
        if name in body and not isinstance(body[name], bool):
            raise _bad(f"'{name}' must be a boolean")
    if "sampling_rate" in body:
        rate = body["sampling_rate"]
        if isinstance(rate, bool) or not isinstance(rate, (int, float)):
            raise _bad("'sampling_rate' must be a number")
        if not 0.0001 <= rate <= 1:
            raise _bad("'sampling_rate' must be between 0.0001 and 1")
    hashes = body.get("api_key_hashes")
    if hashes is not None and (
        not isinstance(hashes, list) or not hashes or not all(isinstance(h, str) for h in hashes)
    ):
        raise _bad("'api_key_hashes' must be null or a non-empty list of strings")
    if body.get("filter_rules") is not None:
        _check_filter_rules(body["filter_rules"], open_lists=open_lists)
    if "regions" in body:
        regions = body["regions"]
        known = REGIONS | set(REGION_ALIASES)
        if (
            not isinstance(regions, list)
            or not regions
            or not all(isinstance(r, str) for r in regions)
            or not (open_lists or set(regions) <= known)
        ):
            raise _bad("'regions' must be a non-empty list of: global, europe, us")


def _stored_regions(body: Mapping[str, Any]) -> dict[str, Any]:
    """The body with each region alias (`eu`) replaced by the name the API stores."""
    if not isinstance(body.get("regions"), list):
        return dict(body)
    return {**body, "regions": [REGION_ALIASES.get(r, r) for r in body["regions"]]}


def _check_filter_rules(rules: object, *, open_lists: bool) -> None:
    if not isinstance(rules, dict) or not isinstance(rules.get("groups"), list):
        raise _bad("'filter_rules' must be null or an object with a 'groups' list")
    if "enabled" in rules and not isinstance(rules["enabled"], bool):
        raise _bad("'filter_rules.enabled' must be a boolean")
    for group in rules["groups"]:
        if not isinstance(group, dict) or not isinstance(group.get("rules"), list):
            raise _bad("each filter group must be an object with a 'rules' list")
        logic = group.get("logic", "and")
        if not isinstance(logic, str) or (not open_lists and logic not in ("and", "or")):
            raise _bad("filter group 'logic' must be 'and' or 'or'")
        for rule in group["rules"]:
            if not isinstance(rule, dict):
                raise _bad("each filter rule must be an object")
            for key, known in (("field", FILTER_FIELDS), ("operator", FILTER_OPERATORS)):
                word = rule.get(key)
                if not isinstance(word, str) or (not open_lists and word not in known):
                    raise _bad(f"Invalid filter {key}: {word!r}")
            value = rule.get("value")
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, (str, int, float))
            ):
                raise _bad("filter rule 'value' must be a string or a number")


def _check_config(config: object, *, allow_null_values: bool) -> dict[str, Any]:
    """Check the shape of a `config` object; null values (removals) only in an update."""
    if not isinstance(config, dict):
        raise _bad("'config' must be an object")
    for key, value in config.items():
        if "_" in key:
            raise _bad(f"Invalid config key '{key}': config keys must be camelCase")
        if key == "headers" and value is not None:
            allowed: tuple[type, ...] = (str, type(None)) if allow_null_values else (str,)
            if not isinstance(value, dict) or not all(
                isinstance(v, allowed) for v in value.values()
            ):
                raise _bad("'config.headers' must be an object of string values")
    return config


def _check_required(dest_type: str, config: Mapping[str, Any]) -> None:
    for key in sorted(REQUIRED_KEYS.get(dest_type, ())):
        if config.get(key) is None:
            raise _bad(f"Missing required config key '{key}' for type '{dest_type}'")


def _merge_headers(stored: object, patch: object, *, merge: bool) -> dict[str, Any] | None:
    """PATCH of `config.headers`: key by key (merge) or whole (replace); masks keep old values."""
    if patch is None:
        return None
    old: dict[str, Any] = dict(stored) if isinstance(stored, dict) else {}
    new: dict[str, Any] = dict(old) if merge else {}
    for name, value in cast(dict[str, Any], patch).items():
        if value is None:
            new.pop(name, None)
        elif looks_masked(value):
            if name in old:
                new[name] = old[name]
        else:
            new[name] = value
    return new


def _merge_config(
    stored: Mapping[str, Any], patch: Mapping[str, Any], *, headers_merge: bool
) -> dict[str, Any]:
    """Merge a PATCH `config` into the stored one, key by key, as the API documents."""
    merged = copy.deepcopy(dict(stored))
    for key, value in patch.items():
        if key == "headers":
            headers = _merge_headers(stored.get("headers"), value, merge=headers_merge)
            if headers is None:
                merged.pop("headers", None)
            else:
                merged["headers"] = headers
        elif value is None:
            merged.pop(key, None)
        elif not looks_masked(value):
            # "Masked values are ignored", so a client may send back what it read.
            merged[key] = copy.deepcopy(value)
    return merged


def _parse_paging(query: Mapping[str, str]) -> tuple[int, int]:
    offset_text, limit_text = query.get("offset", "0"), query.get("limit", "50")
    if not _DIGITS_RE.match(offset_text):
        raise _bad("'offset' must be an integer >= 0")
    if not _DIGITS_RE.match(limit_text) or not 1 <= int(limit_text) <= 100:
        raise _bad("'limit' must be an integer between 1 and 100")
    return int(offset_text), int(limit_text)


# --- the API -----------------------------------------------------------------------------------


class FakeApi:
    """An in-memory OpenRouter management API served over HTTP on 127.0.0.1."""

    def __init__(
        self,
        *,
        workspaces: Iterable[str] = (),
        max_page_size: int = 100,
        mask_style: str = "prefix",
        type_limit: int = 5,
        type_limit_status: int = 409,
        headers_merge: bool = True,
        open_lists: bool = False,
        empty_filter_as_groups: bool = False,
        count_hidden: bool = False,
        ignore_workspace_id: bool = False,
        fill_defaults: bool = False,
        unknown_workspace_status: int = 404,
        extra_types: Iterable[str] = (),
        mask_non_strings: bool = True,
        js_numbers: bool = False,
        latency: float = 0.0,
        port: int = 0,
    ) -> None:
        """`count_hidden`: `total_count` also counts what the listing hides (deleted destinations,
        and those added with `add_hidden`, of types not yet stable). `ignore_workspace_id`: the
        list answers the default workspace whatever `?workspace_id=` asks, as behind a proxy that
        drops the query. `latency`: seconds between a request's arrival and its answer, as a
        network's round trip would add (the answer is made at once; a fault's delay comes
        first, and the latency counts from the arrival).
        """
        if mask_style not in MASK_STYLES:
            raise ValueError(f"mask_style must be one of {MASK_STYLES}, not {mask_style!r}")
        if max_page_size < 1:
            raise ValueError("max_page_size must be >= 1")
        self.max_page_size = max_page_size
        self.mask_style = mask_style
        self.type_limit = type_limit
        self.type_limit_status = type_limit_status
        self.headers_merge = headers_merge
        self.open_lists = open_lists
        # No filter is documented as null; the server has been seen answering this instead.
        self.empty_filter_as_groups = empty_filter_as_groups
        self.count_hidden = count_hidden
        self.ignore_workspace_id = ignore_workspace_id
        # Store the documented defaults (config keys, regions, broadcast flags) in every item
        # created or seeded without them, as a server that fills them in would.
        self.fill_defaults = fill_defaults
        # How `GET /workspaces/{id-or-slug}` answers a name no workspace has: 404 is what the
        # reference suggests, and 400 is plausible for a name that is no UUID.
        self.unknown_workspace_status = unknown_workspace_status
        # Types a newer server knows and orsync may not (no required keys, secrets by name).
        self.extra_types = frozenset(extra_types)
        # Numbers written as JavaScript writes them: a float that holds a whole number below
        # 1e21 is written without point or exponent (1.5e+20 as 150000000000000000000). Whether
        # the API does is not documented.
        self.js_numbers = js_numbers
        # Whether a non-string value under a secret key is shown as stars or as it is.
        self.mask_non_strings = mask_non_strings
        if latency < 0:
            raise ValueError("latency must be >= 0")
        self.latency = latency
        self.port = port
        self.requests: list[RecordedRequest] = []
        # Requests received and not yet answered, now and at the most.
        self.in_flight = 0
        self.max_in_flight = 0
        # Exceptions raised inside the fake (answered 500); a test may assert there were none.
        self.server_errors: list[str] = []
        self._lock = threading.Lock()
        self._workspaces: dict[str, dict[str, Any]] = {}
        # workspace id -> destination id -> item; dicts keep insertion order, the list order.
        self._items: dict[str, dict[str, dict[str, Any]]] = {}
        self._owner: dict[str, str] = {}
        # workspace id -> how many destinations it has that the listing does not show
        self._hidden: dict[str, int] = {}
        # How many more list pages (after a first) find the list moved under them.
        self._moves = 0
        self._faults: list[_Fault] = []
        self._hooks: list[_Hook] = []
        self._connections: set[socket.socket] = set()
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self.add_workspace(DEFAULT_WORKSPACE_ID, "default")
        for workspace_id in workspaces:
            self.add_workspace(workspace_id)

    # -- lifecycle --

    def start(self) -> FakeApi:
        """Bind 127.0.0.1 (a free port unless `port` was given) and serve in a thread."""
        if self._server is not None:
            raise RuntimeError("FakeApi is already running")
        self._stopping.clear()
        self._server = _Server(self, self.port)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="fake-openrouter-api",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, hang up open connections and wake delayed answers; idempotent."""
        server, thread = self._server, self._thread
        if server is None:
            return
        self._stopping.set()
        server.shutdown()
        server.server_close()
        with self._lock:
            connections = list(self._connections)
        # Kept-alive connections would otherwise hold their handler threads until the client
        # closes them.
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        if thread is not None:
            thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> FakeApi:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """`http://127.0.0.1:<port>/api/v1` of the running server."""
        if self._server is None:
            raise RuntimeError("FakeApi is not running")
        return f"http://127.0.0.1:{self._server.server_port}{API_PREFIX}"

    # -- state for tests --

    def add_workspace(
        self, workspace_id: str, slug: str | None = None, name: str | None = None
    ) -> None:
        """Make a workspace exist (no destinations); a known id is left as it is."""
        with self._lock:
            self._add_workspace_locked(workspace_id, slug, name)

    def add_destination(
        self, item: dict[str, Any], workspace_id: str | None = None
    ) -> dict[str, Any]:
        """Seed a destination without validation, filling the API's defaults; returns a copy.

        An unknown workspace is created, so the item is reachable through the API.
        """
        workspace = workspace_id or item.get("workspace_id") or DEFAULT_WORKSPACE_ID
        with self._lock:
            self._add_workspace_locked(workspace, None)
            stored = self._store_locked(item, workspace)
            return copy.deepcopy(stored)

    def remove_destination(self, destination_id: str) -> None:
        """Delete a destination at once, as someone else acting on the workspace would."""
        with self._lock:
            self._delete_locked(destination_id)

    def add_hidden(self, count: int, workspace_id: str | None = None) -> None:
        """Give a workspace `count` destinations the listing never shows (types not yet stable).

        Only `total_count` can tell of them, and only with `count_hidden`.
        """
        workspace = workspace_id or DEFAULT_WORKSPACE_ID
        with self._lock:
            self._add_workspace_locked(workspace, None)
            self._hidden[workspace] = self._hidden.get(workspace, 0) + count

    def move_listing(self, times: int = 1) -> None:
        """Make the list move under the next `times` list pages asked after a first one.

        Before answering such a page, a new destination is put at the head of the list, as if
        another client created it while orsync read, so that what followed moves one place on.
        """
        with self._lock:
            self._moves += times

    def edit_destination(
        self, destination_id: str, edit: Callable[[dict[str, Any]], None]
    ) -> dict[str, Any]:
        """Change a stored item in place, without validation (a change made by hand or by a
        newer server); returns a copy of the result."""
        with self._lock:
            item = self._find_locked(destination_id)
            edit(item)
            return copy.deepcopy(item)

    def reset(self) -> None:
        """Forget every destination, extra workspace, request and fault; switches stay."""
        with self._lock:
            self._workspaces.clear()
            self._items.clear()
            self._owner.clear()
            self._faults.clear()
            self.requests.clear()
            self._add_workspace_locked(DEFAULT_WORKSPACE_ID, "default")

    def destinations(self, workspace_id: str | None = None) -> list[dict[str, Any]]:
        """Deep copies of the stored, unmasked items of a workspace, in list order."""
        with self._lock:
            items = self._items.get(workspace_id or DEFAULT_WORKSPACE_ID, {})
            return copy.deepcopy(list(items.values()))

    def all_destinations(self) -> list[dict[str, Any]]:
        """Deep copies of every stored, unmasked item, workspace by workspace."""
        with self._lock:
            return copy.deepcopy([i for items in self._items.values() for i in items.values()])

    def mutating_requests(self) -> list[RecordedRequest]:
        """The recorded POST, PATCH and DELETE requests, in order."""
        with self._lock:
            return [r for r in self.requests if r.method in _MUTATING_METHODS]

    def sent_bodies(self, method: str) -> list[Any]:
        """The bodies of the recorded requests of `method` (POST, PATCH), in order."""
        return [r.body for r in self.mutating_requests() if r.method == method]

    def fail(
        self,
        *,
        method: str | None = None,
        path_contains: str | None = None,
        status: int = 500,
        times: int = 1,
        retry_after: str | None = None,
        body: str | None = None,
        content_type: str = "application/json",
        delay: float = 0.0,
        after_effect: bool = False,
        drop_connection: bool = False,
        location: str | None = None,
        trickle: float = 0.0,
        workspace_id: str | None = None,
    ) -> None:
        """Queue a fault for the next `times` requests matching method and path substring
        (and `?workspace_id=`, when given).

        `path_contains` is matched against the path without its query. Faults come before
        auth, as from a proxy in front. `status=200` with no `body` and a `delay` only slows
        the answer: the request is carried out after the delay, so a client that timed out
        meanwhile sees its create take effect later, as a server finishing work the client
        gave up on. `after_effect` carries out the request first, then answers the fault;
        `drop_connection` closes the socket without an answer. `location` sets a Location
        header (for a 3xx). `trickle` sends the answer one byte every `trickle` seconds.
        """
        if times < 1:
            raise ValueError("times must be >= 1")
        fault = _Fault(
            method.upper() if method else None,
            path_contains,
            status,
            times,
            retry_after,
            body,
            content_type,
            delay,
            after_effect,
            drop_connection,
            location,
            trickle,
            workspace_id,
        )
        with self._lock:
            self._faults.append(fault)

    def reset_faults(self) -> None:
        """Forget every queued fault."""
        with self._lock:
            self._faults.clear()

    def before_request(
        self,
        action: Callable[[], None],
        *,
        method: str | None = None,
        path_contains: str | None = None,
        nth: int = 1,
    ) -> None:
        """Run `action` once, when the `nth` request matching method and path (counted from
        now) arrives, before that request is answered: a change someone else makes at a
        chosen moment, such as between two page reads or between a plan and its apply.
        """
        if nth < 1:
            raise ValueError("nth must be >= 1")
        hook = _Hook(method.upper() if method else None, path_contains, nth, action)
        with self._lock:
            self._hooks.append(hook)

    # -- serving (called from handler threads) --

    def _respond(self, request: RecordedRequest, body_is_json: bool) -> _Response | None:
        """Record a request and answer it, counting it in flight until it is answered.

        The latency is added to the answer, however long making it took: it stands for the
        network, and the fake's own time to answer is not the client's to pay.
        """
        with self._lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            due_at = time.monotonic() + self.latency
            response = self._answer(request, body_is_json)
            if self.latency > 0:
                # Waits on the stop event, so stop() never waits for a slow answer.
                self._stopping.wait(max(0.0, due_at - time.monotonic()))
            return response
        finally:
            with self._lock:
                self.in_flight -= 1

    def _answer(self, request: RecordedRequest, body_is_json: bool) -> _Response | None:
        """Answer a request, applying faults; None means drop the connection."""
        with self._lock:
            self.requests.append(request)
            due = self._take_hooks_locked(request.method, request.path)
            fault = self._take_fault_locked(request)
        for hook in due:
            # Outside the lock: an action changes state through the public helpers.
            try:
                hook.action()
            except Exception:
                self.server_errors.append(traceback.format_exc())
        if fault is None:
            return self._handle(request, body_is_json)
        real = self._handle(request, body_is_json) if fault.after_effect else None
        if fault.delay > 0:
            # Waits on the stop event, so stop() never waits for a slow answer.
            self._stopping.wait(fault.delay)
        if fault.drop_connection:
            return None
        if fault.only_slow:
            response = real if real is not None else self._handle(request, body_is_json)
        else:
            response = fault.response()
        response.trickle = fault.trickle
        return response

    def _track_connection(self, connection: socket.socket, opened: bool) -> None:
        """Remember open client connections so that stop() can hang them up."""
        with self._lock:
            if opened:
                self._connections.add(connection)
            else:
                self._connections.discard(connection)

    def _take_hooks_locked(self, method: str, path: str) -> list[_Hook]:
        due = []
        for hook in list(self._hooks):
            if _request_matches(hook.method, hook.path_contains, method, path):
                hook.remaining -= 1
                if hook.remaining == 0:
                    self._hooks.remove(hook)
                    due.append(hook)
        return due

    def _take_fault_locked(self, request: RecordedRequest) -> _Fault | None:
        for fault in self._faults:
            if fault.matches(request):
                fault.remaining -= 1
                if fault.remaining == 0:
                    self._faults.remove(fault)
                return fault
        return None

    def _handle(self, request: RecordedRequest, body_is_json: bool) -> _Response:
        try:
            self._authorize(request.authorization)
            if request.method in ("POST", "PATCH") and not body_is_json:
                raise _bad("Invalid JSON body")
            with self._lock:
                return self._route_locked(request)
        except _ApiError as error:
            return _error(error.status, error.message)
        except Exception:
            # A bug in the fake must fail the test loudly, not look like an API answer.
            self.server_errors.append(traceback.format_exc())
            return _error(500, "Internal error in the fake API")

    @staticmethod
    def _authorize(authorization: str | None) -> None:
        if not authorization:
            raise _ApiError(401, "No auth credentials found")
        scheme, _, key = authorization.partition(" ")
        if scheme.lower() != "bearer" or key.strip() not in (MANAGEMENT_KEY, ORDINARY_KEY):
            raise _ApiError(401, "Invalid API key")
        if key.strip() == ORDINARY_KEY:
            raise _ApiError(403, "Only management keys can perform this operation")

    def _route_locked(self, request: RecordedRequest) -> _Response:
        path, method = request.path, request.method
        parts = path[len(API_PREFIX) :].strip("/").split("/") if path.startswith(API_PREFIX) else []
        if parts[:2] == ["observability", "destinations"] and len(parts) in (2, 3):
            if len(parts) == 2 and method == "GET":
                return self._list_destinations_locked(request.query)
            if len(parts) == 2 and method == "POST":
                return self._create_locked(request.body)
            if len(parts) == 3 and method == "GET":
                return _json(200, {"data": self._mask(self._find_locked(parts[2]))})
            if len(parts) == 3 and method == "PATCH":
                return self._update_locked(parts[2], request.body)
            if len(parts) == 3 and method == "DELETE":
                return self._delete_locked(parts[2])
        if parts[:1] == ["workspaces"] and method == "GET":
            if len(parts) == 1:
                return self._page(list(self._workspaces.values()), request.query)
            if len(parts) == 2:
                return _json(200, {"data": self._find_workspace_locked(parts[1])})
        return _error(404, f"Not found: {method} {path}")

    # -- route handlers (lock held) --

    def _list_destinations_locked(self, query: Mapping[str, str]) -> _Response:
        asked = None if self.ignore_workspace_id else query.get("workspace_id")
        workspace = self._resolve_workspace_locked(asked)
        if self._moves and query.get("offset", "0") != "0":
            self._moves -= 1
            self._insert_first_locked(workspace)
        hidden = self._hidden.get(workspace, 0) if self.count_hidden else 0
        return self._page(list(self._items[workspace].values()), query, self._mask, hidden)

    def _page(
        self,
        items: list[dict[str, Any]],
        query: Mapping[str, str],
        present: Callable[[dict[str, Any]], dict[str, Any]] = dict,
        hidden: int = 0,
    ) -> _Response:
        offset, limit = _parse_paging(query)
        # The server may answer fewer items than asked: clients page by what they received.
        page = items[offset : offset + min(limit, self.max_page_size)]
        # Answers are serialised while the lock is held, so only masking needs a copy, and
        # only of the page (a big workspace must not cost a copy of every item per page).
        total = len(items) + hidden
        return _json(200, {"data": [present(item) for item in page], "total_count": total})

    def _create_locked(self, body: Any) -> _Response:
        if not isinstance(body, dict):
            raise _bad("Request body must be a JSON object")
        for name in body:
            if name not in _CREATE_FIELDS:
                raise _bad(f"Unknown field '{name}'")
        for name in ("type", "name", "config"):
            if name not in body:
                raise _bad(f"Missing required field '{name}'")
        dest_type = body["type"]
        if dest_type not in _TYPE_SPECS and dest_type not in self.extra_types:
            raise _bad(f"Invalid type: {dest_type!r}")
        _check_fields(body, open_lists=self.open_lists)
        body = _stored_regions(body)
        config = _check_config(body["config"], allow_null_values=False)
        _check_required(dest_type, config)
        workspace = self._resolve_workspace_locked(body.get("workspace_id"))
        same_type = [i for i in self._items[workspace].values() if i.get("type") == dest_type]
        if len(same_type) >= self.type_limit:
            message = f"Maximum of {self.type_limit} destinations per type"
            raise _ApiError(self.type_limit_status, message)
        if dest_type == "s3" and "externalId" not in config:
            # The real server generates this key; orsync must not take it for drift.
            body = {**body, "config": {**config, "externalId": f"or-ext-{uuid.uuid4().hex[:12]}"}}
        stored = self._store_locked(body, workspace)
        return _json(201, {"data": self._mask(stored)})

    def _update_locked(self, destination_id: str, body: Any) -> _Response:
        stored = self._find_locked(destination_id)
        if not isinstance(body, dict):
            raise _bad("Request body must be a JSON object")
        for name in body:
            if name in ("type", "workspace_id"):
                raise _bad(f"Field '{name}' cannot be updated")
            if name not in _UPDATABLE_FIELDS:
                raise _bad(f"Unknown field '{name}'")
        _check_fields(body, open_lists=self.open_lists)
        body = _stored_regions(body)
        updated = copy.deepcopy(stored)
        for name, value in body.items():
            if name == "config":
                patch = _check_config(value, allow_null_values=True)
                config = _merge_config(
                    stored.get("config") or {}, patch, headers_merge=self.headers_merge
                )
                _check_required(str(stored.get("type")), config)
                updated["config"] = config
            else:
                updated[name] = copy.deepcopy(value)
        updated["updated_at"] = _now_iso()
        # Replace only once everything validated, so a rejected PATCH changes nothing.
        self._items[self._owner[destination_id]][destination_id] = updated
        return _json(200, {"data": self._mask(updated)})

    def _delete_locked(self, destination_id: str) -> _Response:
        self._find_locked(destination_id)
        workspace = self._owner.pop(destination_id)
        del self._items[workspace][destination_id]
        # A soft delete: gone from the listing, and perhaps still in `total_count`.
        self._hidden[workspace] = self._hidden.get(workspace, 0) + 1
        return _json(200, {"deleted": True})

    # -- state helpers (lock held) --

    def _add_workspace_locked(
        self, workspace_id: str, slug: str | None, name: str | None = None
    ) -> None:
        if workspace_id in self._workspaces:
            return
        slug = slug or f"workspace-{workspace_id[:8]}"
        default_name = "Default Workspace" if workspace_id == DEFAULT_WORKSPACE_ID else slug
        self._workspaces[workspace_id] = {
            "id": workspace_id,
            "name": name or default_name,
            "slug": slug,
            "is_observability_broadcast_enabled": True,
        }
        self._items[workspace_id] = {}

    def _store_locked(self, source: Mapping[str, Any], workspace: str) -> dict[str, Any]:
        now = _now_iso()
        item: dict[str, Any] = {
            "id": source.get("id") or str(uuid.uuid4()),
            "workspace_id": workspace,
            "name": source.get("name"),
            "type": source.get("type"),
            "enabled": source.get("enabled", True),
            "sampling_rate": source.get("sampling_rate", 1),
            "privacy_mode": source.get("privacy_mode", False),
            "api_key_hashes": source.get("api_key_hashes"),
            "filter_rules": source.get("filter_rules"),
            "config": source.get("config") or {},
        }
        # Flags and regions only when given: the real API may omit them.
        for name in (*BROADCAST_FLAGS, "regions"):
            if name in source:
                item[name] = source[name]
        if self.fill_defaults:
            item["config"] = {**CONFIG_DEFAULTS.get(str(item["type"]), {}), **item["config"]}
            item.setdefault("regions", ["global"])
            for flag in BROADCAST_FLAGS:
                item.setdefault(flag, False)
        item["created_at"] = source.get("created_at", now)
        item["updated_at"] = source.get("updated_at", now)
        # Other seeded fields are kept, so tests can imitate fields a newer API adds.
        for name, value in source.items():
            item.setdefault(name, value)
        if item["id"] in self._owner:
            raise ValueError(f"duplicate destination id {item['id']}")
        item = copy.deepcopy(item)
        self._items[workspace][item["id"]] = item
        self._owner[item["id"]] = workspace
        return item

    def _insert_first_locked(self, workspace: str) -> None:
        number = len(self._owner)
        item = self._store_locked(
            {"type": "webhook", "name": f"moved-{number}", "config": {"url": "https://m.example"}},
            workspace,
        )
        rest = {k: v for k, v in self._items[workspace].items() if k != item["id"]}
        self._items[workspace] = {item["id"]: item, **rest}

    def _find_locked(self, destination_id: str) -> dict[str, Any]:
        workspace = self._owner.get(destination_id)
        if workspace is None:
            raise _ApiError(404, "Destination not found")
        return self._items[workspace][destination_id]

    def _find_workspace_locked(self, id_or_slug: str) -> dict[str, Any]:
        for workspace in self._workspaces.values():
            if id_or_slug in (workspace["id"], workspace["slug"]):
                return workspace
        raise _ApiError(self.unknown_workspace_status, "Workspace not found")

    def _resolve_workspace_locked(self, workspace_id: object) -> str:
        if workspace_id is None:
            return DEFAULT_WORKSPACE_ID
        if isinstance(workspace_id, str) and workspace_id in self._workspaces:
            return workspace_id
        if isinstance(workspace_id, str) and _UUID_RE.match(workspace_id):
            raise _ApiError(404, "Workspace not found")
        raise _bad("Invalid workspace_id")

    def _mask(self, item: Mapping[str, Any]) -> dict[str, Any]:
        shown = mask_destination(item, self.mask_style, mask_non_strings=self.mask_non_strings)
        if self.empty_filter_as_groups and shown.get("filter_rules") is None:
            shown["filter_rules"] = {"enabled": True, "groups": []}
        return _as_javascript_writes(shown) if self.js_numbers else shown


# --- HTTP plumbing -----------------------------------------------------------------------------


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, api: FakeApi, port: int) -> None:
        self.api = api
        super().__init__(("127.0.0.1", port), _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind looks up the host's FQDN, which can stall for seconds without
        # DNS; the name is never used here.
        socketserver.TCPServer.server_bind(self)
        self.server_name = "127.0.0.1"
        self.server_port = int(self.socket.getsockname()[1])

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients that time out, and stop() hanging up, break connections mid-answer: expected.
        if isinstance(sys.exc_info()[1], OSError):
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    # HTTP/1.1 keeps connections alive, as real clients expect; every answer has Content-Length.
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; with Nagle on, a kept-alive client waits for its
    # delayed ACK (~40 ms) on every request.
    disable_nagle_algorithm = True

    @property
    def api(self) -> FakeApi:
        return cast(_Server, self.server).api

    def setup(self) -> None:
        super().setup()
        self.api._track_connection(cast(socket.socket, self.connection), True)

    def finish(self) -> None:
        self.api._track_connection(cast(socket.socket, self.connection), False)
        with contextlib.suppress(OSError):
            super().finish()

    def log_message(self, format: str, *args: Any) -> None:
        pass  # Keep test output clean; `FakeApi.requests` is the log.

    def _dispatch(self) -> None:
        received = time.monotonic()
        raw = self._read_body()
        body: Any = None
        body_is_json = True
        if raw.strip():
            try:
                body = json.loads(raw)
            except ValueError:
                body_is_json = False
        elif self.command in ("POST", "PATCH"):
            body_is_json = False
        url = urlsplit(self.path)
        query = dict(parse_qsl(url.query, keep_blank_values=True))
        request = RecordedRequest(
            self.command, url.path, query, body, self.headers.get("Authorization"), received
        )
        response = self.api._respond(request, body_is_json)
        if response is None:
            self.close_connection = True  # The server closes the socket; nothing is written.
            return
        self._write(response)

    do_GET = do_POST = do_PATCH = do_DELETE = do_PUT = _dispatch

    def _read_body(self) -> bytes:
        length_text = self.headers.get("Content-Length", "0")
        length = int(length_text) if length_text.isdigit() else 0
        return self.rfile.read(length) if length else b""

    def _write(self, response: _Response) -> None:
        if response.trickle > 0:
            self._write_trickled(response)
            return
        try:
            self.send_response(response.status)
            self.send_header("Content-Type", response.content_type)
            self.send_header("Content-Length", str(len(response.body)))
            for name, value in response.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(response.body)
            self.wfile.flush()
        except OSError:
            self.close_connection = True

    def _write_trickled(self, response: _Response) -> None:
        """The whole answer, status line included, one byte at a time."""
        try:
            phrase = HTTPStatus(response.status).phrase
        except ValueError:
            phrase = "Error"
        headers = {
            "Content-Type": response.content_type,
            "Content-Length": str(len(response.body)),
            **response.headers,
        }
        head = f"{self.protocol_version} {response.status} {phrase}\r\n"
        head += "".join(f"{name}: {value}\r\n" for name, value in headers.items()) + "\r\n"
        raw = head.encode("latin-1") + response.body
        try:
            for index in range(len(raw)):
                self.wfile.write(raw[index : index + 1])
                self.wfile.flush()
                if self.api._stopping.wait(response.trickle):
                    break
        except OSError:
            pass
        self.close_connection = True


# --- sample data and the command line ------------------------------------------------------------


def sample_config(dest_type: str, seed: int = 0) -> dict[str, Any]:
    """A valid config for a known type: its required keys, deterministic per seed."""
    config: dict[str, Any] = {}
    for key in sorted(REQUIRED_KEYS[dest_type]):
        if key in SECRET_KEYS[dest_type] and key != "dsn":
            config[key] = f"{key}-secret-{dest_type}-{seed:06d}"
        elif key == "dsn":
            config[key] = f"https://{seed:08x}@o{seed}.ingest.sentry.io/{seed}"
        elif key in ("url", "host", "endpoint") or key.endswith(("Url", "Endpoint")):
            config[key] = f"https://{dest_type}.example.com/{seed}"
        else:
            config[key] = f"{key}-{seed}"
    if dest_type == "otel-collector":
        config["headers"] = {"Authorization": f"Bearer otel-token-{seed:010d}"}
    return config


def seed_destinations(api: FakeApi, count: int, workspace_id: str | None = None) -> None:
    """Seed `count` destinations of mixed types with valid configs and unique names."""
    for i in range(count):
        dest_type = DESTINATION_TYPES[i % len(DESTINATION_TYPES)]
        item = {
            "type": dest_type,
            "name": f"{dest_type}-{i:05d}",
            "config": sample_config(dest_type, i),
        }
        api.add_destination(item, workspace_id)


def bench_workspace_ids(count: int) -> list[str]:
    """The ids of the extra workspaces `--workspaces N` makes, in order."""
    return [f"00000000-0000-4000-8000-{n + 2:012d}" for n in range(count)]


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    """Serve a seeded fake API until Ctrl-C (or SIGTERM)."""
    parser = argparse.ArgumentParser(description="Serve a fake OpenRouter management API.")
    parser.add_argument("--port", type=int, default=0, help="port (default: a free one)")
    parser.add_argument("--destinations", type=int, default=20, help="per workspace")
    parser.add_argument("--workspaces", type=int, default=0, help="extra workspaces")
    parser.add_argument("--max-page-size", type=int, default=100)
    parser.add_argument("--mask-style", choices=MASK_STYLES, default="prefix")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added per request")
    args = parser.parse_args(argv)
    extra = bench_workspace_ids(args.workspaces)
    api = FakeApi(
        workspaces=extra,
        max_page_size=args.max_page_size,
        mask_style=args.mask_style,
        latency=args.latency,
        port=args.port,
    )
    for workspace_id in (DEFAULT_WORKSPACE_ID, *extra):
        seed_destinations(api, args.destinations, workspace_id)
    signal.signal(signal.SIGTERM, _interrupt)
    with api:
        print(f"base_url={api.base_url}")
        print(f"management_key={MANAGEMENT_KEY}")
        for workspace_id in extra:
            print(f"workspace_id={workspace_id}")
        print("ready", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
    print(f"requests={len(api.requests)} max_in_flight={api.max_in_flight}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
