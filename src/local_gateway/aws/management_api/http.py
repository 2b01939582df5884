"""The @connections callback API over HTTP, as API Gateway's Management API answers.

POST 200, GET 200 with connectedAt / identity / lastActiveAt, DELETE 204; an
unknown or closed id gets 410 GoneException (with an empty body, as recorded), an id
that is not of API Gateway's form 400 BadRequestException ("Invalid connectionId: ..."),
data over 128 KB 413 PayloadTooLargeException, a path without the stage 403
ForbiddenException ({"message": "Forbidden"}), in the rest-json error form boto3 parses
(recorded answers: brefphp/bref tests/Websocket/Samples; aws/aws-sdk-php issue 1955).
The verdicts and the simulated latency are the model's (``model.py``), which the hook's
in-process face calls too; the SigV4 check is the server's middleware (``aws/sigv4.py``).
"""

from __future__ import annotations

import json

from aiohttp import web

from local_gateway.aws.iam.access import Authorize
from local_gateway.aws.iam.resources import MANAGE_CONNECTIONS, callback_resource
from local_gateway.aws.management_api.model import ConnectionRegistry
from local_gateway.aws.sigv4 import CALLER
from local_gateway.errors import (
    AccessDeniedException,
    ForbiddenException,
    GoneException,
    ManagementApiError,
)


def error_response(error: ManagementApiError) -> web.Response:
    """A rest-json error: the status, x-amzn-ErrorType and a message body (none for 410); an
    IAM denial's key is ``Message``, as API Gateway writes it (the body users quote)."""
    if isinstance(error, GoneException):
        return web.Response(status=error.status, headers={"x-amzn-ErrorType": error.code})
    key = "Message" if isinstance(error, AccessDeniedException) else "message"
    body = {key: error.message or error.code}
    return web.Response(
        status=error.status,
        text=json.dumps(body),
        content_type="application/json",
        headers={"x-amzn-ErrorType": error.code},
    )


async def forbidden(_request: web.Request) -> web.Response:
    """Any @connections path that is not under the stage."""
    return error_response(ForbiddenException("", "Forbidden"))


class CallbackApi:
    """aiohttp handlers for /{stage}/@connections/{connectionId}."""

    def __init__(
        self,
        registry: ConnectionRegistry,
        stage: str,
        authorize: Authorize | None = None,
        stage_arn: str = "",
    ) -> None:
        self._registry = registry
        self.stage = stage
        # Who signed may call what: execute-api:ManageConnections on
        # {stage_arn}/{METHOD}/@connections/{connectionId} ("Use @connections commands in your
        # backend service", API Gateway Developer Guide; aws/iam/resources.py).
        self._authorize = authorize
        self._stage_arn = stage_arn

    def _authorized(self, request: web.Request, connection_id: str) -> None:
        """AccessDeniedException unless the caller's role allows this call."""
        if self._authorize is None:
            return
        resource = callback_resource(self._stage_arn, request.method)
        denied = self._authorize(request.get(CALLER, ""), MANAGE_CONNECTIONS, resource)
        if denied is not None:
            raise AccessDeniedException(connection_id, denied.message)

    def routes(self) -> list[web.RouteDef]:
        path = f"/{self.stage}/@connections/{{connection_id}}"
        return [
            web.post(path, self.post_to_connection),
            web.get(path, self.get_connection),
            web.delete(path, self.delete_connection),
            web.route("*", "/@connections/{connection_id}", forbidden),
            web.route("*", "/{stage}/@connections/{connection_id}", forbidden),
        ]

    async def post_to_connection(self, request: web.Request) -> web.Response:
        connection_id = request.match_info["connection_id"]
        data = await request.read()
        try:
            self._authorized(request, connection_id)
            await self._registry.post(connection_id, data)
        except ManagementApiError as error:
            return error_response(error)
        return web.Response(status=200)

    async def get_connection(self, request: web.Request) -> web.Response:
        connection_id = request.match_info["connection_id"]
        try:
            self._authorized(request, connection_id)
            info = await self._registry.get_connection(connection_id)
        except ManagementApiError as error:
            return error_response(error)
        body = {
            "connectedAt": info.connected_at.isoformat().replace("+00:00", "Z"),
            "identity": {"sourceIp": info.source_ip, "userAgent": info.user_agent},
            "lastActiveAt": info.last_active_at.isoformat().replace("+00:00", "Z"),
        }
        return web.json_response(body)

    async def delete_connection(self, request: web.Request) -> web.Response:
        connection_id = request.match_info["connection_id"]
        try:
            self._authorized(request, connection_id)
            await self._registry.close(connection_id)
        except ManagementApiError as error:
            return error_response(error)
        return web.Response(status=204)
