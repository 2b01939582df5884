"""The endpoint of every AWS service the gateway does not emulate (``AWS_ENDPOINT_URL``).

A function's call to S3, SSM, Bedrock ... reaches this instead of AWS: it is answered at
once with 501 ``NotEmulatedLocally`` (a status boto3 does not retry), in the error form of
the call's protocol, and one line in the log names the function, the service and the
operation. The service and the function come from the request's SigV4 credential scope
and access key (each container has keys of its own).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from xml.sax.saxutils import escape

from aiohttp import web

log = logging.getLogger("local_gateway")

PREFIX = "/_not_emulated"
_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/[^/]+/[^/]+/([^/]+)/aws4_request")


def routes(function_for_key: Callable[[str], str]) -> list[web.RouteDef]:
    """The catch-all under PREFIX; ``function_for_key`` names the caller of an access key."""
    seen: set[tuple[str, str, str]] = set()  # (function, service, operation): said once

    async def answer(request: web.Request) -> web.Response:
        match = _CREDENTIAL.search(request.headers.get("Authorization", ""))
        key, service = (match.group(1), match.group(2)) if match else ("", "an AWS service")
        # The operation of a JSON-protocol call is in X-Amz-Target; a REST call is named by
        # its method and the first segment of its path (an S3 bucket, not every key).
        path = request.path.removeprefix(PREFIX) or "/"
        operation = request.headers.get("X-Amz-Target", "").rsplit(".", 1)[-1] or (
            f"{request.method} /{path.lstrip('/').split('/', 1)[0]}"
        )
        caller = function_for_key(key) or "a function"
        if (caller, service, operation) not in seen:
            seen.add((caller, service, operation))
            log.warning(
                "%s called %s (%s): not emulated by the local gateway, answered 501",
                caller,
                service,
                operation,
            )
        message = f"{service} is not emulated by the local gateway (no AWS account)"
        if "json" in request.headers.get("Content-Type", ""):
            return web.json_response(
                {"__type": "NotEmulatedLocally", "message": message},
                status=501,
                headers={"x-amzn-ErrorType": "NotEmulatedLocally"},
            )
        body = (
            "<ErrorResponse><Error><Code>NotEmulatedLocally</Code>"
            f"<Message>{escape(message)}</Message></Error></ErrorResponse>"
        )
        return web.Response(status=501, text=body, content_type="text/xml")

    return [web.route("*", PREFIX + "{tail:.*}", answer)]
