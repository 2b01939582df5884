"""The real template, deployed by `serverless-chat deploy --endpoint-url` to MiniStack (an
AWS emulator, pure Python, one port: the pinned dev dependency ministack), then chatted on
through MiniStack's own WebSocket endpoint, then destroyed.

MiniStack runs as tests/ministack.py starts it (127.0.0.1 only, nothing persisted, Docker
never touched, Lambda functions as local worker processes), its files under the test's tmp
dir. tests/targets/ runs AWS's documented behaviours on it too, and its table in
docs/local-gateway.md says where MiniStack differs.

What MiniStack 1.5.33 cannot do, and how the test goes around it:

- It refuses metric-math alarms: the first deploy, with the defaults, fails on
  FunctionErrorsAlarm with "AWS::CloudWatch::Alarm Properties.Metrics (metric math) is not
  supported; use MetricName and Namespace." (the test checks that it says so, and that the
  stack rolls back). The template's ``Alarms`` parameter turns the alarm off, as it can for
  anyone: every later deploy has ``Alarms=disabled``. The template itself is never edited.
- It has no provisioner for ``AWS::ApiGatewayV2::IntegrationResponse`` or ``RouteResponse``
  ("Unsupported resource type"), which the MOCK ping route needs: every deploy has
  ``KeepAlive=disabled``, the template's parameter that leaves the route out.
- It misreads virtual-hosted S3 template URLs: `deploy` gives a path-style TemplateURL when
  an endpoint is given.
- Its events' ``domainName`` is ``{api}.execute-api.localhost`` (no port, no TLS), and the
  template's default CALLBACK_URL is AWS's execute-api host: neither reaches MiniStack. The
  template's ``CallbackEndpoint`` parameter, which is what "updates a parameter" updates here,
  points the functions at MiniStack's path-style @connections:
  ``http://127.0.0.1:PORT/_aws/execute-api/{api}/{stage}``. No client connects before then.
- The outputs name AWS's hosts (its URLSuffix is amazonaws.com); MiniStack serves the API at
  ``ws://127.0.0.1:PORT/_aws/execute-api/{api}/{stage}``, which the clients use.

The three-client scenario (tests/scenarios.py) runs here in a copy with two differences,
each a gap of MiniStack's:

- "The sender hears nothing" cannot hold: MiniStack sends every route's integration
  response (the function's JSON reply, e.g. {"action": "sendMessage", "status": 200}) back
  to the caller as a frame. API Gateway does so only for a route with a RouteResponse (a
  two-way route), and the chat's routes have none. So the sender's frames are checked to be
  only such JSON replies, never the message.
- GetConnection answers {"ConnectedAt": <epoch seconds>, "Identity": ..., "LastActiveAt": ...}
  where AWS's wire shape is {"connectedAt": "<ISO 8601>", "identity": ..., "lastActiveAt":
  ...}: the $default reply's connection info reads as 1970 and an empty identity. The test
  checks only that the usage reply comes.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import re
import subprocess
import sys
from collections.abc import Iterator

import pytest
from websockets.asyncio.client import ClientConnection, connect

from serverless_chat.chat.usage import USAGE_PREFIX
from tests.conftest import ROOT, TEMPLATE
from tests.ministack import (
    REGION,
    MiniStackDidNotStart,
    clean_environment,
    client,
    credentials,
    running_ministack,
)

STACK = "ministack-chat"
STAGE = "production"
METRIC_MATH_REFUSED = (
    "FunctionErrorsAlarm (AWS::CloudWatch::Alarm): AWS::CloudWatch::Alarm Properties.Metrics"
    " (metric math) is not supported; use MetricName and Namespace."
)

if importlib.util.find_spec("ministack") is None:
    pytest.fail(
        "ministack is a dev dependency (pyproject.toml): pip install -e '.[dev]'",
        pytrace=False,
    )


@pytest.fixture(scope="module")
def ministack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """MiniStack's endpoint, http://127.0.0.1:PORT, stopped at the end."""
    try:
        with running_ministack(tmp_path_factory.mktemp("ministack")) as endpoint:
            yield endpoint
    except MiniStackDidNotStart as error:
        pytest.fail(str(error), pytrace=False)


def _cli(endpoint: str, *args: str) -> subprocess.CompletedProcess[str]:
    command, *rest = args
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "serverless_chat.cli",
            command,
            "--endpoint-url",
            endpoint,
            "--region",
            REGION,
            "--stack-name",
            STACK,
            *rest,
        ],
        cwd=ROOT,
        env={**clean_environment(), **credentials(), "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def _deploy(endpoint: str, *parameters: str) -> subprocess.CompletedProcess[str]:
    flags = [flag for parameter in parameters for flag in ("--parameter", parameter)]
    return _cli(endpoint, "deploy", "--template", str(TEMPLATE), *flags)


def _callback_urls(endpoint: str, outputs: dict[str, str]) -> set[str]:
    """CALLBACK_URL of every function of the stack."""
    lam = client(endpoint, "lambda")
    names = [
        r["PhysicalResourceId"]
        for r in client(endpoint, "cloudformation").describe_stack_resources(StackName=STACK)[
            "StackResources"
        ]
        if r["ResourceType"] == "AWS::Lambda::Function"
    ]
    assert len(names) == 10  # the authorizer only with AuthMode hs256 or jwks
    return {
        lam.get_function_configuration(FunctionName=name)["Environment"]["Variables"][
            "CALLBACK_URL"
        ]
        for name in names
    }


async def _frames(client: ClientConnection, wait: float = 1.0) -> list[str]:
    """Every frame that arrives until none has for ``wait`` seconds: only to show that
    nothing more comes, never to wait for a frame that will."""
    frames: list[str] = []
    try:
        while True:
            frames.append(str(await asyncio.wait_for(client.recv(), wait)))
    except TimeoutError:
        return frames


async def _next_chat_frame(client: ClientConnection) -> str:
    """The next frame that is the chat's, past the functions' own replies; a cold function
    on a busy machine may take many seconds to answer."""
    while True:
        frame = await _recv(client)
        if not _integration_reply(frame):
            return frame


def _integration_reply(frame: str) -> bool:
    """A function's own JSON reply, which MiniStack passes to the caller (see the module's
    docstring); the chat's raw-format frames are plain text."""
    try:
        return isinstance(json.loads(frame), dict)
    except ValueError:
        return False


async def _recv(client: ClientConnection) -> str:
    return str(await asyncio.wait_for(client.recv(), 60))


async def _three_clients(url: str) -> None:
    """tests/scenarios.py's three_clients_hello_aws, with MiniStack's two gaps allowed for."""
    a, b, c = [await connect(url) for _ in range(3)]
    try:
        await a.send(json.dumps({"action": "sendMessage", "message": "Hello AWS"}))
        assert await _recv(b) == "Hello AWS"
        assert await _recv(c) == "Hello AWS"
        await b.send(json.dumps({"action": "sendmessage", "message": "lowercase too"}))
        # B's message is A's first chat frame: A never got its own "Hello AWS" before it.
        assert await _next_chat_frame(a) == "lowercase too"
        assert await _next_chat_frame(c) == "lowercase too"

        await a.send("not json at all")
        assert (await _next_chat_frame(a)).startswith(USAGE_PREFIX)

        # Whether B's $disconnect has run yet or not, C hears A (see tests/scenarios.py).
        await b.close()
        await a.send(json.dumps({"action": "sendMessage", "message": "still here"}))
        assert await _next_chat_frame(c) == "still here"
        # Nothing more of the chat's for A: one usage reply, and not its own message.
        assert [f for f in await _frames(a) if not _integration_reply(f)] == []
    finally:
        for client in (a, b, c):
            await client.close()


def test_deploy_update_chat_and_destroy_on_ministack(ministack: str) -> None:
    # MiniStack refuses the errors alarm (metric math): the deploy says which resource and
    # why, in one line, and the stack rolls back.
    refused = _deploy(ministack, "KeepAlive=disabled")
    assert refused.returncode == 1
    assert f"failed: {METRIC_MATH_REFUSED}" in " ".join(refused.stderr.split()), refused.stderr
    assert "ROLLBACK_COMPLETE" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert _cli(ministack, "destroy").returncode == 0

    # So every deploy from here on turns the alarm off, through the template's parameter.
    created = _deploy(ministack, "Alarms=disabled", "KeepAlive=disabled")
    assert created.returncode == 0, created.stdout + created.stderr
    assert "CREATE_COMPLETE" in created.stdout
    printed = _cli(ministack, "outputs")
    assert printed.returncode == 0, printed.stderr
    outputs = dict(line.split("\t", 1) for line in printed.stdout.splitlines())
    match = re.fullmatch(
        rf"wss://(\w+)\.execute-api\.{REGION}\.amazonaws\.com/{STAGE}", outputs["WebSocketURL"]
    )
    assert match, outputs
    api_id = match.group(1)
    # deploy said where the emulator serves it, not only AWS's host
    served = "ws" + ministack.removeprefix("http") + f"/_aws/execute-api/{api_id}/{STAGE}"
    assert f"serverless-chat connect {served}" in created.stdout
    assert outputs["CallbackURL"] == f"https://{api_id}.execute-api.{REGION}.amazonaws.com/{STAGE}"
    for name in (outputs["ConnectionsTableName"], outputs["MessagesTableName"]):
        table = client(ministack, "dynamodb").describe_table(TableName=name)["Table"]
        assert table["TableStatus"] == "ACTIVE"
    # The functions post to the stage's own execute-api endpoint, from the template.
    assert _callback_urls(ministack, outputs) == {outputs["CallbackURL"]}
    alarms = client(ministack, "cloudwatch").describe_alarms()["MetricAlarms"]
    assert not [a for a in alarms if a["AlarmName"].startswith(STACK)]

    # The same deploy again: nothing to do (the previous parameters are kept).
    again = _deploy(ministack)
    assert again.returncode == 0, again.stderr
    assert "No changes" in again.stdout
    assert "unchanged, already uploaded" in again.stdout

    # A parameter changed: the functions' callback endpoint, to MiniStack's @connections.
    callback = f"{ministack}/_aws/execute-api/{api_id}/{STAGE}"
    updated = _deploy(ministack, f"CallbackEndpoint={callback}")
    assert updated.returncode == 0, updated.stdout + updated.stderr
    assert "UPDATE_COMPLETE" in updated.stdout
    assert _callback_urls(ministack, outputs) == {callback}

    websocket = "ws" + ministack.removeprefix("http")  # ws://127.0.0.1:PORT
    asyncio.run(_three_clients(f"{websocket}/_aws/execute-api/{api_id}/{STAGE}"))

    destroyed = _cli(ministack, "destroy")
    assert destroyed.returncode == 0, destroyed.stderr
    assert "is deleted" in destroyed.stdout
    gone = _cli(ministack, "outputs")
    assert gone.returncode == 1
    assert f"There is no stack named {STACK}" in gone.stderr
    assert (
        outputs["ConnectionsTableName"]
        not in client(ministack, "dynamodb").list_tables()["TableNames"]
    )
