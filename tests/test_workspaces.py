"""Workspaces named by slug as well as by UUID: in the config, in `--workspace`, in snapshots."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from conftest import Orsync
from fake_api import DEFAULT_WORKSPACE_ID, MANAGEMENT_KEY, FakeApi

from orsync.api import ApiClient
from orsync.commands.inputs import ApiSource
from orsync.commands.plan import run_plan
from orsync.errors import ApiError
from orsync.workspaces import WorkspaceInfo, find_with_client, workspace_reference

PROD = "5a1e0000-0000-4000-8000-0000000000a1"
DEV = "de700000-0000-4000-8000-0000000000d2"
HOOK = "{name: Hook, type: webhook, config: {url: 'https://hooks.example.com/in'}}"


def slug_config(prod: str = "acme-prod", dev: str = "acme-dev") -> str:
    return f"""
        version: 1
        workspaces:
          - id: {prod}
            destinations:
              - {HOOK}
          - id: {dev}
            destinations: []
        """


@pytest.fixture
def spaces(fake: FakeApi) -> FakeApi:
    """Two workspaces with slugs; prod holds the declared hook, switched off."""
    fake.add_workspace(PROD, "acme-prod", "Acme production")
    fake.add_workspace(DEV, "acme-dev", "Acme development")
    fake.add_destination(
        {
            "name": "Hook",
            "type": "webhook",
            "enabled": False,
            "config": {"url": "https://hooks.example.com/in"},
        },
        PROD,
    )
    return fake


def lookups(fake: FakeApi) -> list[str]:
    return [r.path.rsplit("/", 1)[1] for r in fake.requests if "/workspaces/" in r.path]


@pytest.mark.parametrize(
    ("text", "reference"),
    [
        (PROD.upper(), PROD),
        ("acme-prod", "acme-prod"),
        ("a1", "a1"),
        ("Acme", None),
        ("acme_prod", None),
        ("-acme", None),
        ("", None),
    ],
)
def test_a_reference_is_a_uuid_or_a_slug(text: str, reference: str | None) -> None:
    assert workspace_reference(text) == reference


def test_validate_accepts_a_slug_offline(orsync: Orsync, fake: FakeApi) -> None:
    orsync.write_config(slug_config())
    result = orsync("validate", key=None, env={"ORSYNC_BASE_URL": "https://unreachable.invalid"})
    assert result.code == 0, result.output
    assert "2 workspaces" in result.stdout
    assert fake.requests == []


def test_a_slug_in_the_config_is_resolved_when_live_is_read(
    orsync: Orsync, spaces: FakeApi
) -> None:
    orsync.write_config(slug_config())
    result = orsync("plan", "--format", "json")
    assert result.code == 2, result.output
    (change,) = json.loads(result.stdout)["changes"]
    assert (change["workspace_id"], change["name"], change["action"]) == (PROD, "Hook", "update")
    assert sorted(lookups(spaces)) == ["acme-dev", "acme-prod"]
    listed = {r.query.get("workspace_id") for r in spaces.requests if "destinations" in r.path}
    assert listed == {PROD, DEV}


def test_a_plan_looks_slugs_up_and_reads_live_through_one_client(
    orsync: Orsync, spaces: FakeApi
) -> None:
    path = orsync.write_config(slug_config())
    opened: list[ApiClient] = []

    def open_client() -> ApiClient:
        opened.append(ApiClient(spaces.base_url, MANAGEMENT_KEY))
        return opened[-1]

    outcome = run_plan(str(path), ApiSource(open_client))
    assert [c.name for c in outcome.plan.changes] == ["Hook"]
    assert sorted(lookups(spaces)) == ["acme-dev", "acme-prod"]
    assert len(opened) == 1


def test_apply_creates_in_the_workspace_a_slug_names(orsync: Orsync, spaces: FakeApi) -> None:
    orsync.write_config(slug_config(prod="acme-dev", dev=PROD))
    result = orsync("apply", "--auto-approve")
    assert result.code == 0, result.output
    (created,) = spaces.destinations(DEV)
    assert created["name"] == "Hook" and created["workspace_id"] == DEV


@pytest.mark.parametrize("status", [404, 400])
def test_an_unknown_slug_in_the_config_is_an_error_naming_it(orsync: Orsync, status: int) -> None:
    with FakeApi(unknown_workspace_status=status) as api:
        api.add_workspace(PROD, "acme-prod")
        orsync.write_config(slug_config(dev="acme-dve"))
        result = orsync("plan", env={"ORSYNC_BASE_URL": api.base_url})
    assert result.code == 1, result.output
    assert result.stdout == ""
    assert result.stderr.startswith("Error: orsync.yaml:6: workspace 'acme-dve' was not found")


def test_a_uuid_and_a_slug_of_one_workspace_are_an_error(orsync: Orsync, spaces: FakeApi) -> None:
    orsync.write_config(slug_config(dev=PROD))
    result = orsync("plan")
    assert result.code == 1
    assert "orsync.yaml:6: this entry and the one at line 3 name the same workspace" in (
        result.stderr
    )
    assert PROD in result.stderr


@pytest.mark.parametrize(
    ("prod", "selector"),
    [("acme-prod", "acme-prod"), ("acme-prod", PROD), (PROD, "acme-prod"), (PROD, PROD.upper())],
)
def test_workspace_option_takes_a_uuid_or_a_slug(
    orsync: Orsync, spaces: FakeApi, prod: str, selector: str
) -> None:
    orsync.write_config(slug_config(prod=prod))
    result = orsync("plan", "--format", "json", "--workspace", selector)
    assert result.code == 2, result.output
    (change,) = json.loads(result.stdout)["changes"]
    assert change["workspace_id"] == PROD
    # Only the chosen workspace is read.
    listed = {r.query.get("workspace_id") for r in spaces.requests if "destinations" in r.path}
    assert listed == {PROD}
    dev_only = orsync("plan", "--workspace", "acme-dev")
    assert dev_only.code == 0, dev_only.output


@pytest.mark.parametrize(
    ("selector", "message"),
    [
        ("acme-qa", "--workspace acme-qa: no workspace has this id or slug"),
        ("Acme", "--workspace 'Acme': expected a workspace UUID"),
    ],
)
def test_workspace_option_errors_name_the_value(
    orsync: Orsync, spaces: FakeApi, selector: str, message: str
) -> None:
    orsync.write_config(slug_config())
    result = orsync("plan", "--workspace", selector)
    assert result.code == 1
    assert message in result.stderr


def test_a_workspace_outside_the_config_is_not_selected(orsync: Orsync, spaces: FakeApi) -> None:
    spaces.add_workspace("0a000000-0000-4000-8000-000000000003", "acme-qa")
    orsync.write_config(slug_config())
    result = orsync("plan", "--workspace", "acme-qa")
    assert result.code == 1
    assert "--workspace acme-qa: not a workspace of orsync.yaml" in result.stderr


def test_a_snapshot_keeps_slugs_for_offline_plans(orsync: Orsync, spaces: FakeApi) -> None:
    orsync.write_config(slug_config())
    saved = orsync("snapshot", "-o", "live.json")
    assert saved.code == 0, saved.output
    document = json.loads((orsync.cwd / "live.json").read_text())
    assert {(w["workspace_id"], w.get("slug")) for w in document["workspaces"]} == {
        (PROD, "acme-prod"),
        (DEV, "acme-dev"),
    }
    offline = orsync("plan", "--snapshot", "live.json", "--format", "json", key=None)
    assert offline.code == 2, offline.output
    assert json.loads(offline.stdout)["changes"][0]["workspace_id"] == PROD
    orsync.write_config(slug_config(dev="acme-qa"))
    unknown = orsync("plan", "--snapshot", "live.json", key=None)
    assert unknown.code == 1
    assert "live.json: the snapshot holds no workspace 'acme-qa'" in unknown.stderr


def test_snapshot_without_a_config_reads_the_slugs_named(orsync: Orsync, spaces: FakeApi) -> None:
    result = orsync("snapshot", "-o", "live.json", "--workspace", "acme-prod", "-c", "none.yaml")
    assert result.code == 0, result.output
    document = json.loads((orsync.cwd / "live.json").read_text())
    (entry,) = document["workspaces"]
    assert (entry["workspace_id"], entry["slug"], len(entry["data"])) == (PROD, "acme-prod", 1)
    unknown = orsync("snapshot", "-o", "x.json", "--workspace", "acme-qa", "-c", "none.yaml")
    assert unknown.code == 1 and "--workspace acme-qa: no workspace has" in unknown.stderr


@pytest.fixture
def client(spaces: FakeApi) -> Iterator[ApiClient]:
    with ApiClient(spaces.base_url, MANAGEMENT_KEY) as api:
        yield api


def test_lookups_by_uuid_and_slug(client: ApiClient) -> None:
    found = find_with_client(client, ["acme-prod", DEV, "acme-qa", "acme-prod"])
    assert found == {
        "acme-prod": WorkspaceInfo(PROD, "acme-prod", "Acme production"),
        DEV: WorkspaceInfo(DEV, "acme-dev", "Acme development"),
        "acme-qa": None,
    }


@pytest.mark.parametrize("page_size", [1, 2, 100])
def test_the_workspace_listing_reads_every_page(page_size: int) -> None:
    extra = [f"00000000-0000-4000-8000-{n:012d}" for n in range(2, 7)]
    with (
        FakeApi(workspaces=extra, max_page_size=page_size) as api,
        ApiClient(api.base_url, MANAGEMENT_KEY) as client,
    ):
        listed = [item["id"] for item in client.list_workspaces()]
        pages = [r for r in api.requests if r.path.endswith("/workspaces")]
    assert listed == [DEFAULT_WORKSPACE_ID, *extra]
    assert all(r.query["limit"] == "100" for r in pages)
    assert len(pages) == -(-6 // page_size)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('{"data": [], "total_count": 3}', "total_count says 3 workspaces but the pages hold 0"),
        ('{"data": {}, "total_count": 0}', "the workspaces list has no `data` list"),
        ('{"data": [{"id": "x"}], "total_count": 1}', "workspace 0 has no workspace UUID"),
    ],
)
def test_a_broken_workspace_listing_is_an_error(fake: FakeApi, body: str, message: str) -> None:
    fake.fail(method="GET", path_contains="/workspaces", status=200, body=body)
    with ApiClient(fake.base_url, MANAGEMENT_KEY) as client, pytest.raises(ApiError) as raised:
        ApiSource(lambda: client).all_workspaces()
    assert message in str(raised.value)
