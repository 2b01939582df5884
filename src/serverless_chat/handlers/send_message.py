"""SendMessageHandler (sendMessage): a message to the room, or with "to" a direct message."""

from __future__ import annotations

from serverless_chat.chat.service import Chat
from serverless_chat.handlers.dependencies import Dependencies, Handler, lambda_entry
from serverless_chat.handlers.requests import request_handler


def build_handler(deps: Dependencies) -> Handler:
    return request_handler(deps, "sendMessage", Chat.send_message)


handler = lambda_entry(build_handler)
