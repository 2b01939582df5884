"""Projects in the shapes public WebSocket samples have, run unmodified through the gateway
with real WebSocket clients (the projects are this suite's own, written in those shapes).

- tests/fixtures/sam_chat: SAM layout (src/<function>/app.py, Handler app.lambda_handler in
  every folder), an AWS::Serverless::WebSocketApi, configuration read at import, boto3
  clients made at import, callbacks to https://{domainName}/{stage} (the pattern in "Use
  @connections commands in your backend service",
  https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-how-to-call-websocket-api-connections.html),
  a $connect that invokes a second function asynchronously (the ack-connect-route pattern
  of aws-samples/serverless-patterns), a DynamoDB table the template declares, and a call
  to a service the gateway does not emulate (SSM).
- Small projects written by each test: a Chalice-style endpoint built from the API id and
  AWS_REGION, network calls to the internet, Lambda's synchronous Invoke, an import error.
"""

from __future__ import annotations

import asyncio
import json
import logging
import textwrap
from pathlib import Path

import pytest
from websockets.asyncio.client import connect

from local_gateway import LocalGateway
from local_gateway.testing.plugin import Factory
from tests.conftest import FIXTURES
from tests.integration.conftest import recv, start_gateway

SAM_CHAT = FIXTURES / "sam_chat" / "template.yaml"


@pytest.fixture
def sam_chat(websocket_api_factory: Factory) -> LocalGateway:
    """The SAM project, served by the pytest plugin (started once, reset after each test)."""
    return websocket_api_factory(SAM_CHAT).gateway


async def test_a_sam_project_runs_as_its_authors_intended(
    sam_chat: LocalGateway, caplog: pytest.LogCaptureFixture
) -> None:
    assert {sam_chat.functions.placement(f) for f in sam_chat.api.functions} == {"isolated"}
    async with (
        connect(sam_chat.url + "?name=ana") as ana,
        connect(sam_chat.url + "?name=bob") as bob,
    ):
        assert await recv(ana, 30) == "Welcome aboard, ana (from 127.0.0.1)"
        assert await recv(bob, 30) == "Welcome aboard, bob (from 127.0.0.1)"
        await ana.send(json.dumps({"action": "sendmessage", "message": "Hello AWS"}))
        assert await recv(bob, 30) == "ana: Hello AWS"
        await ana.send(json.dumps({"action": "settings"}))
        answer = await recv(ana, 60)
    assert isinstance(answer, str)
    assert answer.startswith("settings unavailable: An error occurred (NotEmulatedLocally)")
    # At once: one call, not botocore's retries (each is a log line), nor a network timeout
    assert caplog.text.count("SettingsFunction called ssm (GetParameter): not emulated") == 1


REPLY = """
import boto3 as _boto3

def reply(event, text):
    ctx = event["requestContext"]
    client = _boto3.client(
        "apigatewaymanagementapi", endpoint_url=f"https://{ctx['domainName']}/{ctx['stage']}"
    )
    client.post_to_connection(ConnectionId=ctx["connectionId"], Data=text.encode())
"""


# What each function of a project() may call: the API's callbacks and the other functions.
ALLOWED = [
    {
        "Effect": "Allow",
        "Action": "execute-api:ManageConnections",
        "Resource": {
            "Fn::Sub": "arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${Api}/*"
        },
    },
    {
        "Effect": "Allow",
        "Action": "lambda:InvokeFunction",
        "Resource": {
            "Fn::Sub": "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:*"
        },
    },
]


def project(folder: Path, functions: dict[str, str], routes: dict[str, str], **env: object) -> Path:
    """A template with one function a route (Handler app.handler, CodeUri fn/<name>/); each
    app.py has ``reply(event, text)``, a post back to the caller over the callback API, and
    each role allows it that and invoking the others (as on AWS, it must)."""
    resources: dict[str, object] = {
        "Api": {
            "Type": "AWS::Serverless::WebSocketApi",
            "Properties": {
                "RouteSelectionExpression": "$request.body.action",
                "StageName": "dev",
                "Routes": {
                    key: {"FunctionArn": {"Fn::GetAtt": [fn, "Arn"]}} for key, fn in routes.items()
                },
            },
        }
    }
    for name, source in functions.items():
        code = folder / "fn" / name
        code.mkdir(parents=True)
        (code / "app.py").write_text(textwrap.dedent(source) + REPLY)
        resources[name] = {
            "Type": "AWS::Serverless::Function",
            "Properties": {
                "Runtime": "python3.13",
                "Handler": "app.handler",
                "CodeUri": f"fn/{name}/",
                "Timeout": 10,
                "Environment": {"Variables": dict(env) or {"UNUSED": "1"}},
                "Policies": [{"Statement": ALLOWED}],
            },
        }
    template = folder / "template.json"
    template.write_text(json.dumps({"Resources": resources}))
    return template


async def test_an_endpoint_built_from_the_api_id_and_region_reaches_the_gateway(
    tmp_path: Path,
) -> None:
    """Chalice builds its management endpoint from the API id and AWS_REGION, not from
    domainName: https://{apiId}.execute-api.{region}.amazonaws.com/{stage}."""
    template = project(
        tmp_path,
        {
            "Echo": """
                import os
                import boto3

                def handler(event, context):
                    ctx = event["requestContext"]
                    host = f"{ctx['apiId']}.execute-api.{os.environ['AWS_REGION']}.amazonaws.com"
                    client = boto3.client(
                        "apigatewaymanagementapi", endpoint_url=f"https://{host}/{ctx['stage']}"
                    )
                    client.post_to_connection(
                        ConnectionId=ctx["connectionId"], Data=("echo " + event["body"]).encode()
                    )
                    return {"statusCode": 200}
            """
        },
        {"$default": "Echo"},
    )
    gateway = await start_gateway(template, tmp_path / "state")
    try:
        async with connect(gateway.url) as client:
            await client.send("hi")
            assert await recv(client, 30) == "echo hi"
    finally:
        await gateway.stop()


async def test_a_function_never_reaches_the_internet(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    template = project(
        tmp_path,
        {
            "Fetch": """
                import urllib.request

                def handler(event, context):
                    try:
                        urllib.request.urlopen("https://example.com/", timeout=20)
                        reply(event, "reached the internet")
                    except OSError as error:
                        reply(event, "refused: " + type(error).__name__)
            """
        },
        {"$default": "Fetch"},
    )
    gateway = await start_gateway(template, tmp_path / "state")
    try:
        async with connect(gateway.url) as client:
            await client.send("go")
            # Refused by the proxy: a hang would end in the function's timeout (10 s) instead
            assert await recv(client, 60) == "refused: URLError"
    finally:
        await gateway.stop()
    assert "Fetch tried to reach example.com:443" in caplog.text


async def test_functions_invoke_each_other_through_lambdas_invoke_api(tmp_path: Path) -> None:
    template = project(
        tmp_path,
        {
            "Front": """
                import json
                import os
                import boto3
                from botocore.exceptions import ClientError

                LAMBDA = boto3.client("lambda")

                def handler(event, context):
                    answers = []
                    back = os.environ["BACK_FUNCTION"]
                    for name, payload in ((back, {"n": 2}), (back, {"fail": True})):
                        out = LAMBDA.invoke(FunctionName=name, Payload=json.dumps(payload))
                        body = json.loads(out["Payload"].read())
                        answers.append([out.get("FunctionError"), body])
                    for nowhere in ("Nowhere", "Back"):  # a logical id names nothing on AWS
                        try:
                            LAMBDA.invoke(FunctionName=nowhere, Payload=b"{}")
                        except ClientError as error:
                            answers.append(error.response["Error"]["Code"])
                    dry = LAMBDA.invoke(FunctionName=back, InvocationType="DryRun")
                    answers.append(dry["StatusCode"])
                    reply(event, json.dumps(answers))
            """,
            "Back": """
                def handler(event, context):
                    if event.get("fail"):
                        raise ValueError("asked to fail")
                    return {"double": event["n"] * 2}
            """,
        },
        {"$default": "Front"},
        BACK_FUNCTION={"Ref": "Back"},
    )
    gateway = await start_gateway(template, tmp_path / "state")
    try:
        async with connect(gateway.url) as client:
            await client.send("go")
            answers = json.loads(await recv(client, 30))
    finally:
        await gateway.stop()
    assert answers[0] == [None, {"double": 4}]
    assert answers[1][0] == "Unhandled"
    assert answers[1][1]["errorType"] == "ValueError"
    assert answers[1][1]["errorMessage"] == "asked to fail"
    assert answers[2] == "ResourceNotFoundException"
    assert answers[3] == "ResourceNotFoundException"
    assert answers[4] == 204


async def test_a_function_that_fails_to_import_answers_as_lambda_and_the_gateway_stays_up(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    template = project(
        tmp_path,
        {
            "Broken": "import requests_not_on_lambda\n\ndef handler(event, context):\n    pass\n",
            "Fine": "def handler(event, context):\n    return {'statusCode': 200}\n",
        },
        {"$default": "Broken", "fine": "Fine"},
    )
    gateway = await start_gateway(template, tmp_path / "state")
    try:
        async with connect(gateway.url) as client:
            for _ in range(2):
                await client.send("x")
                frame = json.loads(await recv(client, 30))
                assert frame["message"] == "Internal server error"
            await client.send(json.dumps({"action": "fine"}))
            deadline = asyncio.get_running_loop().time() + 30
            while "-Fine Duration:" not in caplog.text:  # its REPORT line
                assert asyncio.get_running_loop().time() < deadline, "Fine never ran"
                await asyncio.sleep(0.05)
        async with connect(gateway.url) as again:  # still up: a new client is served
            await again.send("x")
            assert json.loads(await recv(again, 30))["message"] == "Internal server error"
    finally:
        await gateway.stop()
    assert caplog.text.count("Runtime.ImportModuleError: Unable to import module 'app'") >= 2


async def test_functions_written_in_the_template_run_from_index_py(tmp_path: Path) -> None:
    """A function whose code is in the template runs: ``Code: {ZipFile: ...}`` ("For Node.js
    and Python functions, you can specify the function code inline in the template", and
    CloudFormation places it "in a file named index": "AWS::Lambda::Function Code",
    https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-lambda-function-code.html)
    and SAM's ``InlineCode`` (AWS::Serverless::Function, which the transform turns into
    Code.ZipFile), each with its environment, on a two-way route."""
    gateway = await start_gateway(FIXTURES / "inline" / "template.yaml", tmp_path / "state")
    try:
        async with connect(gateway.url) as client:
            await client.send(json.dumps({"action": "zipfile"}))
            answer = json.loads(await recv(client, 30))
            assert answer == {"answer": "from ZipFile", "file": "index.py", "route": "zipfile"}
            await client.send(json.dumps({"action": "inline"}))
            assert json.loads(await recv(client, 30)) == {"answer": "from InlineCode"}
    finally:
        await gateway.stop()
