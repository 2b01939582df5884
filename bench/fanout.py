"""Fan-out on the AWS model: every PostToConnection costs `--latency` (20 ms) at the
gateway's callback API, as on AWS, and there is no broadcast call.

For rooms of 10, 100 and 1,000 (and 10,000 with --max 10000) recipients it times one
sendMessage's handler — the chat logic with a store and the callback API over HTTP — with
boto3's client (the baseline, one pooled call per recipient, 32 at a time) and with the
lean signed HTTP adapter (64 at a time), in the same run, and checks every recipient got
the message. Targets: 1,000 recipients in under 0.5 s, 10,000 in under 3 s.

    python bench/fanout.py [--latency 20ms] [--max 10000] [--json FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config
from botocore.credentials import Credentials
from websockets.asyncio.client import ClientConnection, connect

from serverless_chat.adapters.management_api import ManagementApiConnections
from serverless_chat.adapters.signed_http import SignedHttpConnections
from serverless_chat.adapters.sqlite import (
    SqliteConnectionStore,
    SqliteDatabase,
    SqliteMessageStore,
)
from serverless_chat.chat.service import Chat, ChatSettings
from serverless_chat.loadgen.process import GatewayProcess
from serverless_chat.loadgen.results import write_json

TABLE = "serverless-chat-ConnectionsTable"


def adapters(callback_url: str) -> dict[str, Any]:
    client = boto3.client(
        "apigatewaymanagementapi",
        endpoint_url=callback_url,
        region_name="us-east-1",
        aws_access_key_id="t",
        aws_secret_access_key="t",
        config=Config(max_pool_connections=32, retries={"mode": "standard"}),
    )
    return {
        "boto3": (ManagementApiConnections(client), ThreadPoolExecutor(32)),
        "signed-http": (
            SignedHttpConnections(callback_url, Credentials("t", "t"), "us-east-1"),
            ThreadPoolExecutor(1),
        ),
    }


async def run(latency: str, sizes: list[int]) -> dict[str, Any]:
    gateway = GatewayProcess(
        "MessagesPerSecond=100000",
        "MessageBurst=100000",
        options=("--callback-latency", latency, "--ping-interval", "0"),
    )
    results: dict[str, Any] = {"latency": latency, "rooms": {}}
    received: dict[str, int] = {}
    tasks = []
    try:
        clients: dict[int, list[ClientConnection]] = {}
        for size in sizes:
            room = []
            for first in range(0, size + 1, 200):
                room += await asyncio.gather(
                    *(
                        connect(f"{gateway.url}?room=r{size}", ping_interval=None, open_timeout=60)
                        for _ in range(min(200, size + 1 - first))
                    )
                )
            clients[size] = room

            async def count(client: ClientConnection, key: str) -> None:
                async for _ in client:
                    received[key] = received.get(key, 0) + 1

            tasks += [asyncio.create_task(count(c, f"r{size}")) for c in room]
        callback_url = gateway.url.replace("ws://", "http://")
        database = SqliteDatabase(gateway.state_dir / "chat.sqlite3")
        store = SqliteConnectionStore(database, TABLE)
        messages = SqliteMessageStore(SqliteDatabase(Path(tempfile.mkdtemp()) / "m.sqlite3"), "m")
        for name, (connections, pool) in adapters(callback_url).items():
            chat = Chat(
                store,
                messages,
                connections,
                pool,
                ChatSettings(rate_per_second=100000, burst=100000),
            )
            for size in sizes:
                sender = next(r for r in store.members(f"r{size}"))
                before = received.get(f"r{size}", 0)
                started, cpu = time.perf_counter(), time.process_time()
                await asyncio.to_thread(chat.send_message, sender, '{"message": "fan-out"}')
                wall, cpu = time.perf_counter() - started, time.process_time() - cpu
                await asyncio.sleep(0.5)
                got = received.get(f"r{size}", 0) - before
                results["rooms"].setdefault(str(size), {})[name] = {
                    "handler_seconds": round(wall, 3),
                    "client_cpu_seconds": round(cpu, 3),
                    "delivered": got,
                    "expected": size,
                }
    finally:
        for task in tasks:
            task.cancel()
        gateway.stop()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--latency", default="20ms")
    parser.add_argument("--max", type=int, default=1000)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    sizes = [n for n in (10, 100, 1000, 10000) if n <= args.max]
    results = asyncio.run(run(args.latency, sizes))
    print(f"callback latency {args.latency}; handler seconds to post to every recipient")
    print(f"{'recipients':>10} {'boto3 (baseline)':>18} {'signed-http':>12} {'ratio':>7}")
    for size, row in results["rooms"].items():
        base, lean = row["boto3"], row["signed-http"]
        ratio = lean["handler_seconds"] / base["handler_seconds"]
        ok = base["delivered"] == lean["delivered"] == int(size)
        print(
            f"{size:>10} {base['handler_seconds']:>17.3f}s {lean['handler_seconds']:>11.3f}s "
            f"{ratio:>7.3f}{'' if ok else '  (deliveries missing!)'}"
        )
    write_json(args.json, results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
