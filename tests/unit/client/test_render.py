"""The terminal client prints each json frame as the chat's text and raw formats would
have sent it: the same renderers, so the very same lines."""

from __future__ import annotations

import json

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
)
from serverless_chat.client.render import render
from serverless_chat.ports import ChatMessage

MESSAGE = ChatMessage("m1", "general", "ana", "hello \x1b[2J there", 1_700_000_000_000)
FRAMES = [
    MessageFrame(MESSAGE),
    DirectFrame("d1", "ana", "bob", "psst", 1_700_000_000_000),
    PresenceFrame("joined", "general", "bob"),
    PresenceFrame("renamed", "general", "Robert", "bob"),
    HistoryFrame("general", [MESSAGE, MESSAGE._replace(id="m2", text="two")], "cursor"),
    HistoryFrame("dev", [], None),
    HistoryFrame(
        "general",
        [
            MESSAGE._replace(text="new", edited_at=1_700_000_000_500),
            MESSAGE._replace(id="m2", text="", edited_at=1_700_000_000_900, deleted=True),
        ],
        None,
    ),
    RevisedFrame(MESSAGE._replace(text="hello again", edited_at=1_700_000_000_500)),
    RevisedFrame(MESSAGE._replace(text="", edited_at=1_700_000_000_900, deleted=True)),
    WhoFrame("general", ["ana", "bob"]),
    WhoFrame("general", ["ana"], None, "ana"),
    RoomsFrame([("general", 2), ("dev", 1)]),
    WelcomeFrame("dev", "ana"),
    ErrorFrame("NAME_TAKEN", '"ana" is taken in general.', "setName"),
]


@pytest.mark.parametrize("frame", FRAMES, ids=lambda f: type(f).__name__)
@pytest.mark.parametrize("fmt", ["text", "raw"])
def test_each_frame_prints_as_the_chats_own_format_sends_it(frame: object, fmt: str) -> None:
    wire = frame.render("json")  # type: ignore[attr-defined]
    expected = frame.render(fmt)  # type: ignore[attr-defined]
    line = render(wire.decode(), fmt)
    assert line == (None if expected is None else expected.decode())


def test_json_prints_the_frame_as_it_came_less_the_clients_own_ref() -> None:
    ours = json.dumps({"type": "who", "room": "general", "names": ["ana"], "ref": "t1a2-7"})
    theirs = json.dumps({"type": "who", "room": "general", "names": ["ana"], "ref": "mine"})
    assert json.loads(render(ours, "json", "t1a2-") or "") == {
        "type": "who",
        "room": "general",
        "names": ["ana"],
    }
    assert render(theirs, "json", "t1a2-") == theirs


def test_frames_that_are_not_the_chats_are_printed_as_they_came() -> None:
    gateway = '{"message": "Internal server error", "connectionId": "c", "requestId": "r"}'
    assert render(gateway, "text") == gateway
    assert render("Use the sendMessage route", "raw") == "Use the sendMessage route"
    assert render("a \x1b]52;c;bad\x07 line", "text") == "a \\x1b]52;c;bad\\x07 line"
    assert render(b"\x00\x01", "text") == "<binary frame, 2 bytes: 0001>"
