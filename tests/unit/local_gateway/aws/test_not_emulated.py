"""The endpoint of the services not emulated names in the log only calls a known key signed
(local_gateway/aws/not_emulated.py): a forged ``Credential=`` is refused 403, as AWS
refuses an unsigned or wrongly signed call ("Troubleshoot signed requests for AWS APIs",
IAM User Guide), and writes nothing; what is named is bounded."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable

import aiohttp
import pytest
from aiohttp import web
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from local_gateway.aws import not_emulated
from local_gateway.functions.credentials import SigningKey

Serve = Callable[[int], Awaitable[str]]
KEYS = {"ASIAFUNCTION": SigningKey("its-secret", "its-token")}


@pytest.fixture
async def endpoint() -> AsyncIterator[Serve]:
    runners: list[web.AppRunner] = []

    async def serve(max_reported: int) -> str:
        app = web.Application()
        app.router.add_routes(
            not_emulated.routes(lambda key: "Fn" if key in KEYS else "", KEYS.get, max_reported)
        )
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        runners.append(runner)
        port = runner.addresses[0][1]
        return f"http://127.0.0.1:{port}{not_emulated.PREFIX}"

    yield serve
    for runner in runners:
        await runner.cleanup()


def _signed(url: str, target: str, secret: str = "its-secret") -> dict[str, str]:
    request = AWSRequest(
        method="POST",
        url=url,
        data=b"{}",
        headers={"X-Amz-Target": target, "Content-Type": "application/x-amz-json-1.1"},
    )
    SigV4Auth(Credentials("ASIAFUNCTION", secret, "its-token"), "ssm", "us-east-1").add_auth(
        request
    )
    return dict(request.headers.items())


async def _post(url: str, headers: dict[str, str]) -> int:
    async with (
        aiohttp.ClientSession() as session,
        session.post(url, data=b"{}", headers=headers) as r,
    ):
        return r.status


async def test_only_signed_calls_are_named_and_forged_ones_are_refused(
    endpoint: Serve, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, "local_gateway")
    url = await endpoint(1000)
    assert await _post(url + "/", _signed(url + "/", "AmazonSSM.GetParameter")) == 501
    forged = (
        "AWS4-HMAC-SHA256 Credential=ASIAFUNCTION/20261207/us-east-1/secretsmanager/"
        "aws4_request, SignedHeaders=host, Signature=" + "0" * 64
    )
    for target in ("GetSecretValue", "PutSecretValue"):
        status = await _post(url + "/", {"Authorization": forged, "X-Amz-Target": target})
        assert status == 403
    assert await _post(url + "/", _signed(url + "/", "AmazonSSM.X", "another-secret")) == 403
    lines = [r.getMessage() for r in caplog.records]
    assert lines == [
        "Fn called ssm (GetParameter): not emulated by the local gateway, answered 501"
    ]


async def test_what_is_named_is_bounded(endpoint: Serve, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, "local_gateway")
    url = await endpoint(3)
    for n in range(10):
        assert await _post(url + "/", _signed(url + "/", f"AmazonSSM.Op{n}")) == 501
    assert len(caplog.records) == 3
