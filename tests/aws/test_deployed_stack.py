"""Against real AWS (opt-in): deploy a uniquely named stack, run the same three-client
scenario as against the local gateway, destroy the stack.

Runs only with SERVERLESS_CHAT_AWS_TESTS=1 and AWS credentials (and a region) in the
environment; it creates billable resources for a few minutes."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator

import boto3
import pytest
from rich.console import Console

from serverless_chat.deploy import command
from serverless_chat.deploy.console import RichReporter
from tests.conftest import TEMPLATE
from tests.scenarios import three_clients_hello_aws

pytestmark = pytest.mark.aws


def _credentials_present() -> bool:
    try:
        return boto3.session.Session().get_credentials() is not None
    except Exception:
        return False


if os.environ.get("SERVERLESS_CHAT_AWS_TESTS") != "1" or not _credentials_present():
    pytest.skip(
        "AWS tests are opt-in: set SERVERLESS_CHAT_AWS_TESTS=1 with AWS credentials",
        allow_module_level=True,
    )


@pytest.fixture(scope="module")
def deployed() -> Iterator[str]:
    target = command.Target(stack_name=f"serverless-chat-test-{secrets.token_hex(4)}")
    reporter = RichReporter(Console())
    try:
        outcome = command.deploy(target, TEMPLATE, {"BillingMode": "PAY_PER_REQUEST"}, reporter)
        assert outcome.ok, outcome.failure
        yield outcome.outputs["WebSocketURL"]
    finally:
        command.destroy(target, reporter)


async def test_three_clients_on_the_deployed_stack(deployed: str) -> None:
    for client in await three_clients_hello_aws(deployed):
        await client.close()
