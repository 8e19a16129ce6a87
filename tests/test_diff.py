"""The diff as a pure function: plain values in, a Plan out."""

from __future__ import annotations

from typing import Any

import pytest
from builders import declared as desired
from builders import desired_state, plan_of
from builders import live_item as live

from orsync.diff import plan_changes, plan_workspace
from orsync.errors import AmbiguousMatchError
from orsync.live import parse_workspace
from orsync.model import (
    DesiredDestination,
    LiveState,
    Secret,
    SecretOrigin,
    UnmanagedPolicy,
)
from orsync.plan import Action, Plan

SECRET = "sk-lf-0123456789AbCd"
WORKSPACE = "77777777-0000-4000-8000-000000000007"
EXISTS = {"field": "model", "operator": "exists"}


def paths(plan: Plan) -> list[str]:
    return [f.path for c in plan.changes for f in c.fields]


def test_identical_is_in_sync() -> None:
    plan = plan_of([desired()], [live()])
    assert plan.in_sync
    assert plan.summary()["unchanged"] == 1


@pytest.mark.parametrize(
    ("field", "declared", "actual"),
    [
        ("enabled", True, False),
        ("sampling_rate", 0.5, 1),
        ("privacy_mode", True, False),
        ("api_key_hashes", ["a"], ["a", "b"]),
        ("filter_rules", None, {"groups": [{"rules": [EXISTS]}]}),
        # A disabled filter that has groups is not taken for no filter.
        ("filter_rules", None, {"enabled": False, "groups": [{"rules": [EXISTS]}]}),
        ("broadcast_generation_cost", True, False),
    ],
)
def test_each_field_drifts(field: str, declared: Any, actual: Any) -> None:
    plan = plan_of([desired(**{field: declared})], [live(**{field: actual})])
    assert [c.action for c in plan.changes] == [Action.UPDATE]
    (change,) = plan.changes[0].fields
    assert (change.path, change.before, change.after) == (field, actual, declared)


@pytest.mark.parametrize("declared", [None, {"groups": []}, {"enabled": False, "groups": []}])
@pytest.mark.parametrize("actual", [None, {"enabled": True, "groups": []}, {"groups": []}])
def test_a_filter_with_no_groups_is_no_filter(declared: Any, actual: Any) -> None:
    assert plan_of([desired(filter_rules=declared)], [live(filter_rules=actual)]).in_sync


def test_absent_broadcast_flags_and_regions_take_api_defaults() -> None:
    assert plan_of([desired(regions=["global"])], [live()]).in_sync
    assert paths(plan_of([desired(regions=["us"])], [live()])) == ["regions"]


def test_normalized_values_do_not_drift() -> None:
    wanted = desired(
        config={"url": "https://Hooks.Example.com/in/"},
        sampling_rate=1.0,
        api_key_hashes=["b", "a"],
    )
    assert plan_of([wanted], [live(api_key_hashes=["a", "b"])]).in_sync


def test_config_compares_declared_keys_and_documented_defaults() -> None:
    wanted = desired(config={"url": "https://hooks.example.com/in", "method": "POST"})
    # `method` is absent live, and POST is its documented default; `extra` is not declared.
    assert plan_of([wanted], [live(config={"url": "https://hooks.example.com/in", "x": 1})]).in_sync
    put = desired(config={"url": "https://hooks.example.com/in", "method": "PUT"})
    assert paths(plan_of([put], [live()])) == ["config.method"]


def secret_destination(value: Secret) -> DesiredDestination:
    return desired(
        "LF", "langfuse", {"publicKey": Secret(SecretOrigin.PIN, "pk-l...EfGh"), "secretKey": value}
    )


def langfuse_live(secret_mask: str) -> dict[str, Any]:
    return live("LF", "langfuse", {"publicKey": "pk-l...EfGh", "secretKey": secret_mask})


def test_secret_compared_by_mask_and_shown_masked() -> None:
    known = secret_destination(Secret(SecretOrigin.ENV, SECRET, ("LF_SECRET",)))
    assert plan_of([known], [langfuse_live("sk-l...AbCd")]).in_sync
    plan = plan_of([known], [langfuse_live("sk-l...WxYz")])
    (change,) = plan.changes[0].fields
    assert change.sensitive and change.path == "config.secretKey"
    assert (str(change.before), str(change.after)) == ("sk-l...WxYz", "...AbCd")


def test_unset_secret_variable_is_a_warning_not_drift() -> None:
    unset = secret_destination(Secret(SecretOrigin.ENV, None, ("LF_SECRET",)))
    plan = plan_of([unset], [langfuse_live("sk-l...WxYz")])
    assert plan.in_sync
    assert any("config.secretKey not verified" in w and "LF_SECRET" in w for w in plan.warnings)
    assert plan.unverified == ("orsync.yaml:3: LF: config.secretKey",)


def test_create_replace_unmanaged_and_ignore() -> None:
    plan = plan_of(
        [desired("New"), desired("Hook", "otel-collector", {"endpoint": "https://otel.example"})],
        [live(), live("Stray", ident="22222222-2222-4222-8222-222222222222")],
    )
    assert [(c.action, c.name) for c in plan.changes] == [
        (Action.CREATE, "New"),
        (Action.REPLACE, "Hook"),
        (Action.UNMANAGED, "Stray"),
    ]
    assert plan.changes[1].fields[0].path == "type"
    ignored = plan_of([], [live()], unmanaged=UnmanagedPolicy.IGNORE)
    assert ignored.in_sync
    deleted = plan_of([], [live()], unmanaged=UnmanagedPolicy.DELETE)
    assert [c.action for c in deleted.changes] == [Action.DELETE]


def test_two_live_with_one_name_is_an_error_naming_both() -> None:
    twins = [
        live(ident="aaaaaaaa-0000-4000-8000-000000000001"),
        live(ident="bbbbbbbb-0000-4000-8000-000000000002"),
    ]
    with pytest.raises(AmbiguousMatchError) as caught:
        plan_of([desired()], twins)
    assert "aaaaaaaa-0000-4000-8000-000000000001" in str(caught.value)
    assert "bbbbbbbb-0000-4000-8000-000000000002" in str(caught.value)
    pinned = desired(pinned="bbbbbbbb-0000-4000-8000-000000000002")
    plan = plan_of([pinned], twins)
    assert [c.action for c in plan.changes] == [Action.UNMANAGED]


def test_pinned_id_makes_a_rename_an_update() -> None:
    plan = plan_of([desired("Renamed", pinned="id-9")], [live("Old name", ident="id-9")])
    (change,) = plan.changes
    assert change.action is Action.UPDATE
    assert [(f.path, f.before, f.after) for f in change.fields] == [("name", "Old name", "Renamed")]


def test_ignored_paths_are_not_compared() -> None:
    wanted = desired(
        ignore=("sampling_rate", "config"),
        sampling_rate=0.5,
        config={"url": "https://elsewhere.example"},
    )
    assert plan_of([wanted], [live()]).in_sync


def test_unknown_type_compared_generically_with_secret_looking_keys_masked() -> None:
    wanted = desired(
        "BQ", "bigquery", {"projectId": "p1", "serviceKey": Secret(SecretOrigin.PIN, "eyJh...Zz12")}
    )
    plan = plan_of(
        [wanted], [live("BQ", "bigquery", {"projectId": "p2", "serviceKey": "eyJh...Zz12"})]
    )
    assert paths(plan) == ["config.projectId"]
    plan = plan_of(
        [wanted], [live("BQ", "bigquery", {"projectId": "p1", "serviceKey": "eyJh...Qq34"})]
    )
    assert plan.changes[0].fields[0].sensitive


def test_a_documented_default_from_a_variable_matches_an_absent_key() -> None:
    from_env = Secret(SecretOrigin.ENV, "https://us.cloud.langfuse.com/", ("LF_URL",))
    pk = Secret(SecretOrigin.PIN, "pk-l...EfGh")
    wanted = desired("LF", "langfuse", {"publicKey": pk, "baseUrl": from_env})
    assert plan_of([wanted], [live("LF", "langfuse", {"publicKey": "pk-l...EfGh"})]).in_sync


def test_ignore_covers_list_items() -> None:
    token = Secret(SecretOrigin.ENV, "tok-new-0123456789", ("TOK",))
    config = {"endpoints": [{"url": "https://a.example", "token": token}]}
    live_config = {"endpoints": [{"url": "https://a.example", "token": "tok-old-0123456789"}]}
    assert not plan_of(
        [desired("BQ", "bigquery", config)], [live("BQ", "bigquery", live_config)]
    ).in_sync
    ignoring = desired("BQ", "bigquery", config, ignore=("config.endpoints",))
    assert plan_of([ignoring], [live("BQ", "bigquery", live_config)]).in_sync


def test_headers_are_compared_whole() -> None:
    auth = "Bearer auth-0123456789-AbCd"
    items = [
        live(
            config={
                "url": "https://h.example",
                "headers": {"Authorization": auth, "X-Copy": "Bear...WxYz"},
            }
        )
    ]
    wanted = {
        "url": "https://h.example",
        "headers": {"authorization": Secret(SecretOrigin.ENV, auth)},
    }
    plan = plan_of([desired(config=wanted)], items)
    (change,) = plan.changes[0].fields
    assert (change.path, change.after, change.sensitive) == ("config.headers.X-Copy", None, True)
    assert isinstance(change.before, Secret) and str(change.before) == "Bear...WxYz"
    for ignored in ("config.headers.X-Copy", "config.headers"):
        assert plan_of([desired(config=wanted, ignore=(ignored,))], items).in_sync
    # Only `headers`: the other config keys the server adds are not drift.
    assert plan_of(
        [desired()], [live(config={"url": "https://hooks.example.com/in", "x": 1})]
    ).in_sync


def test_workspaces_planned_ahead_give_the_same_plan() -> None:
    state = desired_state([desired("Hook", sampling_rate=0.5), desired("New")])
    live_state = LiveState((parse_workspace(None, [live("Hook"), live("Stray", ident="s-1")]),))
    whole = plan_changes(state, live_state)
    ahead = [plan_workspace(state.workspaces[0], live_state.workspaces[0])]
    assert plan_changes(state, live_state, ahead) == whole
    # A part planned from other live values is planned again.
    stale = [plan_workspace(state.workspaces[0], parse_workspace(None, []))]
    assert plan_changes(state, live_state, stale) == whole
    assert whole.changes
