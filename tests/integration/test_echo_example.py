"""A second, unrelated template under the gateway: SAM functions with Globals, a REQUEST
authorizer on $connect, a two-way route, and a $default route answered through boto3."""

from __future__ import annotations

import json

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from local_gateway import LocalGateway
from local_gateway.testing.plugin import Factory
from tests.conftest import FIXTURES
from tests.integration.conftest import recv

ECHO = FIXTURES / "echo" / "template.yaml"


@pytest.fixture
def echo(websocket_api_factory: Factory) -> LocalGateway:
    """The echo project, served by the pytest plugin: started once a session, reset after each
    test (every connection closed and its $disconnect run). Its authorizer fails on purpose
    for ?token=boom (the test asserts what the caller sees)."""
    api = websocket_api_factory(ECHO)
    api.expect_function_errors()
    return api.gateway


def test_the_template_is_read_with_sam_functions_and_globals() -> None:
    from local_gateway.template.model import read_api

    api = read_api(ECHO, {"Greeting": "hi"})
    assert api.stage == "v1"
    echo_route = api.routes["echo"]
    assert echo_route.two_way
    assert echo_route.function is not None
    assert echo_route.function.environment == {"GREETING": "hi"}
    assert echo_route.function.timeout == 5
    assert api.routes["$connect"].authorizer is not None
    assert api.not_emulated == ["AWS::SQS::Queue x1"]


@pytest.mark.parametrize(
    ("query", "status"), [("", 401), ("?token=", 401), ("?token=deny", 403), ("?token=boom", 401)]
)
async def test_the_authorizer_refuses(echo: LocalGateway, query: str, status: int) -> None:
    with pytest.raises(InvalidStatus) as caught:
        await connect(echo.url + query)
    assert caught.value.response.status_code == status
    assert echo.registry.ids() == []


async def test_an_allowed_client_reaches_two_way_routes_with_the_authorizer_context(
    echo: LocalGateway,
) -> None:
    async with connect(echo.url + "?token=ana") as client:
        await client.send(json.dumps({"op": "echo", "text": "ping"}))
        reply = json.loads(await recv(client))
    assert reply["echo"] == "ping"
    # Context values reach later events as strings ("Output from an Amazon API Gateway Lambda
    # authorizer": "The returned values are all stringified").
    assert reply["authorizer"] == {"principalId": "user-ana", "plan": "gold", "seats": "3"}
    assert reply["greeting"] == "hello from globals"
    assert 0 < reply["timeout_ms"] <= 5000


async def test_the_default_route_answers_through_boto3(echo: LocalGateway) -> None:
    async with connect(echo.url + "?token=ana") as client:
        await client.send("olleh")
        assert await recv(client) == "hello"
