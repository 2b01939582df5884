"""Cold start of an isolated function that builds a boto3 client at import, forked from the
warm fork server, against a fresh interpreter doing the same (the baseline, measured in
the same run, in turns).

A cold start is the container's Init Duration: from the request for a container to its
handler imported (the REPORT line's figure). One function at a time, ``--samples`` times
each way; then ten functions cold-starting at once (a CDK app's routes at its first
clients), ``--rounds`` times each way, timed until the last of the ten has answered.
Targets: 0.25 times of the baseline or less, alone and ten at once.

    python bench/coldstart_fork.py [--samples 9] [--rounds 3] [--json results.json]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from local_gateway.functions.isolated.containers import FunctionContainers
from local_gateway.functions.isolated.forking import ForkServer, FreshInterpreter, Launcher
from local_gateway.functions.isolated.runtime import lambda_environment, prepare_runtime_dir
from local_gateway.template.model import FunctionSpec
from serverless_chat.loadgen.results import write_json

TARGET = 0.25
FUNCTION = """
import boto3

CLIENT = boto3.client(
    "apigatewaymanagementapi", endpoint_url="https://abc.execute-api.us-east-1.amazonaws.com/prod"
)


def handler(event, context):
    return {"statusCode": 200}
"""


def function(code: Path, number: int) -> FunctionSpec:
    return FunctionSpec(
        logical_id=f"Fn{number}",
        name=f"bench-fn-{number}",
        handler="app.handler",
        code_dir=code,
        runtime=f"python{sys.version_info[0]}.{sys.version_info[1]}",
        environment={},
        timeout=60.0,
    )


async def cold_starts(launcher: Launcher, code: Path, runtime: Path, count: int) -> list[float]:
    """``count`` functions cold-starting at once: each one's Init Duration (ms), and the
    wall time until the last answered (ms), last."""
    keys = {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench"}
    pools = []
    for number in range(count):
        spec = function(code, number)
        env = lambda_environment(spec, "us-east-1", keys)
        pools.append(FunctionContainers(spec, lambda env=env: env, [str(runtime)], launcher, 1))
    started = time.perf_counter()
    outcomes = await asyncio.gather(
        *(pool.invoke({}, f"r{i}", "t") for i, pool in enumerate(pools))
    )
    wall = (time.perf_counter() - started) * 1000
    await asyncio.gather(*(pool.stop() for pool in pools))
    for outcome in outcomes:
        if outcome.error is not None or outcome.init_ms is None:
            raise SystemExit(f"the function failed: {outcome.error}")
    return [float(outcome.init_ms or 0.0) for outcome in outcomes] + [wall]


async def measure(samples: int, rounds: int) -> dict[str, Any]:
    state = Path(tempfile.mkdtemp(prefix="coldstart-fork-"))
    code = state / "code"
    code.mkdir()
    (code / "app.py").write_text(FUNCTION)
    runtime = prepare_runtime_dir(state / "runtime")
    pycache = state / "pycache"
    fresh = FreshInterpreter(Path(sys.executable), pycache)
    server = ForkServer(Path(sys.executable), pycache, runtime)
    warm_up = time.perf_counter()
    await server.start()
    server_ms = (time.perf_counter() - warm_up) * 1000
    try:
        await cold_starts(fresh, code, runtime, 1)  # untimed: bytecode written, caches warm
        await cold_starts(server, code, runtime, 1)
        alone: dict[str, list[float]] = {"fork": [], "fresh": []}
        for _ in range(samples):
            alone["fresh"].append((await cold_starts(fresh, code, runtime, 1))[0])
            alone["fork"].append((await cold_starts(server, code, runtime, 1))[0])
        ten: dict[str, list[float]] = {"fork": [], "fresh": []}
        slowest: dict[str, list[float]] = {"fork": [], "fresh": []}
        for _ in range(rounds):
            for name, launcher in (("fresh", fresh), ("fork", server)):
                *inits, wall = await cold_starts(launcher, code, runtime, 10)
                ten[name].append(wall)
                slowest[name].append(max(inits))
    finally:
        await server.stop()
    fork_ms, fresh_ms = statistics.median(alone["fork"]), statistics.median(alone["fresh"])
    ten_fork, ten_fresh = statistics.median(ten["fork"]), statistics.median(ten["fresh"])
    return {
        "python": sys.version.split()[0],
        "fork_server_start_ms": round(server_ms, 1),
        "alone": {
            "fork_ms": round(fork_ms, 1),
            "fresh_ms": round(fresh_ms, 1),
            "ratio": round(fork_ms / fresh_ms, 3),
            "samples": samples,
        },
        "ten_at_once": {
            "fork_ms": round(ten_fork, 1),
            "fresh_ms": round(ten_fresh, 1),
            "ratio": round(ten_fork / ten_fresh, 3),
            "slowest_init_fork_ms": round(statistics.median(slowest["fork"]), 1),
            "slowest_init_fresh_ms": round(statistics.median(slowest["fresh"]), 1),
            "rounds": rounds,
        },
        "target": TARGET,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--samples", type=int, default=9)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    results = asyncio.run(measure(args.samples, args.rounds))
    alone, ten = results["alone"], results["ten_at_once"]
    print(f"Python {results['python']}; fork server ready in {results['fork_server_start_ms']} ms")
    print(
        f"one function:   forked {alone['fork_ms']} ms, fresh interpreter {alone['fresh_ms']} ms"
        f" = x{alone['ratio']} (target <= x{TARGET})"
    )
    print(
        f"ten at once:    forked {ten['fork_ms']} ms, fresh interpreters {ten['fresh_ms']} ms"
        f" = x{ten['ratio']} (the last to answer; slowest Init Duration"
        f" {ten['slowest_init_fork_ms']} / {ten['slowest_init_fresh_ms']} ms)"
    )
    met = max(alone["ratio"], ten["ratio"]) <= TARGET
    print("target met" if met else "target not met")
    write_json(args.json, results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
