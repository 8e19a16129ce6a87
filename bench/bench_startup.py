"""Benchmark: start-up time of the `orsync` command, which CI pays on every run.

Times `python -m orsync --help` and `orsync validate` on the example config, each in a fresh
process, against a bare `python -c pass` as the baseline.

    python bench/bench_startup.py [--repeat 10]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def median_seconds(command: list[str], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run(command, cwd=ROOT, capture_output=True, check=False)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()
    python = sys.executable
    cases = {
        "python -c pass (baseline)": [python, "-c", "pass"],
        "orsync --help": [python, "-m", "orsync", "--help"],
        "orsync validate (example)": [
            python,
            "-m",
            "orsync",
            "validate",
            "-c",
            "examples/orsync.yaml",
        ],
        "orsync plan --snapshot (example)": [
            python,
            "-m",
            "orsync",
            "plan",
            "-c",
            "examples/orsync.yaml",
            "--snapshot",
            "examples/snapshot.json",
        ],
    }
    baseline = None
    print(f"start-up, median of {args.repeat} fresh processes:")
    for label, command in cases.items():
        seconds = median_seconds(command, args.repeat)
        baseline = baseline or seconds
        print(f"  {label:<34} {seconds * 1000:7.1f} ms  ({seconds / baseline:4.1f}x baseline)")


if __name__ == "__main__":
    main()
