"""Answers cut to one post: the most that fits, the rest through ``next``."""

import json

from serverless_chat.chat.model import open_connection
from serverless_chat.chat.pages import fit, history_page, room_counts, rooms_page, who_key, who_page
from serverless_chat.ports import ChatMessage


def _sized(sizes: list[int]):  # type: ignore[no-untyped-def]
    calls: list[int] = []

    def render(k: int) -> bytes:
        calls.append(k)
        return b"x" * sum(sizes[:k])

    return render, calls


def test_fit_renders_once_when_everything_fits() -> None:
    render, calls = _sized([10, 10, 10])
    assert fit(render, 3, max_bytes=30) == (3, b"x" * 30)
    assert calls == [3]


def test_fit_keeps_the_most_that_fit() -> None:
    for limit, kept in ((29, 2), (20, 2), (19, 1), (10, 1), (9, 0), (0, 0)):
        render, _ = _sized([10, 10, 10])
        assert fit(render, 3, max_bytes=limit) == (kept, b"x" * (10 * kept))


def _messages(count: int, size: int) -> list[ChatMessage]:
    """Newest first, as a store hands a page over."""
    return [
        ChatMessage(f"id{i}", "r", "ana", "\x01" * size, 1_700_000_000_000 + i)
        for i in reversed(range(count))
    ]


def test_a_history_page_that_fits_keeps_its_own_cursor() -> None:
    page = _messages(3, 10)
    full = json.loads(history_page("r", page, 3, "json")[1] or b"")
    assert [m["id"] for m in full["messages"]] == ["id0", "id1", "id2"]
    assert full["next"] == page[-1].sort_key  # a full page: there may be more
    short = json.loads(history_page("r", page, 5, "json")[1] or b"")
    assert short["next"] is None  # fewer than asked for: the room's beginning


def test_a_cut_history_page_points_at_the_oldest_kept() -> None:
    page = _messages(4, 1000)  # 6 KB a message in JSON
    kept, data = history_page("r", page, 50, "json", ref="x", max_bytes=13_000)
    frame = json.loads(data or b"")
    assert kept == 2
    assert [m["id"] for m in frame["messages"]] == ["id2", "id3"]
    assert frame["next"] == page[1].sort_key
    assert frame["ref"] == "x"


def test_a_message_too_big_alone_is_passed_over_not_repeated() -> None:
    page = _messages(2, 1000)
    kept, data = history_page("r", page, 50, "json", max_bytes=1000)
    assert kept == 0
    assert json.loads(data or b"")["next"] == page[0].sort_key


def test_who_pages_by_size_with_next_only_when_cut() -> None:
    names = sorted((f"name{i:03d}" for i in range(100)), key=who_key)
    kept, data = who_page("r", names, "json", max_bytes=600)
    frame = json.loads(data or b"")
    assert 0 < kept < 100
    assert len(data or b"") <= 600
    assert frame["next"] == frame["names"][-1] == names[kept - 1]
    assert "next" not in json.loads(who_page("r", names, "json")[1] or b"")


def test_who_order_ignores_case_and_breaks_ties_by_name() -> None:
    assert sorted(["b", "Ana", "ana", "Zed"], key=who_key) == ["Ana", "ana", "b", "Zed"]


def test_room_counts_count_names_once_most_crowded_first() -> None:
    present = [
        open_connection("a", 0, room="dev", name="ana"),
        open_connection("b", 0, room="dev", name="ana"),  # one person, two tabs
        open_connection("c", 0, room="ops", name="bob"),
        open_connection("d", 0, room="ops", name="cy"),
        open_connection("e", 0, room="art", name="dee"),
    ]
    assert room_counts(present) == [("ops", 2), ("art", 1), ("dev", 1)]


def test_rooms_pages_by_size_counting_what_is_left_out() -> None:
    rooms = [(f"room-{i:03d}", 100 - i) for i in range(100)]
    kept, data = rooms_page(rooms, "json", max_bytes=600)
    frame = json.loads(data or b"")
    assert 0 < kept < 100
    assert len(data or b"") <= 600
    assert frame["more"] == 100 - kept
    assert [r["room"] for r in frame["rooms"]] == [room for room, _ in rooms[:kept]]
    assert "more" not in json.loads(rooms_page(rooms, "json")[1] or b"")
