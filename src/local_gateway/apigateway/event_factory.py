"""Lambda proxy events shaped as API Gateway's WebSocket events. Pure.

Shapes follow recorded captures (``tests/fixtures/events/``, each with its source) and the
WebSocket context-variable reference: ``requestId`` is the same as ``extendedRequestId``
(one new id an event, 16 characters of URL-safe base64); ``messageId`` shares its tail with
the ``connectionId``; ``identity.userAgent`` only when the client sent one. CONNECT gets
the client's headers without the hop-by-hop ones, plus what API Gateway adds
(``X-Forwarded-For`` / ``-Port`` / ``-Proto``, ``X-Amzn-Trace-Id``); the authorizer's input
keeps ``Connection`` and ``Upgrade``; MESSAGE has no headers; DISCONNECT has the fixed set
every capture shows.

:class:`EventFactory` gives every event its ids and times, from a clock and an id source
the caller may pin (tests do).
"""

from __future__ import annotations

import base64
import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from local_gateway.template.intrinsics import ACCOUNT_ID

_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

# Headers of the handshake that the integration's CONNECT event does not carry (the
# authorizer's input does): they belong to the upgrade, not to the request.
HOP_BY_HOP = frozenset({"connection", "upgrade", "content-length"})


def request_time(epoch_ms: int) -> str:
    """API Gateway's requestTime format: ``09/Feb/2024:18:11:43 +0000``."""
    t = time.gmtime(epoch_ms / 1000)
    return (
        f"{t.tm_mday:02d}/{_MONTHS[t.tm_mon - 1]}/{t.tm_year}:"
        f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} +0000"
    )


# Ids only need to be unique, not secret: drawn from a PRNG rather than os.urandom, a system
# call (which also hands the GIL to another thread) per id, on a path taken per frame.
_random_bits = random.Random().getrandbits


def new_gateway_id() -> str:
    """An id of API Gateway's form (connectionId, requestId, messageId): 11 bytes in URL-safe
    base64, 16 characters ending in '=', safe in a URL path."""
    return base64.urlsafe_b64encode(_random_bits(88).to_bytes(11, "big")).decode()


def new_trace_id(epoch_ms: int) -> str:
    """An X-Ray trace header's root, as API Gateway adds it: the epoch seconds in hex."""
    return f"Root=1-{epoch_ms // 1000:08x}-{_random_bits(96):024x}"


class IdSource(Protocol):
    def __call__(self) -> str: ...


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
    user_agent: str = ""  # "" when the client sent no User-Agent
    headers: Sequence[tuple[str, str]] = field(default_factory=tuple)
    query: Sequence[tuple[str, str]] = field(default_factory=tuple)
    authorizer: Mapping[str, str] | None = None  # what a REQUEST authorizer allowed
    # The port and scheme the client reached (API Gateway's: 443, https).
    port: int = 443
    scheme: str = "https"

    def established(self) -> ConnectionMeta:
        """What the connection keeps once $connect has accepted it: the handshake's headers
        and query string were for the authorizer and $connect; after them only the Host
        header is read again (DISCONNECT's). A connection held for hours holds ~1.4 KB less."""
        host = tuple((k, v) for k, v in self.headers if k.lower() == "host")[:1]
        return replace(self, headers=host, query=())


def single_and_multi(
    pairs: Sequence[tuple[str, str]],
) -> tuple[dict[str, str], dict[str, list[str]]]:
    """API Gateway's two views: the last value of each name, and every value."""
    single: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    for name, value in pairs:
        single[name] = value
        multi.setdefault(name, []).append(value)
    return single, multi


class EventFactory:
    """Builds the events of one API, each with fresh ids and the time of ``clock``."""

    def __init__(
        self,
        api: ApiContext,
        clock: Callable[[], float] = time.time,
        new_id: IdSource = new_gateway_id,
        region: str = "us-east-1",
        account_id: str = ACCOUNT_ID,
    ) -> None:
        self.api = api
        self._clock = clock
        self._new_id = new_id
        self._region = region
        self._account_id = account_id

    def now_ms(self) -> int:
        return int(self._clock() * 1000)

    def new_connection_id(self) -> str:
        return self._new_id()

    def new_request_id(self) -> str:
        """A request id of API Gateway's form, for an answer that has no event."""
        return self._new_id()

    @property
    def method_arn(self) -> str:
        """The ARN a REQUEST authorizer's policy must allow: the stage's $connect."""
        api = self.api
        return (
            f"arn:aws:execute-api:{self._region}:{self._account_id}:"
            f"{api.api_id}/{api.stage}/$connect"
        )

    def _context(
        self, conn: ConnectionMeta, route_key: str, event_type: str, now_ms: int
    ) -> dict[str, Any]:
        request_id = self._new_id()
        identity = {"sourceIp": conn.source_ip}
        if conn.user_agent:
            identity["userAgent"] = conn.user_agent
        api = self.api
        context: dict[str, Any] = {
            "routeKey": route_key,
            "eventType": event_type,
            "extendedRequestId": request_id,
            "requestTime": request_time(now_ms),
            "messageDirection": "IN",
            "stage": api.stage,
            "connectedAt": conn.connected_at,
            "requestTimeEpoch": now_ms,
            "identity": identity,
            "requestId": request_id,
            "domainName": api.domain_name,
            "connectionId": conn.connection_id,
            "apiId": api.api_id,
        }
        if conn.authorizer is not None:
            context["authorizer"] = dict(conn.authorizer)
        return context

    def _handshake_headers(self, conn: ConnectionMeta, now_ms: int) -> list[tuple[str, str]]:
        """The client's headers, then what API Gateway adds (replacing any the client sent)."""
        added = {
            "X-Amzn-Trace-Id": new_trace_id(now_ms),
            "X-Forwarded-For": conn.source_ip,
            "X-Forwarded-Port": str(conn.port),
            "X-Forwarded-Proto": conn.scheme,
        }
        lowered = {name.lower() for name in added}
        own = [(k, v) for k, v in conn.headers if k.lower() not in lowered]
        return [*own, *added.items()]

    def connect(self, conn: ConnectionMeta) -> dict[str, Any]:
        """The $connect event: headers and (when the URL has any) query string parameters."""
        now = self.now_ms()
        pairs = [
            (k, v) for k, v in self._handshake_headers(conn, now) if k.lower() not in HOP_BY_HOP
        ]
        headers, multi_headers = single_and_multi(pairs)
        event: dict[str, Any] = {
            "headers": headers,
            "multiValueHeaders": multi_headers,
            "requestContext": self._context(conn, "$connect", "CONNECT", now),
            "isBase64Encoded": False,
        }
        if conn.query:
            query, multi_query = single_and_multi(conn.query)
            event["queryStringParameters"] = query
            event["multiValueQueryStringParameters"] = multi_query
        return event

    def authorizer(self, conn: ConnectionMeta) -> dict[str, Any]:
        """A REQUEST authorizer's input: type, methodArn, the handshake's headers (the upgrade
        ones too), query strings and stage variables, always present, and the CONNECT
        request context."""
        now = self.now_ms()
        headers, multi_headers = single_and_multi(self._handshake_headers(conn, now))
        query, multi_query = single_and_multi(conn.query)
        return {
            "type": "REQUEST",
            "methodArn": self.method_arn,
            "headers": headers,
            "multiValueHeaders": multi_headers,
            "queryStringParameters": query,
            "multiValueQueryStringParameters": multi_query,
            "stageVariables": {},
            "requestContext": self._context(conn, "$connect", "CONNECT", now),
        }

    def message(self, conn: ConnectionMeta, route_key: str, body: str) -> dict[str, Any]:
        """A MESSAGE event: the body and a messageId, no headers."""
        context = self._context(conn, route_key, "MESSAGE", self.now_ms())
        # (the captures' messageIds share their last 8 characters with the connectionId)
        context["messageId"] = self._new_id()[:8] + conn.connection_id[8:]
        return {"requestContext": context, "body": body, "isBase64Encoded": False}

    def disconnect(self, conn: ConnectionMeta, status_code: int, reason: str) -> dict[str, Any]:
        """The $disconnect event, with the close code and reason, and the fixed headers every
        recorded DISCONNECT has."""
        context = self._context(conn, "$disconnect", "DISCONNECT", self.now_ms())
        context["disconnectStatusCode"] = status_code
        context["disconnectReason"] = reason
        host = next((v for k, v in conn.headers if k.lower() == "host"), self.api.domain_name)
        pairs = [("Host", host), ("x-api-key", ""), ("X-Forwarded-For", ""), ("x-restapi", "")]
        headers, multi_headers = single_and_multi(pairs)
        return {
            "headers": headers,
            "multiValueHeaders": multi_headers,
            "requestContext": context,
            "isBase64Encoded": False,
        }


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
