"""The callback port over plain HTTP keep-alive connections, signed with botocore's SigV4.

boto3's ``post_to_connection`` costs about 0.8 ms of CPU per call (request building,
parsing, hooks), which caps one invocation's fan-out near 1,250 posts a second whatever
its concurrency. This adapter keeps only what a post needs: botocore's SigV4 signer (what
boto3 itself signs with) and ``http.client`` connections kept open per thread, and posts a
fan-out's batch on its own pool. Errors become ours exactly as in ManagementApiConnections.
"""

from __future__ import annotations

import http.client
import json
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlsplit

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest

from serverless_chat.errors import CallbackError, CallbackThrottled, ConnectionGone, PayloadTooLarge
from serverless_chat.ports import ConnectionInfo

_ERRORS = {410: ConnectionGone, 413: PayloadTooLarge, 429: CallbackThrottled}


class SignedHttpConnections:
    """API Gateway's @connections API for one stage, over signed keep-alive HTTP."""

    def __init__(
        self,
        endpoint_url: str,
        credentials: Any,
        region: str,
        concurrency: int = 64,
        timeout: float = 10.0,
    ) -> None:
        parts = urlsplit(endpoint_url)
        self._secure = parts.scheme == "https"
        self._host = parts.netloc
        self._base = f"{parts.scheme}://{parts.netloc}"
        self._prefix = parts.path.rstrip("/")
        self._signer = SigV4Auth(credentials, "execute-api", region)
        self._timeout = timeout
        self._local = threading.local()
        self._pool = ThreadPoolExecutor(concurrency, thread_name_prefix="callback")

    # -- the port ---------------------------------------------------------------------
    def post(self, connection_id: str, data: bytes) -> None:
        self._call("POST", connection_id, data)

    def post_many(self, deliveries: list[tuple[str, bytes]]) -> dict[str, Exception]:
        """Every post of a fan-out on this adapter's pool; the failures by connection id."""

        def one(delivery: tuple[str, bytes]) -> tuple[str, Exception | None]:
            try:
                self.post(*delivery)
            except Exception as error:  # each recipient fails alone
                return delivery[0], error
            return delivery[0], None

        return {cid: error for cid, error in self._pool.map(one, deliveries) if error}

    def info(self, connection_id: str) -> ConnectionInfo:
        body = json.loads(self._call("GET", connection_id) or b"{}")
        identity = body.get("identity", {})
        connected = _timestamp(body.get("connectedAt"))
        return ConnectionInfo(
            connected_at=connected,
            last_active_at=_timestamp(body.get("lastActiveAt"))
            if body.get("lastActiveAt")
            else connected,
            source_ip=str(identity.get("sourceIp", "")),
            user_agent=str(identity.get("userAgent", "")),
        )

    def close(self, connection_id: str) -> None:
        self._call("DELETE", connection_id)

    # -- HTTP -------------------------------------------------------------------------
    def _connection(self) -> http.client.HTTPConnection:
        conn: http.client.HTTPConnection | None = getattr(self._local, "conn", None)
        if conn is None:
            kind = http.client.HTTPSConnection if self._secure else http.client.HTTPConnection
            conn = kind(self._host, timeout=self._timeout)
            self._local.conn = conn
        return conn

    def _call(self, method: str, connection_id: str, data: bytes = b"") -> bytes:
        path = f"{self._prefix}/@connections/{quote(connection_id, safe='')}"
        request = AWSRequest(method=method, url=self._base + path, data=data)
        self._signer.add_auth(request)
        headers = dict(request.headers.items())
        for attempt in (1, 2):  # a kept-alive connection the server closed: open it again
            conn = self._connection()
            try:
                conn.request(method, path, body=data or None, headers=headers)
                response = conn.getresponse()
                body = response.read()
                break
            except (http.client.HTTPException, OSError) as error:
                conn.close()
                self._local.conn = None
                if attempt == 2:
                    raise CallbackError(
                        connection_id, 0, type(error).__name__, str(error)
                    ) from error
        if response.status < 300:
            return body
        known = _ERRORS.get(response.status)
        reason = _message(body)
        if known is not None:
            raise known(connection_id, reason)
        code = response.getheader("x-amzn-ErrorType", "") or f"HTTP{response.status}"
        raise CallbackError(connection_id, response.status, code.split(":")[0], reason)


def _message(body: bytes) -> str:
    try:
        return str(json.loads(body).get("message") or "")
    except (ValueError, AttributeError):
        return ""


def _timestamp(value: Any) -> datetime:
    text = str(value or "1970-01-01T00:00:00Z").replace("Z", "+00:00")
    return datetime.fromisoformat(text)
