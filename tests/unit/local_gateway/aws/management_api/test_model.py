"""The registry's posts: verdicts given at once (gone, too large, the client's buffer full),
frames written at the end of the loop's turn, in order."""

from __future__ import annotations

import asyncio
from typing import cast

import pytest
from aiohttp import web

from local_gateway.aws.management_api.model import (
    MAX_BUFFERED_BYTES,
    MAX_POST_BYTES,
    ConnectionRegistry,
)
from local_gateway.errors import (
    BadRequestException,
    GoneException,
    LimitExceededException,
    PayloadTooLargeException,
)
from tests.unit.local_gateway.fake_socket import FakeSocket, FakeTransport, open_client, settle


async def test_accept_gives_each_verdict_before_anything_is_sent() -> None:
    registry = ConnectionRegistry()
    transport = FakeTransport()
    open_client(registry, "a", FakeSocket(), transport)
    failures, accepted = registry.accept(
        [
            ("a", b"one"),
            ("goneAAAAAAAAAAA=", b"two"),
            ("not-an-id", b"three"),
            ("a", b"x" * (MAX_POST_BYTES + 1)),
        ]
    )
    assert isinstance(failures["goneAAAAAAAAAAA="], GoneException)
    assert isinstance(failures["not-an-id"], BadRequestException)
    assert failures["not-an-id"].message == "Invalid connectionId: not-an-id"
    assert isinstance(failures["a"], PayloadTooLargeException)
    assert [data for _, data in accepted] == [b"one"]
    assert transport.writes == []


async def test_accepted_posts_arrive_in_order_as_text_or_binary() -> None:
    registry = ConnectionRegistry()
    transport = FakeTransport()
    open_client(registry, "a", FakeSocket(), transport)
    for batch in ([("a", b"1"), ("a", b"2")], [("a", b"\xff3")]):
        registry.send_accepted(registry.accept(batch)[1])
    await settle()
    assert transport.frames == ["1", "2", b"\xff3"]
    assert len(transport.writes) == 1  # queued in one turn of the loop: written at once


async def test_a_post_before_the_handshake_ends_waits_for_the_socket() -> None:
    registry = ConnectionRegistry()
    connection = open_client(registry, "a")
    await registry.post("a", b"early")
    await settle()
    assert connection.backlog() == len(b"early")
    transport = FakeTransport()
    registry.attach(
        "a", cast(web.WebSocketResponse, FakeSocket()), cast(asyncio.Transport, transport)
    )
    await registry.post("a", b"then")
    await settle()
    assert transport.frames == ["early", "then"]
    assert connection.backlog() == 0


async def test_a_client_gone_after_the_verdict_is_skipped_not_raised() -> None:
    registry = ConnectionRegistry()
    leaving, staying = FakeSocket(), FakeSocket()
    leaving_transport, staying_transport = FakeTransport(), FakeTransport()
    open_client(registry, "leaving", leaving, leaving_transport)
    open_client(registry, "staying", staying, staying_transport)
    _, accepted = registry.accept([("leaving", b"x"), ("staying", b"y")])
    leaving.closed = True
    registry.send_accepted(accepted)
    await settle()
    assert leaving_transport.writes == []
    assert staying_transport.frames == ["y"]


async def test_a_client_that_does_not_read_gets_429_once_its_buffer_is_full() -> None:
    registry = ConnectionRegistry()
    slow, quick = FakeTransport(buffered=MAX_BUFFERED_BYTES - 10), FakeTransport()
    open_client(registry, "slow", FakeSocket(), slow)
    open_client(registry, "quick", FakeSocket(), quick)
    failures, accepted = registry.accept([("slow", b"0123456789"), ("quick", b"q")])
    assert failures == {}  # exactly full is not over
    registry.send_accepted(accepted)
    failures, accepted = registry.accept([("slow", b"!"), ("quick", b"r")])
    refused = failures["slow"]
    assert isinstance(refused, LimitExceededException)
    assert (refused.status, refused.code) == (429, "LimitExceededException")
    assert [connection.meta.connection_id for connection, _ in accepted] == ["quick"]
    registry.send_accepted(accepted)
    await settle()
    assert slow.frames == ["0123456789"]  # nothing lost of what was taken
    assert quick.frames == ["q", "r"]  # and the others are not held up


async def test_post_raises_the_verdict_of_a_full_buffer() -> None:
    registry = ConnectionRegistry()
    open_client(registry, "slow", FakeSocket(), FakeTransport(buffered=MAX_BUFFERED_BYTES))
    with pytest.raises(LimitExceededException) as refused:
        await registry.post("slow", b"x")
    assert refused.value.connection_id == "slow"


async def test_close_writes_what_was_posted_before_it() -> None:
    registry = ConnectionRegistry()
    socket, transport = FakeSocket(), FakeTransport()
    open_client(registry, "a", socket, transport)
    await registry.post("a", b"last words")
    closes: list[int] = []

    async def close(code: int, message: bytes) -> None:
        closes.append(len(transport.writes))
        socket.closed = True

    socket.close = close  # type: ignore[attr-defined]
    await registry.close("a")
    await settle()
    assert transport.frames == ["last words"]
    assert closes == [1]  # the frame was written before the close began


def test_a_post_while_connect_runs_is_410_and_says_why(caplog: pytest.LogCaptureFixture) -> None:
    """ "A message was posted to the WebSocket API before the connection was established":
    410 GoneException (https://repost.aws/knowledge-center/410-gone-api-gateway)."""
    registry = ConnectionRegistry()
    registry.connecting.add("newAAAAAAAAAAAA=")
    failures, accepted = registry.accept([("newAAAAAAAAAAAA=", b"too early")])
    assert isinstance(failures["newAAAAAAAAAAAA="], GoneException)
    assert accepted == []
    assert "while its $connect runs: 410 GoneException" in caplog.text
