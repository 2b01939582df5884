"""One contract for every Connections adapter: the fake, boto3 against the gateway, in-process."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from botocore.credentials import Credentials
from websockets.asyncio.client import ClientConnection, connect

from local_gateway import InProcessCallbacks, LocalGateway
from serverless_chat.adapters.management_api import ManagementApiConnections
from serverless_chat.adapters.signed_http import SignedHttpConnections
from serverless_chat.errors import ConnectionGone, PayloadTooLarge
from serverless_chat.local.adapters import LocalConnections
from serverless_chat.ports import Connections
from tests.conftest import TEMPLATE
from tests.fakes import FakeConnections
from tests.integration.conftest import management_client, recv, start_gateway


@dataclass
class Subject:
    """An adapter, one open connection id, and how to read what that client received."""

    connections: Connections
    connection_id: str
    received: Callable[[], Any]
    closed: Callable[[], Any]


@pytest.fixture(params=["fake", "management_api", "signed_http", "in_process"])
async def subject(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Subject]:
    if request.param == "fake":
        fake = FakeConnections("c1")

        async def fake_received() -> bytes:
            return fake.received("c1")[-1]

        async def fake_closed() -> bool:
            return "c1" not in fake.open

        yield Subject(fake, "c1", fake_received, fake_closed)
        return
    gateway: LocalGateway = await start_gateway(TEMPLATE, tmp_path / "state")
    client: ClientConnection = await connect(gateway.url)
    (cid,) = gateway.registry.ids()
    if request.param == "management_api":
        adapter: Connections = ManagementApiConnections(
            management_client(gateway), ThreadPoolExecutor(4)
        )
    elif request.param == "signed_http":
        adapter = SignedHttpConnections(
            gateway.callback_url, Credentials("testing", "testing"), "us-east-1"
        )
    else:
        adapter = LocalConnections(InProcessCallbacks(gateway.registry, asyncio.get_running_loop()))

    async def received() -> bytes:
        frame = await recv(client)
        return frame.encode() if isinstance(frame, str) else frame

    async def closed() -> bool:
        await asyncio.wait_for(client.wait_closed(), 5)
        return True

    yield Subject(adapter, cid, received, closed)
    await client.close()
    await gateway.stop()


async def _call(function: Callable[..., Any], *args: Any) -> Any:
    # Adapters are synchronous and, like handlers, run on worker threads.
    return await asyncio.to_thread(function, *args)


async def test_post_delivers_one_frame(subject: Subject) -> None:
    await _call(subject.connections.post, subject.connection_id, b"Hello AWS")
    assert await subject.received() == b"Hello AWS"


async def test_info_describes_the_connection(subject: Subject) -> None:
    info = await _call(subject.connections.info, subject.connection_id)
    assert info.source_ip
    assert info.connected_at <= info.last_active_at


async def test_close_disconnects(subject: Subject) -> None:
    await _call(subject.connections.close, subject.connection_id)
    assert await subject.closed()


@pytest.mark.parametrize("operation", ["post", "info", "close"])
async def test_unknown_id_is_gone(subject: Subject, operation: str) -> None:
    args: tuple[Any, ...] = ("Unknown00000000=",)
    if operation == "post":
        args += (b"x",)
    with pytest.raises(ConnectionGone) as caught:
        await _call(getattr(subject.connections, operation), *args)
    assert caught.value.status == 410
    assert caught.value.connection_id == "Unknown00000000="


async def test_payload_over_128_kb_is_refused(subject: Subject) -> None:
    with pytest.raises(PayloadTooLarge):
        await _call(subject.connections.post, subject.connection_id, b"x" * (128 * 1024 + 1))


async def test_a_batch_posts_to_each_and_reports_each_failure(subject: Subject) -> None:
    failures = await _call(
        subject.connections.post_many,
        [(subject.connection_id, b"one"), ("Unknown00000000=", b"two")],
    )
    assert await subject.received() == b"one"
    assert set(failures) == {"Unknown00000000="}
    assert isinstance(failures["Unknown00000000="], ConnectionGone)
