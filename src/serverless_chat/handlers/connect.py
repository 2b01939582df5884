"""ConnectHandler ($connect): place the new connection in its room, under its name.

Options come on the URL: ``?room=NAME&name=NICK&format=raw|text|json``. A bad
option refuses the handshake with 400, a taken name with 409, a store failure
with 500; the body says why.
"""

from __future__ import annotations

import logging
from typing import Any

from serverless_chat.chat.protocol import ProtocolError
from serverless_chat.errors import StoreError
from serverless_chat.handlers.dependencies import Dependencies, Handler, lambda_entry
from serverless_chat.handlers.event_view import WebSocketEvent
from serverless_chat.handlers.responses import response

log = logging.getLogger("serverless_chat.handlers.connect")


def build_handler(deps: Dependencies) -> Handler:
    def handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
        ev = WebSocketEvent(event)
        try:
            auth = ev.authorizer
            deps.chat(ev).connect(
                ev.connection_id,
                ev.connected_at,
                ev.query,
                principal=str(auth.get("sub") or auth.get("principalId") or ""),
                token_name=str(auth.get("name") or ""),
            )
        except ProtocolError as error:
            status = 409 if error.code == "NAME_TAKEN" else 400
            return response(status, {"code": error.code, "message": error.message})
        except StoreError as error:
            log.error("could not store connection %s: %s", ev.connection_id, error)
            return response(500, {"code": "STORE_UNAVAILABLE", "message": "Failed to connect."})
        return response(200, {"message": "Connected."})

    return handle


handler = lambda_entry(build_handler)
