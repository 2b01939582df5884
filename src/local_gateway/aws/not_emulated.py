"""The endpoint of every AWS service the gateway does not emulate (``AWS_ENDPOINT_URL``).

A function's call to S3, SSM, Bedrock ... reaches this instead of AWS: it is answered at
once with 501 ``NotEmulatedLocally`` (a status boto3 does not retry), in the error form of
the call's protocol, and one line in the log names the function, the service and the
operation. The service and the function come from the request's SigV4 credential scope
and access key (each container has keys of its own), and the signature is checked first:
a call no known key signed is refused 403, as AWS refuses it, and names nothing in the
log, so no other program can write lines there. At most ``MAX_REPORTED`` distinct calls are
named; past them, calls are answered and counted.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from xml.sax.saxutils import escape

from aiohttp import web

from local_gateway.aws import sigv4
from local_gateway.functions.credentials import SigningKey

log = logging.getLogger("local_gateway")

PREFIX = "/_not_emulated"
MAX_REPORTED = 1000  # distinct (function, service, operation) named in the log
_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/[^/]+/([^/]+)/([^/]+)/aws4_request")


def routes(
    function_for_key: Callable[[str], str],
    key_for: Callable[[str], SigningKey | None],
    max_reported: int = MAX_REPORTED,
) -> list[web.RouteDef]:
    """The catch-all under PREFIX; ``function_for_key`` names the caller of an access key,
    ``key_for`` gives what the gateway knows of it, to check the signature with."""
    seen: set[tuple[str, str, str]] = set()  # (function, service, operation): said once

    async def answer(request: web.Request) -> web.Response:
        match = _CREDENTIAL.search(request.headers.get("Authorization", ""))
        if match is None:
            return _refused(sigv4.MISSING)
        key, region, service = match.group(1), match.group(2), match.group(3)
        url = f"{request.scheme}://{request.host}{request.raw_path}"
        body = await request.read()
        scope = sigv4.Scope(region, service)  # any service, in the region it was signed for
        refusal = sigv4.check(request.method, url, request.headers, body, key_for, scope)
        if refusal is not None:
            return _refused(refusal)
        # The operation of a JSON-protocol call is in X-Amz-Target; a REST call is named by
        # its method and the first segment of its path (an S3 bucket, not every key).
        path = request.path.removeprefix(PREFIX) or "/"
        operation = request.headers.get("X-Amz-Target", "").rsplit(".", 1)[-1] or (
            f"{request.method} /{path.lstrip('/').split('/', 1)[0]}"
        )
        caller = function_for_key(key) or "a function"
        if (caller, service, operation) not in seen and len(seen) < max_reported:
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
        xml = (
            "<ErrorResponse><Error><Code>NotEmulatedLocally</Code>"
            f"<Message>{escape(message)}</Message></Error></ErrorResponse>"
        )
        return web.Response(status=501, text=xml, content_type="text/xml")

    return [web.route("*", PREFIX + "{tail:.*}", answer)]


def _refused(refusal: sigv4.Refusal) -> web.Response:
    return web.json_response(
        {"message": refusal.message}, status=403, headers={"x-amzn-ErrorType": refusal.code}
    )
