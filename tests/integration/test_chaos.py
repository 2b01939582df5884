"""--chaos through a served gateway (the pytest plugin's ``chaos=`` setting, as
``serve --chaos``): each mode acting, and named in the log."""

from __future__ import annotations

import logging
import time
from typing import Any

import pytest
from botocore.config import Config

from local_gateway.testing import HarnessError, WebSocketApi
from tests.conftest import FIXTURES

SAM_CHAT = FIXTURES / "sam_chat" / "template.yaml"
MODES = "drop-disconnect=1,callback-rate=2,callback-latency=150ms,seed=1"

pytestmark = pytest.mark.websocket_api(SAM_CHAT, chaos=MODES)


def _connected(api: WebSocketApi) -> tuple[object, str]:
    client = api.connect({"name": "ana"})
    assert client.recv(30).startswith("Welcome aboard")  # the Welcome function's post
    (connect,) = api.events("ConnectFunction")
    return client, connect["requestContext"]["connectionId"]


def test_drop_disconnect_loses_disconnect(
    websocket_api: WebSocketApi, caplog: pytest.LogCaptureFixture
) -> None:
    """'$disconnect is a best-effort event ... it cannot guarantee delivery' ("Manage
    connected users and client apps: $connect and $disconnect routes")."""
    caplog.set_level(logging.WARNING, logger="local_gateway")
    client, connection_id = _connected(websocket_api)
    client.close()  # type: ignore[attr-defined]
    time.sleep(0.5)
    assert websocket_api.events("DisconnectFunction") == []
    assert f"chaos drop-disconnect: the $disconnect of {connection_id}" in caplog.text
    rows = websocket_api.dynamodb_client().scan(TableName=_table(websocket_api))["Items"]
    assert [row["connectionId"]["S"] for row in rows] == [connection_id]  # a row left behind


def test_callback_rate_answers_429_and_latency_is_added(
    websocket_api: WebSocketApi, caplog: pytest.LogCaptureFixture
) -> None:
    """LimitExceededException (429) from the Management API ("PostToConnection", API
    Gateway V2 Management API reference)."""
    caplog.set_level(logging.WARNING, logger="local_gateway")
    _, connection_id = _connected(websocket_api)
    time.sleep(1.0)  # the bucket full again after the Welcome post
    # boto3 retries a 429 with backoff, as a function's client would: here it must not.
    management = websocket_api.management_client(Config(retries={"total_max_attempts": 1}))
    started = time.monotonic()
    management.post_to_connection(ConnectionId=connection_id, Data=b"one")
    assert time.monotonic() - started >= 0.15  # callback-latency
    management.post_to_connection(ConnectionId=connection_id, Data=b"two")
    with pytest.raises(management.exceptions.LimitExceededException):
        management.post_to_connection(ConnectionId=connection_id, Data=b"three")
    assert "chaos callback-rate" in caplog.text


@pytest.mark.websocket_api(SAM_CHAT, chaos="drop-disconnect=often")
def test_a_bad_chaos_setting_is_said(websocket_api_factory: object) -> None:
    assert callable(websocket_api_factory)
    with pytest.raises(HarnessError, match="chaos: drop-disconnect=often: not a number"):
        websocket_api_factory(SAM_CHAT, chaos="drop-disconnect=often")


def _table(api: WebSocketApi) -> str:
    (name,) = api.dynamodb_client().list_tables()["TableNames"]
    return str(name)


def test_a_vanished_client_stays_until_a_write_to_it_fails(
    websocket_api_factory: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """--chaos vanish: a client gone without a close (no FIN) is not known to API Gateway:
    "$disconnect is a best-effort event" ("Manage connected users and client apps: $connect
    and $disconnect routes",
    https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-route-keys-connect-disconnect.html);
    its row stays and a post to it answers 200 until a write fails; then $disconnect runs,
    and later posts answer 410 GoneException ("PostToConnection", API Gateway V2 Management
    API reference)."""
    caplog.set_level(logging.WARNING, logger="local_gateway")
    api = websocket_api_factory(SAM_CHAT, chaos="vanish=1,seed=1", reuse=False)
    client, connection_id = _connected(api)
    client.close()  # type: ignore[attr-defined]
    management = api.management_client(Config(retries={"total_max_attempts": 1}))
    deadline = time.monotonic() + 30
    while "chaos vanish:" not in caplog.text:  # the gateway has read the close
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert api.events("DisconnectFunction") == []
    assert management.get_connection(ConnectionId=connection_id)["ConnectedAt"]
    management.post_to_connection(ConnectionId=connection_id, Data=b"into the void")
    while not api.events("DisconnectFunction"):  # the failed write: API Gateway finds out
        assert time.monotonic() < deadline
        time.sleep(0.05)
    (disconnect,) = api.events("DisconnectFunction")
    assert disconnect["requestContext"]["disconnectStatusCode"] == 1006
    with pytest.raises(management.exceptions.GoneException):
        management.post_to_connection(ConnectionId=connection_id, Data=b"too late")


def test_a_vanished_client_is_found_out_by_the_idle_timeout(
    websocket_api_factory: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """Without a post, the idle timeout (10 minutes: "Quotas for configuring and running a
    WebSocket API in API Gateway") ends it, with 1001 "Going away" (shortened here)."""
    caplog.set_level(logging.WARNING, logger="local_gateway")
    api = websocket_api_factory(SAM_CHAT, chaos="vanish=1", idle_timeout=4.0, reuse=False)
    client, connection_id = _connected(api)
    client.close()  # type: ignore[attr-defined]
    deadline = time.monotonic() + 30
    while not api.events("DisconnectFunction"):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    (disconnect,) = api.events("DisconnectFunction")
    assert disconnect["requestContext"]["disconnectStatusCode"] == 1001
    assert f"chaos vanish: {connection_id} is taken to have vanished" in caplog.text
