"""Texts the chat sends back to a caller."""

from __future__ import annotations

import json

from serverless_chat.ports import ConnectionInfo

USAGE_PREFIX = "Use the sendMessage route to send a message. Your info: "


def usage_reply(connection_id: str, info: ConnectionInfo) -> bytes:
    """The original DefaultHandler's reply: usage, then the caller's GetConnection info as JSON."""
    return (USAGE_PREFIX + json.dumps(info.as_json(connection_id))).encode()
