"""client/shown.py: what of the chat's messages the terminal client has shown, as plain calls."""

from __future__ import annotations

from typing import Any

from serverless_chat.client.shown import Shown


def page(*ids: str, next_: str | None = None, ref: str | None = None) -> dict[str, Any]:
    frame: dict[str, Any] = {"type": "history", "messages": [{"id": i} for i in ids]}
    if next_:
        frame["next"] = next_
    if ref:
        frame["ref"] = ref
    return frame


def test_a_reconnects_join_shows_only_what_was_not_shown() -> None:
    shown = Shown()
    shown.joined("all")
    assert shown.page(page("a", "b"), "join*") == (True, page("a", "b"))
    shown.joined("new")  # the reconnect's own join: the same two and one more
    answers, kept = shown.page(page("a", "b", "c"), "join*")
    assert answers
    assert kept == page("c")
    shown.joined("new")  # nothing new: nothing printed
    assert shown.page(page("b", "c"), "join*") == (True, None)


def test_a_join_the_person_asked_for_shows_its_whole_history() -> None:
    shown = Shown()
    shown.first("a")
    shown.joined("all")
    assert shown.page(page("a"), "join") == (True, page("a"))


def test_raw_shows_no_history_and_a_page_with_a_ref_answers_no_join() -> None:
    shown = Shown()
    shown.joined("none")
    assert shown.page(page("x", ref="t-1"), "history") == (False, page("x", ref="t-1"))
    assert shown.page(page("x"), "join*") == (True, None)


def test_a_live_message_is_shown_once() -> None:
    shown = Shown()
    assert shown.first("m1") is True
    assert shown.first("m1") is False
    assert shown.unseen([{"id": "m1"}, {"id": "m2"}]) == [{"id": "m2"}]
    assert shown.first("m2") is False


def test_the_cursor_follows_the_pages_and_a_closed_connection_forgets_its_joins() -> None:
    shown = Shown()
    assert not shown.exhausted  # no page yet: /history asks
    shown.page(page("a", next_="c1"), "history")
    assert shown.cursor == "c1"
    assert not shown.exhausted
    shown.page(page("b"), "history")
    assert shown.exhausted
    shown.moved()
    assert shown.cursor is None
    assert not shown.exhausted
    shown.joined("all")
    shown.closed()  # its history will not come: the next page answers no join
    assert shown.page(page("z"), "who") == (False, page("z"))
