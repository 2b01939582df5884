"""Running the integrations that are not AWS_PROXY: MOCK, AWS (a Lambda function, sync or
``'Event'``), HTTP and HTTP_PROXY. No sockets: the function runner and the HTTP client are
passed in (the HTTP call itself is the server's, ``server/http_backend.py``).

What each answers, as API Gateway answers (integrations.py has the sources):

- MOCK: no backend; its request template's ``statusCode`` picks the integration response,
  whose template is the answer ("the usual free keep-alive route").
- AWS: the request template's output is the function's event (it must be JSON, as Lambda's
  Invoke wants); with ``X-Amz-Invocation-Type: 'Event'`` the function is invoked
  asynchronously (Lambda answers 202 at once: nothing times out, and the caller gets no
  frame unless the route is two-way); otherwise its result, as JSON, through the
  integration response.
- HTTP_PROXY: the message body to the URL as it is, the backend's body back as it is.
- HTTP: the request template's output to the URL, the answer through the integration
  response.

A request refused by PassthroughBehavior is 415 "Unsupported Media Type"; a backend that
fails is "Internal server error"; past the integration timeout "Endpoint request timed
out".
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from local_gateway.apigateway.integrations import (
    CompiledIntegration,
    mock_status,
    request_parameters,
    response_body,
)
from local_gateway.functions.async_queue import queued
from local_gateway.functions.invocation import Invocation
from local_gateway.template.specs import FunctionSpec

log = logging.getLogger("local_gateway")

INTERNAL_ERROR = "Internal server error"
TIMED_OUT = "Endpoint request timed out"
UNSUPPORTED_MEDIA_TYPE = "Unsupported Media Type"


@dataclass(frozen=True, slots=True)
class HttpAnswer:
    status: int
    body: str
    headers: Mapping[str, str] = field(default_factory=dict)


class HttpBackend(Protocol):
    """Sends an HTTP integration request (the server's aiohttp client)."""

    async def send(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        query: Mapping[str, str],
        body: str,
        timeout: float,
    ) -> HttpAnswer: ...


@dataclass(frozen=True, slots=True)
class Answer:
    """What an integration answered, as API Gateway passes it on: a status and a body for
    the route response (``mapped`` False when no integration response matched), or an
    error message for the caller's error frame."""

    status: int = 200
    body: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    error: str | None = None
    mapped: bool = True


Invoke = Callable[[FunctionSpec, Any], Awaitable[Invocation | None]]


class Backends:
    """Runs one request through a non-proxy (or HTTP_PROXY) integration."""

    def __init__(
        self,
        invoke_event: Callable[[FunctionSpec, Any], None],
        http: HttpBackend | None,
        stage_variables: Mapping[str, str] | None = None,
    ) -> None:
        self._invoke_event = invoke_event
        self._http = http
        self._stage = dict(stage_variables or {})

    async def run(
        self,
        integration: CompiledIntegration,
        event: Mapping[str, Any],
        body: str,
        invoke: Invoke,
    ) -> Answer:
        """The integration's answer; ``invoke`` runs a function within the integration
        timeout (None past it)."""
        kind = integration.spec.kind
        context = event.get("requestContext") or {}
        if kind == "HTTP_PROXY":
            return await self._http_call(integration, event, body, proxy=True)
        rendered = integration.request(body, context, self._stage)
        if rendered.payload is None:
            return Answer(rendered.status, error=UNSUPPORTED_MEDIA_TYPE)
        if kind == "MOCK":
            return self._respond(integration, mock_status(rendered.payload), "", context)
        if kind == "HTTP":
            return await self._http_call(integration, event, rendered.payload, proxy=False)
        return await self._lambda(integration, rendered.payload, context, invoke)

    def _respond(
        self,
        integration: CompiledIntegration,
        status: int,
        body: str,
        context: Mapping[str, Any],
    ) -> Answer:
        response = integration.response_for(status)
        if response is None:
            log.error(
                "%s: no integration response matches status %d and there is no $default one"
                ' (API Gateway: "No match for output mapping and no default output mapping'
                ' configured")',
                integration.spec.logical_id,
                status,
            )
            return Answer(status, None, mapped=False)
        return Answer(status, response_body(response, status, body, context, self._stage))

    async def _lambda(
        self,
        integration: CompiledIntegration,
        payload: str,
        context: Mapping[str, Any],
        invoke: Invoke,
    ) -> Answer:
        function = integration.spec.function
        if function is None:
            return Answer(500, error=INTERNAL_ERROR)
        try:
            event = json.loads(payload)
        except ValueError:
            log.error(
                "%s: the request template's output is not JSON, which Lambda's Invoke refuses"
                " (InvalidRequestContentException): %.200s",
                integration.spec.logical_id,
                payload,
            )
            return Answer(500, error=INTERNAL_ERROR)
        if integration.invocation_type == "Event":
            self._invoke_event(function, event)
            return self._respond(integration, 202, "", context)
        outcome = await invoke(function, event)
        if outcome is None:
            return Answer(504, error=TIMED_OUT)
        if not outcome.ok:
            return Answer(502, error=INTERNAL_ERROR)
        return self._respond(integration, 200, json.dumps(outcome.result), context)

    async def _http_call(
        self,
        integration: CompiledIntegration,
        event: Mapping[str, Any],
        body: str,
        proxy: bool,
    ) -> Answer:
        spec = integration.spec
        if self._http is None:
            return Answer(500, error=INTERNAL_ERROR)
        context = event.get("requestContext") or {}
        handshake = list((event.get("headers") or {}).items())
        query = list((event.get("queryStringParameters") or {}).items())
        headers, params = request_parameters(
            spec.request_parameters, handshake, query, context, self._stage
        )
        if proxy and context.get("eventType") == "CONNECT":
            headers = {**dict(handshake), **headers}
        try:
            answer = await self._http.send(
                spec.method, spec.uri, headers, params, body, spec.timeout
            )
        except TimeoutError:
            return Answer(504, error=TIMED_OUT)
        except OSError as error:
            log.error("%s: %s %s failed: %s", spec.logical_id, spec.method, spec.uri, error)
            return Answer(500, error=INTERNAL_ERROR)
        if proxy:
            return Answer(answer.status, answer.body, answer.headers)
        return self._respond(integration, answer.status, answer.body, context)


def fire_and_forget(
    invoke: Callable[[FunctionSpec, Any], Awaitable[Invocation]],
    tasks: set[asyncio.Task[Invocation]],
) -> Callable[[FunctionSpec, Any], None]:
    """Lambda's asynchronous invoke: the function runs, nobody waits for it (a throttled
    event is tried again, as Lambda's queue does)."""
    run = queued(invoke)

    def start(function: FunctionSpec, event: Any) -> None:
        task = asyncio.ensure_future(run(function, event))
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    return start
