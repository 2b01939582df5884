"""HistoryHandler (history): a page of the room's messages, newest N before a cursor."""

from __future__ import annotations

from serverless_chat.chat.service import Chat
from serverless_chat.handlers.dependencies import Dependencies, Handler, lambda_entry
from serverless_chat.handlers.requests import request_handler


def build_handler(deps: Dependencies) -> Handler:
    return request_handler(deps, "history", Chat.history)


handler = lambda_entry(build_handler)
