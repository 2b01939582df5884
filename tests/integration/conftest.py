"""A live gateway on a free port, and WebSocket clients for it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from websockets.asyncio.client import ClientConnection, connect

from serverless_chat.gateway.server import GatewayConfig, LocalGateway
from serverless_chat.local import ChatLocalApp
from tests.conftest import FIXTURES, TEMPLATE

QUIET = 0.3  # how long "receives nothing" waits


async def start_gateway(template: Path, state_dir: Path, **overrides: Any) -> LocalGateway:
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
async def behaviours(tmp_path: Path) -> AsyncIterator[LocalGateway]:
    gateway = await start_gateway(FIXTURES / "behaviours" / "template.yaml", tmp_path / "state")
    yield gateway
    await gateway.stop()


async def recv(client: ClientConnection, timeout: float = 5.0) -> str | bytes:
    return await asyncio.wait_for(client.recv(), timeout)


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
