"""End-to-end scenarios that run unchanged against the local gateway and a deployed stack:
only the URL differs."""

from __future__ import annotations

import asyncio
import json

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidStatus

from serverless_chat.chat.usage import USAGE_PREFIX

QUIET = 0.5


async def _recv(client: ClientConnection, timeout: float = 30.0) -> str | bytes:
    return await asyncio.wait_for(client.recv(), timeout)


async def _silent(client: ClientConnection, wait: float = QUIET) -> bool:
    try:
        await asyncio.wait_for(client.recv(), wait)
    except TimeoutError:
        return True
    return False


async def three_clients_hello_aws(url: str) -> list[ClientConnection]:
    """A says Hello AWS; B and C hear exactly that, A nothing; both route casings work; a
    non-JSON frame gets the usage reply; after B leaves, C still hears A. Returns [A, C],
    still open."""
    a, b, c = [await connect(url) for _ in range(3)]
    await a.send(json.dumps({"action": "sendMessage", "message": "Hello AWS"}))
    assert await _recv(b) == "Hello AWS"
    assert await _recv(c) == "Hello AWS"
    assert await _silent(a)

    await b.send(json.dumps({"action": "sendmessage", "message": "lowercase too"}))
    assert await _recv(a) == "lowercase too"
    assert await _recv(c) == "lowercase too"

    await a.send("not json at all")
    assert str(await _recv(a)).startswith(USAGE_PREFIX)

    # Whether B's $disconnect has run yet or not (nothing orders it after the close), C
    # hears A: a post to B's closed connection fails alone.
    await b.close()
    await a.send(json.dumps({"action": "sendMessage", "message": "still here"}))
    assert await _recv(c) == "still here"
    return [a, c]


async def _named(url: str, name: str) -> ClientConnection | int:
    """A connection under ``name``, or the status its handshake was refused with."""
    try:
        return await connect(f"{url}?name={name}")
    except InvalidStatus as refused:
        return refused.response.status_code


async def leave_and_come_back(url: str, name: str = "bo") -> ClientConnection:
    """B, named, leaves and connects again under the same name (a reload, a network change):
    the name is B's again, and A hears B's new connection's messages. Returns the new B,
    still open (A is closed). When B's $disconnect is lost (best effort), its row holds the
    name until the chat can tell it from a handshake under way (30 s: API Gateway's
    integration timeout bounds a $connect), so the name is waited for up to a minute."""
    a = await connect(f"{url}?name=al")
    b = await connect(f"{url}?name={name}")
    await b.close()
    deadline = asyncio.get_running_loop().time() + 60
    while isinstance(again := await _named(url, name), int):
        assert again == 409, again  # only "taken" may be waited out
        assert asyncio.get_running_loop().time() < deadline, f"{name} stays taken"
        await asyncio.sleep(0.5)
    await again.send(json.dumps({"action": "sendMessage", "message": "back again"}))
    while (heard := await _recv(a)) != "back again":
        assert "back again" not in str(heard), heard  # plain text: the frame itself
    await a.close()
    return again
