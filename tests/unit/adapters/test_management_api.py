from concurrent.futures import ThreadPoolExecutor
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

POOL = ThreadPoolExecutor(4)


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
        ManagementApiConnections(client, POOL).post("c1", b"hi")
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
            ManagementApiConnections(client, POOL).post("c1", b"hi")
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
        info = ManagementApiConnections(client, POOL).info("c1")
    assert info.connected_at == when
    assert info.source_ip == "192.0.2.1"
    assert info.user_agent == "agent"


def test_info_and_close_of_a_gone_connection(client: Any) -> None:
    with Stubber(client) as stub:
        stub.add_client_error("get_connection", "GoneException", "", 410)
        stub.add_client_error("delete_connection", "GoneException", "", 410)
        adapter = ManagementApiConnections(client, POOL)
        with pytest.raises(ConnectionGone):
            adapter.info("c1")
        with pytest.raises(ConnectionGone):
            adapter.close("c1")


def test_close_deletes_the_connection(client: Any) -> None:
    with Stubber(client) as stub:
        stub.add_response("delete_connection", {}, {"ConnectionId": "c1"})
        ManagementApiConnections(client, POOL).close("c1")
        stub.assert_no_pending_responses()


def test_a_batch_is_posted_one_call_a_recipient_and_each_failure_kept(client: Any) -> None:
    """post_many on the pool: what one recipient raises, a GoneException or a bug of the
    client's, is that recipient's failure; the others are posted."""

    class Exploding:
        def __init__(self) -> None:
            self.posted: list[str] = []

        def post_to_connection(self, ConnectionId: str, Data: bytes) -> None:
            if ConnectionId == "bug":
                raise RuntimeError("client bug")
            self.posted.append(ConnectionId)

    exploding = Exploding()
    failures = ManagementApiConnections(exploding, POOL).post_many(
        [("a", b"x"), ("bug", b"x"), ("b", b"x")]
    )
    assert sorted(exploding.posted) == ["a", "b"]
    assert set(failures) == {"bug"}
    assert "client bug" in str(failures["bug"])
    with Stubber(client) as stub:
        stub.add_client_error("post_to_connection", "GoneException", http_status_code=410)
        gone = ManagementApiConnections(client, POOL).post_many([("c1", b"hi")])
    assert isinstance(gone["c1"], ConnectionGone)
