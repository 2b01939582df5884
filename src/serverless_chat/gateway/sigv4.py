"""Signature Version 4 on the gateway's AWS APIs, checked as AWS checks it.

On AWS the callback API (``@connections``) and Lambda's Invoke API take only requests
signed with SigV4 ("These requests use IAM authorization, so you must sign them with
Signature Version 4", "Use @connections commands in your backend service"). So does the
gateway: it recomputes the signature with botocore's own signer, for the access keys it
knows (each container's, and those it is given for tools), and refuses what AWS refuses,
in AWS's words: no signature (403 ``MissingAuthenticationTokenException``, "Missing
Authentication Token"), an unknown key (403 ``UnrecognizedClientException``), a wrong
signature (403 ``InvalidSignatureException``), a clock 15 minutes off (403, "Signature
expired"). IAM policies are not evaluated: a known key may call every operation.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

_AUTHORIZATION = re.compile(
    r"AWS4-HMAC-SHA256\s+Credential=(?P<key>[^/]+)/(?P<date>\d{8})/(?P<region>[^/]+)/"
    r"(?P<service>[^/]+)/aws4_request,\s*SignedHeaders=(?P<headers>[^,\s]+),\s*"
    r"Signature=(?P<signature>[0-9a-f]{64})"
)
MAX_SKEW_SECONDS = 15 * 60
INVOKE_PREFIX = "/2015-03-31/functions/"


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a request is refused: AWS's error code and message (both 403)."""

    code: str
    message: str


MISSING = Refusal("MissingAuthenticationTokenException", "Missing Authentication Token")
UNKNOWN_KEY = Refusal(
    "UnrecognizedClientException", "The security token included in the request is invalid."
)
BAD_SIGNATURE = Refusal(
    "InvalidSignatureException",
    "The request signature we calculated does not match the signature you provided. Check"
    " your AWS Secret Access Key and signing method. Consult the service documentation for"
    " details.",
)


def check(
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes,
    secret_for: Callable[[str], str | None],
    now: datetime | None = None,
) -> Refusal | None:
    """None when the request is signed by a known key, else why it is refused. ``url`` is
    the URL as the client sent it (its path still percent-encoded); ``headers`` are
    looked up without regard to case."""
    lowered = {k.lower(): v for k, v in headers.items()}
    match = _AUTHORIZATION.fullmatch(lowered.get("authorization", "").strip())
    if match is None:
        return MISSING
    secret = secret_for(match["key"])
    if secret is None:
        return UNKNOWN_KEY
    stamp = lowered.get("x-amz-date", "")
    try:
        signed_at = datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError:
        return BAD_SIGNATURE
    skew = abs(((now or datetime.now(UTC)) - signed_at).total_seconds())
    if skew > MAX_SKEW_SECONDS:
        return Refusal("InvalidSignatureException", "Signature expired: " + stamp)
    names = match["headers"].split(";")
    request = AWSRequest(
        method=method, url=url, data=body, headers={n: lowered.get(n, "") for n in names}
    )
    request.context["timestamp"] = stamp
    signer = SigV4Auth(
        Credentials(match["key"], secret, lowered.get("x-amz-security-token")),
        match["service"],
        match["region"],
    )
    canonical = signer.canonical_request(request)
    expected = signer.signature(signer.string_to_sign(request, canonical), request)
    if not hmac.compare_digest(expected, match["signature"]):
        return BAD_SIGNATURE
    return None


def middleware(secret_for: Callable[[str], str | None]) -> Middleware:
    """Checks the signature of every request to the callback and Invoke APIs. Not a
    coroutine: for every other request it hands back the handler's own awaitable, so that no
    frame of it is held for as long as a WebSocket connection lasts."""

    async def checked(request: web.Request, handler: Handler) -> web.StreamResponse:
        url = f"{request.scheme}://{request.host}{request.raw_path}"
        refusal = check(request.method, url, request.headers, await request.read(), secret_for)
        if refusal is not None:
            return web.json_response(
                {"message": refusal.message},
                status=403,
                headers={"x-amzn-ErrorType": refusal.code},
            )
        return await handler(request)

    @web.middleware
    def signed(request: web.Request, handler: Handler) -> Awaitable[web.StreamResponse]:
        path = request.path
        if "/@connections/" in path or path.startswith(INVOKE_PREFIX):
            return checked(request, handler)
        return handler(request)

    return signed
