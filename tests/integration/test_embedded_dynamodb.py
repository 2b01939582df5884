"""The embedded DynamoDB is closed (local_gateway/server/dynamodb_port.py): only programs
that sign with known credentials reach the template's tables, as only a signed request
reaches DynamoDB on AWS ("Signing AWS API requests", IAM User Guide; DynamoDB answers
authentication errors with 400 and ``com.amazon.coral.service#…``, "Error handling with
DynamoDB", DynamoDB Developer Guide). No web page may call it, no rebinding Host is taken,
moto's admin routes are not reachable, and moto listens on no port at all."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import socket
import stat
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import boto3
import pytest
import pytest_asyncio
from botocore.exceptions import ClientError

from local_gateway import LocalGateway
from tests.conftest import ROOT
from tests.integration.conftest import SIGNING_KEYS, start_gateway
from tests.integration.test_real_world_shapes import SAM_CHAT

SERVE = [sys.executable, "-m", "serverless_chat.cli", "serve"]
TARGET = {"X-Amz-Target": "DynamoDB_20120810.ListTables"}
JSON = {"Content-Type": "application/x-amz-json-1.0"}

# One gateway serves the module: its tests only call the DynamoDB port and read what it
# answers (no table is written), so none sees what another left. They share its loop.
pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def gateway(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[LocalGateway]:
    gateway = await start_gateway(SAM_CHAT, tmp_path_factory.mktemp("dynamodb") / "state")
    assert gateway.embedded_dynamodb
    yield gateway
    await gateway.stop()


def _client(gateway: LocalGateway, key: str, secret: str, token: str | None = None) -> Any:
    assert gateway.dynamodb_endpoint is not None
    return boto3.client(
        "dynamodb",
        endpoint_url=gateway.dynamodb_endpoint,
        region_name="us-east-1",
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        aws_session_token=token,
    )


async def _post(gateway: LocalGateway, path: str = "/", **headers: str) -> aiohttp.ClientResponse:
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{gateway.dynamodb_endpoint}{path}", data=b"{}", headers={**TARGET, **JSON, **headers}
        ) as answer,
    ):
        await answer.read()
        return answer


async def test_a_functions_or_the_tools_credentials_reach_the_tables(
    gateway: LocalGateway,
) -> None:
    """A request signed with SigV4 by known credentials reaches the tables ("Signing AWS API
    requests", https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv.html): a
    function's, within its role, and the tools'."""
    (function,) = [f for f in gateway.api.functions if "Connect" in f]
    own = gateway.functions.credentials(function)
    as_function = _client(
        gateway,
        own["AWS_ACCESS_KEY_ID"],
        own["AWS_SECRET_ACCESS_KEY"],
        own["AWS_SESSION_TOKEN"],
    )
    tables = {t.name for t in gateway.api.tables.values()}
    for table in tables:  # its role's DynamoDBCrudPolicy allows a Scan of its table
        await asyncio.to_thread(as_function.scan, TableName=table)
    ((key, secret),) = SIGNING_KEYS.items()
    as_tools = await asyncio.to_thread(_client(gateway, key, secret).list_tables)
    assert set(as_tools["TableNames"]) == tables


async def test_an_unsigned_or_unknown_or_wrongly_signed_call_is_refused(
    gateway: LocalGateway,
) -> None:
    """DynamoDB answers authentication errors with 400: an unknown key
    UnrecognizedClientException, a wrong signature InvalidSignatureException ("Error
    handling with DynamoDB", https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Programming.Errors.html)."""
    answer = await _post(gateway)
    assert answer.status == 400
    with pytest.raises(ClientError) as unknown:
        await asyncio.to_thread(_client(gateway, "AKIAUNKNOWNKEY000000", "secret").list_tables)
    assert unknown.value.response["Error"]["Code"] == "UnrecognizedClientException"
    ((key, _secret),) = SIGNING_KEYS.items()
    with pytest.raises(ClientError) as wrong:
        await asyncio.to_thread(_client(gateway, key, "not-its-secret").list_tables)
    assert wrong.value.response["Error"]["Code"] == "InvalidSignatureException"
    assert wrong.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


async def test_an_unsigned_call_is_dynamodbs_missing_token_error(gateway: LocalGateway) -> None:
    """An unsigned request: 400 MissingAuthenticationTokenException, in DynamoDB's JSON error
    form ("Error handling with DynamoDB", https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Programming.Errors.html)."""
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{gateway.dynamodb_endpoint}/", data=b"{}", headers={**TARGET, **JSON}) as r,
    ):
        body = json.loads(await r.read())
    assert r.status == 400
    assert body["__type"] == "com.amazon.coral.service#MissingAuthenticationTokenException"


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "http://evil.example"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Host": "rebound.example:80"},
    ],
)
async def test_web_pages_and_rebinding_hosts_are_refused(
    gateway: LocalGateway, headers: dict[str, str]
) -> None:
    """A page the user visits may not call the loopback port (an Origin or Sec-Fetch-Site
    header: 403), nor reach it under a re-bound DNS name (a Host not the gateway's: 403). A
    local safety, stricter than AWS, whose endpoint no page can re-bind; the request itself
    must still be signed ("Signing AWS API requests", https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv.html)."""
    answer = await _post(gateway, **headers)
    assert answer.status == 403
    assert "Access-Control-Allow-Origin" not in answer.headers


async def test_no_cors_preflight_and_no_admin_routes(gateway: LocalGateway) -> None:
    """moto's admin routes (/moto-api/data.json, /moto-api/reset) are no part of DynamoDB's
    API, which is POST / alone ("Low-level API", https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Programming.LowLevelAPI.html):
    404. No CORS preflight is answered: this loopback port serves programs, never a page
    (stricter than AWS, which never runs on the user's loopback)."""
    async with aiohttp.ClientSession() as session:
        async with session.options(
            f"{gateway.dynamodb_endpoint}/",
            headers={"Access-Control-Request-Method": "POST"},
        ) as preflight:
            assert "Access-Control-Allow-Origin" not in preflight.headers
            assert preflight.status >= 400
        for method, path in (("GET", "/moto-api/data.json"), ("POST", "/moto-api/reset")):
            async with session.request(method, f"{gateway.dynamodb_endpoint}{path}") as answer:
                assert answer.status == 404, path


async def test_moto_listens_on_a_private_socket_not_a_port(gateway: LocalGateway) -> None:
    dynamodb = gateway._dynamodb  # the composition's own part, looked at here only
    assert dynamodb is not None
    path = dynamodb._moto.socket_path
    assert stat.S_ISSOCK(path.stat().st_mode)
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    with socket.socket(socket.AF_UNIX) as probe:  # it answers there, for the gateway
        probe.connect(str(path))


async def test_serve_prints_the_address_and_the_credentials_a_script_signs_with(
    tmp_path: Path,
) -> None:
    """``serve`` prints where the embedded DynamoDB is and which of your credentials may sign
    there (what boto3 finds for you, "Configuring credentials",
    https://boto3.amazonaws.com/v1/documentation/api/latest/guide/credentials.html), and a
    script signing with them, as the printed example does, reaches the template's tables."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    environment |= {
        "AWS_ACCESS_KEY_ID": "AKIASCRIPTEXAMPLE001",
        "AWS_SECRET_ACCESS_KEY": "a-script-secret",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": str(tmp_path / "none"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
    }
    process = subprocess.Popen(
        [
            *SERVE,
            "--port",
            "0",
            "--state-dir",
            str(tmp_path / "state"),
            "--template",
            str(SAM_CHAT),
        ],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        lines: list[str] = []
        while not lines or "signed requests only" not in lines[-1]:
            line = await asyncio.wait_for(asyncio.to_thread(process.stdout.readline), 120)
            assert line, f"serve ended: {lines}"
            lines.append(line)
        address = re.search(r"^DynamoDB: (http://\S+)$", lines[-2])
        assert address, lines
        assert "(AKIASCRIPTEXAMPLE001)" in lines[-1]
        assert f"aws dynamodb list-tables --endpoint-url {address.group(1)}" in lines[-1]
        script = boto3.client(
            "dynamodb",
            endpoint_url=address.group(1),
            region_name="us-east-1",
            aws_access_key_id="AKIASCRIPTEXAMPLE001",
            aws_secret_access_key="a-script-secret",
        )
        tables = (await asyncio.to_thread(script.list_tables))["TableNames"]
        assert tables
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
