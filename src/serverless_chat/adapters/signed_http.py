"""The callback port over plain HTTP keep-alive connections, signed with botocore's SigV4.

boto3's ``post_to_connection`` spends most of a post's CPU on request building, parsing
and hooks, which caps one invocation's fan-out whatever its concurrency
(docs/performance.md has the figures). This adapter keeps only what a post needs:
botocore's SigV4 signer (what boto3 itself signs with) and kept-alive connections on one
event loop (:mod:`~serverless_chat.adapters.http_streams`), through which every call goes,
a single one as one exchange and a fan-out's batch with ``concurrency`` requests in flight.
Errors become ours as in ManagementApiConnections.
"""

from __future__ import annotations

import json
import random
import threading
import time
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest

from serverless_chat.errors import CallbackError, CallbackThrottled, ConnectionGone, PayloadTooLarge
from serverless_chat.ports import ConnectionInfo

if TYPE_CHECKING:
    from serverless_chat.adapters.http_streams import HttpStreams, Response

# Kept-alive connections to one stage's endpoint, so posts of a fan-out in flight at once.
MAX_STREAMS = 64
# A throttled post (429) is tried this many times in all, backing off from this long.
THROTTLE_ATTEMPTS = 4
THROTTLE_BACKOFF_SECONDS = 0.05

_ERRORS = {410: ConnectionGone, 413: PayloadTooLarge, 429: CallbackThrottled}


class SignedHttpConnections:
    """API Gateway's @connections API for one stage, over signed keep-alive HTTP."""

    def __init__(
        self,
        endpoint_url: str,
        credentials: Any,
        region: str,
        concurrency: int = MAX_STREAMS,
        timeout: float = 10.0,
    ) -> None:
        parts = urlsplit(endpoint_url)
        self._secure = parts.scheme == "https"
        self._host = parts.netloc
        self._base = f"{parts.scheme}://{parts.netloc}"
        self._prefix = parts.path.rstrip("/")
        self._signer = SigV4Auth(credentials, "execute-api", region)
        self._timeout = timeout
        self._concurrency = concurrency
        self._port = parts.port or (443 if self._secure else 80)
        self._hostname = parts.hostname or ""
        self._streams: HttpStreams | None = None  # made at the first batch
        self._streams_lock = threading.Lock()

    # -- the port ---------------------------------------------------------------------
    def post(self, connection_id: str, data: bytes) -> None:
        self._call("POST", connection_id, data)

    def post_many(self, deliveries: list[tuple[str, bytes]]) -> dict[str, Exception]:
        """Every post of a fan-out, ``concurrency`` in flight; the failures by connection id.
        Throttled posts (429: the account's request rate) are sent again after a backoff
        with jitter, as boto3's standard retry mode would, so a busy moment loses nothing."""
        failures: dict[str, Exception] = {}
        pending = deliveries
        for attempt in range(1, THROTTLE_ATTEMPTS + 1):
            throttled = []
            for delivery, outcome in zip(pending, self._post_batch(pending), strict=True):
                if outcome is None:
                    failures.pop(delivery[0], None)
                    continue
                failures[delivery[0]] = outcome
                if isinstance(outcome, CallbackThrottled):
                    throttled.append(delivery)
            if not throttled or attempt == THROTTLE_ATTEMPTS:
                break
            time.sleep(random.uniform(0.5, 1.0) * THROTTLE_BACKOFF_SECONDS * 2 ** (attempt - 1))
            pending = throttled
        return failures

    def _post_batch(self, deliveries: list[tuple[str, bytes]]) -> list[CallbackError | None]:
        requests = [self._request("POST", cid, data) for cid, data in deliveries]
        answers = self._http().exchange_all(requests)
        return [_verdict(cid, answer) for (cid, _), answer in zip(deliveries, answers, strict=True)]

    def _http(self) -> HttpStreams:
        with self._streams_lock:
            if self._streams is None:
                from serverless_chat.adapters.http_streams import HttpStreams

                self._streams = HttpStreams(
                    self._hostname, self._port, self._secure, self._concurrency, self._timeout
                )
            return self._streams

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
    def _request(self, method: str, connection_id: str, data: bytes = b"") -> bytes:
        """The raw HTTP/1.1 request, signed with SigV4."""
        path = f"{self._prefix}/@connections/{quote(connection_id, safe='')}"
        request = AWSRequest(method=method, url=self._base + path, data=data)
        self._signer.add_auth(request)
        head = f"{method} {path} HTTP/1.1\r\nHost: {self._host}\r\n" + "".join(
            f"{name}: {value}\r\n" for name, value in request.headers.items()
        )
        return f"{head}Content-Length: {len(data)}\r\n\r\n".encode() + data

    def _call(self, method: str, connection_id: str, data: bytes = b"") -> bytes:
        """One call; its answer's body, or our error."""
        (answer,) = self._http().exchange_all([self._request(method, connection_id, data)])
        refusal = _verdict(connection_id, answer)
        if refusal is not None:
            raise refusal
        assert not isinstance(answer, Exception)
        return answer.body


def _verdict(connection_id: str, answer: Response | Exception) -> CallbackError | None:
    """None for a success, else our error for the answer, or for what stopped the call."""
    if isinstance(answer, Exception):
        return CallbackError(connection_id, 0, type(answer).__name__, str(answer))
    if answer.status < 300:
        return None
    known = _ERRORS.get(answer.status)
    reason = _message(answer.body)
    if known is not None:
        return known(connection_id, reason)
    code = answer.headers.get("x-amzn-errortype", "") or f"HTTP{answer.status}"
    return CallbackError(connection_id, answer.status, code.split(":")[0], reason)


def _message(body: bytes) -> str:
    try:
        return str(json.loads(body).get("message") or "")
    except (ValueError, AttributeError):
        return ""


def _timestamp(value: Any) -> datetime:
    text = str(value or "1970-01-01T00:00:00Z").replace("Z", "+00:00")
    return datetime.fromisoformat(text)
