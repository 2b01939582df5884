"""Soak a live gateway: many connections held open in rooms, steady traffic, and an account
of every delivery. Reports lost, duplicates, latency percentiles and memory growth.

``python -m serverless_chat.loadgen.soak --connections 1000 --seconds 600``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from serverless_chat.loadgen.process import GatewayProcess


@dataclass
class SoakReport:
    connections: int
    seconds: float
    room_size: int
    sent: int = 0
    expected: int = 0
    received: Counter[tuple[int, int]] = field(default_factory=Counter)  # (message, client)
    latencies_ms: list[float] = field(default_factory=list)
    rss_start_kb: int = 0
    rss_end_kb: int = 0
    connect_seconds: float = 0.0
    disconnected: int = 0

    @property
    def delivered(self) -> int:
        return len(self.received)

    @property
    def lost(self) -> int:
        return self.expected - self.delivered

    @property
    def duplicates(self) -> int:
        return sum(n - 1 for n in self.received.values())

    def percentile(self, q: float) -> float:
        if not self.latencies_ms:
            return 0.0
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))]

    def as_json(self) -> dict[str, object]:
        return {
            "connections": self.connections,
            "seconds": self.seconds,
            "room_size": self.room_size,
            "messages_sent": self.sent,
            "deliveries_expected": self.expected,
            "delivered": self.delivered,
            "lost": self.lost,
            "duplicates": self.duplicates,
            "latency_ms": {
                "p50": self.percentile(50),
                "p90": self.percentile(90),
                "p99": self.percentile(99),
                "mean": statistics.fmean(self.latencies_ms or [0.0]),
            },
            "connect_seconds": round(self.connect_seconds, 2),
            "rss_kb": {
                "start": self.rss_start_kb,
                "end": self.rss_end_kb,
                "growth": self.rss_end_kb - self.rss_start_kb,
            },
            "disconnected_early": self.disconnected,
        }

    def lines(self) -> list[str]:
        growth = self.rss_end_kb - self.rss_start_kb
        return [
            f"{self.connections} connections in rooms of {self.room_size}, "
            f"{self.seconds:.0f} s, opened in {self.connect_seconds:.1f} s",
            f"messages sent {self.sent}; deliveries expected {self.expected}, "
            f"delivered {self.delivered}, lost {self.lost}, duplicates {self.duplicates}",
            f"latency send → receive: p50 {self.percentile(50):.1f} ms, "
            f"p90 {self.percentile(90):.1f} ms, p99 {self.percentile(99):.1f} ms",
            f"gateway memory: {self.rss_start_kb / 1024:.1f} MB after connecting, "
            f"{self.rss_end_kb / 1024:.1f} MB at the end (growth {growth / 1024:+.1f} MB)",
        ]

    @property
    def ok(self) -> bool:
        return self.lost == 0 and self.duplicates == 0 and self.disconnected == 0


async def _receive(client: ClientConnection, index: int, report: SoakReport) -> None:
    try:
        async for message in client:
            if isinstance(message, str) and message.startswith("soak|"):
                _, number, sent_ns = message.split("|")
                report.received[(int(number), index)] += 1
                report.latencies_ms.append((time.time_ns() - int(sent_ns)) / 1e6)
    except ConnectionClosed:
        report.disconnected += 1


async def run(
    url: str,
    connections: int,
    seconds: float,
    room_size: int = 20,
    interval: float = 10.0,
    rss: object = None,
) -> SoakReport:
    """Each client says something every ``interval`` seconds (spread evenly)."""
    report = SoakReport(connections, seconds, room_size)
    rooms: dict[int, list[int]] = defaultdict(list)
    clients: list[ClientConnection] = []
    started = time.monotonic()
    for index in range(connections):
        room = index // room_size
        clients.append(await connect(f"{url}?room=soak{room}", open_timeout=30, ping_interval=None))
        rooms[room].append(index)
    report.connect_seconds = time.monotonic() - started
    await asyncio.sleep(0.5)
    if callable(rss):
        report.rss_start_kb = rss()
    receivers = [asyncio.create_task(_receive(c, i, report)) for i, c in enumerate(clients)]
    deadline = time.monotonic() + seconds
    gap = interval / connections
    number = 0
    while time.monotonic() < deadline:
        index = number % connections
        frame = {"action": "sendMessage", "message": f"soak|{number}|{time.time_ns()}"}
        await clients[index].send(json.dumps(frame))
        report.expected += len(rooms[index // room_size]) - 1
        number += 1
        await asyncio.sleep(gap)
    report.sent = number
    await asyncio.sleep(2.0)  # the last deliveries
    if callable(rss):
        report.rss_end_kb = rss()
    for task in receivers:
        task.cancel()
    for client in clients:
        await client.close()
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--connections", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=600)
    parser.add_argument("--room-size", type=int, default=20)
    parser.add_argument(
        "--interval", type=float, default=10.0, help="seconds between two messages of one client"
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    gateway = GatewayProcess("MessagesPerSecond=1000", "MessageBurst=1000")
    try:
        report = asyncio.run(
            run(
                gateway.url,
                args.connections,
                args.seconds,
                args.room_size,
                args.interval,
                gateway.rss_kb,
            )
        )
    finally:
        gateway.stop()
    print(json.dumps(report.as_json(), indent=2) if args.json else "\n".join(report.lines()))
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
