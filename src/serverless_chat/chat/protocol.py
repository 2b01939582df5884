"""What clients send: parsing and validation of every action. Pure.

Every refusal is a :class:`ProtocolError` with a stable code (listed in
docs/protocol.md); the chat turns it into one error frame for the sender.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Mapping
from typing import NamedTuple

from serverless_chat.chat.model import DEFAULT_ROOM, FORMATS, name_problem

MAX_NAME_LENGTH = 32
DEFAULT_MAX_TEXT_LENGTH = 4000
DEFAULT_HISTORY_LIMIT = 50
MAX_HISTORY_LIMIT = 100
_ROOM = r"[a-z0-9_-]{1,64}"  # compiled on first use (re caches it): imports stay cheap
_NAME_PUNCTUATION = frozenset(" _-.")
_CURSOR = r"[0-9]{13}#[0-9A-Za-z_-]{1,64}"  # [0-9], not \d: that takes every script's digits
_MESSAGE_ID = r"[0-9A-Za-z_-]{1,64}"
_LATEST_SENT_AT = 10**13  # epoch ms with 13 digits, as sort keys write them: to the year 2286


class ProtocolError(ValueError):
    """A client's request is refused; ``code`` is stable, ``message`` is for people, and
    ``retry_after_ms`` (RATE_LIMITED) says when sending again can succeed."""

    def __init__(
        self,
        code: str,
        message: str,
        action: str | None = None,
        retry_after_ms: int | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.action = action
        self.retry_after_ms = retry_after_ms


def encodable(value: str, field: str, action: str | None) -> str:
    """``value`` unchanged if it can be sent and stored as UTF-8; else INVALID_TEXT.

    JSON can carry a lone surrogate (``"\\ud800"``) that no UTF-8 encoder takes: the frame
    rendering it, SQLite and DynamoDB would all raise. Every string a client sends passes
    here before anything is stored or rendered."""
    try:
        value.encode()
    except UnicodeEncodeError:
        raise ProtocolError(
            "INVALID_TEXT",
            f'The "{field}" field is not valid text (it has a lone surrogate).',
            action,
        ) from None
    return value


Body = Mapping[str, object] | ProtocolError  # a request's body, parsed once (decode_body)


def decode_body(body: str | None) -> Body:
    """The frame's JSON object, or the ProtocolError (not raised) saying why it is not one:
    a body is parsed once, and its fields and ref read from that one parse."""
    if body is None or body == "":
        return ProtocolError("EMPTY_BODY", "The frame is empty; send a JSON object.")
    try:
        value = json.loads(body)
    except (ValueError, RecursionError):
        return ProtocolError("INVALID_JSON", "The frame is not valid JSON.")
    if not isinstance(value, dict):
        return ProtocolError("NOT_AN_OBJECT", "The frame must be a JSON object.")
    return value


def parse_body(body: str | None, action: str | None = None) -> Mapping[str, object]:
    """The frame's JSON object, or a ProtocolError raised saying why it is not one."""
    return fields(decode_body(body), action)


def fields(body: Body, action: str | None) -> Mapping[str, object]:
    """A decoded body's fields; a body that was no JSON object raised as ``action``'s error."""
    if isinstance(body, ProtocolError):
        raise ProtocolError(body.code, body.message, action)
    return body


MAX_REF_LENGTH = 64


def request_ref(body: Body, action: str | None = None) -> str | None:
    """The client's optional ``ref`` (a string of at most 64 characters), echoed on answers.
    Tolerant: a body that is not an object, or a ref that is not such a string, simply has
    none. Only a ref that could not be echoed at all (INVALID_TEXT) refuses the request."""
    ref = None if isinstance(body, ProtocolError) else body.get("ref")
    if not isinstance(ref, str) or len(ref) > MAX_REF_LENGTH:
        return None
    return encodable(ref, "ref", action)


def _string_field(request: Mapping[str, object], field: str, action: str) -> str:
    if field not in request:
        raise ProtocolError("MISSING_FIELD", f'The "{field}" field is missing.', action)
    value = request[field]
    if not isinstance(value, str):
        raise ProtocolError("INVALID_FIELD", f'The "{field}" field must be a string.', action)
    return encodable(value, field, action)


def validate_room(room: object, action: str | None = None) -> str:
    """A room: 1-64 of a-z, 0-9, '_' and '-'."""
    if isinstance(room, str):
        encodable(room, "room", action)
    if not isinstance(room, str) or not re.fullmatch(_ROOM, room):
        raise ProtocolError(
            "INVALID_ROOM", "A room is 1-64 characters of a-z, 0-9, '_' and '-'.", action
        )
    return room


def validate_name(name: object, action: str | None = None, field: str = "name") -> str:
    """A name in its NFKC form (full-width and compatibility letters as their plain ones),
    trimmed: 1-32 letters, digits, spaces and '_ - .', none invisible, its scripts not
    mixed as a look-alike's would be (chat.model.name_problem)."""
    if not isinstance(name, str):
        raise ProtocolError("INVALID_NAME", "A name must be a string.", action)
    encodable(name, field, action)
    if name.isascii():
        trimmed = name.strip()
    else:
        import unicodedata  # (here, not at import: the cold start stays boto3's alone)

        trimmed = unicodedata.normalize("NFKC", name).strip()
    if not 1 <= len(trimmed) <= MAX_NAME_LENGTH or not all(
        c.isalpha() or c.isdigit() or c in _NAME_PUNCTUATION for c in trimmed
    ):
        raise ProtocolError(
            "INVALID_NAME",
            "A name is 1-32 characters of letters, digits, spaces, '_', '-' and '.'.",
            action,
        )
    problem = name_problem(trimmed)
    if problem is not None:  # it would pass for another name
        raise ProtocolError("INVALID_NAME", problem, action)
    return trimmed


def validate_text(text: str, max_length: int, action: str = "sendMessage") -> str:
    if text == "":
        raise ProtocolError("INVALID_FIELD", 'The "message" field must not be empty.', action)
    if len(text) > max_length:
        raise ProtocolError(
            "TEXT_TOO_LONG", f"A message is at most {max_length} characters.", action
        )
    return text


def generated_name() -> str:
    """A name for a client that did not choose one."""
    return f"guest-{secrets.token_hex(3)}"  # 16 M names: rare collisions in big rooms


class ConnectOptions(NamedTuple):
    """What a client asked for on the URL: ?room=NAME&name=NICK&format=raw|text|json."""

    room: str
    name: str | None
    format: str


def parse_connect_options(query: Mapping[str, str] | None) -> ConnectOptions:
    query = query or {}
    room = validate_room(query.get("room", DEFAULT_ROOM), "$connect")
    name = validate_name(query["name"], "$connect") if "name" in query else None
    fmt = encodable(query.get("format", "raw"), "format", "$connect")
    if fmt not in FORMATS:
        raise ProtocolError("INVALID_FORMAT", "format is one of raw, text, json.", "$connect")
    return ConnectOptions(room, name, fmt)


class SendMessage(NamedTuple):
    """A message to the room, or with ``to`` a direct message to every connection of a name."""

    text: str
    to: str | None = None


def parse_send_message(
    request: Mapping[str, object], max_length: int = DEFAULT_MAX_TEXT_LENGTH
) -> SendMessage:
    action = "sendMessage"
    text = validate_text(_string_field(request, "message", action), max_length, action)
    to = request.get("to")
    if to is None:
        return SendMessage(text)
    return SendMessage(text, validate_name(to, action, "to"))


def parse_join(request: Mapping[str, object]) -> str:
    """The room a join asks for."""
    return validate_room(_string_field(request, "room", "join"), "join")


def parse_set_name(request: Mapping[str, object]) -> str:
    return validate_name(_string_field(request, "name", "setName"), "setName")


class MessageRef(NamedTuple):
    """One message of the sender's room, as its frames name it: its ``id`` and ``sentAt``."""

    id: str
    sent_at: int


def _message_ref(request: Mapping[str, object], action: str) -> MessageRef:
    message_id = _string_field(request, "id", action)
    if not re.fullmatch(_MESSAGE_ID, message_id):
        raise ProtocolError(
            "INVALID_FIELD", 'The "id" field is the "id" of a message frame.', action
        )
    if "sentAt" not in request:
        raise ProtocolError("MISSING_FIELD", 'The "sentAt" field is missing.', action)
    sent_at = request["sentAt"]
    if isinstance(sent_at, bool) or not isinstance(sent_at, int):
        raise ProtocolError(
            "INVALID_FIELD", 'The "sentAt" field is the "sentAt" of a message frame.', action
        )
    if not 0 <= sent_at < _LATEST_SENT_AT:
        raise ProtocolError(
            "INVALID_FIELD", 'The "sentAt" field is the "sentAt" of a message frame.', action
        )
    return MessageRef(message_id, sent_at)


class EditMessage(NamedTuple):
    """An edit of one's own message: which one, and its new text."""

    target: MessageRef
    text: str


def parse_edit_message(
    request: Mapping[str, object], max_length: int = DEFAULT_MAX_TEXT_LENGTH
) -> EditMessage:
    action = "editMessage"
    target = _message_ref(request, action)
    return EditMessage(
        target, validate_text(_string_field(request, "message", action), max_length, action)
    )


def parse_delete_message(request: Mapping[str, object]) -> MessageRef:
    return _message_ref(request, "deleteMessage")


class HistoryRequest(NamedTuple):
    limit: int = DEFAULT_HISTORY_LIMIT
    before: str | None = None


def parse_history(request: Mapping[str, object], action: str = "history") -> HistoryRequest:
    limit = request.get("limit", DEFAULT_HISTORY_LIMIT)
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_HISTORY_LIMIT:
        raise ProtocolError(
            "INVALID_LIMIT", f"limit is a whole number from 1 to {MAX_HISTORY_LIMIT}.", action
        )
    before = request.get("before")
    if isinstance(before, str):
        encodable(before, "before", action)
    if before is not None and (not isinstance(before, str) or not re.fullmatch(_CURSOR, before)):
        raise ProtocolError(
            "INVALID_CURSOR", f'before is the "next" cursor of an earlier {action} page.', action
        )
    return HistoryRequest(limit, before)


def parse_who(request: Mapping[str, object]) -> str | None:
    """The name a who lists names ``after`` (the ``next`` of an earlier answer), or None."""
    action = "who"
    after = request.get("after")
    if after is None:
        return None
    try:
        if isinstance(after, str) and validate_name(after, action, "after") == after:
            return after
    except ProtocolError as error:
        if error.code == "INVALID_TEXT":
            raise
    raise ProtocolError("INVALID_CURSOR", 'after is the "next" of an earlier who answer.', action)


def parse_resume(request: Mapping[str, object]) -> str | None:
    """The resume token a guest presents, or None: then the chat hands out a new one."""
    from serverless_chat.chat.identity import is_token

    action = "resume"
    if request.get("token") is None:
        return None
    token = _string_field(request, "token", action)
    if not is_token(token):
        raise ProtocolError(
            "INVALID_TOKEN", 'token is the "token" of an earlier resumed answer.', action
        )
    return token


class DirectHistoryRequest(NamedTuple):
    """A page of the caller's direct messages: of one conversation, or of all of them."""

    limit: int = DEFAULT_HISTORY_LIMIT
    before: str | None = None
    conversation: str | None = None


def parse_direct_history(request: Mapping[str, object]) -> DirectHistoryRequest:
    from serverless_chat.chat.identity import is_conversation

    action = "directHistory"
    page = parse_history(request, action)
    conversation = request.get("conversation")
    if conversation is None:
        return DirectHistoryRequest(page.limit, page.before)
    if not isinstance(conversation, str) or not is_conversation(conversation):
        raise ProtocolError(
            "INVALID_FIELD",
            'The "conversation" field is the "conversation" of a direct frame.',
            action,
        )
    return DirectHistoryRequest(page.limit, page.before, conversation)
