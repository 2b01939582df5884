"""IAM as AWS evaluates it, through the gateway's own APIs (local_gateway/aws/iam/access.py):
each call a function signs is authorised by its role, and refused in the service's words
("Policy evaluation logic", IAM User Guide; "Use @connections commands in your backend
service" for execute-api:ManageConnections on
arn:aws:execute-api:{region}:{account}:{apiId}/{stage}/{METHOD}/@connections/{id}, POST, GET
and DELETE each their own; "Lambda API permissions reference" for lambda:InvokeFunction;
"Actions, resources, and condition keys for Amazon DynamoDB" for each action on a table's or
an index's ARN). The callers sign here with the functions' own credentials, as their boto3
clients would inside the containers."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import boto3
import pytest
import pytest_asyncio
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError
from websockets.asyncio.client import connect

from local_gateway import GatewayConfig, LocalGateway
from tests.conftest import TEMPLATE
from tests.integration.conftest import client_as, recv, start_gateway

API_ARN = "arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${Api}/live"
NOT_A_CONNECTION = "AAAAAAAAAAAAAAA="  # of API Gateway's form, never open: 410 once allowed


def _role(*statements: dict[str, Any]) -> dict[str, Any]:
    return {
        "Type": "AWS::IAM::Role",
        "Properties": {
            "AssumeRolePolicyDocument": {
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "lambda.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                    }
                ]
            },
            "Policies": [{"PolicyName": "calls", "PolicyDocument": {"Statement": list(statements)}}]
            if statements
            else [],
        },
    }


def _function(name: str, role: str) -> dict[str, Any]:
    return {
        "Type": "AWS::Lambda::Function",
        "Properties": {
            "FunctionName": f"fn-{name.lower()}",
            "Runtime": "python3.13",
            "Handler": "app.handler",
            "Code": "fn/",
            "Role": {"Fn::GetAtt": [role, "Arn"]},
        },
    }


def _allow(action: str, resource: Any, effect: str = "Allow") -> dict[str, Any]:
    return {"Effect": effect, "Action": action, "Resource": resource}


def _project(folder: Path) -> Path:
    """An API, a table with an index, and one function per role under test."""
    (folder / "fn").mkdir(parents=True)
    (folder / "fn" / "app.py").write_text("def handler(event, context):\n    return {}\n")
    table = {
        "Fn::Sub": "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${Table}"
    }
    roles = {
        "Nothing": _role(),
        "PostOnly": _role(
            _allow("execute-api:ManageConnections", {"Fn::Sub": API_ARN + "/POST/@connections/*"})
        ),
        "AllButDelete": _role(
            _allow("execute-api:*", {"Fn::Sub": API_ARN + "/*"}),
            _allow("execute-api:ManageConnections", {"Fn::Sub": API_ARN + "/DELETE/*"}, "Deny"),
        ),
        "TableOnly": _role(_allow("dynamodb:Query", table), _allow("lambda:InvokeFunction", "*")),
    }
    resources: dict[str, Any] = {
        "Api": {
            "Type": "AWS::ApiGatewayV2::Api",
            "Properties": {
                "Name": "iam",
                "ProtocolType": "WEBSOCKET",
                "RouteSelectionExpression": "$request.body.action",
            },
        },
        "Stage": {
            "Type": "AWS::ApiGatewayV2::Stage",
            "Properties": {"ApiId": {"Ref": "Api"}, "StageName": "live", "AutoDeploy": True},
        },
        "Table": {
            "Type": "AWS::DynamoDB::Table",
            "Properties": {
                "BillingMode": "PAY_PER_REQUEST",
                "AttributeDefinitions": [
                    {"AttributeName": "id", "AttributeType": "S"},
                    {"AttributeName": "room", "AttributeType": "S"},
                ],
                "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
                "GlobalSecondaryIndexes": [
                    {
                        "IndexName": "by-room",
                        "KeySchema": [{"AttributeName": "room", "KeyType": "HASH"}],
                        "Projection": {"ProjectionType": "ALL"},
                    }
                ],
            },
        },
    }
    for name, role in roles.items():
        resources[f"{name}Role"] = role
        resources[name] = _function(name, f"{name}Role")
    template = folder / "template.json"
    template.write_text(json.dumps({"Resources": resources}))
    return template


# One gateway serves every test that takes ``gateway``: they only read, ask for what a role
# is refused, invoke as a DryRun or post to a connection never open, so none sees what
# another did. They run in the module's loop, the gateway's.
ON_THE_SHARED_GATEWAY = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def gateway(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[LocalGateway]:
    folder = tmp_path_factory.mktemp("iam")
    gateway = await start_gateway(_project(folder / "project"), folder / "state")
    yield gateway
    await gateway.stop()


async def _error(call: Any, **kwargs: Any) -> tuple[str, int, str]:
    """The error code, status and message a call ends in ("", 200, "" when it succeeds)."""
    try:
        await asyncio.to_thread(call, **kwargs)
    except ClientError as error:
        meta = error.response["ResponseMetadata"]
        return error.response["Error"]["Code"], meta["HTTPStatusCode"], str(error)
    return "", 200, ""


@ON_THE_SHARED_GATEWAY
async def test_a_role_without_manage_connections_is_refused_naming_its_assumed_role(
    gateway: LocalGateway,
) -> None:
    """PostToConnection signed by a role with no execute-api:ManageConnections: 403
    AccessDeniedException, "User: arn:aws:sts::…:assumed-role/ROLE/FUNCTION is not authorized
    to perform: execute-api:ManageConnections on resource:
    arn:aws:execute-api:REGION:********NNNN:API/STAGE/POST/@connections/{connectionId}", as
    API Gateway words it ("Use @connections commands in your backend service",
    https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-how-to-call-websocket-api-connections.html;
    the message as aws-cdk#18410, https://github.com/aws/aws-cdk/issues/18410, quotes it)."""
    callbacks = client_as(gateway, "Nothing", "apigatewaymanagementapi", gateway.callback_url)
    code, status, message = await _error(
        callbacks.post_to_connection, ConnectionId=NOT_A_CONNECTION, Data=b"x"
    )
    assert (code, status) == ("AccessDeniedException", 403)
    assert "User: arn:aws:sts::123456789012:assumed-role/" in message
    assert "NothingRole/fn-nothing is not authorized to perform:" in message
    assert (
        "execute-api:ManageConnections on resource: arn:aws:execute-api:us-east-1:********9012:"
    ) in message
    assert message.endswith("/live/POST/@connections/{connectionId}")


@ON_THE_SHARED_GATEWAY
async def test_a_role_allowed_only_post_is_refused_get_and_delete(gateway: LocalGateway) -> None:
    """POST, GET and DELETE on @connections are each their own resource
    (arn:…:API/STAGE/METHOD/@connections/…, "Control access to WebSocket APIs with IAM
    authorization",
    https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-control-access-iam.html):
    a grant of POST alone leaves GET and DELETE denied (aws-cdk#18410)."""
    callbacks = client_as(gateway, "PostOnly", "apigatewaymanagementapi", gateway.callback_url)
    post = await _error(callbacks.post_to_connection, ConnectionId=NOT_A_CONNECTION, Data=b"x")
    assert post[0] == "GoneException"  # allowed: the API then answers as it does
    for call in (callbacks.get_connection, callbacks.delete_connection):
        assert (await _error(call, ConnectionId=NOT_A_CONNECTION))[0] == "AccessDeniedException"


@ON_THE_SHARED_GATEWAY
async def test_an_explicit_deny_beats_an_allow(gateway: LocalGateway) -> None:
    """An applicable Deny decides whatever allows the request ("Policy evaluation logic",
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html);
    the message ends "with an explicit deny in an identity-based policy" ("Troubleshoot
    access denied error messages",
    https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html)."""
    callbacks = client_as(gateway, "AllButDelete", "apigatewaymanagementapi", gateway.callback_url)
    assert (await _error(callbacks.get_connection, ConnectionId=NOT_A_CONNECTION))[0] == (
        "GoneException"
    )
    code, _, message = await _error(callbacks.delete_connection, ConnectionId=NOT_A_CONNECTION)
    assert code == "AccessDeniedException"
    assert message.endswith(
        "/live/DELETE/@connections/{connectionId} with an explicit deny in an identity-based policy"
    )


@ON_THE_SHARED_GATEWAY
async def test_a_role_without_the_index_arn_cannot_query_the_index(gateway: LocalGateway) -> None:
    """A Query of an index is authorised on ``…:table/NAME/index/INDEX``, which the table's
    ARN does not cover ("Actions, resources, and condition keys for Amazon DynamoDB",
    https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazondynamodb.html);
    DynamoDB answers 400 AccessDeniedException "… because no identity-based policy allows
    the dynamodb:Query action" (sst#4469, https://github.com/anomalyco/sst/issues/4469)."""
    assert gateway.dynamodb_endpoint is not None
    table = next(iter(gateway.api.tables.values())).name
    dynamodb = client_as(gateway, "TableOnly", "dynamodb", gateway.dynamodb_endpoint)
    on_table = await _error(
        dynamodb.query,
        TableName=table,
        KeyConditionExpression="id = :id",
        ExpressionAttributeValues={":id": {"S": "x"}},
    )
    assert on_table == ("", 200, "")
    code, status, message = await _error(
        dynamodb.query,
        TableName=table,
        IndexName="by-room",
        KeyConditionExpression="room = :r",
        ExpressionAttributeValues={":r": {"S": "x"}},
    )
    assert (code, status) == ("AccessDeniedException", 400)
    assert f"on resource: arn:aws:dynamodb:us-east-1:123456789012:table/{table}/index/by-room" in (
        message
    )
    assert message.endswith("because no identity-based policy allows the dynamodb:Query action")
    assert (await _error(dynamodb.list_tables))[0] == "AccessDeniedException"


@ON_THE_SHARED_GATEWAY
async def test_a_role_without_invoke_cannot_invoke(gateway: LocalGateway) -> None:
    """Invoke needs lambda:InvokeFunction on the function's ARN ("Lambda API permissions
    reference", https://docs.aws.amazon.com/lambda/latest/dg/lambda-api-permissions-ref.html):
    403 AccessDeniedException "… because no identity-based policy allows the
    lambda:InvokeFunction action" (awslabs/aws-deployment-framework#460,
    https://github.com/awslabs/aws-deployment-framework/issues/460)."""
    base = gateway.callback_url.rsplit("/", 1)[0]
    refused = client_as(gateway, "Nothing", "lambda", base)
    code, status, message = await _error(
        refused.invoke, FunctionName="fn-nothing", InvocationType="DryRun"
    )
    assert (code, status) == ("AccessDeniedException", 403)
    assert message.endswith(
        "on resource: arn:aws:lambda:us-east-1:123456789012:function:fn-nothing because no"
        " identity-based policy allows the lambda:InvokeFunction action"
    )
    allowed = client_as(gateway, "TableOnly", "lambda", base)
    assert (await _error(allowed.invoke, FunctionName="fn-nothing", InvocationType="DryRun"))[
        0
    ] == ""


async def test_warn_lets_a_denied_call_through_and_says_what_aws_would_answer(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """``--iam warn``: the call AWS would refuse ("Policy evaluation logic",
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html)
    goes through, and the log says once what AWS would answer and a statement that would
    allow it."""
    caplog.set_level(logging.WARNING, "local_gateway")
    gateway = await start_gateway(_project(tmp_path / "project"), tmp_path / "state", iam="warn")
    try:
        callbacks = client_as(gateway, "Nothing", "apigatewaymanagementapi", gateway.callback_url)
        for _ in range(3):
            code, _, _ = await _error(
                callbacks.post_to_connection, ConnectionId=NOT_A_CONNECTION, Data=b"x"
            )
            assert code == "GoneException"
    finally:
        await gateway.stop()
    said = [r.getMessage() for r in caplog.records if "AWS would refuse" in r.getMessage()]
    assert len(said) == 1  # once for the role and action
    assert '"Action": "execute-api:ManageConnections"' in said[0]


@pytest.mark.parametrize("hook", ["", None], ids=["isolated", "in-process"])
async def test_the_chats_own_least_privilege_roles_carry_the_chat(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, hook: str | None
) -> None:
    """Every function of the chat's template in a container of its own (serve --no-hook),
    each signing with its own credentials, or in the gateway's process through the chat's
    hook, each asking with its own key: under --iam enforce a message goes round and no call
    is refused, so the template's least-privilege roles ("Security best practices in IAM",
    https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html) allow what the
    code does."""
    caplog.set_level(logging.WARNING, "local_gateway")
    gateway = await start_gateway(TEMPLATE, tmp_path / "state", hook=hook)
    try:
        async with (
            connect(gateway.url + "?name=ana", open_timeout=60) as ana,
            connect(gateway.url + "?name=bob&format=raw", open_timeout=60) as bob,
        ):
            await ana.send(json.dumps({"action": "sendMessage", "message": "Hello AWS"}))
            while (frame := await recv(bob, 60)) != "Hello AWS":
                assert "Internal server error" not in str(frame)
    finally:
        await gateway.stop()
    assert not [r for r in caplog.records if r.getMessage().startswith("IAM:")]


HOOK = """
captured = []


class App:
    def handler(self, function):
        return None

    def web_routes(self):
        return []

    def close(self):
        pass


def hook(services):
    captured.append(services)
    return App()
"""


async def test_functions_run_in_process_are_held_to_their_roles_too(tmp_path: Path) -> None:
    """The faces a hook's in-process function calls (callbacks_for, invoke_async_for) are
    decided by that function's role as its signed calls are: an in-process function gets no
    more than its role, as on AWS."""
    project = tmp_path / "project"
    template = _project(project)
    (project / "iam_hook.py").write_text(HOOK)
    gateway = await start_gateway(template, tmp_path / "state", hook="iam_hook:hook")
    try:
        import iam_hook  # type: ignore[import-not-found]

        services = iam_hook.captured[-1]
        nothing, post_only = services.callbacks_for("Nothing"), services.callbacks_for("PostOnly")

        def calls() -> list[str]:
            outcomes = []
            for call in (
                lambda: nothing.post(NOT_A_CONNECTION, b"x"),
                lambda: post_only.post(NOT_A_CONNECTION, b"x"),
                lambda: post_only.info(NOT_A_CONNECTION),
                lambda: services.invoke_async_for("Nothing")("fn-tableonly", {}),
                lambda: services.invoke_async_for("TableOnly")("fn-nothing", {}),
            ):
                try:
                    call()
                    outcomes.append("ok")
                except Exception as error:  # the gateway's errors, named as AWS names them
                    outcomes.append(getattr(error, "code", type(error).__name__))
            return outcomes

        assert await asyncio.to_thread(calls) == [
            "AccessDeniedException",
            "GoneException",  # allowed: then the connection is not there
            "AccessDeniedException",
            "AccessDeniedException",
            "ok",
        ]
        failures = await asyncio.to_thread(
            nothing.post_many, [(NOT_A_CONNECTION, b"x"), ("BBBBBBBBBBBBBBB=", b"y")]
        )
        assert {cid: e.code for cid, e in failures.items()} == {
            NOT_A_CONNECTION: "AccessDeniedException",
            "BBBBBBBBBBBBBBB=": "AccessDeniedException",
        }
    finally:
        await gateway.stop()


def _forged(
    gateway: LocalGateway, service: str, endpoint: str, key: str, secret: str, token: str
) -> Any:
    """A client signing with a mix of two functions' credentials."""
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=gateway.functions.credentials(key)["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=gateway.functions.credentials(secret)["AWS_SECRET_ACCESS_KEY"],
        aws_session_token=gateway.functions.credentials(token)["AWS_SESSION_TOKEN"],
    )


@ON_THE_SHARED_GATEWAY
async def test_a_function_cannot_sign_as_another(gateway: LocalGateway) -> None:
    """Each function holds its role's temporary credentials alone ("Temporary security
    credentials in IAM",
    https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp.html): the function
    "Nothing", whose role allows nothing, cannot borrow the identity of "TableOnly" (allowed
    to Query its table and to Invoke) or "PostOnly" (allowed to post). Another function's
    access key signed with its own secret does not match ("The request signature we
    calculated does not match"); its own key with another's session token, or another's key
    with its own token, is "The security token included in the request is invalid"
    ("Troubleshoot signed requests for AWS APIs",
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-troubleshooting.html)."""
    assert gateway.dynamodb_endpoint is not None
    table = next(iter(gateway.api.tables.values())).name
    lambdas = gateway.callback_url.rsplit("/", 1)[0]
    calls = {
        "dynamodb": (
            gateway.dynamodb_endpoint,
            "TableOnly",
            lambda client: client.query(
                TableName=table,
                KeyConditionExpression="id = :id",
                ExpressionAttributeValues={":id": {"S": "x"}},
            ),
            "",
        ),
        "lambda": (
            lambdas,
            "TableOnly",
            lambda client: client.invoke(FunctionName="fn-nothing", InvocationType="DryRun"),
            "",
        ),
        "apigatewaymanagementapi": (
            gateway.callback_url,
            "PostOnly",
            lambda client: client.post_to_connection(ConnectionId=NOT_A_CONNECTION, Data=b"x"),
            "GoneException",  # allowed: then the connection is not there
        ),
    }
    for service, (endpoint, victim, call, allowed) in calls.items():
        genuine = _forged(gateway, service, endpoint, victim, victim, victim)
        assert (await _error(call, client=genuine))[0] == allowed, service
        for key, secret, token, expected in (
            (victim, "Nothing", victim, "InvalidSignatureException"),
            (victim, "Nothing", "Nothing", "UnrecognizedClientException"),
            ("Nothing", "Nothing", victim, "UnrecognizedClientException"),
        ):
            forged = _forged(gateway, service, endpoint, key, secret, token)
            code = (await _error(call, client=forged))[0]
            assert code == expected, (service, key, secret, token)


async def _raw(
    gateway: LocalGateway, service: str, url: str, headers: dict[str, str]
) -> tuple[int, dict[str, str], Any]:
    """A POST signed by the function "Nothing" as its SDK signs it: status, headers, body."""
    own = gateway.functions.credentials("Nothing")
    credentials = Credentials(
        own["AWS_ACCESS_KEY_ID"], own["AWS_SECRET_ACCESS_KEY"], own["AWS_SESSION_TOKEN"]
    )
    request = AWSRequest(method="POST", url=url, data=b"{}", headers=headers)
    SigV4Auth(credentials, service, "us-east-1").add_auth(request)
    signed = {k: v for k, v in request.headers.items() if k.lower() != "host"}
    async with (
        aiohttp.ClientSession() as session,
        session.post(url, data=b"{}", headers=signed) as answer,
    ):
        return answer.status, dict(answer.headers), json.loads(await answer.read())


@ON_THE_SHARED_GATEWAY
async def test_each_denial_is_the_services_own_body(gateway: LocalGateway) -> None:
    """What a caller's SDK parses, byte for byte where it differs: API Gateway's and
    Lambda's IAM denials are 403, ``x-amzn-ErrorType: AccessDeniedException`` and
    ``{"Message": …}`` (the key capitalised, as an IAM answer's is: slackapi/bolt-python#632,
    https://github.com/slackapi/bolt-python/issues/632, quotes Lambda's); DynamoDB's is 400
    ``{"__type": "com.amazon.coral.service#AccessDeniedException", "Message": …}``
    (sebdah/dynamic-dynamodb#321, https://github.com/sebdah/dynamic-dynamodb/issues/321;
    "Error handling with DynamoDB",
    https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Programming.Errors.html)."""
    assert gateway.dynamodb_endpoint is not None
    lambdas = gateway.callback_url.rsplit("/", 1)[0]
    for service, url, headers in (
        ("execute-api", f"{gateway.callback_url}/@connections/{NOT_A_CONNECTION}", {}),
        ("lambda", f"{lambdas}/2015-03-31/functions/fn-tableonly/invocations", {}),
    ):
        status, answer_headers, body = await _raw(gateway, service, url, headers)
        assert status == 403, service
        assert answer_headers["x-amzn-ErrorType"] == "AccessDeniedException", service
        assert list(body) == ["Message"], service
        assert body["Message"].startswith("User: arn:aws:sts::123456789012:assumed-role/")
    status, _, body = await _raw(
        gateway,
        "dynamodb",
        gateway.dynamodb_endpoint + "/",
        {
            "X-Amz-Target": "DynamoDB_20120810.ListTables",
            "Content-Type": "application/x-amz-json-1.0",
        },
    )
    assert status == 400
    assert body["__type"] == "com.amazon.coral.service#AccessDeniedException"
    assert body["Message"].endswith(
        "on resource: * because no identity-based policy allows the dynamodb:ListTables action"
    )


def test_serve_names_what_is_not_evaluated_at_start(tmp_path: Path) -> None:
    """A managed policy outside the table (AWS's own documents: "AWS managed policies",
    https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_managed-vs-inline.html)
    and a role the template does not declare cannot be evaluated: ``serve`` names each at
    start, before any call, rather than guess what they allow."""
    from serverless_chat.cli.serve import _start_warnings

    template = _project(tmp_path / "project")
    document = json.loads(template.read_text())
    resources = document["Resources"]
    resources["NothingRole"]["Properties"]["ManagedPolicyArns"] = [
        "arn:aws:iam::aws:policy/AmazonS3FullAccess"
    ]
    resources["PostOnly"]["Properties"]["Role"] = "arn:aws:iam::123456789012:role/elsewhere"
    template.write_text(json.dumps(document))
    gateway = LocalGateway(GatewayConfig(template=template, port=0, state_dir=tmp_path / "s"))
    lines = [line for line in _start_warnings(gateway) if line.startswith("IAM:")]
    assert lines == [
        "IAM: not evaluated: serverless-chat-NothingRole: managed policy"
        " arn:aws:iam::aws:policy/AmazonS3FullAccess (not in the table)",
        "IAM: not evaluated: role arn:aws:iam::123456789012:role/elsewhere: not declared in"
        " the template",
    ]
