"""`serverless-chat connect` with stdin as a pipe, against a live gateway."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import pytest
from websockets.asyncio.client import connect

from serverless_chat.chat.replies import USAGE_PREFIX
from serverless_chat.gateway.server import LocalGateway
from tests.integration.conftest import recv


def _client(url: str, stdin: str, *flags: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "serverless_chat.cli", "connect", url, "--wait", "1", *flags],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=30,
    )


async def test_lines_become_send_message_and_replies_are_printed(chat: LocalGateway) -> None:
    async with connect(chat.url) as listener:
        result = await asyncio.to_thread(_client, chat.url, 'Hello AWS\n{"action": "whatever"}\n')
        assert await recv(listener) == "Hello AWS"
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(USAGE_PREFIX)
    assert "Traceback" not in result.stderr


async def test_raw_sends_lines_untouched(chat: LocalGateway) -> None:
    async with connect(chat.url) as listener:
        result = await asyncio.to_thread(_client, chat.url, "plain words\n", "--raw")
        # Not JSON, so $default answered the client; the listener heard nothing.
        assert result.stdout.startswith(USAGE_PREFIX)
        try:
            await asyncio.wait_for(listener.recv(), 0.2)
            raise AssertionError("the listener should hear nothing")
        except TimeoutError:
            pass


@pytest.mark.parametrize(
    ("flags", "printed"),
    [((), ["ana: to the terminal"]), (("--format", "raw"), ["to the terminal"])],
)
async def test_received_frames_are_printed(
    chat: LocalGateway, flags: tuple[str, ...], printed: list[str]
) -> None:
    async with connect(chat.url + "?name=ana") as talker:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "serverless_chat.cli",
            "connect",
            chat.url,
            "--wait",
            "2",
            *flags,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        while len(chat.registry) < 2:
            await asyncio.sleep(0.02)
        await talker.send('{"action": "sendMessage", "message": "to the terminal"}')
        assert process.stdin is not None
        process.stdin.close()
        out, _ = await asyncio.wait_for(process.communicate(), 10)
    assert out.decode().splitlines() == printed


def test_connection_refused_is_one_clear_error() -> None:
    result = _client("ws://127.0.0.1:9/production", "")
    assert result.returncode == 1
    assert "cannot connect" in result.stderr
    assert "Traceback" not in result.stderr


def test_not_a_websocket_url() -> None:
    result = _client("http://example.invalid/", "")
    assert result.returncode == 2
    assert "not a ws:// or wss:// URL" in result.stderr
