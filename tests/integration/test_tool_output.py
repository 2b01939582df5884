"""What the tools emit, run as they emit it (issue 28 §1): projects of this suite's own,
written in each tool's shape, synthesized or packaged by the tool itself (``make
fixtures-tools`` regenerates them), served unmodified, driven by real WebSocket clients.

- tests/fixtures/cdk_chat: a CDK app in Python in the shape of the original chat
  (``aws_apigatewayv2.WebSocketApi``, ``WebSocketStage("production")``,
  ``WebSocketLambdaIntegration`` per route, a DynamoDB table, a layer), ``cdk synth`` →
  ``cdk.out/``: each function's ``Code`` is ``{S3Bucket: cdk-hnb659fds-assets-…, S3Key:
  <hash>.zip}`` with ``Metadata: aws:asset:path`` naming its folder under cdk.out; SAM CLI
  runs ``cdk.out/<Stack>.template.json`` the same way ("Locally test AWS CDK applications
  with AWS SAM", AWS CDK developer guide).
- tests/fixtures/serverless_chat_sls: a Serverless Framework v3 service with ``websocket``
  events, ``serverless package`` → ``.serverless/`` (``Code: {S3Bucket: {Ref:
  ServerlessDeploymentBucket}, S3Key: serverless/<service>/<stage>/<time>/<service>.zip}``,
  the zip beside the template, ``serverless-state.json`` naming the key's folder), and the
  same service with ``package.individually`` → ``.serverless-individually/`` (a zip a
  function).
- tests/fixtures/sam_simpletable: a SAM app whose connections live in an
  ``AWS::Serverless::SimpleTable`` without a PrimaryKey, ``sam build`` →
  ``.aws-sam/build/template.yaml`` (``CodeUri: ConnectFunction``, a folder the build made).
  SAM makes the table's key ``id``, a String ("If not provided, the primary key will be a
  String with a value of id", "AWS::Serverless::SimpleTable",
  https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/sam-resource-simpletable.html).
"""

from __future__ import annotations

import json
import logging
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import connect

from local_gateway import LocalGateway
from local_gateway.testing.plugin import Factory
from tests.conftest import FIXTURES, ROOT
from tests.integration.conftest import receives_nothing, recv

CDK_TEMPLATE = FIXTURES / "cdk_chat" / "cdk.out" / "ChatStack.template.json"
SAM_BUILD = FIXTURES / "sam_simpletable" / ".aws-sam" / "build" / "template.yaml"
SLS = FIXTURES / "serverless_chat_sls"
SLS_TEMPLATE = "cloudformation-template-update-stack.json"
SERVE = [sys.executable, "-m", "serverless_chat.cli", "serve"]


@pytest.fixture
def cdk_chat(websocket_api_factory: Factory) -> LocalGateway:
    """The CDK app's stack, served by the pytest plugin (started once, reset after each test)."""
    return websocket_api_factory(CDK_TEMPLATE, stack_name="ChatStack").gateway


async def test_a_cdk_app_runs_from_its_assets(
    cdk_chat: LocalGateway, caplog: pytest.LogCaptureFixture
) -> None:
    """The chat of the original documentation: a message reaches every other client, not
    the sender; $default answers with the caller's connection info."""
    caplog.set_level(logging.INFO, logger="local_gateway.lambda")
    assert cdk_chat.api.stage == "production"
    assert {cdk_chat.functions.placement(f) for f in cdk_chat.api.functions} == {"isolated"}
    async with connect(cdk_chat.url) as ana, connect(cdk_chat.url) as bob:
        await ana.send(json.dumps({"action": "sendMessage", "message": "Hello AWS"}))
        assert await recv(bob, 30) == "Hello AWS"
        assert await receives_nothing(ana)
        await bob.send(json.dumps({"action": "whatever"}))
        answer = await recv(bob, 30)
    assert isinstance(answer, str)
    assert answer.startswith("Use the sendMessage route to send a message. Your info: ")
    info = json.loads(answer.split("Your info: ", 1)[1])
    assert info["Identity"]["SourceIp"] == "127.0.0.1"
    # Logs name a function by its construct path as well as its logical id.
    assert "ChatStack-SendMessageHandlerDCEABF13 (ChatStack/SendMessageHandler)" in caplog.text


@pytest.mark.parametrize("package", [".serverless", ".serverless-individually"])
async def test_a_serverless_framework_package_runs_from_its_artefacts(
    websocket_api_factory: Factory, package: str
) -> None:
    """One zip for the service, or one a function (package.individually): each function's
    code is the zip its S3Key names, beside the template."""
    gateway = websocket_api_factory(SLS / package / SLS_TEMPLATE).gateway
    assert gateway.api.stage == "dev"
    zips = {spec.code_dir.name for spec in gateway.api.functions.values() if spec.code_dir}
    expected = (
        {"sls-chat.zip"}
        if package == ".serverless"
        else {
            "connect.zip",
            "disconnect.zip",
            "sendMessage.zip",
        }
    )
    assert zips == expected
    async with connect(gateway.url) as ana, connect(gateway.url) as bob:
        await ana.send(json.dumps({"action": "sendMessage", "message": "Hello AWS"}))
        assert await recv(bob, 30) == "Hello AWS"
        assert await receives_nothing(ana)


async def test_sam_build_output_runs_with_its_simple_table(websocket_api_factory: Factory) -> None:
    """The built template's functions run from the folders sam build made, and the
    SimpleTable is a table on the embedded DynamoDB keyed by id (a String)."""
    gateway = websocket_api_factory(SAM_BUILD).gateway
    build = SAM_BUILD.parent
    assert {spec.code_dir for spec in gateway.api.functions.values()} == {
        build / "ConnectFunction",
        build / "DisconnectFunction",
        build / "SendFunction",
    }
    table = gateway.api.tables["ConnectionsTable"]
    assert table.key_schema == (("id", "HASH"),)
    assert table.properties["BillingMode"] == "PAY_PER_REQUEST"
    async with connect(gateway.url) as ana, connect(gateway.url) as bob:
        await ana.send(json.dumps({"action": "sendmessage", "data": "Hello AWS"}))
        assert await recv(bob, 30) == "Hello AWS"
        assert await receives_nothing(ana)


def _serve(*args: str, state: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*SERVE, "--port", "0", "--state-dir", str(state), *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )


async def test_serve_cdk_out_picks_the_websocket_stack_and_names_functions_by_path(
    tmp_path: Path,
) -> None:
    """``serve --cdk-out cdk.out``: the one stack with a WebSocket API, no --stack needed, no
    value for CDK's BootstrapVersion parameter; the route list names each function by its
    construct path beside its logical id."""
    process = _serve("--cdk-out", str(CDK_TEMPLATE.parent), state=tmp_path / "state")
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline() for _ in range(8)]
        url = re.search(r"on (ws://\S+)", lines[0])
        assert url, lines
        assert (
            "  sendMessage  SendMessageHandlerDCEABF13 (ChatStack/SendMessageHandler):"
            in "".join(lines)
        )
        async with connect(url.group(1)) as ana, connect(url.group(1)) as bob:
            await ana.send(json.dumps({"action": "sendMessage", "message": "Hello AWS"}))
            assert await recv(bob, 30) == "Hello AWS"
        process.send_signal(signal.SIGINT)
        assert process.wait(30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def _two_stacks(folder: Path) -> Path:
    """cdk.out with the chat's stack twice (ChatStack and ChatStackCopy)."""
    cdk_out = folder / "cdk.out"
    shutil.copytree(CDK_TEMPLATE.parent, cdk_out)
    manifest = json.loads((cdk_out / "manifest.json").read_text())
    copy = json.loads(json.dumps(manifest["artifacts"]["ChatStack"]))
    copy["displayName"] = "ChatStackCopy"
    manifest["artifacts"]["ChatStackCopy"] = copy
    (cdk_out / "manifest.json").write_text(json.dumps(manifest))
    return cdk_out


def _missing_asset(folder: Path) -> Path:
    cdk_out = folder / "cdk.out"
    shutil.copytree(CDK_TEMPLATE.parent, cdk_out)
    for asset in cdk_out.glob("asset.6f024a7f*"):
        shutil.rmtree(asset)
    return cdk_out


@pytest.mark.parametrize(
    ("arguments", "error"),
    [
        (
            lambda tmp: ["--cdk-out", str(_two_stacks(tmp))],
            "stacks ChatStack, ChatStackCopy each declare a WebSocket API; choose one with --stack",
        ),
        (
            lambda tmp: ["--cdk-out", str(CDK_TEMPLATE.parent), "--stack", "Nope"],
            f"--stack Nope: {CDK_TEMPLATE.parent} has no such stack (stacks: ChatStack)",
        ),
        (
            lambda tmp: ["--stack", "ChatStack"],
            "--stack names a stack of --cdk-out, which is not given",
        ),
        (
            lambda tmp: ["--cdk-out", str(tmp)],
            "no manifest.json there (is it the folder cdk synth wrote?)",
        ),
        (
            lambda tmp: ["--cdk-out", str(_missing_asset(tmp))],
            "function ConnectHandler2FFD52D8 (ChatStack/ConnectHandler) has no code to run:"
            " looked at",
        ),
    ],
    ids=["two-websocket-stacks", "unknown-stack", "stack-without-cdk-out", "no-manifest", "asset"],
)
def test_bad_cdk_inputs_are_one_clear_line(tmp_path: Path, arguments: Any, error: str) -> None:
    result = subprocess.run(
        [*SERVE, *arguments(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert result.returncode == 2
    assert error in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "Traceback" not in result.stderr
