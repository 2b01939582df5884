"""Hostile input through a live gateway: text that is valid JSON but not UTF-8, answers too
large for one post, and a connection flooding $default. Each is one clear frame, never
"Internal server error", and nothing is kept that nobody was sent."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidStatus

from local_gateway import LocalGateway
from serverless_chat.chat.usage import USAGE_PREFIX
from tests.integration.conftest import chat_app, receives_nothing, recv

MAX_POST = 128 * 1024


def _messages(gateway: LocalGateway, room: str = "general") -> list[Any]:
    return chat_app(gateway).message_store("serverless-chat-MessagesTable").latest(room, 100)


async def _json(client: ClientConnection) -> Any:
    data = await recv(client)
    assert isinstance(data, str)
    return json.loads(data)


@pytest.mark.parametrize(
    ("frame", "field"),
    [
        ({"action": "sendMessage", "message": "\ud800"}, "message"),
        ({"action": "sendMessage", "message": "hi", "ref": "\udfff"}, "ref"),
        ({"action": "sendMessage", "message": "hi", "to": "bob\ud800"}, "to"),
        ({"action": "join", "room": "\ud800"}, "room"),
        ({"action": "setName", "name": "\ud800"}, "name"),
        ({"action": "history", "before": "\ud800"}, "before"),
        ({"action": "who", "after": "\ud800"}, "after"),
    ],
)
async def test_a_lone_surrogate_is_one_error_frame(
    chat: LocalGateway, frame: dict[str, str], field: str
) -> None:
    async with (
        connect(f"{chat.url}?name=ana&format=json") as ana,
        connect(f"{chat.url}?name=bob&format=json") as bob,
    ):
        assert (await _json(ana))["event"] == "joined"
        await ana.send(json.dumps(frame))  # ASCII on the wire: "\\ud800" is valid JSON
        error = await _json(ana)
        assert (error["type"], error["code"], error["action"]) == (
            "error",
            "INVALID_TEXT",
            frame["action"],
        )
        assert f'"{field}"' in error["message"]
        assert await receives_nothing(bob)
        assert _messages(chat) == []


async def test_a_handshake_whose_name_is_not_text_is_refused_with_400(chat: LocalGateway) -> None:
    with pytest.raises(InvalidStatus) as caught:
        await connect(f"{chat.url}?name=%ED%A0%80")  # the UTF-8-style bytes of U+D800
    assert caught.value.response.status_code == 400


async def test_history_and_join_answers_over_128_kb_arrive_cut_and_page_on(
    chat: LocalGateway,
) -> None:
    async with connect(f"{chat.url}?name=ana&format=json", max_size=None) as ana:
        for i in range(6):  # 4,000 control characters: 24 KB each in JSON, 144 KB together
            await ana.send(json.dumps({"action": "sendMessage", "message": str(i) + "\x01" * 3999}))
            assert (await _json(ana))["type"] == "message"
        await ana.send(json.dumps({"action": "history"}))
        data = await recv(ana)
        assert len(data.encode() if isinstance(data, str) else data) <= MAX_POST
        page = json.loads(data)
        assert [m["text"][0] for m in page["messages"]] == ["1", "2", "3", "4", "5"]
        await ana.send(json.dumps({"action": "history", "before": page["next"]}))
        rest = await _json(ana)
        assert ([m["text"][0] for m in rest["messages"]], rest["next"]) == (["0"], None)
        async with connect(f"{chat.url}?name=bob&room=dev&format=json", max_size=None) as bob:
            await bob.send(json.dumps({"action": "join", "room": "general"}))
            assert (await _json(bob))["type"] == "welcome"
            joined = await _json(bob)
            assert (joined["type"], len(joined["messages"])) == ("history", 5)


async def test_default_is_rate_limited_like_every_route(chat: LocalGateway) -> None:
    """MessageBurst is 20 by default: a flood of frames that are not JSON gets 20 usage
    replies (and what 10 a second refills), then RATE_LIMITED."""
    async with connect(chat.url) as client:
        loop = asyncio.get_running_loop()
        started = loop.time()
        for _ in range(40):
            await client.send("not json")
        replies = [await recv(client) for _ in range(40)]
        elapsed = loop.time() - started
    usage = [r for r in replies if isinstance(r, str) and r.startswith(USAGE_PREFIX)]
    refused = [json.loads(r) for r in replies if r not in usage]
    assert 20 <= len(usage) <= 20 + int(elapsed * 10) + 1
    assert {(e["code"], e["action"]) for e in refused} == {("RATE_LIMITED", "$default")}
