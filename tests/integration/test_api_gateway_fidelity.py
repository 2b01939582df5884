"""What a handshake, a message and a close turn into, through real sockets, compared with
what API Gateway documents and what recorded events show (tests/fixtures/recorder writes
down every event its function gets).

Sources: "Setting up a $connect route that requires a WebSocket subprotocol"
(https://docs.aws.amazon.com/apigateway/latest/developerguide/websocket-connect-route-subprotocol.html);
the $disconnect example input ("disconnectStatusCode: 1005, disconnectReason: 'Client-side
close frame status not set'", "Setting up a WebSocket API integration request"); recorded
$disconnect events after DeleteConnection ("disconnectStatusCode": 1000,
"disconnectReason": "Connection Closed Normally", boto/boto3 issue 3789); the selection
expression table of "Working with routes for WebSocket APIs"; captured CONNECT events
(tests/fixtures/events).
"""

from __future__ import annotations

import asyncio
import json
import socket
import ssl
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from local_gateway import LocalGateway
from tests.conftest import FIXTURES
from tests.integration.conftest import recv, start_gateway

RECORDER = FIXTURES / "recorder" / "template.yaml"
HANDSHAKE = (
    b"GET /test HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
)


class Recorded:
    def __init__(self, path: Path) -> None:
        self.path = path

    def events(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        return [json.loads(line) for line in self.path.read_text().splitlines()]

    def of(self, route_key: str) -> list[dict[str, Any]]:
        return [e for e in self.events() if e["requestContext"]["routeKey"] == route_key]

    async def until(self, route_key: str, count: int = 1) -> list[dict[str, Any]]:
        for _ in range(600):  # 30 s: a busy machine may take long
            found = self.of(route_key)
            if len(found) >= count:
                return found
            await asyncio.sleep(0.05)
        raise AssertionError(f"no {route_key} event recorded: {self.events()}")


@pytest.fixture
async def recorder(tmp_path: Path) -> AsyncIterator[tuple[LocalGateway, Recorded]]:
    record = tmp_path / "events.jsonl"
    gateway = await start_gateway(
        RECORDER, tmp_path / "state", parameters={"RecordFile": str(record)}
    )
    yield gateway, Recorded(record)
    await gateway.stop()


async def test_the_subprotocol_connect_returns_is_the_one_selected(
    recorder: tuple[LocalGateway, Recorded],
) -> None:
    gateway, _ = recorder
    async with connect(
        gateway.url + "?protocol=myprotocol", subprotocols=["chat1", "myprotocol"]
    ) as client:  # type: ignore[list-item]
        assert client.subprotocol == "myprotocol"


async def test_connect_refusing_with_400_refuses_the_handshake(
    recorder: tuple[LocalGateway, Recorded],
) -> None:
    gateway, _ = recorder
    with pytest.raises(InvalidStatus) as caught:
        await connect(gateway.url + "?status=400")
    assert caught.value.response.status_code == 400


async def test_the_connect_event_has_api_gateways_headers_and_not_the_upgrades(
    recorder: tuple[LocalGateway, Recorded],
) -> None:
    gateway, recorded = recorder
    async with connect(gateway.url + "?room=a", user_agent_header="fidelity-test/1"):
        (event,) = await recorded.until("$connect")
    headers = event["headers"]
    assert "Connection" not in headers
    assert "Upgrade" not in headers
    assert headers["X-Forwarded-For"] == "127.0.0.1"
    assert headers["X-Forwarded-Proto"] == "http"
    assert headers["X-Amzn-Trace-Id"].startswith("Root=1-")
    assert event["queryStringParameters"] == {"room": "a"}
    context = event["requestContext"]
    assert context["identity"] == {"sourceIp": "127.0.0.1", "userAgent": "fidelity-test/1"}
    assert context["requestId"] == context["extendedRequestId"]
    assert context["domainName"] == gateway.execute_api_host


async def test_a_trailing_slash_connects_as_on_aws(recorder: tuple[LocalGateway, Recorded]) -> None:
    gateway, _ = recorder
    async with connect(gateway.url + "/") as client:
        await client.send(json.dumps({"service": "chat", "action": "join"}))
        assert await recv(client) == "joined"


async def test_a_close_without_a_status_reaches_disconnect_as_1005(
    recorder: tuple[LocalGateway, Recorded],
) -> None:
    gateway, recorded = recorder
    port = int(gateway.url.split(":")[2].split("/")[0])
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(HANDSHAKE)
    assert b"101" in await reader.readline()
    writer.write(b"\x88\x80" + b"\x01\x02\x03\x04")  # a masked close frame, no payload
    await writer.drain()
    (event,) = await recorded.until("$disconnect")
    writer.close()
    assert event["requestContext"]["disconnectStatusCode"] == 1005
    assert event["requestContext"]["disconnectReason"] == "Client-side close frame status not set"
    assert set(event["headers"]) == {"Host", "x-api-key", "X-Forwarded-For", "x-restapi"}


def _masked_text(text: str) -> bytes:
    data = text.encode()
    mask = b"\x01\x02\x03\x04"
    assert len(data) < 126
    return (
        bytes([0x81, 0x80 | len(data)]) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data))
    )


async def _close_frame(reader: asyncio.StreamReader) -> bytes:
    """The payload of the first close frame the server sends (text frames skipped)."""
    while True:
        first, second = await asyncio.wait_for(reader.readexactly(2), 30)
        payload = await reader.readexactly(second & 0x7F)  # server frames here are short
        if first & 0x0F == 0x8:
            return payload


async def test_an_unmasked_frame_fails_the_connection_with_1002(
    recorder: tuple[LocalGateway, Recorded],
) -> None:
    """RFC 6455, section 5.1: "The server MUST close the connection upon receiving a frame
    that is not masked ... with a status code of 1002 (protocol error)". A masked frame
    before it, in the same write, is still taken."""
    gateway, recorded = recorder
    port = int(gateway.url.split(":")[2].split("/")[0])
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(HANDSHAKE)
    await reader.readuntil(b"\r\n\r\n")
    unmasked = b"\x81\x05hello"
    writer.write(_masked_text(json.dumps({"service": "chat", "action": "join"})) + unmasked)
    await writer.drain()
    close = await _close_frame(reader)
    writer.close()
    assert int.from_bytes(close[:2], "big") == 1002
    (event,) = await recorded.until("$disconnect")
    assert event["requestContext"]["disconnectStatusCode"] == 1002
    assert event["requestContext"]["disconnectReason"] == "Frames from a client must be masked"
    assert len(recorded.of("chat/join")) == 1


async def test_wss_takes_masked_frames_and_fails_an_unmasked_one(
    recorder: tuple[LocalGateway, Recorded], tmp_path: Path
) -> None:
    """The same over TLS (the gateway's wss:// port, what https://{domainName} reaches)."""
    gateway, recorded = recorder
    trust = ssl.create_default_context(cafile=tmp_path / "state" / "tls" / "gateway-cert.pem")
    async with connect(gateway.tls_url, ssl=trust) as client:
        await client.send(json.dumps({"service": "chat", "action": "join"}))
        assert await recv(client) == "joined"
    port = int(gateway.tls_url.split(":")[2].split("/")[0])
    reader, writer = await asyncio.open_connection("127.0.0.1", port, ssl=trust)
    writer.write(HANDSHAKE)
    await reader.readuntil(b"\r\n\r\n")
    writer.write(b"\x81\x05hello")
    await writer.drain()
    close = await _close_frame(reader)
    writer.close()
    assert int.from_bytes(close[:2], "big") == 1002
    events = await recorded.until("$disconnect", 2)
    assert events[-1]["requestContext"]["disconnectStatusCode"] == 1002


async def test_a_close_code_and_reason_are_passed_on(
    recorder: tuple[LocalGateway, Recorded],
) -> None:
    gateway, recorded = recorder
    client = await connect(gateway.url)
    await client.close(code=4001, reason="bye now")
    (event,) = await recorded.until("$disconnect")
    assert event["requestContext"]["disconnectStatusCode"] == 4001
    assert event["requestContext"]["disconnectReason"] == "bye now"


async def test_delete_connection_closes_with_1000_and_disconnect_hears_why(
    recorder: tuple[LocalGateway, Recorded],
) -> None:
    gateway, recorded = recorder
    async with connect(gateway.url) as client:
        (connected,) = await recorded.until("$connect")
        api = boto3.client(
            "apigatewaymanagementapi",
            endpoint_url=gateway.callback_url,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        cid = connected["requestContext"]["connectionId"]
        await asyncio.to_thread(api.delete_connection, ConnectionId=cid)
        await asyncio.wait_for(client.wait_closed(), 30)
    assert client.close_code == 1000
    (event,) = await recorded.until("$disconnect")
    assert event["requestContext"]["disconnectStatusCode"] == 1000
    assert event["requestContext"]["disconnectReason"] == "Connection Closed Normally"


async def test_a_composite_selection_expression_routes_and_no_match_is_forbidden(
    recorder: tuple[LocalGateway, Recorded],
) -> None:
    gateway, recorded = recorder
    async with connect(gateway.url) as client:
        await client.send(json.dumps({"service": "chat", "action": "join"}))
        assert await recv(client) == "joined"
        await client.send(json.dumps({"service": "chat", "action": "leave"}))
        frame = json.loads(await recv(client))
        assert frame["message"] == "Forbidden"
        assert set(frame) == {"message", "connectionId", "requestId"}
    (message,) = recorded.of("chat/join")
    assert (
        message["requestContext"]["messageId"][8:] == message["requestContext"]["connectionId"][8:]
    )


async def test_a_client_that_leaves_during_the_handshake_still_gets_its_disconnect(
    recorder: tuple[LocalGateway, Recorded],
) -> None:
    """API Gateway runs $disconnect for every connection it accepted; a client that sends
    the upgrade and closes before reading the 101 must not stay registered."""
    gateway, recorded = recorder
    port = int(gateway.url.split(":")[2].split("/")[0])
    with socket.create_connection(("127.0.0.1", port)) as raw:
        raw.sendall(HANDSHAKE)
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    await recorded.until("$disconnect")
    for _ in range(600):
        if not gateway.registry.ids():
            break
        await asyncio.sleep(0.05)
    assert gateway.registry.ids() == []
