"""What Tab offers at the terminal client's prompt: a command at the start of a line, else a
name of the room's, as the frames that came told them (who, messages, presence). Pure."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from serverless_chat.client.commands import COMMANDS


class RoomNames:
    """The names known to be in the room, learnt from its frames, and Tab's completions."""

    def __init__(self) -> None:
        self._names: set[str] = set()

    def clear(self) -> None:
        """Another room: nobody of it known yet."""
        self._names.clear()

    def learn(self, frame: dict[str, Any], room: str) -> None:
        """What ``frame`` says of who is in ``room`` (a frame of another room says nothing)."""
        if frame.get("room", room) != room:
            return
        kind, name = frame.get("type"), frame.get("name")
        if kind == "who" and isinstance(frame.get("names"), list):
            self._names.update(str(n) for n in frame["names"])
        elif kind == "message" and isinstance(frame.get("from"), str):
            self._names.add(frame["from"])
        elif kind == "presence" and isinstance(name, str):
            if frame.get("event") == "left":
                self._names.discard(name)
            else:
                self._names.discard(str(frame.get("previousName")))
                self._names.add(name)

    def learn_authors(self, messages: Iterable[object]) -> None:
        """The senders of a history page's messages."""
        self._names.update(
            str(m["from"]) for m in messages if isinstance(m, dict) and m.get("from")
        )

    def complete(self, before_cursor: str, own_name: str) -> list[str]:
        """What Tab offers for the word before the cursor: a command (``/jo`` → ``/join``)
        at the start of a line, else a name of the room's but ``own_name`` (``/dm`` quotes
        one with spaces), each the whole word that replaces it."""
        if before_cursor.startswith("/") and " " not in before_cursor:
            word = before_cursor.lower()
            return [command for command in COMMANDS if command.startswith(word)]
        dm = before_cursor.lower().startswith("/dm ") and before_cursor.count(" ") == 1
        word = before_cursor.rsplit(" ", 1)[-1]
        if dm and word.startswith('"'):
            word = word[1:]
        elif not word:
            return []
        found = sorted(
            (n for n in self._names if n.lower().startswith(word.lower()) and n != own_name),
            key=str.lower,
        )
        return [f'"{n}"' if dm and " " in n else n for n in found]
