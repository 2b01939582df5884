"""Lambda's Invoke API for the template's own functions, so that functions can invoke each
other with boto3's ``lambda`` client (``AWS_ENDPOINT_URL_LAMBDA`` points here).

``POST /2015-03-31/functions/{FunctionName}/invocations``, the function named by its name,
its ARN or a partial ARN (a qualifier other than ``$LATEST`` is refused). By
``X-Amz-Invocation-Type``: ``RequestResponse`` (the default) runs it and answers 200 with
its result, or with its error body and ``X-Amz-Function-Error: Unhandled``; ``Event``
queues it and answers 202; ``DryRun`` answers 204. An unknown function is 404
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
from typing import Any

from aiohttp import web

from local_gateway.apigateway.core import Functions
from local_gateway.template.intrinsics import function_arn
from local_gateway.template.model import FunctionSpec

log = logging.getLogger("local_gateway")

MAX_SYNC_PAYLOAD = 6 * 1024 * 1024
MAX_ASYNC_PAYLOAD = 1024 * 1024  # raised from 256 KB in 2025
PATH = "/2015-03-31/functions/{function}/invocations"


def _error(status: int, code: str, message: str) -> web.Response:
    return web.json_response(
        {"Type": "User", "message": message}, status=status, headers={"x-amzn-ErrorType": code}
    )


def find_function(
    specs: Mapping[str, FunctionSpec], reference: str
) -> tuple[FunctionSpec | None, str]:
    """The function a name, ``arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]`` or
    ``ACCOUNT:function:NAME[:QUALIFIER]`` names (its physical name, as on AWS: a logical id
    names nothing there), and the qualifier ("" when none)."""
    name, qualifier = reference, ""
    if ":function:" in reference:
        name, _, qualifier = reference.split(":function:", 1)[1].partition(":")
    spec = next((s for s in specs.values() if s.name == name), None)
    return spec, qualifier


class LambdaApi:
    """aiohttp handlers of the Invoke API over a function runner."""

    def __init__(
        self,
        specs: Mapping[str, FunctionSpec],
        functions: Callable[[], Functions],
        region: str,
        account_id: str,
    ) -> None:
        self._specs = specs
        self._functions = functions
        self._region = region
        self._account_id = account_id
        self._queued: set[asyncio.Task[Any]] = set()

    def routes(self) -> list[web.RouteDef]:
        return [web.post(PATH, self.invoke)]

    async def invoke(self, request: web.Request) -> web.Response:
        reference = request.match_info["function"]
        spec, qualifier = find_function(self._specs, reference)
        qualifier = request.query.get("Qualifier") or qualifier or "$LATEST"
        if spec is None or qualifier != "$LATEST":
            arn = function_arn(self._region, reference, self._account_id)
            return _error(404, "ResourceNotFoundException", f"Function not found: {arn}")
        kind = request.headers.get("X-Amz-Invocation-Type", "RequestResponse")
        payload = await request.read()
        limit = MAX_ASYNC_PAYLOAD if kind == "Event" else MAX_SYNC_PAYLOAD
        if len(payload) > limit:
            return _error(
                413,
                "RequestTooLargeException",
                f"Request must be smaller than {limit} bytes for the InvokeFunction operation",
            )
        try:
            event = json.loads(payload) if payload.strip() else {}
        except ValueError:
            return _error(
                400, "InvalidRequestContentException", "Could not parse request body into json"
            )
        if kind == "DryRun":
            return web.Response(status=204)
        if kind == "Event":
            task = asyncio.ensure_future(self._functions().invoke(spec, event))
            self._queued.add(task)
            task.add_done_callback(self._queued.discard)
            return web.Response(status=202)
        if kind != "RequestResponse":
            return _error(
                400, "InvalidParameterValueException", f"Unsupported invocation type {kind}"
            )
        outcome = await self._functions().invoke(spec, event)
        headers = {"X-Amz-Executed-Version": "$LATEST"}
        if not outcome.ok:
            headers["X-Amz-Function-Error"] = "Unhandled"
            return web.json_response(outcome.error_body, headers=headers)
        return web.Response(
            body=json.dumps(outcome.result).encode(),
            content_type="application/json",
            headers=headers,
        )
