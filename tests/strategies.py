"""Hypothesis strategies for tests/test_truth.py: valid config files of every destination type.

A drawn `World` holds what the tests must know without asking orsync: each destination as the
file declares it, every `${VAR}` with the value the environment gives it, and the switches of the
fake API it is applied to. `World.document()` is the file as a mapping for `yaml.safe_dump`; a
secret is written as its `${VAR}` until the test, after a first apply, copies the mask the API
shows into `Ref.shown` (a pin).
"""

from __future__ import annotations

import itertools
import string
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from fake_api import MASK_STYLES
from hypothesis import strategies as st

from orsync import masking
from orsync.destination_types import (
    BROADCAST_FLAGS,
    FILTER_FIELDS,
    FILTER_OPERATORS,
    REGIONS,
    TYPES,
    ConfigKey,
)

# A type newer API documentation names and orsync's table does not have.
UNKNOWN_TYPE = "bigquery"
ALL_TYPES: tuple[str, ...] = (*TYPES, UNKNOWN_TYPE)
EXTRA_WORKSPACE = "7c9e6679-7425-40de-944b-e07fc1f90ae7"
LAYOUTS = ("shorthand", "default-entry", "two-workspaces")
# The API stores each per-type list at most this long; a file holds fewer.
PER_TYPE_LIMIT = 5
ConfigPath = tuple[str, ...]

# `$` is left out of free text: `${` would be a reference. References are drawn on purpose.
_TEXT_ALPHABET = st.characters(
    blacklist_categories=("Cs", "Cc", "Co", "Cn", "Zl", "Zp"), blacklist_characters="$"
)
_TOKEN_ALPHABET = string.ascii_letters + string.digits + "-_.~"
_URL_KEYS = ("url", "baseUrl", "endpoint", "otlpEndpoint", "location")


@dataclass
class Ref:
    """A value the file takes from `${variable}`: a secret, or any value built from a variable.

    The file writes `before${variable}after`; `pin` asks the test to write, after the first
    apply, the mask the API shows instead (`shown`), as a user copies it from a plan.
    """

    variable: str
    value: str
    secret: bool
    before: str = ""
    after: str = ""
    pin: bool = False
    shown: str | None = None

    @property
    def clear(self) -> str:
        """The value the API receives."""
        return self.before + self.value + self.after

    def written(self) -> str:
        if self.pin and self.shown is not None:
            return self.shown
        return f"{self.before}${{{self.variable}}}{self.after}"


@dataclass
class Dest:
    """One declared destination: its compared fields and config as the file writes them."""

    name: str
    type: str
    workspace: str | None
    fields: dict[str, Any]
    config: dict[str, Any]
    protect: bool = False
    pin_id: bool = False
    ignore: list[str] = field(default_factory=list)
    # Set by the test after the first apply.
    live_id: str | None = None

    def refs(self) -> Iterator[tuple[ConfigPath, Ref]]:
        """Every `Ref` of the config, with its path under `config`."""
        yield from _refs_in(self.config, ())


def _refs_in(value: Any, path: ConfigPath) -> Iterator[tuple[ConfigPath, Ref]]:
    if isinstance(value, Ref):
        yield path, value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from _refs_in(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _refs_in(item, (*path, str(index)))


@dataclass
class World:
    """A config file, its environment, and the fake API it is applied to."""

    switches: dict[str, Any]
    layout: str
    defaults: dict[str, Any]
    dests: list[Dest]
    unmanaged: str | None = None
    # Neutral spelling choices the tests may turn on.
    workspace_id_upper: bool = False
    transforms: list[Callable[[dict[str, Any]], None]] = field(default_factory=list)

    def environ(self) -> dict[str, str]:
        return {ref.variable: ref.value for dest in self.dests for _, ref in dest.refs()}

    def regions_declared(self, dest: Dest) -> bool:
        return "regions" in dest.fields or "regions" in self.defaults

    def declared(self, dest: Dest, name: str) -> tuple[bool, Any]:
        """Whether the file sets top-level field `name` for `dest` (itself or `defaults`)."""
        if name in dest.fields:
            return True, dest.fields[name]
        if name in self.defaults:
            return True, self.defaults[name]
        return False, None

    def document(self) -> dict[str, Any]:
        """The config file as a mapping, ready for `yaml.safe_dump(sort_keys=False)`."""
        doc: dict[str, Any] = {"version": 1}
        if self.defaults:
            doc["defaults"] = _plain(self.defaults)
        if self.layout == "shorthand":
            doc["destinations"] = [self._destination(d) for d in self.dests]
        else:
            doc["workspaces"] = []
            for workspace in self.workspaces():
                entry: dict[str, Any] = {}
                if workspace is not None:
                    shown = workspace.upper() if self.workspace_id_upper else workspace
                    entry["id"] = shown
                if self.unmanaged is not None:
                    entry["unmanaged"] = self.unmanaged
                entry["destinations"] = [
                    self._destination(d) for d in self.dests if d.workspace == workspace
                ]
                doc["workspaces"].append(entry)
        for transform in self.transforms:
            transform(doc)
        return doc

    def workspaces(self) -> list[str | None]:
        """The workspace entries of the file: the default one, and the extra one if used."""
        if self.layout == "two-workspaces":
            return [EXTRA_WORKSPACE, None]
        return [None]

    def _destination(self, dest: Dest) -> dict[str, Any]:
        item: dict[str, Any] = {"name": dest.name, "type": dest.type}
        if dest.pin_id and dest.live_id is not None:
            item["id"] = dest.live_id
        item.update(_plain(dest.fields))
        if dest.config:
            item["config"] = _plain(dest.config)
        if dest.protect:
            item["protect"] = True
        if dest.ignore:
            item["ignore"] = list(dest.ignore)
        return item


def _plain(value: Any) -> Any:
    """A deep copy with every `Ref` written out."""
    if isinstance(value, Ref):
        return value.written()
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


# --- values --------------------------------------------------------------------------------


def texts(min_size: int = 0, max_size: int = 16) -> st.SearchStrategy[str]:
    """Any text a config file can hold as a plain value (unicode, spaces), never a pin."""
    return st.text(_TEXT_ALPHABET, min_size=min_size, max_size=max_size).filter(
        lambda text: not masking.is_masked_url(text)
    )


def names() -> st.SearchStrategy[str]:
    """Destination names: unicode and spaces, never blank; often alike but for case or a space."""
    alike = st.sampled_from(["Prod", "prod", "Prod ", " Prod", "PROD", "Δ trace", "a  b"])
    drawn = st.text(_TEXT_ALPHABET, min_size=1, max_size=24).filter(lambda text: text.strip() != "")
    return st.one_of(alike, drawn)


def _tokens(min_size: int = 1, max_size: int = 12) -> st.SearchStrategy[str]:
    return st.text(_TOKEN_ALPHABET, min_size=min_size, max_size=max_size)


@st.composite
def secret_values(draw: st.DrawFn) -> str:
    """A secret in clear: short or long, unicode or not, and often ending in dots
    (`...b.cd`), which a mask keeps as its last 4 characters."""
    body = draw(
        st.one_of(
            st.text(string.ascii_letters + string.digits + "-_", min_size=1, max_size=40),
            st.text(
                st.characters(blacklist_categories=("Cs", "Cc", "Co", "Cn", "Zl", "Zp")),
                min_size=1,
                max_size=30,
            ),
        )
    )
    if draw(st.integers(0, 6)) == 0:
        # Secrets shaped like URLs (a webhook URL in a header): they are masked like any other.
        body = draw(urls())
    tail = draw(st.sampled_from(["", "", ".", "..", ".x.y", "b.cd", "....", "a..."]))
    value = body + tail
    # A mask-shaped value in the file is read as a pin, by design: such a secret is not drawn.
    if not value.strip() or masking.is_pin(value):
        value = "s3cr3t-" + value.replace(".", "d")
    return value


@st.composite
def urls(draw: st.DrawFn, *, query_secret: bool = True) -> str:
    """URLs spelled as people write them: any case in scheme and host, a port, a trailing `/`."""
    scheme = draw(st.sampled_from(["https", "http", "HTTPS", "Https"]))
    labels = draw(
        st.lists(
            st.from_regex(r"[A-Za-z][A-Za-z0-9-]{0,8}", fullmatch=True), min_size=1, max_size=3
        )
    )
    host = ".".join(labels) + draw(st.sampled_from([".example.com", ".EXAMPLE.net", ".io"]))
    port = draw(st.sampled_from(["", "", ":8443"]))
    path = "".join("/" + p for p in draw(st.lists(_tokens(1, 8), max_size=3)))
    slash = draw(st.sampled_from(["", "/"]))
    query = ""
    userinfo = ""
    if query_secret and draw(st.integers(0, 5)) == 0:
        # A credential in the query or the user part makes the URL a secret (written in clear:
        # a warning).
        if draw(st.booleans()):
            query = "?token=" + draw(_tokens(4, 16))
        else:
            userinfo = draw(st.from_regex(r"[a-z]{1,6}:[A-Za-z0-9]{4,12}@", fullmatch=True))
    return f"{scheme}://{userinfo}{host}{port}{path}{slash}{query}"


@st.composite
def url_with_password(draw: st.DrawFn, variable: str) -> Ref:
    """`https://user:${PW}@Host/path/`: a URL whose password comes from a variable."""
    url = draw(urls(query_secret=False))
    scheme, _, rest = url.partition("://")
    user = draw(st.from_regex(r"[a-z][a-z0-9]{0,6}", fullmatch=True))
    password = draw(_tokens(1, 16).filter(lambda text: not masking.is_pin(text)))
    return Ref(variable, password, secret=False, before=f"{scheme}://{user}:", after=f"@{rest}")


@st.composite
def sentry_dsns(draw: st.DrawFn) -> str:
    key = draw(st.text("0123456789abcdef", min_size=8, max_size=32))
    org = draw(st.integers(1, 10**6))
    host = draw(st.sampled_from(["ingest.sentry.io", "Ingest.US.Sentry.io"]))
    return f"https://{key}@o{org}.{host}/{draw(st.integers(1, 10**7))}"


def sampling_rates() -> st.SearchStrategy[Any]:
    """1, 1.0, 0.5, any rate in range, and rates written as text that reads as a number."""
    return st.one_of(
        st.sampled_from([1, 1.0, 0.5, 0.0001, "1e0", "1e-4", "5e-1", "1.0e+0"]),
        st.floats(min_value=0.0001, max_value=1.0, allow_nan=False),
    )


def api_key_hashes() -> st.SearchStrategy[list[str] | None]:
    hashes = st.from_regex(r"[0-9a-f]{8,64}", fullmatch=True)
    return st.one_of(st.none(), st.lists(hashes, min_size=1, max_size=3))


def rule_values() -> st.SearchStrategy[Any]:
    """Filter rule values: numbers (1 and 1.0 alike) and strings, numeric-looking ones too."""
    return st.one_of(
        st.integers(-(10**12), 10**12),
        st.floats(allow_nan=False, allow_infinity=False, min_value=-1e12, max_value=1e12),
        st.sampled_from(["1e-4", "1", "1.0", "", " spaced "]),
        texts(0, 12),
        # Matched against text, so compared as text, even when it looks like a URL.
        urls(query_secret=False),
        urls(query_secret=False),
    )


@st.composite
def filter_rules(draw: st.DrawFn, open_lists: bool) -> dict[str, Any] | None:
    """null, no groups (no filter), or groups of rules; unknown words when the API takes them."""
    if draw(st.integers(0, 3)) == 0:
        return None
    fields_ = st.sampled_from(FILTER_FIELDS)
    operators = st.sampled_from(FILTER_OPERATORS)
    logic = st.sampled_from(["and", "or"])
    if open_lists:
        fields_ = st.one_of(fields_, st.just("cache_status"))
        operators = st.one_of(operators, st.just("in"))
        logic = st.one_of(logic, st.just("xor"))
    groups = []
    for _ in range(draw(st.integers(0, 3))):
        rules = []
        for _ in range(draw(st.integers(0, 3))):
            rule: dict[str, Any] = {"field": draw(fields_), "operator": draw(operators)}
            if draw(st.booleans()):
                rule["value"] = draw(rule_values())
            rules.append(rule)
        group: dict[str, Any] = {"rules": rules}
        if draw(st.booleans()):
            group["logic"] = draw(logic)
        groups.append(group)
    rules_: dict[str, Any] = {"groups": groups}
    if draw(st.booleans()):
        rules_["enabled"] = draw(st.booleans())
    return rules_


def regions(open_lists: bool) -> st.SearchStrategy[list[str]]:
    words = [*REGIONS, "eu"] + (["mars-1"] if open_lists else [])
    return st.lists(st.sampled_from(words), min_size=1, max_size=3)


@st.composite
def compared_fields(draw: st.DrawFn, open_lists: bool) -> dict[str, Any]:
    """Some of the compared top-level fields, each written or left out."""
    choices: dict[str, st.SearchStrategy[Any]] = {
        "enabled": st.booleans(),
        "sampling_rate": sampling_rates(),
        "privacy_mode": st.booleans(),
        "api_key_hashes": api_key_hashes(),
        "filter_rules": filter_rules(open_lists),
        "regions": regions(open_lists),
        **{flag: st.booleans() for flag in BROADCAST_FLAGS},
    }
    chosen = draw(st.lists(st.sampled_from(sorted(choices)), unique=True, max_size=len(choices)))
    return {name: draw(choices[name]) for name in chosen}


# --- config --------------------------------------------------------------------------------


class _Variables:
    """Fresh variable names within one world."""

    def __init__(self) -> None:
        self._count = itertools.count()

    def next(self) -> str:
        return f"TRUTH_VAR_{next(self._count)}"


@st.composite
def _secret_ref(draw: st.DrawFn, variables: _Variables, value: st.SearchStrategy[str]) -> Ref:
    return Ref(variables.next(), draw(value), secret=True, pin=draw(st.booleans()))


def _plain_or_variable(
    draw: st.DrawFn, variables: _Variables, plain: st.SearchStrategy[Any]
) -> Any:
    """A plain value, or the same kind of value from a variable (then compared as a secret)."""
    if draw(st.integers(0, 4)) == 0:
        value = draw(st.one_of(_tokens(1, 12), plain.filter(lambda v: isinstance(v, str))))
        return Ref(variables.next(), value, secret=False)
    return draw(plain)


def _key_value(draw: st.DrawFn, type_name: str, key: ConfigKey, variables: _Variables) -> Any:
    if key.secret:
        value = sentry_dsns() if (type_name, key.name) == ("sentry", "dsn") else secret_values()
        return draw(_secret_ref(variables, value))
    if key.values:
        return draw(st.sampled_from(key.values))
    if isinstance(key.default, bool):
        return draw(st.booleans())
    if key.name in _URL_KEYS or type_name == "webhook":
        if draw(st.integers(0, 4)) == 0:
            return draw(url_with_password(variables.next()))
        plain = urls()
    else:
        plain = st.one_of(texts(1, 16), st.integers(0, 10**6))
    if key.has_default:
        plain = st.one_of(st.just(key.default), plain)
    if not key.required:
        plain = st.one_of(plain, st.none())  # `key: null`, as good as absent
    return _plain_or_variable(draw, variables, plain)


@st.composite
def headers(draw: st.DrawFn, variables: _Variables) -> dict[str, Ref]:
    """0 to 2 headers, names distinct whatever their case; values are secrets."""
    names_ = draw(
        st.lists(
            # Names may hold dots: plan paths join with dots, apply must not split on them.
            st.from_regex(r"X-[A-Za-z][A-Za-z0-9.-]{0,10}", fullmatch=True),
            max_size=2,
            unique_by=str.lower,
        )
    )
    values: dict[str, Ref] = {}
    for name in names_:
        ref = draw(_secret_ref(variables, secret_values()))
        if draw(st.booleans()):
            ref.before = "Bearer "  # `Authorization: Bearer ${TOKEN}`
        values[name] = ref
    return values


@st.composite
def known_config(draw: st.DrawFn, type_name: str, variables: _Variables) -> dict[str, Any]:
    """Every required key of the type and some optional ones (never the server's own)."""
    config: dict[str, Any] = {}
    for key in TYPES[type_name].keys.values():
        if key.server_made or not (key.required or draw(st.booleans())):
            continue
        config[key.name] = _key_value(draw, type_name, key, variables)
    if draw(st.booleans()):
        config["headers"] = draw(headers(variables))
    return config


@st.composite
def unknown_config(draw: st.DrawFn, variables: _Variables) -> dict[str, Any]:
    """A config of a type orsync does not know: kept as written, secrets found by key name."""
    pool: dict[str, Callable[[], Any]] = {
        "projectId": lambda: draw(texts(1, 12)),
        "location": lambda: draw(urls()),
        "apiKey": lambda: draw(_secret_ref(variables, secret_values())),
        "credentialsJson": lambda: draw(_secret_ref(variables, secret_values())),
        "authToken": lambda: draw(_secret_ref(variables, secret_values())),
        "batchSize": lambda: draw(st.integers(1, 10**4)),
        "verbose": lambda: draw(st.booleans()),
        "tags": lambda: draw(st.lists(texts(1, 8), max_size=3)),
        "settings": lambda: {
            "level": draw(texts(1, 8)),
            "token": draw(_secret_ref(variables, secret_values())),
        },
        # A number under a key named like a credential: a setting, not a secret.
        "tokenTtl": lambda: draw(st.integers(1, 10**6)),
        # A list of maps with a secret in each: compared item by item.
        "routes": lambda: [
            {"path": draw(texts(1, 8)), "token": draw(_secret_ref(variables, secret_values()))}
            for _ in range(draw(st.integers(1, 2)))
        ],
        # A key holding a dot: plan paths join keys with dots.
        "log.level": lambda: draw(st.sampled_from(["debug", "info"])),
    }
    chosen = draw(st.lists(st.sampled_from(sorted(pool)), unique=True, min_size=1))
    config = {key: pool[key]() for key in chosen}
    if draw(st.booleans()):
        config["headers"] = draw(headers(variables))
    return config


# --- worlds --------------------------------------------------------------------------------


def switches() -> st.SearchStrategy[dict[str, Any]]:
    """The fake API's answers where the real service's are not documented."""
    return st.fixed_dictionaries(
        {
            "mask_style": st.sampled_from(MASK_STYLES),
            "headers_merge": st.booleans(),
            "open_lists": st.booleans(),
            "empty_filter_as_groups": st.booleans(),
            "fill_defaults": st.booleans(),
            "mask_non_strings": st.booleans(),
            "max_page_size": st.sampled_from([1, 2, 100]),
        }
    )


def _not_in(used: set[str]) -> Callable[[str], bool]:
    return lambda text: text not in used


@st.composite
def worlds(draw: st.DrawFn, first_type: str | None = None, max_dests: int = 4) -> World:
    """A valid config file of 1 to 4 destinations of any types (the first of `first_type`
    when given), and the fake's switches."""
    server = draw(switches())
    open_lists = bool(server["open_lists"])
    layout = draw(st.sampled_from(LAYOUTS))
    variables = _Variables()
    dests: list[Dest] = []
    taken: set[tuple[str | None, str]] = set()
    for index in range(draw(st.integers(1, max_dests))):
        type_name = first_type if index == 0 and first_type else draw(st.sampled_from(ALL_TYPES))
        workspace = None
        if layout == "two-workspaces":
            workspace = draw(st.sampled_from([EXTRA_WORKSPACE, None]))
        name = draw(names().filter(_not_in({n for w, n in taken if w == workspace})))
        taken.add((workspace, name))
        config = (
            draw(unknown_config(variables))
            if type_name == UNKNOWN_TYPE
            else draw(known_config(type_name, variables))
        )
        dests.append(
            Dest(
                name=name,
                type=type_name,
                workspace=workspace,
                fields=draw(compared_fields(open_lists)),
                config=config,
                protect=draw(st.booleans()),
                pin_id=draw(st.booleans()),
            )
        )
    defaults = draw(compared_fields(open_lists)) if draw(st.booleans()) else {}
    unmanaged = draw(st.sampled_from([None, "report", "ignore"]))
    return World(server, layout, defaults, dests, unmanaged)
