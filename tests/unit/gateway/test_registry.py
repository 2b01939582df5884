"""The registry's batched posts: verdicts given at once, frames written later, in order."""

from __future__ import annotations

import asyncio
from typing import Any, cast

from aiohttp import WSMsgType, web

from serverless_chat.errors import ConnectionGone, PayloadTooLarge
from serverless_chat.gateway.events import ConnectionMeta
from serverless_chat.gateway.registry import MAX_POST_BYTES, ConnectionRegistry


class FakeSocket:
    """What the registry uses of an aiohttp WebSocketResponse."""

    def __init__(self) -> None:
        self.closed = False
        self.frames: list[Any] = []

    async def send_frame(self, data: bytes, opcode: WSMsgType) -> None:
        if self.closed:
            raise ConnectionResetError("closed")
        self.frames.append(data.decode() if opcode == WSMsgType.TEXT else data)


def _open(registry: ConnectionRegistry, cid: str, socket: FakeSocket | None) -> None:
    connection = registry.open(ConnectionMeta(cid, 0, "127.0.0.1"))
    connection.socket = cast(web.WebSocketResponse, socket)


async def _settle() -> None:
    for _ in range(3):
        await asyncio.sleep(0)


async def test_accept_gives_each_verdict_before_anything_is_sent() -> None:
    registry = ConnectionRegistry()
    socket = FakeSocket()
    _open(registry, "a", socket)
    failures, accepted = registry.accept(
        [("a", b"one"), ("gone", b"two"), ("a", b"x" * (MAX_POST_BYTES + 1))]
    )
    assert isinstance(failures["gone"], ConnectionGone)
    assert isinstance(failures["a"], PayloadTooLarge)
    assert [data for _, data in accepted] == [b"one"]
    assert socket.frames == []


async def test_accepted_posts_arrive_in_order_as_text_or_binary() -> None:
    registry = ConnectionRegistry()
    socket = FakeSocket()
    _open(registry, "a", socket)
    for batch in ([("a", b"1"), ("a", b"2")], [("a", b"\xff3")]):
        registry.send_accepted(registry.accept(batch)[1])
    await _settle()
    assert socket.frames == ["1", "2", b"\xff3"]


async def test_a_post_before_the_handshake_ends_waits_for_the_socket() -> None:
    registry = ConnectionRegistry()
    _open(registry, "a", None)
    registry.send_accepted(registry.accept([("a", b"early")])[1])
    await _settle()
    socket = FakeSocket()
    await registry.attach("a", cast(web.WebSocketResponse, socket))
    assert socket.frames == ["early"]


async def test_a_client_gone_after_the_verdict_is_skipped_not_raised() -> None:
    registry = ConnectionRegistry()
    leaving, staying = FakeSocket(), FakeSocket()
    _open(registry, "leaving", leaving)
    _open(registry, "staying", staying)
    _, accepted = registry.accept([("leaving", b"x"), ("staying", b"y")])
    leaving.closed = True
    registry.send_accepted(accepted)
    await _settle()
    assert leaving.frames == []
    assert staying.frames == ["y"]
