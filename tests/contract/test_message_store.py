"""One contract for every MessageStore of the matrix (tests/stores.py): the in-memory fake,
SQLite, DynamoDB (moto, on the template's table)."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from serverless_chat.adapters.sqlite import SqliteDatabase, SqliteMessageStore
from serverless_chat.ports import ChatMessage, MessageStore
from tests.stores import MESSAGE_STORES, stores

FUTURE = 4_000_000_000


@pytest.fixture(params=MESSAGE_STORES)
def messages(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[MessageStore]:
    with stores(request.param, tmp_path) as made:
        yield made.messages


def _message(room: str, sent_at: int, mid: str, text: str = "") -> ChatMessage:
    return ChatMessage(mid, room, "ana", text or f"{room}-{sent_at}-{mid}", sent_at, FUTURE)


def test_latest_is_newest_first_and_per_room(messages: MessageStore) -> None:
    for i in range(5):
        messages.append(_message("dev", 1000 + i, f"m{i}"))
    messages.append(_message("general", 1002, "x"))
    page = messages.latest("dev", 3)
    assert [m.id for m in page] == ["m4", "m3", "m2"]
    assert page[0] == _message("dev", 1004, "m4")


def test_before_cursor_pages_backwards(messages: MessageStore) -> None:
    for i in range(5):
        messages.append(_message("dev", 1000 + i, f"m{i}"))
    first = messages.latest("dev", 2)
    second = messages.latest("dev", 2, before=first[-1].sort_key)
    third = messages.latest("dev", 2, before=second[-1].sort_key)
    assert [m.id for m in first + second + third] == ["m4", "m3", "m2", "m1", "m0"]


def test_same_millisecond_order_is_stable(messages: MessageStore) -> None:
    for mid in ("b", "a", "c"):
        messages.append(_message("dev", 1000, mid))
    assert [m.id for m in messages.latest("dev", 10)] == ["c", "b", "a"]
    assert [m.id for m in messages.latest("dev", 10)] == ["c", "b", "a"]


def test_unicode_text_round_trips(messages: MessageStore) -> None:
    text = '¡hola! 🙂 <script>alert(1)</script> \\u0000 "quoted"'
    messages.append(_message("dev", 1, "m", text))
    assert messages.latest("dev", 1)[0].text == text


def test_empty_room(messages: MessageStore) -> None:
    assert messages.latest("nobody-here", 50) == []


def test_sqlite_skips_and_expires_messages_past_retention(tmp_path: Path) -> None:
    store = SqliteMessageStore(SqliteDatabase(tmp_path / "chat.sqlite3"), "messages")
    store.append(ChatMessage("old", "dev", "ana", "gone", 1000, expires_at=1))
    store.append(_message("dev", 2000, "new"))
    assert [m.id for m in store.latest("dev", 10)] == ["new"]
    assert store.expire() == 1
