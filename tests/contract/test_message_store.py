"""One contract for every MessageStore of the matrix (tests/stores.py): the in-memory fake,
SQLite, DynamoDB (moto, on the template's table)."""

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from moto import mock_aws

from serverless_chat.adapters.dynamodb import DynamoDbMessageStore
from serverless_chat.adapters.sqlite import SqliteDatabase, SqliteMessageStore
from serverless_chat.ports import ChatMessage, DirectMessage, MessageStore
from tests.stores import MESSAGE_STORES, create_messages_table, dynamodb_client, stores

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


# -- revise: editMessage and deleteMessage ------------------------------------------------
def test_an_owner_edits_its_message_and_history_has_the_latest_text(
    messages: MessageStore,
) -> None:
    original = _message("dev", 1000, "m1", "helo")._replace(owner="conn:a")
    messages.append(original)
    messages.append(_message("dev", 1001, "m2")._replace(owner="conn:b"))
    done = messages.revise("dev", original.sort_key, "conn:a", "hello", 5_000)
    edited = original._replace(text="hello", edited_at=5_000)
    assert done == (edited, True)
    assert messages.latest("dev", 10)[1] == edited
    again = messages.revise("dev", original.sort_key, "conn:a", "hello!", 6_000)
    assert again.revised
    assert again.message == edited._replace(text="hello!", edited_at=6_000)


def test_an_owner_deletes_its_message_and_its_place_stays(messages: MessageStore) -> None:
    original = _message("dev", 1000, "m1")._replace(owner="sub:ana")
    messages.append(original)
    done = messages.revise("dev", original.sort_key, "sub:ana", None, 7_000)
    gone = original._replace(text="", edited_at=7_000, deleted=True)
    assert done == (gone, True)
    assert messages.latest("dev", 10) == [gone]
    # a deleted message is neither edited nor deleted again: it stays as it is
    assert messages.revise("dev", original.sort_key, "sub:ana", "back", 8_000) == (gone, False)
    assert messages.revise("dev", original.sort_key, "sub:ana", None, 8_000) == (gone, False)


def test_nobody_else_revises_a_message(messages: MessageStore) -> None:
    original = _message("dev", 1000, "m1")._replace(owner="conn:a")
    messages.append(original)
    assert messages.revise("dev", original.sort_key, "conn:b", "mine now", 2_000) == (
        original,
        False,
    )
    assert messages.revise("dev", original.sort_key, "conn:b", None, 2_000) == (original, False)
    # nor one written before messages had owners
    old = _message("dev", 1001, "m0")
    messages.append(old)
    assert messages.revise("dev", old.sort_key, "", "x", 2_000).revised is False
    assert messages.latest("dev", 10) == [old, original]


def test_revising_a_message_that_is_not_there_changes_nothing(messages: MessageStore) -> None:
    messages.append(_message("dev", 1000, "m1")._replace(owner="conn:a"))
    key = _message("dev", 1000, "other").sort_key
    assert messages.revise("dev", key, "conn:a", "x", 2_000) == (None, False)
    assert messages.revise("general", _message("dev", 1000, "m1").sort_key, "conn:a", None, 1) == (
        None,
        False,
    )
    assert [m.id for m in messages.latest("dev", 10)] == ["m1"]
    assert messages.latest("general", 10) == []


def test_a_sqlite_file_from_before_edits_gains_their_columns(tmp_path: Path) -> None:
    """A file whose messages table has no owner, edited_at nor deleted opens: its messages
    read as nobody's, never edited (so nobody may change them), and new ones can be."""
    import sqlite3

    path = tmp_path / "old.sqlite3"
    with contextlib.closing(sqlite3.connect(path)) as conn:
        conn.executescript(
            "CREATE TABLE messages (table_name TEXT NOT NULL, room TEXT NOT NULL,"
            " sort_key TEXT NOT NULL, id TEXT NOT NULL, sender TEXT NOT NULL,"
            " text TEXT NOT NULL, sent_at INTEGER NOT NULL, expires_at INTEGER NOT NULL,"
            " PRIMARY KEY (table_name, room, sort_key)) WITHOUT ROWID;"
            f" INSERT INTO messages VALUES ('m', 'dev', '0000000001000#old', 'old', 'ana',"
            f" 'before', 1000, {FUTURE}); PRAGMA user_version = 4;"
        )
    store = SqliteMessageStore(SqliteDatabase(path), "m")
    old = ChatMessage("old", "dev", "ana", "before", 1000, FUTURE)
    assert store.latest("dev", 10) == [old]
    assert store.revise("dev", old.sort_key, "", "mine now", 2000) == (old, False)
    new = ChatMessage("new", "dev", "ana", "now", 2000, FUTURE, owner="conn:a")
    store.append(new)
    assert store.revise("dev", new.sort_key, "conn:a", "edited", 3000).revised
    assert [m.text for m in store.latest("dev", 10)] == ["edited", "before"]


# -- direct messages -----------------------------------------------------------------------
def _direct(
    sent_at: int, mid: str, readers: tuple[str, ...], conversation: str = "@" + "0" * 32
) -> DirectMessage:
    return DirectMessage(mid, conversation, "ana", "bob", f"dm {mid}", sent_at, FUTURE, readers)


def test_a_direct_message_is_read_by_each_of_its_readers_and_nobody_else(
    messages: MessageStore,
) -> None:
    """Kept once for both people, found by either, per conversation or among all theirs. On
    DynamoDB each reader is the key of a sparse index, which holds only the items that have
    that attribute ("Take advantage of sparse indexes",
    https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/bp-indexes-general-sparse-indexes.html):
    a message with one reader is in one of them only."""
    kept = _direct(1000, "d1", ("guest:" + "a" * 64, "sub:bob"))
    messages.append_direct(kept)
    for reader in kept.readers:
        assert messages.directs(reader, 10) == [kept]
        assert messages.directs(reader, 10, conversation=kept.conversation) == [kept]
    assert messages.directs("guest:" + "b" * 64, 10) == []
    assert messages.directs("guest:" + "b" * 64, 10, conversation=kept.conversation) == []
    assert messages.latest("general", 10) == []


def test_direct_messages_page_newest_first_per_conversation_and_across_them(
    messages: MessageStore,
) -> None:
    ana, bob, cy = "sub:ana", "sub:bob", "guest:" + "c" * 64
    with_bob, with_cy = "@" + "1" * 32, "@" + "2" * 32
    for i in range(4):
        messages.append_direct(_direct(1000 + 2 * i, f"b{i}", (ana, bob), with_bob))
        messages.append_direct(_direct(1001 + 2 * i, f"c{i}", (cy, ana), with_cy))
    messages.append_direct(_direct(999, "alone", (ana,), "@" + "3" * 32))  # the other had none
    first = messages.directs(ana, 3)
    assert [m.id for m in first] == ["c3", "b3", "c2"]
    rest = messages.directs(ana, 20, before=first[-1].sort_key)
    assert [m.id for m in rest] == ["b2", "c1", "b1", "c0", "b0", "alone"]
    page = messages.directs(ana, 2, conversation=with_bob)
    assert [m.id for m in page] == ["b3", "b2"]
    older = messages.directs(ana, 2, before=page[-1].sort_key, conversation=with_bob)
    assert [m.id for m in older] == ["b1", "b0"]
    assert [m.id for m in messages.directs(cy, 10)] == ["c3", "c2", "c1", "c0"]
    assert messages.directs(bob, 10, conversation=with_cy) == []


def test_sqlite_expires_direct_messages_past_retention(tmp_path: Path) -> None:
    store = SqliteMessageStore(SqliteDatabase(tmp_path / "chat.sqlite3"), "messages", "directs")
    store.append_direct(_direct(1000, "old", ("sub:ana",))._replace(expires_at=1))
    store.append_direct(_direct(2000, "new", ("sub:ana",)))
    assert [m.id for m in store.directs("sub:ana", 10)] == ["new"]
    assert store.expire() == 1


def test_a_conversation_page_holds_limit_messages_its_reader_may_read(
    messages: MessageStore,
) -> None:
    """On DynamoDB a conversation is its partition, filtered to what the reader may read;
    a Query's Limit counts the items it evaluates, before its filter ("Filter expressions
    for the Query operation",
    https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Query.FilterExpression.html;
    "Query a DynamoDB table with a filter expression and limit",
    https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/example_dynamodb_Scenarios_QueryWithFilterAndLimit_section.html),
    so a page follows the partition until it has ``limit`` of them."""
    shared = "@" + "4" * 32
    for i in range(3):
        messages.append_direct(_direct(1000 + 2 * i, f"mine{i}", ("sub:ana",), shared))
        messages.append_direct(_direct(1001 + 2 * i, f"other{i}", ("sub:cy",), shared))
    page = messages.directs("sub:ana", 2, conversation=shared)
    assert [m.id for m in page] == ["mine2", "mine1"]
    rest = messages.directs("sub:ana", 2, before=page[-1].sort_key, conversation=shared)
    assert [m.id for m in rest] == ["mine0"]


class _CountingQueries:
    """A DynamoDB client that counts the Query calls made through it."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.queries = 0

    def __getattr__(self, name: str) -> Any:
        if name == "query":
            self.queries += 1
        return getattr(self._client, name)


def test_a_stranger_naming_a_conversation_costs_one_page_not_its_partition() -> None:
    """A conversation's id names its partition; whoever is not one of its two parties reads
    nothing of it, and the chat stops at the first page that holds nothing of the reader's,
    so that naming someone else's conversation (between two signed-in subjects its id is
    computable) reads ``limit`` items, not every message the two ever exchanged: a Query's
    Limit caps the items read before the filter, and each page read is paid for ("Filter
    expressions for the Query operation",
    https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Query.FilterExpression.html)."""
    with mock_aws():
        counting = _CountingQueries(dynamodb_client())
        create_messages_table(counting, "messages", "directs")
        store = DynamoDbMessageStore(counting, "messages", "directs")
        theirs = "@" + "5" * 32
        for i in range(30):
            store.append_direct(_direct(1000 + i, f"d{i}", ("sub:ana", "sub:bob"), theirs))
        assert store.directs("sub:eve", 5, conversation=theirs) == []
        assert counting.queries == 1
        page = store.directs("sub:ana", 5, conversation=theirs)
        assert [m.id for m in page] == ["d29", "d28", "d27", "d26", "d25"]
