"""What a handshake, a message and a close turn into on the local gateway alone, through real
sockets (tests/fixtures/recorder writes down every event its function gets): what only this
target has (its own host names, TLS port, RFC 6455's masking, a client that leaves mid-
handshake). What AWS documents for every target — events field by field, close codes, the
subprotocol, a refused $connect, DeleteConnection, Forbidden — is tests/targets/, written once
and run on serve, MiniStack and a deployed stage.

Sources: RFC 6455, section 5.1; "$disconnect is a best-effort event" ("Manage connected users
and client apps: $connect and $disconnect routes",
https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-route-keys-connect-disconnect.html);
captured CONNECT events (tests/fixtures/events).
"""

from __future__ import annotations

import asyncio
import json
import socket
import ssl
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import connect

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


async def test_the_connect_event_names_this_gateways_hosts(
    recorder: tuple[LocalGateway, Recorded],
) -> None:
    """The address and host the local gateway gives its events: the client's loopback
    address, and the execute-api host its callback URL answers to."""
    gateway, recorded = recorder
    async with connect(gateway.url, user_agent_header="fidelity-test/1"):
        (event,) = await recorded.until("$connect")
    assert event["headers"]["X-Forwarded-For"] == "127.0.0.1"
    assert event["headers"]["X-Forwarded-Proto"] == "http"
    context = event["requestContext"]
    assert context["identity"] == {"sourceIp": "127.0.0.1", "userAgent": "fidelity-test/1"}
    assert context["domainName"] == gateway.execute_api_host


async def test_a_trailing_slash_connects_as_on_aws(recorder: tuple[LocalGateway, Recorded]) -> None:
    gateway, _ = recorder
    async with connect(gateway.url + "/") as client:
        await client.send(json.dumps({"service": "chat", "action": "join"}))
        assert await recv(client) == "joined"


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
