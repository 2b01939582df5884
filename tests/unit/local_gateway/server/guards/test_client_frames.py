"""Unmasked client frames and control frames over the budget are found wherever the stream
is cut into reads (RFC 6455, section 5.1: "The server MUST close the connection upon
receiving a frame that is not masked"; section 5.2 for the header's layout: 7-bit, 16-bit
and 64-bit lengths, the mask bit and its 4-byte key; section 5.5.3: "A Pong frame MAY be
sent unsolicited", which nothing obliges a server to read ten thousand times)."""

from __future__ import annotations

import asyncio
import itertools

from hypothesis import given
from hypothesis import strategies as st

from local_gateway.server.guards.client_frames import (
    FLOOD,
    FLOOD_MARKER,
    PROTOCOL_ERROR_FRAME,
    UNMASKED,
    ClientFrames,
    ControlBudget,
    FrameScan,
)


def frame(payload: bytes, *, masked: bool = True, opcode: int = 0x1) -> bytes:
    size = len(payload)
    if size < 126:
        length = bytes([size])
    elif size < 1 << 16:
        length = bytes([126]) + size.to_bytes(2, "big")
    else:
        length = bytes([127]) + size.to_bytes(8, "big")
    head = bytes([0x80 | opcode, (0x80 if masked else 0) | length[0]]) + length[1:]
    return head + (b"\x07\x07\x07\x07" if masked else b"") + payload


def cut(data: bytes, points: list[int]) -> list[bytes]:
    points = sorted({p % (len(data) + 1) for p in points})
    edges = [0, *points, len(data)]
    return [data[a:b] for a, b in itertools.pairwise(edges)]


payloads = st.lists(
    st.sampled_from([0, 1, 125, 126, 127, 300, 65535, 65536]).map(lambda n: b"x" * n),
    min_size=1,
    max_size=5,
)


def scan() -> FrameScan:
    return FrameScan(ControlBudget(0.0))


def passed_through(frames: FrameScan, chunks: list[bytes]) -> tuple[bytes, str | None]:
    """What the scan lets through of ``chunks``, all at one instant, and why it stopped."""
    through = b""
    for chunk in chunks:
        passed, fault = frames.scan(chunk, 0.0)
        through += passed
        if fault is not None:
            return through, fault
    return through, None


@given(payloads, st.lists(st.integers(min_value=0), max_size=8))
def test_masked_frames_pass_however_they_are_cut(sizes: list[bytes], points: list[int]) -> None:
    stream = b"".join(frame(p) for p in sizes)
    assert passed_through(scan(), cut(stream, points)) == (stream, None)


@given(payloads, st.binary(max_size=200), st.lists(st.integers(min_value=0), max_size=8))
def test_the_first_unmasked_frame_is_found_where_it_starts(
    before: list[bytes], payload: bytes, points: list[int]
) -> None:
    head = b"".join(frame(p) for p in before)
    stream = head + frame(payload, masked=False) + frame(b"after")
    # Everything before it, to the byte, and nothing of it: a header split across reads is
    # held until it is whole.
    assert passed_through(scan(), cut(stream, points)) == (head, UNMASKED)


@given(
    st.integers(min_value=0, max_value=19),
    st.sampled_from([0x9, 0xA]),
    st.lists(st.integers(min_value=0), max_size=8),
)
def test_the_control_frame_over_the_budget_is_found_where_it_starts(
    texts: int, opcode: int, points: list[int]
) -> None:
    """Twenty control frames at once pass, with text frames between them; the 21st stops
    the stream at its first byte, however the reads cut it."""
    allowed = b"".join(frame(b"p", opcode=opcode) + frame(b"t" * texts) for _ in range(20))
    stream = allowed + frame(b"", opcode=opcode) + frame(b"after")
    assert passed_through(scan(), cut(stream, points)) == (allowed, FLOOD)


def test_the_control_budget_refills_at_ten_a_second() -> None:
    frames = scan()
    ping = frame(b"", opcode=0x9)
    assert frames.scan(ping * 20, 0.0) == (ping * 20, None)
    assert frames.scan(ping, 0.0).fault == FLOOD
    frames = scan()
    assert frames.scan(ping * 20, 0.0).fault is None
    assert frames.scan(ping * 10, 1.0) == (ping * 10, None)  # ten more a second later


def test_control_frames_are_frames_too() -> None:
    assert scan().scan(frame(b"", opcode=0x9), 0.0) == (frame(b"", opcode=0x9), None)
    assert scan().scan(frame(b"", opcode=0x8, masked=False), 0.0) == (b"", UNMASKED)


class Recording(asyncio.Protocol):
    def __init__(self) -> None:
        self.received: list[bytes] = []
        self.eof = False

    def data_received(self, data: bytes) -> None:
        self.received.append(data)

    def eof_received(self) -> bool | None:
        self.eof = True
        return None


def test_aiohttp_is_handed_what_came_before_then_a_protocol_error_and_nothing_more() -> None:
    inner = Recording()
    guard = ClientFrames(inner, asyncio.Transport())
    good = frame(b"hi")
    guard.data_received(good + frame(b"bad", masked=False))
    guard.data_received(frame(b"later"))
    guard.eof_received()
    assert guard.unmasked
    assert inner.received == [good, PROTOCOL_ERROR_FRAME]
    assert inner.eof


def test_a_pong_flood_is_cut_at_the_budget_and_reading_stops() -> None:
    """One read of ten thousand empty pongs: aiohttp is handed twenty, then one pong that
    wakes the receive loop to close with 1008, and nothing more but the end of the stream."""
    inner = Recording()
    guard = ClientFrames(inner, asyncio.Transport())
    pong = frame(b"", opcode=0xA)
    guard.data_received(pong * 10_000)
    guard.data_received(frame(b"later"))
    guard.eof_received()
    assert guard.flooded
    assert not guard.unmasked
    assert inner.received == [pong * 20, FLOOD_MARKER]
    assert inner.eof
