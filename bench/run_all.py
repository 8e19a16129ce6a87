"""Every benchmark of README.md's Performance section: each figure, its goal, and its baseline.

    python bench/run_all.py [--repeat 3] [--only 1,3] [--before PATH]

Each benchmark runs the real program (`python -m orsync`) in a process of its own, against
`tests/fake_api.py` started in another process (so the fake's CPU is not counted as orsync's),
and measures wall time, or CPU time and peak memory of the orsync process alone. Figures are
medians of `--repeat` runs; the baselines are measured in the same run, on the same machine:

1. `plan` over 200 workspaces of 20 destinations, 50 ms added to every request: the default
   `--concurrency` against `--concurrency 1`, and against the round-trip floor; beside it, a
   bare client making the same requests, to show what the fake itself adds to the floor.
2. One workspace of 1,000 destinations (pages of 100): the round trips that 50 ms of latency
   adds, against 0 ms, with the default concurrency and with one request at a time.
3. `plan --snapshot` over 10,000 destinations (500 workspaces of 20): CPU and peak memory,
   beside what reading the snapshot's JSON alone costs.
4. Start-up: `orsync --version`, and `validate` of a file of 100 destinations, against a bare
   `python -c pass`.

`--before PATH` runs every benchmark a second time with the orsync package of another checkout
(an older commit, say `git worktree add /tmp/before <commit>`), and prints its figures beside.

orsync's bytecode is compiled once, before the runs, as it is for an installed package:
PYTHONDONTWRITEBYTECODE is not passed on, so that no run pays for compiling every module.
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from fake_api import MANAGEMENT_KEY, bench_workspace_ids
from workload import write_config

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent

PYTHON = sys.executable
LATENCY = 0.05
# What a run may cost at most before it counts as hung.
RUN_TIMEOUT = 300


@dataclass(frozen=True)
class Run:
    """One process: wall time, CPU time (user + system) and peak resident memory."""

    wall: float
    cpu: float
    max_rss_mb: float


@dataclass(frozen=True)
class FakeStats:
    requests: int
    max_in_flight: int


class Fake:
    """`tests/fake_api.py` serving in its own process."""

    def __init__(self, *args: str) -> None:
        self.process = subprocess.Popen(
            [PYTHON, str(ROOT / "tests" / "fake_api.py"), *args],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        self.base_url = ""
        for line in self.process.stdout:
            if line.startswith("base_url="):
                self.base_url = line.strip().partition("=")[2]
            if line.strip() == "ready":
                break
        if not self.base_url:
            raise RuntimeError("the fake API did not start")
        self.stats = FakeStats(0, 0)

    def stop(self) -> FakeStats:
        self.process.terminate()
        output, _ = self.process.communicate(timeout=30)
        for line in output.splitlines():
            if line.startswith("requests="):
                fields = dict(part.split("=") for part in line.split())
                self.stats = FakeStats(int(fields["requests"]), int(fields["max_in_flight"]))
        return self.stats


@contextmanager
def fake_api(*args: str) -> Iterator[Fake]:
    fake = Fake(*args)
    try:
        yield fake
    finally:
        fake.stop()


class Program:
    """The orsync under test: this checkout's, or another's (`--before`)."""

    def __init__(self, label: str, package_root: Path, workdir: Path) -> None:
        self.label = label
        self.package_root = package_root
        self.workdir = workdir
        self.slug = "".join(c if c.isalnum() else "-" for c in label)
        package = str(package_root / "orsync")
        subprocess.run([PYTHON, "-m", "compileall", "-q", package], env=self.environ(), check=True)
        # From the scratch directory: `python -m` looks in the working directory first.
        help_text = subprocess.run(
            [PYTHON, "-m", "orsync", "plan", "--help"],
            cwd=workdir,
            env=self.environ(),
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        self.has_concurrency = "--concurrency" in help_text

    def environ(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        environ = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("ORSYNC_", "OPENROUTER_"))
            and k not in ("NO_COLOR", "CI", "PYTHONDONTWRITEBYTECODE")
        }
        environ["PYTHONPATH"] = str(self.package_root)
        environ["OPENROUTER_MANAGEMENT_KEY"] = MANAGEMENT_KEY
        environ.update(extra or {})
        return environ

    def run(self, args: Sequence[str], env: dict[str, str] | None = None) -> Run:
        return measure([PYTHON, "-m", "orsync", *args], self.environ(env), self.workdir)


def measure(command: Sequence[str], env: dict[str, str] | None, cwd: Path) -> Run:
    """Run a command to its end, its stdout discarded; its own CPU time and peak memory."""
    with tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        process = subprocess.Popen(
            list(command), cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=err
        )
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        stderr = err.read().decode("utf-8", "replace")
    if process.returncode not in (0, 2):
        raise RuntimeError(f"{' '.join(command[2:])} failed ({process.returncode}): {stderr}")
    return Run(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024)


def median_run(runs: list[Run]) -> Run:
    """Each figure's median over the runs (they need not come from one run)."""
    return Run(
        statistics.median(r.wall for r in runs),
        statistics.median(r.cpu for r in runs),
        statistics.median(r.max_rss_mb for r in runs),
    )


def verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def line(label: str, value: str, note: str = "") -> None:
    print(f"   {label:<34} {value:>12}   {note}".rstrip())


# 1. Many workspaces ---------------------------------------------------------------------------


def bench_workspaces(program: Program, scratch: Path, repeat: int) -> None:
    workspaces, per_workspace, concurrency = 200, 20, 8
    ids: list[str | None] = list(bench_workspace_ids(workspaces))
    config = write_config(scratch / "workspaces.yaml", ids, per_workspace, drift_every=20)
    args = ["plan", "-c", str(config)]
    print(
        f"1. plan: {workspaces} workspaces x {per_workspace} destinations, "
        f"{LATENCY * 1000:.0f} ms per request ({program.label}, median of {repeat})"
    )
    fake_args = ("--workspaces", str(workspaces), "--destinations", str(per_workspace))
    with fake_api(*fake_args, "--latency", str(LATENCY)) as fake:
        env = {"ORSYNC_BASE_URL": fake.base_url}
        runs = [program.run(args, env) for _ in range(repeat)]
    concurrent, stats = median_run(runs), fake.stats
    with fake_api(*fake_args, "--latency", str(LATENCY)) as fake:
        bare = statistics.median(
            bare_client(fake.base_url, ids, concurrency) for _ in range(repeat)
        )
    line(
        "default concurrency",
        f"{concurrent.wall:.2f} s",
        f"{concurrent.cpu:.2f} s CPU; {stats.requests // repeat} requests, "
        f"at most {stats.max_in_flight} in flight",
    )
    # The floor: every workspace needs one request (its destinations fit in a page), and
    # `concurrency` of them are in flight at once, each taking one latency.
    floor = math.ceil(workspaces * 1 / concurrency) * LATENCY
    line(
        "round-trip floor",
        f"{floor:.2f} s",
        f"= ceil({workspaces} workspaces x 1 request / {concurrency}) x {LATENCY * 1000:.0f} ms",
    )
    ratio = concurrent.wall / floor
    line("against the floor", f"{ratio:.2f}x", f"goal <= 1.3x   {verdict(ratio <= 1.3)}")
    line(
        "a bare client (baseline)",
        f"{bare:.2f} s",
        f"{bare / floor:.2f}x the floor: the same requests, {concurrency} threads of http.client",
    )
    if not program.has_concurrency:
        line("--concurrency 1 (baseline)", "n/a", "this orsync has no --concurrency")
        return
    with fake_api(*fake_args, "--latency", str(LATENCY)) as fake:
        env = {"ORSYNC_BASE_URL": fake.base_url}
        sequential = program.run([*args, "--concurrency", "1"], env)
    line(
        "--concurrency 1 (baseline)",
        f"{sequential.wall:.2f} s",
        f"{fake.stats.requests} requests, at most {fake.stats.max_in_flight} in flight",
    )
    speedup = sequential.wall / concurrent.wall
    line("speed-up", f"{speedup:.1f}x", f"goal >= 6.5x   {verdict(speedup >= 6.5)}")


def bare_client(base_url: str, workspace_ids: Sequence[str | None], threads: int) -> float:
    """The seconds a bare client takes to list the workspaces, `threads` requests at a time
    (no config, no checks, no plan): what the fake and the network leave above the floor."""
    parts = urlsplit(base_url)
    pending = list(workspace_ids)
    lock = threading.Lock()

    def work() -> None:
        connection = http.client.HTTPConnection(parts.hostname or "", parts.port)
        headers = {"Authorization": f"Bearer {MANAGEMENT_KEY}"}
        while True:
            with lock:
                if not pending:
                    break
                workspace = pending.pop()
            query = "offset=0&limit=100" + (f"&workspace_id={workspace}" if workspace else "")
            connection.request(
                "GET", f"{parts.path}/observability/destinations?{query}", headers=headers
            )
            json.loads(connection.getresponse().read())
        connection.close()

    started = time.perf_counter()
    workers = [threading.Thread(target=work) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return time.perf_counter() - started


# 2. One big workspace ---------------------------------------------------------------------------


def bench_paging(program: Program, scratch: Path, repeat: int) -> None:
    destinations = 1000
    config = write_config(scratch / "paging.yaml", [None], destinations, drift_every=50)
    args = ["plan", "-c", str(config)]
    print(
        f"2. plan: one workspace of {destinations} destinations in pages of 100, "
        f"{LATENCY * 1000:.0f} ms against 0 ms ({program.label}, median of {repeat})"
    )
    settings: list[tuple[str, list[str]]] = [("default concurrency", [])]
    if program.has_concurrency:
        settings.append(("--concurrency 1 (baseline)", ["--concurrency", "1"]))
    fake_args = ("--destinations", str(destinations), "--max-page-size", "100")
    for label, extra in settings:
        walls = {}
        for latency in (LATENCY, 0.0):
            with fake_api(*fake_args, "--latency", str(latency)) as fake:
                env = {"ORSYNC_BASE_URL": fake.base_url}
                walls[latency] = median_run(
                    [program.run([*args, *extra], env) for _ in range(repeat)]
                )
            requests = fake.stats.requests // repeat
        added = (walls[LATENCY].wall - walls[0.0].wall) / LATENCY
        goal = f"goal <= 4   {verdict(added <= 4)}" if not extra else ""
        line(
            label,
            f"{added:.1f} round trips",
            f"{walls[LATENCY].wall:.2f} s against {walls[0.0].wall:.2f} s; "
            f"{requests} requests  {goal}",
        )
    if not program.has_concurrency:
        line("--concurrency 1 (baseline)", "n/a", "this orsync has no --concurrency")


# 3. A big snapshot ------------------------------------------------------------------------------


def bench_snapshot(program: Program, scratch: Path, repeat: int) -> None:
    workspaces, per_workspace = 500, 20
    ids: list[str | None] = list(bench_workspace_ids(workspaces))
    config = write_config(scratch / "snapshot.yaml", ids, per_workspace, drift_every=20)
    snapshot = scratch / f"snapshot-{program.slug}.json"
    with fake_api("--workspaces", str(workspaces), "--destinations", str(per_workspace)) as fake:
        program.run(
            ["snapshot", "-c", str(config), "-o", str(snapshot)], {"ORSYNC_BASE_URL": fake.base_url}
        )
    total = workspaces * per_workspace
    print(
        f"3. plan --snapshot: {total} destinations ({workspaces} workspaces of "
        f"{per_workspace}), {snapshot.stat().st_size / 1e6:.1f} MB of JSON "
        f"({program.label}, median of {repeat})"
    )
    args = ["plan", "-c", str(config), "--snapshot", str(snapshot)]
    run = median_run([program.run(args) for _ in range(repeat)])
    per = run.cpu / total * 1e6
    line(
        "CPU",
        f"{run.cpu:.2f} s",
        f"goal < 1 s   {verdict(run.cpu < 1)}   ({per:.0f} us per destination)",
    )
    line(
        "peak memory",
        f"{run.max_rss_mb:.0f} MB",
        f"goal < 150 MB   {verdict(run.max_rss_mb < 150)}",
    )
    reading = f"import json; json.load(open({str(snapshot)!r}, encoding='utf-8'))"
    floor = median_run([measure([PYTHON, "-c", reading], None, ROOT) for _ in range(repeat)])
    line(
        "baseline: json.load alone",
        f"{floor.cpu:.2f} s",
        f"{floor.max_rss_mb:.0f} MB, in a bare Python",
    )


# 4. Start-up ------------------------------------------------------------------------------------


def bench_startup(program: Program, scratch: Path, repeat: int) -> None:
    runs = max(10, repeat * 5)
    config = write_config(scratch / "validate.yaml", [None], 100)
    print(f"4. start-up ({program.label}, median of {runs} fresh processes)")
    bare = median_run([measure([PYTHON, "-c", "pass"], None, ROOT) for _ in range(runs)])
    line("baseline: python -c pass", f"{bare.wall * 1000:.0f} ms")
    cases = [
        ("orsync --version", ["--version"], 0.060),
        ("orsync validate (100 destinations)", ["validate", "-c", str(config)], 0.100),
    ]
    for label, args, allowed in cases:
        run = median_run([program.run(args) for _ in range(runs)])
        extra = run.wall - bare.wall
        goal = f"goal <= +{allowed * 1000:.0f} ms   {verdict(extra <= allowed)}"
        line(label, f"{run.wall * 1000:.0f} ms", f"+{extra * 1000:.0f} ms over bare Python; {goal}")


BENCHMARKS = {"1": bench_workspaces, "2": bench_paging, "3": bench_snapshot, "4": bench_startup}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure (median)")
    parser.add_argument("--only", default="1,2,3,4", help="which benchmarks, e.g. 1,3")
    parser.add_argument("--before", type=Path, help="another checkout to measure beside")
    args = parser.parse_args()
    chosen = [BENCHMARKS[key.strip()] for key in args.only.split(",")]
    print(f"orsync benchmarks on {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory(prefix="orsync-bench-") as directory:
        scratch = Path(directory)
        programs = [Program("this checkout", ROOT, scratch)]
        if args.before is not None:
            programs.append(Program(f"before: {args.before}", args.before.resolve(), scratch))
        for benchmark in chosen:
            for program in programs:
                print()
                benchmark(program, scratch, args.repeat)


if __name__ == "__main__":
    main()
