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
    assert "AWS::IAM::Role x10" in api.not_emulated  # the authorizer's role is conditional
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


# -- Metadata: LocalGateway: Hook ------------------------------------------------------------

_API = """
  Api:
    Type: AWS::ApiGatewayV2::Api
    Properties: {Name: t, ProtocolType: WEBSOCKET, RouteSelectionExpression: $request.body.op}
"""


_URI = "arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Fn.Arn}/invocations"


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "template.yaml"
    path.write_text(text)
    return path


def test_the_hook_comes_from_the_templates_metadata(tmp_path: Path) -> None:
    assert read_api(TEMPLATE).hook == "serverless_chat.local:chat_app"
    path = _write(
        tmp_path, "Metadata:\n  LocalGateway:\n    Hook: my_app.local:wire\nResources:" + _API
    )
    assert read_api(path).hook == "my_app.local:wire"


@pytest.mark.parametrize(
    "metadata",
    [
        "",
        "Metadata: {}\n",
        "Metadata:\n  LocalGateway: {}\n",
        "Metadata:\n  LocalGateway:\n    Hook: ''\n",
        "Metadata:\n  Other:\n    Hook: x:y\n",
    ],
    ids=["no-metadata", "empty-metadata", "no-hook", "empty-hook", "other-key"],
)
def test_without_a_hook_in_the_metadata_there_is_none(tmp_path: Path, metadata: str) -> None:
    assert read_api(_write(tmp_path, metadata + "Resources:" + _API)).hook is None


def test_a_hook_that_is_not_a_string_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, "Metadata:\n  LocalGateway:\n    Hook: [a, b]\nResources:" + _API)
    with pytest.raises(TemplateError, match="Hook must be 'module:callable'"):
        read_api(path)


# -- TimeoutInMillis -------------------------------------------------------------------------


def _timed(tmp_path: Path, timeout: str | None) -> Path:
    line = f"\n      TimeoutInMillis: {timeout}" if timeout is not None else ""
    return _write(
        tmp_path,
        "Resources:"
        + _API
        + f"""
  Fn:
    Type: AWS::Lambda::Function
    Properties: {{Handler: app.handler, Runtime: python3.13, Code: src}}
  Integration:
    Type: AWS::ApiGatewayV2::Integration
    Properties:
      ApiId: !Ref Api
      IntegrationType: AWS_PROXY
      IntegrationUri: !Sub "{_URI}"{line}
  Route:
    Type: AWS::ApiGatewayV2::Route
    Properties:
      {{ApiId: !Ref Api, RouteKey: $default, Target: !Sub "integrations/${{Integration}}"}}
""",
    )


@pytest.mark.parametrize(
    ("timeout", "seconds"),
    [
        (None, 29.0),  # API Gateway's default for WebSocket integrations
        ("1500", 1.5),
        ("'2000'", 2.0),  # a string, as a !Ref of a Number parameter gives it
        ("50", 0.05),  # the least API Gateway takes
        ("29000", 29.0),  # the most
    ],
)
def test_timeout_in_millis_within_api_gateways_50_ms_to_29_s(
    tmp_path: Path, timeout: str | None, seconds: float
) -> None:
    api = read_api(_timed(tmp_path, timeout))
    assert api.routes["$default"].function is not None
    assert api.routes["$default"].integration_timeout == seconds


@pytest.mark.parametrize("timeout", ["10", "0", "-5", "30000", "900000", "'soon'", ".nan"])
def test_a_timeout_in_millis_api_gateway_refuses_is_refused(tmp_path: Path, timeout: str) -> None:
    """API Gateway refuses an integration timeout outside 50-29000 ms ("Timeout should be
    between 50 ms and 29000 ms"); the 2024 increase is for REST APIs only (the WebSocket
    quotas page: "Integration timeout ... 29 seconds ... No")."""
    with pytest.raises(TemplateError, match="Timeout should be between 50 ms and 29000 ms"):
        read_api(_timed(tmp_path, timeout))


# -- settings the gateway does not honour ----------------------------------------------------

_UNHONOURED = (
    "Resources:"
    + _API
    + """
  Fn:
    Type: AWS::Lambda::Function
    Properties: {Handler: app.handler, Runtime: python3.13, Code: src}
  Proxy:
    Type: AWS::ApiGatewayV2::Integration
    Properties:
      ApiId: !Ref Api
      IntegrationType: AWS_PROXY
      IntegrationUri: !Sub "URI"
      ContentHandlingStrategy: CONVERT_TO_TEXT
  Http:
    Type: AWS::ApiGatewayV2::Integration
    Properties:
      ApiId: !Ref Api
      IntegrationType: HTTP_PROXY
      IntegrationUri: https://example.com/chat
      ContentHandlingStrategy: CONVERT_TO_BINARY
  Mock:
    Type: AWS::ApiGatewayV2::Integration
    Properties: {ApiId: !Ref Api, IntegrationType: MOCK}
  Connect:
    Type: AWS::ApiGatewayV2::Route
    Properties:
      ApiId: !Ref Api
      RouteKey: $connect
      AuthorizationType: AWS_IAM
      ApiKeyRequired: true
      Target: !Sub "integrations/${Proxy}"
  Send:
    Type: AWS::ApiGatewayV2::Route
    Properties: {ApiId: !Ref Api, RouteKey: send, Target: !Sub "integrations/${Http}"}
  Fetch:
    Type: AWS::ApiGatewayV2::Route
    Properties: {ApiId: !Ref Api, RouteKey: fetch, Target: !Sub "integrations/${Http}"}
  Ping:
    Type: AWS::ApiGatewayV2::Route
    Properties:
      ApiId: !Ref Api
      RouteKey: ping
      ApiKeyRequired: false
      AuthorizationType: NONE
      Target: !Sub "integrations/${Mock}"
  PingResponse:
    Type: AWS::ApiGatewayV2::RouteResponse
    Properties: {ApiId: !Ref Api, RouteId: !Ref Ping, RouteResponseKey: $default}
  OtherApi:
    Type: AWS::ApiGatewayV2::Api
    Properties: {Name: other, ProtocolType: WEBSOCKET, RouteSelectionExpression: $request.body.x}
  OtherRoute:
    Type: AWS::ApiGatewayV2::Route
    Properties: {ApiId: !Ref OtherApi, RouteKey: $connect, AuthorizationType: AWS_IAM}
"""
)


def test_each_setting_not_emulated_is_named_once_with_its_logical_id(tmp_path: Path) -> None:
    api = read_api(_write(tmp_path, _UNHONOURED.replace('"URI"', f'"{_URI}"')))
    assert sorted(api.settings_not_emulated) == sorted(
        [
            "Proxy: ContentHandlingStrategy (frames pass as they are)",
            "Http: IntegrationType HTTP_PROXY (https://example.com/chat)",
            "Http: ContentHandlingStrategy (frames pass as they are)",
            "Mock: IntegrationType MOCK (no URI)",
            "Connect: AuthorizationType AWS_IAM (anyone may connect)",
            "Connect: ApiKeyRequired (no API key is asked for)",
        ]
    )
    assert len(set(api.settings_not_emulated)) == len(api.settings_not_emulated)
    # Two routes on one HTTP integration: the integration is named once; neither has a function.
    assert api.routes["send"].function is None
    assert api.routes["fetch"].function is None
    assert api.routes["$connect"].function is not None  # AWS_PROXY to a function still runs
    assert api.routes["ping"].two_way


def test_the_real_template_honours_every_setting_it_has() -> None:
    assert read_api(TEMPLATE).settings_not_emulated == []
    assert read_api(TEMPLATE, {"AuthMode": "hs256"}).settings_not_emulated == []


def test_a_custom_route_whose_authorizer_is_missing_is_refused(tmp_path: Path) -> None:
    """A deployed stack cannot have it; locally it would let anyone connect."""
    path = _write(
        tmp_path,
        "Resources:"
        + _API
        + """
  Connect:
    Type: AWS::ApiGatewayV2::Route
    Properties: {ApiId: !Ref Api, RouteKey: $connect, AuthorizationType: CUSTOM, AuthorizerId: Gone}
""",
    )
    with pytest.raises(TemplateError, match="AuthorizerId 'Gone' is no authorizer of the API"):
        read_api(path)
