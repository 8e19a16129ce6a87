"""The HTTP client for the OpenRouter management API: the only module that talks to the network.

One `httpx.Client` (one connection pool, thread-safe) serves every request, so several
workspaces and the pages after the first can be read at once. Reads, PATCH and DELETE are
retried with exponential backoff and jitter on 429, 5xx and connection errors; POST never is,
since a create that timed out may have taken effect (apply checks by listing again).
"""

from __future__ import annotations

import ipaddress
import math
import random
import re
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

from orsync import __version__, defaults
from orsync.errors import ApiError, AuthError, UsageError
from orsync.sensitive import redact, remember_secret

PAGE_LIMIT = defaults.PAGE_LIMIT
_RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
_DESTINATIONS = "/observability/destinations"
_VARIABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# More pages than this is no workspace but a broken `total_count`: stop, don't flood the API.
_MAX_PAGES = 10_000


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry: bounded both in count and in time."""

    attempts: int = 4
    base_delay: float = 0.25
    max_delay: float = 8.0
    max_retry_after: float = 30.0
    deadline: float = 60.0

    def backoff(self, attempt: int) -> float:
        """Full jitter: a random wait up to base * 2**attempt, capped."""
        return random.uniform(0, min(self.max_delay, self.base_delay * 2**attempt))


def check_timeout(seconds: float) -> float:
    """A request timeout in seconds: above 0 and finite."""
    if not (seconds > 0 and math.isfinite(seconds)):
        raise UsageError("--timeout (or ORSYNC_TIMEOUT) must be a number of seconds above 0")
    return seconds


def check_base_url(url: str) -> str:
    """Refuse a base URL that would send the key in clear text to another machine."""
    # Messages never quote the URL: a mistyped one may hold a password anywhere.
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
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def read_api_key(env_name: str, environ: Mapping[str, str]) -> str:
    """The management key from the environment; never from a flag or the config file."""
    if not _VARIABLE_NAME.fullmatch(env_name):
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


class ApiClient:
    """A typed client for the observability-destinations endpoints."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        key_env: str = defaults.API_KEY_ENV,
        timeout: float = defaults.TIMEOUT,
        retry: RetryPolicy | None = None,
        page_concurrency: int = defaults.PAGE_CONCURRENCY,
    ) -> None:
        self._key_env = key_env
        remember_secret(api_key)
        self._retry = retry or RetryPolicy()
        self._page_concurrency = max(1, page_concurrency)
        self._http = httpx.Client(
            base_url=check_base_url(base_url),
            headers={"Authorization": f"Bearer {api_key}", "User-Agent": f"orsync/{__version__}"},
            timeout=httpx.Timeout(timeout, connect=min(10.0, timeout)),
            limits=httpx.Limits(max_connections=16, max_keepalive_connections=16),
            follow_redirects=False,
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # Destinations -------------------------------------------------------------------------

    def list_destinations(self, workspace_id: str | None = None) -> list[dict[str, Any]]:
        """Every destination of a workspace (the key's default one when None), all pages."""
        first, total = self._list_page(workspace_id, 0)
        items = _unique_by_id(first)
        if len(items) < total and items:
            items = _unique_by_id(self._rest_of_pages(workspace_id, items, total))
        if len(items) < total:
            # Going on would plan the missing destinations as creates: duplicates on apply.
            raise ApiError(
                f"unexpected API answer: total_count says {total} destinations "
                f"but the pages hold {len(items)} different ones"
            )
        return items

    def get_destination(self, destination_id: str) -> dict[str, Any] | None:
        """One destination, or None when the API does not know it."""
        response = self._send("GET", f"{_DESTINATIONS}/{destination_id}", allow={404})
        if response.status_code == 404:
            return None
        return _data_object(self._json(response), "GET destination")

    def create_destination(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """POST a new destination. Never retried: the caller checks whether it took effect."""
        response = self._send("POST", _DESTINATIONS, json=dict(body), retry=False)
        return _data_object(self._json(response), "create")

    def update_destination(self, destination_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """PATCH the given fields of a destination."""
        response = self._send("PATCH", f"{_DESTINATIONS}/{destination_id}", json=dict(body))
        return _data_object(self._json(response), "update")

    def delete_destination(self, destination_id: str) -> bool:
        """DELETE a destination; False when it was already gone (404)."""
        response = self._send("DELETE", f"{_DESTINATIONS}/{destination_id}", allow={404})
        return response.status_code != 404

    # Paging -------------------------------------------------------------------------------

    def _list_page(self, workspace_id: str | None, offset: int) -> tuple[list[Any], int]:
        params: dict[str, str | int] = {"offset": offset, "limit": PAGE_LIMIT}
        if workspace_id is not None:
            params["workspace_id"] = workspace_id
        response = self._send("GET", _DESTINATIONS, params=params, allow={400, 404})
        if response.status_code in (400, 404) and workspace_id is not None:
            raise ApiError(
                f"workspace {workspace_id} was not found, or the key cannot see it "
                f"(the API answered {response.status_code}: {_error_message(response)})",
                status=response.status_code,
            )
        if response.status_code >= 400:
            raise self._failure(response, "GET", _DESTINATIONS)
        body = self._json(response)
        data, total = body.get("data"), body.get("total_count")
        if not isinstance(data, list) or isinstance(total, bool) or not isinstance(total, int):
            raise ApiError(
                "unexpected API answer: the destinations list has no `data` list "
                "or no `total_count` number"
            )
        if total < 0:
            raise ApiError(f"unexpected API answer: total_count is {total}")
        return data, total

    def _rest_of_pages(self, workspace_id: str | None, first: list[Any], total: int) -> list[Any]:
        """Fetch the remaining pages concurrently, then fill any gap one page at a time.

        The server may answer fewer items than `limit` asked for, so the first page's size is
        taken as the page size, and the count goes by `total_count`, never by page sizes.
        """
        step = len(first)
        # In integers: a float cannot hold every count a JSON answer can give.
        if total > _MAX_PAGES * step:
            raise ApiError(
                f"unexpected API answer: total_count says {total} destinations, "
                f"{step} per page: more pages than orsync will read"
            )
        offsets = list(range(step, total, step))
        with ThreadPoolExecutor(max_workers=min(self._page_concurrency, len(offsets))) as pool:
            pages = list(pool.map(lambda o: self._list_page(workspace_id, o)[0], offsets))
        items = list(first)
        for offset, page in zip(offsets, pages, strict=True):
            if offset != len(items):
                break
            items.extend(page)
        for _ in range(_MAX_PAGES):
            if len(items) >= total:
                break
            page, total = self._list_page(workspace_id, len(items))
            if not page:
                break
            items.extend(page)
        return items

    # Transport ----------------------------------------------------------------------------

    def _send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str | int] | None = None,
        json: Any = None,
        retry: bool = True,
        allow: frozenset[int] | set[int] = frozenset(),
    ) -> httpx.Response:
        """One request with bounded retries; returns a 2xx (or allowed) answer, else raises."""
        started = time.monotonic()
        attempts = self._retry.attempts if retry else 1
        for attempt in range(attempts):
            last = attempt == attempts - 1
            try:
                response = self._http.request(method, path, params=params, json=json)
            except httpx.TimeoutException as exc:
                if last or not self._may_wait(started, self._retry.backoff(attempt)):
                    raise ApiError(
                        f"{method} {path}: the API did not answer in time ({attempts} tries)"
                    ) from exc
                continue
            except httpx.TransportError as exc:
                if last or not self._may_wait(started, self._retry.backoff(attempt)):
                    raise ApiError(
                        f"{method} {path}: could not reach the API at {self._http.base_url} "
                        f"({type(exc).__name__})"
                    ) from exc
                continue
            if response.status_code < 400 or response.status_code in allow:
                return response
            wait = self._wait_for(response, attempt)
            if last or response.status_code not in _RETRY_STATUSES:
                break
            if not self._may_wait(started, wait):
                break
        raise self._failure(response, method, path, tries=attempt + 1)

    def _wait_for(self, response: httpx.Response, attempt: int) -> float:
        retry_after = response.headers.get("Retry-After", "").strip()
        if retry_after:
            try:
                seconds = float(retry_after)
            except ValueError:
                seconds = math.nan  # an HTTP date: fall back to our own backoff
            if math.isfinite(seconds):
                return min(max(seconds, 0.0), self._retry.max_retry_after)
        return self._retry.backoff(attempt)

    def _may_wait(self, started: float, wait: float) -> bool:
        """Sleep `wait` seconds unless that would pass the retry deadline."""
        if time.monotonic() - started + wait > self._retry.deadline:
            return False
        time.sleep(wait)
        return True

    def _failure(
        self, response: httpx.Response, method: str, path: str, *, tries: int = 1
    ) -> ApiError:
        status = response.status_code
        detail = _error_message(response)
        if status == 401:
            return AuthError(
                f"the API refused the key in {self._key_env} (401: {detail}); "
                "check that it is a valid, current management key",
                status=status,
            )
        if status == 403:
            return AuthError(
                f"the key in {self._key_env} is not allowed to do this (403: {detail}); "
                "orsync needs a management key",
                status=status,
            )
        after = f" after {tries} tries" if tries > 1 else ""
        if status == 429:
            return ApiError(f"{method} {path}: rate limited by the API (429){after}", status=status)
        return ApiError(
            f"{method} {path}: the API answered {status}{after}: {detail}", status=status
        )

    def _json(self, response: httpx.Response) -> dict[str, Any]:
        try:
            body = response.json()
        except RecursionError:
            raise ApiError(
                f"unexpected API answer to {response.request.method} "
                f"{response.request.url.path}: JSON nested too deeply to read"
            ) from None
        except ValueError:
            kind = response.headers.get("Content-Type", "no content type").split(";")[0]
            raise ApiError(
                f"unexpected API answer to {response.request.method} "
                f"{response.request.url.path}: not JSON ({kind}, {len(response.content)} bytes)"
            ) from None
        if not isinstance(body, dict):
            raise ApiError("unexpected API answer: the body is not a JSON object")
        return body


def _error_message(response: httpx.Response) -> str:
    """The API's error message when the body has one; proxies send HTML or nothing."""
    try:
        body = response.json()
    except RecursionError:
        return "a JSON body nested too deeply to read"
    except ValueError:
        kind = response.headers.get("Content-Type", "").split(";")[0] or "empty"
        return f"a non-JSON body ({kind})" if response.content else "an empty body"
    error = body.get("error") if isinstance(body, dict) else None
    message = error.get("message") if isinstance(error, dict) else None
    if not isinstance(message, str):
        return "no error message"
    # An API may echo what it was sent: take out every secret of the run (the key, what we
    # sent) before shortening, so that no part of one is left.
    message = redact(message)
    printable = "".join(c if c.isprintable() else " " for c in message)
    return printable[:200]


def _data_object(body: Mapping[str, Any], what: str) -> dict[str, Any]:
    data = body.get("data")
    if not isinstance(data, dict):
        raise ApiError(f"unexpected API answer to {what}: no `data` object")
    return data


def _unique_by_id(items: list[Any]) -> list[Any]:
    """Drop repeats that a list changing between pages can produce."""
    seen: set[str] = set()
    unique = []
    for item in items:
        key = item.get("id") if isinstance(item, dict) else None
        # Only a text id names a destination; any other is left for the item check to refuse
        # (a list or an object could not even be remembered here).
        if isinstance(key, str) and key in seen:
            continue
        if isinstance(key, str):
            seen.add(key)
        unique.append(item)
    return unique
