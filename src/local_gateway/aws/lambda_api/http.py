"""The Invoke API's HTTP face, so that functions can invoke each other with boto3's
``lambda`` client (``AWS_ENDPOINT_URL_LAMBDA`` points here):
``POST /2015-03-31/functions/{FunctionName}/invocations``, the invocation type in
``X-Amz-Invocation-Type``, the qualifier in ``?Qualifier=``. What it answers is the model's
(``model.py``): 200 with the result, or with the error body and ``X-Amz-Function-Error:
Unhandled``; 202 for ``Event``; 204 for ``DryRun``; a refusal in Lambda's JSON error form.
"""

from __future__ import annotations

import json

from aiohttp import web

from local_gateway.aws.iam.access import Authorize
from local_gateway.aws.iam.resources import INVOKE_FUNCTION, invoke_arn
from local_gateway.aws.lambda_api.model import LambdaService
from local_gateway.aws.sigv4 import CALLER
from local_gateway.errors import InvokeAccessDenied, LambdaApiError, TooManyRequests

PATH = "/2015-03-31/functions/{function}/invocations"


def error_response(error: LambdaApiError) -> web.Response:
    """Lambda's error form: the status, x-amzn-ErrorType and ``{"Type", "message"}``; an IAM
    denial is ``{"Message"}`` alone, as IAM's answers are (slackapi/bolt-python#632 quotes
    one)."""
    if isinstance(error, InvokeAccessDenied):
        body: dict[str, str] = {"Message": error.message}
    else:
        body = {"Type": "User", "message": error.message}
    return web.json_response(
        body,
        status=error.status,
        headers={"x-amzn-ErrorType": error.code},
    )


class LambdaApi:
    """aiohttp handlers of the Invoke API over the model."""

    def __init__(
        self, model: LambdaService, authorize: Authorize | None = None, region: str = ""
    ) -> None:
        self._model = model
        # lambda:InvokeFunction on the function's ARN ("Lambda API permissions reference").
        self._authorize = authorize
        self._region = region

    def _authorized(self, request: web.Request, reference: str, qualifier: str) -> None:
        if self._authorize is None:
            return
        name = reference.split(":function:", 1)[-1].split(":", 1)[0]
        resource = invoke_arn(self._region, name, qualifier or None)
        denied = self._authorize(request.get(CALLER, ""), INVOKE_FUNCTION, resource)
        if denied is not None:
            raise InvokeAccessDenied(denied.message)

    def routes(self) -> list[web.RouteDef]:
        return [web.post(PATH, self.invoke)]

    async def invoke(self, request: web.Request) -> web.Response:
        kind = request.headers.get("X-Amz-Invocation-Type", "RequestResponse")
        reference = request.match_info["function"]
        qualifier = request.query.get("Qualifier", "")
        try:
            self._authorized(request, reference, qualifier)
            call = self._model.check(reference, await request.read(), kind, qualifier)
            outcome = await self._model.invoke(call)
        except LambdaApiError as error:
            return error_response(error)
        if call.kind == "DryRun":
            return web.Response(status=204)
        if outcome is None:
            return web.Response(status=202)
        if outcome.throttled:  # Lambda refused to run it: an error of the API, not the function's
            return error_response(TooManyRequests(outcome.error or "Rate Exceeded."))
        headers = {"X-Amz-Executed-Version": "$LATEST"}
        if not outcome.ok:
            headers["X-Amz-Function-Error"] = "Unhandled"
            return web.json_response(outcome.error_body, headers=headers)
        return web.Response(
            body=json.dumps(outcome.result).encode(),
            content_type="application/json",
            headers=headers,
        )
