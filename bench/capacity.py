"""Capacity: how many idle connections the gateway holds, at what memory each, and how long
one message takes to reach all of them.

Opens N raw clients (one room, pings off) against a gateway subprocess, measures the
gateway's resident memory before and after (KB per connection), the connect rate, then
sends one message, times its delivery to everyone and measures the memory again (a
connection that has been sent a frame may hold more: with permessage-deflate, its
compressor's ~90 KB). The baseline is the gateway's own memory with no client, measured in
the same run. Target: at most 20 KB a connection, idle and after the message.

    python bench/capacity.py --connections 15000 [--compress] [--json FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import sys
import time
from pathlib import Path

from websockets.asyncio.client import ClientConnection, connect

from serverless_chat.loadgen.process import GatewayProcess
from serverless_chat.loadgen.results import write_json


async def run(connections: int, compress: bool = False) -> dict[str, float]:
    options = ("--compress",) if compress else ()
    gateway = GatewayProcess("MessagesPerSecond=1000", "MessageBurst=1000", options=options)
    try:
        await asyncio.sleep(1.0)
        empty_kb = gateway.rss_kb()
        clients: list[ClientConnection] = []
        started = time.perf_counter()
        batch = 200
        for first in range(0, connections, batch):
            clients += await asyncio.gather(
                *(
                    connect(gateway.url, ping_interval=None, open_timeout=60, close_timeout=1)
                    for _ in range(min(batch, connections - first))
                )
            )
        connect_seconds = time.perf_counter() - started
        await asyncio.sleep(2.0)
        full_kb = gateway.rss_kb()
        received = 0
        done = asyncio.Event()

        async def wait(client: ClientConnection) -> None:
            nonlocal received
            await client.recv()
            received += 1
            if received == connections - 1:
                done.set()

        waiting = [asyncio.create_task(wait(c)) for c in clients[1:]]
        sent = time.perf_counter()
        await clients[0].send(json.dumps({"action": "sendMessage", "message": "to everyone"}))
        await asyncio.wait_for(done.wait(), 300)
        deliver_seconds = time.perf_counter() - sent
        for task in waiting:
            task.cancel()
        await asyncio.sleep(2.0)
        delivered_kb = gateway.rss_kb()
        return {
            "connections": connections,
            "connect_seconds": round(connect_seconds, 2),
            "connects_per_second": round(connections / connect_seconds, 1),
            "gateway_rss_empty_mb": round(empty_kb / 1024, 1),
            "gateway_rss_full_mb": round(full_kb / 1024, 1),
            "kb_per_connection": round((full_kb - empty_kb) / connections, 2),
            "deliver_to_all_seconds": round(deliver_seconds, 2),
            "delivered": received,
            "gateway_rss_after_message_mb": round(delivered_kb / 1024, 1),
            "kb_per_connection_after_message": round((delivered_kb - empty_kb) / connections, 2),
        }
    finally:
        gateway.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--connections", type=int, default=15000)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--compress", action="store_true", help="serve --compress")
    args = parser.parse_args()
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    figures = asyncio.run(run(args.connections, args.compress))
    for key, value in figures.items():
        print(f"{key:26} {value}")
    print("target: <= 20 KB per connection")
    write_json(args.json, figures)
    # The verdict is the report's (scripts/performance_report.py), not an exit status.
    return 0


if __name__ == "__main__":
    sys.exit(main())
