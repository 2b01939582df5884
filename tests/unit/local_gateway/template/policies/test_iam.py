"""Each function's role read from the template (template/policies/iam.py), then evaluated."""

from __future__ import annotations

from pathlib import Path

import pytest

from local_gateway.aws.iam.evaluate import Principal, evaluate, principal_for
from local_gateway.aws.iam.resources import (
    MANAGE_CONNECTIONS,
    connection_arn,
    invoke_arn,
    table_arn,
)
from local_gateway.template.cfn_yaml import load_template
from local_gateway.template.intrinsics import Resolver
from local_gateway.template.model import WebSocketApiSpec, expand_sam, read_api
from tests.conftest import TEMPLATE
from tests.unit.test_template_policy import EXPECTED

REGION = "us-east-1"
CONNECTION = "@connections/{connectionId}"  # the resource IAM decides a callback on
_API = """
  Api:
    Type: AWS::ApiGatewayV2::Api
    Properties: {Name: a, ProtocolType: WEBSOCKET, RouteSelectionExpression: $request.body.action}
  Stage:
    Type: AWS::ApiGatewayV2::Stage
    Properties: {ApiId: !Ref Api, StageName: prod, AutoDeploy: true}
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: chat
      KeySchema: [{AttributeName: id, KeyType: HASH}]
"""


def _read(tmp_path: Path, text: str) -> WebSocketApiSpec:
    path = tmp_path / "template.yaml"
    path.write_text(text)
    return read_api(path)


def _principal(api: WebSocketApiSpec, function: str) -> Principal:
    spec = api.functions[function]
    assert spec.role is not None
    return principal_for(spec.role, spec.name)


def _callback(api: WebSocketApiSpec, method: str) -> str:
    return connection_arn(REGION, api.api_id, api.stage, method)


def test_a_cdk_app_grants_through_an_iam_policy_attached_to_its_service_role(
    tmp_path: Path,
) -> None:
    """CDK writes ``table.grantReadWriteData(fn)`` and ``stage.grantManagementApiAccess(fn)``
    as statements of ``<Fn>ServiceRoleDefaultPolicy…``, an AWS::IAM::Policy whose Roles names
    the function's ``<Fn>ServiceRole…`` (which holds AWSLambdaBasicExecutionRole by ARN)."""
    api = _read(
        tmp_path,
        "Resources:"
        + _API
        + """
  HandlerServiceRoleFCDC14AE:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement:
          - {Action: sts:AssumeRole, Effect: Allow, Principal: {Service: lambda.amazonaws.com}}
      ManagedPolicyArns:
        - !Join
          - ""
          - ["arn:", !Ref AWS::Partition,
             ":iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"]
  HandlerServiceRoleDefaultPolicyCBD0CC91:
    Type: AWS::IAM::Policy
    Properties:
      PolicyName: HandlerServiceRoleDefaultPolicyCBD0CC91
      Roles: [!Ref HandlerServiceRoleFCDC14AE]
      PolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Action: [dynamodb:BatchGetItem, dynamodb:GetRecords, dynamodb:GetShardIterator,
                     dynamodb:Query, dynamodb:GetItem, dynamodb:Scan, dynamodb:ConditionCheckItem,
                     dynamodb:BatchWriteItem, dynamodb:PutItem, dynamodb:UpdateItem,
                     dynamodb:DeleteItem, dynamodb:DescribeTable]
            Effect: Allow
            Resource: [!GetAtt Table.Arn, !Ref AWS::NoValue]
          - Action: execute-api:ManageConnections
            Effect: Allow
            Resource: !Join
              - ""
              - ["arn:", !Ref AWS::Partition, ":execute-api:", !Ref AWS::Region, ":",
                 !Ref AWS::AccountId, ":", !Ref Api, "/prod/POST/@connections/*"]
  HandlerE1533BD5:
    Type: AWS::Lambda::Function
    DependsOn: [HandlerServiceRoleDefaultPolicyCBD0CC91, HandlerServiceRoleFCDC14AE]
    Properties:
      Code: src
      Handler: app.handler
      Runtime: python3.13
      Role: !GetAtt HandlerServiceRoleFCDC14AE.Arn
""",
    )
    principal = _principal(api, "HandlerE1533BD5")
    assert principal.arn == (
        "arn:aws:sts::123456789012:assumed-role/serverless-chat-HandlerServiceRoleFCDC14AE/"
        "serverless-chat-HandlerE1533BD5"
    )
    table = table_arn(REGION, "chat")
    assert evaluate(principal, "dynamodb:PutItem", table).allowed
    assert not evaluate(principal, "dynamodb:Query", table + "/index/by-room").allowed
    assert evaluate(principal, MANAGE_CONNECTIONS, _callback(api, "POST")).allowed
    assert not evaluate(principal, MANAGE_CONNECTIONS, _callback(api, "DELETE")).allowed
    logs = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/x:*"
    assert evaluate(principal, "logs:PutLogEvents", logs).allowed  # the managed policy
    assert api.policies_not_evaluated == []


def test_a_sam_app_gets_its_policy_templates_and_the_implicit_role(tmp_path: Path) -> None:
    """SAM makes ``{Id}Role`` for a function without Role: AWSLambdaBasicExecutionRole plus
    each entry of Policies; a policy template is AWS's own definition (DynamoDBCrudPolicy
    covers the table and ``/index/*``; LambdaInvokePolicy the function and its qualifiers)."""
    api = _read(
        tmp_path,
        "Transform: AWS::Serverless-2016-10-31\nResources:"
        + _API
        + """
  Reader:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src
      Handler: app.handler
      Runtime: python3.13
      Policies:
        - DynamoDBReadPolicy: {TableName: !Ref Table}
        - LambdaInvokePolicy: {FunctionName: !Ref Writer}
        - AmazonAPIGatewayInvokeFullAccess
        - arn:aws:iam::aws:policy/SomethingElse
        - Statement: [{Effect: Deny, Action: dynamodb:Scan, Resource: "*"}]
  Writer:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src
      Handler: app.handler
      Runtime: python3.13
      Policies: [{DynamoDBCrudPolicy: {TableName: !Ref Table}}]
""",
    )
    reader = _principal(api, "Reader")
    assert reader.arn.endswith(":assumed-role/serverless-chat-ReaderRole/serverless-chat-Reader")
    table = table_arn(REGION, "chat")
    assert evaluate(reader, "dynamodb:Query", table + "/index/by-room").allowed
    assert not evaluate(reader, "dynamodb:PutItem", table).allowed
    assert not evaluate(reader, "dynamodb:Scan", table).allowed  # its inline Deny
    writer_arn = invoke_arn(REGION, "serverless-chat-Writer")
    assert evaluate(reader, "lambda:InvokeFunction", writer_arn).allowed
    assert evaluate(reader, "lambda:InvokeFunction", writer_arn + ":live").allowed
    assert evaluate(reader, MANAGE_CONNECTIONS, _callback(api, "DELETE")).allowed
    assert evaluate(reader, "logs:CreateLogStream", "arn:aws:logs:us-east-1:1:log-group:x").allowed
    assert api.policies_not_evaluated == [
        "serverless-chat-ReaderRole: managed policy arn:aws:iam::aws:policy/SomethingElse"
        " (not in the table)"
    ]
    writer = _principal(api, "Writer")
    assert evaluate(writer, "dynamodb:PutItem", table).allowed
    assert not evaluate(writer, "lambda:InvokeFunction", writer_arn).allowed


def test_a_role_outside_the_template_is_named_as_not_evaluated(tmp_path: Path) -> None:
    api = _read(
        tmp_path,
        "Resources:"
        + _API
        + """
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      Code: src
      Handler: app.handler
      Runtime: python3.13
      Role: arn:aws:iam::123456789012:role/ops/shared
""",
    )
    role = api.functions["Fn"].role
    assert role is not None
    assert (role.name, role.policies) == ("shared", ())
    assert api.policies_not_evaluated == [
        "role arn:aws:iam::123456789012:role/ops/shared: not declared in the template"
    ]


@pytest.mark.parametrize("role", sorted(EXPECTED))
def test_the_chats_template_gives_each_function_what_its_policy_test_says(role: str) -> None:
    """tests/unit/test_template_policy.py is the oracle: each grant it lists is allowed to
    the function whose role it is, and nothing beyond (a Scan, a DELETE callback, another
    table's writes) unless listed."""
    # the authorizer (Condition AuthEnabled) exists only in hs256 mode, where it reads its secret
    api = read_api(TEMPLATE, {"AuthMode": "hs256"} if role == "AuthorizeRole" else None)
    (function,) = [
        f for f in api.functions.values() if f.role is not None and f.role.logical_id == role
    ]
    assert function.role is not None
    principal = principal_for(function.role, function.name)
    resolver = Resolver(
        expand_sam(load_template(TEMPLATE)),
        None,
        "serverless-chat",
        REGION,
        {api.logical_id: api.api_id},
    )
    granted: set[tuple[str, str]] = set()
    for actions, resources in EXPECTED[role]:
        for resource in resources:
            arn = str(resolver.resolve(resource)).replace("@connections/*", CONNECTION)
            for action in actions:
                granted.add((action, arn))
                assert evaluate(principal, action, arn).allowed, (action, arn)
    connections = table_arn(REGION, api.tables["ConnectionsTable"].name)
    messages = table_arn(REGION, api.tables["MessagesTable"].name)
    for action, arn in [
        ("dynamodb:Scan", connections),
        ("dynamodb:DeleteItem", messages),
        ("dynamodb:Query", connections + "/index/other"),
        (MANAGE_CONNECTIONS, _callback(api, "DELETE")),
        ("lambda:InvokeFunction", invoke_arn(REGION, "serverless-chat-connect")),
    ]:
        if (action, arn) not in granted:
            assert not evaluate(principal, action, arn).allowed, (action, arn)
    assert api.policies_not_evaluated == []


def test_customer_managed_policies_attach_by_roles_and_by_managed_policy_arns(
    tmp_path: Path,
) -> None:
    """An ``AWS::IAM::ManagedPolicy`` is attached to the roles its ``Roles`` names, and to a
    role that lists it in ``ManagedPolicyArns`` (its ``Ref`` is its ARN: "AWS::IAM::
    ManagedPolicy",
    https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-iam-managedpolicy.html)."""
    api = _read(
        tmp_path,
        "Resources:"
        + _API
        + """
  Posting:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      Roles: [!Ref SenderRole]
      PolicyDocument:
        Statement:
          - Effect: Allow
            Action: execute-api:ManageConnections
            Resource: !Sub arn:aws:execute-api:${AWS::Region}:${AWS::AccountId}:${Api}/prod/POST/*
  Reading:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      ManagedPolicyName: chat-reading
      PolicyDocument:
        Statement:
          - {Effect: Allow, Action: dynamodb:GetItem, Resource: !GetAtt Table.Arn}
  SenderRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument: {Statement: []}
  ReaderRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument: {Statement: []}
      ManagedPolicyArns: [!Ref Reading]
  Sender:
    Type: AWS::Lambda::Function
    Properties: {Code: src, Handler: app.handler, Runtime: python3.13, Role: !GetAtt SenderRole.Arn}
  Reader:
    Type: AWS::Lambda::Function
    Properties: {Code: src, Handler: app.handler, Runtime: python3.13, Role: !GetAtt ReaderRole.Arn}
""",
    )
    sender, reader = _principal(api, "Sender"), _principal(api, "Reader")
    table = table_arn(REGION, "chat")
    assert evaluate(sender, MANAGE_CONNECTIONS, _callback(api, "POST")).allowed
    assert not evaluate(sender, "dynamodb:GetItem", table).allowed
    assert evaluate(reader, "dynamodb:GetItem", table).allowed
    assert not evaluate(reader, MANAGE_CONNECTIONS, _callback(api, "POST")).allowed
    assert api.policies_not_evaluated == []
