"""The Invoke API's in-process face: an application's hook invokes a template function
asynchronously (InvocationType Event) from a worker thread, with the verdicts the HTTP face
gives, from the same model."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable
from typing import Any

from local_gateway.aws.lambda_api.model import Invoke, LambdaService
from local_gateway.errors import GatewayClosing, InvokeAccessDenied


class InProcessInvoke:
    """``invoke_async(name, event)``: Lambda's asynchronous Invoke of a template function by
    its name or ARN, returning once it is queued. Raises what the HTTP face answers
    (FunctionNotFound, RequestTooLarge), or GatewayClosing while the gateway stops. The
    event goes through JSON, as a payload does."""

    def __init__(
        self,
        lambda_api: LambdaService,
        loop: Callable[[], asyncio.AbstractEventLoop | None],
        denial: Callable[[str], str | None] | None = None,
    ) -> None:
        self._lambda = lambda_api
        self._loop = loop
        # function name or ARN -> AWS's refusal when the calling function's role does not
        # allow lambda:InvokeFunction on it, None when it may; no check for the gateway's own.
        self._denial = denial

    def __call__(self, function_name: str, event: dict[str, Any]) -> None:
        if self._denial is not None:
            message = self._denial(function_name)
            if message is not None:
                raise InvokeAccessDenied(message)
        payload = json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode()
        call = self._lambda.check(function_name, payload, "Event")
        loop = self._loop()
        if loop is None or loop.is_closed():
            raise GatewayClosing("the gateway is not running")
        try:
            loop.call_soon_threadsafe(self._enqueue, call)
        except RuntimeError as error:  # the loop is closing
            raise GatewayClosing(str(error)) from error

    def _enqueue(self, call: Invoke) -> None:
        with contextlib.suppress(GatewayClosing):  # stopped since the call: nothing runs
            self._lambda.enqueue(call)
