"""DefaultHandler ($default): tell the caller how to use the chat, with its connection info.

A request like every other route's, so it takes a token from the caller's bucket before
GetConnection and the reply: unlimited, one connection could make the stack do a Lambda
invocation, a GetConnection and a PostToConnection per frame (docs/performance.md)."""

from __future__ import annotations

from serverless_chat.handlers.dependencies import lambda_entry
from serverless_chat.handlers.requests import request_handler

# The action comes from each event's route key (chat/actions.py): this module names none.
build_handler = request_handler
handler = lambda_entry(build_handler)
