"""How the gateway treats functions: refusals, errors, timeouts, missing routes, two-way routes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from local_gateway import LocalGateway
from tests.conftest import FIXTURES
from tests.integration.conftest import receives_nothing, recv, start_gateway


@pytest.mark.parametrize("status", [401, 403, 429])
async def test_connect_returning_non_2xx_refuses_the_handshake(
    behaviours: LocalGateway, status: int
) -> None:
    with pytest.raises(InvalidStatus) as caught:
        await connect(f"{behaviours.url}?deny={status}")
    assert caught.value.response.status_code == status
    assert behaviours.registry.ids() == []


async def test_connect_function_error_is_502(behaviours: LocalGateway) -> None:
    """A $connect function that raises refuses the handshake with 502, as observed on AWS
    ("error: Unexpected server response: 502" for a Lambda that threw,
    serverless/serverless-websockets-plugin issue 13); AWS documents no status."""
    with pytest.raises(InvalidStatus) as caught:
        await connect(f"{behaviours.url}?crash=1")
    assert caught.value.response.status_code == 502


async def test_function_error_answers_internal_server_error(behaviours: LocalGateway) -> None:
    async with connect(behaviours.url) as client:
        await client.send(json.dumps({"action": "crash"}))
        frame = json.loads(await recv(client))
        assert frame["message"] == "Internal server error"
        assert frame["connectionId"] == behaviours.registry.ids()[0]
        assert frame["requestId"]


async def test_function_timeout_answers_internal_server_error(behaviours: LocalGateway) -> None:
    async with connect(behaviours.url) as client:
        await client.send(json.dumps({"action": "slow"}))
        frame = json.loads(await recv(client, timeout=30))  # (without its timeout: "too late")
        assert frame["message"] == "Internal server error"


async def test_two_way_route_returns_the_body(behaviours: LocalGateway) -> None:
    async with connect(behaviours.url) as client:
        body = json.dumps({"action": "echo", "text": "ping"})
        await client.send(body)
        assert await recv(client) == body


async def test_function_sees_a_lambda_shaped_event_and_context(behaviours: LocalGateway) -> None:
    async with connect(behaviours.url) as client:
        await client.send(json.dumps({"action": "describe"}))
        seen = json.loads(await recv(client))
    context = seen["event"]["requestContext"]
    assert context["routeKey"] == "describe"
    assert context["eventType"] == "MESSAGE"
    assert context["stage"] == "test"
    assert context["messageDirection"] == "IN"
    assert context["identity"]["sourceIp"] == "127.0.0.1"
    for key in (
        "connectionId",
        "connectedAt",
        "requestTimeEpoch",
        "requestTime",
        "requestId",
        "extendedRequestId",
        "messageId",
        "domainName",
        "apiId",
    ):
        assert context[key], key
    assert "headers" not in seen["event"]
    assert seen["function_name"] == "serverless-chat-DescribeFunction"
    assert 0 < seen["remaining"] <= 5000
    assert seen["env"] == "hello"


async def test_plain_http_get_on_the_stage_asks_for_an_upgrade(behaviours: LocalGateway) -> None:
    import aiohttp

    async with aiohttp.ClientSession() as session, session.get(behaviours.callback_url) as response:
        assert response.status == 426


async def test_messages_of_one_connection_run_concurrently(behaviours: LocalGateway) -> None:
    """Each message is an invocation of its own and nothing orders a connection's messages
    ("Invoking your backend integration", API Gateway Developer Guide: a WebSocket route
    invokes its integration per message; "Lambda function scaling": concurrent requests get
    concurrent execution environments): a slow first message does not hold up a quick
    second one, and each reply reaches the client that sent it."""
    async with connect(behaviours.url) as client, connect(behaviours.url) as other:
        await client.send(json.dumps({"action": "nap", "seconds": 1.5, "tag": "first"}))
        await client.send(json.dumps({"action": "nap", "seconds": 0.0, "tag": "second"}))
        assert await recv(client) == "second"
        assert await recv(client) == "first"
        assert await receives_nothing(other)


async def test_messages_in_flight_are_bounded_per_connection(tmp_path: Path) -> None:
    """At the gateway's bound (here one message) the next frame waits for a message to end:
    a client cannot queue unbounded work. AWS documents no such limit per connection
    ("Quotas for configuring and running a WebSocket API in API Gateway"), so the default
    bound (100) is far above what a function's containers run at once."""
    gateway = await start_gateway(
        FIXTURES / "behaviours" / "template.yaml", tmp_path / "state", max_in_flight=1
    )
    try:
        async with connect(gateway.url) as client:
            await client.send(json.dumps({"action": "nap", "seconds": 1.0, "tag": "first"}))
            await client.send(json.dumps({"action": "nap", "seconds": 0.0, "tag": "second"}))
            assert await recv(client) == "first"
            assert await recv(client) == "second"
    finally:
        await gateway.stop()
