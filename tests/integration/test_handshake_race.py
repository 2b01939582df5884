"""The handshake race through the real gateway: clients that connect while their room is busy
all hear the room once they are connected."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from pathlib import Path

import pytest
from websockets.asyncio.client import ClientConnection, connect

from local_gateway import LocalGateway
from tests.conftest import TEMPLATE
from tests.integration.conftest import recv, start_gateway

JOINERS = 50
UNLIMITED = {"MessagesPerSecond": "100000", "MessageBurst": "100000"}


def _is(frame: str | bytes, text: str) -> bool:
    """Whether ``frame`` is the message ``text``, in the raw format (bare text) or json."""
    if isinstance(frame, bytes):
        frame = frame.decode()
    if frame == text:
        return True
    try:
        parsed = json.loads(frame)
    except ValueError:
        return False
    return isinstance(parsed, dict) and parsed.get("text") == text


async def _hears(client: ClientConnection, text: str, timeout: float) -> bool:
    """Read everything ``client`` is sent until ``text`` comes (False if it never does)."""
    try:
        async with asyncio.timeout(timeout):
            while not _is(await client.recv(), text):
                pass
    except TimeoutError:
        return False
    return True


async def test_clients_joining_a_busy_room_all_hear_its_next_message(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Fifty clients connect into a room whose sender posts throughout; every one of them then
    hears the next message.

    On AWS a post to a connection whose $connect integration has not returned yet is answered
    410 GoneException: "A message was posted to the WebSocket API before the connection was
    established" (https://repost.aws/knowledge-center/410-gone-api-gateway), and the local
    gateway answers so too. A fan-out in that window sees 410 for a live, brand-new row; it
    must not delete it as stale. A $connect lasts at most API Gateway's 29 s integration
    timeout (https://docs.aws.amazon.com/apigateway/latest/developerguide/
    apigateway-execution-service-websocket-limits-table.html), so the fan-out deletes on
    410 only rows older than that. Joiners are raw (messages only) and json (messages and
    every other joiner's presence), so both fan-outs race their handshakes; the test checks
    that the race did happen (fan-outs met 410s from rows still connecting), so that it
    cannot pass by missing it."""
    caplog.set_level(logging.INFO, logger="serverless_chat.fanout")
    gateway: LocalGateway = await start_gateway(TEMPLATE, tmp_path / "state", parameters=UNLIMITED)
    sender = await connect(f"{gateway.url}?room=busy&name=sender", max_queue=None)
    stop = asyncio.Event()
    sent = 0

    async def post_throughout() -> None:
        nonlocal sent
        while not stop.is_set():
            sent += 1
            await sender.send(json.dumps({"action": "sendMessage", "message": f"busy {sent}"}))
            await asyncio.sleep(0.001)

    async def join(i: int) -> ClientConnection:
        await asyncio.sleep(i * 0.01)  # arrivals spread over the sender's run
        fmt = "json" if i % 2 else "raw"
        # Unbounded queues: the presence of the others' goodbyes waits there unread, and
        # never holds back a client's own close handshake.
        url = f"{gateway.url}?room=busy&name=joiner{i:02d}&format={fmt}"
        return await connect(url, max_queue=None)

    joiners: list[ClientConnection] = []
    posting = asyncio.create_task(post_throughout())
    try:
        await asyncio.sleep(0.05)  # the room is busy before the first joiner arrives
        joiners += await asyncio.gather(*(join(i) for i in range(JOINERS)))
        # Each joiner's client has read its socket all along into its unbounded queue (one
        # that reads nothing is cut off with 429); now the test reads those queues.
        draining = [asyncio.ensure_future(_hears(c, "after the rush", 15)) for c in joiners]
        await asyncio.sleep(0.2)
        stop.set()
        await posting
        await sender.send(json.dumps({"action": "sendMessage", "message": "after the rush"}))
        heard = await asyncio.gather(*draining)
        deaf = [f"joiner{i:02d}" for i, ok in enumerate(heard) if not ok]
        raced = [r for r in caplog.records if "may still be connecting" in r.getMessage()]
        assert sent > JOINERS, "the sender must have posted throughout the joins"
        assert deaf == [], f"{len(deaf)} of {JOINERS} joiners never heard the next message"
        assert raced, "no fan-out met a handshake under way: the race was not exercised"
        # And every row is still in the room, as the chat knows it.
        probe = joiners[1]  # a json joiner
        await probe.send(json.dumps({"action": "who"}))
        while (answer := json.loads(await recv(probe))).get("type") not in ("who", "error"):
            pass
        assert answer["type"] == "who", answer
        names = {f"joiner{i:02d}" for i in range(JOINERS)} | {"sender"}
        assert set(answer["names"]) == names
    finally:
        stop.set()
        with contextlib.suppress(Exception):
            await posting
        await asyncio.gather(*(client.close() for client in (sender, *joiners)))
        await gateway.stop()
