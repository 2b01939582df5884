"""The terminal client's connection, opened and opened again: the WebSocket handshake
with its failures in words (a refusal with the chat's reason, an address where no WebSocket
answers), what a close code means, and the reconnect loop's backoff after a drop.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import ssl
from collections.abc import Awaitable, Callable
from pathlib import Path
from urllib.parse import urlsplit

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidHandshake, InvalidStatus, InvalidURI

from serverless_chat.client.transport import speaks_tls, tls_context, tls_failure, untrusted

OPEN_TIMEOUT = 10.0

# What a close code means, in words (RFC 6455 section 7.4.1, and what the gateway uses).
CLOSE_CODES = {
    1000: "normal closure",
    1001: "going away: the server is shutting down or the connection was idle or open too long",
    1002: "protocol error",
    1003: "unsupported data: the chat takes text frames only",
    1005: "no status code",
    1006: "the connection was lost without a close frame",
    1007: "invalid data",
    1008: "policy violation",
    1009: "message too big",
    1011: "the server hit an internal error",
    1012: "the server is restarting",
    1013: "try again later",
    1014: "bad gateway",
}


def close_words(code: int | None, reason: str) -> str:
    """``1001 (going away: …) "Going away"``: a close code, what it means, the reason."""
    if code is None:
        code = 1006
    words = CLOSE_CODES.get(code, "application-defined" if 3000 <= code <= 4999 else "unknown")
    said = f' "{reason}"' if reason and reason.lower() not in words.lower() else ""
    return f"{code} ({words}){said}"


class Refused(Exception):
    """The handshake was answered with an HTTP status: the chat's reason, and whether
    trying again could help."""

    def __init__(self, status: int, code: str, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.code = code
        self.reason = reason

    @property
    def final(self) -> bool:
        """4xx but 408/429 cannot be mended by trying again (a bad option, a token)."""
        return 400 <= self.status < 500 and self.status not in (408, 429)

    def __str__(self) -> str:
        code = f" {self.code}" if self.code else ""
        return f"{self.reason} (HTTP {self.status}{code})"


class Unreachable(Exception):
    """No WebSocket at that address: nothing listens, no answer, not a WebSocket server."""


def _refusal(error: InvalidStatus) -> Refused:
    response = error.response
    body = bytes(response.body or b"")
    code, reason = "", ""
    try:
        answer = json.loads(body)
    except ValueError:
        answer = None
    if isinstance(answer, dict):
        code = str(answer.get("code") or "")
        reason = str(answer.get("message") or answer.get("Message") or "")
    if not reason:
        text = " ".join(body.decode("utf-8", "replace").split())[:300]
        reason = text or response.reason_phrase or "refused"
    return Refused(response.status_code, code, reason)


async def open_connection(
    url: str, cafile: Path | None = None, gateway_certificate: Path | None = None
) -> ClientConnection:
    """The WebSocket, or Refused / Unreachable / InvalidURI with a reason in words. A
    ``wss://`` URL trusts what client/transport.py's ``tls_context`` says, made anew at each
    connection (a gateway makes a new certificate at each start)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    context = tls_context(host, cafile, gateway_certificate) if parts.scheme == "wss" else None
    try:
        return await connect(url, open_timeout=OPEN_TIMEOUT, max_size=None, ssl=context)
    except InvalidURI:
        raise
    except InvalidStatus as error:
        raise _refusal(error) from None
    except InvalidHandshake as error:
        if parts.scheme == "ws" and await speaks_tls(host, parts.port or 80):
            raise Unreachable("it speaks TLS there: use wss:// for that port") from None
        raise Unreachable(f"it did not answer as a WebSocket server ({error})") from None
    except TimeoutError:
        raise Unreachable(f"no answer within {OPEN_TIMEOUT:.0f} s") from None
    except ssl.SSLCertVerificationError as error:
        raise Unreachable(untrusted(error, host, gateway_certificate)) from None
    except ssl.SSLError as error:
        raise Unreachable(tls_failure(error)) from None
    except OSError as error:  # asyncio's strerror is "Connect call failed ('127.0.0.1', 9)"
        number = error.errno if isinstance(error, ConnectionError) else None
        words = os.strerror(number) if number else error.strerror or str(error)
        raise Unreachable(words[:1].lower() + words[1:]) from None


async def reconnect(
    open_socket: Callable[[], Awaitable[ClientConnection]],
    address: str,
    say: Callable[[str], None],
    say_last: Callable[[str], None],
) -> ClientConnection | None:
    """A new connection after a drop, tried with backoff and jitter until one opens (said
    with ``say``), or None when the chat refuses it for good (said with ``say_last``)."""
    attempt, taken = 0, 0
    while True:
        ceiling = min(30.0, 0.5 * 2**attempt)
        delay = ceiling / 2 + random.random() * ceiling / 2  # backoff with jitter
        attempt += 1
        say(f"Reconnecting in {delay:.1f} s (attempt {attempt})…")
        await asyncio.sleep(delay)
        try:
            socket = await open_socket()
        except Refused as refusal:
            # A name taken just after a drop is most likely our own old connection's,
            # which the chat has not seen go yet: that one mends itself, a few times.
            if refusal.status == 409 and taken < 5:
                taken += 1
                say(f"Refused: {refusal}; trying again.")
                continue
            if refusal.final:
                say_last(f"error: the chat refused the connection: {refusal}")
                return None
            say(f"Refused: {refusal}.")
            continue
        except Unreachable as error:
            say(f"Cannot connect to {address}: {error}.")
            continue
        say(f"Reconnected to {address}.")
        return socket
