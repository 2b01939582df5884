"""A foreign-shaped chat through the gateway, against the bound its own code sets.

The probe (bench/foreign/) is written as the public samples write a chat: SAM layout, boto3
clients made at import, the connections in the template's DynamoDB table (a Scan per
message), each recipient posted through boto3's own apigatewaymanagementapi client at
https://{domainName}/{stage}. The gateway runs it isolated, each function in containers of
its own, the posts going over the containers' proxy to the gateway's TLS callback API.

Such code cannot post faster than one process of boto3 can post at all, so the bound is
measured in the same run: one process posting as fast as boto3 goes to a null endpoint (an
HTTPS server that answers 200 and does nothing, with the same kind of certificate). Target:
the chat's deliveries per second through the gateway >= x0.5 of that bound, nothing lost.
Both are measured in turns, --rounds times each; figures are the medians.

    python bench/foreign.py [--clients 40] [--senders 2] [--messages 25] [--rounds 3] [--json FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent / "src"))

from serverless_chat.loadgen.bench import measure  # noqa: E402
from serverless_chat.loadgen.process import GatewayProcess  # noqa: E402
from serverless_chat.loadgen.results import write_json  # noqa: E402

TEMPLATE = ROOT / "foreign" / "template.yaml"


def serve_null(cert: str, key: str) -> None:
    """(In a process of its own.) An HTTPS server that answers every post with 200."""
    from aiohttp import web

    from local_gateway.server.tls import server_context

    async def ok(_request: web.Request) -> web.Response:
        return web.Response(status=200)

    async def main() -> None:
        app = web.Application()
        app.router.add_post("/{stage}/@connections/{id}", ok)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(
            runner, "127.0.0.1", 0, ssl_context=server_context(Path(cert), Path(key))
        )
        await site.start()
        print(site._server.sockets[0].getsockname()[1], flush=True)  # type: ignore[union-attr]
        await asyncio.Event().wait()

    asyncio.run(main())


def post_null(endpoint: str, ca: str, count: int) -> None:
    """(In a process of its own.) Post ``count`` times through boto3; print posts a second."""
    import boto3

    client = boto3.client(
        "apigatewaymanagementapi",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
        verify=ca,
    )
    for _ in range(20):  # warm: the connection made, the code paths run once
        client.post_to_connection(ConnectionId="AAAAAAAAAAAAAAA=", Data=b"warm")
    started = time.perf_counter()
    for n in range(count):
        client.post_to_connection(ConnectionId="AAAAAAAAAAAAAAA=", Data=b"b|%d|x" % n)
    print(json.dumps({"posts_per_second": count / (time.perf_counter() - started)}))


def bound(count: int, folder: Path) -> float:
    """Posts a second one process of boto3 makes to the null endpoint."""
    from local_gateway.server.tls import make_certificate

    cert, key = make_certificate(folder, ["127.0.0.1", "localhost"])
    server = subprocess.Popen(
        [sys.executable, __file__, "--serve-null", str(cert), str(key)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        port = int(server.stdout.readline())
        done = subprocess.run(
            [
                sys.executable,
                __file__,
                "--post-null",
                f"https://127.0.0.1:{port}/production",
                str(cert),
                str(count),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        return float(json.loads(done.stdout)["posts_per_second"])
    finally:
        server.terminate()
        server.wait()


async def run(clients: int, senders: int, messages: int, rounds: int) -> dict[str, Any]:
    gateway = GatewayProcess(template=TEMPLATE)
    bounds: list[float] = []
    figures: list[dict[str, Any]] = []
    deliveries = senders * messages * (clients - 1)
    try:
        with tempfile.TemporaryDirectory() as folder:
            # untimed: the containers started (one a function, then more under load)
            await measure(gateway.url, gateway, clients, senders, max(1, messages // 5), "warm")
            for _ in range(rounds):
                bounds.append(await asyncio.to_thread(bound, deliveries, Path(folder)))
                result = await measure(gateway.url, gateway, clients, senders, messages, "foreign")
                figures.append(result.figures())
    finally:
        gateway.stop()
    chosen = sorted(figures, key=lambda f: f["deliveries_per_second"])[len(figures) // 2]
    limit = statistics.median(bounds)
    return {
        "clients": clients,
        "senders": senders,
        "messages": messages,
        "bound_posts_per_second": round(limit, 1),
        "bounds": [round(b, 1) for b in bounds],
        "foreign": chosen,
        "rounds": figures,
        "lost": max(f["lost"] for f in figures),
        "duplicates": max(f["duplicates"] for f in figures),
        "ratio": round(chosen["deliveries_per_second"] / max(1e-9, limit), 3),
    }


def main() -> int:
    if sys.argv[1:2] == ["--serve-null"]:
        serve_null(sys.argv[2], sys.argv[3])
        return 0
    if sys.argv[1:2] == ["--post-null"]:
        post_null(sys.argv[2], sys.argv[3], int(sys.argv[4]))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=40)
    parser.add_argument("--senders", type=int, default=2)
    parser.add_argument("--messages", type=int, default=25)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    report = asyncio.run(run(args.clients, args.senders, args.messages, args.rounds))
    f = report["foreign"]
    print(
        f"bound: one boto3 process posts {report['bound_posts_per_second']:.0f}/s to a null"
        f" HTTPS endpoint (rounds: {report['bounds']})"
    )
    print(
        f"foreign chat through the gateway: {f['deliveries_per_second']:.0f} deliveries/s,"
        f" CPU {f['cpu_ms_per_1000_deliveries']:.0f} ms per 1,000 (gateway and its containers),"
        f" fan-out p50 {f['fanout_ms']['p50']:.0f} ms, lost {report['lost']},"
        f" duplicates {report['duplicates']}"
    )
    print(f"foreign / bound: x{report['ratio']} (target >= 0.5)")
    write_json(args.json, report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
