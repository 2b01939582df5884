"""DefaultHandler ($default): tell the caller how to use the chat, with its connection info."""

from __future__ import annotations

import logging
from typing import Any

from serverless_chat.chat.replies import usage_reply
from serverless_chat.errors import CallbackError
from serverless_chat.handlers.dependencies import Dependencies, Handler, lambda_entry
from serverless_chat.handlers.event import WebSocketEvent
from serverless_chat.handlers.replies import response

log = logging.getLogger("serverless_chat.handlers.default")


def build_handler(deps: Dependencies) -> Handler:
    """GetConnection for the caller, then one usage reply through PostToConnection."""

    def handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
        ev = WebSocketEvent(event)
        connections = deps.connections_for(ev)
        try:
            info = connections.info(ev.connection_id)
        except CallbackError as error:
            log.warning("GetConnection for %s failed: %s", ev.connection_id, error)
            return response(410 if error.status == 410 else 502, {"message": str(error)})
        try:
            connections.post(ev.connection_id, usage_reply(ev.connection_id, info))
        except CallbackError as error:
            log.warning("usage reply to %s failed: %s", ev.connection_id, error)
        return response(200, {"message": "Usage sent."})

    return handle


handler = lambda_entry(build_handler)
