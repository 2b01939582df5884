"""The embedded DynamoDB's HTTP face: DynamoDB's JSON API (``POST /`` with
``X-Amz-Target``), on a port of the gateway's, for the template's isolated functions and
the person running it.

A call must be signed (SigV4, service ``dynamodb``, the gateway's region) by a function's
credentials or the tools' (what boto3 finds for the person running ``serve``); otherwise it
is refused as DynamoDB refuses it: 400 with ``__type``
``com.amazon.coral.service#MissingAuthenticationTokenException``,
``UnrecognizedClientException`` or ``InvalidSignatureException`` (DynamoDB answers
authentication errors with 400, "Error handling with DynamoDB", DynamoDB Developer Guide).
A call passes on to moto's server (``endpoint.py``) through its private Unix socket, and its
answer comes back as moto gave it, less moto's CORS header: DynamoDB answers no browser,
and this port serves no page. Anything but ``POST /`` (moto's admin routes among them) is
404.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import aiohttp
from aiohttp import web

from local_gateway.aws import sigv4
from local_gateway.aws.iam.access import Authorize
from local_gateway.aws.iam.resources import dynamodb_requests
from local_gateway.functions.credentials import SigningKey

ERROR_TYPE_PREFIX = "com.amazon.coral.service#"
# An IAM denial: {"__type": "com.amazon.coral.service#AccessDeniedException", "Message"}, the
# key capitalised, as DynamoDB writes it (the bodies its users quote, e.g.
# sebdah/dynamic-dynamodb#321).
ACCESS_DENIED_TYPE = ERROR_TYPE_PREFIX + "AccessDeniedException"
JSON_1_0 = "application/x-amz-json-1.0"
# The request headers moto's server is given; the rest (Host, Origin, hop-by-hop) stay here.
FORWARDED_REQUEST = ("authorization", "x-amz-date", "x-amz-target", "x-amz-security-token")
# The answer's headers the caller gets: what boto3 reads (the CRC32 it checks, the id).
FORWARDED_RESPONSE = ("content-type", "x-amzn-requestid", "x-amz-crc32")


def error_response(code: str, message: str, status: int = 400) -> web.Response:
    """DynamoDB's JSON error: ``{"__type": "com.amazon.coral.service#CODE", "message"}``."""
    body = json.dumps({"__type": ERROR_TYPE_PREFIX + code, "message": message})
    return web.Response(status=status, text=body, content_type=JSON_1_0)


class DynamoDbApi:
    """aiohttp handlers of DynamoDB's API, checked here and carried out by moto's server."""

    def __init__(
        self,
        socket_path: Path,
        key_for: Callable[[str], SigningKey | None],
        region: str,
        authorize: Authorize | None = None,
    ) -> None:
        self._socket_path = socket_path
        self._key_for = key_for
        self._scope = sigv4.Scope(region, "dynamodb")
        self._region = region
        # Each action on the table's or index's ARN ("Actions, resources, and condition keys
        # for Amazon DynamoDB", Service Authorization Reference).
        self._authorize = authorize
        self._session: aiohttp.ClientSession | None = None

    def routes(self) -> list[web.RouteDef]:
        return [web.post("/", self.call), web.route("*", "/{tail:.*}", self.unknown)]

    async def call(self, request: web.Request) -> web.Response:
        body = await request.read()
        url = f"{request.scheme}://{request.host}{request.raw_path}"
        refusal = sigv4.check(
            request.method, url, request.headers, body, self._key_for, self._scope
        )
        if refusal is not None:
            return error_response(refusal.code, refusal.message)
        denied = self._denied(sigv4.access_key(request.headers), request, body)
        if denied is not None:
            return denied
        headers = {k: v for k, v in request.headers.items() if k.lower() in FORWARDED_REQUEST}
        headers["Content-Type"] = request.headers.get("Content-Type", JSON_1_0)
        async with self._client().post("http://localhost/", data=body, headers=headers) as answer:
            data = await answer.read()
            kept = {k: v for k, v in answer.headers.items() if k.lower() in FORWARDED_RESPONSE}
            return web.Response(status=answer.status, body=data, headers=kept)

    def _denied(self, caller: str, request: web.Request, body: bytes) -> web.Response | None:
        """AccessDeniedException unless the caller's role allows every action the call is
        (a batch or a transaction is one per table or item)."""
        if self._authorize is None:
            return None
        try:
            document = json.loads(body or b"{}")
        except ValueError:
            return None  # not JSON: moto answers it as DynamoDB does
        if not isinstance(document, dict):
            return None
        target = request.headers.get("X-Amz-Target", "")
        for action, resource in dynamodb_requests(target, document, self._region):
            denied = self._authorize(caller, action, resource)
            if denied is not None:
                body_text = json.dumps({"__type": ACCESS_DENIED_TYPE, "Message": denied.message})
                return web.Response(status=denied.status, text=body_text, content_type=JSON_1_0)
        return None

    async def unknown(self, _request: web.Request) -> web.Response:
        return web.Response(status=404, text="Not Found")

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None:
            connector = aiohttp.UnixConnector(path=str(self._socket_path))
            self._session = aiohttp.ClientSession(connector=connector)
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
