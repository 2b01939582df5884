"""WhoHandler (who, rooms): the names present in the caller's room, and the rooms people
are in with how many in each."""

from __future__ import annotations

from serverless_chat.handlers.dependencies import lambda_entry
from serverless_chat.handlers.requests import request_handler

# The action comes from each event's route key (chat/actions.py): this module names none.
build_handler = request_handler
handler = lambda_entry(build_handler)
