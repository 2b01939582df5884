"""The live WebSocket connections of the local gateway, and what the callback API does to them.

A connection is registered before its $connect function runs, so a post that
races the handshake is buffered and delivered once the socket is up, instead
of being answered 410 and having the new row deleted as stale.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

from aiohttp import WSMsgType, web

from serverless_chat.errors import ConnectionGone, PayloadTooLarge
from serverless_chat.gateway.events import ConnectionMeta
from serverless_chat.ports import ConnectionInfo

# API Gateway's cap on the data of one PostToConnection (and on one message).
MAX_POST_BYTES = 128 * 1024


@dataclass(slots=True)
class LiveConnection:
    """One client: its handshake facts, its socket once open, and its activity."""

    meta: ConnectionMeta
    socket: web.WebSocketResponse | None = None
    pending: list[bytes] = field(default_factory=list)
    last_active_at: float = field(default_factory=time.time)
    idle_since: float = field(default_factory=time.monotonic)
    closing: bool = False

    def touch(self) -> None:
        self.last_active_at = time.time()


def opcode_for(data: bytes) -> WSMsgType:
    """A text frame when ``data`` is UTF-8, else a binary frame (as API Gateway sends it)."""
    if data.isascii():
        return WSMsgType.TEXT
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return WSMsgType.BINARY
    return WSMsgType.TEXT


async def send_frame(socket: web.WebSocketResponse, data: bytes) -> None:
    """Send ``data`` as one frame, text when it is UTF-8, else binary; the bytes as they are,
    without decoding them to text and encoding them again."""
    await socket.send_frame(data, opcode_for(data))


class ConnectionRegistry:
    """Connection id → live connection. Used from the event loop only."""

    def __init__(self, latency: float = 0.0) -> None:
        self._connections: dict[str, LiveConnection] = {}
        self._sending: set[asyncio.Future[None]] = set()  # posts taken, being written
        self.latency = latency  # simulated seconds per in-process post (--callback-latency)

    def __len__(self) -> int:
        return len(self._connections)

    def ids(self) -> list[str]:
        return list(self._connections)

    def open(self, meta: ConnectionMeta) -> LiveConnection:
        """Register a client whose $connect has not finished yet."""
        connection = LiveConnection(meta)
        self._connections[meta.connection_id] = connection
        return connection

    async def attach(self, connection_id: str, socket: web.WebSocketResponse) -> None:
        """The handshake is done: deliver what was posted meanwhile."""
        connection = self._connections[connection_id]
        connection.socket = socket
        pending, connection.pending = connection.pending, []
        for data in pending:
            await send_frame(socket, data)

    def remove(self, connection_id: str) -> LiveConnection | None:
        """Forget a connection; None if it was already gone (so $disconnect runs once)."""
        return self._connections.pop(connection_id, None)

    def get(self, connection_id: str) -> LiveConnection:
        """The connection, or ConnectionGone."""
        connection = self._connections.get(connection_id)
        if connection is None or connection.closing:
            raise ConnectionGone(connection_id)
        return connection

    async def post(self, connection_id: str, data: bytes) -> None:
        """PostToConnection: one frame to the client."""
        failures, accepted = self.accept([(connection_id, data)])
        if failures:
            raise failures[connection_id]
        ((connection, _),) = accepted
        if connection.socket is None:
            connection.pending.append(data)
            return
        try:
            await send_frame(connection.socket, data)
        except (ConnectionError, RuntimeError) as error:
            raise ConnectionGone(connection_id, str(error)) from error

    async def post_many(self, deliveries: list[tuple[str, bytes]]) -> dict[str, Exception]:
        """Many PostToConnection calls in one hop to the loop, after the simulated callback
        latency (the posts overlap, as parallel calls would); the failures by id."""
        if self.latency:
            await asyncio.sleep(self.latency)
        failures, accepted = self.accept(deliveries)
        await self._send_all(accepted)
        return failures

    def accept(
        self, deliveries: list[tuple[str, bytes]]
    ) -> tuple[dict[str, Exception], list[tuple[LiveConnection, bytes]]]:
        """PostToConnection's verdicts, without sending: the failures by id, and the posts
        taken. Safe from a worker thread: it only reads the registry."""
        failures: dict[str, Exception] = {}
        accepted: list[tuple[LiveConnection, bytes]] = []
        for connection_id, data in deliveries:
            if len(data) > MAX_POST_BYTES:
                failures[connection_id] = PayloadTooLarge(
                    connection_id, f"{len(data)} bytes is over {MAX_POST_BYTES}"
                )
                continue
            connection = self._connections.get(connection_id)
            if (
                connection is None
                or connection.closing
                or (connection.socket is not None and connection.socket.closed)
            ):
                failures[connection_id] = ConnectionGone(connection_id)
            else:
                accepted.append((connection, data))
        return failures, accepted

    def send_accepted(self, accepted: list[tuple[LiveConnection, bytes]]) -> None:
        """Send posts taken by :meth:`accept`, in order, in a task of their own (call on the
        loop). A client that left meanwhile is skipped: its $disconnect removes its row."""
        task = asyncio.ensure_future(self._send_all(accepted))
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)

    async def _send_all(self, accepted: list[tuple[LiveConnection, bytes]]) -> None:
        # A fan-out posts one bytes object to many: its frame type is worked out once.
        opcodes: dict[int, WSMsgType] = {}
        for connection, data in accepted:
            socket = connection.socket
            if socket is None:
                connection.pending.append(data)
                continue
            if socket.closed:
                continue
            opcode = opcodes.get(id(data))
            if opcode is None:
                opcode = opcodes[id(data)] = opcode_for(data)
            try:  # noqa: SIM105 (contextlib.suppress would cost a context manager a frame)
                await socket.send_frame(data, opcode)
            except (ConnectionError, RuntimeError):
                pass  # closing: the $disconnect that follows removes its row

    def info(self, connection_id: str) -> ConnectionInfo:
        """GetConnection: when it connected and was last active, and who it is."""
        connection = self.get(connection_id)
        meta = connection.meta
        return ConnectionInfo(
            connected_at=datetime.fromtimestamp(meta.connected_at / 1000, UTC),
            last_active_at=datetime.fromtimestamp(connection.last_active_at, UTC),
            source_ip=meta.source_ip,
            user_agent=meta.user_agent,
        )

    async def close(self, connection_id: str, code: int = 1000, reason: str = "") -> None:
        """DeleteConnection: close the socket; the server then runs $disconnect."""
        connection = self.get(connection_id)
        connection.closing = True
        if connection.socket is not None:
            await connection.socket.close(code=code, message=reason.encode())
