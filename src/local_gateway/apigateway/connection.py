"""One live client of the gateway: its handshake facts, its socket once open, its activity,
and what waits to be written to it (read by the registry, written by the outbox)."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

from aiohttp import web

from local_gateway.apigateway.event_factory import ConnectionMeta


@dataclass(slots=True)
class LiveConnection:
    """One client: its handshake facts, its socket once open, and its activity."""

    meta: ConnectionMeta
    socket: web.WebSocketResponse | None = None
    transport: asyncio.Transport | None = None  # the socket's, written to by the outbox
    pending: list[bytes] = field(default_factory=list)  # posted before the handshake ended
    queued_bytes: int = 0  # in the outbox, not yet handed to the transport
    last_active_at: float = field(default_factory=time.time)
    idle_since: float = field(default_factory=time.monotonic)
    closing: bool = False
    close_reason: tuple[int, str] | None = None  # set when the gateway closes it
    client_left: bool = False  # the client closed it (or its socket ended)
    # --chaos vanish: its client is gone without the gateway knowing (no FIN); set when the
    # gateway finds out (a write to it fails, or it is closed).
    vanished: asyncio.Event | None = None

    def found_gone(self) -> None:
        """A vanished client is found out: the wait for it ends."""
        if self.vanished is not None:
            self.vanished.set()

    def touch(self) -> None:
        self.last_active_at = time.time()

    def backlog(self) -> int:
        """Bytes posted to this client and not yet taken by its kernel socket (read from a
        worker thread too: an estimate, which is all a cap needs)."""
        transport = self.transport
        if transport is None:
            return self.queued_bytes
        return self.queued_bytes + transport.get_write_buffer_size()
