"""Client frames must be masked: RFC 6455, section 5.1 ("The server MUST close the
connection upon receiving a frame that is not masked ... with a status code of 1002
(protocol error)"). aiohttp's frame reader takes unmasked frames as they come, so the bytes
are looked at before it: ``FrameBoundaries`` follows frame headers through the byte stream
(pure, no socket), ``MaskedFramesOnly`` sits between the transport and aiohttp's protocol.

It is installed when $connect has accepted, before the 101 goes out: a client sends no
frame before it (section 4.1), so the first byte it sees starts a frame.
"""

from __future__ import annotations

import asyncio

# What aiohttp's reader is handed in place of an unmasked frame: a masked frame of the
# reserved opcode 0x3 (section 5.2), which it fails as a protocol error, the way it fails
# every other one: a close frame with 1002 and the TCP connection closed.
PROTOCOL_ERROR_FRAME = b"\x83\x80\x00\x00\x00\x00"


class FrameBoundaries:
    """Follows frames through a client's byte stream, however it is cut into reads, and
    says where the first unmasked one starts. Small: one is kept for every connection."""

    __slots__ = ("_header", "_skip")

    def __init__(self) -> None:
        self._header = b""  # a header that is still arriving
        self._skip = 0  # payload bytes still to come before the next header

    def first_unmasked(self, data: bytes) -> int | None:
        """The offset in ``data`` at which an unmasked frame begins (0 when its header began
        in an earlier read), or None when every frame so far is masked."""
        at, end = 0, len(data)
        while at < end:
            if self._skip:
                step = min(self._skip, end - at)
                self._skip -= step
                at += step
                continue
            started = at - len(self._header)
            if len(self._header) < 2:
                take = min(2 - len(self._header), end - at)
                self._header += data[at : at + take]
                at += take
                if len(self._header) < 2:
                    return None
            second = self._header[1]
            if not second & 0x80:
                return max(started, 0)
            length = second & 0x7F
            extended = 2 if length == 126 else 8 if length == 127 else 0
            need = 2 + extended + 4 - len(self._header)
            take = min(need, end - at)
            self._header += data[at : at + take]
            at += take
            if take < need:
                return None
            if extended:
                length = int.from_bytes(self._header[2 : 2 + extended], "big")
            self._header = b""
            self._skip = length
        return None


class MaskedFramesOnly(asyncio.Protocol):
    """Between a connection's transport and aiohttp's protocol: bytes pass through until an
    unmasked frame, which aiohttp is handed as ``PROTOCOL_ERROR_FRAME`` instead; nothing
    after it is passed on, and ``failed`` says so."""

    __slots__ = ("_frames", "_inner", "failed")

    def __init__(self, inner: asyncio.Protocol) -> None:
        self._inner = inner
        self._frames = FrameBoundaries()
        self.failed = False

    @classmethod
    def install(cls, transport: asyncio.BaseTransport) -> MaskedFramesOnly:
        inner = transport.get_protocol()
        assert isinstance(inner, asyncio.Protocol)  # aiohttp's RequestHandler
        guard = cls(inner)
        transport.set_protocol(guard)
        return guard

    def data_received(self, data: bytes) -> None:
        if self.failed:
            return
        at = self._frames.first_unmasked(data)
        if at is None:
            self._inner.data_received(data)
            return
        self.failed = True
        if at:
            self._inner.data_received(data[:at])
        self._inner.data_received(PROTOCOL_ERROR_FRAME)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._inner.connection_made(transport)

    def connection_lost(self, exc: Exception | None) -> None:
        self._inner.connection_lost(exc)

    def eof_received(self) -> bool | None:
        return self._inner.eof_received()

    def pause_writing(self) -> None:
        self._inner.pause_writing()

    def resume_writing(self) -> None:
        self._inner.resume_writing()
