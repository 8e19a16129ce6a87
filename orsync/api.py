"""The HTTP client for the OpenRouter management API: the only module that talks to the network.

One `httpx.Client` (one connection pool, thread-safe) serves every request, so several
workspaces and the pages after the first can be read at once; one bound (`concurrency`) holds
the requests in flight across all of them. Reads, PATCH and DELETE are retried with exponential
backoff and jitter on 429, 5xx and connection errors; POST never is, since a create that timed
out may have taken effect (apply checks by listing again). A 429 pauses every request of the
client, not only the one that got it: the limit is the key's, so the others would only draw
more 429s.

httpx's timeouts bound each wait for the next bytes, not a request: a server sending a byte
now and then would hold a request open for ever. So each request runs on a thread of its own
and the caller stops waiting for it at a deadline; closing the client (at the end of a run, or
on Ctrl-C) wakes every caller at once, and every wait between retries.
"""

from __future__ import annotations

import itertools
import math
import queue
import random
import re
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import quote, urlencode, urlsplit, urlunsplit

import httpx

from orsync import __version__, defaults
from orsync.errors import ApiError, AuthError, UsageError
from orsync.sensitive import redact, remember_secret

# An hour per request is more than any answer needs; beyond it, and at inf, a typo is likelier.
MAX_TIMEOUT = 3600.0
PAGE_LIMIT = defaults.PAGE_LIMIT
_RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
_DESTINATIONS = "/observability/destinations"
_WORKSPACES = "/workspaces"
_VARIABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# The API allows 5 destinations per type: a listing of more pages than this is a broken server.
_MAX_PAGES = 1000
# A listing that changes while it is read is read again, this many times in all.
_LISTING_READS = 3
# Larger than any count of destinations, and still exact as a JSON number.
_MAX_COUNT = 2**53
_SHOWN_LOCATION = 200

T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry: bounded both in count and in time."""

    attempts: int = 4
    base_delay: float = 0.25
    max_delay: float = 8.0
    max_retry_after: float = 30.0
    # No retry, nor wait for one, goes past this many seconds after the first try began.
    deadline: float = 60.0

    def backoff(self, attempt: int) -> float:
        """Full jitter: a random wait up to base * 2**attempt, capped."""
        return random.uniform(0, min(self.max_delay, self.base_delay * 2**attempt))


@dataclass(frozen=True)
class Listing:
    """The destinations of one workspace, and what reading them found that the user should know."""

    items: list[dict[str, Any]]
    warnings: tuple[str, ...] = ()


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


class _Cancelled(ApiError):
    """The client was closed while a request waited: the run is stopping."""

    def __init__(self) -> None:
        super().__init__("request cancelled: the API client was closed")


class _DeadlinePassed(Exception):
    """No complete answer by the deadline of one try."""


class _Throttle:
    """The requests in flight, at most `limit` at a time, and a pause that every request about
    to be sent waits out (after a 429). Closing it wakes every waiter, to stop."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._busy = 0
        self._resume_at = 0.0
        self._closed = False
        self._changed = threading.Condition()

    def acquire(self) -> None:
        """Wait for a free place and the end of any pause; raise _Cancelled once closed."""
        with self._changed:
            while True:
                if self._closed:
                    raise _Cancelled()
                paused = self._resume_at - time.monotonic()
                if paused <= 0 and self._busy < self._limit:
                    self._busy += 1
                    return
                self._changed.wait(paused if paused > 0 else None)

    def release(self) -> None:
        with self._changed:
            self._busy -= 1
            self._changed.notify_all()

    def pause(self, seconds: float) -> None:
        """No request starts for `seconds` from now (nor before an earlier pause ends)."""
        with self._changed:
            self._resume_at = max(self._resume_at, time.monotonic() + seconds)

    def close(self) -> None:
        with self._changed:
            self._closed = True
            self._changed.notify_all()


class _Runners:
    """Daemon threads that carry out exchanges, each kept for the next once its own ends:
    starting a thread per request cost more CPU than the request, and a wait for the new
    thread to be scheduled. A thread busy with a request given up on is not waited for: the
    next exchange gets another thread."""

    def __init__(self, run: Callable[[_Exchange], None]) -> None:
        self._run = run
        self._work: queue.SimpleQueue[_Exchange | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._idle = 0
        self._closed = False

    def submit(self, exchange: _Exchange) -> None:
        with self._lock:
            start = not self._idle
            if not start:
                self._idle -= 1
        self._work.put(exchange)
        if start:
            threading.Thread(target=self._serve, name="orsync-request", daemon=True).start()

    def _serve(self) -> None:
        while (exchange := self._work.get()) is not None:
            self._run(exchange)
            with self._lock:
                if self._closed:
                    return
                self._idle += 1

    def close(self) -> None:
        """Let every thread end once its exchange does."""
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, 0
        for _ in range(idle):
            self._work.put(None)


@dataclass
class _Exchange:
    """One request and its answer, run on a thread of its own."""

    request: httpx.Request
    done: threading.Event = field(default_factory=threading.Event)
    response: httpx.Response | None = None
    error: Exception | None = None


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
        concurrency: int = defaults.CONCURRENCY,
    ) -> None:
        self._key_env = key_env
        remember_secret(api_key)
        self._timeout = check_timeout(timeout)
        self._retry = retry or RetryPolicy()
        self._concurrency = check_concurrency(concurrency)
        self._throttle = _Throttle(self._concurrency)
        self._runners = _Runners(self._run_exchange)
        self._closed = threading.Event()
        self._lock = threading.Lock()
        self._waiting: set[threading.Event] = set()
        url = check_base_url(base_url)
        self._base_url = url
        self._http = httpx.Client(
            base_url=url,
            # Plain http (loopback only) has no TLS to verify: building the trust store for it
            # costs some 40 ms of every run. Any https URL is verified.
            verify=urlsplit(url).scheme != "http",
            headers={"Authorization": f"Bearer {api_key}", "User-Agent": f"orsync/{__version__}"},
            # httpx's own limits apply to each wait for bytes; `_exchange` bounds the whole.
            timeout=httpx.Timeout(self._timeout, connect=min(10.0, self._timeout)),
            # The throttle bounds the requests in flight. A request given up on keeps its
            # connection until it ends, so the pool must not make the retry wait for it.
            limits=httpx.Limits(max_connections=None, max_keepalive_connections=self._concurrency),
            follow_redirects=False,
        )

    def close(self) -> None:
        """Close the connections and wake every request and retry that waits, so they stop."""
        with self._lock:
            self._closed.set()
            waiting = list(self._waiting)
        self._throttle.close()
        self._runners.close()
        for event in waiting:
            event.set()
        self._http.close()

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # Destinations -------------------------------------------------------------------------

    def read_workspaces(
        self,
        workspace_ids: Sequence[str | None],
        *,
        progress: Callable[[int, int], None] | None = None,
        arrived: Callable[[int, Listing], None] | None = None,
    ) -> list[Listing]:
        """The listing of each workspace (None: the key's default one), several at a time, in
        the order asked.

        In the calling thread, as each listing comes (while other requests are in flight):
        `arrived(index, listing)`, then `progress(done, total)`.
        """
        total = len(workspace_ids)
        count = itertools.count(1)

        def came(index: int, listing: Listing) -> None:
            if arrived is not None:
                arrived(index, listing)
            if progress is not None:
                progress(next(count), total)

        return run_concurrently(
            self.read_destinations, workspace_ids, self._concurrency, arrived=came
        )

    def list_destinations(self, workspace_id: str | None = None) -> list[dict[str, Any]]:
        """Every destination of a workspace (the key's default one when None), all pages."""
        return self.read_destinations(workspace_id).items

    def read_destinations(self, workspace_id: str | None = None) -> Listing:
        """Every destination of a workspace, read until two reads agree if the first is doubtful.

        One read is enough when it holds exactly `total_count` different destinations. Else it
        is read again: the same answer twice is taken as it is (with a warning when it holds
        fewer than `total_count`, which may count destinations the listing hides), and an
        answer that keeps changing is an error, since what is missing would plan as creates.
        """
        label = f"workspace {workspace_id}" if workspace_id else "the default workspace"
        reads: list[_Read] = []
        while len(reads) < _LISTING_READS:
            current = self._read_pages(workspace_id)
            if current.whole() or (reads and current.same_as(reads[-1])):
                items = current.unique_items()
                _check_workspace(items, workspace_id, label)
                return Listing(items, current.warnings(label))
            reads.append(current)
        last = reads[-1].problem or "it listed other destinations than the read before"
        raise ApiError(
            f"the destinations of {label} kept changing while orsync read them "
            f"({_LISTING_READS} reads; the last: {last}); nothing was planned: "
            "try again when no one else is changing them"
        )

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

    # Workspaces ---------------------------------------------------------------------------

    def get_workspace(self, id_or_slug: str) -> dict[str, Any] | None:
        """One workspace by UUID or slug, or None when the API knows none by that name.

        Which status says so is not documented: 404, or 400 for a name it cannot read.
        """
        path = f"{_WORKSPACES}/{quote(id_or_slug, safe='')}"
        response = self._send("GET", path, allow={400, 404})
        if response.status_code in (400, 404):
            return None
        return _data_object(self._json(response), "GET workspace")

    def list_workspaces(self) -> list[dict[str, Any]]:
        """Every workspace the key can see: pages by `offset + len(page)` to the end."""
        items: list[Any] = []
        total = 0
        for _ in range(_MAX_PAGES):
            page, total = self._workspace_page(len(items))
            items.extend(page)
            if not page or len(items) >= total:
                break
        # A list that moved while read may repeat one.
        unique = list({_item_id(item, "a workspace"): item for item in items}.values())
        if len(unique) < total:
            # An audit of "every workspace" must not pass over one in silence.
            raise ApiError(
                f"unexpected API answer: total_count says {total} workspaces "
                f"but the pages hold {len(unique)} different ones"
            )
        return unique

    def _workspace_page(self, offset: int) -> tuple[list[Any], int]:
        params = {"offset": offset, "limit": PAGE_LIMIT}
        body = self._json(self._send("GET", _WORKSPACES, params=params))
        data, total = body.get("data"), body.get("total_count")
        if not isinstance(data, list) or isinstance(total, bool) or not isinstance(total, int):
            raise ApiError(
                "unexpected API answer: the workspaces list has no `data` list "
                "or no `total_count` number"
            )
        return data, total

    # Paging -------------------------------------------------------------------------------

    def _read_pages(self, workspace_id: str | None) -> _Read:
        """One read of a listing: pages at `offset + len(page)` until the first empty page, or
        a page shorter than asked that completes `total_count` (where the SDK stops too).

        The pages that `total_count` promises are asked for several at a time, at the first
        page's size; a shorter page moves the offsets after it, which are then asked again.
        """
        read = _Read()
        first, total = self._list_page(workspace_id, 0)
        read.add(first, total)
        step = len(first)
        while read.goes_on():
            if read.pages >= _MAX_PAGES:
                raise ApiError(
                    f"unexpected API answer: the destinations list goes on past {_MAX_PAGES} "
                    "pages: more pages than orsync will read"
                )
            offsets = _next_offsets(len(read.ids), step, read.totals[-1], self._concurrency)
            pages = run_concurrently(
                lambda offset: self._list_page(workspace_id, offset),
                offsets,
                self._concurrency,
            )
            for offset, (page, page_total) in zip(offsets, pages, strict=True):
                if offset != len(read.ids) or not read.goes_on():
                    break
                read.add(page, page_total)
        return read

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
        if total > _MAX_COUNT:
            raise ApiError("unexpected API answer: total_count is not a plausible count")
        label = workspace_id or "default workspace"
        for index, item in enumerate(data, start=offset):
            _item_id(item, f"{label}, item {index}")
        return data, total

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
        attempts = self._retry.attempts if retry else 1
        give_up = math.inf
        for attempt in range(attempts):
            self._throttle.acquire()
            try:
                started = time.monotonic()
                if not attempt:
                    # Each try ends by --timeout; the retries, and their waits, by the retry
                    # deadline, counted from when the first try could start.
                    give_up = started + self._retry.deadline
                deadline = started + self._timeout
                request = self._http.build_request(method, self._url(path, params), json=json)
                outcome = self._try(request, min(deadline, give_up) if attempt else deadline)
            finally:
                self._throttle.release()
            if isinstance(outcome, (httpx.TimeoutException, _DeadlinePassed)):
                error = ApiError(
                    f"{method} {path}: the API did not answer in time (no whole answer "
                    f"within {self._timeout:g} s; {_tries(attempt + 1)})"
                )
                wait = self._retry.backoff(attempt)
            elif isinstance(outcome, httpx.TransportError):
                error = ApiError(
                    f"{method} {path}: could not reach the API at {self._http.base_url} "
                    f"({type(outcome).__name__})"
                )
                wait = self._retry.backoff(attempt)
            else:
                status = outcome.status_code
                if 200 <= status < 300 or status in allow:
                    return outcome
                if 300 <= status < 400:
                    # Never followed: the key would go along, and a 3xx is no answer to what
                    # was asked.
                    raise ApiError(
                        f"{method} {path}: the API answered {status}, a redirect to "
                        f"{_redirect_target(outcome)}, which orsync does not follow "
                        "(check --base-url)",
                        status=status,
                    )
                error = self._failure(outcome, method, path, tries=attempt + 1)
                if status not in _RETRY_STATUSES:
                    raise error
                wait = self._wait_for(outcome, attempt)
            if attempt == attempts - 1 or time.monotonic() + wait > give_up:
                raise error from (outcome if isinstance(outcome, Exception) else None)
            if isinstance(outcome, httpx.Response) and outcome.status_code == 429:
                self._throttle.pause(wait)
            if self._closed.wait(wait):
                raise _Cancelled()
        raise AssertionError("unreachable: the last try returns or raises")

    def _url(self, path: str, params: Mapping[str, str | int] | None) -> str:
        """The whole URL of a request: given a path and parameters apart, httpx parses and
        checks a URL three times over, a cost each request paid."""
        url = self._base_url + path
        return f"{url}?{urlencode(params)}" if params else url

    def _try(
        self, request: httpx.Request, deadline: float
    ) -> httpx.Response | httpx.TransportError | _DeadlinePassed:
        """One try: the answer, or the failure that may be retried."""
        try:
            return self._exchange(request, deadline)
        except (httpx.TimeoutException, _DeadlinePassed, httpx.TransportError) as exc:
            return exc

    def _exchange(self, request: httpx.Request, deadline: float) -> httpx.Response:
        """Send a request and read its whole answer, or give up on it at `deadline`.

        The request runs on a daemon thread: one given up on goes on alone until the server or
        httpx's own timeout ends it, and never holds the process at exit.
        """
        exchange = _Exchange(request)
        with self._lock:
            if self._closed.is_set():
                raise _Cancelled()
            self._waiting.add(exchange.done)
        try:
            self._runners.submit(exchange)
            finished = exchange.done.wait(max(0.0, deadline - time.monotonic()))
        finally:
            with self._lock:
                self._waiting.discard(exchange.done)
        if self._closed.is_set():
            raise _Cancelled()
        if not finished:
            raise _DeadlinePassed()
        if exchange.error is not None:
            raise exchange.error
        assert exchange.response is not None
        return exchange.response

    def _run_exchange(self, exchange: _Exchange) -> None:
        try:
            response = self._http.send(exchange.request, stream=True)
            try:
                response.read()
            finally:
                response.close()
            exchange.response = response
        except Exception as exc:  # handed over to the waiting thread, which raises it
            exchange.error = exc
        finally:
            exchange.done.set()

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
        after = f" after {_tries(tries)}" if tries > 1 else ""
        if status == 429:
            return ApiError(f"{method} {path}: rate limited by the API (429){after}", status=status)
        return ApiError(
            f"{method} {path}: the API answered {status}{after}: {detail}", status=status
        )

    def _json(self, response: httpx.Response) -> dict[str, Any]:
        where = f"{response.request.method} {response.request.url.path}"
        try:
            body = response.json()
        except RecursionError:
            raise ApiError(f"unexpected API answer to {where}: JSON nested too deeply") from None
        except ValueError:
            kind = response.headers.get("Content-Type", "no content type").split(";")[0]
            raise ApiError(
                f"unexpected API answer to {where}: not JSON "
                f"({kind}, {len(response.content)} bytes)"
            ) from None
        if not isinstance(body, dict):
            raise ApiError("unexpected API answer: the body is not a JSON object")
        return body


def run_concurrently(
    function: Callable[[T], R],
    args: Sequence[T],
    workers: int,
    *,
    arrived: Callable[[int, R], None] | None = None,
) -> list[R]:
    """`function` of each of `args`, `workers` at a time; the results in the order of `args`.

    `arrived(index, result)` runs in the calling thread as each call ends, so that work on a
    result overlaps the calls still running without holding up the threads that make them.
    The first failure, or a Ctrl-C in the calling thread, returns at once: calls not started
    are cancelled, and calls in flight are not waited for (with a thread pool's own exit, a
    Ctrl-C waited for every request in flight and its retries). They stop when the client is
    closed.
    """
    if workers <= 1 or len(args) <= 1:
        results = []
        for index, arg in enumerate(args):
            results.append(function(arg))
            if arrived is not None:
                arrived(index, results[-1])
        return results
    pool = ThreadPoolExecutor(max_workers=min(workers, len(args)))
    try:
        futures = [pool.submit(function, arg) for arg in args]
        index_of = {future: index for index, future in enumerate(futures)}
        # One waiter on every call, for all of them: waiting again for each that ends would
        # go over all the calls each time.
        for future in as_completed(futures):
            if future.exception() is not None:
                # Of the calls ended by now, the first failure in the order asked.
                for ended in futures:
                    error = ended.exception() if ended.done() else None
                    if error is not None:
                        raise error
            if arrived is not None:
                arrived(index_of[future], future.result())
        return [future.result() for future in futures]
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


@dataclass
class _Read:
    """One pass over the pages of a listing, and what makes it doubtful on its own."""

    items: list[dict[str, Any]] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)
    totals: list[int] = field(default_factory=list)
    pages: int = 0
    ended: bool = False  # an empty page, or a short one completing total_count: it is over
    stalled: bool = False  # a page held no destination not already listed
    problem: str | None = None

    def add(self, page: list[Any], total: int) -> None:
        self.pages += 1
        if self.totals and total != self.totals[0]:
            self.problem = f"total_count went from {self.totals[0]} to {total}"
        self.totals.append(total)
        seen = set(self.ids)
        new = 0
        for item in page:
            ident = item["id"]  # checked by _list_page
            if ident in seen:
                self.problem = f"destination {ident} was listed twice"
            else:
                new += 1
                seen.add(ident)
            self.ids.append(ident)
            self.items.append(item)
        if page and not new:
            # Either the list moved by a whole page, or the server does not page by offset:
            # either way, reading on would not end.
            self.stalled = True
            self.problem = "a page held only destinations already listed"
        # A page shorter than asked ends the listing when it completes total_count: then no
        # empty page is asked for, which would cost each listing a second round trip.
        complete = self.problem is None and len(self.ids) == total
        self.ended = not page or (len(page) < PAGE_LIMIT and complete)

    def goes_on(self) -> bool:
        return not (self.ended or self.stalled)

    def whole(self) -> bool:
        """Complete and consistent in itself: every page agrees, and total_count is met."""
        return self.ended and self.problem is None and len(self.ids) == self.totals[0]

    def same_as(self, other: _Read) -> bool:
        """The same listing as another complete read: it held still between the two."""
        complete = self.ended and other.ended
        return complete and (self.ids, self.totals) == (other.ids, other.totals)

    def unique_items(self) -> list[dict[str, Any]]:
        seen: set[str] = set()
        unique = []
        for ident, item in zip(self.ids, self.items, strict=True):
            if ident not in seen:
                seen.add(ident)
                unique.append(item)
        return unique

    def warnings(self, label: str) -> tuple[str, ...]:
        total, listed = self.totals[0], len(set(self.ids))
        if total <= listed:
            return ()
        return (
            f"{label}: total_count says {total} destinations, but the listing holds {listed}, "
            "the same on two reads. The API may count destinations it does not list (of "
            f"types not yet stable, or deleted); orsync goes on with the {listed} listed",
        )


def _next_offsets(offset: int, step: int, total: int, window: int) -> list[int]:
    """The offsets of the next pages, if each holds `step` destinations as the first did.

    Up to `window` of the pages `total_count` promises, then, when the last of them would be
    as long as asked, the offset where it says the listing ends: only an empty page, or a
    shorter one, proves the end.
    """
    offsets = list(itertools.islice(range(offset, total, step), window))
    if len(offsets) < window and (not offsets or total - offsets[-1] >= PAGE_LIMIT):
        offsets.append(max(offset, total))
    return offsets


def _item_id(item: Any, where: str) -> str:
    if not isinstance(item, dict):
        raise ApiError(f"unexpected API answer: {where} is not an object")
    ident = item.get("id")
    if not isinstance(ident, str) or not ident:
        raise ApiError(f"unexpected API answer: {where}: `id` is not a non-empty string")
    return ident


def _check_workspace(items: list[dict[str, Any]], workspace_id: str | None, label: str) -> None:
    """Every item belongs to the workspace asked for (the default one: all to one workspace).

    A proxy that drops `?workspace_id=` would otherwise plan one workspace against another's
    destinations.
    """
    owners: dict[str, str] = {}
    for item in items:
        owner = item.get("workspace_id")
        if owner is None:
            continue
        if not isinstance(owner, str):
            raise ApiError(
                f"unexpected API answer: destination {item['id']}: `workspace_id` is not a string"
            )
        owners.setdefault(owner, item["id"])
    if workspace_id is None and len(owners) > 1:
        first, second = sorted(owners)[:2]
        raise ApiError(
            f"unexpected API answer: the list of {label} mixes destinations of workspaces "
            f"{first} and {second} (destinations {owners[first]}, {owners[second]})"
        )
    strangers = sorted(set(owners) - {workspace_id}) if workspace_id else []
    if strangers:
        other = strangers[0]
        raise ApiError(
            f"unexpected API answer: the list of {label} holds destination {owners[other]} of "
            f"workspace {other} (was `?workspace_id=` lost on the way, by a proxy?)"
        )


def check_concurrency(count: int) -> int:
    """Requests in flight at once: 1 (one at a time) or more."""
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise UsageError("--concurrency (or ORSYNC_CONCURRENCY) must be a whole number, 1 or more")
    return count


def _tries(count: int) -> str:
    return f"{count} tries" if count != 1 else "1 try"


def _redirect_target(response: httpx.Response) -> str:
    """Where a 3xx pointed, without credentials, query or fragment (they may hold secrets)."""
    location = response.headers.get("Location", "").strip()
    if not location:
        return "nowhere (no Location header)"
    try:
        parts = urlsplit(location)
    except ValueError:
        return "an unreadable Location"
    host = parts.netloc.rpartition("@")[2]
    shown = urlunsplit((parts.scheme, host, parts.path, "", ""))
    printable = "".join(c if c.isprintable() else "?" for c in shown)
    return printable[:_SHOWN_LOCATION] or "an empty Location"


def _error_message(response: httpx.Response) -> str:
    """The API's error message when the body has one; proxies send HTML or nothing."""
    try:
        body = response.json()
    except RecursionError:
        return "a JSON body nested too deeply"
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
