"""`orsync.api.ApiClient` over real HTTP against the fake API: paging, retries, error mapping.

Where a fault shows to the user, the real `orsync` command is run against the fake as well.
"""

from __future__ import annotations

import json
import math
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import Orsync
from fake_api import DEFAULT_WORKSPACE_ID, MANAGEMENT_KEY, ORDINARY_KEY, FakeApi, RecordedRequest

from orsync import api as api_module
from orsync import defaults
from orsync.api import (
    PAGE_LIMIT,
    ApiClient,
    RetryPolicy,
    check_base_url,
    check_timeout,
    read_api_key,
)
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
    # The listing ends at the page shorter than asked that completes total_count: the empty
    # page after it is not asked for.
    assert sorted(int(r.query["offset"]) for r in pages) == [0, 100, 200]


def test_short_pages_are_followed_by_offset_plus_what_came() -> None:
    with FakeApi(max_page_size=7) as fake, ApiClient(fake.base_url, MANAGEMENT_KEY) as client:
        ids = seed(fake, 250)
        items = client.list_destinations()
        pages = sent(fake, "GET")
    assert [d["id"] for d in items] == ids
    assert len({d["id"] for d in items}) == 250
    assert {r.query["limit"] for r in pages} == {"100"}
    # Every page is shorter than asked: the one that completes total_count ends the listing.
    assert sorted(int(r.query["offset"]) for r in pages) == list(range(0, 250, 7))


def test_a_full_last_page_is_followed_by_an_empty_one(fake: FakeApi, client: ApiClient) -> None:
    ids = seed(fake, 200)
    assert [d["id"] for d in client.list_destinations()] == ids
    # A page as long as asked proves no end, even where total_count says it is the last.
    assert sorted(int(r.query["offset"]) for r in sent(fake, "GET")) == [0, 100, 200]


def test_workspace_id_scopes_the_list(fake: FakeApi, client: ApiClient) -> None:
    default_ids = seed(fake, 3)
    other_ids = seed(fake, 2, WORKSPACE_A)
    assert [d["id"] for d in client.list_destinations(WORKSPACE_A)] == other_ids
    assert fake.requests[-1].query["workspace_id"] == WORKSPACE_A
    assert [d["id"] for d in client.list_destinations()] == default_ids
    assert "workspace_id" not in fake.requests[-1].query


def test_a_server_that_ignores_offset_is_not_read_for_ever(
    fake: FakeApi, client: ApiClient
) -> None:
    item = {**hook("twice"), "id": "dddddddd-0000-4000-8000-000000000001"}
    fake.fail(status=200, body=json.dumps({"data": [item], "total_count": 10**7}), times=100)
    with pytest.raises(ApiError, match="a page held only destinations already listed"):
        client.list_destinations()
    # Three reads of a first page and one window of pages after it (as many as the client
    # has requests in flight).
    assert len(sent(fake, "GET")) <= 3 * (1 + defaults.CONCURRENCY)


def test_read_live_keeps_the_order_asked(fake: FakeApi, client: ApiClient) -> None:
    wanted: list[str | None] = [WORKSPACE_C, None, WORKSPACE_A, WORKSPACE_B]
    for count, workspace_id in enumerate(wanted, start=1):
        seed(fake, count, workspace_id)
    fake.fail(method="GET", status=200, delay=0.3)  # whichever is asked first answers last
    live = read_live(client, wanted)
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
    assert len(sent(fake, "GET")) == 2  # the 429, then the page (short, total_count met)


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
    assert len(sent(fake, "GET")) == (2 + 1) + 3


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
    assert len(sent(fake, "GET")) == (2 + 1) + 3


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
        '{"data": ["x"], "total_count": 1}',
        '{"data": [], "total_count": 1' + "0" * 400 + "}",
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


# Listing: total_count, empty pages, a list that moves --------------------------------------


def plan_env(fake: FakeApi) -> dict[str, str]:
    return {"ORSYNC_BASE_URL": fake.base_url}


@pytest.mark.parametrize("count_hidden", [False, True])
def test_a_total_count_above_the_listing_is_a_warning(count_hidden: bool) -> None:
    with FakeApi(count_hidden=count_hidden) as fake:
        ids = seed(fake, 3)
        fake.add_hidden(2)
        with ApiClient(fake.base_url, MANAGEMENT_KEY, retry=FAST) as client:
            listing = client.read_destinations()
    assert [d["id"] for d in listing.items] == ids
    if count_hidden:
        (warning,) = listing.warnings
        assert "total_count says 5 destinations, but the listing holds 3" in warning
        assert "the same on two reads" in warning
        # Read twice to tell a short listing from a moving one: 0, 3 (empty), and again.
        assert sorted(int(r.query["offset"]) for r in sent(fake, "GET")) == [0, 0, 3, 3]
    else:
        assert listing.warnings == ()
        # One page, shorter than asked and holding total_count: nothing more to ask.
        assert sorted(int(r.query["offset"]) for r in sent(fake, "GET")) == [0]


def test_a_huge_total_count_with_empty_pages_ends_at_the_first_empty_page() -> None:
    with FakeApi(count_hidden=True) as fake:
        seed(fake, 1)
        fake.add_hidden(499_999)
        with ApiClient(fake.base_url, MANAGEMENT_KEY, retry=FAST, concurrency=4) as client:
            listing = client.read_destinations()
        requests = sent(fake, "GET")
    assert len(listing.items) == 1
    assert "total_count says 500000" in listing.warnings[0]
    # Two reads, each of the first page and one window of 4 pages: not 5,000 pages.
    assert len(requests) == 2 * (1 + 4)


def test_a_total_count_above_the_listing_warns_through_plan(orsync: Orsync) -> None:
    with FakeApi(count_hidden=True) as fake:
        fake.add_destination(hook("kept"))
        (gone,) = seed(fake, 1)
        fake.add_hidden(499_998)
        with ApiClient(fake.base_url, MANAGEMENT_KEY) as client:
            assert client.delete_destination(gone)  # soft: still in total_count
        orsync.write_config("""
            version: 1
            destinations:
              - {name: kept, type: webhook, config: {url: "https://hooks.example.com/kept"}}
            """)
        text = orsync("plan", env=plan_env(fake))
        document = orsync("plan", "--format", "json", env=plan_env(fake))
        requests = len(fake.requests)
    assert text.code == 0, text.output
    assert "No changes" in text.stdout
    assert "Warning: the default workspace: total_count says 500000" in text.stderr
    assert "holds 1" in text.stderr
    assert document.code == 0, document.output
    (warning,) = json.loads(document.stdout)["warnings"]
    assert "total_count says 500000" in warning
    assert requests <= 1 + 2 * 2 * (1 + defaults.CONCURRENCY)


# A listing of one page is one answer, which cannot move under itself: these use pages of 2.


def test_a_listing_that_moves_once_is_read_again(fake: FakeApi, client: ApiClient) -> None:
    fake.max_page_size = 2
    ids = seed(fake, 3)
    fake.move_listing(times=1)
    listing = client.read_destinations()
    names = [d["name"] for d in listing.items]
    assert len(names) == 4 and names[0].startswith("moved-")
    assert [d["id"] for d in listing.items][1:] == ids
    assert listing.warnings == ()
    # The page at 2 finds the list moved (a destination listed twice, total_count up by one),
    # so the read goes on to an empty page and is read again, whole this time.
    assert [int(r.query["offset"]) for r in sent(fake, "GET")] == [0, 2, 4, 0, 2]


def test_a_listing_that_never_holds_still_is_an_error(fake: FakeApi, client: ApiClient) -> None:
    fake.max_page_size = 2
    seed(fake, 3)
    fake.move_listing(times=100)
    with pytest.raises(ApiError, match="kept changing while orsync read them") as caught:
        client.read_destinations()
    assert "3 reads" in str(caught.value) and "the default workspace" in str(caught.value)
    # Each read stops at the first page that holds only what it listed already; the list grows
    # by one with every page asked after a first, so a read takes a handful of pages.
    assert len(sent(fake, "GET")) <= 3 * 10


def test_a_listing_that_never_holds_still_fails_plan(orsync: Orsync, fake: FakeApi) -> None:
    fake.max_page_size = 1
    seed(fake, 2)
    fake.move_listing(times=100)
    orsync.write_config("version: 1\ndestinations: []\n")
    result = orsync("plan")
    assert result.code == 1, result.output
    assert "Error: the destinations of the default workspace kept changing" in result.stderr
    assert "nothing was planned" in result.stderr and "Traceback" not in result.stderr


def test_more_pages_than_orsync_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(api_module, "MAX_PAGES", 5)
    with FakeApi(max_page_size=1) as fake:
        seed(fake, 10)
        client = ApiClient(fake.base_url, MANAGEMENT_KEY, retry=FAST)
        with client, pytest.raises(ApiError, match="goes on past 5 pages"):
            client.list_destinations()


# Timeouts bound a whole request; Ctrl-C and closing stop at once ---------------------------


def test_a_trickling_answer_is_cut_at_the_timeout(fake: FakeApi) -> None:
    seed(fake, 1)
    fake.fail(status=200, trickle=0.05, times=10)  # some 10 s per answer, a byte at a time
    started = time.monotonic()
    client = ApiClient(fake.base_url, MANAGEMENT_KEY, timeout=0.5, retry=FAST)
    expected = r"did not answer in time \(no whole answer within 0.5 s; 3 tries\)"
    with client, pytest.raises(ApiError, match=expected):
        client.list_destinations()
    assert time.monotonic() - started < 3
    assert len(sent(fake, "GET")) == 3


def test_a_trickle_that_ends_in_time_is_an_answer(fake: FakeApi) -> None:
    ids = seed(fake, 1)
    fake.fail(status=200, trickle=0.001, times=1)
    with ApiClient(fake.base_url, MANAGEMENT_KEY, timeout=10, retry=FAST) as client:
        assert [d["id"] for d in client.list_destinations()] == ids


def test_retries_end_at_the_retry_deadline(fake: FakeApi) -> None:
    fake.fail(status=200, delay=10, times=10)
    policy = RetryPolicy(attempts=10, base_delay=0.01, max_delay=0.01, deadline=2.5)
    started = time.monotonic()
    client = ApiClient(fake.base_url, MANAGEMENT_KEY, timeout=2, retry=policy)
    with client, pytest.raises(ApiError, match=r"did not answer in time .*2 tries"):
        client.list_destinations()
    # The first try gets its 2 s; the second is cut where the retry deadline falls.
    assert 2.4 < time.monotonic() - started < 3.5


def test_plan_with_a_timeout_against_a_trickling_api_stops(orsync: Orsync, fake: FakeApi) -> None:
    seed(fake, 1)
    fake.fail(status=200, trickle=0.1, times=50)
    orsync.write_config("version: 1\ndestinations: []\n")
    started = time.monotonic()
    result = orsync("plan", "--timeout", "1")
    elapsed = time.monotonic() - started
    assert result.code == 1, result.output
    assert (
        "Error: GET /observability/destinations: the API did not answer in time "
        "(no whole answer within 1 s; 4 tries)"
    ) in result.stderr
    assert elapsed < 10
    assert "Traceback" not in result.stderr


def test_closing_the_client_stops_requests_and_retry_waits(fake: FakeApi) -> None:
    fake.fail(path_contains="/destinations/", status=429, retry_after="20")
    fake.fail(method="GET", path_contains="/destinations", status=200, delay=20)
    policy = RetryPolicy(base_delay=0.01, max_retry_after=30)
    client = ApiClient(fake.base_url, MANAGEMENT_KEY, retry=policy)
    failures: list[BaseException] = []

    def call(action: Any) -> None:
        try:
            action()
        except ApiError as exc:
            failures.append(exc)

    waiting = [
        threading.Thread(target=call, args=(lambda: client.get_destination("x"),)),  # retry wait
        threading.Thread(target=call, args=(client.list_destinations,)),  # in flight
    ]
    for thread in waiting:
        thread.start()
    deadline = time.monotonic() + 10
    while len(fake.requests) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.1)
    started = time.monotonic()
    client.close()
    for thread in waiting:
        thread.join(timeout=5)
    assert time.monotonic() - started < 1
    assert [str(f) for f in failures] == ["request cancelled: the API client was closed"] * 2
    with pytest.raises(ApiError, match="cancelled"):
        client.list_destinations()


def test_ctrl_c_during_a_concurrent_read_stops_at_once(orsync: Orsync, fake: FakeApi) -> None:
    workspaces = [f"aaaaaaaa-0000-4000-8000-{n:012d}" for n in range(1, 6)]
    for workspace in workspaces:
        fake.add_workspace(workspace)
    entries = "".join(f"  - id: {w}\n    destinations: []\n" for w in workspaces)
    orsync.write_config("version: 1\nworkspaces:\n" + entries)
    fake.fail(method="GET", status=200, delay=30, times=100)
    process = subprocess.Popen(
        [sys.executable, "-m", "orsync", "plan"],
        cwd=orsync.cwd,
        env=orsync.environ(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 20
        while len(fake.requests) < len(workspaces) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(fake.requests) == len(workspaces)  # every workspace is being read
        started = time.monotonic()
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=30)
        elapsed = time.monotonic() - started
    finally:
        process.kill()
    assert process.returncode == 1, stdout + stderr
    assert stderr.splitlines()[-1] == "Interrupted.", stderr
    assert "Traceback" not in stderr
    assert elapsed < 2


# Redirects are errors --------------------------------------------------------------------

LOCATION = "https://ops:pa55word@elsewhere.example/api/v1/observability/destinations?token=t0k3n#x"


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_is_an_error_naming_where_it_pointed(
    fake: FakeApi, client: ApiClient, status: int
) -> None:
    fake.fail(status=status, body='{"data": [], "total_count": 0}', location=LOCATION)
    with pytest.raises(ApiError) as caught:
        client.list_destinations()
    message = str(caught.value)
    assert message == (
        f"GET /observability/destinations: the API answered {status}, a redirect to "
        "https://elsewhere.example/api/v1/observability/destinations, which orsync does not "
        "follow (check --base-url)"
    )
    assert caught.value.status == status
    assert len(fake.requests) == 1  # not retried


def test_a_redirect_without_location(fake: FakeApi, client: ApiClient) -> None:
    fake.fail(status=302, body="")
    with pytest.raises(ApiError, match=r"answered 302, a redirect to nowhere \(no Location"):
        client.list_destinations()


def test_a_delete_answered_307_is_not_done(fake: FakeApi, client: ApiClient) -> None:
    (ident,) = seed(fake, 1)
    fake.fail(method="DELETE", status=307, location="/api/v2/observability/destinations/x?k=1")
    with pytest.raises(ApiError, match="answered 307, a redirect to /api/v2/observability/"):
        client.delete_destination(ident)
    assert [d["id"] for d in fake.destinations()] == [ident]


def test_plan_refuses_a_redirect_whose_body_is_a_list(orsync: Orsync, fake: FakeApi) -> None:
    orsync.write_config("version: 1\ndestinations: []\n")
    fake.fail(status=301, body='{"data": [], "total_count": 0}', location=LOCATION, times=5)
    result = orsync("plan")
    assert result.code == 1, result.output
    assert "answered 301, a redirect to https://elsewhere.example/api/v1/" in result.stderr
    assert "No changes" not in result.stdout
    result.assert_hides(["pa55word", "t0k3n"])


def test_apply_reports_a_delete_answered_307_as_failed(orsync: Orsync, fake: FakeApi) -> None:
    (ident,) = seed(fake, 1)
    orsync.write_config("version: 1\nworkspaces:\n  - unmanaged: delete\n    destinations: []\n")
    fake.fail(method="DELETE", status=307, location=LOCATION)
    result = orsync("apply", "--auto-approve")
    assert result.code == 1, result.output
    assert "answered 307, a redirect to https://elsewhere.example/" in result.stderr
    assert [d["id"] for d in fake.destinations()] == [ident]
    result.assert_hides(["pa55word", "t0k3n"])


# Items of another workspace ----------------------------------------------------------------


def test_items_of_another_workspace_are_an_error() -> None:
    with FakeApi(workspaces=[WORKSPACE_A], ignore_workspace_id=True) as fake:
        (stranger,) = seed(fake, 1)
        with ApiClient(fake.base_url, MANAGEMENT_KEY, retry=FAST) as client:
            assert [d["id"] for d in client.list_destinations()] == [stranger]
            with pytest.raises(ApiError) as caught:
                client.list_destinations(WORKSPACE_A)
    assert str(caught.value) == (
        f"unexpected API answer: the list of workspace {WORKSPACE_A} holds destination "
        f"{stranger} of workspace {DEFAULT_WORKSPACE_ID} (was `?workspace_id=` lost on the "
        "way, by a proxy?)"
    )


def test_a_default_list_mixing_workspaces_is_an_error(fake: FakeApi, client: ApiClient) -> None:
    seed(fake, 2)
    mixed = [
        {**hook("a"), "id": "dddddddd-0000-4000-8000-00000000000a", "workspace_id": WORKSPACE_A},
        {**hook("b"), "id": "dddddddd-0000-4000-8000-00000000000b", "workspace_id": WORKSPACE_B},
    ]
    fake.fail(method="GET", status=200, body=json.dumps({"data": mixed, "total_count": 2}))
    with pytest.raises(ApiError, match=f"mixes destinations of workspaces {WORKSPACE_A} and"):
        client.list_destinations()


def test_a_workspace_id_that_is_no_string(fake: FakeApi, client: ApiClient) -> None:
    seed(fake, 1)
    item = {**hook("a"), "id": "dddddddd-0000-4000-8000-00000000000a", "workspace_id": 7}
    fake.fail(method="GET", status=200, body=json.dumps({"data": [item], "total_count": 1}))
    with pytest.raises(ApiError, match=f"destination {item['id']}: `workspace_id` is not a str"):
        client.list_destinations()


def test_plan_of_a_workspace_behind_a_proxy_dropping_its_id(orsync: Orsync) -> None:
    with FakeApi(workspaces=[WORKSPACE_A], ignore_workspace_id=True) as fake:
        seed(fake, 1)
        orsync.write_config(
            f"version: 1\nworkspaces:\n  - id: {WORKSPACE_A}\n    destinations: []\n"
        )
        result = orsync("plan", env=plan_env(fake))
    assert result.code == 1, result.output
    assert f"unexpected API answer: the list of workspace {WORKSPACE_A} holds" in result.stderr


# Hostile values ------------------------------------------------------------------------------

HUGE = 10**400


@pytest.mark.parametrize(
    ("overrides", "problem"),
    [
        ({"sampling_rate": math.nan}, "`sampling_rate` is not a finite number"),
        ({"sampling_rate": math.inf}, "`sampling_rate` is not a finite number"),
        ({"sampling_rate": HUGE}, "`sampling_rate` is a number too large to compare exactly"),
        (
            {
                "filter_rules": {
                    "groups": [
                        {"rules": [{"field": "total_cost", "operator": "gt", "value": -math.inf}]}
                    ]
                }
            },
            "`filter_rules.groups[0].rules[0].value` is not a finite number",
        ),
        ({"config": {"url": "https://h.example", "retries": HUGE}}, "`config.retries` is a number"),
        # Beyond 2^53 and no float's value: whatever was sent, it did not come back as sent.
        (
            {"config": {"url": "https://h.example", "n": 2**53 + 1}},
            "`config.n` is a number too large to compare exactly",
        ),
        ({"config": {"url": "https://h.example", "apiKey": math.nan}}, "`config.apiKey` is not"),
    ],
)
def test_numbers_json_allows_but_no_destination_holds(
    fake: FakeApi, client: ApiClient, overrides: dict[str, Any], problem: str
) -> None:
    ident = fake.add_destination({**hook("odd"), **overrides})["id"]
    with pytest.raises(ApiError) as caught:
        read_live(client, [None])
    assert str(caught.value).startswith(f"unexpected API answer: destination {ident}: {problem}")
    assert "0000000000" not in str(caught.value) and "nan" not in str(caught.value).lower()


def test_a_long_integer_that_a_float_holds_is_read_as_that_float(
    fake: FakeApi, client: ApiClient
) -> None:
    fake.add_destination({**hook("big"), "config": {"url": "https://h.example", "n": 2**60}})
    (destination,) = read_live(client, [None]).workspaces[0].destinations
    assert destination.config["n"] == 2.0**60 and type(destination.config["n"]) is float


def test_plan_names_a_field_holding_infinity(orsync: Orsync, fake: FakeApi) -> None:
    fake.add_destination({**hook("odd"), "config": {"url": "https://h.example", "n": HUGE}})
    orsync.write_config("version: 1\ndestinations: []\n")
    result = orsync("plan")
    assert result.code == 1, result.output
    assert "`config.n` is a number too large to compare exactly" in result.stderr
    assert "internal error" not in result.stderr and "0000000000" not in result.stderr


def test_a_value_nested_too_deep(fake: FakeApi, client: ApiClient) -> None:
    nested: dict[str, Any] = {}
    for _ in range(200):
        nested = {"x": nested}
    ident = fake.add_destination({**hook("deep"), "config": {"url": "u", "deep": nested}})["id"]
    with pytest.raises(ApiError, match=f"destination {ident}: `config` nests lists and objects"):
        read_live(client, [None])


@pytest.mark.parametrize("status", [200, 500])
def test_a_body_nested_100000_deep(fake: FakeApi, client: ApiClient, status: int) -> None:
    deep = "[" * 100_000 + "]" * 100_000
    fake.fail(status=status, body='{"data": ' + deep + ', "total_count": 1}', times=5)
    expected = "JSON nested too deeply" if status == 200 else "500 after 3 tries: a JSON body"
    with pytest.raises(ApiError, match=expected):
        client.list_destinations()


@pytest.mark.parametrize("ident", [["a", "b"], {"id": "x"}, 7, ""])
def test_an_id_that_is_no_string(fake: FakeApi, client: ApiClient, ident: Any) -> None:
    item = {**hook("odd"), "id": ident}
    fake.fail(status=200, body=json.dumps({"data": [item], "total_count": 1}))
    with pytest.raises(
        ApiError, match=r"default workspace, item 0: `id` is not a non-empty string"
    ):
        client.list_destinations()


def test_plan_with_an_id_that_is_a_list(orsync: Orsync, fake: FakeApi) -> None:
    item = {**hook("odd"), "id": ["a"]}
    fake.fail(status=200, body=json.dumps({"data": [item], "total_count": 1}))
    orsync.write_config("version: 1\ndestinations: []\n")
    result = orsync("plan")
    assert result.code == 1, result.output
    assert "Error: unexpected API answer: default workspace, item 0: `id` is not" in result.stderr


@pytest.mark.parametrize("seconds", [0, -1, math.nan, math.inf, 1e308, 3601])
def test_a_timeout_that_cannot_bound_a_request(seconds: float) -> None:
    with pytest.raises(UsageError, match=r"--timeout .* above 0 and at most 3600"):
        check_timeout(seconds)
    with pytest.raises(UsageError, match="--timeout"):
        ApiClient("https://openrouter.ai/api/v1", MANAGEMENT_KEY, timeout=seconds)


def test_a_plausible_timeout() -> None:
    assert check_timeout(0.5) == 0.5 and check_timeout(3600) == 3600


@pytest.mark.parametrize("value", ["inf", "1e308", "nan", "0"])
def test_plan_with_a_timeout_that_cannot_bound_a_request(orsync: Orsync, value: str) -> None:
    orsync.write_config("version: 1\ndestinations: []\n")
    for args, env in ((("--timeout", value), {}), ((), {"ORSYNC_TIMEOUT": value})):
        result = orsync("plan", *args, env=env)
        assert result.code == 1, result.output
        assert result.stderr == (
            "Error: --timeout (or ORSYNC_TIMEOUT) must be a number of seconds above 0 "
            "and at most 3600\n"
        )


@pytest.mark.parametrize("end", ["\n", "\r\n", "\r"])
def test_a_base_url_from_a_crlf_env_file(orsync: Orsync, fake: FakeApi, end: str) -> None:
    assert check_base_url("https://openrouter.ai/api/v1/" + end) == "https://openrouter.ai/api/v1"
    orsync.write_config("version: 1\ndestinations: []\n")
    result = orsync("plan", env={"ORSYNC_BASE_URL": fake.base_url + end})
    assert result.code == 0, result.output


@pytest.mark.parametrize(
    "url",
    [
        "https://openrouter.ai/api/v1 ",
        " https://openrouter.ai",
        "https://a.example/\tv1",
        "https://a.example/\nv1",
    ],
)
def test_a_base_url_holding_spaces_or_controls_is_refused(orsync: Orsync, url: str) -> None:
    with pytest.raises(UsageError, match="--base-url holds a space or a control character"):
        check_base_url(url)
    orsync.write_config("version: 1\ndestinations: []\n")
    result = orsync("plan", env={"ORSYNC_BASE_URL": url})
    assert result.code == 1, result.output
    assert result.stderr == "Error: --base-url holds a space or a control character\n"
