"""One contract for every ConnectionStore of the matrix (tests/stores.py): in memory (the
gateway's, and the fake built on it), SQLite, DynamoDB (moto, on the template's table)."""

import random
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from moto import mock_aws

from serverless_chat.adapters.dynamodb import DynamoDbConnectionStore
from serverless_chat.adapters.sqlite import SqliteConnectionStore, SqliteDatabase
from serverless_chat.chat.model import open_connection
from serverless_chat.errors import StoreError
from serverless_chat.ports import ConnectionRecord, MaintainedConnectionStore
from tests.stores import (
    CONNECTION_STORES,
    create_connections_table,
    create_messages_table,  # noqa: F401  (bench/readcost.py imports it from here)
    dynamodb_client,
    every_row,
    stores,
)


@pytest.fixture(params=CONNECTION_STORES)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[MaintainedConnectionStore]:
    with stores(request.param, tmp_path) as made:
        yield made.connections


def test_put_then_get(store: MaintainedConnectionStore) -> None:
    record = open_connection("c1", 1707502303419)
    store.put(record)
    assert store.get("c1") == record


def test_get_of_an_absent_connection_is_none(store: MaintainedConnectionStore) -> None:
    assert store.get("nobody") is None


def test_put_replaces(store: MaintainedConnectionStore) -> None:
    store.put(open_connection("c1", 1000))
    store.put(open_connection("c1", 2000))
    assert [r.connected_at for r in every_row(store)] == [2000]


def test_delete_removes_and_is_idempotent(store: MaintainedConnectionStore) -> None:
    store.put(open_connection("c1", 0))
    store.delete("c1")
    store.delete("c1")
    assert store.get("c1") is None


def _in(room: str, cid: str, name: str = "") -> ConnectionRecord:
    return open_connection(cid, 0, room=room, name=name or cid, format="json")


def test_record_fields_round_trip(store: MaintainedConnectionStore) -> None:
    record = open_connection("c1", 1707502303419, room="dev", name="Zoë M.", format="text")
    store.put(record)
    assert store.get("c1") == record


@pytest.mark.parametrize("count", [0, 1, 9])
def test_members_reads_only_the_room_and_every_page(
    store: MaintainedConnectionStore, count: int
) -> None:
    for i in range(count):
        store.put(_in("dev", f"d{i:02d}="))
    for i in range(5):
        store.put(_in("general", f"g{i:02d}="))
    assert sorted(r.connection_id for r in store.members("dev", page_size=4)) == [
        f"d{i:02d}=" for i in range(count)
    ]


def test_present_reads_every_room_every_page_and_no_claim(
    store: MaintainedConnectionStore,
) -> None:
    for i in range(6):
        store.put(_in("dev" if i % 2 else "general", f"c{i:02d}="))
    store.claim_name("general", "ana", "c00=", 0)
    found = sorted((r.connection_id, r.room, r.name) for r in store.present(page_size=4))
    assert found == [(f"c{i:02d}=", "dev" if i % 2 else "general", f"c{i:02d}=") for i in range(6)]


def test_members_follow_moves(store: MaintainedConnectionStore) -> None:
    record = _in("general", "c1")
    store.put(record)
    store.put(record.moved(room="dev"))
    assert list(store.members("general")) == []
    assert [r.connection_id for r in store.members("dev")] == ["c1"]


def test_listeners_are_the_members_that_hear_presence(store: MaintainedConnectionStore) -> None:
    for cid, fmt in (("j", "json"), ("t", "text"), ("r", "raw")):
        store.put(open_connection(cid, 0, room="dev", name=cid, format=fmt))
    store.put(open_connection("elsewhere", 0, room="general", name="e", format="json"))
    assert sorted(r.connection_id for r in store.listeners("dev", page_size=1)) == ["j", "t"]
    moved = open_connection("j", 0, room="dev", name="j", format="json").moved(room="x")
    store.put(moved)
    assert [r.connection_id for r in store.listeners("dev")] == ["t"]


def test_named_finds_every_connection_of_a_name_in_any_room(
    store: MaintainedConnectionStore,
) -> None:
    store.put(_in("general", "a", "Bob"))
    store.put(_in("dev", "b", "bob"))
    store.put(_in("dev", "c", "cy"))
    assert [r.connection_id for r in store.named("BOB")] == ["a", "b"]
    assert store.named("nobody") == []


def test_name_claims(store: MaintainedConnectionStore) -> None:
    assert store.claim_name("general", "Ana", "a", 100) is None
    assert store.claim_name("general", "ana", "a", 100) is None  # already ours
    assert store.claim_name("general", "ANA", "b", 100) == "a"
    assert store.claim_name("dev", "ana", "b", 100) is None  # rooms are separate
    assert store.claim_name("general", "ana", "b", 100, replace_owner="a") is None
    assert store.claim_name("general", "ana", "a", 100) == "b"
    store.release_name("general", "ana", "a")  # not the holder: no effect
    assert store.claim_name("general", "ana", "c", 100) == "b"
    store.release_name("general", "ana", "b")
    assert store.claim_name("general", "ana", "c", 100) is None


def test_claims_are_not_connections(store: MaintainedConnectionStore) -> None:
    store.claim_name("general", "ana", "a", 100)
    assert every_row(store) == []
    assert list(store.members("general")) == []
    assert store.named("ana") == []


def test_purge_forgets_connections_and_claims(store: MaintainedConnectionStore) -> None:
    store.put(open_connection("c1", 0, room="one", name="Ana"))
    store.put(open_connection("c2", 0, room="one"))
    store.claim_name("one", "Ana", "c1", 100)
    assert store.purge() == 2
    assert every_row(store) == []
    assert list(store.members("one")) == []
    assert store.named("Ana") == []
    assert store.claim_name("one", "Ana", "c3", 100) is None


def test_tables_are_separate(tmp_path: Path) -> None:
    database = SqliteDatabase(tmp_path / "chat.sqlite3")
    one = SqliteConnectionStore(database, "one")
    two = SqliteConnectionStore(database, "two")
    one.put(open_connection("c1", 0))
    assert two.get("c1") is None
    assert one.purge() == 1
    assert one.get("c1") is None


def test_sqlite_is_durable_across_reopen(tmp_path: Path) -> None:
    path = tmp_path / "chat.sqlite3"
    first = SqliteDatabase(path)
    SqliteConnectionStore(first, "t").put(open_connection("c1", 5))
    first.close()
    assert SqliteConnectionStore(SqliteDatabase(path), "t").get("c1") is not None


def test_sqlite_errors_become_store_errors(tmp_path: Path) -> None:
    database = SqliteDatabase(tmp_path / "chat.sqlite3")
    database.connection().execute("DROP TABLE connections")
    with pytest.raises(StoreError) as caught:
        SqliteConnectionStore(database, "t").put(open_connection("c1", 0))
    assert caught.value.operation == "PutItem"


def test_sqlite_unopenable_path_is_a_store_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError):
        SqliteDatabase(tmp_path / "missing-dir" / "chat.sqlite3")


def test_dynamodb_missing_table_is_a_store_error() -> None:
    with mock_aws():
        client = dynamodb_client()
        store = DynamoDbConnectionStore(client, "no-such-table")
        for call in (
            lambda: store.put(open_connection("c1", 0)),
            lambda: store.delete("c1"),
            lambda: store.get("c1"),
            lambda: list(store.members("general")),
        ):
            with pytest.raises(StoreError) as caught:
                call()
            assert "ResourceNotFoundException" in str(caught.value)


def test_token_bucket(store: MaintainedConnectionStore) -> None:
    store.put(open_connection("c1", 0))
    store.put(open_connection("c2", 0))
    t = 1_000_000
    assert [store.admit("c1", 2, 3, t).allowed for _ in range(4)] == [True, True, True, False]
    assert store.admit("c2", 2, 3, t).allowed  # buckets are per connection
    assert store.admit("c1", 2, 3, t + 500).allowed  # half a second at 2/s: one token back
    assert not store.admit("c1", 2, 3, t + 500).allowed
    assert [store.admit("c1", 2, 3, t + 60_000).allowed for _ in range(4)] == [
        True,
        True,
        True,
        False,  # refilled, but never past the burst
    ]


def test_concurrent_takers_never_overdraw(store: MaintainedConnectionStore) -> None:
    from concurrent.futures import ThreadPoolExecutor

    store.put(open_connection("c1", 0))
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: store.admit("c1", 0.001, 10, 5_000).allowed, range(30)))
    # Never more than the bucket holds (DynamoDB's optimistic retries may give up early
    # under this much contention, which errs on the side of refusing).
    assert 1 <= results.count(True) <= 10


def test_a_move_keeps_the_token_bucket_and_changes_room_and_name(
    store: MaintainedConnectionStore,
) -> None:
    record = open_connection("c1", 0, room="one", name="Ana", format="json")
    store.put(record)
    t = 1_000_000
    assert [store.admit("c1", 1, 2, t).allowed for _ in range(3)] == [True, True, False]
    assert store.move(record, room="two").moved
    assert store.move(record.moved(room="two"), name="Bea").moved
    assert not store.admit("c1", 1, 2, t).allowed  # joining or renaming refills nothing
    moved = store.get("c1")
    assert moved is not None
    assert (moved.room, moved.name, moved.format) == ("two", "Bea", "json")
    assert [r.connection_id for r in store.members("two")] == ["c1"]
    assert [r.connection_id for r in store.listeners("two")] == ["c1"]
    assert list(store.members("one")) == []
    assert [r.connection_id for r in store.named("bea")] == ["c1"]
    assert store.named("ana") == []


def test_a_move_does_not_bring_back_a_gone_connection(store: MaintainedConnectionStore) -> None:
    assert store.move(open_connection("gone", 0, room="one", name="Ghost"), room="two") == (
        None,
        False,
    )
    assert store.get("gone") is None
    assert list(store.members("one")) == []


# -- move: a join or setName writes only what it changes, while the row is as it read it ---
# API Gateway invokes a route's integration once per message, with "no control in which
# order the client messages will be processed" (re:Post, "apigateway websockets are the
# responses sent by integration response route guaranteed to be in same order than the sent
# messages", https://repost.aws/questions/QUa2N5ZwL4QjSFuJkuI4nGcg), and Lambda runs
# concurrent invocations in separate environments ("Understanding Lambda function scaling",
# https://docs.aws.amazon.com/lambda/latest/dg/lambda-concurrency.html): a join and a setName
# sent at once read the same row and both write it.
def test_a_move_writes_only_what_it_is_given(store: MaintainedConnectionStore) -> None:
    """A join writes the room, a setName the name: neither writes back the other's field
    from its own read of the row (Lambda's concurrent invocations, "Understanding Lambda
    function scaling", https://docs.aws.amazon.com/lambda/latest/dg/lambda-concurrency.html)."""
    record = open_connection("c1", 0, room="one", name="Ana", format="json")
    store.put(record)
    assert store.move(record, room="two").moved
    assert store.get("c1") == record.moved(room="two")
    assert store.move(record.moved(room="two"), name="Bea").moved
    assert store.get("c1") == record.moved(room="two", name="Bea")
    assert [r.connection_id for r in store.listeners("two")] == ["c1"]
    assert [r.name for r in store.named("bea")] == ["Bea"]


def test_a_move_is_refused_when_the_row_moved_meanwhile(store: MaintainedConnectionStore) -> None:
    """Two requests of one connection read the same row; whichever writes second finds it
    changed and writes nothing (on DynamoDB a condition on room and name, whose failure is
    ConditionalCheckFailedException: Knowledge Center, "dynamodb
    conditionalcheckfailedexception",
    https://repost.aws/knowledge-center/dynamodb-conditionalcheckfailedexception),
    so that it reads the row again instead of undoing the first."""
    record = open_connection("c1", 0, room="one", name="Ana", format="text")
    store.put(record)
    assert store.move(record, name="Bea") == (record.moved(name="Bea"), True)  # setName first
    # the join read the row before it: refused, and handed the row as it stands
    assert store.move(record, room="two") == (record.moved(name="Bea"), False)
    assert store.get("c1") == record.moved(name="Bea")
    assert list(store.members("two")) == []
    assert list(store.listeners("two")) == []
    assert store.move(record.moved(name="Bea"), room="two").moved  # read again, it moves
    assert store.get("c1") == record.moved(room="two", name="Bea")
    assert not store.move(record.moved(name="Bea"), name="Cy").moved  # the room changed
    assert not store.move(record.moved(room="two"), name="Cy").moved  # the name changed
    assert store.get("c1") == record.moved(room="two", name="Bea")


def test_a_move_keeps_the_guest_and_the_rest_of_the_row(store: MaintainedConnectionStore) -> None:
    """Only the room or the name is written: a guest identity ``resume`` wrote after the
    request read the row stays."""
    record = open_connection("c1", 5, room="one", name="Ana", format="json", principal="")
    store.put(record)
    store.identify("c1", "cd" * 32)
    moved = record._replace(room="two", name="Bea", guest="cd" * 32)
    assert store.move(record, room="two", name="Bea") == (moved, True)  # the row as it is now
    assert store.get("c1") == moved


# -- delete_stale: the fan-out's cleanup after a 410 ---------------------------------------
# API Gateway answers 410 to a post "before the connection was established"
# (https://repost.aws/knowledge-center/410-gone-api-gateway), that is while $connect runs,
# which is at most the 29 s integration timeout (https://docs.aws.amazon.com/apigateway/
# latest/developerguide/apigateway-execution-service-websocket-limits-table.html). So a
# 410 deletes a row only if it connected before a cutoff, and the check and the delete
# are one step: no put of the same id may slip between them.
def test_delete_stale_deletes_an_old_row_and_returns_it(store: MaintainedConnectionStore) -> None:
    """A row that connected before the cutoff is stale once it answers 410 (the Knowledge
    Center's 410 article; the 29 s integration timeout bounds a handshake): it is deleted,
    with its token bucket, and handed back so that its name claim can be released."""
    record = open_connection("old", 1_000, room="dev", name="Ana", format="json")
    store.put(record)
    store.admit("old", 1, 1, 2_000)  # the bucket is empty now
    assert store.delete_stale("old", connected_before_ms=1_001) == record
    assert store.get("old") is None
    assert list(store.members("dev")) == []
    assert list(store.listeners("dev")) == []
    assert store.named("ana") == []
    store.put(record)  # the same id back: a fresh bucket, nothing of the old one left
    assert store.admit("old", 1, 1, 2_000).allowed


def test_delete_stale_keeps_a_young_row(store: MaintainedConnectionStore) -> None:
    """A row that connected at or after the cutoff may be a handshake under way (API Gateway
    answers 410 until $connect returns, the Knowledge Center's 410 article; $connect may run
    up to the 29 s integration timeout): it stays, and nothing is returned."""
    record = open_connection("young", 31_000, room="dev", name="Bea")
    store.put(record)
    assert store.delete_stale("young", connected_before_ms=31_000) is None  # not before
    assert store.delete_stale("young", connected_before_ms=1_000) is None
    assert store.get("young") == record
    assert [r.connection_id for r in store.members("dev")] == ["young"]


def test_delete_stale_of_an_absent_row_is_none(store: MaintainedConnectionStore) -> None:
    """A 410 for a row deleted meanwhile (its $disconnect ran; the 410 article's "connection
    no longer exists" case) deletes nothing and is not an error; nor is a name claim, which
    shares the DynamoDB table, ever taken for a connection."""
    assert store.delete_stale("nobody", connected_before_ms=10**15) is None
    store.claim_name("dev", "cy", "c1", 100)
    assert store.delete_stale("#name#dev#cy", connected_before_ms=10**15) is None
    assert store.claim_name("dev", "cy", "c2", 100) == "c1"  # the claim is intact


def test_delete_stale_is_one_step_against_a_racing_put(store: MaintainedConnectionStore) -> None:
    """A reconnecting id written again meanwhile is young, and is never deleted for the old
    row's 410: check and delete are atomic (a DynamoDB condition expression)."""
    from concurrent.futures import ThreadPoolExecutor

    old = open_connection("c1", 1_000)
    fresh = open_connection("c1", 50_000)
    for _ in range(20):
        store.put(old)
        with ThreadPoolExecutor(2) as pool:
            deleted = pool.submit(store.delete_stale, "c1", 40_000)
            pool.submit(store.put, fresh).result()
            result = deleted.result()
        # Either the delete came first (and the fresh row was put after it) or the put did
        # (and the delete found a young row): the fresh row survives both ways.
        assert result in (old, None)
        assert store.get("c1") == fresh


# -- admit: every request's first call, the sender's row and a token in one step -------------
@pytest.mark.parametrize(("rate", "burst"), [(10, 20), (2, 3), (1, 1), (0.5, 4), (1000, 2)])
def test_admit_admits_exactly_what_the_token_bucket_admits(
    store: MaintainedConnectionStore, rate: float, burst: int
) -> None:
    """Random requests, bursts and pauses: each store's admit (on DynamoDB, its conditional
    updates of the bucket's arrival time) lets in exactly what a token bucket ``burst``
    deep, refilled at ``rate`` a second, counted in exact fractions, lets in."""
    store.put(open_connection("c1", 0))
    chance = random.Random(f"{rate}/{burst}")
    exact, exact_at = Fraction(burst), 0
    now = 1_700_000_000_000
    for step in range(300):
        now += chance.choice([0, 0, 0, 1, 10, 99, 100, 101, 250, 500, 1_000, 5_000, 60_000])
        exact = min(Fraction(burst), exact + Fraction(now - exact_at, 1000) * Fraction(rate))
        exact_at = now
        allowed = exact >= 1
        exact -= 1 if allowed else 0
        assert store.admit("c1", rate, burst, now).allowed == allowed, (step, now, exact)


def test_admit_returns_the_row_and_takes_a_token(store: MaintainedConnectionStore) -> None:
    """The record as stored, and a token from its bucket: ``burst`` at once, then refused
    until ``rate`` brings one back; never past the burst. A refusal still has the row (the
    sender hears RATE_LIMITED in its own format)."""
    record = open_connection("c1", 1_000, room="dev", name="Ana", format="json")
    store.put(record)
    t = 1_000_000
    assert [store.admit("c1", 2, 3, t) for _ in range(4)] == [
        (record, True),
        (record, True),
        (record, True),
        (record, False),
    ]
    assert store.admit("c1", 2, 3, t + 500) == (record, True)  # half a second at 2/s
    assert store.admit("c1", 2, 3, t + 500) == (record, False)
    assert [store.admit("c1", 2, 3, t + 60_000).allowed for _ in range(4)] == [
        True,
        True,
        True,
        False,
    ]


def test_admit_of_a_connection_not_stored_takes_nothing(store: MaintainedConnectionStore) -> None:
    """No row: NOT_CONNECTED, and no bucket (nor row) made for it; a name claim's key is
    never taken for a connection's."""
    assert store.admit("nobody", 10, 20, 1_000) == (None, False)
    assert store.get("nobody") is None
    store.claim_name("dev", "cy", "c1", 100)
    assert store.admit("#name#dev#cy", 10, 20, 1_000) == (None, False)
    assert store.claim_name("dev", "cy", "c2", 100) == "c1"  # the claim is intact


def test_admit_follows_moves_and_keeps_the_bucket(store: MaintainedConnectionStore) -> None:
    record = open_connection("c1", 0, room="one", name="Ana", format="text")
    store.put(record)
    t = 2_000_000
    assert store.admit("c1", 1, 1, t) == (record, True)
    assert store.move(record, room="two", name="Bea").moved
    assert store.admit("c1", 1, 1, t) == (record.moved(room="two", name="Bea"), False)


def test_concurrent_admissions_never_overdraw(store: MaintainedConnectionStore) -> None:
    from concurrent.futures import ThreadPoolExecutor

    store.put(open_connection("c1", 0))
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: store.admit("c1", 0.001, 10, 5_000), range(30)))
    assert 1 <= [r.allowed for r in results].count(True) <= 10
    assert {r.record.connection_id for r in results if r.record} == {"c1"}


# -- delete hands back what it removed -----------------------------------------------------
def test_delete_returns_the_record_it_removed(store: MaintainedConnectionStore) -> None:
    """$disconnect reads the row it deletes from the delete itself (DynamoDB: ALL_OLD)."""
    record = open_connection("c1", 7, room="dev", name="Ana", format="json", principal="p")
    store.put(record)
    assert store.delete("c1") == record
    assert store.delete("c1") is None
    assert store.get("c1") is None
    store.claim_name("dev", "ana", "c2", 100)
    assert store.delete("#name#dev#ana") is None  # a claim's key is not a connection


# -- what the index queries carry ----------------------------------------------------------
def test_members_carry_id_room_name_and_format(store: MaintainedConnectionStore) -> None:
    """A fan-out reads a member's id and format, ``who`` its name: the room-index projects
    those (not the bucket, which every request rewrites)."""
    store.put(open_connection("a", 1, room="dev", name="Ana", format="json"))
    store.put(open_connection("b", 2, room="dev", name="Bob", format="raw"))
    store.admit("a", 1, 5, 1_000)
    assert store.move(
        open_connection("b", 2, room="dev", name="Bob", format="raw"), name="Bo"
    ).moved
    got = [(r.connection_id, r.room, r.name, r.format) for r in store.members("dev")]
    assert got == [("a", "dev", "Ana", "json"), ("b", "dev", "Bo", "raw")]


def test_listeners_carry_id_room_and_format(store: MaintainedConnectionStore) -> None:
    store.put(open_connection("a", 1, room="dev", name="Ana", format="json"))
    store.put(open_connection("t", 1, room="dev", name="Tia", format="text"))
    assert store.move(
        open_connection("t", 1, room="dev", name="Tia", format="text"), room="ops"
    ).moved
    assert [(r.connection_id, r.room, r.format) for r in store.listeners("dev")] == [
        ("a", "dev", "json")
    ]
    assert [(r.connection_id, r.room, r.format) for r in store.listeners("ops")] == [
        ("t", "ops", "text")
    ]


def test_named_returns_whole_records(store: MaintainedConnectionStore) -> None:
    """A signed-in person's other connections are found by name, and their claims passed
    on with their expiry: the name-index carries the whole row but its bucket."""
    record = open_connection("c1", 1_234, room="dev", name="Ana", format="text", principal="p")
    store.put(record)
    store.admit("c1", 1, 5, 1_000)
    assert store.named("ana") == [record]


class CountingClient:
    """A DynamoDB client that counts its calls by operation."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.calls: list[str] = []

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._client, name)

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls.append(name)
            return attribute(*args, **kwargs)

        return counted if callable(attribute) else attribute


def test_dynamodb_admit_is_one_update_and_two_containers_share_the_bucket() -> None:
    """On DynamoDB a request's admission is one UpdateItem: after a pause (a full bucket),
    and within a burst on the container that saw the last one. Another container guesses
    the bucket full and is wrong: its first update's condition fails (and hands the row
    back), its second takes the token; the bucket is never overdrawn either way."""
    with mock_aws():
        client = dynamodb_client()
        create_connections_table(client, "connections")
        one, two = CountingClient(client), CountingClient(client)
        first = DynamoDbConnectionStore(one, "connections")
        second = DynamoDbConnectionStore(two, "connections")
        record = open_connection("c1", 0, room="dev", name="Ana", format="json")
        first.put(record)
        one.calls.clear()
        t = 10_000_000
        assert first.admit("c1", 2, 3, t) == (record, True)
        assert first.admit("c1", 2, 3, t) == (record, True)
        assert one.calls == ["update_item", "update_item"]
        assert second.admit("c1", 2, 3, t) == (record, True)  # the third and last token
        assert two.calls == ["update_item", "update_item"]
        assert first.admit("c1", 2, 3, t) == (record, False)
        assert second.admit("c1", 2, 3, t) == (record, False)
        assert two.calls[2:] == ["update_item"]  # refused on its own condition's failure
        assert first.admit("c1", 2, 3, t + 500) == (record, True)
        assert second.admit("c1", 2, 3, t + 60_000) == (record, True)


def test_identify_gives_a_connection_its_guest_and_keeps_the_rest(
    store: MaintainedConnectionStore,
) -> None:
    """A guest's resume token hash is kept in its row (chat/identity.py): a direct message
    to it reads it there, and a request's admit hands it back."""
    record = open_connection("c1", 1_234, room="dev", name="Ana", format="json")
    store.put(record)
    store.admit("c1", 1, 5, 1_000)
    store.identify("c1", "ab" * 32)
    assert store.get("c1") == record._replace(guest="ab" * 32)
    assert store.admit("c1", 1, 5, 2_000).record == record._replace(guest="ab" * 32)
    assert store.move(record, room="ops").moved  # read before resume wrote the guest
    assert store.get("c1") == record._replace(guest="ab" * 32, room="ops")


def test_identify_does_not_bring_back_a_gone_connection(store: MaintainedConnectionStore) -> None:
    store.identify("nobody", "ab" * 32)
    assert store.get("nobody") is None
