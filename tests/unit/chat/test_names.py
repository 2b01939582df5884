"""Name claims over the ConnectionStore port: one owner, shared by one person's connections."""

from __future__ import annotations

import json
from functools import partial
from typing import Any

import pytest

from serverless_chat.chat.model import open_connection
from serverless_chat.chat.names import claim, release
from serverless_chat.chat.protocol import ProtocolError
from serverless_chat.chat.service import Chat
from tests.fakes import FakeConnections, MemoryConnectionStore, MemoryMessageStore


def _row(store: MemoryConnectionStore, cid: str, principal: str = "", name: str = "ana") -> Any:
    record = open_connection(cid, 0, name=name, principal=principal)
    store.put(record)
    return record


def test_the_first_connection_owns_the_claim_and_the_next_of_its_person_shares_it() -> None:
    store = MemoryConnectionStore()
    one, two = _row(store, "one", "u-ana"), _row(store, "two", "u-ana")
    assert claim(store, "general", "ana", one, "$connect") is True
    assert claim(store, "general", "ANA", two, "$connect") is False
    assert store.claim_name("general", "ana", "x", 0) == "one"


@pytest.mark.parametrize("principal", ["", "u-mallory"])
def test_anyone_else_is_refused(principal: str) -> None:
    store = MemoryConnectionStore()
    claim(store, "general", "ana", _row(store, "one", "u-ana"), "$connect")
    with pytest.raises(ProtocolError) as caught:
        claim(store, "general", "ana", _row(store, "other", principal), "join")
    assert (caught.value.code, caught.value.action) == ("NAME_TAKEN", "join")


def test_two_anonymous_connections_never_share() -> None:
    store = MemoryConnectionStore()
    claim(store, "general", "ana", _row(store, "one"), "$connect")
    with pytest.raises(ProtocolError):
        claim(store, "general", "ana", _row(store, "two"), "$connect")


def test_release_passes_the_claim_to_a_connection_of_the_same_person() -> None:
    store = MemoryConnectionStore()
    one, two = _row(store, "one", "u-ana"), _row(store, "two", "u-ana")
    claim(store, "general", "ana", one, "$connect")
    claim(store, "general", "ana", two, "$connect")
    store.delete("one")
    assert release(store, "general", one) is True  # ana is still here
    assert store.claim_name("general", "ana", "x", 0) == "two"
    store.delete("two")
    assert release(store, "general", two) is False
    assert store.claim_name("general", "ana", "x", 0) is None


def test_an_anonymous_release_reads_nothing() -> None:
    store = MemoryConnectionStore()
    record = _row(store, "one")
    claim(store, "general", "ana", record, "$connect")
    store.fail_on.add("Query")
    assert release(store, "general", record) is False
    assert store.claim_name("general", "ana", "x", 0) is None


def test_when_others_cannot_be_looked_up_the_claim_is_released_as_before() -> None:
    """A role without the name-index Query: sharing's extra step fails, logged, not raised."""
    store = MemoryConnectionStore()
    one, two = _row(store, "one", "u-ana"), _row(store, "two", "u-ana")
    claim(store, "general", "ana", one, "$connect")
    claim(store, "general", "ana", two, "$connect")
    store.fail_on.add("Query")
    assert release(store, "general", one) is False
    assert store.claim_name("general", "ana", "x", 0) is None


def test_when_the_claim_cannot_be_passed_on_it_stays_and_is_taken_over_later() -> None:
    store = MemoryConnectionStore()
    one, two = _row(store, "one", "u-ana"), _row(store, "two", "u-ana")
    claim(store, "general", "ana", one, "$connect")
    claim(store, "general", "ana", two, "$connect")
    store.delete("one")
    store.fail_on.add("PutItem")
    assert release(store, "general", one) is True
    store.fail_on.clear()
    with pytest.raises(ProtocolError):  # its owner is gone, but ana is still here
        claim(store, "general", "ana", _row(store, "m", "u-mallory"), "$connect")
    assert store.claim_name("general", "ana", "x", 0) == "two"  # passed on by that refusal


# -- a holder whose $disconnect never came ----------------------------------------------------
def test_a_name_held_by_a_gone_connection_is_taken_over_and_the_room_told_it_left() -> None:
    """ "$disconnect is a best-effort event" ("Manage connected users and client apps:
    $connect and $disconnect routes",
    https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-route-keys-connect-disconnect.html):
    a person whose close ran no $disconnect comes back under their name. The old row's
    connection answers 410 (GetConnection) and is older than any handshake: a ghost, evicted."""
    now_s = 1_000_000.0
    store = MemoryConnectionStore()
    connections = FakeConnections("listener")  # "ghost" is gone: API Gateway answers 410
    chat = Chat(store, MemoryMessageStore(), connections, clock=lambda: now_s)
    chat.connect("listener", int(now_s * 1000) - 60_000, {"name": "al", "format": "json"})
    chat.connect("ghost", int(now_s * 1000) - 60_000, {"name": "bo"})
    record = chat.connect("back", int(now_s * 1000), {"name": "bo"})
    assert record.name == "bo"
    assert store.get("ghost") is None
    heard = [json.loads(data) for data in connections.received("listener")]
    assert {"event": "left", "name": "bo"}.items() <= heard[-2].items()  # then bo joined again


def test_a_young_row_that_answers_410_keeps_its_name() -> None:
    """API Gateway answers 410 until $connect returns: a row younger than a handshake may be
    someone connecting now, so its name is not taken from it."""
    now_s = 1_000_000.0
    store = MemoryConnectionStore()
    chat = Chat(store, MemoryMessageStore(), FakeConnections(), clock=lambda: now_s)
    chat.connect("connecting", int(now_s * 1000) - 1_000, {"name": "bo"})
    with pytest.raises(ProtocolError) as caught:
        chat.connect("other", int(now_s * 1000), {"name": "bo"})
    assert caught.value.code == "NAME_TAKEN"
    assert store.get("connecting") is not None


def test_a_ghost_found_by_a_fan_out_is_announced_as_gone() -> None:
    """A row whose $disconnect never came (best effort, same page) is found by the next
    message's 410 and deleted; the room is told its person left, so that no member list keeps
    a ghost."""
    from serverless_chat.chat.protocol import SendMessage

    now_s = 1_000_000.0
    store = MemoryConnectionStore()
    connections = FakeConnections("al", "cy")  # bo is gone: API Gateway answers 410
    chat = Chat(store, MemoryMessageStore(), connections, clock=lambda: now_s)
    old = int(now_s * 1000) - 60_000
    for cid in ("al", "cy", "bo"):  # bo last: the message is the first post to find it gone
        chat.connect(cid, old, {"name": cid, "format": "json"})
    sender = store.get("al")
    assert sender is not None
    chat.send_message(sender, SendMessage("hello"))
    assert store.get("bo") is None
    heard = [json.loads(data) for data in connections.received("cy")]
    assert [h.get("text") or h["event"] for h in heard] == ["joined", "hello", "left"]
    assert heard[-1]["name"] == "bo"


def _ghost_town(now_s: float) -> tuple[MemoryConnectionStore, FakeConnections, Chat]:
    """``listener`` (json) and ``bo`` in dev, and ``bo``'s connection gone without its
    $disconnect (API Gateway answers 410); ``back`` in general, under another name."""
    store = MemoryConnectionStore()
    connections = FakeConnections("listener", "back")
    chat = Chat(store, MemoryMessageStore(), connections, clock=lambda: now_s)
    old = int(now_s * 1000) - 60_000
    chat.connect("listener", old, {"name": "al", "room": "dev", "format": "json"})
    chat.connect("ghost", old, {"name": "bo", "room": "dev"})
    chat.connect("back", int(now_s * 1000), {"name": "guest", "format": "json"})
    return store, connections, chat


@pytest.mark.parametrize("action", ["setName", "join"])
def test_set_name_and_join_take_a_name_back_from_a_ghost(action: str) -> None:
    """ "$disconnect is a best-effort event" ("Manage connected users and client apps:
    $connect and $disconnect routes",
    https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-route-keys-connect-disconnect.html):
    a name whose holder answers 410 on GetConnection ("The connection with the provided id
    no longer exists": GoneException, AWS SDK for .NET, "GetConnection",
    https://docs.amazonaws.cn/sdkfornet/v3/apidocs/items/ApiGatewayManagementApi/MIApiGatewayManagementApiGetConnectionGetConnectionRequest.html)
    and is older than any handshake is taken back by a setName or a join, as by $connect:
    the ghost's row is deleted and its room told it left."""
    now_s = 1_000_000.0
    store, connections, chat = _ghost_town(now_s)
    back = store.get("back")
    assert back is not None
    if action == "setName":
        chat.join(back, "dev")  # as "guest"; then the name
        back = store.get("back")
        assert back is not None
        chat.set_name(back, "bo")
    else:
        chat.set_name(back, "bo")  # in general, where nobody holds it; then the room
        back = store.get("back")
        assert back is not None
        chat.join(back, "dev")
    row = store.get("back")
    assert row is not None
    assert (row.room, row.name) == ("dev", "bo")
    assert store.get("ghost") is None
    assert store.claim_name("dev", "bo", "someone", 0) == "back"
    heard = [json.loads(data) for data in connections.received("listener")]
    left = [h for h in heard if h.get("event") == "left"]
    assert left == [{"type": "presence", "event": "left", "room": "dev", "name": "bo"}]
    welcome = [json.loads(d) for d in connections.received("back")]
    assert {"type": "welcome", "room": "dev", "name": "bo"} in welcome


@pytest.mark.parametrize("action", ["setName", "join"])
def test_set_name_and_join_leave_a_live_or_young_holder_its_name(action: str) -> None:
    """A holder that answers GetConnection keeps its name; so does one that answers 410 but
    is younger than a handshake (API Gateway answers 410 to a connection not yet established,
    that is until $connect returns: Knowledge Center, "410 gone api gateway",
    https://repost.aws/knowledge-center/410-gone-api-gateway).
    Both refuse with NAME_TAKEN, and the holder's row stays."""
    now_s = 1_000_000.0
    store = MemoryConnectionStore()
    connections = FakeConnections("live", "me")  # "young" answers 410: still connecting
    chat = Chat(store, MemoryMessageStore(), connections, clock=lambda: now_s)
    old = int(now_s * 1000) - 60_000
    chat.connect("live", old, {"name": "al", "room": "dev"})
    chat.connect("young", int(now_s * 1000) - 1_000, {"name": "bo", "room": "dev"})
    for name in ("al", "bo"):
        if action == "setName":  # in dev under another name, then asks for this one
            me = chat.connect("me", old, {"name": "cy", "room": "dev"})
        else:  # under this name elsewhere, then asks for dev
            me = chat.connect("me", old, {"name": name, "room": "ops"})
        ask = (
            partial(chat.set_name, me, name)
            if action == "setName"
            else partial(chat.join, me, "dev")
        )
        with pytest.raises(ProtocolError) as caught:
            ask()
        assert caught.value.code == "NAME_TAKEN"
        chat.disconnect("me")
    assert store.get("live") is not None
    assert store.get("young") is not None
