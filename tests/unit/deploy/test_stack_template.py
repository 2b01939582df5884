"""infra/template.yaml is what the function table makes over infra/base.yaml."""

from __future__ import annotations

import json
from typing import Any

import pytest

from local_gateway.template.cfn_yaml import TemplateLoader, load_template
from serverless_chat.deploy import stack_template
from serverless_chat.routes import (
    FUNCTIONS,
    MOCK_ROUTE_KEYS,
    ROUTE_KEYS,
    Function,
    Grant,
    MockRoute,
    Route,
)
from tests.conftest import TEMPLATE


@pytest.fixture(scope="module")
def built() -> dict[str, Any]:
    return stack_template.build(load_template(stack_template.BASE))


def test_the_committed_template_is_the_generated_one() -> None:
    assert TEMPLATE.read_text() == stack_template.render(), (
        "infra/template.yaml is not what infra/base.yaml and serverless_chat/routes.py make:"
        " run `make template` (and edit those two, not the generated file)"
    )


def test_the_text_reads_back_as_the_template_built(built: dict[str, Any]) -> None:
    import yaml

    assert yaml.load(stack_template.dump(built), Loader=TemplateLoader) == built


def test_each_row_makes_its_function_role_log_group_and_routes(built: dict[str, Any]) -> None:
    resources = built["Resources"]
    for function in FUNCTIONS:
        handler = resources[f"{function.name}Handler"]["Properties"]
        assert handler["Handler"] == f"serverless_chat.handlers.{function.module}.handler"
        assert (handler["MemorySize"], handler["Timeout"]) == (function.memory, function.timeout)
        assert list(handler["Environment"]["Variables"]) == list(function.environment)
        assert f"{function.name}Role" in resources
        assert f"{function.name}LogGroup" in resources
    keys = [r["Properties"]["RouteKey"] for r in resources.values() if r["Type"].endswith("Route")]
    assert keys == list(ROUTE_KEYS + MOCK_ROUTE_KEYS)


def test_ping_is_a_mock_route_that_answers_pong_with_no_function(built: dict[str, Any]) -> None:
    """The keep-alive costs no Lambda and no DynamoDB: a MOCK integration, whose integration
    response's template is the answer, on a route with a $default route response so the
    caller gets it ("Set up a WebSocket API integration response in API Gateway",
    https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-integration-responses.html;
    "Set up route responses for WebSocket APIs in API Gateway",
    https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-route-response.html)."""
    resources = built["Resources"]
    (route_id,) = [
        k
        for k, v in resources.items()
        if v["Type"] == "AWS::ApiGatewayV2::Route" and v["Properties"]["RouteKey"] == "ping"
    ]
    route = resources[route_id]["Properties"]
    assert route["RouteResponseSelectionExpression"] == "$default"
    integration_id = route["Target"]["Fn::Sub"].removeprefix("integrations/${").rstrip("}")
    integration = resources[integration_id]["Properties"]
    assert integration["IntegrationType"] == "MOCK"
    assert "IntegrationUri" not in integration
    assert integration["RequestTemplates"] == {"$default": '{"statusCode": 200}'}
    (response,) = [
        v["Properties"]
        for v in resources.values()
        if v["Type"] == "AWS::ApiGatewayV2::IntegrationResponse"
        and v["Properties"]["IntegrationId"] == {"Ref": integration_id}
    ]
    assert response["IntegrationResponseKey"] == "$default"
    assert json.loads(response["ResponseTemplates"]["$default"]) == {"type": "pong"}
    (route_response,) = [
        v["Properties"]
        for v in resources.values()
        if v["Type"] == "AWS::ApiGatewayV2::RouteResponse"
        and v["Properties"]["RouteId"] == {"Ref": route_id}
    ]
    assert route_response["RouteResponseKey"] == "$default"
    # KeepAlive=disabled leaves it out (an engine without integration and route responses)
    made = [k for k in resources if k.startswith(route_id.removesuffix("Route"))]
    assert {resources[k].get("Condition") for k in made} == {"KeepAliveEnabled"}
    assert route_id not in resources["Stage"]["DependsOn"]
    # nothing may invoke a function for it
    sources = [
        v["Properties"]["SourceArn"]["Fn::Sub"]
        for v in resources.values()
        if v["Type"] == "AWS::Lambda::Permission"
    ]
    assert not [s for s in sources if s.endswith("/ping")]


def test_a_new_mock_route_is_its_integration_responses_and_route(built: dict[str, Any]) -> None:
    echo = MockRoute("echo", "Echo", '{"type": "echo"}', "Answers echo.")
    template = stack_template.build(load_template(stack_template.BASE), FUNCTIONS, (echo,))
    resources = template["Resources"]
    assert set(built["Resources"]) - set(resources) == {
        "PingIntegration",
        "PingIntegrationResponse",
        "PingRoute",
        "PingRouteResponse",
    }
    assert set(resources) - set(built["Resources"]) == {
        "EchoIntegration",
        "EchoIntegrationResponse",
        "EchoRoute",
        "EchoRouteResponse",
    }
    assert resources["Stage"]["DependsOn"][-1] == "EchoRoute"


def test_the_stage_waits_for_every_route_and_the_alarm_watches_every_function(
    built: dict[str, Any],
) -> None:
    resources = built["Resources"]
    routes = [k for k, v in resources.items() if v["Type"] == "AWS::ApiGatewayV2::Route"]
    # but the conditional ping (KeepAlive): CloudFormation refuses a DependsOn on a resource
    # it does not make
    assert resources["Stage"]["DependsOn"] == [r for r in routes if r != "PingRoute"]
    metrics = resources["FunctionErrorsAlarm"]["Properties"]["Metrics"]
    watched = [m["MetricStat"]["Metric"]["Dimensions"][0]["Value"] for m in metrics[:-1]]
    assert watched == [{"Ref": f"{f.name}Handler"} for f in FUNCTIONS if not f.condition]
    assert metrics[-1]["Expression"] == f"SUM([{','.join(m['Id'] for m in metrics[:-1])}])"


def test_a_new_row_is_a_new_function_with_its_route_and_grants(built: dict[str, Any]) -> None:
    """Adding an action is one row: its function, role, route and permission follow, and
    the stage and the alarm take it in."""
    shout = Function(
        "Shout",
        "shout",
        "Says it louder.",
        routes=(Route("shout"),),
        grants=(Grant(("dynamodb:UpdateItem",), ("ConnectionsTable",)),),
    )
    template = stack_template.build(load_template(stack_template.BASE), (*FUNCTIONS, shout))
    resources = template["Resources"]
    assert set(resources) - set(built["Resources"]) == {
        "ShoutLogGroup",
        "ShoutRole",
        "ShoutHandler",
        "ShoutIntegration",
        "ShoutRoute",
        "ShoutPermission",
    }
    assert resources["Stage"]["DependsOn"][-1] == "ShoutRoute"
    (policy,) = resources["ShoutRole"]["Properties"]["Policies"]
    assert policy["PolicyDocument"]["Statement"][1] == {
        "Effect": "Allow",
        "Action": ["dynamodb:UpdateItem"],
        "Resource": {"Fn::GetAtt": ["ConnectionsTable", "Arn"]},
    }
    assert resources["ShoutPermission"]["Properties"]["SourceArn"]["Fn::Sub"].endswith(
        "/${StageName}/shout"
    )
    metrics = resources["FunctionErrorsAlarm"]["Properties"]["Metrics"]
    assert {"Ref": "ShoutHandler"} in [
        m["MetricStat"]["Metric"]["Dimensions"][0]["Value"] for m in metrics if "MetricStat" in m
    ]


def test_the_base_keeps_the_local_gateways_hook() -> None:
    base = load_template(stack_template.BASE)
    assert base["Metadata"]["LocalGateway"]["Hook"] == "serverless_chat.local:chat_app"
    assert not [v for v in base["Resources"].values() if v["Type"] == "AWS::Lambda::Function"]
