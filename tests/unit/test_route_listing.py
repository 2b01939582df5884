"""The routes `serve` lists at start (serverless_chat/cli/route_listing.py)."""

from __future__ import annotations

from pathlib import Path

from local_gateway.template.specs import (
    FunctionSpec,
    IntegrationSpec,
    RouteSpec,
    WebSocketApiSpec,
)
from serverless_chat.cli.route_listing import route_lines


def function(logical_id: str, runtime: str = "python3.13") -> FunctionSpec:
    return FunctionSpec(logical_id, logical_id, "app.handler", Path("fn"), runtime, {})


def api(*routes: RouteSpec) -> WebSocketApiSpec:
    return WebSocketApiSpec(
        "Api", "abcdef1234", "chat", "$request.body.action", "production",
        {route.route_key: route for route in routes}, {}, {},
    )  # fmt: skip


def test_a_mock_route_is_api_gateways_own_answer_not_an_error() -> None:
    """A MOCK integration runs no function and answers (the chat's keep-alive `ping`): the
    listing says so, rather than that its caller gets an error. "Set up a WebSocket API
    integration response in API Gateway",
    https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-integration-responses.html
    """
    mock = IntegrationSpec("PingIntegration", "MOCK")
    lines = route_lines(api(RouteSpec("ping", None, integration=mock)), lambda _: "", "")
    assert lines == ["routes:", "  ping  MOCK integration (API Gateway answers, no function)"]


def test_an_http_route_names_where_it_goes() -> None:
    """An HTTP_PROXY integration reaches a URL, not a function. "Set up a WebSocket API
    integration request in API Gateway",
    https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-integration-requests.html
    """
    http = IntegrationSpec("Http", "HTTP_PROXY", uri="https://example.com/hook")
    lines = route_lines(api(RouteSpec("relay", None, integration=http)), lambda _: "", "")
    assert lines[1] == "  relay  HTTP_PROXY integration to https://example.com/hook"


def test_a_function_that_cannot_run_is_named_once_with_its_reason() -> None:
    """A Node function (simple-websockets-chat-app's) cannot run here: its route's line names
    it once, then why, and that the caller gets an error."""
    reason = "OnConnect: runtime 'nodejs20.x' is not Python; the local gateway runs Python"
    node = RouteSpec("$connect", function("OnConnect", "nodejs20.x"))
    lines = route_lines(api(node), lambda _: reason + " functions only", "")
    assert lines[1] == (
        "  $connect  OnConnect: cannot run here, so its caller gets an error (runtime"
        " 'nodejs20.x' is not Python; the local gateway runs Python functions only)"
    )


def test_where_each_function_runs_in_key_order() -> None:
    routes = (
        RouteSpec("sendMessage", function("Send")),
        RouteSpec("$connect", function("Connect")),
    )
    placements = {"Send": "isolated", "Connect": "in-process"}
    lines = route_lines(api(*routes), placements.__getitem__, "chat.local:app")
    assert lines == [
        "routes:",
        "  $connect     Connect: in-process (hook chat.local:app)",
        "  sendMessage  Send: isolated",
    ]


def test_a_route_whose_integration_is_not_emulated_gets_an_error() -> None:
    """apigw-websocket-api-sns's AWS integration to SNS is not emulated (named at start): its
    route's caller gets "Internal server error", and the listing says so."""
    lines = route_lines(api(RouteSpec("sendOrder", None)), lambda _: "", "")
    assert lines[1] == "  sendOrder  (no integration the gateway runs: the caller gets an error)"
