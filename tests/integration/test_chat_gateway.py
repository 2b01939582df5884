"""The chat template under the local gateway, with real WebSocket clients."""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path

import pytest
from websockets.asyncio.client import connect

from local_gateway import LocalGateway
from serverless_chat.adapters.sqlite import SqliteConnectionStore, SqliteDatabase
from serverless_chat.chat.model import open_connection
from serverless_chat.chat.usage import USAGE_PREFIX
from serverless_chat.ports import ConnectionStore
from tests.conftest import TEMPLATE
from tests.integration.conftest import (
    chat_app,
    open_clients,
    receives_nothing,
    recv,
    recv_frame,
    start_gateway,
)
from tests.stores import every_row

HELLO = json.dumps({"action": "sendMessage", "message": "Hello AWS"})


def _store(gateway: LocalGateway) -> ConnectionStore:
    """The ConnectionsTable's store the gateway's functions share."""
    store: ConnectionStore = chat_app(gateway).connection_store("serverless-chat-ConnectionsTable")
    return store


async def _wait_for(predicate: object, timeout: float = 30.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():  # type: ignore[operator]
        assert asyncio.get_running_loop().time() < deadline, "condition never held"
        await asyncio.sleep(0.02)


async def test_three_clients_hello_aws(chat: LocalGateway) -> None:
    a, b, c = await open_clients(chat.url, 3)
    await a.send(HELLO)
    assert await recv(b) == "Hello AWS"
    assert await recv(c) == "Hello AWS"
    assert await receives_nothing(a)
    for client in (a, b, c):
        await client.close()


async def test_ping_is_answered_pong_by_the_gateway_with_no_function(
    chat: LocalGateway, caplog: pytest.LogCaptureFixture
) -> None:
    """The keep-alive route is MOCK: the gateway answers it from the integration response's
    template, runs no function (no START line) and takes no token from the connection's
    bucket (more pings than the burst of 20, and a message still goes through), as on AWS,
    where it costs no Lambda and no DynamoDB."""
    caplog.set_level(logging.INFO)
    a, b = await open_clients(chat.url, 2)
    caplog.clear()
    for _ in range(25):
        await a.send(json.dumps({"action": "ping"}))
        assert json.loads(await recv(a)) == {"type": "pong"}
    assert "START RequestId" not in caplog.text
    assert await receives_nothing(b)
    await a.send(HELLO)
    assert await recv(b) == "Hello AWS"
    assert "START RequestId" in caplog.text  # a function route does log one
    await a.close()
    await b.close()


async def test_lowercase_route_of_the_aws_tutorial(chat: LocalGateway) -> None:
    a, b = await open_clients(chat.url, 2)
    await a.send(json.dumps({"action": "sendmessage", "message": "lower"}))
    assert await recv(b) == "lower"
    await a.close()
    await b.close()


async def test_non_json_frame_gets_the_default_reply(chat: LocalGateway) -> None:
    (a,) = await open_clients(chat.url, 1)
    await a.send("this is not json")
    reply = str(await recv(a))
    assert reply.startswith(USAGE_PREFIX)
    info = json.loads(reply[len(USAGE_PREFIX) :])
    assert info["Identity"]["SourceIp"] == "127.0.0.1"
    assert set(info) == {"ConnectedAt", "Identity", "LastActiveAt", "connectionID"}
    await a.close()


async def test_unknown_action_goes_to_default(chat: LocalGateway) -> None:
    a, b = await open_clients(chat.url, 2)
    await a.send(json.dumps({"action": "shout", "message": "x"}))
    assert str(await recv(a)).startswith(USAGE_PREFIX)
    assert await receives_nothing(b)
    await a.close()
    await b.close()


async def test_bad_send_message_gets_an_error_and_nobody_else_hears(chat: LocalGateway) -> None:
    a, b = await open_clients(chat.url, 2)
    await a.send(json.dumps({"action": "sendMessage"}))
    error = json.loads(await recv(a))
    assert error["code"] == "MISSING_FIELD"
    await a.send(json.dumps({"action": "sendMessage", "message": 7}))
    assert json.loads(await recv(a))["code"] == "INVALID_FIELD"
    assert await receives_nothing(b)
    await a.close()
    await b.close()


async def test_after_one_leaves_its_row_is_gone_and_others_still_receive(
    chat: LocalGateway,
) -> None:
    a, b, c = await open_clients(chat.url, 3)
    store = _store(chat)
    await _wait_for(lambda: len(every_row(store)) == 3)
    await b.close()
    await _wait_for(lambda: len(every_row(store)) == 2)
    await a.send(HELLO)
    assert await recv(c) == "Hello AWS"
    await a.close()
    await c.close()


async def test_stale_row_of_a_vanished_client_is_cleaned_on_send(chat: LocalGateway) -> None:
    a, b = await open_clients(chat.url, 2)
    store = _store(chat)
    store.put(open_connection("Vanished0000000=", 0))
    await a.send(HELLO)
    assert await recv(b) == "Hello AWS"
    await _wait_for(lambda: store.get("Vanished0000000=") is None)
    await a.close()
    await b.close()


async def test_shutdown_closes_clients_with_1001_and_runs_disconnect(tmp_path: Path) -> None:
    gateway = await start_gateway(TEMPLATE, tmp_path / "state")
    a, b = await open_clients(gateway.url, 2)
    store = _store(gateway)
    await _wait_for(lambda: len(every_row(store)) == 2)
    await gateway.stop()
    for client in (a, b):
        await asyncio.wait_for(client.wait_closed(), 30)
        assert client.close_code == 1001
    assert every_row(store) == []


async def test_rows_left_by_an_earlier_run_are_purged_at_start(tmp_path: Path) -> None:
    """With --connections-store sqlite the rows outlive the process: the next start purges
    them, since those sockets are gone."""
    state = tmp_path / "state"
    state.mkdir()
    database = SqliteDatabase(state / "chat.sqlite3")
    SqliteConnectionStore(database, "serverless-chat-ConnectionsTable").put(
        open_connection("Leftover0000000=", 0)
    )
    database.close()
    gateway = await start_gateway(TEMPLATE, state, hook_options={"connections-store": "sqlite"})
    try:
        assert isinstance(_store(gateway), SqliteConnectionStore)
        assert every_row(_store(gateway)) == []
    finally:
        await gateway.stop()


@pytest.mark.parametrize("kept_in", ["memory", "sqlite"])
async def test_either_connections_store_serves_the_chat(tmp_path: Path, kept_in: str) -> None:
    gateway = await start_gateway(
        TEMPLATE, tmp_path / "state", hook_options={"connections-store": kept_in}
    )
    try:
        a, b = await open_clients(gateway.url, 2)
        await _wait_for(lambda: len(every_row(_store(gateway))) == 2)
        await a.send(HELLO)
        assert await recv(b) == "Hello AWS"
        in_file = SqliteConnectionStore(
            SqliteDatabase(tmp_path / "state" / "chat.sqlite3"), "serverless-chat-ConnectionsTable"
        )
        assert len(every_row(in_file)) == (2 if kept_in == "sqlite" else 0)
        await a.close()
        await b.close()
    finally:
        await gateway.stop()


async def test_direct_messages_outlive_a_gateway_restart(tmp_path: Path) -> None:
    """Issue 26: a direct message received a minute ago was gone after the gateway
    restarted; kept in the state folder's store, it comes back to the guest who presents
    its resume token."""
    state = tmp_path / "state"
    gateway = await start_gateway(TEMPLATE, state)
    try:
        async with (
            connect(gateway.url + "?format=json&name=ana") as ana,
            connect(gateway.url + "?format=json&name=bob") as bob,
        ):
            await ana.send(json.dumps({"action": "resume", "ref": "r"}))
            token = (await recv_frame(ana, "resumed"))["token"]  # (past "bob joined")
            await bob.send(json.dumps({"action": "sendMessage", "to": "ana", "message": "psst"}))
            assert (await recv_frame(ana, "direct"))["text"] == "psst"
    finally:
        await gateway.stop()
    gateway = await start_gateway(TEMPLATE, state)
    try:
        async with connect(gateway.url + "?format=json&name=ana") as again:
            await again.send(json.dumps({"action": "resume", "token": token, "ref": "r"}))
            assert json.loads(await recv(again)) == {"type": "resumed", "ref": "r"}
            await again.send(json.dumps({"action": "directHistory", "ref": "d"}))
            page = json.loads(await recv(again))
            assert [(m["from"], m["to"], m["text"]) for m in page["messages"]] == [
                ("bob", "ana", "psst")
            ]
    finally:
        await gateway.stop()
