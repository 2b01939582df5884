import json

import pytest

from serverless_chat.chat.protocol import ProtocolError, error_frame, parse_send_message


def test_valid_message_is_parsed() -> None:
    assert parse_send_message('{"action": "sendMessage", "message": "Hello AWS"}').text == (
        "Hello AWS"
    )


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (None, "EMPTY_BODY"),
        ("", "EMPTY_BODY"),
        ("not json", "INVALID_JSON"),
        ("{", "INVALID_JSON"),
        ("[1, 2]", "NOT_AN_OBJECT"),
        ('"text"', "NOT_AN_OBJECT"),
        ('{"action": "sendMessage"}', "MISSING_FIELD"),
        ('{"action": "sendMessage", "message": 5}', "INVALID_FIELD"),
        ('{"action": "sendMessage", "message": null}', "INVALID_FIELD"),
        ('{"action": "sendMessage", "message": ["a"]}', "INVALID_FIELD"),
        ('{"action": "sendMessage", "message": ""}', "INVALID_FIELD"),
    ],
)
def test_bad_bodies_get_a_stable_code(body: str | None, code: str) -> None:
    with pytest.raises(ProtocolError) as caught:
        parse_send_message(body)
    assert caught.value.code == code
    assert caught.value.action == "sendMessage"


def test_deeply_nested_json_is_an_error_not_a_crash() -> None:
    with pytest.raises(ProtocolError):
        parse_send_message("[" * 100_000 + "]" * 100_000)


def test_error_frame_is_json_with_code_message_and_action() -> None:
    frame = json.loads(error_frame(ProtocolError("INVALID_JSON", "bad", "sendMessage")))
    assert frame == {
        "type": "error",
        "code": "INVALID_JSON",
        "message": "bad",
        "action": "sendMessage",
    }
