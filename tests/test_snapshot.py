"""`orsync.snapshot`: saved live states written and read back, raw list responses, bad files."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from builders import plan_of
from fake_api import MANAGEMENT_KEY, FakeApi, sample_config

from orsync import masking
from orsync.api import ApiClient
from orsync.destination_types import FIELD_DEFAULTS
from orsync.errors import SnapshotError
from orsync.live import parse_workspace, read_live
from orsync.model import (
    DesiredDestination,
    LiveState,
    Secret,
    Source,
)
from orsync.plan import Plan, plan_to_json
from orsync.snapshot import read_snapshot, write_snapshot

OTHER = "aaaaaaaa-0000-4000-8000-00000000000a"
DSN = "https://0123456789abcdef@o77.ingest.sentry.io/4507"
HEADER = "Bearer header-token-5555555555-KlMn"
LF_SECRET = "sk-lf-secret-0123456789-AbCd"


def seed_masked(fake: FakeApi, workspace_id: str | None = None) -> None:
    """Destinations whose secrets the API masks: prefix, stars, masked headers."""
    for index, type_name in enumerate(("langfuse", "clickhouse", "otel-collector", "webhook")):
        item = {"type": type_name, "name": f"{type_name} {index}"}
        fake.add_destination({**item, "config": sample_config(type_name, index)}, workspace_id)


def read_from(fake: FakeApi, workspace_ids: list[str | None]) -> LiveState:
    with ApiClient(fake.base_url, MANAGEMENT_KEY) as client:
        return read_live(client, workspace_ids)


def write(path: Path, content: str | bytes) -> str:
    if isinstance(content, str):
        content = content.encode()
    path.write_bytes(content)
    return str(path)


def item(ident: str, name: str, type_name: str, config: dict[str, Any]) -> dict[str, Any]:
    base = {"enabled": True, "sampling_rate": 1, "privacy_mode": False}
    return {"id": ident, "name": name, "type": type_name, **base, "config": config}


def clear_items() -> list[dict[str, Any]]:
    """Items as an API that returns some secrets in clear would send them."""
    otel = {"endpoint": "https://otel.example.com", "headers": {"Authorization": HEADER}}
    return [
        item("id-sentry", "S", "sentry", {"dsn": DSN, "otlpEndpoint": "https://o77.sentry.io"}),
        item("id-otel", "O", "otel-collector", otel),
        item("id-lf", "L", "langfuse", {"publicKey": "pk-l...EfGh", "secretKey": LF_SECRET}),
    ]


def hook_declared(name: str, **fields: Any) -> DesiredDestination:
    config = sample_config("webhook", 3)
    return DesiredDestination(
        None, name, "webhook", {**FIELD_DEFAULTS, **fields}, config, Source("orsync.yaml", 2)
    )


def plan_of_state(wanted: list[DesiredDestination], live: LiveState) -> Plan:
    return plan_of(wanted, live)


@pytest.fixture
def snapshot_path(tmp_path: Path) -> str:
    return str(tmp_path / "live.json")


def test_round_trip_of_masked_items_is_exact(fake: FakeApi, snapshot_path: str) -> None:
    seed_masked(fake)
    fake.add_workspace(OTHER)
    seed_masked(fake, OTHER)
    live = read_from(fake, [None, OTHER])
    write_snapshot(live, snapshot_path)
    back = read_snapshot(snapshot_path, [None, OTHER])
    assert back.fingerprint() == live.fingerprint()
    assert back.workspaces == live.workspaces
    only_other = read_snapshot(snapshot_path, [OTHER])
    assert [w.id for w in only_other.workspaces] == [OTHER]


def test_when_live_last_changed_survives_a_snapshot(fake: FakeApi, snapshot_path: str) -> None:
    seed_masked(fake)
    stamps = {d["id"]: d["updated_at"] for d in fake.destinations()}
    assert all(isinstance(stamp, str) and stamp for stamp in stamps.values())
    write_snapshot(read_from(fake, [None]), snapshot_path)
    back = read_snapshot(snapshot_path, [None])
    assert {d.id: d.updated_at for d in back.workspaces[0].destinations} == stamps
    changes = plan_to_json(plan_of_state([], back))["changes"]
    assert {c["id"]: c["live_updated_at"] for c in changes} == stamps


def test_secrets_in_clear_are_masked_in_the_file(snapshot_path: str) -> None:
    live = LiveState((parse_workspace(None, clear_items()),))
    write_snapshot(live, snapshot_path)
    text = Path(snapshot_path).read_text(encoding="utf-8")
    for clear in (DSN, HEADER, LF_SECRET):
        assert clear not in text and clear[5:-5] not in text
    back = read_snapshot(snapshot_path, [None])
    # Read back, a secret the API returned in clear keeps nothing of itself (not even a tail
    # that could match a changed secret by chance), but a URL keeps where it points.
    for before, after in zip(
        live.workspaces[0].destinations, back.workspaces[0].destinations, strict=True
    ):
        assert after.fields == before.fields
    dsn = back.workspaces[0].destinations[0].config["dsn"]
    assert isinstance(dsn, Secret) and dsn.value == masking.mask_url(DSN)
    assert "****@" in dsn.value
    # Its fingerprint is that of the masked items, and a second round trip changes nothing.
    masked = clear_items()
    masked[0]["config"]["dsn"] = masking.mask_url(DSN)
    masked[1]["config"]["headers"]["Authorization"] = "********"
    masked[2]["config"]["secretKey"] = "********"
    assert back.fingerprint() == LiveState((parse_workspace(None, masked),)).fingerprint()
    write_snapshot(back, snapshot_path)
    assert read_snapshot(snapshot_path, [None]).fingerprint() == back.fingerprint()


def test_a_plan_against_the_snapshot_matches_a_plan_against_live(
    fake: FakeApi, snapshot_path: str
) -> None:
    seed_masked(fake)
    fake.add_destination(
        {"type": "sentry", "name": "S", "config": {"dsn": DSN, "otlpEndpoint": "https://x.io"}}
    )
    live = read_from(fake, [None])
    write_snapshot(live, snapshot_path)
    wanted = [hook_declared("webhook 3", sampling_rate=0.5), hook_declared("New")]
    from_live = plan_to_json(plan_of_state(wanted, live))
    from_file = plan_to_json(plan_of_state(wanted, read_snapshot(snapshot_path, [None])))
    assert from_file == from_live
    summary = from_live["summary"]
    assert (summary["create"], summary["update"], summary["unmanaged"]) == (1, 1, 4)


def raw_list(fake: FakeApi, query: str) -> bytes:
    """A list response as `curl` would save it."""
    headers = {"Authorization": f"Bearer {MANAGEMENT_KEY}"}
    url = f"{fake.base_url}/observability/destinations?{query}"
    response = httpx.get(url, headers=headers, timeout=10)
    response.raise_for_status()
    return response.content


def test_a_raw_list_response_is_the_default_workspace(fake: FakeApi, snapshot_path: str) -> None:
    seed_masked(fake)
    path = write(Path(snapshot_path), raw_list(fake, "limit=100"))
    back = read_snapshot(path, [None])
    assert [w.id for w in back.workspaces] == [None]
    assert [d.id for d in back.workspaces[0].destinations] == [d["id"] for d in fake.destinations()]
    assert back.fingerprint() == read_from(fake, [None]).fingerprint()
    with pytest.raises(SnapshotError, match=f"{re.escape(path)}: .*workspace {OTHER}"):
        read_snapshot(path, [OTHER])


def test_a_raw_list_of_one_page_only_is_refused(fake: FakeApi, snapshot_path: str) -> None:
    for index in range(60):
        fake.add_destination({"type": "webhook", "name": f"h{index}", "config": {"url": "x"}})
    body = raw_list(fake, "offset=0")  # the API's default page: 50 items of 60
    assert len(json.loads(body)["data"]) < json.loads(body)["total_count"]
    path = write(Path(snapshot_path), body)
    with pytest.raises(SnapshotError, match=re.escape(path)):
        read_snapshot(path, [None])


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ('{"orsync_snapshot": 1,\n "workspaces": [', ":2: the snapshot is not valid JSON"),
        ('{"orsync_snapshot": 2, "workspaces": []}', "unsupported snapshot version"),
        (b'{"data": [], "name": "caf\xe9"}', "not UTF-8"),
        ("[]", "not a snapshot"),
        ('{"items": []}', "not a snapshot"),
        ('{"orsync_snapshot": 1, "workspaces": {}}', "`workspaces` is not a list"),
        ('{"orsync_snapshot": 1, "workspaces": [{"workspace_id": null}]}', "no `data` list"),
        ('{"orsync_snapshot": 1, "workspaces": [{"workspace_id": 7, "data": []}]}', "not a string"),
        ('{"data": [{"name": "no id", "type": "webhook"}]}', "`id` is not a non-empty string"),
        ('{"data": [{"id": "x", "type": "webhook", "config": {}}]}', "`enabled`"),
    ],
)
def test_a_bad_file_is_a_snapshot_error_naming_it(
    snapshot_path: str, content: str | bytes, problem: str
) -> None:
    path = write(Path(snapshot_path), content)
    with pytest.raises(SnapshotError) as caught:
        read_snapshot(path, [None])
    message = str(caught.value)
    assert message.startswith(path) and problem in message
    assert "unexpected API answer" not in message


def test_a_missing_workspace_or_file(tmp_path: Path, snapshot_path: str) -> None:
    write_snapshot(LiveState((parse_workspace(None, clear_items()),)), snapshot_path)
    with pytest.raises(SnapshotError, match=f"^{re.escape(snapshot_path)}: .*workspace {OTHER}"):
        read_snapshot(snapshot_path, [None, OTHER])
    absent = str(tmp_path / "absent.json")
    with pytest.raises(SnapshotError, match=f"^{re.escape(absent)}: no such snapshot file"):
        read_snapshot(absent, [None])
    unwritable = str(tmp_path / "no-such-dir" / "live.json")
    with pytest.raises(SnapshotError, match=f"^{re.escape(unwritable)}: cannot write"):
        write_snapshot(LiveState(()), unwritable)


def test_a_failed_write_leaves_no_file_behind(tmp_path: Path) -> None:
    target = tmp_path / "taken"
    target.mkdir()
    with pytest.raises(SnapshotError, match=re.escape(str(target))):
        write_snapshot(LiveState((parse_workspace(None, clear_items()),)), str(target))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["taken"]
