"""The shape every client-request handler shares: event in, one chat operation, status out."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from serverless_chat.handlers.dependencies import Dependencies, Handler
from serverless_chat.handlers.event_view import WebSocketEvent
from serverless_chat.handlers.responses import response

if TYPE_CHECKING:
    from serverless_chat.chat.service import Operation


def request_handler(deps: Dependencies, action: str, operation: Operation) -> Handler:
    """A handler that runs ``operation`` for the sender; refusals reach the sender as frames."""

    def handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
        ev = WebSocketEvent(event)
        status = deps.chat(ev).request(ev.connection_id, action, ev.body, operation)
        return response(status, {"action": action, "status": status})

    return handle
