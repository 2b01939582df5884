"""Lambda's Invoke API for the template's own functions: the one model that both faces call,
the HTTP one (boto3's ``lambda`` client in a function) and the in-process one (an
application's hook).

A function is named by its name, its ARN or a partial ARN (``ACCOUNT:function:NAME``), as
AWS accepts; a logical id names nothing on AWS, so it names nothing here. A qualifier other
than ``$LATEST`` is refused. By invocation type: ``RequestResponse`` runs it and gives its
outcome; ``Event`` queues it; ``DryRun`` only checks. An unknown function is 404
ResourceNotFoundException; a payload over 6 MB (1 MB for ``Event``) 413
RequestTooLargeException; a payload that is not JSON 400 InvalidRequestContentException.
Source: the Lambda API reference, "Invoke"
(https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html), and the 2025 raise of
asynchronous payloads to 1 MB. Asynchronous retries and destinations are not emulated.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from local_gateway.apigateway.core import Functions
from local_gateway.errors import (
    FunctionNotFound,
    GatewayClosing,
    InvalidParameterValue,
    InvalidRequestContent,
    RequestTooLarge,
)
from local_gateway.functions.async_queue import queued
from local_gateway.functions.invocation import Invocation
from local_gateway.template.intrinsics import function_arn
from local_gateway.template.model import FunctionSpec

log = logging.getLogger("local_gateway")

MAX_SYNC_PAYLOAD = 6 * 1024 * 1024
MAX_ASYNC_PAYLOAD = 1024 * 1024
INVOCATION_TYPES = ("RequestResponse", "Event", "DryRun")


@dataclass(frozen=True, slots=True)
class Invoke:
    """One Invoke call, checked: the function, its event, and how it is invoked."""

    spec: FunctionSpec
    event: dict[str, Any]
    kind: str


class LambdaService:
    """The Invoke API over the template's functions and the runner that runs them."""

    def __init__(
        self,
        specs: Mapping[str, FunctionSpec],
        functions: Callable[[], Functions | None],
        region: str,
        account_id: str,
    ) -> None:
        self._by_name = {spec.name: spec for spec in specs.values()}
        self._functions = functions
        self._region = region
        self._account_id = account_id
        self._queued: set[asyncio.Future[Any]] = set()

    def find(self, reference: str, qualifier: str = "") -> FunctionSpec:
        """The function a name, ``arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]``
        or ``ACCOUNT:function:NAME[:QUALIFIER]`` names; FunctionNotFound for any other, or a
        qualifier that is not ``$LATEST``."""
        name, embedded = reference, ""
        if ":function:" in reference:
            name, _, embedded = reference.split(":function:", 1)[1].partition(":")
        spec = self._by_name.get(name)
        if spec is None or (qualifier or embedded or "$LATEST") != "$LATEST":
            arn = function_arn(self._region, reference, self._account_id)
            raise FunctionNotFound(f"Function not found: {arn}")
        return spec

    def check(
        self, reference: str, payload: bytes, kind: str = "RequestResponse", qualifier: str = ""
    ) -> Invoke:
        """An Invoke's verdicts, in the order Lambda gives them: the function, the payload's
        size, its JSON, the invocation type."""
        spec = self.find(reference, qualifier)
        limit = MAX_ASYNC_PAYLOAD if kind == "Event" else MAX_SYNC_PAYLOAD
        if len(payload) > limit:
            raise RequestTooLarge(
                f"Request must be smaller than {limit} bytes for the InvokeFunction operation"
            )
        try:
            event = json.loads(payload) if payload.strip() else {}
        except ValueError:
            raise InvalidRequestContent("Could not parse request body into json") from None
        if kind not in INVOCATION_TYPES:
            raise InvalidParameterValue(f"Unsupported invocation type {kind}")
        return Invoke(spec, event, kind)

    async def invoke(self, call: Invoke) -> Invocation | None:
        """Carry out a checked call (on the event loop): RequestResponse's outcome, or None
        once an Event is queued or a DryRun checked."""
        if call.kind == "DryRun":
            return None
        functions = self._running()
        if call.kind == "Event":
            self.enqueue(call)
            return None
        return await functions.invoke(call.spec, call.event)

    def enqueue(self, call: Invoke) -> None:
        """Queue an Event invocation (on the event loop); it runs without being waited for."""
        task = asyncio.ensure_future(queued(self._running().invoke)(call.spec, call.event))
        self._queued.add(task)
        task.add_done_callback(self._queued.discard)

    def _running(self) -> Functions:
        functions = self._functions()
        if functions is None:
            raise GatewayClosing("the gateway is not running")
        return functions
