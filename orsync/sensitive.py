"""The home of secrets: which values are secret, the walks over them, and the one redactor.

A `config` value is secret when it sits under a secret key of its type (destination_types.py),
anywhere under `headers`, or, for a type orsync does not know, under any key whose name
suggests a credential; a URL carrying credentials is secret wherever it stands. Secret values
are held as `Secret`s, and every transformation of a tree holding them goes through
`map_secrets`: the plan's JSON form, snapshots, request bodies. Every message that reaches a
person goes through `redact`, which knows every secret the run has read.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator, Mapping
from typing import Any
from urllib.parse import quote

from orsync import destination_types as types
from orsync import masking
from orsync.model import Secret, SecretOrigin

ConfigPath = tuple[str, ...]
REDACTED = "***"
# Shorter values are not taken out of messages: they would blank out ordinary words, and
# a secret that short gives nothing away that its length does not.
_MIN_REDACTED_LENGTH = 4
# Up to this many secrets, `redact` searches for each one in turn.
_FEW_SECRETS = 32
_AUTH_SCHEMES = frozenset({"bearer", "basic", "token", "apikey", "key", "digest", "dsn"})


def is_secret_path(type_name: str, path: ConfigPath) -> bool:
    """Whether the config value at `path` (`("headers", "Authorization")`) is secret."""
    if not path:
        return False
    if path[0] == types.HEADERS_KEY or types.is_secret_key(type_name, path[0]):
        return True
    known = types.TYPES.get(type_name)
    if known is not None and path[0] in known.keys:
        return False
    return any(types.looks_secret(part) for part in path)


# Walks ------------------------------------------------------------------------------------


def map_secrets(value: Any, replace: Callable[[Secret], Any]) -> Any:
    """A copy of `value` with `replace(secret)` in place of every `Secret` inside, at any depth.

    Mappings come back as dicts with string keys, tuples as lists: the shapes JSON knows.
    """
    if isinstance(value, Secret):
        return replace(value)
    if isinstance(value, Mapping):
        return {str(k): map_secrets(v, replace) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [map_secrets(v, replace) for v in value]
    return value


def secrets_in(value: Any) -> Iterator[Secret]:
    """Every `Secret` inside a value, at any depth."""
    if isinstance(value, Secret):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from secrets_in(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from secrets_in(item)


def has_secret(value: Any) -> bool:
    """Whether a value holds a `Secret` anywhere inside."""
    return next(secrets_in(value), None) is not None


def has_unknown_secret(value: Any) -> bool:
    """Whether a value holds a secret orsync does not know in clear (a pin, an unset variable)."""
    return any(not secret.known for secret in secrets_in(value))


def public_value(value: Any) -> Any:
    """A JSON-ready copy of a value with every `Secret` replaced by its mask."""
    return map_secrets(value, Secret.mask)


def clear_value(value: Any) -> Any:
    """The value to send to the API: every secret's clear text (each one remembered)."""

    def reveal(secret: Secret) -> str | None:
        RUN_SECRETS.remember(secret.value)
        return secret.value

    return map_secrets(value, reveal)


def wrap_live_config(type_name: str, config: Mapping[str, Any]) -> dict[str, Any]:
    """The live config with every secret string wrapped as a LIVE `Secret`, at any depth.

    Numbers and booleans stay as they are, even under a secret key: they are settings
    (`tokenTtl: 3600`). A secret the API returned in clear is remembered for redaction.
    """
    return {
        str(k): _wrap_live(type_name, _by_key(type_name, str(k)), (str(k),), v, False)
        for k, v in config.items()
    }


def _by_key(type_name: str, key: str) -> bool:
    """Whether the secrets under `key` are told by the key alone (`headers`, a key the type
    lists): decided once for the key, not for every value under it. Under any other key a
    nested name may say secret (`extra.token`), so each path is looked at."""
    known = types.TYPES.get(type_name)
    return key == types.HEADERS_KEY or (known is not None and key in known.keys)


def _wrap_live(type_name: str, by_key: bool, path: ConfigPath, value: Any, secret: bool) -> Any:
    # A function of its own, not one nested in wrap_live_config: a nested function that calls
    # itself is a reference cycle, left for the garbage collector, for every destination.
    if by_key and len(path) == 1:
        secret = is_secret_path(type_name, path)
    if isinstance(value, str):  # the common case, first
        if (
            secret
            or (not by_key and is_secret_path(type_name, path))
            or ("://" in value and masking.has_url_credentials(value))
        ):
            RUN_SECRETS.remember(value)
            return Secret(SecretOrigin.LIVE, value)
        return value
    if isinstance(value, Mapping):
        return {
            str(k): _wrap_live(type_name, by_key, (*path, str(k)), v, secret)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_wrap_live(type_name, by_key, path, item, secret) for item in value]
    return value


def mask_config(type_name: str, config: Mapping[str, Any]) -> dict[str, Any]:
    """The config with every secret replaced by its file mask, for files kept on disk."""
    wrapped = wrap_live_config(type_name, config)
    return dict(map_secrets(wrapped, lambda secret: masking.mask_for_file(secret.value or "")))


def flatten_config(config: Mapping[str, Any]) -> Iterator[tuple[str, Any]]:
    """`("config.headers.Authorization", value)` for every leaf under the config's mappings."""
    for key, value in config.items():
        yield from _leaves(f"config.{key}", value)


def _leaves(prefix: str, value: Any) -> Iterator[tuple[str, Any]]:
    # Not nested in flatten_config: a nested function that calls itself is a reference cycle,
    # which a run (with no garbage collection) would keep for every destination.
    if isinstance(value, Mapping) and value:
        for key, item in value.items():
            yield from _leaves(f"{prefix}.{key}", item)
    else:
        yield prefix, value


# Redaction --------------------------------------------------------------------------------


class Redactor:
    """Every secret the run has read, and the one way to take them out of a message.

    A secret may come back in another spelling: trimmed, escaped as JSON or by `repr`,
    percent-encoded in a URL, or only a URL's password; each is taken out.
    """

    def __init__(self) -> None:
        self._texts: set[str] = set()
        # Longest first, sorted once for every message until another secret is remembered; and
        # how each one begins, to pass over at once a message that holds none.
        self._ordered: list[str] | None = None
        self._heads: frozenset[str] = frozenset()
        self._lock = threading.Lock()

    def remember(self, secret: str | None) -> None:
        """Add a secret (and its other spellings) to what `redact` takes out."""
        if not secret or masking.shown_mask(secret) == secret or masking.is_masked_url(secret):
            return  # a mask is what may be shown; a value only shaped like one is not
        spellings = {secret, secret.strip(), json.dumps(secret)[1:-1], repr(secret)[1:-1]}
        spellings.add(quote(secret, safe=""))
        password = masking.split_url_password(secret)
        if password is not None:
            spellings.update({password[1], quote(password[1], safe="")})
        # Servers quote the credential of an `Authorization` value without its scheme.
        scheme, _, credential = secret.strip().partition(" ")
        if credential and scheme.lower() in _AUTH_SCHEMES:
            spellings.add(credential.strip())
        with self._lock:
            self._texts.update(s for s in spellings if len(s) >= _MIN_REDACTED_LENGTH)
            self._ordered = None

    def redact(self, message: str) -> str:
        """The message with every remembered secret replaced by `***`, longest first.

        A lone surrogate (from a byte that was not UTF-8) is shown escaped: printed as it is,
        it would end the run with an encoding error instead of the message.
        """
        with self._lock:
            if self._ordered is None:
                self._ordered = sorted(self._texts, key=len, reverse=True)
                self._heads = frozenset(text[:_MIN_REDACTED_LENGTH] for text in self._texts)
            texts, heads = self._ordered, self._heads
        if self._holds_any(message, texts, heads):
            for text in texts:
                if text in message:
                    message = message.replace(text, REDACTED)
        return message.encode("utf-8", "backslashreplace").decode("utf-8")

    @staticmethod
    def _holds_any(message: str, texts: list[str], heads: frozenset[str]) -> bool:
        # A few secrets: one substring search each, in C. Many (a secret per destination of a
        # big config): every secret is at least _MIN_REDACTED_LENGTH long, so one pass over
        # the message's positions, looking each one up, finds whether any secret begins there.
        if len(texts) <= _FEW_SECRETS:
            return any(text in message for text in texts)
        size = _MIN_REDACTED_LENGTH
        return any(message[i : i + size] in heads for i in range(len(message) - size + 1))

    def forget_all(self) -> None:
        """Start afresh (a new run in the same process)."""
        with self._lock:
            self._texts.clear()
            self._ordered = None


RUN_SECRETS = Redactor()


def remember_secret(secret: str | None) -> None:
    """Add a secret to what every message of this run is cleaned of."""
    RUN_SECRETS.remember(secret)


def redact(message: str) -> str:
    """A message cleaned of every secret this run has read."""
    return RUN_SECRETS.redact(message)
