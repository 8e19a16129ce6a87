"""`orsync.apply` with a real `ApiClient` against the fake API: bodies, checks, order, reports."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import builders
import pytest
from builders import env, pin, plan_of
from fake_api import DEFAULT_WORKSPACE_ID, MANAGEMENT_KEY, FakeApi

from orsync.api import ApiClient, RetryPolicy
from orsync.apply import apply_plan
from orsync.destination_types import FIELD_DEFAULTS
from orsync.errors import EXIT_POLICY, ApplyError, SafetyError
from orsync.live import read_live
from orsync.model import (
    DesiredDestination,
    Secret,
    Source,
    UnmanagedPolicy,
)
from orsync.plan import Action, Plan
from orsync.request_bodies import create_body, update_body
from orsync.safety import check_feasible, check_safety

URL = "https://hooks.example.com/in"
PUBLIC = "pk-lf-public-0000000000-EfGh"
OLD_SECRET = "sk-lf-secret-0000000000-WxYz"
NEW_SECRET = "sk-lf-secret-0123456789-AbCd"
HEADER_A = "Bearer header-a-1111111111-GhIj"
HEADER_B = "Bearer header-b-2222222222-KlMn"
HEADER_B_NEW = "Bearer header-b-3333333333-OpQr"
WORKSPACE = "aaaaaaaa-0000-4000-8000-00000000000a"


def declared(
    name: str, type_name: str = "webhook", config: dict[str, Any] | None = None, **keys: Any
) -> DesiredDestination:
    """A declaration at line 5 of orsync.yaml (see tests/builders.py)."""
    return builders.declared(name, type_name, config, source=Source("orsync.yaml", 5), **keys)


def seed(fake: FakeApi, name: str, type_name: str = "webhook", **extra: Any) -> str:
    item = {"type": type_name, "name": name, "config": {"url": URL}, **extra}
    return str(fake.add_destination(item)["id"])


def plan_against(
    client: ApiClient,
    wanted: list[DesiredDestination],
    unmanaged: UnmanagedPolicy = UnmanagedPolicy.REPORT,
) -> Plan:
    return plan_of(wanted, read_live(client, [None]), unmanaged)


def sent(fake: FakeApi) -> list[tuple[str, str]]:
    """Each mutating request as (method, the destination name or id it concerned)."""
    return [
        (r.method, r.body["name"] if r.method == "POST" else r.path.rsplit("/", 1)[-1])
        for r in fake.mutating_requests()
    ]


@pytest.fixture
def client(fake: FakeApi) -> Iterator[ApiClient]:
    with ApiClient(fake.base_url, MANAGEMENT_KEY, retry=RetryPolicy(base_delay=0.01)) as api:
        yield api


def langfuse_live(fake: FakeApi) -> str:
    config = {
        "publicKey": PUBLIC,
        "secretKey": OLD_SECRET,
        "baseUrl": "https://cloud.langfuse.com",
        "headers": {"X-A": HEADER_A, "X-B": HEADER_B},
    }
    return seed(fake, "LF", "langfuse", config=config)


def langfuse_declared(secret: Secret, header_b: Secret, **fields: Any) -> DesiredDestination:
    config = {
        "publicKey": pin(PUBLIC),
        "secretKey": secret,
        "baseUrl": "https://cloud.langfuse.com",
        "headers": {"X-A": env(HEADER_A), "X-B": header_b},
    }
    return declared("LF", "langfuse", config, **fields)


# Request bodies ----------------------------------------------------------------------------


def test_create_body_sends_every_field_and_secrets_in_clear(
    fake: FakeApi, client: ApiClient
) -> None:
    config = {
        "publicKey": env(PUBLIC),
        "secretKey": env(NEW_SECRET),
        "headers": {"X": env(HEADER_A)},
    }
    wanted = declared("LF", "langfuse", config, sampling_rate=0.5)
    body = create_body(wanted)
    assert body == {
        "type": "langfuse",
        "name": "LF",
        **FIELD_DEFAULTS,
        "sampling_rate": 0.5,
        "config": {"publicKey": PUBLIC, "secretKey": NEW_SECRET, "headers": {"X": HEADER_A}},
    }
    assert create_body(declared("W", workspace=WORKSPACE))["workspace_id"] == WORKSPACE
    client.create_destination(body)
    assert plan_against(client, [wanted]).in_sync


def test_create_body_never_sends_a_mask_or_an_unset_secret() -> None:
    for config in (
        {"publicKey": pin(PUBLIC), "secretKey": env(NEW_SECRET)},
        {"publicKey": env(PUBLIC), "secretKey": env(None, "LF_SECRET")},
    ):
        with pytest.raises(ApplyError, match=r"config\.(publicKey|secretKey) is") as caught:
            create_body(declared("LF", "langfuse", config))
        assert NEW_SECRET not in str(caught.value) and PUBLIC not in str(caught.value)


def test_update_body_holds_only_what_differs(fake: FakeApi, client: ApiClient) -> None:
    langfuse_live(fake)
    wanted = langfuse_declared(env(NEW_SECRET), env(HEADER_B_NEW), sampling_rate=0.5)
    (change,) = plan_against(client, [wanted]).changes
    body, unsendable = update_body(change)
    # The pinned publicKey and the unchanged baseUrl are left out (the API merges config key
    # by key); headers go whole, every value in clear, as merging inside them is not documented.
    assert body == {
        "sampling_rate": 0.5,
        "config": {"secretKey": NEW_SECRET, "headers": {"X-A": HEADER_A, "X-B": HEADER_B_NEW}},
    }
    assert unsendable == []
    assert apply_plan(plan_against(client, [wanted]), client).complete
    assert fake.mutating_requests()[0].body == body
    assert fake.destinations()[0]["config"]["publicKey"] == PUBLIC
    assert plan_against(client, [wanted]).in_sync


def test_update_body_leaves_out_an_unset_secret(fake: FakeApi, client: ApiClient) -> None:
    langfuse_live(fake)
    wanted = langfuse_declared(env(None, "LF_SECRET"), env(HEADER_B), enabled=False)
    (change,) = plan_against(client, [wanted]).changes
    assert update_body(change) == ({"enabled": False}, [])


def test_a_changed_pin_cannot_be_sent(fake: FakeApi, client: ApiClient) -> None:
    langfuse_live(fake)
    wanted = langfuse_declared(pin(NEW_SECRET), env(HEADER_B), sampling_rate=0.5)
    plan = plan_against(client, [wanted])
    body, unsendable = update_body(plan.changes[0])
    assert body == {"sampling_rate": 0.5}
    assert len(unsendable) == 1 and "cannot update config.secretKey" in unsendable[0]
    with pytest.raises(ApplyError, match=r"cannot update config\.secretKey"):
        check_feasible(plan)
    report = apply_plan(plan, client)
    assert report.failed is not None and "cannot update config.secretKey" in report.failed
    # Nothing of the update is sent: half an update would be worse than none.
    assert fake.mutating_requests() == []
    stored = fake.destinations()[0]
    assert (stored["sampling_rate"], stored["config"]["secretKey"]) == (1, OLD_SECRET)


def test_a_pinned_id_renames(fake: FakeApi, client: ApiClient) -> None:
    ident = seed(fake, "Old name")
    plan = plan_against(client, [declared("New name", pinned=ident)])
    assert update_body(plan.changes[0]) == ({"name": "New name"}, [])
    assert apply_plan(plan, client).complete
    assert [(d["id"], d["name"]) for d in fake.destinations()] == [(ident, "New name")]


# Checks before acting ----------------------------------------------------------------------


def test_max_deletes_counts_replaces(fake: FakeApi, client: ApiClient) -> None:
    for name in ("A", "B", "C"):
        seed(fake, name)
    deletes = plan_against(client, [], unmanaged=UnmanagedPolicy.DELETE)
    check_safety(deletes, max_deletes=3)
    with pytest.raises(SafetyError, match=r"3 destinations .* --max-deletes 2") as caught:
        check_safety(deletes, max_deletes=2)
    assert caught.value.exit_code == EXIT_POLICY
    otel = {"endpoint": "https://otel.example.com"}
    swaps = [declared(name, "otel-collector", otel) for name in ("A", "B")]
    one_delete = plan_against(client, swaps, unmanaged=UnmanagedPolicy.DELETE)
    assert sorted(c.action.value for c in one_delete.changes) == ["delete", "replace", "replace"]
    check_safety(one_delete, max_deletes=3)
    with pytest.raises(SafetyError, match=r"3 destinations .*'A', 'B', 'C'"):
        check_safety(one_delete, max_deletes=2)
    assert fake.mutating_requests() == []


def test_protect_forbids_a_replace_but_not_an_update(fake: FakeApi, client: ApiClient) -> None:
    seed(fake, "Kept")
    updated = plan_against(client, [declared("Kept", protect=True, sampling_rate=0.5)])
    check_safety(updated, max_deletes=0)
    otel = {"endpoint": "https://otel.example.com"}
    replaced = plan_against(client, [declared("Kept", "otel-collector", otel, protect=True)])
    with pytest.raises(SafetyError, match=r"protect .*'Kept' \(orsync.yaml:5\)"):
        check_safety(replaced, max_deletes=10)


KNOWN = {"publicKey": env(PUBLIC), "secretKey": env(NEW_SECRET)}


@pytest.mark.parametrize(
    ("config", "problem"),
    [
        ({**KNOWN, "secretKey": env(None, "LF_SECRET")}, "secretKey is ${LF_SECRET} (not set)"),
        ({**KNOWN, "secretKey": pin(NEW_SECRET)}, "secretKey is sk-l...AbCd"),
        ({"publicKey": env(PUBLIC)}, "secretKey is required to create: declare it"),
        ({**KNOWN, "headers": {"X": env(None)}}, "headers.X is ${VAR} (not set)"),
    ],
    ids=["unset", "pin", "required", "header"],
)
def test_check_feasible(
    fake: FakeApi, client: ApiClient, config: dict[str, Any], problem: str
) -> None:
    seed(fake, "Swap")  # a webhook, to be replaced by a langfuse
    plan = plan_against(
        client, [declared("New", "langfuse", config), declared("Swap", "langfuse", config)]
    )
    with pytest.raises(ApplyError) as caught:
        check_feasible(plan)
    message = str(caught.value)
    assert f"orsync.yaml:5: New: config.{problem}" in message
    assert f"orsync.yaml:5: Swap: config.{problem}" in message
    assert "nothing was changed" in message
    check_feasible(plan_against(client, [declared("New", "langfuse", KNOWN)]))


# Carrying out ------------------------------------------------------------------------------


def mixed(fake: FakeApi, client: ApiClient) -> Plan:
    """Declared in an order apply must not follow: a replace, an update, a create; one delete."""
    ids = {name: seed(fake, name) for name in ("Swap", "Upd", "Gone")}
    otel = {"endpoint": "https://otel.example.com"}
    wanted = [declared("Swap", "otel-collector", otel), declared("Upd", sampling_rate=0.5)]
    plan = plan_against(client, [*wanted, declared("New")], unmanaged=UnmanagedPolicy.DELETE)
    assert [c.name for c in plan.changes] == ["Swap", "Upd", "New", "Gone"]
    assert set(ids.values()) == {c.id for c in plan.changes if c.id}
    return plan


def expected_order(plan: Plan) -> list[tuple[str, str]]:
    by_name = {c.name: c.id for c in plan.changes}
    return [
        ("POST", "New"),
        ("PATCH", str(by_name["Upd"])),
        ("POST", "Swap"),
        ("DELETE", str(by_name["Swap"])),
        ("DELETE", str(by_name["Gone"])),
    ]


def test_creates_updates_replaces_then_deletes(fake: FakeApi, client: ApiClient) -> None:
    plan = mixed(fake, client)
    shown: list[str] = []
    report = apply_plan(plan, client, progress=shown.append)
    assert report.complete and report.done == shown
    kinds = [line.split(" ")[0] for line in shown]
    assert kinds == ["create", "update", "replace", "replace", "delete"]
    assert shown[2].endswith("create the new otel-collector")
    assert shown[3].endswith("delete the old webhook")
    assert sent(fake) == expected_order(plan)
    assert [r.body["type"] for r in fake.mutating_requests() if r.method == "POST"] == [
        "webhook",
        "otel-collector",
    ]
    again = plan_against(
        client, [c.desired for c in plan.changes if c.desired], UnmanagedPolicy.DELETE
    )
    assert again.in_sync


def test_a_stop_request_between_steps(fake: FakeApi, client: ApiClient) -> None:
    plan = mixed(fake, client)
    shown: list[str] = []
    report = apply_plan(plan, client, progress=shown.append, should_stop=lambda: len(shown) == 2)
    assert report.interrupted and report.failed is None and not report.complete
    assert [line.split(" ")[0] for line in report.done] == ["create", "update"]
    assert [line.split(" ")[0] for line in report.not_tried] == ["replace", "delete"]
    assert "'Swap'" in report.not_tried[0] and "'Gone'" in report.not_tried[1]
    assert sent(fake) == expected_order(plan)[:2]


def test_a_failed_step_stops_and_a_second_run_finishes(fake: FakeApi, client: ApiClient) -> None:
    plan = mixed(fake, client)
    fake.fail(method="PATCH", status=400)
    report = apply_plan(plan, client)
    assert report.failed is not None and report.failed.startswith("update webhook 'Upd'")
    assert "400" in report.failed and not report.interrupted
    assert [line.split(" ")[0] for line in report.done] == ["create"]
    assert [line.split(" ")[0] for line in report.not_tried] == ["replace", "delete"]
    assert sent(fake) == expected_order(plan)[:2]
    summary = report.stopped_text()
    assert "done: create webhook 'New'" in summary and "failed: update webhook 'Upd'" in summary
    assert "not tried: replace otel-collector 'Swap'" in summary and "'Gone'" in summary
    wanted = [c.desired for c in plan.changes if c.desired]
    assert apply_plan(plan_against(client, wanted, UnmanagedPolicy.DELETE), client).complete
    assert plan_against(client, wanted, UnmanagedPolicy.DELETE).in_sync


def test_a_create_that_failed_after_taking_effect(fake: FakeApi, client: ApiClient) -> None:
    fake.fail(method="POST", status=502, after_effect=True)
    report = apply_plan(plan_against(client, [declared("New")]), client)
    assert report.complete and "was created" in report.done[0]
    assert [d["name"] for d in fake.destinations()] == ["New"]
    assert sent(fake) == [("POST", "New")]


def test_a_replace_whose_create_fails_keeps_the_old_one(fake: FakeApi, client: ApiClient) -> None:
    ident = seed(fake, "Swap")
    plan = plan_against(client, [declared("Swap", "otel-collector", {"endpoint": "https://o"})])
    fake.fail(method="POST", status=409)
    report = apply_plan(plan, client)
    assert report.failed is not None and "409" in report.failed
    assert [d["id"] for d in fake.destinations()] == [ident]
    assert sent(fake) == [("POST", "Swap")]


def test_a_delete_of_what_is_already_gone(fake: FakeApi, client: ApiClient) -> None:
    ident = seed(fake, "Gone")
    plan = plan_against(client, [], unmanaged=UnmanagedPolicy.DELETE)
    assert client.delete_destination(ident)
    report = apply_plan(plan, client)
    assert report.complete and report.done[0].endswith("(it was already gone)")


# Creates whose answer never came, and names that are live since the plan ------------------

QUICK_CHECKS = (0.0, 0.1)


@pytest.fixture
def impatient(fake: FakeApi) -> Iterator[ApiClient]:
    """A client that stops waiting for an answer after 0.2 s."""
    retry = RetryPolicy(base_delay=0.01)
    with ApiClient(fake.base_url, MANAGEMENT_KEY, timeout=0.2, retry=retry) as api:
        yield api


def wait_until(condition: Callable[[], object], seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the condition never held"
        time.sleep(0.02)


def test_a_create_that_lands_after_the_client_gave_up_is_found(
    fake: FakeApi, client: ApiClient, impatient: ApiClient
) -> None:
    plan = plan_against(client, [declared("New")])
    # The server makes the destination 0.6 s after the POST came; orsync gave up at 0.2 s.
    fake.fail(method="POST", status=200, delay=0.6)
    report = apply_plan(plan, impatient, check_waits=(0.0, 0.3, 0.6, 1.2))
    assert report.complete, report.stopped_text()
    assert report.done == [
        "create webhook 'New' (the API gave no success answer, but the destination was created)"
    ]
    assert [d["name"] for d in fake.destinations()] == ["New"]
    assert sent(fake) == [("POST", "New")]


@pytest.mark.parametrize(
    ("fault", "cause"),
    [
        ({"status": 200, "delay": 1.5}, "the API did not answer in time"),
        ({"status": 502}, "the API answered 502"),
        ({"status": 500, "drop_connection": True}, "could not reach the API"),
    ],
    ids=["timeout", "5xx", "dropped"],
)
def test_a_create_the_listings_do_not_show_is_reported_unknown(
    fake: FakeApi,
    client: ApiClient,
    impatient: ApiClient,
    fault: dict[str, Any],
    cause: str,
) -> None:
    wanted = [declared("New"), declared("Later")]
    plan = plan_against(client, wanted)
    fake.fail(method="POST", **fault)
    report = apply_plan(plan, impatient, check_waits=QUICK_CHECKS)
    assert report.failed is None and not report.complete
    assert report.unknown is not None
    assert report.unknown.startswith("create webhook 'New': unknown whether it took effect (")
    assert cause in report.unknown and "not listed by 2 of 2 checks over 0.1 s" in report.unknown
    assert report.not_tried == ["create webhook 'Later'"]
    text = report.stopped_text()
    assert "done: nothing. create webhook 'New': unknown whether it took effect" in text
    # A rerun at once could make a second one, should the first land later.
    assert "run `orsync plan` in a minute to see whether it appeared" in text
    assert "run `orsync apply` again" not in text
    assert sent(fake) == [("POST", "New")]
    if fault["status"] == 200:
        wait_until(fake.destinations)
        assert [c.name for c in plan_against(client, wanted).changes] == ["Later"]


@pytest.mark.parametrize("status", [409, 429])
def test_a_refused_create_is_a_failure_not_an_unknown(
    fake: FakeApi, client: ApiClient, status: int
) -> None:
    plan = plan_against(client, [declared("New")])
    fake.fail(method="POST", status=status)
    before = len(fake.requests)
    report = apply_plan(plan, client, check_waits=QUICK_CHECKS)
    assert report.unknown is None
    assert report.failed is not None and str(status) in report.failed
    # The answer says nothing was made: no listing to look for it.
    assert [r.method for r in fake.requests[before:]] == ["GET", "POST"]
    assert fake.destinations() == []


def test_a_check_that_cannot_list_is_reported(
    fake: FakeApi, client: ApiClient, impatient: ApiClient
) -> None:
    plan = plan_against(client, [declared("New")])
    fake.fail(method="POST", status=504)
    # Listing works before the create, and fails from the create on.
    fake.before_request(lambda: fake.fail(method="GET", status=500, times=100), method="POST")
    report = apply_plan(plan, impatient, check_waits=QUICK_CHECKS)
    assert report.unknown is not None
    assert "not listed by 0 of 2 checks over 0.1 s (a check failed: GET" in report.unknown
    assert "500" in report.unknown


def test_one_apply_never_creates_a_name_twice(fake: FakeApi, client: ApiClient) -> None:
    # The config loader refuses a name declared twice; apply does not rely on it.
    otel = {"endpoint": "https://otel.example.com"}
    plan = plan_against(client, [declared("Twin"), declared("Twin", "otel-collector", otel)])
    assert [c.action for c in plan.changes] == [Action.CREATE, Action.CREATE]
    report = apply_plan(plan, client)
    assert report.failed == (
        "create otel-collector 'Twin': destination 'Twin' was created earlier in this apply, "
        "so it was not created"
    )
    assert sent(fake) == [("POST", "Twin")]


def test_a_destination_missed_between_pages_is_not_created_again(
    fake: FakeApi, client: ApiClient
) -> None:
    fake.max_page_size = 2
    first = seed(fake, "A")
    seed(fake, "B")
    seed(fake, "X")

    def race() -> None:
        # Between the plan's two page reads: total_count stays 3, and X moves onto the
        # first page, which was read already.
        fake.remove_destination(first)
        seed(fake, "Z")

    fake.before_request(race, method="GET", nth=2)
    plan = plan_against(client, [declared("New"), declared("X"), declared("Last")])
    creates = [c.name for c in plan.changes if c.action is Action.CREATE]
    assert creates == ["New", "X", "Last"]
    report = apply_plan(plan, client)
    workspace = f"workspace {DEFAULT_WORKSPACE_ID}"
    assert report.done == [f"create webhook 'New' in {workspace}"]
    assert report.failed == (
        f"create webhook 'X' in {workspace}: destination 'X' appeared in {workspace} since "
        "the plan was made (or the plan's listing missed it while the workspace changed), so "
        "it was not created"
    )
    assert report.not_tried == [f"create webhook 'Last' in {workspace}"]
    assert "run `orsync plan` again" in report.next_step
    assert sent(fake) == [("POST", "New")]
    names = [d["name"] for d in fake.destinations()]
    assert sorted(names) == ["B", "New", "X", "Z"]


def test_names_are_checked_once_per_workspace_before_its_first_create(
    fake: FakeApi, client: ApiClient
) -> None:
    renamed = seed(fake, "Old")
    seed(fake, "Swap")
    otel = {"endpoint": "https://otel.example.com"}
    # "Old" is renamed away (an update, after the creates) while a new "Old" is created, and
    # "Swap" is replaced: names the plan accounts for are no reason to refuse.
    wanted = [
        declared("Renamed", pinned=renamed),
        declared("Old"),
        declared("New"),
        declared("Swap", "otel-collector", otel),
    ]
    plan = plan_against(client, wanted)
    before = len(fake.requests)
    report = apply_plan(plan, client)
    assert report.complete, report.stopped_text()
    methods = [r.method for r in fake.requests[before:]]
    # One listing (its pages up to the first empty one) before the first create, and no other.
    first_create = methods.index("POST")
    assert set(methods[:first_create]) == {"GET"} and "GET" not in methods[first_create:]
    assert methods[first_create:] == ["POST", "POST", "PATCH", "POST", "DELETE"]
    assert plan_against(client, wanted).in_sync
