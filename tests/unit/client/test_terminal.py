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
