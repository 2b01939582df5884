"""`serverless-chat bench`: the local gateway's throughput against a minimal broadcast server
measured in the same run.

C clients share one room; S of them each send M messages as fast as they are taken. For both
servers: deliveries per second, server CPU per 1,000 deliveries, fan-out latency (send → the
last recipient) and per-delivery latency percentiles, lost and duplicates. The gateway's
figures are also given as ratios against the baseline's (the machine's noise cancels). Both
servers run side by side and are measured in turns, --rounds times after an untimed warm-up
round; each figure is the median round's.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import statistics
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from serverless_chat.loadgen.process import (
    BaselineProcess,
    GatewayProcess,
    ServerProcess,
    cpu_seconds,
)
from serverless_chat.loadgen.results import write_json

# The chat's rate limit lifted, so that the senders measure the gateway, not the limit.
UNLIMITED = ("MessagesPerSecond=100000", "MessageBurst=100000")


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))]


@dataclass
class Run:
    server: str
    clients: int
    senders: int
    messages: int
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    received: Counter[tuple[int, int]] = field(default_factory=Counter)
    sent_at: dict[int, int] = field(default_factory=dict)
    last_at: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    delivery_ms: list[float] = field(default_factory=list)
    refused: Counter[str] = field(default_factory=Counter)  # error frames, by code

    @property
    def expected(self) -> int:
        return self.senders * self.messages * (self.clients - 1)

    @property
    def delivered(self) -> int:
        return len(self.received)

    def figures(self) -> dict[str, Any]:
        fanout = [
            (self.last_at[m] - self.sent_at[m]) / 1e6 for m in self.sent_at if m in self.last_at
        ]
        return {
            "server": self.server,
            "deliveries_per_second": round(self.delivered / self.seconds, 1)
            if self.seconds
            else 0.0,
            "cpu_ms_per_1000_deliveries": round(self.cpu_seconds * 1e6 / max(1, self.delivered), 1),
            "fanout_ms": {
                q: round(_percentile(fanout, float(q[1:])), 2) for q in ("p50", "p90", "p99")
            },
            "delivery_ms": {
                q: round(_percentile(self.delivery_ms, float(q[1:])), 2)
                for q in ("p50", "p90", "p99")
            },
            "expected": self.expected,
            "delivered": self.delivered,
            "lost": self.expected - self.delivered,
            "duplicates": sum(n - 1 for n in self.received.values()),
            "refused": dict(self.refused),
            "seconds": round(self.seconds, 2),
        }


async def _receive(client: ClientConnection, index: int, run: Run, done: asyncio.Event) -> None:
    try:
        async for message in client:
            if not isinstance(message, str) or not message.startswith("b|"):
                if isinstance(message, str) and message.startswith('{"type":"error"'):
                    run.refused[str(json.loads(message).get("code"))] += 1
                continue
            now = time.perf_counter_ns()
            number = int(message.split("|", 2)[1])
            run.received[(number, index)] += 1
            run.delivery_ms.append((now - run.sent_at[number]) / 1e6)
            run.last_at[number] = max(run.last_at[number], now)
            if run.delivered >= run.expected:
                done.set()
    except ConnectionClosed:
        pass


async def _settle(run: Run, done: asyncio.Event, quiet: float = 2.0, limit: float = 60.0) -> None:
    """Wait until every delivery is in, or none has come for ``quiet`` seconds (the rest are
    lost: a refused message never arrives), or ``limit`` seconds have passed."""
    deadline = time.monotonic() + limit
    seen, quiet_since = run.delivered, time.monotonic()
    while not done.is_set() and time.monotonic() < deadline:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(done.wait(), 0.25)
        if run.delivered != seen:
            seen, quiet_since = run.delivered, time.monotonic()
        elif time.monotonic() - quiet_since >= quiet:
            return


async def measure(
    url: str,
    process: ServerProcess | RunningServer,
    clients: int,
    senders: int,
    messages: int,
    server: str,
) -> Run:
    run = Run(server, clients, senders, messages)
    sockets = [await connect(url, max_size=None, ping_interval=None) for _ in range(clients)]
    await asyncio.sleep(0.5)
    done = asyncio.Event()
    receivers = [asyncio.create_task(_receive(s, i, run, done)) for i, s in enumerate(sockets)]
    cpu_before = process.cpu_seconds()
    started = time.perf_counter()

    async def send(sender: int) -> None:
        for k in range(messages):
            number = sender * messages + k
            run.sent_at[number] = time.perf_counter_ns()
            body = {"action": "sendMessage", "message": f"b|{number}|x"}
            await sockets[sender].send(json.dumps(body))

    await asyncio.gather(*(send(s) for s in range(senders)))
    await _settle(run, done)
    run.seconds = time.perf_counter() - started
    run.cpu_seconds = process.cpu_seconds() - cpu_before
    await asyncio.sleep(0.3)  # duplicates would arrive now
    for task in receivers:
        task.cancel()
    for socket in sockets:
        await socket.close()
    return run


def ratios(gateway: dict[str, Any], baseline: dict[str, Any]) -> dict[str, float]:
    return {
        "deliveries_per_second": round(
            gateway["deliveries_per_second"] / max(1e-9, baseline["deliveries_per_second"]), 3
        ),
        "cpu_per_delivery": round(
            gateway["cpu_ms_per_1000_deliveries"]
            / max(1e-9, baseline["cpu_ms_per_1000_deliveries"]),
            3,
        ),
    }


def table(results: list[dict[str, Any]], relative: dict[str, float]) -> str:
    lines = [
        f"{'server':10} {'deliv/s':>9} {'CPU ms/1k':>10} {'fan-out p50/p90/p99 ms':>24} "
        f"{'delivery p50/p99 ms':>20} {'lost':>5} {'dup':>4}"
    ]
    for r in results:
        f, d = r["fanout_ms"], r["delivery_ms"]
        lines.append(
            f"{r['server']:10} {r['deliveries_per_second']:9.0f} "
            f"{r['cpu_ms_per_1000_deliveries']:10.1f} "
            f"{f['p50']:>8.1f}/{f['p90']:.1f}/{f['p99']:.1f}".ljust(58)
            + f" {d['p50']:>8.1f}/{d['p99']:.1f} {r['lost']:>9} {r['duplicates']:>4}"
        )
    for r in results:
        if r.get("refused"):
            codes = ", ".join(f"{n} {code}" for code, n in sorted(r["refused"].items()))
            lines.append(f"{r['server']} refused messages: {codes}")
            if "RATE_LIMITED" in r["refused"]:
                lifted = " ".join(f"--parameter {p}" for p in UNLIMITED)
                lines.append(f"  (its rate limit: start it with {lifted})")
    lines.append(
        f"gateway / baseline: deliveries per second x{relative['deliveries_per_second']}"
        f" (target >= 0.8), CPU per delivery x{relative['cpu_per_delivery']}"
        " (target <= 3)"
    )
    return "\n".join(lines)


class RunningServer:
    """A gateway already running (--url): its CPU time is read only if its pid is given;
    mind that its rate limit must let the senders through (MessagesPerSecond)."""

    def __init__(self, url: str, pid: int | None) -> None:
        self.url = url
        self._pid = pid

    def cpu_seconds(self) -> float:
        return 0.0 if self._pid is None else cpu_seconds(self._pid)

    def stop(self) -> None:
        pass


async def bench(
    clients: int,
    senders: int,
    messages: int,
    url: str | None = None,
    pid: int | None = None,
    template: Path | None = None,
    compress: bool = False,
    rounds_count: int = 3,
    baseline_kind: str = "plain",
) -> dict[str, Any]:
    options = ("--compress",) if compress else ()
    servers: dict[str, ServerProcess | RunningServer] = {}
    rounds: dict[str, list[dict[str, Any]]] = {"baseline": [], "gateway": []}
    try:
        coalesce = ("--coalesce",) if baseline_kind == "coalescing" else ()
        servers["baseline"] = BaselineProcess(options + coalesce)
        if url is not None:
            servers["gateway"] = RunningServer(url, pid)
        elif template is not None:
            servers["gateway"] = GatewayProcess(template=template, options=options)
        else:
            servers["gateway"] = GatewayProcess(*UNLIMITED, options=options)
        for name, process in servers.items():
            # A first, untimed round: both servers are measured warm (threads started,
            # connections to the store opened, code paths run once), as they would run.
            await measure(process.url, process, clients, senders, max(1, messages // 10), name)
        for _ in range(rounds_count):  # taken in turns, so that the machine's drift hits both
            for name, process in servers.items():
                run = await measure(process.url, process, clients, senders, messages, name)
                rounds[name].append(run.figures())
    finally:
        for process in servers.values():
            process.stop()
    baseline, gateway = (_median_round(rounds[name]) for name in ("baseline", "gateway"))
    return {
        "compress": compress,
        "baseline": baseline_kind,
        "clients": clients,
        "senders": senders,
        "messages": messages,
        "results": [baseline, gateway],
        "ratios": ratios(gateway, baseline),
        "rounds": rounds,
    }


def _median_round(figures: list[dict[str, Any]]) -> dict[str, Any]:
    """The round with the median deliveries per second; its CPU figure is the median too."""
    ordered = sorted(figures, key=lambda f: f["deliveries_per_second"])
    chosen = dict(ordered[len(ordered) // 2])
    chosen["cpu_ms_per_1000_deliveries"] = statistics.median(
        f["cpu_ms_per_1000_deliveries"] for f in figures
    )
    chosen["lost"] = max(f["lost"] for f in figures)  # the worst round speaks for all
    chosen["duplicates"] = max(f["duplicates"] for f in figures)
    chosen["refused"] = dict(sum((Counter(f["refused"]) for f in figures), Counter()))
    return chosen


def run(options: argparse.Namespace) -> int:
    """The benchmark with the options ``serverless-chat bench`` parsed (cli/bench.py declares
    them): runs it, prints the table, writes the JSON."""
    report = asyncio.run(
        bench(
            options.clients,
            options.senders,
            options.messages,
            options.url,
            options.pid,
            options.template,
            options.compress,
            options.rounds,
            options.baseline,
        )
    )
    print(table(report["results"], report["ratios"]))
    if options.baseline != "plain":
        print(f"(against the {options.baseline} baseline, not the one the targets are set against)")
    write_json(options.json, report)
    return 0
