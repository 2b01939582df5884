"""What of the chat's messages the terminal client has shown, so that none is shown twice.
Pure.

Every connection's first request is the client's own join, whose answer brings the room's
latest messages again: after a reconnect, most of them are on the screen already. Each
join answered says what of its history to print: ``"all"`` (a join the person asked for),
``"new"`` (the client's own, on a reconnect: only what was not shown) or ``"none"`` (the
raw format, which sends no history). A live message or a direct message whose id was shown
is not shown again. The cursor is the page before the oldest one shown, for /history.
"""

from __future__ import annotations

from collections import deque
from typing import Any, Literal

JoinHistory = Literal["all", "new", "none"]


class Shown:
    """The ids shown, what each join answered prints of its history, and /history's cursor."""

    def __init__(self) -> None:
        self._ids: set[str] = set()
        self._joins: deque[JoinHistory] = deque()  # one per join answered, in order
        self.cursor: str | None = None  # the history page before the oldest one shown
        self._paged = False  # a page came: cursor None then means no more

    @property
    def exhausted(self) -> bool:
        """A page came and said it was the room's beginning: no earlier messages."""
        return self._paged and self.cursor is None

    def joined(self, history: JoinHistory) -> None:
        """A join was answered (its welcome came): its history page comes next."""
        self._joins.append(history)

    def moved(self) -> None:
        """Another room, or a join's fresh start: no page of it known yet."""
        self.cursor, self._paged = None, False

    def closed(self) -> None:
        """The connection is gone: no history of its joins will come."""
        self._joins.clear()

    def first(self, message_id: str) -> bool:
        """Whether ``message_id`` is shown for the first time (it counts as shown now)."""
        if message_id in self._ids:
            return False
        self._ids.add(message_id)
        return True

    def unseen(self, messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Those of ``messages`` not shown yet; all of them count as shown now."""
        fresh = [m for m in messages if m.get("id") not in self._ids]
        self._ids.update(str(m.get("id")) for m in messages)
        return fresh

    def page(self, frame: dict[str, Any], action: str) -> tuple[bool, dict[str, Any] | None]:
        """A history page: whether it answers a join, and the page as it will be printed
        (None: nothing of it). A page that answers a join (it has no ref, one is awaited)
        shows what its join said; ``action`` "history" is /history's, shown as it came."""
        answers_join = frame.get("ref") is None and bool(self._joins)
        if answers_join or action == "history":
            self.cursor = frame.get("next") if isinstance(frame.get("next"), str) else None
            self._paged = True
        if not answers_join:
            return False, frame
        history = self._joins.popleft()
        fresh = self.unseen([m for m in frame.get("messages", []) if isinstance(m, dict)])
        if history == "none" or (history == "new" and not fresh):
            return True, None
        return True, frame if history == "all" else {**frame, "messages": fresh}
