"""Rooms, names, direct messages, history and presence through the gateway, real clients."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidStatus

from local_gateway import LocalGateway
from tests.conftest import TEMPLATE
from tests.integration.conftest import chat_app, receives_nothing, recv, start_gateway


async def _json(client: ClientConnection) -> Any:
    return json.loads(await recv(client))


async def _join(gateway: LocalGateway, **query: str) -> ClientConnection:
    query.setdefault("format", "json")
    params = "&".join(f"{k}={v}" for k, v in query.items())
    return await connect(f"{gateway.url}?{params}")


async def test_two_rooms_stay_isolated(chat: LocalGateway) -> None:
    a = await _join(chat, room="one", name="ana")
    b = await _join(chat, room="one", name="bob")
    c = await _join(chat, room="two", name="cy")
    assert (await _json(a))["event"] == "joined"  # bob joined one
    await a.send(json.dumps({"action": "sendMessage", "message": "room one only"}))
    assert (await _json(b))["text"] == "room one only"
    assert (await _json(a))["text"] == "room one only"  # json senders get their echo
    assert await receives_nothing(c)
    for client in (a, b, c):
        await client.close()


async def test_a_direct_message_reaches_only_its_target(chat: LocalGateway) -> None:
    a = await _join(chat, name="ana")
    b = await _join(chat, name="bob", format="raw")
    c = await _join(chat, name="cy", format="raw")
    await a.send(json.dumps({"action": "sendMessage", "message": "psst", "to": "bob"}))
    assert await recv(b) == "psst"
    assert await receives_nothing(c)
    for client in (a, b, c):
        await client.close()


async def test_history_after_a_reconnect(tmp_path: Path) -> None:
    gateway = await start_gateway(TEMPLATE, tmp_path / "state")
    a = await _join(gateway, name="ana", format="raw")
    for i in range(3):
        await a.send(json.dumps({"action": "sendMessage", "message": f"kept {i}"}))
    await a.close()
    await gateway.stop()

    gateway = await start_gateway(TEMPLATE, tmp_path / "state")  # a restart keeps history
    b = await _join(gateway, name="ana")
    await b.send(json.dumps({"action": "history", "limit": 2}))
    page = await _json(b)
    assert [m["text"] for m in page["messages"]] == ["kept 1", "kept 2"]
    await b.send(json.dumps({"action": "history", "limit": 2, "before": page["next"]}))
    assert [m["text"] for m in (await _json(b))["messages"]] == ["kept 0"]
    await b.send(json.dumps({"action": "join", "room": "general"}))
    assert (await _json(b))["type"] == "welcome"
    assert [m["text"] for m in (await _json(b))["messages"]] == ["kept 0", "kept 1", "kept 2"]
    await b.close()
    await gateway.stop()


async def test_presence_on_join_leave_rename_and_disconnect(chat: LocalGateway) -> None:
    watcher = await _join(chat, name="watch")
    b = await _join(chat, name="bob")
    assert await _json(watcher) == {
        "type": "presence",
        "event": "joined",
        "room": "general",
        "name": "bob",
    }
    await b.send(json.dumps({"action": "setName", "name": "bobby"}))
    assert (await _json(watcher))["previousName"] == "bob"
    assert await _json(b) == {"type": "welcome", "room": "general", "name": "bobby"}
    await b.send(json.dumps({"action": "join", "room": "elsewhere"}))
    assert (await _json(watcher))["event"] == "left"
    await b.send(json.dumps({"action": "join", "room": "general"}))
    assert (await _json(watcher))["event"] == "joined"
    await watcher.send(json.dumps({"action": "who"}))
    assert (await _json(watcher))["names"] == ["bobby", "watch"]
    await b.close()
    assert await _json(watcher) == {
        "type": "presence",
        "event": "left",
        "room": "general",
        "name": "bobby",
    }
    await watcher.close()


async def test_a_taken_name_refuses_the_handshake_with_409(chat: LocalGateway) -> None:
    a = await _join(chat, name="ana")
    with pytest.raises(InvalidStatus) as caught:
        await _join(chat, name="ANA")
    assert caught.value.response.status_code == 409
    assert b"NAME_TAKEN" in caught.value.response.body
    await a.close()


async def test_a_bad_option_refuses_the_handshake_with_400(chat: LocalGateway) -> None:
    with pytest.raises(InvalidStatus) as caught:
        await _join(chat, room="NOT-valid")
    assert caught.value.response.status_code == 400
    assert b"INVALID_ROOM" in caught.value.response.body


async def test_original_clients_see_exactly_what_they_saw_before(chat: LocalGateway) -> None:
    a = await connect(chat.url)
    b = await connect(chat.url)
    json_client = await _join(chat, name="ana")  # joins, renames and talks around them
    await json_client.send(json.dumps({"action": "setName", "name": "anita"}))
    await a.send(json.dumps({"action": "sendMessage", "message": "Hello AWS"}))
    assert await recv(b) == "Hello AWS"
    await json_client.close()
    assert await receives_nothing(a)  # no presence frames for raw clients
    assert await receives_nothing(b)
    await a.close()
    await b.close()


async def test_a_room_over_the_page_size_is_delivered_through_the_fanout_function(
    tmp_path: Path,
) -> None:
    gateway = await start_gateway(TEMPLATE, tmp_path / "state", parameters={"FanoutPageSize": "2"})
    try:
        clients = [await connect(f"{gateway.url}?room=big") for _ in range(7)]  # raw format
        await clients[0].send(json.dumps({"action": "sendMessage", "message": "Hello AWS"}))
        for client in clients[1:]:
            assert await recv(client) == "Hello AWS"
            assert await receives_nothing(client, 0.3)  # once each
        assert await receives_nothing(clients[0], 0.1)
        assert chat_app(gateway).metrics.counts["FanoutPages"] == 2  # 6 recipients, pages of 2
        for client in clients:
            await client.close()
    finally:
        await gateway.stop()


@pytest.mark.parametrize("fmt", ["text", "json"])
async def test_a_room_s_history_comes_after_join_not_on_connecting(
    chat: LocalGateway, fmt: str
) -> None:
    """Nothing reaches a connection before its $connect integration has returned ("Until
    execution of the integration associated with the $connect route is completed, the
    upgrade request is pending": "Working with the $connect and $disconnect routes", API
    Gateway Developer Guide, https://docs.aws.amazon.com/apigateway/latest/developerguide/
    apigateway-websocket-api-route-keys-connect-disconnect.html; a post made then gets 410,
    https://repost.aws/knowledge-center/410-gone-api-gateway), so the README says a text or
    json client gets the history when it sends join."""
    a = await _join(chat, name="ana")
    await a.send(json.dumps({"action": "sendMessage", "message": "kept"}))
    assert (await _json(a))["text"] == "kept"  # its echo: kept by now
    b = await _join(chat, name="bob", format=fmt)
    assert await receives_nothing(b)
    await b.send(json.dumps({"action": "join", "room": "general"}))
    frames = [await recv(b), await recv(b)]
    if fmt == "json":
        assert [json.loads(f)["type"] for f in frames] == ["welcome", "history"]
        assert [m["text"] for m in json.loads(frames[1])["messages"]] == ["kept"]
    else:
        assert frames == ["* you are bob in general", "ana: kept"]
    for client in (a, b):
        await client.close()


async def _answer(client: ClientConnection, kind: str) -> Any:
    """The next frame of type ``kind`` (or an error), skipping presence and the like; each
    read waits up to recv's deadline."""
    while (frame := await _json(client)).get("type") not in (kind, "error"):
        pass
    assert frame["type"] == kind, frame
    return frame


@pytest.fixture(params=["memory", "dynamodb-endpoint"])
async def chat_stores(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[LocalGateway]:
    """The chat on the gateway's own stores, and on a DynamoDB endpoint (moto's server), where
    each store call is a round trip: two requests of one connection overlap there."""
    if request.param == "memory":
        gateway = await start_gateway(TEMPLATE, tmp_path / "state")
        yield gateway
        await gateway.stop()
        return
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    server.start()
    host, port = server.get_host_and_port()
    try:
        gateway = await start_gateway(
            TEMPLATE, tmp_path / "state", dynamodb_endpoint=f"http://{host}:{port}"
        )
        yield gateway
        await gateway.stop()
    finally:
        server.stop()


async def test_a_rename_and_a_join_sent_back_to_back_both_hold(chat_stores: LocalGateway) -> None:
    """The gateway runs one connection's messages concurrently, as AWS may (re:Post,
    "apigateway websockets are the responses sent by integration response route guaranteed to
    be in same order than the sent messages",
    https://repost.aws/questions/QUa2N5ZwL4QjSFuJkuI4nGcg): a setName and a join sent at once
    both hold, whichever runs first. The person is in the joined room under the new name,
    and nowhere else."""
    chat = chat_stores
    here = await _join(chat, room="dev", name="al")
    there = await _join(chat, room="general", name="cy")
    bo = await _join(chat, room="general", name="bo")
    assert (await _json(there))["event"] == "joined"  # bo, in general
    # A few rounds, back and forth: each is one chance for the two requests to overlap.
    for turn, room in enumerate(["dev", "ops", "dev", "ops"], 1):
        name = f"Neo{turn}"
        await bo.send(json.dumps({"action": "setName", "name": name}))
        await bo.send(json.dumps({"action": "join", "room": room}))
        # Whichever ran second answers with where both left the person.
        welcomes = [await _answer(bo, "welcome"), await _answer(bo, "welcome")]
        assert {"type": "welcome", "room": room, "name": name} in welcomes, (turn, welcomes)
        await bo.send(json.dumps({"action": "who"}))
        names = ["al", name] if room == "dev" else [name]
        assert await _answer(bo, "who") == {"type": "who", "room": room, "names": names}
    await here.send(json.dumps({"action": "who"}))
    assert (await _answer(here, "who"))["names"] == ["al"]
    await there.send(json.dumps({"action": "who"}))
    assert (await _answer(there, "who"))["names"] == ["cy"]
    for client in (here, there, bo):
        await client.close()
