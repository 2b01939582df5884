"""The reader table: one reader per CloudFormation type, each resource's properties resolved
once, and what each reader takes from its resource (read through read_api, as the gateway
reads a template)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from local_gateway.template.cfn_yaml import TemplateError, load_template
from local_gateway.template.code_location import ToolArtefacts
from local_gateway.template.intrinsics import Resolver
from local_gateway.template.model import read_api
from local_gateway.template.readers import READERS, Reading, read_resources
from tests.conftest import TEMPLATE

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
    """HTTP_PROXY, MOCK and ApiKeyRequired are emulated now (issue 28 §2), AWS_IAM on
    $connect too (issue 24 §4): what is left is ContentHandlingStrategy."""
    api = read_api(_write(tmp_path, _UNHONOURED.replace('"URI"', f'"{_URI}"')))
    assert sorted(api.settings_not_emulated) == sorted(
        [
            "Proxy: ContentHandlingStrategy (frames pass as they are)",
            "Http: ContentHandlingStrategy (frames pass as they are)",
        ]
    )
    assert api.routes["$connect"].api_key_required
    assert api.routes["$connect"].iam_auth
    assert api.routes["ping"].integration is not None
    assert api.routes["ping"].integration.kind == "MOCK"
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


# -- the table -------------------------------------------------------------------------------


def test_the_table_reads_each_type_the_gateway_emulates() -> None:
    assert set(READERS) == {
        "AWS::ApiGatewayV2::Api",
        "AWS::ApiGatewayV2::Stage",
        "AWS::ApiGatewayV2::Route",
        "AWS::ApiGatewayV2::Integration",
        "AWS::ApiGatewayV2::RouteResponse",
        "AWS::ApiGatewayV2::Authorizer",
        "AWS::Lambda::Function",
        "AWS::Lambda::Permission",
        "AWS::DynamoDB::Table",
        "AWS::Serverless::Function",
        "AWS::Serverless::LayerVersion",
        "AWS::Lambda::LayerVersion",
        "AWS::IAM::Role",
        "AWS::IAM::Policy",
        "AWS::IAM::ManagedPolicy",
        "AWS::ApiGatewayV2::IntegrationResponse",
        "AWS::ApiGateway::ApiKey",
        "AWS::ApiGateway::UsagePlan",
        "AWS::ApiGateway::UsagePlanKey",
    }


def test_a_type_without_a_reader_is_named_as_not_emulated(tmp_path: Path) -> None:
    """Counted per type, created resources only; a type the table reads is not named."""
    path = _write(
        tmp_path,
        """
Conditions:
  Never: !Equals [a, b]
Resources:"""
        + _API
        + """
  Queue:
    Type: AWS::SQS::Queue
  OtherQueue:
    Type: AWS::SQS::Queue
  NotMade:
    Type: AWS::SQS::Queue
    Condition: Never
  Topic:
    Type: AWS::SNS::Topic
  Deployment:
    Type: AWS::ApiGatewayV2::Deployment
    Properties: {ApiId: !Ref Api}
""",
    )
    assert "AWS::SQS::Queue" not in READERS
    assert read_api(path).not_emulated == [
        "AWS::ApiGatewayV2::Deployment x1",  # consulted for the stage, not emulated
        "AWS::SNS::Topic x1",
        "AWS::SQS::Queue x2",
    ]


def test_a_route_finds_its_function_whatever_the_templates_order(tmp_path: Path) -> None:
    """The table's order, not the template's, decides: functions, then integrations, then
    routes."""
    path = _write(
        tmp_path,
        "Resources:"
        + f"""
  Route:
    Type: AWS::ApiGatewayV2::Route
    Properties:
      {{ApiId: !Ref Api, RouteKey: $default, Target: !Sub "integrations/${{Integration}}"}}
  Integration:
    Type: AWS::ApiGatewayV2::Integration
    Properties:
      ApiId: !Ref Api
      IntegrationType: AWS_PROXY
      IntegrationUri: !Sub "{_URI}"
  Fn:
    Type: AWS::Lambda::Function
    Properties: {{Handler: app.handler, Runtime: python3.13, Code: src}}
"""
        + _API,
    )
    function = read_api(path).routes["$default"].function
    assert function is not None
    assert function.logical_id == "Fn"


class _CountingResolver(Resolver):
    """Counts how often each resource's Properties are resolved."""

    def __init__(self, template: dict[str, Any]) -> None:
        super().__init__(template)
        self.resolved: list[str] = []

    def resolve(self, value: Any) -> Any:
        for logical_id, resource in self.resources.items():
            if value is resource.get("Properties"):
                self.resolved.append(logical_id)
        return super().resolve(value)


def test_each_resources_properties_are_resolved_once(tmp_path: Path) -> None:
    """Two functions on one layer, and a route that looks up its integration: each
    resource's Properties pass through the resolver once."""
    function = "{Handler: app.handler, Code: src, Layers: [!Ref Layer]}"
    path = _write(
        tmp_path,
        "Resources:"
        + _API
        + f"""
  Layer:
    Type: AWS::Lambda::LayerVersion
    Properties: {{Content: layer}}
  Fn:
    Type: AWS::Lambda::Function
    Properties: {function}
  Other:
    Type: AWS::Lambda::Function
    Properties: {function}
  Integration:
    Type: AWS::ApiGatewayV2::Integration
    Properties:
      ApiId: !Ref Api
      IntegrationType: AWS_PROXY
      IntegrationUri: !Sub "{_URI}"
  Route:
    Type: AWS::ApiGatewayV2::Route
    Properties: {{ApiId: !Ref Api, RouteKey: a, Target: !Sub "integrations/${{Integration}}"}}
""",
    )
    resolver = _CountingResolver(load_template(path))
    reading = Reading(resolver, tmp_path, "api", ToolArtefacts(tmp_path))
    read_resources(reading)
    assert sorted(resolver.resolved) == ["Fn", "Integration", "Layer", "Other", "Route"]
    assert reading.functions["Other"].layers == (tmp_path / "layer",)
    assert reading.routes["a"].function == reading.functions["Fn"]


# -- integrations, API keys (issue 28 §2) ----------------------------------------------------


def test_integration_types_it_cannot_run_are_named_and_answer_an_error(tmp_path: Path) -> None:
    """An AWS integration to another service than Lambda, or through a VPC link, has no
    emulation: named at start, and its route answers "Internal server error"."""
    api = read_api(
        _write(
            tmp_path,
            "Resources:"
            + _API
            + """
  Queue:
    Type: AWS::ApiGatewayV2::Integration
    Properties:
      ApiId: !Ref Api
      IntegrationType: AWS
      IntegrationUri: arn:aws:apigateway:us-east-1:sqs:path/123/q
  Private:
    Type: AWS::ApiGatewayV2::Integration
    Properties:
      ApiId: !Ref Api
      IntegrationType: HTTP_PROXY
      ConnectionType: VPC_LINK
      IntegrationUri: http://internal
  Send:
    Type: AWS::ApiGatewayV2::Route
    Properties: {ApiId: !Ref Api, RouteKey: send, Target: !Sub "integrations/${Queue}"}
""",
        )
    )
    assert api.settings_not_emulated == [
        "Queue: IntegrationType AWS (arn:aws:apigateway:us-east-1:sqs:path/123/q): its routes"
        " answer an error",
        "Private: IntegrationType HTTP_PROXY (http://internal) through ConnectionType"
        " VPC_LINK: its routes answer an error",
    ]
    assert api.routes["send"].integration is None
    assert api.routes["send"].function is None


def test_a_passthrough_behavior_api_gateway_does_not_know_is_refused(tmp_path: Path) -> None:
    text = (
        "Resources:"
        + _API
        + """
  Mock:
    Type: AWS::ApiGatewayV2::Integration
    Properties: {ApiId: !Ref Api, IntegrationType: MOCK, PassthroughBehavior: SOMETIMES}
"""
    )
    with pytest.raises(TemplateError, match="PassthroughBehavior 'SOMETIMES' is not one of"):
        read_api(_write(tmp_path, text))


def test_api_keys_are_those_of_a_usage_plan_of_the_served_stage(tmp_path: Path) -> None:
    """(The fixture has a key in the plan, one made at start, a disabled one, and a stray
    one in no plan.)"""
    from tests.conftest import FIXTURES

    api = read_api(FIXTURES / "integrations" / "template.yaml")
    assert [k.logical_id for k in api.api_keys] == ["ClientKey", "MadeKey", "RetiredKey"]
    assert [k.enabled for k in api.api_keys] == [True, True, False]
    assert api.api_key_selection_expression == "$request.header.x-api-key"
    assert api.routes["$connect"].api_key_required


def test_the_authorizers_usage_identifier_key_is_refused_when_a_route_needs_a_key(
    tmp_path: Path,
) -> None:
    text = (
        "Resources:"
        + _API.replace(
            "RouteSelectionExpression",
            "ApiKeySelectionExpression:"
            " $context.authorizer.usageIdentifierKey, RouteSelectionExpression",
        )
        + """
  Connect:
    Type: AWS::ApiGatewayV2::Route
    Properties: {ApiId: !Ref Api, RouteKey: $connect, ApiKeyRequired: true}
"""
    )
    with pytest.raises(TemplateError, match=r"usageIdentifierKey .*not emulated"):
        read_api(_write(tmp_path, text))
    with pytest.raises(TemplateError, match="supports only"):
        read_api(_write(tmp_path, text.replace("$context.authorizer.usageIdentifierKey", "$x")))


# -- ReservedConcurrentExecutions ------------------------------------------------------------


def _reserved(tmp_path: Path, value: str) -> Path:
    return _write(
        tmp_path,
        "Resources:"
        + _API
        + f"""
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      {{Handler: app.handler, Runtime: python3.13, Code: src,
        ReservedConcurrentExecutions: {value}}}
  Integration:
    Type: AWS::ApiGatewayV2::Integration
    Properties:
      ApiId: !Ref Api
      IntegrationType: AWS_PROXY
      IntegrationUri: !Sub "{_URI}"
  Route:
    Type: AWS::ApiGatewayV2::Route
    Properties:
      {{ApiId: !Ref Api, RouteKey: $default, Target: !Sub "integrations/${{Integration}}"}}
""",
    )


def test_reserved_concurrency_is_read(tmp_path: Path) -> None:
    """ReservedConcurrentExecutions ("AWS::Lambda::Function", CloudFormation reference;
    minimum 0)."""
    assert read_api(_reserved(tmp_path, "0")).functions["Fn"].reserved_concurrency == 0
    assert read_api(_reserved(tmp_path, "5")).functions["Fn"].reserved_concurrency == 5


def test_a_bad_reserved_concurrency_is_said(tmp_path: Path) -> None:
    with pytest.raises(TemplateError, match="ReservedConcurrentExecutions 'lots'"):
        read_api(_reserved(tmp_path, "lots"))
