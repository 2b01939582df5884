"""SetNameHandler (setName): take another name, unique within the room."""

from __future__ import annotations

from serverless_chat.chat.service import Chat
from serverless_chat.handlers.dependencies import Dependencies, Handler, lambda_entry
from serverless_chat.handlers.requests import request_handler


def build_handler(deps: Dependencies) -> Handler:
    return request_handler(deps, "setName", Chat.set_name)


handler = lambda_entry(build_handler)
