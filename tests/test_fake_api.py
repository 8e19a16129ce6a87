"""Tests of the fake OpenRouter API itself, over real HTTP with urllib."""

from __future__ import annotations

import http.client
import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from fake_api import DEFAULT_WORKSPACE_ID, MANAGEMENT_KEY, ORDINARY_KEY, FakeApi

DESTINATIONS = "/observability/destinations"
OTHER_WORKSPACE = "11111111-2222-4333-8444-555555555555"
LANGFUSE: dict[str, Any] = {
    "type": "langfuse",
    "name": "lf",
    "config": {
        "publicKey": "pk-lf-0123456789AbCd",
        "secretKey": "sk-lf-9876543210WxYz",
        "headers": {"X-Token": "header-secret-value-1234"},
    },
}


@pytest.fixture
def api() -> Iterator[FakeApi]:
    with FakeApi(workspaces=[OTHER_WORKSPACE]) as fake:
        yield fake
    assert not fake.server_errors


def call(
    api: FakeApi, method: str, path: str, body: Any = None, key: str | None = MANAGEMENT_KEY
) -> tuple[int, Any, dict[str, str]]:
    """One request; returns status, parsed JSON (or the raw text) and headers."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(api.base_url + path, data=data, method=method)
    if key is not None:
        request.add_header("Authorization", f"Bearer {key}")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            status, raw, headers = response.status, response.read(), dict(response.headers)
    except urllib.error.HTTPError as error:
        status, raw, headers = error.code, error.read(), dict(error.headers)
    try:
        return status, json.loads(raw), headers
    except ValueError:
        return status, raw.decode(), headers


def test_auth(api: FakeApi) -> None:
    status, body, _ = call(api, "GET", DESTINATIONS, key=None)
    assert (status, body["error"]["message"]) == (401, "No auth credentials found")
    status, body, _ = call(api, "GET", DESTINATIONS, key="or-nope")
    assert (status, body["error"]["code"]) == (401, 401)
    status, body, _ = call(api, "GET", DESTINATIONS, key=ORDINARY_KEY)
    assert status == 403
    assert body["error"]["message"] == "Only management keys can perform this operation"
    assert call(api, "GET", DESTINATIONS)[:2] == (200, {"data": [], "total_count": 0})
    assert call(api, "GET", "/nowhere")[0] == 404


def test_paging_follows_total_count_not_limit() -> None:
    with FakeApi(max_page_size=3) as api:
        ids = [api.add_destination({**LANGFUSE, "name": f"d{i}"})["id"] for i in range(7)]
        status, body, _ = call(api, "GET", DESTINATIONS + "?limit=100")
        assert status == 200 and body["total_count"] == 7
        assert [d["id"] for d in body["data"]] == ids[:3]
        _, body, _ = call(api, "GET", DESTINATIONS + "?offset=6&limit=2")
        assert [d["id"] for d in body["data"]] == ids[6:]
        for bad in ("limit=0", "limit=101", "offset=-1", "offset=x"):
            assert call(api, "GET", f"{DESTINATIONS}?{bad}")[0] == 400


@pytest.mark.parametrize(
    ("style", "secret", "header"),
    [
        ("prefix", "sk-l...WxYz", "head...1234"),
        ("stars", "****...WxYz", "****...1234"),
        ("full", "********", "********"),
    ],
)
def test_masking_styles(style: str, secret: str, header: str) -> None:
    with FakeApi(mask_style=style) as api:
        stored = api.add_destination(LANGFUSE)
        _, body, _ = call(api, "GET", f"{DESTINATIONS}/{stored['id']}")
        config = body["data"]["config"]
        assert config["secretKey"] == secret
        assert config["headers"] == {"X-Token": header}
        # Masking works on copies: the stored item keeps the secrets in clear.
        assert api.destinations()[0]["config"] == LANGFUSE["config"]


def test_masking_exceptions(api: FakeApi) -> None:
    clickhouse = {"host": "h", "database": "d", "username": "u", "password": "a-long-password"}
    api.add_destination({"type": "clickhouse", "name": "ch", "config": clickhouse})
    dsn = "https://abc@o1.ingest.sentry.io/1"
    api.add_destination(
        {"type": "sentry", "name": "s", "config": {"dsn": dsn, "otlpEndpoint": "e"}}
    )
    api.add_destination(
        {"type": "datadog", "name": "dd", "config": {"apiKey": "short", "mlApp": "m"}}
    )
    api.add_destination(
        {"type": "raindrop", "name": "r", "config": {"writeKey": "rd-0123456789xyz"}}
    )
    _, body, _ = call(api, "GET", DESTINATIONS)
    configs = [d["config"] for d in body["data"]]
    assert configs[0]["password"] == "********" and configs[0]["host"] == "h"
    assert configs[1]["dsn"] == dsn
    assert configs[2]["apiKey"] == "********"  # short secrets never show a tail
    assert configs[3]["writeKey"] == "rd-0...9xyz"  # unknown type: secret by key name


def test_create_and_validation(api: FakeApi) -> None:
    status, body, _ = call(api, "POST", DESTINATIONS, LANGFUSE)
    assert status == 201 and body["data"]["config"]["publicKey"] == "pk-l...AbCd"
    assert body["data"]["enabled"] is True and body["data"]["sampling_rate"] == 1
    assert api.destinations()[0]["config"]["secretKey"] == "sk-lf-9876543210WxYz"
    bad_bodies = [
        {**LANGFUSE, "config": {**LANGFUSE["config"], "base_url": "x"}},
        {**LANGFUSE, "config": {"publicKey": "pk-lf-0123456789AbCd"}},
        {**LANGFUSE, "colour": "red"},
        {**LANGFUSE, "type": "nope"},
        {**LANGFUSE, "sampling_rate": 0},
        {**LANGFUSE, "api_key_hashes": []},
        {"type": "langfuse", "config": LANGFUSE["config"]},
    ]
    for bad in bad_bodies:
        assert call(api, "POST", DESTINATIONS, bad)[0] == 400, bad
    status, body, _ = call(api, "POST", DESTINATIONS, bad_bodies[0])
    assert "base_url" in body["error"]["message"]
    assert len(api.all_destinations()) == 1


@pytest.mark.parametrize("limit_status", [409, 400])
def test_type_limit(limit_status: int) -> None:
    with FakeApi(type_limit=2, type_limit_status=limit_status) as api:
        for _ in range(2):
            assert call(api, "POST", DESTINATIONS, LANGFUSE)[0] == 201
        status, body, _ = call(api, "POST", DESTINATIONS, LANGFUSE)
        assert status == limit_status and "per type" in body["error"]["message"]
        other = {**LANGFUSE, "workspace_id": OTHER_WORKSPACE}
        api.add_workspace(OTHER_WORKSPACE)
        assert call(api, "POST", DESTINATIONS, other)[0] == 201  # the limit is per workspace


@pytest.mark.parametrize("headers_merge", [True, False])
def test_patch_merges_config_and_ignores_masks(headers_merge: bool) -> None:
    with FakeApi(headers_merge=headers_merge) as api:
        config = {
            **LANGFUSE["config"],
            "headers": {"X-Token": "header-secret-value-1234", "X-Old": "o"},
        }
        item = {
            **LANGFUSE,
            "config": config,
            "api_key_hashes": ["h1"],
            "filter_rules": {"groups": []},
        }
        stored = api.add_destination(item)
        patch = {
            "name": "renamed",
            "api_key_hashes": None,
            "filter_rules": None,
            "config": {
                "secretKey": "sk-l...WxYz",
                "publicKey": "********",
                "baseUrl": "https://eu.cloud.langfuse.com",
                "headers": {"X-Token": "****...1234", "X-New": "new-header-value"},
            },
        }
        status, body, _ = call(api, "PATCH", f"{DESTINATIONS}/{stored['id']}", patch)
        assert status == 200 and body["data"]["name"] == "renamed"
        after = api.destinations()[0]
        assert after["api_key_hashes"] is None and after["filter_rules"] is None
        assert after["config"]["secretKey"] == LANGFUSE["config"]["secretKey"]
        assert after["config"]["publicKey"] == LANGFUSE["config"]["publicKey"]
        assert after["config"]["baseUrl"] == "https://eu.cloud.langfuse.com"
        assert after["config"]["headers"]["X-New"] == "new-header-value"
        # A masked header keeps its stored value under either merge rule.
        assert after["config"]["headers"]["X-Token"] == "header-secret-value-1234"
        assert ("X-Old" in after["config"]["headers"]) is headers_merge
        assert after["updated_at"] >= stored["updated_at"]
        for bad in ({"type": "webhook"}, {"workspace_id": OTHER_WORKSPACE}, {"id": "x"}):
            assert call(api, "PATCH", f"{DESTINATIONS}/{stored['id']}", bad)[0] == 400
        assert call(api, "PATCH", f"{DESTINATIONS}/unknown", {"name": "n"})[0] == 404


def test_region_alias_eu_is_stored_as_europe(api: FakeApi) -> None:
    status, body, _ = call(api, "POST", DESTINATIONS, {**LANGFUSE, "regions": ["eu", "us"]})
    assert (status, body["data"]["regions"]) == (201, ["europe", "us"])
    path = f"{DESTINATIONS}/{body['data']['id']}"
    status, body, _ = call(api, "PATCH", path, {"regions": ["global", "eu"]})
    assert (status, body["data"]["regions"]) == (200, ["global", "europe"])
    assert api.destinations()[0]["regions"] == ["global", "europe"]


UNLISTED = {
    "region": {"regions": ["mars"]},
    "filter field": {"filter_rules": {"groups": [{"rules": [{"field": "f", "operator": "gt"}]}]}},
    "filter operator": {
        "filter_rules": {"groups": [{"rules": [{"field": "model", "operator": "near"}]}]}
    },
    "filter logic": {
        "filter_rules": {"groups": [{"logic": "xor", "rules": []}]},
    },
}


@pytest.mark.parametrize("open_lists", [False, True])
@pytest.mark.parametrize("fields", UNLISTED.values(), ids=UNLISTED)
def test_values_outside_the_documented_lists(open_lists: bool, fields: dict[str, Any]) -> None:
    with FakeApi(open_lists=open_lists) as api:
        status, body, _ = call(api, "POST", DESTINATIONS, {**LANGFUSE, **fields})
        assert status == (201 if open_lists else 400)
        if open_lists:
            assert {key: body["data"][key] for key in fields} == fields
        else:
            assert body["error"]["message"].startswith(("Invalid filter", "'regions'", "filter"))


@pytest.mark.parametrize("fill_defaults", [False, True])
def test_documented_defaults_stored_or_not(fill_defaults: bool) -> None:
    with FakeApi(fill_defaults=fill_defaults) as api:
        s3 = {"type": "s3", "name": "bucket", "config": {"bucketName": "b", "prefix": "mine"}}
        _, created, _ = call(api, "POST", DESTINATIONS, s3)
        seeded = api.add_destination(LANGFUSE)
    config = created["data"]["config"]
    assert config["prefix"] == "mine"  # what was given is kept
    assert ("pathTemplate" in config, "authMode" in config) == (fill_defaults, fill_defaults)
    filled = {"baseUrl": "https://us.cloud.langfuse.com"} if fill_defaults else {}
    assert seeded["config"] == {**filled, **LANGFUSE["config"]}
    assert ("regions" in seeded, "broadcast_generation_cost" in seeded) == (
        fill_defaults,
        fill_defaults,
    )


def test_delete(api: FakeApi) -> None:
    stored = api.add_destination(LANGFUSE)
    path = f"{DESTINATIONS}/{stored['id']}"
    assert call(api, "DELETE", path)[:2] == (200, {"deleted": True})
    assert call(api, "GET", path)[0] == 404
    assert call(api, "DELETE", path)[0] == 404
    assert api.all_destinations() == []
    assert [r.method for r in api.mutating_requests()] == ["DELETE", "DELETE"]


def test_fault_with_retry_after_comes_before_auth(api: FakeApi) -> None:
    api.fail(method="GET", path_contains="destinations", status=429, retry_after="2")
    status, body, headers = call(api, "GET", DESTINATIONS, key=None)
    assert (status, headers["Retry-After"], body["error"]["code"]) == (429, "2", 429)
    assert call(api, "GET", DESTINATIONS)[0] == 200  # used up after one request
    assert [r.authorization for r in api.requests] == [None, f"Bearer {MANAGEMENT_KEY}"]


def test_fault_after_effect_changes_state(api: FakeApi) -> None:
    html = "<html>502 Bad Gateway</html>"
    api.fail(method="POST", status=502, body=html, content_type="text/html", after_effect=True)
    status, body, headers = call(api, "POST", DESTINATIONS, LANGFUSE)
    assert (status, body, headers["Content-Type"]) == (502, html, "text/html")
    assert [d["name"] for d in api.destinations()] == ["lf"]


def test_slow_answer_and_drop_connection(api: FakeApi) -> None:
    api.fail(status=200, delay=0.2)
    started = time.monotonic()
    assert call(api, "GET", DESTINATIONS)[0] == 200
    assert time.monotonic() - started >= 0.2
    api.fail(method="DELETE", drop_connection=True, after_effect=True)
    stored = api.add_destination(LANGFUSE)
    with pytest.raises((http.client.HTTPException, urllib.error.URLError, ConnectionError)):
        call(api, "DELETE", f"{DESTINATIONS}/{stored['id']}")
    assert api.all_destinations() == []


def test_workspaces(api: FakeApi) -> None:
    api.add_destination(LANGFUSE, OTHER_WORKSPACE)
    _, body, _ = call(api, "GET", f"{DESTINATIONS}?workspace_id={OTHER_WORKSPACE}")
    assert body["total_count"] == 1 and body["data"][0]["workspace_id"] == OTHER_WORKSPACE
    assert call(api, "GET", DESTINATIONS)[1]["total_count"] == 0
    unknown = "99999999-9999-4999-8999-999999999999"
    assert call(api, "GET", f"{DESTINATIONS}?workspace_id={unknown}")[0] == 404
    assert call(api, "GET", f"{DESTINATIONS}?workspace_id=nope")[0] == 400
    assert call(api, "POST", DESTINATIONS, {**LANGFUSE, "workspace_id": unknown})[0] == 404
    _, body, _ = call(api, "GET", "/workspaces")
    assert [w["id"] for w in body["data"]] == [DEFAULT_WORKSPACE_ID, OTHER_WORKSPACE]
    assert call(api, "GET", "/workspaces/default")[1]["data"]["id"] == DEFAULT_WORKSPACE_ID
    assert call(api, "GET", f"/workspaces/{unknown}")[0] == 404


def raw_get(api: FakeApi, path: str) -> tuple[int, bytes, dict[str, str]]:
    """A GET that follows no redirect; returns status, body and headers."""
    url = urlsplit(api.base_url)
    connection = http.client.HTTPConnection(url.netloc, timeout=30)
    try:
        connection.request("GET", url.path + path, headers={"Authorization": "Bearer x"})
        response = connection.getresponse()
        return response.status, response.read(), dict(response.getheaders())
    finally:
        connection.close()


@pytest.mark.parametrize("count_hidden", [False, True])
def test_total_count_counts_hidden_destinations_only_when_switched(count_hidden: bool) -> None:
    with FakeApi(workspaces=[OTHER_WORKSPACE], count_hidden=count_hidden) as api:
        kept, deleted = (api.add_destination({**LANGFUSE, "name": n}) for n in ("kept", "gone"))
        api.add_hidden(2)
        assert call(api, "DELETE", f"{DESTINATIONS}/{deleted['id']}")[0] == 200
        _, body, _ = call(api, "GET", DESTINATIONS)
        assert [d["id"] for d in body["data"]] == [kept["id"]]
        # The soft-deleted one and the two of unlisted types, when counted.
        assert body["total_count"] == (4 if count_hidden else 1)
        _, body, _ = call(api, "GET", f"{DESTINATIONS}?workspace_id={OTHER_WORKSPACE}")
        assert body == {"data": [], "total_count": 0}


def test_ignoring_workspace_id_answers_the_default_workspace() -> None:
    with FakeApi(workspaces=[OTHER_WORKSPACE], ignore_workspace_id=True) as api:
        api.add_destination(LANGFUSE)
        api.add_destination({**LANGFUSE, "name": "other"}, OTHER_WORKSPACE)
        _, body, _ = call(api, "GET", f"{DESTINATIONS}?workspace_id={OTHER_WORKSPACE}")
        assert [(d["name"], d["workspace_id"]) for d in body["data"]] == [
            ("lf", DEFAULT_WORKSPACE_ID)
        ]


def test_a_redirect_fault_says_where_to(api: FakeApi) -> None:
    target = "https://elsewhere.example/api/v1/observability/destinations"
    api.fail(status=301, body='{"data": [], "total_count": 0}', location=target)
    status, body, headers = raw_get(api, DESTINATIONS)
    assert (status, headers["Location"], json.loads(body)) == (
        301,
        target,
        {"data": [], "total_count": 0},
    )
    assert raw_get(api, DESTINATIONS)[0] == 401  # used up; the key is wrong, as sent here


def test_a_trickled_answer_comes_one_byte_at_a_time(api: FakeApi) -> None:
    api.fail(status=200, body='{"data": [], "total_count": 0}', trickle=0.01)
    started = time.monotonic()
    status, body, headers = raw_get(api, DESTINATIONS)
    elapsed = time.monotonic() - started
    assert (status, json.loads(body)) == (200, {"data": [], "total_count": 0})
    # Every byte, headers included, waited its turn.
    assert elapsed >= 0.01 * (len(body) + sum(len(k) + len(v) for k, v in headers.items()))


def test_a_moving_listing_gains_a_first_destination_after_page_one(api: FakeApi) -> None:
    ids = [api.add_destination({**LANGFUSE, "name": f"d{i}"})["id"] for i in range(3)]
    api.move_listing(times=1)
    _, first, _ = call(api, "GET", f"{DESTINATIONS}?limit=2")
    _, second, _ = call(api, "GET", f"{DESTINATIONS}?offset=2&limit=2")
    _, third, _ = call(api, "GET", f"{DESTINATIONS}?offset=2&limit=2")
    assert [d["id"] for d in first["data"]] == ids[:2] and first["total_count"] == 3
    # The new one went first, so what was second is now third: listed twice.
    assert [d["id"] for d in second["data"]] == ids[1:] and second["total_count"] == 4
    assert third == second  # moved once only
    assert api.destinations()[0]["name"].startswith("moved-")


def test_timestamps_are_set_on_create_and_moved_by_patch(api: FakeApi) -> None:
    status, body, _ = call(api, "POST", DESTINATIONS, LANGFUSE)
    created = body["data"]
    assert status == 201 and created["created_at"] == created["updated_at"]
    old = "2026-01-01T00:00:00.000Z"
    seeded = api.add_destination({**LANGFUSE, "name": "old", "created_at": old, "updated_at": old})
    status, body, _ = call(api, "PATCH", f"{DESTINATIONS}/{seeded['id']}", {"enabled": False})
    assert status == 200 and body["data"]["created_at"] == old
    assert body["data"]["updated_at"] > old
    assert api.destinations()[1]["updated_at"] == body["data"]["updated_at"]


@pytest.mark.parametrize("fill_defaults", [True, False])
def test_fill_defaults_stores_documented_defaults_on_create(fill_defaults: bool) -> None:
    with FakeApi(fill_defaults=fill_defaults) as api:
        body = {"type": "s3", "name": "b", "config": {"bucketName": "b", "prefix": "mine"}}
        status, answer, _ = call(api, "POST", DESTINATIONS, body)
        assert status == 201
        config = answer["data"]["config"]
        assert config["prefix"] == "mine"  # a key given is kept
        assert config.get("pathTemplate") == ("{prefix}/{date}" if fill_defaults else None)
        assert config.get("authMode") == ("access_keys" if fill_defaults else None)


def test_extra_types_are_created_like_known_ones() -> None:
    body = {"type": "bigquery", "name": "bq", "config": {"apiKey": "bq-0123456789-AbCd"}}
    with FakeApi() as api:
        status, answer, _ = call(api, "POST", DESTINATIONS, body)
        assert (status, answer["error"]["message"]) == (400, "Invalid type: 'bigquery'")
    with FakeApi(extra_types=["bigquery"]) as api:
        status, answer, _ = call(api, "POST", DESTINATIONS, body)
        assert status == 201 and answer["data"]["config"]["apiKey"] == "bq-0...AbCd"


@pytest.mark.parametrize("mask_non_strings", [True, False])
def test_mask_non_strings(mask_non_strings: bool) -> None:
    config = {"apiKey": "bq-0123456789-AbCd", "tokenTtl": 3600, "keyRing": {"name": "r"}}
    with FakeApi(mask_non_strings=mask_non_strings) as api:
        api.add_destination({"type": "bigquery", "name": "bq", "config": config})
        _, body, _ = call(api, "GET", DESTINATIONS)
        shown = body["data"][0]["config"]
        assert shown["apiKey"] == "bq-0...AbCd"
        hidden = {"tokenTtl": "********", "keyRing": "********"}
        assert {k: shown[k] for k in hidden} == (
            hidden
            if mask_non_strings
            else {
                "tokenTtl": 3600,
                "keyRing": {"name": "r"},
            }
        )


def test_edit_destination_and_reset(api: FakeApi) -> None:
    ident = api.add_destination(LANGFUSE)["id"]
    edited = api.edit_destination(ident, lambda item: item.update(enabled=False))
    assert edited["enabled"] is False and api.destinations()[0]["enabled"] is False
    _, body, _ = call(api, "GET", f"{DESTINATIONS}/{ident}")
    assert body["data"]["enabled"] is False
    api.add_destination(LANGFUSE, OTHER_WORKSPACE)
    api.reset()
    assert api.all_destinations() == [] and api.requests == []
    _, body, _ = call(api, "GET", "/workspaces")
    assert [w["slug"] for w in body["data"]] == ["default"]
    assert call(api, "POST", DESTINATIONS, LANGFUSE)[0] == 201
