"""The gateway's events against recorded API Gateway events (tests/fixtures/events, each
with its source in SOURCES.md), field by field, and against the WebSocket context-variable
reference ("$context.requestId: Same as $context.extendedRequestId",
https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-mapping-template-reference.html).
"""

from __future__ import annotations

import itertools
import re
import uuid
from dataclasses import replace
from typing import Any

import pytest

from local_gateway.apigateway.event_factory import (
    ApiContext,
    ConnectionMeta,
    EventFactory,
    new_gateway_id,
    request_time,
)
from local_gateway.functions.context import new_request_id
from tests.conftest import load_event

API = ApiContext("abcdef1234", "production", "abcdef1234.execute-api.us-east-1.amazonaws.com")
CHROME = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) Chrome/118.0.0.0 Safari/537.36"
CONN = ConnectionMeta(
    connection_id="TWegAcC4joAFZUA=",
    connected_at=1707502303419,
    source_ip="192.0.2.1",
    headers=[
        ("Host", "abcdef1234.execute-api.us-east-1.amazonaws.com"),
        ("Connection", "Upgrade"),
        ("Upgrade", "websocket"),
        ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
        ("Sec-WebSocket-Version", "13"),
        ("X-Multi", "1"),
        ("X-Multi", "2"),
    ],
    query=[("room", "a"), ("room", "b"), ("name", "ana")],
)
GATEWAY_ID = re.compile(r"[A-Za-z0-9_-]{15}=")

CONNECTS = ["powertools/apiGatewayWebSocketApiConnect"]
MESSAGES = [
    "powertools/apiGatewayWebSocketApiMessage",
    "aws-lambda-go/apigw-websocket-request-send-message",
    "serverless-patterns/apigw-websocket-api-connection-dynamodb-README-message",
]
DISCONNECTS = [
    "powertools/apiGatewayWebSocketApiDisconnect",
    "aws-lambda-go/apigw-websocket-request-disconnect",
    "aws-lambda-rust-runtime/example-apigw-websocket-request-disconnect-route",
]
AUTHORIZERS = ["powertools/apiGatewayAuthorizerWebSocketEvent"]


def factory(clock: float = 1707502303.42) -> EventFactory:
    return EventFactory(API, clock=lambda: clock)


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


def no_extra_keys(ours: dict[str, Any], recorded: dict[str, Any], path: str = "event") -> None:
    """What the gateway sends that the capture lacks (the authorizer's context aside)."""
    extra = set(ours) - set(recorded) - {"authorizer"}
    assert not extra, f"{path}: {sorted(extra)} not in the capture"


def _identity_of(event: dict[str, Any]) -> dict[str, Any]:
    identity: dict[str, Any] = event["requestContext"]["identity"]
    return identity


@pytest.mark.parametrize("name", CONNECTS)
def test_connect_has_the_captured_shape(name: str) -> None:
    recorded = load_event(name)
    ours = factory().connect(replace(CONN, query=()))  # the capture's URL had no query
    same_shape(ours, recorded)
    no_extra_keys(ours, recorded)
    no_extra_keys(ours["requestContext"], recorded["requestContext"], "requestContext")


@pytest.mark.parametrize("name", MESSAGES)
def test_message_has_the_captured_shape(name: str) -> None:
    recorded = load_event(name)
    ours = factory().message(CONN, "sendMessage", '{"a": 1}')
    recorded_identity = {"sourceIp"}  # userAgent only when the client sent one (below)
    same_shape(ours, {**recorded, "requestContext": {**recorded["requestContext"], "identity": {}}})
    assert set(_identity_of(ours)) == recorded_identity
    no_extra_keys(ours, recorded)
    no_extra_keys(ours["requestContext"], recorded["requestContext"], "requestContext")


@pytest.mark.parametrize("name", DISCONNECTS)
def test_disconnect_has_the_captured_shape(name: str) -> None:
    recorded = load_event(name)
    ours = factory().disconnect(CONN, 1005, "Client-side close frame status not set")
    same_shape(ours, {**recorded, "requestContext": {**recorded["requestContext"], "identity": {}}})
    no_extra_keys(ours, recorded)
    no_extra_keys(ours["requestContext"], recorded["requestContext"], "requestContext")


def test_disconnect_headers_are_the_fixed_set_every_capture_has() -> None:
    ours = factory().disconnect(CONN, 1001, "")
    for name in DISCONNECTS:
        recorded = load_event(name)
        assert set(ours["headers"]) == set(recorded["headers"])
        assert set(ours["multiValueHeaders"]) == set(recorded["multiValueHeaders"])
    assert ours["headers"]["Host"] == "abcdef1234.execute-api.us-east-1.amazonaws.com"
    assert ours["headers"]["X-Forwarded-For"] == ""


@pytest.mark.parametrize("name", AUTHORIZERS)
def test_the_authorizer_input_has_the_captured_shape(name: str) -> None:
    recorded = load_event(name)
    ours = factory().authorizer(CONN)
    same_shape(ours, recorded)
    no_extra_keys(ours, recorded)
    assert ours["methodArn"] == (
        "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/production/$connect"
    )


def test_connect_drops_the_upgrade_headers_and_adds_api_gateways() -> None:
    """Captured CONNECT events carry X-Forwarded-* and X-Amzn-Trace-Id and never
    Connection / Upgrade; the authorizer's input keeps those two (powertools captures)."""
    event = factory().connect(CONN)
    headers = event["headers"]
    assert "Connection" not in headers
    assert "Upgrade" not in headers
    assert headers["X-Forwarded-For"] == "192.0.2.1"
    assert headers["X-Forwarded-Port"] == "443"
    assert headers["X-Forwarded-Proto"] == "https"
    assert re.fullmatch(r"Root=1-65c66adf-[0-9a-f]{24}", headers["X-Amzn-Trace-Id"])
    assert headers["X-Multi"] == "2"
    assert event["multiValueHeaders"]["X-Multi"] == ["1", "2"]
    assert event["queryStringParameters"] == {"room": "b", "name": "ana"}
    assert event["multiValueQueryStringParameters"]["room"] == ["a", "b"]
    authorizer = factory().authorizer(CONN)["headers"]
    assert authorizer["Connection"] == "Upgrade"
    assert authorizer["Upgrade"] == "websocket"


def test_a_client_sent_forwarded_header_is_replaced() -> None:
    conn = ConnectionMeta(
        "TWegAcC4joAFZUA=", 0, "192.0.2.1", headers=[("X-Forwarded-For", "1.1.1.1")]
    )
    assert factory().connect(conn)["multiValueHeaders"]["X-Forwarded-For"] == ["192.0.2.1"]


def test_connect_without_a_query_string_has_no_query_keys() -> None:
    """Absent, not null: code such as event.get("queryStringParameters", {...}) relies on it."""
    event = factory().connect(ConnectionMeta("TWegAcC4joAFZUA=", 0, "127.0.0.1"))
    assert "queryStringParameters" not in event
    assert "multiValueQueryStringParameters" not in event
    assert factory().authorizer(ConnectionMeta("c", 0, "127.0.0.1"))["queryStringParameters"] == {}


def test_the_user_agent_is_in_identity_only_when_the_client_sent_one() -> None:
    with_agent = ConnectionMeta("TWegAcC4joAFZUA=", 0, "192.0.2.1", user_agent=CHROME)
    for event in (
        factory().connect(with_agent),
        factory().message(with_agent, "$default", "x"),
        factory().disconnect(with_agent, 1001, ""),
    ):
        assert _identity_of(event) == {"sourceIp": "192.0.2.1", "userAgent": CHROME}
    recorded = load_event("aws-lambda-go/apigw-websocket-request-send-message")
    assert set(_identity_of(recorded)) == {"sourceIp", "userAgent"}
    assert _identity_of(factory().message(CONN, "$default", "x")) == {"sourceIp": "192.0.2.1"}


def test_request_ids_have_the_captures_form_and_equal_the_extended_ones() -> None:
    events = factory()
    for event in (
        events.connect(CONN),
        events.message(CONN, "$default", "x"),
        events.disconnect(CONN, 1000, ""),
    ):
        context = event["requestContext"]
        assert context["requestId"] == context["extendedRequestId"]
        assert GATEWAY_ID.fullmatch(context["requestId"])
    for name in [*MESSAGES[:2], DISCONNECTS[0], CONNECTS[0]]:
        context = load_event(name)["requestContext"]
        assert context["requestId"] == context["extendedRequestId"]
        assert GATEWAY_ID.fullmatch(context["requestId"])


def test_every_event_gets_a_new_request_id() -> None:
    events = factory()
    ids = {events.message(CONN, "$default", "x")["requestContext"]["requestId"] for _ in range(500)}
    assert len(ids) == 500


def test_a_message_id_shares_its_tail_with_the_connection_id() -> None:
    recorded = load_event("powertools/apiGatewayWebSocketApiMessage")["requestContext"]
    assert recorded["messageId"][8:] == recorded["connectionId"][8:]
    ours = factory().message(CONN, "$default", "x")["requestContext"]
    assert ours["messageId"][8:] == CONN.connection_id[8:]
    assert GATEWAY_ID.fullmatch(ours["messageId"])


def test_connection_ids_have_api_gateways_form() -> None:
    ids = {new_gateway_id() for _ in range(1000)}
    assert len(ids) == 1000
    assert all(GATEWAY_ID.fullmatch(i) for i in ids)


def test_ids_come_from_the_source_the_factory_is_given() -> None:
    counter = itertools.count()
    events = EventFactory(API, clock=lambda: 1.0, new_id=lambda: f"{next(counter):015d}=")
    assert events.new_connection_id() == "000000000000000="
    assert events.connect(CONN)["requestContext"]["requestId"] == "000000000000001="


def test_the_authorizer_context_rides_on_every_later_event() -> None:
    conn = ConnectionMeta("c", 1, "192.0.2.1", authorizer={"principalId": "ana", "plan": "x"})
    events = factory()
    for event in (
        events.connect(conn),
        events.message(conn, "echo", "{}"),
        events.disconnect(conn, 1000, ""),
    ):
        assert event["requestContext"]["authorizer"] == {"principalId": "ana", "plan": "x"}


def test_request_times_have_the_captures_format() -> None:
    assert request_time(1707502303419) == "09/Feb/2024:18:11:43 +0000"
    event = factory(1707502303.420).connect(CONN)["requestContext"]
    assert event["requestTime"] == "09/Feb/2024:18:11:43 +0000"
    assert event["requestTimeEpoch"] == 1707502303420


def test_lambda_request_ids_are_version_4_uuids_and_differ() -> None:
    ids = [new_request_id() for _ in range(2000)]
    assert len(set(ids)) == len(ids)
    for text in ids:
        parsed = uuid.UUID(text)
        assert str(parsed) == text
        assert parsed.version == 4
        assert parsed.variant == uuid.RFC_4122
