"""One contract for every FanoutPages adapter: the fake, Lambda's Invoke (botocore's Stubber),
and the local gateway's. A page arrives as the JSON it was; a refusal is a DispatchError."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from local_gateway.errors import FunctionNotFound, GatewayClosing
from serverless_chat.adapters.lambda_pages import LambdaFanoutPages
from serverless_chat.chat.fanout import encode_page
from serverless_chat.errors import DispatchError
from serverless_chat.local.adapters import LocalFanoutPages
from serverless_chat.ports import FanoutPages
from tests.conftest import TEMPLATE
from tests.fakes import FakeFanoutPages
from tests.integration.conftest import start_gateway

PAGE = encode_page(
    [("a", b"Hello AWS"), ("b", '{"text": "h\u00e9llo"}'.encode())],
    {"domainName": "localhost:3001", "stage": "production"},
)


@dataclass
class Subject:
    pages: FanoutPages
    expect: Callable[[dict[str, object]], None]  # the next dispatch should carry this page
    arrived: Callable[[], list[Any]]  # the pages that arrived, as their function sees them
    refuse: Callable[[], None]  # the next dispatch fails


def _lambda_subject() -> Iterator[Subject]:
    client = boto3.client(
        "lambda", region_name="eu-west-1", aws_access_key_id="t", aws_secret_access_key="t"
    )
    stubber = Stubber(client)
    sent: list[Any] = []

    def expect(page: dict[str, object]) -> None:
        payload = json.dumps(page, ensure_ascii=False, separators=(",", ":")).encode()
        stubber.add_response(
            "invoke",
            {"StatusCode": 202},
            {"FunctionName": "chat-fanout", "InvocationType": "Event", "Payload": payload},
        )
        sent.append(json.loads(payload))

    def refuse() -> None:
        stubber.add_client_error(
            "invoke", "TooManyRequestsException", "Rate exceeded", http_status_code=429
        )

    with stubber:
        yield Subject(LambdaFanoutPages(None, "chat-fanout", client), expect, lambda: sent, refuse)
        stubber.assert_no_pending_responses()


def _local_subject() -> Iterator[Subject]:
    invoked: list[Any] = []
    functions = {"chat-fanout"}

    def invoke_async(name: str, event: Any) -> None:
        if name not in functions:
            raise FunctionNotFound(f"no function {name!r} in the template")
        invoked.append(event)

    def refuse() -> None:
        functions.clear()

    yield Subject(
        LocalFanoutPages(invoke_async, "chat-fanout"), lambda _p: None, lambda: invoked, refuse
    )


def _fake_subject() -> Iterator[Subject]:
    fake = FakeFanoutPages()

    def refuse() -> None:
        fake.failure = DispatchError("refused")

    yield Subject(fake, lambda _p: None, lambda: fake.pages, refuse)


@pytest.fixture(params=["fake", "lambda", "local"])
def subject(request: pytest.FixtureRequest) -> Iterator[Subject]:
    factory = {"fake": _fake_subject, "lambda": _lambda_subject, "local": _local_subject}
    yield from factory[request.param]()


def test_a_page_arrives_as_it_was_sent(subject: Subject) -> None:
    subject.expect(PAGE)
    subject.pages.dispatch(PAGE)
    assert subject.arrived() == [json.loads(json.dumps(PAGE))]


def test_a_refused_page_is_a_dispatch_error(subject: Subject) -> None:
    subject.refuse()
    with pytest.raises(DispatchError):
        subject.pages.dispatch(PAGE)


async def test_the_local_gateway_refuses_a_payload_lambda_would_refuse(tmp_path: Path) -> None:
    """Asynchronous payloads: at most 1 MB (raised from 256 KB in 2025, "More room to build:
    serverless services now support payloads up to 1 MB", AWS Compute Blog)."""
    gateway = await start_gateway(TEMPLATE, tmp_path / "state")
    try:
        fanout = next(f for f in gateway.api.functions.values() if f.logical_id == "FanoutHandler")
        pages = LocalFanoutPages(gateway.invoke_async, fanout.name)
        huge = encode_page([("a", b"x" * (1024 * 1024))], {"domainName": "d", "stage": "s"})
        with pytest.raises(DispatchError, match="RequestEntityTooLarge"):
            await asyncio.to_thread(pages.dispatch, huge)
    finally:
        await gateway.stop()


def test_a_closing_gateway_refuses_a_page_instead_of_failing_the_sender() -> None:
    def closed(_name: str, _event: object) -> None:
        raise GatewayClosing("Event loop is closed")

    with pytest.raises(DispatchError, match="closed"):
        LocalFanoutPages(closed, "chat-fanout").dispatch(PAGE)
