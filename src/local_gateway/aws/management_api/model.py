"""The live WebSocket connections of the local gateway, and what the callback API does to them.

A connection exists once its ``$connect`` has returned, as on API Gateway: a post to it
before then is answered 410 GoneException ("Until execution of the integration associated
with the $connect route is completed, the upgrade request is pending and the actual
connection will not be established", the $connect route documentation; the 410
GoneException Knowledge Center article). A post taken between that and the end of the 101
response is held and written right after it.
"""

from __future__ import annotations

import asyncio
import logging
import re
from datetime import UTC, datetime
from typing import NamedTuple

from aiohttp import web

from local_gateway.apigateway.chaos import Chaos
from local_gateway.apigateway.connection import LiveConnection
from local_gateway.apigateway.event_factory import ConnectionMeta
from local_gateway.apigateway.outbox import Outbox
from local_gateway.errors import (
    BadRequestException,
    GoneException,
    LimitExceededException,
    ManagementApiError,
    PayloadTooLargeException,
)

log = logging.getLogger("local_gateway")

# API Gateway's cap on the data of one PostToConnection (and on one message).
MAX_POST_BYTES = 128 * 1024

# What the gateway holds for a client that does not read, beyond what the kernel's socket
# buffer holds: past it a post is refused with 429 LimitExceededException, as API Gateway
# answers when "the WebSocket client side buffer is full", and memory stays bounded.
MAX_BUFFERED_BYTES = 1024 * 1024

# The form of API Gateway's connection ids; another id is a 400 BadRequestException
# ("Invalid connectionId: ..."), as recorded answers of the Management API show.
_CONNECTION_ID = re.compile(r"[A-Za-z0-9_-]{15}=")
DELETED = (1000, "Connection Closed Normally")  # what $disconnect hears after a DeleteConnection


def valid_connection_id(connection_id: str) -> bool:
    return _CONNECTION_ID.fullmatch(connection_id) is not None


class ConnectionDetails(NamedTuple):
    """What GetConnection tells about a connection."""

    connected_at: datetime
    last_active_at: datetime
    source_ip: str
    user_agent: str = ""


class ConnectionRegistry:
    """Connection id → live connection. Used from the event loop, but for :meth:`accept`,
    which only reads and so may be called from the hook's worker threads."""

    def __init__(self, latency: float = 0.0, chaos: Chaos | None = None) -> None:
        self.chaos = chaos  # --chaos: callback-rate and callback-latency act here
        self._connections: dict[str, LiveConnection] = {}
        self._outbox = Outbox()
        self.latency = latency  # simulated seconds per Management API call (--callback-latency)
        # Ids whose $connect runs now (the core keeps this): posts to them get 410, with a
        # line in the log, since code that posts during $connect works nowhere on AWS.
        self.connecting: set[str] = set()

    def __len__(self) -> int:
        return len(self._connections)

    def ids(self) -> list[str]:
        return list(self._connections)

    def open(self, meta: ConnectionMeta) -> LiveConnection:
        """Register a client whose $connect has returned (its 101 is on its way)."""
        connection = LiveConnection(meta)
        self._connections[meta.connection_id] = connection
        return connection

    def attach(
        self,
        connection_id: str,
        socket: web.WebSocketResponse,
        transport: asyncio.Transport | None,
    ) -> None:
        """The handshake is done: deliver what was posted meanwhile, then what comes."""
        connection = self._connections[connection_id]
        connection.socket, connection.transport = socket, transport
        pending, connection.pending = connection.pending, []
        connection.queued_bytes = 0
        for data in pending:
            self._outbox.put(connection, data)

    def remove(self, connection_id: str) -> LiveConnection | None:
        """Forget a connection; None if it was already gone (so $disconnect runs once)."""
        return self._connections.pop(connection_id, None)

    def get(self, connection_id: str) -> LiveConnection:
        """The connection, or GoneException (BadRequestException for an id of another form)."""
        connection = self._connections.get(connection_id)
        if connection is None or connection.closing:
            raise self._gone(connection_id)
        return connection

    def _gone(self, connection_id: str) -> ManagementApiError:
        if not valid_connection_id(connection_id):
            return BadRequestException(connection_id, f"Invalid connectionId: {connection_id}")
        if connection_id in self.connecting:
            log.warning(
                "a post to %s while its $connect runs: 410 GoneException, as on AWS (the"
                " connection exists once $connect has returned)",
                connection_id,
            )
        return GoneException(connection_id)

    @property
    def simulates_calls(self) -> bool:
        """Whether a call waits or may be throttled before its verdicts (--callback-latency,
        --chaos callback-latency or callback-rate): then every call, whichever face it came
        by, goes through :meth:`delay` and :meth:`throttle` on the loop; else a worker thread
        may take the verdicts itself (:meth:`accept`)."""
        chaos = self.chaos
        return bool(self.latency) or (
            chaos is not None and (chaos.callback_rate is not None or bool(chaos.callback_latency))
        )

    async def delay(self) -> None:
        """--callback-latency: each Management API call costs what a call to AWS costs. The
        one place it is simulated, whichever face (HTTP or in-process) the call came by."""
        extra = self.chaos.callback_delay() if self.chaos is not None else 0.0
        if self.latency or extra:
            await asyncio.sleep(self.latency + extra)

    def throttle(self, connection_id: str) -> None:
        """--chaos callback-rate: a call over the rate is refused 429, as AWS throttles."""
        if self.chaos is not None and self.chaos.throttles_callback(connection_id):
            raise LimitExceededException(connection_id, "Rate exceeded (--chaos callback-rate)")

    async def post(self, connection_id: str, data: bytes) -> None:
        """PostToConnection: one frame to the client, taken now, written at the end of this
        turn of the loop (local_gateway/apigateway/outbox.py)."""
        await self.delay()
        self.throttle(connection_id)
        failures, accepted = self.accept([(connection_id, data)])
        if failures:
            raise failures[connection_id]
        self.send_accepted(accepted)

    async def post_many(self, deliveries: list[tuple[str, bytes]]) -> dict[str, ManagementApiError]:
        """Many PostToConnection calls in one hop to the loop, after the simulated callback
        latency (the posts overlap, as parallel calls would); the failures by id."""
        await self.delay()
        throttled = {
            cid: LimitExceededException(cid, "Rate exceeded (--chaos callback-rate)")
            for cid, _ in deliveries
            if self.chaos is not None and self.chaos.throttles_callback(cid)
        }
        failures, accepted = self.accept([d for d in deliveries if d[0] not in throttled])
        self.send_accepted(accepted)
        return {**failures, **throttled}

    def accept(
        self, deliveries: list[tuple[str, bytes]]
    ) -> tuple[dict[str, ManagementApiError], list[tuple[LiveConnection, bytes]]]:
        """PostToConnection's verdicts, without sending: the failures by id, and the posts
        taken. Safe from a worker thread: it only reads the registry."""
        failures: dict[str, ManagementApiError] = {}
        accepted: list[tuple[LiveConnection, bytes]] = []
        for connection_id, data in deliveries:
            if len(data) > MAX_POST_BYTES:
                failures[connection_id] = PayloadTooLargeException(
                    connection_id, f"{len(data)} bytes is over {MAX_POST_BYTES}"
                )
                continue
            connection = self._connections.get(connection_id)
            if connection is not None and connection.vanished is not None:
                accepted.append((connection, data))  # its write fails, unseen by the caller
            elif (
                connection is None
                or connection.closing
                or (connection.socket is not None and connection.socket.closed)
            ):
                failures[connection_id] = self._gone(connection_id)
            elif connection.backlog() + len(data) > MAX_BUFFERED_BYTES:
                failures[connection_id] = LimitExceededException(
                    connection_id, f"the client's buffer is full ({MAX_BUFFERED_BYTES} bytes)"
                )
            else:
                accepted.append((connection, data))
        return failures, accepted

    def send_accepted(self, accepted: list[tuple[LiveConnection, bytes]]) -> None:
        """Queue posts taken by :meth:`accept`, in order (call on the loop); they are written
        at the end of this turn. A client that leaves meanwhile is skipped: its $disconnect
        removes its row."""
        put = self._outbox.put
        for connection, data in accepted:
            if connection.vanished is not None:  # into the void: the gateway finds out now
                if not connection.vanished.is_set():
                    log.warning(
                        "chaos vanish: a post to %s answered 200 and its write failed: the"
                        " connection is found gone",
                        connection.meta.connection_id,
                    )
                connection.found_gone()
            elif connection.socket is None:  # the handshake has not ended: held until it has
                connection.pending.append(data)
                connection.queued_bytes += len(data)
            else:
                put(connection, data)

    def flush(self) -> None:
        """Write every queued post now (before closing sockets)."""
        self._outbox.flush()

    def info(self, connection_id: str) -> ConnectionDetails:
        """GetConnection: when it connected and was last active, and who it is."""
        connection = self.get(connection_id)
        meta = connection.meta
        return ConnectionDetails(
            connected_at=datetime.fromtimestamp(meta.connected_at / 1000, UTC),
            last_active_at=datetime.fromtimestamp(connection.last_active_at, UTC),
            source_ip=meta.source_ip,
            user_agent=meta.user_agent,
        )

    async def get_connection(self, connection_id: str) -> ConnectionDetails:
        """GetConnection, as a Management API call (its latency included)."""
        await self.delay()
        self.throttle(connection_id)
        return self.info(connection_id)

    async def close(self, connection_id: str, code: int = 1000, reason: str = "") -> None:
        """DeleteConnection: close the socket; the server then runs $disconnect."""
        await self.delay()
        self.throttle(connection_id)
        connection = self.get(connection_id)
        connection.closing = True
        connection.close_reason = DELETED
        connection.found_gone()
        self._outbox.flush()  # what was posted before the close goes first, as on AWS
        if connection.socket is not None:
            await connection.socket.close(code=code, message=reason.encode())
