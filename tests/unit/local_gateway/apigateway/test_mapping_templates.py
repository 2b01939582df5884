"""Mapping templates: airspeed's Velocity with API Gateway's $input, $context, $util and
$stageVariables ("WebSocket API mapping template reference for API Gateway",
https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-mapping-template-reference.html;
"Data transformations for WebSocket APIs in API Gateway",
https://docs.aws.amazon.com/apigateway/latest/developerguide/websocket-api-data-transformations.html)."""

from __future__ import annotations

import json

import pytest

from local_gateway.apigateway.mapping_templates import (
    MappingTemplateError,
    compile_template,
    json_path,
    render,
)
from local_gateway.template.cfn_yaml import TemplateError

BODY = json.dumps({"action": "go", "user": {"name": "ana"}, "items": [1, 2], "q": 'a"b/'})
CONTEXT = {
    "connectionId": "abc=",
    "routeKey": "go",
    "eventType": "MESSAGE",
    "requestId": "r1",
    "identity": {"sourceIp": "127.0.0.1"},
    "authorizer": {"principalId": "me"},
}


def _render(source: str, body: str = BODY, stage: dict[str, str] | None = None) -> str:
    return render(compile_template(source, "test"), body, CONTEXT, stage)


def test_input_body_json_and_path() -> None:
    assert _render("$input.body") == BODY
    assert _render("$input.json('$.user')") == '{"name": "ana"}'
    assert _render("$input.json('$.items[1]')") == "2"
    assert _render("$input.json('$.missing')") == "null"
    assert _render("$input.path('$.user.name')") == "ana"
    assert _render("#set($u = $input.path('$.user'))$u.name") == "ana"
    assert _render("#foreach($i in $input.path('$.items'))[$i]#end") == "[1][2]"


def test_context_variables_and_unset_ones_render_as_empty() -> None:
    assert _render("$context.connectionId $context.routeKey $context.eventType") == (
        "abc= go MESSAGE"
    )
    assert _render("$context.identity.sourceIp $context.authorizer.principalId") == ("127.0.0.1 me")
    assert _render("[$context.messageId][$context.nothing.below]") == "[][]"


def test_stage_variables() -> None:
    assert _render("$stageVariables.greeting!", stage={"greeting": "hi"}) == "hi!"
    assert _render("[$stageVariables.unset]") == "[]"


def test_util_functions() -> None:
    assert _render("$util.escapeJavaScript($input.path('$.q'))") == 'a\\"b\\/'
    assert _render("$util.parseJson('{\"k\": 1}').k") == "1"
    assert _render("$util.urlEncode('a b&c')") == "a+b%26c"
    assert _render("$util.urlDecode('a+b%26c')") == "a b&c"
    assert _render("$util.base64Encode('hi')") == "aGk="
    assert _render("$util.base64Decode('aGk=')") == "hi"


def test_a_body_that_is_not_json_has_no_paths() -> None:
    assert _render("$input.json('$.x')", body="plain text") == "null"
    assert _render("$input.body", body="plain text") == "plain text"


def test_a_template_airspeed_cannot_parse_is_a_clear_error_at_start() -> None:
    with pytest.raises(MappingTemplateError, match=r"^Where: a mapping template Velocity"):
        compile_template("#if($x", "Where")
    assert issubclass(MappingTemplateError, TemplateError)  # serve says it and stops


def test_json_path_subset() -> None:
    document = {"a": {"b": [10, {"c": "x"}]}, "d-e": 1}
    assert json_path(document, "$") == document
    assert json_path(document, "$.a.b[1].c") == "x"
    assert json_path(document, "$['d-e']") == 1
    assert json_path(document, "$.a.z") is None
    with pytest.raises(MappingTemplateError, match="only"):
        json_path(document, "$..c")
