"""The baseline for `serverless-chat bench`: the least a Python WebSocket broadcast server
does — parse the frame, send its text to every other connection — with no Lambda emulation,
no store and no routing. The gateway's figures are quoted as ratios against it.

``--coalesce`` makes it write as the gateway does (local_gateway/apigateway/outbox.py):
what one turn of the event loop sends a client leaves in one write. The plain server is the
one the targets are set against; the coalescing one shows how much of the gateway's figure
is that technique, which any server could use.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import struct
from collections.abc import Callable

from aiohttp import WSMsgType, web

# The largest message it takes: API Gateway's, as the gateway takes.
MAX_MESSAGE_BYTES = 128 * 1024

Transports = dict[web.WebSocketResponse, asyncio.Transport | None]


def _text_frame(data: bytes) -> bytes:
    """``data`` as one final, unmasked text frame (RFC 6455, section 5.2), written here
    rather than borrowed from the gateway, so that the baseline shares none of its code."""
    size = len(data)
    if size < 126:
        return struct.pack("!BB", 0x81, size) + data
    if size < 65536:
        return struct.pack("!BBH", 0x81, 126, size) + data
    return struct.pack("!BBQ", 0x81, 127, size) + data


def _coalescing_sender(
    transports: Transports,
) -> Callable[[web.WebSocketResponse, bytes], None]:
    """send(socket, data): queued, written with everything else the socket has queued at the
    end of this turn of the loop (uncompressed sockets only)."""
    queued: dict[web.WebSocketResponse, list[bytes]] = {}

    def flush() -> None:
        batch = dict(queued)
        queued.clear()
        for socket, frames in batch.items():
            transport = transports.get(socket)
            if transport is not None and not socket.closed and not transport.is_closing():
                transport.write(b"".join(frames))

    def send(socket: web.WebSocketResponse, data: bytes) -> None:
        if not queued:
            asyncio.get_running_loop().call_soon(flush)
        queued.setdefault(socket, []).append(_text_frame(data))

    return send


def application(compress: bool = False, coalesce: bool = False) -> web.Application:
    """``compress``: accept permessage-deflate, as the gateway does with --compress; the
    bench configures both alike, so that both put the same bytes on the wire."""
    clients: Transports = {}
    send = _coalescing_sender(clients) if coalesce and not compress else None

    async def websocket(request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse(max_msg_size=MAX_MESSAGE_BYTES, compress=compress)
        await socket.prepare(request)
        clients[socket] = request.transport
        try:
            async for message in socket:
                if message.type != WSMsgType.TEXT:
                    continue
                text = json.loads(message.data).get("message", "")
                if send is not None:
                    data = text.encode()
                    for other in list(clients):
                        if other is not socket and not other.closed:
                            send(other, data)
                    continue
                for other in list(clients):
                    if other is not socket and not other.closed:
                        await other.send_str(text)
        finally:
            clients.pop(socket, None)
        return socket

    app = web.Application()
    app.router.add_get("/production", websocket)
    return app


async def serve(port: int, compress: bool = False, coalesce: bool = False) -> None:
    runner = web.AppRunner(application(compress, coalesce), handle_signals=False)
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
    parser.add_argument("--coalesce", action="store_true", help="one write a client a turn")
    arguments = parser.parse_args()
    asyncio.run(serve(arguments.port, arguments.compress, arguments.coalesce))
