"""ConnectHandler ($connect): remember the new connection."""

from __future__ import annotations

import logging
from typing import Any

from serverless_chat.errors import StoreError
from serverless_chat.handlers.dependencies import Dependencies, Handler, lambda_entry
from serverless_chat.handlers.event import WebSocketEvent
from serverless_chat.handlers.replies import response
from serverless_chat.ports import ConnectionRecord

log = logging.getLogger("serverless_chat.handlers.connect")


def build_handler(deps: Dependencies) -> Handler:
    """The $connect handler: store the connectionId; a store failure refuses the handshake."""

    def handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
        ev = WebSocketEvent(event)
        try:
            deps.store.put(ConnectionRecord.opened(ev.connection_id, ev.connected_at))
        except StoreError as error:
            log.error("could not store connection %s: %s", ev.connection_id, error)
            return response(500, {"message": "Failed to connect."})
        return response(200, {"message": "Connected."})

    return handle


handler = lambda_entry(build_handler)
