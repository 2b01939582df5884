"""Texts the chat sends back to a caller: $default's usage reply."""

from __future__ import annotations

import json

from serverless_chat.ports import ConnectionInfo

USAGE_PREFIX = "Use the sendMessage route to send a message. Your info: "


def connection_info_json(info: ConnectionInfo, connection_id: str) -> dict[str, object]:
    """The original DefaultHandler's reply: GetConnection's output plus connectionID."""
    return {
        "ConnectedAt": info.connected_at.isoformat(),
        "Identity": {"SourceIp": info.source_ip, "UserAgent": info.user_agent},
        "LastActiveAt": info.last_active_at.isoformat(),
        "connectionID": connection_id,
    }


def usage_reply(connection_id: str, info: ConnectionInfo) -> bytes:
    """The original DefaultHandler's reply: usage, then the caller's GetConnection info as JSON."""
    return (USAGE_PREFIX + json.dumps(connection_info_json(info, connection_id))).encode()
