"""IAM authorization of a WebSocket API's handshake (``AuthorizationType: AWS_IAM`` on
``$connect``), as API Gateway does it: the upgrade request must be signed with SigV4 for
``execute-api``, in its headers or as a presigned URL (``X-Amz-Algorithm``,
``X-Amz-Credential``, ``X-Amz-Date``, ``X-Amz-Expires``, ``X-Amz-SignedHeaders``,
``X-Amz-Signature`` in the query string), by credentials the gateway knows, whose role
allows ``execute-api:Invoke`` on ``arn:aws:execute-api:REGION:ACCOUNT:API/STAGE/$connect``
("Control access to WebSocket APIs with IAM authorization", API Gateway Developer Guide).
Otherwise the handshake is refused 403 with the reason as API Gateway words it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from urllib.parse import parse_qsl, unquote, urlsplit

from aiohttp import web

from local_gateway.aws import sigv4
from local_gateway.aws.iam.access import Authorize
from local_gateway.functions.credentials import SigningKey

INVOKE = "execute-api:Invoke"
MAX_EXPIRES_SECONDS = 7 * 24 * 3600  # a presigned URL lives a week at most
_PRESIGNED = (
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Date",
    "X-Amz-SignedHeaders",
    "X-Amz-Signature",
)


def handshake_verifier(
    key_for: Callable[[str], SigningKey | None],
    authorize: Authorize,
    region: str,
    route_arn: str,
) -> Callable[[web.Request], str]:
    """What the WebSocket endpoint asks of each upgrade request: why it is refused ("" when
    it may connect)."""

    def refusal(request: web.Request) -> str:
        url = f"{request.scheme}://{request.host}{request.raw_path}"
        return handshake_refusal(url, request.headers, key_for, authorize, region, route_arn)

    return refusal


def handshake_refusal(
    url: str,
    headers: Mapping[str, str],
    key_for: Callable[[str], SigningKey | None],
    authorize: Authorize,
    region: str,
    route_arn: str,
) -> str:
    """Why the upgrade request at ``url`` (as the client sent it) may not connect; "" when
    it may."""
    scope = sigv4.Scope(region, "execute-api")
    query = dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))
    expires: int | None = None
    if "X-Amz-Signature" in query:
        missing = [name for name in _PRESIGNED if not query.get(name)]
        if missing:
            return sigv4.MISSING.message
        try:
            expires = int(query.get("X-Amz-Expires", "900"))
        except ValueError:
            return "X-Amz-Expires must be a number of seconds"
        if not 0 < expires <= MAX_EXPIRES_SECONDS:
            return "X-Amz-Expires must be less than a week (in seconds) that is 604800"
        headers = _as_signed_headers(query, headers)
        url = _without_signature(url)
    refusal = sigv4.check("GET", url, headers, b"", key_for, scope, expires=expires)
    if refusal is not None:
        return refusal.message
    denied = authorize(sigv4.access_key(headers), INVOKE, route_arn)
    return denied.message if denied is not None else ""


def _as_signed_headers(query: Mapping[str, str], headers: Mapping[str, str]) -> dict[str, str]:
    """A presigned URL's parameters as the Authorization header they stand for."""
    signed = {k: v for k, v in headers.items() if k.lower() != "authorization"}
    signed["Authorization"] = (
        f"{query['X-Amz-Algorithm']} Credential={query['X-Amz-Credential']},"
        f" SignedHeaders={query['X-Amz-SignedHeaders']}, Signature={query['X-Amz-Signature']}"
    )
    signed["X-Amz-Date"] = query["X-Amz-Date"]
    if "X-Amz-Security-Token" in query:
        signed["X-Amz-Security-Token"] = query["X-Amz-Security-Token"]
    return signed


def _without_signature(url: str) -> str:
    """The URL as it was signed: its query string less X-Amz-Signature, otherwise as sent."""
    parts = urlsplit(url)
    kept = [
        item
        for item in parts.query.split("&")
        if unquote(item.partition("=")[0]) != "X-Amz-Signature"
    ]
    return parts._replace(query="&".join(kept)).geturl()
