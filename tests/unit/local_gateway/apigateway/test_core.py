"""API Gateway's WebSocket semantics as plain calls, no sockets (local_gateway/apigateway/core.py).

Sources, by behaviour: $connect and authorizers — "Managing connected users and client
apps: $connect and $disconnect routes" and "Creating a Lambda REQUEST authorizer function"
(https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-lambda-auth.html:
"the client will receive a 401 or 403 response"); subprotocols — "Setting up a $connect
route that requires a WebSocket subprotocol" (the function returns Sec-WebSocket-Protocol);
route selection and the Forbidden answer — "Working with routes for WebSocket APIs";
integration timeout 50 ms - 29 s — the WebSocket quotas page; "Endpoint request timed out"
and "Internal server error" frames — answers recorded in aws/chalice issue 1406 and
aws-samples/simple-websockets-chat-app issues 24 and 42.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from typing import Any

import pytest

from local_gateway.apigateway.chaos import Chaos
from local_gateway.apigateway.core import Accepted, GatewayCore, Handshake, Refused
from local_gateway.apigateway.event_factory import ApiContext, ConnectionMeta, EventFactory
from local_gateway.functions.invocation import Invocation
from local_gateway.template.model import (
    AuthorizerSpec,
    FunctionSpec,
    RouteSpec,
    WebSocketApiSpec,
)

API = ApiContext("abcdef1234", "production", "abcdef1234.execute-api.us-east-1.amazonaws.com")
ARN = "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/production/$connect"


def function(name: str, timeout: float = 3.0) -> FunctionSpec:
    return FunctionSpec(name, name, f"app.{name}", None, "python3.13", {}, timeout)


class FakeFunctions:
    """Answers each function by name with what a test set; records the events."""

    def __init__(self) -> None:
        self.answers: dict[str, Any] = {}
        self.events: list[tuple[str, dict[str, Any]]] = []
        self.delay: dict[str, float] = {}
        self.done: list[str] = []

    async def invoke(self, spec: FunctionSpec, event: dict[str, Any]) -> Invocation:
        self.events.append((spec.name, event))
        if spec.name in self.delay:
            await asyncio.sleep(self.delay[spec.name])
        self.done.append(spec.name)
        answer = self.answers.get(spec.name, {"statusCode": 200})
        if isinstance(answer, Exception):
            return Invocation("lambda-id", error=str(answer), error_type=type(answer).__name__)
        return Invocation("lambda-id", result=answer)

    def in_process(self, logical_id: str) -> bool:
        return True

    def events_of(self, name: str) -> list[dict[str, Any]]:
        return [event for n, event in self.events if n == name]


def api(routes: dict[str, RouteSpec], expression: str = "$request.body.action") -> WebSocketApiSpec:
    return WebSocketApiSpec("Api", "abcdef1234", "test", expression, "production", routes, {}, {})


def core_for(routes: dict[str, RouteSpec], **kwargs: Any) -> tuple[GatewayCore, FakeFunctions]:
    functions = FakeFunctions()
    counter = itertools.count()
    events = EventFactory(API, clock=lambda: 1.0, new_id=lambda: f"{next(counter):015d}=")
    return GatewayCore(api(routes, **kwargs), functions, events), functions


HANDSHAKE = Handshake("192.0.2.1", [("Host", "h"), ("User-Agent", "test")], [("token", "t")])
CONNECT = RouteSpec("$connect", function("connect"))


async def test_without_a_connect_route_the_handshake_is_accepted() -> None:
    core, functions = core_for({})
    outcome = await core.connect(HANDSHAKE)
    assert isinstance(outcome, Accepted)
    assert outcome.meta.user_agent == "test"
    assert functions.events == []


async def test_connect_returning_2xx_accepts_and_other_statuses_refuse() -> None:
    core, functions = core_for({"$connect": CONNECT})
    assert isinstance(await core.connect(HANDSHAKE), Accepted)
    functions.answers["connect"] = {"statusCode": 409, "body": "taken"}
    assert await core.connect(HANDSHAKE) == Refused(409, "taken", "$connect refused it")


async def test_a_connect_that_raises_is_502() -> None:
    core, functions = core_for({"$connect": CONNECT})
    functions.answers["connect"] = RuntimeError("boom")
    outcome = await core.connect(HANDSHAKE)
    assert isinstance(outcome, Refused)
    assert outcome.status == 502
    assert json.loads(outcome.body) == {"message": "Internal server error"}


async def test_the_subprotocol_is_the_one_connect_returns() -> None:
    core, functions = core_for({"$connect": CONNECT})
    functions.answers["connect"] = {"statusCode": 200, "headers": {"sec-websocket-protocol": "v2"}}
    outcome = await core.connect(HANDSHAKE)
    assert isinstance(outcome, Accepted)
    assert outcome.subprotocol == "v2"


async def test_the_connection_is_connecting_only_while_connect_runs() -> None:
    core, functions = core_for({"$connect": CONNECT})
    seen: list[set[str]] = []
    original = functions.invoke

    async def spy(spec: FunctionSpec, event: dict[str, Any]) -> Invocation:
        seen.append(set(core.connecting))
        return await original(spec, event)

    functions.invoke = spy  # type: ignore[method-assign]
    outcome = await core.connect(HANDSHAKE)
    assert isinstance(outcome, Accepted)
    assert seen == [{outcome.meta.connection_id}]
    assert core.connecting == set()


async def test_a_connect_past_the_integration_timeout_is_refused() -> None:
    slow = RouteSpec("$connect", function("connect", timeout=60), integration_timeout=0.05)
    core, functions = core_for({"$connect": slow})
    functions.delay["connect"] = 0.2
    outcome = await core.connect(HANDSHAKE)
    assert isinstance(outcome, Refused)
    assert outcome.status == 504
    await asyncio.sleep(0.3)
    assert functions.done == ["connect"]  # the function ran on, unseen


def authorized(**authorizer: Any) -> RouteSpec:
    spec = AuthorizerSpec("Auth", function("authorize"), ("route.request.querystring.token",))
    return RouteSpec("$connect", function("connect"), authorizer=spec, **authorizer)


def policy(effect: str = "Allow", **extra: Any) -> dict[str, Any]:
    return {
        "principalId": "ana",
        "policyDocument": {
            "Statement": [{"Action": "execute-api:Invoke", "Effect": effect, "Resource": ARN}]
        },
        **extra,
    }


async def test_a_missing_identity_source_is_401_without_calling_the_authorizer() -> None:
    core, functions = core_for({"$connect": authorized()})
    outcome = await core.connect(Handshake("192.0.2.1"))
    assert isinstance(outcome, Refused)
    assert outcome.status == 401
    assert functions.events == []


@pytest.mark.parametrize(
    ("answer", "status"),
    [
        (Exception("Unauthorized"), 401),
        (Exception("database down"), 500),
        (policy("Deny"), 403),
        (policy(context={"nested": {"x": 1}}), 500),
        ({"policyDocument": policy()["policyDocument"]}, 500),
    ],
)
async def test_authorizer_refusals(answer: Any, status: int) -> None:
    core, functions = core_for({"$connect": authorized()})
    functions.answers["authorize"] = answer
    outcome = await core.connect(HANDSHAKE)
    assert isinstance(outcome, Refused)
    assert outcome.status == status
    assert functions.events_of("connect") == []


async def test_an_allowed_principal_and_its_context_reach_every_later_event() -> None:
    disconnect = RouteSpec("$disconnect", function("disconnect"))
    default = RouteSpec("$default", function("default"))
    core, functions = core_for(
        {"$connect": authorized(), "$disconnect": disconnect, "$default": default}
    )
    functions.answers["authorize"] = policy(context={"plan": "gold", "seats": 3})
    outcome = await core.connect(HANDSHAKE)
    assert isinstance(outcome, Accepted)
    expected = {"principalId": "ana", "plan": "gold", "seats": "3"}
    assert outcome.meta.authorizer == expected
    (authorizer_event,) = functions.events_of("authorize")
    assert authorizer_event["methodArn"] == ARN
    await core.message(outcome.meta, "hello")
    await core.disconnect(outcome.meta, 1000, "")
    for name in ("connect", "default", "disconnect"):
        (event,) = functions.events_of(name)
        assert event["requestContext"]["authorizer"] == expected


META = ConnectionMeta("TWegAcC4joAFZUA=", 1000, "192.0.2.1")


async def test_a_message_goes_to_its_route_and_one_way_routes_answer_nothing() -> None:
    send = RouteSpec("sendMessage", function("send"))
    core, functions = core_for(
        {"sendMessage": send, "$default": RouteSpec("$default", function("default"))}
    )
    assert await core.message(META, '{"action": "sendMessage"}') is None
    assert await core.message(META, "not json") is None
    assert [name for name, _ in functions.events] == ["send", "default"]
    event = functions.events_of("send")[0]
    assert event["body"] == '{"action": "sendMessage"}'
    assert event["requestContext"]["routeKey"] == "sendMessage"


async def test_a_two_way_route_answers_with_the_functions_body() -> None:
    echo = RouteSpec("echo", function("echo"), two_way=True)
    core, functions = core_for({"echo": echo})
    functions.answers["echo"] = {"statusCode": 200, "body": "pong"}
    assert await core.message(META, '{"action": "echo"}') == b"pong"


async def test_no_route_and_no_default_is_forbidden() -> None:
    core, _ = core_for({"sendMessage": RouteSpec("sendMessage", function("send"))})
    frame = json.loads(await core.message(META, '{"action": "other"}') or b"")
    assert frame["message"] == "Forbidden"
    assert frame["connectionId"] == META.connection_id
    assert frame["requestId"]


async def test_a_function_error_is_internal_server_error_with_the_events_request_id() -> None:
    core, functions = core_for({"$default": RouteSpec("$default", function("default"))})
    functions.answers["default"] = ValueError("bad")
    frame = json.loads(await core.message(META, "x") or b"")
    assert frame["message"] == "Internal server error"
    (event,) = functions.events_of("default")
    assert frame["requestId"] == event["requestContext"]["requestId"]


async def test_past_the_integration_timeout_the_caller_hears_endpoint_request_timed_out() -> None:
    """A function with Timeout 60 that takes longer than 29 s: API Gateway gives up."""
    slow = RouteSpec("$default", function("default", timeout=60), integration_timeout=0.05)
    core, functions = core_for({"$default": slow})
    functions.delay["default"] = 0.2
    frame = json.loads(await core.message(META, "x") or b"")
    assert frame["message"] == "Endpoint request timed out"
    await asyncio.sleep(0.3)
    assert functions.done == ["default"]


async def test_a_function_whose_own_timeout_is_shorter_is_not_cut_by_the_integration() -> None:
    quick = RouteSpec("$default", function("default", timeout=0.5), integration_timeout=29)
    core, functions = core_for({"$default": quick})
    functions.delay["default"] = 0.1
    assert await core.message(META, "x") is None


async def test_composite_route_selection() -> None:
    route = RouteSpec("chat/join", function("join"))
    core, functions = core_for(
        {"chat/join": route}, expression="${request.body.service}/${request.body.action}"
    )
    await core.message(META, '{"service": "chat", "action": "join"}')
    assert [name for name, _ in functions.events] == ["join"]


async def test_disconnect_runs_with_the_code_and_reason() -> None:
    core, functions = core_for({"$disconnect": RouteSpec("$disconnect", function("disconnect"))})
    await core.disconnect(META, 1005, "Client-side close frame status not set")
    (event,) = functions.events_of("disconnect")
    assert event["requestContext"]["disconnectStatusCode"] == 1005
    assert event["requestContext"]["disconnectReason"] == "Client-side close frame status not set"


async def test_an_accepted_connection_keeps_of_its_handshake_only_what_later_events_read() -> None:
    """The headers and query string were for the authorizer and $connect; a connection held
    for hours keeps only the Host header, which its DISCONNECT event carries."""
    routes = {"$connect": CONNECT, "$disconnect": RouteSpec("$disconnect", function("disconnect"))}
    core, functions = core_for(routes)
    outcome = await core.connect(HANDSHAKE)
    assert isinstance(outcome, Accepted)
    assert outcome.meta.headers == (("Host", "h"),)
    assert outcome.meta.query == ()
    assert outcome.meta.user_agent == "test"
    (connect_event,) = functions.events_of("connect")
    assert connect_event["queryStringParameters"] == {"token": "t"}
    await core.disconnect(outcome.meta, 1000, "")
    (event,) = functions.events_of("disconnect")
    assert event["headers"]["Host"] == "h"


async def test_without_a_disconnect_route_nothing_runs() -> None:
    core, functions = core_for({})
    await core.disconnect(META, 1000, "")
    assert functions.events == []


async def test_a_route_whose_integration_is_not_run_answers_internal_server_error() -> None:
    core, _ = core_for(
        {"$connect": RouteSpec("$connect", None), "$default": RouteSpec("$default", None)}
    )
    outcome = await core.connect(HANDSHAKE)
    assert isinstance(outcome, Refused)
    assert outcome.status == 500
    frame = json.loads(await core.message(META, "x") or b"")
    assert frame["message"] == "Internal server error"


async def test_an_isolated_function_is_cut_by_the_integration_timeout_whatever_its_own() -> None:
    """A container's cold start and its wait for a slot count against API Gateway's 29 s."""
    route = RouteSpec("$default", function("default", timeout=0.5), integration_timeout=0.05)
    core, functions = core_for({"$default": route})
    functions.in_process = lambda logical_id: False  # type: ignore[method-assign]
    functions.delay["default"] = 0.2
    frame = json.loads(await core.message(META, "x") or b"")
    assert frame["message"] == "Endpoint request timed out"


class ThrottlingFunctions(FakeFunctions):
    """Lambda refusing every invocation: 429 TooManyRequestsException, nothing runs."""

    async def invoke(self, spec: FunctionSpec, event: dict[str, Any]) -> Invocation:
        return Invocation("id", error="Rate Exceeded.", error_type="TooManyRequestsException")


async def test_a_throttled_connect_is_500_not_a_function_errors_502() -> None:
    """'If the Lambda API rejects the invocation request, API Gateway returns a 500 error
    code ... the body of the response from API Gateway is {"message": "Internal server
    error"}' ("Handling Lambda errors with an API Gateway API",
    https://docs.aws.amazon.com/lambda/latest/dg/services-apigateway-errors.html)."""
    core = GatewayCore(api({"$connect": CONNECT}), ThrottlingFunctions(), core_for({})[0].events)
    outcome = await core.connect(HANDSHAKE)
    assert isinstance(outcome, Refused)
    assert (outcome.status, json.loads(outcome.body)) == (500, {"message": "Internal server error"})


async def test_a_throttled_message_route_answers_internal_server_error() -> None:
    """The same page: a rejected invocation is an internal error to the caller."""
    route = RouteSpec("send", function("send"))
    core = GatewayCore(api({"send": route}), ThrottlingFunctions(), core_for({})[0].events)
    (meta,) = [(await core.connect(HANDSHAKE)).meta]  # type: ignore[union-attr]
    frame = json.loads(await core.message(meta, '{"action": "send"}') or b"")
    assert frame["message"] == "Internal server error"


async def test_integration_latency_comes_before_the_function_and_counts_in_the_timeout() -> None:
    """--chaos integration-latency: the function is called that much later, and the integration
    timeout (50 ms - 29 s, "Quotas for configuring and running a WebSocket API in API
    Gateway", https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-execution-service-websocket-limits-table.html)
    includes it."""
    route = RouteSpec("send", function("send"), integration_timeout=0.1)
    functions = FakeFunctions()
    core = GatewayCore(
        api({"send": route}),
        functions,
        core_for({})[0].events,
        chaos=Chaos(integration_latency=0.3),
    )
    meta = (await core.connect(HANDSHAKE)).meta  # type: ignore[union-attr]
    frame = json.loads(await core.message(meta, '{"action": "send"}') or b"")
    assert frame["message"] == "Endpoint request timed out"
    assert functions.events == []  # not yet called when API Gateway gave up
