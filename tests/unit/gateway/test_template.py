from pathlib import Path

import pytest

from serverless_chat.gateway.cfn_yaml import TemplateError
from serverless_chat.gateway.template import read_api
from tests.conftest import CHAT_ROUTES, ROOT, TEMPLATE


def test_reads_the_chat_api_from_the_template() -> None:
    api = read_api(TEMPLATE)
    assert api.name == "serverless-chat-api"
    assert api.stage == "production"
    assert api.route_selection_expression == "$request.body.action"
    assert set(api.routes) == CHAT_ROUTES
    send = api.routes["sendMessage"].function
    assert send is not None
    assert send.handler == "serverless_chat.handlers.send_message.handler"
    assert send.code_dir == ROOT / "src"
    assert send.timeout == 29
    assert send.environment["CONNECTIONS_TABLE"] == "serverless-chat-ConnectionsTable"
    assert api.routes["sendmessage"].function == send
    assert not any(route.two_way for route in api.routes.values())
    assert send.environment["MESSAGES_TABLE"] == "serverless-chat-MessagesTable"
    assert send.environment["MAX_MESSAGE_LENGTH"] == "4000"
    assert api.tables["ConnectionsTable"].key_schema == (("connectionId", "HASH"),)
    assert api.tables["MessagesTable"].key_schema == (("room", "HASH"), ("sortKey", "RANGE"))
    assert "AWS::IAM::Role x9" in api.not_emulated  # the authorizer's role is conditional
    assert api.routes["$connect"].authorizer is None  # AuthMode none by default


def test_parameters_reach_the_api() -> None:
    api = read_api(TEMPLATE, {"StageName": "dev", "ApiName": "other"})
    assert api.stage == "dev"
    assert api.name == "other"


def test_template_without_websocket_api(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text("Resources:\n  Q:\n    Type: AWS::SQS::Queue\n")
    with pytest.raises(TemplateError, match="WEBSOCKET"):
        read_api(path)


def test_two_way_route_is_recognised(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(
        """
Resources:
  Api:
    Type: AWS::ApiGatewayV2::Api
    Properties: {Name: echo, ProtocolType: WEBSOCKET, RouteSelectionExpression: $request.body.op}
  Echo:
    Type: AWS::ApiGatewayV2::Route
    Properties: {ApiId: !Ref Api, RouteKey: echo}
  EchoResponse:
    Type: AWS::ApiGatewayV2::RouteResponse
    Properties: {ApiId: !Ref Api, RouteId: !Ref Echo, RouteResponseKey: $default}
"""
    )
    api = read_api(path)
    assert api.routes["echo"].two_way
    assert api.routes["echo"].function is None
    assert api.stage == "$default"
