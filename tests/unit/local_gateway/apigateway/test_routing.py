"""Route selection as "Working with routes for WebSocket APIs in API Gateway" documents it
(https://docs.aws.amazon.com/apigateway/latest/developerguide/websocket-api-develop-routes.html):
every expression form of its table, exact case-sensitive matching, $default for non-JSON."""

import pytest

from local_gateway.apigateway.routing import RouteSelector, SelectionExpressionError, select_route

ROUTES = {"$connect", "$disconnect", "$default", "sendMessage", "sendmessage"}
ACTION = RouteSelector("$request.body.action")


@pytest.mark.parametrize(
    ("body", "route"),
    [
        ('{"action": "sendMessage", "message": "x"}', "sendMessage"),
        ('{"action": "sendmessage", "message": "x"}', "sendmessage"),
        ('{"action": "SENDMESSAGE"}', "$default"),  # route keys are case-sensitive
        ('{"action": "unknown"}', "$default"),
        ('{"message": "no action"}', "$default"),
        ("not json", "$default"),
        ("", "$default"),
        (None, "$default"),
        ("[1, 2]", "$default"),
        ('{"action": "$connect"}', "$default"),  # a client cannot invoke a $ route
        ('{"action": {"nested": 1}}', "$default"),
        ('{"action": null}', "$default"),
    ],
)
def test_route_selection(body: str | None, route: str) -> None:
    assert select_route(body, ACTION, ROUTES) == route


def test_without_default_route_there_is_no_route() -> None:
    assert select_route("not json", ACTION, {"sendMessage"}) is None
    assert select_route('{"action": "sendMessage"}', ACTION, {"sendMessage"}) == "sendMessage"


@pytest.mark.parametrize(
    ("expression", "value"),
    [
        # The documentation's own table, for {"service": "chat", "action": "join", ...}.
        ("$request.body.action", "join"),
        ("${request.body.action}", "join"),
        ("${request.body.service}/${request.body.action}", "chat/join"),
        ("${request.body.action}-${request.body.invalidPath}", "join-"),
        ("action", "action"),
        ("\\$default", "$default"),
        ("$request.body.meta.type", "ping"),
        ("$request.body.list", "[1, two]"),
        ("$request.body.number", "7"),
        ("$request.body.flag", "true"),
    ],
)
def test_every_documented_expression_form(expression: str, value: str) -> None:
    body = (
        '{"service": "chat", "action": "join", "meta": {"type": "ping"}, "list": [1, "two"],'
        ' "number": 7, "flag": true}'
    )
    assert RouteSelector(expression).value(body) == value


def test_a_composite_expression_selects_its_route() -> None:
    selector = RouteSelector("${request.body.service}/${request.body.action}")
    routes = {"$default", "chat/join"}
    assert select_route('{"service": "chat", "action": "join"}', selector, routes) == "chat/join"
    assert select_route('{"service": "chat"}', selector, routes) == "$default"


@pytest.mark.parametrize(
    "expression", ["$request.header.x", "${request.body.", "$request.body.", "${context.x}"]
)
def test_unsupported_expressions_are_a_clear_error(expression: str) -> None:
    with pytest.raises(SelectionExpressionError, match="route selection expression"):
        RouteSelector(expression)
