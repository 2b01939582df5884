"""What the server sends, rendered for each client format. Pure.

``raw`` is the original chat: only the text of messages sent to the client, no
presence or history; answers to the client's own requests (errors, who,
history) still come, as JSON. ``text`` is readable lines for terminals.
``json`` is the envelopes of docs/protocol.md.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple, Protocol

from serverless_chat.ports import ChatMessage, DirectMessage

# PostToConnection takes at most 128 KB of data (413 PayloadTooLargeException past it): a
# frame larger than this reaches nobody.
MAX_POST_BYTES = 128 * 1024


# What a terminal would act on rather than show: C0 and C1 controls and DEL (clear the
# screen, set the title, write the clipboard with OSC 52, move the cursor), and the bidi
# controls that reorder what follows.
_TERMINAL_UNSAFE = {c: f"\\x{c:02x}" for c in (*range(0x20), 0x7F, *range(0x80, 0xA0))}
_TERMINAL_UNSAFE.update(
    {c: f"\\u{c:04x}" for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))}
)
_TERMINAL_UNSAFE[0x0A] = "\\n"  # a newline shown, so a message cannot fake a line of its own
_TERMINAL_UNSAFE[0x09] = "\t"  # a tab stays a tab


# The same characters as JSON's escapes, for a JSON text bound for a terminal: a JSON text
# holds them only inside its strings (where an escape has the same value), but for CR, LF
# and tab, which it may hold only outside them, as whitespace (CR and LF then a space).
_TERMINAL_UNSAFE_JSON = {c: f"\\u{c:04x}" for c in _TERMINAL_UNSAFE if c != 0x09}
_TERMINAL_UNSAFE_JSON.update({0x0A: " ", 0x0D: " "})


def shown(text: str) -> str:
    """``text`` for a terminal line in the text format: what a terminal would act on is
    shown escaped (``\\x1b``, ``\\n``), the rest as it is."""
    return text.translate(_TERMINAL_UNSAFE) if not text.isprintable() else text


def shown_json(text: str) -> str:
    """A JSON text for a terminal: what a terminal would act on (C1 controls, DEL, bidi
    controls; JSON escapes C0 already) written as JSON escapes (``\\u009b``)."""
    return text.translate(_TERMINAL_UNSAFE_JSON) if not text.isprintable() else text


def _json(frame: dict[str, Any]) -> bytes:
    return json.dumps(frame, separators=(",", ":"), ensure_ascii=False).encode()


def message_json(message: ChatMessage) -> dict[str, Any]:
    """A message as history and the room see it: ``editedAt`` once edited, ``deleted`` and
    ``deletedAt`` (and no text) once deleted; never its owner."""
    frame: dict[str, Any] = {
        "type": "message",
        "id": message.id,
        "room": message.room,
        "from": message.sender,
        "text": message.text,
        "sentAt": message.sent_at,
    }
    if message.deleted:
        frame["deleted"] = True
        frame["deletedAt"] = message.edited_at
    elif message.edited_at:
        frame["editedAt"] = message.edited_at
    return frame


def message_from_json(m: Mapping[str, Any]) -> ChatMessage:
    """A message as :func:`message_json` (or an ``edited`` / ``deleted`` frame) wrote it;
    KeyError, TypeError or ValueError when it is not one."""
    return ChatMessage(
        _text(m["id"]),
        _text(m["room"]),
        _text(m["from"]),
        _text(m.get("text", "")),
        _whole(m["sentAt"]),
        edited_at=_whole(m.get("editedAt") or m.get("deletedAt") or 0),
        deleted=m.get("deleted") is True or m.get("type") == "deleted",
    )


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"not a string: {value!r}")
    return value


def _whole(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"not a whole number: {value!r}")
    return value


def _optional(value: Any) -> str | None:
    return None if value is None else _text(value)


def message_line(message: ChatMessage) -> str:
    """A message as the text format shows it in history."""
    if message.deleted:
        return f"{shown(message.sender)}: (message deleted)"
    edited = " (edited)" if message.edited_at else ""
    return f"{shown(message.sender)}: {shown(message.text)}{edited}"


def _with_ref(frame: dict[str, Any], ref: str | None) -> dict[str, Any]:
    """The client's own ``ref`` goes back on answers to its request, so it can match them."""
    if ref is not None:
        frame["ref"] = ref
    return frame


def with_ref(data: bytes, ref: str | None) -> bytes:
    """A json frame already rendered, with ``ref`` as its last field: the sender's echo is
    the recipients' frame plus its ref, rendered once (the same bytes _with_ref makes)."""
    if ref is None:
        return data
    return data[:-1] + b',"ref":' + json.dumps(ref, ensure_ascii=False).encode() + b"}"


class MessageFrame(NamedTuple):
    message: ChatMessage
    ref: str | None = None

    @classmethod
    def from_json(cls, frame: Mapping[str, Any]) -> MessageFrame:
        return cls(message_from_json(frame), _optional(frame.get("ref")))

    def render(self, fmt: str) -> bytes | None:
        if fmt == "raw":
            return self.message.text.encode()
        if fmt == "text":
            return f"{shown(self.message.sender)}: {shown(self.message.text)}".encode()
        return _json(_with_ref(message_json(self.message), self.ref))


class RevisedFrame(NamedTuple):
    """A message edited (``edited``: its new text) or deleted (``deleted``), told to the
    room live; raw clients, who hear only new messages' texts, are not told."""

    message: ChatMessage  # as revised
    ref: str | None = None

    @classmethod
    def from_json(cls, frame: Mapping[str, Any]) -> RevisedFrame:
        return cls(message_from_json(frame), _optional(frame.get("ref")))

    def render(self, fmt: str) -> bytes | None:
        m = self.message
        if fmt == "raw":
            return None
        if fmt == "text":
            if m.deleted:
                return f"* {shown(m.sender)} deleted a message".encode()
            return f"* {shown(m.sender)} edited a message: {shown(m.text)}".encode()
        frame: dict[str, Any] = {
            "type": "deleted" if m.deleted else "edited",
            "id": m.id,
            "room": m.room,
            "from": m.sender,
            "sentAt": m.sent_at,
        }
        if m.deleted:
            frame["deletedAt"] = m.edited_at
        else:
            frame["text"] = m.text
            frame["editedAt"] = m.edited_at
        return _json(_with_ref(frame, self.ref))


class DirectFrame(NamedTuple):
    """A direct message, live or from direct history; ``conversation`` names the pair of
    people it is between (the same for both), what ``directHistory`` pages by."""

    id: str
    sender: str
    to: str
    text: str
    sent_at: int
    ref: str | None = None
    conversation: str = ""

    @classmethod
    def from_json(cls, frame: Mapping[str, Any]) -> DirectFrame:
        return cls(
            _text(frame["id"]),
            _text(frame["from"]),
            _text(frame["to"]),
            _text(frame["text"]),
            _whole(frame["sentAt"]),
            _optional(frame.get("ref")),
            _text(frame.get("conversation", "")),
        )

    @classmethod
    def of(cls, message: DirectMessage) -> DirectFrame:
        return cls(
            message.id,
            message.sender,
            message.to,
            message.text,
            message.sent_at,
            conversation=message.conversation,
        )

    def line(self) -> str:
        return f"[direct] {shown(self.sender)} → {shown(self.to)}: {shown(self.text)}"

    def as_json(self) -> dict[str, Any]:
        frame: dict[str, Any] = {
            "type": "direct",
            "id": self.id,
            "from": self.sender,
            "to": self.to,
            "text": self.text,
            "sentAt": self.sent_at,
        }
        if self.conversation:
            frame["conversation"] = self.conversation
        return frame

    def render(self, fmt: str) -> bytes | None:
        if fmt == "raw":
            return self.text.encode()
        if fmt == "text":
            return self.line().encode()
        return _json(_with_ref(self.as_json(), self.ref))


class DirectHistoryFrame(NamedTuple):
    """A page of the caller's direct messages (oldest first): of one ``conversation``, or
    of all of theirs (None); ``next`` is the cursor of the page before it."""

    conversation: str | None
    messages: Sequence[DirectFrame]
    next: str | None
    ref: str | None = None

    @classmethod
    def from_json(cls, frame: Mapping[str, Any]) -> DirectHistoryFrame:
        messages = frame["messages"]
        if not isinstance(messages, list):
            raise TypeError("messages is not a list")
        return cls(
            _optional(frame.get("conversation")),
            [DirectFrame.from_json(m) for m in messages],
            _optional(frame.get("next")),
            _optional(frame.get("ref")),
        )

    def render(self, fmt: str) -> bytes | None:
        if fmt == "text":
            lines = [m.line() for m in self.messages]
            return "\n".join(lines or ["* no earlier direct messages"]).encode()
        frame = {
            "type": "directHistory",
            "conversation": self.conversation,
            "messages": [m.as_json() for m in self.messages],
            "next": self.next,
        }
        return _json(_with_ref(frame, self.ref))


class ResumedFrame(NamedTuple):
    """The answer to ``resume``: the connection reads the direct messages of its identity
    now. ``token`` only when the chat has just handed one out: it is never sent again."""

    token: str | None = None
    ref: str | None = None

    @classmethod
    def from_json(cls, frame: Mapping[str, Any]) -> ResumedFrame:
        return cls(_optional(frame.get("token")), _optional(frame.get("ref")))

    def render(self, fmt: str) -> bytes | None:
        if fmt == "text":
            if self.token is None:
                return b"* your direct messages are yours to read again"
            return f"* your resume token (keep it to read direct messages): {self.token}".encode()
        frame: dict[str, Any] = {"type": "resumed"}
        if self.token is not None:
            frame["token"] = self.token
        return _json(_with_ref(frame, self.ref))


class PresenceFrame(NamedTuple):
    event: str  # joined | left | renamed
    room: str
    name: str
    previous_name: str | None = None

    @classmethod
    def from_json(cls, frame: Mapping[str, Any]) -> PresenceFrame:
        return cls(
            _text(frame["event"]),
            _text(frame["room"]),
            _text(frame["name"]),
            _optional(frame.get("previousName")),
        )

    def render(self, fmt: str) -> bytes | None:
        if fmt == "raw":
            return None
        if fmt == "text":
            if self.event == "renamed":
                return f"* {shown(self.previous_name or '')} is now {shown(self.name)}".encode()
            return f"* {shown(self.name)} {self.event} {self.room}".encode()
        frame: dict[str, Any] = {
            "type": "presence",
            "event": self.event,
            "room": self.room,
            "name": self.name,
        }
        if self.previous_name is not None:
            frame["previousName"] = self.previous_name
        return _json(frame)


class HistoryFrame(NamedTuple):
    room: str
    messages: Sequence[ChatMessage]  # oldest first
    next: str | None  # cursor for the page before this one, None at the start
    ref: str | None = None

    @classmethod
    def from_json(cls, frame: Mapping[str, Any]) -> HistoryFrame:
        messages = frame["messages"]
        if not isinstance(messages, list):
            raise TypeError("messages is not a list")
        return cls(
            _text(frame["room"]),
            [message_from_json(m) for m in messages],
            _optional(frame.get("next")),
            _optional(frame.get("ref")),
        )

    def render(self, fmt: str) -> bytes | None:
        if fmt == "text":
            lines = [message_line(m) for m in self.messages]
            return "\n".join(lines or [f"* no earlier messages in {self.room}"]).encode()
        frame = {
            "type": "history",
            "room": self.room,
            "messages": [message_json(m) for m in self.messages],
            "next": self.next,
        }
        return _json(_with_ref(frame, self.ref))


class WhoFrame(NamedTuple):
    room: str
    names: Sequence[str]
    ref: str | None = None
    next: str | None = None  # when the room has more names than one frame holds: the last here

    @classmethod
    def from_json(cls, frame: Mapping[str, Any]) -> WhoFrame:
        names = frame["names"]
        if not isinstance(names, list):
            raise TypeError("names is not a list")
        return cls(
            _text(frame["room"]),
            [_text(n) for n in names],
            _optional(frame.get("ref")),
            _optional(frame.get("next")),
        )

    def render(self, fmt: str) -> bytes | None:
        if fmt == "text":
            more = ", and more" if self.next is not None else ""
            return f"* in {self.room}: {', '.join(map(shown, self.names))}{more}".encode()
        frame: dict[str, Any] = {"type": "who", "room": self.room, "names": list(self.names)}
        if self.next is not None:
            frame["next"] = self.next
        return _json(_with_ref(frame, self.ref))


class RoomsFrame(NamedTuple):
    """The answer to ``rooms``: the rooms people are in, each with how many (the most
    crowded first); ``more`` counts the rooms left out when they do not all fit a post."""

    rooms: Sequence[tuple[str, int]]  # (room, people)
    ref: str | None = None
    more: int = 0

    @classmethod
    def from_json(cls, frame: Mapping[str, Any]) -> RoomsFrame:
        rooms = frame["rooms"]
        if not isinstance(rooms, list):
            raise TypeError("rooms is not a list")
        return cls(
            [(_text(r["room"]), _whole(r["people"])) for r in rooms],
            _optional(frame.get("ref")),
            _whole(frame.get("more", 0)),
        )

    def render(self, fmt: str) -> bytes | None:
        if fmt == "text":
            listed = ", ".join(f"{room} ({people})" for room, people in self.rooms) or "none"
            more = f", and {self.more} more" if self.more else ""
            return f"* rooms: {listed}{more}".encode()
        frame: dict[str, Any] = {
            "type": "rooms",
            "rooms": [{"room": room, "people": people} for room, people in self.rooms],
        }
        if self.more:
            frame["more"] = self.more
        return _json(_with_ref(frame, self.ref))


class WelcomeFrame(NamedTuple):
    """The answer to join and setName: where the client now is and under which name."""

    room: str
    name: str
    ref: str | None = None

    @classmethod
    def from_json(cls, frame: Mapping[str, Any]) -> WelcomeFrame:
        return cls(_text(frame["room"]), _text(frame["name"]), _optional(frame.get("ref")))

    def render(self, fmt: str) -> bytes | None:
        if fmt == "text":
            return f"* you are {shown(self.name)} in {self.room}".encode()
        return _json(_with_ref({"type": "welcome", "room": self.room, "name": self.name}, self.ref))


class ErrorFrame(NamedTuple):
    code: str
    message: str
    action: str | None
    ref: str | None = None
    retry_after_ms: int | None = None  # RATE_LIMITED: when sending again can succeed

    @classmethod
    def from_json(cls, frame: Mapping[str, Any]) -> ErrorFrame:
        after = frame.get("retryAfterMs")
        return cls(
            _text(frame["code"]),
            _text(frame["message"]),
            _optional(frame.get("action")),
            _optional(frame.get("ref")),
            None if after is None else _whole(after),
        )

    def render(self, fmt: str) -> bytes | None:
        if fmt == "text":
            return f"! {self.code}: {shown(self.message)}".encode()
        frame: dict[str, Any] = {
            "type": "error",
            "code": self.code,
            "message": self.message,
            "action": self.action,
        }
        if self.retry_after_ms is not None:
            frame["retryAfterMs"] = self.retry_after_ms
        return _json(_with_ref(frame, self.ref))


class Frame(Protocol):
    """What every frame class is: rendered for a format, decoded from its json."""

    def render(self, fmt: str) -> bytes | None: ...


# Each json frame's ``type``, and the class that renders and decodes it.
FRAME_TYPES: dict[str, Any] = {
    "message": MessageFrame,
    "edited": RevisedFrame,
    "deleted": RevisedFrame,
    "direct": DirectFrame,
    "directHistory": DirectHistoryFrame,
    "resumed": ResumedFrame,
    "presence": PresenceFrame,
    "history": HistoryFrame,
    "who": WhoFrame,
    "rooms": RoomsFrame,
    "welcome": WelcomeFrame,
    "error": ErrorFrame,
}


def decode_frame(frame: Mapping[str, Any]) -> Frame:
    """A json frame of the chat's as the frame that rendered it; KeyError (an unknown
    ``type`` or a missing field), TypeError or ValueError when it is not one."""
    decoded: Frame = FRAME_TYPES[frame["type"]].from_json(frame)
    return decoded
