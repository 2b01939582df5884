"""AuthorizationType AWS_IAM on $connect (local_gateway/aws/execute_api.py): the handshake
must be signed with SigV4 for execute-api, in its headers or as a presigned URL, by
credentials whose role allows execute-api:Invoke on the route's ARN; otherwise 403
("Control access to WebSocket APIs with IAM authorization", API Gateway Developer Guide:
"clients … must sign the request … with Signature Version 4", and the IAM policy allows
execute-api:Invoke on arn:aws:execute-api:region:account-id:api-id/stage/$connect)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from local_gateway import LocalGateway
from tests.integration.conftest import SIGNING_KEYS, start_gateway

((TOOLS_KEY, TOOLS_SECRET),) = SIGNING_KEYS.items()


def _project(folder: Path) -> Path:
    (folder / "fn").mkdir(parents=True)
    (folder / "fn" / "app.py").write_text(
        "def handler(event, context):\n    return {'statusCode': 200}\n"
    )
    role = {
        "Type": "AWS::IAM::Role",
        "Properties": {"AssumeRolePolicyDocument": {"Statement": []}, "Policies": []},
    }
    resources: dict[str, Any] = {
        "Api": {
            "Type": "AWS::ApiGatewayV2::Api",
            "Properties": {
                "Name": "signed",
                "ProtocolType": "WEBSOCKET",
                "RouteSelectionExpression": "$request.body.action",
            },
        },
        "Stage": {
            "Type": "AWS::ApiGatewayV2::Stage",
            "Properties": {"ApiId": {"Ref": "Api"}, "StageName": "live"},
        },
        "Connect": {
            "Type": "AWS::ApiGatewayV2::Route",
            "Properties": {
                "ApiId": {"Ref": "Api"},
                "RouteKey": "$connect",
                "AuthorizationType": "AWS_IAM",
                "Target": {"Fn::Sub": "integrations/${ConnectIntegration}"},
            },
        },
        "ConnectIntegration": {
            "Type": "AWS::ApiGatewayV2::Integration",
            "Properties": {
                "ApiId": {"Ref": "Api"},
                "IntegrationType": "AWS_PROXY",
                "IntegrationUri": {
                    "Fn::Sub": "arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31"
                    "/functions/${NoInvoke.Arn}/invocations"
                },
            },
        },
        "NoInvokeRole": role,
        "Allowed": {
            "Type": "AWS::Lambda::Permission",
            "Properties": {
                "Action": "lambda:InvokeFunction",
                "FunctionName": {"Ref": "NoInvoke"},
                "Principal": "apigateway.amazonaws.com",
            },
        },
        "NoInvoke": {
            "Type": "AWS::Lambda::Function",
            "Properties": {
                "Runtime": "python3.13",
                "Handler": "app.handler",
                "Code": "fn/",
                "Role": {"Fn::GetAtt": ["NoInvokeRole", "Arn"]},
            },
        },
        # A caller whose role allows execute-api:Invoke on this route's ARN, and nothing else.
        "CallerRole": {
            "Type": "AWS::IAM::Role",
            "Properties": {
                "AssumeRolePolicyDocument": {"Statement": []},
                "Policies": [
                    {
                        "PolicyName": "connect",
                        "PolicyDocument": {
                            "Statement": [
                                {
                                    "Effect": "Allow",
                                    "Action": "execute-api:Invoke",
                                    "Resource": {
                                        "Fn::Sub": "arn:aws:execute-api:${AWS::Region}:"
                                        "${AWS::AccountId}:${Api}/live/$connect"
                                    },
                                }
                            ]
                        },
                    }
                ],
            },
        },
        "Caller": {
            "Type": "AWS::Lambda::Function",
            "Properties": {
                "Runtime": "python3.13",
                "Handler": "app.handler",
                "Code": "fn/",
                "Role": {"Fn::GetAtt": ["CallerRole", "Arn"]},
            },
        },
    }
    template = folder / "template.json"
    template.write_text(json.dumps({"Resources": resources}))
    return template


# One gateway serves the module: its tests open handshakes and close them, and none looks
# at what another left. They run in the module's loop, the gateway's.
pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def gateway(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[LocalGateway]:
    folder = tmp_path_factory.mktemp("iam")
    gateway = await start_gateway(_project(folder / "project"), folder / "state")
    yield gateway
    await gateway.stop()


def _http(gateway: LocalGateway) -> str:
    return gateway.url.replace("ws://", "http://", 1)


def _signed_headers(url: str, key: str, secret: str, token: str | None = None) -> dict[str, str]:
    request = AWSRequest(method="GET", url=url)
    SigV4Auth(Credentials(key, secret, token), "execute-api", "us-east-1").add_auth(request)
    return {k: v for k, v in request.headers.items() if k.lower() != "host"}


def _presigned(url: str, key: str, secret: str, expires: int = 60, token: str | None = None) -> str:
    request = AWSRequest(method="GET", url=url)
    SigV4QueryAuth(Credentials(key, secret, token), "execute-api", "us-east-1", expires).add_auth(
        request
    )
    return request.url


async def _refusal(url: str, **kwargs: Any) -> tuple[int, str]:
    with pytest.raises(InvalidStatus) as caught:
        async with connect(url, **kwargs):
            pass
    response = caught.value.response
    return response.status_code, json.loads(response.body)["message"]


async def test_an_unsigned_handshake_is_refused(gateway: LocalGateway) -> None:
    """AWS_IAM on $connect: an unsigned upgrade is 403 "Missing Authentication Token"
    ("Control access to WebSocket APIs with IAM authorization", https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-control-access-iam.html)."""
    assert await _refusal(gateway.url) == (403, "Missing Authentication Token")


async def test_a_handshake_signed_in_its_headers_by_known_credentials_connects(
    gateway: LocalGateway,
) -> None:
    """Signed with SigV4 in its headers ("Create a signed AWS API request",
    https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html) by known
    credentials: it connects; a wrong secret is refused 403."""
    headers = _signed_headers(_http(gateway), TOOLS_KEY, TOOLS_SECRET)
    async with connect(gateway.url, additional_headers=headers) as client:
        await client.send(json.dumps({"action": "anything"}))
    wrong = _signed_headers(_http(gateway), TOOLS_KEY, "not-the-secret")
    status, message = await _refusal(gateway.url, additional_headers=wrong)
    assert status == 403
    assert message.startswith("The request signature we calculated does not match")


async def test_a_presigned_url_connects_until_it_expires(gateway: LocalGateway) -> None:
    """Signed in its query string (X-Amz-Algorithm … X-Amz-Signature, "Create a signed AWS
    API request", https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html):
    it connects until X-Amz-Expires has passed; a parameter changed after signing is
    refused."""
    url = _presigned(_http(gateway) + "?room=x", TOOLS_KEY, TOOLS_SECRET)
    async with connect(url.replace("http://", "ws://", 1)):
        pass
    tampered = url.replace("room=x", "room=y").replace("http://", "ws://", 1)
    assert (await _refusal(tampered))[0] == 403
    request = AWSRequest(method="GET", url=_http(gateway))
    request.context["timestamp"] = "20200101T000000Z"
    auth = SigV4QueryAuth(Credentials(TOOLS_KEY, TOOLS_SECRET), "execute-api", "us-east-1", 60)
    auth._modify_request_before_signing(request)
    string_to_sign = auth.string_to_sign(request, auth.canonical_request(request))
    auth._inject_signature_to_request(request, auth.signature(string_to_sign, request))
    old = request.url.replace("http://", "ws://", 1)
    assert await _refusal(old) == (403, "Request has expired")


async def test_a_role_without_execute_api_invoke_is_refused(gateway: LocalGateway) -> None:
    """Signed by a function whose role does not allow execute-api:Invoke on
    arn:aws:execute-api:REGION:ACCOUNT:API/STAGE/$connect: 403 naming the action and the
    route's ARN ("Control access to WebSocket APIs with IAM authorization", https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-control-access-iam.html)."""
    own = gateway.functions.credentials("NoInvoke")
    headers = _signed_headers(
        _http(gateway),
        own["AWS_ACCESS_KEY_ID"],
        own["AWS_SECRET_ACCESS_KEY"],
        own["AWS_SESSION_TOKEN"],
    )
    status, message = await _refusal(gateway.url, additional_headers=headers)
    assert status == 403
    assert "is not authorized to perform: execute-api:Invoke on resource: arn:aws:execute-api:" in (
        message
    )
    assert ":********9012:" in message  # the account masked, as API Gateway prints it
    assert message.endswith("/live/$connect")


async def test_a_role_allowed_execute_api_invoke_connects_signed_either_way(
    gateway: LocalGateway,
) -> None:
    """A caller whose role allows execute-api:Invoke on
    arn:aws:execute-api:REGION:ACCOUNT:API/STAGE/$connect connects, signed in its headers or
    presigned with its session token in the query string (X-Amz-Security-Token, "Create a
    signed AWS API request",
    https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html); the same
    presigned URL made by a role without that grant is refused 403 ("Control access to
    WebSocket APIs with IAM authorization",
    https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-control-access-iam.html)."""
    for function, connects in (("Caller", True), ("NoInvoke", False)):
        own = gateway.functions.credentials(function)
        key, secret, token = (
            own["AWS_ACCESS_KEY_ID"],
            own["AWS_SECRET_ACCESS_KEY"],
            own["AWS_SESSION_TOKEN"],
        )
        presigned = _presigned(_http(gateway), key, secret, token=token)
        assert "X-Amz-Security-Token=" in presigned
        url = presigned.replace("http://", "ws://", 1)
        if connects:
            headers = _signed_headers(_http(gateway), key, secret, token)
            async with connect(gateway.url, additional_headers=headers):
                pass
            async with connect(url):
                pass
        else:
            status, message = await _refusal(url)
            assert status == 403
            assert "is not authorized to perform: execute-api:Invoke" in message
