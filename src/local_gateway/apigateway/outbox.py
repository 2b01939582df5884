"""Posts on their way to the clients: what one turn of the event loop queued for a client
goes out in one write.

A chat message is posted to every member of its room; a ``send`` system call a post would
make the kernel's TCP path most of the gateway's CPU under load. So posts queued while the
loop was busy elsewhere (several senders at once) leave together, one write for all the
frames a client has waiting, and an uncompressed frame is written straight to the transport
without a coroutine for each post (docs/performance.md has the figures). A post still
leaves in the turn of the loop that took it: nothing waits for a timer, and an idle gateway
writes each post at once.

Order is kept for each client: frames leave in the order they were queued, and a client
with permessage-deflate gets its frames from one task at a time (its compressor has state).
"""

from __future__ import annotations

import asyncio
import struct
from collections import deque
from collections.abc import Coroutine, Generator
from typing import Any

from aiohttp import WSMsgType

from local_gateway.apigateway.connection import LiveConnection

_SHORT = struct.Struct("!BB").pack
_MEDIUM = struct.Struct("!BBH").pack
_LONG = struct.Struct("!BBQ").pack


def opcode_for(data: bytes) -> WSMsgType:
    """A text frame when ``data`` is UTF-8, else a binary frame (as API Gateway sends it)."""
    if data.isascii():
        return WSMsgType.TEXT
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return WSMsgType.BINARY
    return WSMsgType.TEXT


def encode_frame(data: bytes) -> bytes:
    """``data`` as one final, unmasked frame, as a server sends it (RFC 6455, section 5.2),
    text when it is UTF-8, else binary; the bytes as they are."""
    first = 0x80 | opcode_for(data)
    size = len(data)
    if size < 126:
        header = _SHORT(first, size)
    elif size < 65536:
        header = _MEDIUM(first, 126, size)
    else:
        header = _LONG(first, 127, size)
    return header + data


class Outbox:
    """The frames queued for clients in this turn of the loop, written at its end.
    Used from the event loop only."""

    def __init__(self) -> None:
        self._queued: dict[int, tuple[LiveConnection, list[bytes]]] = {}
        self._deflating: dict[int, deque[bytes]] = {}  # per compressed client, while sent
        self._tasks: set[asyncio.Task[None]] = set()

    def put(self, connection: LiveConnection, data: bytes) -> None:
        """Queue ``data`` for the connection's open socket; it leaves at the end of this turn."""
        entry = self._queued.get(id(connection))
        if entry is None:
            if not self._queued:
                asyncio.get_running_loop().call_soon(self.flush)
            self._queued[id(connection)] = (connection, [data])
        else:
            entry[1].append(data)
        connection.queued_bytes += len(data)

    def flush(self) -> None:
        """Write what is queued: one write a client. A client that is leaving is skipped (its
        $disconnect removes its row, as a post to a closing connection is lost on AWS too)."""
        queued, self._queued = self._queued, {}
        frames: dict[int, bytes] = {}  # a fan-out posts one bytes object to many: encoded once
        for connection, posts in queued.values():
            socket, transport = connection.socket, connection.transport
            if socket is None or transport is None or socket.closed or transport.is_closing():
                connection.queued_bytes = 0
                continue
            if socket.compress:
                self._deflate(connection, posts)
                continue
            connection.queued_bytes = 0
            chunks = []
            for data in posts:
                frame = frames.get(id(data))
                if frame is None:
                    frame = frames[id(data)] = encode_frame(data)
                chunks.append(frame)
            transport.write(b"".join(chunks))  # (one frame: joined without a copy)

    def _deflate(self, connection: LiveConnection, posts: list[bytes]) -> None:
        """Compressed frames go through aiohttp's writer, which keeps the compressor's state,
        one sender a client at a time. The sender runs at once, and it is done when nothing
        made it wait; a task finishes it when something did (a paused transport)."""
        waiting = self._deflating.get(id(connection))
        if waiting is not None:  # its sender waits: these go after what it has
            waiting.extend(posts)
            return
        waiting = self._deflating[id(connection)] = deque(posts)
        task = run_eagerly(self._send_deflated(connection, waiting))
        if task is not None:
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _send_deflated(self, connection: LiveConnection, waiting: deque[bytes]) -> None:
        socket = connection.socket
        try:
            while waiting and socket is not None and not socket.closed:
                data = waiting.popleft()
                connection.queued_bytes -= len(data)
                await socket.send_frame(data, opcode_for(data))
        except (ConnectionError, RuntimeError):
            pass  # closing: the $disconnect that follows removes its row
        finally:  # what a closed client was still owed is dropped
            del self._deflating[id(connection)]
            connection.queued_bytes -= sum(len(data) for data in waiting)


def run_eagerly(coroutine: Coroutine[Any, Any, None]) -> asyncio.Task[None] | None:
    """Run ``coroutine`` now, up to where it first waits; None when it ran to its end, else
    the task that runs the rest. (Python 3.12's eager tasks, which 3.11 lacks: a compressed
    send seldom waits, and a task for each would cost more than the send.)"""
    try:
        waiting_on = coroutine.send(None)
    except StopIteration:
        return None
    except Exception as error:  # reported as a task's would be; the caller goes on
        asyncio.get_running_loop().call_exception_handler(
            {"message": "exception in an eagerly run coroutine", "exception": error}
        )
        return None
    task = asyncio.ensure_future(_Rest(coroutine, waiting_on))
    # A task cancelled before its first step never reaches the coroutine: closed here, its
    # cleanup runs then, not whenever it is collected.
    task.add_done_callback(lambda _: coroutine.close())
    return task


class _Rest:
    """The rest of a coroutine that stopped at ``waiting_on``: awaited by a task, which waits
    for what it waits for and hands it what the task is sent or thrown (a cancellation)."""

    def __init__(self, coroutine: Coroutine[Any, Any, None], waiting_on: Any) -> None:
        self._coroutine = coroutine
        self._waiting_on = waiting_on

    def __await__(self) -> Generator[Any, None, None]:
        coroutine, waiting_on = self._coroutine, self._waiting_on
        while True:
            try:
                yield waiting_on
            except BaseException as error:
                try:
                    waiting_on = coroutine.throw(error)
                except StopIteration:
                    return
            else:
                try:
                    waiting_on = coroutine.send(None)
                except StopIteration:
                    return
