"""Apps written with the tools pass under ``--iam enforce`` by the grants their tools wrote,
and by nothing else (aws/iam/access.py, template/iam.py):

- a CDK app (tests/fixtures/cdk_chat, ``cdk synth`` output unmodified): its ``grant_*``
  calls are statements of ``<Fn>ServiceRoleDefaultPolicy…``, an ``AWS::IAM::Policy`` whose
  ``Roles`` names the function's service role ("Permissions and the AWS Construct Library",
  AWS CDK developer guide,
  https://docs.aws.amazon.com/cdk/v2/guide/permissions.html);
- a SAM app (tests/fixtures/sam_chat): its ``Policies`` are SAM policy templates
  (``DynamoDBCrudPolicy``, ``LambdaInvokePolicy``) and inline statements on the role SAM
  makes for each function ("AWS SAM policy templates",
  https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/serverless-policy-templates.html).

Every function runs isolated and signs with its own credentials: a chat goes round with no
call refused and none let through unevaluated, and a function whose role lacks a grant is
refused the same call."""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from websockets.asyncio.client import connect

from local_gateway import LocalGateway
from tests.conftest import FIXTURES
from tests.integration.conftest import client_as, receives_nothing, recv, start_gateway

CDK_TEMPLATE = FIXTURES / "cdk_chat" / "cdk.out" / "ChatStack.template.json"
SAM_CHAT = FIXTURES / "sam_chat" / "template.yaml"
NOT_A_CONNECTION = "AAAAAAAAAAAAAAA="


async def _code(call: Any, **kwargs: Any) -> str:
    """The error code a call ends in ("" when it succeeds)."""
    try:
        await asyncio.to_thread(call, **kwargs)
    except ClientError as error:
        return str(error.response["Error"]["Code"])
    return ""


def _function(gateway: LocalGateway, prefix: str) -> str:
    (logical_id,) = [f for f in gateway.api.functions if f.startswith(prefix)]
    return logical_id


def _iam_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.getMessage().startswith("IAM:")]


async def test_a_cdk_apps_grants_carry_its_chat_under_enforce(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """``table.grant_read_write_data(fn)`` and the ManageConnections statement CDK attaches
    through ``AWS::IAM::Policy`` allow what the chat does; the connect handler, granted the
    table alone, is refused a callback."""
    caplog.set_level(logging.WARNING, "local_gateway")
    gateway = await start_gateway(CDK_TEMPLATE, tmp_path / "state", stack_name="ChatStack")
    try:
        assert gateway.access.mode == "enforce"
        assert gateway.api.policies_not_evaluated == []
        async with connect(gateway.url) as ana, connect(gateway.url) as bob:
            await ana.send(json.dumps({"action": "sendMessage", "message": "Hello AWS"}))
            assert await recv(bob, 60) == "Hello AWS"
            assert await receives_nothing(ana)
            await bob.send(json.dumps({"action": "whatever"}))
            answer = await recv(bob, 60)
        assert isinstance(answer, str)
        assert answer.startswith("Use the sendMessage route to send a message. Your info: ")
        connect_handler = _function(gateway, "ConnectHandler")
        callbacks = client_as(
            gateway, connect_handler, "apigatewaymanagementapi", gateway.callback_url
        )
        refused = await _code(
            callbacks.post_to_connection, ConnectionId=NOT_A_CONNECTION, Data=b"x"
        )
        assert refused == "AccessDeniedException"
    finally:
        await gateway.stop()
    lines = _iam_lines(caplog)
    assert len(lines) == 1  # the refusal above, and nothing the chat itself did
    assert lines[0].startswith("IAM: refused: ")
    assert "ConnectHandlerServiceRole" in lines[0]


async def test_a_sam_apps_policy_templates_carry_its_chat_under_enforce(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """``DynamoDBCrudPolicy`` lets $connect write its row, ``LambdaInvokePolicy`` lets it
    invoke the welcome function, an inline statement lets that one post; the disconnect
    function, with ``DynamoDBCrudPolicy`` alone, is refused the same Invoke."""
    caplog.set_level(logging.WARNING, "local_gateway")
    gateway = await start_gateway(SAM_CHAT, tmp_path / "state")
    try:
        assert gateway.access.mode == "enforce"
        assert gateway.api.policies_not_evaluated == []
        async with (
            connect(gateway.url + "?name=ana") as ana,
            connect(gateway.url + "?name=bob") as bob,
        ):
            assert await recv(ana, 60) == "Welcome aboard, ana (from 127.0.0.1)"
            assert await recv(bob, 60) == "Welcome aboard, bob (from 127.0.0.1)"
            await ana.send(json.dumps({"action": "sendmessage", "message": "Hello AWS"}))
            assert await recv(bob, 60) == "ana: Hello AWS"
        lambdas = gateway.callback_url.rsplit("/", 1)[0]
        welcome = gateway.api.functions[_function(gateway, "WelcomeFunction")].name
        for prefix, expected in (("ConnectFunction", ""), ("DisconnectFunction", "Access")):
            client = client_as(gateway, _function(gateway, prefix), "lambda", lambdas)
            code = await _code(client.invoke, FunctionName=welcome, InvocationType="DryRun")
            assert code == (expected and "AccessDeniedException"), prefix
    finally:
        await gateway.stop()
    lines = _iam_lines(caplog)
    assert len(lines) == 1  # the refusal above, and nothing the chat itself did
    assert "DisconnectFunctionRole" in lines[0]
    assert "lambda:InvokeFunction" in lines[0]
