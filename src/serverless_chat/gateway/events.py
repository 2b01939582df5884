"""Lambda proxy events shaped as API Gateway's WebSocket events. Pure.

Every builder takes the clock and ids from its caller, so tests pin them.
"""

from __future__ import annotations

import base64
import random
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def request_time(epoch_ms: int) -> str:
    """API Gateway's requestTime format: ``09/Feb/2024:18:11:43 +0000``."""
    t = time.gmtime(epoch_ms / 1000)
    return (
        f"{t.tm_mday:02d}/{_MONTHS[t.tm_mon - 1]}/{t.tm_year}:"
        f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} +0000"
    )


# Request ids only need to be unique, not secret: drawn from a PRNG rather than uuid4's
# os.urandom, a system call (which also hands the GIL to another thread) per id, four per frame.
_random_bits = random.Random().getrandbits


_VARIANT = {digit: "89ab"[int(digit, 16) & 3] for digit in "0123456789abcdef"}


def new_request_id() -> str:
    """A version 4 UUID's text, formatted here rather than through uuid.UUID (a third of the
    cost, on a path taken several times a message)."""
    h = f"{_random_bits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{_VARIANT[h[16]]}{h[17:20]}-{h[20:]}"


def new_extended_request_id() -> str:
    raw = _random_bits(96).to_bytes(12, "big")
    return base64.b64encode(raw).decode().rstrip("=").replace("/", "x")


@dataclass(frozen=True, slots=True)
class ApiContext:
    """The API and stage that events come from."""

    api_id: str
    stage: str
    domain_name: str


@dataclass(frozen=True, slots=True)
class ConnectionMeta:
    """What the gateway knows of one client from its handshake."""

    connection_id: str
    connected_at: int  # epoch ms
    source_ip: str
    user_agent: str = ""
    headers: Sequence[tuple[str, str]] = field(default_factory=tuple)
    query: Sequence[tuple[str, str]] = field(default_factory=tuple)
    authorizer: Mapping[str, Any] | None = None  # what a REQUEST authorizer allowed


def _request_context(
    api: ApiContext,
    conn: ConnectionMeta,
    route_key: str,
    event_type: str,
    now_ms: int,
    request_id: str,
    extended_request_id: str,
) -> dict[str, Any]:
    context: dict[str, Any] = {
        "routeKey": route_key,
        "eventType": event_type,
        "extendedRequestId": extended_request_id,
        "requestTime": request_time(now_ms),
        "messageDirection": "IN",
        "stage": api.stage,
        "connectedAt": conn.connected_at,
        "requestTimeEpoch": now_ms,
        "identity": {"sourceIp": conn.source_ip, "userAgent": conn.user_agent},
        "requestId": request_id,
        "domainName": api.domain_name,
        "connectionId": conn.connection_id,
        "apiId": api.api_id,
    }
    if conn.authorizer is not None:
        context["authorizer"] = dict(conn.authorizer)
    return context


def _single_and_multi(
    pairs: Sequence[tuple[str, str]],
) -> tuple[dict[str, str], dict[str, list[str]]]:
    """API Gateway's two views: the last value of each name, and every value."""
    single: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    for name, value in pairs:
        single[name] = value
        multi.setdefault(name, []).append(value)
    return single, multi


def connect_event(
    api: ApiContext,
    conn: ConnectionMeta,
    now_ms: int,
    request_id: str,
    extended_request_id: str,
) -> dict[str, Any]:
    """The $connect event: headers and (when present) query string parameters."""
    headers, multi_headers = _single_and_multi(conn.headers)
    event: dict[str, Any] = {
        "headers": headers,
        "multiValueHeaders": multi_headers,
        "requestContext": _request_context(
            api, conn, "$connect", "CONNECT", now_ms, request_id, extended_request_id
        ),
        "isBase64Encoded": False,
    }
    if conn.query:
        query, multi_query = _single_and_multi(conn.query)
        event["queryStringParameters"] = query
        event["multiValueQueryStringParameters"] = multi_query
    return event


def message_event(
    api: ApiContext,
    conn: ConnectionMeta,
    route_key: str,
    body: str | bytes,
    now_ms: int,
    request_id: str,
    extended_request_id: str,
    message_id: str,
) -> dict[str, Any]:
    """A MESSAGE event: the body and messageId, no headers. Binary bodies are base64."""
    context = _request_context(
        api, conn, route_key, "MESSAGE", now_ms, request_id, extended_request_id
    )
    context["messageId"] = message_id
    binary = isinstance(body, bytes)
    return {
        "requestContext": context,
        "body": base64.b64encode(body).decode() if isinstance(body, bytes) else body,
        "isBase64Encoded": binary,
    }


def disconnect_event(
    api: ApiContext,
    conn: ConnectionMeta,
    status_code: int,
    reason: str,
    now_ms: int,
    request_id: str,
    extended_request_id: str,
) -> dict[str, Any]:
    """The $disconnect event, with the close code and reason."""
    context = _request_context(
        api, conn, "$disconnect", "DISCONNECT", now_ms, request_id, extended_request_id
    )
    context["disconnectStatusCode"] = status_code
    context["disconnectReason"] = reason
    headers, multi_headers = _single_and_multi(
        [(k, v) for k, v in conn.headers if k.lower() in {"host", "x-forwarded-for"}]
    )
    return {
        "headers": headers,
        "multiValueHeaders": multi_headers,
        "requestContext": context,
        "isBase64Encoded": False,
    }


def authorizer_event(
    api: ApiContext,
    conn: ConnectionMeta,
    now_ms: int,
    request_id: str,
    extended_request_id: str,
    region: str = "us-east-1",
    account_id: str = "123456789012",
) -> dict[str, Any]:
    """The REQUEST authorizer event of a $connect: the connect event's fields, plus type,
    methodArn and stageVariables."""
    event = connect_event(api, conn, now_ms, request_id, extended_request_id)
    event.pop("isBase64Encoded", None)
    event["type"] = "REQUEST"
    event["methodArn"] = (
        f"arn:aws:execute-api:{region}:{account_id}:{api.api_id}/{api.stage}/$connect"
    )
    event["stageVariables"] = {}
    event.setdefault("queryStringParameters", {})
    event.setdefault("multiValueQueryStringParameters", {})
    return event


def identity_present(source: str, conn: ConnectionMeta) -> bool:
    """Whether an identity source such as ``route.request.querystring.token`` or
    ``route.request.header.Authorization`` has a non-empty value in the handshake."""
    parts = source.split(".")
    if len(parts) < 4 or parts[:2] != ["route", "request"]:
        return True  # context and stage variables are always there locally
    kind, name = parts[2], ".".join(parts[3:])
    if kind == "querystring":
        return any(k == name and v for k, v in conn.query)
    if kind == "header":
        return any(k.lower() == name.lower() and v for k, v in conn.headers)
    return True
