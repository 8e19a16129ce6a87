"""Benchmark: reading the live state of many workspaces, sequentially and concurrently.

Starts the fake management API on 127.0.0.1 with W workspaces of D destinations each, adds a
fixed latency to every answer (a stand-in for the network), and times `read_live` with one
request at a time against the default concurrency. Then times the diff on the same state.

    python bench/bench_read_live.py [--workspaces 40] [--destinations 120] [--latency 0.02]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from fake_api import MANAGEMENT_KEY, FakeApi, seed_destinations

from orsync.api import ApiClient
from orsync.config import load_config_text
from orsync.diff import plan_changes
from orsync.live import read_live
from orsync.model import LiveState


def timed(action: Callable[[], object], repeat: int) -> tuple[float, object]:
    """Median wall time of `repeat` runs, and the last result."""
    times = []
    result: object = None
    for _ in range(repeat):
        started = time.perf_counter()
        result = action()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def workspace_ids(count: int) -> list[str]:
    return [f"00000000-0000-4000-8000-{n + 2:012d}" for n in range(count)]


def config_for(live: LiveState) -> str:
    """A config declaring every live destination as it is (webhook-style generic keys only)."""
    lines = ["version: 1", "workspaces:"]
    for workspace in live.workspaces:
        lines += [f"  - id: {workspace.id}", "    destinations:"]
        for item in workspace.destinations:
            lines += [f"      - name: {item.name}", f"        type: {item.type}"]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workspaces", type=int, default=40)
    parser.add_argument("--destinations", type=int, default=120)
    parser.add_argument("--latency", type=float, default=0.02, help="seconds added per answer")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    ids = workspace_ids(args.workspaces)
    with FakeApi(workspaces=ids) as api:
        for workspace in ids:
            seed_destinations(api, args.destinations, workspace)
        api.fail(status=200, delay=args.latency, times=10**9)
        runs: dict[str, float] = {}
        live: object = None
        for label, workers, pages in (("sequential", 1, 1), ("concurrent", 8, 4)):
            with ApiClient(api.base_url, MANAGEMENT_KEY, page_concurrency=pages) as client:

                def read(client: ApiClient = client, workers: int = workers) -> LiveState:
                    return read_live(client, ids, concurrency=workers)

                runs[label], live = timed(read, args.repeat)
        requests = len(api.requests)
    assert isinstance(live, LiveState)
    total = sum(len(w.destinations) for w in live.workspaces)
    print(
        f"read_live: {args.workspaces} workspaces x {args.destinations} destinations "
        f"({total} items), {args.latency * 1000:.0f} ms latency per answer, "
        f"median of {args.repeat}; {requests} requests in all"
    )
    for label, seconds in runs.items():
        print(f"  {label:<11} {seconds:8.3f} s")
    print(f"  speed-up    {runs['sequential'] / runs['concurrent']:8.1f}x")

    desired = load_config_text(config_for(live), "bench.yaml", {})
    seconds, plan = timed(lambda: plan_changes(desired, live), args.repeat)
    print(
        f"plan_changes on {total} destinations: {seconds * 1000:.1f} ms "
        f"({seconds / total * 1e6:.1f} us per destination)"
    )
    assert plan is not None


if __name__ == "__main__":
    main()
