"""What one line typed (or piped) into the terminal client asks for."""

from __future__ import annotations

import json
from typing import Any, NamedTuple

from serverless_chat.chat import actions

HELP = """\
commands:
  /join ROOM       move to another room (its recent messages follow)
  /name NAME       take another name
  /who             who is in this room
  /list            the rooms people are in, with how many in each
  /history         the room's older messages, a page at a time
  /dm NAME TEXT    a direct message to NAME ("quote" a name that has spaces)
  /dm NAME         your direct messages with NAME (kept, as room history is)
  /edit TEXT       change your last message to TEXT (within 15 minutes of sending it)
  /delete          delete your last message (within 15 minutes of sending it)
  /quit            leave (Ctrl-D too)
  /help            this list
Any other line is a message to the room; //TEXT sends one that starts with '/', and a line
that is a JSON object goes as it is, e.g. {"action": "who"}. Up and Down recall lines."""

# What Tab completes at the start of a line, in HELP's order.
COMMANDS = (
    "/join",
    "/name",
    "/who",
    "/list",
    "/history",
    "/dm",
    "/edit",
    "/delete",
    "/quit",
    "/help",
)

# The actions whose answers carry the request's ref (the echo, welcome, history, who or
# error), from the chat's registry: the client waits for that answer before the next line,
# and sends a line again when the answer is RATE_LIMITED. Anything else ($default) goes
# without waiting.
ANSWERED = actions.ANSWERED


class Send(NamedTuple):
    """A frame to send: a JSON object (``frame``) or, untouched, ``text``."""

    frame: dict[str, Any] | None = None
    text: str = ""

    @property
    def answered(self) -> bool:
        return self.frame is not None and self.frame.get("action") in ANSWERED


class Command(NamedTuple):
    """Something the client does itself: ``help``, ``quit``, ``history``, ``edit`` (``text``
    the new text) and ``delete`` of its last message, ``conversation`` (``text`` the name
    whose direct messages to show), or ``error`` (``text`` says what was wrong with the
    line)."""

    name: str
    text: str = ""


def json_object(line: str) -> dict[str, Any] | None:
    stripped = line.strip()
    if not stripped.startswith("{"):
        return None
    try:
        value = json.loads(stripped)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def message(text: str) -> Send:
    return Send({"action": "sendMessage", "message": text})


def _dm(rest: str) -> Send | Command:
    if rest[:1] in {'"', "'"}:  # a quoted name may have spaces: /dm "ana maria" hi
        close = rest.find(rest[0], 1)
        name, text = (rest[1:close], rest[close + 1 :]) if close > 0 else ("", "")
    else:
        name, _, text = rest.partition(" ")
    text = text.strip()
    if name.strip() and not text:
        return Command("conversation", name.strip())
    if not name.strip() or not text:
        return Command("error", "usage: /dm NAME TEXT, or /dm NAME for the conversation")
    return Send({"action": "sendMessage", "message": text, "to": name.strip()})


def parse_line(line: str, raw: bool = False) -> Send | Command | None:
    """One line: a frame to send, a command, or None (an empty line)."""
    if raw:
        return Send(text=line) if line else None
    if not line.strip():
        return None
    if line.startswith("//"):
        return message(line[1:])
    if line.startswith("/"):
        word, _, rest = line[1:].partition(" ")
        rest = rest.strip()
        word = word.lower()
        if word == "join":
            return (
                Send({"action": "join", "room": rest})
                if rest
                else Command("error", "usage: /join ROOM")
            )
        if word in {"name", "nick"}:
            return (
                Send({"action": "setName", "name": rest})
                if rest
                else Command("error", "usage: /name NAME")
            )
        if word == "who":
            return Send({"action": "who"})
        if word in {"list", "rooms"}:
            return Send({"action": "rooms"})
        if word == "dm":
            return _dm(rest)
        if word in {"history", "older"}:
            return Command("history")
        if word == "edit":
            return Command("edit", rest) if rest else Command("error", "usage: /edit TEXT")
        if word in {"delete", "del"}:
            return Command("delete")
        if word in {"quit", "exit", "q"}:
            return Command("quit")
        if word in {"help", "?"}:
            return Command("help")
        return Command(
            "error",
            f"unknown command /{word}: /help lists the commands (//TEXT sends a line that"
            " starts with '/')",
        )
    frame = json_object(line)
    if frame is not None:
        # As it is: re-encoded only when the client adds its ref (see Send.answered).
        return Send(frame, line.strip())
    return message(line)
