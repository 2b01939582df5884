"""Sending one frame back to the caller, where a failure is logged and never raised."""

from __future__ import annotations

import json
import logging
from typing import Any

from serverless_chat.errors import CallbackError
from serverless_chat.ports import Connections

log = logging.getLogger("serverless_chat.handlers")


def reply(connections: Connections, connection_id: str, data: bytes) -> bool:
    """Post ``data`` to the caller; False (and a log line) if the caller cannot be reached."""
    try:
        connections.post(connection_id, data)
    except CallbackError as error:
        log.warning("reply to connection %s failed: %s", connection_id, error)
        return False
    return True


def response(status: int, body: Any) -> dict[str, Any]:
    """A Lambda proxy response with a JSON body."""
    return {"statusCode": status, "body": json.dumps(body)}
