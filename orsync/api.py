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
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import httpx

from orsync import __version__, defaults
from orsync.api_settings import (
    MAX_TIMEOUT,
    check_base_url,
    check_concurrency,
    check_timeout,
    read_api_key,
)
from orsync.errors import ApiError, AuthError
from orsync.listing import (
    LISTING_READS,
    MAX_COUNT,
    MAX_PAGES,
    Listing,
    ListingRead,
    check_workspace,
    item_id,
    next_offsets,
)
from orsync.sensitive import remember_secret
from orsync.transport import (
    RETRY_STATUSES,
    Cancelled,
    DeadlinePassed,
    Exchange,
    RetryPolicy,
    Runners,
    Throttle,
    error_message,
    redirect_target,
    run_concurrently,
    tries_text,
)

__all__ = [
    "MAX_TIMEOUT",
    "PAGE_LIMIT",
    "ApiClient",
    "Listing",
    "RetryPolicy",
    "check_base_url",
    "check_concurrency",
    "check_timeout",
    "read_api_key",
    "run_concurrently",
]

PAGE_LIMIT = defaults.PAGE_LIMIT
_DESTINATIONS = "/observability/destinations"
_WORKSPACES = "/workspaces"


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
        self._throttle = Throttle(self._concurrency)
        self._runners = Runners(self._run_exchange)
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
        reads: list[ListingRead] = []
        while len(reads) < LISTING_READS:
            current = self._read_pages(workspace_id)
            if current.whole() or (reads and current.same_as(reads[-1])):
                items = current.unique_items()
                check_workspace(items, workspace_id, label)
                return Listing(items, current.warnings(label))
            reads.append(current)
        last = reads[-1].problem or "it listed other destinations than the read before"
        raise ApiError(
            f"the destinations of {label} kept changing while orsync read them "
            f"({LISTING_READS} reads; the last: {last}); nothing was planned: "
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
        for _ in range(MAX_PAGES):
            page, total = self._workspace_page(len(items))
            items.extend(page)
            if not page or len(items) >= total:
                break
        # A list that moved while read may repeat one.
        unique = list({item_id(item, "a workspace"): item for item in items}.values())
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

    def _read_pages(self, workspace_id: str | None) -> ListingRead:
        """One read of a listing: pages at `offset + len(page)` until the first empty page, or
        a page shorter than asked that completes `total_count` (where the SDK stops too).

        The pages that `total_count` promises are asked for several at a time, at the first
        page's size; a shorter page moves the offsets after it, which are then asked again.
        """
        read = ListingRead()
        first, total = self._list_page(workspace_id, 0)
        read.add(first, total)
        step = len(first)
        while read.goes_on():
            if read.pages >= MAX_PAGES:
                raise ApiError(
                    f"unexpected API answer: the destinations list goes on past {MAX_PAGES} "
                    "pages: more pages than orsync will read"
                )
            offsets = next_offsets(len(read.ids), step, read.totals[-1], self._concurrency)
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
                f"(the API answered {response.status_code}: {error_message(response)})",
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
        if total > MAX_COUNT:
            raise ApiError("unexpected API answer: total_count is not a plausible count")
        label = workspace_id or "default workspace"
        for index, item in enumerate(data, start=offset):
            item_id(item, f"{label}, item {index}")
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
            if isinstance(outcome, (httpx.TimeoutException, DeadlinePassed)):
                error = ApiError(
                    f"{method} {path}: the API did not answer in time (no whole answer "
                    f"within {self._timeout:g} s; {tries_text(attempt + 1)})"
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
                        f"{redirect_target(outcome)}, which orsync does not follow "
                        "(check --base-url)",
                        status=status,
                    )
                error = self._failure(outcome, method, path, tries=attempt + 1)
                if status not in RETRY_STATUSES:
                    raise error
                wait = self._wait_for(outcome, attempt)
            if attempt == attempts - 1 or time.monotonic() + wait > give_up:
                raise error from (outcome if isinstance(outcome, Exception) else None)
            if isinstance(outcome, httpx.Response) and outcome.status_code == 429:
                self._throttle.pause(wait)
            if self._closed.wait(wait):
                raise Cancelled()
        raise AssertionError("unreachable: the last try returns or raises")

    def _url(self, path: str, params: Mapping[str, str | int] | None) -> str:
        """The whole URL of a request: given a path and parameters apart, httpx parses and
        checks a URL three times over, a cost each request paid."""
        url = self._base_url + path
        return f"{url}?{urlencode(params)}" if params else url

    def _try(
        self, request: httpx.Request, deadline: float
    ) -> httpx.Response | httpx.TransportError | DeadlinePassed:
        """One try: the answer, or the failure that may be retried."""
        try:
            return self._exchange(request, deadline)
        except (httpx.TimeoutException, DeadlinePassed, httpx.TransportError) as exc:
            return exc

    def _exchange(self, request: httpx.Request, deadline: float) -> httpx.Response:
        """Send a request and read its whole answer, or give up on it at `deadline`.

        The request runs on a daemon thread: one given up on goes on alone until the server or
        httpx's own timeout ends it, and never holds the process at exit.
        """
        exchange = Exchange(request)
        with self._lock:
            if self._closed.is_set():
                raise Cancelled()
            self._waiting.add(exchange.done)
        try:
            self._runners.submit(exchange)
            finished = exchange.done.wait(max(0.0, deadline - time.monotonic()))
        finally:
            with self._lock:
                self._waiting.discard(exchange.done)
        if self._closed.is_set():
            raise Cancelled()
        if not finished:
            raise DeadlinePassed()
        if exchange.error is not None:
            raise exchange.error
        assert exchange.response is not None
        return exchange.response

    def _run_exchange(self, exchange: Exchange) -> None:
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
        detail = error_message(response)
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
        after = f" after {tries_text(tries)}" if tries > 1 else ""
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


def _data_object(body: Mapping[str, Any], what: str) -> dict[str, Any]:
    data = body.get("data")
    if not isinstance(data, dict):
        raise ApiError(f"unexpected API answer to {what}: no `data` object")
    return data
