"""What an integration does with a request and an answer, without sockets: template
selection, PassthroughBehavior, X-Amz-Invocation-Type, integration responses, and each
integration type through ``Backends`` with a fake runner and a fake HTTP client.

Sources: "Set up a WebSocket API integration request in API Gateway"
(https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-integration-requests.html),
"Set up a WebSocket API integration response in API Gateway"
(https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-integration-responses.html),
"Data transformations for WebSocket APIs in API Gateway"
(https://docs.aws.amazon.com/apigateway/latest/developerguide/websocket-api-data-transformations.html),
the API Gateway V2 Integration reference (PassthroughBehavior)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pytest

from local_gateway.apigateway.backends import Backends, HttpAnswer
from local_gateway.apigateway.integrations import (
    IntegrationError,
    compile_integration,
    mock_status,
    passes_through,
)
from local_gateway.apigateway.mapping_templates import MappingTemplateError
from local_gateway.functions.invocation import Invocation
from local_gateway.template.specs import FunctionSpec, IntegrationResponseSpec, IntegrationSpec

FUNCTION = FunctionSpec("Fn", "fn", "app.handler", None, "python3.13", {})
EVENT = {"requestContext": {"connectionId": "c1=", "routeKey": "go", "eventType": "MESSAGE"}}
PONG = IntegrationResponseSpec("$default", {"$default": '{"pong": "$context.connectionId"}'})


def _spec(**settings: Any) -> IntegrationSpec:
    settings.setdefault("kind", "AWS")
    settings.setdefault("function", FUNCTION)
    return IntegrationSpec("Integration", **settings)


# -- request templates and passthrough -------------------------------------------------------


def test_the_template_selection_expression_picks_a_template_with_default_as_catch_all() -> None:
    compiled = compile_integration(
        _spec(
            template_selection_expression="${request.body.kind}",
            request_templates={"a": "A", "$default": "D"},
        )
    )
    assert compiled.template_key('{"kind": "a"}') == "a"
    assert compiled.template_key('{"kind": "b"}') == "$default"
    assert compiled.template_key("not json") == "$default"


def test_without_an_expression_default_then_application_json_is_taken() -> None:
    """(An inference: AWS documents no rule; API Gateway's default content type is
    application/json, and sam-chat-boilerplate's templates are keyed so.)"""
    assert compile_integration(_spec(request_templates={"application/json": "J"})).template_key(
        "{}"
    ) == ("application/json")
    assert compile_integration(_spec(request_templates={"$default": "D"})).template_key("{}") == (
        "$default"
    )
    assert (
        compile_integration(_spec(request_templates={"text/plain": "T"})).template_key("{}") is None
    )


@pytest.mark.parametrize(
    ("behavior", "has_templates", "passes"),
    [
        ("WHEN_NO_MATCH", False, True),
        ("WHEN_NO_MATCH", True, True),
        ("WHEN_NO_TEMPLATES", False, True),
        ("WHEN_NO_TEMPLATES", True, False),
        ("NEVER", False, False),
        ("NEVER", True, False),
    ],
)
def test_passthrough_behavior(behavior: str, has_templates: bool, passes: bool) -> None:
    assert passes_through(behavior, has_templates) is passes


def test_a_request_no_template_matches_is_refused_415_unless_it_passes_through() -> None:
    never = compile_integration(
        _spec(
            passthrough="NEVER",
            template_selection_expression="${request.body.kind}",
            request_templates={"a": '{"t": "$input.path(\'$.kind\')"}'},
        )
    )
    assert never.request('{"kind": "a"}', {}, {}).payload == '{"t": "a"}'
    assert never.request('{"kind": "b"}', {}, {}).status == 415
    assert compile_integration(_spec()).request("raw", {}, {}).payload == "raw"


# -- settings refused at start ---------------------------------------------------------------


def test_a_template_airspeed_cannot_parse_stops_the_start_naming_where_it_is() -> None:
    with pytest.raises(MappingTemplateError, match=r"Integration RequestTemplates\['\$default'\]"):
        compile_integration(_spec(request_templates={"$default": "#foreach($x in"}))
    with pytest.raises(MappingTemplateError, match=r"Integration response \$default"):
        compile_integration(
            _spec(responses=(IntegrationResponseSpec("$default", {"$default": "#if($x"}),))
        )


def test_invocation_type_and_request_parameters_it_cannot_run() -> None:
    event = {"integration.request.header.X-Amz-Invocation-Type": "'Event'"}
    assert compile_integration(_spec(request_parameters=event)).invocation_type == "Event"
    assert compile_integration(_spec()).invocation_type == "RequestResponse"
    with pytest.raises(IntegrationError, match="'Event' or 'RequestResponse'"):
        compile_integration(
            _spec(
                request_parameters={
                    "integration.request.header.X-Amz-Invocation-Type": "route.request.header.t"
                }
            )
        )
    with pytest.raises(IntegrationError, match="not emulated"):
        compile_integration(_spec(request_parameters={"integration.request.path.x": "'y'"}))
    with pytest.raises(IntegrationError, match="neither \\$default nor /regex/"):
        compile_integration(_spec(responses=(IntegrationResponseSpec("200"),)))


# -- integration responses -------------------------------------------------------------------


def test_integration_responses_are_chosen_by_status_with_default_as_catch_all() -> None:
    ok = IntegrationResponseSpec("/2\\d\\d/", {"$default": "ok"})
    bad = IntegrationResponseSpec("/4\\d\\d/", {"$default": "bad"})
    other = IntegrationResponseSpec("$default", {"$default": "other"})
    compiled = compile_integration(_spec(responses=(other, ok, bad)))
    assert [compiled.response_for(s).spec.key for s in (200, 404, 500)] == [  # type: ignore[union-attr]
        "/2\\d\\d/",
        "/4\\d\\d/",
        "$default",
    ]
    assert compile_integration(_spec(responses=(ok,))).response_for(500) is None


def test_mock_status_comes_from_its_request_template() -> None:
    assert mock_status('{"statusCode": 404}') == 404
    assert mock_status("{}") == 200
    assert mock_status("not json") == 500


# -- each type through Backends --------------------------------------------------------------


class FakeHttp:
    def __init__(self, answer: HttpAnswer | Exception) -> None:
        self.answer = answer
        self.sent: list[tuple[str, str, Mapping[str, str], Mapping[str, str], str]] = []

    async def send(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        query: Mapping[str, str],
        body: str,
        timeout: float,
    ) -> HttpAnswer:
        self.sent.append((method, url, headers, query, body))
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


class Runner:
    def __init__(self, result: Any = None, error: str | None = None, late: bool = False):
        self.events: list[Any] = []
        self.fired: list[Any] = []
        self.result, self.error, self.late = result, error, late

    async def invoke(self, spec: FunctionSpec, event: Any) -> Invocation | None:
        self.events.append(event)
        return None if self.late else Invocation("r", self.result, self.error)

    def fire(self, spec: FunctionSpec, event: Any) -> None:
        self.fired.append(event)


async def _run(spec: IntegrationSpec, runner: Runner, body: str, http: Any = None) -> Any:
    backends = Backends(runner.fire, http, {"v": "1"})
    return await backends.run(compile_integration(spec), EVENT, body, runner.invoke)


async def test_mock_answers_through_its_integration_response() -> None:
    runner = Runner()
    spec = _spec(
        kind="MOCK", function=None, request_templates={"$default": "{}"}, responses=(PONG,)
    )
    answer = await _run(spec, runner, "{}")
    assert answer.body == '{"pong": "c1="}'
    assert runner.events == runner.fired == []
    unmapped = await _run(_spec(kind="MOCK", function=None), runner, "{}")
    assert unmapped.mapped is False


async def test_aws_sync_gets_the_template_output_as_event_and_maps_the_result() -> None:
    runner = Runner(result={"n": 1})
    spec = _spec(
        request_templates={
            "$default": '{"who": "$context.connectionId", "v": "$stageVariables.v"}'
        },
        responses=(IntegrationResponseSpec("$default"),),
    )
    answer = await _run(spec, runner, "{}")
    assert runner.events == [{"who": "c1=", "v": "1"}]
    assert json.loads(answer.body) == {"n": 1}


async def test_aws_event_invokes_asynchronously_and_nothing_waits() -> None:
    runner = Runner(late=True)  # (were it awaited, it would time out)
    spec = _spec(request_parameters={"integration.request.header.X-Amz-Invocation-Type": "'Event'"})
    answer = await _run(spec, runner, '{"x": 1}')
    assert runner.fired == [{"x": 1}]
    assert runner.events == []
    assert answer.error is None


async def test_aws_errors_timeouts_and_a_payload_that_is_not_json() -> None:
    assert (await _run(_spec(), Runner(error="boom"), "{}")).error == "Internal server error"
    assert (await _run(_spec(), Runner(late=True), "{}")).error == "Endpoint request timed out"
    assert (await _run(_spec(), Runner(), "not json")).error == "Internal server error"
    refused = await _run(_spec(passthrough="NEVER"), Runner(), "{}")
    assert (refused.status, refused.error) == (415, "Unsupported Media Type")


async def test_http_proxy_passes_the_body_and_the_answer_as_they_are() -> None:
    http = FakeHttp(HttpAnswer(201, "made"))
    spec = _spec(kind="HTTP_PROXY", function=None, uri="http://127.0.0.1:1/x", method="PUT")
    answer = await _run(spec, Runner(), '{"a": 1}', http)
    assert (answer.status, answer.body) == (201, "made")
    assert http.sent[0][:2] == ("PUT", "http://127.0.0.1:1/x")
    assert http.sent[0][4] == '{"a": 1}'


async def test_http_shapes_the_request_and_the_answer() -> None:
    http = FakeHttp(HttpAnswer(404, '{"e": "gone"}'))
    spec = _spec(
        kind="HTTP",
        function=None,
        uri="http://127.0.0.1:1/x",
        request_templates={"$default": "id=$context.connectionId"},
        request_parameters={"integration.request.header.X-Route": "context.routeKey"},
        responses=(IntegrationResponseSpec("/4\\d\\d/", {"$default": "$input.path('$.e')"}),),
    )
    answer = await _run(spec, Runner(), "{}", http)
    assert http.sent[0][4] == "id=c1="
    assert http.sent[0][2] == {"X-Route": "go"}
    assert answer.body == "gone"


async def test_an_http_backend_that_fails_or_is_slow_answers_an_error() -> None:
    spec = _spec(kind="HTTP_PROXY", function=None, uri="http://127.0.0.1:1/x")
    assert (await _run(spec, Runner(), "", FakeHttp(OSError("refused")))).error == (
        "Internal server error"
    )
    assert (await _run(spec, Runner(), "", FakeHttp(TimeoutError()))).error == (
        "Endpoint request timed out"
    )


def test_a_gateway_whose_template_has_a_bad_mapping_template_does_not_start(
    tmp_path: Any,
) -> None:
    """The error names the integration and the template, before anything listens."""
    from local_gateway import GatewayConfig, LocalGateway
    from tests.conftest import FIXTURES

    text = (FIXTURES / "integrations" / "template.yaml").read_text()
    bad = tmp_path / "template.yaml"
    bad.write_text(text.replace("$default: '{\"statusCode\": 200}'", "$default: '#if($x'"))
    (tmp_path / "src").symlink_to(FIXTURES / "integrations" / "src")
    with pytest.raises(MappingTemplateError, match=r"PingIntegration RequestTemplates"):
        LocalGateway(GatewayConfig(template=bad, port=0, state_dir=tmp_path / "state"))
