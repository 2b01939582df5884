"""Answers cut to what one post can carry. Pure.

PostToConnection takes at most 128 KB, and a post over it reaches nobody: a ``history`` or
``directHistory`` page of large messages (4,000 control characters escape to 24 KB in JSON)
or a ``who`` in a crowded room would be lost whole. These render the answer, and when it is
too large keep the most of it that fits; the rest follows the answer's ``next`` cursor.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from serverless_chat.chat.frames import (
    MAX_POST_BYTES,
    DirectFrame,
    DirectHistoryFrame,
    HistoryFrame,
    RoomsFrame,
    WhoFrame,
)
from serverless_chat.ports import ChatMessage, ConnectionRecord, DirectMessage

Render = Callable[[int], bytes | None]


def fit(render: Render, count: int, max_bytes: int = MAX_POST_BYTES) -> tuple[int, bytes | None]:
    """The largest ``k`` <= ``count`` whose ``render(k)`` is at most ``max_bytes``, with its
    data. One render when everything fits (the common case); else a binary search, since
    fewer items never make a larger frame."""
    data = render(count)
    if data is None or len(data) <= max_bytes:
        return count, data
    best: tuple[int, bytes | None] | None = None
    low, high = 0, count - 1
    while low <= high:
        middle = (low + high) // 2
        data = render(middle)
        if data is None or len(data) <= max_bytes:
            best, low = (middle, data), middle + 1
        else:
            high = middle - 1
    return best if best is not None else (0, render(0))


def history_page(
    room: str,
    newest_first: Sequence[ChatMessage],
    limit: int,
    fmt: str,
    ref: str | None = None,
    max_bytes: int = MAX_POST_BYTES,
) -> tuple[int, bytes | None]:
    """(messages kept, data) of the history frame for a store's page (newest first, at
    most ``limit``): the newest that fit, oldest first. ``next`` is the cursor of the
    oldest kept, so the page after it starts with the first one left out; ``None`` when the
    whole page fits and it is the room's beginning (fewer than ``limit``)."""

    def render(kept: int) -> bytes | None:
        if kept < len(newest_first):
            # Cut. With nothing kept (one message over the limit alone, which sendMessage does
            # not let in, but a store may hold) the cursor passes that message, so paging
            # still moves on.
            cursor: str | None = newest_first[max(kept - 1, 0)].sort_key
        else:
            cursor = newest_first[-1].sort_key if len(newest_first) == limit else None
        oldest_first = list(reversed(newest_first[:kept]))
        return HistoryFrame(room, oldest_first, cursor, ref).render(fmt)

    return fit(render, len(newest_first), max_bytes)


def who_key(name: str) -> tuple[str, str]:
    """The order ``who`` lists names in: without regard to case, ties broken by the name."""
    return name.casefold(), name


def who_page(
    room: str,
    names: Sequence[str],
    fmt: str,
    ref: str | None = None,
    max_bytes: int = MAX_POST_BYTES,
) -> tuple[int, bytes | None]:
    """(names kept, data) of the who frame for ``names`` (in :func:`who_key` order): the
    first that fit; when some are left out, ``next`` is the last name kept, and a who
    ``after`` it lists the rest."""

    def render(kept: int) -> bytes | None:
        cursor = names[kept - 1] if 0 < kept < len(names) else None
        return WhoFrame(room, names[:kept], ref, cursor).render(fmt)

    return fit(render, len(names), max_bytes)


def room_counts(present: Iterable[ConnectionRecord]) -> list[tuple[str, int]]:
    """(room, people) for every room someone is in: the names in it, as ``who`` lists
    them (one person on two connections under one name counts once); the most crowded
    first, ties by the room's name."""
    names: dict[str, set[str]] = {}
    for record in present:
        names.setdefault(record.room, set()).add(record.name)
    return sorted(((room, len(n)) for room, n in names.items()), key=lambda r: (-r[1], r[0]))


def rooms_page(
    rooms: Sequence[tuple[str, int]],
    fmt: str,
    ref: str | None = None,
    max_bytes: int = MAX_POST_BYTES,
) -> tuple[int, bytes | None]:
    """(rooms kept, data) of the rooms frame: the first that fit, ``more`` counting the
    rest (the least crowded, which a person is least likely to look for)."""

    def render(kept: int) -> bytes | None:
        return RoomsFrame(rooms[:kept], ref, len(rooms) - kept).render(fmt)

    return fit(render, len(rooms), max_bytes)


def direct_page(
    conversation: str | None,
    newest_first: Sequence[DirectMessage],
    limit: int,
    fmt: str,
    ref: str | None = None,
    max_bytes: int = MAX_POST_BYTES,
) -> tuple[int, bytes | None]:
    """(messages kept, data) of a directHistory frame for a store's page, cut and given its
    cursor as :func:`history_page` does a room's."""

    def render(kept: int) -> bytes | None:
        if kept < len(newest_first):
            cursor: str | None = newest_first[max(kept - 1, 0)].sort_key
        else:
            cursor = newest_first[-1].sort_key if len(newest_first) == limit else None
        oldest_first = [DirectFrame.of(m) for m in reversed(newest_first[:kept])]
        return DirectHistoryFrame(conversation, oldest_first, cursor, ref).render(fmt)

    return fit(render, len(newest_first), max_bytes)
