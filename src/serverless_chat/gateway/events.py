"""Lambda proxy events shaped as API Gateway's WebSocket events. Pure.

Every builder takes the clock and ids from its caller, so tests pin them.
"""

from __future__ import annotations

import base64
import time
import uuid
from collections.abc import Sequence
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


def new_request_id() -> str:
    return str(uuid.uuid4())


def new_extended_request_id() -> str:
    return base64.b64encode(uuid.uuid4().bytes[:12]).decode().rstrip("=").replace("/", "x")


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


def _request_context(
    api: ApiContext,
    conn: ConnectionMeta,
    route_key: str,
    event_type: str,
    now_ms: int,
    request_id: str,
    extended_request_id: str,
) -> dict[str, Any]:
    return {
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
