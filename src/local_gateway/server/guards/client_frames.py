"""A client's frames, checked in the bytes before aiohttp reads them, for the two rules a
reader that parses a whole read at once cannot keep:

- Client frames must be masked: RFC 6455, section 5.1 ("The server MUST close the
  connection upon receiving a frame that is not masked ... with a status code of 1002
  (protocol error)"). aiohttp's frame reader takes unmasked frames as they come.
- Control frames (pings and unsolicited pongs, which section 5.5.3 allows) are budgeted:
  a burst of 20, refilled at 10 a second. aiohttp parses every frame of a read before the
  gateway sees the first, so a read of ten thousand empty pongs would be parsed, queued and
  handed over one by one, taking the loop from every other connection; here the stream is
  cut at the frame that breaks the budget, and what follows is read and dropped unparsed
  (read, so that the client's leaving is still seen at once).

``FrameScan`` follows frame headers through the byte stream (pure, no socket) and says how
far the bytes may be passed on; ``ClientFrames`` sits between the transport and aiohttp's
protocol. It holds back a header split across reads until it is whole, so what aiohttp is
handed always ends on a frame boundary or inside a payload, and a frame put in after it is
read as a frame of its own.

It is installed when $connect has accepted, before the 101 goes out: a client sends no
frame before it (section 4.1), so the first byte it sees starts a frame.
"""

from __future__ import annotations

import asyncio
import time
from typing import NamedTuple

# What aiohttp's reader is handed in place of an unmasked frame: a masked frame of the
# reserved opcode 0x3 (section 5.2), which it fails as a protocol error, the way it fails
# every other one: a close frame with 1002 and the TCP connection closed.
PROTOCOL_ERROR_FRAME = b"\x83\x80\x00\x00\x00\x00"
# What it is handed in place of the control frame that broke the budget: one empty masked
# pong, so that the receive loop wakes, sees ``flooded`` and closes with 1008.
FLOOD_MARKER = b"\x8a\x80\x00\x00\x00\x00"

UNMASKED, FLOOD = "unmasked", "flood"
_PING, _PONG = 0x9, 0xA


class ControlBudget:
    """Control frames a client may send, pings and pongs alike: a burst of 20, refilled at
    10 a second. A client pings, or answers the gateway's ping, once in tens of seconds."""

    __slots__ = ("_at", "_tokens")
    RATE, BURST = 10.0, 20.0

    def __init__(self, now: float) -> None:
        self._tokens = self.BURST
        self._at = now

    def take(self, now: float) -> bool:
        self._tokens = min(self.BURST, self._tokens + (now - self._at) * self.RATE)
        self._at = now
        if self._tokens < 1:
            return False
        self._tokens -= 1
        return True


class Scanned(NamedTuple):
    passed: bytes  # what may be handed to aiohttp now
    fault: str | None  # UNMASKED or FLOOD: the frame after ``passed`` breaks that rule


class FrameScan:
    """Follows frames through a client's byte stream, however it is cut into reads. Small:
    one is kept for every connection."""

    __slots__ = ("_budget", "_held", "_skip")

    def __init__(self, budget: ControlBudget) -> None:
        self._budget = budget
        self._held = b""  # the start of a header whose end has not come yet
        self._skip = 0  # payload bytes still to come before the next header

    def scan(self, data: bytes, now: float) -> Scanned:
        if self._held:
            data, self._held = self._held + data, b""
        at, end = 0, len(data)
        while at < end:
            if self._skip:
                step = min(self._skip, end - at)
                self._skip -= step
                at += step
                continue
            if end - at < 2:
                self._held = data[at:]
                return Scanned(data[:at], None)
            first, second = data[at], data[at + 1]
            if not second & 0x80:
                return Scanned(data[:at], UNMASKED)
            length = second & 0x7F
            extended = 2 if length == 126 else 8 if length == 127 else 0
            size = 2 + extended + 4
            if end - at < size:
                self._held = data[at:]
                return Scanned(data[:at], None)
            if extended:
                length = int.from_bytes(data[at + 2 : at + 2 + extended], "big")
            if first & 0x0F in (_PING, _PONG) and not self._budget.take(now):
                return Scanned(data[:at], FLOOD)
            at += size
            self._skip = length
        return Scanned(data, None)


class ClientFrames(asyncio.Protocol):
    """Between a connection's transport and aiohttp's protocol: bytes pass through until a
    frame breaks a rule. An unmasked frame is handed on as ``PROTOCOL_ERROR_FRAME``, a
    control frame over the budget as ``FLOOD_MARKER``; nothing after it is passed on (the
    end of the stream is), and ``fault`` says which rule was broken."""

    __slots__ = ("_frames", "_inner", "fault", "transport")

    def __init__(self, inner: asyncio.Protocol, transport: asyncio.BaseTransport) -> None:
        self._inner = inner
        self.transport = transport
        self._frames = FrameScan(ControlBudget(time.monotonic()))
        self.fault: str | None = None

    @classmethod
    def install(cls, transport: asyncio.BaseTransport) -> ClientFrames:
        inner = transport.get_protocol()
        assert isinstance(inner, asyncio.Protocol)  # aiohttp's RequestHandler
        guard = cls(inner, transport)
        transport.set_protocol(guard)
        return guard

    @property
    def unmasked(self) -> bool:
        return self.fault == UNMASKED

    @property
    def flooded(self) -> bool:
        return self.fault == FLOOD

    def data_received(self, data: bytes) -> None:
        if self.fault is not None:
            return
        passed, fault = self._frames.scan(data, time.monotonic())
        if passed:
            self._inner.data_received(passed)
        if fault is None:
            return
        self.fault = fault
        self._inner.data_received(FLOOD_MARKER if fault == FLOOD else PROTOCOL_ERROR_FRAME)

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
