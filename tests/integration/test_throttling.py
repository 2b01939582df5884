"""Limits that hold on AWS whether asked for or not, through a served gateway (the pytest
plugin): a function's ReservedConcurrentExecutions, the account's Lambda concurrency
(``--chaos lambda-concurrency``), and API Gateway's quota of new connections a second."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from websockets.exceptions import InvalidStatus

from local_gateway.testing import WebSocketApi
from tests.conftest import FIXTURES

SAM_CHAT = FIXTURES / "sam_chat" / "template.yaml"


def _refused(api: WebSocketApi) -> tuple[int, Any]:
    with pytest.raises(InvalidStatus) as caught:
        api.connect({"name": "ana"})
    response = caught.value.response
    return response.status_code, json.loads(response.body)


def _with_reserved_connect(tmp_path: Path, reserved: int) -> Path:
    """The SAM chat, its ConnectFunction given ReservedConcurrentExecutions."""
    text = SAM_CHAT.read_text().replace("CodeUri: src/", f"CodeUri: {SAM_CHAT.parent}/src/")
    text = text.replace(
        "      CodeUri: " + f"{SAM_CHAT.parent}/src/connect/",
        f"      ReservedConcurrentExecutions: {reserved}\n"
        f"      CodeUri: {SAM_CHAT.parent}/src/connect/",
    )
    path = tmp_path / "template.yaml"
    path.write_text(text)
    return path


def test_reserved_concurrency_zero_throttles_connect_into_a_500(
    tmp_path: Path, websocket_api_factory: Any
) -> None:
    """ReservedConcurrentExecutions 0 throttles every invocation ("Configuring reserved
    concurrency for a function",
    https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html), and "If the
    Lambda API rejects the invocation request, API Gateway returns a 500 error code ...
    {"message": "Internal server error"}" ("Handling Lambda errors with an API Gateway API",
    https://docs.aws.amazon.com/lambda/latest/dg/services-apigateway-errors.html)."""
    api = websocket_api_factory(_with_reserved_connect(tmp_path, 0), reuse=False)
    assert _refused(api) == (500, {"message": "Internal server error"})
    assert api.events("ConnectFunction") == []  # the function never ran


def test_the_accounts_concurrency_exhausted_throttles_too(websocket_api_factory: Any) -> None:
    """--chaos lambda-concurrency=0: an account with no concurrency left ("Lambda quotas":
    1,000 by default) throttles every function; the handshake is 500 (same pages)."""
    api = websocket_api_factory(SAM_CHAT, chaos="lambda-concurrency=0", reuse=False)
    assert _refused(api) == (500, {"message": "Internal server error"})


def test_integration_latency_delays_the_handshake(websocket_api_factory: Any) -> None:
    """--chaos integration-latency: $connect's function is called that much later."""
    api = websocket_api_factory(SAM_CHAT, chaos="integration-latency=400ms", reuse=False)
    started = time.monotonic()
    client = api.connect({"name": "ana"})
    assert time.monotonic() - started >= 0.4
    assert client.recv(30).startswith("Welcome aboard")


def test_a_handshake_over_the_new_connection_quota_is_429(websocket_api_factory: Any) -> None:
    """ "New connections per second per account (across all WebSocket APIs) per Region: 500"
    ("Quotas for configuring and running a WebSocket API in API Gateway",
    https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-execution-service-websocket-limits-table.html);
    over a throttle limit API Gateway answers "429 Too Many Requests" ("How do I troubleshoot
    429 Too Many Requests or Limit Exceeded errors", https://repost.aws/knowledge-center/api-gateway-429-limit).
    The quota is lowered here to one a hundred seconds, so that the second handshake is over
    it however slow the machine."""
    api = websocket_api_factory(SAM_CHAT, new_connections_per_second=0.01, reuse=False)
    api.connect({"name": "ana"})
    assert _refused(api) == (429, {"message": "Too Many Requests"})
    assert len(api.events("ConnectFunction")) == 1  # the refused one reached no function


def test_the_invoke_api_answers_a_throttled_function_429(
    tmp_path: Path, websocket_api_factory: Any
) -> None:
    """Lambda's Invoke answers 429 TooManyRequestsException when the function's concurrency
    is exhausted ("Invoke", Lambda API reference: TooManyRequestsException, HTTP 429;
    "Configuring reserved concurrency for a function")."""
    api = websocket_api_factory(_with_reserved_connect(tmp_path, 0), reuse=False)
    client = boto3.client(
        "lambda",
        endpoint_url=api.gateway.page_url.rstrip("/"),
        region_name=api.config.region,
        aws_access_key_id=api.access_key,
        aws_secret_access_key=api.secret_key,
        config=Config(retries={"total_max_attempts": 1}),
    )
    name = api.function("ConnectFunction").name
    with pytest.raises(client.exceptions.TooManyRequestsException):
        client.invoke(FunctionName=name, Payload=b"{}")
