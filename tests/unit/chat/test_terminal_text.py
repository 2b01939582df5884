"""The text format is lines for terminals: what another user sends cannot act on the
reader's terminal (clear it, set its title, write its clipboard with OSC 52), fake a line
from someone else, or reorder what follows with bidi controls — it is shown escaped."""

from __future__ import annotations

import pytest

from serverless_chat.chat.frames import (
    DirectFrame,
    HistoryFrame,
    MessageFrame,
    PresenceFrame,
    WhoFrame,
    shown,
)
from serverless_chat.ports import ChatMessage

HOSTILE = [
    "\x1b[2J\x1b[H",  # clear the screen
    "\x1b]0;pwned\x07",  # set the window title
    "\x1b]52;c;cHduZWQ=\x07",  # write the clipboard
    "hi\nbob: I owe ana 100 €",  # a line of someone else's
    "\r* bob left general",  # overwrite the line with fake presence
    "\u202eevil",  # right-to-left override
    "\x9b31m",  # C1 CSI
]


@pytest.mark.parametrize("text", HOSTILE)
def test_nothing_a_terminal_acts_on_gets_through(text: str) -> None:
    message = ChatMessage("1", "general", "ana", text, 0)
    for frame in (
        MessageFrame(message),
        DirectFrame("1", "ana", "bob", text, 0),
        HistoryFrame("general", [message], None),
    ):
        line = (frame.render("text") or b"").decode()
        assert line.isprintable(), repr(line)


def test_what_is_printable_is_shown_as_it_is() -> None:
    assert shown("plain — é 中文 🙂") == "plain — é 中文 🙂"
    assert shown("a\tb") == "a\tb"
    assert shown("two\nlines") == "two\\nlines"
    assert shown("\x1b[2J") == "\\x1b[2J"


def test_names_are_shown_safely_too() -> None:
    assert (
        (PresenceFrame("joined", "general", "\x1b[2Jana").render("text") or b"")
        .decode()
        .isprintable()
    )
    assert (WhoFrame("general", ["ana", "\x07bob"]).render("text") or b"").decode().isprintable()


def test_json_and_raw_are_left_alone() -> None:
    message = ChatMessage("1", "general", "ana", "\x1b[2J", 0)
    assert MessageFrame(message).render("raw") == b"\x1b[2J"  # the original chat, as it was
    assert b"\\u001b[2J" in (MessageFrame(message).render("json") or b"")
