"""Cold start: what importing each Lambda entry module costs beyond importing boto3.

Each sample is a fresh interpreter that imports boto3 (the baseline, which every Python
function that talks to AWS pays) and then the entry module; the figure is the median
extra time as a ratio of boto3's own. Target: at most 1.10 (10 % more than boto3 alone).

    python bench/coldstart.py [--samples 15] [--json results.json]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
from pathlib import Path

from serverless_chat.handlers import ENTRY_MODULES
from serverless_chat.loadgen.results import write_json

PROBE = (
    "import sys, time\n"
    "t0 = time.perf_counter()\n"
    "import boto3\n"
    "t1 = time.perf_counter()\n"
    "__import__(sys.argv[1])\n"
    "t2 = time.perf_counter()\n"
    "print(t1 - t0, t2 - t1)\n"
)


def sample(module: str) -> tuple[float, float]:
    out = subprocess.run(
        [sys.executable, "-c", PROBE, module], capture_output=True, text=True, check=True
    ).stdout.split()
    return float(out[0]), float(out[1])


def measure(samples: int) -> dict[str, dict[str, float]]:
    results = {}
    for module in ENTRY_MODULES:
        runs = [sample(module) for _ in range(samples)]
        boto3_ms = statistics.median(r[0] for r in runs) * 1000
        extra_ms = statistics.median(r[1] for r in runs) * 1000
        results[module] = {
            "boto3_ms": round(boto3_ms, 2),
            "extra_ms": round(extra_ms, 2),
            "ratio": round((boto3_ms + extra_ms) / boto3_ms, 3),
        }
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--samples", type=int, default=15)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    results = measure(args.samples)
    print(f"{'entry module':45} {'boto3 ms':>9} {'extra ms':>9} {'ratio':>6}")
    for module, row in results.items():
        print(f"{module:45} {row['boto3_ms']:9.1f} {row['extra_ms']:9.2f} {row['ratio']:6.3f}")
    worst = max(row["ratio"] for row in results.values())
    print(f"worst ratio {worst:.3f} (target <= 1.10)")
    write_json(args.json, results)
    return 0 if worst <= 1.10 else 1


if __name__ == "__main__":
    sys.exit(main())
