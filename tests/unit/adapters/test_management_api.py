from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from serverless_chat.adapters.management_api import ManagementApiConnections
from serverless_chat.errors import (
    CallbackError,
    CallbackThrottled,
    ConnectionGone,
    PayloadTooLarge,
)


@pytest.fixture
def client() -> Any:
    return boto3.client(
        "apigatewaymanagementapi",
        endpoint_url="https://abcdef1234.execute-api.us-east-1.amazonaws.com/production",
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def test_post_sends_the_data(client: Any) -> None:
    with Stubber(client) as stub:
        stub.add_response("post_to_connection", {}, {"ConnectionId": "c1", "Data": b"hi"})
        ManagementApiConnections(client).post("c1", b"hi")
        stub.assert_no_pending_responses()


@pytest.mark.parametrize(
    ("code", "status", "error_type"),
    [
        ("GoneException", 410, ConnectionGone),
        ("PayloadTooLargeException", 413, PayloadTooLarge),
        ("LimitExceededException", 429, CallbackThrottled),
        ("ForbiddenException", 403, CallbackError),
        ("InternalServerError", 500, CallbackError),
    ],
)
def test_post_errors_become_ours(client: Any, code: str, status: int, error_type: type) -> None:
    with Stubber(client) as stub:
        stub.add_client_error("post_to_connection", code, "nope", status)
        with pytest.raises(error_type) as caught:
            ManagementApiConnections(client).post("c1", b"hi")
    assert caught.value.connection_id == "c1"
    assert caught.value.status == status
    assert caught.value.code == code


def test_info_reads_get_connection(client: Any) -> None:
    when = datetime(2024, 2, 9, 18, 11, 43, tzinfo=UTC)
    response = {
        "ConnectedAt": when,
        "Identity": {"SourceIp": "192.0.2.1", "UserAgent": "agent"},
        "LastActiveAt": when,
    }
    with Stubber(client) as stub:
        stub.add_response("get_connection", response, {"ConnectionId": "c1"})
        info = ManagementApiConnections(client).info("c1")
    assert info.connected_at == when
    assert info.source_ip == "192.0.2.1"
    assert info.user_agent == "agent"


def test_info_and_close_of_a_gone_connection(client: Any) -> None:
    with Stubber(client) as stub:
        stub.add_client_error("get_connection", "GoneException", "", 410)
        stub.add_client_error("delete_connection", "GoneException", "", 410)
        adapter = ManagementApiConnections(client)
        with pytest.raises(ConnectionGone):
            adapter.info("c1")
        with pytest.raises(ConnectionGone):
            adapter.close("c1")


def test_close_deletes_the_connection(client: Any) -> None:
    with Stubber(client) as stub:
        stub.add_response("delete_connection", {}, {"ConnectionId": "c1"})
        ManagementApiConnections(client).close("c1")
        stub.assert_no_pending_responses()
