"""The entry of every client request: event in, the action its route key names
(chat/actions.py), one Chat operation, status out."""

from __future__ import annotations

from typing import Any

from serverless_chat.chat.actions import BY_KEY
from serverless_chat.handlers.dependencies import Dependencies, Handler
from serverless_chat.handlers.event_view import WebSocketEvent
from serverless_chat.handlers.responses import response


def request_handler(deps: Dependencies) -> Handler:
    """A handler that runs the action of each event's route key for its sender; refusals
    reach the sender as frames. A route key that names no action is an invocation error
    (the template routed it to the wrong function)."""

    def handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
        ev = WebSocketEvent(event)
        action = BY_KEY.get(ev.route_key)
        if action is None:
            raise ValueError(f"no action for the route key {ev.route_key!r} (chat/actions.py)")
        status = deps.chat(ev).request(ev.connection_id, action, ev.json_body)
        return response(status, {"action": action.key, "status": status})

    return handle
