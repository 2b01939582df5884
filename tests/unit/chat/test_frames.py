import json

import pytest

from serverless_chat.chat.frames import (
    DirectFrame,
    ErrorFrame,
    HistoryFrame,
    MessageFrame,
    PresenceFrame,
    WelcomeFrame,
    WhoFrame,
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
        HistoryFrame("general", [MESSAGE], None),
        WelcomeFrame("general", "ana"),
    ):
        assert json.loads(frame.render("raw") or b"")["type"]


def test_text_renderings() -> None:
    assert WhoFrame("general", ["ana", "bob"]).render("text") == b"* in general: ana, bob"
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
