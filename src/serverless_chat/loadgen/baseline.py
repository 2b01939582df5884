"""The baseline for `serverless-chat bench`: the least a Python WebSocket broadcast server
does — parse the frame, send its text to every other connection — with no Lambda emulation,
no store and no routing. The gateway's figures are quoted as ratios against it."""

from __future__ import annotations

import argparse
import asyncio
import json
import signal

from aiohttp import WSMsgType, web


def application(compress: bool = False) -> web.Application:
    """``compress``: accept permessage-deflate, as the gateway does with --compress; the
    bench configures both alike, so that both put the same bytes on the wire."""
    clients: set[web.WebSocketResponse] = set()

    async def websocket(request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse(max_msg_size=128 * 1024, compress=compress)
        await socket.prepare(request)
        clients.add(socket)
        try:
            async for message in socket:
                if message.type != WSMsgType.TEXT:
                    continue
                text = json.loads(message.data).get("message", "")
                for other in list(clients):
                    if other is not socket and not other.closed:
                        await other.send_str(text)
        finally:
            clients.discard(socket)
        return socket

    app = web.Application()
    app.router.add_get("/production", websocket)
    return app


async def serve(port: int, compress: bool = False) -> None:
    runner = web.AppRunner(application(compress), handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    sockets = getattr(site._server, "sockets", None) or []
    print(f"baseline on ws://127.0.0.1:{sockets[0].getsockname()[1]}/production", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
    await runner.cleanup()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--compress", action="store_true")
    arguments = parser.parse_args()
    asyncio.run(serve(arguments.port, arguments.compress))
