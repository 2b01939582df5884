"""Faults, each with its test: DynamoDB throttling and 5xx after botocore's retries,
PostToConnection 410 / 429 / 5xx, SQLite busy under concurrent writers."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.config import Config
from botocore.stub import Stubber

from serverless_chat.adapters.dynamodb import DynamoDbConnectionStore
from serverless_chat.adapters.management_api import ManagementApiConnections
from serverless_chat.adapters.sqlite import SqliteConnectionStore, SqliteDatabase
from serverless_chat.chat.actions import BY_KEY
from serverless_chat.chat.model import open_connection
from serverless_chat.chat.protocol import SendMessage, decode_body
from serverless_chat.chat.service import Chat
from serverless_chat.errors import StoreError
from serverless_chat.handlers.dependencies import aws_dependencies
from tests.fakes import FakeConnections, MemoryConnectionStore, MemoryMessageStore
from tests.stores import every_row


class _Headers(dict[str, str]):
    pass


def _failing_dynamodb(status: int, code: str, fail_times: int) -> tuple[Any, list[int]]:
    """A DynamoDB client whose HTTP layer answers ``status``/``code`` ``fail_times`` times
    before it lets requests through to nothing (then it answers an empty item)."""
    client = boto3.client(
        "dynamodb",
        region_name="us-east-1",
        aws_access_key_id="t",
        aws_secret_access_key="t",
        config=Config(retries={"mode": "standard", "total_max_attempts": 3}),
    )
    attempts: list[int] = []

    def answer(request: Any, **_: Any) -> AWSResponse:
        attempts.append(1)
        if len(attempts) <= fail_times:
            body = json.dumps(
                {"__type": f"com.amazonaws.dynamodb.v20120810#{code}", "message": "injected"}
            ).encode()
            return AWSResponse(request.url, status, _Headers(), _Raw(body))
        return AWSResponse(request.url, 200, _Headers(), _Raw(b"{}"))

    client.meta.events.register("before-send.dynamodb", answer)
    return client, attempts


class _Raw:
    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Any:
        yield self._body

    def read(self, *_: Any) -> bytes:
        return self._body


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (400, "ProvisionedThroughputExceededException"),
        (400, "ThrottlingException"),
        (500, "InternalServerError"),
        (503, "ServiceUnavailable"),
    ],
)
def test_dynamodb_throttling_and_5xx_are_retried_then_reported(status: int, code: str) -> None:
    client, attempts = _failing_dynamodb(status, code, fail_times=2)
    assert DynamoDbConnectionStore(client, "t").get("c1") is None  # third try succeeds
    assert len(attempts) == 3
    client, attempts = _failing_dynamodb(status, code, fail_times=99)
    with pytest.raises(StoreError) as caught:
        DynamoDbConnectionStore(client, "t").get("c1")
    assert len(attempts) == 3  # the standard retry mode's attempts, then our error
    assert code in str(caught.value)


def test_after_the_retries_the_sender_gets_a_clear_error() -> None:
    client, _ = _failing_dynamodb(400, "ProvisionedThroughputExceededException", fail_times=99)
    connections = FakeConnections("a")
    chat = Chat(
        DynamoDbConnectionStore(client, "t"),
        MemoryMessageStore(),
        connections,
    )
    status = chat.request("a", BY_KEY["sendMessage"], decode_body('{"message": "hi"}'))
    assert status == 500
    (frame,) = connections.received("a")
    assert json.loads(frame)["code"] == "STORE_UNAVAILABLE"


def test_lambda_clients_retry_in_standard_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    deps = aws_dependencies({"CONNECTIONS_TABLE": "t", "AWS_DEFAULT_REGION": "us-east-1"})
    config = deps.store._table._client.meta.config  # type: ignore[attr-defined]
    assert config.retries["mode"] == "standard"


def test_post_to_connection_410_429_and_5xx_through_the_real_client() -> None:
    client = boto3.client(
        "apigatewaymanagementapi",
        region_name="us-east-1",
        endpoint_url="https://x.execute-api.us-east-1.amazonaws.com/production",
        aws_access_key_id="t",
        aws_secret_access_key="t",
    )
    store = MemoryConnectionStore()
    for cid in ("a", "b1-gone", "b2-busy", "b3-broken", "b4-ok"):
        store.put(open_connection(cid, 0))
    chat = Chat(
        store, MemoryMessageStore(), ManagementApiConnections(client, ThreadPoolExecutor(1))
    )  # one worker: the Stubber answers in order
    with Stubber(client) as stub:
        stub.add_client_error("post_to_connection", "GoneException", "", 410)
        stub.add_client_error("post_to_connection", "LimitExceededException", "", 429)
        stub.add_client_error("post_to_connection", "InternalServerError", "boom", 500)
        stub.add_response("post_to_connection", {})
        sender = store.get("a")
        assert sender is not None
        chat.send_message(sender, SendMessage("hi"))
        stub.assert_no_pending_responses()
    assert store.get("b1-gone") is None  # 410: the stale row is gone
    assert store.get("b2-busy") is not None  # 429 and 5xx: logged, the row stays
    assert store.get("b3-broken") is not None


def test_sqlite_under_concurrent_writers(tmp_path: Path) -> None:
    path = tmp_path / "chat.sqlite3"
    stores = [SqliteConnectionStore(SqliteDatabase(path), "t") for _ in range(2)]
    errors: list[Exception] = []

    def work(n: int) -> None:
        store = stores[n % 2]
        try:
            for i in range(100):
                cid = f"w{n}-{i}"
                store.put(open_connection(cid, 0, name=cid))
                store.claim_name("general", cid, cid, 0)
                store.admit(cid, 10, 5, i)
                if i % 3 == 0:
                    store.delete(cid)
        except Exception as error:
            errors.append(error)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(every_row(stores[0])) == 8 * (100 - 34)
