import json

import pytest

from serverless_chat.client.terminal import frame_for


def test_plain_line_becomes_send_message() -> None:
    assert json.loads(frame_for("Hello AWS")) == {"action": "sendMessage", "message": "Hello AWS"}


def test_json_object_goes_as_is() -> None:
    line = '{"action": "sendmessage", "message": "x"}'
    assert frame_for(line) == line


@pytest.mark.parametrize("line", ["[1, 2]", "{not json", '"quoted"', "42"])
def test_other_json_or_broken_json_is_wrapped(line: str) -> None:
    assert json.loads(frame_for(line))["message"] == line


def test_raw_sends_untouched() -> None:
    assert frame_for("plain", raw=True) == "plain"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("ws://h:1/production", "ws://h:1/production?format=text"),
        ("ws://h:1/production?room=dev", "ws://h:1/production?room=dev&format=text"),
        ("ws://h:1/production?format=json", "ws://h:1/production?format=json"),
    ],
)
def test_the_client_asks_for_text_unless_the_url_names_a_format(url: str, expected: str) -> None:
    from serverless_chat.client.terminal import with_format

    assert with_format(url, "text") == expected


def test_a_close_in_words() -> None:
    from serverless_chat.client.connecting import close_words

    assert close_words(1001, "Going away").startswith("1001 (going away: the server is")
    assert not close_words(1001, "Going away").endswith('"Going away"')  # said once
    assert close_words(1009, "Frame of 40000 bytes") == (
        '1009 (message too big) "Frame of 40000 bytes"'
    )
    assert close_words(None, "") == "1006 (the connection was lost without a close frame)"
    assert close_words(4000, "") == "4000 (application-defined)"


def test_which_refusals_a_retry_cannot_mend() -> None:
    from serverless_chat.client.connecting import Refused

    assert Refused(409, "NAME_TAKEN", "taken").final
    assert Refused(401, "", "Unauthorized").final
    assert not Refused(503, "", "too many connections").final
    assert not Refused(429, "", "slow down").final
    assert str(Refused(409, "NAME_TAKEN", '"ana" is taken in general.')) == (
        '"ana" is taken in general. (HTTP 409 NAME_TAKEN)'
    )


def test_the_client_talks_json_and_reconnects_where_it_is() -> None:
    from serverless_chat.client.shell import TerminalClient

    client = TerminalClient("ws://h:1/production?token=abc&format=raw&room=dev")
    assert client.fmt == "raw"  # the URL's format is how frames are printed
    assert client.url() == "ws://h:1/production?token=abc&room=dev&format=json"
    client.session.room, client.session.name = "lobby", "ana maria"  # where it is now
    assert client.url() == "ws://h:1/production?token=abc&room=lobby&name=ana+maria&format=json"
    assert client.address == "ws://h:1/production"
    assert TerminalClient("ws://h:1/production", fmt="json").fmt == "json"


def test_a_format_the_chat_does_not_know_is_refused_before_connecting() -> None:
    """The chat answers ?format=bogus with 400 INVALID_FORMAT; the client, which asks for
    json frames and prints them itself, would otherwise print text without a word."""
    import io

    from serverless_chat.client.terminal import run

    err = io.StringIO()
    status = run(
        "ws://127.0.0.1:9/production?format=bogus",
        stdin=io.StringIO(""),
        out=io.StringIO(),
        err=err,
    )
    assert status == 2
    assert err.getvalue() == (
        "error: format=bogus in the URL: the chat's formats are raw, text, json\n"
    )
