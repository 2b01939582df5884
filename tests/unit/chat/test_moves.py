"""A join and a setName of one connection at once: each request writes only what it changes,
and only while the row is as it read it, so neither undoes the other and the name the row has
is the claim the chat holds. On every store of the matrix.

Messages of one connection are separate invocations that nothing orders (re:Post,
"apigateway websockets are the responses sent by integration response route guaranteed to be
in same order than the sent messages", https://repost.aws/questions/QUa2N5ZwL4QjSFuJkuI4nGcg;
"Understanding Lambda function scaling",
https://docs.aws.amazon.com/lambda/latest/dg/lambda-concurrency.html). The interleaving is
made here without threads: both requests read the row (the same sender record), then one
runs whole between the other's claim and its write.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from serverless_chat.chat.service import Chat
from serverless_chat.ports import ConnectionRecord
from tests.fakes import FakeConnections, MemoryMessageStore
from tests.stores import BACKENDS, stores


class Interleaving:
    """A ConnectionStore that runs ``before_move`` (once) just before the first move it is
    asked for: the other request, landing between this one's read and its write."""

    def __init__(self, store: Any) -> None:
        self._store = store
        self.before_move: Callable[[], None] | None = None

    def move(self, *args: Any, **kwargs: Any) -> Any:
        other, self.before_move = self.before_move, None
        if other is not None:
            other()
        return self._store.move(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)


class Race:
    def __init__(self, store: Any) -> None:
        self.store = Interleaving(store)
        self.connections = FakeConnections()
        now = time.time()
        self.chat = Chat(self.store, MemoryMessageStore(), self.connections, clock=lambda: now)
        self.connected_at = int(now * 1000) - 60_000

    def connect(self, cid: str, **query: str) -> ConnectionRecord:
        self.connections.open.add(cid)
        return self.chat.connect(cid, self.connected_at, {"format": "json", **query})

    def heard(self, cid: str) -> list[Any]:
        return [json.loads(data) for data in self.connections.received(cid)]

    def names_in(self, room: str) -> list[str]:
        return sorted(r.name for r in self.store.members(room))


@pytest.fixture(params=BACKENDS)
def race(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Race]:
    with stores(request.param, tmp_path) as made:
        yield Race(made.connections)


@pytest.mark.parametrize("lands_first", ["setName", "join"])
def test_a_join_and_a_rename_sent_at_once_both_hold(race: Race, lands_first: str) -> None:
    """Whichever lands first, the person ends in the joined room under the new name, and the
    claims are that room's new name alone: the old name is free in both rooms, the new name
    free in the room left, and nobody else may take the new name in the room joined."""
    race.connect("listener", name="al", room="dev")
    read = race.connect("bo", name="bo")  # both requests read this row
    if lands_first == "setName":
        race.store.before_move = lambda: race.chat.set_name(read, "Neo")
        race.chat.join(read, "dev")
    else:
        race.store.before_move = lambda: race.chat.join(read, "dev")
        race.chat.set_name(read, "Neo")
    row = race.store.get("bo")
    assert row is not None
    assert (row.room, row.name) == ("dev", "Neo")
    assert race.names_in("dev") == ["Neo", "al"]
    assert race.names_in("general") == []
    assert race.store.claim_name("dev", "neo", "someone", 0) == "bo"
    for room, name in (("general", "bo"), ("dev", "bo"), ("general", "neo")):
        assert race.store.claim_name(room, name, "someone", 0) is None, (room, name)
    welcomes = [f for f in race.heard("bo") if f.get("type") == "welcome"]
    assert welcomes[-1] == {"type": "welcome", "room": "dev", "name": "Neo"}


def test_two_joins_sent_at_once_leave_one_claim(race: Race) -> None:
    """A join to ``dev`` and one to ``ops`` from the same read: the second to land reads the
    row again and moves from where the first left it; the room it left hears ``left``, and
    no claim stays behind in it."""
    race.connect("devs", name="al", room="dev")
    read = race.connect("bo", name="bo")
    race.store.before_move = lambda: race.chat.join(read, "dev")
    race.chat.join(read, "ops")
    row = race.store.get("bo")
    assert row is not None
    assert (row.room, row.name) == ("ops", "bo")
    assert race.names_in("dev") == ["al"]
    assert race.store.claim_name("dev", "bo", "someone", 0) is None
    assert race.store.claim_name("general", "bo", "someone", 0) is None
    assert race.store.claim_name("ops", "bo", "someone", 0) == "bo"
    events = [f.get("event") for f in race.heard("devs") if f.get("type") == "presence"]
    assert events == ["joined", "left"]


def test_a_move_for_a_connection_gone_meanwhile_answers_nobody(race: Race) -> None:
    """Its $disconnect ran between the read and the write: the row stays gone, the name the
    join claimed is given up, and nothing is posted to it."""
    read = race.connect("bo", name="bo")
    race.store.before_move = lambda: race.chat.disconnect("bo")
    race.chat.join(read, "dev")
    assert race.store.get("bo") is None
    assert race.store.claim_name("dev", "bo", "someone", 0) is None
    assert [f for f in race.heard("bo") if f.get("type") == "welcome"] == []


def test_a_connection_moved_first_every_time_gets_store_unavailable(race: Race) -> None:
    """Each refused move means another request of the connection landed; past a few such
    tries the join gives up with the store's error (try again), its claims given back, and
    the row is where the other requests left it."""
    from itertools import count

    from serverless_chat.chat.actions import BY_KEY
    from serverless_chat.chat.protocol import decode_body

    race.connect("bo", name="bo", format="json")
    renames = count(1)

    def another_rename_lands_first() -> None:
        row = race.store.get("bo")
        race.store._store.move(row, name=f"bo{next(renames)}")
        race.store.before_move = another_rename_lands_first

    race.store.before_move = another_rename_lands_first
    body = decode_body(json.dumps({"action": "join", "room": "dev"}))
    assert race.chat.request("bo", BY_KEY["join"], body) == 500
    assert race.heard("bo")[-1]["code"] == "STORE_UNAVAILABLE"
    row = race.store.get("bo")
    assert row is not None
    assert (row.room, row.name) == ("general", "bo5")  # five tries, each one moved first
    for name in ("bo", "bo1", "bo2", "bo3", "bo4"):  # each try's claim in dev, given back
        assert race.store.claim_name("dev", name, "someone", 0) is None, name
