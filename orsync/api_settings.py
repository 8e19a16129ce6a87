"""Checks of how orsync reaches the API, made before any request: the base URL, the timeout,
the concurrency, and the management key from the environment."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit

from orsync.errors import AuthError, UsageError
from orsync.interpolate import VARIABLE_NAME
from orsync.sensitive import remember_secret

# An hour per request is more than any answer needs; beyond it, and at inf, a typo is likelier.
MAX_TIMEOUT = 3600.0


def check_timeout(seconds: float) -> float:
    """A request timeout that can bound a request: above 0, at most MAX_TIMEOUT (not nan, inf)."""
    if not 0 < seconds <= MAX_TIMEOUT:
        raise UsageError(
            "--timeout (or ORSYNC_TIMEOUT) must be a number of seconds above 0 "
            f"and at most {MAX_TIMEOUT:g}"
        )
    return float(seconds)


def check_base_url(url: str) -> str:
    """Refuse a base URL that would send the key in clear text to another machine."""
    # A .env file with CRLF line ends leaves these behind; nothing else is taken away.
    url = url.rstrip("\r\n")
    # Messages never quote the URL: a mistyped one may hold a password anywhere.
    if any(c.isspace() or not c.isprintable() for c in url):
        raise UsageError("--base-url holds a space or a control character")
    if "@" in url:
        raise UsageError("--base-url must not hold a user name or password")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - parsing the port is what raises on a malformed one
    except ValueError:
        raise UsageError("--base-url is not a valid URL") from None
    if parts.query or parts.fragment:
        raise UsageError("--base-url must not hold a query or fragment")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError("--base-url is not an http(s) URL (such as https://openrouter.ai/api/v1)")
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise UsageError(
            f"--base-url uses plain http to {parts.hostname}, which is not loopback: "
            "the key must not travel in clear text; use https"
        )
    return url.rstrip("/")


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        import ipaddress  # only for a base URL on plain http

        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def read_api_key(env_name: str, environ: Mapping[str, str]) -> str:
    """The management key from the environment; never from a flag or the config file."""
    if not VARIABLE_NAME.fullmatch(env_name):
        # Most likely the key itself, passed by mistake: say so without repeating it.
        raise UsageError(
            "--api-key-env takes the NAME of an environment variable (letters, digits and _), "
            "not the key; put the key in that variable"
        )
    key = environ.get(env_name, "").strip()
    remember_secret(key)
    if not key:
        raise AuthError(f"no management key: set the environment variable {env_name}")
    if not (key.isascii() and key.isprintable()):
        # It could not travel in an HTTP header, and error messages might echo it escaped.
        raise AuthError(
            f"the key in {env_name} holds characters a key cannot have (spaces inside are "
            "fine, but not control or non-ASCII characters); copy it again"
        )
    return key


def check_concurrency(count: int) -> int:
    """Requests in flight at once: 1 (one at a time) or more."""
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise UsageError("--concurrency (or ORSYNC_CONCURRENCY) must be a whole number, 1 or more")
    return count
