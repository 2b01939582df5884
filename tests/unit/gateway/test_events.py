import base64
import uuid

from serverless_chat.gateway.events import (
    ApiContext,
    ConnectionMeta,
    connect_event,
    disconnect_event,
    message_event,
    new_request_id,
    request_time,
)
from tests.conftest import load_event

API = ApiContext("abcdef1234", "production", "abcdef1234.execute-api.us-east-1.amazonaws.com")
CONN = ConnectionMeta(
    connection_id="TWegAcC4joAFZUA=",
    connected_at=1707502303419,
    source_ip="192.0.2.1",
    headers=[("Host", "h"), ("X-Multi", "1"), ("X-Multi", "2")],
    query=[("room", "a"), ("room", "b"), ("name", "ana")],
)


def _same_keys(ours: dict[str, object], recorded: dict[str, object]) -> None:
    assert set(recorded) <= set(ours), set(recorded) - set(ours)


def same_shape(ours: object, recorded: object, path: str = "event") -> None:
    """Field by field: every recorded field is present, with a value of the same type, all
    the way down. Maps whose keys are data (headers, query strings) compare their values'
    types only."""
    if isinstance(recorded, dict):
        assert isinstance(ours, dict), path
        data_keyed = path.rsplit(".", 1)[-1] in {
            "headers",
            "multiValueHeaders",
            "queryStringParameters",
            "multiValueQueryStringParameters",
            "stageVariables",
        }
        if data_keyed:
            for value in ours.values():
                sample = next(iter(recorded.values()), value)
                same_shape(value, sample, path + ".*")
            return
        missing = set(recorded) - set(ours)
        assert not missing, f"{path}: missing {sorted(missing)}"
        for key, value in recorded.items():
            same_shape(ours[key], value, f"{path}.{key}")
    elif isinstance(recorded, list):
        assert isinstance(ours, list), path
        for item in ours:
            same_shape(item, recorded[0], path + "[]")
    else:
        assert type(ours) is type(recorded), f"{path}: {type(ours).__name__}"


def test_every_event_has_the_shape_of_the_recorded_aws_event() -> None:
    from serverless_chat.gateway.events import authorizer_event

    conn = ConnectionMeta(
        "c=", 1707502303419, "192.0.2.1", headers=[("Host", "h")], query=[("token", "abc")]
    )
    same_shape(connect_event(API, conn, 1, "r", "e"), load_event("connect"))
    same_shape(
        message_event(API, conn, "sendMessage", "{}", 1, "r", "e", "m"), load_event("message")
    )
    same_shape(disconnect_event(API, conn, 1000, "bye", 1, "r", "e"), load_event("disconnect"))
    same_shape(authorizer_event(API, conn, 1, "r", "e"), load_event("authorizer_request"))


def test_the_authorizer_context_rides_on_every_later_event() -> None:
    conn = ConnectionMeta("c=", 1, "192.0.2.1", authorizer={"principalId": "ana", "plan": "x"})
    for event in (
        connect_event(API, conn, 1, "r", "e"),
        message_event(API, conn, "echo", "{}", 1, "r", "e", "m"),
        disconnect_event(API, conn, 1000, "", 1, "r", "e"),
    ):
        assert event["requestContext"]["authorizer"] == {"principalId": "ana", "plan": "x"}


def test_request_ids_are_version_4_uuids_and_differ() -> None:
    ids = [new_request_id() for _ in range(2000)]
    assert len(set(ids)) == len(ids)
    for text in ids:
        parsed = uuid.UUID(text)
        assert str(parsed) == text
        assert parsed.version == 4
        assert parsed.variant == uuid.RFC_4122


def test_request_time_format() -> None:
    assert request_time(1707502303419) == "09/Feb/2024:18:11:43 +0000"


def test_connect_event_has_the_recorded_shape() -> None:
    event = connect_event(API, CONN, 1707502303420, "req", "ext")
    recorded = load_event("connect")
    _same_keys(event, recorded)
    _same_keys(event["requestContext"], recorded["requestContext"])
    assert event["requestContext"]["eventType"] == "CONNECT"
    assert event["requestContext"]["routeKey"] == "$connect"
    assert event["headers"]["X-Multi"] == "2"
    assert event["multiValueHeaders"]["X-Multi"] == ["1", "2"]
    assert event["queryStringParameters"] == {"room": "b", "name": "ana"}
    assert event["multiValueQueryStringParameters"]["room"] == ["a", "b"]


def test_connect_event_without_query_has_no_query_keys() -> None:
    conn = ConnectionMeta("c", 0, "127.0.0.1")
    event = connect_event(API, conn, 0, "req", "ext")
    assert "queryStringParameters" not in event


def test_message_event_has_body_message_id_and_no_headers() -> None:
    event = message_event(API, CONN, "sendMessage", '{"a": 1}', 1707502350209, "r", "e", "m")
    recorded = load_event("message")
    _same_keys(event, recorded)
    _same_keys(event["requestContext"], recorded["requestContext"])
    assert "headers" not in event
    assert event["body"] == '{"a": 1}'
    assert event["isBase64Encoded"] is False
    assert event["requestContext"]["messageId"] == "m"
    assert event["requestContext"]["eventType"] == "MESSAGE"


def test_binary_message_is_base64() -> None:
    event = message_event(API, CONN, "$default", b"\x00\xff", 0, "r", "e", "m")
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == b"\x00\xff"


def test_disconnect_event_has_the_close_code_and_reason() -> None:
    event = disconnect_event(API, CONN, 1001, "Going away", 1707502437425, "r", "e")
    recorded = load_event("disconnect")
    _same_keys(event["requestContext"], recorded["requestContext"])
    assert event["requestContext"]["disconnectStatusCode"] == 1001
    assert event["requestContext"]["disconnectReason"] == "Going away"
    assert event["requestContext"]["eventType"] == "DISCONNECT"
