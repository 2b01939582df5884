"""The outbox: frames as another library parses them, one write a client a turn, order kept,
compressed clients through aiohttp's writer, one at a time each."""

from __future__ import annotations

import asyncio

import pytest

from local_gateway.apigateway.connection import LiveConnection
from local_gateway.apigateway.outbox import Outbox, encode_frame, run_eagerly
from local_gateway.aws.management_api.model import ConnectionRegistry
from tests.unit.local_gateway.fake_socket import (
    FakeSocket,
    FakeTransport,
    decode,
    open_client,
    settle,
)


@pytest.mark.parametrize("size", [0, 1, 125, 126, 127, 65535, 65536, 128 * 1024])
def test_a_frame_of_any_size_parses_back_to_its_data(size: int) -> None:
    data = bytes(ord("a") + i % 26 for i in range(size))
    assert decode(encode_frame(data)) == [data.decode()]


def test_utf8_is_a_text_frame_and_other_bytes_a_binary_one() -> None:
    text, binary = "héllo ✓".encode(), b"\xff\xfe\x00"
    assert decode(encode_frame(text) + encode_frame(binary)) == ["héllo ✓", binary]


def _client(name: str, socket: FakeSocket | None = None) -> tuple[LiveConnection, FakeTransport]:
    transport = FakeTransport()
    connection = open_client(ConnectionRegistry(), name, socket or FakeSocket(), transport)
    return connection, transport


async def test_what_one_turn_queues_for_a_client_leaves_in_one_write() -> None:
    outbox = Outbox()
    (a, a_wire), (b, b_wire) = _client("a"), _client("b")
    for data in (b"1", b"2", b"3"):
        outbox.put(a, data)
        outbox.put(b, data)
    assert a_wire.writes == []  # not before the end of the turn
    assert a.queued_bytes == 3
    await settle()
    assert (a_wire.frames, b_wire.frames) == (["1", "2", "3"], ["1", "2", "3"])
    assert (len(a_wire.writes), len(b_wire.writes)) == (1, 1)
    assert a.queued_bytes == 0
    outbox.put(a, b"4")  # a later turn: a write of its own
    await settle()
    assert a_wire.frames == ["1", "2", "3", "4"]
    assert len(a_wire.writes) == 2


async def test_a_closing_client_is_skipped_and_owes_nothing() -> None:
    outbox = Outbox()
    (a, a_wire), (b, b_wire) = _client("a"), _client("b")
    outbox.put(a, b"x")
    outbox.put(b, b"x")
    a_wire.closing = True
    await settle()
    assert a_wire.writes == []
    assert a.queued_bytes == 0
    assert b_wire.frames == ["x"]


async def test_compressed_clients_are_sent_in_order_and_a_stalled_one_holds_up_no_one() -> None:
    outbox = Outbox()
    stall = asyncio.Event()
    stalled_socket, quick_socket = FakeSocket(compress=True, stall=stall), FakeSocket(compress=True)
    (stalled, stalled_wire), (quick, _) = _client("s", stalled_socket), _client("q", quick_socket)
    plain, plain_wire = _client("p")
    for turn in ((b"1", b"2"), (b"3",)):
        for data in turn:
            for connection in (stalled, quick, plain):
                outbox.put(connection, data)
        await settle()
    assert quick_socket.sent == ["1", "2", "3"]
    assert plain_wire.frames == ["1", "2", "3"]
    assert stalled_socket.sent == []
    assert stalled.queued_bytes == 2  # the frame in the writer's hands counts in its buffer
    stall.set()
    await settle()
    assert stalled_socket.sent == ["1", "2", "3"]
    assert stalled_wire.writes == []  # compressed frames go through aiohttp's writer only
    assert stalled.queued_bytes == 0


async def test_a_compressed_client_that_closes_owes_nothing() -> None:
    outbox = Outbox()
    stall = asyncio.Event()
    socket = FakeSocket(compress=True, stall=stall)
    connection, _ = _client("c", socket)
    for data in (b"1", b"2", b"3"):
        outbox.put(connection, data)
    await settle()
    socket.closed = True
    stall.set()
    await settle()
    assert socket.sent == []
    assert connection.queued_bytes == 0


async def test_run_eagerly_runs_to_the_end_at_once_when_nothing_waits() -> None:
    steps: list[str] = []

    async def quick() -> None:
        steps.append("ran")

    assert run_eagerly(quick()) is None
    assert steps == ["ran"]


async def test_run_eagerly_leaves_a_task_for_the_rest_and_hands_it_results() -> None:
    steps: list[object] = []
    future: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    async def waits() -> None:
        steps.append("before")
        steps.append(await future)
        await asyncio.sleep(0)  # a bare yield too
        steps.append("after")

    task = run_eagerly(waits())
    assert task is not None
    assert steps == ["before"]
    future.set_result(42)
    await task
    assert steps == ["before", 42, "after"]


@pytest.mark.parametrize("started", [True, False])
async def test_run_eagerly_hands_a_cancellation_to_the_coroutine(started: bool) -> None:
    seen: list[str] = []

    async def waits() -> None:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            seen.append("cancelled")
            raise
        finally:
            seen.append("cleaned up")

    task = run_eagerly(waits())
    assert task is not None
    if started:
        await asyncio.sleep(0)  # the task waits for the event in the coroutine's place
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert seen == (["cancelled", "cleaned up"] if started else ["cleaned up"])


async def test_run_eagerly_reports_an_error_and_lets_the_caller_go_on() -> None:
    reported: list[BaseException] = []
    loop = asyncio.get_running_loop()
    loop.set_exception_handler(lambda _loop, context: reported.append(context["exception"]))
    try:

        async def fails() -> None:
            raise ValueError("broken")

        assert run_eagerly(fails()) is None
    finally:
        loop.set_exception_handler(None)
    assert [str(error) for error in reported] == ["broken"]
