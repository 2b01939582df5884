"""The Management API's in-process face gives the model's verdicts, as the HTTP face does:
a hook's fan-out (``post_many``) is throttled by ``--chaos callback-rate`` as each
PostToConnection over HTTP is. AWS answers such a call 429 LimitExceededException, "The
client is sending more than the allowed number of requests per unit of time or the
WebSocket client side buffer is full" (ApiGatewayManagementApi / Client / exceptions /
LimitExceededException,
https://docs.aws.amazon.com/botocore/latest/reference/services/apigatewaymanagementapi/client/exceptions/LimitExceededException.html)."""

from __future__ import annotations

import asyncio

import pytest

from local_gateway.apigateway.chaos import Chaos
from local_gateway.aws.management_api.in_process import InProcessCallbacks
from local_gateway.aws.management_api.model import ConnectionRegistry
from local_gateway.errors import LimitExceededException
from tests.unit.local_gateway.fake_socket import FakeSocket, FakeTransport, open_client, settle

IDS = ["a", "b", "c"]


def _registry() -> tuple[ConnectionRegistry, dict[str, FakeTransport]]:
    """Three clients, and a callback rate of 2 a second on a clock that does not move."""
    registry = ConnectionRegistry(chaos=Chaos(callback_rate=2, clock=lambda: 100.0))
    transports = {cid: FakeTransport() for cid in IDS}
    for cid, transport in transports.items():
        open_client(registry, cid, FakeSocket(), transport)
    return registry, transports


async def test_the_http_faces_posts_over_the_rate_are_429() -> None:
    """What the HTTP face calls for each PostToConnection (the model's ``post``)."""
    registry, _ = _registry()
    await registry.post("a", b"1")
    await registry.post("b", b"1")
    with pytest.raises(LimitExceededException):
        await registry.post("c", b"1")


async def test_a_hooks_fan_out_over_the_rate_is_429_as_over_http() -> None:
    registry, transports = _registry()
    callbacks = InProcessCallbacks(registry, asyncio.get_running_loop())
    refused = await asyncio.to_thread(callbacks.post_many, [(cid, b"hi") for cid in IDS])
    assert list(refused) == ["c"]
    assert isinstance(refused["c"], LimitExceededException)
    await settle()
    assert {cid: t.frames for cid, t in transports.items()} == {"a": ["hi"], "b": ["hi"], "c": []}


async def test_without_a_simulated_cost_a_fan_out_is_taken_on_the_worker_thread() -> None:
    registry = ConnectionRegistry(chaos=Chaos(drop_disconnect=1.0))
    assert not registry.simulates_calls
    transport = FakeTransport()
    open_client(registry, "a", FakeSocket(), transport)
    callbacks = InProcessCallbacks(registry, asyncio.get_running_loop())
    assert await asyncio.to_thread(callbacks.post_many, [("a", b"hi")]) == {}
    await settle()
    assert transport.frames == ["hi"]
