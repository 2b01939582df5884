"""API Gateway's limits, enforced by the gateway (set small here): idle timeout, connection
duration, frame and message size, and clients that vanish without a close frame."""

from __future__ import annotations

import asyncio
import base64
import json
import os
from pathlib import Path

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from local_gateway import LocalGateway
from tests.conftest import TEMPLATE
from tests.integration.conftest import chat_app, recv, start_gateway
from tests.stores import every_row


def _rows(gateway: LocalGateway) -> int:
    return len(every_row(chat_app(gateway).connection_store("serverless-chat-ConnectionsTable")))


async def _until(predicate: object, timeout: float = 30.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():  # type: ignore[operator]
        assert asyncio.get_running_loop().time() < deadline
        await asyncio.sleep(0.05)


async def test_an_idle_connection_is_closed_and_forgotten(tmp_path: Path) -> None:
    """Idle connection timeout 10 minutes (API Gateway's WebSocket quotas). AWS documents no
    close reason; recorded $disconnect events ~10 minutes after a connect show 1001
    "Going away", which the gateway uses (docs/local-gateway.md says it is an inference)."""
    gateway = await start_gateway(TEMPLATE, tmp_path / "s", idle_timeout=0.4)
    try:
        client = await connect(gateway.url)
        await asyncio.wait_for(client.wait_closed(), 30)
        assert client.close_code == 1001
        assert client.close_reason == "Going away"
        await _until(lambda: _rows(gateway) == 0)
    finally:
        await gateway.stop()


async def test_a_busy_connection_still_ends_at_the_maximum_duration(tmp_path: Path) -> None:
    gateway = await start_gateway(
        TEMPLATE, tmp_path / "s", idle_timeout=5, max_connection_duration=0.6
    )
    try:
        client = await connect(gateway.url)
        try:
            for _ in range(40):
                await client.send(json.dumps({"action": "who"}))
                await recv(client)
                await asyncio.sleep(0.05)
        except ConnectionClosed:
            pass
        await asyncio.wait_for(client.wait_closed(), 30)
        assert client.close_code == 1001
        assert client.close_reason == "Going away"
    finally:
        await gateway.stop()


async def test_a_frame_over_the_limit_closes_with_1009(tmp_path: Path) -> None:
    gateway = await start_gateway(TEMPLATE, tmp_path / "s", max_frame_bytes=1024)
    try:
        a, b = await connect(gateway.url), await connect(gateway.url)
        await a.send(json.dumps({"action": "sendMessage", "message": "x" * 900}))
        assert await recv(b) == "x" * 900
        await a.send(json.dumps({"action": "sendMessage", "message": "é" * 600}))  # 1.2 KB
        await asyncio.wait_for(a.wait_closed(), 30)
        assert a.close_code == 1009
        await b.close()
    finally:
        await gateway.stop()


async def test_a_message_over_128_kb_closes_with_1009(chat: LocalGateway) -> None:
    chat.config.max_frame_bytes = 10**9
    client = await connect(chat.url, max_size=None)
    await client.send("x" * (128 * 1024 + 1))
    await asyncio.wait_for(client.wait_closed(), 30)
    assert client.close_code == 1009


async def test_a_client_that_vanishes_without_a_close_frame_is_disconnected(
    tmp_path: Path,
) -> None:
    gateway = await start_gateway(TEMPLATE, tmp_path / "s", ping_interval=0.2)
    try:
        host, port = "127.0.0.1", int(gateway.url.split(":")[2].split("/")[0])
        reader, writer = await asyncio.open_connection(host, port)
        key = base64.b64encode(os.urandom(16)).decode()
        writer.write(
            f"GET /production HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n".encode()
        )
        await writer.drain()
        assert b"101" in await reader.readline()
        await _until(lambda: _rows(gateway) == 1)
        # ... and now it never answers a ping, as a client whose network went away.
        await _until(lambda: _rows(gateway) == 0, timeout=30)
        assert gateway.registry.ids() == []
        writer.close()
    finally:
        await gateway.stop()
