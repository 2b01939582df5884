"""What the registry and the outbox use of an aiohttp WebSocketResponse and its transport,
with what reached the wire decoded by another library's parser (websockets')."""

from __future__ import annotations

import asyncio
from typing import Any, cast

from aiohttp import WSMsgType, web
from websockets.frames import Frame, Opcode
from websockets.streams import StreamReader

from local_gateway.apigateway.connection import LiveConnection
from local_gateway.apigateway.event_factory import ConnectionMeta
from local_gateway.aws.management_api.model import ConnectionRegistry


def decode(stream: bytes) -> list[str | bytes]:
    """The frames in ``stream``: text as str, binary as bytes (each must be final)."""
    reader = StreamReader()
    reader.feed_data(stream)
    reader.feed_eof()
    messages: list[str | bytes] = []
    while reader.buffer:
        parser = Frame.parse(reader.read_exact, mask=False)
        try:
            next(parser)
        except StopIteration as done:
            frame: Frame = done.value
        else:
            raise AssertionError("a frame is cut short")
        assert frame.fin
        messages.append(frame.data.decode() if frame.opcode is Opcode.TEXT else frame.data)
    return messages


class FakeTransport:
    def __init__(self, buffered: int = 0) -> None:
        self.writes: list[bytes] = []
        self.closing = False
        self.buffered = buffered  # what the kernel has not taken yet

    def write(self, data: bytes) -> None:
        assert not self.closing, "written after close"
        self.writes.append(bytes(data))

    def is_closing(self) -> bool:
        return self.closing

    def get_write_buffer_size(self) -> int:
        return self.buffered

    @property
    def frames(self) -> list[str | bytes]:
        return decode(b"".join(self.writes))


class FakeSocket:
    """``compress``: as if the client took permessage-deflate (frames go through send_frame)."""

    def __init__(self, compress: bool = False, stall: asyncio.Event | None = None) -> None:
        self.closed = False
        self.compress = compress
        self.sent: list[Any] = []  # through send_frame
        self._stall = stall

    async def send_frame(self, data: bytes, opcode: WSMsgType) -> None:
        if self._stall is not None:
            await self._stall.wait()  # as aiohttp waits for a paused transport to drain
        if self.closed:
            raise ConnectionResetError("closed")
        self.sent.append(data.decode() if opcode == WSMsgType.TEXT else data)


def open_client(
    registry: ConnectionRegistry,
    cid: str,
    socket: FakeSocket | None = None,
    transport: FakeTransport | None = None,
) -> LiveConnection:
    """A client whose handshake has ended (or not, when no socket is given)."""
    connection = registry.open(ConnectionMeta(cid, 0, "127.0.0.1"))
    if socket is not None:
        registry.attach(
            cid, cast(web.WebSocketResponse, socket), cast(asyncio.Transport, transport)
        )
    return connection


async def settle() -> None:
    """Let the loop run the outbox's flush (and a compressed client's task)."""
    for _ in range(3):
        await asyncio.sleep(0)
