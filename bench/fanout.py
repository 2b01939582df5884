"""Fan-out on the AWS model: every PostToConnection costs `--latency` (20 ms) at the
gateway's callback API, as on AWS, and there is no broadcast call.

For rooms of 10, 100 and 1,000 (and 10,000 with --max 10000) recipients it times one
sendMessage's handler — the chat logic with a store and the callback API over HTTP — with
boto3's client (the baseline, one pooled call per recipient, 32 at a time), with the lean
signed HTTP adapter (64 at a time) in one invocation, and paged: pages of --page-size handed
to the fan-out handler, each page in a process of its own (as Lambda runs each asynchronous
invocation in its own container), in the same run, and checks every recipient got the
message once. Targets: 1,000 recipients in under 0.5 s, 10,000 in under 3 s.

Paged figures: the send handler's time, the slowest page's handler time (on AWS, where each
invocation has its own CPU, the fan-out is done when the slowest invocation is), and the
wall time until the last recipient had it here, where every process shares this machine's
cores with the gateway. The gateway's CPU a post is printed too: on AWS that work is API
Gateway's, here it shares the machine with the pages.

    python bench/fanout.py [--latency 20ms] [--max 10000] [--page-size 1000] [--json FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
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
from serverless_chat.chat.protocol import SendMessage
from serverless_chat.chat.service import Chat, ChatSettings
from serverless_chat.handlers import fanout
from serverless_chat.handlers.dependencies import Dependencies, Handler
from serverless_chat.loadgen.bench import UNLIMITED
from serverless_chat.loadgen.process import GatewayProcess
from serverless_chat.loadgen.results import write_json

TABLE = "serverless-chat-ConnectionsTable"
ORIGIN = {"domainName": "localhost", "stage": "production"}


def adapters(callback_url: str) -> dict[str, Any]:
    client = boto3.client(
        "apigatewaymanagementapi",
        endpoint_url=callback_url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(max_pool_connections=32, retries={"mode": "standard"}),
    )
    return {
        "boto3": ManagementApiConnections(client, ThreadPoolExecutor(32)),
        "signed-http": SignedHttpConnections(
            callback_url, Credentials("testing", "testing"), "us-east-1"
        ),
    }


# -- the fan-out function, one per process, as one Lambda container per invocation ---------
_page_handler: list[Handler] = []


def _start_container(callback_url: str, database: str) -> None:
    connections = SignedHttpConnections(
        callback_url, Credentials("testing", "testing"), "us-east-1"
    )
    store = SqliteConnectionStore(SqliteDatabase(database), TABLE)
    messages = SqliteMessageStore(SqliteDatabase(Path(tempfile.mkdtemp()) / "m.sqlite3"), "m")
    deps = Dependencies(store, messages, lambda _event: connections)
    _page_handler.append(fanout.build_handler(deps))


def _invoke_page(page: dict[str, Any]) -> float:
    started = time.perf_counter()
    _page_handler[0](page, None)
    return time.perf_counter() - started


def _warm() -> int:
    time.sleep(0.5)  # held, so that each warm-up call needs a process of its own
    return len(_page_handler)


class ProcessPages:
    """The FanoutPages port for this benchmark: each page runs the fan-out handler in a
    process of the pool, without waiting (Lambda's asynchronous Invoke)."""

    def __init__(self, pool: ProcessPoolExecutor) -> None:
        self._pool = pool
        self.invocations: list[Future[float]] = []

    def dispatch(self, page: dict[str, object]) -> None:
        self.invocations.append(self._pool.submit(_invoke_page, page))


async def _all_arrived(received: Counter[str], key: str, expected: int, limit: float) -> float:
    """Seconds until ``expected`` more frames arrived for ``key`` (or ``limit``)."""
    started, before = time.perf_counter(), received[key]
    while received[key] - before < expected and time.perf_counter() - started < limit:
        await asyncio.sleep(0.005)
    return time.perf_counter() - started


async def run(latency: str, sizes: list[int], page_size: int) -> dict[str, Any]:
    gateway = GatewayProcess(
        *UNLIMITED,
        # The connections in the state dir's SQLite file: this process and the fan-out
        # "containers" read the table the gateway's functions write, as Lambda's share DynamoDB.
        options=(
            "--callback-latency",
            latency,
            "--ping-interval",
            "0",
            "--connections-store",
            "sqlite",
        ),
    )
    results: dict[str, Any] = {"latency": latency, "page_size": page_size, "rooms": {}}
    received: Counter[str] = Counter()
    tasks = []
    pool: ProcessPoolExecutor | None = None
    try:
        for size in sizes:
            room = []
            for first in range(0, size + 1, 200):
                room += await asyncio.gather(
                    *(
                        connect(f"{gateway.url}?room=r{size}", ping_interval=None, open_timeout=60)
                        for _ in range(min(200, size + 1 - first))
                    )
                )

            async def count(client: ClientConnection, key: str) -> None:
                async for _ in client:
                    received[key] += 1

            tasks += [asyncio.create_task(count(c, f"r{size}")) for c in room]
        callback_url = gateway.url.replace("ws://", "http://")
        database = gateway.state_dir / "chat.sqlite3"
        store = SqliteConnectionStore(SqliteDatabase(database), TABLE)
        messages = SqliteMessageStore(SqliteDatabase(Path(tempfile.mkdtemp()) / "m.sqlite3"), "m")
        settings = ChatSettings(rate_per_second=100000, burst=100000, fanout_page_size=page_size)
        modes = adapters(callback_url)
        paged_sizes = [size for size in sizes if size > page_size]
        if paged_sizes:
            containers = max(1, (max(paged_sizes) - 1) // page_size)
            pool = ProcessPoolExecutor(
                containers,
                multiprocessing.get_context("spawn"),
                initializer=_start_container,
                initargs=(callback_url, str(database)),
            )
            for future in [pool.submit(_warm) for _ in range(containers)]:
                future.result()  # every container started: no cold start in the figures
            await asyncio.sleep(1.0)  # and settled
        for name, connections in [*modes.items(), ("paged", modes["signed-http"])]:
            pages = ProcessPages(pool) if name == "paged" and pool is not None else None
            chat = Chat(store, messages, connections, settings, pages=pages, origin=ORIGIN)
            for size in sizes if name != "paged" else paged_sizes:
                key = f"r{size}"
                sender = next(r for r in store.members(key))
                before = received[key]
                arrived = asyncio.create_task(_all_arrived(received, key, size, 60))
                started, cpu = time.perf_counter(), time.process_time()
                gateway_cpu = gateway.cpu_seconds()
                await asyncio.to_thread(chat.send_message, sender, SendMessage("fan-out"))
                wall, cpu = time.perf_counter() - started, time.process_time() - cpu
                page_seconds = (
                    [await asyncio.wrap_future(f) for f in pages.invocations] if pages else []
                )
                everyone = await arrived
                gateway_cpu = gateway.cpu_seconds() - gateway_cpu
                await asyncio.sleep(0.3)  # a duplicate would arrive now
                row: dict[str, Any] = {
                    "handler_seconds": round(wall, 3),
                    "client_cpu_seconds": round(cpu, 3),
                    "all_delivered_seconds": round(everyone, 3),
                    # The gateway's own work a post (its callback API, the SigV4 check of
                    # each request, the frame to the client): API Gateway's on AWS.
                    "gateway_cpu_us_per_post": round(gateway_cpu * 1e6 / size),
                    "delivered": received[key] - before,
                    "expected": size,
                }
                if pages is not None:
                    row["pages"] = len(pages.invocations) + 1
                    row["slowest_page_seconds"] = round(max(page_seconds, default=0.0), 3)
                    pages.invocations.clear()
                results["rooms"].setdefault(str(size), {})[name] = row
    finally:
        for task in tasks:
            task.cancel()
        if pool is not None:
            pool.shutdown(cancel_futures=True)
        gateway.stop()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--latency", default="20ms")
    parser.add_argument(
        "--max",
        type=int,
        choices=[10, 100, 1000, 10000],
        default=1000,
        help="the largest room: 10, 100, 1000 or 10000 recipients (default: 1000)",
    )
    parser.add_argument("--page-size", type=int, default=ChatSettings().fanout_page_size)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    sizes = [n for n in (10, 100, 1000, 10000) if n <= args.max]
    results = asyncio.run(run(args.latency, sizes, args.page_size))
    print(f"callback latency {args.latency}; handler seconds to post to every recipient")
    print(
        f"{'recipients':>10} {'boto3 (baseline)':>17} {'signed-http':>12} {'ratio':>6}"
        f"   paged (pages of {args.page_size}): send / slowest page / all delivered here"
    )
    for size, row in results["rooms"].items():
        base, lean = row["boto3"], row["signed-http"]
        ratio = lean["handler_seconds"] / base["handler_seconds"]
        rows = [base, lean] + ([row["paged"]] if "paged" in row else [])
        ok = all(r["delivered"] == r["expected"] == int(size) for r in rows)
        line = (
            f"{size:>10} {base['handler_seconds']:>16.3f}s {lean['handler_seconds']:>11.3f}s "
            f"{ratio:>6.3f}"
        )
        if "paged" in row:
            paged = row["paged"]
            line += (
                f"   {paged['handler_seconds']:.3f}s / {paged['slowest_page_seconds']:.3f}s / "
                f"{paged['all_delivered_seconds']:.3f}s ({paged['pages']} invocations)"
            )
        print(line + ("" if ok else "  (deliveries missing or doubled!)"))
    largest = results["rooms"][str(sizes[-1])]
    print(
        f"the gateway's CPU a post at {sizes[-1]:,} recipients (its callback API, the SigV4"
        " check, the frame to the client; API Gateway's work on AWS): "
        + ", ".join(f"{mode} {row['gateway_cpu_us_per_post']} us" for mode, row in largest.items())
    )
    write_json(args.json, results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
