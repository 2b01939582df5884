"""The baseline for `serverless-chat bench`: the least a Python WebSocket broadcast server
does — parse the frame, send its text to every other connection — with no Lambda emulation,
no store and no routing. The gateway's figures are quoted as ratios against it."""

from __future__ import annotations

import argparse
import asyncio
import json
import signal

from aiohttp import WSMsgType, web


def application() -> web.Application:
    clients: set[web.WebSocketResponse] = set()

    async def websocket(request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse(max_msg_size=128 * 1024)
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


async def serve(port: int) -> None:
    runner = web.AppRunner(application(), handle_signals=False)
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
    asyncio.run(serve(parser.parse_args().port))
