"""SendMessageHandler (sendMessage): broadcast a message to every other connection."""

from __future__ import annotations

import logging
from typing import Any

from serverless_chat.chat.fanout import deliver, recipients
from serverless_chat.chat.protocol import ProtocolError, error_frame, parse_send_message
from serverless_chat.errors import StoreError
from serverless_chat.handlers.dependencies import Dependencies, Handler, lambda_entry
from serverless_chat.handlers.event import WebSocketEvent
from serverless_chat.handlers.replies import reply, response

log = logging.getLogger("serverless_chat.handlers.send_message")


def build_handler(deps: Dependencies) -> Handler:
    """Validate, read all connections (every page), post the bare text to all but the sender."""

    def handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
        ev = WebSocketEvent(event)
        connections = deps.connections_for(ev)
        try:
            request = parse_send_message(ev.body)
        except ProtocolError as error:
            reply(connections, ev.connection_id, error_frame(error))
            return response(400, {"code": error.code, "message": error.message})
        try:
            targets = recipients(deps.store.scan(), ev.connection_id)
        except StoreError as error:
            log.error("could not read connections: %s", error)
            failure = ProtocolError(
                "STORE_UNAVAILABLE", "The message could not be sent; try again.", "sendMessage"
            )
            reply(connections, ev.connection_id, error_frame(failure))
            return response(500, {"code": failure.code, "message": failure.message})
        report = deliver(
            request.text.encode(), targets, connections, deps.store, deps.fanout_executor
        )
        return response(
            200,
            {
                "delivered": len(report.delivered),
                "gone": len(report.gone),
                "failed": len(report.failed),
            },
        )

    return handle


handler = lambda_entry(build_handler)
