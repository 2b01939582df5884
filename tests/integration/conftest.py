"""A live gateway on a free port, and WebSocket clients for it."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from websockets.asyncio.client import ClientConnection, connect

from local_gateway import GatewayConfig, LocalGateway
from local_gateway.testing.plugin import Factory
from serverless_chat.local import ChatLocalApp
from tests.conftest import FIXTURES, TEMPLATE

QUIET = 0.3  # how long "receives nothing" waits


# What the tests' boto3 clients sign callback and Invoke calls with.
SIGNING_KEYS = {"testing": "testing"}


async def start_gateway(template: Path, state_dir: Path, **overrides: Any) -> LocalGateway:
    overrides.setdefault("signing_keys", SIGNING_KEYS)
    gateway = LocalGateway(
        GatewayConfig(template=template, port=0, state_dir=state_dir, **overrides)
    )
    await gateway.start()
    return gateway


@pytest.fixture
async def chat(tmp_path: Path) -> AsyncIterator[LocalGateway]:
    gateway = await start_gateway(TEMPLATE, tmp_path / "state")
    yield gateway
    await gateway.stop()


@pytest.fixture
def behaviours(websocket_api_factory: Factory) -> LocalGateway:
    """The behaviours project, served by the pytest plugin: started once a session, reset
    after each test. Its functions fail on purpose (the tests assert what the caller sees)."""
    api = websocket_api_factory(FIXTURES / "behaviours" / "template.yaml")
    api.expect_function_errors()
    return api.gateway


async def recv(client: ClientConnection, timeout: float = 30.0) -> str | bytes:
    return await asyncio.wait_for(client.recv(), timeout)


async def recv_frame(client: ClientConnection, kind: str, timeout: float = 30.0) -> dict[str, Any]:
    """The next json frame of type ``kind``, past the presence frames (``joined``, ``left``)
    other connections' $connect and $disconnect send at times nothing orders."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        left = deadline - asyncio.get_running_loop().time()
        frame = json.loads(await recv(client, max(left, 0.001)))
        if frame.get("type") == kind:
            return dict(frame)


async def receives_nothing(client: ClientConnection, wait: float = QUIET) -> bool:
    try:
        await asyncio.wait_for(client.recv(), wait)
    except TimeoutError:
        return True
    return False


async def open_clients(url: str, count: int) -> list[ClientConnection]:
    return [await connect(url) for _ in range(count)]


def chat_app(gateway: LocalGateway) -> ChatLocalApp:
    """The chat's side of the gateway (its hook's app): its stores, its metrics."""
    app = gateway.app
    assert isinstance(app, ChatLocalApp)
    return app


def management_client(gateway: LocalGateway) -> Any:
    """boto3's own apigatewaymanagementapi client, pointed at the gateway."""
    return boto3.client(
        "apigatewaymanagementapi",
        endpoint_url=gateway.callback_url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def client_as(gateway: LocalGateway, logical_id: str, service: str, endpoint: str) -> Any:
    """A boto3 client of ``service`` at ``endpoint`` that signs with function
    ``logical_id``'s own credentials, as its code would."""
    own = gateway.functions.credentials(logical_id)
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=own["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=own["AWS_SECRET_ACCESS_KEY"],
        aws_session_token=own["AWS_SESSION_TOKEN"],
    )


def signed_headers(method: str, url: str, body: bytes, secret: str = "testing") -> dict[str, str]:
    """The headers of a request to the callback API signed with SigV4 as boto3 signs it."""
    request = AWSRequest(method=method, url=url, data=body)
    SigV4Auth(Credentials("testing", secret), "execute-api", "us-east-1").add_auth(request)
    return dict(request.headers.items())
