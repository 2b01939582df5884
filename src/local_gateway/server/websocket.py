"""The shell around one client's WebSocket: aiohttp's socket on one side, ``core`` on the
other.

It turns the upgrade request into a ``Handshake``, each text frame into ``core.message``,
the end of the connection — the client's close, a limit, a DeleteConnection — into
``core.disconnect`` with the code and reason API Gateway reports; what API Gateway would do
with each is decided in ``core``. Limits are API Gateway's: frames over 32 KB and messages
over 128 KB close with 1009, binary frames with 1003, an idle connection after 10 minutes
and any after 2 hours with 1001 "Going away"; an unmasked frame fails the connection with
1002, as RFC 6455 wants (docs/local-gateway.md has the sources).

Each message is an invocation of its own, as on AWS, where nothing orders a connection's
messages: the loop reads the next frame while the previous ones still run, and each reply
goes back to the connection it answers. AWS documents no limit on a connection's messages
in flight ("Quotas for configuring and running a WebSocket API in API Gateway"); the
gateway holds at most ``Limits.max_in_flight`` (100: ten times a function's containers, so
the bound is not what orders them) and reads no further frame until one ends,
so that one client cannot queue unbounded work. An invocation runs on when its client
leaves (its reply is dropped), as a Lambda invocation does.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import WSMsgType, web

from local_gateway.apigateway.connection import LiveConnection
from local_gateway.apigateway.core import Accepted, GatewayCore, Handshake
from local_gateway.aws.management_api.model import MAX_POST_BYTES, ConnectionRegistry
from local_gateway.server.guards.client_frames import ClientFrames

log = logging.getLogger("local_gateway")

NORMAL_CLOSURE = 1000
GOING_AWAY = 1001
PROTOCOL_ERROR = 1002
UNSUPPORTED_DATA = 1003
NO_STATUS = 1005
ABNORMAL_CLOSURE = 1006
POLICY_VIOLATION = 1008
MESSAGE_TOO_BIG = 1009


@dataclass(frozen=True, slots=True)
class Limits:
    """API Gateway's limits on a connection, configurable for tests."""

    idle_timeout: float = 600.0
    max_connection_duration: float = 7200.0
    max_frame_bytes: int = 32 * 1024
    ping_interval: float | None = 30.0  # a client that misses a pong is gone
    compress: bool = False
    max_in_flight: int = 100  # a connection's messages running at once (the gateway's bound)


class WebSocketEndpoint:
    """The handler of ``/{stage}``: one call per client, for the life of its connection.
    ``refusal()`` says why a new client cannot be taken now ("" when it can)."""

    def __init__(
        self,
        core: Callable[[], GatewayCore],
        registry: ConnectionRegistry,
        limits: Limits,
        ports: Callable[[], tuple[int, int]],
        refusal: Callable[[], str],
        verify: Callable[[web.Request], str] | None = None,
        rate: Callable[[], bool] | None = None,
    ) -> None:
        self._core = core
        self._registry = registry
        self._limits = limits
        self._ports = ports  # (plain, TLS)
        self._refusal = refusal
        # $connect's IAM authorization, when it has one: why a handshake is refused, or "".
        self._verify = verify
        # API Gateway's new-connection quota: whether one more handshake may go on now.
        self._rate = rate
        self._in_flight: set[asyncio.Task[None]] = set()  # every connection's messages

    def _socket_for(self, subprotocol: str | None = None) -> web.WebSocketResponse:
        """A client's socket: pings answered by the receive loop (so that a flood of them is
        bounded), the subprotocol $connect chose, whether or not the client offered it."""
        socket = web.WebSocketResponse(
            max_msg_size=MAX_POST_BYTES,
            heartbeat=self._limits.ping_interval,
            compress=self._limits.compress,
            autoping=False,
            protocols=(subprotocol,) if subprotocol else (),
        )
        if subprotocol:
            socket.headers["Sec-WebSocket-Protocol"] = subprotocol
        return socket

    def _handshake(self, request: web.Request) -> Handshake:
        plain, tls = self._ports()
        return Handshake(
            source_ip=request.remote or "",
            headers=[(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.raw_headers],
            query=list(request.query.items()),
            port=tls if request.secure else plain,
            scheme="https" if request.secure else "http",
        )

    async def handle(self, request: web.Request) -> web.StreamResponse:
        socket = self._socket_for()
        if not socket.can_prepare(request).ok:
            return web.Response(status=426, text="This is a WebSocket endpoint; upgrade required.")
        refused = self._refusal()
        if refused:
            return web.Response(status=503, text=refused)
        if self._rate is not None and not self._rate():
            return web.json_response({"message": "Too Many Requests"}, status=429)
        forbidden = self._verify(request) if self._verify is not None else ""
        if forbidden:
            log.info("handshake refused with 403: %s", forbidden)
            return web.json_response({"message": forbidden}, status=403)
        core = self._core()
        # (no local for the handshake: this frame lives as long as the connection)
        outcome = await core.connect(self._handshake(request))
        if not isinstance(outcome, Accepted):
            if outcome.reason:
                log.info("handshake refused with %d: %s", outcome.status, outcome.reason)
            return web.Response(status=outcome.status, text=outcome.body, headers=outcome.headers)
        meta = outcome.meta
        if outcome.subprotocol:
            socket = self._socket_for(outcome.subprotocol)
        connection = self._registry.open(meta)
        opened = time.monotonic()
        code, reason = ABNORMAL_CLOSURE, ""
        transport = request.transport
        frames = ClientFrames.install(transport) if transport is not None else None
        try:
            try:
                await socket.prepare(request)
            except ConnectionError:  # it left during the 101: its $disconnect follows
                log.info("%s left during the handshake", meta.connection_id)
                return socket
            self._registry.attach(meta.connection_id, socket, request.transport)
            if connection.closing:  # a DeleteConnection came while the 101 was on its way
                await socket.close(code=NORMAL_CLOSURE)
            code, reason = await self._receive_loop(core, connection, socket, frames)
            if frames is not None and frames.unmasked:
                log.warning(
                    "%s sent an unmasked frame: closed with 1002, as RFC 6455 wants",
                    meta.connection_id,
                )
                code, reason = PROTOCOL_ERROR, "Frames from a client must be masked"
            elif (
                connection.client_left
                and core.chaos is not None
                and core.chaos.vanishes(meta.connection_id)
            ):
                code, reason = await self._vanished(connection, opened)
        finally:
            # Every connection accepted ends in $disconnect, however it ends (a client that
            # leaves during the 101 too).
            removed = self._registry.remove(meta.connection_id)
            if removed is not None:
                if removed.close_reason is not None:
                    code, reason = removed.close_reason
                await asyncio.shield(core.disconnect(meta, code, reason))
        return socket

    async def _vanished(self, connection: LiveConnection, opened: float) -> tuple[int, str]:
        """--chaos vanish: the client's close is taken for a TCP connection that vanished
        (no FIN). API Gateway keeps it — its row stays, posts to it answer 200 — until a
        write to it fails (the next post), or its idle timeout or the 2 hours a connection
        lasts end it; then $disconnect."""
        connection.vanished = asyncio.Event()
        now, limits = time.monotonic(), self._limits
        idle_left = limits.idle_timeout - (now - connection.idle_since)
        life_left = limits.max_connection_duration - (now - opened)
        try:
            await asyncio.wait_for(connection.vanished.wait(), max(0.0, min(idle_left, life_left)))
        except TimeoutError:
            return GOING_AWAY, "Going away"
        return ABNORMAL_CLOSURE, ""

    async def _receive_loop(
        self,
        core: GatewayCore,
        connection: LiveConnection,
        socket: web.WebSocketResponse,
        frames: ClientFrames | None,
    ) -> tuple[int, str]:
        """Dispatch frames until the client leaves or a limit closes it; the close code and
        reason $disconnect is told."""
        limits = self._limits
        started = connection.idle_since
        slots = asyncio.Semaphore(limits.max_in_flight)
        while True:
            now = time.monotonic()
            idle_left = limits.idle_timeout - (now - connection.idle_since)
            life_left = limits.max_connection_duration - (now - started)
            try:
                message = await socket.receive(timeout=max(0.0, min(idle_left, life_left)))
            except TimeoutError:
                await socket.close(code=GOING_AWAY, message=b"Going away")
                return GOING_AWAY, "Going away"
            if message.type in (WSMsgType.PING, WSMsgType.PONG):
                if frames is not None and frames.flooded:  # the budget: client_frames.py
                    await _close_unread(socket, frames, POLICY_VIOLATION, "Too many control frames")
                    return POLICY_VIOLATION, "Too many control frames"
                if message.type == WSMsgType.PING:
                    await socket.pong(message.data)
                continue
            if message.type == WSMsgType.BINARY:
                log.warning(
                    "%s sent a binary frame: API Gateway refuses those and closes with 1003",
                    connection.meta.connection_id,
                )
                await socket.close(
                    code=UNSUPPORTED_DATA, message=b"Binary frames are not supported"
                )
                return UNSUPPORTED_DATA, "Binary frames are not supported"
            if message.type != WSMsgType.TEXT:
                connection.client_left = True
                return _client_close(socket, message)
            body: str = message.data
            size = _size(body, limits.max_frame_bytes)
            if size > limits.max_frame_bytes:
                why = f"Frame of {size} bytes is over {limits.max_frame_bytes}"
                await socket.close(code=MESSAGE_TOO_BIG, message=why.encode()[:120])
                return MESSAGE_TOO_BIG, why
            connection.touch()
            connection.idle_since = time.monotonic()
            await slots.acquire()
            task = asyncio.create_task(self._dispatch(core, connection, body, slots))
            self._in_flight.add(task)
            task.add_done_callback(self._in_flight.discard)

    async def _dispatch(
        self, core: GatewayCore, connection: LiveConnection, body: str, slots: asyncio.Semaphore
    ) -> None:
        """One message, an invocation of its own; its reply to the connection it came on."""
        try:
            reply = await core.message(connection.meta, body)
            if reply is not None:
                self._send(connection, reply)
        except Exception:  # a fault of the gateway's: logged, the connection goes on
            log.exception("%s: a message failed", connection.meta.connection_id)
        finally:
            slots.release()

    async def drain(self, timeout: float = 5.0) -> None:
        """Wait for the messages still running (their functions are stopping), then cancel
        what is left."""
        pending = set(self._in_flight)
        if not pending:
            return
        _, late = await asyncio.wait(pending, timeout=timeout)
        for task in late:
            task.cancel()
        await asyncio.gather(*late, return_exceptions=True)

    def _send(self, connection: LiveConnection, data: bytes) -> None:
        failures, accepted = self._registry.accept([(connection.meta.connection_id, data)])
        if failures:
            log.info("could not answer %s: %s", connection.meta.connection_id, failures)
        self._registry.send_accepted(accepted)


def _size(body: str, limit: int) -> int:
    """The frame's size in bytes; text is only encoded when it might be over the limit."""
    if len(body) * 4 <= limit:  # UTF-8 needs at most 4 bytes a character
        return len(body)
    return len(body.encode("utf-8", "surrogatepass"))


async def _close_unread(
    socket: web.WebSocketResponse, frames: ClientFrames, code: int, reason: str
) -> None:
    """Close a client whose frames ``ClientFrames`` no longer passes on (a flood): the close
    frame goes out followed by the end of the stream, so the client reads both at once; the
    connection ends when the client leaves, or at the close timeout, since its own close
    frame will not be read."""
    closing = asyncio.ensure_future(socket.close(code=code, message=reason.encode()))
    await asyncio.sleep(0)  # the close frame is on the transport
    transport = frames.transport
    # Not over TLS, which cannot half-close: there the close timeout ends it.
    if (
        isinstance(transport, asyncio.WriteTransport)
        and not transport.is_closing()
        and transport.can_write_eof()
    ):
        transport.write_eof()
    await closing


def _client_close(socket: web.WebSocketResponse, message: Any) -> tuple[int, str]:
    """What the client's close says: its code and reason, 1005 when its close frame had no
    status (as API Gateway reports it), 1006 when it left without a close frame."""
    if message.type == WSMsgType.CLOSE:
        code = int(message.data or 0)
        if code == 0:
            return NO_STATUS, "Client-side close frame status not set"
        return code, str(message.extra or "")
    code = socket.close_code or 0
    if code in (0, ABNORMAL_CLOSURE):
        return ABNORMAL_CLOSURE, ""
    return code, ""
