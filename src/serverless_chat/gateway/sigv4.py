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

import functools
import hashlib
import hmac
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware
from botocore.auth import SigV4Auth
from botocore.credentials import Credentials
from multidict import CIMultiDict

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
    signed_at = _timestamp(stamp)
    if signed_at is None:
        return BAD_SIGNATURE
    skew = abs(((now or datetime.now(UTC)) - signed_at).total_seconds())
    if skew > MAX_SKEW_SECONDS:
        return Refusal("InvalidSignatureException", "Signature expired: " + stamp)
    signed = CIMultiDict((name, lowered.get(name, "")) for name in match["headers"].split(";"))
    request = _Signed(method, url, signed, body, {"timestamp": stamp})
    signer = SigV4Auth(
        Credentials(match["key"], secret, lowered.get("x-amz-security-token")),
        match["service"],
        match["region"],
    )
    string_to_sign = signer.string_to_sign(request, signer.canonical_request(request))
    key = _signing_key(secret, stamp[:8], match["region"], match["service"])
    expected = hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, match["signature"]):
        return BAD_SIGNATURE
    return None


@dataclass(slots=True)
class _Signed:
    """A received request as botocore's signer reads one (method, url, headers, body,
    params, context): an AWSRequest would be prepared again, its headers copied into an
    email.message, each time the signer reads its body, most of a check's cost."""

    method: str
    url: str
    headers: CIMultiDict[str]
    body: bytes
    context: dict[str, str]
    params: dict[str, str] = field(default_factory=dict)


@functools.lru_cache(maxsize=64)
def _signing_key(secret: str, day: str, region: str, service: str) -> bytes:
    """SigV4's signing key: HMAC-SHA256 of the day, region, service and "aws4_request" in
    turn, keyed from the secret. It changes once a day per key and scope, so it is derived
    once, not four HMACs a request."""
    key = f"AWS4{secret}".encode()
    for part in (day, region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def _timestamp(stamp: str) -> datetime | None:
    """``X-Amz-Date`` (``20261201T231500Z``) as a time, or None when it is not one."""
    if len(stamp) != 16 or stamp[8] != "T" or stamp[15] != "Z":
        return None
    digits = stamp[:8] + stamp[9:15]
    if not digits.isascii() or not digits.isdigit():
        return None
    try:
        return datetime(
            int(stamp[0:4]),
            int(stamp[4:6]),
            int(stamp[6:8]),
            int(stamp[9:11]),
            int(stamp[11:13]),
            int(stamp[13:15]),
            tzinfo=UTC,
        )
    except ValueError:
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
