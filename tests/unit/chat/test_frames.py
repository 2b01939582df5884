import json
from typing import Any

import pytest

from serverless_chat.chat.frames import (
    DirectFrame,
    ErrorFrame,
    HistoryFrame,
    MessageFrame,
    PresenceFrame,
    RevisedFrame,
    RoomsFrame,
    WelcomeFrame,
    WhoFrame,
    decode_frame,
    with_ref,
)
from serverless_chat.ports import ChatMessage

MESSAGE = ChatMessage("m1", "general", "ana", "hello", 1707502303419)


def test_message_in_each_format() -> None:
    frame = MessageFrame(MESSAGE)
    assert frame.render("raw") == b"hello"
    assert frame.render("text") == b"ana: hello"
    assert json.loads(frame.render("json") or b"") == {
        "type": "message",
        "id": "m1",
        "room": "general",
        "from": "ana",
        "text": "hello",
        "sentAt": 1707502303419,
    }


def test_presence_is_not_for_raw_clients() -> None:
    assert PresenceFrame("joined", "general", "bob").render("raw") is None
    assert PresenceFrame("joined", "general", "bob").render("text") == b"* bob joined general"
    assert PresenceFrame("renamed", "general", "bo", "bob").render("text") == b"* bob is now bo"
    assert json.loads(PresenceFrame("renamed", "g", "bo", "bob").render("json") or b"") == {
        "type": "presence",
        "event": "renamed",
        "room": "g",
        "name": "bo",
        "previousName": "bob",
    }


def test_direct_message() -> None:
    frame = DirectFrame("d1", "ana", "bob", "psst", 5)
    assert frame.render("raw") == b"psst"
    assert json.loads(frame.render("json") or b"")["type"] == "direct"


def test_answers_to_requests_reach_raw_clients_as_json() -> None:
    for frame in (
        ErrorFrame("INVALID_ROOM", "bad", "join"),
        WhoFrame("general", ["ana", "bob"]),
        RoomsFrame([("general", 1)]),
        HistoryFrame("general", [MESSAGE], None),
        WelcomeFrame("general", "ana"),
    ):
        assert json.loads(frame.render("raw") or b"")["type"]


def test_text_renderings() -> None:
    assert WhoFrame("general", ["ana", "bob"]).render("text") == b"* in general: ana, bob"
    rooms = RoomsFrame([("general", 3), ("dev", 1)], None, 2)
    assert rooms.render("text") == b"* rooms: general (3), dev (1), and 2 more"
    assert RoomsFrame([]).render("text") == b"* rooms: none"
    assert ErrorFrame("X", "why", None).render("text") == b"! X: why"
    assert HistoryFrame("g", [], None).render("text") == b"* no earlier messages in g"
    assert HistoryFrame("g", [MESSAGE, MESSAGE], None).render("text") == b"ana: hello\nana: hello"


def test_unicode_is_kept_not_escaped() -> None:
    frame = MessageFrame(ChatMessage("m", "g", "zoë", "¡hola!", 1))
    assert "zoë" in (frame.render("json") or b"").decode()


@pytest.mark.parametrize("ref", [None, "m-1", 'quote " and \\ back', "ünï\u202e", "x" * 64])
def test_the_echo_is_the_recipients_frame_with_the_ref(ref: str | None) -> None:
    """The sender's echo is made from the frame already rendered for the room: the very
    bytes a frame rendered with its ref would be."""
    message = ChatMessage("id1", "dev", "ana", 'hi "there"', 1_707_502_303_419)
    assert with_ref(MessageFrame(message).render("json") or b"", ref) == MessageFrame(
        message, ref
    ).render("json")
    direct = DirectFrame("id2", "ana", "bob", "psst", 1)
    assert with_ref(direct.render("json") or b"", ref) == direct._replace(ref=ref).render("json")


ROUND_TRIP = [
    MessageFrame(MESSAGE),
    MessageFrame(MESSAGE, "m-1"),
    RevisedFrame(MESSAGE._replace(text="new", edited_at=1707502303500), "e-1"),
    RevisedFrame(MESSAGE._replace(text="", edited_at=1707502303900, deleted=True)),
    DirectFrame("d1", "ana", "bob", "psst", 1707502303419, "r"),
    PresenceFrame("joined", "general", "bob"),
    PresenceFrame("renamed", "general", "Robert", "bob"),
    HistoryFrame(
        "general",
        [MESSAGE, MESSAGE._replace(id="m2", text="", edited_at=9, deleted=True)],
        "0001707502303419#m1",
        "h",
    ),
    HistoryFrame("dev", [], None),
    WhoFrame("general", ["ana", "bob"], "w", "bob"),
    RoomsFrame([("general", 3), ("dev", 1)], "l", 4),
    WelcomeFrame("dev", "ana", "j"),
    ErrorFrame("NAME_TAKEN", '"ana" is taken in general.', "setName", "n"),
    ErrorFrame("RATE_LIMITED", "Too many requests.", "sendMessage", None, 100),
    ErrorFrame("STORE_UNAVAILABLE", "later", None),
]


@pytest.mark.parametrize("frame", ROUND_TRIP, ids=lambda f: type(f).__name__)
def test_each_frame_decodes_from_its_own_json(frame: Any) -> None:
    """Decoded where it is encoded: the client reads a frame with the class that wrote it."""
    assert decode_frame(json.loads(frame.render("json"))) == frame


@pytest.mark.parametrize(
    "bad",
    [
        {"type": "nonsense"},
        {"no": "type"},
        {"type": "message", "id": "m1", "room": "general", "from": "ana", "text": "hi"},
        {"type": "message", "id": 5, "room": "g", "from": "a", "text": "hi", "sentAt": 1},
        {"type": "message", "id": "m", "room": "g", "from": "a", "text": "hi", "sentAt": "1"},
        {"type": "who", "room": "general", "names": "ana"},
        {"type": "history", "room": "general", "messages": [{"id": "x"}], "next": None},
        {"type": "error", "code": "X", "message": "y", "retryAfterMs": True},
    ],
)
def test_what_is_not_a_frame_of_the_chats_is_an_error_not_a_guess(bad: dict[str, Any]) -> None:
    with pytest.raises((KeyError, TypeError, ValueError)):
        decode_frame(bad)
