"""DisconnectHandler ($disconnect): forget the connection. Best effort, as on AWS."""

from __future__ import annotations

import logging
from typing import Any

from serverless_chat.errors import StoreError
from serverless_chat.handlers.dependencies import Dependencies, Handler, lambda_entry
from serverless_chat.handlers.event_view import WebSocketEvent
from serverless_chat.handlers.responses import response

log = logging.getLogger("serverless_chat.handlers.disconnect")


def build_handler(deps: Dependencies) -> Handler:
    """Delete the row and the name claim, tell the room (the TTL removes rows if this fails)."""

    def handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
        ev = WebSocketEvent(event)
        try:
            deps.chat(ev).disconnect(ev.connection_id)
        except StoreError as error:
            log.error("could not delete connection %s: %s", ev.connection_id, error)
            return response(500, {"message": "Failed to disconnect."})
        return response(200, {"message": "Disconnected."})

    return handle


handler = lambda_entry(build_handler)
