"""Who may talk to the gateway on this machine (local_gateway/server/guards/guard.py): its own Host
names only (no DNS rebinding), browsers only from its own origins or --allow-origin, the
callback and Invoke APIs never from web pages; a ping flood is bounded; connections are
capped with a clear refusal; the state folder is the owner's alone."""

from __future__ import annotations

import asyncio
import json
import stat
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from tests.conftest import TEMPLATE
from tests.integration.conftest import recv, signed_headers, start_gateway


async def test_a_foreign_host_is_refused(tmp_path: Path) -> None:
    gateway = await start_gateway(TEMPLATE, tmp_path / "state")
    try:
        async with aiohttp.ClientSession() as session:
            async with session.get(gateway.page_url, headers={"Host": "attacker.example"}) as page:
                assert page.status == 403
            async with session.get(gateway.page_url) as page:
                assert page.status == 200
        port = int(gateway.url.split(":")[2].split("/")[0])
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(
            b"GET /production HTTP/1.1\r\nHost: attacker.example\r\nUpgrade: websocket\r\n"
            b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            b"Sec-WebSocket-Version: 13\r\n\r\n"
        )
        assert b" 403 " in await reader.readline()
        writer.close()
    finally:
        await gateway.stop()


async def test_browsers_connect_only_from_allowed_origins(tmp_path: Path) -> None:
    gateway = await start_gateway(
        TEMPLATE, tmp_path / "state", allow_origins=("http://localhost:5173",)
    )
    own = gateway.page_url.rstrip("/")
    try:
        for origin in (own, "http://localhost:5173"):
            async with connect(gateway.url, origin=origin):  # type: ignore[arg-type]
                pass
        with pytest.raises(InvalidStatus) as caught:
            await connect(gateway.url, origin="https://evil.example")  # type: ignore[arg-type]
        assert caught.value.response.status_code == 403
        async with connect(gateway.url):  # a program sends no Origin
            pass
    finally:
        await gateway.stop()


@pytest.mark.parametrize(
    "header", [("Origin", "https://evil.example"), ("Sec-Fetch-Site", "cross-site")]
)
async def test_web_pages_cannot_call_the_callback_api(
    tmp_path: Path, header: tuple[str, str]
) -> None:
    gateway = await start_gateway(TEMPLATE, tmp_path / "state")
    try:
        async with connect(gateway.url):
            (cid,) = gateway.registry.ids()
            async with aiohttp.ClientSession() as session:
                url = f"{gateway.callback_url}/@connections/{cid}"
                async with session.post(url, data=b"x", headers=dict([header])) as answer:
                    assert answer.status == 403
                headers = signed_headers("POST", url, b"x")
                async with session.post(url, data=b"x", headers=headers) as answer:
                    assert answer.status == 200
    finally:
        await gateway.stop()


async def test_a_ping_flood_is_closed(tmp_path: Path) -> None:
    gateway = await start_gateway(TEMPLATE, tmp_path / "state")
    try:
        async with connect(gateway.url) as client:
            for _ in range(200):
                try:
                    await client.ping()
                except Exception:
                    break
            await asyncio.wait_for(client.wait_closed(), 30)
        assert client.close_code == 1008
    finally:
        await gateway.stop()


async def test_connections_over_the_cap_are_refused_clearly(tmp_path: Path) -> None:
    gateway = await start_gateway(TEMPLATE, tmp_path / "state", max_connections=2)
    try:
        async with connect(gateway.url), connect(gateway.url):
            with pytest.raises(InvalidStatus) as caught:
                await connect(gateway.url)
            assert caught.value.response.status_code == 503
            assert b"this gateway holds 2" in caught.value.response.body
    finally:
        await gateway.stop()


async def test_the_state_folder_is_the_owners_alone(tmp_path: Path) -> None:
    gateway = await start_gateway(TEMPLATE, tmp_path / "state")
    await gateway.stop()
    assert stat.S_IMODE((tmp_path / "state").stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "state" / "tls" / "gateway-key.pem").stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "state" / "tls").stat().st_mode) == 0o700


@pytest.mark.parametrize("trickle", [False, True])
async def test_a_silent_or_trickling_client_is_dropped(tmp_path: Path, trickle: bool) -> None:
    """A client that connects and sends nothing, or a header byte at a time, holds a socket
    for at most the handshake timeout."""
    gateway = await start_gateway(TEMPLATE, tmp_path / "state", handshake_timeout=0.5)
    try:
        port = int(gateway.url.split(":")[2].split("/")[0])
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        if trickle:
            writer.write(b"GET /production HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            for byte in b"X-Slow: 1111111111111111111111111111111":
                writer.write(bytes([byte]))
                await asyncio.sleep(0.05)
                if reader.at_eof():
                    break
        # Closed by the handshake timeout; a socket held on would outlast this deadline.
        try:
            answer = await asyncio.wait_for(reader.read(), 30)
        except ConnectionResetError:  # closed while it still wrote: the kernel sends a reset
            answer = b""
        assert answer in (b"", b"HTTP/1.1 408")
        writer.close()
    finally:
        await gateway.stop()


async def test_a_pong_flood_is_closed_and_others_are_answered_meanwhile(tmp_path: Path) -> None:
    """Unsolicited pongs count against the same budget as pings (RFC 6455 §5.5.3 allows
    them; nothing obliges a server to read ten thousand): the flooding client is closed with
    1008, and another client's request is answered meanwhile."""
    gateway = await start_gateway(TEMPLATE, tmp_path / "state")
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", urlsplit(gateway.url).port)
        writer.write(
            f"GET /{gateway.api.stage} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n".encode()
        )
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
        assert head.startswith(b"HTTP/1.1 101")
        empty_masked_pong = b"\x8a\x80\x00\x00\x00\x00"
        writer.write(empty_masked_pong * 10_000)
        async with connect(gateway.url) as other:
            await other.send(json.dumps({"action": "who"}))
            assert json.loads(await recv(other, 30))["type"] == "who"
        closing = await asyncio.wait_for(reader.read(4096), 30)
        close_at = closing.index(b"\x88")
        code = int.from_bytes(closing[close_at + 2 : close_at + 4], "big")
        assert code == 1008
        writer.close()
    finally:
        await gateway.stop()
