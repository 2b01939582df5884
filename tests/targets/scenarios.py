"""The AWS-behaviour scenarios, each written once and run on every target (test_scenarios.py):
what API Gateway documents for a handshake, a message, a close and the callback API, checked
against what a target does with tests/fixtures/recorder. A scenario writes down each
difference it finds (observed.py) rather than failing at the first.

Each scenario carries what AWS documents and where (the table in docs/local-gateway.md,
"Where each target differs from AWS", shows both)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import ssl
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from botocore.exceptions import ClientError
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from tests.targets.observed import Observed
from tests.targets.targets import Target

QUOTAS = (
    "Quotas for configuring and running a WebSocket API in API Gateway,"
    " https://docs.aws.amazon.com/apigateway/latest/developerguide/"
    "apigateway-execution-service-websocket-limits-table.html"
)
ROUTES = (
    "Invoke your backend integration with the $default Route and custom routes in API Gateway,"
    " https://docs.aws.amazon.com/apigateway/latest/developerguide/"
    "apigateway-websocket-api-routes-integrations.html"
)
CONNECT_DISCONNECT = (
    "Manage connected users and client apps: $connect and $disconnect routes,"
    " https://docs.aws.amazon.com/apigateway/latest/developerguide/"
    "apigateway-websocket-api-route-keys-connect-disconnect.html"
)
INTEGRATION_REQUESTS = (
    "Set up a WebSocket API integration request in API Gateway ($disconnect example input),"
    " https://docs.aws.amazon.com/apigateway/latest/developerguide/"
    "apigateway-websocket-api-integration-requests.html"
)
MAPPING_REFERENCE = (
    "WebSocket API mapping template reference ($context.requestId: same as"
    " $context.extendedRequestId), https://docs.aws.amazon.com/apigateway/latest/developerguide/"
    "apigateway-websocket-api-mapping-template-reference.html; captures in tests/fixtures/events"
)
SUBPROTOCOL = (
    "Set up a $connect route that requires a WebSocket subprotocol,"
    " https://docs.aws.amazon.com/apigateway/latest/developerguide/"
    "websocket-connect-route-subprotocol.html"
)
CONNECTIONS_API = (
    "Use @connections commands in your backend service,"
    " https://docs.aws.amazon.com/apigateway/latest/developerguide/"
    "apigateway-how-to-call-websocket-api-connections.html"
)
ROUTE_RESPONSE = (
    "Set up route responses for WebSocket APIs in API Gateway,"
    " https://docs.aws.amazon.com/apigateway/latest/developerguide/"
    "apigateway-websocket-api-route-response.html"
)
BINARY = (
    "Binary media types for WebSocket APIs in API Gateway,"
    " https://docs.aws.amazon.com/apigateway/latest/developerguide/"
    "websocket-api-develop-binary-media-types.html"
)
GONE = (
    "Knowledge Center, 410 GoneException, https://repost.aws/knowledge-center/410-gone-api-gateway"
)

JOIN = json.dumps({"service": "chat", "action": "join"})
# The header set of every captured DISCONNECT event (tests/fixtures/events/SOURCES.md).
DISCONNECT_HEADERS = ["Host", "X-Forwarded-For", "x-api-key", "x-restapi"]
CONTEXT_FIELDS = {
    "routeKey",
    "eventType",
    "connectionId",
    "connectedAt",
    "requestTimeEpoch",
    "requestTime",
    "requestId",
    "extendedRequestId",
    "messageDirection",
    "domainName",
    "stage",
    "apiId",
    "identity",
}


@dataclass(frozen=True)
class Scenario:
    """One documented behaviour: its id (the table's key), what AWS documents, where, and
    the check that runs on a target."""

    id: str
    documented: str
    source: str
    run: Callable[[Target, Observed], Awaitable[None]]


def _probe() -> str:
    return secrets.token_hex(8)


def _url(target: Target, probe: str, **query: str) -> str:
    extra = "".join(f"&{k}={v}" for k, v in query.items())
    return f"{target.url}?probe={probe}{extra}"


async def _open(target: Target, seen: Observed, **query: str) -> tuple[ClientConnection, str]:
    """A client connected with a fresh probe, and its connection id (from its $connect)."""
    probe = _probe()
    client = await connect(_url(target, probe, **query), user_agent_header="targets-suite/1")
    event = await target.connect_event(probe)
    if event is None:
        await client.close()
        raise seen.stop(f"no $connect event recorded within {target.patience:.0f} s")
    return client, event["requestContext"]["connectionId"]


async def _event(target: Target, seen: Observed, connection_id: str, route_key: str) -> Any:
    event = await target.event(connection_id, route_key)
    if event is None:
        raise seen.stop(f"no {route_key} event recorded within {target.patience:.0f} s")
    return event


async def _closed(client: ClientConnection, target: Target) -> tuple[int | None, str | None]:
    """The close code and reason the server sent, once it has closed (None: still open)."""
    try:
        await asyncio.wait_for(client.wait_closed(), target.patience)
    except TimeoutError:
        await client.close()
        return None, None
    received = client.close_code, client.close_reason
    return received


async def connect_event(target: Target, seen: Observed) -> None:
    probe = _probe()
    async with connect(_url(target, probe, room="a"), user_agent_header="targets-suite/1"):
        event = await target.connect_event(probe)
    if event is None:
        raise seen.stop(f"no $connect event recorded within {target.patience:.0f} s")
    headers = event.get("headers") or {}
    for added in ("X-Forwarded-For", "X-Forwarded-Port", "X-Forwarded-Proto", "X-Amzn-Trace-Id"):
        seen.expect_true(f"header {added}", added in headers, "missing")
    for hop in ("Connection", "Upgrade", "connection", "upgrade"):
        seen.expect_true(f"header {hop}", hop not in headers, "passed on")
    query = {
        k: "PROBE" if v == probe else v
        for k, v in (event.get("queryStringParameters") or {}).items()
    }  # the probe changes from run to run; the table's cell must not
    seen.expect("queryStringParameters", query, {"probe": "PROBE", "room": "a"})
    context = event["requestContext"]
    missing = sorted(CONTEXT_FIELDS - set(context))
    seen.expect("requestContext fields missing", missing, [])
    seen.expect("eventType", context.get("eventType"), "CONNECT")
    seen.expect("messageDirection", context.get("messageDirection"), "IN")
    seen.expect(
        "requestId is extendedRequestId",
        context.get("requestId") == context.get("extendedRequestId"),
        True,
    )
    identity = context.get("identity", {})
    seen.expect("identity.userAgent", identity.get("userAgent"), "targets-suite/1")
    seen.expect_true("identity.sourceIp", bool(identity.get("sourceIp")), "missing")
    seen.expect(
        "X-Forwarded-For is identity.sourceIp",
        headers.get("X-Forwarded-For") == identity.get("sourceIp"),
        True,
    )


async def message_event(target: Target, seen: Observed) -> None:
    client, connection_id = await _open(target, seen)
    async with client:
        await client.send(JOIN)
        event = await _event(target, seen, connection_id, "chat/join")
    context = event["requestContext"]
    seen.expect("body", event.get("body"), JOIN)
    seen.expect_true("headers", "headers" not in event, "present (AWS: none on MESSAGE)")
    seen.expect("eventType", context.get("eventType"), "MESSAGE")
    seen.expect("messageDirection", context.get("messageDirection"), "IN")
    message_id = str(context.get("messageId") or "")
    seen.expect_true("messageId", bool(message_id), "missing")
    seen.expect(
        "messageId's tail is the connectionId's (as captured)",
        message_id[8:] == connection_id[8:],
        True,
    )
    seen.expect(
        "requestId is extendedRequestId",
        context.get("requestId") == context.get("extendedRequestId"),
        True,
    )


async def two_way_route(target: Target, seen: Observed) -> None:
    client, _ = await _open(target, seen)
    async with client:
        await client.send(JOIN)
        try:
            reply = await asyncio.wait_for(client.recv(), target.patience)
        except TimeoutError:
            raise seen.stop(f"no reply within {target.patience:.0f} s") from None
    seen.expect("reply", reply, "joined")


async def no_route_is_forbidden(target: Target, seen: Observed) -> None:
    client, connection_id = await _open(target, seen)
    async with client:
        await client.send(json.dumps({"service": "chat", "action": "leave"}))
        await _error_frame(target, seen, client, connection_id, "Forbidden")


async def function_error(target: Target, seen: Observed) -> None:
    client, connection_id = await _open(target, seen)
    async with client:
        await client.send(json.dumps({"service": "chat", "action": "crash"}))
        event = await _event(target, seen, connection_id, "chat/crash")
        frame = await _error_frame(target, seen, client, connection_id, "Internal server error")
    if frame is None:
        return
    seen.expect(
        "requestId is the event's",
        frame.get("requestId") == event["requestContext"].get("requestId"),
        True,
    )


async def fragmented_message(target: Target, seen: Observed) -> None:
    client, connection_id = await _open(target, seen)
    body = json.dumps({"service": "chat", "action": "join", "pad": "x" * 40 * 1024})
    async with client:
        with contextlib.suppress(ConnectionClosed):
            await client.send([body[i : i + 16 * 1024] for i in range(0, len(body), 16 * 1024)])
        recorded = asyncio.create_task(target.event(connection_id, "chat/join"))
        closed = asyncio.create_task(client.wait_closed())
        await asyncio.wait({recorded, closed}, return_when=asyncio.FIRST_COMPLETED)
        closed.cancel()
        if not recorded.done():  # the target closed the connection: no event will come
            recorded.cancel()
            raise seen.stop(f"closed with {client.close_code}, no chat/join event")
        event = recorded.result()
    if event is None:
        raise seen.stop(f"no chat/join event recorded within {target.patience:.0f} s")
    seen.expect("body length", len(event.get("body") or ""), len(body))


async def close_code_and_reason(target: Target, seen: Observed) -> None:
    client, connection_id = await _open(target, seen)
    await client.close(code=4001, reason="bye now")
    context = (await _event(target, seen, connection_id, "$disconnect"))["requestContext"]
    seen.expect("disconnectStatusCode", context.get("disconnectStatusCode"), 4001)
    seen.expect("disconnectReason", context.get("disconnectReason"), "bye now")


async def close_without_status(target: Target, seen: Observed) -> None:
    probe = _probe()
    reader, writer = await _raw_handshake(_url(target, probe))
    try:
        status = await asyncio.wait_for(reader.readline(), target.patience)
        if b" 101 " not in status:
            raise seen.stop(f"handshake answered {status.decode(errors='replace').strip()!r}")
        connected = await target.connect_event(probe)
        if connected is None:
            raise seen.stop(f"no $connect event recorded within {target.patience:.0f} s")
        writer.write(b"\x88\x80" + b"\x01\x02\x03\x04")  # a masked close frame, no payload
        await writer.drain()
        connection_id = connected["requestContext"]["connectionId"]
        event = await _event(target, seen, connection_id, "$disconnect")
    finally:
        writer.close()
    seen.expect(
        "DISCONNECT headers (as captured)", sorted(event.get("headers") or {}), DISCONNECT_HEADERS
    )
    context = event["requestContext"]
    seen.expect("disconnectStatusCode", context.get("disconnectStatusCode"), 1005)
    seen.expect(
        "disconnectReason",
        context.get("disconnectReason"),
        "Client-side close frame status not set",
    )


async def _raw_handshake(url: str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    parts = urlsplit(url)
    secure = parts.scheme == "wss"
    port = parts.port or (443 if secure else 80)
    host = parts.hostname or ""
    reader, writer = await asyncio.open_connection(
        host, port, ssl=ssl.create_default_context() if secure else None
    )
    authority = parts.netloc
    writer.write(
        f"GET {parts.path}?{parts.query} HTTP/1.1\r\nHost: {authority}\r\nUpgrade: websocket\r\n"
        "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        "Sec-WebSocket-Version: 13\r\n\r\n".encode()
    )
    await writer.drain()
    return reader, writer


async def delete_connection(target: Target, seen: Observed) -> None:
    client, connection_id = await _open(target, seen)
    api = target.management()
    await asyncio.to_thread(api.delete_connection, ConnectionId=connection_id)
    code, _ = await _closed(client, target)
    seen.expect("client's close code", code, 1000)
    context = (await _event(target, seen, connection_id, "$disconnect"))["requestContext"]
    seen.expect("disconnectStatusCode", context.get("disconnectStatusCode"), 1000)
    seen.expect("disconnectReason", context.get("disconnectReason"), "Connection Closed Normally")


async def connect_refused(target: Target, seen: Observed) -> None:
    try:
        client = await connect(_url(target, _probe(), status="400"))
    except InvalidStatus as refused:
        seen.expect("handshake status", refused.response.status_code, 400)
        return
    await client.close()
    seen.expect("handshake status", 101, 400)


async def subprotocol(target: Target, seen: Observed) -> None:
    async with connect(
        _url(target, _probe(), protocol="myprotocol"),
        subprotocols=["chat1", "myprotocol"],  # type: ignore[list-item]
    ) as client:
        seen.expect("subprotocol", client.subprotocol, "myprotocol")


async def gone_during_connect(target: Target, seen: Observed) -> None:
    probe = _probe()

    async def handshake_pending() -> ClientConnection:
        return await connect(_url(target, probe, wait="3"))

    handshake = asyncio.create_task(handshake_pending())
    try:
        event = await target.connect_event(probe)
        if event is None:
            raise seen.stop(f"no $connect event recorded within {target.patience:.0f} s")
        connection_id = event["requestContext"]["connectionId"]
        api = target.management()
        early = await _post(api, connection_id, "too early")
        seen.expect("a post while $connect runs", early, 410)
        client = await asyncio.wait_for(handshake, target.patience)
    finally:
        if not handshake.done():
            handshake.cancel()
    async with client:
        seen.expect("a post once it has returned", await _post(api, connection_id, "now"), 200)
        try:
            frame = await asyncio.wait_for(client.recv(), target.patience)
        except TimeoutError:
            frame = None
        seen.expect("frame received", frame, "now")


async def _post(api: Any, connection_id: str, data: str) -> int:
    """The callback API's status for a post (200, or its error's)."""
    try:
        await asyncio.to_thread(api.post_to_connection, ConnectionId=connection_id, Data=data)
    except ClientError as error:
        status: int = error.response["ResponseMetadata"]["HTTPStatusCode"]
        return status
    return 200


async def gone_after_close(target: Target, seen: Observed) -> None:
    client, connection_id = await _open(target, seen)
    await client.close()
    await _event(target, seen, connection_id, "$disconnect")
    api = target.management()
    try:
        await asyncio.to_thread(api.post_to_connection, ConnectionId=connection_id, Data="late")
    except ClientError as error:
        seen.expect("status", error.response["ResponseMetadata"]["HTTPStatusCode"], 410)
        seen.expect("error code", error.response["Error"]["Code"], "GoneException")
        return
    seen.expect("status", 200, 410)


async def message_over_128_kb(target: Target, seen: Observed) -> None:
    client, _ = await _open(target, seen)
    body = json.dumps({"service": "chat", "action": "join", "pad": "x" * 130 * 1024})
    with contextlib.suppress(ConnectionClosed):
        await client.send([body[i : i + 26 * 1024] for i in range(0, len(body), 26 * 1024)])
    code, _ = await _closed(client, target)
    seen.expect("close code", code, 1009)


async def get_connection(target: Target, seen: Observed) -> None:
    client, connection_id = await _open(target, seen)
    async with client:
        api = target.management()
        info = await asyncio.to_thread(api.get_connection, ConnectionId=connection_id)
    info.pop("ResponseMetadata", None)
    seen.expect("fields", sorted(info), ["ConnectedAt", "Identity", "LastActiveAt"])
    identity = info.get("Identity") or {}
    seen.expect("Identity's fields", sorted(identity), ["SourceIp", "UserAgent"])
    seen.expect("Identity.UserAgent", identity.get("UserAgent"), "targets-suite/1")
    connected_at = info.get("ConnectedAt")
    seen.expect_true(
        "ConnectedAt",
        connected_at is not None and abs(connected_at.timestamp() - time.time()) < 600,
        "not within 10 minutes of now (AWS: when it connected)",
    )


async def binary_frame(target: Target, seen: Observed) -> None:
    client, _ = await _open(target, seen)
    with contextlib.suppress(ConnectionClosed):
        await client.send(b"\x00\x01binary")
    code, _ = await _closed(client, target)
    seen.expect("close code", code, 1003)


async def frame_over_32_kb(target: Target, seen: Observed) -> None:
    client, _ = await _open(target, seen)
    with contextlib.suppress(ConnectionClosed):
        await client.send(json.dumps({"service": "chat", "action": "join", "pad": "x" * 32 * 1024}))
    code, _ = await _closed(client, target)
    seen.expect("close code", code, 1009)


SCENARIOS = (
    Scenario(
        "connect-event",
        "CONNECT: the client's headers without Connection and Upgrade, plus X-Forwarded-For,"
        " -Port, -Proto and X-Amzn-Trace-Id (X-Forwarded-For the identity's sourceIp);"
        " queryStringParameters; requestContext's fields,"
        " requestId the same as extendedRequestId",
        MAPPING_REFERENCE,
        connect_event,
    ),
    Scenario(
        "message-event",
        "MESSAGE: body the frame's text, a messageId (its tail the connectionId's, as"
        " captured), no headers",
        MAPPING_REFERENCE,
        message_event,
    ),
    Scenario(
        "two-way-route",
        "a route with a $default route response sends the function's body to the caller",
        ROUTE_RESPONSE,
        two_way_route,
    ),
    Scenario(
        "no-route-forbidden",
        "no route matches and there is no $default: the caller gets"
        ' {"message": "Forbidden", "connectionId", "requestId"} (AWS documents only the $default'
        " fallback; the frame is as observed, aws-samples/simple-websockets-chat-app issue 24)",
        ROUTES,
        no_route_is_forbidden,
    ),
    Scenario(
        "function-error",
        'a function error on a message route: the caller gets {"message": "Internal server'
        ' error", "connectionId", "requestId"} (the shape as observed,'
        " aws-samples/simple-websockets-chat-app issue 42)",
        ROUTES,
        function_error,
    ),
    Scenario(
        "close-code-reason",
        "$disconnect carries the client's close code and reason",
        INTEGRATION_REQUESTS,
        close_code_and_reason,
    ),
    Scenario(
        "close-without-status",
        '$disconnect of a close frame without a status: 1005, "Client-side close frame status'
        " not set\"; the DISCONNECT event's headers are the captures' fixed set",
        INTEGRATION_REQUESTS,
        close_without_status,
    ),
    Scenario(
        "delete-connection",
        'DeleteConnection closes the client with 1000; $disconnect: 1000, "Connection Closed'
        ' Normally" (as recorded, boto/boto3 issue 3789)',
        CONNECTIONS_API,
        delete_connection,
    ),
    Scenario(
        "connect-refused",
        "$connect answering 400 refuses the handshake with 400",
        SUBPROTOCOL,
        connect_refused,
    ),
    Scenario(
        "subprotocol",
        "the Sec-WebSocket-Protocol $connect answers is the one the handshake selects",
        SUBPROTOCOL,
        subprotocol,
    ),
    Scenario(
        "gone-during-connect",
        "until $connect's integration has returned there is no connection: a post is 410;"
        " once it has, a post arrives",
        f"{CONNECT_DISCONNECT}; {GONE}",
        gone_during_connect,
    ),
    Scenario(
        "gone-after-close",
        "a post to a closed connection is 410 GoneException",
        CONNECTIONS_API,
        gone_after_close,
    ),
    Scenario(
        "fragmented-message",
        "a message over 32 KB sent in frames of 32 KB or less is taken (up to 128 KB)",
        f"{QUOTAS}; {ROUTES}",
        fragmented_message,
    ),
    Scenario(
        "message-over-128kb-1009",
        "a message over 128 KB, even in frames of 32 KB or less, closes the connection with 1009",
        f"{QUOTAS}; {ROUTES}",
        message_over_128_kb,
    ),
    Scenario(
        "get-connection",
        "GetConnection answers the connection's ConnectedAt, Identity (SourceIp, UserAgent)"
        " and LastActiveAt",
        f"{CONNECTIONS_API}; botocore's apigatewaymanagementapi model",
        get_connection,
    ),
    Scenario(
        "binary-frame-1003",
        "a binary frame from a client closes the connection with 1003",
        BINARY,
        binary_frame,
    ),
    Scenario(
        "frame-over-32kb-1009",
        "a frame over 32 KB closes the connection with 1009",
        f"{QUOTAS}; {ROUTES}",
        frame_over_32_kb,
    ),
)


async def _error_frame(
    target: Target, seen: Observed, client: Any, connection_id: str, message: str
) -> dict[str, Any] | None:
    """The next frame, checked as API Gateway's error frame: ``message``, the caller's
    connectionId and a requestId (None when it is not a JSON object at all)."""
    try:
        reply = await asyncio.wait_for(client.recv(), target.patience)
    except TimeoutError:
        raise seen.stop(f"no reply within {target.patience:.0f} s") from None
    try:
        frame = json.loads(reply)
    except (TypeError, ValueError):
        frame = reply
    if not seen.expect_true("reply", isinstance(frame, dict), f"not a JSON object: {reply!r:.60}"):
        return None
    seen.expect("message", frame.get("message"), message)
    seen.expect("fields", sorted(frame), ["connectionId", "message", "requestId"])
    seen.expect("connectionId is the caller's", frame.get("connectionId") == connection_id, True)
    return dict(frame)
