"""Every integration and route setting of issue 28 §2, through a served gateway and real
WebSocket clients: tests/fixtures/integrations, a project in the shape of
DiscreteTom/sam-chat-boilerplate (AWS integrations with X-Amz-Invocation-Type 'Event'),
written for this suite. Each test cites the AWS page it checks."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from aiohttp import web
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from local_gateway import LocalGateway
from tests.conftest import FIXTURES
from tests.integration.conftest import receives_nothing, recv, start_gateway

TEMPLATE = FIXTURES / "integrations" / "template.yaml"
KEY = {"x-api-key": "local-client-key-0123456789"}


# One gateway (and its backend) serves the module: no test depends on what another left (the
# template has no $disconnect function, and each test waits for its own answers). They run in
# the module's loop, the gateway's.
pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def backend() -> AsyncIterator[str]:
    """A tiny HTTP server on loopback: POST /echo answers what it got, and how."""

    async def echo(request: web.Request) -> web.Response:
        body = await request.text()
        return web.json_response({"method": request.method, "got": body}, status=200)

    app = web.Application()
    app.router.add_post("/echo", echo)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    yield f"http://127.0.0.1:{port}/echo"
    await runner.cleanup()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def gateway(
    tmp_path_factory: pytest.TempPathFactory, backend: str
) -> AsyncIterator[LocalGateway]:
    served = await start_gateway(
        TEMPLATE,
        tmp_path_factory.mktemp("integrations") / "state",
        parameters={"HttpBackendUrl": backend},
    )
    yield served
    await served.stop()


async def test_a_connect_that_requires_an_api_key_refuses_403_without_a_valid_one(
    gateway: LocalGateway,
) -> None:
    """ApiKeyRequired on $connect: a key in a usage plan of the stage, read from x-api-key
    (the API's ApiKeySelectionExpression), or 403 ("WebSocket selection expressions", API
    key selection expressions:
    https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-selection-expressions.html).
    A key without a Value is made at start; a disabled key and a key in no plan do not open
    it."""
    for headers in ({}, {"x-api-key": "local-stray-key-0123456789"}, {"x-api-key": "nope"}):
        with pytest.raises(InvalidStatus) as refused:
            await connect(gateway.url, additional_headers=headers)
        assert refused.value.response.status_code == 403
        assert json.loads(refused.value.response.body or b"{}") == {"message": "Forbidden"}
    with pytest.raises(InvalidStatus) as retired:
        await connect(gateway.url, additional_headers={"x-api-key": "local-retired-key-0123456789"})
    assert retired.value.response.status_code == 403
    made = next(k for k in gateway.api.api_keys if k.logical_id == "MadeKey")
    assert made.generated
    assert len(made.value) == 40
    for value in (KEY["x-api-key"], made.value):
        async with connect(gateway.url, additional_headers={"x-api-key": value}) as client:
            await client.send(json.dumps({"action": "ping"}))
            assert json.loads(await recv(client))["type"] == "pong"


async def test_a_mock_ping_route_answers_without_any_function(
    gateway: LocalGateway, caplog: pytest.LogCaptureFixture
) -> None:
    """A MOCK integration answers through its integration response's template, chosen by
    TemplateSelectionExpression; the caller gets it because the route has a $default route
    response ("Set up a WebSocket API integration response in API Gateway",
    https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-integration-responses.html;
    "Set up route responses for WebSocket APIs in API Gateway",
    https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-route-response.html)."""
    async with connect(gateway.url, additional_headers=KEY) as client:
        caplog.clear()
        await client.send(json.dumps({"action": "ping"}))
        pong = json.loads(await recv(client))
        assert "START RequestId" not in caplog.text  # no function ran
    assert pong["type"] == "pong"
    assert pong["greeting"] == "hello"  # $stageVariables
    assert len(pong["connectionId"]) == 16


async def test_an_async_aws_integration_runs_its_function_and_the_caller_gets_no_error(
    gateway: LocalGateway,
) -> None:
    """``X-Amz-Invocation-Type: 'Event'`` in RequestParameters: Lambda is invoked
    asynchronously, nothing waits for it (no 29-second limit), the one-way route sends no
    frame, and the function answers through the callback API with the event its
    application/json request template made ("Set up a WebSocket API integration request in
    API Gateway",
    https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-integration-requests.html;
    sam-chat-boilerplate's template)."""
    async with connect(gateway.url, additional_headers=KEY) as client:
        await client.send(json.dumps({"action": "ask", "input": "life", "think": 0.5}))
        assert await recv(client, 30) == "answer to life"
        assert await receives_nothing(client)


async def test_a_request_template_reshapes_the_event(gateway: LocalGateway) -> None:
    """An AWS integration's request template, chosen by TemplateSelectionExpression
    ``${request.body.action}``, makes the function's event from $input, $context and $util;
    an integration response /2\\d\\d/ and a route response send the result back ("Data
    transformations for WebSocket APIs in API Gateway",
    https://docs.aws.amazon.com/apigateway/latest/developerguide/websocket-api-data-transformations.html;
    "WebSocket API mapping template reference for API Gateway",
    https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-mapping-template-reference.html)."""
    message = {"action": "shape", "text": 'say "hi"', "items": [1, 2]}
    async with connect(gateway.url, additional_headers=KEY) as client:
        await client.send(json.dumps(message))
        answer = json.loads(await recv(client, 30))
    got = answer["got"]
    assert got["route"] == "shape"
    assert got["said"] == 'say "hi"'
    assert got["items"] == [1, 2]
    assert len(got["who"]) == 16


async def test_passthrough_never_refuses_a_message_no_template_matches(
    gateway: LocalGateway,
) -> None:
    """PassthroughBehavior NEVER: a request no template matches is refused with 415
    Unsupported Media Type, and the function is not called (API Gateway V2 Integration,
    PassthroughBehavior)."""
    async with connect(gateway.url, additional_headers=KEY) as client:
        await client.send(json.dumps({"action": "strict"}))
        error = json.loads(await recv(client, 30))
    assert error["message"] == "Unsupported Media Type"
    assert set(error) == {"message", "connectionId", "requestId"}


async def test_an_http_proxy_integration_reaches_a_url_on_this_machine(
    gateway: LocalGateway,
) -> None:
    """HTTP_PROXY: the message goes to the URL as it is (IntegrationMethod POST), the
    backend's body comes back through the route response ("Set up a WebSocket API
    integration request in API Gateway")."""
    async with connect(gateway.url, additional_headers=KEY) as client:
        await client.send(json.dumps({"action": "relay", "n": 1}))
        answer = json.loads(await recv(client, 30))
    assert answer == {"method": "POST", "got": json.dumps({"action": "relay", "n": 1})}


async def test_an_http_proxy_integration_whose_backend_is_gone_answers_an_error(
    tmp_path: Path,
) -> None:
    """A backend that cannot be reached is "Internal server error", never silence."""
    served = await start_gateway(TEMPLATE, tmp_path / "state")  # http://127.0.0.1:9/echo
    try:
        async with connect(served.url, additional_headers=KEY) as client:
            await client.send(json.dumps({"action": "relay"}))
            error = json.loads(await asyncio.wait_for(client.recv(), 30))
        assert error["message"] == "Internal server error"
    finally:
        await served.stop()
