"""The chat's behaviour through its ports: every action and every refusal, on every store
(the in-memory fakes, SQLite, and DynamoDB in moto). Tests that inject store failures or
count reads use the fakes (``mem``)."""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from serverless_chat.chat.actions import BY_KEY
from serverless_chat.chat.identity import conversation_of, token_hash
from serverless_chat.chat.model import EDIT_WINDOW_SECONDS, open_connection
from serverless_chat.chat.protocol import ProtocolError, decode_body
from serverless_chat.chat.service import Chat, ChatSettings
from serverless_chat.errors import StoreError
from serverless_chat.ports import ConnectionRecord
from tests.fakes import FakeConnections, MemoryConnectionStore, MemoryMessageStore
from tests.stores import BACKENDS, every_row, stores


class World:
    """A chat over fakes, with a clock that ticks one millisecond per message."""

    def __init__(
        self,
        settings: ChatSettings | None = None,
        store: Any = None,
        messages: Any = None,
    ) -> None:
        self.store = store if store is not None else MemoryConnectionStore()
        self.messages = messages if messages is not None else MemoryMessageStore()
        self.connections = FakeConnections()
        self.t0 = int(time.time() * 1000)  # real time: SQLite skips messages past their TTL
        self._ticks = itertools.count(self.t0)
        self._ids = itertools.count(1)
        self.records: dict[str, ConnectionRecord] = {}
        self.chat = Chat(
            self.store,
            self.messages,
            self.connections,
            settings or ChatSettings(),
            clock=lambda: next(self._ticks) / 1000,
            new_id=lambda: f"id{next(self._ids):04d}",
        )

    def connect(self, cid: str, **query: str) -> ConnectionRecord:
        self.connections.open.add(cid)
        record = self.chat.connect(cid, 1_707_502_303_419, query)
        self.records[cid] = record
        return record

    def connect_record_of(self, cid: str) -> ConnectionRecord:
        """The record ``cid`` was given at connect: what the store should still hold."""
        return self.records[cid]

    def request(self, cid: str, action: str, **body: Any) -> int:
        """``action`` with ``body``'s fields, as its entry module runs it (chat/actions.py)."""
        return self.chat.request(
            cid, BY_KEY[action], decode_body(json.dumps({"action": action, **body}))
        )

    def say(self, cid: str, text: str, **extra: Any) -> int:
        return self.request(cid, "sendMessage", message=text, **extra)

    def frames(self, cid: str) -> list[Any]:
        """What ``cid`` received, JSON decoded where it is JSON."""
        out = []
        for data in self.connections.received(cid):
            try:
                out.append(json.loads(data))
            except ValueError:
                out.append(data.decode())
        return out

    def clear(self) -> None:
        self.connections.posts.clear()


@pytest.fixture(params=BACKENDS)
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    with stores(request.param, tmp_path) as made:
        yield World(store=made.connections, messages=made.messages)


@pytest.fixture
def mem() -> World:
    """The chat over the in-memory fakes, whose failures can be injected and reads counted."""
    return World()


# -- connect / disconnect ------------------------------------------------------
def test_connect_defaults(world: World) -> None:
    record = world.connect("a")
    assert (record.room, record.format) == ("general", "raw")
    assert record.name.startswith("guest-")
    assert world.store.get("a") == record


def test_connect_with_options_and_presence_for_json_and_text_only(world: World) -> None:
    world.connect("raw")
    world.connect("txt", format="text")
    world.connect("js", format="json")
    world.connect("other", room="dev", format="json")
    world.clear()
    world.connect("new", name="ana", format="json")
    assert world.frames("raw") == []
    assert world.frames("txt") == ["* ana joined general"]
    assert world.frames("js") == [
        {"type": "presence", "event": "joined", "room": "general", "name": "ana"}
    ]
    assert world.frames("other") == []
    assert world.frames("new") == []


def test_connect_with_a_taken_name_keeps_nothing(world: World) -> None:
    world.connect("a", name="ana")
    with pytest.raises(ProtocolError) as caught:
        world.connect("b", name="ANA")
    assert caught.value.code == "NAME_TAKEN"
    assert world.store.get("b") is None


def test_same_name_in_another_room_is_fine(world: World) -> None:
    world.connect("a", name="ana")
    assert world.connect("b", name="ana", room="dev").name == "ana"


def test_a_claim_whose_holder_is_gone_is_taken_over(world: World) -> None:
    world.connect("a", name="ana")
    world.store.delete("a")  # its $disconnect never ran the release
    assert world.connect("b", name="ana").name == "ana"
    with pytest.raises(ProtocolError):
        world.connect("c", name="ana")


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ({"room": "No Caps"}, "INVALID_ROOM"),
        ({"name": "<b>"}, "INVALID_NAME"),
        ({"format": "xml"}, "INVALID_FORMAT"),
    ],
)
def test_bad_connect_options_keep_nothing(world: World, query: dict[str, str], code: str) -> None:
    with pytest.raises(ProtocolError) as caught:
        world.connect("a", **query)
    assert caught.value.code == code
    assert every_row(world.store) == []


def test_connect_store_failure_raises(mem: World) -> None:
    mem.store.fail_on.add("PutItem")
    with pytest.raises(StoreError):
        mem.connect("a")


def test_presence_failure_does_not_fail_connect(mem: World) -> None:
    mem.store.fail_on.add("Query")
    assert mem.connect("a", name="ana").name == "ana"


def test_disconnect_forgets_row_and_name_and_tells_the_room(world: World) -> None:
    world.connect("a", name="ana")
    world.connect("b", format="text")
    world.clear()
    world.chat.disconnect("a")
    assert world.store.get("a") is None
    assert world.frames("b") == ["* ana left general"]
    world.chat.disconnect("a")  # twice is harmless
    assert world.connect("c", name="ana").name == "ana"  # the name is free again


# -- sendMessage -----------------------------------------------------------------
def test_original_behaviour_for_raw_clients(world: World) -> None:
    for cid in "abc":
        world.connect(cid)
    world.clear()
    assert world.say("a", "Hello AWS") == 200
    assert world.frames("b") == ["Hello AWS"]
    assert world.frames("c") == ["Hello AWS"]
    assert world.frames("a") == []


def test_each_format_gets_its_frame_and_json_senders_get_an_echo(world: World) -> None:
    world.connect("a", name="ana", format="json")
    world.connect("r")
    world.connect("t", format="text")
    world.clear()
    world.say("a", "hi")
    envelope = {
        "type": "message",
        "id": "id0001",
        "room": "general",
        "from": "ana",
        "text": "hi",
        "sentAt": world.t0 + 1,  # the clock ticks once for the rate limit
    }
    assert world.frames("a") == [envelope]
    assert world.frames("r") == ["hi"]
    assert world.frames("t") == ["ana: hi"]


def test_rooms_are_isolated(world: World) -> None:
    world.connect("a", room="one")
    world.connect("b", room="one")
    world.connect("c", room="two")
    world.clear()
    world.say("a", "in one")
    assert world.frames("b") == ["in one"]
    assert world.frames("c") == []


def test_fan_out_reads_only_the_room(mem: World) -> None:
    for i in range(200):
        mem.store.put(open_connection(f"x{i:03d}", 0, room="elsewhere", name=f"n{i}"))
    for cid in "abc":
        mem.connect(cid, room="small")
    mem.store.items_read = 0
    mem.say("a", "hi")
    assert mem.store.items_read == 3


def test_messages_are_kept_for_history(world: World) -> None:
    world.connect("a", name="ana")
    world.say("a", "first")
    (message,) = world.messages.latest("general", 10)
    assert (message.room, message.sender, message.text) == ("general", "ana", "first")
    assert message.expires_at == message.sent_at // 1000 + 7 * 86400


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ("not json", "INVALID_JSON"),
        ('{"action": "sendMessage"}', "MISSING_FIELD"),
        ('{"action": "sendMessage", "message": 1}', "INVALID_FIELD"),
        ('{"action": "sendMessage", "message": ""}', "INVALID_FIELD"),
        ('{"action": "sendMessage", "message": "' + "x" * 4001 + '"}', "TEXT_TOO_LONG"),
        ('{"action": "sendMessage", "message": "hi", "to": "nobody"}', "UNKNOWN_RECIPIENT"),
        ('{"action": "sendMessage", "message": "hi", "to": "<x>"}', "INVALID_NAME"),
    ],
)
def test_a_refused_message_is_one_error_to_the_sender_and_nothing_else(
    world: World, body: str, code: str
) -> None:
    world.connect("a", format="json")
    world.connect("b", format="json")
    world.clear()
    assert world.chat.request("a", BY_KEY["sendMessage"], decode_body(body)) == 400
    assert [f["code"] for f in world.frames("a")] == [code]
    assert world.frames("a")[0]["type"] == "error"
    assert world.frames("b") == []
    assert world.messages.latest("general", 10) == []


def test_text_clients_get_errors_as_lines(world: World) -> None:
    world.connect("a", format="text")
    world.clear()
    world.chat.request("a", BY_KEY["sendMessage"], decode_body("nope"))
    assert world.frames("a") == ["! INVALID_JSON: The frame is not valid JSON."]


def test_max_length_comes_from_settings() -> None:
    world = World(ChatSettings(max_text_length=5))
    world.connect("a", format="json")
    world.say("a", "123456")
    assert world.frames("a")[0]["code"] == "TEXT_TOO_LONG"


def test_store_failure_is_one_error_and_no_broadcast(mem: World) -> None:
    mem.connect("a", format="json")
    mem.connect("b")
    mem.clear()
    mem.messages.fail_on.add("PutItem")
    assert mem.say("a", "hi") == 500
    assert [f["code"] for f in mem.frames("a")] == ["STORE_UNAVAILABLE"]
    assert mem.frames("b") == []


def test_unknown_sender_is_told_to_reconnect(world: World) -> None:
    world.connections.open.add("ghost")
    world.say("ghost", "hi")
    assert world.frames("ghost")[0]["code"] == "NOT_CONNECTED"


def test_a_vanished_sender_gets_nothing_and_nothing_breaks(world: World) -> None:
    world.connect("a")
    world.connections.open.discard("a")
    assert world.chat.request("a", BY_KEY["sendMessage"], decode_body("bad")) == 400


# -- direct messages ---------------------------------------------------------------
def test_a_direct_message_reaches_the_one_person_of_that_name_in_the_room(
    world: World,
) -> None:
    """Names are unique within a room, not across rooms: whoever takes "bob" in another room
    is somebody else, and must not read bob's direct messages."""
    world.connect("a", name="ana", format="json")
    world.connect("b1", name="bob", format="json")
    world.connect("b2", name="bob", room="dev")
    world.connect("c", name="cy", format="json")
    world.clear()
    assert world.say("a", "psst", to="BOB") == 200
    direct = {
        "type": "direct",
        "id": "id0001",
        "from": "ana",
        "to": "bob",
        "text": "psst",
        "sentAt": world.t0 + 1,  # the clock ticks once for the rate limit
        "conversation": conversation_of("conn:a", "conn:b1"),
    }
    assert world.frames("b1") == [direct]
    assert world.frames("b2") == []
    assert world.frames("c") == []
    assert world.frames("a") == [direct]
    assert world.messages.latest("general", 10) == []


def test_a_direct_message_to_someone_signed_in_reaches_every_connection_of_theirs(
    world: World,
) -> None:
    """A signed-in person is their token's subject: their tabs and devices, in any room."""
    world.connect("a", name="ana", format="json")
    _signed_in(world, "b1", "sub-bob", "bob")
    _signed_in(world, "b2", "sub-bob", "bob", room="dev")
    _signed_in(world, "imposter", "sub-other", "bob", room="lobby")
    world.clear()
    assert world.say("a", "psst", to="bob") == 200
    assert [f["text"] for f in world.frames("b1")] == ["psst"]
    assert [f["text"] for f in world.frames("b2")] == ["psst"]
    assert world.frames("imposter") == []


def _resumed(world: World, cid: str, token: str | None = None) -> str:
    """``cid`` sends resume (with ``token``, or none); the token it holds after."""
    world.clear()
    assert world.request(cid, "resume", **({} if token is None else {"token": token})) == 200
    (answer,) = world.frames(cid)
    assert answer["type"] == "resumed"
    world.clear()
    return token if token is not None else str(answer["token"])


def _direct_history(world: World, cid: str, **body: Any) -> dict[str, Any]:
    world.clear()
    assert world.request(cid, "directHistory", **body) == 200
    (answer,) = world.frames(cid)
    assert answer["type"] == "directHistory"
    world.clear()
    return dict(answer)


def test_a_direct_message_is_kept_for_both_guests_and_read_back_after_reconnecting(
    world: World,
) -> None:
    """Issue 26: a direct message survives a reconnect for the guest who presents its
    resume token, on either side of it, per conversation and among all of theirs."""
    world.connect("a", name="ana", format="json")
    world.connect("b", name="bob", format="json")
    ana, bob = _resumed(world, "a"), _resumed(world, "b")
    assert world.say("a", "psst", to="bob") == 200
    assert world.say("b", "hi ana", to="ana") == 200
    conversation = world.frames("b")[0]["conversation"]
    world.chat.disconnect("a")
    world.chat.disconnect("b")
    world.connect("a2", name="ana", format="json")
    _resumed(world, "a2", ana)
    page = _direct_history(world, "a2", conversation=conversation)
    assert [(m["from"], m["to"], m["text"]) for m in page["messages"]] == [
        ("ana", "bob", "psst"),
        ("bob", "ana", "hi ana"),
    ]
    assert page["next"] is None
    assert {m["conversation"] for m in page["messages"]} == {conversation}
    world.connect("b2", name="bob", format="json")
    _resumed(world, "b2", bob)
    assert _direct_history(world, "b2")["messages"] == page["messages"]


def test_whoever_takes_a_name_after_its_owner_left_reads_none_of_their_direct_messages(
    world: World,
) -> None:
    """A name is not an identity: without the token, the same name reads nothing, whether
    it presents a token of its own, none at all, or asks for the owner's conversation."""
    world.connect("a", name="ana", format="json")
    world.connect("b", name="bob", format="json")
    _resumed(world, "a")
    _resumed(world, "b")
    assert world.say("b", "secret", to="ana") == 200
    conversation = world.frames("a")[0]["conversation"]
    world.chat.disconnect("a")
    world.connect("thief", name="ana", format="json")
    assert _direct_history(world, "thief")["messages"] == []
    assert _direct_history(world, "thief", conversation=conversation)["messages"] == []
    _resumed(world, "thief")
    assert _direct_history(world, "thief")["messages"] == []
    assert _direct_history(world, "thief", conversation=conversation)["messages"] == []


def test_a_signed_in_person_reads_their_direct_messages_on_any_connection(world: World) -> None:
    """A signed-in person needs no resume token: their identity is the token's subject."""
    _signed_in(world, "a", "sub-ana", "ana")
    world.connect("b", name="bob", format="json")
    assert world.say("b", "to ana", to="ana") == 200
    world.chat.disconnect("a")
    _signed_in(world, "a2", "sub-ana", "ana", room="dev")
    world.clear()
    assert world.request("a2", "resume") == 200
    assert world.frames("a2") == [{"type": "resumed"}]  # no token for the signed in
    assert [m["text"] for m in _direct_history(world, "a2")["messages"]] == ["to ana"]
    # bob gave no token: it is delivered to him, and kept for ana alone
    assert _direct_history(world, "b")["messages"] == []


def test_resume_hands_out_a_random_token_kept_only_as_its_hash(world: World) -> None:
    world.connect("a", name="ana", format="json")
    token = _resumed(world, "a")
    assert len(token) == 43
    assert world.store.get("a").guest == token_hash(token)  # type: ignore[union-attr]
    assert token not in json.dumps([list(r) for r in every_row(world.store)])
    assert _resumed(world, "a") != token  # none presented: a new one


def test_direct_history_pages_with_its_cursor(world: World) -> None:
    world.connect("a", name="ana", format="json")
    world.connect("b", name="bob", format="json")
    _resumed(world, "a")
    for n in range(5):
        assert world.say("b", f"m{n}", to="ana") == 200
    first = _direct_history(world, "a", limit=3)
    assert [m["text"] for m in first["messages"]] == ["m2", "m3", "m4"]
    second = _direct_history(world, "a", limit=3, before=first["next"])
    assert [m["text"] for m in second["messages"]] == ["m0", "m1"]
    assert second["next"] is None


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"token": "short"}, "INVALID_TOKEN"),
        ({"token": 5}, "INVALID_FIELD"),
    ],
)
def test_a_bad_resume_token_is_refused(mem: World, body: dict[str, Any], code: str) -> None:
    mem.connect("a", name="ana", format="json")
    mem.clear()
    assert mem.request("a", "resume", **body) == 400
    assert mem.frames("a")[0]["code"] == code
    assert mem.store.get("a").guest == ""  # type: ignore[union-attr]


def test_a_direct_history_of_no_conversation_is_refused(mem: World) -> None:
    mem.connect("a", name="ana", format="json")
    mem.clear()
    assert mem.request("a", "directHistory", conversation="general") == 400
    assert mem.frames("a")[0]["code"] == "INVALID_FIELD"


def test_a_direct_message_that_cannot_be_kept_is_sent_to_nobody(mem: World) -> None:
    """Kept before anyone is posted, as a room message is."""
    mem.connect("a", name="ana", format="json")
    mem.connect("b", name="bob", format="json")
    _resumed(mem, "a")
    mem.messages.fail_on.add("PutItem")
    assert mem.say("b", "psst", to="ana") == 500
    assert mem.frames("a") == []


def test_a_direct_message_to_a_name_not_in_the_room_is_refused(world: World) -> None:
    world.connect("a", name="ana", format="json")
    world.connect("b", name="bob", room="dev")
    world.clear()
    assert world.say("a", "psst", to="bob") == 400
    (error,) = world.frames("a")
    assert error["code"] == "UNKNOWN_RECIPIENT"
    assert world.frames("b") == []


# -- join ----------------------------------------------------------------------------
def test_join_moves_tells_both_rooms_and_sends_welcome_and_history(world: World) -> None:
    world.connect("a", name="ana", format="json")
    world.connect("old", format="text")
    world.connect("new", room="dev", format="text")
    world.say("new", "earlier in dev")
    world.clear()
    assert world.request("a", "join", room="dev") == 200
    assert world.store.get("a").room == "dev"  # type: ignore[union-attr]
    assert world.frames("old") == ["* ana left general"]
    assert world.frames("new") == ["* ana joined dev"]
    welcome, history = world.frames("a")
    assert welcome == {"type": "welcome", "room": "dev", "name": "ana"}
    assert history["type"] == "history"
    assert [m["text"] for m in history["messages"]] == ["earlier in dev"]
    assert history["next"] is None
    world.clear()
    world.say("old", "you left")
    assert world.frames("a") == []


def test_join_to_a_room_where_the_name_is_taken_stays_put(world: World) -> None:
    world.connect("a", name="ana", format="json")
    world.connect("b", name="ana", room="dev")
    world.clear()
    assert world.request("a", "join", room="dev") == 400
    assert world.frames("a")[0]["code"] == "NAME_TAKEN"
    assert world.store.get("a").room == "general"  # type: ignore[union-attr]
    assert world.frames("b") == []


def test_raw_clients_get_the_welcome_but_no_history(world: World) -> None:
    world.connect("a")
    world.clear()
    world.request("a", "join", room="dev")
    assert [f["type"] for f in world.frames("a")] == ["welcome"]


def test_join_with_a_bad_room(world: World) -> None:
    world.connect("a", format="json")
    world.clear()
    world.request("a", "join", room="Not Valid")
    assert world.frames("a")[0]["code"] == "INVALID_ROOM"


# -- setName ---------------------------------------------------------------------------
def test_set_name_renames_and_tells_the_room(world: World) -> None:
    world.connect("a", name="ana", format="json")
    world.connect("b", format="json")
    world.clear()
    assert world.request("a", "setName", name="  Anita ") == 200
    assert world.store.get("a").name == "Anita"  # type: ignore[union-attr]
    assert world.frames("b") == [
        {
            "type": "presence",
            "event": "renamed",
            "room": "general",
            "name": "Anita",
            "previousName": "ana",
        }
    ]
    assert world.frames("a") == [{"type": "welcome", "room": "general", "name": "Anita"}]
    assert world.connect("c", name="ana").name == "ana"  # the old name is free again


def test_set_name_to_a_taken_name_is_refused(world: World) -> None:
    world.connect("a", name="ana", format="json")
    world.connect("b", name="bob", format="json")
    world.clear()
    assert world.request("a", "setName", name="Bob") == 400
    assert world.frames("a")[0]["code"] == "NAME_TAKEN"
    assert world.store.get("a").name == "ana"  # type: ignore[union-attr]
    assert world.frames("b") == []


def test_changing_only_the_case_of_a_name(world: World) -> None:
    world.connect("a", name="ana", format="json")
    world.request("a", "setName", name="ANA")
    assert world.store.get("a").name == "ANA"  # type: ignore[union-attr]
    with pytest.raises(ProtocolError):
        world.connect("b", name="ana")


# -- history and who ----------------------------------------------------------------------
def test_history_pages_newest_first_with_a_cursor(world: World) -> None:
    world.connect("a", name="ana", format="json")
    for i in range(7):
        world.say("a", f"m{i}")
    world.clear()
    world.request("a", "history", limit=3)
    page = world.frames("a")[-1]
    assert [m["text"] for m in page["messages"]] == ["m4", "m5", "m6"]
    world.request("a", "history", limit=3, before=page["next"])
    page = world.frames("a")[-1]
    assert [m["text"] for m in page["messages"]] == ["m1", "m2", "m3"]
    world.request("a", "history", limit=3, before=page["next"])
    page = world.frames("a")[-1]
    assert [m["text"] for m in page["messages"]] == ["m0"]
    assert page["next"] is None


def test_history_is_per_room(world: World) -> None:
    world.connect("a", room="one", format="json")
    world.connect("b", room="two", format="json")
    world.say("a", "only in one")
    world.clear()
    world.request("b", "history")
    assert world.frames("b")[0]["messages"] == []


def test_history_answers_raw_clients_too(world: World) -> None:
    world.connect("a")
    world.clear()
    world.request("a", "history")
    assert world.frames("a")[0]["type"] == "history"


def test_bad_history_request(world: World) -> None:
    world.connect("a", format="json")
    world.clear()
    world.request("a", "history", limit=1000)
    assert world.frames("a")[0]["code"] == "INVALID_LIMIT"


def test_who_lists_the_names_in_the_room(world: World) -> None:
    world.connect("a", name="zoe", format="json")
    world.connect("b", name="Ana")
    world.connect("c", name="bob", room="dev")
    world.clear()
    world.request("a", "who")
    assert world.frames("a") == [{"type": "who", "room": "general", "names": ["Ana", "zoe"]}]


def test_rooms_lists_every_room_with_its_people_most_crowded_first(world: World) -> None:
    world.connect("a", name="zoe", format="json")
    world.connect("b", name="Ana")
    world.connect("c", name="bob", room="dev")
    world.connect("d", name="cy", room="ops")
    world.clear()
    world.request("a", "rooms", ref="r-1")
    assert world.frames("a") == [
        {
            "type": "rooms",
            "rooms": [
                {"room": "general", "people": 2},
                {"room": "dev", "people": 1},
                {"room": "ops", "people": 1},
            ],
            "ref": "r-1",
        }
    ]


def test_rooms_counts_a_room_no_longer_once_its_last_person_left(world: World) -> None:
    world.connect("a", name="ana", format="json")
    world.connect("b", name="bob", room="dev")
    world.request("b", "join", room="general")
    world.clear()
    world.request("a", "rooms")
    assert world.frames("a")[0]["rooms"] == [{"room": "general", "people": 2}]


def test_message_ids_sort_in_the_order_they_were_made() -> None:
    from serverless_chat.chat.service import new_message_id

    ids = [new_message_id() for _ in range(1000)]
    assert ids == sorted(ids)
    assert len(set(ids)) == 1000


def test_ref_comes_back_on_answers_to_the_sender_only(world: World) -> None:
    world.connect("a", name="ana", format="json")
    world.connect("b", name="bob", format="json")
    world.clear()
    world.say("a", "hi", ref="r-1")
    assert world.frames("a")[0]["ref"] == "r-1"
    assert "ref" not in world.frames("b")[0]
    world.clear()
    world.request("a", "join", room="BAD", ref="r-2")
    assert world.frames("a")[0]["ref"] == "r-2"
    world.request("a", "who", ref="r-3")
    assert world.frames("a")[-1]["ref"] == "r-3"
    world.request("a", "history", ref="r-4")
    assert world.frames("a")[-1]["ref"] == "r-4"
    world.request("a", "setName", name="anita", ref="r-5")
    assert world.frames("a")[-1]["ref"] == "r-5"


@pytest.mark.parametrize("ref", [5, "x" * 65, None])
def test_a_bad_ref_is_ignored(mem: World, ref: object) -> None:
    mem.connect("a", format="json")
    mem.clear()
    mem.request("a", "who", ref=ref)
    assert "ref" not in mem.frames("a")[0]


def test_metrics_count_what_happened() -> None:
    from serverless_chat.adapters.metrics import CountingMetrics

    metrics = CountingMetrics()
    world = World()
    world.chat.metrics = metrics
    for cid in "abc":
        world.connect(cid)
    world.connections.open.discard("c")
    world.say("a", "hi")
    world.chat.disconnect("b")
    assert metrics.counts["ConnectionsOpened"] == 3
    assert metrics.counts["MessagesSent"] == 1
    assert metrics.counts["Deliveries"] == 1
    assert metrics.counts["StaleConnectionsRemoved"] == 1
    assert metrics.counts["ConnectionsClosed"] == 1


def test_a_connection_over_its_rate_gets_an_error_and_nothing_happens() -> None:
    world = World(ChatSettings(rate_per_second=1, burst=2))
    world.connect("a", format="json")
    world.connect("b")
    world.clear()
    for text in ("one", "two", "three"):
        world.say("a", text)
    assert world.frames("b") == ["one", "two"]
    codes = [f.get("code") for f in world.frames("a") if f["type"] == "error"]
    assert codes == ["RATE_LIMITED"]
    refused = next(f for f in world.frames("a") if f["type"] == "error")
    assert refused["retryAfterMs"] == 1000  # one token a second comes back within that
    assert [m.text for m in world.messages.latest("general", 10)] == ["two", "one"]


@pytest.mark.parametrize(("rate", "after"), [(10, 100), (3, 334), (7, 143)])
def test_rate_limited_says_when_to_send_again(rate: int, after: int) -> None:
    world = World(ChatSettings(rate_per_second=rate, burst=1))
    world.connect("a", format="json")
    world.say("a", "one")
    world.clear()
    world.say("a", "two", ref="r")
    (refused,) = world.frames("a")
    assert (refused["code"], refused["retryAfterMs"], refused["ref"]) == (
        "RATE_LIMITED",
        after,
        "r",
    )
    assert list(refused)[-1] == "ref"  # the ref stays the last field, as on every answer


# -- text that cannot be encoded -----------------------------------------------------------
@pytest.mark.parametrize(
    ("action", "fields"),
    [
        ("sendMessage", {"message": "\ud800"}),
        ("sendMessage", {"message": "hi", "ref": "\ud800"}),
        ("sendMessage", {"message": "hi", "to": "bob\udfff"}),
        ("join", {"room": "\ud800"}),
        ("join", {"room": "dev", "ref": "\udc00"}),
        ("setName", {"name": "\ud800"}),
        ("history", {"before": "\ud800"}),
        ("who", {"ref": "\ud800"}),
    ],
)
def test_a_lone_surrogate_anywhere_is_one_error_frame_and_nothing_kept(
    world: World, action: str, fields: dict[str, str]
) -> None:
    world.connect("a", name="ana", format="json")
    world.connect("b", name="bob", format="json")
    world.clear()
    assert world.request("a", action, **fields) == 400
    (error,) = world.frames("a")
    assert (error["type"], error["code"], error["action"]) == ("error", "INVALID_TEXT", action)
    assert "ref" not in error
    assert world.frames("b") == []
    assert world.messages.latest("general", 10) == []
    assert world.store.get("a") == world.connect_record_of("a")


def test_a_text_client_is_told_of_invalid_text_as_a_line(world: World) -> None:
    world.connect("a", format="text")
    world.clear()
    world.say("a", "ok", ref="\ud800")
    (line,) = world.frames("a")
    assert line.startswith("! INVALID_TEXT: ")


@pytest.mark.parametrize("query", [{"name": "ana\ud800"}, {"room": "\udfff"}, {"format": "\ud800"}])
def test_a_lone_surrogate_in_the_handshake_refuses_it(world: World, query: dict[str, str]) -> None:
    with pytest.raises(ProtocolError) as caught:
        world.connect("a", **query)
    assert caught.value.code == "INVALID_TEXT"
    assert every_row(world.store) == []


def test_a_principal_that_cannot_be_stored_refuses_the_handshake(world: World) -> None:
    with pytest.raises(ProtocolError) as caught:
        world.chat.connect("a", 1_707_502_303_419, {}, principal="u\ud800", token_name="ana")
    assert caught.value.code == "INVALID_TEXT"
    assert every_row(world.store) == []


# -- all of a message or none of it ----------------------------------------------------------
def test_a_room_that_cannot_be_read_keeps_no_message(mem: World) -> None:
    """The frames are planned (the room read, every format rendered) before history is
    written: a failure there leaves no message that nobody was sent."""
    mem.connect("a", format="json")
    mem.connect("b", format="json")
    mem.clear()
    mem.store.fail_on.add("Query")
    assert mem.say("a", "hi") == 500
    assert [f["code"] for f in mem.frames("a")] == ["STORE_UNAVAILABLE"]
    assert mem.messages.messages == []
    assert mem.frames("b") == []


@pytest.mark.parametrize("to", [None, "bob"])
def test_a_message_too_big_to_post_is_refused_not_kept(world: World, to: str | None) -> None:
    """32,000 control characters are allowed by a MaxMessageLength of 32000, but each escapes
    to six bytes in JSON: the frame would be 192 KB, over PostToConnection's 128 KB."""
    world.chat.settings = world.chat.settings._replace(max_text_length=32_000)
    world.connect("a", name="ana", format="json")
    world.connect("b", name="bob", format="json")
    world.clear()
    extra = {} if to is None else {"to": to}
    assert world.say("a", "\x01" * 32_000, **extra) == 400
    (error,) = world.frames("a")
    assert error["code"] == "TEXT_TOO_LONG"
    assert world.frames("b") == []
    assert world.messages.latest("general", 10) == []
    assert world.say("a", "\x01" * 20_000, **extra) == 200  # 120 KB of frame: posted
    assert len(world.frames("b")) == 1


# -- answers larger than one post ------------------------------------------------------------
MAX_POST = 128 * 1024
CONTROL_TEXT = "\x01" * 4000  # 4,000 characters, each 6 bytes in JSON: 24 KB a message


def _six_big_messages(world: World) -> None:
    world.connect("a", name="ana", format="json")
    for _ in range(6):
        assert world.say("a", CONTROL_TEXT) == 200
    world.clear()


def test_a_history_page_over_128_kb_is_cut_and_the_rest_follows_its_cursor(world: World) -> None:
    _six_big_messages(world)
    assert world.request("a", "history", ref="h") == 200
    (data,) = world.connections.received("a")
    assert len(data) <= MAX_POST
    page = json.loads(data)
    assert [m["id"] for m in page["messages"]] == [f"id{i:04d}" for i in range(2, 7)]
    assert page["ref"] == "h"
    assert page["next"] == f"{page['messages'][0]['sentAt']:013d}#id0002"  # the oldest kept
    world.clear()
    world.request("a", "history", before=page["next"])
    (rest,) = world.frames("a")
    assert [m["id"] for m in rest["messages"]] == ["id0001"]
    assert rest["next"] is None


def test_a_join_whose_history_is_over_128_kb_gets_the_newest_that_fit(world: World) -> None:
    _six_big_messages(world)
    world.connect("b", name="bob", room="dev", format="json")
    world.clear()
    assert world.request("b", "join", room="general") == 200
    welcome, history = world.connections.received("b")
    assert json.loads(welcome)["type"] == "welcome"
    assert len(history) <= MAX_POST
    page = json.loads(history)
    assert len(page["messages"]) == 5
    assert page["next"] == f"{page['messages'][0]['sentAt']:013d}#id0002"


def test_a_text_history_over_128_kb_gets_the_newest_lines_that_fit(mem: World) -> None:
    mem.connect("a", name="ana", format="text")
    for i in range(9):
        mem.say("a", str(i) + "🙂" * 3999)  # 16 KB a line
    mem.clear()
    mem.request("a", "history")
    (data,) = mem.connections.received("a")
    assert len(data) <= MAX_POST
    assert [line[5] for line in data.decode().split("\n")] == [str(i) for i in range(1, 9)]


def _crowd(world: World, count: int, fmt: str = "json") -> list[str]:
    """``count`` members of general with 32-character names of 4-byte letters (119 bytes
    each in a who frame); the names, in who's order."""
    names = []
    for i in range(count):
        name = "\U00020000" * 28 + f"{i:04d}"  # a CJK ideograph of plane 2: a letter, NFKC-stable
        world.store.put(open_connection(f"c{i:04d}", 0, name=name, format=fmt))
        world.store.claim_name("general", name, f"c{i:04d}", 0)
        world.connections.open.add(f"c{i:04d}")
        names.append(name)
    return names


def test_who_in_a_room_too_big_for_one_post_pages_through_next(mem: World) -> None:
    names = _crowd(mem, 1200)
    seen: list[str] = []
    after: dict[str, str] = {}
    for _ in range(3):
        mem.clear()
        assert mem.request("c0000", "who", ref="w", **after) == 200
        (data,) = mem.connections.received("c0000")
        assert len(data) <= MAX_POST
        frame = json.loads(data)
        assert frame["ref"] == "w"
        seen += frame["names"]
        if "next" not in frame:
            break
        assert frame["next"] == frame["names"][-1]
        after = {"after": frame["next"]}
    assert seen == names
    assert len(frame["names"]) < 1200


def test_a_text_who_too_big_for_one_post_says_there_are_more(mem: World) -> None:
    _crowd(mem, 1200, fmt="text")
    mem.request("c0000", "who")
    (data,) = mem.connections.received("c0000")
    assert len(data) <= MAX_POST
    line = data.decode()
    assert line.startswith("* in general: ")
    assert line.endswith("more")


@pytest.mark.parametrize("after", ["<x>", 5, "\ud800"])
def test_a_bad_who_cursor_is_refused(mem: World, after: object) -> None:
    mem.connect("a", format="json")
    mem.clear()
    mem.request("a", "who", after=after)
    (error,) = mem.frames("a")
    assert error["code"] == ("INVALID_TEXT" if after == "\ud800" else "INVALID_CURSOR")


def test_who_after_a_name_lists_the_names_after_it(mem: World) -> None:
    for cid, name in (("a", "zoe"), ("b", "Ana"), ("c", "bob")):
        mem.connect(cid, name=name, format="json")
    mem.clear()
    mem.request("a", "who", after="ana")
    assert mem.frames("a") == [{"type": "who", "room": "general", "names": ["bob", "zoe"]}]


# -- one person, several connections -----------------------------------------------------------
def _signed_in(world: World, cid: str, sub: str, name: str = "ana", **query: str) -> None:
    """A connection an authorizer let in: its name is the token's."""
    world.connections.open.add(cid)
    world.chat.connect(cid, world.t0, {"format": "json", **query}, principal=sub, token_name=name)


def _refused(world: World, cid: str, **kwargs: str) -> str:
    """The code a connection is refused with (signed in when ``sub`` is given)."""
    sub = kwargs.pop("sub", "")
    with pytest.raises(ProtocolError) as caught:
        _signed_in(world, cid, sub, **kwargs) if sub else world.connect(cid, **kwargs)
    assert world.store.get(cid) is None
    return caught.value.code


def test_one_person_holds_their_name_on_several_connections(world: World) -> None:
    """Two tabs or two devices: the same token subject, the same name, one room."""
    _signed_in(world, "tab1", "u-ana")
    _signed_in(world, "tab2", "u-ana")
    assert world.store.get("tab2").name == "ana"  # type: ignore[union-attr]
    assert _refused(world, "mallory", sub="u-mallory") == "NAME_TAKEN"
    assert _refused(world, "anon", name="ANA") == "NAME_TAKEN"
    world.clear()
    world.request("tab1", "who")
    assert world.frames("tab1") == [{"type": "who", "room": "general", "names": ["ana"]}]
    world.say("tab1", "from the laptop")
    assert [f["text"] for f in world.frames("tab2")] == ["from the laptop"]


def test_the_name_is_theirs_until_their_last_connection_leaves(world: World) -> None:
    _signed_in(world, "tab1", "u-ana")  # holds the claim
    _signed_in(world, "tab2", "u-ana")
    world.chat.disconnect("tab1")
    assert _refused(world, "mallory", sub="u-mallory") == "NAME_TAKEN"
    _signed_in(world, "tab3", "u-ana")
    world.chat.disconnect("tab2")
    world.chat.disconnect("tab3")
    _signed_in(world, "mallory", "u-mallory", name="ana")  # free at last


def test_the_room_hears_them_join_once_and_leave_once(world: World) -> None:
    world.connect("bob", name="bob", format="text")
    world.clear()
    _signed_in(world, "tab1", "u-ana")
    _signed_in(world, "tab2", "u-ana")
    world.chat.disconnect("tab1")
    assert world.frames("bob") == ["* ana joined general"]
    world.chat.disconnect("tab2")
    assert world.frames("bob") == ["* ana joined general", "* ana left general"]


def test_a_tab_that_joins_elsewhere_leaves_the_name_to_the_other(world: World) -> None:
    world.connect("bob", name="bob", format="text")
    _signed_in(world, "tab1", "u-ana")
    _signed_in(world, "tab2", "u-ana", room="dev")
    world.clear()
    assert world.request("tab2", "join", room="general") == 200
    assert world.frames("bob") == []  # ana was here already
    assert world.request("tab1", "join", room="dev") == 200
    assert world.frames("bob") == []  # ... and still is, in tab2
    assert _refused(world, "mallory", sub="u-mallory") == "NAME_TAKEN"
    assert _refused(world, "eve", sub="u-eve", room="dev") == "NAME_TAKEN"


def test_a_gone_tab_whose_row_is_deleted_as_stale_hands_the_name_on(world: World) -> None:
    world.connect("bob", name="bob")
    _signed_in(world, "tab1", "u-ana")
    world.store.put(world.store.get("tab1")._replace(connected_at=0))  # type: ignore[union-attr]
    _signed_in(world, "tab2", "u-ana")
    world.connections.open.discard("tab1")  # closed without its $disconnect: 410
    world.say("bob", "anyone?")
    assert world.store.get("tab1") is None
    assert _refused(world, "mallory", sub="u-mallory") == "NAME_TAKEN"


def test_a_claim_left_by_a_vanished_row_is_not_taken_from_a_sibling(world: World) -> None:
    _signed_in(world, "tab1", "u-ana")
    _signed_in(world, "tab2", "u-ana")
    world.store.delete("tab1")  # its row is gone and its claim was never released
    assert _refused(world, "mallory", sub="u-mallory") == "NAME_TAKEN"
    _signed_in(world, "tab3", "u-ana")
    world.chat.disconnect("tab2")
    world.chat.disconnect("tab3")
    _signed_in(world, "mallory", "u-mallory", name="ana")


def test_anonymous_connections_still_hold_a_name_alone(world: World) -> None:
    world.connect("a", name="ana")
    assert _refused(world, "b", name="ana") == "NAME_TAKEN"
    assert _refused(world, "c", sub="u-ana") == "NAME_TAKEN"


# -- editMessage and deleteMessage -----------------------------------------------------------
def _sent(world: World, cid: str, text: str) -> dict[str, Any]:
    """``cid`` (a json client) says ``text``; its own copy, with the id and sentAt to name it."""
    world.say(cid, text, ref="m")
    echo = world.frames(cid)[-1]
    assert echo["type"] == "message"
    return {"id": echo["id"], "sentAt": echo["sentAt"]}


def test_an_edit_reaches_the_room_live_and_history_keeps_the_latest_text(world: World) -> None:
    world.connect("a", name="ana", format="json")
    world.connect("b", name="bob", format="json")
    world.connect("t", name="tia", format="text")
    world.connect("r", name="raw")
    said = _sent(world, "a", "helo")
    world.clear()
    assert world.request("a", "editMessage", message="hello", ref="e1", **said) == 200
    (answer,) = world.frames("a")
    assert answer == {
        "type": "edited",
        "id": said["id"],
        "room": "general",
        "from": "ana",
        "sentAt": said["sentAt"],
        "text": "hello",
        "editedAt": answer["editedAt"],
        "ref": "e1",
    }
    assert answer["editedAt"] > said["sentAt"]
    assert world.frames("b") == [{k: v for k, v in answer.items() if k != "ref"}]
    assert world.frames("t") == ["* ana edited a message: hello"]
    assert world.frames("r") == []  # raw clients hear new messages' texts only
    world.clear()
    world.request("b", "history")
    (page,) = world.frames("b")
    assert page["messages"][-1]["text"] == "hello"
    assert page["messages"][-1]["editedAt"] == answer["editedAt"]
    world.request("t", "history")
    assert world.frames("t") == ["ana: hello (edited)"]


def test_a_delete_reaches_the_room_and_history_marks_the_place(world: World) -> None:
    world.connect("a", name="ana", format="text")
    world.connect("b", name="bob", format="json")
    world.say("a", "oops")
    said = {k: world.frames("b")[-1][k] for k in ("id", "sentAt")}
    world.clear()
    assert world.request("a", "deleteMessage", **said) == 200
    assert world.frames("a") == ["* ana deleted a message"]
    (told,) = world.frames("b")
    assert (told["type"], told["id"], told["from"]) == ("deleted", said["id"], "ana")
    assert "text" not in told
    world.clear()
    world.request("a", "history")
    assert world.frames("a") == ["ana: (message deleted)"]
    world.request("b", "history")
    message = world.frames("b")[-1]["messages"][-1]
    assert (message["text"], message["deleted"]) == ("", True)
    # gone is gone: neither edited nor deleted again
    world.clear()
    assert world.request("a", "editMessage", message="back", **said) == 400
    assert world.frames("a")[0].startswith("! UNKNOWN_MESSAGE: ")
    assert world.frames("b") == []


def test_a_raw_sender_gets_its_answer_as_json(world: World) -> None:
    world.connect("a", name="ana")
    world.connect("b", name="bob", format="json")
    world.say("a", "hi")
    said = {k: world.frames("b")[-1][k] for k in ("id", "sentAt")}
    world.clear()
    assert world.request("a", "deleteMessage", ref="d", **said) == 200
    (answer,) = world.frames("a")
    assert (answer["type"], answer["ref"]) == ("deleted", "d")


def test_nobody_else_changes_a_message(world: World) -> None:
    world.connect("a", name="ana", format="json")
    world.connect("b", name="bob", format="json")
    said = _sent(world, "a", "mine")
    world.clear()
    assert world.request("b", "editMessage", message="yours?", **said) == 400
    assert world.request("b", "deleteMessage", **said) == 400
    assert [f["code"] for f in world.frames("b")] == ["NOT_YOUR_MESSAGE"] * 2
    assert world.frames("a") == []
    assert world.messages.latest("general", 1)[0].text == "mine"


def test_a_guest_that_reconnects_is_someone_else(world: World) -> None:
    """A guest's messages are its connection's: a new connection under the same name may
    not change them."""
    world.connect("a", name="ana", format="json")
    said = _sent(world, "a", "first")
    world.chat.disconnect("a")
    world.connect("a2", name="ana", format="json")
    world.clear()
    assert world.request("a2", "deleteMessage", **said) == 400
    assert world.frames("a2")[0]["code"] == "NOT_YOUR_MESSAGE"


def test_a_signed_in_person_changes_their_message_from_another_connection(world: World) -> None:
    _signed_in(world, "tab1", "sub-1")
    _signed_in(world, "tab2", "sub-1")
    said = _sent(world, "tab1", "from tab one")
    world.clear()
    assert world.request("tab2", "editMessage", message="from tab two", **said) == 200
    assert world.frames("tab2")[0]["text"] == "from tab two"
    assert world.frames("tab1")[0]["type"] == "edited"


def test_a_message_in_another_room_is_unknown(world: World) -> None:
    world.connect("a", name="ana", format="json")
    said = _sent(world, "a", "in general")
    world.request("a", "join", room="dev")
    world.clear()
    assert world.request("a", "editMessage", message="x", **said) == 400
    assert world.frames("a")[0]["code"] == "UNKNOWN_MESSAGE"


def test_after_the_window_a_message_stays_as_it_is() -> None:
    """15 minutes after it was sent (chat.model.EDIT_WINDOW_SECONDS), and not a millisecond
    more: the clock is the chat's own."""
    now = [1_707_502_303_419]
    world = World()
    world.chat = Chat(world.store, world.messages, world.connections, clock=lambda: now[0] / 1000)
    world.connect("a", name="ana", format="json")
    said = _sent(world, "a", "old news")
    now[0] += EDIT_WINDOW_SECONDS * 1000
    assert world.request("a", "editMessage", message="still mine", **said) == 200
    now[0] += 1
    world.clear()
    assert world.request("a", "editMessage", message="too late", **said) == 400
    assert world.request("a", "deleteMessage", **said) == 400
    assert [f["code"] for f in world.frames("a")] == ["EDIT_WINDOW_PASSED"] * 2
    assert world.messages.latest("general", 1)[0].text == "still mine"


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"sentAt": 1}, "MISSING_FIELD"),
        ({"id": "x"}, "MISSING_FIELD"),
        ({"id": 5, "sentAt": 1}, "INVALID_FIELD"),
        ({"id": "no spaces", "sentAt": 1}, "INVALID_FIELD"),
        ({"id": "x" * 65, "sentAt": 1}, "INVALID_FIELD"),
        ({"id": "x", "sentAt": "1"}, "INVALID_FIELD"),
        ({"id": "x", "sentAt": True}, "INVALID_FIELD"),
        ({"id": "x", "sentAt": 1.5}, "INVALID_FIELD"),
        ({"id": "x", "sentAt": -1}, "INVALID_FIELD"),
        ({"id": "x", "sentAt": 10**13}, "INVALID_FIELD"),
        ({"id": "\ud800", "sentAt": 1}, "INVALID_TEXT"),
        ({"id": "nope", "sentAt": 10**13 - 1}, "UNKNOWN_MESSAGE"),
    ],
)
@pytest.mark.parametrize("action", ["editMessage", "deleteMessage"])
def test_a_bad_message_reference_is_one_error_and_nothing_changes(
    mem: World, action: str, fields: dict[str, Any], code: str
) -> None:
    mem.connect("a", name="ana", format="json")
    mem.connect("b", name="bob", format="json")
    _sent(mem, "a", "kept")
    mem.clear()
    extra = {"message": "new"} if action == "editMessage" else {}
    assert mem.request("a", action, **fields, **extra) == 400
    assert [(f["code"], f["action"]) for f in mem.frames("a")] == [(code, action)]
    assert mem.frames("b") == []
    assert mem.messages.latest("general", 1)[0].text == "kept"


@pytest.mark.parametrize(
    ("message", "code"), [(None, "MISSING_FIELD"), ("", "INVALID_FIELD"), (7, "INVALID_FIELD")]
)
def test_an_edit_needs_a_new_text(mem: World, message: Any, code: str) -> None:
    mem.connect("a", name="ana", format="json")
    said = _sent(mem, "a", "kept")
    mem.clear()
    fields = said if message is None else {**said, "message": message}
    assert mem.request("a", "editMessage", **fields) == 400
    assert mem.frames("a")[0]["code"] == code
    assert mem.messages.latest("general", 1)[0].text == "kept"


def test_an_edit_too_long_for_a_frame_changes_nothing() -> None:
    world = World(ChatSettings(max_text_length=200_000))
    world.connect("a", name="ana", format="json")
    said = _sent(world, "a", "short")
    world.clear()
    assert world.request("a", "editMessage", message="x" * 130_000, **said) == 400
    assert world.frames("a")[0]["code"] == "TEXT_TOO_LONG"
    assert world.messages.latest("general", 1)[0].text == "short"


def test_an_edit_the_store_cannot_make_is_one_error(mem: World) -> None:
    mem.connect("a", name="ana", format="json")
    said = _sent(mem, "a", "kept")
    mem.clear()
    mem.messages.fail_on.add("UpdateItem")
    assert mem.request("a", "editMessage", message="new", **said) == 500
    assert mem.frames("a")[0]["code"] == "STORE_UNAVAILABLE"
