"""What clients send and the error frames they get back: parsing and validation only.

A client sends ``{"action": "sendMessage", "message": "Hello AWS"}``. A body
that is not JSON, not an object, or whose ``message`` is missing or not a
non-empty string is refused with a :class:`ProtocolError` that carries a
stable code; the handler turns it into one error frame for the sender.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

# API Gateway's own cap on one WebSocket message; the body cannot be larger.
MAX_MESSAGE_BYTES = 128 * 1024


class ProtocolError(ValueError):
    """A client's frame is not a valid request; ``code`` is stable, ``message`` is for people."""

    def __init__(self, code: str, message: str, action: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.action = action


@dataclass(frozen=True, slots=True)
class SendMessage:
    """A validated sendMessage request."""

    text: str


def parse_body(body: str | None) -> dict[str, object]:
    """The frame's JSON object, or a ProtocolError saying why it is not one."""
    if body is None or body == "":
        raise ProtocolError("EMPTY_BODY", "The frame is empty; send a JSON object.")
    try:
        value = json.loads(body)
    except (ValueError, RecursionError):
        raise ProtocolError("INVALID_JSON", "The frame is not valid JSON.") from None
    if not isinstance(value, dict):
        raise ProtocolError("NOT_AN_OBJECT", "The frame must be a JSON object.")
    return value


def parse_send_message(body: str | None) -> SendMessage:
    """Validate a sendMessage frame."""
    action = "sendMessage"
    try:
        request = parse_body(body)
    except ProtocolError as error:
        error.action = action
        raise
    if "message" not in request:
        raise ProtocolError("MISSING_FIELD", 'The "message" field is missing.', action)
    text = request["message"]
    if not isinstance(text, str):
        raise ProtocolError("INVALID_FIELD", 'The "message" field must be a string.', action)
    if text == "":
        raise ProtocolError("INVALID_FIELD", 'The "message" field must not be empty.', action)
    return SendMessage(text)


def error_frame(error: ProtocolError) -> bytes:
    """The one frame the sender gets for a refused request."""
    frame = {"type": "error", "code": error.code, "message": error.message, "action": error.action}
    return json.dumps(frame, separators=(",", ":")).encode()
