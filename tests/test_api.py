"""`orsync.api.ApiClient` over real HTTP against the fake API: paging, retries, error mapping."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fake_api import MANAGEMENT_KEY, ORDINARY_KEY, FakeApi, RecordedRequest

from orsync.api import PAGE_LIMIT, ApiClient, RetryPolicy, check_base_url, read_api_key
from orsync.errors import ApiError, AuthError, UsageError
from orsync.live import read_live
from orsync.model import Secret, SecretOrigin
from orsync.sensitive import clear_value

FAST = RetryPolicy(attempts=3, base_delay=0.01, max_delay=0.05)
WORKSPACE_A = "aaaaaaaa-0000-4000-8000-00000000000a"
WORKSPACE_B = "bbbbbbbb-0000-4000-8000-00000000000b"
WORKSPACE_C = "cccccccc-0000-4000-8000-00000000000c"
HTML_PAGE = "<html><body><h1>502 Bad Gateway</h1>cloudflare</body></html>"


def hook(name: str) -> dict[str, Any]:
    return {"type": "webhook", "name": name, "config": {"url": f"https://hooks.example.com/{name}"}}


def seed(fake: FakeApi, count: int, workspace_id: str | None = None) -> list[str]:
    """Add `count` webhooks; return their ids in list order."""
    label = workspace_id or "default"
    return [fake.add_destination(hook(f"{label}-{i}"), workspace_id)["id"] for i in range(count)]


def sent(fake: FakeApi, method: str) -> list[RecordedRequest]:
    return [r for r in fake.requests if r.method == method]


@pytest.fixture
def client(fake: FakeApi) -> Iterator[ApiClient]:
    with ApiClient(fake.base_url, MANAGEMENT_KEY, retry=FAST) as api:
        yield api


# Paging and workspaces ---------------------------------------------------------------------


def test_every_page_asks_for_the_maximum_limit(fake: FakeApi, client: ApiClient) -> None:
    ids = seed(fake, 250)
    assert [d["id"] for d in client.list_destinations()] == ids
    pages = sent(fake, "GET")
    assert {r.query["limit"] for r in pages} == {str(PAGE_LIMIT)}
    assert sorted(int(r.query["offset"]) for r in pages) == [0, 100, 200]


def test_a_server_answering_short_pages_is_followed_by_total_count() -> None:
    with FakeApi(max_page_size=7) as fake, ApiClient(fake.base_url, MANAGEMENT_KEY) as client:
        ids = seed(fake, 250)
        items = client.list_destinations()
        pages = sent(fake, "GET")
    assert [d["id"] for d in items] == ids
    assert len({d["id"] for d in items}) == 250
    assert {r.query["limit"] for r in pages} == {"100"}
    assert sorted(int(r.query["offset"]) for r in pages) == list(range(0, 250, 7))


def test_workspace_id_scopes_the_list(fake: FakeApi, client: ApiClient) -> None:
    default_ids = seed(fake, 3)
    other_ids = seed(fake, 2, WORKSPACE_A)
    assert [d["id"] for d in client.list_destinations(WORKSPACE_A)] == other_ids
    assert fake.requests[-1].query["workspace_id"] == WORKSPACE_A
    assert [d["id"] for d in client.list_destinations()] == default_ids
    assert "workspace_id" not in fake.requests[-1].query


def test_the_list_is_checked_against_ids_and_total_count(fake: FakeApi, client: ApiClient) -> None:
    item = {**hook("twice"), "id": "dddddddd-0000-4000-8000-000000000001"}
    fake.fail(status=200, body=json.dumps({"data": [item, item], "total_count": 1}))
    assert [d["id"] for d in client.list_destinations()] == [item["id"]]
    # Repeats that hide a missing item are not taken for a whole list.
    fake.fail(status=200, body=json.dumps({"data": [item, item], "total_count": 2}))
    with pytest.raises(ApiError, match="hold 1 different"):
        client.list_destinations()
    fake.fail(status=200, body='{"data": [], "total_count": 3}')
    with pytest.raises(ApiError, match="total_count says 3"):
        client.list_destinations()


def test_read_live_keeps_the_order_asked(fake: FakeApi, client: ApiClient) -> None:
    wanted: list[str | None] = [WORKSPACE_C, None, WORKSPACE_A, WORKSPACE_B]
    for count, workspace_id in enumerate(wanted, start=1):
        seed(fake, count, workspace_id)
    fake.fail(method="GET", status=200, delay=0.3)  # whichever is asked first answers last
    live = read_live(client, wanted, concurrency=8)
    assert [w.id for w in live.workspaces] == wanted
    for workspace in live.workspaces:
        stored = [d["name"] for d in fake.destinations(workspace.id)]
        assert [d.name for d in workspace.destinations] == stored
    asked = {r.query.get("workspace_id") for r in sent(fake, "GET")}
    assert asked == set(wanted)


# Retries -----------------------------------------------------------------------------------


def test_429_waits_as_retry_after_says(fake: FakeApi, client: ApiClient) -> None:
    seed(fake, 1)
    fake.fail(status=429, retry_after="1")
    started = time.monotonic()
    assert len(client.list_destinations()) == 1
    assert time.monotonic() - started >= 0.9  # FAST's own backoff is a few milliseconds
    assert len(sent(fake, "GET")) == 2


def test_waits_are_bounded(fake: FakeApi) -> None:
    capped = RetryPolicy(base_delay=0.01, max_retry_after=0.2)
    fake.fail(status=429, retry_after="3600")
    started = time.monotonic()
    with ApiClient(fake.base_url, MANAGEMENT_KEY, retry=capped) as client:
        assert client.list_destinations() == []
    # A wait that would pass the deadline is not waited: the 429 is reported at once.
    short = RetryPolicy(base_delay=0.01, deadline=0.5)
    fake.fail(status=429, retry_after="20")
    client = ApiClient(fake.base_url, MANAGEMENT_KEY, retry=short)
    with client, pytest.raises(ApiError, match="rate limited") as caught:
        client.list_destinations()
    assert caught.value.status == 429
    assert time.monotonic() - started < 5
    assert len(sent(fake, "GET")) == 3


def test_a_nonsense_retry_after_falls_back_to_backoff(fake: FakeApi, client: ApiClient) -> None:
    fake.fail(status=429, retry_after="nan")
    assert client.list_destinations() == []


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_are_retried_up_to_the_attempts(
    fake: FakeApi, client: ApiClient, status: int
) -> None:
    fake.fail(status=status, times=2)
    seed(fake, 1)
    assert len(client.list_destinations()) == 1
    fake.fail(status=status, times=10)
    with pytest.raises(ApiError, match=f"answered {status} after 3 tries") as caught:
        client.list_destinations()
    assert caught.value.status == status
    assert len(sent(fake, "GET")) == 3 + 3


def test_other_client_errors_are_not_retried(fake: FakeApi, client: ApiClient) -> None:
    fake.fail(status=422, path_contains="/destinations/", times=5)
    with pytest.raises(ApiError, match="422"):
        client.get_destination("eeeeeeee-0000-4000-8000-000000000001")
    assert len(sent(fake, "GET")) == 1


def test_dropped_connections_are_retried(fake: FakeApi, client: ApiClient) -> None:
    seed(fake, 2)
    fake.fail(drop_connection=True, times=2)
    assert len(client.list_destinations()) == 2
    fake.fail(drop_connection=True, times=10)
    with pytest.raises(ApiError, match="could not reach the API"):
        client.list_destinations()
    assert len(sent(fake, "GET")) == 3 + 3


def test_a_slow_answer_times_out_and_is_retried(fake: FakeApi) -> None:
    seed(fake, 1)
    with ApiClient(fake.base_url, MANAGEMENT_KEY, timeout=0.2, retry=FAST) as client:
        fake.fail(status=200, delay=1.0)
        assert len(client.list_destinations()) == 1
        assert len(sent(fake, "GET")) == 2
        fake.fail(status=200, delay=1.0, times=3)
        with pytest.raises(ApiError, match="did not answer in time"):
            client.list_destinations()


def test_post_is_never_retried(fake: FakeApi, client: ApiClient) -> None:
    fake.fail(method="POST", status=500, times=3)
    with pytest.raises(ApiError) as caught:
        client.create_destination(hook("once"))
    assert caught.value.status == 500
    assert [r.method for r in fake.mutating_requests()] == ["POST"]
    assert fake.destinations() == []


def test_patch_is_retried(fake: FakeApi, client: ApiClient) -> None:
    (ident,) = seed(fake, 1)
    fake.fail(method="PATCH", status=503, times=2)
    answer = client.update_destination(ident, {"sampling_rate": 0.5})
    assert answer["sampling_rate"] == 0.5
    assert [r.method for r in fake.mutating_requests()] == ["PATCH"] * 3
    assert fake.destinations()[0]["sampling_rate"] == 0.5


def test_delete_and_get_of_an_unknown_id(fake: FakeApi, client: ApiClient) -> None:
    (ident,) = seed(fake, 1)
    found = client.get_destination(ident)
    assert found is not None and (found["id"], found["name"]) == (ident, "default-0")
    assert client.delete_destination(ident) is True
    assert client.delete_destination(ident) is False
    assert client.get_destination(ident) is None


def test_a_delete_retried_after_it_took_effect_counts_as_gone(
    fake: FakeApi, client: ApiClient
) -> None:
    (ident,) = seed(fake, 1)
    fake.fail(method="DELETE", status=502, after_effect=True)
    assert client.delete_destination(ident) is False
    assert fake.destinations() == []


# Error mapping -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "status", "hint"),
    [("or-wrong-key-7777777777777", 401, "valid, current"), (ORDINARY_KEY, 403, "management key")],
)
def test_a_refused_key_names_its_variable_not_itself(
    fake: FakeApi, key: str, status: int, hint: str
) -> None:
    client = ApiClient(fake.base_url, key, key_env="MY_MGMT_KEY", retry=FAST)
    with client, pytest.raises(AuthError) as caught:
        client.list_destinations()
    message = str(caught.value)
    assert "MY_MGMT_KEY" in message and hint in message and key not in message
    assert caught.value.status == status
    assert len(fake.requests) == 1  # not retried


@pytest.mark.parametrize(
    ("workspace", "status"),
    [("99999999-0000-4000-8000-000000000099", 404), ("no-such-workspace", 400)],
)
def test_an_unknown_workspace_is_named(client: ApiClient, workspace: str, status: int) -> None:
    with pytest.raises(ApiError) as caught:
        client.list_destinations(workspace)
    assert f"workspace {workspace}" in str(caught.value)
    assert caught.value.status == status
    assert not isinstance(caught.value, AuthError)


@pytest.mark.parametrize(
    ("status", "fragments"),
    [(200, ("unexpected API answer", "not JSON (text/html")), (502, ("502", "(text/html)"))],
)
def test_an_html_page_is_summarized(
    fake: FakeApi, client: ApiClient, status: int, fragments: tuple[str, ...]
) -> None:
    fake.fail(status=status, body=HTML_PAGE, content_type="text/html", times=3)
    with pytest.raises(ApiError) as caught:
        client.list_destinations()
    message = str(caught.value)
    assert all(fragment in message for fragment in fragments), message
    assert "cloudflare" not in message and "<html>" not in message


@pytest.mark.parametrize(
    "body",
    [
        '{"items": [], "total": 0}',
        '{"data": {}, "total_count": 0}',
        '{"data": [], "total_count": "0"}',
        '{"data": [], "total_count": true}',
        "[]",
        '"ok"',
    ],
)
def test_a_list_of_the_wrong_shape(fake: FakeApi, client: ApiClient, body: str) -> None:
    fake.fail(status=200, body=body)
    with pytest.raises(ApiError, match="unexpected API answer"):
        client.list_destinations()


@pytest.mark.parametrize("body", ['{"data": []}', '{"id": "x"}', "not json"])
def test_a_single_item_of_the_wrong_shape(fake: FakeApi, client: ApiClient, body: str) -> None:
    (ident,) = seed(fake, 1)
    fake.fail(status=200, body=body, path_contains=ident)
    with pytest.raises(ApiError, match="unexpected API answer"):
        client.get_destination(ident)


# Base URL and key --------------------------------------------------------------------------


LOOPBACK_OR_HTTPS = [
    "https://openrouter.ai/api/v1",
    "http://127.0.0.1:8080/api/v1",
    "http://127.42.0.7",
    "http://[::1]:8080",
    "http://localhost:3000/api/v1",
    "http://LocalHost",
]
CLEAR_TEXT_ELSEWHERE = [
    "http://openrouter.ai/api/v1",
    "http://10.0.0.1:8080",
    "http://[::2]:8080",
    "http://localhost.evil.example",
    "http://127.0.0.1.nip.io",
    "http://127.0.0.1@evil.example",
    "ftp://127.0.0.1",
    "openrouter.ai/api/v1",
]


@pytest.mark.parametrize("url", LOOPBACK_OR_HTTPS)
def test_loopback_or_https_is_accepted(url: str) -> None:
    assert check_base_url(url + "/") == url


@pytest.mark.parametrize("url", CLEAR_TEXT_ELSEWHERE)
def test_clear_text_to_another_host_is_refused(url: str) -> None:
    with pytest.raises(UsageError, match="--base-url"):
        check_base_url(url)
    with pytest.raises(UsageError):
        ApiClient(url, MANAGEMENT_KEY)


@pytest.mark.parametrize("url", ["http://[::1:8080", "http://127.0.0.1:port/api/v1"])
def test_a_malformed_base_url_is_a_usage_error(url: str) -> None:
    with pytest.raises(UsageError, match="--base-url"):
        check_base_url(url)
        ApiClient(url, MANAGEMENT_KEY).close()


def test_read_api_key() -> None:
    assert read_api_key("MY_KEY", {"MY_KEY": "  or-key-1 \n"}) == "or-key-1"
    for environ in ({}, {"MY_KEY": "   "}, {"OPENROUTER_MANAGEMENT_KEY": "or-key-1"}):
        with pytest.raises(AuthError, match="MY_KEY"):
            read_api_key("MY_KEY", environ)


def test_error_messages_never_echo_what_was_sent(fake: FakeApi, client: ApiClient) -> None:
    header = 'Digest username="ops", response="6629fae49393a05397450978507c4ef1"'
    # Built as apply builds a body: every secret sent is known to the redactor.
    secret = Secret(SecretOrigin.ENV, header, ("DIGEST",))
    echoed = json.dumps(header)[1:-1]
    message = f"Invalid header value {echoed}; also saw {header.strip()} trimmed"
    fake.fail(
        method="POST", status=400, body=json.dumps({"error": {"code": 400, "message": message}})
    )
    body = {
        "type": "webhook",
        "name": "hook",
        "config": clear_value({"url": "https://h.example", "headers": {"A": secret}}),
    }
    with pytest.raises(ApiError) as caught:
        client.create_destination(body)
    assert "6629fae4" not in str(caught.value)
    assert "Invalid header value" in str(caught.value)
