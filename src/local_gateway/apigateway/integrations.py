"""What an integration does with a route request and with its backend's answer. Pure.

WebSocket APIs have five integration types ("Set up a WebSocket API integration request in
API Gateway",
https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-integration-requests.html):
AWS_PROXY and HTTP_PROXY pass the request and the answer through; AWS (a Lambda function),
HTTP and MOCK are shaped by mapping templates:

- **Request templates** are chosen by the integration's ``TemplateSelectionExpression``
  (``${request.body.jsonPath}``, static values, ``\\$default``), the ``$default`` template
  as the catch-all ("Data transformations for WebSocket APIs in API Gateway",
  https://docs.aws.amazon.com/apigateway/latest/developerguide/websocket-api-data-transformations.html).
  With no expression the gateway takes ``$default``, else ``application/json`` (API
  Gateway's default content type: an inference, AWS documents no rule for WebSocket).
- **PassthroughBehavior** when no template is chosen: WHEN_NO_MATCH passes the body as it
  is; WHEN_NO_TEMPLATES passes it only when the integration has no templates at all; NEVER
  never does. A request refused so gets 415 "Unsupported Media Type" (the API Gateway V2
  PassthroughBehavior reference).
- **RequestParameters**: ``integration.request.header.X-Amz-Invocation-Type: "'Event'"``
  makes a Lambda invoke asynchronous; for HTTP integrations headers and query strings from
  ``'literals'``, ``route.request.header.X``, ``route.request.querystring.X``,
  ``context.X`` and ``stageVariables.X``.
- **Integration responses** are chosen by the backend's status code against their keys
  (``/2\\d\\d/``, a regular expression, or ``$default``), and shape the answer through their
  own templates ("Set up a WebSocket API integration response in API Gateway",
  https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-integration-responses.html).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import airspeed

from local_gateway.apigateway.mapping_templates import compile_template, json_path, render
from local_gateway.apigateway.routing import RouteSelector, SelectionExpressionError
from local_gateway.template.cfn_yaml import TemplateError
from local_gateway.template.specs import (
    IntegrationResponseSpec,
    IntegrationSpec,
    WebSocketApiSpec,
)

DEFAULT_KEY = "$default"
JSON_CONTENT_TYPE = "application/json"
INVOCATION_TYPE = "integration.request.header.X-Amz-Invocation-Type"
INVOCATION_TYPES = ("RequestResponse", "Event")
_PARAMETER_TARGET = re.compile(r"integration\.request\.(header|querystring)\.(.+)")
_PARAMETER_SOURCE = re.compile(
    r"'(?P<literal>[^']*)'|route\.request\.(?P<where>header|querystring)\.(?P<name>.+)"
    r"|context\.(?P<context>[\w.]+)|stageVariables\.(?P<stage>\w+)"
)


class IntegrationError(TemplateError):
    """An integration the gateway cannot run as written (said at start)."""


@dataclass(frozen=True, slots=True)
class Rendered:
    """A request shaped for the backend, or refused (``status`` 415)."""

    payload: str | None
    status: int = 200


@dataclass(frozen=True, slots=True)
class CompiledResponse:
    spec: IntegrationResponseSpec
    templates: Mapping[str, airspeed.Template]


@dataclass(frozen=True, slots=True)
class CompiledIntegration:
    """An integration with its templates parsed and its settings checked, once, at start."""

    spec: IntegrationSpec
    templates: Mapping[str, airspeed.Template] = field(default_factory=dict)
    selector: RouteSelector | None = None
    responses: tuple[CompiledResponse, ...] = ()
    invocation_type: str = "RequestResponse"

    # -- the request ---------------------------------------------------------------
    def template_key(self, body: str) -> str | None:
        """The request template chosen for a body, None when none is."""
        templates = self.spec.request_templates
        if self.selector is None:
            return next((k for k in (DEFAULT_KEY, JSON_CONTENT_TYPE) if k in templates), None)
        value = self.selector.value(body)
        if value is not None and value in templates:
            return value
        return DEFAULT_KEY if DEFAULT_KEY in templates else None

    def request(self, body: str, context: Mapping[str, Any], stage: Mapping[str, str]) -> Rendered:
        """The integration request's body, or the 415 of PassthroughBehavior."""
        key = self.template_key(body)
        if key is not None:
            return Rendered(render(self.templates[key], body, context, stage))
        if passes_through(self.spec.passthrough, bool(self.spec.request_templates)):
            return Rendered(body)
        return Rendered(None, 415)

    # -- the answer ----------------------------------------------------------------
    def response_for(self, status: int) -> CompiledResponse | None:
        """The integration response whose key matches the status, else ``$default``."""
        return select_response(self.responses, status)


def passes_through(behavior: str, has_templates: bool) -> bool:
    """Whether a request no template matched goes on as it is."""
    if behavior == "WHEN_NO_MATCH":
        return True
    return behavior == "WHEN_NO_TEMPLATES" and not has_templates


def select_response(responses: Sequence[CompiledResponse], status: int) -> CompiledResponse | None:
    """A ``/regex/`` key matching the status code, else the ``$default`` one."""
    code = str(status)
    for response in responses:
        key = response.spec.key
        is_pattern = len(key) > 1 and key.startswith("/") and key.endswith("/")
        if is_pattern and re.fullmatch(key[1:-1], code):
            return response
    return next((r for r in responses if r.spec.key == DEFAULT_KEY), None)


def response_body(
    response: CompiledResponse,
    status: int,
    body: str,
    context: Mapping[str, Any],
    stage: Mapping[str, str] | None = None,
) -> str:
    """The answer through the integration response's template (``$default``, or the one
    its TemplateSelectionExpression names); the body as it is when it has none."""
    expression = response.spec.template_selection_expression
    key = DEFAULT_KEY
    if expression is not None:
        key = (
            expression.replace("${integration.response.statuscode}", str(status))
            .replace("$integration.response.statuscode", str(status))
            .replace("\\$", "$")
        )
    template = response.templates.get(key) or response.templates.get(DEFAULT_KEY)
    if template is None:
        template = response.templates.get(JSON_CONTENT_TYPE)
    return body if template is None else render(template, body, context, stage)


def mock_status(payload: str | None) -> int:
    """A MOCK's status: the ``statusCode`` its request template wrote (200 without one)."""
    try:
        document = json.loads(payload or "{}")
    except ValueError:
        return 500
    code = document.get("statusCode", 200) if isinstance(document, dict) else 200
    try:
        return int(code)
    except (TypeError, ValueError):
        return 500


def request_parameters(
    parameters: Mapping[str, str],
    headers: Sequence[tuple[str, str]],
    query: Sequence[tuple[str, str]],
    context: Mapping[str, Any],
    stage: Mapping[str, str],
) -> tuple[dict[str, str], dict[str, str]]:
    """The headers and query string an HTTP integration request carries."""
    out: dict[str, dict[str, str]] = {"header": {}, "querystring": {}}
    for target, source in parameters.items():
        aim = _PARAMETER_TARGET.fullmatch(target)
        found = _PARAMETER_SOURCE.fullmatch(source)
        if aim is None or found is None:
            continue  # (refused at start by compile_integration)
        if found["literal"] is not None:
            value = found["literal"]
        elif found["where"] == "header":
            wanted = found["name"].lower()
            value = next((v for k, v in headers if k.lower() == wanted), "")
        elif found["where"] == "querystring":
            value = next((v for k, v in query if k == found["name"]), "")
        elif found["context"] is not None:
            value = str(json_path(dict(context), "$." + found["context"]) or "")
        else:
            value = stage.get(found["stage"], "")
        out[aim.group(1)][aim.group(2)] = value
    return out["header"], out["querystring"]


def compile_integration(spec: IntegrationSpec) -> CompiledIntegration:
    """Parse the integration's templates and check its settings; IntegrationError names
    what cannot run."""
    where = spec.logical_id
    try:
        selector = (
            RouteSelector(spec.template_selection_expression)
            if spec.template_selection_expression is not None
            else None
        )
    except SelectionExpressionError as error:
        raise IntegrationError(f"{where}: TemplateSelectionExpression: {error}") from error
    templates = {
        key: compile_template(source, f"{where} RequestTemplates[{key!r}]")
        for key, source in spec.request_templates.items()
    }
    responses = tuple(
        CompiledResponse(
            response,
            {
                key: compile_template(source, f"{where} response {response.key} [{key!r}]")
                for key, source in response.templates.items()
            },
        )
        for response in spec.responses
    )
    for response in spec.responses:
        key = response.key
        if key != DEFAULT_KEY and not (len(key) > 1 and key[0] == key[-1] == "/"):
            raise IntegrationError(
                f"{where}: IntegrationResponseKey {key!r} is neither $default nor /regex/"
            )
    return CompiledIntegration(spec, templates, selector, responses, _invocation_type(spec, where))


def _invocation_type(spec: IntegrationSpec, where: str) -> str:
    invocation = "RequestResponse"
    for target, source in spec.request_parameters.items():
        if target == INVOCATION_TYPE and spec.kind == "AWS":
            invocation = source.strip("'")
            if not (source.startswith("'") and invocation in INVOCATION_TYPES):
                raise IntegrationError(
                    f"{where}: {target} {source!r}: the gateway runs 'Event' or"
                    " 'RequestResponse' (quoted, static)"
                )
            continue
        if spec.kind not in ("HTTP", "HTTP_PROXY") or not (
            _PARAMETER_TARGET.fullmatch(target) and _PARAMETER_SOURCE.fullmatch(source)
        ):
            raise IntegrationError(
                f"{where}: RequestParameters {target}: {source}: not emulated by the local gateway"
            )
    return invocation


def compile_api(api: WebSocketApiSpec) -> dict[str, CompiledIntegration]:
    """Every integration the API's routes use, compiled, by logical id."""
    compiled: dict[str, CompiledIntegration] = {}
    for route in api.routes.values():
        spec = route.integration
        if spec is not None and spec.logical_id not in compiled:
            compiled[spec.logical_id] = compile_integration(spec)
    return compiled
