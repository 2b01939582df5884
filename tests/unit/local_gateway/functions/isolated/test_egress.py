"""The egress proxy tunnels a function's traffic to the gateway's own hosts only, knows a
function by the proxy password drawn for it, and cannot be made to grow the log or its
memory by another program (local_gateway/functions/isolated/egress.py)."""

from __future__ import annotations

import asyncio
import base64
import logging

import pytest

from local_gateway.functions.isolated.egress import EgressProxy


def _auth(user: str, password: str) -> str:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return f"Proxy-Authorization: Basic {token}\r\n"


async def _ask(port: int, target: str, headers: str = "") -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n{headers}\r\n".encode())
    line = await asyncio.wait_for(reader.readline(), 10)
    writer.close()
    return line


async def test_only_a_functions_own_credentials_are_served_and_refusals_are_bounded(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, "local_gateway")
    proxy = EgressProxy({}, {"Fn": "its-password"}, max_reported=2)
    port = await proxy.start()
    try:
        assert b" 407 " in await _ask(port, "example.com:443")
        assert b" 407 " in await _ask(port, "example.com:443", _auth("Fn", "guessed"))
        page = _auth("Fn", "its-password") + "Origin: http://evil.example\r\n"
        assert b" 403 " in await _ask(port, "example.com:443", page)
        assert caplog.records == []  # none of those is a function's: nothing logged
        for n in range(5):
            line = await _ask(port, f"host{n}.example:443", _auth("Fn", "its-password"))
            assert b" 403 " in line
        assert len(caplog.records) == 2
        assert "Fn tried to reach host0.example:443" in caplog.records[0].getMessage()
        assert proxy.unreported == 3
    finally:
        await proxy.stop()
