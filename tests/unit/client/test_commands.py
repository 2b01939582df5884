"""What a typed line asks for: a message, a command, a JSON object as it is."""

from __future__ import annotations

import pytest

from serverless_chat.client.commands import Command, Send, parse_line


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("hello", Send({"action": "sendMessage", "message": "hello"})),
        ("  padded  ", Send({"action": "sendMessage", "message": "  padded  "})),
        ("//slash first", Send({"action": "sendMessage", "message": "/slash first"})),
        ("/join dev", Send({"action": "join", "room": "dev"})),
        ("/name ana maria", Send({"action": "setName", "name": "ana maria"})),
        ("/who", Send({"action": "who"})),
        ("/list", Send({"action": "rooms"})),
        ("/dm bob psst, hi", Send({"action": "sendMessage", "message": "psst, hi", "to": "bob"})),
        ('/dm "ana maria" hi', Send({"action": "sendMessage", "message": "hi", "to": "ana maria"})),
        ("/dm bob", Command("conversation", "bob")),  # issue 26: the conversation shown
        ('/dm "ana maria" ', Command("conversation", "ana maria")),
        ("/history", Command("history")),
        ("/edit hello  there ", Command("edit", "hello  there")),
        ("/delete", Command("delete")),
        ("/quit", Command("quit")),
        ("/help", Command("help")),
    ],
)
def test_lines_and_commands(line: str, expected: Send | Command) -> None:
    assert parse_line(line) == expected


@pytest.mark.parametrize(
    ("line", "usage"),
    [
        ("/join", "usage: /join ROOM"),
        ("/name   ", "usage: /name NAME"),
        ("/dm", "usage: /dm NAME TEXT, or /dm NAME for the conversation"),
        ('/dm "ana maria hi', "usage: /dm NAME TEXT, or /dm NAME for the conversation"),
        ("/edit ", "usage: /edit TEXT"),
    ],
)
def test_a_command_without_its_argument_says_its_usage(line: str, usage: str) -> None:
    assert parse_line(line) == Command("error", usage)


def test_an_unknown_command_is_not_sent() -> None:
    parsed = parse_line("/frobnicate now")
    assert isinstance(parsed, Command)
    assert parsed.name == "error"
    assert "unknown command /frobnicate" in parsed.text


def test_a_json_object_goes_as_it_is_and_answered_actions_are_known() -> None:
    who = parse_line(' {"action": "who"} ')
    assert who == Send({"action": "who"}, '{"action": "who"}')
    assert isinstance(who, Send)
    assert who.answered
    other = parse_line('{"action": "whatever"}')
    assert isinstance(other, Send)
    assert not other.answered


def test_empty_lines_send_nothing_and_raw_sends_everything_untouched() -> None:
    assert parse_line("") is None
    assert parse_line("   ") is None
    assert parse_line("/quit", raw=True) == Send(text="/quit")
    assert not Send(text="/quit").answered
