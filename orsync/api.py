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
on Ctrl-C) wakes every caller at once, and every wait between retries. How a request travels
(retries, the bound, those threads) is `orsync.transport`; reading answers, `orsync.answers`.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar
from urllib.parse import quote, urlencode, urlsplit

import httpx

from orsync import __version__, defaults
from orsync.answers import (
    data_object,
    error_message,
    failure,
    json_body,
    page_of,
    redirect_target,
    retry_after,
    tries_text,
)
from orsync.api_settings import (
    check_base_url,
    check_concurrency,
    check_timeout,
    read_api_key,
)
from orsync.errors import ApiError
from orsync.listing import (
    LISTING_READS,
    MAX_COUNT,
    MAX_PAGES,
    PAGE_LIMIT,
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
    Carrier,
    DeadlinePassed,
    RetryPolicy,
    Throttle,
    run_concurrently,
)
from orsync.workspaces import workspace_label

__all__ = [
    "PAGE_LIMIT",
    "ApiClient",
    "Listing",
    "RetryPolicy",
    "check_base_url",
    "check_concurrency",
    "check_timeout",
    "read_api_key",
]

_DESTINATIONS = "/observability/destinations"
_T = TypeVar("_T")
_R = TypeVar("_R")
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
        url = check_base_url(base_url)
        self._base_url = url
        self._http = httpx.Client(
            base_url=url,
            # Plain http (loopback only) has no TLS to verify: building the trust store for it
            # costs some 40 ms of every run. Any https URL is verified.
            verify=urlsplit(url).scheme != "http",
            headers={"Authorization": f"Bearer {api_key}", "User-Agent": f"orsync/{__version__}"},
            # httpx's own limits apply to each wait for bytes; `Carrier.exchange` bounds the whole.
            timeout=httpx.Timeout(self._timeout, connect=min(10.0, self._timeout)),
            # The throttle bounds the requests in flight. A request given up on keeps its
            # connection until it ends, so the pool must not make the retry wait for it.
            limits=httpx.Limits(max_connections=None, max_keepalive_connections=self._concurrency),
            follow_redirects=False,
        )
        self._carrier = Carrier(self._http)

    def close(self) -> None:
        """Close the connections and wake every request and retry that waits, so they stop."""
        self._carrier.close()
        self._throttle.close()
        self._http.close()

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def each(self, call: Callable[[_T], _R], args: Sequence[_T]) -> list[_R]:
        """`call` of each of `args`, as many at a time as the client allows; the results in
        the order of `args`. The first failure, or a Ctrl-C, returns at once."""
        return run_concurrently(call, args, self._concurrency)

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
        label = workspace_label(workspace_id)
        previous: ListingRead | None = None
        for _ in range(LISTING_READS):
            current = self._read_pages(workspace_id)
            if current.whole() or (previous is not None and current.same_as(previous)):
                items = current.unique_items()
                check_workspace(items, workspace_id, label)
                return Listing(items, current.warnings(label))
            previous = current
        assert previous is not None
        last = previous.problem or "it listed other destinations than the read before"
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
        return data_object(json_body(response), "GET destination")

    def create_destination(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """POST a new destination. Never retried: the caller checks whether it took effect."""
        response = self._send("POST", _DESTINATIONS, json=dict(body), retry=False)
        return data_object(json_body(response), "create")

    def update_destination(self, destination_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """PATCH the given fields of a destination."""
        response = self._send("PATCH", f"{_DESTINATIONS}/{destination_id}", json=dict(body))
        return data_object(json_body(response), "update")

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
        return data_object(json_body(response), "GET workspace")

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
        return page_of(json_body(self._send("GET", _WORKSPACES, params=params)), "workspaces")

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
        # A workspace that is not there, or not the key's, is named as such; any other 4xx is
        # the usual error.
        missing = frozenset({400, 404}) if workspace_id is not None else frozenset()
        response = self._send("GET", _DESTINATIONS, params=params, allow=missing)
        if response.status_code in missing:
            raise ApiError(
                f"workspace {workspace_id} was not found, or the key cannot see it "
                f"(the API answered {response.status_code}: {error_message(response)})",
                status=response.status_code,
            )
        data, total = page_of(json_body(response), "destinations")
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
                asked = retry_after(outcome)
                wait = (
                    self._retry.backoff(attempt)
                    if asked is None
                    else min(asked, self._retry.max_retry_after)
                )
            if attempt == attempts - 1 or time.monotonic() + wait > give_up:
                raise error from (outcome if isinstance(outcome, Exception) else None)
            if isinstance(outcome, httpx.Response) and outcome.status_code == 429:
                self._throttle.pause(wait)
            if self._carrier.closed.wait(wait):
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
            return self._carrier.exchange(request, deadline)
        except (httpx.TimeoutException, DeadlinePassed, httpx.TransportError) as exc:
            return exc

    def _failure(
        self, response: httpx.Response, method: str, path: str, *, tries: int = 1
    ) -> ApiError:
        return failure(response, method, path, key_env=self._key_env, tries=tries)
