"""The gateway's @connections API through boto3's own client, unchanged."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import boto3
import pytest
from botocore.exceptions import ClientError
from websockets.asyncio.client import connect

from local_gateway import LocalGateway
from local_gateway.aws.management_api.model import MAX_BUFFERED_BYTES
from tests.integration.conftest import (
    management_client,
    open_clients,
    receives_nothing,
    recv,
    signed_headers,
)


async def _only_id(gateway: LocalGateway) -> str:
    (connection_id,) = gateway.registry.ids()
    return connection_id


async def _call(function: Any, **kwargs: Any) -> Any:
    return await asyncio.to_thread(function, **kwargs)


async def test_post_get_delete(chat: LocalGateway) -> None:
    (a,) = await open_clients(chat.url, 1)
    cid = await _only_id(chat)
    api = management_client(chat)
    response = await _call(api.post_to_connection, ConnectionId=cid, Data=b"from the server")
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert await recv(a) == "from the server"

    info = await _call(api.get_connection, ConnectionId=cid)
    assert info["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert info["Identity"]["SourceIp"] == "127.0.0.1"
    assert "websockets" in info["Identity"]["UserAgent"]
    assert info["ConnectedAt"] <= info["LastActiveAt"]

    deleted = await _call(api.delete_connection, ConnectionId=cid)
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 204
    await asyncio.wait_for(a.wait_closed(), 30)


async def test_binary_post_arrives_as_a_binary_frame(chat: LocalGateway) -> None:
    (a,) = await open_clients(chat.url, 1)
    cid = await _only_id(chat)
    await _call(management_client(chat).post_to_connection, ConnectionId=cid, Data=b"\xff\x00")
    assert await recv(a) == b"\xff\x00"
    await a.close()


@pytest.mark.parametrize("operation", ["post_to_connection", "get_connection", "delete_connection"])
async def test_unknown_connection_is_gone(chat: LocalGateway, operation: str) -> None:
    api = management_client(chat)
    kwargs: dict[str, Any] = {"ConnectionId": "NoSuchConnecti0="}
    if operation == "post_to_connection":
        kwargs["Data"] = b"x"
    with pytest.raises(ClientError) as caught:
        await _call(getattr(api, operation), **kwargs)
    assert caught.value.response["Error"]["Code"] == "GoneException"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 410


@pytest.mark.parametrize("operation", ["post_to_connection", "get_connection", "delete_connection"])
async def test_a_malformed_connection_id_is_a_bad_request(
    chat: LocalGateway, operation: str
) -> None:
    """A recorded answer of the Management API (brefphp/bref,
    tests/Websocket/Samples/message-failure-invalid-connectionid.json): 400,
    x-amzn-ErrorType BadRequestException, {"message": "Invalid connectionId: ..."}."""
    api = management_client(chat)
    kwargs: dict[str, Any] = {"ConnectionId": "WDGT8fY4joECJrQ=test"}
    if operation == "post_to_connection":
        kwargs["Data"] = b"x"
    with pytest.raises(ClientError) as caught:
        await _call(getattr(api, operation), **kwargs)
    assert caught.value.response["Error"]["Code"] == "BadRequestException"
    assert caught.value.response["Error"]["Message"] == "Invalid connectionId: WDGT8fY4joECJrQ=test"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


@pytest.mark.parametrize("path", ["/@connections/NoSuchConnecti0=", "/other/@connections/x"])
async def test_a_path_without_the_stage_is_forbidden(chat: LocalGateway, path: str) -> None:
    """A signed call without the stage in the path answers 403 {"message": "Forbidden"}
    (aws/aws-sdk-php issue 1955, a real answer of the execute-api endpoint)."""
    base = chat.callback_url.rsplit("/", 1)[0]
    async with aiohttp.ClientSession() as session:
        headers = signed_headers("POST", base + path, b"x")
        async with session.post(base + path, data=b"x", headers=headers) as answer:
            assert answer.status == 403
            assert await answer.json() == {"message": "Forbidden"}
            assert answer.headers["x-amzn-ErrorType"] == "ForbiddenException"


@pytest.mark.parametrize(
    ("signing", "code", "message"),
    [
        (None, "MissingAuthenticationTokenException", "Missing Authentication Token"),
        ("wrong", "InvalidSignatureException", "The request signature we calculated"),
    ],
)
async def test_an_unsigned_or_wrongly_signed_call_is_refused_as_on_aws(
    chat: LocalGateway, signing: str | None, code: str, message: str
) -> None:
    """ "These requests use IAM authorization, so you must sign them with Signature Version 4
    (SigV4)" ("Use @connections commands in your backend service")."""
    (a,) = await open_clients(chat.url, 1)
    cid = await _only_id(chat)
    url = f"{chat.callback_url}/@connections/{cid}"
    headers = signed_headers("POST", url, b"x", signing) if signing else {}
    async with (
        aiohttp.ClientSession() as session,
        session.post(url, data=b"x", headers=headers) as answer,
    ):
        assert answer.status == 403
        assert answer.headers["x-amzn-ErrorType"] == code
        assert (await answer.json())["message"].startswith(message)
    assert await receives_nothing(a)
    await a.close()


async def test_a_key_the_gateway_does_not_know_is_refused(chat: LocalGateway) -> None:
    api = boto3.client(
        "apigatewaymanagementapi",
        endpoint_url=chat.callback_url,
        region_name="us-east-1",
        aws_access_key_id="stranger",
        aws_secret_access_key="stranger",
    )
    with pytest.raises(ClientError) as caught:
        await _call(api.get_connection, ConnectionId="NoSuchConnecti0=")
    assert caught.value.response["Error"]["Code"] == "UnrecognizedClientException"


async def test_payload_over_128_kb_is_413(chat: LocalGateway) -> None:
    (a,) = await open_clients(chat.url, 1)
    cid = await _only_id(chat)
    with pytest.raises(ClientError) as caught:
        await _call(
            management_client(chat).post_to_connection,
            ConnectionId=cid,
            Data=b"x" * (128 * 1024 + 1),
        )
    assert caught.value.response["Error"]["Code"] == "PayloadTooLargeException"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 413
    await a.close()


async def test_simulated_callback_latency_applies_to_every_call(tmp_path: Any) -> None:
    import time

    from tests.conftest import TEMPLATE
    from tests.integration.conftest import start_gateway

    gateway = await start_gateway(TEMPLATE, tmp_path / "s", callback_latency=0.2)
    try:
        (a,) = await open_clients(gateway.url, 1)
        cid = await _only_id(gateway)
        started = time.perf_counter()
        await _call(management_client(gateway).post_to_connection, ConnectionId=cid, Data=b"x")
        assert time.perf_counter() - started >= 0.2
        assert await recv(a) == "x"
        await a.close()
    finally:
        await gateway.stop()


def test_durations_on_the_command_line() -> None:
    from serverless_chat.cli.arguments import duration

    assert duration("20ms") == 0.02
    assert duration("0.5s") == 0.5
    assert duration("1") == 1.0


async def test_a_client_that_does_not_read_gets_429_and_loses_nothing_taken(
    chat: LocalGateway,
) -> None:
    """Past MAX_BUFFERED_BYTES held for a client (beyond what the kernel holds), posts to it
    are refused as AWS refuses them when the client's buffer is full; other clients go on,
    and what was taken arrives, in order, once the client reads again."""
    slow = await connect(chat.url, max_queue=1)  # reads one message ahead, then stops
    (other,) = await open_clients(chat.url, 1)
    slow_id, other_id = chat.registry.ids()
    url = f"{chat.callback_url}/@connections/{{}}"
    taken = 0
    async with aiohttp.ClientSession() as session:
        for number in range(1000):  # 64 MB at most: far more than any socket buffer
            data = f"{number:06d}".encode() + b"x" * (64 * 1024 - 6)
            headers = signed_headers("POST", url.format(slow_id), data)
            async with session.post(url.format(slow_id), data=data, headers=headers) as response:
                if response.status == 429:
                    assert response.headers["x-amzn-ErrorType"] == "LimitExceededException"
                    break
                assert response.status == 200
                taken += 1
        else:
            pytest.fail("a client that reads nothing was never refused")
        headers = signed_headers("POST", url.format(other_id), b"not held up")
        async with session.post(
            url.format(other_id), data=b"not held up", headers=headers
        ) as response:
            assert response.status == 200
        assert await recv(other) == "not held up"
    for number in range(taken):
        message = await recv(slow)
        assert message[:6] == f"{number:06d}"
    assert taken * 64 * 1024 > MAX_BUFFERED_BYTES
    await slow.close()
    await other.close()
