"""The ports the chat talks to: where connections are kept, and the callback API.

Handlers depend on these Protocols only. Adapters implement them: DynamoDB and
SQLite for :class:`ConnectionStore`; boto3's ``apigatewaymanagementapi`` and the
local gateway's in-process registry for :class:`Connections`. Every adapter
raises the errors of :mod:`serverless_chat.errors`, never its SDK's.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

# API Gateway closes a WebSocket after two hours, so a row older than that is a leak.
CONNECTION_TTL_SECONDS = 2 * 60 * 60


@dataclass(frozen=True, slots=True)
class ConnectionRecord:
    """One row of the ConnectionsTable."""

    connection_id: str
    connected_at: int  # epoch milliseconds, as requestContext.connectedAt
    expires_at: int  # epoch seconds; DynamoDB's TTL attribute

    @classmethod
    def opened(cls, connection_id: str, connected_at_ms: int) -> ConnectionRecord:
        """A new connection's record, expiring with API Gateway's 2 h cap."""
        return cls(connection_id, connected_at_ms, connected_at_ms // 1000 + CONNECTION_TTL_SECONDS)


class ConnectionStore(Protocol):
    """The connections that are open now, keyed by connectionId."""

    def put(self, record: ConnectionRecord) -> None:
        """Insert or replace a connection."""

    def delete(self, connection_id: str) -> None:
        """Remove a connection; removing one that is absent is not an error."""

    def get(self, connection_id: str) -> ConnectionRecord | None:
        """The connection with this id, or None."""

    def scan(self, page_size: int = 100) -> Iterator[ConnectionRecord]:
        """Every connection, reading page after page until the last one."""


@dataclass(frozen=True, slots=True)
class ConnectionInfo:
    """What GetConnection tells about a connection."""

    connected_at: datetime
    last_active_at: datetime
    source_ip: str
    user_agent: str = ""

    def as_json(self, connection_id: str) -> dict[str, object]:
        """The original DefaultHandler's reply: GetConnection's output plus connectionID."""
        return {
            "ConnectedAt": self.connected_at.isoformat(),
            "Identity": {"SourceIp": self.source_ip, "UserAgent": self.user_agent},
            "LastActiveAt": self.last_active_at.isoformat(),
            "connectionID": connection_id,
        }


class Connections(Protocol):
    """The callback API of one WebSocket API stage (API Gateway's @connections)."""

    def post(self, connection_id: str, data: bytes) -> None:
        """Send ``data`` to the client as one frame. Raises ConnectionGone, PayloadTooLarge, ..."""

    def info(self, connection_id: str) -> ConnectionInfo:
        """Describe a connection. Raises ConnectionGone."""

    def close(self, connection_id: str) -> None:
        """Disconnect the client. Raises ConnectionGone."""
