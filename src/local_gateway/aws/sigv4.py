"""Signature Version 4 on the gateway's AWS APIs, checked as AWS checks it.

On AWS the callback API (``@connections``) and Lambda's Invoke API take only requests signed
with SigV4 ("These requests use IAM authorization, so you must sign them with Signature
Version 4", "Use @connections commands in your backend service"). So does the gateway, for
the access keys it knows (each container's, and those it is given for tools): botocore's
signer makes the canonical request and the string to sign from the request as received, and
the signature is the HMAC of that under the key's signing key. It refuses what AWS refuses,
in AWS's words ("Troubleshoot signed requests for AWS APIs", IAM user guide): no signature
(403 ``MissingAuthenticationTokenException``, "Missing Authentication Token"), an unknown
key or a session token that is not the key's (403 ``UnrecognizedClientException``), and as
403 ``InvalidSignatureException`` a credential scope of another day, region or service, a
clock more than 5 minutes off ("Signature expired", "Signature not yet current") and a
wrong signature. What a known key may then do is its role's to say (aws/iam/access.py).
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware
from botocore.auth import SigV4Auth
from botocore.credentials import Credentials
from multidict import CIMultiDict

from local_gateway.functions.credentials import SigningKey

_AUTHORIZATION = re.compile(
    r"AWS4-HMAC-SHA256\s+Credential=(?P<key>[^/]+)/(?P<date>\d{8})/(?P<region>[^/]+)/"
    r"(?P<service>[^/]+)/aws4_request,\s*SignedHeaders=(?P<headers>[^,\s]+),\s*"
    r"Signature=(?P<signature>[0-9a-f]{64})"
)
# "In most cases, a request must reach AWS within five minutes of the time stamp in the
# request" ("Elements of an AWS API request signature", IAM User Guide).
MAX_SKEW_SECONDS = 5 * 60
INVOKE_PREFIX = "/2015-03-31/functions/"
# The request's key under which the middleware leaves the access key a checked call is signed
# with, for the API to authorise it.
CALLER = web.RequestKey("local_gateway.caller", str)


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
    key_for: Callable[[str], SigningKey | None],
    scope: Scope,
    now: datetime | None = None,
    expires: int | None = None,
) -> Refusal | None:
    """None when the request is signed by a known key for ``scope``, else why it is
    refused. ``url`` is the URL as the client sent it (its path still percent-encoded);
    ``headers`` are looked up without regard to case. ``expires``: a presigned URL's
    X-Amz-Expires, in seconds, which replaces the five minutes after the time stamp."""
    lowered = _canonical_values(headers)
    match = _AUTHORIZATION.fullmatch(lowered.get("authorization", "").strip())
    if match is None:
        return MISSING
    known = key_for(match["key"])
    if known is None or lowered.get("x-amz-security-token") != known.session_token:
        return UNKNOWN_KEY  # AWS's answer to a token that is not the key's, or missing
    stamp = lowered.get("x-amz-date", "")
    signed_at = _timestamp(stamp)
    if signed_at is None:
        return BAD_SIGNATURE
    refusal = _out_of_scope(match, stamp, scope) or (
        _out_of_time(stamp, signed_at, now)
        if expires is None
        else _expired(signed_at, expires, now)
    )
    if refusal is not None:
        return refusal
    try:
        expected = _signature(method, url, body, match, lowered, known.secret, stamp)
    except (UnicodeError, ValueError, AttributeError, TypeError):
        return BAD_SIGNATURE  # a header botocore cannot read: no signature of ours matches
    if not hmac.compare_digest(expected, match["signature"]):
        return BAD_SIGNATURE
    return None


def _canonical_values(headers: Mapping[str, str]) -> dict[str, str]:
    """Header name (lower case) -> its value; a header sent more than once has its values
    joined with commas, in order, as SigV4's canonical request joins them ("Create a
    canonical request", IAM User Guide). So a copy added after signing changes what is
    checked, and the signature no longer matches, whichever copy a service would read."""
    values: dict[str, str] = {}
    for name, value in headers.items():
        key = name.lower()
        values[key] = f"{values[key]},{value}" if key in values else value
    return values


@dataclass(frozen=True, slots=True)
class Scope:
    """Where a signature must be scoped: the gateway's region and the API's service
    (``execute-api`` for the callback API, ``lambda`` for Invoke)."""

    region: str
    service: str


def _out_of_scope(match: re.Match[str], stamp: str, scope: Scope) -> Refusal | None:
    if match["date"] != stamp[:8]:
        return Refusal(
            "InvalidSignatureException",
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date"
            " from HTTP",
        )
    if match["region"] != scope.region:
        message = f"Credential should be scoped to a valid region, not '{match['region']}'."
        return Refusal("InvalidSignatureException", message)
    if match["service"] != scope.service:
        message = f"Credential should be scoped to correct service: '{scope.service}'."
        return Refusal("InvalidSignatureException", message)
    return None


def _out_of_time(stamp: str, signed_at: datetime, now: datetime | None) -> Refusal | None:
    now = now or datetime.now(UTC)
    window = timedelta(seconds=MAX_SKEW_SECONDS)
    if signed_at < now - window:
        return Refusal(
            "InvalidSignatureException",
            f"Signature expired: {stamp} is now earlier than {_stamp(now - window)}"
            f" ({_stamp(now)} - 5 min.)",
        )
    if signed_at > now + window:
        return Refusal(
            "InvalidSignatureException",
            f"Signature not yet current: {stamp} is still later than {_stamp(now + window)}"
            f" ({_stamp(now)} + 5 min.)",
        )
    return None


def _expired(signed_at: datetime, expires: int, now: datetime | None) -> Refusal | None:
    """A presigned URL is good from its time stamp (less the clock's five minutes) until
    X-Amz-Expires seconds after it."""
    now = now or datetime.now(UTC)
    if signed_at > now + timedelta(seconds=MAX_SKEW_SECONDS):
        return Refusal("InvalidSignatureException", "Signature not yet current")
    if now > signed_at + timedelta(seconds=expires):
        return Refusal("AccessDeniedException", "Request has expired")
    return None


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y%m%dT%H%M%SZ")


def _signature(
    method: str,
    url: str,
    body: bytes,
    match: re.Match[str],
    lowered: Mapping[str, str],
    secret: str,
    stamp: str,
) -> str:
    """The signature AWS would compute for this request, under the key's signing key. A
    name signed twice counts once, as the client's signer listed it."""
    names = dict.fromkeys(match["headers"].split(";"))
    signed = CIMultiDict((name, lowered.get(name, "")) for name in names)
    request = _Signed(method, url, signed, body, {"timestamp": stamp})
    signer = SigV4Auth(
        Credentials(match["key"], secret, lowered.get("x-amz-security-token")),
        match["service"],
        match["region"],
    )
    string_to_sign = signer.string_to_sign(request, signer.canonical_request(request))
    key = _signing_key(secret, stamp[:8], match["region"], match["service"])
    return hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()


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


def access_key(headers: Mapping[str, str]) -> str:
    """The access key a request is signed with ("" when it names none)."""
    match = _AUTHORIZATION.fullmatch(headers.get("Authorization", "").strip())
    return match["key"] if match else ""


def middleware(key_for: Callable[[str], SigningKey | None], region: str) -> Middleware:
    """Checks the signature of every request to the callback and Invoke APIs. Not a
    coroutine: for every other request it hands back the handler's own awaitable, so that no
    frame of it is held for as long as a WebSocket connection lasts."""
    callbacks, invocations = Scope(region, "execute-api"), Scope(region, "lambda")

    async def checked(request: web.Request, handler: Handler, scope: Scope) -> web.StreamResponse:
        url = f"{request.scheme}://{request.host}{request.raw_path}"
        body = await request.read()
        refusal = check(request.method, url, request.headers, body, key_for, scope)
        if refusal is not None:
            return web.json_response(
                {"message": refusal.message},
                status=403,
                headers={"x-amzn-ErrorType": refusal.code},
            )
        request[CALLER] = access_key(request.headers)
        return await handler(request)

    @web.middleware
    def signed(request: web.Request, handler: Handler) -> Awaitable[web.StreamResponse]:
        path = request.path
        if "/@connections/" in path:
            return checked(request, handler, callbacks)
        if path.startswith(INVOKE_PREFIX):
            return checked(request, handler, invocations)
        return handler(request)

    return signed
