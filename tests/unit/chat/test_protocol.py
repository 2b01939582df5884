import json
from collections.abc import Callable

import pytest

from serverless_chat.chat import protocol
from serverless_chat.chat.protocol import (
    DEFAULT_MAX_TEXT_LENGTH,
    HistoryRequest,
    ProtocolError,
    SendMessage,
    decode_body,
    parse_body,
    parse_connect_options,
    request_ref,
    validate_name,
    validate_room,
)


# Each parser on a frame's text, decoded first as the chat decodes it (once, decode_body).
def parse_send_message(body: str | None, max_length: int = DEFAULT_MAX_TEXT_LENGTH) -> SendMessage:
    return protocol.parse_send_message(parse_body(body, "sendMessage"), max_length)


def parse_join(body: str) -> str:
    return protocol.parse_join(parse_body(body, "join"))


def parse_set_name(body: str) -> str:
    return protocol.parse_set_name(parse_body(body, "setName"))


def parse_history(body: str) -> HistoryRequest:
    return protocol.parse_history(parse_body(body, "history"))


def test_valid_message_is_parsed() -> None:
    request = parse_send_message('{"action": "sendMessage", "message": "Hello AWS"}')
    assert request.text == "Hello AWS"
    assert request.to is None


def test_direct_message_target_is_trimmed() -> None:
    assert parse_send_message('{"message": "hi", "to": "  bob "}').to == "bob"


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
        ('{"message": "hi", "to": ""}', "INVALID_NAME"),
        ('{"message": "hi", "to": 5}', "INVALID_NAME"),
    ],
)
def test_bad_send_message_bodies_get_a_stable_code(body: str | None, code: str) -> None:
    with pytest.raises(ProtocolError) as caught:
        parse_send_message(body)
    assert caught.value.code == code
    assert caught.value.action == "sendMessage"


def test_text_length_limit() -> None:
    assert parse_send_message('{"message": "' + "x" * 10 + '"}', max_length=10).text == "x" * 10
    with pytest.raises(ProtocolError) as caught:
        parse_send_message('{"message": "' + "x" * 11 + '"}', max_length=10)
    assert caught.value.code == "TEXT_TOO_LONG"


def test_deeply_nested_json_is_an_error_not_a_crash() -> None:
    with pytest.raises(ProtocolError):
        parse_send_message("[" * 100_000 + "]" * 100_000)


@pytest.mark.parametrize("room", ["general", "a", "x" * 64, "team-1_b"])
def test_valid_rooms(room: str) -> None:
    assert validate_room(room) == room


@pytest.mark.parametrize("room", ["", "x" * 65, "General", "a b", "é", "a/b", None, 5])
def test_invalid_rooms(room: object) -> None:
    with pytest.raises(ProtocolError) as caught:
        validate_room(room)
    assert caught.value.code == "INVALID_ROOM"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("ana", "ana"),
        ("  Ana María ", "Ana María"),
        ("x" * 32, "x" * 32),
        ("a.b-c_d 1", "a.b-c_d 1"),
    ],
)
def test_valid_names(name: str, expected: str) -> None:
    assert validate_name(name) == expected


@pytest.mark.parametrize("name", ["", "   ", "x" * 33, "a<b", "tab\there", "emoji🙂", "a\nb", 7])
def test_invalid_names(name: object) -> None:
    with pytest.raises(ProtocolError) as caught:
        validate_name(name)
    assert caught.value.code == "INVALID_NAME"


def test_connect_options_defaults_and_values() -> None:
    assert parse_connect_options(None).room == "general"
    assert parse_connect_options({}).format == "raw"
    assert parse_connect_options({}).name is None
    options = parse_connect_options({"room": "dev", "name": " bob ", "format": "json"})
    assert (options.room, options.name, options.format) == ("dev", "bob", "json")


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ({"room": "Bad Room"}, "INVALID_ROOM"),
        ({"name": ""}, "INVALID_NAME"),
        ({"format": "xml"}, "INVALID_FORMAT"),
    ],
)
def test_bad_connect_options(query: dict[str, str], code: str) -> None:
    with pytest.raises(ProtocolError) as caught:
        parse_connect_options(query)
    assert caught.value.code == code


def test_join_and_set_name() -> None:
    assert parse_join('{"action": "join", "room": "dev"}') == "dev"
    assert parse_set_name('{"action": "setName", "name": " zoe "}') == "zoe"
    with pytest.raises(ProtocolError, match="room"):
        parse_join('{"action": "join"}')
    with pytest.raises(ProtocolError) as caught:
        parse_set_name('{"action": "setName", "name": "<script>"}')
    assert caught.value.code == "INVALID_NAME"


def test_history_requests() -> None:
    assert parse_history('{"action": "history"}').limit == 50
    request = parse_history('{"limit": 5, "before": "1707502303419#abc_-9"}')
    assert (request.limit, request.before) == (5, "1707502303419#abc_-9")


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ('{"limit": 0}', "INVALID_LIMIT"),
        ('{"limit": 101}', "INVALID_LIMIT"),
        ('{"limit": "5"}', "INVALID_LIMIT"),
        ('{"limit": true}', "INVALID_LIMIT"),
        ('{"before": "yesterday"}', "INVALID_CURSOR"),
        ('{"before": 5}', "INVALID_CURSOR"),
    ],
)
def test_bad_history_requests(body: str, code: str) -> None:
    with pytest.raises(ProtocolError) as caught:
        parse_history(body)
    assert caught.value.code == code


# -- text that cannot be encoded: a lone surrogate is valid JSON but not UTF-8 -----------
LONE = "\ud800"


@pytest.mark.parametrize(
    ("parse", "body", "field"),
    [
        (parse_send_message, {"message": LONE}, "message"),
        (parse_send_message, {"message": "ok" + LONE + "ok"}, "message"),
        (parse_send_message, {"message": "hi", "to": LONE}, "to"),
        (parse_join, {"room": LONE}, "room"),
        (parse_set_name, {"name": "ana" + LONE}, "name"),
        (parse_history, {"before": "1707502303419#" + LONE}, "before"),
    ],
)
def test_a_field_that_cannot_be_utf8_is_invalid_text(
    parse: Callable[[str], object], body: dict[str, str], field: str
) -> None:
    with pytest.raises(ProtocolError) as caught:
        parse(json.dumps(body))
    assert caught.value.code == "INVALID_TEXT"
    assert f'"{field}"' in caught.value.message


@pytest.mark.parametrize("field", ["room", "name", "format"])
def test_a_connect_option_that_cannot_be_utf8_is_invalid_text(field: str) -> None:
    with pytest.raises(ProtocolError) as caught:
        parse_connect_options({field: "\udcff"})
    assert (caught.value.code, caught.value.action) == ("INVALID_TEXT", "$connect")


def test_a_ref_that_cannot_be_utf8_is_refused_not_ignored() -> None:
    with pytest.raises(ProtocolError) as caught:
        request_ref(decode_body(json.dumps({"action": "who", "ref": LONE})), "who")
    assert (caught.value.code, caught.value.action) == ("INVALID_TEXT", "who")
    assert (
        request_ref(decode_body(json.dumps({"ref": "x" * 65})), "who") is None
    )  # too long: still ignored
    assert request_ref(decode_body(json.dumps({"ref": "m-1"})), "who") == "m-1"


def test_unicode_digits_are_not_a_cursor() -> None:
    with pytest.raises(ProtocolError) as caught:
        parse_history(json.dumps({"before": "١٧٠٧٥٠٢٣٠٣٤١٩#abc"}))
    assert caught.value.code == "INVALID_CURSOR"
