"""One bound on the requests in flight (`--concurrency`), and a 429 that slows every request.

The fake counts the requests it holds at once and stamps when each arrived, over real HTTP.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from conftest import Orsync
from fake_api import MANAGEMENT_KEY, FakeApi

from orsync.api import ApiClient, RetryPolicy
from orsync.errors import ApiError, UsageError
from orsync.live import read_live

FAST = RetryPolicy(attempts=3, base_delay=0.01, max_delay=0.05)
WORKSPACES = [f"aaaaaaaa-0000-4000-8000-{n:012d}" for n in range(1, 9)]


def hook(name: str) -> dict[str, Any]:
    return {"type": "webhook", "name": name, "config": {"url": f"https://hooks.example.com/{name}"}}


def seeded(fake: FakeApi, per_workspace: int = 1) -> list[str]:
    for workspace in WORKSPACES:
        for n in range(per_workspace):
            fake.add_destination(hook(f"{workspace[-2:]}-{n}"), workspace)
    return list(WORKSPACES)


@pytest.mark.parametrize("concurrency", [1, 3])
def test_workspaces_are_read_with_at_most_the_bound_in_flight(concurrency: int) -> None:
    with FakeApi(latency=0.05) as fake:
        workspaces = seeded(fake)
        with ApiClient(fake.base_url, MANAGEMENT_KEY, concurrency=concurrency) as client:
            live = read_live(client, workspaces)
    assert [w.id for w in live.workspaces] == workspaces
    assert len(fake.requests) == len(workspaces)  # one page each, short and complete
    # The bound holds, and is used: with more workspaces than places, every place is taken.
    assert fake.max_in_flight == concurrency


def test_the_bound_is_shared_by_workspaces_and_their_pages() -> None:
    with FakeApi(latency=0.02, max_page_size=5) as fake:
        workspaces = seeded(fake, per_workspace=23)
        with ApiClient(fake.base_url, MANAGEMENT_KEY, concurrency=4) as client:
            live = read_live(client, workspaces)
    assert all(len(w.destinations) == 23 for w in live.workspaces)
    assert fake.max_in_flight == 4


def test_one_at_a_time_reads_pages_in_order() -> None:
    with FakeApi(max_page_size=10) as fake:
        for n in range(35):
            fake.add_destination(hook(f"d-{n}"))
        with ApiClient(fake.base_url, MANAGEMENT_KEY, concurrency=1) as client:
            items = client.list_destinations()
    assert [d["name"] for d in items] == [f"d-{n}" for n in range(35)]
    assert [int(r.query["offset"]) for r in fake.requests] == [0, 10, 20, 30]
    assert fake.max_in_flight == 1


def test_a_429_pauses_every_request_for_its_retry_after() -> None:
    latency = 0.1
    with FakeApi(latency=latency) as fake:
        workspaces = seeded(fake)
        fake.fail(method="GET", status=429, retry_after="1", times=1)
        started = time.monotonic()
        with ApiClient(fake.base_url, MANAGEMENT_KEY, retry=FAST, concurrency=2) as client:
            live = read_live(client, workspaces)
        elapsed = time.monotonic() - started
        requests = list(fake.requests)
    assert len(live.workspaces) == len(workspaces)
    limited = requests[0]  # the first to arrive got the 429
    answered = limited.received_at + latency
    # What the other worker sent before the 429 came back may be on its way still; after
    # that, every request waited out the Retry-After, not only the retry of the one that
    # got it (each worker alone would have sent one every 0.1 s).
    hurried = [r for r in requests if answered + 0.03 < r.received_at < limited.received_at + 1.0]
    assert hurried == []
    assert sum(r.received_at >= limited.received_at + 1.0 for r in requests) >= 6
    assert len(requests) == len(workspaces) + 1  # the 429, retried once
    assert elapsed >= 1.0


def test_closing_the_client_wakes_a_request_waiting_for_its_turn() -> None:
    with FakeApi() as fake:
        fake.fail(method="GET", status=200, delay=20)  # holds the only place
        client = ApiClient(fake.base_url, MANAGEMENT_KEY, concurrency=1)
        failures: list[str] = []

        def read() -> None:
            try:
                client.list_destinations()
            except ApiError as exc:
                failures.append(str(exc))

        threads = [threading.Thread(target=read) for _ in range(2)]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 10
        while not fake.requests and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.1)
        assert len(fake.requests) == 1  # the second waits for its turn
        started = time.monotonic()
        client.close()
        for thread in threads:
            thread.join(timeout=5)
    assert time.monotonic() - started < 1
    assert failures == ["request cancelled: the API client was closed"] * 2


@pytest.mark.parametrize("count", [0, -1, True])
def test_a_bound_below_one_is_refused(count: int) -> None:
    with pytest.raises(UsageError, match=r"--concurrency \(or ORSYNC_CONCURRENCY\) must be"):
        ApiClient("http://127.0.0.1:9", MANAGEMENT_KEY, concurrency=count)


# Through the command -----------------------------------------------------------------------


def config_of(workspaces: list[str]) -> str:
    entries = "".join(
        f"  - id: {w}\n    destinations: []\n    unmanaged: ignore\n" for w in workspaces
    )
    return "version: 1\nworkspaces:\n" + entries


@pytest.mark.parametrize(
    ("args", "env", "bound"),
    [
        ((), {}, 8),
        (("--concurrency", "2"), {}, 2),
        ((), {"ORSYNC_CONCURRENCY": "1"}, 1),
        (("--concurrency", "3"), {"ORSYNC_CONCURRENCY": "1"}, 3),
    ],
)
def test_plan_keeps_to_the_bound_asked(
    orsync: Orsync, fake: FakeApi, args: tuple[str, ...], env: dict[str, str], bound: int
) -> None:
    # Long enough that the whole first wave is sent before any answer comes back, even on a
    # busy machine (one request at a time needs no wait to show it).
    fake.latency = 0.25 if bound > 1 else 0.01
    workspaces = seeded(fake) + [f"bbbbbbbb-0000-4000-8000-{n:012d}" for n in range(1, 9)]
    for workspace in workspaces:
        fake.add_workspace(str(workspace))
    orsync.write_config(config_of(workspaces))
    result = orsync("plan", *args, env=env)
    assert result.code == 0, result.output
    assert fake.max_in_flight == bound


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (("--concurrency", "0"), {}, "--concurrency (or ORSYNC_CONCURRENCY) must be a whole"),
        ((), {"ORSYNC_CONCURRENCY": "-2"}, "--concurrency (or ORSYNC_CONCURRENCY) must be a"),
        ((), {"ORSYNC_CONCURRENCY": "many"}, "Invalid value for '--concurrency'"),
    ],
)
def test_a_bad_bound_is_an_error(
    orsync: Orsync, fake: FakeApi, args: tuple[str, ...], env: dict[str, str], message: str
) -> None:
    orsync.write_config(config_of(WORKSPACES[:1]))
    result = orsync("plan", *args, env=env)
    assert result.code == 1
    assert message in result.stderr
    assert fake.requests == []


def test_validate_never_trips_on_the_bound(orsync: Orsync) -> None:
    orsync.write_config(config_of(WORKSPACES[:1]))
    result = orsync("validate", env={"ORSYNC_CONCURRENCY": "0"})
    assert result.code == 0, result.output


def test_a_planning_error_is_that_of_the_first_workspace_whichever_is_read_first(
    orsync: Orsync, fake: FakeApi
) -> None:
    first, second = WORKSPACES[:2]
    ids = {
        w: [fake.add_destination(hook("dup"), w)["id"] for _ in range(2)] for w in (first, second)
    }
    orsync.write_config(f"""
        version: 1
        workspaces:
          - id: {first}
            destinations:
              - {{name: dup, type: webhook, config: {{url: "https://hooks.example.com/dup"}}}}
          - id: {second}
            destinations:
              - {{name: dup, type: webhook, config: {{url: "https://hooks.example.com/dup"}}}}
        """)
    fake.fail(method="GET", status=200, delay=0.5, workspace_id=first)  # read last
    result = orsync("plan")
    assert result.code == 1, result.output
    assert "orsync.yaml:5: 2 live destinations are named 'dup'" in result.stderr
    assert all(ident in result.stderr for ident in ids[first])
    assert not any(ident in result.stderr for ident in ids[second])
