"""Truth tests: what orsync says about drift is true, for drawn configs of every type.

1. A valid config applied to an empty workspace then plans empty: against the API, against a
   snapshot, and once its secrets are pinned by the masks the API shows.
2. One change made live to one compared field gives a plan naming exactly that destination and
   that field (or says "not verified" where the API hides it all); with that field under
   `ignore` the plan shows nothing; and apply repairs it, or refuses before any change when the
   file holds a secret it must send only as a pin.
3. Spellings that mean the same (key order, 1 vs 1.0 vs 1e0, list order, `eu`, URL case) and
   what a server adds on its own (config keys, documented defaults, absent flags) give no drift.

Everything runs in-process through the command workflows (run_apply, run_plan, run_snapshot)
against the fake API over real HTTP; one fake serves the module and is reset per example.
Examples: 30 per property, 500 with HYPOTHESIS_PROFILE=release; derandomized, so CI is stable.
With TRUTH_TALLY=FILE, cases and problems are counted per type into FILE instead of failing (a
problem is counted once per check: the plan against the API, against a snapshot, after apply).
"""

from __future__ import annotations

import copy
import json
import os
import random
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
import yaml
from builders import declared, env, live_item, plan_of
from conftest import Orsync
from fake_api import (
    CONFIG_DEFAULTS,
    DEFAULT_WORKSPACE_ID,
    MANAGEMENT_KEY,
    FakeApi,
    looks_masked,
    mask_destination,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import ALL_TYPES, EXTRA_WORKSPACE, UNKNOWN_TYPE, Dest, Ref, World, worlds

from orsync import masking
from orsync.api import ApiClient
from orsync.apply import actionable
from orsync.commands.apply import run_apply
from orsync.commands.inputs import ApiSource, SnapshotSource
from orsync.commands.plan import run_plan
from orsync.commands.snapshot import run_snapshot
from orsync.destination_types import BROADCAST_FLAGS, TYPES, is_server_made
from orsync.errors import ApplyError
from orsync.plan import Action, Change, Plan, change_to_json

EXAMPLES = 500 if os.environ.get("HYPOTHESIS_PROFILE") == "release" else 30
# Each property runs once per type (the first destination's), so that every type is covered
# even in the short run: EXAMPLES in all, shared out among the types.
TRUTH = settings(
    max_examples=-(-EXAMPLES // len(ALL_TYPES)),
    derandomize=True,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
    ],
)
TALLY_FILE = os.environ.get("TRUTH_TALLY")
MUTATIONS_PER_DESTINATION = 2 if EXAMPLES > 30 else 1


# --- the tally -----------------------------------------------------------------------------


class Tally:
    """Cases and problems per destination type; a problem fails the test unless tallying."""

    def __init__(self) -> None:
        self.counts: dict[str, Counter[str]] = defaultdict(Counter)
        self.details: list[str] = []

    def cases(self, dests: list[Dest], prop: str) -> None:
        for dest in dests:
            self.counts[dest.type][f"cases:{prop}"] += 1

    def problem(self, type_name: str, kind: str, detail: str) -> None:
        self.counts[type_name][kind] += 1
        if TALLY_FILE is None:
            raise AssertionError(detail)
        self.details.append(f"{type_name}: {kind}: {detail}")

    def write(self, path: str) -> None:
        document = {
            "counts": {t: dict(c) for t, c in self.counts.items()},
            "details": self.details,
        }
        Path(path).write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")


TALLY = Tally()


@pytest.fixture(scope="module", autouse=True)
def tally() -> Iterator[Tally]:
    yield TALLY
    if TALLY_FILE is not None:
        TALLY.write(TALLY_FILE)


# --- one example's run ---------------------------------------------------------------------


class KeptClient(ApiClient):
    """A client the workflows may `close` at will: it stays open for the next example, since
    opening one (its TLS context) costs more than a whole plan against the fake."""

    def close(self) -> None:
        pass

    def really_close(self) -> None:
        super().close()


@dataclass
class Server:
    fake: FakeApi
    client: KeptClient


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    with FakeApi(extra_types=[UNKNOWN_TYPE]) as api:
        client = KeptClient(api.base_url, MANAGEMENT_KEY)
        yield Server(api, client)
        client.really_close()
    assert api.server_errors == [], "the fake API itself failed"


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("truth")


@dataclass
class Run:
    """One drawn world applied to the fake: the files, and the workflows against them."""

    fake: FakeApi
    client: KeptClient
    world: World
    config: Path
    snapshot: Path

    def open_client(self) -> ApiClient:
        return self.client

    def write(self) -> str:
        text = yaml.safe_dump(self.world.document(), sort_keys=False, allow_unicode=True)
        self.config.write_text(text, encoding="utf-8")
        return text

    def environment(self) -> Any:
        return mock.patch.dict(os.environ, self.world.environ())

    def plan_api(self) -> Plan:
        with self.environment():
            return run_plan(str(self.config), ApiSource(self.open_client)).plan

    def plan_snapshot(self) -> Plan:
        with self.environment():
            run_snapshot(str(self.config), ApiSource(self.open_client), str(self.snapshot))
            return run_plan(str(self.config), SnapshotSource(str(self.snapshot))).plan

    def item(self, dest: Dest) -> dict[str, Any]:
        """The stored (unmasked) live item of a declared destination."""
        for item in self.fake.all_destinations():
            if item["id"] == dest.live_id:
                return item
        raise AssertionError(f"{dest.name!r} is not live")

    def fake_shows(self, item: dict[str, Any]) -> dict[str, Any]:
        """A stored item as the API shows it, under the fake's switches."""
        fake = self.fake
        return mask_destination(item, fake.mask_style, mask_non_strings=fake.mask_non_strings)

    def shown(self, dest: Dest) -> dict[str, Any]:
        """The item of `dest` as the API shows it (secrets masked)."""
        return self.fake_shows(self.item(dest))


def start(server: Server, workdir: Path, world: World) -> Run:
    fake = server.fake
    fake.reset()
    for name, value in world.switches.items():
        setattr(fake, name, value)
    fake.add_workspace(EXTRA_WORKSPACE)
    return Run(fake, server.client, world, workdir / "orsync.yaml", workdir / "snapshot.json")


def apply_and_check(run: Run) -> None:
    """Apply the file to the empty fake: all creates, and nothing left to do afterwards."""
    text = run.write()
    with run.environment():
        outcome = run_apply(str(run.config), run.open_client, auto_approve=True)
    created = [c for c in outcome.before.changes if c.action is Action.CREATE]
    assert len(created) == len(run.world.dests), (text, outcome.before.changes)
    assert outcome.after is not None
    for change in outcome.after.changes:
        TALLY.problem(change.type, "false_drift", f"right after apply: {describe(change)}\n{text}")
    by_key = {(i["workspace_id"], i["name"]): i["id"] for i in run.fake.all_destinations()}
    for dest in run.world.dests:
        dest.live_id = by_key[(dest.workspace or DEFAULT_WORKSPACE_ID, dest.name)]


def describe(change: Change) -> str:
    return json.dumps(change_to_json(change), default=str, ensure_ascii=False)


def pin_secrets(run: Run, draw: Callable[[st.SearchStrategy[Any]], Any]) -> None:
    """Write what a user copies from the API: secret masks, ids, the S3 `externalId`."""
    for dest in run.world.dests:
        shown = run.shown(dest)
        for path, ref in dest.refs():
            if ref.secret and ref.pin:
                live = _at(shown["config"], path)
                assert isinstance(live, str)
                ref.shown = live if masking.is_pin(live) else masking.display_live(live)
        if dest.type == "s3" and draw(st.booleans()):
            dest.config["externalId"] = shown["config"]["externalId"]


def _at(value: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        value = value[int(key)] if isinstance(value, list) else value[key]
    return value


def expect_in_sync(plan: Plan, what: str, text: str) -> None:
    for change in plan.changes:
        TALLY.problem(change.type, "false_drift", f"{describe(change)}\n{what}\n{text}")


# --- property 1: apply, then nothing to do -------------------------------------------------


@pytest.mark.parametrize("first_type", ALL_TYPES)
@TRUTH
@given(data=st.data())
def test_an_applied_config_plans_empty(
    server: Server, workdir: Path, first_type: str, data: st.DataObject
) -> None:
    world = data.draw(worlds(first_type), label="world")
    run = start(server, workdir, world)
    TALLY.cases(world.dests, "apply")
    apply_and_check(run)
    text = run.write()
    expect_in_sync(run.plan_api(), "plan against the API", text)
    expect_in_sync(run.plan_snapshot(), "plan against a snapshot", text)
    pin_secrets(run, data.draw)
    text = run.write()
    expect_in_sync(run.plan_api(), "pinned: plan against the API", text)
    expect_in_sync(run.plan_snapshot(), "pinned: plan against a snapshot", text)


# --- property 2: one change live, one field in the plan ------------------------------------


@dataclass
class Mutation:
    """One change made live to one destination, and the field paths the plan must name.

    `paths` empty: the change cannot be seen (a secret the API hides completely), and the plan
    must say so among the secrets not verified. `secret`: offline, the snapshot may hide it.
    """

    what: str
    edit: Callable[[dict[str, Any]], None]
    paths: frozenset[str]
    secret: bool = False
    unverified: str | None = None
    # The `config` key changed: apply sends it whole, so a pin inside may make it refuse.
    key: str | None = None


def _setter(name: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def edit(item: dict[str, Any]) -> None:
        item[name] = copy.deepcopy(value)

    return edit


def _config_setter(path: tuple[str, ...], value: Any) -> Callable[[dict[str, Any]], None]:
    def edit(item: dict[str, Any]) -> None:
        target = item["config"]
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = copy.deepcopy(value)

    return edit


def _changed(value: Any) -> Any:
    """A plain value that differs from `value` whatever the normalization."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, (int, float)):
        return value + 1
    if isinstance(value, list):
        return [*value, "added-live"]
    if value is None:
        return "set-live"
    return f"{value}x"


def _url_respelled(value: str) -> str:
    """The same URL for a browser: scheme and host in upper case, and a trailing `/`."""
    scheme, _, rest = value.partition("://")
    userinfo, at, hostpath = rest.rpartition("@")
    host_end = min((i for i in map(hostpath.find, "/?#") if i >= 0), default=len(hostpath))
    host, rest = hostpath[:host_end], hostpath[host_end:]
    path_end = min((i for i in map(rest.find, "?#") if i >= 0), default=len(rest))
    path, query = rest[:path_end], rest[path_end:]
    return f"{scheme.upper()}://{userinfo}{at}{host.upper()}{path}/{query}"


def _rotated(clear: str, keep_tail: bool = False) -> str:
    """Another secret that no mask can take for `clear`: new host for a URL, new last 4;
    `keep_tail`: the same last 4 and another start, which only a kept prefix can show."""
    if keep_tail:
        return ("Z9y8" if not clear.startswith("Z9y8") else "Y8x7") + "-rotated-" + clear[-4:]
    if "@" in clear and "://" in clear:
        scheme, _, rest = clear.partition("://")
        user, _, host = rest.rpartition("@")
        return f"{scheme}://{user}@rot-{host}Q7Z1"
    tail = "W8Y2" if clear.endswith("Q7Z1") else "Q7Z1"
    return (clear[:4] if len(clear) >= 4 else "rot-") + "-rotated-" + tail


def field_mutations(run: Run, dest: Dest, item: dict[str, Any]) -> Iterator[Mutation]:
    """Changes to the compared top-level fields."""
    for name in ("enabled", "privacy_mode", *BROADCAST_FLAGS):
        flipped = not item.get(name, False)
        yield Mutation(f"{name} -> {flipped}", _setter(name, flipped), frozenset({name}))
    rate = 0.25 if item["sampling_rate"] != 0.25 else 0.75
    yield Mutation(
        f"sampling_rate -> {rate}", _setter("sampling_rate", rate), frozenset({"sampling_rate"})
    )
    hashes = item["api_key_hashes"]
    new_hashes = ["added-live"] if hashes is None else [*hashes, "added-live"]
    yield Mutation(
        "api_key_hashes", _setter("api_key_hashes", new_hashes), frozenset({"api_key_hashes"})
    )
    if hashes is not None:
        yield Mutation(
            "api_key_hashes -> null", _setter("api_key_hashes", None), frozenset({"api_key_hashes"})
        )
    for what, rules in _filter_mutations(item["filter_rules"]):
        yield Mutation(what, _setter("filter_rules", rules), frozenset({"filter_rules"}))
    if run.world.regions_declared(dest):
        current = set(item.get("regions") or ["global"])
        other = next(r for r in (["us"], ["global"], ["europe", "us"]) if set(r) != current)
        yield Mutation(f"regions -> {other}", _setter("regions", other), frozenset({"regions"}))
    if dest.pin_id:
        yield Mutation("renamed", _setter("name", f"{item['name']} (renamed)"), frozenset({"name"}))


def _filter_mutations(rules: Any) -> Iterator[tuple[str, Any]]:
    added = {"field": "model", "operator": "equals", "value": "added-live"}
    if not rules or not rules.get("groups"):
        yield "filter_rules: a filter added", {"groups": [{"rules": [added]}]}
        return
    yield (
        "filter_rules: removed",
        random.Random(str(rules)).choice([None, {"enabled": True, "groups": []}]),
    )
    more = copy.deepcopy(rules)
    more["groups"][0]["rules"].append(added)
    yield "filter_rules: a rule added", more
    flipped = copy.deepcopy(rules)
    group = flipped["groups"][0]
    group["logic"] = "or" if group.get("logic", "and") == "and" else "and"
    yield "filter_rules: logic flipped", flipped
    toggled = copy.deepcopy(rules)
    toggled["enabled"] = not toggled.get("enabled", True)
    yield "filter_rules: enabled toggled", toggled
    for index, rule in enumerate(rules["groups"][0]["rules"]):
        value = rule.get("value")
        if value is not None:
            valued = copy.deepcopy(rules)
            valued["groups"][0]["rules"][index]["value"] = _changed(value)
            yield f"filter_rules: value of rule {index} changed", valued
            if isinstance(value, str) and "://" in value:
                # A rule matches text: a URL with another case or a trailing `/` is another
                # filter, though as a config value it would be the same URL.
                respelled = copy.deepcopy(rules)
                respelled["groups"][0]["rules"][index]["value"] = _url_respelled(value)
                yield f"filter_rules: URL value of rule {index} respelled", respelled
            break


def config_mutations(run: Run, dest: Dest, item: dict[str, Any]) -> Iterator[Mutation]:
    """Changes to the declared config: each value, each secret rotated, a header added."""
    for path, written in _declared_leaves(dest.config, ()):
        shown = "config." + ".".join(path)
        if isinstance(written, Ref):
            yield _rotation(run, dest, item, path, written)
            if _prefix_masked(run, item, path, written):
                yield _rotation(run, dest, item, path, written, keep_tail=True)
            continue
        live = _at(item["config"], path)
        spec = TYPES[dest.type].keys.get(path[0]) if dest.type in TYPES else None
        if spec is not None and spec.values:
            new = next(v for v in spec.values if v != live)
        else:
            new = _changed(live)
        secret = isinstance(live, str) and masking.has_url_credentials(live)
        edit = _config_setter(path, new)
        changed = copy.deepcopy(item)
        edit(changed)
        if masking.is_stars(str(_at(run.fake_shows(changed)["config"], path))):
            # A setting the API hides as a secret (a number under `tokenTtl`): not verified.
            yield Mutation(f"{shown} -> {new!r} (hidden)", edit, frozenset(), True, shown, path[0])
            continue
        yield Mutation(f"{shown} -> {new!r}", edit, frozenset({shown}), secret, key=path[0])
    yield from removals(dest, item)
    if "headers" in dest.config:
        declared_names = {name.lower() for name in dest.config["headers"]}
        if "x-added-live" not in declared_names:
            headers = {**item["config"].get("headers", {}), "X-Added-Live": "added-live-header-1"}
            yield Mutation(
                "a header added live",
                _config_setter(("headers",), headers),
                frozenset({"config.headers.X-Added-Live"}),
                secret=True,
                key="headers",
            )


def removals(dest: Dest, item: dict[str, Any]) -> Iterator[Mutation]:
    """A declared config key, or a declared header, gone from live: drift, except a key
    declared null or at its documented default (absent live may mean just that)."""
    for key, written in dest.config.items():
        if key == "headers":
            for name in written:
                path = f"config.headers.{name}"
                yield Mutation(
                    f"{path} removed live",
                    _config_remover(("headers", name)),
                    frozenset({path}),
                    secret=True,
                    key="headers",
                )
            continue
        at_default = CONFIG_DEFAULTS.get(dest.type, {}).get(key, _NO_DEFAULT)
        value = written.clear if isinstance(written, Ref) and not written.secret else written
        # Absent live is null, and may mean the documented default.
        neutral = value is None or (
            at_default is not _NO_DEFAULT and _same_value(value, at_default)
        )
        # A map is compared key by key: each declared leaf is named.
        leaves = ("config." + ".".join((key, *p)) for p, _ in _declared_leaves(written, ()))
        paths = frozenset() if neutral else frozenset(leaves)
        secret = isinstance(written, Ref) or (
            isinstance(value, str) and masking.has_url_credentials(value)
        )
        yield Mutation(
            f"config.{key} removed live", _config_remover((key,)), paths, secret, key=key
        )


_NO_DEFAULT = object()


def _config_remover(path: tuple[str, ...]) -> Callable[[dict[str, Any]], None]:
    def edit(item: dict[str, Any]) -> None:
        target = item["config"]
        for key in path[:-1]:
            target = target[key]
        target.pop(path[-1], None)

    return edit


def _same_value(one: Any, other: Any) -> bool:
    """Equal as the documentation says values compare: numbers by value, booleans apart,
    URLs by lower-case scheme and host without a trailing `/`, other text exactly."""
    if isinstance(one, bool) or isinstance(other, bool):
        return one is other
    if isinstance(one, (int, float)) and isinstance(other, (int, float)):
        return float(one) == float(other)
    if isinstance(one, str) and isinstance(other, str):
        return _url_key(one) == _url_key(other)
    return False


def _url_key(text: str) -> str:
    if not text.lower().startswith(("http://", "https://")):
        return text
    scheme, _, rest = text.partition("://")
    userinfo, at, hostpath = rest.rpartition("@")
    host_end = min((i for i in map(hostpath.find, "/?#") if i >= 0), default=len(hostpath))
    host, rest = hostpath[:host_end], hostpath[host_end:]
    path_end = min((i for i in map(rest.find, "?#") if i >= 0), default=len(rest))
    path, query = rest[:path_end].rstrip("/"), rest[path_end:]
    return f"{scheme.lower()}://{userinfo}{at}{host.lower()}{path}{query}"


def _declared_leaves(value: Any, path: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], Any]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _declared_leaves(item, (*path, key))
    else:
        yield path, value


def _prefix_masked(run: Run, item: dict[str, Any], path: tuple[str, ...], ref: Ref) -> bool:
    """Whether the API shows this secret as its first and last 4 characters."""
    shown = _at(run.fake_shows(item)["config"], path)
    return run.fake.mask_style == "prefix" and len(ref.clear) >= 12 and shown != ref.clear


def _rotation(
    run: Run,
    dest: Dest,
    item: dict[str, Any],
    path: tuple[str, ...],
    ref: Ref,
    keep_tail: bool = False,
) -> Mutation:
    """The secret at `path` rotated live; seen unless the API or the pin hides it all."""
    new = _rotated(ref.clear, keep_tail)
    edit = _config_setter(path, new)
    rotated = copy.deepcopy(item)
    edit(rotated)
    live = _at(run.fake_shows(rotated)["config"], path)
    shown = "config." + ".".join(path)
    pin = ref.shown if ref.pin and ref.shown is not None else None
    hidden = masking.is_stars(str(live)) or (pin is not None and masking.is_stars(pin))
    if hidden:
        return Mutation(f"{shown} rotated (hidden)", edit, frozenset(), True, shown, path[0])
    how = " (same last 4)" if keep_tail else ""
    return Mutation(f"{shown} rotated{how}", edit, frozenset({shown}), True, key=path[0])


def check_one_change(plan: Plan, dest: Dest, mutation: Mutation, text: str, offline: bool) -> None:
    """The plan names `dest` and exactly the mutated field (offline: a secret may be hidden)."""
    where = f"{'snapshot' if offline else 'API'}: {mutation.what}"
    others = [c for c in plan.changes if c.id != dest.live_id or c.name != dest.name]
    for change in others:
        TALLY.problem(
            change.type, "false_drift", f"{where}: another change {describe(change)}\n{text}"
        )
    mine = [c for c in plan.changes if c not in others]
    paths = {f.path for c in mine for f in c.fields}
    if any(c.action is not Action.UPDATE for c in mine) or len(mine) > 1:
        TALLY.problem(dest.type, "false_drift", f"{where}: {[describe(c) for c in mine]}\n{text}")
    if paths - mutation.paths:
        TALLY.problem(dest.type, "false_drift", f"{where}: extra {paths - mutation.paths}\n{text}")
    missing = mutation.paths - paths
    if missing and not (offline and mutation.secret):
        TALLY.problem(dest.type, "missed_drift", f"{where}: missed {missing}\n{text}")
    if mutation.unverified is not None and not offline:
        said = [u for u in plan.unverified if u.endswith(f": {dest.name}: {mutation.unverified}")]
        if not said:
            TALLY.problem(dest.type, "missed_drift", f"{where}: not said unverified\n{text}")


@pytest.mark.parametrize("first_type", ALL_TYPES)
@TRUTH
@given(data=st.data())
def test_one_live_change_names_exactly_that_field(
    server: Server, workdir: Path, first_type: str, data: st.DataObject
) -> None:
    world = data.draw(worlds(first_type), label="world")
    run = start(server, workdir, world)
    apply_and_check(run)
    pin_secrets(run, data.draw)
    text = run.write()
    # Candidates are picked at random, not by Hypothesis's choice (which favours the first).
    rnd = data.draw(st.randoms(use_true_random=True))
    for dest in world.dests:
        item = run.item(dest)
        candidates = [*field_mutations(run, dest, item), *config_mutations(run, dest, item)]
        for mutation in rnd.sample(candidates, min(MUTATIONS_PER_DESTINATION, len(candidates))):
            TALLY.cases([dest], "mutation")
            TALLY.counts["_mutations"][mutation.what.split(" ->")[0]] += 1
            run.fake.edit_destination(item["id"], mutation.edit)
            if mutation.paths and rnd.random() < 0.25:
                check_ignored(run, dest, mutation, rnd)
            else:
                check_one_change(run.plan_api(), dest, mutation, text, offline=False)
                check_one_change(run.plan_snapshot(), dest, mutation, text, offline=True)
                check_apply_repairs(run, dest, mutation, text)
            run.fake.edit_destination(item["id"], _restore(item))


def check_ignored(run: Run, dest: Dest, mutation: Mutation, rnd: random.Random) -> None:
    """With the changed path (or one above it) in `ignore`, the plan shows nothing, and apply
    leaves live alone."""
    path = sorted(mutation.paths)[0]
    parts = path.split(".")
    # `config.headers.X-Added-Live` may be ignored as is, as `config.headers`, or `config`.
    cut = rnd.randint(2 if parts[0] == "config" and len(parts) > 1 else 1, len(parts))
    dest.ignore = [".".join(parts[:cut])] if parts[0] != "name" else ["name"]
    if parts[0] == "config" and mutation.key is not None and "." in mutation.key:
        dest.ignore = [path]  # a key holding a dot is ignored by its whole path
    text = run.write()
    what = f"{mutation.what}, ignored as {dest.ignore}"
    for plan in (run.plan_api(), run.plan_snapshot()):
        expect_in_sync(plan, what, text)
    with run.environment():
        outcome = run_apply(str(run.config), run.open_client, auto_approve=True)
    for change in actionable(outcome.before):
        TALLY.problem(change.type, "false_drift", f"apply acted: {what}: {describe(change)}")
    dest.ignore = []
    run.write()


def check_apply_repairs(run: Run, dest: Dest, mutation: Mutation, text: str) -> None:
    """Apply makes live match again, or refuses before any change, and only for a reason: a
    secret it must send is known only by its pin, or a key OpenRouter makes (`externalId`)
    that the file declares differs live, which apply must refuse rather than send.

    Not judged: a value shaped like a mask (`ab...xy`) sent in an update, which the API
    ignores ("masked values are ignored"); apply then rightly reports that live still differs
    (exit 2), or the API's refusal when the key it ignored is required (exit 1).
    """
    where = f"apply after {mutation.what}"
    written = dest.config.get(mutation.key or "", {})
    refs = [ref for _, ref in _refs_under(written)]
    pinned = any(ref.pin and ref.shown is not None for ref in refs)
    sent = [ref.clear for ref in refs] + [v for _, v in _declared_leaves(written, ())]
    ignored = any(looks_masked(value) for value in sent)
    key = mutation.key or ""
    server_made = key in dest.config and is_server_made(dest.type, key)
    requests = len(run.fake.mutating_requests())
    try:
        with run.environment():
            outcome = run_apply(str(run.config), run.open_client, auto_approve=True)
    except ApplyError as exc:
        if ignored:
            return
        if len(run.fake.mutating_requests()) != requests:
            TALLY.problem(dest.type, "apply_failed", f"{where}: changed, then failed\n{text}")
        if not pinned and not (server_made and "is made by OpenRouter" in str(exc)):
            TALLY.problem(dest.type, "apply_failed", f"{where}: refused: {exc}\n{text}")
        return
    if server_made:
        TALLY.problem(dest.type, "apply_failed", f"{where}: not refused\n{text}")
        return
    if outcome.remaining and not ignored:
        assert outcome.after is not None
        for change in actionable(outcome.after):
            left = describe(change)
            TALLY.problem(change.type, "apply_failed", f"{where}: still differs: {left}\n{text}")


def _refs_under(value: Any) -> Iterator[tuple[tuple[str, ...], Ref]]:
    if isinstance(value, Ref):
        yield (), value
    elif isinstance(value, (dict, list)):
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, item in items:
            for path, ref in _refs_under(item):
                yield (str(key), *path), ref


def _restore(item: dict[str, Any]) -> Callable[[dict[str, Any]], None]:
    def edit(live: dict[str, Any]) -> None:
        live.clear()
        live.update(copy.deepcopy(item))

    return edit


# --- property 3: neutral variations, no drift ----------------------------------------------


def _respelled_number(value: Any, rnd: random.Random) -> Any:
    """The same number spelled another way: 1 / 1.0, or as text in exponent form."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return value
    spellings: list[Any] = [float(value)]
    if float(value).is_integer() and abs(value) < 2**53:
        spellings.append(int(value))
    return rnd.choice(spellings)


def _exponent_text(value: Any) -> Any:
    """`0.5` -> `"5E-1"`: what YAML 1.2 reads as a number and YAML 1.1 as text."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return value
    return format(Decimal(repr(float(value))), "E")


def _shuffled(value: Any, rnd: random.Random) -> Any:
    """Every mapping with its keys in another order, recursively."""
    if isinstance(value, dict):
        keys = list(value)
        rnd.shuffle(keys)
        return {key: _shuffled(value[key], rnd) for key in keys}
    if isinstance(value, list):
        return [_shuffled(item, rnd) for item in value]
    return value


def _each_field_block(doc: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """`defaults` and every destination mapping of a document."""
    if "defaults" in doc:
        yield doc["defaults"]
    entries = doc.get("workspaces") or [doc]
    for entry in entries:
        yield from entry.get("destinations", [])


def file_variations(rnd: random.Random) -> list[tuple[str, Callable[[dict[str, Any]], None]]]:
    """Rewrites of the document that mean the same."""

    def key_order(doc: dict[str, Any]) -> None:
        shuffled = _shuffled(doc, rnd)
        doc.clear()
        doc.update(shuffled)

    def numbers(doc: dict[str, Any]) -> None:
        for block in _each_field_block(doc):
            rate = block.get("sampling_rate")
            if rate is not None and not isinstance(rate, str):
                block["sampling_rate"] = rnd.choice(
                    [_respelled_number(rate, rnd), _exponent_text(rate)]
                )
            for group in (block.get("filter_rules") or {}).get("groups", []):
                for rule in group["rules"]:
                    if "value" in rule:
                        rule["value"] = _respelled_number(rule["value"], rnd)

    def list_order(doc: dict[str, Any]) -> None:
        for block in _each_field_block(doc):
            for name in ("api_key_hashes", "regions"):
                if isinstance(block.get(name), list):
                    rnd.shuffle(block[name])
            if isinstance(block.get("regions"), list):
                swap = {"eu": "europe", "europe": "eu"}
                block["regions"] = [
                    swap.get(r, r) if rnd.random() < 0.5 else r for r in block["regions"]
                ]

    def filter_defaults(doc: dict[str, Any]) -> None:
        for block in _each_field_block(doc):
            rules = block.get("filter_rules")
            if isinstance(rules, dict) and rules.get("groups"):
                rules.setdefault("enabled", True)
                for group in rules["groups"]:
                    group.setdefault("logic", "and")

    return [
        ("key order", key_order),
        ("number spelling", numbers),
        ("list order and region alias", list_order),
        ("filter defaults written", filter_defaults),
    ]


def declared_default_variations(run: Run) -> Iterator[tuple[str, Callable[[], None]]]:
    """Documented defaults written into the file where it left them out, and URLs respelled."""
    for dest in run.world.dests:
        spec = TYPES.get(dest.type)
        for key in spec.keys.values() if spec is not None else ():
            if key.has_default and key.name not in dest.config:

                def declare(
                    dest: Dest = dest, name: str = key.name, value: Any = key.default
                ) -> None:
                    dest.config[name] = value

                yield f"{dest.name}: config.{key.name} declared at its default", declare
        for name, value in list(dest.config.items()):
            if isinstance(value, str) and value.lower().startswith(("http://", "https://")):

                def respell(dest: Dest = dest, name: str = name, value: str = value) -> None:
                    dest.config[name] = _url_respelled(value)

                yield f"{dest.name}: config.{name} URL respelled", respell


def live_variations(
    run: Run, dest: Dest, item: dict[str, Any]
) -> Iterator[tuple[str, Callable[[dict[str, Any]], None]]]:
    """What a server may do on its own that changes nothing the file says."""
    declared_keys = set(dest.config)

    def extra_key(live: dict[str, Any]) -> None:
        live["config"]["serverNote"] = "added by the server"
        live["createdBy"] = "someone"

    yield "the server adds a config key and a field", extra_key

    def fill_defaults(live: dict[str, Any]) -> None:
        for key, value in CONFIG_DEFAULTS.get(dest.type, {}).items():
            if key not in declared_keys:
                live["config"].setdefault(key, value)

    yield "the server fills documented defaults", fill_defaults

    def drop_defaults(live: dict[str, Any]) -> None:
        for key, value in CONFIG_DEFAULTS.get(dest.type, {}).items():
            declared = dest.config.get(key)
            if (
                not isinstance(declared, Ref)
                and key in declared_keys
                and _same_plain(declared, value)
            ):
                live["config"].pop(key, None)

    yield "the server leaves out keys at their documented default", drop_defaults

    def drop_flags(live: dict[str, Any]) -> None:
        for flag in BROADCAST_FLAGS:
            if live.get(flag) is False:
                del live[flag]
        if set(live.get("regions") or ["global"]) == {"global"}:
            live.pop("regions", None)

    yield "the server leaves out fields at their default", drop_flags

    if not run.world.regions_declared(dest):
        yield "regions changed, not declared", _setter("regions", ["europe", "us"])

    def filter_spelling(live: dict[str, Any]) -> None:
        rules = live.get("filter_rules")
        if not rules or not rules.get("groups"):
            live["filter_rules"] = random.Random(dest.name).choice(
                [
                    None,
                    {"enabled": True, "groups": []},
                    {"groups": []},
                    {"enabled": False, "groups": []},
                ]
            )
            return
        rules.setdefault("enabled", True)
        for group in rules["groups"]:
            group.setdefault("logic", "and")
            for rule in group["rules"]:
                rule.setdefault("value", None)
                if isinstance(rule["value"], int) and not isinstance(rule["value"], bool):
                    rule["value"] = (
                        float(rule["value"]) if abs(rule["value"]) < 2**53 else rule["value"]
                    )

    yield "filter defaults spelled out live", filter_spelling

    def list_order(live: dict[str, Any]) -> None:
        for name in ("api_key_hashes", "regions"):
            if isinstance(live.get(name), list):
                live[name] = list(reversed(live[name]))
        if isinstance(live.get("sampling_rate"), (int, float)):
            live["sampling_rate"] = float(live["sampling_rate"])

    yield "lists reversed, numbers as floats", list_order

    def header_case(live: dict[str, Any]) -> None:
        headers = live["config"].get("headers")
        if isinstance(headers, dict):
            live["config"]["headers"] = {name.lower(): value for name, value in headers.items()}

    yield "header names in lower case", header_case

    # Only values the API shows in clear: a changed secret changes its mask, rightly drift.
    shown = run.fake_shows(item)["config"]
    in_clear = {k for k, v in item["config"].items() if shown.get(k) == v and isinstance(v, str)}

    def url_case(live: dict[str, Any]) -> None:
        for key, value in list(live["config"].items()):
            if key in in_clear and "://" in value:
                live["config"][key] = _url_respelled(value)

    yield "URLs with scheme and host in upper case and a trailing slash", url_case


def _same_plain(one: Any, other: Any) -> bool:
    if isinstance(one, str) and isinstance(other, str):
        return one.rstrip("/").lower() == other.rstrip("/").lower()
    return bool(one == other) and type(one) is type(other)


@pytest.mark.parametrize("first_type", ALL_TYPES)
@TRUTH
@given(data=st.data())
def test_neutral_variations_give_no_drift(
    server: Server, workdir: Path, first_type: str, data: st.DataObject
) -> None:
    world = data.draw(worlds(first_type), label="world")
    run = start(server, workdir, world)
    TALLY.cases(world.dests, "neutral")
    apply_and_check(run)
    pin_secrets(run, data.draw)
    rnd = data.draw(st.randoms(use_true_random=True))
    chosen: list[str] = []
    for name, change in declared_default_variations(run):
        if data.draw(st.booleans(), label=name):
            change()
            chosen.append(name)
    for name, transform in file_variations(rnd):
        if data.draw(st.booleans(), label=name):
            world.transforms.append(transform)
            chosen.append(name)
    world.workspace_id_upper = data.draw(st.booleans(), label="workspace id in upper case")
    for dest in world.dests:
        item = run.item(dest)
        for name, edit in live_variations(run, dest, item):
            if data.draw(st.booleans(), label=f"{dest.name}: {name}"):
                run.fake.edit_destination(item["id"], edit)
                chosen.append(f"{dest.name}: {name}")
    text = run.write()
    what = "; ".join(chosen)
    expect_in_sync(run.plan_api(), f"neutral ({what}), against the API", text)
    expect_in_sync(run.plan_snapshot(), f"neutral ({what}), against a snapshot", text)


# --- regressions found by the properties above ---------------------------------------------


def _filter(value: Any) -> dict[str, Any]:
    return {"groups": [{"rules": [{"field": "input", "operator": "contains", "value": value}]}]}


@pytest.mark.parametrize(
    "live_value", ["HTTPS://Hooks.Example.com/x", "https://hooks.example.com/x/"]
)
def test_a_filter_value_that_looks_like_a_url_is_compared_as_text(live_value: str) -> None:
    # A rule matches text: `https://Hooks...` and `https://hooks.../x/` are other filters,
    # though as `config` values they would be the same URL.
    declared_rules = _filter("https://hooks.example.com/x")
    plan = plan_of(
        [declared(filter_rules=declared_rules)], [live_item(filter_rules=_filter(live_value))]
    )
    assert [[f.path for f in c.fields] for c in plan.changes] == [["filter_rules"]]
    same = plan_of(
        [declared(filter_rules=declared_rules)], [live_item(filter_rules=declared_rules)]
    )
    assert same.in_sync


def test_api_key_hashes_and_regions_are_compared_as_text() -> None:
    plan = plan_of(
        [declared(api_key_hashes=["https://a.example/"], regions=["global"])],
        [live_item(api_key_hashes=["https://A.example"], regions=["global"])],
    )
    assert [[f.path for f in c.fields] for c in plan.changes] == [["api_key_hashes"]]


HIDDEN_SETTING = """
    version: 1
    destinations:
      - name: bq
        type: bigquery
        config:
          apiKey: ${BQ_KEY}
          tokenTtl: 3600
"""
BQ_ENV = {"BQ_KEY": "bq-key-0123456789-AbCd"}


def test_a_setting_the_api_hides_as_a_secret_is_not_verified_not_drift(
    orsync: Orsync, fake: FakeApi
) -> None:
    # A type orsync does not know: the API masks what sits under `tokenTtl` by its name, and
    # shows the number as `********`. Nothing can be compared, so it is not drift, and apply
    # does not loop on it.
    fake.extra_types = frozenset({"bigquery"})
    orsync.write_config(HIDDEN_SETTING)
    applied = orsync("apply", "--auto-approve", env=BQ_ENV)
    assert applied.code == 0, applied.output
    assert "1 secret not verified, so not sent" in applied.output
    assert fake.destinations()[0]["config"]["tokenTtl"] == 3600
    planned = orsync("plan", env=BQ_ENV)
    assert planned.code == 0, planned.output
    assert "config.tokenTtl not verified: its live value is hidden completely" in planned.output


def test_a_setting_the_api_shows_is_compared(orsync: Orsync, fake: FakeApi) -> None:
    fake.extra_types = frozenset({"bigquery"})
    fake.mask_non_strings = False
    orsync.write_config(HIDDEN_SETTING)
    assert orsync("apply", "--auto-approve", env=BQ_ENV).code == 0
    assert orsync("plan", env=BQ_ENV).code == 0
    ident = fake.destinations()[0]["id"]
    fake.edit_destination(ident, lambda item: item["config"].update(tokenTtl=7200))
    planned = orsync("plan", env=BQ_ENV)
    assert planned.code == 2, planned.output
    assert "config.tokenTtl = 7200 -> 3600" in planned.stdout


@pytest.mark.parametrize(
    "live", ["HTTPS://Hooks.Example.com/a...b/", "https://hooks.example.com/a...b"]
)
def test_a_secret_returned_in_clear_matches_though_it_holds_dots(live: str) -> None:
    # The API shows a secret of a type orsync does not know in clear, as the server spells the
    # URL; holding `...b`, it must not be read as a mask whose last characters are `b/`.
    secret = env("https://hooks.example.com/a...b")
    wanted = declared("bq", "bigquery", {"credentialsJson": secret})
    plan = plan_of([wanted], [live_item("bq", "bigquery", {"credentialsJson": live})])
    assert plan.in_sync, plan.changes
    rotated = live_item("bq", "bigquery", {"credentialsJson": "https://hooks.example.com/a...c"})
    assert [f.path for c in plan_of([wanted], [rotated]).changes for f in c.fields] == [
        "config.credentialsJson"
    ]
