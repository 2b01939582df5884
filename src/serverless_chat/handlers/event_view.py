"""A read-only typed view over API Gateway's WebSocket proxy event."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from serverless_chat.chat.protocol import Body, decode_body

_UNREAD: Any = object()


class WebSocketEvent:
    """One property per field the handlers read; the raw dict stays in ``raw``."""

    __slots__ = ("_context", "_json_body", "raw")

    def __init__(self, raw: Mapping[str, Any]) -> None:
        self.raw = raw
        self._json_body: Body = _UNREAD
        context = raw.get("requestContext")
        self._context: Mapping[str, Any] = context if isinstance(context, Mapping) else {}

    @property
    def connection_id(self) -> str:
        return str(self._context.get("connectionId", ""))

    @property
    def route_key(self) -> str:
        return str(self._context.get("routeKey", ""))

    @property
    def request_id(self) -> str:
        return str(self._context.get("requestId", ""))

    @property
    def connected_at(self) -> int:
        """Epoch milliseconds at which the connection opened."""
        value = self._context.get("connectedAt", 0)
        return int(value) if isinstance(value, int | float | str) and str(value).isdigit() else 0

    @property
    def domain_name(self) -> str:
        return str(self._context.get("domainName", ""))

    @property
    def stage(self) -> str:
        return str(self._context.get("stage", ""))

    @property
    def query(self) -> dict[str, str]:
        """The query string parameters of a CONNECT event (the last value of each)."""
        query = self.raw.get("queryStringParameters")
        if not isinstance(query, Mapping):
            return {}
        return {str(k): str(v) for k, v in query.items()}

    @property
    def authorizer(self) -> dict[str, Any]:
        """What the REQUEST authorizer passed on ({} when none ran)."""
        value = self._context.get("authorizer")
        return dict(value) if isinstance(value, Mapping) else {}

    @property
    def body(self) -> str | None:
        body = self.raw.get("body")
        return body if isinstance(body, str) else None

    @property
    def json_body(self) -> Body:
        """The body's JSON object, or the ProtocolError saying why it is none (not raised):
        parsed at the first read, once for the whole invocation."""
        if self._json_body is _UNREAD:
            self._json_body = decode_body(self.body)
        return self._json_body

    @property
    def callback_url(self) -> str:
        """The @connections endpoint of the API and stage that sent this event."""
        return f"https://{self.domain_name}/{self.stage}"
