"""API Gateway's WebSocket semantics, with no sockets: what a handshake, a message and a
disconnect do. The aiohttp server (``server``) is a shell around this.

- ``connect``: identity sources, the REQUEST authorizer, then ``$connect``; the handshake
  is accepted (with the subprotocol ``$connect`` selected) or refused with a status.
- ``message``: route selection, the route's function, and what goes back to the caller:
  a two-way route's reply, ``Forbidden`` when no route matches, ``Internal server error``
  when the function fails, ``Endpoint request timed out`` past the integration timeout.
- ``disconnect``: ``$disconnect``, best effort.

A Lambda invocation that Lambda throttles (429) is, to the client, what any invocation
error is: ``Internal server error`` — a 500 on ``$connect`` ("If the Lambda API rejects the
invocation request, API Gateway returns a 500 error code": "Handling Lambda errors with an
API Gateway API"), an error frame on a message route.

An integration answers within its ``TimeoutInMillis`` (29 s at most): past it API Gateway
gives up on the function, which runs on to its own Timeout, unseen. AWS_PROXY integrations
run here; MOCK, AWS, HTTP and HTTP_PROXY through ``backends``. A route with
``ApiKeyRequired`` first checks the connection's API key (``api_keys``).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from local_gateway.apigateway import authorizer
from local_gateway.apigateway.api_keys import key_refusal
from local_gateway.apigateway.backends import (
    INTERNAL_ERROR,
    Answer,
    Backends,
    HttpBackend,
    fire_and_forget,
)
from local_gateway.apigateway.chaos import Chaos
from local_gateway.apigateway.event_factory import ConnectionMeta, EventFactory, identity_present
from local_gateway.apigateway.integrations import CompiledIntegration, compile_api
from local_gateway.apigateway.routing import RouteSelector, select_route
from local_gateway.functions.invocation import Invocation
from local_gateway.template.model import (
    AuthorizerSpec,
    FunctionSpec,
    RouteSpec,
    WebSocketApiSpec,
)

log = logging.getLogger("local_gateway")

SUBPROTOCOL_HEADER = "Sec-WebSocket-Protocol"


class Functions(Protocol):
    """Runs a template function (``functions.FunctionRunner``)."""

    async def invoke(self, spec: FunctionSpec, event: dict[str, Any]) -> Invocation: ...

    def in_process(self, logical_id: str) -> bool:
        """Whether its own Timeout bounds it (no cold start, no wait for a container)."""


@dataclass(frozen=True, slots=True)
class Handshake:
    """What a client's upgrade request says."""

    source_ip: str
    headers: Sequence[tuple[str, str]] = ()
    query: Sequence[tuple[str, str]] = ()
    port: int = 443
    scheme: str = "https"

    def header(self, name: str) -> str:
        wanted = name.lower()
        return next((v for k, v in self.headers if k.lower() == wanted), "")


@dataclass(frozen=True, slots=True)
class Accepted:
    """The connection is established: ``meta`` describes it from now on."""

    meta: ConnectionMeta
    subprotocol: str | None = None


@dataclass(frozen=True, slots=True)
class Refused:
    """The handshake is refused with an HTTP status; ``reason`` is for the log."""

    status: int
    body: str
    reason: str = ""
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, status: int, message: str, reason: str = "") -> Refused:
        headers = {"Content-Type": "application/json"}
        return cls(status, json.dumps({"message": message}), reason, headers)


class GatewayCore:
    """One WebSocket API's semantics over a function runner and an event factory."""

    def __init__(
        self,
        api: WebSocketApiSpec,
        functions: Functions,
        events: EventFactory,
        connecting: set[str] | None = None,
        http: HttpBackend | None = None,
        chaos: Chaos | None = None,
    ) -> None:
        self.api = api
        self.chaos = chaos
        self._functions = functions
        self.events = events
        # The ids whose handshake is under way (the registry reads it to explain a 410).
        self.connecting = connecting if connecting is not None else set()
        self._selector = RouteSelector(api.route_selection_expression)
        self._abandoned: set[asyncio.Task[Invocation]] = set()
        self._integrations = compile_api(api)  # a template that cannot run stops the start
        self._events_running: set[asyncio.Task[Invocation]] = set()
        self._backends = Backends(
            fire_and_forget(functions.invoke, self._events_running), http, api.stage_variables
        )

    def _non_proxy(self, route: RouteSpec) -> CompiledIntegration | None:
        """The route's integration when it is not AWS_PROXY (run through backends)."""
        spec = route.integration
        if spec is None or spec.kind == "AWS_PROXY":
            return None
        return self._integrations[spec.logical_id]

    async def _run(
        self, route: RouteSpec, integration: CompiledIntegration, event: dict[str, Any], body: str
    ) -> Answer:
        if not route.invocable:
            return Answer(500, error=INTERNAL_ERROR)

        async def invoke(spec: FunctionSpec, payload: Any) -> Invocation | None:
            return await self._integrate(route, spec, payload)

        return await self._backends.run(integration, event, body, invoke)

    # -- $connect ----------------------------------------------------------------------
    async def connect(self, handshake: Handshake) -> Accepted | Refused:
        """The authorizer, then $connect: what becomes of the handshake."""
        meta = ConnectionMeta(
            connection_id=self.events.new_connection_id(),
            connected_at=self.events.now_ms(),
            source_ip=handshake.source_ip,
            user_agent=handshake.header("User-Agent"),
            headers=tuple(handshake.headers),
            query=tuple(handshake.query),
            port=handshake.port,
            scheme=handshake.scheme,
        )
        self.connecting.add(meta.connection_id)
        try:
            return await self._connect(meta)
        finally:
            self.connecting.discard(meta.connection_id)

    async def _connect(self, meta: ConnectionMeta) -> Accepted | Refused:
        route = self.api.routes.get("$connect")
        if route is not None and route.authorizer is not None:
            decision = await self._authorize(route, route.authorizer, meta)
            if isinstance(decision, Refused):
                return decision
            meta = replace(meta, authorizer=decision.context)
        if route is None:
            return Accepted(meta.established())
        if route.api_key_required:
            refusal = key_refusal(self.api.api_keys, meta.headers)
            if refusal:
                return Refused.json(403, "Forbidden", refusal)
        integration = self._non_proxy(route)
        if integration is not None:
            answer = await self._run(route, integration, self.events.connect(meta), "")
            if answer.error is not None:
                return Refused.json(answer.status, answer.error, f"$connect: {answer.error}")
            if not 200 <= answer.status < 300:
                return Refused(answer.status, answer.body or "", "$connect refused it")
            return Accepted(meta.established(), _subprotocol(answer.headers))
        if route.function is None or not route.invocable:  # not run, or not permitted
            return Refused.json(500, "Internal server error", "$connect cannot be invoked")
        outcome = await self._integrate(route, route.function, self.events.connect(meta))
        if outcome is None:
            return Refused.json(504, "Endpoint request timed out", "$connect timed out")
        if outcome.throttled:  # Lambda refused the invocation: 500, not a function's 502
            return Refused.json(500, "Internal server error", "$connect: Lambda throttled it")
        if not outcome.ok:
            return Refused.json(502, "Internal server error", f"$connect failed: {outcome.error}")
        if not 200 <= outcome.status_code < 300:
            return Refused(outcome.status_code, outcome.body or "", "$connect refused it")
        return Accepted(meta.established(), _subprotocol(outcome.headers))

    async def _authorize(
        self, route: RouteSpec, spec: AuthorizerSpec, meta: ConnectionMeta
    ) -> authorizer.Allowed | Refused:
        """A missing identity source is 401 (the function is not called); "Unauthorized"
        raised is 401; any other error 500; the policy decides the rest."""
        if not all(identity_present(source, meta) for source in spec.identity_sources):
            return Refused.json(401, "Unauthorized", "an identity source is missing")
        if spec.function is None or not spec.invocable:
            return Refused.json(500, "Internal server error", "the authorizer cannot be invoked")
        outcome = await self._integrate(route, spec.function, self.events.authorizer(meta))
        if outcome is None:
            return Refused.json(500, "Internal server error", "the authorizer timed out")
        if not outcome.ok:
            if outcome.error == "Unauthorized":
                return Refused.json(401, "Unauthorized", "the authorizer said Unauthorized")
            reason = f"the authorizer failed: {outcome.error}"
            return Refused.json(500, "Internal server error", reason)
        decision = authorizer.decide(outcome.result, self.events.method_arn)
        if isinstance(decision, authorizer.Refused):
            return Refused.json(decision.status, decision.message, decision.reason)
        return decision

    # -- messages --------------------------------------------------------------------
    async def message(self, meta: ConnectionMeta, body: str) -> bytes | None:
        """Route one text message; what goes back to the caller, if anything."""
        route_key = select_route(body, self._selector, self.api.routes)
        route = self.api.routes.get(route_key) if route_key else None
        if route is None:
            return self._error_frame(meta, "Forbidden", self.events.new_request_id())
        event = self.events.message(meta, route.route_key, body)
        request_id = event["requestContext"]["requestId"]
        if route.api_key_required and key_refusal(self.api.api_keys, meta.headers):
            return self._error_frame(meta, "Forbidden", request_id)
        integration = self._non_proxy(route)
        if integration is not None:
            answer = await self._run(route, integration, event, body)
            if answer.error is not None:
                return self._error_frame(meta, answer.error, request_id)
            if not route.two_way:
                return None
            if not answer.mapped:
                return self._error_frame(meta, INTERNAL_ERROR, request_id)
            return answer.body.encode() if answer.body else None
        if route.function is None or not route.invocable:  # not run, or not permitted
            return self._error_frame(
                meta, "Internal server error", event["requestContext"]["requestId"]
            )
        outcome = await self._integrate(route, route.function, event)
        if outcome is None:
            return self._error_frame(meta, "Endpoint request timed out", request_id)
        if not outcome.ok:
            return self._error_frame(meta, "Internal server error", request_id)
        if route.two_way and outcome.body is not None:
            return outcome.body.encode()
        return None

    @staticmethod
    def _error_frame(meta: ConnectionMeta, message: str, request_id: str) -> bytes:
        frame = {"message": message, "connectionId": meta.connection_id, "requestId": request_id}
        return json.dumps(frame).encode()

    # -- $disconnect -----------------------------------------------------------------
    async def disconnect(self, meta: ConnectionMeta, code: int, reason: str) -> None:
        """Run ``$disconnect``, best effort: nobody hears its answer."""
        route = self.api.routes.get("$disconnect")
        if route is None:
            return
        if self.chaos is not None and self.chaos.drops_disconnect(meta.connection_id):
            return
        integration = self._non_proxy(route)
        if integration is not None:
            await self._run(route, integration, self.events.disconnect(meta, code, reason), "")
            return
        if route.function is None:
            return
        await self._integrate(route, route.function, self.events.disconnect(meta, code, reason))

    # -- the integration -------------------------------------------------------------
    async def _integrate(
        self, route: RouteSpec, spec: FunctionSpec, event: dict[str, Any]
    ) -> Invocation | None:
        """The function's outcome, or None when the integration timed out first (the
        function goes on, as on AWS, and its outcome is dropped). --chaos integration-latency
        comes first, inside the integration timeout."""
        delay = self.chaos.integration_delay(spec.name) if self.chaos is not None else 0.0
        if (
            not delay
            and spec.timeout <= route.integration_timeout
            and self._functions.in_process(spec.logical_id)
        ):  # its own Timeout comes first (a container may first start, or wait for a slot)
            return await self._functions.invoke(spec, event)
        task = asyncio.ensure_future(self._invoke_after(delay, spec, event))
        done, _ = await asyncio.wait({task}, timeout=route.integration_timeout)
        if task in done:
            return task.result()
        log.error(
            "%s: %s did not answer within the integration timeout (%.3g s); API Gateway"
            " gives up, the function runs on",
            route.route_key,
            spec.name,
            route.integration_timeout,
        )
        self._abandoned.add(task)
        task.add_done_callback(self._abandoned.discard)
        return None

    async def _invoke_after(
        self, delay: float, spec: FunctionSpec, event: dict[str, Any]
    ) -> Invocation:
        if delay:
            await asyncio.sleep(delay)
        return await self._functions.invoke(spec, event)


def _subprotocol(headers: Any) -> str | None:
    """The Sec-WebSocket-Protocol an answer selects, if any."""
    return next(
        (v for k, v in headers.items() if k.lower() == SUBPROTOCOL_HEADER.lower()),
        None,
    )
