"""Pairing live destinations with declared ones, end to end: half-done replaces, names
taken twice, the default workspace declared twice."""

from __future__ import annotations

import pytest
from conftest import Orsync, apply
from fake_api import FakeApi


def test_half_done_replace_of_a_pinned_destination_is_finished(
    orsync: Orsync, fake: FakeApi
) -> None:
    old = fake.add_destination(
        {"name": "Hook", "type": "webhook", "config": {"url": "https://a.example"}}
    )
    orsync.write_config(f"""
        version: 1
        destinations:
          - name: Hook
            id: {old["id"]}
            type: otel-collector
            config: {{endpoint: "https://otel.example"}}
        """)
    fake.fail(method="DELETE", status=500, times=10)
    first = apply(orsync)
    assert first.code == 1
    assert (
        "done: replace otel-collector 'Hook'" in first.stderr and "create the new" in first.stderr
    )
    assert (
        "failed: replace otel-collector 'Hook'" in first.stderr and "delete the old" in first.stderr
    )
    fake.reset_faults()
    second = apply(orsync)
    assert second.code == 0, second.output
    assert [d["type"] for d in fake.destinations()] == ["otel-collector"]
    assert [r.method for r in fake.mutating_requests()].count("POST") == 1


@pytest.mark.parametrize(
    ("policy", "code", "remaining"), [("report", 2, 2), ("ignore", 0, 2), ("delete", 2, 1)]
)
def test_two_live_with_a_declared_name_and_one_of_its_type(
    orsync: Orsync, fake: FakeApi, policy: str, code: int, remaining: int
) -> None:
    keep = fake.add_destination(
        {"name": "Prod", "type": "webhook", "config": {"url": "https://a.example"}}
    )
    other = fake.add_destination(
        {"name": "Prod", "type": "otel-collector", "config": {"endpoint": "https://o.example"}}
    )
    orsync.write_config(f"""
        version: 1
        workspaces:
          - unmanaged: {policy}
            destinations:
              - {{name: Prod, type: webhook, config: {{url: "https://a.example"}}}}
        """)
    result = orsync("plan")
    assert result.code == code, result.output
    # Matched by type; the other is left to the workspace's policy, never deleted beyond it.
    assert keep["id"] in result.stderr and other["id"] in result.stderr
    assert "matched the webhook one" in result.stderr
    assert apply(orsync).code == 0
    assert len(fake.destinations()) == remaining
    assert keep["id"] in [d["id"] for d in fake.destinations()]


def test_two_live_of_the_declared_type_and_name_is_an_error_naming_both(
    orsync: Orsync, fake: FakeApi
) -> None:
    first = fake.add_destination(
        {"name": "Prod", "type": "webhook", "config": {"url": "https://a.example"}}
    )
    second = fake.add_destination(
        {"name": "Prod", "type": "webhook", "config": {"url": "https://b.example"}}
    )
    orsync.write_config("""
        version: 1
        destinations:
          - {name: Prod, type: webhook, config: {url: "https://a.example"}}
        """)
    result = orsync("plan")
    assert result.code == 1
    assert first["id"] in result.stderr and second["id"] in result.stderr and "pin" in result.stderr


def test_half_done_replace_by_name_is_finished_by_a_second_apply(
    orsync: Orsync, fake: FakeApi
) -> None:
    fake.add_destination({"name": "obs", "type": "webhook", "config": {"url": "https://a.example"}})
    orsync.write_config("""
        version: 1
        workspaces:
          - unmanaged: delete
            destinations:
              - {name: obs, type: otel-collector, config: {endpoint: "https://o.example"}}
        """)
    fake.fail(method="DELETE", status=500, times=10)
    assert apply(orsync).code == 1
    fake.reset_faults()
    assert apply(orsync).code == 0
    assert [d["type"] for d in fake.destinations()] == ["otel-collector"]


def test_the_default_workspace_declared_twice_is_refused_even_when_selected(
    orsync: Orsync, fake: FakeApi
) -> None:
    fake.add_destination({"name": "A", "type": "webhook", "config": {"url": "https://a.example"}})
    fake.add_destination({"name": "B", "type": "webhook", "config": {"url": "https://b.example"}})
    default_id = fake.destinations()[0]["workspace_id"]
    orsync.write_config(f"""
        version: 1
        workspaces:
          - unmanaged: delete
            destinations:
              - {{name: A, type: webhook, config: {{url: "https://a.example"}}}}
          - id: {default_id}
            destinations:
              - {{name: B, type: webhook, config: {{url: "https://b.example"}}}}
        """)
    for args in ((), ("--workspace", "default"), ("--workspace", default_id)):
        result = orsync("plan", *args)
        assert result.code == 1 and "declares again" in result.stderr, result.output
    assert apply(orsync).code == 1
    assert len(fake.destinations()) == 2 and fake.mutating_requests() == []


def test_an_unpinned_replace_left_half_done_says_what_remains(
    orsync: Orsync, fake: FakeApi
) -> None:
    old = fake.add_destination(
        {"name": "obs", "type": "webhook", "config": {"url": "https://a.example"}}
    )
    orsync.write_config("""
        version: 1
        destinations:
          - {name: obs, type: otel-collector, config: {endpoint: "https://o.example"}}
        """)
    fake.fail(method="DELETE", status=500, times=10)
    result = apply(orsync)
    assert result.code == 1
    assert f"the old webhook {old['id']} was not deleted" in result.stderr
    assert "pin this destination's `id` to the old one" in result.stderr
    fake.reset_faults()
    orsync.write_config(f"""
        version: 1
        destinations:
          - {{name: obs, id: {old["id"]}, type: otel-collector, config: {{endpoint: "https://o.example"}}}}
        """)
    assert apply(orsync).code == 0
    assert [d["type"] for d in fake.destinations()] == ["otel-collector"]


def test_an_empty_default_beside_an_empty_workspace_warns(orsync: Orsync) -> None:
    other = "7a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
    with FakeApi(workspaces=[other]) as api:
        orsync.write_config(f"""
            version: 1
            workspaces:
              - destinations: [{{name: a, type: webhook, config: {{url: "https://a.example"}}}}]
              - id: {other}
                destinations: [{{name: b, type: webhook, config: {{url: "https://b.example"}}}}]
            """)
        result = orsync("plan", env={"ORSYNC_BASE_URL": api.base_url})
        assert result.code == 2 and "cannot tell whether" in result.stderr
