"""How one request travels: retries and their policy, the bound on requests in flight and the
shared pause after a 429, and the threads that carry requests out."""

from __future__ import annotations

import queue
import random
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import TypeVar

import httpx

from orsync.errors import ApiError

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


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


class Cancelled(ApiError):
    """The client was closed while a request waited: the run is stopping."""

    def __init__(self) -> None:
        super().__init__("request cancelled: the API client was closed")


class DeadlinePassed(Exception):
    """No complete answer by the deadline of one try."""


class Throttle:
    """The requests in flight, at most `limit` at a time, and a pause that every request about
    to be sent waits out (after a 429). Closing it wakes every waiter, to stop."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._busy = 0
        self._resume_at = 0.0
        self._closed = False
        self._changed = threading.Condition()

    def acquire(self) -> None:
        """Wait for a free place and the end of any pause; raise Cancelled once closed."""
        with self._changed:
            while True:
                if self._closed:
                    raise Cancelled()
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


class Runners:
    """Daemon threads that carry out exchanges, each kept for the next once its own ends:
    starting a thread per request cost more CPU than the request, and a wait for the new
    thread to be scheduled. A thread busy with a request given up on is not waited for: the
    next exchange gets another thread."""

    def __init__(self, run: Callable[[Exchange], None]) -> None:
        self._run = run
        self._work: queue.SimpleQueue[Exchange | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._idle = 0
        self._closed = False

    def submit(self, exchange: Exchange) -> None:
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
class Exchange:
    """One request and its answer, run on a thread of its own."""

    request: httpx.Request
    done: threading.Event = field(default_factory=threading.Event)
    response: httpx.Response | None = None
    error: Exception | None = None


class Carrier:
    """Sends each request on a thread of its own and waits for its whole answer up to a
    deadline: httpx's timeouts bound each wait for bytes, not a request. A request given up on
    goes on alone until the server or httpx's own timeout ends it, on a daemon thread that
    never holds the process at exit. Closing wakes every waiter at once."""

    def __init__(self, http: httpx.Client) -> None:
        self._http = http
        self._runners = Runners(self._run)
        # Set once closed: a retry waits on it between tries, to stop at once.
        self.closed = threading.Event()
        self._lock = threading.Lock()
        self._waiting: set[threading.Event] = set()

    def close(self) -> None:
        with self._lock:
            self.closed.set()
            waiting = list(self._waiting)
        self._runners.close()
        for event in waiting:
            event.set()

    def exchange(self, request: httpx.Request, deadline: float) -> httpx.Response:
        """Send a request and read its whole answer; DeadlinePassed at `deadline` (a
        `time.monotonic()` value), Cancelled once closed."""
        exchange = Exchange(request)
        with self._lock:
            if self.closed.is_set():
                raise Cancelled()
            self._waiting.add(exchange.done)
        try:
            self._runners.submit(exchange)
            finished = exchange.done.wait(max(0.0, deadline - time.monotonic()))
        finally:
            with self._lock:
                self._waiting.discard(exchange.done)
        if self.closed.is_set():
            raise Cancelled()
        if not finished:
            raise DeadlinePassed()
        if exchange.error is not None:
            raise exchange.error
        assert exchange.response is not None
        return exchange.response

    def _run(self, exchange: Exchange) -> None:
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
