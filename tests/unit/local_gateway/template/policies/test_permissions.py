"""API Gateway invokes a function only where an AWS::Lambda::Permission lets
apigateway.amazonaws.com do so for the route's ARN ("Using resource-based policies for
Lambda", https://docs.aws.amazon.com/lambda/latest/dg/access-control-resource-based.html);
without one the route answers "Internal server error" — so it does locally."""

from __future__ import annotations

from pathlib import Path

import pytest

from local_gateway.template.model import read_api
from local_gateway.template.policies.permissions import Grant, grants, may_invoke

ARN = "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/production"


@pytest.mark.parametrize(
    ("props", "expected"),
    [
        (
            {
                "Action": "lambda:InvokeFunction",
                "FunctionName": "fn",
                "Principal": "apigateway.amazonaws.com",
            },
            [Grant("fn", None)],
        ),
        (
            {
                "Action": "lambda:InvokeFunction",
                "FunctionName": "arn:aws:lambda:us-east-1:123456789012:function:fn:live",
                "Principal": "apigateway.amazonaws.com",
                "SourceArn": f"{ARN}/*",
            },
            [Grant("fn", f"{ARN}/*")],
        ),
        (
            {
                "Action": "lambda:InvokeFunction",
                "FunctionName": "fn",
                "Principal": "s3.amazonaws.com",
            },
            [],
        ),
        (
            {
                "Action": "lambda:GetFunction",
                "FunctionName": "fn",
                "Principal": "apigateway.amazonaws.com",
            },
            [],
        ),
    ],
)
def test_only_permissions_for_api_gateway_to_invoke_count(
    props: dict[str, str], expected: list[Grant]
) -> None:
    assert grants([props]) == expected


def test_the_source_arn_must_cover_the_route() -> None:
    allowed = [Grant("fn", f"{ARN}/$connect"), Grant("other", f"{ARN}/*"), Grant("any", None)]
    assert may_invoke(allowed, "fn", f"{ARN}/$connect")
    assert not may_invoke(allowed, "fn", f"{ARN}/sendMessage")
    assert may_invoke(allowed, "other", f"{ARN}/sendMessage")
    assert may_invoke(allowed, "any", "arn:aws:execute-api:eu-west-1:1:x/y/z")
    assert not may_invoke(allowed, "nobody", f"{ARN}/$connect")


TEMPLATE = """
Resources:
  Api:
    Type: AWS::ApiGatewayV2::Api
    Properties: {Name: p, ProtocolType: WEBSOCKET, RouteSelectionExpression: $request.body.action}
  Stage:
    Type: AWS::ApiGatewayV2::Stage
    Properties: {ApiId: !Ref Api, StageName: dev, AutoDeploy: true}
  Fn:
    Type: AWS::Lambda::Function
    Properties: {Handler: app.handler, Runtime: python3.13, Code: src}
  Integration:
    Type: AWS::ApiGatewayV2::Integration
    Properties:
      ApiId: !Ref Api
      IntegrationType: AWS_PROXY
      IntegrationUri: !Sub
        arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Fn.Arn}/invocations
  Connect:
    Type: AWS::ApiGatewayV2::Route
    Properties: {ApiId: !Ref Api, RouteKey: $connect, Target: !Sub "integrations/${Integration}"}
  Send:
    Type: AWS::ApiGatewayV2::Route
    Properties: {ApiId: !Ref Api, RouteKey: send, Target: !Sub "integrations/${Integration}"}
"""
PERMISSION = """
  Permission:
    Type: AWS::Lambda::Permission
    Properties:
      Action: lambda:InvokeFunction
      FunctionName: !GetAtt Fn.Arn
      Principal: apigateway.amazonaws.com
      SourceArn: !Sub
        arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${Api}/dev/$connect
"""


def test_a_route_without_a_permission_is_not_invocable_and_said_so(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    path = tmp_path / "template.yaml"
    path.write_text(TEMPLATE + PERMISSION)
    api = read_api(path)
    assert api.routes["$connect"].invocable
    assert not api.routes["send"].invocable
    (problem,) = api.problems
    assert problem.startswith("route send: no AWS::Lambda::Permission")
    assert "localapi/dev/send" in problem


def test_a_stage_never_deployed_is_said(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    path = tmp_path / "template.yaml"
    path.write_text(TEMPLATE.replace(", AutoDeploy: true", "") + PERMISSION)
    assert any("neither AutoDeploy nor" in p for p in read_api(path).problems)
